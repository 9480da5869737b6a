"""tf.signal (trainer/signal.py) against TensorFlow 2.21's tf.signal on the inputs of
tests/fixtures/signal_ops.npz (written by scripts/make_signal_fixtures.py), gradients against float64 central
differences, and the float front-end built from tf.signal against trainer.audio.float_frontend's numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer as tf
from trainer.audio import float_frontend
from trainer.errors import InvalidArgumentError

FIXTURES = np.load(Path(__file__).resolve().parents[1] / "fixtures" / "signal_ops.npz")


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed or {})


def close(got: np.ndarray, want: np.ndarray, tol: float = 1e-5) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    err = float(np.max(np.abs(got - want))) / max(1.0, float(np.max(np.abs(want))))
    assert err <= tol, err


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()


def test_frame_and_windows_match_tensorflow() -> None:
    s = FIXTURES["signals"]
    close(run(tf.signal.frame(s, 400, 160)), FIXTURES["frame_400_160"], 0)
    close(run(tf.signal.frame(s, 400, 160, pad_end=True, pad_value=0.5)), FIXTURES["frame_400_160_pad"], 0)
    for periodic in (True, False):
        close(run(tf.signal.hann_window(25, periodic=periodic)), FIXTURES[f"hann_25_{periodic}"], 1e-6)
        close(run(tf.signal.hamming_window(25, periodic=periodic)), FIXTURES[f"hamming_25_{periodic}"], 1e-6)


def test_stft_matches_tensorflow() -> None:
    s = FIXTURES["signals"]
    close(run(tf.abs(tf.signal.stft(s, 400, 160, 512))), FIXTURES["stft_abs_400_160_512"])
    close(run(tf.abs(tf.contrib.signal.stft(s, 256, 100))), FIXTURES["stft_abs_256_100_default"])
    st = tf.signal.stft(s, 200, 80, 256, window_fn=tf.signal.hamming_window)
    close(run(st.real), FIXTURES["stft_real_hamming"])
    close(run(st.imag), FIXTURES["stft_imag_hamming"])


def test_mel_matrix_dct_and_mfccs_match_tensorflow() -> None:
    close(
        run(tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 4000.0)),
        FIXTURES["mel_40_257_16000_20_4000"],
    )
    close(run(tf.signal.linear_to_mel_weight_matrix()), FIXTURES["mel_20_129_8000_default"])
    x = FIXTURES["log_mel"]
    close(run(tf.signal.mfccs_from_log_mel_spectrograms(x)), FIXTURES["mfccs"])
    close(run(tf.signal.dct(x, type=2)), FIXTURES["dct2"])
    close(run(tf.signal.dct(x, type=2, norm="ortho")), FIXTURES["dct2_ortho"])
    with pytest.raises(InvalidArgumentError, match="upper_edge_hertz"):
        tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 9000.0)  # above Nyquist


def test_log_mel_mfcc_gradient_matches_finite_differences() -> None:
    """d/dx of sum(w * mfcc(log(mel(|stft(x)|) + 1))) against central differences, in float64."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((1, 300))
    w = rng.standard_normal((1, 4, 8))
    x = tf.placeholder(tf.float64, [1, 300])
    spec = tf.abs(tf.signal.stft(x, 96, 64, 128))
    mel = tf.matmul(spec, tf.signal.linear_to_mel_weight_matrix(8, 65, 8000, 100.0, 3500.0, dtype=tf.float64))
    y = tf.reduce_sum(tf.signal.mfccs_from_log_mel_spectrograms(tf.log(mel + 1.0)) * w)
    (g,) = tf.gradients(y, [x])
    with tf.Session() as sess:
        got = sess.run(g, {x: x0})
        eps = 1e-6
        for i in rng.choice(300, 12, replace=False):
            d = np.zeros_like(x0)
            d[0, i] = eps
            num = (sess.run(y, {x: x0 + d}) - sess.run(y, {x: x0 - d})) / (2 * eps)
            assert abs(got[0, i] - num) <= 1e-6 * max(1.0, abs(num)), (i, got[0, i], num)


def test_float_frontend_from_tf_signal_matches_numpy() -> None:
    """The KWS float front-end written with tf.signal equals trainer.audio.float_frontend (float64)."""
    rng = np.random.default_rng(5)
    audio = (rng.standard_normal((2, 16000)) * 3000).astype(np.int16)
    pcm = tf.placeholder(tf.float64, [None, 16000])
    power = tf.square(tf.abs(tf.signal.stft(pcm, 480, 320, 512)))
    mel = tf.matmul(
        power, tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 125.0, 7500.0, dtype=tf.float64)
    )
    feats = 256.0 * tf.log(1.0 + 256.0 * mel) / np.log(2.0)
    got = run(feats, {pcm: audio.astype(np.float64)})
    close(got, float_frontend.features_like_fixed(audio).astype(np.float64), 1e-6)


def test_log_mel_graph_matches_numpy() -> None:
    audio = (np.random.default_rng(6).standard_normal((1, 4000)) * 2000).astype(np.int16)
    pcm = tf.placeholder(tf.float64, [None, 4000])
    got = run(float_frontend.log_mel_graph(pcm), {pcm: audio.astype(np.float64)})
    close(got, float_frontend.features_like_fixed(audio).astype(np.float64), 1e-6)
