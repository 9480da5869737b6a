"""Read a ``.tlm`` file into plain dataclasses (for tests, tools and the inspector).

>>> import numpy as np
>>> from trainer.tlm import ModelBuilder
>>> b = ModelBuilder()
>>> x = b.add_input("x", np.float32, [2])
>>> y = b.add_tensor("y", np.float32, [2])
>>> _ = b.add_op("Relu", [x], [y])
>>> b.mark_output(y)
>>> m = read_model(b.finish())
>>> m.ops[0].opcode, m.tensors[1].shape, m.metadata.arena_bytes
('Relu', (2,), 32)

The C runtime is the component that verifies untrusted files; ``tensorlet inspect`` runs it first. This
reader does not verify meaning, but a corrupt file still fails cleanly: every failure of :func:`read_model`
is one ``ValueError`` (a truncated table, an offset past the end, bad UTF-8 in a name, an unknown enum),
never an ``IndexError`` or ``struct.error`` from the FlatBuffers runtime. ``scripts/fuzz_python_loaders.py``
checks that.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.tlm import dtypes
from trainer.tlm.builder import (
    ENUMS,
    FILE_IDENTIFIER,
    OPCODE_NAMES,
    OPTION_TABLE_NAMES,
    Quantization,
    camel,
    option_module,
)
from trainer.tlm.schema.Model import Model
from trainer.tlm.schema_tables import OPTION_FIELDS


@dataclass
class TensorInfo:
    index: int
    name: str
    dtype: np.dtype  # numpy dtype (native byte order)
    shape: tuple[int, ...]
    buffer: int  # 0: no constant data
    data: np.ndarray | None  # constant data with ``shape``, or None
    quantization: Quantization | None

    @property
    def dtype_name(self) -> str:
        return dtypes.dtype_name(dtypes.to_schema(self.dtype))

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


@dataclass
class OpInfo:
    index: int
    opcode: str
    inputs: list[int]
    outputs: list[int]
    options_type: str | None  # options table name, None when absent
    options: dict[str, Any] = field(default_factory=dict)  # every field of the table (defaults filled in)


@dataclass
class MetadataInfo:
    producer: str = ""
    description: str = ""
    arena_bytes: int = 0
    entries: dict[str, str] = field(default_factory=dict)


@dataclass
class ModelInfo:
    version: int
    tensors: list[TensorInfo]
    ops: list[OpInfo]
    inputs: list[int]
    outputs: list[int]
    metadata: MetadataInfo
    size_bytes: int = 0


def _str(value: bytes | None) -> str:
    return value.decode("utf-8") if value is not None else ""


def _ints(obj: Any, name: str) -> list[int]:
    if getattr(obj, f"{name}IsNone")():
        return []
    return [int(v) for v in getattr(obj, f"{name}AsNumpy")()]


def _read_options(op: Any) -> tuple[str | None, dict[str, Any]]:
    tag = op.OptionsType()
    if tag == 0:
        return None, {}
    if tag not in OPTION_TABLE_NAMES:
        raise ValueError(f"unknown options type {tag}")
    table_name = OPTION_TABLE_NAMES[tag]
    raw = op.Options()
    if raw is None:
        return table_name, {}
    cls = getattr(option_module(table_name), table_name)
    table = cls()
    table.Init(raw.Bytes, raw.Pos)
    options: dict[str, Any] = {}
    for fname, kind, _ in OPTION_FIELDS[table_name]:
        acc = camel(fname)
        if kind == "[int]":
            options[fname] = None if getattr(table, f"{acc}IsNone")() else _ints(table, acc)
            continue
        value = getattr(table, acc)()
        if kind in ENUMS:
            names = {v: k for k, v in ENUMS[kind].items()}
            value = names.get(value, value)
        elif kind == "bool":
            value = bool(value)
        elif kind == "float":
            value = float(value)
        options[fname] = value
    return table_name, options


def read_model(data: bytes) -> ModelInfo:
    """Parse a ``.tlm`` file. Raises ``ValueError`` (and only that) for any file it cannot read."""
    data = bytes(data)
    if len(data) < 8 or data[4:8] != FILE_IDENTIFIER:
        raise ValueError("not a .tlm file (file identifier is not 'TLM1')")
    try:
        return _read_model(data)
    except ValueError:
        raise
    except (
        IndexError,
        struct.error,
        TypeError,
        OverflowError,
        KeyError,
        AttributeError,
        RecursionError,
    ) as e:
        # the FlatBuffers runtime reads offsets without bounds checks: a corrupt file fails anywhere
        raise ValueError(f"corrupt .tlm file ({type(e).__name__}: {e})") from None
    except MemoryError:
        raise ValueError("corrupt .tlm file (a size in it does not fit in memory)") from None


def _read_model(data: bytes) -> ModelInfo:
    m = Model.GetRootAs(data, 0)

    buffers: list[bytes | None] = []
    for i in range(m.BuffersLength()):
        buf = m.Buffers(i)
        buffers.append(None if buf is None or buf.DataIsNone() else buf.DataAsNumpy().tobytes())

    tensors = []
    for i in range(m.TensorsLength()):
        t = m.Tensors(i)
        dt = dtypes.to_numpy(t.Dtype())
        shape = tuple(_ints(t, "Shape"))
        array = None
        if t.Buffer() != 0:
            raw = buffers[t.Buffer()]
            array = np.frombuffer(raw or b"", dtype=dt.newbyteorder("<")).astype(dt).reshape(shape)
        q = t.Quantization()
        quant = None
        if q is not None:
            quant = Quantization(
                scale=[float(s) for s in q.ScaleAsNumpy()] if not q.ScaleIsNone() else None,
                zero_point=[int(z) for z in q.ZeroPointAsNumpy()] if not q.ZeroPointIsNone() else None,
                axis=q.QuantizedDimension(),
            )
        tensors.append(TensorInfo(i, _str(t.Name()), dt, shape, t.Buffer(), array, quant))

    ops = []
    for i in range(m.OperatorsLength()):
        op = m.Operators(i)
        code = op.Opcode()
        if code not in OPCODE_NAMES:
            raise ValueError(f"op {i}: unknown op code {code}")
        table_name, options = _read_options(op)
        ops.append(
            OpInfo(i, OPCODE_NAMES[code], _ints(op, "Inputs"), _ints(op, "Outputs"), table_name, options)
        )

    meta = MetadataInfo()
    md = m.Metadata()
    if md is not None:
        meta.producer = _str(md.Producer())
        meta.description = _str(md.Description())
        meta.arena_bytes = int(md.ArenaBytes())
        for j in range(md.EntriesLength()):
            kv = md.Entries(j)
            meta.entries[_str(kv.Key())] = _str(kv.Value())

    info = ModelInfo(
        version=int(m.Version()),
        tensors=tensors,
        ops=ops,
        inputs=_ints(m, "Inputs"),
        outputs=_ints(m, "Outputs"),
        metadata=meta,
        size_bytes=len(data),
    )
    _check_references(info)
    return info


def _check_references(info: ModelInfo) -> None:
    """The cross references every consumer indexes with: tensor indices and quantization lengths."""
    n = len(info.tensors)
    for what, indices in [("inputs", info.inputs), ("outputs", info.outputs)] + [
        (f"op {op.index} ({op.opcode})", op.inputs + op.outputs) for op in info.ops
    ]:
        bad = [i for i in indices if not 0 <= i < n]
        if bad:
            raise ValueError(f"{what}: tensor index {bad[0]} out of range (the model has {n} tensors)")
    for t in info.tensors:
        q = t.quantization
        if q is not None and len(q.scale or []) != len(q.zero_point or []):
            raise ValueError(
                f"tensor {t.index}: {len(q.scale or [])} scales, {len(q.zero_point or [])} zero points"
            )


def plan_model(info: ModelInfo, release_inputs: bool = False) -> Any:
    """The arena plan (:class:`trainer.tlm.planner.Plan`) of a parsed model (``release_inputs``: the
    runtime's option of that name, :func:`trainer.tlm.planner.plan`)."""
    from trainer.tlm import planner

    n = len(info.tensors)

    def scratch(op: OpInfo) -> int:
        if any(not 0 <= t < n for t in [*op.inputs, *op.outputs[:1]]) or not op.outputs:
            return 0
        ins = [info.tensors[t] for t in op.inputs]
        return planner.op_scratch_bytes(
            op.opcode,
            [t.dtype_name for t in ins],
            [t.buffer != 0 for t in ins],
            [t.shape for t in ins],
            info.tensors[op.outputs[0]].shape,
            op.options,
        )

    return planner.plan(
        [t.nbytes for t in info.tensors],
        [t.buffer != 0 for t in info.tensors],
        [(op.inputs, op.outputs) for op in info.ops],
        info.inputs,
        info.outputs,
        scratch=[scratch(op) for op in info.ops],
        release_inputs=release_inputs,
        op_types=[op.opcode for op in info.ops],
    )
