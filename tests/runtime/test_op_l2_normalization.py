"""L2Normalization beyond the registry-driven cases (tests/op_cases/l2_normalization.py): IEEE values, what
prepare refuses (int8 output parameters other than 1/128 and 0, int8 rows too long for the int32 sum), the
work charged, and ``tf.nn.l2_normalize`` over the last axis exported from a TF1 graph and run on the C runtime
against the session (other axes and epsilons are refused by name)."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter, UnsupportedError
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(shape, dtype=np.float32, quant=(None, None)) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, shape, quantization=quant[0])
    y = b.add_tensor("y", dtype, shape, quantization=quant[1])
    b.add_op("L2Normalization", [x], [y])
    b.mark_output(y)
    return b.finish()


def test_ieee_values(pyrt) -> None:
    x = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, 0.0], [0.0, -0.0, 0.0], [3.0, -4.0, 0.0]], np.float32)
    got = pyrt.Interpreter(model_content=_model([4, 3])).run(x)[0]
    assert np.all(np.isnan(got[0])) and np.isnan(got[1, 0])  # inf / inf
    assert got[1, 1:].tolist() == [0.0, 0.0]  # 1 / inf
    assert got[2].tobytes() == np.array([0.0, -0.0, 0.0], np.float32).tobytes()  # 0 / 1e-6
    assert got[3].tolist() == [np.float32(0.6), np.float32(-0.8), 0.0]


def test_int8_output_parameters_are_fixed(pyrt) -> None:
    q_in = Quantization(0.1, 3)
    with pytest.raises(pyrt.TensorletRuntimeError, match="1/128") as e:
        pyrt.Interpreter(
            model_content=_model([2, 4], np.int8, (q_in, Quantization(0.01, 0)))
        ).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"
    with pytest.raises(pyrt.TensorletRuntimeError) as e:
        pyrt.Interpreter(
            model_content=_model([2, 4], np.int8, (q_in, Quantization(1 / 128, 5)))
        ).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"


def test_int8_rows_too_long_for_the_int32_sum_are_refused(pyrt) -> None:
    q_in, q_out = Quantization(0.1, 3), Quantization(1 / 128, 0)
    pyrt.Interpreter(model_content=_model([1, 33025], np.int8, (q_in, q_out))).allocate_tensors()
    with pytest.raises(pyrt.TensorletRuntimeError, match="33025") as e:
        pyrt.Interpreter(model_content=_model([1, 33026], np.int8, (q_in, q_out))).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_SHAPE"
    pyrt.Interpreter(model_content=_model([1, 33026])).allocate_tensors()  # float32 has no such limit


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(6 x weight / 16): 64 (float32), 128 (int8)
    f = pyrt.Interpreter(model_content=_model([2, 3]))
    f.allocate_tensors()
    q = (Quantization(0.1, 0), Quantization(1 / 128, 0))
    i = pyrt.Interpreter(model_content=_model([2, 3], np.int8, q))
    i.allocate_tensors()
    assert i.work - f.work == -(-6 * 128 // 16) - -(-6 * 64 // 16)


def _graph(axis, epsilon=1e-12):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3, 8], name="x")
        out = tf.nn.l2_normalize(x, axis=axis, epsilon=epsilon)
    return g, x, out


def test_tf_l2_normalize_over_the_last_axis_exports_and_runs_like_the_session(pyrt) -> None:
    g, x, out = _graph(-1)
    xs = np.random.default_rng(14).standard_normal((2, 3, 8)).astype(np.float32)
    xs[0, 0] = 0.0
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 2
    data = conv.convert()
    assert [op.opcode for op in read_model(data).ops] == ["L2Normalization"]
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("axis,epsilon,why", [(1, 1e-12, "last axis"), (-1, 1e-3, "epsilon")])
def test_other_axes_and_epsilons_are_refused(axis, epsilon, why: str) -> None:
    g, x, out = _graph(axis, epsilon)
    with pytest.raises(UnsupportedError, match=why):
        Converter.from_frozen_graph(g, [x], [out]).convert()
