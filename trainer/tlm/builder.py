"""Deterministic writer of ``.tlm`` model files (``schema/tensorlet.fbs``).

>>> import numpy as np
>>> b = ModelBuilder(description="y = relu(x W^T + b)")
>>> x = b.add_input("x", np.float32, [1, 3])
>>> w = b.add_constant("w", np.ones((2, 3), np.float32))
>>> bias = b.add_constant("b", np.zeros(2, np.float32))
>>> y = b.add_tensor("y", np.float32, [1, 2])
>>> b.add_op("FullyConnected", [x, w, bias], [y], activation="RELU")
0
>>> b.mark_output(y)
>>> data = b.finish()
>>> data[4:8]
b'TLM1'

The same sequence of calls always gives byte-identical files. With ``check=True`` (the default) indices, op
names, option names, enum values, dtypes and shapes are validated with ValueErrors. ``check=False`` writes
whatever it is given (out-of-range indices, raw enum ints, negative dims, option tables of another op,
omitted vectors, any ``version``) so that tests can craft malformed models for the runtime's verifier.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import flatbuffers
import numpy as np

from trainer.tlm import dtypes, planner
from trainer.tlm.schema import Buffer as _Buffer
from trainer.tlm.schema import KeyValue as _KeyValue
from trainer.tlm.schema import Metadata as _Metadata
from trainer.tlm.schema import Model as _Model
from trainer.tlm.schema import Operator as _Operator
from trainer.tlm.schema import Quantization as _Quantization
from trainer.tlm.schema import Tensor as _Tensor
from trainer.tlm.schema.Activation import Activation
from trainer.tlm.schema.OpCode import OpCode
from trainer.tlm.schema.OpOptions import OpOptions
from trainer.tlm.schema.Padding import Padding
from trainer.tlm.schema_tables import OP_OPTIONS, OPTION_FIELDS, OPTIONAL_OPTIONS

SCHEMA_VERSION = 1
FILE_IDENTIFIER = b"TLM1"
MAX_RANK = 6
BUFFER_ALIGNMENT = 16


def _enum_names(cls: type) -> dict[str, int]:
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


OPCODES: dict[str, int] = _enum_names(OpCode)
OPCODE_NAMES: dict[int, str] = {v: k for k, v in OPCODES.items()}
OPTION_TABLES: dict[str, int] = {k: v for k, v in _enum_names(OpOptions).items() if k != "NONE"}
OPTION_TABLE_NAMES: dict[int, str] = {v: k for k, v in OPTION_TABLES.items()}
ENUMS: dict[str, dict[str, int]] = {"Activation": _enum_names(Activation), "Padding": _enum_names(Padding)}

# OPTION_FIELDS (every options table's fields: name, kind, default, in schema order), OP_OPTIONS (the options
# table each op code takes) and OPTIONAL_OPTIONS (ops whose options may be left out) are imported above from
# trainer/tlm/schema_tables.py, which scripts/gen_py_schema.py generates from the .fbs; they stay importable
# from here (builder.OPTION_FIELDS, ...).


def camel(field_name: str) -> str:
    """``stride_h`` -> ``StrideH``: the suffix flatc gives a field's accessor and Add function."""
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_"))


def option_module(table: str) -> ModuleType:
    return importlib.import_module(f"trainer.tlm.schema.{table}")


@dataclass
class Quantization:
    """Affine quantization ``real = scale * (q - zero_point)``; one entry per tensor or per index of ``axis``.

    Scalars are accepted and stored as one-element lists; scales are rounded to float32 (as in the file).
    """

    scale: Any
    zero_point: Any
    axis: int = 0

    def __post_init__(self) -> None:
        if self.scale is not None:
            self.scale = [float(s) for s in np.atleast_1d(np.asarray(self.scale, dtype=np.float32))]
        if self.zero_point is not None:
            self.zero_point = [int(z) for z in np.atleast_1d(np.asarray(self.zero_point))]
        self.axis = int(self.axis)


@dataclass
class _TensorEntry:
    name: str | None
    dtype: int
    shape: list[int] | None
    buffer: int
    quantization: Quantization | None


@dataclass
class _OpEntry:
    opcode: int
    inputs: list[int] | None
    outputs: list[int] | None
    options_type: int | None  # union tag; None: not written
    options_table: str | None  # table written as the union value; None: no value; "": an empty table
    options: dict[str, Any] = field(default_factory=dict)


_AUTO = object()


