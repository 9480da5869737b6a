"""Corpus of malformed .tlm models (docs/security.md) with the tl_status each must be rejected with.

``cases()`` returns :class:`Case` objects: a name, the file bytes, the expected status (chosen from the
status descriptions in tensorlet.h; where the header names a situation under two statuses, e.g. rank is both
"bad tensor" and "a hard cap", the more specific one; the manifest format allows alternatives, none is used)
and how the driver loads it.
``write_corpus(directory)`` writes ``<name>.tlm`` files plus ``manifest.txt`` for the C driver
``runtime_c/tests/test_malformed.c``. ``valid_models()`` gives the small valid models used as controls, for
prefix truncation and for random mutation.

Models are built with ``ModelBuilder(check=False)`` where the schema can express the defect, and by patching
bytes of a valid model (located with :class:`FlatView`, a minimal reader of the FlatBuffers layout) where only
the container is wrong. Classes of docs/security.md (section 3) that our schema cannot express are listed in
``NOT_EXPRESSIBLE``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import flatbuffers
import numpy as np

from trainer.tlm import ModelBuilder, Quantization
from trainer.tlm.builder import OPCODES
from trainer.tlm.schema import Model as _Model
from trainer.tlm.schema import Quantization as _Quantization
from trainer.tlm.schema import Tensor as _Tensor
from trainer.tlm.schema_tables import OPTION_FIELDS

# Manifest modes understood by test_malformed.c.
COPY = "copy"  # tl_model_load
NOCOPY_MISALIGNED = "nocopy_misaligned"  # tl_model_load_nocopy on a pointer 1 byte past 16-byte alignment
CAP_4096 = "cap4096"  # tl_options.max_arena_bytes = 4096

NOT_EXPRESSIBLE = {
    "deep nesting": "the schema has no recursive tables: nesting depth is fixed at 4 by the types",
    "im2col scratch overflow": "the reference Conv2D uses no scratch buffer (no im2col)",
}


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    expected: tuple[str, ...]
    mode: str = COPY
    requires: str = ""  # a runtime feature the case needs to reach its check ("int8_fc"), "" for none


# ---- FlatBuffers layout helpers ----


class FlatView:
    """Positions of tables, fields, vectors and strings in a FlatBuffer (no checks: valid input only)."""

    def __init__(self, data: bytes) -> None:
        self.buf = bytearray(data)

    def u16(self, pos: int) -> int:
        return struct.unpack_from("<H", self.buf, pos)[0]

    def u32(self, pos: int) -> int:
        return struct.unpack_from("<I", self.buf, pos)[0]

    def i32(self, pos: int) -> int:
        return struct.unpack_from("<i", self.buf, pos)[0]

    def put_u8(self, pos: int, value: int) -> None:
        self.buf[pos] = value & 0xFF

    def put_u16(self, pos: int, value: int) -> None:
        struct.pack_into("<H", self.buf, pos, value & 0xFFFF)

    def put_u32(self, pos: int, value: int) -> None:
        struct.pack_into("<I", self.buf, pos, value & 0xFFFFFFFF)

    def root(self) -> int:
        return self.u32(0)

    def vtable(self, table: int) -> int:
        return table - self.i32(table)

    def field_slot(self, table: int, field_id: int) -> int:
        """Position of the u16 field offset in the table's vtable."""
        vt = self.vtable(table)
        slot = vt + 4 + 2 * field_id
        assert slot + 2 <= vt + self.u16(vt), f"field {field_id} not in vtable"
        return slot

    def field(self, table: int, field_id: int) -> int:
        off = self.u16(self.field_slot(table, field_id))
        assert off != 0, f"field {field_id} absent"
        return table + off

    def deref(self, pos: int) -> int:
        return pos + self.u32(pos)

    def sub(self, table: int, field_id: int) -> int:
        """Position of a sub-table, vector or string referenced by a field."""
        return self.deref(self.field(table, field_id))

    def vec_table(self, vector: int, index: int) -> int:
        return self.deref(vector + 4 + 4 * index)

    def bytes(self) -> bytes:
        return bytes(self.buf)


# Field ids (declaration order in schema/tensorlet.fbs).
MODEL_VERSION, MODEL_TENSORS, MODEL_OPERATORS, MODEL_INPUTS, MODEL_OUTPUTS, MODEL_BUFFERS = range(6)
TENSOR_NAME, TENSOR_DTYPE, TENSOR_SHAPE, TENSOR_BUFFER = range(4)
OP_INPUTS = 1
BUFFER_DATA = 0


# ---- valid models ----


def fc_builder(check: bool = True) -> tuple[ModelBuilder, int, int, int, int]:
    """x[2,12] -> FullyConnected(w[5,12], b[5]) -> y[2,5]; the op is left to the caller."""
    rng = np.random.default_rng(11)
    b = ModelBuilder(description="fc", check=check)
    x = b.add_input("x", np.float32, [2, 12])
    w = b.add_constant("w", rng.standard_normal((5, 12)).astype(np.float32))
    bias = b.add_constant("b", rng.standard_normal(5).astype(np.float32))
    y = b.add_tensor("y", np.float32, [2, 5])
    return b, x, w, bias, y


def fc_model() -> bytes:
    b, x, w, bias, y = fc_builder()
    b.add_op("FullyConnected", [x, w, bias], [y], activation="RELU")
    b.mark_output(y)
    return b.finish()


def cnn_model() -> bytes:
    """Conv2D, AveragePool2D, DepthwiseConv2D, MaxPool2D, Mean, FullyConnected, Softmax on 8x8x3."""
    rng = np.random.default_rng(12)
    b = ModelBuilder(description="small cnn")
    x = b.add_input("image", np.float32, [1, 8, 8, 3])
    cw = b.add_constant("conv/w", rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3)
    cb = b.add_constant("conv/b", rng.standard_normal(4).astype(np.float32) * 0.1)
    c = b.add_tensor("conv", np.float32, [1, 8, 8, 4])
    b.add_op("Conv2D", [x, cw, cb], [c], padding="SAME", activation="RELU")
    p = b.add_tensor("avgpool", np.float32, [1, 4, 4, 4])
    b.add_op("AveragePool2D", [c], [p], padding="VALID", stride_h=2, stride_w=2, filter_h=2, filter_w=2)
    dw = b.add_constant("dw/w", rng.standard_normal((1, 3, 3, 8)).astype(np.float32) * 0.3)
    db = b.add_constant("dw/b", rng.standard_normal(8).astype(np.float32) * 0.1)
    d = b.add_tensor("dw", np.float32, [1, 2, 2, 8])
    b.add_op("DepthwiseConv2D", [p, dw, db], [d], padding="VALID", depth_multiplier=2, activation="RELU6")
    m = b.add_tensor("maxpool", np.float32, [1, 1, 1, 8])
    b.add_op("MaxPool2D", [d], [m], padding="VALID", filter_h=2, filter_w=2)
    r = b.add_tensor("mean", np.float32, [1, 8])
    b.add_op("Mean", [m], [r], axes=[1, 2], keep_dims=False)
    fw = b.add_constant("fc/w", rng.standard_normal((10, 8)).astype(np.float32))
    f = b.add_tensor("logits", np.float32, [1, 10])
    b.add_op("FullyConnected", [r, fw], [f])
    s = b.add_tensor("probs", np.float32, [1, 10])
    b.add_op("Softmax", [f], [s])
    b.mark_output(s)
    return b.finish()


def shapes_model() -> bytes:
    """Add/Mul broadcasting, Concatenation, Pad, Transpose, Reshape, Sub, Tanh, Sigmoid."""
    rng = np.random.default_rng(13)
    b = ModelBuilder(description="broadcast and movement")
    a = b.add_input("a", np.float32, [2, 3, 4])
    c = b.add_input("c", np.float32, [3, 1])
    k = b.add_constant("k", rng.standard_normal(4).astype(np.float32))
    s = b.add_tensor("sum", np.float32, [2, 3, 4])
    b.add_op("Add", [a, c], [s])
    m = b.add_tensor("prod", np.float32, [2, 3, 4])
    b.add_op("Mul", [s, k], [m], activation="RELU")
    d = b.add_tensor("diff", np.float32, [2, 3, 4])
    b.add_op("Sub", [m, a], [d])
    cat = b.add_tensor("cat", np.float32, [2, 3, 8])
    b.add_op("Concatenation", [d, m], [cat], axis=-1)
    pad = b.add_tensor("pad", np.float32, [2, 5, 9])
    b.add_op("Pad", [cat], [pad], paddings=[0, 0, 1, 1, 0, 1])
    t = b.add_tensor("transpose", np.float32, [9, 2, 5])
    b.add_op("Transpose", [pad], [t], perm=[2, 0, 1])
    r = b.add_tensor("reshape", np.float32, [18, 5])
    b.add_op("Reshape", [t], [r], new_shape=[-1, 5])
    th = b.add_tensor("tanh", np.float32, [18, 5])
    b.add_op("Tanh", [r], [th])
    sg = b.add_tensor("sigmoid", np.float32, [18, 5])
    b.add_op("Sigmoid", [th], [sg])
    b.mark_output(sg)
    b.mark_output(cat)
    return b.finish()


def fuzz_inputs_model() -> bytes:
    """Valid model for input-value fuzzing: Quantize/Dequantize (clamp before cast), Softmax, Mean."""
    b = ModelBuilder(description="input-value fuzzing")
    x = b.add_input("x", np.float32, [8, 8])
    q = b.add_tensor("q", np.int8, [8, 8], quantization=Quantization(0.05, 3))
    b.add_op("Quantize", [x], [q])
    outputs = [b.add_tensor("dequantized", np.float32, [8, 8])]
    b.add_op("Dequantize", [q], [outputs[-1]])
    outputs.append(b.add_tensor("softmax", np.float32, [8, 8]))
    b.add_op("Softmax", [x], [outputs[-1]])
    outputs.append(b.add_tensor("mean", np.float32, [8]))
    b.add_op("Mean", [x], [outputs[-1]], axes=[1])
    outputs.append(b.add_tensor("sigmoid", np.float32, [8, 8]))
    b.add_op("Sigmoid", [x], [outputs[-1]])
    for t in outputs:
        b.mark_output(t)
    return b.finish()


def valid_models() -> dict[str, bytes]:
    """Small valid models: controls, truncation and mutation seeds."""
    return {"fc": fc_model(), "cnn": cnn_model(), "shapes": shapes_model()}


# ---- case registry ----

_REGISTRY: list[Callable[[], list[Case]]] = []


