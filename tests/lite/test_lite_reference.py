"""trainer.lite.reference: the numpy interpreter of .tlm files against the per-op float formulas that
tests/runtime_refs.py re-exports from the op stanzas (trainer/runtime_ops/; the interpreter decodes a model's
options and calls the same formulas, so the cases here check the decoding) and against the C runtime itself,
which is independent of them."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import all_cases, check_outputs

import pyruntime  # the C runtime: part of the package, so required (never skipped)
from trainer.lite.reference import KERNELS, ReferenceInterpreter
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import OPCODES

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_matches_the_numpy_formulas(case) -> None:
    check_outputs(case, ReferenceInterpreter(model_content=case.model).run(*case.inputs))


def test_every_float_op_has_a_kernel() -> None:
    assert set(OPCODES) - {"Quantize", "Dequantize"} <= set(KERNELS)


def test_reference_matches_c_runtime_on_the_network_case() -> None:
    case = next(c for c in CASES if "network" in c.name)
    got = ReferenceInterpreter(model_content=case.model).run(*case.inputs)
    want = pyruntime.Interpreter(model_content=case.model).run(*case.inputs)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        assert np.abs(g - w).max() <= 1e-5 * np.abs(w).max()


def _relu_model() -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 3])
    y = b.add_tensor("y", np.float32, [2, 3])
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    return b.finish()


def test_inputs_are_checked_and_details_reported(tmp_path) -> None:
    path = tmp_path / "relu.tlm"
    path.write_bytes(_relu_model())
    ref = ReferenceInterpreter(model_path=path)
    assert [d["name"] for d in ref.get_input_details()] == ["x"]
    assert ref.get_output_details()[0]["shape"].tolist() == [2, 3]
    assert ref.arena_bytes == read_model(_relu_model()).metadata.arena_bytes
    with pytest.raises(ValueError, match="expected float32"):
        ref.run(np.zeros((2, 3), np.float64))
    with pytest.raises(ValueError, match="takes 1 inputs"):
        ref.run()
    values = ref.run_all(np.array([[-1, 2, -3], [4, -5, 6]], np.float32))
    np.testing.assert_array_equal(values[1], [[0, 2, 0], [4, 0, 6]])


def test_int8_models_run_with_the_int8_references() -> None:
    """An int8 model (Quantize, int8 Relu6 and FullyConnected, Dequantize) runs its int8 ops with the
    runtime's integer arithmetic, bit for bit with the C runtime. (The float references used to run on the
    int8 values and gave numbers unrelated to the runtime's.)"""
    from trainer.tlm import Quantization

    rng = np.random.default_rng(7)
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 8])
    q = b.add_tensor("q", np.int8, [2, 8], Quantization(0.05, -3))
    w = b.add_constant("w", rng.integers(-127, 128, (4, 8)).astype(np.int8), Quantization(0.02, 0))
    bias = b.add_constant("bias", rng.integers(-500, 500, 4).astype(np.int32), Quantization(0.001, 0))
    h = b.add_tensor("h", np.int8, [2, 4], Quantization(0.1, 5))
    y = b.add_tensor("y", np.float32, [2, 4])
    b.add_op("Quantize", [x], [q])
    b.add_op("FullyConnected", [q, w, bias], [h])
    b.add_op("Dequantize", [h], [y])
    b.mark_output(y)
    model = b.finish()
    data = rng.normal(0, 2, (2, 8)).astype(np.float32)
    got = ReferenceInterpreter(model_content=model).run(data)[0]
    interp = pyruntime.Interpreter(model_content=model)
    (want,) = interp.run(data)
    np.testing.assert_array_equal(got, want)
    assert np.abs(got).max() > 0  # not a degenerate all-zero model
