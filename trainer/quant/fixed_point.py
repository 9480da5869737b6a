"""Fixed-point arithmetic of the int8 runtime: the numpy mirror of ``runtime_c/src/quant.c``.

C ``tl_<name>`` is Python ``<name>``, with the same arithmetic. Values are numpy ``int64`` arrays holding
int32 values, so every int64 intermediate of the C code is exact here too; C's truncating divisions and floor
shifts are written out explicitly. The prepare-time float computations (multipliers, clamps, radii) use Python
floats, which are IEEE doubles like C's ``double``, with the same operations in the same order.

>>> m, s = quantize_multiplier(0.25)
>>> int(m), int(s)
(1073741824, -1)
>>> int(multiply_by_quantized_multiplier(100, m, s))
25
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _trunc_div_pow2(v: np.ndarray, k: int) -> np.ndarray:
    """C's ``v / 2^k`` (truncation toward zero) for int64 v."""
    return np.where(v >= 0, v >> k, -((-v) >> k))


def _clamp_i32(v: np.ndarray) -> np.ndarray:
    return np.clip(v, INT32_MIN, INT32_MAX)


# ---- quant.c ----


def srdhm(a, b) -> np.ndarray:
    """round(a * b / 2^31), ties up (toward +inf); (INT32_MIN, INT32_MIN) saturates to INT32_MAX."""
    a, b = _i64(a), _i64(b)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    q = _trunc_div_pow2(ab + nudge, 31)
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """round(x / 2^exponent), ties away from zero (exponent <= 0: x; capped at 62)."""
    x = _i64(x)
    e = np.clip(_i64(exponent), 0, 62)
    q = x >> e  # numpy's >> on int64 is a floor shift, like tl_floor_shift
    remainder = x - (q << e)
    mask = (np.int64(1) << e) - 1
    threshold = (mask >> 1) + (x < 0)
    return q + (remainder > threshold)


def saturating_left_shift(x, exponent) -> np.ndarray:
    """clamp(x * 2^exponent) to int32 (exponent <= 0: x; capped at 31)."""
    x = _i64(x)
    e = np.clip(_i64(exponent), 0, 31)
    return _clamp_i32(x << e)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplier: saturating left shift, high multiply, rounding shift."""
    shift = _i64(shift)
    left = np.where(shift > 0, shift, 0)
    right = np.where(shift > 0, 0, -shift)
    return rounding_divide_by_pot(srdhm(saturating_left_shift(x, left), multiplier), right)


def single_rounding_multiply(x, multiplier, shift) -> np.ndarray:
    """``round(x * multiplier / 2^(31 - shift))``, ties away from zero, in one rounding of the exact 64-bit
    product (shift in [-31, 30]): TFLite's per-channel FullyConnected requantization."""
    total = 31 - _i64(shift)
    p = _i64(x) * _i64(multiplier)
    return (p + (np.int64(1) << (total - 1)) - (p < 0)) >> total


def round_half_away(x: float) -> float:
    """C's round(): nearest integer, ties away from zero."""
    if not math.isfinite(x):
        return x
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:  # a - floor(a) is exact in binary floating point
        r += 1
    return float(math.copysign(r, x))


def quantize_multiplier(real: float) -> tuple[int, int] | None:
    """real = multiplier * 2^shift / 2^31 with multiplier in [2^30, 2^31); None unless finite and positive."""
    real = float(real)
    if not (real > 0.0) or not math.isfinite(real):
        return None
    q, e = math.frexp(real)
    q_fixed = round_half_away(q * 2147483648.0)
    if q_fixed >= 2147483648.0:
        q_fixed = 1073741824.0
        e += 1
    return int(q_fixed), int(e)


def input_multiplier(real: float) -> tuple[int, int] | None:
    """An Add/Sub/SquaredDifference input's multiplier (real = scale / (2 max scale)): as
    :func:`quantize_multiplier`, with one needing a shift below -31 flushed to (0, 0) as TFLite's
    QuantizeMultiplier does (runtime_c/src/ops/common_int8.c: tl_op_input_multiplier)."""
    q = quantize_multiplier(real)
    return (0, 0) if q is not None and q[1] < -31 else q