def _group(fn: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
    _REGISTRY.append(fn)
    return fn


def _c(name: str, data: bytes, *expected: str, mode: str = COPY, requires: str = "") -> Case:
    statuses = tuple(f"TL_{e}" if not e.startswith("TL_") else e for e in expected)
    return Case(name, bytes(data), statuses, mode, requires)


OK = "OK"
TRUNC = "ERROR_TRUNCATED"
IDENT = "ERROR_BAD_IDENTIFIER"
STRUCT = "ERROR_BAD_STRUCTURE"
REF = "ERROR_BAD_REFERENCE"
GRAPH = "ERROR_BAD_GRAPH"
TENSOR = "ERROR_BAD_TENSOR"
QUANT = "ERROR_BAD_QUANTIZATION"
OPTIONS = "ERROR_BAD_OPTIONS"
SHAPE = "ERROR_BAD_SHAPE"
COUNT = "ERROR_BAD_INPUT_COUNT"
VERSION = "ERROR_UNSUPPORTED_VERSION"
UNS_OP = "ERROR_UNSUPPORTED_OP"
UNS_DTYPE = "ERROR_UNSUPPORTED_DTYPE"
LIMIT = "ERROR_LIMIT_EXCEEDED"
MISALIGNED = "ERROR_MISALIGNED"


@_group
def _controls() -> list[Case]:
    cases = [_c(f"valid_{name}", data, OK) for name, data in valid_models().items()]
    b, x, w, bias, y = fc_builder(check=False)
    b.add_op("FullyConnected", [x, w, bias], [y])
    b.mark_output(y)
    cases.append(_c("valid_without_metadata", b.finish(omit=["metadata"]), OK))
    b, x, w, bias, y = fc_builder()
    b.add_op("FullyConnected", [x, w], [y])  # bias is optional
    b.mark_output(y)
    cases.append(_c("valid_fc_without_bias", b.finish(), OK))
    return cases


# ---- container ----


@_group
def _container() -> list[Case]:
    base = fc_model()
    size = len(base)
    cases = [_c("empty", b"", TRUNC)]
    cases += [_c(f"prefix_{n:02d}_bytes", base[:n], TRUNC) for n in range(1, 12)]
    cases.append(_c("wrong_identifier", base[:4] + b"TFL3" + base[8:], IDENT))
    cases.append(_c("zero_identifier", base[:4] + bytes(4) + base[8:], IDENT))

    def patched(fn: Callable[[FlatView], None]) -> bytes:
        v = FlatView(base)
        fn(v)
        return v.bytes()

    cases.append(_c("root_offset_zero", patched(lambda v: v.put_u32(0, 0)), STRUCT))
    cases.append(_c("root_offset_in_header", patched(lambda v: v.put_u32(0, 4)), STRUCT))
    cases.append(_c("root_offset_at_end", patched(lambda v: v.put_u32(0, size)), TRUNC))
    cases.append(_c("root_offset_past_end", patched(lambda v: v.put_u32(0, size + 64)), TRUNC))
    cases.append(_c("root_offset_ffffffff", patched(lambda v: v.put_u32(0, 0xFFFFFFFC)), TRUNC))
    cases.append(_c("root_offset_misaligned", patched(lambda v: v.put_u32(0, v.root() + 1)), STRUCT))

    def vtable_before_start(v: FlatView) -> None:
        root = v.root()
        v.put_u32(root, root + 8)  # soffset: vtable = root - soffset = -8

    def vtable_past_end(v: FlatView) -> None:
        root = v.root()
        v.put_u32(root, root - (size + 8))  # vtable = size + 8

    cases.append(_c("vtable_before_start", patched(vtable_before_start), STRUCT))
    cases.append(_c("vtable_past_end", patched(vtable_past_end), TRUNC))
    cases.append(
        _c(
            "vtable_size_odd",
            patched(lambda v: v.put_u16(v.vtable(v.root()), v.u16(v.vtable(v.root())) + 1)),
            STRUCT,
        )
    )
    cases.append(_c("vtable_size_2", patched(lambda v: v.put_u16(v.vtable(v.root()), 2)), STRUCT))
    cases.append(_c("vtable_size_past_end", patched(lambda v: v.put_u16(v.vtable(v.root()), 0xFFFE)), TRUNC))
    cases.append(_c("table_size_2", patched(lambda v: v.put_u16(v.vtable(v.root()) + 2, 2)), STRUCT))
    cases.append(
        _c("table_size_past_end", patched(lambda v: v.put_u16(v.vtable(v.root()) + 2, 0xFFFC)), TRUNC)
    )

    def field_past_table(v: FlatView) -> None:
        vt = v.vtable(v.root())
        v.put_u16(v.field_slot(v.root(), MODEL_TENSORS), v.u16(vt + 2) + 4)

    def field_in_soffset(v: FlatView) -> None:
        v.put_u16(v.field_slot(v.root(), MODEL_TENSORS), 2)

    def field_misaligned_scalar(v: FlatView) -> None:
        slot = v.field_slot(v.root(), MODEL_VERSION)
        v.put_u16(slot, v.u16(slot) + 1)

    def field_misaligned_inside(field_id: int) -> Callable[[FlatView], None]:
        def fn(v: FlatView) -> None:
            root = v.root()
            slot = v.field_slot(root, field_id)
            off = v.u16(slot) + 1
            assert off + 4 <= v.u16(v.vtable(root) + 2), "misaligned field must stay inside the table"
            v.put_u16(slot, off)

        return fn

    def tensor_field_past_table(v: FlatView) -> None:
        t0 = v.vec_table(v.sub(v.root(), MODEL_TENSORS), 0)
        v.put_u16(v.field_slot(t0, TENSOR_SHAPE), v.u16(v.vtable(t0) + 2) + 8)

    cases.append(_c("field_offset_past_table", patched(field_past_table), STRUCT))
    cases.append(_c("field_offset_inside_soffset", patched(field_in_soffset), STRUCT))
    cases.append(_c("misaligned_scalar_field_at_table_end", patched(field_misaligned_scalar), STRUCT))
    cases.append(_c("misaligned_offset_field", patched(field_misaligned_inside(MODEL_TENSORS)), STRUCT))
    cases.append(_c("tensor_field_offset_past_table", patched(tensor_field_past_table), STRUCT))

    def uoffset(field_id: int, value: Callable[[FlatView, int], int]) -> Callable[[FlatView], None]:
        def fn(v: FlatView) -> None:
            pos = v.field(v.root(), field_id)
            v.put_u32(pos, value(v, pos))

        return fn

    cases.append(_c("uoffset_past_end", patched(uoffset(MODEL_TENSORS, lambda v, p: size - p + 4)), TRUNC))
    cases.append(_c("uoffset_wraps_32bit", patched(uoffset(MODEL_TENSORS, lambda v, p: 0xFFFFFFF0)), TRUNC))
    cases.append(_c("misaligned_vector", patched(uoffset(MODEL_TENSORS, lambda v, p: v.u32(p) + 2)), STRUCT))

    def vector_length(get_vector: Callable[[FlatView], int], length: int | Callable[[FlatView, int], int]):
        def fn(v: FlatView) -> None:
            vec = get_vector(v)
            v.put_u32(vec, length(v, vec) if callable(length) else length)

        return fn

    def tensors(v: FlatView) -> int:
        return v.sub(v.root(), MODEL_TENSORS)

    def shape0(v: FlatView) -> int:
        return v.sub(v.vec_table(tensors(v), 0), TENSOR_SHAPE)

    def data1(v: FlatView) -> int:
        return v.sub(v.vec_table(v.sub(v.root(), MODEL_BUFFERS), 1), BUFFER_DATA)

    def op_inputs(v: FlatView) -> int:
        return v.sub(v.vec_table(v.sub(v.root(), MODEL_OPERATORS), 0), OP_INPUTS)

    for what, getter in (
        ("tensors", tensors),
        ("shape", shape0),
        ("buffer_data", data1),
        ("op_inputs", op_inputs),
    ):
        for length in (0x7FFFFFFF, 0xFFFFFFFF, 0x40000000):
            cases.append(
                _c(f"vector_length_{length:08x}_{what}", patched(vector_length(getter, length)), TRUNC)
            )
    cases.append(
        _c(
            "vector_one_byte_past_end",
            patched(vector_length(data1, lambda v, vec: size - (vec + 4) + 1)),
            TRUNC,
        )
    )

    def name0(v: FlatView) -> int:
        return v.sub(v.vec_table(tensors(v), 0), TENSOR_NAME)

    def string_without_nul(v: FlatView) -> None:
        s = name0(v)
        v.put_u8(s + 4 + v.u32(s), ord("X"))

    cases.append(_c("string_without_nul", patched(string_without_nul), STRUCT))
    cases.append(_c("string_length_past_end", patched(vector_length(name0, 0x7FFFFFFF)), TRUNC))
    cases.append(_c("string_length_ffffffff", patched(vector_length(name0, 0xFFFFFFFF)), TRUNC))

    def version(value: int) -> Callable[[FlatView], None]:
        return lambda v: v.put_u32(v.field(v.root(), MODEL_VERSION), value)

    cases.append(_c("schema_version_2", patched(version(2)), VERSION))
    cases.append(_c("schema_version_ffffffff", patched(version(0xFFFFFFFF)), VERSION))
    b, x, w, bias, y = fc_builder(check=False)
    b.version = 0
    b.add_op("FullyConnected", [x, w, bias], [y])
    b.mark_output(y)
    cases.append(_c("schema_version_0", b.finish(), VERSION))

    cases.append(_c("trailing_garbage_4k", base + bytes(range(256)) * 16, STRUCT))
    cases.append(_c("misaligned_base_address", base, MISALIGNED, mode=NOCOPY_MISALIGNED))

    for field_name in ("tensors", "operators", "inputs", "outputs", "buffers"):
        b, x, w, bias, y = fc_builder(check=False)
        b.add_op("FullyConnected", [x, w, bias], [y])
        b.mark_output(y)
        cases.append(_c(f"missing_model_{field_name}", b.finish(omit=[field_name]), STRUCT))
    return cases


def _options_union_cases() -> list[Case]:
    def fc(**kw) -> bytes:
        b, x, w, bias, y = fc_builder(check=False)
        b.add_op("FullyConnected", [x, w, bias], [y], **kw)
        b.mark_output(y)
        return b.finish()

    return [
        _c("union_tag_without_value", fc(write_options_value=False), STRUCT),
        _c("union_value_without_tag", fc(options_type=None, options_table="FullyConnectedOptions"), STRUCT),
        # the first tag past the OpOptions union (tags are 1-based: NONE is 0)
        _c(
            "union_first_unknown_tag",
            fc(options_type=len(OPTION_FIELDS) + 1, options_table="FullyConnectedOptions"),
            STRUCT,
        ),
        _c("union_unknown_tag_255", fc(options_type=255, options_table="FullyConnectedOptions"), STRUCT),
        _c("options_of_another_op", fc(options_type="Conv2DOptions"), OPTIONS),
        _c("missing_options", fc(options_type=None, options_table=None), OPTIONS),
    ]


_REGISTRY.append(_options_union_cases)


@_group
def _shared_subobjects() -> list[Case]:
    """Offsets that make many vector entries point at one table (a naive walk would repeat work)."""
    # 5000 tensor entries sharing one int8 tensor with 1000 per-axis scales: 5M scales in total, above the
    # runtime's cap on quantization entries, from a file of about 30 KB.
    return [
        _c("shared_tensor_quant_explosion", _shared_tensors_model(5000, quant_n=1000), LIMIT),
        # 60000 operator entries sharing one op that writes tensor 1: all but the first are second writers.
        _c("shared_operator_60000_writers", _shared_ops_model(60000), GRAPH),
        # counts above the hard caps (65536 tensors, 65536 ops, 4096 graph inputs), in files of a few 100 KB
        _c("tensor_count_above_cap", _shared_tensors_model(70000), LIMIT),
        _c("operator_count_above_cap", _shared_ops_model(70000), LIMIT),
        _c("graph_input_count_above_cap", _shared_tensors_model(5000, n_inputs=5000), LIMIT),
    ]


def _shared_tensors_model(count: int, quant_n: int = 0, n_inputs: int = 1) -> bytes:
    """``count`` tensor entries that all point at one Tensor table; graph inputs 0..n_inputs-1, output 0.

    With ``quant_n`` the tensor is int8 [quant_n] with per-axis quantization; else float32 [4].
    """
    b = flatbuffers.Builder(1 << 16)
    q = None
    if quant_n:
        b.StartVector(4, quant_n, 4)
        for _ in range(quant_n):
            b.PrependFloat32(0.5)
        scales = b.EndVector()
        b.StartVector(8, quant_n, 8)
        for _ in range(quant_n):
            b.PrependInt64(0)
        zps = b.EndVector()
        _Quantization.Start(b)
        _Quantization.AddScale(b, scales)
        _Quantization.AddZeroPoint(b, zps)
        q = _Quantization.End(b)
    b.StartVector(4, 1, 4)
    b.PrependInt32(quant_n or 4)
    shape = b.EndVector()
    _Tensor.Start(b)
    _Tensor.AddDtype(b, 2 if quant_n else 0)
    _Tensor.AddShape(b, shape)
    if q is not None:
        _Tensor.AddQuantization(b, q)
    tensor = _Tensor.End(b)
    b.StartVector(4, count, 4)
    for _ in range(count):
        b.PrependUOffsetTRelative(tensor)
    tensors = b.EndVector()
    b.StartVector(4, 0, 4)
    no_ops = b.EndVector()
    b.StartVector(4, n_inputs, 4)
    for i in reversed(range(n_inputs)):
        b.PrependInt32(i)
    inputs = b.EndVector()
    b.StartVector(4, 1, 4)
    b.PrependInt32(0)
    outputs = b.EndVector()
    b.StartVector(4, 0, 4)
    no_buffers = b.EndVector()
    _Model.Start(b)
    _Model.AddVersion(b, 1)
    _Model.AddTensors(b, tensors)
    _Model.AddOperators(b, no_ops)
    _Model.AddInputs(b, inputs)
    _Model.AddOutputs(b, outputs)
    _Model.AddBuffers(b, no_buffers)
    b.Finish(_Model.End(b), file_identifier=b"TLM1")
    return bytes(b.Output())


def _shared_ops_model(entries: int) -> bytes:
    """x -> Relu -> y, with Model.operators replaced by ``entries`` offsets to one copy of the Relu table.

    The new vector and the table copy are appended to the file (offsets are unsigned and point forward).
    """
    base = ModelBuilder(check=False)
    x = base.add_input("x", np.float32, [4])
    y = base.add_tensor("y", np.float32, [4])
    base.add_op("Relu", [x], [y])
    base.mark_output(y)
    view = FlatView(base.finish())
    op_pos = view.vec_table(view.sub(view.root(), MODEL_OPERATORS), 0)
    data = bytearray(view.bytes())
    while len(data) % 4:
        data.append(0)
    vec = len(data)
    table_start = vec + 4 + 4 * entries
    op_bytes, op_table_off = _copy_table(view, op_pos)
    data += struct.pack("<I", entries)
    for i in range(entries):
        data += struct.pack("<I", table_start + op_table_off - (vec + 4 + 4 * i))
    data += op_bytes
    fixed = FlatView(bytes(data))
    ops_field = fixed.field(fixed.root(), MODEL_OPERATORS)
    fixed.put_u32(ops_field, vec - ops_field)
    return fixed.bytes()


def _copy_table(view: FlatView, table: int) -> tuple[bytes, int]:
    """Copies an Operator table with its vtable and its inputs/outputs vectors into a self-contained blob.

    Returns the blob (4-byte aligned) and the table's offset in it. Only vectors of int32 are followed.
    """
    vt = view.vtable(table)
    vt_size, tbl_size = view.u16(vt), view.u16(vt + 2)
    fields = [view.u16(vt + 4 + 2 * i) for i in range((vt_size - 4) // 2)]
    blob = bytearray()
    vt_off = 0
    blob += view.buf[vt : vt + vt_size]
    while len(blob) % 4:
        blob.append(0)
    t_off = len(blob)
    blob += view.buf[table : table + tbl_size]
    struct.pack_into("<i", blob, t_off, t_off - vt_off)
    while len(blob) % 4:
        blob.append(0)
    for fid in (1, 2):  # inputs, outputs
        if fid < len(fields) and fields[fid]:
            src = view.deref(table + fields[fid])
            n = view.u32(src)
            new = len(blob)
            blob += view.buf[src : src + 4 + 4 * n]
            slot = t_off + fields[fid]
            struct.pack_into("<I", blob, slot, new - slot)
    return bytes(blob), t_off


# ---- references and graph ----


def _chain(check: bool = False) -> tuple[ModelBuilder, list[int]]:
    """x -> Relu -> t1 -> Tanh -> t2 -> Sigmoid -> t3 (ops not added); tensors [x, t1, t2, t3, const]."""
    b = ModelBuilder(check=check)
    x = b.add_input("x", np.float32, [2, 3])
    t1 = b.add_tensor("t1", np.float32, [2, 3])
    t2 = b.add_tensor("t2", np.float32, [2, 3])
    t3 = b.add_tensor("t3", np.float32, [2, 3])
    k = b.add_constant("k", np.ones((2, 3), np.float32))
    return b, [x, t1, t2, t3, k]


@_group
def _references_and_graph() -> list[Case]:
    cases = []

    def chain(
        ops: list[tuple[str, list[int], list[int]]], outputs: list[int], inputs: list[int] | None = None
    ):
        b, _ = _chain()
        if inputs is not None:
            b.inputs = list(inputs)
        for name, ins, outs in ops:
            b.add_op(name, ins, outs)
        b.outputs = list(outputs)
        return b.finish(arena_bytes=0)

    good = [("Relu", [0], [1]), ("Tanh", [1], [2]), ("Sigmoid", [2], [3])]
    cases.append(_c("valid_chain", chain(good, [3]), OK))
    for label, bad in (("ntensors", 5), ("negative", -1), ("int32_min", -(2**31)), ("huge", 2**31 - 1)):
        cases.append(_c(f"op_input_index_{label}", chain([("Relu", [bad], [1]), *good[1:]], [3]), REF))
        cases.append(_c(f"op_output_index_{label}", chain([*good[:2], ("Sigmoid", [2], [bad])], [3]), REF))
        cases.append(_c(f"graph_input_index_{label}", chain(good, [3], inputs=[bad]), REF))
        cases.append(_c(f"graph_output_index_{label}", chain(good, [bad]), REF))
    cases.append(_c("graph_input_listed_twice", chain(good, [3], inputs=[0, 0]), GRAPH))
    cases.append(_c("graph_output_listed_twice", chain(good, [3, 3]), GRAPH))
    cases.append(_c("graph_output_never_produced", chain(good[:2], [3]), GRAPH))
    cases.append(_c("op_reads_unproduced_tensor", chain([good[0], ("Tanh", [3], [2])], [2]), GRAPH))
    cases.append(_c("op_writes_own_input", chain([("Relu", [0], [1]), ("Tanh", [1], [1])], [1]), GRAPH))
    cases.append(_c("op_writes_constant", chain([*good, ("Relu", [3], [4])], [3]), GRAPH))
    cases.append(_c("op_writes_graph_input", chain([*good, ("Relu", [3], [0])], [3]), GRAPH))
    cases.append(_c("two_writers", chain([*good, ("Relu", [0], [2])], [3]), GRAPH))
    cases.append(
        _c("cycle", chain([("Relu", [2], [1]), ("Tanh", [1], [2]), ("Sigmoid", [2], [3])], [3]), GRAPH)
    )
    cases.append(_c("self_loop", chain([("Relu", [1], [1]), ("Sigmoid", [1], [3])], [3]), GRAPH))
    cases.append(_c("ops_out_of_order", chain([good[1], good[0], good[2]], [3]), GRAPH))
    cases.append(_c("graph_input_is_constant", chain(good, [3], inputs=[0, 4]), GRAPH))
    cases.append(_c("graph_output_is_graph_input", chain(good, [3, 0]), OK))
    for name, code in (("past_last", len(OPCODES)), ("99", 99), ("neg1", -1), ("int32_max", 2**31 - 1)):
        b, t = _chain()
        b.add_op(code, [t[0]], [t[1]])
        b.mark_output(t[1])
        cases.append(_c(f"unknown_opcode_{name}", b.finish(arena_bytes=0), UNS_OP))

    b, x, w, bias, y = fc_builder(check=False)
    b.tensors[w].buffer = 99
    b.add_op("FullyConnected", [x, w, bias], [y])
    b.mark_output(y)
    cases.append(_c("tensor_buffer_index_out_of_range", b.finish(), REF))
    b, x, w, bias, y = fc_builder(check=False)
    b.tensors[w].buffer = 0xFFFFFFFF
    b.add_op("FullyConnected", [x, w, bias], [y])
    b.mark_output(y)
    cases.append(_c("tensor_buffer_index_ffffffff", b.finish(), REF))
    b, x, w, bias, y = fc_builder(check=False)
    b.tensors[y].buffer = b.add_buffer(np.zeros((2, 5), np.float32).tobytes())  # y has constant data
    b.add_op("FullyConnected", [x, w, bias], [y])
    b.mark_output(y)
    cases.append(_c("graph_output_is_constant", b.finish(), GRAPH))
    return cases


# ---- tensors ----


def _relu(shape: list[int] | None, dtype: object = np.float32, out_shape: list[int] | None = None) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, shape)
    y = b.add_tensor("y", dtype, shape if out_shape is None else out_shape)
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    return b.finish(arena_bytes=0)


@_group
def _tensors() -> list[Case]:
    cases = [
        _c("dim_negative", _relu([2, -3]), TENSOR),
        _c("dim_int32_min", _relu([2, -(2**31)]), TENSOR),
        _c("dim_zero", _relu([2, 0]), TENSOR),
        _c("rank_7", _relu([1] * 7), LIMIT),
        _c("rank_64", _relu([1] * 64), LIMIT),
        _c("elements_overflow_int32", _relu([65536, 32768]), LIMIT),
        _c("elements_overflow_int64", _relu([2**31 - 1] * 6), LIMIT),
        _c("elements_overflow_size_t_32bit", _relu([65536, 65536, 2]), LIMIT),
        _c("bytes_overflow_only_for_int64", _relu([2**28], np.int64), LIMIT),
        _c("bytes_overflow_only_for_float32", _relu([2**29 + 1], np.float32), LIMIT),
    ]
    for code in (8, 100, 127, -1, -128):
        b = ModelBuilder(check=False)
        x = b.add_input("x", code, [2])
        y = b.add_tensor("y", np.float32, [2])
        b.add_op("Relu", [x], [y])
        b.mark_output(y)
        cases.append(_c(f"dtype_unknown_{code}".replace("-", "neg"), b.finish(arena_bytes=0), UNS_DTYPE))
    for label, delta in (("short", -1), ("long", 1), ("empty", None)):
        b, x, w, bias, y = fc_builder(check=False)
        data = np.ones(5, np.float32).tobytes()
        buf = b.add_buffer(b"" if delta is None else data[:delta] if delta < 0 else data + b"\0")
        bias2 = b.add_tensor("b2", np.float32, [5], buffer=buf)
        b.add_op("FullyConnected", [x, w, bias2], [y])
        b.mark_output(y)
        cases.append(
            _c(f"constant_data_one_byte_{label}" if delta else "constant_data_empty", b.finish(), TENSOR)
        )
    b, x, w, bias, y = fc_builder(check=False)
    buf = b.add_buffer(None)
    bias2 = b.add_tensor("b2", np.float32, [5], buffer=buf)
    b.add_op("FullyConnected", [x, w, bias2], [y])
    b.mark_output(y)
    cases.append(_c("constant_buffer_without_data", b.finish(), TENSOR))

    # zero-sized dims that would feed a divisor (average over 0 elements, pooling over an empty window)
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [1, 0, 3])
    y = b.add_tensor("y", np.float32, [1, 3])
    b.add_op("Mean", [x], [y], axes=[1])
    b.mark_output(y)
    cases.append(_c("mean_over_zero_sized_dim", b.finish(arena_bytes=0), TENSOR))
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [1, 0, 0, 3])
    y = b.add_tensor("y", np.float32, [1, 1, 1, 3])
    b.add_op("AveragePool2D", [x], [y], filter_h=1, filter_w=1)
    b.mark_output(y)
    cases.append(_c("avgpool_zero_sized_input", b.finish(arena_bytes=0), TENSOR))
    return cases


