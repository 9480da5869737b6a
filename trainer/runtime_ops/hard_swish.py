"""HardSwish: ``x * relu6(x + 3) / 6`` elementwise (MobileNetV3), lowered from the trainer's ``HardSwish``
(``tf.nn.hard_swish``).

int8: TFLite's reference HARD_SWISH, a 16-bit fixed-point algorithm, written out here per int8 input value
as a 256-entry table (``unary_math.lut_int8``), so the table gives LiteRT's bytes:

- prepare (float32): ``hires = s_in / 128``; the output multiplier ``hires / s_out`` and the "reluish"
  multiplier ``hires / (3 / 32768)``, each ``QuantizeMultiplier``'d and rounded to 16 bits
  (``(m + 2^15) >> 16``, 32767 at the top); the output multiplier's exponent must be <= 0;
- per value: ``v = (q - zp_in) * 128``; ``pre = SRDHM16(v, out_mult)``; the reluish value is ``v`` shifted
  left saturating by ``exp - 1``, ``SRDHM16`` by the reluish multiplier, shifted left by 1 more (saturating)
  or right by ``-exp`` (rounding), mapped from [-1, 1] to [0, 1] by ``(r + 2^15) >> 1``; the output is
  ``SDHM16(reluish, pre)`` (no rounding), divided by ``2^-out_exp`` rounding, plus ``zp_out``, clamped.

The 16-bit helpers keep gemmlowp's int16 arithmetic, including its rounding divide by a power of two of 16
or more bits (its mask wraps to -1 in 16 bits: a positive value gives 1, a negative one its sign).
"""

from __future__ import annotations

import functools

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.quant.fixed_point import quantize_multiplier
from trainer.runtime_ops._common import f64, qparams
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.runtime_ops.unary_math import lut_int8
from trainer.tlm import ModelInfo, OpInfo

_Q = np.arange(-128, 128, dtype=np.int64)
_I16_MIN, _I16_MAX = -32768, 32767


@lowers("HardSwish")
def _lower(ctx, op) -> None:
    ctx.emit("HardSwish", op, [ctx.input(op, op.inputs[0])])


def hard_swish(x) -> np.ndarray:
    """The float reference in float64."""
    x = f64(x)
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as in C
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return hard_swish(ins[0])


def _wrap16(v: np.ndarray) -> np.ndarray:
    """A value cast to int16 (two's complement wrap), as C++'s static_cast<int16_t>."""
    return ((np.asarray(v, np.int64) + 32768) & 0xFFFF) - 32768


def _trunc_div(a: np.ndarray, d: int) -> np.ndarray:
    """C's integer division (toward zero)."""
    return np.sign(a) * (np.abs(a) // d)


def srdhm16(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int16."""
    ab = np.asarray(a, np.int64) * int(b)
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    r = _wrap16(_trunc_div(ab + nudge, 1 << 15))
    return np.where((np.asarray(a) == _I16_MIN) & (b == _I16_MIN), _I16_MAX, r)


def sdhm16(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TFLite's SaturatingDoublingHighMul on int16 (truncating, no rounding nudge)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    r = _wrap16(_trunc_div(a * b, 1 << 15))
    return np.where((a == _I16_MIN) & (b == _I16_MIN), _I16_MAX, r)


def saturating_left_shift16(v: np.ndarray, amount: int) -> np.ndarray:
    """TFLite's SaturatingLeftShift on int16: v * 2^amount clamped to int16."""
    return np.clip(np.asarray(v, np.int64) * (1 << amount), _I16_MIN, _I16_MAX)


def rounding_divide_by_pot16(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT on int16 (its mask is (2^exponent - 1) cast to int16)."""
    x = np.asarray(x, np.int64)
    mask = int(_wrap16(np.int64((1 << exponent) - 1)))
    remainder = _wrap16(x & mask)
    threshold = (mask >> 1) + (x < 0)
    return _wrap16((x >> exponent) + (remainder > threshold))


def downscale_multiplier16(m: int) -> int:
    """TFLite's DownScaleInt32ToInt16Multiplier: (m + 2^15) >> 16, 32767 near the top."""
    if m >= (1 << 31) - 1 - (1 << 15):
        return _I16_MAX
    return (m + (1 << 15)) >> 16


def hard_swish_multipliers(s_in: float, s_out: float) -> tuple[int, int, int, int]:
    """(output multiplier, its exponent, reluish multiplier, its exponent), 16-bit, as TFLite's prepare;
    InvalidArgumentError where the runtime refuses them (output exponent > 0, shifts beyond 31)."""
    f32 = np.float32
    hires = f32(1.0 / 128.0) * f32(s_in)
    out_q = quantize_multiplier(float(hires / f32(s_out)))
    relu_q = quantize_multiplier(float(hires / (f32(3.0) / f32(32768.0))))
    if out_q is None or not -31 <= out_q[1] <= 0:
        raise InvalidArgumentError(
            f"HardSwish: output multiplier of scales {s_in:g} / {s_out:g} out of range"
        )
    if relu_q is None or not -31 <= relu_q[1] <= 31:
        raise InvalidArgumentError(f"HardSwish: input scale {s_in:g} out of range")
    return downscale_multiplier16(out_q[0]), out_q[1], downscale_multiplier16(relu_q[0]), relu_q[1]


@functools.lru_cache(maxsize=256)
def hard_swish_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 HARD_SWISH for every int8 input in table order."""
    out_m, out_e, relu_m, relu_e = hard_swish_multipliers(s_in, s_out)
    v = (_Q - zp_in) * 128
    pre = srdhm16(v, out_m)
    r = v
    if relu_e > 0:
        r = saturating_left_shift16(r, relu_e - 1)
    r = srdhm16(r, relu_m)
    if relu_e > 0:
        r = saturating_left_shift16(r, 1)
    if relu_e < 0:
        r = rounding_divide_by_pot16(r, -relu_e)
    r = (r + (1 << 15)) >> 1
    out = rounding_divide_by_pot16(sdhm16(r, pre), -out_e) + zp_out
    table = np.clip(out, -128, 127).astype(np.int8)
    table.setflags(write=False)
    return table


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    (s_in, zp_in), (s_out, zp_out) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
    return lut_int8(ins[0], hard_swish_table(float(s_in), int(zp_in), float(s_out), int(zp_out)))


register(RuntimeOp("HardSwish", _reference, _int8))
