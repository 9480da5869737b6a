"""Int8 quantization: the numpy reference of every int8 kernel of the C runtime (bit for bit), post-training
quantization of float ``.tlm`` models, a per-layer error report, and float16 weights.

Sections:

* **Fixed-point helpers and kernels.** This module mirrors ``runtime_c/src/quant.c`` (fixed-point helpers),
  ``runtime_c/src/kernels/*_int8.c`` (the kernels) and the parameter computations of
  ``runtime_c/src/ops/*_int8.c`` (``prepare_*``) **name for name**: C ``tl_<name>`` is Python ``<name>``, and
  the arithmetic is identical. Values are numpy ``int64`` arrays holding int32 (or int8) values, so every
  int64 intermediate of the C code is exact here too; C's truncating divisions and floor shifts are written
  out explicitly. The prepare-time float computations (multipliers, clamps, radii) use Python floats, which
  are IEEE doubles like C's ``double``, with the same operations in the same order.
* **Whole models.** :func:`reference_run` runs a ``.tlm`` (int8 ops with the kernels here) and gives the C
  runtime's bytes.
* **Post-training quantization.** :func:`calibrate` (min/max or percentile ranges over a representative
  dataset) and :func:`quantize_model` (the int8 rewrite), also reached through ``trainer.lite.Converter``
  (``optimizations`` + ``representative_dataset``); :func:`float16_weights` for the float16 option.
* **Report.** :func:`compare_models` runs a float model and its int8 version on the C runtime and lists
  every shared tensor's max abs error, SQNR and argmax agreement, worst first (``tensorlet compare``).

The scheme is TFLite's: ``real = scale * (q - zero_point)``; int8 activations per tensor; symmetric
int8 weights per output channel; int32 bias with scale ``input_scale * weight_scale[c]``; requantization by
an int32 multiplier and shift (gemmlowp's rounding doubling high multiply and rounding right shift).

>>> m, s = quantize_multiplier(0.25)
>>> int(m), int(s)
(1073741824, -1)
>>> int(multiply_by_quantized_multiplier(100, m, s))
25
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

__all__ = [
    "srdhm",
    "rounding_divide_by_pot",
    "saturating_left_shift",
    "multiply_by_quantized_multiplier",
    "quantize_multiplier",
    "round_half_away",
    "activation_range_int8",
    "input_radius",
    "rounding_half_sum",
    "exp_on_interval_between_negative_one_quarter_and_0_excl",
    "exp_on_negative_values",
    "one_over_one_plus_x_for_x_in_0_1",
    "one_minus_x_over_one_plus_x_for_x_in_0_1",
    "logistic",
    "tanh",
    "get_reciprocal",
    "RequantInt8",
    "requantize_channel_int8",
    "fc_int8",
    "conv2d_int8",
    "depthwise_conv2d_int8",
    "RequantizeInt8Params",
    "requantize_centered_int8",
    "requantize_int8",
    "PoolGeom",
    "max_pool2d_int8",
    "average_pool2d_int8",
    "mean_int8",
    "BinaryInt8Params",
    "add_int8",
    "sub_int8",
    "mul_int8",
    "ActivationInt8Params",
    "logistic_int8",
    "tanh_int8",
    "SoftmaxInt8Params",
    "softmax_int8",
    "concat_int8",
    "quantize",
    "dequantize",
    "requant_ratio",
    "conv_multiplier",
    "prepare_channel_requant",
    "prepare_requantize",
    "prepare_add_sub",
    "prepare_mul",
    "prepare_activation",
    "prepare_softmax",
    "ConvGeom",
    "window",
    "conv_geom",
    "reference_run",
    "reference_run_all",
    "calibrate",
    "choose_params",
    "quantize_weights",
    "quantize_model",
    "with_all_outputs",
    "LayerReport",
    "compare_models",
    "format_report",
    "float16_weights",
]


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


# ---- prepare-time parameters (mirrors of the computations in runtime_c/src/ops/*_int8.c) ----


def requant_ratio(numerator: float, denominator: float) -> float:
    """The real multiplier ``(double)numerator / (double)denominator`` of float32 scales."""
    return float(np.float32(numerator)) / float(np.float32(denominator))


def conv_multiplier(input_scale: float, weight_scale: float, output_scale: float) -> float:
    """``(double)input_scale * (double)weight_scale / (double)output_scale`` of float32 scales."""
    s_in, s_w, s_out = (float(np.float32(v)) for v in (input_scale, weight_scale, output_scale))
    return s_in * s_w / s_out


@dataclass
class RequantInt8:
    """tl_requant_int8: multipliers/shifts have one entry (per tensor) or one per output channel."""

    multipliers: np.ndarray
    shifts: np.ndarray
    output_zp: int
    act_min: int = -128
    act_max: int = 127


def prepare_channel_requant(
    input_scale: float, weight_scales, output_scale: float, output_zp: int, activation: int = 0
) -> RequantInt8:
    """Per-channel multipliers of FullyConnected / Conv2D / DepthwiseConv2D (each real in (0, 1))."""
    ms, ss = [], []
    for ws in np.atleast_1d(np.asarray(weight_scales, np.float32)):
        real = conv_multiplier(input_scale, float(ws), output_scale)
        if not (0.0 < real < 1.0):
            raise ValueError(f"effective multiplier {real} is not in (0, 1)")
        m, s = quantize_multiplier(real)
        if s < -31:
            raise ValueError(f"effective multiplier {real} needs a shift {s} below -31")
        ms.append(m)
        ss.append(s)
    lo, hi = activation_range_int8(activation, output_scale, output_zp)
    return RequantInt8(_i64(ms), _i64(ss), int(output_zp), lo, hi)


# ---- kernels (mirrors of runtime_c/src/kernels/*_int8.c) ----


def _clamp(v: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(v, lo, hi)


def requantize_channel_int8(acc: np.ndarray, q: RequantInt8) -> np.ndarray:
    """Requantize int64 accumulators whose last axis is the output channel."""
    v = multiply_by_quantized_multiplier(_clamp_i32(_i64(acc)), q.multipliers, q.shifts) + q.output_zp
    return _clamp(v, q.act_min, q.act_max).astype(np.int8)


def fc_int8(
    x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, input_zp: int, q: RequantInt8
) -> np.ndarray:
    """y[..., o] = requant_o(bias[o] + sum_i (x[..., i] - input_zp) * w[o, i])."""
    acc = (_i64(x) - input_zp) @ _i64(w).T
    if bias is not None:
        acc = acc + _i64(bias)
    return requantize_channel_int8(acc, q)


@dataclass
class ConvGeom:
    """Resolved geometry of a conv/pool (tl_conv_params / tl_pool_params): output size and leading pads."""

    out_h: int
    out_w: int
    pad_top: int
    pad_left: int
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1


def window(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int]:
    """(output size, pad_before) of one spatial dim: the runtime's tl_op_window rules."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + eff - size, 0)
        return out, total // 2
    out = size - eff + 1
    if out <= 0:
        raise ValueError("window larger than the input")
    return (out + stride - 1) // stride, 0


