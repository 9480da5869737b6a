"""LeakyRelu beyond the registry-driven cases (tests/op_cases/leaky_relu.py): its options at load (a
non-finite alpha) and prepare (a negative int8 alpha), IEEE values, the work charged, and
``tf.nn.leaky_relu`` exported from a TF1 graph and run on the C runtime against the session."""

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


def _model(alpha: float, dtype=np.float32, quant=(None, None)) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", dtype, [6], quantization=quant[0])
    y = b.add_tensor("y", dtype, [6], quantization=quant[1])
    b.add_op("LeakyRelu", [x], [y], alpha=alpha)
    b.mark_output(y)
    return b.finish()


def test_ieee_values(pyrt) -> None:
    x = np.array([np.nan, -np.inf, np.inf, -0.0, -2.0, 3.0], np.float32)
    got = pyrt.Interpreter(model_content=_model(0.25)).run(x)[0]
    want = np.where(x > 0, x, x * np.float32(0.25))  # NaN, -inf, inf, -0, -0.5, 3
    assert got.tobytes() == want.tobytes()


def test_non_finite_alpha_is_refused_at_load(pyrt) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match="alpha") as e:
        pyrt.Interpreter(model_content=_model(float("nan"))).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_OPTIONS"


def test_negative_int8_alpha_is_refused_at_prepare(pyrt) -> None:
    q = Quantization(0.1, 0)
    float_model = pyrt.Interpreter(model_content=_model(-0.5))  # a negative alpha is fine in float32
    assert float_model.run(-np.ones(6, np.float32))[0].tolist() == [0.5] * 6
    with pytest.raises(pyrt.TensorletRuntimeError, match="alpha") as e:
        pyrt.Interpreter(model_content=_model(-0.5, np.int8, (q, q))).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_OPTIONS"
    assert "(LeakyRelu)" in str(e.value)


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(6 x weight / 16): 32 (float32), 96 (int8)
    f = pyrt.Interpreter(model_content=_model(0.2))
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model(0.2, np.int8, (q, q)))
    i.allocate_tensors()
    assert i.work - f.work == -(-6 * 96 // 16) - -(-6 * 32 // 16)


def test_tf_leaky_relu_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(10)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 7], name="x")
        out = tf.nn.leaky_relu(x, alpha=0.1)
    xs = rng.standard_normal((2, 7)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 2
    data = conv.convert()
    ops = read_model(data).ops
    assert [op.opcode for op in ops] == ["LeakyRelu"] and ops[0].options["alpha"] == pytest.approx(0.1)
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    assert got.tobytes() == want.astype(np.float32).tobytes()
