"""``.tflite`` -> ``.tlm``: walk the TFLite graph in its execution order and write the same graph with
:class:`~trainer.tlm.ModelBuilder`, one entry of the op mapping table (:mod:`trainer.lite.tflite.ops`) per op.

Steps: read and check the file (:mod:`~trainer.lite.tflite.reader`); refuse model-level features tensorlet
has no counterpart for (more than one subgraph, sparse or variable tensors); fold the DEQUANTIZE ops of
constants (float16 weights, int8 constants) into constants; convert every other op, collecting every
refusal instead of stopping at the first; then either raise one :class:`TFLiteImportError` naming them all,
or finish the file and load it once in the C runtime (when ``pyruntime`` is installed), so a file that
would not load is never returned.

Hybrid (dynamic-range) models, whose FullyConnected / Conv2D / DepthwiseConv2D take float32 activations and
int8 constant weights, become float32 models: the weights are dequantized once (``scale * (q - zero_point)``
in float32, per channel where the file is), and the ops compute in float32. TFLite's hybrid kernels instead
quantize each activation on the fly, so their outputs differ from ours by that quantization error.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trainer.lite.tflite import ops as op_table
from trainer.lite.tflite.context import (  # noqa: F401  (NO_BIAS, short, dequantize: re-exported)
    ACTIVATION_TYPES,
    NO_BIAS,
    NUMPY_TYPES,
    ImportContext,
    dequantize,
    short,
)
from trainer.lite.tflite.errors import Refusal, TFLiteImportError
from trainer.lite.tflite.reader import Operator, TFLiteModel, read_tflite
from trainer.tlm import ModelBuilder

MAX_PROBLEMS_LISTED = 24


def _model_problems(model: TFLiteModel) -> list[str]:
    problems = []
    if model.subgraph_count > 1:
        problems.append(f"{model.subgraph_count} subgraphs (tensorlet runs one)")
    sparse = [t.index for t in model.tensors if t.sparse]
    if sparse:
        problems.append(f"sparse tensors {sparse[:8]}")
    variables = [t.index for t in model.tensors if t.variable]
    if variables:
        problems.append(f"variable tensors {variables[:8]}")
    for i in model.inputs:
        if model.tensors[i].buffer and model.buffers[model.tensors[i].buffer] is not None:
            problems.append(f"graph input tensor {i} is a constant")
    return problems


def _fold_constants(ctx: ImportContext) -> set[int]:
    """DEQUANTIZE ops of constants become constants; returns the indices of the ops folded away."""
    folded_ops = set()
    for op in ctx.model.operators:
        if op.name != "DEQUANTIZE" or len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] < 0:
            continue
        src, dst = op.inputs[0], op.outputs[0]
        t = ctx.model.tensors[src]
        if not ctx.is_const(src) or ctx.model.tensors[dst].type != "FLOAT32":
            continue
        try:
            value = ctx.const(src, "DEQUANTIZE input")
            if t.type == "FLOAT16":
                ctx.folded[dst] = value
                ctx.folded_from[dst] = src
            elif t.type in ("INT8", "INT16", "UINT8"):
                ctx.folded[dst] = dequantize(value, t.quant)
                ctx.folded_from[dst] = src
            else:
                continue
        except Refusal:
            continue  # the op is converted (and refused) as it is
        folded_ops.add(op.index)
        ctx.produced.add(dst)
    return folded_ops


# ops whose int8 kernels requantize every input to the output's parameters in tensorlet (TFLite's require
# the inputs to have them already)
_REQUANTIZING_READERS = ("CONCATENATION", "MAXIMUM", "MINIMUM")


def _absorb_requantizations(ctx: ImportContext) -> set[int]:
    """QUANTIZE int8 -> int8 ops read only by Concatenations (or Maximum / Minimum): tensorlet's int8 kernels
    of those requantize each input to its output's parameters (which TFLite's require the QUANTIZE output to
    have already), so the QUANTIZE is dropped and the op reads its input (the same bytes, one op less)."""
    absorbed = set()
    readers: dict[int, list[Operator]] = {}
    for op in ctx.model.operators:
        for i in op.inputs:
            readers.setdefault(i, []).append(op)
    for op in ctx.model.operators:
        if (
            op.name != "QUANTIZE"
            or len(op.inputs) != 1
            or len(op.outputs) != 1
            or min(op.inputs + op.outputs) < 0
        ):
            continue
        src, dst = op.inputs[0], op.outputs[0]
        ts, td = ctx.model.tensors[src], ctx.model.tensors[dst]
        users = readers.get(dst, [])
        if (
            ts.type == td.type == "INT8"
            and ts.quant is not None
            and td.quant is not None
            and len(td.quant.scale) == 1
            and users
            and all(u.name in _REQUANTIZING_READERS and u.index > op.index for u in users)
            and all(_concat_params(ctx, u) == (td.quant.scale, td.quant.zero_point) for u in users)
            and dst not in ctx.model.outputs
            and not ctx.is_const(src)
        ):
            ctx.alias[dst] = src
            absorbed.add(op.index)
    return absorbed


def _concat_params(ctx: ImportContext, op: Operator) -> tuple[list, list] | None:
    q = ctx.model.tensors[op.outputs[0]].quant if op.outputs and op.outputs[0] >= 0 else None
    return None if q is None else (q.scale, q.zero_point)


# graph input types: the activations', and int32 indices (token ids; only Gather reads them)
INPUT_TYPES = (*ACTIVATION_TYPES, "INT32")


def convert(model: TFLiteModel) -> bytes:
    """The ``.tlm`` bytes of a parsed TFLite model, or one TFLiteImportError naming every problem."""
    ctx = ImportContext(model)
    problems = _model_problems(model)
    folded_ops = _fold_constants(ctx) | _absorb_requantizations(ctx)
    for i in model.inputs:
        t = model.tensors[i]
        if t.type not in INPUT_TYPES:
            problems.append(f"graph input tensor {i} ({short(t.name)}) of type {t.type}")
            continue
        try:
            ctx.tlm[(i, "plain")] = ctx.builder.add_input(
                ctx._name(i), NUMPY_TYPES[t.type], t.shape, ctx._quantization(i)
            )
            ctx.sort_keys.append((i, 0))
        except ValueError as e:
            problems.append(f"graph input tensor {i}: {e}")
    for op in model.operators:
        if op.index in folded_ops:
            continue
        mapping = op_table.TABLE.get(op.name)
        label = f"operator {op.index} ({op.name})"
        if mapping is None or not mapping.supported:
            why = mapping.how if mapping else "custom op: its code is not in the file"
            problems.append(f"{label}: {why}")
            ctx.mark_produced(op)
            continue
        if op.intermediates:
            problems.append(f"{label}: intermediate tensors (int16 / LSTM-style quantization)")
        ctx.writing = {i for i in op.outputs if i >= 0}
        try:
            mapping.convert(ctx, op)
        except (Refusal, ValueError) as e:
            problems.append(f"{label}: {e}")
        ctx.mark_produced(op)
    for i in model.outputs:
        key = (i, "plain")
        if key not in ctx.tlm or ctx.is_const(i):
            if not any(str(p).startswith("operator") for p in problems):
                problems.append(f"graph output tensor {i} is not computed by any op")
            continue
        ctx.builder.mark_output(ctx.tlm[key])
    if problems:
        shown = problems[:MAX_PROBLEMS_LISTED]
        more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise TFLiteImportError("cannot import: " + "; ".join(shown) + more)
    restored = _restore_tensorlet_metadata(ctx)  # a file tensorlet exported: its .tlm metadata as it was
    if not restored:
        ctx.builder.add_metadata("source", "tflite")
    for sig in [] if restored else model.signatures:
        entry = {
            side: {name: model.tensors[i].name for name, i in getattr(sig, side).items()}
            for side in ("inputs", "outputs")
        }
        ctx.builder.add_metadata(f"tflite.signature.{sig.key}", json.dumps(entry, sort_keys=True))
    _renumber(ctx.builder, ctx.sort_keys)
    data = ctx.builder.finish()
    _verify(data, ctx.origin)
    return data


def _renumber(b: ModelBuilder, keys: list[tuple[int, int]]) -> None:
    """Number the .tlm tensors (and their buffers) in the order of the TFLite tensors they stand for, so a
    file that tensorlet exported comes back with its own numbering, whatever order the ops use them in."""
    order = sorted(range(len(b.tensors)), key=lambda k: keys[k])
    new = {old: k for k, old in enumerate(order)}
    tensors = [b.tensors[old] for old in order]
    buffers: list[bytes | None] = [None]
    renumbered: dict[int, int] = {}  # tensors sharing a buffer (equal constants) keep sharing it
    for t in tensors:
        if t.buffer:
            if t.buffer not in renumbered:
                buffers.append(b.buffers[t.buffer])
                renumbered[t.buffer] = len(buffers) - 1
            t.buffer = renumbered[t.buffer]
    b.tensors, b.buffers = tensors, buffers
    for op in b.ops:
        op.inputs = [new[i] for i in op.inputs or []]
        op.outputs = [new[i] for i in op.outputs or []]
    b.inputs = [new[i] for i in b.inputs]
    b.outputs = [new[i] for i in b.outputs]


def _restore_tensorlet_metadata(ctx: ImportContext) -> bool:
    """The producer and entries of a .tlm that tensorlet exported (``to_tflite``); False when absent."""
    index = ctx.model.metadata.get("tensorlet_metadata")
    if index is None:
        return False
    try:
        meta = json.loads(ctx.model.buffer_bytes(index).decode())
        producer, entries = str(meta["producer"]), [(str(k), str(v)) for k, v in meta["entries"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise TFLiteImportError("cannot import: metadata 'tensorlet_metadata' is not valid") from None
    ctx.builder.producer = producer
    try:
        for k, v in entries:
            ctx.builder.add_metadata(k, v)
    except ValueError as e:
        raise TFLiteImportError(f"cannot import: metadata 'tensorlet_metadata': {e}") from None
    return True


def _verify(data: bytes, origin: list[int]) -> None:
    """Load and prepare the result in the C runtime (when installed): a file that would not load is never
    returned. Only a model beyond the default work budget (``TL_ERROR_LIMIT_EXCEEDED``) passes unprepared."""
    try:
        import pyruntime
    except ImportError:
        return
    try:
        interp = pyruntime.Interpreter(model_content=data)
        try:
            interp.allocate_tensors()  # prepare: every op's shapes, options and quantization checked
        finally:
            interp.close()
    except pyruntime.TensorletRuntimeError as e:
        if e.status_name == "TL_ERROR_LIMIT_EXCEEDED" and "work" in str(e):  # the budget, not the file
            return
        text = str(e).replace("\n", " ")
        m = re.search(r"\bop (\d+)\b", text)
        where = ""
        if m and int(m.group(1)) < len(origin):
            where = f" (TFLite operator {origin[int(m.group(1))]})"
        raise TFLiteImportError(f"cannot import: the converted model does not load{where}: {text}") from None


def from_tflite(path_or_bytes: str | bytes | bytearray | memoryview | Any) -> bytes:
    """Convert a ``.tflite`` model (a path or its bytes) to ``.tlm`` bytes.

    Raises :class:`TFLiteImportError` (one line) for a malformed file or anything tensorlet cannot represent.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
    else:
        try:
            with open(path_or_bytes, "rb") as f:
                data = f.read()
        except OSError as e:
            raise TFLiteImportError(f"cannot read {str(path_or_bytes)!r}: {e.strerror}") from None
    try:
        return convert(read_tflite(data))
    except TFLiteImportError:
        raise
    except RecursionError:
        raise TFLiteImportError("cannot import: the file nests too deeply") from None
    except Exception as e:  # a bug of the importer on a hostile file: still one line, never a traceback
        msg = str(e).replace("\n", " ")[:300]
        raise TFLiteImportError(
            f"cannot import (importer error, please report): {type(e).__name__}: {msg}"
        ) from e
