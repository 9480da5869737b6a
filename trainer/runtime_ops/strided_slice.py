"""StridedSlice: ``x[b0:e0:s0, b1:e1:s1, ...]`` with TFLite's STRIDED_SLICE rules, lowered from the trainer's
``StridedSlice`` (``x[1:3, ::2]``, ``x[..., 0]``, ``tf.newaxis``, ``tf.strided_slice``) and ``Slice``
(``tf.slice``). begin, end and strides are constant int32 inputs (TFLite's form); begin_mask / end_mask take
the whole axis, shrink_axis_mask takes one element and drops the axis. An ellipsis is expanded at lowering
and a new axis becomes a Reshape after the slice (the runtime op has neither). An int8 StridedSlice moves
values: the output keeps the input's parameters."""

from __future__ import annotations

import numpy as np

from trainer.runtime_ops._common import f64, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


def resolve(dims, begin, end, strides, begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0):
    """Per axis (start, step, count, kept): the runtime's resolution of begin/end/strides and the masks
    (runtime_c/src/ops/strided_slice.c). Raises ValueError where the runtime refuses (a zero stride, an
    empty slice, a shrunk index out of range)."""
    out = []
    for k, dim in enumerate(dims):
        b, e, s = int(begin[k]), int(end[k]), int(strides[k])
        if s == 0:
            raise ValueError(f"strides entry {k} is 0")
        if shrink_axis_mask >> k & 1:
            b = b + dim if b < 0 else b
            if not 0 <= b < dim:
                raise ValueError(f"begin entry {k} is {begin[k]}, out of range for a shrunk axis of {dim}")
            out.append((b, 1, 1, False))
            continue
        b = b + dim if b < 0 else b
        e = e + dim if e < 0 else e
        if s > 0:
            b = 0 if begin_mask >> k & 1 else min(max(b, 0), dim)
            e = dim if end_mask >> k & 1 else min(max(e, 0), dim)
            n = -(-(e - b) // s) if e > b else 0
        else:
            b = dim - 1 if begin_mask >> k & 1 else min(max(b, -1), dim - 1)
            e = -1 if end_mask >> k & 1 else min(max(e, -1), dim - 1)
            n = -(-(b - e) // -s) if b > e else 0
        if n < 1:
            raise ValueError(f"axis {k}: begin {begin[k]}, end {end[k]}, stride {s} select none of {dim}")
        out.append((b, s, n, True))
    return out


def strided_slice(x, begin, end, strides, begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0):
    """The float reference (and, on int8 data, the int8 kernel: the same elements)."""
    x = np.asarray(x)
    axes = resolve(x.shape, begin, end, strides, begin_mask, end_mask, shrink_axis_mask)
    picked = x[np.ix_(*[start + step * np.arange(n) for start, step, n, _ in axes])]
    return picked.reshape([n for _, _, n, kept in axes if kept])


def _args(op: OpInfo, ins: list[np.ndarray]):
    o = op.options
    vectors = [np.asarray(v).astype(np.int64).reshape(-1) for v in ins[1:4]]
    return (*vectors, o["begin_mask"], o["end_mask"], o["shrink_axis_mask"])


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return strided_slice(f64(ins[0]), *_args(op, ins))


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return strided_slice(ins[0], *_args(op, ins))


register(RuntimeOp("StridedSlice", _reference, _int8, keeps_input_quant=True))

# ---- lowering ----


def _spec_vectors(spec: tuple, rank: int):
    """The trainer's slice spec (("s", start, stop, step), ("i", index), ("n",), ("e",)) as begin, end,
    strides and masks over the input's axes, and the positions of the new axes in the output."""
    used = sum(1 for e in spec if e[0] in "si")
    if not any(e[0] == "e" for e in spec):
        spec = (*spec, ("e",))
    begin, end, strides, masks = [], [], [], [0, 0, 0]
    for e in spec:
        if e[0] == "e":
            entries = [("s", None, None, 1)] * (rank - used)
        elif e[0] == "n":
            continue
        else:
            entries = [e]
        for entry in entries:
            k = len(begin)
            if entry[0] == "i":
                begin.append(entry[1])
                end.append(entry[1] + 1)
                strides.append(1)
                masks[2] |= 1 << k
                continue
            _, start, stop, step = entry
            begin.append(0 if start is None else start)
            end.append(0 if stop is None else stop)
            strides.append(step)
            masks[0] |= (start is None) << k
            masks[1] |= (stop is None) << k
    return begin, end, strides, masks


def _emit(ctx, op, begin, end, strides, masks) -> None:
    x = op.inputs[0]
    out = op.outputs[0]
    if not x.shape.is_fully_defined() or not out.shape.is_fully_defined():
        raise unsupported(op, f"input {x.shape} or output {out.shape} is not static")
    rank = x.shape.ndims
    if not 1 <= rank <= 6:
        raise unsupported(op, f"input of rank {rank} (1 to 6)")
    try:
        axes = resolve(x.shape.as_list(), begin, end, strides, *masks)
    except ValueError as e:
        raise unsupported(op, str(e)) from None
    consts = [ctx.b.add_constant(f"{op.name}/{n}", np.asarray(v, np.int32)) for n, v in
              (("begin", begin), ("end", end), ("strides", strides))]  # fmt: skip
    options = dict(begin_mask=masks[0], end_mask=masks[1], shrink_axis_mask=masks[2])
    sliced = [n for _, _, n, kept in axes if kept]
    if sliced == out.shape.as_list():
        ctx.emit("StridedSlice", op, [ctx.input(op, x), *consts], **options)
        return
    # new axes (tf.newaxis): the slice, then a Reshape to the output's shape
    mid = ctx.b.add_tensor(f"{op.name}/sliced", np.float32, sliced)
    ctx.b.add_op("StridedSlice", [ctx.input(op, x), *consts], [mid], **options)
    ctx.emit("Reshape", op, [mid], new_shape=out.shape.as_list())


@lowers("StridedSlice")
def _lower_strided_slice(ctx, op) -> None:
    begin, end, strides, masks = _spec_vectors(op.attrs["spec"], op.inputs[0].shape.ndims or 0)
    _emit(ctx, op, begin, end, strides, masks)


@lowers("Slice")
def _lower_slice(ctx, op) -> None:
    begin = [int(b) for b in op.attrs["begin"]]
    size = [int(n) for n in op.attrs["size"]]
    end = [0 if n == -1 else b + n for b, n in zip(begin, size, strict=True)]
    end_mask = sum(1 << k for k, n in enumerate(size) if n == -1)
    _emit(ctx, op, begin, end, [1] * len(begin), [0, end_mask, 0])
