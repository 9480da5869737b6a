"""Read a ``.tflite`` file into plain Python objects, checking structure and limits as it goes.

Everything is bounded before it is used: the file size, the counts of subgraphs, tensors, operators and
buffers, each tensor's rank and byte size (int64 arithmetic, capped like the ``.tlm`` format), every index
(opcode, buffer, tensor) and every buffer's location, whether inside the FlatBuffer (``Buffer.data``) or after
it (``Buffer.offset`` / ``size``, the layout of files above 2 GB). Constant data is not copied here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from trainer.lite.tflite import schema
from trainer.lite.tflite.errors import TFLiteImportError
from trainer.lite.tflite.flatbuf import Buf, Table

MAX_FILE_BYTES = 0x7FFFFFF0 * 2  # a .tflite may keep buffers after the FlatBuffer; the .tlm is capped anyway
MAX_TENSORS = 1 << 20
MAX_OPERATORS = 1 << 16
MAX_RANK = 6
MAX_TENSOR_BYTES = 0x7FFFFFFF  # the .tlm format's cap on a tensor's byte size
MAX_QUANT_PARAMS = 1 << 22

# TensorType -> (name, bytes per element) for the types tensorlet can hold; others are named and refused
TYPE_SIZES = {
    "FLOAT32": 4,
    "FLOAT16": 2,
    "INT32": 4,
    "UINT8": 1,
    "INT64": 8,
    "BOOL": 1,
    "INT16": 2,
    "INT8": 1,
}


@dataclass
class Quant:
    scale: list[float]
    zero_point: list[int]
    axis: int


@dataclass
class Tensor:
    index: int
    name: str
    type: str
    shape: list[int]
    buffer: int
    quant: Quant | None
    sparse: bool = False
    variable: bool = False
    dynamic: bool = False  # shape_signature has a -1 (the batch dim of a Keras model, fixed in shape)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * TYPE_SIZES.get(self.type, 0)


@dataclass
class Operator:
    index: int
    code: int  # BuiltinOperator value
    name: str  # BuiltinOperator name ("CONV_2D") or "CUSTOM(<code>)"
    inputs: list[int]  # -1: an optional input left out
    outputs: list[int]
    options_type: int
    options: Table | None
    custom: bool = False
    intermediates: bool = False


@dataclass
class Signature:
    key: str
    subgraph: int
    inputs: dict[str, int]  # signature name -> tensor index
    outputs: dict[str, int]


@dataclass
class TFLiteModel:
    version: int
    description: str
    subgraph_count: int
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    buffers: list[tuple[int, int] | None]  # (absolute start, length) of each buffer's data
    signatures: list[Signature] = field(default_factory=list)
    data: bytes = b""
    metadata: dict[str, int] = field(default_factory=dict)  # Model.metadata: name -> buffer index

    def buffer_bytes(self, index: int) -> bytes:
        loc = self.buffers[index]
        return b"" if loc is None else self.data[loc[0] : loc[0] + loc[1]]


def _index_list(t: Table, slot: int, name: str, count: int, allow_missing: bool = False) -> list[int]:
    values = t.scalars(slot, "i", name) or []
    for v in values:
        if not (0 <= v < count or (allow_missing and v == -1)):
            raise TFLiteImportError(f"{t.what}.{name}: tensor index {v} out of range (have {count})")
    return values


def _opcode(t: Table, i: int) -> tuple[int, str, bool]:
    dep = int(t.scalar(schema.OPERATOR_CODE["deprecated_builtin_code"], "b", 0, "deprecated_builtin_code"))
    code = int(t.scalar(schema.OPERATOR_CODE["builtin_code"], "i", 0, "builtin_code"))
    # Files before schema 3a hold only deprecated_builtin_code (then builtin_code reads 0); newer ones hold
    # both, the deprecated one capped at 127 (PLACEHOLDER_FOR_GREATER_OP_CODES). The larger is the op.
    code = max(code, dep)
    if not 0 <= code < len(schema.BUILTIN_OPERATORS):
        raise TFLiteImportError(f"operator code {i}: unknown builtin code {code}")
    name = schema.BUILTIN_OPERATORS[code]
    if name == "CUSTOM":
        custom = t.string(schema.OPERATOR_CODE["custom_code"], "custom_code", limit=256) or "?"
        return code, f"CUSTOM({custom!r})", True
    return code, name, False


def _quant(t: Table, what: str, shape: list[int]) -> Quant | None:
    q = t.table(schema.TENSOR["quantization"], "quantization")
    if q is None:
        return None
    if int(q.scalar(schema.QUANTIZATION["details_type"], "B", 0, "details_type")) != 0:
        raise TFLiteImportError(f"{what}: custom/blockwise quantization details")
    scale = q.scalars(schema.QUANTIZATION["scale"], "f", "scale") or []
    zp = q.scalars(schema.QUANTIZATION["zero_point"], "q", "zero_point") or []
    if not scale and not zp:
        return None  # min/max only (or an empty table): not quantized
    if len(scale) != len(zp):
        raise TFLiteImportError(f"{what}: {len(scale)} scales but {len(zp)} zero points")
    axis = int(q.scalar(schema.QUANTIZATION["quantized_dimension"], "i", 0, "quantized_dimension"))
    if len(scale) > 1 and not (0 <= axis < len(shape) and shape[axis] == len(scale)):
        raise TFLiteImportError(f"{what}: {len(scale)} per-axis scales do not fit axis {axis} of {shape}")
    return Quant(scale, zp, axis)


def _tensor(t: Table, i: int, n_buffers: int) -> Tensor:
    what = f"tensor {i}"
    type_code = int(t.scalar(schema.TENSOR["type"], "b", 0, "type"))
    type_name = (
        schema.TENSOR_TYPES[type_code] if 0 <= type_code < len(schema.TENSOR_TYPES) else str(type_code)
    )
    shape = t.scalars(schema.TENSOR["shape"], "i", "shape") or []
    if len(shape) > MAX_RANK:
        raise TFLiteImportError(f"{what}: rank {len(shape)} (at most {MAX_RANK})")
    if any(d < 0 for d in shape):
        raise TFLiteImportError(f"{what}: negative dim in shape {shape}")
    nbytes = math.prod(shape) * TYPE_SIZES.get(type_name, 1)
    if nbytes > MAX_TENSOR_BYTES:
        raise TFLiteImportError(f"{what}: shape {shape} holds {nbytes} bytes (at most {MAX_TENSOR_BYTES})")
    buffer = int(t.scalar(schema.TENSOR["buffer"], "I", 0, "buffer"))
    if buffer >= n_buffers:
        raise TFLiteImportError(f"{what}: buffer {buffer} out of range (have {n_buffers})")
    signature = t.scalars(schema.TENSOR["shape_signature"], "i", "shape_signature") or []
    name = t.string(schema.TENSOR["name"], "name", limit=1024) or ""
    return Tensor(
        index=i,
        name=name,
        type=type_name,
        shape=shape,
        buffer=buffer,
        quant=_quant(t, f"{what} ({name!r})", shape),
        sparse=t.has(schema.TENSOR["sparsity"]),
        variable=bool(t.scalar(schema.TENSOR["is_variable"], "?", False, "is_variable")),
        dynamic=any(d < 0 for d in signature),
    )


def _buffer(t: Table, i: int, buf: Buf) -> tuple[int, int] | None:
    offset = int(t.scalar(schema.BUFFER["offset"], "Q", 0, "offset"))
    size = int(t.scalar(schema.BUFFER["size"], "Q", 0, "size"))
    if offset > 1:  # data after the FlatBuffer (offset 1 with size 0 marks an empty one in such files)
        buf.check(offset, size, f"buffer {i} (offset {offset}, size {size})")
        return offset, size
    v = t.bytes_(schema.BUFFER["data"], "data")
    return None if v is None or v[1] == 0 else v


def _signatures(root: Table, n_tensors: int) -> list[Signature]:
    out = []
    for s in root.tables(schema.MODEL["signature_defs"], "signature_defs"):
        maps = {}
        for side in ("inputs", "outputs"):
            entries = {}
            for m in s.tables(schema.SIGNATURE_DEF[side], side):
                name = m.string(schema.TENSOR_MAP["name"], "name", limit=1024) or ""
                idx = int(m.scalar(schema.TENSOR_MAP["tensor_index"], "I", 0, "tensor_index"))
                if idx >= n_tensors:
                    raise TFLiteImportError(f"signature {side} {name!r}: tensor {idx} out of range")
                entries[name] = idx
            maps[side] = entries
        key = s.string(schema.SIGNATURE_DEF["signature_key"], "signature_key", limit=1024) or ""
        sub = int(s.scalar(schema.SIGNATURE_DEF["subgraph_index"], "I", 0, "subgraph_index"))
        out.append(Signature(key, sub, maps["inputs"], maps["outputs"]))
    return out


def read_tflite(data: bytes) -> TFLiteModel:
    """Parse ``.tflite`` bytes (checked structure; meaning is the importer's job)."""
    data = bytes(data)
    if len(data) < 8:
        raise TFLiteImportError(f"not a TFLite model: {len(data)} bytes (no FlatBuffer header)")
    if data[4:8] != schema.FILE_IDENTIFIER:
        raise TFLiteImportError(f"not a TFLite model: file identifier {data[4:8]!r}, expected b'TFL3'")
    if len(data) > MAX_FILE_BYTES:
        raise TFLiteImportError(f"file of {len(data)} bytes is too large")
    buf = Buf(data)
    root = buf.root("model")
    version = int(root.scalar(schema.MODEL["version"], "I", 0, "version"))
    if version != 3:
        raise TFLiteImportError(f"TFLite schema version {version} (this importer reads version 3)")
    description = root.string(schema.MODEL["description"], "description") or ""
    buffers = [_buffer(t, i, buf) for i, t in enumerate(root.tables(schema.MODEL["buffers"], "buffers"))]
    opcodes = [
        _opcode(t, i) for i, t in enumerate(root.tables(schema.MODEL["operator_codes"], "operator_codes"))
    ]
    subgraphs = root.tables(schema.MODEL["subgraphs"], "subgraphs")
    if not subgraphs:
        raise TFLiteImportError("the model has no subgraph")
    sg = subgraphs[0]
    n_tensors = sg.vector_len(schema.SUBGRAPH["tensors"], "tensors")
    if n_tensors > MAX_TENSORS:
        raise TFLiteImportError(f"{n_tensors} tensors (at most {MAX_TENSORS})")
    n_buffers = max(len(buffers), 1)
    tensors = [
        _tensor(t, i, n_buffers) for i, t in enumerate(sg.tables(schema.SUBGRAPH["tensors"], "tensors"))
    ]
    n_ops = sg.vector_len(schema.SUBGRAPH["operators"], "operators")
    if n_ops > MAX_OPERATORS:
        raise TFLiteImportError(f"{n_ops} operators (at most {MAX_OPERATORS})")
    operators = []
    for i, t in enumerate(sg.tables(schema.SUBGRAPH["operators"], "operators")):
        k = int(t.scalar(schema.OPERATOR["opcode_index"], "I", 0, "opcode_index"))
        if k >= len(opcodes):
            raise TFLiteImportError(f"operator {i}: opcode index {k} out of range (have {len(opcodes)})")
        code, name, custom = opcodes[k]
        operators.append(
            Operator(
                index=i,
                code=code,
                name=name,
                inputs=_index_list(t, schema.OPERATOR["inputs"], f"operator {i} inputs", n_tensors, True),
                outputs=_index_list(t, schema.OPERATOR["outputs"], f"operator {i} outputs", n_tensors),
                options_type=int(t.scalar(schema.OPERATOR["builtin_options_type"], "B", 0, "options_type")),
                options=t.table(schema.OPERATOR["builtin_options"], "builtin_options"),
                custom=custom,
                intermediates=bool(t.vector_len(schema.OPERATOR["intermediates"], "intermediates")),
            )
        )
    metadata = {}
    for t in root.tables(schema.MODEL["metadata"], "metadata"):
        key = t.string(schema.METADATA["name"], "name", limit=1024) or ""
        index = int(t.scalar(schema.METADATA["buffer"], "I", 0, "buffer"))
        if index >= len(buffers):
            raise TFLiteImportError(f"metadata {key!r}: buffer {index} out of range (have {len(buffers)})")
        metadata[key] = index
    return TFLiteModel(
        metadata=metadata,
        version=version,
        description=description,
        subgraph_count=len(subgraphs),
        tensors=tensors,
        operators=operators,
        inputs=_index_list(sg, schema.SUBGRAPH["inputs"], "subgraph inputs", n_tensors),
        outputs=_index_list(sg, schema.SUBGRAPH["outputs"], "subgraph outputs", n_tensors),
        buffers=buffers,
        signatures=_signatures(root, n_tensors),
        data=data,
    )
