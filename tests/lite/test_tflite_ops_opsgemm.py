"""BatchMatMul and TransposeConv against LiteRT's reference kernels
(``OpResolverType.BUILTIN_REF``): TensorFlow-converted one-op fixtures
(tests/fixtures/tflite/ops_<name>.tflite and ops_<name>_int8.tflite, written by scripts/make_op_fixtures.py)
imported and run on seeded inputs, and tensorlet's own int8 op cases exported to ``.tflite`` and run on
LiteRT.

The rules: int8 outputs byte-identical; float32 outputs within ``1e-5 * max(1, max |litert|)``. TFLite's
converter quantizes BATCH_MATMUL (per-tensor) and TRANSPOSE_CONV (per-channel weights, int32 bias, the bias
and Relu fused) fully, so the int8 fixtures hold the op alone.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from tflite_fixtures import fixture, full_range_inputs, litert_reference

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.tlm import read_model

pyruntime = pytest.importorskip("pyruntime")

N_INPUTS = 30
# fixture name: the tensorlet op it must import as, and its options
OPS = {
    "batch_matmul": ("BatchMatMul", {"adj_x": False, "adj_y": True}),
    "batch_matmul_adj_x": ("BatchMatMul", {"adj_x": True, "adj_y": False}),
    "transpose_conv": (
        "TransposeConv",
        {"padding": "SAME", "stride_h": 2, "stride_w": 2, "activation": "RELU"},
    ),
    "transpose_conv_valid": (
        "TransposeConv",
        {"padding": "VALID", "stride_h": 2, "stride_w": 2, "activation": "NONE"},
    ),
}


def _run_litert(ref, xs: list[np.ndarray]) -> list[np.ndarray]:
    for d, x in zip(ref.get_input_details(), xs, strict=True):
        ref.set_tensor(d["index"], x)
    ref.invoke()
    return [ref.get_tensor(d["index"]) for d in ref.get_output_details()]


def _imported(name: str) -> tuple[bytes, bytes]:
    data = fixture(f"ops_{name}")
    tlm = from_tflite(data)
    ops = read_model(tlm).ops
    assert [(op.opcode, op.options) for op in ops] == [OPS[name.removesuffix("_int8")]]
    return data, tlm


@pytest.mark.parametrize("name", sorted(OPS))
def test_float_matches_litert_reference(name: str) -> None:
    data, tlm = _imported(name)
    ref, ours = litert_reference(data), pyruntime.Interpreter(model_content=tlm)
    rng = np.random.default_rng(15)
    for _ in range(N_INPUTS):
        xs = full_range_inputs(ref.get_input_details(), rng)
        for a, b in zip(_run_litert(ref, xs), ours.run(*xs), strict=True):
            assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
            bound = 1e-5 * max(1.0, float(np.abs(a).max()))
            assert float(np.abs(a - b).max()) <= bound, (name, float(np.abs(a - b).max()), bound)


@pytest.mark.parametrize("name", sorted(OPS))
def test_int8_byte_identical_to_litert_reference(name: str) -> None:
    data, tlm = _imported(f"{name}_int8")
    ref, ours = litert_reference(data), pyruntime.Interpreter(model_content=tlm)
    rng = np.random.default_rng(16)
    for _ in range(N_INPUTS):
        xs = full_range_inputs(ref.get_input_details(), rng)
        for a, b in zip(_run_litert(ref, xs), ours.run(*xs), strict=True):
            assert a.dtype == b.dtype == np.int8
            np.testing.assert_array_equal(a, b, name)


@pytest.mark.parametrize("module", ["batch_matmul", "transpose_conv"])
def test_own_int8_cases_exported_run_byte_identical_on_litert(module: str) -> None:
    """tensorlet's int8 cases (zero points -128 and 127, scales far apart, saturation, broadcast batch dims)
    written as .tflite: LiteRT's reference kernel gives the bytes of tensorlet's int8 reference."""
    cases = importlib.import_module(f"op_cases.{module}").int8_cases(np.random.default_rng(3))
    assert len(cases) >= 5
    for case in cases:
        ref = litert_reference(to_tflite(case.model))
        got = _run_litert(ref, case.inputs)
        for a, b in zip(got, case.expected, strict=True):
            np.testing.assert_array_equal(a.reshape(b.shape), b, case.name)
