"""Optimizers against hand-written numpy steps of TF1's formulas, convergence, global step, decay."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.registry import get_op_def

TARGET_W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
TARGET_B = np.array([0.3, -0.2, 0.1], np.float32)
W0 = np.array([[1.0, 2.0, -3.0], [0.5, -0.5, 4.0]], np.float32)
B0 = np.array([0.0, 1.0, -1.0], np.float32)


def _problem():
    """Two variables; loss = 0.5*|w - TW|^2 + 0.5*|3b - TB|^2, so dL/dw = w - TW and dL/db = 3(3b - TB)."""
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(W0, name="w")
        b = tf.Variable(B0, name="b")
        loss = 0.5 * tf.reduce_sum(tf.square(w - TARGET_W)) + 0.5 * tf.reduce_sum(
            tf.square(3.0 * b - TARGET_B)
        )
    return g, w, b, loss


def _grads(w, b):
    return [w - TARGET_W, 3.0 * (3.0 * b - TARGET_B)]


def _run(make_opt, steps=4):
    g, w, b, loss = _problem()
    with g.as_default():
        opt = make_opt()
        train = opt.minimize(loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        out = []
        for _ in range(steps):
            sess.run(train)
            out.append(sess.run([w, b]))
    return out, opt, sess, (w, b)


def _check(got, want):
    for (gw, gb), (ww, wb) in zip(got, want, strict=True):
        assert gw.dtype == gb.dtype == np.float32  # updates never upcast the variables
        np.testing.assert_allclose(gw, ww, rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(gb, wb, rtol=2e-5, atol=1e-6)


def test_gradient_descent_formula():
    lr = 0.1
    got, _, _, (w, _) = _run(lambda: tf.train.GradientDescentOptimizer(lr))
    params = [W0.astype(np.float64), B0.astype(np.float64)]
    want = []
    for _ in range(4):
        params = [p - lr * g for p, g in zip(params, _grads(*params), strict=True)]
        want.append([p.copy() for p in params])
    _check(got, want)
    assert got[-1][0].dtype == np.float32


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_formula(nesterov):
    lr, mu = 0.05, 0.9
    got, opt, _, (w, b) = _run(lambda: tf.train.MomentumOptimizer(lr, mu, use_nesterov=nesterov))
    params = [W0.astype(np.float64), B0.astype(np.float64)]
    accum = [np.zeros_like(p) for p in params]
    want = []
    for _ in range(4):
        grads = _grads(*params)
        for i, g in enumerate(grads):
            accum[i] = mu * accum[i] + g
            step = lr * g + lr * mu * accum[i] if nesterov else lr * accum[i]
            params[i] = params[i] - step
        want.append([p.copy() for p in params])
    _check(got, want)
    assert opt.get_slot_names() == ["momentum"]
    assert opt.get_slot(w, "momentum").op.name == "w/Momentum"


def test_adam_formula_and_slots():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    got, opt, sess, (w, b) = _run(lambda: tf.train.AdamOptimizer(lr))
    params = [W0.astype(np.float64), B0.astype(np.float64)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    want = []
    for t in range(1, 5):
        grads = _grads(*params)
        lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            params[i] = params[i] - lr_t * m[i] / (np.sqrt(v[i]) + eps)  # epsilon-hat: after the correction
        want.append([p.copy() for p in params])
    _check(got, want)
    names = {s.op.name for s in opt.variables()}
    assert names == {"beta1_power", "beta2_power", "w/Adam", "w/Adam_1", "b/Adam", "b/Adam_1"}
    with w.graph.as_default():
        assert {v.op.name for v in tf.trainable_variables()} == {"w", "b"}
        assert names <= {v.op.name for v in tf.global_variables()}
    np.testing.assert_allclose(sess.run(opt.get_slot(w, "m")), m[0], rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(sess.run(opt.get_slot(b, "v")), v[1], rtol=2e-5, atol=1e-9)
    beta1_power = [x for x in opt.variables() if x.op.name == "beta1_power"][0]
    np.testing.assert_allclose(sess.run(beta1_power), b1**5, rtol=1e-6)


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_formula(centered, momentum):
    lr, rho, eps = 0.01, 0.9, 1e-10
    got, opt, _, (w, _) = _run(lambda: tf.train.RMSPropOptimizer(lr, momentum=momentum, centered=centered))
    params = [W0.astype(np.float64), B0.astype(np.float64)]
    ms = [np.ones_like(p) for p in params]  # TF1 starts the rms slot at ones
    mg = [np.zeros_like(p) for p in params]
    mom = [np.zeros_like(p) for p in params]
    want = []
    for _ in range(4):
        for i, g in enumerate(_grads(*params)):
            ms[i] = ms[i] + (g * g - ms[i]) * (1 - rho)
            denom = ms[i] + eps
            if centered:
                mg[i] = mg[i] + (g - mg[i]) * (1 - rho)
                denom = ms[i] - mg[i] ** 2 + eps
            mom[i] = momentum * mom[i] + lr * g / np.sqrt(denom)
            params[i] = params[i] - mom[i]
        want.append([p.copy() for p in params])
    _check(got, want)
    expected = ["mg", "momentum", "rms"] if centered else ["momentum", "rms"]
    assert opt.get_slot_names() == expected
    assert opt.get_slot(w, "rms").op.name == "w/RMSProp"


@pytest.mark.parametrize(
    "make",
    [
        lambda: tf.train.GradientDescentOptimizer(0.1),
        lambda: tf.train.MomentumOptimizer(0.05, 0.9),
        lambda: tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
        lambda: tf.train.AdamOptimizer(0.1),
        lambda: tf.train.RMSPropOptimizer(0.01, momentum=0.9),
    ],
)
def test_minimize_quadratic_converges(make):
    out, _, _, _ = _run(make, steps=300)
    w, b = out[-1]
    np.testing.assert_allclose(w, TARGET_W, atol=2e-2)
    np.testing.assert_allclose(b, TARGET_B / 3.0, atol=2e-2)


def test_update_ops_declared_stateful_and_not_differentiable():
    for name in (
        "ApplyGradientDescent",
        "ApplyMomentum",
        "ApplyAdam",
        "ApplyRMSProp",
        "ApplyCenteredRMSProp",
    ):
        d = get_op_def(name)
        assert not d.differentiable and d.stateful and d.grad is None


def test_global_step_and_var_list():
    g, w, b, loss = _problem()
    with g.as_default():
        step = tf.train.get_or_create_global_step()
        assert tf.train.get_or_create_global_step() is step
        assert step.op.name == "global_step" and step.dtype == tf.int64 and not step.trainable
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step, var_list=[w])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            assert int(sess.run(step)) == 3
            np.testing.assert_array_equal(sess.run(b), B0)  # not in var_list
            assert not np.array_equal(sess.run(w), W0)
        with pytest.raises(InvalidArgumentError, match="global step"):
            tf.train.create_global_step()


def test_compute_and_apply_gradients_skip_none():
    g, w, b, loss = _problem()
    with g.as_default():
        unused = tf.Variable(1.0, name="unused")
        opt = tf.train.GradientDescentOptimizer(0.5)
        gv = opt.compute_gradients(loss, [w, b, unused])
        assert [v for _, v in gv] == [w, b, unused] and gv[2][0] is None
        train = opt.apply_gradients(gv)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(train)
            assert float(sess.run(unused)) == 1.0
            np.testing.assert_allclose(sess.run(w), W0 - 0.5 * (W0 - TARGET_W), rtol=1e-6)
        with pytest.raises(InvalidArgumentError, match="No gradients"):
            opt.minimize(loss, var_list=[unused])
        with pytest.raises(InvalidArgumentError, match="shape"):
            opt.apply_gradients([(tf.zeros([5]), w)])


def test_exponential_decay():
    g = tf.Graph()
    with g.as_default():
        step = tf.train.get_or_create_global_step()
        smooth = tf.train.exponential_decay(0.1, step, decay_steps=10, decay_rate=0.5)
        stairs = tf.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
        set_step = step.assign(tf.constant(15, dtype=tf.int64))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run([smooth, stairs]), [0.1, 0.1], rtol=1e-6)
            sess.run(set_step)
            np.testing.assert_allclose(sess.run(smooth), 0.1 * 0.5**1.5, rtol=1e-6)
            np.testing.assert_allclose(sess.run(stairs), 0.05, rtol=1e-6)
        with pytest.raises(InvalidArgumentError, match="decay_steps"):
            tf.train.exponential_decay(0.1, step, 0, 0.5)


def test_decayed_learning_rate_drives_optimizer():
    g = tf.Graph()
    with g.as_default():
        x = tf.Variable(1.0, name="x")
        step = tf.train.get_or_create_global_step()
        lr = tf.train.exponential_decay(1.0, step, decay_steps=1, decay_rate=0.5, staircase=True)
        train = tf.train.GradientDescentOptimizer(lr).minimize(x * 1.0, global_step=step)  # grad 1
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train)
            np.testing.assert_allclose(sess.run(x), 1.0 - (1.0 + 0.5 + 0.25), rtol=1e-6)


def test_reinitializing_restores_initial_values():
    """Updates are in place: they must not write through into the initial value's array."""
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(tf.constant([1.0, 2.0]), name="w")
        train = tf.train.AdamOptimizer(0.5).minimize(tf.reduce_sum(tf.square(w)))
        init = tf.global_variables_initializer()
        with tf.Session() as sess:
            sess.run(init)
            first = [sess.run(train) or sess.run(w) for _ in range(3)]
            sess.run(init)
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])
            second = [sess.run(train) or sess.run(w) for _ in range(3)]
            np.testing.assert_array_equal(first, second)


def test_fetched_values_are_not_overwritten_by_later_steps():
    g, w, b, loss = _problem()
    with g.as_default():
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            before = sess.run(w)
            kept = before.copy()
            sess.run(train)
            np.testing.assert_array_equal(before, kept)


def test_integer_variable_is_refused():
    g = tf.Graph()
    with g.as_default():
        i = tf.Variable(3, name="i")
        with pytest.raises(InvalidArgumentError, match="floating"):
            tf.train.GradientDescentOptimizer(0.1).compute_gradients(tf.cast(i, tf.float32), [i])
