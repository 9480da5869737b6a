"""Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Elu: elementwise unary math, lowered from the trainer ops of the
same names (``tf.abs``, ``tf.negative``, ``tf.square``, ``tf.sqrt``, ``tf.rsqrt``, ``tf.exp``, ``tf.log``,
``tf.nn.elu``).

int8: an int8 input has 256 values, so each op's int8 kernel is a 256-entry table computed at prepare from the
input and output parameters and looked up per element (``lut_int8``). The table builders below are the rules,
each TFLite's reference arithmetic for the op, so the table gives LiteRT's bytes:

- Abs: ``|q - zp_in|``, rescaled by ``QuantizeMultiplier(s_in / s_out)`` when the scales differ (integer);
- Rsqrt: TFLite's integer Newton-Raphson inverse square root (``GetInvSqrtQuantizedMultiplierExp``), then
  two ``MultiplyByQuantizedMultiplier`` steps; ``q <= zp_in`` gives 127 (TFLite: 0 gives 127, a negative input
  is an error at invoke; we cannot fail at eval, so negatives read as 0);
- Sqrt: float32 ``sqrt(s_in (q - zp_in)) / s_out`` truncated toward zero (TFLite's rule, no rounding); a
  negative input reads as 0 (TFLite: an error at invoke);
- Exp, Log, Elu: TFLite's ``LUTPopulate``: dequantize in float32, the function, times ``1 / s_out`` (float32),
  rounded half away from zero, plus ``zp_out``, clamped; Log of ``x <= 0`` is the output's lowest value;
  Elu is ``expm1(x)`` below 0, ``x`` above;
- Neg, Square: TFLite has no int8 kernel (its converter keeps DEQUANTIZE, the float op, QUANTIZE); ours is the
  table of exactly that chain: ``quantize(f(dequantize(q)))``, so it gives the same bytes.

The function inside a float table (exp, log, expm1) is computed in float64 and rounded to float32, in numpy
and in C alike, so both give the same table on every platform.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from trainer.quant.fixed_point import (
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_left_shift,
    srdhm,
)
from trainer.runtime_ops._common import f64, qparams
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

UNARY_OPS = ("Abs", "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Elu")
_Q = np.arange(-128, 128, dtype=np.int64)  # the 256 int8 values, in table order
_F32 = np.float32


@lowers(*UNARY_OPS)
def _lower(ctx, op) -> None:
    ctx.emit(op.type, op, [ctx.input(op, op.inputs[0])])


# ---- float references (float64) ----


def _quiet(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    def run(x) -> np.ndarray:
        with np.errstate(all="ignore"):  # sqrt/log of negatives give NaN, log(0) -inf, as in C
            return fn(f64(x))

    return run


FLOAT_FNS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Abs": _quiet(np.abs),
    "Neg": _quiet(np.negative),
    "Square": _quiet(np.square),
    "Sqrt": _quiet(np.sqrt),
    "Rsqrt": _quiet(lambda x: 1.0 / np.sqrt(x)),
    "Exp": _quiet(np.exp),
    "Log": _quiet(np.log),
    "Elu": _quiet(lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
}


# ---- int8 tables ----


def _round_half_away_f32(x: np.ndarray) -> np.ndarray:
    """C's roundf on float32 values (x - trunc(x) is exact, so the tie test is too)."""
    t = np.trunc(x)
    return t + np.where(np.abs(x - t) >= _F32(0.5), np.sign(x), _F32(0)).astype(_F32)


def _to_int8(v: np.ndarray) -> np.ndarray:
    """An integral float32 (or +-inf; NaN reads as 0) clamped to int8, as the C code does."""
    v = np.where(np.isnan(v), _F32(0), v)
    return np.clip(v, -128.0, 127.0).astype(np.int8)


def _dequantize_f32(s_in: float, zp_in: int) -> np.ndarray:
    return _F32(s_in) * (_Q - zp_in).astype(_F32)


def lut_populate(fn: Callable[[np.ndarray], np.ndarray], s_in: float, zp_in: int, s_out: float, zp_out: int):
    """TFLite's LUTPopulate for int8: float32 dequantize, fn (float64, rounded to float32), times the float32
    reciprocal of the output scale, rounded half away, plus the output zero point, clamped."""
    x = _dequantize_f32(s_in, zp_in)
    with np.errstate(all="ignore"):
        t = fn(x.astype(np.float64)).astype(_F32)
        rescaled = _round_half_away_f32(t * (_F32(1) / _F32(s_out)))
    return _to_int8(rescaled + _F32(zp_out))


def _quantize_chain(
    fn: Callable[[np.ndarray], np.ndarray], s_in: float, zp_in: int, s_out: float, zp_out: int
):
    """quantize(fn(dequantize(q))) with the runtime's Dequantize / Quantize rules (fn in float32)."""
    x = (np.float64(_F32(s_in)) * (_Q - zp_in)).astype(_F32)
    with np.errstate(all="ignore"):
        y = fn(x).astype(_F32)
        return _to_int8(_round_half_away_f32(y / _F32(s_out)) + _F32(zp_out))


def _clamp8(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -128, 127).astype(np.int8)


