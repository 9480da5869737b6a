"""The numpy twin of the C fixed-point front-end (runtime_c/src/frontend/frontend.c, tl_frontend.h): the same
integer steps, vectorized over frames, so its int16 features equal the C code's bit for bit.

>>> import numpy as np
>>> from trainer.audio import fixed_frontend as ff
>>> cfg = ff.FrontendConfig()                      # 16 kHz, 30 ms window, 20 ms hop, 40 mel bins
>>> feats = ff.compute(np.zeros(16000, np.int16), cfg)
>>> feats.shape, feats.dtype, int(feats.max())     # silence: log2(0 + 1) = 0
((49, 40), dtype('int16'), 0)

``features / 256`` approximates ``log2(1 + 256 * mel_power)`` of the float pipeline
(:func:`trainer.audio.float_frontend.log_mel`), see docs/audio.md.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from trainer.errors import InvalidArgumentError

Q30_ONE = 1 << 30
GUARD_BITS = 4  # fraction bits kept in the windowed samples (the bounds are in frontend.c)
MAX_FFT_SIZE = 2048
MAX_MEL_BINS = 128
# (pi / 2)^n / n! in Q30, n = 1, 3, ..., 11 (the C table)
_SIN_COEFFS = (1686629713, 693598668, 85569306, 5026995, 172272, 3864)


@dataclass(frozen=True)
class FrontendConfig:
    """The fields of ``tl_frontend_config`` with the C defaults (keyword spotting at 16 kHz)."""

    sample_rate: int = 16000
    window_samples: int = 480
    stride_samples: int = 320
    fft_size: int = 512
    num_mel_bins: int = 40
    lower_hz: int = 125
    upper_hz: int = 7500

    def check(self) -> None:
        """Raises InvalidArgumentError with the C reason when ``tl_frontend_config_check`` refuses it."""
        msg = _check(self)
        if msg is not None:
            raise InvalidArgumentError(f"fixed_frontend: {msg} ({self})")

    def num_frames(self, num_samples: int) -> int:
        if num_samples < self.window_samples:
            return 0
        return 1 + (num_samples - self.window_samples) // self.stride_samples


# ---- integer math (vectorized, uint64/int64) ----


def round_shift(v: np.ndarray, shift: int) -> np.ndarray:
    """round(v / 2^shift), halves away from zero (int64), as tl_fe_round_shift. For v < 0 the C form
    -((-v + h) >> s) equals (v + h - 1) >> s with numpy's arithmetic shift (h = 2^(s-1))."""
    v = np.asarray(v, np.int64)
    return (v + (np.int64(1 << (shift - 1)) - (v < 0))) >> shift


def sin_q30(turn: np.ndarray) -> np.ndarray:
    """sin(2 pi turn / 2^32) in Q30 (int64), as tl_fe_sin_q30."""
    turn = np.asarray(turn, np.uint64) & np.uint64(0xFFFFFFFF)
    quadrant = turn >> np.uint64(30)
    z = turn & np.uint64(0x3FFFFFFF)
    z = np.where(quadrant & np.uint64(1), np.uint64(Q30_ONE) - z, z)
    z2 = (z * z) >> np.uint64(30)
    acc = np.full_like(z, _SIN_COEFFS[5])
    for c in reversed(_SIN_COEFFS[:5]):
        acc = np.uint64(c) - ((acc * z2) >> np.uint64(30))
    acc = ((acc * z) >> np.uint64(30)).astype(np.int64)
    return np.where(quadrant >= 2, -acc, acc)


def log2_q16(u: np.ndarray) -> np.ndarray:
    """log2(u) in Q16 (int64) for u >= 1 (uint64), as tl_fe_log2_q16."""
    u = np.asarray(u, np.uint64)
    msb = np.zeros(u.shape, np.int64)
    for bit in (32, 16, 8, 4, 2, 1):  # binary search for the top set bit
        big = (u >> (msb + bit).astype(np.uint64)) != 0
        msb = np.where(big, msb + bit, msb)
    up = np.maximum(msb - 30, 0).astype(np.uint64)
    down = np.maximum(30 - msb, 0).astype(np.uint64)
    m = np.where(msb >= 30, u >> up, u << down)
    frac = np.zeros(u.shape, np.int64)
    for _ in range(16):
        m = (m * m) >> np.uint64(30)
        over = m >= np.uint64(1 << 31)
        m = np.where(over, m >> np.uint64(1), m)
        frac = (frac << 1) | over.astype(np.int64)
    return (msb << 16) | frac


