"""Mean over any axes (global average pooling), with or without the reduced axes kept."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import mean_int8, prepare_mean
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("Mean")
def _lower(ctx, op) -> None:
    axes = [int(a) for a in op.attrs["axis"]]
    if not axes:
        raise unsupported(op, "an empty axis list")
    ctx.emit("Mean", op, [ctx.input(op, op.inputs[0])], axes=axes, keep_dims=bool(op.attrs["keepdims"]))


def mean(x, axes, keep_dims: bool = False) -> np.ndarray:
    """The mean over ``axes`` (negative axes count from the end; repeats count once)."""
    x = f64(x)
    axes = tuple(sorted({int(a) % x.ndim for a in axes}))
    return x.mean(axis=axes, keepdims=bool(keep_dims))


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return mean(ins[0], op.options["axes"], op.options["keep_dims"]).reshape(shape)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    (si, zi), (so, zo) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
    x = ins[0]
    count = int(np.prod([x.shape[a] for a in {int(a) % x.ndim for a in op.options["axes"]}]))
    return mean_int8(x, op.options["axes"], op.options["keep_dims"], prepare_mean(si, zi, so, zo, count))


register(RuntimeOp("Mean", _reference, _int8))