# ---- quantization ----


def _quantize_model(
    q: Quantization | None, dtype: object = np.int8, shape: tuple[int, ...] = (2, 3)
) -> bytes:
    """x float32 -> Quantize -> q (dtype with quantization q)."""
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, list(shape))
    y = b.add_tensor("q", dtype, list(shape), quantization=q)
    b.add_op("Quantize", [x], [y])
    b.mark_output(y)
    return b.finish(arena_bytes=0)


def _int8_fc(
    x_q: Quantization,
    w_q: Quantization,
    b_q: Quantization,
    y_q: Quantization,
) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.int8, [1, 4], quantization=x_q)
    w = b.add_constant("w", np.arange(12, dtype=np.int8).reshape(3, 4), quantization=w_q)
    bias = b.add_constant("b", np.zeros(3, np.int32), quantization=b_q)
    y = b.add_tensor("y", np.int8, [1, 3], quantization=y_q)
    b.add_op("FullyConnected", [x, w, bias], [y])
    b.mark_output(y)
    return b.finish(arena_bytes=0)


@_group
def _quantization() -> list[Case]:
    cases = [_c("valid_quantize", _quantize_model(Quantization(0.1, -3)), OK)]
    bad_scales = {
        "zero": 0.0,
        "negative": -0.5,
        "nan": math.nan,
        "inf": math.inf,
        "subnormal": 1e-40,
    }
    for label, scale in bad_scales.items():
        cases.append(_c(f"quant_scale_{label}", _quantize_model(Quantization(scale, 0)), QUANT))
    cases.append(_c("quant_zero_point_128", _quantize_model(Quantization(0.1, 128)), QUANT))
    cases.append(_c("quant_zero_point_minus_129", _quantize_model(Quantization(0.1, -129)), QUANT))
    cases.append(_c("quant_zero_point_int64_min", _quantize_model(Quantization(0.1, -(2**63))), QUANT))
    cases.append(_c("quant_uint8_zero_point_256", _quantize_model(Quantization(0.1, 256), np.uint8), QUANT))
    cases.append(_c("quant_missing_for_int8", _quantize_model(None), QUANT))
    cases.append(
        _c("quant_scale_count_ne_zero_points", _quantize_model(Quantization([0.1, 0.2], [0])), QUANT)
    )
    cases.append(_c("quant_empty_scale", _quantize_model(Quantization([], [])), QUANT))
    cases.append(
        _c("quant_per_axis_count_ne_dim", _quantize_model(Quantization([0.1] * 2, [0] * 2, axis=1)), QUANT)
    )
    cases.append(
        _c("quant_axis_out_of_range", _quantize_model(Quantization([0.1] * 3, [0] * 3, axis=2)), QUANT)
    )
    cases.append(_c("quant_axis_negative", _quantize_model(Quantization([0.1] * 3, [0] * 3, axis=-1)), QUANT))

    sx, sy = 0.05, 0.1
    sw = [0.01, 0.02, 0.03]
    ok = dict(
        x_q=Quantization(sx, 1),
        w_q=Quantization(sw, [0, 0, 0]),
        b_q=Quantization([sx * s for s in sw], [0, 0, 0]),
        y_q=Quantization(sy, -2),
    )
    # Op-level quantization checks (bias scale, requantization multiplier) happen in the prepare of an int8
    # op; they are reachable only in a runtime that runs int8 FullyConnected (requires="int8_fc"). The
    # control tells whether it does; the other cases differ from it in one parameter.
    int8 = "int8_fc"
    flt_max_w = Quantization([3.4e38] * 3, [0] * 3)
    flt_max_b = Quantization([sx * 3.4e38] * 3, [0] * 3)
    cases += [
        _c("valid_int8_fc", _int8_fc(**ok), OK, requires=int8),
        _c(
            "quant_bias_scale_mismatch",
            _int8_fc(**{**ok, "b_q": Quantization(sw, [0, 0, 0])}),
            QUANT,
            requires=int8,
        ),
        _c(
            "quant_weight_scale_flt_max",
            _int8_fc(**{**ok, "w_q": flt_max_w, "b_q": flt_max_b}),
            QUANT,
            requires=int8,
        ),
        _c(
            "quant_multiplier_out_of_range",
            _int8_fc(**{**ok, "y_q": Quantization(1e-30, 0)}),
            QUANT,
            requires=int8,
        ),
        _c(
            "quant_weight_zero_point_nonzero",
            _int8_fc(**{**ok, "w_q": Quantization(sw, [1, 0, 0])}),
            QUANT,
            requires=int8,
        ),
    ]
    return cases