def _mel(x: np.ndarray | int, fft_size: int) -> np.ndarray:
    return log2_q16(np.asarray(700 * fft_size + np.asarray(x, np.int64), np.uint64))


def _edges(cfg: FrontendConfig) -> np.ndarray:
    lo = int(_mel(cfg.lower_hz * cfg.fft_size, cfg.fft_size))
    hi = int(_mel(cfg.upper_hz * cfg.fft_size, cfg.fft_size))
    return np.array(
        [lo + (hi - lo) * i // (cfg.num_mel_bins + 1) for i in range(cfg.num_mel_bins + 2)], np.int64
    )


def _check(c: FrontendConfig) -> str | None:
    if not 4000 <= c.sample_rate <= 48000:
        return "sample_rate is outside 4000..48000 Hz"
    if not 4 <= c.fft_size <= MAX_FFT_SIZE or c.fft_size & (c.fft_size - 1):
        return "fft_size is not a power of two in 4..2048"
    if not 2 <= c.window_samples <= c.fft_size:
        return "window_samples is outside 2..fft_size"
    if not 1 <= c.stride_samples <= c.window_samples:
        return "stride_samples is outside 1..window_samples"
    if not 1 <= c.num_mel_bins <= MAX_MEL_BINS:
        return "num_mel_bins is outside 1..128"
    if c.lower_hz < 0 or c.lower_hz >= c.upper_hz:
        return "lower_hz must be >= 0 and below upper_hz"
    if c.upper_hz > c.sample_rate // 2:
        return "upper_hz is above the Nyquist frequency (sample_rate / 2)"
    if np.any(np.diff(_edges(c)) <= 0):
        return "mel bands are too narrow: two band edges coincide"
    return None


@dataclass(frozen=True)
class Tables:
    window: np.ndarray  # int64 [window_samples] Q15 periodic Hann
    tw_re: np.ndarray  # int64 [fft_size / 2] Q15
    tw_im: np.ndarray  # int64 [fft_size / 2] Q15
    mel_band: np.ndarray  # int64 [bins] segment index, -1 outside
    mel_rise: np.ndarray  # uint64 [bins] Q15


@functools.lru_cache(maxsize=16)
def tables(cfg: FrontendConfig) -> Tables:
    """The tables tl_frontend_init builds, from the same integer formulas."""
    cfg.check()
    w = cfg.window_samples
    k = np.arange(w, dtype=np.uint64)
    turn = ((k << np.uint64(32)) + np.uint64(w // 2)) // np.uint64(w)
    window = (Q30_ONE - sin_q30(turn + np.uint64(0x40000000)) + (1 << 15)) >> 16
    half = cfg.fft_size // 2
    log2n = int(math.log2(cfg.fft_size))
    turn = np.arange(half, dtype=np.uint64) << np.uint64(32 - log2n)
    tw_re = np.clip(round_shift(sin_q30(turn + np.uint64(0x40000000)), 15), -32767, 32767)
    tw_im = np.clip(-round_shift(sin_q30(turn), 15), -32767, 32767)
    bins = half + 1
    mel = _mel(np.arange(bins, dtype=np.int64) * cfg.sample_rate, cfg.fft_size)
    edges = _edges(cfg)
    band = np.searchsorted(edges, mel, side="right") - 1  # edges[band] <= mel < edges[band + 1]
    inside = (band >= 0) & (band <= cfg.num_mel_bins)
    inside[0] = False  # the DC bin carries no band
    band = np.where(inside, band, -1)
    b = np.clip(band, 0, cfg.num_mel_bins)
    rise = np.where(inside, ((mel - edges[b]) << 15) // (edges[b + 1] - edges[b]), 0)
    return Tables(window.astype(np.int64), tw_re, tw_im, band.astype(np.int64), rise.astype(np.uint64))


def frames(audio: np.ndarray, cfg: FrontendConfig) -> np.ndarray:
    """int16 [num_frames, window_samples] frames of ``audio`` (no end padding)."""
    n = cfg.num_frames(len(audio))
    idx = np.arange(n)[:, None] * cfg.stride_samples + np.arange(cfg.window_samples)[None, :]
    return np.asarray(audio, np.int16)[idx] if n else np.zeros((0, cfg.window_samples), np.int16)


def _fft(re: np.ndarray, im: np.ndarray, t: Tables, n: int) -> tuple[np.ndarray, np.ndarray]:
    """tl_fe_fft over the rows of re/im [frames, n] (int64 holding int32 values): each stage views a row as
    [n / size, 2, size / 2] blocks, so every butterfly of the stage is one array expression."""
    log2n = int(math.log2(n))
    idx = np.arange(n)
    rev = np.zeros(n, np.int64)
    for b in range(log2n):
        rev |= ((idx >> b) & 1) << (log2n - 1 - b)
    re, im = re[:, rev], im[:, rev]
    frames = len(re)
    size = 2
    while size <= n:
        half, step = size // 2, n // size
        wr = t.tw_re[np.arange(half) * step]
        wi = t.tw_im[np.arange(half) * step]
        r = re.reshape(frames, n // size, 2, half)
        i = im.reshape(frames, n // size, 2, half)
        br, bi = r[:, :, 1], i[:, :, 1]
        tr = round_shift(br * wr - bi * wi, 15)
        ti = round_shift(br * wi + bi * wr, 15)
        ar, ai = r[:, :, 0], i[:, :, 0]
        re_out, im_out = np.empty_like(re), np.empty_like(im)
        ro, io = re_out.reshape(r.shape), im_out.reshape(i.shape)
        np.add(ar, tr, out=ro[:, :, 0])
        np.subtract(ar, tr, out=ro[:, :, 1])
        np.add(ai, ti, out=io[:, :, 0])
        np.subtract(ai, ti, out=io[:, :, 1])
        re, im = re_out, im_out
        size *= 2
    return re, im


def _mel_matrix(t: Tables, cfg: FrontendConfig) -> np.ndarray:
    """uint64 [bins, num_mel_bins]: the sparse mel map as a matrix (rise on band j, 32768 - rise on j - 1)."""
    bins = cfg.fft_size // 2 + 1
    w = np.zeros((bins, cfg.num_mel_bins + 2), np.uint64)  # column c is band c - 1
    k = np.nonzero(t.mel_band >= 0)[0]
    w[k, t.mel_band[k] + 1] = t.mel_rise[k]
    w[k, t.mel_band[k]] = np.uint64(32768) - t.mel_rise[k]
    return w[:, 1 : cfg.num_mel_bins + 1]


def _band_energy(p: np.ndarray, w: np.ndarray) -> np.ndarray:
    """floor(p @ w / 2^15) exactly, as tl_frontend_compute_frame: acc_hi = hi32(p) @ w, acc_lo = lo32(p) @ w,
    E = acc_hi * 2^17 + acc_lo // 2^15. The products go through float64 BLAS in 16-bit pieces of p: each
    partial sum is an integer below 2^53 (Parseval keeps sum(hi32(p)) below 2^28), so exact in any order."""
    wf = w.astype(np.float64)
    mask = np.uint64(0xFFFF)
    acc_hi = ((p >> np.uint64(32)).astype(np.float64) @ wf).astype(np.uint64)
    mid = (((p >> np.uint64(16)) & mask).astype(np.float64) @ wf).astype(np.uint64)
    low = ((p & mask).astype(np.float64) @ wf).astype(np.uint64)
    acc_lo = (mid << np.uint64(16)) + low
    return (acc_hi << np.uint64(17)) + (acc_lo >> np.uint64(15))


def compute_frames(windows: np.ndarray, cfg: FrontendConfig, chunk: int = 1024) -> np.ndarray:
    """tl_frontend_compute_frame over the rows of ``windows`` int16 [frames, window_samples] -> int16
    [frames, num_mel_bins] (Q8 log2), ``chunk`` frames at a time."""
    t = tables(cfg)
    mel = _mel_matrix(t, cfg)
    n, bins = cfg.fft_size, cfg.fft_size // 2 + 1
    out = np.zeros((len(windows), cfg.num_mel_bins), np.int16)
    for start in range(0, len(windows), chunk):
        w = np.asarray(windows[start : start + chunk], np.int64)
        re = np.zeros((len(w), n), np.int64)
        re[:, : cfg.window_samples] = round_shift(w * t.window[None, :], 15 - GUARD_BITS)
        re, im = _fft(re, np.zeros_like(re), t, n)
        power = (re[:, :bins] * re[:, :bins] + im[:, :bins] * im[:, :bins]).astype(np.uint64)
        energy = _band_energy(power, mel)
        out[start : start + chunk] = (log2_q16(energy + np.uint64(1)) + 128) >> 8
    return out


def compute(audio: np.ndarray, cfg: FrontendConfig = FrontendConfig()) -> np.ndarray:
    """tl_frontend_compute: int16 audio [samples] -> int16 features [num_frames, num_mel_bins]."""
    audio = np.asarray(audio)
    if audio.ndim != 1 or audio.dtype != np.int16:
        raise InvalidArgumentError(
            f"fixed_frontend: audio must be int16 [samples], got {audio.dtype} {audio.shape}"
        )
    return compute_frames(frames(audio, cfg), cfg)


def compute_batch(audio: np.ndarray, cfg: FrontendConfig = FrontendConfig()) -> np.ndarray:
    """:func:`compute` over the rows of int16 ``audio`` [n, samples] -> int16 [n, frames, num_mel_bins]."""
    audio = np.asarray(audio)
    if audio.ndim != 2 or audio.dtype != np.int16:
        raise InvalidArgumentError(
            f"fixed_frontend: audio must be int16 [n, samples], got {audio.dtype} {audio.shape}"
        )
    nf = cfg.num_frames(audio.shape[1])
    windows = (
        np.concatenate([frames(a, cfg) for a in audio]) if len(audio) else np.zeros((0, cfg.window_samples))
    )
    return compute_frames(windows, cfg).reshape(len(audio), nf, cfg.num_mel_bins)


# ---- int8 output: a model's quantized input (tl_frontend_int8_params, tl_frontend_quantize_int8) ----


@dataclass(frozen=True)
class Int8Params:
    """``tl_frontend_int8_params``: q = clamp(zero_point + round((feature - feature_offset) * multiplier /
    2^shift), -128, 127), rounding halves away from zero. Make them with :func:`int8_params`."""

    feature_offset: int
    multiplier: int
    shift: int
    zero_point: int

    def check(self) -> None:
        """Raises InvalidArgumentError when ``tl_frontend_int8_params_check`` refuses these parameters."""
        ok = (
            -32768 <= self.feature_offset <= 32767
            and 1 <= self.multiplier <= 2**31 - 1
            and 1 <= self.shift <= 62
            and -128 <= self.zero_point <= 127
        )
        if not ok:
            raise InvalidArgumentError(f"fixed_frontend: int8 parameters out of range: {self}")


def int8_params(
    input_scale: float, zero_point: int, feature_offset: int = 4096, feature_scale: float = 1.0 / 4096
) -> Int8Params:
    """The integer parameters for a model whose float input is ``(feature - feature_offset) *
    feature_scale`` and whose int8 input has ``input_scale`` and ``zero_point`` (its input tensor's
    quantization): ``multiplier / 2^shift`` is ``feature_scale / input_scale`` with a 31-bit multiplier
    (TFLite's normalized form, rounded to nearest)."""
    if not (input_scale > 0 and feature_scale > 0 and math.isfinite(input_scale / feature_scale)):
        raise InvalidArgumentError(
            f"fixed_frontend: scales must be positive and finite, got input_scale={input_scale}, "
            f"feature_scale={feature_scale}"
        )
    mantissa, exponent = math.frexp(float(feature_scale) / float(input_scale))  # r = m 2^e, m in [0.5, 1)
    multiplier = math.floor(mantissa * 2.0**31 + 0.5)
    if multiplier == 2**31:
        multiplier, exponent = 2**30, exponent + 1
    params = Int8Params(int(feature_offset), multiplier, 31 - exponent, int(zero_point))
    params.check()
    return params


def quantize_int8(features: np.ndarray, params: Int8Params) -> np.ndarray:
    """tl_frontend_quantize_int8: int16 features (any shape) -> int8 of the same shape."""
    params.check()
    v = np.asarray(features, np.int16).astype(np.int64) - params.feature_offset
    q = params.zero_point + round_shift(v * params.multiplier, params.shift)
    return np.clip(q, -128, 127).astype(np.int8)


def compute_int8(audio: np.ndarray, params: Int8Params, cfg: FrontendConfig = FrontendConfig()) -> np.ndarray:
    """tl_frontend_compute_int8: int16 audio [samples] or [n, samples] -> int8 features
    [frames, num_mel_bins] or [n, frames, num_mel_bins]."""
    audio = np.asarray(audio)
    feats = compute(audio, cfg) if audio.ndim == 1 else compute_batch(audio, cfg)
    return quantize_int8(feats, params)


__all__ = [
    "FrontendConfig",
    "Int8Params",
    "compute_int8",
    "int8_params",
    "quantize_int8",
    "Tables",
    "compute",
    "compute_batch",
    "compute_frames",
    "frames",
    "log2_q16",
    "round_shift",
    "sin_q30",
    "tables",
]
