"""Writes tests/fixtures/tflite/details_model.tflite: a tiny TensorFlow-converted model whose LiteRT
interpreter details (get_input_details, get_tensor_details, get_signature_list) are the reference that
tests/runtime/test_tflite_compat.py compares pyruntime's keys and value types against.

Run once with a Python that has TensorFlow (not a test dependency):

    python scripts/make_details_fixture.py

The model: x[batch, 8] float32 -> Dense(4, relu) -> Dense(3), quantized to int8 inside (float32 input and
output, per-channel int8 weights), so the details hold float tensors, per-tensor and per-channel quantized
ones, and a dynamic batch (shape_signature -1).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tflite" / "details_model.tflite"


def main() -> None:
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(8,), name="x"),
            tf.keras.layers.Dense(4, activation="relu", name="hidden"),
            tf.keras.layers.Dense(3, name="logits"),
        ]
    )
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(16):
            yield [rng.standard_normal((1, 8)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    data = converter.convert()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
