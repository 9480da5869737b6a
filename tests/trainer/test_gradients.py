"""Registry-driven gradient check (float64 central differences) plus the gradient engine's rules."""

from __future__ import annotations

import numpy as np
import pytest
from trainer_op_cases import CASES, OpCase, core_op_types

import trainer as tf
from trainer.errors import GradientLookupError
from trainer.registry import _REGISTRY

GRAD_CASES = [c for c in CASES if c.custom is None and c.grad and _REGISTRY[c.op_type].differentiable]


def test_every_differentiable_op_has_a_gradient_case():
    core = core_op_types()
    diff = {t for t, d in core.items() if d.differentiable} - {"StopGradient"}  # tested below: no gradient
    # straight-through estimators: central differences see a flat function; test_fake_quant.py checks them
    diff -= {"FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel"}
    missing = diff - {c.op_type for c in GRAD_CASES}
    assert not missing, f"differentiable ops without a gradient case: {sorted(missing)}"
    for t, d in core.items():  # the rest must be declared, with no gradient function at all
        assert d.differentiable == (d.grad is not None), t


def _weighted_loss(outs: list[tf.Tensor]) -> tf.Tensor:
    rng = np.random.default_rng(99)
    terms = []
    for o in outs:
        if o.dtype.is_floating:
            w = rng.uniform(-1, 1, size=o.shape.as_list()).astype(o.dtype.np)
            terms.append(tf.reduce_sum(o * w))
    return tf.add_n(terms)


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: c.name)
def test_gradient_matches_central_differences(case: OpCase):
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(a.dtype), a.shape) for a in case.inputs]
        out = case.build(*phs)
        loss = _weighted_loss(out if isinstance(out, list) else [out])
        diff = [i for i, a in enumerate(case.inputs) if a.dtype == np.float64]
        grads = tf.gradients(loss, [phs[i] for i in diff])
        feed = dict(zip(phs, case.inputs, strict=False))
        with tf.Session() as sess:
            sym = [
                np.zeros_like(case.inputs[i]) if gr is None else sess.run(gr, feed)
                for i, gr in zip(diff, grads, strict=False)
            ]
            for i, s in zip(diff, sym, strict=False):
                x = case.inputs[i]
                num = np.zeros_like(x)
                for idx in np.ndindex(x.shape):
                    xp, xm = x.copy(), x.copy()
                    xp[idx] += case.eps
                    xm[idx] -= case.eps
                    lp = sess.run(loss, {**feed, phs[i]: xp})
                    lm = sess.run(loss, {**feed, phs[i]: xm})
                    num[idx] = (float(lp) - float(lm)) / (2 * case.eps)
                assert s.shape == x.shape
                err = np.abs(s - num).max() / max(np.abs(num).max(), np.abs(s).max(), 1e-6)
                assert err <= 1e-4, f"{case.name} input {i}: relative error {err:.2e}\nsym={s}\nnum={num}"


def test_stop_gradient_blocks_and_unconnected_is_none():
    with tf.Graph().as_default():
        x = tf.constant(2.0)
        z = tf.constant(5.0)
        y = x * x + tf.stop_gradient(x * 3)
        gx, gz = tf.gradients(y, [x, z])
        assert gz is None
        with tf.Session() as sess:
            assert sess.run(gx) == 4.0
        (only,) = tf.gradients(tf.stop_gradient(x * x), [x])
        assert only is None


def test_stop_gradients_argument():
    with tf.Graph().as_default():
        a = tf.constant(1.0)
        b = a * 2
        c = a + b
        ga, gb = tf.gradients(c, [a, b], stop_gradients=[a, b])
        with tf.Session() as sess:
            assert sess.run([ga, gb]) == [1.0, 1.0]


