"""ResizeBilinear and ResizeNearestNeighbor against LiteRT's reference kernels (``BUILTIN_REF``).

1. TensorFlow-converted one-op fixtures (tests/fixtures/tflite/ops_resize_*.tflite, written by
   scripts/make_op_fixtures.py from ``tf.compat.v1.image.resize_bilinear`` / ``resize_nearest_neighbor`` of a
   [2, 5, 6, 3] input: to [11, 7], to [3, 9] with align_corners, to [13, 4] with half_pixel_centers), float32
   and full-integer int8 with int8 I/O: imported, each runs as the one tensorlet op, on 40 seeded inputs.
   TensorFlow's converter gives the int8 output the input's parameters (the rule tensorlet keeps).
2. The op-case geometries (tests/op_cases/resize.py: up, down, non-integer ratios, size 1, a 1-pixel axis)
   exported with ``to_tflite`` in all three modes and run on LiteRT against tensorlet's kernels, with
   full-range int8 inputs (-128 and 127 next to each other).

Rules: int8 outputs byte-identical (bilinear: TFLite's integer path with 10-bit positions); nearest float32
outputs identical (a copy); bilinear float32 within ``1e-5 * max(1, max |litert|)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_fixtures import compare_with_litert, fixture, litert

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.tlm import Quantization, read_model

pyruntime = pytest.importorskip("pyruntime")

FIXTURES = {
    f"resize_{m}{v}": op
    for m, op in (("bilinear", "ResizeBilinear"), ("nearest", "ResizeNearestNeighbor"))
    for v in ("", "_align", "_half")
}
MODES = [(False, False), (True, False), (False, True)]


def _compare(tflite_model: bytes, tlm_model: bytes, n: int, exact: bool) -> int:
    """Runs LiteRT's reference kernels and tensorlet on ``n`` seeded inputs; returns the outputs compared."""
    return compare_with_litert(tflite_model, tlm_model, n, seed=23, float_rtol=None if exact else 1e-5)


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_matches_litert_reference(name: str, int8: bool) -> None:
    data = fixture(f"ops_{name}{'_int8' if int8 else ''}")
    tlm = from_tflite(data)
    m = read_model(tlm)
    assert [op.opcode for op in m.ops] == [FIXTURES[name]]
    o = m.ops[0].options
    assert (o["align_corners"], o["half_pixel_centers"]) == (name.endswith("_align"), name.endswith("_half"))
    if int8:  # the converter keeps the input's parameters on the output
        x, y = m.tensors[m.ops[0].inputs[0]], m.tensors[m.ops[0].outputs[0]]
        assert x.quantization is not None and x.quantization == y.quantization
    assert _compare(data, tlm, 40, exact=FIXTURES[name] == "ResizeNearestNeighbor") == 40


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("opcode", ["ResizeBilinear", "ResizeNearestNeighbor"])
def test_op_case_geometries_export_and_match_litert(opcode: str, int8: bool) -> None:
    from op_cases.resize import GEOMETRIES, resize_model

    tflite_name = "RESIZE_BILINEAR" if opcode == "ResizeBilinear" else "RESIZE_NEAREST_NEIGHBOR"
    q = Quantization(0.037, -7) if int8 else None
    for shape, size in GEOMETRIES:
        for ac, hp in MODES:
            tlm = resize_model(opcode, shape, size, ac, hp, np.int8 if int8 else np.float32, q)
            data = to_tflite(tlm)
            ops = litert().Interpreter(model_content=data)._get_ops_details()  # noqa: SLF001 (LiteRT's op list)
            assert [d["op_name"] for d in ops] == [tflite_name]
            assert from_tflite(data) == tlm  # the round trip gives the same .tlm
            assert _compare(data, tlm, 3, exact=opcode == "ResizeNearestNeighbor") == 3