def activation_range_int8(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """Quantized clamp of a fused activation (0 none, 1 relu, 2 relu6) for an int8 output."""
    lo, hi = -128, 127
    if activation in (1, 2):
        lo = max(lo, int(zero_point))
    if activation == 2:
        top = float(zero_point) + round_half_away(6.0 / float(np.float32(scale)))
        if top < float(hi):
            hi = int(top)
    return lo, hi


def input_radius(integer_bits: int, left_shift: int) -> int:
    """floor((2^ib - 1) * 2^(31 - ib - left_shift)), capped at 256."""
    r = math.ldexp(float((1 << integer_bits) - 1), 31 - integer_bits - left_shift)
    if r >= 256.0:
        return 256
    return int(math.floor(r))


def rounding_half_sum(a, b) -> np.ndarray:
    s = _i64(a) + _i64(b)
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s // 2, -((-s) // 2))


def exp_on_interval_between_negative_one_quarter_and_0_excl(a) -> np.ndarray:
    """exp(a) for Q0 a in [-1/4, 0): Taylor expansion around -1/8 (see quant.c)."""
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = _i64(a) + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1)
    return constant_term + srdhm(constant_term, x + poly)


_EXP_FACTORS = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """exp(a) for Q(integer_bits) a <= 0; Q0 result (exp(0) is INT32_MAX)."""
    a = _i64(a)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    amq = (a & mask) - one_quarter
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(saturating_left_shift(amq, integer_bits))
    remainder = amq - a
    for exponent in range(-2, 5):
        if integer_bits > exponent:
            bit = fractional_bits + exponent
            result = np.where((remainder >> bit) & 1, srdhm(result, _EXP_FACTORS[exponent + 2]), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _newton_reciprocal_q2(half_denominator: np.ndarray) -> np.ndarray:
    x = 1515870810 + srdhm(half_denominator, -1010580540)
    for _ in range(3):
        one_minus = (1 << 29) - srdhm(half_denominator, x)
        x = x + saturating_left_shift(srdhm(x, one_minus), 2)
    return x


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    x = _newton_reciprocal_q2(rounding_half_sum(a, INT32_MAX))
    return saturating_left_shift(x, 1)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    x = _newton_reciprocal_q2(rounding_half_sum(a, INT32_MAX))
    return saturating_left_shift(x - (1 << 29), 2)


def logistic(a, integer_bits: int) -> np.ndarray:
    """logistic of a Q(integer_bits) value; Q0 result."""
    a = np.maximum(_i64(a), -INT32_MAX)
    abs_a = np.abs(a)
    positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_a, integer_bits))
    out = np.where(a > 0, positive, INT32_MAX - positive)
    return np.where(a == 0, 1 << 30, out)


def tanh(a, integer_bits: int) -> np.ndarray:
    """tanh of a Q(integer_bits) value; Q0 result."""
    a = _i64(a)
    n = np.where(a < 0, a, -a)
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    out = np.where(a < 0, -t, t)
    return np.where(a == 0, 0, out)


def get_reciprocal(x, integer_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """1/x for positive Q(integer_bits) x: (Q0 mantissa, num_bits_over_unit)."""
    x = _i64(x)
    headroom = np.zeros_like(x)
    for k in range(31):  # count leading zeros of the uint32, as the C loop (stops at 31)
        still = (headroom == k) & ((((x & 0xFFFFFFFF) << k) & 0x80000000) == 0)
        headroom = np.where(still, k + 1, headroom)
    num_bits_over_unit = integer_bits - headroom
    shifted_minus_one = (x << headroom) - (1 << 31)
    return one_over_one_plus_x_for_x_in_0_1(shifted_minus_one), num_bits_over_unit


# ---- prepare-time real multipliers (the float32 scales as C doubles) ----


def requant_ratio(numerator: float, denominator: float) -> float:
    """The real multiplier ``(double)numerator / (double)denominator`` of float32 scales."""
    return float(np.float32(numerator)) / float(np.float32(denominator))


def conv_multiplier(input_scale: float, weight_scale: float, output_scale: float) -> float:
    """``(double)input_scale * (double)weight_scale / (double)output_scale`` of float32 scales."""
    s_in, s_w, s_out = (float(np.float32(v)) for v in (input_scale, weight_scale, output_scale))
    return s_in * s_w / s_out
