"""Shared by the TFLite importer's tests and scripts/fuzz_tflite_import.py: the committed ``.tflite``
fixtures (made by scripts/make_tflite_fixtures.py with TensorFlow's converter), random inputs for them,
byte patches of one field (found with the importer's own bounds-checked reader), and the mutation fuzzer."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from trainer.lite.tflite import schema
from trainer.lite.tflite.flatbuf import Buf, Table

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tflite"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.tflite").read_bytes()


def random_input(detail: dict, rng: np.random.Generator) -> np.ndarray:
    """Full-range int8 inputs, or float32 uniform in [-2, 2] (the converter's calibration range)."""
    shape = [int(d) for d in detail["shape"]]
    if np.dtype(detail["dtype"]) == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    return rng.uniform(-2, 2, size=shape).astype(np.float32)


def litert():
    """LiteRT's interpreter module (``ai-edge-litert``, a test-only oracle): a skip here, a failure under
    TENSORLET_REQUIRE_ALL when it is missing."""
    from conftest import need  # here: scripts/fuzz_tflite_import.py imports this module without pytest

    try:
        from ai_edge_litert import interpreter as litert_interpreter
    except ImportError:
        litert_interpreter = None
    need(
        litert_interpreter is not None,
        "ai-edge-litert (LiteRT) is not installed (pip install ai-edge-litert)",
    )
    return litert_interpreter


def litert_reference(data: bytes):
    """A LiteRT interpreter of ``data`` on TFLite's reference kernels (``BUILTIN_REF``), tensors allocated."""
    lr = litert()
    ref = lr.Interpreter(model_content=data, experimental_op_resolver_type=lr.OpResolverType.BUILTIN_REF)
    ref.allocate_tensors()
    return ref


def full_range_inputs(details: list[dict], rng: np.random.Generator) -> list[np.ndarray]:
    """One input per detail: every int8 value, or float32 uniform in [-3, 3)."""
    out = []
    for d in details:
        shape = tuple(d["shape"])
        if d["dtype"] == np.int8:
            out.append(rng.integers(-128, 128, shape).astype(np.int8))
        else:
            out.append(rng.uniform(-3.0, 3.0, shape).astype(np.float32))
    return out



def compare_with_litert(
    tflite_model: bytes,
    tlm_model: bytes,
    n: int,
    *,
    seed: int,
    float_rtol: float | None = 1e-5,
    resolver=None,
    inputs=full_range_inputs,
) -> int:
    """Runs LiteRT (its reference kernels, or ``resolver``) on ``tflite_model`` and pyruntime on ``tlm_model``
    over ``n`` inputs made by ``inputs(details, rng)`` from ``seed``: integer outputs byte-identical, float32
    within ``float_rtol`` of the largest |output| (at least 1), or byte-identical when it is None. Returns the
    number of outputs compared."""
    import pyruntime

    lr = litert()
    kind = lr.OpResolverType.BUILTIN_REF if resolver is None else resolver
    ref = lr.Interpreter(model_content=tflite_model, experimental_op_resolver_type=kind)
    ref.allocate_tensors()
    ours = pyruntime.Interpreter(model_content=tlm_model)
    ours.allocate_tensors()
    rng = np.random.default_rng(seed)
    compared = 0
    for _ in range(n):
        xs = inputs(ref.get_input_details(), rng)
        for d, x in zip(ref.get_input_details(), xs, strict=True):
            ref.set_tensor(d["index"], x)
        ref.invoke()
        got = ours.run(*xs)
        want = [ref.get_tensor(d["index"]) for d in ref.get_output_details()]
        assert len(got) == len(want)
        for a, b in zip(want, got, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            if a.dtype == np.float32 and float_rtol is not None:
                np.testing.assert_allclose(b, a, rtol=0, atol=float_rtol * max(1.0, float(np.abs(a).max())))
            else:
                assert a.tobytes() == b.tobytes(), np.argwhere(a != b)[:5]
            compared += 1
    return compared

# ---- patching one field of a fixture ----


def root(data: bytes) -> Table:
    return Buf(data).root()


def subgraph(data: bytes) -> Table:
    return root(data).tables(schema.MODEL["subgraphs"], "subgraphs")[0]


def operators(data: bytes) -> list[Table]:
    return subgraph(data).tables(schema.SUBGRAPH["operators"], "operators")


def opcode_tables(data: bytes) -> list[Table]:
    return root(data).tables(schema.MODEL["operator_codes"], "operator_codes")


def patch_scalar(data: bytes, table: Table, slot: int, fmt: str, value: int) -> bytes:
    """``data`` with the field at ``slot`` of ``table`` set to ``value`` (the field must be stored)."""
    pos = table._field(slot, struct.calcsize("<" + fmt), f"slot {slot}")
    assert pos is not None, f"field {slot} is not stored in {table.what}"
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, pos, value)
    return bytes(out)


def set_opcode(data: bytes, opcode_index: int, code: int) -> bytes:
    """Make operator code ``opcode_index`` the builtin ``code`` (both the new and the deprecated field)."""
    t = opcode_tables(data)[opcode_index]
    data = patch_scalar(data, t, schema.OPERATOR_CODE["deprecated_builtin_code"], "b", min(code, 127))
    t = opcode_tables(data)[opcode_index]
    return patch_scalar(data, t, schema.OPERATOR_CODE["builtin_code"], "i", code)


def opcode_index_of(data: bytes, op_index: int) -> int:
    op = operators(data)[op_index]
    return int(op.scalar(schema.OPERATOR["opcode_index"], "I", 0, "opcode_index"))


# ---- mutation fuzzing ----

INTERESTING_WORDS = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x10000)


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to four random edits: a flipped bit, a random byte, an interesting 32-bit word, a truncation,
    an insertion or deletion of a few bytes. The file identifier is usually kept so the parser is reached."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        kind = int(rng.integers(0, 6))
        n = len(out)
        if n < 12:
            break
        pos = int(rng.integers(0, n))
        if 4 <= pos < 8 and rng.random() < 0.9:
            pos = 8 + pos
        pos = min(pos, n - 1)
        if kind == 0:
            out[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:
            out[pos] = int(rng.integers(0, 256))
        elif kind == 2 and pos + 4 <= n:
            word = INTERESTING_WORDS[int(rng.integers(0, len(INTERESTING_WORDS)))]
            if rng.random() < 0.3:
                word = int(rng.integers(0, 2**32))
            struct.pack_into("<I", out, pos & ~3, word)
        elif kind == 3:
            del out[max(pos, 8) :]
        elif kind == 4:
            out[pos:pos] = bytes(rng.integers(0, 256, size=int(rng.integers(1, 9)), dtype=np.uint8))
        else:
            del out[pos : pos + int(rng.integers(1, 9))]
    return bytes(out)
