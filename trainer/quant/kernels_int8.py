"""The int8 reference kernels: numpy mirrors, bit for bit, of ``runtime_c/src/kernels/*_int8.c`` and of the
parameter computations in ``runtime_c/src/ops/*_int8.c`` (``prepare_*``), name for name.

Each ``prepare_*`` takes float scales and zero points and gives the kernel's parameter record; each
``*_int8`` kernel takes int8 arrays and that record. Quantize / Dequantize mirror ``ops/quantize.c`` (float32
arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from trainer.quant.fixed_point import (
    _clamp_i32,
    _i64,
    activation_range_int8,
    conv_multiplier,
    exp_on_negative_values,
    get_reciprocal,
    input_multiplier,
    input_radius,
    logistic,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    requant_ratio,
    rounding_divide_by_pot,
    single_rounding_multiply,
    srdhm,
    tanh,
)
from trainer.window import window as _window


@dataclass
class RequantInt8:
    """tl_requant_int8: multipliers/shifts have one entry (per tensor) or one per output channel;
    ``single_rounding``: one rounding of the 64-bit product (``single_rounding_multiply``) instead of
    ``multiply_by_quantized_multiplier``'s two (TFLite's per-channel FullyConnected)."""

    multipliers: np.ndarray
    shifts: np.ndarray
    output_zp: int
    act_min: int = -128
    act_max: int = 127
    single_rounding: bool = False


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
    mul = single_rounding_multiply if q.single_rounding else multiply_by_quantized_multiplier
    v = mul(_clamp_i32(_i64(acc)), q.multipliers, q.shifts) + q.output_zp
    return _clamp(v, q.act_min, q.act_max).astype(np.int8)


def fc_int8(
    x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, input_zp: int, q: RequantInt8
) -> np.ndarray:
    """y[..., o] = requant_o(bias[o] + sum_i (x[..., i] - input_zp) * w[o, i]); per-channel weights round
    once (``single_rounding``, as ``ops/fully_connected_int8.c`` prepares it: TFLite's reference)."""
    acc = (_i64(x) - input_zp) @ _i64(w).T
    if bias is not None:
        acc = acc + _i64(bias)
    return requantize_channel_int8(acc, replace(q, single_rounding=len(np.atleast_1d(q.multipliers)) > 1))


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
    w = _window(size, k, stride, dilation, padding)
    if padding != "SAME" and w.out <= 0:
        raise ValueError("window larger than the input")
    return w.out, w.pad_before


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
    """Shared parameters: the rounded average of the raw values (TFLite's int8 AveragePool; a tie between 0
    and the zero point rounds the other way when centered first); else of the centered values, requantized."""
    avg = np.zeros((x.shape[0], pg.g.out_h, pg.g.out_w, x.shape[3]), np.int64)
    shift = 0 if p.requant else p.input_zp  # average x (shared parameters) or x - input_zp
    for oy, ox, win in _pool_windows(_i64(x) - p.input_zp + shift, pg):
        avg[:, oy, ox, :] = _rounded_average(win.sum(axis=(1, 2)), win.shape[1] * win.shape[2])
    return requantize_centered_int8(avg - shift, p)


def prepare_mean(
    input_scale: float, input_zp: int, output_scale: float, output_zp: int, count: int
) -> RequantizeInt8Params:
    """TFLite's int8 Mean multiplier (``reference_ops::QuantizedMeanOrSum``): M0, s0 of s_in / s_out (a shift
    below -31 gives 0, above 30 the largest multiplier, as QuantizeMultiplier), then 1 / count folded in:
    k = min(floor(log2 count), 32, 31 + s0), M = (M0 << k) // count, shift s0 - k (always >= -31)."""
    q = quantize_multiplier(requant_ratio(input_scale, output_scale))
    m0, s0 = q if q is not None and q[1] >= -31 else (0, 0)
    if s0 > 30:
        m0, s0 = 2**31 - 1, 30
    k = min(max(int(count).bit_length() - 1, 0), 32, 31 + s0)
    m = (m0 << k) // count if count > 0 else 0
    return RequantizeInt8Params(True, int(input_zp), int(m), s0 - k, int(output_zp))


def mean_int8(x: np.ndarray, axes, keep_dims: bool, p: RequantizeInt8Params) -> np.ndarray:
    """clamp(mbqm(sat_int32(sum (x - input_zp)), M, shift) + output_zp) with ``prepare_mean``'s M and shift:
    the centered sum requantized once (no rounded average first)."""
    xc = _i64(x) - p.input_zp
    axes = tuple(sorted({a % x.ndim for a in np.atleast_1d(axes).tolist()}))
    return requantize_centered_int8(_clamp_i32(xc.sum(axis=axes, keepdims=keep_dims)), p)


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


def _checked_input_multiplier(real: float, what: str) -> tuple[int, int]:
    r = input_multiplier(real)
    if r is None or r[1] > 0:
        raise ValueError(f"{what} multiplier {real} out of range")
    return r


def prepare_add_sub(s_a, zp_a, s_b, zp_b, s_out, zp_out, activation: int = 0) -> BinaryInt8Params:
    """TFLite's Add/Sub parameters: left shift 20, inputs to 2 * max(scale), then to the output."""
    sa, sb, so = (float(np.float32(v)) for v in (s_a, s_b, s_out))
    twice_max = 2.0 * max(sa, sb)
    am, ash = _checked_input_multiplier(sa / twice_max, "input 0")
    bm, bsh = _checked_input_multiplier(sb / twice_max, "input 1")
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
