"""Partitioned runs over virtual CPU devices equal the single-device run bit for bit, and the partitioner
cuts exactly the crossing (tensor, destination) pairs, each into one _Send/_Recv pair."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import trainer as tf
import trainer.session as session_mod
from trainer.partition import crossing_pairs, partition, session_partitions
from trainer.placement import DeviceSet, place
from trainer.rendezvous import LocalRendezvous, RendezvousTimeoutError

CPU = "/job:localhost/replica:0/task:0/device:CPU:{}".format


def _mlp(devs):
    """Two dense layers and a softmax head, each under its own device scope; Adam."""
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    with tf.device(devs[0]):
        h = tf.layers.Dense(16, activation="relu", name="d1")(x)
    with tf.device(devs[1]):
        h2 = tf.layers.Dense(8, activation="tanh", name="d2")(h)
    with tf.device(devs[2]):
        logits = tf.layers.Dense(3, name="head")(h2)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    rng = np.random.RandomState(0)
    feed = {x: rng.randn(10, 6).astype(np.float32), y: rng.randint(0, 3, 10).astype(np.int32)}
    return [loss, logits, h], train, feed


def _cnn(devs):
    """conv → pool → conv → dense with momentum; split across devices mid-network."""
    tf.set_random_seed(5)
    x = tf.placeholder(tf.float32, [None, 8, 8, 2], name="img")
    y = tf.placeholder(tf.int32, [None], name="lab")
    with tf.device(devs[0]):
        c1 = tf.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(x)
        p1 = tf.layers.MaxPool2D(2)(c1)
    with tf.device(devs[1]):
        c2 = tf.layers.Conv2D(6, 3, padding="valid", activation="relu", name="c2")(p1)
        flat = tf.layers.Flatten()(c2)
    with tf.device(devs[2]):
        logits = tf.layers.Dense(4, name="out")(flat)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    rng = np.random.RandomState(1)
    feed = {x: rng.randn(5, 8, 8, 2).astype(np.float32), y: rng.randint(0, 4, 5).astype(np.int32)}
    return [loss, logits, c1], train, feed


def _shared_and_multi_output(devs):
    """A tensor read by several ops on each other device, a multi-output op crossing, a fed tensor."""
    x = tf.placeholder(tf.float32, [4, 6], name="xx")
    with tf.device(devs[0]):
        v = tf.Variable(np.arange(24, dtype=np.float32).reshape(4, 6) / 7, name="v")
        s = tf.tanh(v + x)
        a, b, c = tf.split(s, 3, axis=1)
    with tf.device(devs[1]):
        u = a * b + a - tf.exp(b) + x[:, :2]  # a and b each used twice here: one Recv each
    with tf.device(devs[2]):
        w = tf.concat([a, c, u], axis=1) * tf.reduce_sum(a)
    step = tf.assign_add(v, w[:, :6] * 0.01)
    return [w, u, s], step, {x: np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 6)}


BUILDERS = {"mlp": _mlp, "cnn": _cnn, "shared": _shared_and_multi_output}


def _run(builder, devs, config, steps=3, placer=None, monkeypatch=None):
    g = tf.Graph()
    with g.as_default():
        fetches, train, feed = builder(devs)
        if placer is not None:
            monkeypatch.setattr(session_mod, "place", placer)
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            out = [sess.run(fetches + [train], feed)[:-1] for _ in range(steps)]
            out.append(sess.run(fetches, feed))
            out.append([sess.run(v) for v in tf.global_variables()])
            plans = list(sess._plans.values())
    return out, plans


def _assert_bitwise(a, b):
    for x, y in zip(a, b, strict=True):
        if isinstance(x, list):
            _assert_bitwise(x, y)
        else:
            assert x.dtype == y.dtype and x.shape == y.shape
            np.testing.assert_array_equal(x, y)


def _flat(a):
    return [z for x in a for z in (_flat(x) if isinstance(x, list) else [x])]


def _check_cuts(plan):
    ps = plan.partitions
    schedule = [op for _, op in ps.order if op.type not in ("_Send", "_Recv")]
    devices = {op: dev for dev, op in ps.order}
    fed = {t for t, _, _ in plan.feed_info}
    sends = [op for _, op in ps.order if op.type == "_Send"]
    recvs = [op for _, op in ps.order if op.type == "_Recv"]
    want = crossing_pairs(schedule, devices, fed)
    assert len(sends) == len(recvs) == len(ps.pairs) == len(want)
    got = {(r.attrs["tensor_name"], r.device) for r in recvs}
    assert got == want  # one Recv per (tensor, destination device), no more
    for s, r in ps.pairs:
        assert s.attrs == r.attrs and s.device == devices[s] != r.device == devices[r]
    # Within a partition every input comes from the same partition (or the feed): transfers only via Recv.
    for dev, part in ps.partitions.items():
        for op in part.nodes:
            for t in ps.inputs_of.get(op, op.inputs):
                assert t in fed or devices[t.op] == dev
    return len(want)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_scoped_devices_equal_single_device_bitwise(name):
    builder = BUILDERS[name]
    ref, ref_plans = _run(builder, ["/cpu:0"] * 3, tf.ConfigProto(device_count={"CPU": 1}))
    assert not any(p.partitioned for p in ref_plans)
    got, plans = _run(builder, ["/cpu:1", "/cpu:2", "/cpu:3"], tf.ConfigProto(device_count={"CPU": 4}))
    _assert_bitwise(ref, got)
    cut = [_check_cuts(p) for p in plans if p.partitioned]
    assert cut and max(cut) >= 3


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_round_robin_placement_cuts_every_edge_and_stays_exact(name, monkeypatch):
    """Every op on its own device in turn (variables included): nearly every edge crosses. Bit for bit on the
    numpy kernels; with the default kernels a single-device session fuses Conv2D+BiasAdd+Relu (the bias
    inside the GEMM's sums, trainer/ops/fusion.py) where the ops on different devices cannot be fused, as
    TensorFlow's remapper fuses only ops on one device, so there the results agree to float32 rounding."""
    builder = BUILDERS[name]

    def round_robin(ops, ds, soft=False, placed=None, errors=None):
        return {op: CPU(k % 4) for k, op in enumerate(ops)}

    def both():
        ref, _ = _run(builder, [None] * 3, None)
        with monkeypatch.context() as m:
            four = tf.ConfigProto(device_count={"CPU": 4})
            got, plans = _run(builder, [None] * 3, four, placer=round_robin, monkeypatch=m)
        return ref, got, plans

    ref, got, _ = both()
    for x, y in zip(_flat(ref), _flat(got), strict=True):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=1e-6)
    monkeypatch.setenv("TENSORLET_TRAINER_KERNELS", "numpy")
    ref, got, plans = both()
    _assert_bitwise(ref, got)
    train_plans = [p for p in plans if p.partitioned]
    assert len(train_plans) >= 3  # init, train step, eval (single-variable reads stay on one device)
    assert max(_check_cuts(p) for p in train_plans) > 20


