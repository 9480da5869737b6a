"""L2Normalization: ``x / max(||x||, 1e-6)`` over the last axis, lowered from the trainer's ``L2Normalize``
(``tf.nn.l2_normalize``) when it normalizes the last axis alone with TF's default epsilon 1e-12 (its
``x / sqrt(max(sum x^2, 1e-12))`` is exactly TFLite's ``x / max(sqrt(sum x^2), 1e-6)``); other axes or
epsilons are refused.

int8: TFLite's L2_NORMALIZATION: the output is fixed at scale 1/128, zero point 0; per row, the sum of the
squared centered inputs (int32), its inverse square root as a multiplier
(``GetInvSqrtQuantizedMultiplierExp``,
``unary_math.inv_sqrt_multiplier``), each centered input times it with 7 more bits of left shift, clamped.
"""

from __future__ import annotations

import functools

import numpy as np

from trainer.quant.fixed_point import multiply_by_quantized_multiplier
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.runtime_ops.unary_math import inv_sqrt_multiplier
from trainer.tlm import ModelInfo, OpInfo

TF_EPSILON = 1e-12  # on the squared sum: TFLite's 1e-6 on the norm
OUTPUT_QUANT = (1.0 / 128.0, 0)
MAX_DEPTH = 33025  # 255^2 * depth must fit int32 (TFLite's accumulator)


@lowers("L2Normalize")
def _lower(ctx, op) -> None:
    rank = op.inputs[0].shape.ndims
    axes = op.attrs["axis"]
    if rank is None or axes is None or sorted({a % rank for a in axes}) != [rank - 1]:
        raise unsupported(op, f"axis {axes} (only the last axis is supported)")
    if op.attrs["epsilon"] != TF_EPSILON:
        raise unsupported(op, f"epsilon {op.attrs['epsilon']:g} (only TF's default 1e-12 is supported)")
    ctx.emit("L2Normalization", op, [ctx.input(op, op.inputs[0])])


def l2_normalization(x) -> np.ndarray:
    """The float reference in float64."""
    x = f64(x)
    norm = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return x / np.maximum(norm, 1e-6)


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return l2_normalization(ins[0])


@functools.lru_cache(maxsize=4096)
def _inv_sqrt(acc: int) -> tuple[int, int]:
    return inv_sqrt_multiplier(acc)


def l2_normalization_int8(x: np.ndarray, zp_in: int) -> np.ndarray:
    """TFLite's int8 kernel (the output at scale 1/128, zero point 0)."""
    c = np.asarray(x, np.int64) - zp_in
    rows = c.reshape(-1, c.shape[-1])
    out = np.empty(rows.shape, np.int8)
    for i, row in enumerate(rows):
        m, shift = _inv_sqrt(int(np.sum(row * row)))
        out[i] = np.clip(multiply_by_quantized_multiplier(row, m, shift + 7), -128, 127)
    return out.reshape(c.shape)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return l2_normalization_int8(ins[0], int(qparams(m, op.inputs[0])[1]))


register(RuntimeOp("L2Normalization", _reference, _int8, fixed_output_quant=OUTPUT_QUANT))