def test_multiple_paths_are_summed_with_add_n():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        y = tf.reduce_sum(tf.exp(x) + x * x + 3 * x)
        (gx,) = tf.gradients(y, [x])
        types = {
            op.type for op in tf.get_default_graph().get_operations() if op.name.startswith("gradients/")
        }
        assert "AddN" in types
        v = np.array([0.1, 0.2, 0.3])
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(gx, {x: v}), np.exp(v) + 2 * v + 3)


def test_grad_ys_weights_and_gradient_scope_and_device():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2])
        with tf.device("/cpu:1"):
            y = x * 3
        (gx,) = tf.gradients(y, [x], grad_ys=[tf.constant(np.array([1.0, 2.0]))])
        assert gx.name.startswith("gradients/")
        grad_ops = [
            op for op in tf.get_default_graph().get_operations() if op.name.startswith("gradients/Mul_grad")
        ]
        assert grad_ops and all(op.device == "/cpu:1" for op in grad_ops)
        (gx2,) = tf.gradients(y, [x])
        assert gx2.name.startswith("gradients_1/")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(gx, {x: [1.0, 1.0]}), [3.0, 6.0])


def test_not_differentiable_path_raises_but_integer_path_is_fine():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [1, 4, 4, 1])
        y = tf.nn.max_pool(x, 2, 2, "VALID")
        (gy,) = tf.gradients(tf.reduce_sum(y), [x])
        with pytest.raises(GradientLookupError, match="MaxPoolGrad"):
            tf.gradients(tf.reduce_sum(gy), [x])
        z = tf.cast(tf.argmax(tf.reshape(x, [-1])), tf.float64) + tf.reduce_sum(x)
        (gz,) = tf.gradients(z, [x])  # the ArgMax path is integer: no error, no contribution
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(gz, {x: np.zeros((1, 4, 4, 1))}), np.ones((1, 4, 4, 1)))


@pytest.mark.parametrize(
    "f, d2",
    [
        (lambda x: x * x * x, lambda v: 6 * v),
        (lambda x: tf.exp(x), np.exp),
        (lambda x: tf.log(x), lambda v: -1 / v**2),
        (lambda x: tf.sigmoid(x), lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s)),
        (lambda x: tf.tanh(x), lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
        (lambda x: tf.sqrt(x), lambda v: -0.25 * v**-1.5),
        (lambda x: 1.0 / x, lambda v: 2 / v**3),
        (lambda x: x**2.5, lambda v: 2.5 * 1.5 * v**0.5),
        (lambda x: tf.square(x) - x, lambda v: np.full_like(v, 2.0)),
        (lambda x: tf.rsqrt(x), lambda v: 0.75 * v**-2.5),
    ],
)
def test_second_derivatives_of_elementwise_ops(f, d2):
    v = np.array([0.5, 1.0, 1.7])
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        (g1,) = tf.gradients(tf.reduce_sum(f(x)), [x])
        (g2,) = tf.gradients(tf.reduce_sum(g1), [x])
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(g2, {x: v}), d2(v), rtol=1e-10)


def test_gradients_through_variables_and_broadcast_bias():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.Variable(np.ones((3, 2), np.float32))
        b = tf.Variable(np.zeros(2, np.float32))
        loss = tf.reduce_mean(tf.matmul(x, w) + b)
        gw, gb = tf.gradients(loss, [w, b])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            xv = np.arange(12, dtype=np.float32).reshape(4, 3)
            gwv, gbv = sess.run([gw, gb], {x: xv})
    np.testing.assert_allclose(gwv, np.repeat(xv.mean(0)[:, None] / 2, 2, 1), rtol=1e-6)
    np.testing.assert_allclose(gbv, [0.5, 0.5])


def test_gradient_flows_through_intermediate_xs():
    with tf.Graph().as_default():
        a = tf.constant(1.0)
        b = a * 2
        c = a + b
        ga, gb = tf.gradients(c, [a, b])
        with tf.Session() as sess:
            assert sess.run([ga, gb]) == [3.0, 1.0]
