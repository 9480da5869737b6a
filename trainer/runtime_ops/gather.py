"""Gather: ``params[..., indices, ...]`` along one axis (TFLite's GATHER, batch_dims 0), lowered from the
trainer's ``Gather`` (``tf.gather``, ``tf.nn.embedding_lookup`` of one table). params: float32 (int8 once
quantized) of rank 1 to 4; indices: int32, a constant or a graph input (token ids); the output's shape is
params' with the axis replaced by the indices' shape. An int8 Gather moves values: the output keeps params'
parameters, as TFLite's converter does.

Out-of-range indices: a constant one is refused (at export here, at prepare by the runtime); one fed at run
time gives a row of zeros (int8: the zero point), since the runtime's eval cannot fail (TensorFlow's GPU
kernel does the same; TFLite's Invoke returns an error)."""

from __future__ import annotations

import numpy as np

from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_PARAMS_RANK = 4
MAX_RANK = 6


def gather(params, indices, axis: int = 0, fill=0) -> np.ndarray:
    """The float reference (and, on int8 data with ``fill`` the zero point, the int8 kernel): ``np.take``
    along ``axis`` with every index outside ``[0, dim)`` giving a row of ``fill``."""
    params = np.asarray(params)
    axis = axis % params.ndim
    idx = np.asarray(indices).astype(np.int64)
    dim = params.shape[axis]
    inside = (idx >= 0) & (idx < dim)
    out = np.take(params, np.where(inside, idx, 0), axis=axis)
    mask = inside.reshape((1,) * axis + idx.shape + (1,) * (params.ndim - axis - 1))
    return np.where(mask, out, np.asarray(fill, out.dtype))


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return gather(f64(ins[0]), ins[1], op.options["axis"])


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    _, zp = qparams(m, op.inputs[0])
    return gather(ins[0], ins[1], op.options["axis"], fill=np.int8(zp))


register(RuntimeOp("Gather", _reference, _int8, keeps_input_quant=True))

# ---- lowering ----


def _indices(ctx, op, t) -> int:
    """The model tensor of the indices: an int32 constant (checked in range), or an int32 tensor the model
    already has (a graph input)."""
    dim = op.inputs[0].shape.as_list()[op.attrs["axis"]]
    if t.op.type == "Const":
        if t in ctx.index:
            return ctx.index[t]
        v = np.asarray(t.op.attrs["value"])
        if not np.issubdtype(v.dtype, np.integer):
            raise unsupported(op, f"indices {t.name} have dtype {v.dtype} (integers expected)")
        if v.size and (v.min() < 0 or v.max() >= dim):
            raise unsupported(op, f"constant indices {t.name} outside [0, {dim})")
        ctx.index[t] = ctx.b.add_constant(t.op.name, v.astype(np.int32))
        return ctx.index[t]
    if t.dtype.name != "int32":
        raise unsupported(op, f"indices {t.name} have dtype {t.dtype.name} (the runtime's Gather: int32)")
    if t not in ctx.index:
        raise unsupported(op, f"indices {t.name} come from an op that was not exported")
    return ctx.index[t]


@lowers("Gather")
def _lower_gather(ctx, op) -> None:
    p, i = op.inputs
    out = op.outputs[0]
    for what, t in (("params", p), ("indices", i), ("output", out)):
        if not t.shape.is_fully_defined():
            raise unsupported(op, f"{what} {t.name} has shape {t.shape}, which is not static")
    if not 1 <= p.shape.ndims <= MAX_PARAMS_RANK:
        raise unsupported(op, f"params of rank {p.shape.ndims} (1 to {MAX_PARAMS_RANK})")
    if out.shape.ndims > MAX_RANK:
        raise unsupported(op, f"output of rank {out.shape.ndims} (at most {MAX_RANK})")
    if p.op.type != "Const":
        ctx._check_float(op, p, "params")
    params = ctx.input(op, p)
    ctx.b.add_op("Gather", [params, _indices(ctx, op, i)], [ctx.output(op, out)], axis=int(op.attrs["axis"]))
