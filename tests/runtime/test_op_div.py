"""Div beyond the registry-driven cases (tests/op_cases/div.py): IEEE division on the C runtime, int8 zero
divisors (undefined in TFLite, saturated here) and the shift TFLite leaves undefined, the rejections of
prepare, the work charged, and TF1 graphs: a tensor divisor exports as Div, a constant one as Mul."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.runtime_ops.div import div_int8, leading_sign_bits, prepare_div
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(a_shape, b_shape, y_shape, dtype=np.float32, quant=(None, None, None)) -> bytes:
    b = ModelBuilder()
    a = b.add_input("a", dtype, list(a_shape), quantization=quant[0])
    c = b.add_input("b", dtype, list(b_shape), quantization=quant[1])
    y = b.add_tensor("y", dtype, list(y_shape), quantization=quant[2])
    b.add_op("Div", [a, c], [y])
    b.mark_output(y)
    return b.finish()


def test_ieee_division(pyrt) -> None:
    a = np.array([1.0, -1.0, 0.0, np.nan, np.inf, 1.0, 3.0, -0.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, 1.0, np.inf, np.inf, 7.0, 5.0], np.float32)
    got = pyrt.Interpreter(model_content=_model([8], [8], [8])).run(a, b)[0]
    with np.errstate(all="ignore"):
        want = a / b  # inf, -inf, NaN, NaN, NaN, 0, 3/7 rounded once, -0
    assert got.tobytes() == want.tobytes()


def test_int8_zero_divisor_saturates_by_the_dividends_sign(pyrt) -> None:
    qa, qb, qo = Quantization(0.1, 3), Quantization(0.05, -7), Quantization(0.5, 10)
    a = np.array([4, 3, -50, 127], np.int8)  # centered: +1, 0, -53, +124
    b = np.full(4, -7, np.int8)  # every divisor at its zero point: 0
    got = pyrt.Interpreter(model_content=_model([4], [4], [4], np.int8, (qa, qb, qo))).run(a, b)[0]
    assert got.tolist() == [127, 10, -128, 127]
    assert div_int8(a, b, prepare_div(0.1, 3, 0.05, -7, 0.5, 10)).tolist() == [127, 10, -128, 127]


def test_leading_sign_bits_follow_tflite() -> None:
    x = np.array([0, -1, 1, -2, 2, 255, -256, 2**30, -(2**31), 2**31 - 1], np.int64)
    assert leading_sign_bits(x).tolist() == [31, 31, 30, 30, 29, 23, 23, 0, 0, 0]


def test_prepare_rejects_bad_broadcasts_and_unrepresentable_multipliers(pyrt) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match="do not broadcast") as e:
        pyrt.Interpreter(model_content=_model([2, 3], [4], [2, 3])).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_SHAPE"
    q = (Quantization(1e-6, 0), Quantization(1e3, 0), Quantization(1e6, 0))  # s_a / (s_b s_out) = 1e-15
    with pytest.raises(pyrt.TensorletRuntimeError, match="shift") as e:
        pyrt.Interpreter(model_content=_model([4], [4], [4], np.int8, q)).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"
    assert "(Div)" in str(e.value)


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(elements x weight / 16): weights 224 (float32), 2048 (int8)
    f = pyrt.Interpreter(model_content=_model([8, 100], [100], [8, 100]))
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model([8, 100], [100], [8, 100], np.int8, (q, q, q)))
    i.allocate_tensors()
    assert f.work - i.work == 800 * 224 // 16 - 800 * 2048 // 16


def test_tf_divide_by_a_tensor_exports_as_div_and_by_a_constant_as_mul(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(8)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        by_tensor = x / (tf.abs(x) + 1.0)
        out = by_tensor / 4.0  # a constant divisor: Mul by 0.25
    xs = rng.standard_normal((3, 5)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 3
    data = conv.convert()
    assert [op.opcode for op in read_model(data).ops] == ["Abs", "Add", "Div", "Mul"]
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    assert got.tobytes() == want.astype(np.float32).tobytes()
