"""HardSwish beyond the registry-driven cases (tests/op_cases/hard_swish.py): IEEE values, the int8
multipliers prepare refuses, the work charged, and ``tf.nn.hard_swish`` exported from a TF1 graph and run on
the C runtime against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.lite import Converter
from trainer.runtime_ops.hard_swish import hard_swish_multipliers, hard_swish_table
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(dtype=np.float32, quant=(None, None), n: int = 6) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", dtype, [n], quantization=quant[0])
    y = b.add_tensor("y", dtype, [n], quantization=quant[1])
    b.add_op("HardSwish", [x], [y])
    b.mark_output(y)
    return b.finish()


def test_ieee_values(pyrt) -> None:
    x = np.array([np.nan, -np.inf, np.inf, -0.0, -3.0, 3.0], np.float32)
    got = pyrt.Interpreter(model_content=_model()).run(x)[0]
    assert np.isnan(got[0]) and np.isnan(got[1])  # -inf * relu6(-inf) = -inf * 0
    assert got[2] == np.inf and got[3] == 0.0 and got[4] == 0.0 and got[5] == 3.0


def test_output_multiplier_above_one_is_refused(pyrt) -> None:
    # TFLite requires the output multiplier (s_in / 128) / s_out below 1 (exponent <= 0): s_in = 200 s_out
    q_in, q_out = Quantization(2.0, 0), Quantization(0.01, 0)
    with pytest.raises(InvalidArgumentError, match="output multiplier"):
        hard_swish_multipliers(2.0, 0.01)
    with pytest.raises(pyrt.TensorletRuntimeError, match="output scale") as e:
        pyrt.Interpreter(model_content=_model(np.int8, (q_in, q_out))).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"
    assert "(HardSwish)" in str(e.value)


def test_int8_table_is_monotone_above_the_minimum_and_near_the_float_function() -> None:
    """A sanity view of the fixed-point table: within 1.5 output steps of the float function, nondecreasing
    from x = -1.5 (hard swish's minimum) up."""
    si, zi, so, zo = 0.05, 3, 0.03, -90
    table = hard_swish_table(si, zi, so, zo).astype(int)
    x = si * (np.arange(-128, 128) - zi)
    want = np.clip(np.round(x * np.clip(x + 3, 0, 6) / 6 / so) + zo, -128, 127)
    assert np.abs(table - want).max() <= 1.5
    above = table[x >= -1.5]
    assert np.all(np.diff(above) >= 0)


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(6 x weight / 16): 64 (float32), 96 (int8)
    f = pyrt.Interpreter(model_content=_model())
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model(np.int8, (q, q)))
    i.allocate_tensors()
    assert i.work - f.work == -(-6 * 96 // 16) - -(-6 * 64 // 16)


def test_tf_hard_swish_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(11)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 9], name="x")
        out = tf.nn.hard_swish(x)
    xs = (rng.standard_normal((2, 9)) * 3).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 2
    data = conv.convert()
    assert [op.opcode for op in read_model(data).ops] == ["HardSwish"]
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
