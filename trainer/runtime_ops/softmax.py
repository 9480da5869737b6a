"""Softmax over the last axis, ``exp(beta * x) / sum``; the int8 output is fixed at scale 1/256, zero -128."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import prepare_softmax, softmax_int8
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("Softmax")
def _lower(ctx, op) -> None:
    rank = op.inputs[0].shape.ndims
    if op.attrs["axis"] != rank - 1:
        raise unsupported(op, f"axis {op.attrs['axis']} (only the last axis, {rank - 1}, is supported)")
    ctx.emit("Softmax", op, [ctx.input(op, op.inputs[0])], beta=1.0)


def softmax(x, beta: float = 1.0) -> np.ndarray:
    """exp(beta * x) / sum over the last axis, shifted by the row max (no overflow)."""
    z = f64(x) * beta
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return softmax(ins[0], op.options["beta"])


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return softmax_int8(ins[0], prepare_softmax(op.options["beta"], qparams(m, op.inputs[0])[0]))


register(RuntimeOp("Softmax", _reference, _int8, fixed_output_quant=(1.0 / 256.0, -128)))
