"""PRelu beyond the registry-driven cases (tests/op_cases/prelu.py): IEEE values, what prepare refuses (an
alpha that does not broadcast, unrepresentable int8 multipliers), the work charged, and ``tf.nn.prelu`` with
a trained per-channel alpha exported from a TF1 graph and run on the C runtime against the session."""

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


def _model(x_shape, a_shape, dtype=np.float32, quant=(None, None, None)) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, x_shape, quantization=quant[0])
    a = b.add_input("alpha", dtype, a_shape, quantization=quant[1])
    y = b.add_tensor("y", dtype, x_shape, quantization=quant[2])
    b.add_op("PRelu", [x, a], [y])
    b.mark_output(y)
    return b.finish()


def test_ieee_values(pyrt) -> None:
    x = np.array([np.nan, -np.inf, np.inf, -0.0, -2.0, 3.0], np.float32)
    alpha = np.array([0.5], np.float32)
    got = pyrt.Interpreter(model_content=_model([6], [1])).run(x, alpha)[0]
    want = np.where(x >= 0, x, x * np.float32(0.5))  # NaN, -inf, inf, -0 (>= 0: kept), -1, 3
    assert got.tobytes() == want.tobytes()


def test_alpha_that_does_not_broadcast_is_refused(pyrt) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError) as e:
        pyrt.Interpreter(model_content=_model([2, 3], [2])).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_SHAPE" and "(PRelu)" in str(e.value)


def test_unrepresentable_int8_multiplier_is_refused(pyrt) -> None:
    q = Quantization(0.1, 0)
    tiny = Quantization(1e-30, 0)  # s_x s_alpha / s_out ~ 1e-30: shift below -31
    with pytest.raises(pyrt.TensorletRuntimeError, match="alpha") as e:
        pyrt.Interpreter(model_content=_model([4], [4], np.int8, (q, tiny, q))).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(6 x weight / 16): 224 (float32), 768 (int8)
    f = pyrt.Interpreter(model_content=_model([6], [6]))
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model([6], [6], np.int8, (q, q, q)))
    i.allocate_tensors()
    assert i.work - f.work == -(-6 * 768 // 16) - -(-6 * 224 // 16)


def test_tf_prelu_trains_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(13)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        alpha = tf.Variable(np.full(3, 0.25, np.float32), name="alpha")
        out = tf.nn.prelu(x, alpha)
        loss = tf.reduce_mean(tf.square(out - 1.0))
        step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        init = tf.global_variables_initializer()
    xs = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(3):
            sess.run(step, {x: xs})
        trained = sess.run(alpha)
        want = sess.run(out, {x: xs})
        data = Converter.from_session(sess, [x], [out], batch_size=2).convert()
    assert np.all(trained < 0.25)  # the target 1 pulls negative outputs up: alpha goes down
    assert [op.opcode for op in read_model(data).ops] == ["PRelu"]
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
