"""LeakyRelu: ``x`` for ``x > 0``, ``alpha * x`` otherwise (LeakyReluOptions.alpha), lowered from the
trainer's ``LeakyRelu`` (``tf.nn.leaky_relu``). int8: TFLite's LEAKY_RELU: the centered input rescaled by
the identity multiplier ``s_in / s_out`` at or above the zero point, by ``s_in alpha / s_out`` below it
(both products in float32, as TFLite), as a 256-entry table (``unary_math.lut_int8``)."""

from __future__ import annotations

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.quant.fixed_point import multiply_by_quantized_multiplier, quantize_multiplier
from trainer.runtime_ops._common import f64, qparams
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.runtime_ops.unary_math import lut_int8
from trainer.tlm import ModelInfo, OpInfo

_Q = np.arange(-128, 128, dtype=np.int64)


@lowers("LeakyRelu")
def _lower(ctx, op) -> None:
    ctx.emit("LeakyRelu", op, [ctx.input(op, op.inputs[0])], alpha=float(op.attrs["alpha"]))


def leaky_relu(x, alpha: float) -> np.ndarray:
    """The float reference in float64."""
    x = f64(x)
    return np.where(x > 0, x, x * float(np.float32(alpha)))


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return leaky_relu(ins[0], op.options["alpha"])


def _multiplier(real: float, what: str) -> tuple[int, int]:
    q = quantize_multiplier(real)
    if q is None or not -31 <= q[1] <= 31:
        raise InvalidArgumentError(f"LeakyRelu: {what} multiplier {real:g} is not representable")
    return q


def leaky_relu_table(alpha: float, s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 rule for every int8 input in table order (alpha >= 0; alpha 0: zp_out below zero)."""
    f32 = np.float32
    a, s_in, s_out = f32(alpha), f32(s_in), f32(s_out)
    if a < 0:
        raise InvalidArgumentError(f"LeakyRelu: int8 alpha is {float(a):g}, must be >= 0")
    mi, si = _multiplier(float(s_in / s_out), "identity")
    c = _Q - zp_in
    up = multiply_by_quantized_multiplier(c, mi, si)
    down = np.zeros_like(c)
    if a > 0:
        ma, sa = _multiplier(float((s_in * a) / s_out), "alpha")
        down = multiply_by_quantized_multiplier(c, ma, sa)
    return np.clip(np.where(c >= 0, up, down) + zp_out, -128, 127).astype(np.int8)


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    table = leaky_relu_table(op.options["alpha"], *qparams(m, op.inputs[0]), *qparams(m, op.outputs[0]))
    return lut_int8(ins[0], table)


register(RuntimeOp("LeakyRelu", _reference, _int8))