class ModelBuilder:
    """Collects tensors, buffers, ops and metadata, then serializes them with :meth:`finish`."""

    def __init__(
        self,
        producer: str = "tensorlet",
        description: str = "",
        *,
        check: bool = True,
        version: int = SCHEMA_VERSION,
    ) -> None:
        self.producer = producer
        self.description = description
        self.check = check
        self.version = version
        self.tensors: list[_TensorEntry] = []
        self.buffers: list[bytes | None] = [None]  # buffer 0: the empty buffer
        self._constant_buffers: dict[bytes, int] = {}  # add_constant's data -> its buffer (shared)
        self.ops: list[_OpEntry] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []
        self.metadata: list[tuple[str | None, str | None]] = []

    # ---- tensors ----

    def _dtype(self, dtype: Any) -> int:
        if isinstance(dtype, (int, np.integer)) and not isinstance(dtype, bool):
            if self.check and not dtypes.is_known(int(dtype)):
                raise ValueError(f"unknown DType value {dtype}")
            return int(dtype)
        return dtypes.to_schema(dtype)

    def _shape(self, shape: Sequence[int] | None, what: str) -> list[int] | None:
        if shape is None:
            if self.check:
                raise ValueError(f"{what}: shape is required")
            return None
        dims = [int(d) for d in shape]
        if self.check:
            if len(dims) > MAX_RANK:
                raise ValueError(f"{what}: rank {len(dims)} exceeds {MAX_RANK}")
            if any(d < 1 for d in dims):
                raise ValueError(f"{what}: every dim must be >= 1, got {dims}")
        return dims

    def _check_quantization(self, q: Quantization | None, dtype: int, shape: list[int] | None, what: str):
        if q is None or not self.check:
            return
        if q.scale is None or q.zero_point is None or len(q.scale) != len(q.zero_point) or not q.scale:
            raise ValueError(f"{what}: quantization needs as many scales as zero points (at least one)")
        if any(not (math.isfinite(s) and s > 0) for s in q.scale):
            raise ValueError(f"{what}: quantization scales must be finite and positive, got {q.scale}")
        if len(q.scale) > 1:
            rank = len(shape or [])
            if not 0 <= q.axis < rank or shape is None or shape[q.axis] != len(q.scale):
                raise ValueError(
                    f"{what}: {len(q.scale)} per-axis scales do not fit axis {q.axis} of shape {shape}"
                )

    def _new_tensor(
        self, name: str | None, dtype: int, shape: list[int] | None, buffer: int, q: Quantization | None
    ) -> int:
        self.tensors.append(_TensorEntry(name, dtype, shape, buffer, q))
        return len(self.tensors) - 1

    def add_tensor(
        self,
        name: str | None,
        dtype: Any,
        shape: Sequence[int] | None,
        quantization: Quantization | None = None,
        *,
        buffer: int = 0,
    ) -> int:
        """Add an activation tensor (no data); returns its index. ``buffer`` is for crafting tests."""
        dt = self._dtype(dtype)
        dims = self._shape(shape, f"tensor {name!r}")
        self._check_quantization(quantization, dt, dims, f"tensor {name!r}")
        if self.check and buffer != 0:
            if not 0 < buffer < len(self.buffers):
                raise ValueError(f"tensor {name!r}: buffer {buffer} out of range")
            expected = math.prod(dims or []) * dtypes.element_size(dt)
            if len(self.buffers[buffer] or b"") != expected:
                raise ValueError(f"tensor {name!r}: buffer {buffer} does not hold {expected} bytes")
        return self._new_tensor(name, dt, dims, int(buffer), quantization)

    def add_input(
        self,
        name: str | None,
        dtype: Any,
        shape: Sequence[int] | None,
        quantization: Quantization | None = None,
    ) -> int:
        """Add a tensor and list it as a graph input; returns its index."""
        idx = self.add_tensor(name, dtype, shape, quantization)
        self.inputs.append(idx)
        return idx

    def add_buffer(self, data: bytes | None) -> int:
        """Add a raw constant buffer (None: a Buffer table without data); returns its buffer index."""
        self.buffers.append(None if data is None else bytes(data))
        return len(self.buffers) - 1

    def add_constant(self, name: str | None, array: Any, quantization: Quantization | None = None) -> int:
        """Add a constant tensor holding ``array`` (dtype from the array, stored little-endian, C order).
        Constants with the same bytes share one buffer (an unrolled RNN's steps read one weight matrix)."""
        arr = np.asarray(array)
        dt = dtypes.to_schema(arr.dtype)
        dims = self._shape(arr.shape, f"constant {name!r}")
        self._check_quantization(quantization, dt, dims, f"constant {name!r}")
        data = np.ascontiguousarray(arr, dtype=dtypes.to_numpy(dt).newbyteorder("<")).tobytes(order="C")
        buf = self._constant_buffers.get(data)
        if buf is None:
            buf = self._constant_buffers[data] = self.add_buffer(data)
        return self._new_tensor(name, dt, dims, buf, quantization)

    def mark_input(self, idx: int) -> None:
        """List an existing tensor as a graph input."""
        self._check_index(idx, "graph input")
        self.inputs.append(int(idx))

    def mark_output(self, idx: int) -> None:
        """List a tensor as a graph output."""
        self._check_index(idx, "graph output")
        self.outputs.append(int(idx))

    def add_metadata(self, key: str | None, value: str | None) -> None:
        """Add a metadata key/value entry (kept in insertion order)."""
        if self.check:
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError("metadata keys and values must be strings")
            if any(k == key for k, _ in self.metadata):
                raise ValueError(f"duplicate metadata key {key!r}")
        self.metadata.append((key, value))

    def _check_index(self, idx: int, what: str) -> None:
        if self.check and not 0 <= idx < len(self.tensors):
            raise ValueError(f"{what}: tensor index {idx} out of range (have {len(self.tensors)} tensors)")

    # ---- ops ----

    def add_op(
        self,
        opcode: str | int,
        inputs: Sequence[int] | None,
        outputs: Sequence[int] | None,
        *,
        options_type: Any = _AUTO,
        options_table: Any = _AUTO,
        write_options_value: bool = True,
        **options: Any,
    ) -> int:
        """Add an op (in execution order); returns its index.

        ``opcode`` is a schema name ("Conv2D") or, with ``check=False``, any int. ``options`` are fields of
        the op's options table by name; enums by name ("SAME", "relu6") or int. For crafting bad models
        (``check=False``): ``options_type`` overrides the union tag (a table name, an int, None: no tag),
        ``options_table`` the table whose fields are written as the value (None: no value), and
        ``write_options_value=False`` drops the value.
        """
        if isinstance(opcode, str):
            if opcode not in OPCODES:
                raise ValueError(f"unknown op code {opcode!r} (known: {', '.join(OPCODES)})")
            code = OPCODES[opcode]
        else:
            code = int(opcode)
            if self.check and code not in OPCODE_NAMES:
                raise ValueError(f"unknown op code {code}")
        op_name = OPCODE_NAMES.get(code, f"OpCode({code})")
        what = f"op {len(self.ops)} ({op_name})"
        if self.check and (
            options_type is not _AUTO or options_table is not _AUTO or not write_options_value
        ):
            raise ValueError(f"{what}: options_type/options_table overrides need check=False")

        default_table = OP_OPTIONS.get(op_name)
        if op_name in OPTIONAL_OPTIONS and not options:
            default_table = None
        if options_type is _AUTO:
            tag = OPTION_TABLES[default_table] if default_table else None
        elif options_type is None:
            tag = None
        elif isinstance(options_type, str):
            if options_type not in OPTION_TABLES:
                raise ValueError(f"{what}: unknown options table {options_type!r}")
            tag = OPTION_TABLES[options_type]
        else:
            tag = int(options_type)
        if options_table is _AUTO:
            # An unknown tag (check=False) gets an empty table as its value.
            table = OPTION_TABLE_NAMES.get(tag, "") if tag is not None else None
        else:
            table = options_table
            if table is not None and table not in OPTION_FIELDS:
                raise ValueError(f"{what}: unknown options table {table!r}")
        if not write_options_value:
            table = None

        if options and not table:
            raise ValueError(f"{what}: takes no options, got {sorted(options)}")
        values = self._option_values(what, table, options) if table else {}

        ins = None if inputs is None else [int(i) for i in inputs]
        outs = None if outputs is None else [int(i) for i in outputs]
        if self.check:
            if ins is None or outs is None:
                raise ValueError(f"{what}: inputs and outputs are required")
            for i in ins:
                self._check_index(i, f"{what} input")
            for i in outs:
                self._check_index(i, f"{what} output")
        self.ops.append(_OpEntry(code, ins, outs, tag, table, values))
        return len(self.ops) - 1

    def _option_values(self, what: str, table: str, options: dict[str, Any]) -> dict[str, Any]:
        spec = {name: kind for name, kind, _ in OPTION_FIELDS[table]}
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key not in spec:
                raise ValueError(f"{what}: {table} has no field {key!r} (fields: {', '.join(spec)})")
            kind = spec[key]
            if kind in ENUMS:
                names = ENUMS[kind]
                if isinstance(value, str):
                    if value.upper() not in names:
                        raise ValueError(f"{what}: {key}={value!r} is not a {kind} ({', '.join(names)})")
                    value = names[value.upper()]
                else:
                    value = int(value)
                    if self.check and value not in names.values():
                        raise ValueError(f"{what}: {key}={value} is not a {kind} value")
            elif kind == "int":
                value = int(value)
            elif kind == "bool":
                value = bool(value)
            elif kind == "float":
                value = float(value)
            elif value is not None:
                value = [int(v) for v in value]
            values[key] = value
        return values

    # ---- serialization ----

    def tensor_bytes(self) -> list[int]:
        """Byte size of every tensor (0 where the dtype is unknown or the shape is missing or negative)."""
        sizes = []
        for t in self.tensors:
            if t.shape is None or not dtypes.is_known(t.dtype) or any(d < 0 for d in t.shape):
                sizes.append(0)
            else:
                sizes.append(math.prod(t.shape) * dtypes.element_size(t.dtype))
        return sizes

    def plan(self) -> planner.Plan:
        """The arena plan the runtime will compute for this model."""
        n = len(self.tensors)

        def scratch(op: _OpEntry) -> int:
            ins, outs = op.inputs or [], op.outputs or []
            if not outs or any(not 0 <= t < n for t in [*ins, outs[0]]):
                return 0
            ts = [self.tensors[t] for t in ins]
            y = self.tensors[outs[0]]
            if y.shape is None or any(t.shape is None for t in ts):
                return 0
            return planner.op_scratch_bytes(
                OPCODE_NAMES.get(op.opcode, ""),
                [dtypes.dtype_name(t.dtype) for t in ts],
                [t.buffer != 0 for t in ts],
                [t.shape for t in ts],
                y.shape,
                op.options,
            )

        return planner.plan(
            self.tensor_bytes(),
            [t.buffer != 0 for t in self.tensors],
            [(op.inputs or [], op.outputs or []) for op in self.ops],
            self.inputs,
            self.outputs,
            scratch=[scratch(op) for op in self.ops],
            op_types=[OPCODE_NAMES.get(op.opcode, "") for op in self.ops],
        )

    def finish(self, arena_bytes: int | None = None, *, omit: Iterable[str] = ()) -> bytes:
        """Serialize the model. ``arena_bytes`` defaults to the planner's result.

        ``omit`` names Model fields to leave out (``check=False`` only): "tensors", "operators", "inputs",
        "outputs", "buffers", "metadata".
        """
        omit = set(omit)
        if omit and self.check:
            raise ValueError("omit= needs check=False")
        unknown = omit - {"tensors", "operators", "inputs", "outputs", "buffers", "metadata"}
        if unknown:
            raise ValueError(f"cannot omit {sorted(unknown)}")
        if arena_bytes is None:
            arena_bytes = self.plan().arena_bytes

        b = flatbuffers.Builder(1024)

        buffer_offsets = []
        for data in self.buffers:
            data_off = _byte_vector(b, data) if data is not None else None
            _Buffer.Start(b)
            if data_off is not None:
                _Buffer.AddData(b, data_off)
            buffer_offsets.append(_Buffer.End(b))

        shared_quant: dict[tuple, int] = {}  # equal Quantization tables written once (RNN steps)
        tensor_offsets = [self._write_tensor(b, t, shared_quant) for t in self.tensors]
        op_offsets = [self._write_op(b, op) for op in self.ops]

        producer = b.CreateString(self.producer) if self.producer is not None else None
        description = b.CreateString(self.description) if self.description is not None else None
        entry_offsets = []
        for key, value in self.metadata:
            k = b.CreateString(key) if key is not None else None
            v = b.CreateString(value) if value is not None else None
            _KeyValue.Start(b)
            if k is not None:
                _KeyValue.AddKey(b, k)
            if v is not None:
                _KeyValue.AddValue(b, v)
            entry_offsets.append(_KeyValue.End(b))
        entries = _offset_vector(b, entry_offsets) if entry_offsets else None
        _Metadata.Start(b)
        if producer is not None:
            _Metadata.AddProducer(b, producer)
        if description is not None:
            _Metadata.AddDescription(b, description)
        _Metadata.AddArenaBytes(b, int(arena_bytes))
        if entries is not None:
            _Metadata.AddEntries(b, entries)
        metadata = _Metadata.End(b)

        vectors = {
            "tensors": _offset_vector(b, tensor_offsets),
            "operators": _offset_vector(b, op_offsets),
            "inputs": _int_vector(b, self.inputs),
            "outputs": _int_vector(b, self.outputs),
            "buffers": _offset_vector(b, buffer_offsets),
        }
        _Model.Start(b)
        _Model.AddVersion(b, int(self.version))
        for name, add in (
            ("tensors", _Model.AddTensors),
            ("operators", _Model.AddOperators),
            ("inputs", _Model.AddInputs),
            ("outputs", _Model.AddOutputs),
            ("buffers", _Model.AddBuffers),
        ):
            if name not in omit:
                add(b, vectors[name])
        if "metadata" not in omit:
            _Model.AddMetadata(b, metadata)
        b.Finish(_Model.End(b), file_identifier=FILE_IDENTIFIER)
        return bytes(b.Output())

    @staticmethod
    def _write_tensor(b: flatbuffers.Builder, t: _TensorEntry, shared_quant: dict[tuple, int]) -> int:
        name = b.CreateString(t.name) if t.name is not None else None
        shape = _int_vector(b, t.shape) if t.shape is not None else None
        quant = None
        if t.quantization is not None:
            q = t.quantization
            key = (
                None if q.scale is None else np.asarray(q.scale, "<f4").tobytes(),
                None if q.zero_point is None else np.asarray(q.zero_point, "<i8").tobytes(),
                int(q.axis),
            )
            quant = shared_quant.get(key)
        if t.quantization is not None and quant is None:
            scale = _vector(b, q.scale, 4, b.PrependFloat32) if q.scale is not None else None
            zp = _vector(b, q.zero_point, 8, b.PrependInt64) if q.zero_point is not None else None
            _Quantization.Start(b)
            if scale is not None:
                _Quantization.AddScale(b, scale)
            if zp is not None:
                _Quantization.AddZeroPoint(b, zp)
            _Quantization.AddQuantizedDimension(b, q.axis)
            quant = shared_quant[key] = _Quantization.End(b)
        _Tensor.Start(b)
        if name is not None:
            _Tensor.AddName(b, name)
        _Tensor.AddDtype(b, t.dtype)
        if shape is not None:
            _Tensor.AddShape(b, shape)
        _Tensor.AddBuffer(b, t.buffer)
        if quant is not None:
            _Tensor.AddQuantization(b, quant)
        return _Tensor.End(b)

    @staticmethod
    def _write_op(b: flatbuffers.Builder, op: _OpEntry) -> int:
        value = None
        if op.options_table == "":
            b.StartObject(0)
            value = b.EndObject()
        elif op.options_table is not None:
            mod = option_module(op.options_table)
            vec_offsets = {
                name: _int_vector(b, op.options[name])
                for name, kind, _ in OPTION_FIELDS[op.options_table]
                if kind == "[int]" and op.options.get(name) is not None
            }
            mod.Start(b)
            for name, kind, _ in OPTION_FIELDS[op.options_table]:
                if name in vec_offsets:
                    getattr(mod, "Add" + camel(name))(b, vec_offsets[name])
                elif kind != "[int]" and name in op.options:
                    getattr(mod, "Add" + camel(name))(b, op.options[name])
            value = mod.End(b)
        ins = _int_vector(b, op.inputs) if op.inputs is not None else None
        outs = _int_vector(b, op.outputs) if op.outputs is not None else None
        _Operator.Start(b)
        _Operator.AddOpcode(b, op.opcode)
        if ins is not None:
            _Operator.AddInputs(b, ins)
        if outs is not None:
            _Operator.AddOutputs(b, outs)
        if op.options_type is not None:
            _Operator.AddOptionsType(b, op.options_type)
        if value is not None:
            _Operator.AddOptions(b, value)
        return _Operator.End(b)


def _vector(b: flatbuffers.Builder, values: Sequence[Any], width: int, prepend: Any) -> int:
    b.StartVector(width, len(values), width)
    for v in reversed(values):
        prepend(v)
    return b.EndVector()


def _int_vector(b: flatbuffers.Builder, values: Sequence[int]) -> int:
    return _vector(b, [int(v) for v in values], 4, b.PrependInt32)


def _offset_vector(b: flatbuffers.Builder, offsets: Sequence[int]) -> int:
    return _vector(b, offsets, 4, b.PrependUOffsetTRelative)


def _byte_vector(b: flatbuffers.Builder, data: bytes) -> int:
    """A [ubyte] vector whose first byte is 16-byte aligned in the finished file.

    The generated code ignores ``force_align``; the builder aligns relative to the buffer's end and
    ``Finish`` pads the whole file to the largest alignment used, so end-relative alignment is enough.
    """
    n = len(data)
    b.StartVector(1, n, BUFFER_ALIGNMENT)
    b.head = b.head - n
    b.Bytes[b.head : b.head + n] = data
    return b.EndVector()