def conv_geom(
    in_h: int, in_w: int, k_h: int, k_w: int, stride=(1, 1), dilation=(1, 1), padding: str = "VALID"
) -> ConvGeom:
    oh, pt = window(in_h, k_h, stride[0], dilation[0], padding)
    ow, pl = window(in_w, k_w, stride[1], dilation[1], padding)
    return ConvGeom(oh, ow, pt, pl, stride[0], stride[1], dilation[0], dilation[1])


def _taps(xc: np.ndarray, g: ConvGeom, k_h: int, k_w: int):
    """Yield (ky, kx, patch) with patch[b, oy, ox, c] = centered input at the tap (0 outside the input)."""
    n, h, w, c = xc.shape
    top = g.pad_top
    left = g.pad_left
    span_h = (g.out_h - 1) * g.stride_h + (k_h - 1) * g.dilation_h + 1
    span_w = (g.out_w - 1) * g.stride_w + (k_w - 1) * g.dilation_w + 1
    bottom = max(span_h - top - h, 0)
    right = max(span_w - left - w, 0)
    xp = np.pad(xc, ((0, 0), (top, bottom), (left, right), (0, 0)))
    for ky in range(k_h):
        for kx in range(k_w):
            y0, x0 = ky * g.dilation_h, kx * g.dilation_w
            patch = xp[
                :,
                y0 : y0 + (g.out_h - 1) * g.stride_h + 1 : g.stride_h,
                x0 : x0 + (g.out_w - 1) * g.stride_w + 1 : g.stride_w,
                :,
            ]
            yield ky, kx, patch


def conv2d_int8(
    x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, g: ConvGeom, input_zp: int, q: RequantInt8
) -> np.ndarray:
    """NHWC x, OHWI w: acc = bias + sum over taps of (x - input_zp) * w; padded taps add zero."""
    oc, k_h, k_w, _ = w.shape
    xc = _i64(x) - input_zp
    acc = np.zeros((x.shape[0], g.out_h, g.out_w, oc), np.int64)
    wi = _i64(w)
    for ky, kx, patch in _taps(xc, g, k_h, k_w):
        acc += patch @ wi[:, ky, kx, :].T
    if bias is not None:
        acc += _i64(bias)
    return requantize_channel_int8(acc, q)


def depthwise_conv2d_int8(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None,
    g: ConvGeom,
    depth_multiplier: int,
    input_zp: int,
    q: RequantInt8,
) -> np.ndarray:
    """w[1, k_h, k_w, c * m]: output channel ic * m + j reads input channel ic."""
    _, k_h, k_w, oc = w.shape
    xc = np.repeat(_i64(x) - input_zp, depth_multiplier, axis=3)
    acc = np.zeros((x.shape[0], g.out_h, g.out_w, oc), np.int64)
    wi = _i64(w)
    for ky, kx, patch in _taps(xc, g, k_h, k_w):
        acc += patch * wi[0, ky, kx, :]
    if bias is not None:
        acc += _i64(bias)
    return requantize_channel_int8(acc, q)


@dataclass
class RequantizeInt8Params:
    """tl_requantize_int8_params: requant == False means equal input/output parameters (clamp only)."""

    requant: bool
    input_zp: int
    multiplier: int = 0
    shift: int = 0
    output_zp: int = 0
    act_min: int = -128
    act_max: int = 127


def prepare_requantize(
    input_scale: float, input_zp: int, output_scale: float, output_zp: int, act_min=-128, act_max=127
) -> RequantizeInt8Params:
    """Parameters of an elementwise requantization (Relu/Relu6, Concatenation inputs, pools, Mean)."""
    same = np.float32(input_scale) == np.float32(output_scale) and int(input_zp) == int(output_zp)
    if same:
        return RequantizeInt8Params(False, int(input_zp), 0, 0, int(output_zp), act_min, act_max)
    m, s = quantize_multiplier(requant_ratio(input_scale, output_scale))
    if not -31 <= s <= 31:
        raise ValueError(f"requantization shift {s} is out of range")
    return RequantizeInt8Params(True, int(input_zp), m, s, int(output_zp), act_min, act_max)


