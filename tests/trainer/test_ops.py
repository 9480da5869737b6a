"""Forward tests of every registered op against numpy, registry rules, and graph-build shape errors."""

from __future__ import annotations

import numpy as np
import pytest
from trainer_op_cases import CASES, OpCase, core_op_types

import trainer as tf
from trainer.errors import AlreadyExistsError, InvalidArgumentError
from trainer.registry import _REGISTRY, get_op_def, register


def run_case(case: OpCase) -> tuple[list[np.ndarray], tf.Graph]:
    g = tf.Graph()
    with g.as_default():
        phs = [
            tf.placeholder(tf.as_dtype(a.dtype), a.shape, name=f"in{i}") for i, a in enumerate(case.inputs)
        ]
        out = case.build(*phs)
        with tf.Session() as sess:
            res = sess.run(out, dict(zip(phs, case.inputs, strict=False)))
    return (res if isinstance(res, list) else [res]), g


def test_every_registered_op_has_a_case():
    missing = set(core_op_types()) - {c.op_type for c in CASES}
    assert not missing, f"registered ops without a case in trainer_op_cases.py: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_matches_numpy(case: OpCase):
    if case.custom is not None:
        case.custom()
        return
    got, g = run_case(case)
    assert case.op_type in {op.type for op in g.get_operations()}, (
        f"{case.name} did not build a {case.op_type}"
    )
    want = case.ref(*case.inputs)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{case.name}: shape {a.shape} != {b.shape}"
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6 if a.dtype == np.float32 else 1e-9)
        else:
            np.testing.assert_array_equal(a, b)


def test_float32_stays_float32():
    x = np.ones((4, 5, 5, 3), np.float32)
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.float32, [None, 5, 5, 3])
        w = tf.constant(np.ones((3, 3, 3, 2), np.float32))
        h = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(p, w, 1, "SAME")), 2, 2, "SAME")
        y = tf.reduce_mean(tf.nn.softmax(tf.reshape(h, [-1, 18]) * 0.5 + 1))
        gr = tf.gradients(y, [p, w])
        with tf.Session() as sess:
            vals = sess.run([h, y] + gr, {p: x})
    assert all(np.asarray(v).dtype == np.float32 for v in vals)


def test_registry_refuses_duplicates_and_needs_explicit_gradient_status():
    with pytest.raises(AlreadyExistsError, match="MatMul"):
        register("MatMul", shape=lambda i, a: None, kernel=lambda c: None, not_differentiable=True)
    with pytest.raises(InvalidArgumentError, match="not_differentiable"):
        register("NoGradientGiven", shape=lambda i, a: None, kernel=lambda c: None)
    assert "NoGradientGiven" not in _REGISTRY
    assert get_op_def("ArgMax").differentiable is False and get_op_def("ArgMax").grad is None


def test_op_type_names_match_schema_where_they_overlap():
    for name in [
        "Add",
        "Sub",
        "Mul",
        "Conv2D",
        "DepthwiseConv2D",
        "MaxPool2D",
        "AveragePool2D",
        "Mean",
        "Relu",
        "Relu6",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "Reshape",
        "Concatenation",
        "Pad",
        "Transpose",
    ]:
        get_op_def(name)


@pytest.mark.parametrize(
    "build, words",
    [
        (
            lambda: tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5]), name="mm"),
            ["mm", "MatMul", "(2, 3)", "(4, 5)"],
        ),
        (lambda: tf.add(tf.zeros([2, 3]), tf.zeros([4])), ["Add", "(2, 3)", "(4,)"]),
        (lambda: tf.reshape(tf.zeros([2, 3]), [4, 2]), ["Reshape", "(2, 3)", "[4, 2]"]),
        (lambda: tf.concat([tf.zeros([2, 3]), tf.zeros([3, 3])], 1), ["Concatenation", "(2, 3)", "(3, 3)"]),
        (
            lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 2, 4]), 1, "SAME"),
            ["Conv2D", "(1, 5, 5, 3)", "(3, 3, 2, 4)"],
        ),
        (lambda: tf.nn.bias_add(tf.zeros([2, 3]), tf.zeros([4])), ["BiasAdd", "(2, 3)", "(4,)"]),
        (lambda: tf.zeros([2, 3]) + tf.zeros([2, 3], tf.int32), ["Add", "float32", "int32"]),
        (lambda: tf.zeros([2, 3])[3], ["strided_slice", "(2, 3)"]),
    ],
)
def test_shape_errors_name_op_and_shapes(build, words):
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError) as e:
            build()
    for w in words:
        assert w in str(e.value), f"{w!r} not in {str(e.value)!r}"


def test_static_shapes_with_unknown_dims():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 28, 28, 1])
        h = tf.nn.conv2d(x, tf.zeros([5, 5, 1, 32]), [1, 1, 1, 1], "SAME")
        p = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
        f = tf.reshape(p, [-1, 14 * 14 * 32])
        assert p.shape.as_list() == [None, 14, 14, 32]
        assert f.get_shape().as_list() == [None, 6272]
        assert tf.reduce_sum(x, axis=[1, 2]).shape.as_list() == [None, 1]
        assert tf.argmax(f, 1).shape.as_list() == [None] and tf.argmax(f, 1).dtype is tf.int64
        assert x[:, 1:].shape.as_list() == [None, 27, 28, 1]
        assert tf.shape(x).shape.as_list() == [4]