# ---- op options and shapes ----


def _conv(
    x_shape: Sequence[int] = (1, 5, 5, 2),
    w_shape: Sequence[int] = (3, 3, 3, 2),
    y_shape: Sequence[int] = (1, 5, 5, 3),
    bias_len: int | None = 3,
    op: str = "Conv2D",
    **options: object,
) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, list(x_shape))
    w = b.add_constant("w", np.ones(tuple(w_shape), np.float32))
    ins = [x, w]
    if bias_len is not None:
        ins.append(b.add_constant("b", np.zeros(bias_len, np.float32)))
    y = b.add_tensor("y", np.float32, list(y_shape))
    b.add_op(op, ins, [y], **options)
    b.mark_output(y)
    return b.finish(arena_bytes=0)


def _unary_op(op: str, x_shape: list[int], y_shape: list[int], **options: object) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, x_shape)
    y = b.add_tensor("y", np.float32, y_shape)
    b.add_op(op, [x], [y], **options)
    b.mark_output(y)
    return b.finish(arena_bytes=0)


def _binary_op(
    op: str,
    a_shape: list[int],
    b_shape: list[int],
    y_shape: list[int],
    b_dtype: object = np.float32,
    **options: object,
) -> bytes:
    b = ModelBuilder(check=False)
    a = b.add_input("a", np.float32, a_shape)
    c = b.add_input("b", b_dtype, b_shape)
    y = b.add_tensor("y", np.float32, y_shape)
    b.add_op(op, [a, c], [y], **options)
    b.mark_output(y)
    return b.finish(arena_bytes=0)


def _concat(shapes: list[list[int]], y_shape: list[int], **options: object) -> bytes:
    b = ModelBuilder(check=False)
    xs = [b.add_input(f"x{i}", np.float32, s) for i, s in enumerate(shapes)]
    y = b.add_tensor("y", np.float32, y_shape)
    b.add_op("Concatenation", xs, [y], **options)
    b.mark_output(y)
    return b.finish(arena_bytes=0)