def requantize_centered_int8(centered, p: RequantizeInt8Params) -> np.ndarray:
    c = _i64(centered)
    v = multiply_by_quantized_multiplier(c, p.multiplier, p.shift) if p.requant else c
    return _clamp(v + p.output_zp, p.act_min, p.act_max).astype(np.int8)


def requantize_int8(x: np.ndarray, p: RequantizeInt8Params) -> np.ndarray:
    return requantize_centered_int8(_i64(x) - p.input_zp, p)


def _rounded_average(total: np.ndarray, count) -> np.ndarray:
    """round(total / count), ties away from zero (C truncating divisions of non-negative values)."""
    total, count = _i64(total), _i64(count)
    return np.where(total >= 0, (total + count // 2) // count, -((-total + count // 2) // count))


@dataclass
class PoolGeom:
    """tl_pool_params geometry: filter, strides, output size and leading pads (windows clipped)."""

    filter_h: int
    filter_w: int
    g: ConvGeom = field(default_factory=lambda: ConvGeom(0, 0, 0, 0))


def _pool_windows(x: np.ndarray, pg: PoolGeom):
    n, h, w, c = x.shape
    g = pg.g
    for oy in range(g.out_h):
        iy0 = oy * g.stride_h - g.pad_top
        ylo, yhi = max(iy0, 0), min(iy0 + pg.filter_h, h)
        for ox in range(g.out_w):
            ix0 = ox * g.stride_w - g.pad_left
            xlo, xhi = max(ix0, 0), min(ix0 + pg.filter_w, w)
            yield oy, ox, x[:, ylo:yhi, xlo:xhi, :]


def max_pool2d_int8(x: np.ndarray, pg: PoolGeom, p: RequantizeInt8Params) -> np.ndarray:
    y = np.zeros((x.shape[0], pg.g.out_h, pg.g.out_w, x.shape[3]), np.int64)
    for oy, ox, win in _pool_windows(_i64(x), pg):
        y[:, oy, ox, :] = win.max(axis=(1, 2))
    return _clamp(y, p.act_min, p.act_max).astype(np.int8)


def average_pool2d_int8(x: np.ndarray, pg: PoolGeom, p: RequantizeInt8Params) -> np.ndarray:
    avg = np.zeros((x.shape[0], pg.g.out_h, pg.g.out_w, x.shape[3]), np.int64)
    for oy, ox, win in _pool_windows(_i64(x) - p.input_zp, pg):
        avg[:, oy, ox, :] = _rounded_average(win.sum(axis=(1, 2)), win.shape[1] * win.shape[2])
    return requantize_centered_int8(avg, p)


def mean_int8(x: np.ndarray, axes, keep_dims: bool, p: RequantizeInt8Params) -> np.ndarray:
    xc = _i64(x) - p.input_zp
    axes = tuple(sorted({a % x.ndim for a in np.atleast_1d(axes).tolist()}))
    count = int(np.prod([x.shape[a] for a in axes]))
    avg = _rounded_average(xc.sum(axis=axes, keepdims=keep_dims), count)
    return requantize_centered_int8(avg, p)


@dataclass
class BinaryInt8Params:
    """tl_binary_int8_params (the broadcasting geometry is numpy's)."""

    a_zp: int
    b_zp: int
    left_shift: int
    a_multiplier: int
    a_shift: int
    b_multiplier: int
    b_shift: int
    out_multiplier: int
    out_shift: int
    output_zp: int
    act_min: int = -128
    act_max: int = 127


def _checked_multiplier(real: float, lo: int, hi: int, what: str) -> tuple[int, int]:
    r = quantize_multiplier(real)
    if r is None or not lo <= r[1] <= hi:
        raise ValueError(f"{what} multiplier {real} out of range")
    return r


def prepare_add_sub(s_a, zp_a, s_b, zp_b, s_out, zp_out, activation: int = 0) -> BinaryInt8Params:
    """TFLite's Add/Sub parameters: left shift 20, inputs to 2 * max(scale), then to the output."""
    sa, sb, so = (float(np.float32(v)) for v in (s_a, s_b, s_out))
    twice_max = 2.0 * max(sa, sb)
    am, ash = _checked_multiplier(sa / twice_max, -31, 0, "input 0")
    bm, bsh = _checked_multiplier(sb / twice_max, -31, 0, "input 1")
    om, osh = _checked_multiplier(twice_max / (float(1 << 20) * so), -31, 31, "output")
    lo, hi = activation_range_int8(activation, s_out, zp_out)
    return BinaryInt8Params(int(zp_a), int(zp_b), 20, am, ash, bm, bsh, om, osh, int(zp_out), lo, hi)


def prepare_mul(s_a, zp_a, s_b, zp_b, s_out, zp_out, activation: int = 0) -> BinaryInt8Params:
    om, osh = _checked_multiplier(conv_multiplier(s_a, s_b, s_out), -31, 31, "output")
    lo, hi = activation_range_int8(activation, s_out, zp_out)
    return BinaryInt8Params(int(zp_a), int(zp_b), 0, 0, 0, 0, 0, om, osh, int(zp_out), lo, hi)


def _binary_finish(raw: np.ndarray, p: BinaryInt8Params) -> np.ndarray:
    return _clamp(raw + p.output_zp, p.act_min, p.act_max).astype(np.int8)


def _add_sub(a, b, p: BinaryInt8Params, sign: int) -> np.ndarray:
    ca, cb = _i64(a) - p.a_zp, _i64(b) - p.b_zp
    sa = multiply_by_quantized_multiplier(ca * (1 << p.left_shift), p.a_multiplier, p.a_shift)
    sb = multiply_by_quantized_multiplier(cb * (1 << p.left_shift), p.b_multiplier, p.b_shift)
    return _binary_finish(multiply_by_quantized_multiplier(sa + sign * sb, p.out_multiplier, p.out_shift), p)


def add_int8(a: np.ndarray, b: np.ndarray, p: BinaryInt8Params) -> np.ndarray:
    return _add_sub(a, b, p, 1)


def sub_int8(a: np.ndarray, b: np.ndarray, p: BinaryInt8Params) -> np.ndarray:
    return _add_sub(a, b, p, -1)


def mul_int8(a: np.ndarray, b: np.ndarray, p: BinaryInt8Params) -> np.ndarray:
    prod = (_i64(a) - p.a_zp) * (_i64(b) - p.b_zp)
    return _binary_finish(multiply_by_quantized_multiplier(prod, p.out_multiplier, p.out_shift), p)


@dataclass
class ActivationInt8Params:
    """tl_activation_int8_params of Sigmoid / Tanh."""

    input_zp: int
    input_multiplier: int
    input_shift: int
    input_radius: int


def prepare_activation(input_scale: float, input_zp: int) -> ActivationInt8Params:
    """Input rescaling to Q4 (4 integer bits): real = scale * 2^27; radius from the unclamped shift."""
    m, s = quantize_multiplier(float(np.float32(input_scale)) * 134217728.0)
    radius = max(input_radius(4, s), 1)
    return ActivationInt8Params(int(input_zp), m, min(max(s, -31), 31), radius)


def _activation_int8(x, p: ActivationInt8Params, fn, frac_shift: int, offset: int) -> np.ndarray:
    c = _i64(x) - p.input_zp
    q4 = multiply_by_quantized_multiplier(c, p.input_multiplier, p.input_shift)
    v = _clamp(rounding_divide_by_pot(fn(q4, 4), frac_shift) + offset, -128, 127)
    v = np.where(c <= -p.input_radius, -128, np.where(c >= p.input_radius, 127, v))
    return v.astype(np.int8)


def logistic_int8(x: np.ndarray, p: ActivationInt8Params) -> np.ndarray:
    return _activation_int8(x, p, logistic, 23, -128)


def tanh_int8(x: np.ndarray, p: ActivationInt8Params) -> np.ndarray:
    return _activation_int8(x, p, tanh, 24, 0)


@dataclass
class SoftmaxInt8Params:
    input_multiplier: int
    input_shift: int
    diff_min: int


def prepare_softmax(beta: float, input_scale: float) -> SoftmaxInt8Params:
    """beta * scale rescaled to Q5 (5 integer bits): real = min(beta * scale * 2^26, 2^31 - 1)."""
    real = min(float(np.float32(beta)) * float(np.float32(input_scale)) * 67108864.0, 2147483647.0)
    m, s = quantize_multiplier(real)
    s = min(max(s, -31), 31)
    return SoftmaxInt8Params(m, s, -input_radius(5, s))


def softmax_int8(x: np.ndarray, p: SoftmaxInt8Params) -> np.ndarray:
    """TFLite's integer softmax over the last axis (output scale 1/256, zero point -128)."""
    xi = _i64(x)
    d = xi - xi.max(axis=-1, keepdims=True)
    ok = d >= p.diff_min
    q5 = multiply_by_quantized_multiplier(d, p.input_multiplier, p.input_shift)
    e = exp_on_negative_values(q5, 5)
    total = np.where(ok, rounding_divide_by_pot(e, 12), 0).sum(axis=-1, keepdims=True)
    mantissa, bits = get_reciprocal(total, 12)
    v = _clamp(rounding_divide_by_pot(srdhm(mantissa, e), bits + 31 - 8) - 128, -128, 127)
    return np.where(ok, v, -128).astype(np.int8)


def concat_int8(xs: list[np.ndarray], axis: int, params: list[RequantizeInt8Params]) -> np.ndarray:
    return np.concatenate([requantize_int8(x, p) for x, p in zip(xs, params, strict=True)], axis=axis)


# ---- Quantize / Dequantize (mirrors of runtime_c/src/ops/quantize.c: float32 arithmetic) ----


def quantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """float32 -> int8: clamp(round_half_away(x / scale) + zero_point) in float32; NaN -> zero point."""
    v = np.asarray(x, np.float32) / np.float32(scale)
    a = np.abs(v)
    with np.errstate(invalid="ignore"):
        r = np.floor(a)
        r = r + (a - r >= np.float32(0.5)).astype(np.float32)  # roundf: ties away from zero
    r = np.copysign(r, v).astype(np.float32) + np.float32(zero_point)
    r = np.clip(r, np.float32(-128), np.float32(127))
    return np.where(np.isnan(v), zero_point, r).astype(np.int8)


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """int8 -> float32: scale * (q - zero_point), one float32 multiply."""
    return (np.float32(scale) * (np.asarray(q, np.int32) - zero_point).astype(np.float32)).astype(np.float32)


# ---- whole models: the numpy int8 interpreter (every op of a .tlm with the kernels above) ----

_ACT = {"NONE": 0, "RELU": 1, "RELU6": 2, 0: 0, 1: 1, 2: 2}


def _tq(t) -> tuple[float, int]:
    """Per-tensor (scale, zero point) of a TensorInfo."""
    return float(t.quantization.scale[0]), int(t.quantization.zero_point[0])


def _run_int8_op(op, m, values: dict[int, np.ndarray]) -> np.ndarray:
    """One int8 op of ModelInfo ``m`` with the prepare rules of runtime_c/src/ops/*_int8.c."""
    ins = [values[i] for i in op.inputs]
    xt, yt = m.tensors[op.inputs[0]], m.tensors[op.outputs[0]]
    o, code = op.options, op.opcode
    act = _ACT[o.get("activation", "NONE")]
    if code in ("FullyConnected", "Conv2D", "DepthwiseConv2D"):
        s_in, zp_in = _tq(xt)
        s_out, zp_out = _tq(yt)
        wt = m.tensors[op.inputs[1]]
        rq = prepare_channel_requant(s_in, np.asarray(wt.quantization.scale, np.float32), s_out, zp_out, act)
        bias = ins[2] if len(ins) == 3 else None
        if code == "FullyConnected":
            x = ins[0].reshape(-1, ins[0].shape[-1])
            return fc_int8(x, ins[1], bias, zp_in, rq).reshape(yt.shape)
        kh, kw = ins[1].shape[1], ins[1].shape[2]
        g = conv_geom(
            xt.shape[1],
            xt.shape[2],
            kh,
            kw,
            (o["stride_h"], o["stride_w"]),
            (o["dilation_h"], o["dilation_w"]),
            o["padding"],
        )
        if code == "Conv2D":
            return conv2d_int8(ins[0], ins[1], bias, g, zp_in, rq)
        return depthwise_conv2d_int8(ins[0], ins[1], bias, g, o["depth_multiplier"], zp_in, rq)
    if code in ("Add", "Sub", "Mul"):
        (sa, za), (sb, zb), (so, zo) = _tq(xt), _tq(m.tensors[op.inputs[1]]), _tq(yt)
        if code == "Mul":
            return mul_int8(ins[0], ins[1], prepare_mul(sa, za, sb, zb, so, zo, act))
        p = prepare_add_sub(sa, za, sb, zb, so, zo, act)
        return (add_int8 if code == "Add" else sub_int8)(ins[0], ins[1], p)
    if code == "Dequantize":
        return dequantize(ins[0], *_tq(xt))
    (si, zi), (so, zo) = _tq(xt), _tq(yt)
    if code in ("MaxPool2D", "AveragePool2D"):
        g = conv_geom(
            xt.shape[1],
            xt.shape[2],
            o["filter_h"],
            o["filter_w"],
            (o["stride_h"], o["stride_w"]),
            (1, 1),
            o["padding"],
        )
        lo, hi = activation_range_int8(act, so, zo)
        fn = max_pool2d_int8 if code == "MaxPool2D" else average_pool2d_int8
        return fn(
            ins[0], PoolGeom(o["filter_h"], o["filter_w"], g), prepare_requantize(si, zi, so, zo, lo, hi)
        )
    if code == "Mean":
        return mean_int8(ins[0], o["axes"], o["keep_dims"], prepare_requantize(si, zi, so, zo))
    if code in ("Relu", "Relu6"):
        lo, hi = activation_range_int8(1 if code == "Relu" else 2, so, zo)
        return requantize_int8(ins[0], prepare_requantize(si, zi, so, zo, lo, hi))
    if code == "Sigmoid":
        return logistic_int8(ins[0], prepare_activation(si, zi))
    if code == "Tanh":
        return tanh_int8(ins[0], prepare_activation(si, zi))
    if code == "Softmax":
        return softmax_int8(ins[0], prepare_softmax(o["beta"], si))
    if code == "Concatenation":
        lo, hi = activation_range_int8(act, so, zo)
        params = [prepare_requantize(*_tq(m.tensors[i]), so, zo, lo, hi) for i in op.inputs]
        return concat_int8(ins, o["axis"], params)
    if code == "Reshape":
        return ins[0].reshape(yt.shape)
    if code == "Transpose":
        return np.transpose(ins[0], o["perm"])
    if code == "Pad":
        p = o["paddings"]
        return np.pad(ins[0], [(p[2 * k], p[2 * k + 1]) for k in range(ins[0].ndim)], constant_values=zo)
    raise NotImplementedError(f"op {op.index} ({code}) has no int8 reference")


def reference_run_all(model: bytes, *inputs: np.ndarray) -> dict[int, np.ndarray]:
    """Every tensor of a (possibly mixed float32 / int8) model, computed in numpy with the runtime's integer
    arithmetic for int8 ops: the bit-exact counterpart of the C runtime on whole models."""
    from trainer.lite.reference import KERNELS
    from trainer.tlm import read_model

    m = read_model(model)
    values: dict[int, np.ndarray] = {t.index: t.data for t in m.tensors if t.data is not None}
    for idx, value in zip(m.inputs, inputs, strict=True):
        values[idx] = np.asarray(value)
    for op in m.ops:
        out = m.tensors[op.outputs[0]]
        x0 = m.tensors[op.inputs[0]]
        if op.opcode == "Quantize":
            s, z = _tq(out)
            y = quantize(values[op.inputs[0]], s, z)
        elif x0.dtype == np.int8:
            y = _run_int8_op(op, m, values)
        else:
            args = [values[i].astype(np.float64) for i in op.inputs]
            y = KERNELS[op.opcode](op, args, out.shape)
        values[out.index] = np.asarray(y).reshape(out.shape).astype(out.dtype)
    return values


def reference_run(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    """The graph outputs of :func:`reference_run_all`."""
    from trainer.tlm import read_model

    values = reference_run_all(model, *inputs)
    return [values[i] for i in read_model(model).outputs]


# ---- post-training quantization: calibration and the int8 rewrite of a float .tlm ----

_FIXED_OUTPUT = {"Softmax": (1.0 / 256.0, -128), "Sigmoid": (1.0 / 256.0, -128), "Tanh": (1.0 / 128.0, 0)}
_SAME_PARAMS = frozenset({"MaxPool2D", "Reshape", "Transpose", "Pad"})  # output keeps the input's parameters
_WEIGHT_AXIS = {"FullyConnected": 0, "Conv2D": 0, "DepthwiseConv2D": 3}


def calibrate(model: bytes, representative_dataset, percentile: float | None = None) -> dict[int, tuple]:
    """Activation ranges of a float model: {tensor index: (min, max)} over every non-constant tensor.

    ``representative_dataset`` is TFLite's: a callable returning an iterable of samples, each a list with one
    array per graph input (shaped like the model's inputs). With ``percentile`` (e.g. 99.99) the range is the
    [100 - p, p] percentiles of all values seen instead of the min/max.
    """
    from trainer.lite.reference import ReferenceInterpreter

    interp = ReferenceInterpreter(model_content=model)
    m = interp.model
    live = [t.index for t in m.tensors if t.data is None]
    seen: dict[int, list[np.ndarray]] = {i: [] for i in live}
    lo = {i: math.inf for i in live}
    hi = {i: -math.inf for i in live}
    n = 0
    for sample in representative_dataset():
        arrays = [np.asarray(a, m.tensors[i].dtype) for a, i in zip(sample, m.inputs, strict=True)]
        for a, i in zip(arrays, m.inputs, strict=True):
            if a.shape != tuple(m.tensors[i].shape):
                raise ValueError(
                    f"representative sample for input {m.tensors[i].name!r} has shape {a.shape}, the model "
                    f"takes {tuple(m.tensors[i].shape)} (convert with a matching batch size)"
                )
        values = interp.run_all(*arrays)
        for i in live:
            v = values[i].astype(np.float64).reshape(-1)
            v = v[np.isfinite(v)]  # NaN / Inf samples say nothing about the range
            if v.size == 0:
                continue
            if percentile is None:
                lo[i], hi[i] = min(lo[i], float(v.min())), max(hi[i], float(v.max()))
            else:
                seen[i].append(v)
        n += 1
    if n == 0:
        raise ValueError("representative_dataset yielded no samples")
    if percentile is not None:
        for i in live:
            if seen[i]:
                allv = np.concatenate(seen[i])
                lo[i] = float(np.percentile(allv, 100 - percentile))
                hi[i] = float(np.percentile(allv, percentile))
    # a tensor never finite: (0, 0), which choose_params turns into scale 1
    return {i: (lo[i], hi[i]) if lo[i] <= hi[i] else (0.0, 0.0) for i in live}


def choose_params(rmin: float, rmax: float) -> tuple[float, int]:
    """Asymmetric int8 (scale, zero point) covering [min(rmin, 0), max(rmax, 0)]; zero is exact."""
    rmin, rmax = min(float(rmin), 0.0), max(float(rmax), 0.0)
    scale = (rmax - rmin) / 255.0
    if not math.isfinite(scale) or scale <= 0.0:
        scale = 1.0  # a constant-zero tensor: any scale represents it
    scale = float(np.float32(max(scale, 1e-30)))
    zp = int(np.clip(round_half_away(-128.0 - rmin / scale), -128, 127))
    return scale, zp


def quantize_weights(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8 weights in [-127, 127] along ``axis``: (q, float32 scales)."""
    w = np.asarray(w, np.float64)
    red = tuple(k for k in range(w.ndim) if k != axis)
    amax = np.abs(w).max(axis=red) if w.size else np.zeros(w.shape[axis])
    top = float(amax.max()) if amax.size else 0.0
    if top == 0.0:
        top = 1.0
    amax = np.maximum(amax, top * 1e-6)  # keep every channel's multiplier within the shift range
    scales = (amax / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    qw = np.clip(np.rint(w / scales.astype(np.float64).reshape(shape)), -127, 127).astype(np.int8)
    return qw, scales


def _write_model(m, tensors: list[dict], ops: list[tuple], inputs: list[int], outputs: list[int]) -> bytes:
    """Serialize tensors (dicts: name, dtype, shape, quant, data) and ops (opcode, ins, outs, options)."""
    from trainer.tlm import ModelBuilder
    from trainer.tlm.builder import Quantization

    b = ModelBuilder(description=m.metadata.description)
    ids = []
    for k, t in enumerate(tensors):
        qz = t.get("quant")
        quant = None if qz is None else Quantization(qz[0], qz[1], qz[2] if len(qz) > 2 else 0)
        if t.get("data") is not None:
            ids.append(b.add_constant(t["name"], t["data"], quantization=quant))
        elif k in inputs:
            ids.append(b.add_input(t["name"], t["dtype"], list(t["shape"]), quantization=quant))
        else:
            ids.append(b.add_tensor(t["name"], t["dtype"], list(t["shape"]), quantization=quant))
    for opcode, ins, outs, options in ops:
        b.add_op(
            opcode,
            [ids[i] for i in ins],
            [ids[i] for i in outs],
            **{k: v for k, v in options.items() if v is not None},
        )
    for i in outputs:
        b.mark_output(ids[i])
    return b.finish()


def _tensor_dicts(m) -> list[dict]:
    """The tensors of ModelInfo ``m`` as :func:`_write_model` takes them (unchanged)."""
    out = []
    for t in m.tensors:
        qz = t.quantization
        quant = None if qz is None else (qz.scale, qz.zero_point, qz.axis)
        out.append(dict(name=t.name, dtype=t.dtype, shape=t.shape, data=t.data, quant=quant))
    return out


def with_all_outputs(model: bytes) -> tuple[bytes, list[int]]:
    """The same model with every non-constant tensor also listed as a graph output (to read intermediates on
    a runtime that only returns outputs); returns (model, tensor index of each output)."""
    from trainer.tlm import read_model

    m = read_model(model)
    tensors = _tensor_dicts(m)
    outs = list(m.outputs) + [t.index for t in m.tensors if t.data is None and t.index not in m.outputs]
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in m.ops]
    return _write_model(m, tensors, ops, list(m.inputs), outs), outs


def quantize_model(
    model: bytes,
    representative_dataset,
    *,
    inference_input_type: str = "float32",
    inference_output_type: str = "float32",
    percentile: float | None = None,
) -> bytes:
    """Post-training int8 quantization of a float ``.tlm`` (the TFLite int8 scheme).

    Activations int8 per tensor from calibrated ranges (:func:`calibrate`); weights of FullyConnected /
    Conv2D / DepthwiseConv2D symmetric int8 per output channel; biases int32 with scale input_scale x
    weight_scale[c]; Softmax / Sigmoid outputs (1/256, -128), Tanh (1/128, 0); MaxPool2D / Reshape /
    Transpose / Pad keep their input's parameters. With float32 inference types the graph inputs get a
    Quantize op and the outputs a Dequantize op (graph I/O names are kept; the int8 tensors inside are named
    ``<name>_int8``); with "int8" the graph I/O themselves are int8.
    """
    from trainer.tlm import read_model

    for what, v in (
        ("inference_input_type", inference_input_type),
        ("inference_output_type", inference_output_type),
    ):
        if getattr(v, "name", v) not in ("float32", "int8"):
            raise ValueError(f"{what} must be float32 or int8, got {v!r}")
    in_float = getattr(inference_input_type, "name", inference_input_type) == "float32"
    out_float = getattr(inference_output_type, "name", inference_output_type) == "float32"
    m = read_model(model)
    for op in m.ops:
        if op.opcode in ("Quantize", "Dequantize") or any(
            m.tensors[i].dtype != np.float32 for i in op.inputs
        ):
            raise ValueError(f"op {op.index} ({op.opcode}): quantize_model takes a float32 model")
    ranges = calibrate(model, representative_dataset, percentile)
    params: dict[int, tuple[float, int]] = {}
    for i in m.inputs:
        params[i] = choose_params(*ranges[i])
    tensors: list[dict] = [
        dict(name=t.name, dtype=np.int8, shape=t.shape, data=None, quant=None) for t in m.tensors
    ]
    for op in m.ops:
        x = op.inputs[0]
        for k, i in enumerate(op.inputs):  # constants that are not weights or biases: per-tensor int8
            t = m.tensors[i]
            if t.data is not None and not (op.opcode in _WEIGHT_AXIS and k >= 1) and i not in params:
                params[i] = choose_params(float(t.data.min()), float(t.data.max()))
                s, z = params[i]
                tensors[i]["data"] = quantize(t.data, s, z)
        y = op.outputs[0]
        if op.opcode in _FIXED_OUTPUT:
            params[y] = _FIXED_OUTPUT[op.opcode]
        elif op.opcode in _SAME_PARAMS:
            params[y] = params[x]
        else:
            params[y] = choose_params(*ranges[y])
        if op.opcode in _WEIGHT_AXIS:
            w = m.tensors[op.inputs[1]]
            axis = _WEIGHT_AXIS[op.opcode]
            qw, ws = quantize_weights(w.data, axis)
            tensors[w.index].update(data=qw, quant=(ws, [0] * len(ws), axis))
            s_in = float(np.float32(params[x][0]))
            s_out, zp_out = params[y]
            worst = conv_multiplier(s_in, float(ws.max()), s_out)
            if worst >= 1.0:  # a near-constant output: widen its scale so that every multiplier is < 1
                s_out = float(np.float32(s_in * float(ws.max()) * 1.001))
                params[y] = (s_out, zp_out)
            if len(op.inputs) == 3:
                bt = m.tensors[op.inputs[2]]
                bs = (np.float64(s_in) * ws.astype(np.float64)).astype(np.float32)
                qb = np.clip(np.rint(bt.data.astype(np.float64) / bs.astype(np.float64)), -(2**31), 2**31 - 1)
                tensors[bt.index].update(
                    dtype=np.int32, data=qb.astype(np.int32), quant=(bs, [0] * len(bs), 0)
                )
    for i, (s, z) in params.items():
        if tensors[i]["quant"] is None:
            tensors[i]["quant"] = ([s], [z], 0)
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in m.ops]
    inputs, outputs = list(m.inputs), list(m.outputs)
    pre, post = [], []
    for k, i in enumerate(m.inputs):
        t = m.tensors[i]
        tensors[i]["name"] = t.name
        if in_float:
            tensors.append(dict(name=t.name, dtype=np.float32, shape=t.shape, data=None, quant=None))
            tensors[i]["name"] = f"{t.name}_int8"
            inputs[k] = len(tensors) - 1
            pre.append(("Quantize", [inputs[k]], [i], {}))
    for k, i in enumerate(m.outputs):
        t = m.tensors[i]
        if out_float:
            tensors.append(dict(name=t.name, dtype=np.float32, shape=t.shape, data=None, quant=None))
            tensors[i]["name"] = f"{t.name}_int8"
            outputs[k] = len(tensors) - 1
            post.append(("Dequantize", [i], [outputs[k]], {}))
    for t in tensors:
        if t["dtype"] == np.int8 and t["data"] is not None and t["data"].dtype != np.int8:
            raise AssertionError(f"constant {t['name']} was not quantized")  # internal invariant
    return _write_model(m, tensors, pre + ops + post, inputs, outputs)


# ---- per-layer report: the float model against its int8 version, both on the C runtime ----


@dataclass
class LayerReport:
    """One tensor present in both models (matched by name): errors of the dequantized int8 values."""

    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    sqnr_db: float  # 10 log10(sum f^2 / sum (f - q)^2); inf when identical
    argmax_agreement: float  # fraction of rows (last axis) whose argmax agrees; nan for scalars


def _runtime_values(model: bytes, samples) -> tuple[list[int], list[list[np.ndarray]]]:
    import pyruntime

    full, outs = with_all_outputs(model)
    interp = pyruntime.Interpreter(model_content=full)
    interp.allocate_tensors()
    return outs, [interp.run(*sample) for sample in samples]


def compare_models(float_model: bytes, int8_model: bytes, samples) -> list[LayerReport]:
    """Run both models on the C runtime (pyruntime) for every sample (one array per float-model input;
    int8-model inputs get them quantized when the int8 model takes int8) and report each tensor they share
    by name, worst SQNR first."""
    from trainer.tlm import read_model

    fm, qm = read_model(float_model), read_model(int8_model)
    samples = [list(s) for s in samples]
    q_samples = []
    for s in samples:
        row = []
        for x, i in zip(s, qm.inputs, strict=True):
            t = qm.tensors[i]
            row.append(quantize(x, *_tq(t)) if t.dtype == np.int8 else np.asarray(x, np.float32))
        q_samples.append(row)
    f_outs, f_vals = _runtime_values(float_model, samples)
    q_outs, q_vals = _runtime_values(int8_model, q_samples)
    q_by_name = {qm.tensors[i].name: (k, qm.tensors[i]) for k, i in enumerate(q_outs)}
    reports = []
    for k, i in enumerate(f_outs):
        name = fm.tensors[i].name
        if not name or name not in q_by_name or i in fm.inputs:
            continue
        qk, qt = q_by_name[name]
        f = np.stack([v[k] for v in f_vals]).astype(np.float64)
        q = np.stack([v[qk] for v in q_vals])
        q = dequantize(q, *_tq(qt)).astype(np.float64) if qt.dtype == np.int8 else q.astype(np.float64)
        err = f - q
        noise, signal = float(np.sum(err**2)), float(np.sum(f**2))
        sqnr = math.inf if noise == 0 else (10 * math.log10(signal / noise) if signal > 0 else -math.inf)
        agree = float(np.mean(f.argmax(-1) == q.argmax(-1))) if f.ndim >= 2 and f.shape[-1] > 1 else math.nan
        reports.append(LayerReport(name, tuple(fm.tensors[i].shape), float(np.max(np.abs(err))), sqnr, agree))
    return sorted(reports, key=lambda r: r.sqnr_db)


def format_report(reports: list[LayerReport]) -> str:
    """A fixed-width table of :func:`compare_models` results."""
    lines = [f"{'tensor':40s} {'shape':>18s} {'max|err|':>10s} {'SQNR dB':>8s} {'argmax':>7s}"]
    for r in reports:
        lines.append(
            f"{r.name[:40]:40s} {str(list(r.shape)):>18s} {r.max_abs_error:10.4g} {r.sqnr_db:8.2f} "
            f"{r.argmax_agreement:7.3f}"
        )
    return "\n".join(lines)


# ---- float16 weights: the converter's second option ----


def float16_weights(model: bytes) -> bytes:
    """The same float model with the constant weights and biases of FullyConnected / Conv2D /
    DepthwiseConv2D stored as float16 (half the bytes); the C runtime expands them to float32 at prepare, so
    its outputs equal those of the float32 model whose weights went through float16 rounding."""
    from trainer.tlm import read_model

    m = read_model(model)
    tensors = _tensor_dicts(m)
    for op in m.ops:
        if op.opcode in _WEIGHT_AXIS:
            for i in op.inputs[1:]:
                t = m.tensors[i]
                if t.data is not None and t.dtype == np.float32:
                    tensors[i].update(dtype=np.float16, data=t.data.astype(np.float16))
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in m.ops]
    return _write_model(m, tensors, ops, list(m.inputs), list(m.outputs))
