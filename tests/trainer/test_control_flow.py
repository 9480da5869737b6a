"""tf.cond, tf.case and tf.while_loop: TF1 semantics, structures, errors and devices. Their numeric gradient
checks are op cases (control_flow_op_cases.py, run by test_gradients.py)."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError


def test_only_the_taken_branch_runs_its_side_effects():
    with tf.Graph().as_default():
        v = tf.Variable(0.0)
        p = tf.placeholder(tf.bool, [])
        out = tf.cond(p, lambda: tf.assign_add(v, 1.0), lambda: tf.assign_add(v, 10.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = [float(sess.run(out, {p: b})) for b in (True, True, False, True)]
            assert got == [1.0, 2.0, 12.0, 13.0]
            assert sess.run(v) == 13.0


def test_ops_built_outside_a_branch_always_run_as_in_tf1():
    with tf.Graph().as_default():
        v = tf.Variable(0.0)
        inc = tf.assign_add(v, 1.0)
        out = tf.cond(tf.constant(False), lambda: inc, lambda: tf.constant(-1.0))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(out) == -1.0
            assert sess.run(v) == 1.0  # inc is an input of the cond: computed before it


def test_cond_structures_strict_and_returned_ops():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        v = tf.Variable(5.0)
        single = tf.cond(tf.reduce_sum(x) > 0, lambda: [x * 2], lambda: [x * 3])
        strict = tf.cond(tf.reduce_sum(x) > 0, lambda: [x * 2], lambda: [x * 3], strict=True)
        pair = tf.cond(
            tf.reduce_sum(x) > 0, lambda: {"a": x, "b": (x + 1, x - 1)}, lambda: {"a": -x, "b": (x, x)}
        )
        op = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.assign(v, 1.0).op, lambda: tf.assign(v, -1.0).op)
        assert isinstance(single, tf.Tensor) and isinstance(strict, list)
        assert single.shape.as_list() == [None]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            s, (st,), p = sess.run([single, strict, pair], {x: [1.0, 2.0]})
            np.testing.assert_allclose(s, [2, 4])
            np.testing.assert_allclose(st, [2, 4])
            np.testing.assert_allclose(p["b"][0], [2, 3])
            sess.run(op, {x: [-1.0]})
            assert sess.run(v) == -1.0


def test_cond_errors_name_the_problem():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0])
        with pytest.raises(InvalidArgumentError, match="bool scalar"):
            tf.cond(x, lambda: x, lambda: x)
        with pytest.raises(InvalidArgumentError, match="true_fn and false_fn differ"):
            tf.cond(tf.constant(True), lambda: (x, x), lambda: x)
        with pytest.raises(InvalidArgumentError, match="float32 and int32"):
            tf.cond(tf.constant(True), lambda: x, lambda: tf.constant([1, 2]))


def test_case_picks_the_first_true_predicate_else_default():
    with tf.Graph().as_default():
        k = tf.placeholder(tf.int32, [])
        out = tf.case(
            [(tf.equal(k, 1), lambda: tf.constant(10)), (tf.less(k, 3), lambda: tf.constant(20))],
            default=lambda: tf.constant(30),
        )
        no_default = tf.case({tf.equal(k, 1): lambda: tf.constant(1), tf.equal(k, 2): lambda: tf.constant(2)})
        with tf.Session() as sess:
            assert [int(sess.run(out, {k: i})) for i in (1, 2, 5)] == [10, 20, 30]
            assert [int(sess.run(no_default, {k: i})) for i in (1, 2, 7)] == [1, 2, 2]


State = collections.namedtuple("State", ["total", "items"])


def test_while_loop_nested_structures_and_maximum_iterations():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [])

        def body(i, s):
            return i + 1, State(s.total + tf.cast(i, tf.float32), {"sq": s.items["sq"] * 2.0})

        i, s = tf.while_loop(
            lambda i, s: i < n, body, [tf.constant(0), State(tf.constant(0.0), {"sq": tf.ones([2])})]
        )
        capped = tf.while_loop(lambda j: j < 100, lambda j: j + 1, [0], maximum_iterations=n)
        assert isinstance(s, State) and isinstance(capped, tf.Tensor)
        with tf.Session() as sess:
            iv, sv, cv = sess.run([i, s, capped], {n: 4})
    assert iv == 4 and sv.total == 6.0 and cv == 4
    np.testing.assert_allclose(sv.items["sq"], [16, 16])


def test_shape_invariants_allow_growing_loop_vars():
    with tf.Graph().as_default():
        x0 = tf.zeros([1, 2])
        with pytest.raises(InvalidArgumentError, match="shape_invariants"):
            tf.while_loop(lambda x: tf.shape(x)[0] < 4, lambda x: tf.concat([x, x], 0), [x0])
        out = tf.while_loop(
            lambda x: tf.shape(x)[0] < 4,
            lambda x: tf.concat([x, x + 1], 0),
            [x0],
            shape_invariants=[tf.TensorShape([None, 2])],
        )
        assert out.shape.as_list() == [None, 2]
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(out)[:, 0], [0, 1, 1, 2])


def test_gradients_through_loop_with_variables_and_back_prop_false():
    with tf.Graph().as_default():
        w = tf.Variable(0.5, dtype=tf.float64)
        x = tf.constant(2.0, tf.float64)
        _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * w), [0, x])  # y = x * w^3
        _, z = tf.while_loop(lambda i, z: i < 3, lambda i, z: (i + 1, z * w), [0, x], back_prop=False)
        gw, gx = tf.gradients(y, [w, x])
        assert tf.gradients(z, [w]) == [None]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run([gw, gx]), [3 * 2.0 * 0.25, 0.125])


def test_variables_created_in_a_loop_body_live_outside_it():
    with tf.Graph().as_default():

        def body(i, h):
            w = tf.get_variable("w", [], initializer=tf.constant_initializer(2.0))
            return i + 1, h * w

        with tf.variable_scope("net", reuse=tf.AUTO_REUSE):
            _, h = tf.while_loop(lambda i, h: i < 3, body, [0, 1.0])
        assert [v.name for v in tf.global_variables()] == ["net/w:0"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(h) == 8.0


def test_control_flow_with_devices():
    """The body runs on its op's device; a body op pinned elsewhere is refused with a message."""
    config = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Graph().as_default():
        with tf.device("/cpu:1"):
            a = tf.constant(3.0)
        with tf.device("/cpu:0"):
            out = tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s + a), [0, 1.0])[1]
        with tf.Session(config=config) as sess:
            assert sess.run(out) == 7.0
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):

            def body(i):
                with tf.device("/cpu:1"):
                    return i + 1

            out = tf.while_loop(lambda i: i < 2, body, [0])
        with tf.Session(config=config) as sess:
            with pytest.raises(InvalidArgumentError, match="must sit on one device"):
                sess.run(out)