@_group
def _op_options() -> list[Case]:
    cases = [
        _c("valid_conv", _conv(), OK),
        _c(
            "valid_depthwise",
            _conv(
                w_shape=[1, 3, 3, 4],
                y_shape=[1, 5, 5, 4],
                bias_len=4,
                op="DepthwiseConv2D",
                depth_multiplier=2,
            ),
            OK,
        ),
    ]
    # input/output counts
    b, x, w, bias, y = fc_builder(check=False)
    b.add_op("FullyConnected", [x], [y])
    b.mark_output(y)
    cases.append(_c("fc_one_input", b.finish(), COUNT))
    b, x, w, bias, y = fc_builder(check=False)
    b.add_op("FullyConnected", [x, w, bias, bias], [y])
    b.mark_output(y)
    cases.append(_c("fc_four_inputs", b.finish(), COUNT))
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [2])
    y1 = b.add_tensor("y1", np.float32, [2])
    y2 = b.add_tensor("y2", np.float32, [2])
    b.add_op("Relu", [x], [y1, y2])
    b.mark_output(y1)
    b.mark_output(y2)
    cases.append(_c("relu_two_outputs", b.finish(arena_bytes=0), COUNT))
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [2])
    y = b.add_tensor("y", np.float32, [2])
    b.add_op("Add", [x, x, x], [y])
    b.mark_output(y)
    cases.append(_c("add_three_inputs", b.finish(arena_bytes=0), COUNT))
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [2])
    b.add_op("Relu", [x], [])
    b.mark_output(x)
    cases.append(_c("relu_no_outputs", b.finish(arena_bytes=0), COUNT))
    cases.append(_c("concat_17_inputs", _concat([[1, 2]] * 17, [17, 2], axis=0), COUNT))

    cases.append(_c("conv_missing_options", _conv(options_type=None, options_table=None), OPTIONS))
    # dtype mismatch between inputs
    cases.append(
        _c(
            "add_dtype_mismatch",
            _binary_op("Add", [2, 3], [2, 3], [2, 3], b_dtype=np.int32),
            UNS_DTYPE,  # Add runs float32 only: int32 is "a dtype this op does not run"
        )
    )
    # ops that run any dtype must still have inputs and output of one dtype
    b = ModelBuilder(check=False)
    x0 = b.add_input("x0", np.float32, [2, 3])
    x1 = b.add_input("x1", np.int32, [2, 3])
    y = b.add_tensor("y", np.float32, [4, 3])
    b.add_op("Concatenation", [x0, x1], [y], axis=0)
    b.mark_output(y)
    cases.append(_c("concat_dtype_mismatch", b.finish(arena_bytes=0), SHAPE))
    for op, opts, y_shape in (
        ("Reshape", {"new_shape": [3, 2]}, [3, 2]),
        ("Transpose", {"perm": [1, 0]}, [3, 2]),
        ("Pad", {"paddings": [0, 0, 1, 0]}, [2, 4]),
    ):
        b = ModelBuilder(check=False)
        x = b.add_input("x", np.int32, [2, 3])
        y = b.add_tensor("y", np.float32, y_shape)
        b.add_op(op, [x], [y], **opts)
        b.mark_output(y)
        cases.append(_c(f"{op.lower()}_output_dtype_differs", b.finish(arena_bytes=0), SHAPE))
    # strides, dilations, padding enum, activation enum
    for field, value in (
        ("stride_h", 0),
        ("stride_w", -1),
        ("stride_h", -(2**31)),
        ("dilation_h", 0),
        ("dilation_w", -2),
        ("padding", 2),
        ("activation", 3),
        ("activation", 127),
    ):
        cases.append(_c(f"conv_{field}_{value}".replace("-", "neg"), _conv(**{field: value}), OPTIONS))
    cases.append(_c("conv_dilation_overflow", _conv(dilation_h=2**30, padding="SAME"), OPTIONS))
    cases.append(_c("conv_dilation_overflow_valid", _conv(dilation_w=2**30, padding="VALID"), OPTIONS))
    cases.append(_c("conv_stride_huge", _conv(stride_h=2**31 - 1, y_shape=[1, 1, 5, 3]), OK))
    cases.append(
        _c(
            "conv_output_dim_zero_valid",
            _conv(x_shape=[1, 2, 2, 2], y_shape=[1, 0, 0, 3], padding="VALID"),
            TENSOR,
        )
    )
    cases.append(
        _c(
            "conv_kernel_larger_than_input",
            _conv(x_shape=[1, 2, 2, 2], y_shape=[1, 1, 1, 3], padding="VALID"),
            SHAPE,
        )
    )
    cases.append(_c("conv_output_shape_mismatch", _conv(y_shape=[1, 4, 5, 3]), SHAPE))
    cases.append(_c("conv_weight_channel_mismatch", _conv(w_shape=[3, 3, 3, 1]), SHAPE))
    cases.append(_c("conv_bias_length_mismatch", _conv(bias_len=2), SHAPE))
    cases.append(_c("conv_rank3_input", _conv(x_shape=[5, 5, 2]), SHAPE))
    dw = dict(w_shape=[1, 3, 3, 4], y_shape=[1, 5, 5, 4], bias_len=4, op="DepthwiseConv2D")
    cases.append(_c("depthwise_multiplier_0", _conv(**dw, depth_multiplier=0), OPTIONS))
    cases.append(_c("depthwise_multiplier_negative", _conv(**dw, depth_multiplier=-2), OPTIONS))
    cases.append(_c("depthwise_multiplier_mismatch", _conv(**dw, depth_multiplier=3), SHAPE))
    cases.append(_c("depthwise_stride_0", _conv(**dw, depth_multiplier=2, stride_w=0), OPTIONS))
    # pools
    pool = dict(x_shape=[1, 4, 4, 2], y_shape=[1, 2, 2, 2])
    for label, opts in (
        ("filter_0", dict(filter_h=0, filter_w=2, stride_h=2, stride_w=2)),
        ("filter_negative", dict(filter_h=-2, filter_w=2, stride_h=2, stride_w=2)),
        ("stride_0", dict(filter_h=2, filter_w=2, stride_h=0, stride_w=2)),
        ("activation_9", dict(filter_h=2, filter_w=2, stride_h=2, stride_w=2, activation=9)),
    ):
        cases.append(
            _c(f"maxpool_{label}", _unary_op("MaxPool2D", pool["x_shape"], pool["y_shape"], **opts), OPTIONS)
        )
    cases.append(
        _c(
            "avgpool_window_larger_than_input",
            _unary_op("AveragePool2D", [1, 4, 4, 2], [1, 1, 1, 2], filter_h=5, filter_w=5, padding="VALID"),
            OPTIONS,  # docs/security.md: "pool window ... larger than the input" is an option error
        )
    )
    cases.append(
        _c(
            "valid_maxpool",
            _unary_op(
                "MaxPool2D", [1, 4, 4, 2], [1, 2, 2, 2], filter_h=2, filter_w=2, stride_h=2, stride_w=2
            ),
            OK,
        )
    )
    # reshape
    cases.append(
        _c("reshape_element_mismatch", _unary_op("Reshape", [2, 3], [4, 2], new_shape=[4, 2]), SHAPE)
    )
    cases.append(_c("reshape_output_element_mismatch", _unary_op("Reshape", [2, 3], [7]), SHAPE))
    cases.append(
        _c("reshape_two_minus_one", _unary_op("Reshape", [2, 3], [3, 2], new_shape=[-1, -1]), OPTIONS)
    )
    cases.append(_c("reshape_minus_two", _unary_op("Reshape", [2, 3], [3, 2], new_shape=[-2, -3]), OPTIONS))
    cases.append(_c("reshape_zero", _unary_op("Reshape", [2, 3], [3, 2], new_shape=[0, 2]), OPTIONS))
    cases.append(
        _c(
            "reshape_new_shape_disagrees",
            _unary_op("Reshape", [2, 3], [3, 2], new_shape=[2, 3]),
            OPTIONS,
        )
    )
    cases.append(_c("valid_reshape", _unary_op("Reshape", [2, 3], [3, 2], new_shape=[-1, 2]), OK))
    # axes
    for axis in (2, -3, 2**31 - 1, -(2**31)):
        cases.append(
            _c(
                f"concat_axis_{axis}".replace("-", "neg"),
                _concat([[2, 3], [2, 3]], [4, 3], axis=axis),
                OPTIONS,
            )
        )
    cases.append(_c("concat_shape_mismatch", _concat([[2, 3], [3, 3]], [4, 3], axis=0), SHAPE))
    cases.append(_c("concat_activation_5", _concat([[2, 3], [2, 3]], [4, 3], axis=0, activation=5), OPTIONS))
    for label, axes in (
        ("2", [2]),
        ("neg3", [-3]),
        ("int32_min", [-(2**31)]),
        ("duplicate", [1, 1]),
        ("duplicate_negative", [1, -1]),
    ):
        cases.append(_c(f"mean_axes_{label}", _unary_op("Mean", [2, 3], [2], axes=axes), OPTIONS))
    cases.append(_c("mean_output_shape_mismatch", _unary_op("Mean", [2, 3], [3], axes=[1]), SHAPE))
    # softmax
    cases.append(_c("softmax_beta_nan", _unary_op("Softmax", [2, 3], [2, 3], beta=math.nan), OPTIONS))
    cases.append(_c("softmax_beta_inf", _unary_op("Softmax", [2, 3], [2, 3], beta=math.inf), OPTIONS))
    cases.append(_c("softmax_shape_mismatch", _unary_op("Softmax", [2, 3], [3, 2]), SHAPE))
    # transpose
    cases.append(_c("transpose_perm_duplicate", _unary_op("Transpose", [2, 3], [3, 2], perm=[1, 1]), OPTIONS))
    cases.append(
        _c("transpose_perm_out_of_range", _unary_op("Transpose", [2, 3], [3, 2], perm=[2, 0]), OPTIONS)
    )
    cases.append(_c("transpose_perm_negative", _unary_op("Transpose", [2, 3], [3, 2], perm=[-1, 0]), OPTIONS))
    cases.append(_c("transpose_perm_short", _unary_op("Transpose", [2, 3], [3, 2], perm=[1]), OPTIONS))
    cases.append(
        _c(
            "transpose_perm_missing",
            _unary_op("Transpose", [2, 3], [3, 2], options_type=None, options_table=None),
            OPTIONS,
        )
    )
    cases.append(_c("transpose_output_mismatch", _unary_op("Transpose", [2, 3], [2, 3], perm=[1, 0]), SHAPE))
    # pad
    cases.append(_c("pad_negative", _unary_op("Pad", [2, 3], [2, 2], paddings=[0, 0, 0, -1]), OPTIONS))
    cases.append(
        _c(
            "pad_huge",
            _unary_op("Pad", [2, 3], [2, 3], paddings=[0, 0, 2**31 - 1, 2**31 - 1]),
            OPTIONS,
        )
    )
    cases.append(_c("pad_wrong_count", _unary_op("Pad", [2, 3], [2, 5], paddings=[0, 0, 1]), OPTIONS))
    cases.append(_c("pad_output_mismatch", _unary_op("Pad", [2, 3], [2, 6], paddings=[0, 0, 1, 1]), SHAPE))
    # fully connected shapes
    b, x, w, bias, y = fc_builder(check=False)
    w2 = b.add_constant("w2", np.ones((12, 5), np.float32))
    b.add_op("FullyConnected", [x, w2, bias], [y])
    b.mark_output(y)
    cases.append(_c("fc_weight_transposed", b.finish(), SHAPE))
    b, x, w, bias, y = fc_builder(check=False)
    b2 = b.add_constant("b2", np.ones(4, np.float32))
    b.add_op("FullyConnected", [x, w, b2], [y])
    b.mark_output(y)
    cases.append(_c("fc_bias_length_mismatch", b.finish(), SHAPE))
    b, x, w, bias, y = fc_builder(check=False)
    b.add_op("FullyConnected", [x, w, bias], [y], activation=3)
    b.mark_output(y)
    cases.append(_c("fc_activation_3", b.finish(), OPTIONS))
    # broadcasting
    cases.append(_c("add_broadcast_incompatible", _binary_op("Add", [2, 3], [2], [2, 3]), SHAPE))
    cases.append(_c("add_output_shape_mismatch", _binary_op("Add", [2, 3], [3], [2, 4]), SHAPE))
    mul = _binary_op("Mul", [2, 3], [3], [2, 3], activation=-56)
    cases.append(_c("mul_activation_negative", mul, OPTIONS))
    cases.append(_c("valid_add_broadcast", _binary_op("Add", [2, 1, 3], [4, 1], [2, 4, 3]), OK))
    return cases


# ---- resources ----


@_group
def _resources() -> list[Case]:
    cases = []
    # planned arena above the caps: the default 1 GiB, and a 4 KiB cap set through tl_options
    elems = (1 << 27) + 64  # 512 MiB + 256 bytes per tensor; input and output are alive together
    cases.append(_c("arena_above_default_cap", _relu([elems]), LIMIT))
    cases.append(_c("arena_above_options_cap", _relu([2048]), LIMIT, mode=CAP_4096))
    cases.append(_c("arena_below_options_cap", _relu([256]), OK, mode=CAP_4096))
    # many tensors just under the per-tensor cap, all alive at once (sum overflows a 32-bit size_t)
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [2**29 - 4])
    outs = []
    for i in range(4):
        y = b.add_tensor(f"y{i}", np.float32, [2**29 - 4])
        b.add_op("Relu", [x], [y])
        b.mark_output(y)
        outs.append(y)
    cases.append(_c("arena_sum_overflows_32bit", b.finish(arena_bytes=0), LIMIT))
    # a huge tensor name, metadata string and metadata entry count
    b = ModelBuilder(check=False)
    x = b.add_input("x" * 100_000, np.float32, [2])
    y = b.add_tensor("y", np.float32, [2])
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    cases.append(_c("huge_tensor_name", b.finish(arena_bytes=0), LIMIT))
    b = ModelBuilder(check=False, description="d" * 200_000)
    x = b.add_input("x", np.float32, [2])
    y = b.add_tensor("y", np.float32, [2])
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    cases.append(_c("huge_metadata_description", b.finish(arena_bytes=0), LIMIT))
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.float32, [2])
    y = b.add_tensor("y", np.float32, [2])
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    for i in range(5000):
        b.add_metadata(f"k{i}", "v")
    cases.append(_c("many_metadata_entries", b.finish(arena_bytes=0), LIMIT))
    # declared counts of millions in a tiny file
    v = FlatView(fc_model())
    ops = v.sub(v.root(), MODEL_OPERATORS)
    v.put_u32(ops, 3_000_000)
    cases.append(_c("operator_count_millions", v.bytes(), TRUNC))
    return cases


# ---- the ops of issue #15: counts, shapes, dtypes, quantization and options, five or more per op ----

UNARY_MATH_OPS = ("Abs", "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Elu")
BROADCAST_MATH_OPS = ("Minimum", "SquaredDifference", "Div")


def _one_op(op: str, ins: list[tuple], outs: list[tuple], **options: object) -> bytes:
    """One op over (dtype, shape, quantization) inputs and outputs, built without the builder's checks."""
    b = ModelBuilder(check=False)
    xs = [b.add_input(f"x{i}", dt, sh, quantization=q) for i, (dt, sh, q) in enumerate(ins)]
    ys = [b.add_tensor(f"y{i}", dt, sh, quantization=q) for i, (dt, sh, q) in enumerate(outs)]
    b.add_op(op, xs, ys, **options)
    for y in ys:
        b.mark_output(y)
    return b.finish(arena_bytes=0)


@_group
def _new_math_ops() -> list[Case]:
    f, i8, q = np.float32, np.int8, Quantization(0.1, 0)
    per_axis = Quantization([0.1, 0.2], [0, 0], axis=1)
    cases = []
    for op in UNARY_MATH_OPS:
        n = op.lower()
        cases += [
            _c(f"{n}_two_inputs", _one_op(op, [(f, [2], None), (f, [2], None)], [(f, [2], None)]), COUNT),
            _c(f"{n}_output_shape", _one_op(op, [(f, [2, 3], None)], [(f, [3, 2], None)]), SHAPE),
            _c(f"{n}_int8_output_unquantized", _one_op(op, [(i8, [4], q)], [(i8, [4], None)]), QUANT),
            _c(f"{n}_int8_in_float_out", _one_op(op, [(i8, [4], q)], [(f, [4], None)]), UNS_DTYPE),
            _c(f"{n}_int32", _one_op(op, [(np.int32, [4], None)], [(np.int32, [4], None)]), UNS_DTYPE),
            _c(f"{n}_int8_per_axis", _one_op(op, [(i8, [2, 2], per_axis)], [(i8, [2, 2], q)]), QUANT),
        ]
    for op in BROADCAST_MATH_OPS:
        n = op.lower()
        cases += [
            _c(f"{n}_one_input", _one_op(op, [(f, [2], None)], [(f, [2], None)]), COUNT),
            _c(
                f"{n}_no_broadcast",
                _one_op(op, [(f, [2, 3], None), (f, [2], None)], [(f, [2, 3], None)]),
                SHAPE,
            ),
            _c(
                f"{n}_output_not_broadcast",
                _one_op(op, [(f, [2, 3], None), (f, [3], None)], [(f, [2, 4], None)]),
                SHAPE,
            ),
            _c(
                f"{n}_rank5",
                _one_op(op, [(f, [1, 1, 1, 1, 2], None), (f, [2], None)], [(f, [1, 1, 1, 1, 2], None)]),
                SHAPE,
            ),
            _c(
                f"{n}_int8_output_unquantized",
                _one_op(op, [(i8, [4], q), (i8, [4], q)], [(i8, [4], None)]),
                QUANT,
            ),
            _c(f"{n}_mixed_dtypes", _one_op(op, [(f, [4], None), (i8, [4], q)], [(f, [4], None)]), UNS_DTYPE),
        ]
    # the multipliers TFLite's int8 rules cannot represent
    big = Quantization(1e5, 0)
    cases.append(
        _c(
            "rsqrt_int8_multiplier_shift",
            _one_op("Rsqrt", [(i8, [4], Quantization(1.0, 0))], [(i8, [4], big)]),
            QUANT,
        )
    )
    tiny = Quantization(5e-5, 0)
    sq = _one_op(
        "SquaredDifference",
        [(i8, [4], Quantization(0.5, 0)), (i8, [4], Quantization(0.25, 0))],
        [(i8, [4], tiny)],
    )
    cases.append(_c("squared_difference_int8_output_scale_too_small", sq, QUANT))
    div = _one_op(
        "Div",
        [(i8, [4], Quantization(1e-6, 0)), (i8, [4], Quantization(1e3, 0))],
        [(i8, [4], Quantization(1e6, 0))],
    )
    cases.append(_c("div_int8_multiplier_unrepresentable", div, QUANT))
    # LeakyRelu's alpha
    for name, alpha in (("nan", float("nan")), ("inf", float("inf"))):
        cases.append(
            _c(
                f"leaky_relu_alpha_{name}",
                _one_op("LeakyRelu", [(f, [4], None)], [(f, [4], None)], alpha=alpha),
                OPTIONS,
            )
        )
    cases += [
        _c(
            "leaky_relu_int8_negative_alpha",
            _one_op("LeakyRelu", [(i8, [4], q)], [(i8, [4], q)], alpha=-1.0),
            OPTIONS,
        ),
        _c(
            "leaky_relu_output_shape",
            _one_op("LeakyRelu", [(f, [4], None)], [(f, [5], None)], alpha=0.2),
            SHAPE,
        ),
        _c(
            "leaky_relu_int8_output_unquantized",
            _one_op("LeakyRelu", [(i8, [4], q)], [(i8, [4], None)], alpha=0.2),
            QUANT,
        ),
        _c(
            "leaky_relu_two_inputs",
            _one_op("LeakyRelu", [(f, [2], None), (f, [2], None)], [(f, [2], None)], alpha=0.2),
            COUNT,
        ),
        _c("valid_leaky_relu_int8", _one_op("LeakyRelu", [(i8, [4], q)], [(i8, [4], q)], alpha=0.2), OK),
        _c(
            "valid_div_broadcast",
            _one_op("Div", [(f, [2, 1, 3], None), (f, [4, 1], None)], [(f, [2, 4, 3], None)]),
            OK,
        ),
    ]
    return cases


@_group
def _gemm_ops() -> list[Case]:
    """BatchMatMul: counts, ranks, inner dims, batch broadcasts, dtypes and int8 multipliers."""
    f, i8, q = np.float32, np.int8, Quantization(0.1, 0)
    adj = {"adj_x": False, "adj_y": False}
    return [
        _c(
            "batch_matmul_one_input",
            _one_op("BatchMatMul", [(f, [2, 3], None)], [(f, [2, 3], None)], **adj),
            COUNT,
        ),
        _c(
            "batch_matmul_inner_dims_differ",
            _one_op("BatchMatMul", [(f, [2, 3], None), (f, [4, 5], None)], [(f, [2, 5], None)], **adj),
            SHAPE,
        ),
        _c(
            "batch_matmul_adj_y_inner_dims_differ",
            _one_op(
                "BatchMatMul",
                [(f, [2, 3], None), (f, [3, 5], None)],
                [(f, [2, 3], None)],
                adj_x=False,
                adj_y=True,
            ),
            SHAPE,
        ),
        _c(
            "batch_matmul_rank1",
            _one_op("BatchMatMul", [(f, [3], None), (f, [3, 5], None)], [(f, [5], None)], **adj),
            SHAPE,
        ),
        _c(
            "batch_matmul_rank5",
            _one_op(
                "BatchMatMul",
                [(f, [1, 1, 1, 2, 3], None), (f, [3, 4], None)],
                [(f, [1, 1, 1, 2, 4], None)],
                **adj,
            ),
            SHAPE,
        ),
        _c(
            "batch_matmul_batch_no_broadcast",
            _one_op(
                "BatchMatMul", [(f, [2, 2, 3], None), (f, [3, 3, 4], None)], [(f, [3, 2, 4], None)], **adj
            ),
            SHAPE,
        ),
        _c(
            "batch_matmul_output_shape",
            _one_op("BatchMatMul", [(f, [2, 2, 3], None), (f, [3, 4], None)], [(f, [2, 2, 5], None)], **adj),
            SHAPE,
        ),
        _c(
            "batch_matmul_mixed_dtypes",
            _one_op("BatchMatMul", [(i8, [2, 3], q), (f, [3, 4], None)], [(i8, [2, 4], q)], **adj),
            UNS_DTYPE,
        ),
        _c(
            "batch_matmul_int8_output_unquantized",
            _one_op("BatchMatMul", [(i8, [2, 3], q), (i8, [3, 4], q)], [(i8, [2, 4], None)], **adj),
            QUANT,
        ),
        _c(
            "batch_matmul_int8_multiplier_unrepresentable",
            _one_op(
                "BatchMatMul",
                [(i8, [2, 3], Quantization(1e-20, 0)), (i8, [3, 4], Quantization(1e-20, 0))],
                [(i8, [2, 4], Quantization(1.0, 0))],
                **adj,
            ),
            QUANT,
        ),
        _c(
            "valid_batch_matmul_broadcast",
            _one_op(
                "BatchMatMul",
                [(f, [2, 1, 2, 3], None), (f, [4, 3, 5], None)],
                [(f, [2, 4, 2, 5], None)],
                adj_x=False,
                adj_y=False,
            ),
            OK,
        ),
    ]


