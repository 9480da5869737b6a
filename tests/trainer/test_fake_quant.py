"""Fake quantization (``tf.quantization.fake_quant_with_min_max_*``): values and straight-through gradients
against TensorFlow 2.21's, stored in ``tf1_fixtures/fake_quant.npz`` by scripts/make_fake_quant_fixtures.py
(every stored case: 2 to 16 bits, narrow ranges, ranges that do not contain zero, per channel)."""

from __future__ import annotations

import numpy as np
import pytest
from fake_quant_op_cases import fixture, fixture_count

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.ops.fake_quant_ops import nudge

CASES = [(k, i) for k in ("args", "vars", "channel") for i in range(fixture_count(k))]


def _run(kind: str, f: dict[str, np.ndarray]) -> list[np.ndarray]:
    bits = {"num_bits": int(f["num_bits"]), "narrow_range": bool(f["narrow_range"])}
    with tf.Graph().as_default():
        x, g = tf.constant(f["x"]), tf.constant(f["g"])
        if kind == "args":
            y = tf.quantization.fake_quant_with_min_max_args(x, float(f["min"]), float(f["max"]), **bits)
            wrt = [x]
        else:
            lo, hi = tf.constant(f["min"]), tf.constant(f["max"])
            fn = getattr(
                tf.quantization, "fake_quant_with_min_max_vars" + ("_per_channel" * (kind == "channel"))
            )
            y = fn(x, lo, hi, **bits)
            wrt = [x, lo, hi]
        return tf.Session().run([y, *tf.gradients(y, wrt, grad_ys=g)])


@pytest.mark.parametrize(("kind", "i"), CASES, ids=[f"{k}{i}" for k, i in CASES])
def test_values_and_gradients_equal_tensorflow(kind: str, i: int) -> None:
    f = fixture(kind, i)
    out, *grads = _run(kind, f)
    _, _, scale, _ = nudge(np, f["min"], f["max"], int(f["num_bits"]), bool(f["narrow_range"]))
    # the same grid point as TensorFlow (its kernel may fuse a multiply-add: the float32 value can differ by
    # an ulp); a wrong rounding or nudge would be a whole step (scale) away
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, f["out"], rtol=0, atol=1e-6)
    assert np.all(np.abs(out - f["out"]) < np.min(scale) / 4)
    np.testing.assert_array_equal(grads[0], f["dx"])  # straight through: exactly g or 0
    for got, name in zip(grads[1:], ("dmin", "dmax")[: len(grads) - 1], strict=True):
        np.testing.assert_allclose(got, f[name], rtol=1e-6, atol=1e-6)  # sums: only the order differs


def test_zero_is_exact_and_range_is_nudged() -> None:
    """A range whose zero falls between grid points is shifted so that 0.0 is representable."""
    nmin, nmax, scale, _ = nudge(np, np.float32(-0.1), np.float32(5.3), 8, False)
    assert float(nmin) == pytest.approx(-0.105882, abs=1e-6) and float(nmax - nmin) == pytest.approx(5.4)
    with tf.Graph().as_default():
        y = tf.quantization.fake_quant_with_min_max_args(np.float32([0.0, -1.0, 7.0]), -0.1, 5.3)
        got = tf.Session().run(y)
    assert got[0] == 0.0  # exactly
    np.testing.assert_allclose(got[1:], [nmin, nmax], rtol=0, atol=1e-6)


def test_symmetric_narrow_range_is_the_int8_weight_grid() -> None:
    """min = -m, max = m, narrow_range: the grid is k * m / 127, k in [-127, 127], as per-channel int8
    weights are quantized on export."""
    w = np.float32([[0.3, -2.0], [-0.71, 0.5], [0.02, 1.1]])
    m = np.abs(w).max(0)
    with tf.Graph().as_default():
        y = tf.quantization.fake_quant_with_min_max_vars_per_channel(w, -m, m, narrow_range=True)
        got = tf.Session().run(y)
    want = np.round(w / (m / 127)) * (m / 127)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_bad_arguments_raise() -> None:
    with tf.Graph().as_default():
        x = tf.zeros([2, 3])
        with pytest.raises(InvalidArgumentError, match="num_bits"):
            tf.quantization.fake_quant_with_min_max_args(x, num_bits=1)
        with pytest.raises(InvalidArgumentError, match="min < max"):
            tf.quantization.fake_quant_with_min_max_args(x, min=1.0, max=1.0)
        with pytest.raises(InvalidArgumentError, match="last axis"):
            tf.quantization.fake_quant_with_min_max_vars_per_channel(x, tf.zeros([2]), tf.ones([2]))
        with pytest.raises(InvalidArgumentError, match="scalars"):
            tf.quantization.fake_quant_with_min_max_vars(x, tf.zeros([3]), tf.ones([3]))
        with pytest.raises(InvalidArgumentError, match="float32"):
            tf.quantization.fake_quant_with_min_max_args(tf.zeros([2], tf.float64))


def test_docstring_example_runs() -> None:
    import doctest

    from trainer.ops import fake_quant_ops

    with tf.Graph().as_default():
        result = doctest.testmod(fake_quant_ops, optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed
