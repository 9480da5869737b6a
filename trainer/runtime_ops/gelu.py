"""Gelu: ``x Phi(x)`` elementwise (GeluOptions.approximate: the tanh form), lowered from the trainer's
``Gelu`` (``tf.nn.gelu(x, approximate=...)``).

int8: TFLite's GELU, a 256-entry table by ``LUTPopulate`` (``unary_math.lut_populate``: dequantize in float32,
the function, times the float32 reciprocal of the output scale, rounded half away, plus the output zero
point, clamped). The function is TFLite's float32 arithmetic, step by step: exact ``0.5f * x *
erfc(x * -sqrt(1/2))``; approximate ``0.5f * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715f * x * x * x)))``,
with erfc and tanh computed in float64 and rounded to float32 (C does the same, so numpy and C give the same
table on every platform; LiteRT's erfcf / tanhf agree on every tested table).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from trainer.runtime_ops._common import f64, qparams
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.runtime_ops.unary_math import lut_int8, lut_populate
from trainer.tlm import ModelInfo, OpInfo

_F32 = np.float32
SQRT_HALF = _F32(0.7071067811865476)  # M_SQRT1_2
SQRT_2_OVER_PI = _F32(1.1283791670955126 * 0.7071067811865476)  # M_2_SQRTPI * M_SQRT1_2, in double
CUBIC = _F32(0.044715)
_ERFC = np.vectorize(math.erfc, otypes=[np.float64])


@lowers("Gelu")
def _lower(ctx, op) -> None:
    ctx.emit("Gelu", op, [ctx.input(op, op.inputs[0])], approximate=bool(op.attrs["approximate"]))


def gelu(x, approximate: bool) -> np.ndarray:
    """The float reference in float64."""
    x = f64(x)
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * _ERFC(-x / math.sqrt(2.0))


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return gelu(ins[0], op.options["approximate"])


def gelu_f32(x: np.ndarray, approximate: bool) -> np.ndarray:
    """TFLite's float32 GELU transform on float32 values (the inner erfc / tanh in float64, rounded)."""
    x = np.asarray(x, _F32)
    half_x = _F32(0.5) * x
    with np.errstate(all="ignore"):
        if approximate:
            inner = SQRT_2_OVER_PI * (x + CUBIC * x * x * x)
            t = np.tanh(inner.astype(np.float64)).astype(_F32)
            return half_x * (_F32(1) + t)
        return half_x * _ERFC((x * -SQRT_HALF).astype(np.float64)).astype(_F32)


@functools.lru_cache(maxsize=256)
def gelu_table(approximate: bool, s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 GELU (LUTPopulate of the float32 transform) for every int8 input in table order."""
    table = lut_populate(lambda x: gelu_f32(x.astype(_F32), approximate), s_in, zp_in, s_out, zp_out)
    table.setflags(write=False)
    return table


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    (s_in, zp_in), (s_out, zp_out) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
    table = gelu_table(bool(op.options["approximate"]), float(s_in), int(zp_in), float(s_out), int(zp_out))
    return lut_int8(ins[0], table)


register(RuntimeOp("Gelu", _reference, _int8))