@_group
def _activation_ops() -> list[Case]:
    """HardSwish, Gelu, PRelu, L2Normalization: counts, shapes, dtypes and int8 parameters TFLite's kernels
    cannot take."""
    f, i8, q = np.float32, np.int8, Quantization(0.1, 0)
    per_axis = Quantization([0.1, 0.2], [0, 0], axis=1)
    gelu = {"approximate": True}
    return [
        _c("gelu_two_inputs", _one_op("Gelu", [(f, [2], None)] * 2, [(f, [2], None)], **gelu), COUNT),
        _c("gelu_output_shape", _one_op("Gelu", [(f, [2, 3], None)], [(f, [3, 2], None)], **gelu), SHAPE),
        _c("gelu_int8_output_unquantized", _one_op("Gelu", [(i8, [4], q)], [(i8, [4], None)], **gelu), QUANT),
        _c("gelu_float_in_int8_out", _one_op("Gelu", [(f, [4], None)], [(i8, [4], q)], **gelu), UNS_DTYPE),
        _c("gelu_int32", _one_op("Gelu", [(np.int32, [4], None)], [(np.int32, [4], None)]), UNS_DTYPE),
        _c("gelu_int8_per_axis", _one_op("Gelu", [(i8, [2, 2], per_axis)], [(i8, [2, 2], q)], **gelu), QUANT),
        _c("valid_gelu_int8", _one_op("Gelu", [(i8, [4], q)], [(i8, [4], q)], **gelu), OK),
        _c("prelu_one_input", _one_op("PRelu", [(f, [2, 3], None)], [(f, [2, 3], None)]), COUNT),
        _c(
            "prelu_alpha_not_broadcast",
            _one_op("PRelu", [(f, [2, 3], None), (f, [2], None)], [(f, [2, 3], None)]),
            SHAPE,
        ),
        _c(  # alpha may broadcast into x, not widen it: the output must have x's shape
            "prelu_alpha_widens_input",
            _one_op("PRelu", [(f, [2, 1], None), (f, [3], None)], [(f, [2, 3], None)]),
            SHAPE,
        ),
        _c(
            "prelu_rank5",
            _one_op("PRelu", [(f, [1, 1, 1, 2, 3], None), (f, [3], None)], [(f, [1, 1, 1, 2, 3], None)]),
            SHAPE,
        ),
        _c("prelu_mixed_dtypes", _one_op("PRelu", [(i8, [4], q), (f, [4], None)], [(i8, [4], q)]), UNS_DTYPE),
        _c(
            "prelu_int8_alpha_per_axis",
            _one_op("PRelu", [(i8, [2, 2], q), (i8, [2, 2], per_axis)], [(i8, [2, 2], q)]),
            QUANT,
        ),
        _c(  # s_x s_alpha / s_out = 1e-32: below 2^-31
            "prelu_int8_alpha_multiplier_unrepresentable",
            _one_op("PRelu", [(i8, [4], q), (i8, [4], Quantization(1e-30, 0))], [(i8, [4], q)]),
            QUANT,
        ),
        _c(
            "l2_normalization_two_inputs",
            _one_op("L2Normalization", [(f, [2], None)] * 2, [(f, [2], None)]),
            COUNT,
        ),
        _c(
            "l2_normalization_output_shape",
            _one_op("L2Normalization", [(f, [2, 3], None)], [(f, [3, 2], None)]),
            SHAPE,
        ),
        _c(
            "l2_normalization_rank5",
            _one_op("L2Normalization", [(f, [1, 1, 1, 2, 3], None)], [(f, [1, 1, 1, 2, 3], None)]),
            SHAPE,
        ),
        _c(  # TFLite's int8 output is fixed: scale 1/128, zero point 0
            "l2_normalization_int8_output_scale",
            _one_op("L2Normalization", [(i8, [2, 4], q)], [(i8, [2, 4], q)]),
            QUANT,
        ),
        _c(
            "l2_normalization_int8_output_zero_point",
            _one_op("L2Normalization", [(i8, [2, 4], q)], [(i8, [2, 4], Quantization(1 / 128, 3))]),
            QUANT,
        ),
        _c(  # 255^2 x 33026 overflows TFLite's int32 sum of squares
            "l2_normalization_int8_row_too_long",
            _one_op("L2Normalization", [(i8, [1, 33026], q)], [(i8, [1, 33026], Quantization(1 / 128, 0))]),
            SHAPE,
        ),
        _c(
            "l2_normalization_int8_in_float_out",
            _one_op("L2Normalization", [(i8, [4], q)], [(f, [4], None)]),
            UNS_DTYPE,
        ),
        _c(
            "valid_l2_normalization_int8",
            _one_op("L2Normalization", [(i8, [2, 4], q)], [(i8, [2, 4], Quantization(1 / 128, 0))]),
            OK,
        ),
        _c("valid_prelu_int8", _one_op("PRelu", [(i8, [2, 3], q), (i8, [3], q)], [(i8, [2, 3], q)]), OK),
        _c("hard_swish_two_inputs", _one_op("HardSwish", [(f, [2], None)] * 2, [(f, [2], None)]), COUNT),
        _c("hard_swish_no_output", _one_op("HardSwish", [(f, [2], None)], []), COUNT),
        _c("hard_swish_output_shape", _one_op("HardSwish", [(f, [2, 3], None)], [(f, [6], None)]), SHAPE),
        _c("hard_swish_int8_in_float_out", _one_op("HardSwish", [(i8, [4], q)], [(f, [4], None)]), UNS_DTYPE),
        _c(
            "hard_swish_int8_per_axis",
            _one_op("HardSwish", [(i8, [2, 2], per_axis)], [(i8, [2, 2], q)]),
            QUANT,
        ),
        _c(  # (s_in / 128) / s_out = 2: TFLite requires the output multiplier's exponent <= 0
            "hard_swish_int8_output_multiplier_above_one",
            _one_op("HardSwish", [(i8, [4], Quantization(25.6, 0))], [(i8, [4], q)]),
            QUANT,
        ),
        _c(  # the reluish multiplier s_in * 256 / 3 ~ 2^-40 cannot be shifted that far
            "hard_swish_int8_input_scale_tiny",
            _one_op("HardSwish", [(i8, [4], Quantization(1e-14, 0))], [(i8, [4], Quantization(1e-14, 0))]),
            QUANT,
        ),
        _c("valid_hard_swish_int8", _one_op("HardSwish", [(i8, [4], q)], [(i8, [4], q)]), OK),
    ]


@_group
def _split_op() -> list[Case]:
    f, i8, q = np.float32, np.int8, Quantization(0.1, 0)

    def split(ins: list[tuple], outs: list[tuple], axis: int = 1) -> bytes:
        return _one_op("Split", ins, outs, axis=axis)

    x = (f, [4, 6], None)
    return [
        _c("split_no_outputs", split([x], []), COUNT),
        _c("split_two_inputs", split([x, x], [(f, [4, 6], None)]), COUNT),
        _c("split_axis_out_of_range", split([x], [(f, [4, 6], None)], axis=2), OPTIONS),
        _c("split_pieces_short", split([x], [(f, [4, 2], None), (f, [4, 3], None)]), SHAPE),
        _c("split_piece_other_dim", split([x], [(f, [4, 3], None), (f, [2, 3], None)]), SHAPE),
        _c("split_piece_rank", split([x], [(f, [4, 6, 1], None)]), SHAPE),
        _c("split_dtype_change", split([x], [(np.int32, [4, 6], None)]), SHAPE),
        _c(
            "split_int8_output_requantized",
            split([(i8, [4, 6], q)], [(i8, [4, 3], q), (i8, [4, 3], Quantization(0.2, 0))]),
            QUANT,
        ),
        _c("split_17_outputs", split([(f, [17], None)], [(f, [1], None)] * 17, axis=0), LIMIT),
        _c("valid_split_int8", split([(i8, [4, 6], q)], [(i8, [4, 1], q), (i8, [4, 5], q)], axis=-1), OK),
    ]


def _tconv(
    x: list[int], w: list[int], y: list[int], dtype=np.float32, quant=(None, None, None), **options
) -> bytes:
    """TransposeConv over input x, constant weights w and output y (stride 2, SAME unless given)."""
    opts = {"padding": "SAME", "stride_h": 2, "stride_w": 2, "activation": "NONE", **options}
    b = ModelBuilder(check=False)
    xi = b.add_input("x", dtype, x, quantization=quant[0])
    wi = b.add_constant("w", np.ones(w, dtype), quantization=quant[1])
    yi = b.add_tensor("y", dtype, y, quantization=quant[2])
    b.add_op("TransposeConv", [xi, wi], [yi], **opts)
    b.mark_output(yi)
    return b.finish(arena_bytes=0)


@_group
def _transpose_conv_cases() -> list[Case]:
    """TransposeConv: ranks, channels, output sizes its Conv2D does not map back, options, int8 weights."""
    q, wq = Quantization(0.1, 0), Quantization(0.05, 0)
    i8q = (q, wq, q)
    return [
        _c("transpose_conv_rank3", _tconv([3, 3, 4], [2, 3, 3, 4], [6, 6, 2]), SHAPE),
        _c("transpose_conv_channels", _tconv([1, 3, 3, 5], [2, 3, 3, 4], [1, 6, 6, 2]), SHAPE),
        _c("transpose_conv_output_channels", _tconv([1, 3, 3, 4], [2, 3, 3, 4], [1, 6, 6, 3]), SHAPE),
        _c("transpose_conv_output_size", _tconv([1, 3, 3, 4], [2, 3, 3, 4], [1, 9, 6, 2]), SHAPE),
        _c("transpose_conv_stride_0", _tconv([1, 3, 3, 4], [2, 3, 3, 4], [1, 6, 6, 2], stride_h=0), OPTIONS),
        _c(
            "transpose_conv_int8_output_unquantized",
            _tconv([1, 3, 3, 4], [2, 3, 3, 4], [1, 6, 6, 2], np.int8, (q, wq, None)),
            QUANT,
        ),
        _c(
            "transpose_conv_int8_weight_zero_point",
            _tconv([1, 3, 3, 4], [2, 3, 3, 4], [1, 6, 6, 2], np.int8, (q, Quantization(0.05, 2), q)),
            QUANT,
        ),
        _c("valid_transpose_conv_int8", _tconv([1, 3, 3, 4], [2, 3, 3, 4], [1, 6, 6, 2], np.int8, i8q), OK),
    ]


def _strided_slice(
    x: tuple, vectors: Sequence[Sequence[int]], y: tuple, dtype: object = np.int32, **masks: object
) -> bytes:
    """One StridedSlice of input x with constant begin, end, strides (``dtype``) and output y."""
    b = ModelBuilder(check=False)
    xi = b.add_input("x", x[0], x[1], quantization=x[2])
    consts = [b.add_constant(n, np.asarray(v, dtype)) for n, v in zip("bes", vectors, strict=True)]
    yi = b.add_tensor("y", y[0], y[1], quantization=y[2])
    b.add_op("StridedSlice", [xi, *consts], [yi], **masks)
    b.mark_output(yi)
    return b.finish(arena_bytes=0)


@_group
def _strided_slice_op() -> list[Case]:
    f, i8, q = np.float32, np.int8, Quantization(0.1, 0)
    x, y = (f, [4, 6], None), (f, [4, 2], None)
    v = ([0, 1], [4, 5], [1, 2])  # x[0:4, 1:5:2]: [4, 2]
    one_input = _one_op("StridedSlice", [x], [y])
    return [
        _c("strided_slice_one_input", one_input, COUNT),
        _c("strided_slice_output_shape", _strided_slice(x, v, (f, [4, 3], None)), SHAPE),
        _c("strided_slice_zero_stride", _strided_slice(x, (v[0], v[1], [1, 0]), y), OPTIONS),
        _c("strided_slice_empty", _strided_slice(x, (v[0], [0, 5], v[2]), y), SHAPE),
        _c("strided_slice_mask_above_rank", _strided_slice(x, v, y, end_mask=8), OPTIONS),
        _c("strided_slice_shrink_out_of_range", _strided_slice(x, ([4, 1], v[1], v[2]), (f, [2], None),
                                                               shrink_axis_mask=1), OPTIONS),  # fmt: skip
        _c("strided_slice_begin_length", _strided_slice(x, ([0], [4], [1]), y), SHAPE),
        _c("strided_slice_float_bounds", _strided_slice(x, v, y, np.float32), UNS_DTYPE),
        _c("strided_slice_dtype_change", _strided_slice(x, v, (np.int32, [4, 2], None)), SHAPE),
        _c(
            "strided_slice_int8_requantized",
            _strided_slice((i8, [4, 6], q), v, (i8, [4, 2], Quantization(0.2, 0))),
            QUANT,
        ),
        _c("valid_strided_slice_int8", _strided_slice((i8, [4, 6], q), v, (i8, [4, 2], q)), OK),
    ]


@_group
def _pack_ops() -> list[Case]:
    f, i8, q, q2 = np.float32, np.int8, Quantization(0.1, 0), Quantization(0.2, 0)
    x, s3 = (f, [2, 3], None), (f, [3], None)

    def pack(ins: list[tuple], y: tuple, axis: int = 0) -> bytes:
        return _one_op("Pack", ins, [y], axis=axis)

    def unpack(x_: tuple, ys: list[tuple], axis: int = 0) -> bytes:
        return _one_op("Unpack", [x_], ys, axis=axis)

    return [
        _c("pack_no_inputs", pack([], (f, [1, 2, 3], None)), COUNT),
        _c("pack_17_inputs", pack([(f, [1], None)] * 17, (f, [17, 1], None)), COUNT),
        _c("pack_output_count", pack([x, x], (f, [3, 2, 3], None)), SHAPE),
        _c("pack_input_shapes", pack([x, (f, [2, 4], None)], (f, [2, 2, 3], None)), SHAPE),
        _c("pack_axis_out_of_range", pack([x, x], (f, [2, 2, 3], None), axis=3), OPTIONS),
        _c("pack_mixed_dtypes", pack([x, (i8, [2, 3], q)], (f, [2, 2, 3], None)), SHAPE),  # as Concatenation
        _c("unpack_two_inputs", _one_op("Unpack", [x, x], [s3] * 2, axis=0), COUNT),
        _c("unpack_output_count", unpack(x, [s3] * 3), SHAPE),
        _c("unpack_output_shape", unpack(x, [(f, [2], None)] * 2), SHAPE),
        _c("unpack_axis_out_of_range", unpack(x, [s3] * 2, axis=2), OPTIONS),
        _c("unpack_int8_requantized", unpack((i8, [2, 3], q), [(i8, [3], q), (i8, [3], q2)]), QUANT),
        _c("valid_pack_int8_requantizing", pack([(i8, [3], q), (i8, [3], q2)], (i8, [2, 3], q)), OK),
    ]


