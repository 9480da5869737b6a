"""Graph core: names and scopes, collections, devices, control dependencies, tensors and operators."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf
from trainer.backend import get_backend, parse_device
from trainer.errors import InvalidArgumentError, NotFoundError, UnimplementedError


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def test_default_graph_and_reset():
    g0 = tf.get_default_graph()
    g1 = tf.Graph()
    with g1.as_default():
        assert tf.get_default_graph() is g1
        with pytest.raises(InvalidArgumentError):
            tf.reset_default_graph()
    assert tf.get_default_graph() is g0
    tf.reset_default_graph()
    assert tf.get_default_graph() is not g0


def test_deterministic_scoped_names(g):
    with tf.name_scope("dense"):
        a = tf.matmul(tf.ones([1, 2]), tf.ones([2, 2]))
    with tf.name_scope("dense"):
        b = tf.matmul(tf.ones([1, 2]), tf.ones([2, 2]))
        c = tf.matmul(tf.ones([1, 2]), tf.ones([2, 2]))
    with tf.name_scope("outer") as scope:
        assert scope == "outer/"
        with tf.name_scope("inner"):
            d = tf.add(1.0, 2.0, name="sum")
        with tf.name_scope(scope):
            e = tf.identity(d, name="again")
    assert (a.name, b.name, c.name) == ("dense/MatMul:0", "dense_1/MatMul:0", "dense_1/MatMul_1:0")
    assert d.name == "outer/inner/sum:0" and e.op.name == "outer/again"
    assert tf.constant(1.0, name="x").op.name == "x" and tf.constant(1.0, name="x").op.name == "x_1"
    with tf.variable_scope("vs"):
        v = tf.Variable(1.0, name="w")
    assert v.name == "vs/w:0" and v.op.name == "vs/w" and v.initializer.name == "vs/w/Assign"
    assert g.get_operation_by_name("dense_1/MatMul") is b.op
    assert g.get_tensor_by_name("dense/MatMul:0") is a
    with pytest.raises(NotFoundError):
        g.get_operation_by_name("nope")


def test_operation_and_tensor_fields(g):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.matmul(x, tf.ones([3, 2]), transpose_b=False, name="y")
    assert y.op.type == "MatMul" and y.op.inputs[0] is x and y.op.outputs == (y,)
    assert y.op.get_attr("transpose_a") is False and y.op.attrs["transpose_b"] is False
    assert y.dtype is tf.float32 and y.shape.as_list() == [None, 2] and y.get_shape()[1].value == 2
    assert int(y.shape[1]) == 2 and y.shape[0].value is None and str(y.shape) == "(?, 2)"
    assert y.graph is g and y.value_index == 0
    with pytest.raises(TypeError):
        bool(y)


def test_collections(g):
    w = tf.Variable(tf.zeros([2]), name="w")
    s = tf.Variable(0, trainable=False, name="step")
    assert tf.global_variables() == [w, s] and tf.trainable_variables() == [w]
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) == [w, s]
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, w.op)
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(1.0))
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == [w.op]
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1
    assert tf.get_collection("variables", scope="st") == [s]
    assert tf.get_collection("missing") == []


def test_devices_are_recorded_and_backends_resolved(g):
    with tf.device("/cpu:0"):
        a = tf.constant(1.0)
        with tf.device("/gpu:1"):
            b = tf.constant(2.0)
            with tf.device(None):
                c = tf.constant(3.0)
    assert (a.op.device, b.op.device, c.op.device, tf.constant(0.0).op.device) == ("/cpu:0", "/gpu:1", "", "")
    assert parse_device("/job:worker/task:1/device:CPU:2") == ("CPU", 2)
    assert parse_device("/job:worker/task:1") == ("CPU", 0)
    assert get_backend("/cpu:3").xp is np
    with pytest.raises(UnimplementedError, match="GPU"):
        get_backend("/gpu:0")
    with tf.Session() as sess:
        assert sess.run(a) == 1.0
        with pytest.raises(UnimplementedError, match="gpu:1"):
            sess.run(b)


def test_control_dependencies_order_execution(g):
    v = tf.Variable(1.0)
    with tf.control_dependencies([v.assign(10.0)]):
        read = tf.identity(v.value())
        with tf.control_dependencies(None):
            free = tf.identity(v.value())
    assert read.op.control_inputs and not free.op.control_inputs
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(free) == 1.0
        assert sess.run(read) == 10.0


def test_group_tuple_no_op(g):
    v = tf.Variable(0.0)
    a, b = v.assign_add(1.0), v.assign_add(2.0)
    grp = tf.group(a, b)
    assert grp.type == "NoOp" and set(grp.control_inputs) == {a.op, b.op}
    t1, t2 = tf.tuple([tf.constant(1.0), tf.constant(2.0)], control_inputs=[a])
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(grp)
        assert sess.run(v) == 3.0
        assert sess.run([t1, t2]) == [1.0, 2.0] and sess.run(v) == 4.0


def test_python_operators_build_ops(g):
    x = tf.constant(np.array([[1.0, -2.0], [3.0, 4.0]]))
    m = np.array([[2.0, 0.0], [1.0, 1.0]])
    exprs = {
        "x + 1": (x + 1, m * 0 + np.array([[2, -1], [4, 5]])),
        "1 - x": (1 - x, 1 - x_np()),
        "x * x": (x * x, x_np() ** 2),
        "x / 2": (x / 2, x_np() / 2),
        "7 // x": (7.0 // x, 7.0 // x_np()),
        "x % 3": (x % 3, x_np() % 3),
        "x @ m": (x @ m, x_np() @ m),
        "m @ x": (m @ x, m @ x_np()),
        "x ** 2": (x**2, x_np() ** 2),
        "-x": (-x, -x_np()),
        "abs": (abs(x), np.abs(x_np())),
        "x < 2": (x < 2, x_np() < 2),
        "x >= 3": (x >= 3, x_np() >= 3),
        "np + x": (np.ones(2) + x, 1 + x_np()),
        "x[1]": (x[1], x_np()[1]),
        "x[:, ::-1]": (x[:, ::-1], x_np()[:, ::-1]),
        "x[..., tf.newaxis]": (x[..., tf.newaxis], x_np()[..., None]),
        "x[0, 1]": (x[0, 1], x_np()[0, 1]),
    }
    assert isinstance(exprs["np + x"][0], tf.Tensor)
    with tf.Session() as sess:
        for k, (t, want) in exprs.items():
            np.testing.assert_array_equal(sess.run(t), want, err_msg=k)
    assert x[0].op.type == "StridedSlice" and (x @ m).op.type == "MatMul" and (x < 2).dtype is tf.bool


def x_np():
    return np.array([[1.0, -2.0], [3.0, 4.0]])


def test_python_scalars_take_the_tensor_dtype(g):
    h = tf.placeholder(tf.float16, [2])
    i = tf.placeholder(tf.int64, [2])
    assert (h * 2.5).dtype is tf.float16 and (i + 1).dtype is tf.int64 and (3 - i).dtype is tf.int64
    assert (i / 2).dtype is tf.float64
    with pytest.raises(InvalidArgumentError):
        i + 0.5  # noqa: B018 - a lossy conversion must fail at build time
    for d in [tf.float16, tf.float32, tf.float64, tf.int8, tf.uint8, tf.int16, tf.int32, tf.int64, tf.bool]:
        assert tf.as_dtype(d.name) is d and tf.as_dtype(d.as_numpy_dtype) is d
    assert tf.constant(1).dtype is tf.int32 and tf.constant(1.0).dtype is tf.float32
    assert tf.constant(np.float64(1.0)).dtype is tf.float64 and tf.constant(True).dtype is tf.bool


def test_random_seed_semantics():
    def draw(graph_seed, op_seed, extra_ops=0):
        with tf.Graph().as_default():
            if graph_seed is not None:
                tf.set_random_seed(graph_seed)
            for _ in range(extra_ops):
                tf.constant(0.0)
            t = tf.random_uniform([5], seed=op_seed)
            with tf.Session() as sess:
                return sess.run(t), sess.run(t)

    a1, a2 = draw(1, None)
    b1, b2 = draw(1, None)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)
    c1, _ = draw(2, None)
    assert not np.array_equal(a1, c1)
    d1, _ = draw(None, 5)
    e1, _ = draw(None, 5, extra_ops=3)  # an explicit op seed does not depend on the op's position
    np.testing.assert_array_equal(d1, e1)
    f1, _ = draw(None, None)
    h1, _ = draw(None, None)
    assert not np.array_equal(f1, h1)


def test_finalized_graph_refuses_new_ops(g):
    g.finalize()
    with pytest.raises(InvalidArgumentError, match="finalized"):
        tf.constant(1.0)


def test_nested_device_scopes_merge(g):
    with tf.device("/job:worker/task:1"):
        with tf.device("/gpu:0"):
            a = tf.constant(1.0)
        with tf.device("/task:2"):
            b = tf.constant(1.0)
    with tf.device("/cpu:0"), tf.device("/device:CPU:1"):
        c = tf.constant(1.0)
    assert a.op.device == "/job:worker/task:1/gpu:0"
    assert b.op.device == "/job:worker/task:2"
    assert c.op.device == "/device:CPU:1"


def test_get_variable_and_reuse(g):
    with tf.variable_scope("layer1"):
        w = tf.get_variable("W", [3, 2], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [2], initializer=tf.constant_initializer(0.5))
        with pytest.raises(InvalidArgumentError, match="already exists"):
            tf.get_variable("W", [3, 2])
    with tf.variable_scope("layer1", reuse=True):
        assert tf.get_variable("W") is w
        with pytest.raises(InvalidArgumentError, match="does not exist"):
            tf.get_variable("missing", [1])
    with tf.variable_scope("layer1") as scope:
        scope.reuse_variables()
        assert tf.get_variable("b", [2]) is b
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        u1 = tf.get_variable("u", [2, 2])
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        u2 = tf.get_variable("u", [2, 2])
    assert u1 is u2 and w.name == "layer1/W:0" and u1.name == "auto/u:0"
    assert w in tf.trainable_variables() and len(tf.global_variables()) == 3
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w), np.zeros((3, 2)))
        np.testing.assert_array_equal(sess.run(b), [0.5, 0.5])
        u = sess.run(u1)
        lim = np.sqrt(6 / 4)  # default Glorot-uniform
        assert np.all(np.abs(u) <= lim) and u.std() > 0
