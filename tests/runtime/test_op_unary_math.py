"""Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Elu beyond the registry-driven cases
(tests/op_cases/unary_math.py): IEEE edge values on the C runtime, the int8 inputs TFLite refuses at invoke
(negatives of Sqrt / Rsqrt), the rejections of prepare with their statuses, the work charged, and a TF1 graph
using all eight exported and run on the C runtime against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.runtime_ops.unary_math import TABLES, UNARY_OPS, inv_sqrt_multiplier
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(op: str, x_shape, y_shape, dtype=np.float32, quant=(None, None)) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", dtype, list(x_shape), quantization=quant[0])
    y = b.add_tensor("y", dtype, list(y_shape), quantization=quant[1])
    b.add_op(op, [x], [y])
    b.mark_output(y)
    return b.finish()


EDGES = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, -3.5, 88.0, 89.0, 1e30], np.float32)


@pytest.mark.parametrize("op", UNARY_OPS)
def test_ieee_edge_values_follow_numpy_float32(pyrt, op) -> None:
    """NaN gives NaN; sqrt(-1), log(-1) NaN; log(0) -inf; rsqrt(0) inf, rsqrt(-0) -inf; exp(89) inf."""
    want = {
        "Abs": np.abs,
        "Neg": np.negative,
        "Square": np.square,
        "Sqrt": np.sqrt,
        "Rsqrt": lambda x: np.float32(1) / np.sqrt(x),
        "Exp": np.exp,
        "Log": np.log,
        "Elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    }[op]
    interp = pyrt.Interpreter(model_content=_model(op, [12], [12]))
    interp.allocate_tensors()
    got = interp.run(EDGES)[0]
    with np.errstate(all="ignore"):
        expected = want(EDGES).astype(np.float32)
    exact = np.isnan(expected) | np.isinf(expected) | (expected == 0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(got[exact & ~np.isnan(expected)], expected[exact & ~np.isnan(expected)])
    np.testing.assert_allclose(got[~exact], expected[~exact], rtol=2e-7)


def test_int8_sqrt_and_rsqrt_read_negative_inputs_as_zero(pyrt) -> None:
    qi, qo = Quantization(0.05, 10), Quantization(0.02, -100)
    below = np.arange(-128, 11, dtype=np.int8)  # every value at or below the input zero point
    for op, zero_value in (("Sqrt", -100), ("Rsqrt", 127)):
        interp = pyrt.Interpreter(model_content=_model(op, [below.size], [below.size], np.int8, (qi, qo)))
        interp.allocate_tensors()
        assert set(interp.run(below)[0].tolist()) == {zero_value}, op


def test_inv_sqrt_multiplier_is_one_over_sqrt() -> None:
    """TFLite's fixed-point inverse square root, mirrored: within 2e-6 relative of 1/sqrt(v) (Q3, 5 steps)."""
    for v in (2, 3, 7, 100, 255, 4096, 10**6, 2**29 + 5, 2**31 - 1):
        m, shift = inv_sqrt_multiplier(v)
        assert abs(m * 2.0**shift / 2**31 - v**-0.5) <= 2e-6 * v**-0.5, v


@pytest.mark.parametrize(
    ("op", "x_shape", "y_shape", "dtype", "quant", "status", "message"),
    [
        ("Exp", [2, 3], [3, 2], np.float32, (None, None), "TL_ERROR_BAD_SHAPE", "output"),
        (
            "Log",
            [2, 3],
            [2, 3],
            np.int8,
            (Quantization(0.1, 0), None),
            "TL_ERROR_BAD_QUANTIZATION",
            "no quantization",
        ),
        # Rsqrt's multiplier 1 / (sqrt(s_in) s_out) = 1e7: shift 24 - 20 is fine; 1e-5 needs shift -16 < -11
        (
            "Rsqrt",
            [4],
            [4],
            np.int8,
            (Quantization(1.0, 0), Quantization(1e5, 0)),
            "TL_ERROR_BAD_QUANTIZATION",
            "shift",
        ),
    ],
)
def test_prepare_rejects(pyrt, op, x_shape, y_shape, dtype, quant, status, message) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match=message) as e:  # at load or at prepare
        pyrt.Interpreter(model_content=_model(op, x_shape, y_shape, dtype, quant)).allocate_tensors()
    assert e.value.status_name.startswith(status)
    assert f"({op})" in str(e.value)


def test_int8_tables_at_extreme_scales_match_numpy(pyrt) -> None:
    """Scales 1e-6 and 1e3 (every value saturates or rounds to the zero point): the C table is numpy's."""
    every = np.arange(-128, 128, dtype=np.int8)
    for op in UNARY_OPS:
        for si, so in ((1e-6, 10.0), (3.0, 1e-3)):
            if op == "Rsqrt" and si == 1e-6:
                continue  # 1 / (sqrt(1e-6) x 10) = 100 is fine, but keep Rsqrt to its valid range below
            qi, qo = Quantization(si, -5), Quantization(so, 7)
            interp = pyrt.Interpreter(model_content=_model(op, [256], [256], np.int8, (qi, qo)))
            interp.allocate_tensors()
            want = TABLES[op](float(np.float32(si)), -5, float(np.float32(so)), 7)[every.astype(int) + 128]
            assert interp.run(every)[0].tobytes() == want.tobytes(), (op, si, so)


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(elements x weight / 16): Exp 192 (float32), 96 (int8: a table lookup)
    f = pyrt.Interpreter(model_content=_model("Exp", [8, 100], [8, 100]))
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model("Exp", [8, 100], [8, 100], np.int8, (q, q)))
    i.allocate_tensors()
    assert f.work - i.work == 800 * 192 // 16 - 800 * 96 // 16


def test_tf1_graph_with_all_eight_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(9)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        p = tf.abs(x) + 0.5
        out = tf.exp(-tf.square(x) * 0.1) + tf.sqrt(p) - tf.rsqrt(p) + tf.log(p)
        out = out + tf.negative(x) + tf.nn.elu(x)
    xs = rng.standard_normal((3, 6)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 3
    data = conv.convert()
    codes = {op.opcode for op in read_model(data).ops}
    assert set(UNARY_OPS) <= codes, codes
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