@pytest.mark.parametrize(
    "module",
    [
        "trainer.ops.control_flow",
        "trainer.nest",
        "trainer.rnn.cells",
        "trainer.rnn.rnn",
        "trainer.train.moving_averages",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_classic_batch_norm_with_cond_and_moving_averages():
    """The TF1 idiom: the moving averages update only in the training branch; inference reads them."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        is_training = tf.placeholder(tf.bool)
        batch_mean, batch_var = tf.nn.moments(x, [0])
        ema = tf.train.ExponentialMovingAverage(decay=0.5)

        def mean_var_with_update():
            with tf.control_dependencies([ema.apply([batch_mean, batch_var])]):
                return tf.identity(batch_mean), tf.identity(batch_var)

        mean, var = tf.cond(
            is_training, mean_var_with_update, lambda: (ema.average(batch_mean), ema.average(batch_var))
        )
        assert tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES) == []  # TF1 lists variables only
        xv = np.arange(12, dtype=np.float32).reshape(4, 3)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run(mean, {x: xv, is_training: False}), 0)
            np.testing.assert_allclose(sess.run(mean, {x: xv, is_training: True}), xv.mean(0))
            np.testing.assert_allclose(sess.run(mean, {x: xv, is_training: False}), 0.5 * xv.mean(0))
            sess.run(mean, {x: xv, is_training: True})
            np.testing.assert_allclose(sess.run(var, {x: xv, is_training: False}), 0.75 * xv.var(0))


def test_maximum_iterations_from_a_dynamic_shape():
    """A trip count read from tf.shape(x)[0] (a numpy scalar on the CPU) and tf.range of it."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        n = tf.shape(x)[0]
        count = tf.while_loop(lambda i: True, lambda i: i + 1, [0], maximum_iterations=n)
        with tf.Session() as sess:
            c, r = sess.run([count, tf.range(0, n) * 3], {x: np.ones((4, 3))})
    assert c == 4
    np.testing.assert_array_equal(r, [0, 3, 6, 9])
