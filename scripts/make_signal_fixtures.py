"""Write tests/fixtures/signal_ops.npz: TensorFlow's tf.signal results on small inputs, the oracle of
tests/trainer/test_signal_ops.py (which then needs no TensorFlow).

    /path/to/venv-with-tensorflow/bin/python scripts/make_signal_fixtures.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "signal_ops.npz"


def main() -> None:
    rng = np.random.default_rng(17)
    signals = rng.standard_normal((2, 3, 1000)).astype(np.float32)
    log_mel = rng.standard_normal((2, 5, 40)).astype(np.float32)
    out = {"signals": signals, "log_mel": log_mel}
    out["frame_400_160"] = tf.signal.frame(signals, 400, 160).numpy()
    out["frame_400_160_pad"] = tf.signal.frame(signals, 400, 160, pad_end=True, pad_value=0.5).numpy()
    for periodic in (True, False):
        out[f"hann_25_{periodic}"] = tf.signal.hann_window(25, periodic=periodic).numpy()
        out[f"hamming_25_{periodic}"] = tf.signal.hamming_window(25, periodic=periodic).numpy()
    out["stft_abs_400_160_512"] = tf.abs(tf.signal.stft(signals, 400, 160, 512)).numpy()
    out["stft_abs_256_100_default"] = tf.abs(tf.signal.stft(signals, 256, 100)).numpy()
    stft = tf.signal.stft(signals, 200, 80, 256, window_fn=tf.signal.hamming_window)
    out["stft_real_hamming"] = tf.math.real(stft).numpy()
    out["stft_imag_hamming"] = tf.math.imag(stft).numpy()
    out["mel_40_257_16000_20_4000"] = tf.signal.linear_to_mel_weight_matrix(
        40, 257, 16000, 20.0, 4000.0
    ).numpy()
    out["mel_20_129_8000_default"] = tf.signal.linear_to_mel_weight_matrix().numpy()
    out["mfccs"] = tf.signal.mfccs_from_log_mel_spectrograms(log_mel).numpy()
    out["dct2"] = tf.signal.dct(log_mel, type=2).numpy()
    out["dct2_ortho"] = tf.signal.dct(log_mel, type=2, norm="ortho").numpy()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main()
