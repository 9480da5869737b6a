"""Gelu beyond the registry-driven cases (tests/op_cases/gelu.py): IEEE values, the options default (a
missing ``approximate`` is the exact form), the work charged, and ``tf.nn.gelu`` (both forms) exported from
a TF1 graph and run on the C runtime against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.runtime_ops.gelu import gelu
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(dtype=np.float32, quant=(None, None), **options) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", dtype, [6], quantization=quant[0])
    y = b.add_tensor("y", dtype, [6], quantization=quant[1])
    b.add_op("Gelu", [x], [y], **options)
    b.mark_output(y)
    return b.finish()


@pytest.mark.parametrize("approximate", [False, True])
def test_ieee_values(pyrt, approximate: bool) -> None:
    x = np.array([np.nan, -np.inf, np.inf, -0.0, -30.0, 30.0], np.float32)
    got = pyrt.Interpreter(model_content=_model(approximate=approximate)).run(x)[0]
    assert np.isnan(got[0]) and got[2] == np.inf and got[3] == 0.0 and got[5] == 30.0
    assert got[4] == 0.0  # -30 Phi(-30) underflows (erfc(21.2) ~ 1e-197)
    assert np.isnan(got[1])  # -inf * 0 in both forms: erfc(inf) = 0, 1 + tanh(-inf) = 0


def test_default_is_the_exact_form(pyrt) -> None:
    x = np.linspace(-3, 3, 6).astype(np.float32)
    default = pyrt.Interpreter(model_content=_model()).run(x)[0]
    np.testing.assert_allclose(default, gelu(x, False), rtol=1e-6, atol=1e-7)
    tanh_form = pyrt.Interpreter(model_content=_model(approximate=True)).run(x)[0]
    assert np.abs(tanh_form - default).max() > 1e-5  # the forms differ (by up to ~5e-4)


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(6 x weight / 16): 768 (float32), 96 (int8)
    f = pyrt.Interpreter(model_content=_model())
    f.allocate_tensors()
    q = Quantization(0.1, 0)
    i = pyrt.Interpreter(model_content=_model(np.int8, (q, q)))
    i.allocate_tensors()
    assert f.work - i.work == -(-6 * 768 // 16) - -(-6 * 96 // 16)


@pytest.mark.parametrize("approximate", [False, True])
def test_tf_gelu_exports_and_runs_like_the_session(pyrt, approximate: bool) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(12)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 9], name="x")
        out = tf.nn.gelu(x, approximate=approximate)
    xs = (rng.standard_normal((2, 9)) * 3).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(out, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out])
    conv.batch_size = 2
    data = conv.convert()
    ops = read_model(data).ops
    assert [op.opcode for op in ops] == ["Gelu"] and ops[0].options["approximate"] == approximate
    got = pyrt.Interpreter(model_content=data).run(xs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