def _resize(
    op: str, x: tuple, size: Sequence[int] | None, y: tuple, dtype: object = np.int32, **options: object
) -> bytes:
    """One resize op of input x with a constant ``size`` (of ``dtype``; None: size is a graph input)."""
    b = ModelBuilder(check=False)
    xi = b.add_input("x", x[0], x[1], quantization=x[2])
    if size is None:
        si = b.add_input("size", np.int32, [2])
    else:
        si = b.add_constant("size", np.asarray(size, dtype))
    yi = b.add_tensor("y", y[0], y[1], quantization=y[2])
    b.add_op(op, [xi, si], [yi], **options)
    b.mark_output(yi)
    return b.finish(arena_bytes=0)


def _gather(x: tuple, ids: tuple, y: tuple, axis: int = 0, const_ids: Sequence[int] | None = None) -> bytes:
    """One Gather of input x by indices ``ids`` (a graph input, or a constant with values ``const_ids``)."""
    b = ModelBuilder(check=False)
    xi = b.add_input("x", x[0], x[1], quantization=x[2])
    if const_ids is None:
        ii = b.add_input("ids", ids[0], ids[1], quantization=ids[2])
    else:
        ii = b.add_constant("ids", np.asarray(const_ids, ids[0]).reshape(ids[1]))
    yi = b.add_tensor("y", y[0], y[1], quantization=y[2])
    b.add_op("Gather", [xi, ii], [yi], axis=axis)
    b.mark_output(yi)
    return b.finish(arena_bytes=0)


@_group
def _resize_ops() -> list[Case]:
    f, i8, i32, q = np.float32, np.int8, np.int32, Quantization(0.1, 0)
    x, y, x8 = (f, [1, 4, 4, 2], None), (f, [1, 8, 6, 2], None), (i8, [1, 4, 4, 2], q)
    both = {"align_corners": True, "half_pixel_centers": True}
    cases = []
    for op in ("ResizeBilinear", "ResizeNearestNeighbor"):
        n = "resize_bilinear" if op == "ResizeBilinear" else "resize_nearest"
        cases += [
            _c(f"{n}_one_input", _one_op(op, [x], [y]), COUNT),
            _c(f"{n}_align_and_half_pixel", _resize(op, x, [8, 6], y, **both), OPTIONS),
            _c(f"{n}_output_shape", _resize(op, x, [8, 6], (f, [1, 6, 8, 2], None)), SHAPE),
            _c(f"{n}_channels_change", _resize(op, x, [8, 6], (f, [1, 8, 6, 3], None)), SHAPE),
            _c(f"{n}_size_length", _resize(op, x, [8, 6, 1], y), SHAPE),
            _c(f"{n}_size_zero", _resize(op, x, [0, 6], (f, [1, 1, 6, 2], None)), SHAPE),
            _c(f"{n}_size_huge", _resize(op, x, [65537, 1], (f, [1, 65537, 1, 2], None)), SHAPE),
            _c(f"{n}_size_float", _resize(op, x, [8, 6], y, np.float32), UNS_DTYPE),
            _c(f"{n}_size_not_constant", _resize(op, x, None, y), "ERROR_UNSUPPORTED_FEATURE"),
            _c(f"{n}_rank_3", _resize(op, (f, [4, 4, 2], None), [8, 6], (f, [8, 6, 2], None)), SHAPE),
            _c(f"{n}_int32", _resize(op, (i32, [1, 4, 4, 2], None), [8, 6], (i32, y[1], None)), UNS_DTYPE),
            _c(f"{n}_int8_requantized", _resize(op, x8, [8, 6], (i8, y[1], Quantization(0.2, 0))), QUANT),
            _c(f"valid_{n}_int8", _resize(op, x8, [8, 6], (i8, [1, 8, 6, 2], q)), OK),
        ]
    return cases


@_group
def _gather_op() -> list[Case]:
    f, i8, i32, q, q2 = np.float32, np.int8, np.int32, Quantization(0.1, 0), Quantization(0.2, 0)
    x, ids, y = (f, [5, 3], None), (i32, [2], None), (f, [2, 3], None)
    return [
        _c("gather_one_input", _one_op("Gather", [x], [y], axis=0), COUNT),
        _c("gather_axis_out_of_range", _gather(x, ids, y, axis=2), OPTIONS),
        _c("gather_axis_negative_out_of_range", _gather(x, ids, y, axis=-3), OPTIONS),
        _c("gather_output_shape", _gather(x, ids, (f, [3, 3], None)), SHAPE),
        _c("gather_float_indices", _gather(x, (f, [2], None), y), UNS_DTYPE),
        _c("gather_int64_indices", _gather(x, (np.int64, [2], None), y), UNS_DTYPE),
        _c("gather_int32_params", _gather((i32, [5, 3], None), ids, (i32, [2, 3], None)), UNS_DTYPE),
        _c("gather_params_rank_5",
           _gather((f, [1, 1, 1, 5, 3], None), ids, (f, [1, 1, 1, 2, 3], None), axis=3), SHAPE),  # fmt: skip
        _c("gather_output_rank_7", _gather((f, [1, 1, 5, 3], None), (i32, [1, 1, 1, 2], None),
                                           (f, [1, 1, 1, 1, 1, 2], None), axis=2), SHAPE),  # fmt: skip
        _c("gather_constant_index_out_of_range", _gather(x, ids, y, const_ids=[1, 5]), OPTIONS),
        _c("gather_constant_index_negative", _gather(x, ids, y, const_ids=[-1, 0]), OPTIONS),
        _c("gather_quantized_indices", _gather(x, (i32, [2], q), y), QUANT),
        _c("gather_int8_requantized", _gather((i8, [5, 3], q), ids, (i8, [2, 3], q2)), QUANT),
        _c("gather_dtype_change", _gather(x, ids, (i8, [2, 3], q)), SHAPE),
        _c("valid_gather_int8_constant_indices",
           _gather((i8, [5, 3], q), ids, (i8, [2, 3], q), const_ids=[4, 0]), OK),  # fmt: skip
    ]


@_group
def _reduce_ops() -> list[Case]:
    f, i8, q, q2 = np.float32, np.int8, Quantization(0.1, 0), Quantization(0.2, 3)
    x = (f, [2, 3], None)
    cases = []
    for op in ("Sum", "ReduceMax"):
        n = "sum" if op == "Sum" else "reduce_max"
        cases += [
            _c(f"{n}_two_inputs", _one_op(op, [x, x], [(f, [2], None)], axes=[1]), COUNT),
            _c(f"{n}_no_axes", _one_op(op, [x], [(f, [2, 3], None)], axes=[]), OPTIONS),
            _c(f"{n}_axis_out_of_range", _one_op(op, [x], [(f, [2], None)], axes=[2]), OPTIONS),
            _c(f"{n}_axis_twice", _one_op(op, [x], [(f, [2], None)], axes=[1, -1]), OPTIONS),
            _c(f"{n}_output_shape", _one_op(op, [x], [(f, [3], None)], axes=[1]), SHAPE),
            _c(f"{n}_keep_dims_shape", _one_op(op, [x], [(f, [2], None)], axes=[1], keep_dims=True), SHAPE),
            _c(
                f"{n}_int32",
                _one_op(op, [(np.int32, [2, 3], None)], [(np.int32, [2], None)], axes=[1]),
                UNS_DTYPE,
            ),
            _c(
                f"{n}_int8_output_unquantized",
                _one_op(op, [(i8, [2, 3], q)], [(i8, [2], None)], axes=[1]),
                QUANT,
            ),
        ]
    cases += [
        _c(
            "reduce_max_int8_requantized",
            _one_op("ReduceMax", [(i8, [2, 3], q)], [(i8, [2], q2)], axes=[1]),
            QUANT,
        ),
        _c(
            "sum_int8_scale_ratio_inf",
            _one_op(
                "Sum", [(i8, [2, 3], Quantization(1e30, 0))], [(i8, [2], Quantization(1e-30, 0))], axes=[1]
            ),
            QUANT,
        ),
        _c(
            "sum_int8_zero_point_share_inf",
            _one_op(
                "Sum", [(i8, [2, 3], Quantization(1e30, 127))], [(i8, [2], Quantization(1e-7, 0))], axes=[1]
            ),
            QUANT,
        ),
        _c("valid_sum_int8_requantizing", _one_op("Sum", [(i8, [2, 3], q)], [(i8, [2], q2)], axes=[1]), OK),
    ]
    return cases


@_group
def _arg_ops() -> list[Case]:
    f, i8, i32, q = np.float32, np.int8, np.int32, Quantization(0.1, 0)
    x = (f, [2, 3], None)
    cases = []
    for op in ("ArgMax", "ArgMin"):
        n = "arg_max" if op == "ArgMax" else "arg_min"
        cases += [
            _c(f"{n}_two_inputs", _one_op(op, [x, x], [(i32, [2], None)], axis=1), COUNT),
            _c(f"{n}_two_outputs", _one_op(op, [x], [(i32, [2], None)] * 2, axis=1), COUNT),
            _c(f"{n}_axis_out_of_range", _one_op(op, [x], [(i32, [2], None)], axis=2), OPTIONS),
            _c(f"{n}_axis_int32_min", _one_op(op, [x], [(i32, [2], None)], axis=-(2**31)), OPTIONS),
            _c(f"{n}_output_shape", _one_op(op, [x], [(i32, [3], None)], axis=1), SHAPE),
            _c(f"{n}_scalar_input", _one_op(op, [(f, [], None)], [(i32, [], None)], axis=0), SHAPE),
            _c(f"{n}_float_output", _one_op(op, [x], [(f, [2], None)], axis=1), UNS_DTYPE),
            _c(f"{n}_int8_output", _one_op(op, [(i8, [2, 3], q)], [(i8, [2], q)], axis=1), UNS_DTYPE),
            _c(f"{n}_int32_input", _one_op(op, [(i32, [2, 3], None)], [(i32, [2], None)], axis=1), UNS_DTYPE),
            _c(f"{n}_quantized_indices", _one_op(op, [(i8, [2, 3], q)], [(i32, [2], q)], axis=1), QUANT),
            _c(f"valid_{n}_int8_int64", _one_op(op, [(i8, [2, 3], q)], [(np.int64, [3], None)], axis=0), OK),
        ]
    return cases


def cases() -> list[Case]:
    """Every malformed-model case (plus valid controls), names unique; see ``Case.requires``."""
    out: list[Case] = []
    for group in _REGISTRY:
        out += group()
    names = [c.name for c in out]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names: {sorted(dup)}"
    return out


def write_corpus(directory: Path, selected: list[Case] | None = None) -> list[Case]:
    """Writes ``<name>.tlm`` for every case and ``manifest.txt`` (name, accepted statuses, mode)."""
    directory.mkdir(parents=True, exist_ok=True)
    chosen = cases() if selected is None else selected
    lines = []
    for case in chosen:
        (directory / f"{case.name}.tlm").write_bytes(case.data)
        lines.append(f"{case.name} {'|'.join(case.expected)} {case.mode}")
    (directory / "manifest.txt").write_text("\n".join(lines) + "\n")
    return chosen