def abs_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Abs: |q - zp_in|, rescaled by QuantizeMultiplier(s_in / s_out) if the scales differ,
    plus zp_out."""
    v = np.abs(_Q - zp_in)
    if _F32(s_in) == _F32(s_out):
        return _clamp8(v + zp_out)
    m, s = quantize_multiplier(float(_F32(s_in) / _F32(s_out)))
    return _clamp8(multiply_by_quantized_multiplier(v, m, s) + zp_out)


def inv_sqrt_multiplier(v: int) -> tuple[int, int]:
    """TFLite's GetInvSqrtQuantizedMultiplierExp(v, -1): 1/sqrt(v) as a multiplier and a left shift, by five
    Newton-Raphson steps in fixed point with 3 integer bits."""
    if v <= 1:
        return 2**31 - 1, 0
    shift = 11
    while v >= 1 << 29:
        v //= 4
        shift += 1
    left_pairs = (32 - v.bit_length() - 1) // 2 - 1  # CountLeadingZeros(v) - 1, in pairs, minus one
    shift -= left_pairs
    v <<= 2 * left_pairs
    half_input = int(rounding_divide_by_pot(v >> 1, 1))
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28  # 1.0 with 3 integer bits
    for _ in range(5):
        x3 = int(saturating_left_shift(srdhm(srdhm(x, x), x), 6))
        x = int(saturating_left_shift(int(srdhm(half_three, x)) - int(srdhm(half_input, x3)), 3))
    x = int(srdhm(x, 1518500250))  # times sqrt(2)/2
    if shift < 0:
        x <<= -shift
        shift = 0
    return x, -shift


RSQRT_SHIFT = 20  # TFLite's kShift: keeps 1/sqrt(v) an integer between the two multiplications


def rsqrt_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Rsqrt: v = q - zp_in; v <= 0 gives 127; else 2^20/sqrt(v) by inv_sqrt_multiplier, then
    rescaled by QuantizeMultiplier(1 / (sqrtf(s_in) * s_out)) with the 2^20 taken back."""
    m, s = quantize_multiplier(1.0 / float(np.sqrt(_F32(s_in)) * _F32(s_out)))
    out = np.full(256, 127, np.int8)
    for i, v in enumerate(_Q - zp_in):
        if v <= 0:
            continue
        im, ishift = inv_sqrt_multiplier(int(v))
        data = multiply_by_quantized_multiplier(1, im, ishift + RSQRT_SHIFT)
        out[i] = _clamp8(multiply_by_quantized_multiplier(data, m, s - RSQRT_SHIFT) + zp_out)
    return out


def sqrt_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Sqrt: trunc(sqrtf(s_in (q - zp_in)) / s_out) + zp_out, clamped; negatives read as 0."""
    x = np.maximum(_dequantize_f32(s_in, zp_in), _F32(0))
    return _to_int8(np.trunc(np.sqrt(x) / _F32(s_out)) + _F32(zp_out))


def log_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Log: LUTPopulate of log, with x <= 0 giving the output's lowest value."""
    low = np.float64(_F32(-128 - zp_out) * _F32(s_out))
    return lut_populate(
        lambda x: np.where(x > 0, np.log(np.maximum(x, 1e-300)), low), s_in, zp_in, s_out, zp_out
    )


def exp_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Exp: LUTPopulate of exp."""
    return lut_populate(np.exp, s_in, zp_in, s_out, zp_out)


def elu_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite's int8 Elu: LUTPopulate of x < 0 ? expm1(x) : x (expm1 as exp(x) - 1 in float64)."""
    return lut_populate(
        lambda x: np.where(x < 0, np.exp(np.minimum(x, 0)) - 1.0, x), s_in, zp_in, s_out, zp_out
    )


def neg_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """int8 Neg: quantize(-dequantize(q)) (TFLite's DEQUANTIZE, NEG, QUANTIZE)."""
    return _quantize_chain(np.negative, s_in, zp_in, s_out, zp_out)


def square_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """int8 Square: quantize(x * x), x = dequantize(q), in float32 (TFLite's DEQUANTIZE, SQUARE, QUANTIZE)."""
    return _quantize_chain(lambda x: x * x, s_in, zp_in, s_out, zp_out)


TABLES: dict[str, Callable[[float, int, float, int], np.ndarray]] = {
    "Abs": abs_table,
    "Neg": neg_table,
    "Square": square_table,
    "Sqrt": sqrt_table,
    "Rsqrt": rsqrt_table,
    "Exp": exp_table,
    "Log": log_table,
    "Elu": elu_table,
}


def lut_int8(x: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The int8 kernel: y = table[x + 128]."""
    return table[np.asarray(x, np.int64) + 128]


def _reference(name: str):
    def run(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        return FLOAT_FNS[name](ins[0])

    return run


@functools.lru_cache(maxsize=256)
def cached_table(name: str, s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """``TABLES[name]`` for these parameters, built once (the reference interpreter reruns nodes)."""
    table = TABLES[name](s_in, zp_in, s_out, zp_out)
    table.setflags(write=False)
    return table


def _int8(name: str):
    def run(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
        (s_in, zp_in), (s_out, zp_out) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
        return lut_int8(ins[0], cached_table(name, float(s_in), int(zp_in), float(s_out), int(zp_out)))

    return run


for _name in UNARY_OPS:
    register(RuntimeOp(_name, _reference(_name), _int8(_name)))
