"""Minimum: elementwise min of two tensors with numpy broadcasting (rank <= 4), lowered from the trainer's
``Minimum`` (``tf.minimum``). int8: each input is requantized to the output's parameters, then the min is
taken (with equal parameters everywhere, the min of the raw values: TFLite's MINIMUM)."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import prepare_requantize, requantize_int8
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_RANK = 4


@lowers("Minimum")
def _lower(ctx, op) -> None:
    for t in op.inputs:
        if t.shape.ndims is not None and t.shape.ndims > MAX_RANK:
            raise unsupported(
                op, f"input {t.name} has rank {t.shape.ndims} (at most {MAX_RANK} is supported)"
            )
    ctx.emit("Minimum", op, [ctx.input(op, t) for t in op.inputs])


def minimum(a, b) -> np.ndarray:
    """The float reference: numpy's minimum in float64 (a NaN in either input propagates)."""
    return np.minimum(f64(a), f64(b))


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return minimum(ins[0], ins[1])


def minimum_int8(a: np.ndarray, b: np.ndarray, pa, pb) -> np.ndarray:
    """The int8 kernel: both inputs requantized to the output (``prepare_requantize``), then the min."""
    return np.minimum(requantize_int8(a, pa), requantize_int8(b, pb))


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    out = qparams(m, op.outputs[0])
    pa = prepare_requantize(*qparams(m, op.inputs[0]), *out)
    pb = prepare_requantize(*qparams(m, op.inputs[1]), *out)
    return minimum_int8(ins[0], ins[1], pa, pb)


register(RuntimeOp("Minimum", _reference, _int8))
