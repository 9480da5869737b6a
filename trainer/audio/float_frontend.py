"""The float front-end: the same pipeline as the fixed-point one (trainer/audio/fixed_frontend.py,
runtime_c's tl_frontend) in float64 numpy, with TensorFlow's formulas: periodic Hann window, real FFT,
power spectrum, ``tf.signal.linear_to_mel_weight_matrix`` (HTK mel scale), then ``log2(1 + 256 * mel)``.

>>> import numpy as np
>>> from trainer.audio import float_frontend
>>> float_frontend.features_like_fixed(np.zeros((1, 16000), np.int16)).shape
(1, 49, 40)

:func:`features_like_fixed` is in the fixed-point features' units (Q8 log2: ``256 * log2(1 + 256 E)`` with
``E`` the mel energy of the int16-valued samples), so the two are directly comparable (docs/audio.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import trainer as tf
from trainer.audio.fixed_frontend import FrontendConfig


def hann_window(length: int, periodic: bool = True) -> np.ndarray:
    """``tf.signal.hann_window``: 0.5 - 0.5 cos(2 pi n / N), N = length - 1, or length when periodic and
    the length is even (TensorFlow's rule)."""
    if length == 1:
        return np.ones(1)
    n = length - 1 + (1 if periodic and length % 2 == 0 else 0)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / n)


def hertz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """The HTK mel scale of TensorFlow: 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)


def linear_to_mel_weight_matrix(
    num_mel_bins: int = 20,
    num_spectrogram_bins: int = 129,
    sample_rate: float = 8000,
    lower_edge_hertz: float = 125.0,
    upper_edge_hertz: float = 3800.0,
) -> np.ndarray:
    """``tf.signal.linear_to_mel_weight_matrix`` in float64: [num_spectrogram_bins, num_mel_bins] triangles,
    equally spaced on the mel scale, the DC bin zeroed."""
    nyquist = sample_rate / 2.0
    bins_mel = hertz_to_mel(np.linspace(0.0, nyquist, num_spectrogram_bins))[1:, None]
    edges = np.linspace(hertz_to_mel(lower_edge_hertz), hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    w = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    return np.pad(w, [[1, 0], [0, 0]])


def features_like_fixed(audio: np.ndarray, cfg: FrontendConfig | None = None) -> np.ndarray:
    """float32 [n, frames, num_mel_bins]: ``256 * log2(1 + 256 * mel_power)`` of int16 clips [n, samples]."""
    cfg = cfg or FrontendConfig()
    audio = np.asarray(audio, np.float64)
    nf = cfg.num_frames(audio.shape[1])
    idx = np.arange(nf)[:, None] * cfg.stride_samples + np.arange(cfg.window_samples)[None, :]
    frames = audio[:, idx] * hann_window(cfg.window_samples)
    power = np.abs(np.fft.rfft(frames, cfg.fft_size, axis=-1)) ** 2
    mel = power @ linear_to_mel_weight_matrix(
        cfg.num_mel_bins, cfg.fft_size // 2 + 1, cfg.sample_rate, cfg.lower_hz, cfg.upper_hz
    )
    return (256.0 * np.log2(1.0 + 256.0 * mel)).astype(np.float32)


def log_mel_graph(pcm: Any, cfg: FrontendConfig | None = None) -> Any:
    """The same features as :func:`features_like_fixed`, built from ``tf.signal`` ops in the current graph:
    ``pcm`` float [n, samples] (int16-valued) -> [n, frames, num_mel_bins], differentiable in ``pcm``."""
    cfg = cfg or FrontendConfig()
    pcm = tf.convert_to_tensor(pcm)
    spec = tf.abs(tf.signal.stft(pcm, cfg.window_samples, cfg.stride_samples, cfg.fft_size))
    mel = tf.matmul(
        tf.square(spec),
        tf.signal.linear_to_mel_weight_matrix(
            cfg.num_mel_bins,
            cfg.fft_size // 2 + 1,
            cfg.sample_rate,
            cfg.lower_hz,
            cfg.upper_hz,
            dtype=pcm.dtype,
        ),
    )
    return tf.log(1.0 + 256.0 * mel) * np.asarray(256.0 / np.log(2.0), pcm.dtype.as_numpy_dtype)
