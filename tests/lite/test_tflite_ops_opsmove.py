"""The movement ops of issue #15 (Split, ...) imported from TensorFlow-converted one-op models and compared
with LiteRT's reference kernels (``OpResolverType.BUILTIN_REF``) on 100 seeded inputs each, and exported
back to TFLite (``to_tflite``) and run on LiteRT against tensorlet's own kernels.

The fixtures (tests/fixtures/tflite/ops_<name>.tflite and ops_<name>_int8.tflite, written by
scripts/make_op_fixtures.py) hold the op alone: float32, and full-integer int8 with int8 inputs and outputs.
These ops move values: int8 outputs byte-identical, float32 outputs identical (no arithmetic). TensorFlow's
converter gives the outputs of SPLIT, SPLIT_V, STRIDED_SLICE, SLICE and UNPACK the input's parameters, the
rule tensorlet's int8 Split, StridedSlice and Unpack keep, and PACK's inputs and output equal parameters
(tensorlet's int8 Pack requantizes inputs whose parameters differ, Concatenation's rule; exported to TFLite,
those inputs get a QUANTIZE first). SLICE imports as StridedSlice (its end and strides become
constants).
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_fixtures import compare_with_litert, fixture, litert

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.tlm import ModelBuilder, Quantization, read_model

pyruntime = pytest.importorskip("pyruntime")

N_INPUTS = 100
# fixture name: the tensorlet op it must import as
OPS = {
    "split": "Split",
    "split_v": "Split",
    "strided_slice": "StridedSlice",  # x[:, 60:3:-2]: begin and end masks on axis 0, a negative stride
    "strided_slice_shrink": "StridedSlice",  # x[0, 1::3]: axis 0 shrunk
    "slice": "StridedSlice",  # SLICE: begin and size
    "pack": "Pack",  # three [1, 64] inputs along axis 1
    "unpack": "Unpack",  # [2, 4, 8] along axis 1
}


def _compare(tflite_model: bytes, tlm_model: bytes, n: int = N_INPUTS) -> int:
    """Runs both on ``n`` seeded inputs; every output identical. Returns the number of outputs compared."""
    return compare_with_litert(tflite_model, tlm_model, n, seed=15, float_rtol=None)


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_fixture_matches_litert_reference(name: str, int8: bool) -> None:
    data = fixture(f"ops_{name}{'_int8' if int8 else ''}")
    tlm = from_tflite(data)
    assert [op.opcode for op in read_model(tlm).ops] == [OPS[name]]
    assert _compare(data, tlm) >= N_INPUTS


def _split_model(shape, axis: int, sizes, int8: bool) -> bytes:
    q = Quantization(0.037, -7) if int8 else None
    dtype = np.int8 if int8 else np.float32
    b = ModelBuilder(description="split")
    x = b.add_input("x", dtype, list(shape), quantization=q)
    ys = []
    for k, s in enumerate(sizes):
        out = list(shape)
        out[axis] = s
        ys.append(b.add_tensor(f"y{k}", dtype, out, quantization=q))
    b.add_op("Split", [x], ys, axis=axis)
    for y in ys:
        b.mark_output(y)
    return b.finish()


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize(
    "shape,axis,sizes,tflite_op",
    [((2, 6, 3), 1, (2, 2, 2), "SPLIT"), ((2, 6, 3), -2, (1, 3, 2), "SPLIT_V"), ((4, 8), 1, (8,), "SPLIT")],
)
def test_split_exports_to_split_or_split_v(shape, axis: int, sizes, tflite_op: str, int8: bool) -> None:
    tlm = _split_model(shape, axis, sizes, int8)
    data = to_tflite(tlm)
    lr = litert()
    ops = lr.Interpreter(model_content=data)._get_ops_details()  # noqa: SLF001 (LiteRT's op list)
    assert [d["op_name"] for d in ops] == [tflite_op]
    back = from_tflite(data)
    assert read_model(back).ops[0].options["axis"] == axis % len(shape)  # the importer writes it >= 0
    if axis >= 0:
        assert back == tlm  # the round trip gives the same .tlm
    assert _compare(data, tlm, n=5) == 5 * len(sizes)


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("k", range(8))
def test_strided_slice_exports_to_strided_slice(k: int, int8: bool) -> None:
    from op_cases.strided_slice import SLICES, _model

    shape, *args = SLICES[k]
    q = Quantization(0.037, -7) if int8 else None
    tlm, _ = _model(shape, *args, dtype=np.int8 if int8 else np.float32, quant=q)
    data = to_tflite(tlm)
    lr = litert()
    ops = lr.Interpreter(model_content=data)._get_ops_details()  # noqa: SLF001 (LiteRT's op list)
    assert [d["op_name"] for d in ops] == ["STRIDED_SLICE"]
    assert from_tflite(data) == tlm  # the round trip gives the same .tlm
    assert _compare(data, tlm, n=5) == 5


@pytest.mark.parametrize("int8", [False, True], ids=["float32", "int8"])
@pytest.mark.parametrize("k", range(6))
def test_pack_and_unpack_export_to_pack_and_unpack(k: int, int8: bool) -> None:
    from op_cases.pack import PACKS, _pack_model, _unpack_model

    shape, n, axis = PACKS[k]
    big = (*shape[: axis % (len(shape) + 1)], n, *shape[axis % (len(shape) + 1) :])
    q = Quantization(0.037, -7) if int8 else None
    in_q = [Quantization(0.037 * (1 + j % 3), j - 7) for j in range(n)] if int8 else None  # differ: QUANTIZE
    dtype = np.int8 if int8 else np.float32
    for tlm, name, count in (
        (_pack_model(shape, n, axis, dtype, in_q, q), "PACK", 1),
        (_unpack_model(big, axis, dtype, q), "UNPACK", n),
    ):
        data = to_tflite(tlm)
        lr = litert()
        ops = [d["op_name"] for d in lr.Interpreter(model_content=data)._get_ops_details()]  # noqa: SLF001
        assert ops[-1] == name and set(ops[:-1]) <= {"QUANTIZE"}
        if axis >= 0 and (name == "UNPACK" or not int8):  # QUANTIZE ops, a negative axis: not the same
            assert from_tflite(data) == tlm  # the round trip gives the same .tlm
        assert _compare(data, tlm, n=5) == 5 * count
