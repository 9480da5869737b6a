"""Session: fetch structures, feeds, pruning, plan caching, errors, default sessions, variables."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import trainer as tf
from trainer.errors import FailedPreconditionError, InvalidArgumentError


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def test_fetch_structures(g):
    a = tf.constant(1.0, name="a")
    b = tf.constant([2, 3], name="b")
    op = tf.no_op(name="nothing")
    Pair = collections.namedtuple("Pair", "x y")
    with tf.Session() as sess:
        assert sess.run(a) == 1.0
        assert sess.run("a:0") == 1.0 and sess.run("nothing") is None
        res = sess.run({"k": [a, (b, op)], "p": Pair(a, "b:0")})
        assert res["k"][0] == 1.0 and res["k"][1][1] is None
        np.testing.assert_array_equal(res["k"][1][0], [2, 3])
        assert isinstance(res["p"], Pair) and res["p"].x == 1.0
        assert sess.run([]) == [] and sess.run(op) is None


def test_feeds_cut_the_graph_and_prune(g):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = x * 2
    z = y + 1
    other = tf.placeholder(tf.float32, name="unused")
    with tf.Session() as sess:
        # feeding y means x need not be fed; the unfed, unneeded placeholder is pruned away
        np.testing.assert_array_equal(sess.run(z, {y: [[1.0, 1.0]]}), [[2.0, 2.0]])
        np.testing.assert_array_equal(sess.run(z, {"x:0": [[1.0, 2.0]]}), [[3.0, 5.0]])
        with pytest.raises(InvalidArgumentError, match="unused"):
            sess.run(other * 2)
        assert sess.run(y, {y: np.ones((1, 2), np.float32)}).tolist() == [[1.0, 1.0]]


def test_unfed_placeholder_error_names_it(g):
    x = tf.placeholder(tf.float32, [None, 784], name="images")
    with tf.Session() as sess, pytest.raises(InvalidArgumentError, match="images"):
        sess.run(x + 1)


def test_feed_shape_and_dtype_checks(g):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    i = tf.placeholder(tf.int32, [2], name="i")
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"shape \(2, 4\).*x:0"):
            sess.run(x, {x: np.zeros((2, 4))})
        with pytest.raises(InvalidArgumentError, match="x:0"):
            sess.run(x, {x: np.zeros(3)})
        assert sess.run(x, {x: [[1, 2, 3]]}).dtype == np.float32  # lists and ints convert losslessly
        assert sess.run(x, {x: np.ones((1, 3))}).dtype == np.float32
        np.testing.assert_array_equal(sess.run(i, {i: [1.0, 2.0]}), [1, 2])
        with pytest.raises(InvalidArgumentError, match="without loss"):
            sess.run(i, {i: [1.5, 2.0]})
        with pytest.raises(InvalidArgumentError, match="without loss"):
            sess.run(i, {i: np.array([2**40, 1], np.int64)})


def test_uninitialized_variable_is_failed_precondition_naming_it(g):
    w = tf.Variable(tf.zeros([2]), name="weights")
    with tf.Session() as sess:
        with pytest.raises(FailedPreconditionError, match="weights"):
            sess.run(w * 2)
        sess.run(tf.variables_initializer([w]))
        np.testing.assert_array_equal(sess.run(w * 2), [0, 0])


def test_variables_live_in_the_session(g):
    v = tf.Variable(np.array([1.0, 2.0], np.float32), name="v")
    inc = v.assign_add([1.0, 1.0])
    s1, s2 = tf.Session(), tf.Session()
    s1.run(tf.global_variables_initializer())
    s2.run(tf.global_variables_initializer())
    s1.run(inc)
    out = s1.run(v)
    out[0] = 100.0  # fetched values are copies: mutating them never touches the session's state
    np.testing.assert_array_equal(s1.run(v), [2.0, 3.0])
    np.testing.assert_array_equal(s2.run(v), [1.0, 2.0])
    v.load([5.0, 6.0], s2)
    np.testing.assert_array_equal(s2.run(v.read_value()), [5.0, 6.0])
    assert v.value().op is v.op and v.shape.as_list() == [2] and v.dtype is tf.float32
    s1.close()
    with pytest.raises(InvalidArgumentError, match="closed"):
        s1.run(v)


def test_variable_api(g):
    v = tf.Variable(lambda: tf.ones([2, 2]), name="w", dtype=tf.float32)
    c = tf.Variable(3, name="counter", trainable=False)
    assert c.dtype is tf.int32 and c not in tf.trainable_variables()
    y = v * 2 + 1  # a Variable behaves like a tensor
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(y), np.full((2, 2), 3.0))
        sess.run(v.assign(tf.zeros([2, 2])))
        sess.run(c.assign_sub(1))
        assert sess.run(tf.reduce_sum(v)) == 0.0 and sess.run(c) == 2
        with pytest.raises(InvalidArgumentError):
            v.assign(tf.zeros([3]))


def test_plan_is_cached_per_signature(g):
    x = tf.placeholder(tf.float32, [None])
    y = x + 1
    z = y * 2
    with tf.Session() as sess:
        for k in range(3):
            sess.run([y, z], {x: [k]})
        assert len(sess._plans) == 1
        sess.run(z, {x: [1.0]})
        sess.run(z, {y: [1.0]})
        assert len(sess._plans) == 3
        plan = sess._plans[((y, z), (x,))]
        assert [s.op.type for s in plan.steps] == ["Const", "Add", "Const", "Mul"]


def test_default_session_eval_and_run(g):
    v = tf.Variable(2.0)
    x = tf.placeholder(tf.float32)
    with pytest.raises(InvalidArgumentError, match="default session"):
        v.eval()
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        tf.global_variables_initializer().run()
        assert v.eval() == 2.0 and (x * v).eval({x: 3.0}) == 6.0
    assert tf.get_default_session() is None
    sess = tf.InteractiveSession()
    try:
        tf.global_variables_initializer().run()
        assert (v + 1).eval() == 3.0
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_session_makes_its_graph_default():
    g1 = tf.Graph()
    with g1.as_default():
        c = tf.constant(4.0)
    with tf.Session(graph=g1) as sess:
        assert tf.get_default_graph() is g1
        assert sess.run(c * 2) == 8.0
    other = tf.Session(graph=tf.Graph())
    with pytest.raises(InvalidArgumentError, match="another graph"):
        other.run(c)


def test_config_proto_is_accepted(g):
    cfg = tf.ConfigProto(
        device_count={"CPU": 2},
        allow_soft_placement=True,
        log_device_placement=False,
        gpu_options=tf.GPUOptions(allow_growth=True),
    )
    assert cfg.device_count == {"CPU": 2} and cfg.allow_soft_placement and cfg.gpu_options.allow_growth
    with tf.Session(config=cfg) as sess:
        assert sess.config is cfg and sess.run(tf.constant(1)) == 1


def test_placeholder_with_default(g):
    d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), shape=[None])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(d), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(d, {d: [5.0, 6.0, 7.0]}), [5.0, 6.0, 7.0])


def test_session_overhead_per_op_is_small(g):
    """A chain of 200 tiny ops: the cached plan runs them in well under 2 ms (about 1-2 us/op here)."""
    import time

    x = tf.placeholder(tf.float32, [4])
    y = x
    for _ in range(200):
        y = y + 1.0
    feed = {x: np.zeros(4, np.float32)}
    with tf.Session() as sess:
        sess.run(y, feed)
        t = time.perf_counter()
        for _ in range(20):
            out = sess.run(y, feed)
        per_run = (time.perf_counter() - t) / 20
    np.testing.assert_array_equal(out, np.full(4, 200.0))
    assert per_run < 0.01, f"{per_run * 1e3:.2f} ms per run of 400 ops"