def test_one_recv_per_tensor_and_destination_and_fed_edges_are_not_cut():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [3], name="x")
        with tf.device("/cpu:0"):
            a = tf.exp(x, name="a")
        with tf.device("/cpu:1"):
            b1, b2, b3 = tf.add(a, 1.0), tf.multiply(a, a), tf.add(x, 2.0)
        with tf.device("/cpu:2"):
            c = tf.add_n([a, b1, b2, b3], name="c")
        ops = g.get_operations()
        devs = place(ops, DeviceSet.local(cpus=3))
        ps = partition(ops[1:], devs, {x}, [c])
    recvs = sorted((r.attrs["tensor_name"], r.device[-5:]) for _, r in ps.pairs)
    assert recvs == [
        ("Add:0", "CPU:2"),
        ("Add_1:0", "CPU:2"),
        ("Mul:0", "CPU:2"),
        ("a:0", "CPU:1"),
        ("a:0", "CPU:2"),
    ]
    dot = ps.to_dot()
    assert dot.startswith("digraph") and dot.count("subgraph cluster_") == 3
    assert dot.count("style=dashed") == 5 and '"a:0"' in dot


def test_partitions_are_cached_and_rendezvous_is_empty_after_each_step():
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            v = tf.Variable([1.0, 2.0])
        with tf.device("/cpu:1"):
            y = v * 3.0
        with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
            sess.run(v.initializer)
            for k in itertools.count():
                np.testing.assert_array_equal(sess.run(y), [3.0, 6.0])
                assert sess._rendezvous.pending() == 0
                if k == 2:
                    break
            assert len(sess._plans) == 2 and sess._step_id == 3  # steps count partitioned runs


def test_local_rendezvous_times_out_instead_of_hanging():
    r = LocalRendezvous(timeout=0.05)
    with pytest.raises(RendezvousTimeoutError, match="x:0"):
        r.recv(("x:0", CPU(0), CPU(1)), 1)
    r.send(("x:0", CPU(0), CPU(1)), 1, 5)
    with pytest.raises(RendezvousTimeoutError):
        r.recv(("x:0", CPU(0), CPU(1)), 2)  # another step's value does not match
    assert r.recv(("x:0", CPU(0), CPU(1)), 1) == 5


def test_session_partitions_shows_what_a_run_executes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with tf.device("/cpu:1"):
            y = tf.exp(x, name="y")
        z = tf.add(y, x, name="z")
        with tf.device("/cpu:0"):
            w = tf.negative(z, name="w")
        with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
            assert session_partitions(sess, y, [x]) is None  # one device: the flat plan
            parts = session_partitions(sess, [w], [x])
            np.testing.assert_allclose(sess.run([w], {x: [0.0, 1.0]})[0], -(np.exp([0.0, 1.0]) + [0.0, 1.0]))
            assert len(sess._plans) == 2  # the run reused the plan compiled for inspection
    assert sorted(parts.partitions) == [CPU(0), CPU(1)]
    assert [(s.attrs["tensor_name"], r.device) for s, r in parts.pairs] == [("z:0", CPU(0))]
    assert "z:0" in parts.to_dot()
