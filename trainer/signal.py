"""``tf.signal`` (and ``tf.contrib.signal``): framing, windows, STFT, mel filterbank, DCT and MFCCs, with
TensorFlow 1's names, arguments and numbers, batched over leading dimensions.

>>> import numpy as np
>>> import trainer as tf
>>> pcm = tf.placeholder(tf.float32, [None, 16000])
>>> spec = tf.abs(tf.signal.stft(pcm, frame_length=480, frame_step=320, fft_length=512))   # [N, 49, 257]
>>> mel = tf.matmul(spec, tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 4000.0))
>>> mfcc = tf.signal.mfccs_from_log_mel_spectrograms(tf.log(mel + 1e-6))[..., :10]
>>> tf.Session().run(mfcc, {pcm: np.zeros((2, 16000), np.float32)}).shape
(2, 49, 10)

Every function is a composition of existing trainer ops, exact and differentiable where TF's are: ``frame``
is a ``Gather`` with a constant index matrix, the windows, the mel matrix and the DFT/DCT bases are constants
computed in float64 numpy, and the transforms are ``MatMul``s with those bases. There is no complex dtype in
the trainer: :func:`stft` returns a :class:`ComplexTensor` (real and imaginary parts), which ``tf.abs``
turns into the magnitude ``sqrt(re^2 + im^2)``. The DFT as a matmul costs ``frame_length x fft_length``
per frame instead of an FFT's ``fft_length log fft_length``: fine for the KWS front-end's 480 x 257.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops import array_ops, math_ops


def _np_dtype(dtype: Any) -> Any:
    return _dt.as_dtype(dtype).as_numpy_dtype


def _static_length(signal: Tensor, axis: int, fn: str) -> int:
    shape = signal.shape.as_list()
    if shape is None or shape[axis] is None:
        raise InvalidArgumentError(f"tf.signal.{fn}: the framed axis of {signal.name} needs a static length")
    return int(shape[axis])


# ---- framing and windows ----


def frame(
    signal: Any,
    frame_length: int,
    frame_step: int,
    pad_end: bool = False,
    pad_value: float = 0,
    axis: int = -1,
    name: str | None = None,
) -> Tensor:
    """``tf.signal.frame``: overlapping frames of the last axis, ``[..., samples]`` to
    ``[..., frames, frame_length]`` with ``frames = 1 + (samples - frame_length) // frame_step``
    (``-(-samples // frame_step)`` with ``pad_end``, the end padded with ``pad_value``). Only ``axis=-1``."""
    if axis != -1:
        raise UnimplementedError("tf.signal.frame: only axis=-1 is supported")
    if int(frame_length) < 1 or int(frame_step) < 1:
        raise InvalidArgumentError(f"tf.signal.frame: frame_length={frame_length}, frame_step={frame_step}")
    with name_scope(name or "frame"):
        signal = convert_to_tensor(signal)
        n = _static_length(signal, -1, "frame")
        frame_length, frame_step = int(frame_length), int(frame_step)
        if pad_end:
            frames = -(-n // frame_step)
            padded = (frames - 1) * frame_step + frame_length
            if padded > n:
                rank = len(signal.shape.as_list())
                signal = array_ops.pad(
                    signal, [[0, 0]] * (rank - 1) + [[0, padded - n]], constant_values=pad_value
                )
        else:
            frames = max(0, 1 + (n - frame_length) // frame_step)
        index = np.arange(frames)[:, None] * frame_step + np.arange(frame_length)[None, :]
        return array_ops.gather(signal, index.astype(np.int32), axis=-1)


def hann_window(window_length: int, periodic: bool = True, dtype: Any = _dt.float32, name: str | None = None):
    """``tf.signal.hann_window``: ``0.5 - 0.5 cos(2 pi n / N)``, N = length - 1, or length when ``periodic``
    and the length is even (TensorFlow's rule)."""
    return _raised_cosine(window_length, periodic, dtype, 0.5, 0.5, name or "hann_window")


def hamming_window(
    window_length: int, periodic: bool = True, dtype: Any = _dt.float32, name: str | None = None
):
    """``tf.signal.hamming_window``: ``0.54 - 0.46 cos(2 pi n / N)``."""
    return _raised_cosine(window_length, periodic, dtype, 0.54, 0.46, name or "hamming_window")


def _raised_cosine(length: int, periodic: bool, dtype: Any, a: float, b: float, name: str) -> Tensor:
    length = int(length)
    if length < 0:
        raise InvalidArgumentError(f"tf.signal.{name}: window_length={length} must be >= 0")
    if length == 1:
        w = np.ones(1)
    else:
        n = length - 1 + (1 if periodic and length % 2 == 0 else 0)  # TF: periodic changes even lengths only
        w = a - b * np.cos(2.0 * np.pi * np.arange(length) / n)
    return array_ops.constant(w.astype(_np_dtype(dtype)), name=name)


# ---- STFT ----


@dataclass(frozen=True)
class ComplexTensor:
    """A complex result as two real tensors (the trainer has no complex dtype); ``tf.abs`` gives the
    magnitude, ``tf.math.real``-style access is ``.real`` / ``.imag``."""

    real: Tensor
    imag: Tensor

    @property
    def shape(self) -> Any:
        return self.real.shape

    def __tensorlet_abs__(self, name: str | None = None) -> Tensor:
        with name_scope(name or "ComplexAbs"):
            return math_ops.sqrt(math_ops.square(self.real) + math_ops.square(self.imag))


def _dft_bases(frame_length: int, fft_length: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """cos and -sin bases [frame_length, fft_length // 2 + 1] of the real DFT of a zero-padded frame."""
    n = np.arange(frame_length)[:, None]
    k = np.arange(fft_length // 2 + 1)[None, :]
    angle = 2.0 * np.pi * ((n * k) % fft_length) / fft_length
    return np.cos(angle).astype(dtype), (-np.sin(angle)).astype(dtype)


def _rfft_frames(frames: Tensor, frame_length: int, fft_length: int) -> ComplexTensor:
    dtype = frames.dtype.as_numpy_dtype
    cos, sin = _dft_bases(frame_length, fft_length, dtype)
    real = math_ops.matmul(frames, array_ops.constant(cos, name="dft_cos"))
    imag = math_ops.matmul(frames, array_ops.constant(sin, name="dft_sin"))
    return ComplexTensor(real, imag)


def stft(
    signals: Any,
    frame_length: int,
    frame_step: int,
    fft_length: int | None = None,
    window_fn: Callable[..., Any] | None = hann_window,
    pad_end: bool = False,
    name: str | None = None,
) -> ComplexTensor:
    """``tf.signal.stft``: ``[..., samples] -> [..., frames, fft_length // 2 + 1]`` complex (a
    :class:`ComplexTensor`). ``fft_length`` defaults to the smallest power of two >= ``frame_length``;
    ``window_fn(frame_length, dtype=...)`` (periodic Hann by default, ``None`` for none) multiplies each
    frame, which is zero-padded to ``fft_length``."""
    frame_length, frame_step = int(frame_length), int(frame_step)
    if fft_length is None:
        fft_length = 1 << max(0, (frame_length - 1).bit_length())
    if int(fft_length) < frame_length:
        raise InvalidArgumentError(f"tf.signal.stft: fft_length={fft_length} < frame_length={frame_length}")
    with name_scope(name or "stft"):
        signals = convert_to_tensor(signals)
        frames = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            frames = frames * window_fn(frame_length, dtype=signals.dtype)
        return _rfft_frames(frames, frame_length, int(fft_length))


# ---- mel filterbank ----


def _hertz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)


def linear_to_mel_weight_matrix(
    num_mel_bins: int = 20,
    num_spectrogram_bins: int = 129,
    sample_rate: float = 8000,
    lower_edge_hertz: float = 125.0,
    upper_edge_hertz: float = 3800.0,
    dtype: Any = _dt.float32,
    name: str | None = None,
) -> Tensor:
    """``tf.signal.linear_to_mel_weight_matrix``: ``[num_spectrogram_bins, num_mel_bins]`` triangular filters
    equally spaced on the HTK mel scale ``1127 ln(1 + f / 700)``, the DC bin zeroed."""
    nyquist = sample_rate / 2.0
    if num_mel_bins < 1 or num_spectrogram_bins < 2 or sample_rate <= 0:
        raise InvalidArgumentError(
            f"linear_to_mel_weight_matrix: num_mel_bins={num_mel_bins}, num_spectrogram_bins="
            f"{num_spectrogram_bins}, sample_rate={sample_rate}"
        )
    if not 0.0 <= lower_edge_hertz < upper_edge_hertz <= nyquist:
        raise InvalidArgumentError(
            f"linear_to_mel_weight_matrix: need 0 <= lower_edge_hertz ({lower_edge_hertz}) < "
            f"upper_edge_hertz ({upper_edge_hertz}) <= sample_rate / 2 ({nyquist})"
        )
    bins_mel = _hertz_to_mel(np.linspace(0.0, nyquist, num_spectrogram_bins))[1:, None]
    edges = np.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    w = np.maximum(
        0.0, np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center))
    )
    w = np.pad(w, [[1, 0], [0, 0]])
    return array_ops.constant(w.astype(_np_dtype(dtype)), name=name or "linear_to_mel_weight_matrix")


# ---- DCT and MFCCs ----


def dct(
    input: Any,  # noqa: A002 - TF name
    type: int = 2,  # noqa: A002 - TF name
    n: int | None = None,
    axis: int = -1,
    norm: str | None = None,
    name: str | None = None,
) -> Tensor:
    """``tf.signal.dct`` of type 2 over the last axis: ``y[k] = 2 sum_n x[n] cos(pi k (2n + 1) / (2N))``,
    times ``sqrt(1 / (4N))`` for k = 0 and ``sqrt(1 / (2N))`` otherwise with ``norm="ortho"``."""
    if type != 2 or n is not None or axis != -1:
        raise UnimplementedError("tf.signal.dct: only type=2, n=None, axis=-1 are supported")
    if norm not in (None, "ortho"):
        raise InvalidArgumentError(f"tf.signal.dct: norm={norm!r} must be None or 'ortho'")
    with name_scope(name or "dct"):
        x = convert_to_tensor(input)
        length = _static_length(x, -1, "dct")
        i = np.arange(length)
        basis = 2.0 * np.cos(np.pi * np.outer(2 * i + 1, i) / (2.0 * length))  # [n, k]
        if norm == "ortho":
            basis[:, 0] *= np.sqrt(1.0 / (4.0 * length))
            basis[:, 1:] *= np.sqrt(1.0 / (2.0 * length))
        return math_ops.matmul(x, array_ops.constant(basis.astype(x.dtype.as_numpy_dtype)))


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms: Any, name: str | None = None) -> Tensor:
    """``tf.signal.mfccs_from_log_mel_spectrograms``: the unnormalized DCT-II of the last axis times
    ``rsqrt(2 * num_mel_bins)`` (keep the first 10-13 coefficients yourself)."""
    with name_scope(name or "mfccs_from_log_mel_spectrograms"):
        x = convert_to_tensor(log_mel_spectrograms)
        bins = _static_length(x, -1, "mfccs_from_log_mel_spectrograms")
        return dct(x, type=2) * np.asarray(1.0 / np.sqrt(2.0 * bins), x.dtype.as_numpy_dtype)


__all__ = [
    "ComplexTensor",
    "dct",
    "frame",
    "hamming_window",
    "hann_window",
    "linear_to_mel_weight_matrix",
    "mfccs_from_log_mel_spectrograms",
    "stft",
]