def test_runtime_kernel_errors_name_the_op():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 6])
        y = tf.reshape(x, [-1, 4], name="bad_reshape")
        labels = tf.placeholder(tf.int32, [None])
        xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x)
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError, match="bad_reshape"):
                sess.run(y, {x: np.zeros((1, 6))})
            with pytest.raises(InvalidArgumentError, match="labels"):
                sess.run(xent, {x: np.zeros((2, 6)), labels: [0, 6]})


def test_dropout_keep_prob_and_rate_and_seed():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        x = tf.ones([200, 50])
        d1 = tf.nn.dropout(x, 0.5)
        d2 = tf.nn.dropout(x, rate=0.25, seed=5)
        kp = tf.placeholder(tf.float32)
        d3 = tf.nn.dropout(x, keep_prob=kp)
        assert tf.nn.dropout(x, 1.0) is x
        with tf.Session() as sess:
            a, b = sess.run([d1, d2])
            c = sess.run(d3, {kp: 1.0})
    assert set(np.unique(a)) <= {0.0, 2.0} and abs((a > 0).mean() - 0.5) < 0.03
    assert np.allclose(np.unique(b), [0.0, 1 / 0.75]) and abs((b > 0).mean() - 0.75) < 0.03
    np.testing.assert_array_equal(c, np.ones((200, 50)))


def test_moments_and_batch_normalization():
    x = np.random.default_rng(0).normal(3, 2, size=(8, 4, 4, 3))
    with tf.Graph().as_default():
        m, v = tf.nn.moments(tf.constant(x), axes=[0, 1, 2])
        y = tf.nn.batch_normalization(
            tf.constant(x),
            m,
            v,
            offset=tf.constant(np.ones(3)),
            scale=tf.constant(np.full(3, 2.0)),
            variance_epsilon=1e-3,
        )
        with tf.Session() as sess:
            mv, vv, yv = sess.run([m, v, y])
    np.testing.assert_allclose(mv, x.mean((0, 1, 2)))
    np.testing.assert_allclose(vv, x.var((0, 1, 2)))
    np.testing.assert_allclose(yv, 2 * (x - x.mean((0, 1, 2))) / np.sqrt(x.var((0, 1, 2)) + 1e-3) + 1)


def test_tf1_keyword_spellings():
    with tf.Graph().as_default():
        x = tf.constant(np.arange(6.0).reshape(2, 3))
        c = tf.constant(0.1, shape=[2, 2])
        assert c.dtype is tf.float32
        a = tf.reduce_sum(x, 1, keep_dims=True)
        b = tf.reduce_sum(x, reduction_indices=[1], keepdims=True)
        logits = tf.constant([[2.0, 1.0]])
        s1 = tf.nn.softmax_cross_entropy_with_logits(labels=tf.constant([[1.0, 0.0]]), logits=logits)
        with pytest.raises(InvalidArgumentError):
            tf.nn.sparse_softmax_cross_entropy_with_logits(logits, tf.constant([0]))
        with tf.Session() as sess:
            av, bv, cv, sv = sess.run([a, b, c, s1])
    np.testing.assert_array_equal(av, bv)
    np.testing.assert_allclose(cv, np.full((2, 2), 0.1, np.float32))
    np.testing.assert_allclose(sv, [np.log(1 + np.exp(-1.0))], rtol=1e-6)


def test_max_pool_gradient_goes_to_the_first_maximum_on_ties():
    x = np.zeros((1, 4, 4, 1))
    x[0, 2, 3, 0] = x[0, 3, 2, 0] = 5.0  # a tie inside the bottom-right window
    with tf.Graph().as_default():
        p = tf.constant(x)
        (d_valid,) = tf.gradients(tf.reduce_sum(tf.nn.max_pool(p, 2, 2, "VALID")), [p])
        (d_same,) = tf.gradients(tf.reduce_sum(tf.nn.max_pool(p, 3, 2, "SAME")), [p])
        with tf.Session() as sess:
            dv, ds = sess.run([d_valid, d_same])
    want = np.zeros((4, 4))
    want[0, 0] = want[0, 2] = want[2, 0] = want[2, 3] = 1.0  # all-zero windows: their first element
    np.testing.assert_array_equal(dv[0, :, :, 0], want)
    # SAME 3x3 stride 2 on 4x4: padding (0, 1); windows rows/cols {0, 1, 2} and {2, 3}. The all-zero window
    # gives (0, 0); the windows holding one 5 give (2, 3) and (3, 2); the last window holds both 5s and its
    # first maximum in row-major order is (2, 3).
    want_same = np.zeros((4, 4))
    want_same[0, 0] = 1.0
    want_same[2, 3] = 2.0
    want_same[3, 2] = 1.0
    np.testing.assert_array_equal(ds[0, :, :, 0], want_same)
