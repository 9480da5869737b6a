"""The placer: pins, merged scopes, colocation rules, soft placement, errors and log_device_placement."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.placement import DeviceSet, forward_op_of, place

CPU = "/job:localhost/replica:0/task:0/device:CPU:{}".format


@pytest.fixture
def g():
    with tf.Graph().as_default() as graph:
        yield graph


def _placed(graph, ds=None, soft=False):
    return {
        op.name: d for op, d in place(graph.get_operations(), ds or DeviceSet.local(cpus=4), soft).items()
    }


def test_pinned_and_nested_scopes(g):
    with tf.device("/cpu:1"):
        a = tf.constant(1.0, name="a")
        with tf.device("/job:localhost/task:0"):
            b = tf.constant(2.0, name="b")  # merged: /job:localhost/task:0/cpu:1
        with tf.device("/device:CPU:2"):
            c = tf.add(a, b, name="c")
    p = _placed(g)
    assert (p["a"], p["b"], p["c"]) == (CPU(1), CPU(1), CPU(2))
    assert c.op.device == "/device:CPU:2"
    with tf.Graph().as_default() as g2:
        with tf.device("/job:worker/task:1"):
            tf.constant(3.0, name="e")
            with tf.device("/cpu:1"):
                tf.constant(4.0, name="f")
        tf.constant(5.0, name="free")
    p = _placed(g2, DeviceSet("worker", tasks=2, cpus=2))
    assert p["e"] == "/job:worker/replica:0/task:1/device:CPU:0"
    assert p["f"] == "/job:worker/replica:0/task:1/device:CPU:1"
    assert p["free"] == "/job:worker/replica:0/task:0/device:CPU:0"
    with pytest.raises(InvalidArgumentError, match="'e'.*/job:worker/task:1"):
        _placed(g2)  # no worker job in this process


def test_unpinned_ops_follow_inputs_then_consumers_then_default(g):
    k = tf.constant(2.0, name="k")  # no inputs: goes with its first consumer
    with tf.device("/cpu:3"):
        x = tf.multiply(k, 3.0, name="x")
    y = tf.negative(x, name="y")  # unpinned: with its input
    lone = tf.constant(0.0, name="lone")  # nobody consumes it: default device
    p = _placed(g)
    assert (p["k"], p["x"], p["y"], p["lone"]) == (CPU(3), CPU(3), CPU(3), CPU(0))
    del y, lone


def test_variables_live_with_their_update_ops_and_slots(g):
    with tf.device("/cpu:2"):
        w = tf.Variable(tf.ones([3]), name="w")
    x = tf.placeholder(tf.float32, [3])
    with tf.device("/cpu:1"):
        loss = tf.reduce_sum(w * x, name="loss")
    opt = tf.train.AdamOptimizer(0.1)
    train = opt.minimize(loss)
    devs = place(g.get_operations(), DeviceSet.local(cpus=4))
    by = {op.name: d for op, d in devs.items()}
    assert by["w"] == CPU(2) and by["w/Assign"] == CPU(2)
    for slot in ("m", "v"):
        assert by[opt.get_slot(w, slot).op.name] == CPU(2)
    updates = [op for op in g.get_operations() if op.type == "ApplyAdam"]
    assert updates and all(devs[op] == CPU(2) for op in updates)
    # Gradient ops sit with their forward ops.
    grad_ops = [op for op in g.get_operations() if op.name.startswith("gradients/loss_grad/")]
    assert grad_ops and all(devs[op] == CPU(1) for op in grad_ops)
    del train


def test_gradient_ops_follow_unpinned_forward_ops(g):
    x = tf.placeholder(tf.float32, [2])
    with tf.device("/cpu:1"):
        a = x * 2.0
    b = tf.square(a, name="sq")  # unpinned: placed with its input a (cpu:1)
    (gx,) = tf.gradients(tf.reduce_sum(b), [x])
    ops = g.get_operations()
    by_name = {op.name: op for op in ops}
    devs = place(ops, DeviceSet.local(cpus=2))
    sq_grad = [op for op in ops if op.name.startswith("gradients/sq_grad/")]
    assert sq_grad and all(forward_op_of(op, by_name) is b.op for op in sq_grad)
    assert all(devs[op] == devs[b.op] == CPU(1) for op in sq_grad)
    assert forward_op_of(a.op, by_name) is None
    del gx


def test_missing_device_is_an_error_naming_op_and_device(g):
    with tf.device("/cpu:7"):
        y = tf.constant(1.0, name="far")
    with pytest.raises(InvalidArgumentError, match=r"'far'.*'/cpu:7'.*allow_soft_placement"):
        _placed(g)
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        with pytest.raises(InvalidArgumentError, match="far"):
            sess.run(y)
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2}, allow_soft_placement=True)) as sess:
        assert sess.run(y) == 1.0
    assert _placed(g, DeviceSet.local(cpus=2), soft=True)["far"] == CPU(0)


def test_gpu_without_cupy_errors_or_falls_back(g):
    three = tf.constant(3.0)
    with tf.device("/gpu:0"):
        y = tf.negative(three, name="on_gpu")
    with tf.Session() as sess:
        with pytest.raises(UnimplementedError, match=r"on_gpu.*/gpu:0.*CuPy"):
            sess.run(y)
    cfg = tf.ConfigProto(allow_soft_placement=True, log_device_placement=True)
    with tf.Session(config=cfg) as sess:
        assert sess.run(y) == -3.0
        assert sess._placement[y.op] == CPU(0)


def test_device_count_limits_virtual_cpus_and_default_makes_them_on_demand(g):
    with tf.device("/cpu:3"):
        y = tf.add(tf.constant(1.0), 1.0, name="y")
    assert _placed(g, DeviceSet.from_config(None))["y"] == CPU(3)
    with pytest.raises(InvalidArgumentError, match="available devices"):
        _placed(g, DeviceSet.from_config(tf.ConfigProto(device_count={"CPU": 3})))
    del y


def test_log_device_placement_prints_each_op_once(g, capsys):
    x = tf.placeholder(tf.float32, [2], name="x")
    with tf.device("/cpu:1"):
        y = tf.multiply(x, 2.0, name="double")
    z = tf.add(y, 1.0, name="inc")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True, device_count={"CPU": 2})) as sess:
        for _ in range(2):
            np.testing.assert_array_equal(sess.run(z, {x: [1, 2]}), [3, 5])
    err = capsys.readouterr().err
    assert err.count("double: (Mul): " + CPU(1)) == 1
    assert "inc: (AddV2): " + CPU(1) in err or "inc: (Add): " + CPU(1) in err
    assert "x: (Placeholder)" not in err  # fed: never runs


def test_colocate_with_overrides_device_scopes(g):
    with tf.device("/cpu:2"):
        v = tf.Variable(tf.zeros([2]), name="v")
    with tf.device("/cpu:1"):
        with tf.colocate_with(v):
            near = tf.add(v, 1.0, name="near")
            with tf.colocate_with(None):
                far = tf.add(v, 2.0, name="far")
    p = _placed(g)
    assert (p["v"], p["near"], p["far"]) == (CPU(2), CPU(2), CPU(1))
    assert near.op.colocate == (v.op,) and far.op.colocate == ()
