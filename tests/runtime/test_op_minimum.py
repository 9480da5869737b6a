"""Minimum beyond the registry-driven cases (tests/op_cases/minimum.py): numpy's NaN and signed-zero rules on
the C runtime, the rejections of its prepare, the work it is charged, and a TF1 graph using ``tf.minimum``
exported and run on the C runtime against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
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
    b.add_op("Minimum", [a, c], [y])
    b.mark_output(y)
    return b.finish()


def test_nan_propagates_and_signed_zeros_follow_numpy(pyrt) -> None:
    a = np.array([np.nan, 1.0, -0.0, 0.0, -np.inf, 3.0], np.float32)
    b = np.array([1.0, np.nan, 0.0, -0.0, -5.0, np.inf], np.float32)
    for kernels in ("reference", None):
        interp = pyrt.Interpreter(model_content=_model([6], [6], [6]), kernels=kernels)
        interp.allocate_tensors()
        got = interp.run(a, b)[0]
        want = np.minimum(a, b)
        assert got.tobytes() == want.tobytes(), (kernels, got, want)  # -0.0 and +0.0 as numpy gives them


@pytest.mark.parametrize(
    ("shapes", "status", "message"),
    [
        (([2, 3], [4], [2, 3]), "TL_ERROR_BAD_SHAPE", "do not broadcast"),
        (([2, 3], [3], [2, 4]), "TL_ERROR_BAD_SHAPE", "is not the broadcast"),
        (([1, 1, 1, 1, 2], [2], [1, 1, 1, 1, 2]), "TL_ERROR_BAD_SHAPE", "at most 4"),
    ],
)
def test_prepare_rejects_bad_shapes(pyrt, shapes, status, message) -> None:
    interp = pyrt.Interpreter(model_content=_model(*shapes))
    with pytest.raises(pyrt.TensorletRuntimeError, match=message) as e:
        interp.allocate_tensors()
    assert e.value.status_name == status
    assert "(Minimum)" in str(e.value)


def test_int8_needs_per_tensor_parameters_everywhere(pyrt) -> None:
    q = Quantization(0.1, 0)
    model = _model([4], [4], [4], np.int8, (q, q, None))
    with pytest.raises(pyrt.TensorletRuntimeError) as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"


def test_int8_with_equal_parameters_is_the_raw_min(pyrt) -> None:
    q = Quantization(0.25, -3)
    rng = np.random.default_rng(2)
    a, b = (rng.integers(-128, 128, (3, 5)).astype(np.int8) for _ in range(2))
    interp = pyrt.Interpreter(model_content=_model([3, 5], [3, 5], [3, 5], np.int8, (q, q, q)))
    interp.allocate_tensors()
    assert interp.run(a, b)[0].tobytes() == np.minimum(a, b).tobytes()


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP (2048) + ceil(elements x weight / 16): weights 224 (float32), 768 (int8)
    f = pyrt.Interpreter(model_content=_model([8, 100], [100], [8, 100]))
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model([8, 100], [100], [8, 100], np.int8, (q, q, q)))
    i.allocate_tensors()
    assert f.work - i.work == 800 * 224 // 16 - 800 * 768 // 16


def test_tf_minimum_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(5)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 3], name="x")
        floor = tf.constant(rng.standard_normal(3).astype(np.float32))
        y = tf.minimum(x * 2.0, floor)  # a broadcast constant operand
        out = tf.minimum(y, x * -1.0)
    xs = rng.standard_normal((2, 4, 3)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 2
    data = conv.convert()
    assert [op.opcode for op in read_model(data).ops].count("Minimum") == 2
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    assert got.tobytes() == want.astype(np.float32).tobytes()
