"""An int8 Add/Sub/SquaredDifference whose input is far below the other's scale (a layer norm's epsilon 1e-12
added to a variance): its multiplier needs a shift below -31, which TFLite's QuantizeMultiplier flushes to
zero. The model loads (it used to be refused at prepare although it exported), the C runtime gives the numpy
reference's bytes, and both equal LiteRT's reference kernels."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.quant.fixed_point import input_multiplier, quantize_multiplier
from trainer.runtime_ops.interpreter import reference_run
from trainer.tlm import ModelBuilder, Quantization


def _model(op: str) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.int8, [1, 256], Quantization(0.02, 3))
    eps = b.add_constant("eps", np.full([256], 100, np.int8), Quantization(1e-14, 0))  # 1e-12
    y = b.add_tensor("y", np.int8, [1, 256], Quantization(0.02 if op != "SquaredDifference" else 0.5, 3))
    b.add_op(op, [x, eps], [y], **({"activation": "NONE"} if op != "SquaredDifference" else {}))
    b.mark_output(y)
    return b.finish()


def test_the_flush_rule() -> None:
    assert quantize_multiplier(1e-14 / 0.04)[1] < -31
    assert input_multiplier(1e-14 / 0.04) == (0, 0)
    assert input_multiplier(0.25) == quantize_multiplier(0.25)
    assert input_multiplier(0.0) is None


@pytest.mark.parametrize("op", ["Add", "Sub", "SquaredDifference"])
def test_tiny_input_loads_and_matches_the_reference(op: str) -> None:
    ensure_pyruntime()
    import pyruntime

    model = _model(op)
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    want = reference_run(model, x)[0]
    for kernels in ("reference", "auto"):
        got = pyruntime.Interpreter(model_content=model, kernels=kernels).run(x)[0]
        np.testing.assert_array_equal(got, want)
    if op != "SquaredDifference":  # x + ~0 = x (the output has the input's parameters)
        np.testing.assert_array_equal(want, x)


@pytest.mark.parametrize("op", ["Add", "Sub"])
def test_tiny_input_equals_litert(op: str) -> None:
    from tflite_fixtures import litert_reference

    from trainer.lite.tflite import to_tflite

    model = _model(op)
    ref = litert_reference(to_tflite(model))
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    ref.set_tensor(ref.get_input_details()[0]["index"], x)
    ref.invoke()
    got = ref.get_tensor(ref.get_output_details()[0]["index"])
    np.testing.assert_array_equal(got, reference_run(model, x)[0])
