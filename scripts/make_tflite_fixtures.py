"""Write the ``.tflite`` fixtures of the TFLite importer's tests (tests/fixtures/tflite/) with TensorFlow's
own converter. Needs TensorFlow (``tensorflow-cpu``); the tests that read the files do not.

    python scripts/make_tflite_fixtures.py [--out tests/fixtures/tflite] [--only NAME ...]

Weights come from fixed seeds and are not trained: the tests compare tensorlet with LiteRT's reference
kernels, not accuracy. Rerunning the script (TensorFlow 2.21) gives the committed files byte for byte, except
that the Keras models' tensor names depend on the Keras layers the process built before (the committed
``ad_autoencoder_int8`` was written by ``--only ops ops_int8 ops_f16 hybrid ad_autoencoder_int8``).

Models (each float32 unless the name says otherwise):

- ``ops``: every op tensorlet shares with TFLite (Conv2D with stride and dilation, DepthwiseConv2D with a
  depth multiplier and dilation, both pools, Add/Sub/Mul with fused activations, Maximum, the activations,
  Softmax, Reshape, Concatenation, Pad, Transpose, Mean, FullyConnected with and without keep_num_dims);
  ``ops_int8`` the same, full-integer with a representative dataset (per-channel conv weights, float I/O so
  QUANTIZE/DEQUANTIZE appear); ``ops_f16``: float16 weights with their DEQUANTIZE ops;
- ``hybrid``: dynamic-range quantization (int8 weights, float activations);
- ``multi_io``: two inputs and two outputs with signature names; ``buffer_offset``: the same model written
  with its buffers after the FlatBuffer (the > 2 GB layout);
- MLPerf Tiny shapes, int8 with int8 I/O: ``kws_ds_cnn_int8`` (49x10x1), ``ic_resnet8_int8`` (32x32x3,
  residual Adds), ``vww_mobilenet_025_int8`` (96x96x3), ``ad_autoencoder_int8`` (640 inputs); and
  ``kws_ds_cnn`` in float32.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

SAMPLES = 64


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _w(rng: np.random.Generator, *shape: int, scale: float = 0.5) -> tf.Tensor:
    return tf.constant(rng.normal(0, scale, size=shape).astype(np.float32))


def _dataset(shapes: list[list[int]], seed: int) -> Callable:
    def gen():
        rng = _rng(seed)
        for _ in range(SAMPLES):
            yield [rng.uniform(-2, 2, size=s).astype(np.float32) for s in shapes]

    return gen


def _convert(converter: tf.lite.TFLiteConverter, mode: str, shapes: list[list[int]], io_int8: bool) -> bytes:
    if mode in ("int8", "f16", "hybrid"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "int8":
        converter.representative_dataset = _dataset(shapes, 99)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_int8:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    elif mode == "f16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def ops_function() -> tuple[tf.types.experimental.GenericFunction, list[list[int]]]:
    """Every shared op once or more, on a [1, 9, 9, 3] image."""
    rng = _rng(1)
    w1, b1 = _w(rng, 3, 3, 3, 8), _w(rng, 8)
    w2, b2 = _w(rng, 3, 3, 8, 2), _w(rng, 16)
    w3 = _w(rng, 2, 2, 16, 8)
    wfc, bfc = _w(rng, 48, 10), _w(rng, 10)
    w3d, b3d = _w(rng, 8, 5), _w(rng, 5)
    addc = _w(rng, 1, 1, 1, 8)

    @tf.function(input_signature=[tf.TensorSpec([1, 9, 9, 3], tf.float32, name="image")])
    def ops(x):
        c1 = tf.nn.relu(tf.nn.conv2d(x, w1, strides=2, padding="SAME") + b1)  # [1,5,5,8]
        c2 = tf.nn.relu6(tf.nn.depthwise_conv2d(c1, w2, [1, 1, 1, 1], "SAME", dilations=[2, 2]) + b2)
        c3 = tf.nn.conv2d(c2, w3, strides=1, padding="VALID", dilations=2)  # [1,3,3,8]
        p1 = tf.nn.max_pool2d(c1, 2, 2, "VALID")  # [1,2,2,8]
        p2 = tf.nn.avg_pool2d(c1, 3, 2, "SAME")  # [1,3,3,8]
        a = tf.nn.relu(c3 + p2)
        s = c3 - p2
        m = a * s + addc
        mx = tf.maximum(a, s)
        cat = tf.concat([tf.sigmoid(mx), tf.tanh(m)], axis=3)  # [1,3,3,16]
        pd = tf.pad(cat, [[0, 0], [1, 0], [0, 1], [0, 0]])  # [1,4,4,16]
        tr = tf.transpose(tf.nn.relu6(pd * 3.0 - 1.0), [0, 2, 1, 3])
        r6 = tf.nn.relu6(tf.squeeze(tf.expand_dims(cat, 0), 0))  # RELU6 alone; EXPAND_DIMS / SQUEEZE
        mean = tf.reduce_mean(tr, axis=[1, 2])  # [1,16]
        flat = tf.reshape(p1, [1, 32])
        logits = tf.matmul(tf.concat([mean, flat], 1), wfc) + bfc
        probs = tf.nn.softmax(logits)
        seq = tf.reshape(c3, [1, 9, 8])
        dense3d = tf.tensordot(seq, w3d, axes=[[2], [0]]) + b3d  # FullyConnected keep_num_dims
        kept = tf.reduce_mean(dense3d, axis=1, keepdims=True)
        return {"probs": probs, "dense3d": tf.nn.relu(dense3d), "kept": kept, "relu6": r6 * 2.0}

    return ops, [[1, 9, 9, 3]]


def hybrid_function() -> tuple[tf.types.experimental.GenericFunction, list[list[int]]]:
    rng = _rng(2)
    w1, b1 = _w(rng, 3, 3, 2, 16, scale=0.3), _w(rng, 16)
    wfc, bfc = _w(rng, 8 * 8 * 16, 12, scale=0.05), _w(rng, 12)

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 2], tf.float32, name="x")])
    def hybrid(x):
        c = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME") + b1)
        return tf.matmul(tf.reshape(c, [1, -1]), wfc) + bfc

    return hybrid, [[1, 8, 8, 2]]


def multi_io_function() -> tuple[tf.types.experimental.GenericFunction, list[list[int]]]:
    rng = _rng(3)
    wa, wb = _w(rng, 6, 4), _w(rng, 3, 4)

    @tf.function(
        input_signature=[
            tf.TensorSpec([2, 6], tf.float32, name="left"),
            tf.TensorSpec([2, 3], tf.float32, name="right"),
        ]
    )
    def multi_io(left, right):
        shared = tf.matmul(left, wa) + tf.matmul(right, wb)
        return {"total": tf.nn.relu(shared), "gate": tf.sigmoid(shared) * shared}

    return multi_io, [[2, 6], [2, 3]]


def from_function(fn_and_shapes, mode: str, io_int8: bool = False, buffer_offset: bool = False) -> bytes:
    fn, shapes = fn_and_shapes
    conc = fn.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([conc], fn)
    if buffer_offset:
        converter._experimental_use_buffer_offset = True
    return _convert(converter, mode, shapes, io_int8)


# ---- MLPerf Tiny shapes (Keras) ----


def ds_cnn() -> tf.keras.Model:
    """Keyword spotting DS-CNN (small): conv 10x4 stride 2, four depthwise-separable blocks, pool, dense."""
    layers = tf.keras.layers
    x = inp = tf.keras.Input([49, 10, 1], batch_size=1)
    x = layers.Conv2D(64, (10, 4), strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for _ in range(4):
        x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Conv2D(64, 1, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.AveragePooling2D(pool_size=(25, 5))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(12, activation="softmax")(x)
    return tf.keras.Model(inp, x)


def resnet8() -> tf.keras.Model:
    """Image classification ResNet-8: a 16-filter stem and three residual stacks (16, 32, 64) with Adds."""
    layers = tf.keras.layers
    x = inp = tf.keras.Input([32, 32, 3], batch_size=1)
    x = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(16, 3, padding="same")(x)))
    for filters, stride in ((16, 1), (32, 2), (64, 2)):
        y = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(filters, 3, stride, padding="same")(x)))
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
        if stride != 1:
            x = layers.Conv2D(filters, 1, stride)(x)
        x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.AveragePooling2D(pool_size=8)(x)
    x = layers.Dense(10, activation="softmax")(layers.Flatten()(x))
    return tf.keras.Model(inp, x)


def mobilenet_025() -> tf.keras.Model:
    """Visual wake words MobileNetV1 with width 0.25 on 96x96x3, two classes."""
    layers = tf.keras.layers
    x = inp = tf.keras.Input([96, 96, 3], batch_size=1)

    def block(x, dw_stride, filters):
        x = layers.DepthwiseConv2D(3, dw_stride, padding="same", use_bias=False)(x)
        x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
        x = layers.Conv2D(filters, 1, use_bias=False)(x)
        return layers.ReLU(6.0)(layers.BatchNormalization()(x))

    x = layers.Conv2D(8, 3, 2, padding="same", use_bias=False)(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    for stride, filters in ((1, 16), (2, 32), (1, 32), (2, 64), (1, 64), (2, 128)):
        x = block(x, stride, filters)
    for _ in range(5):
        x = block(x, 1, 128)
    x = block(x, 2, 256)
    x = block(x, 1, 256)
    x = layers.AveragePooling2D(pool_size=3)(x)
    x = layers.Dense(2, activation="softmax")(layers.Flatten()(x))
    return tf.keras.Model(inp, x)


def autoencoder() -> tf.keras.Model:
    """Anomaly detection FC autoencoder: 640 -> 64 x4 -> 8 -> 64 x4 -> 640 (MLPerf's is 128 wide; half
    keeps the file at 136 KB)."""
    layers = tf.keras.layers
    x = inp = tf.keras.Input([640], batch_size=1)
    for units in (64, 64, 64, 64, 8, 64, 64, 64, 64):
        x = layers.ReLU()(layers.BatchNormalization()(layers.Dense(units)(x)))
    x = layers.Dense(640)(x)
    return tf.keras.Model(inp, x)


def _randomize_batchnorm(model: tf.keras.Model, seed: int) -> None:
    """Give BatchNormalization non-trivial statistics, as training would (they fold into the convolutions)."""
    rng = _rng(seed)
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                    rng.normal(0, 0.1, beta.shape).astype(np.float32),
                    rng.normal(0, 0.1, mean.shape).astype(np.float32),
                    rng.uniform(0.5, 1.5, var.shape).astype(np.float32),
                ]
            )


def from_keras(build: Callable[[], tf.keras.Model], seed: int, mode: str) -> bytes:
    tf.keras.utils.set_random_seed(seed)
    model = build()
    _randomize_batchnorm(model, seed)
    shapes = [[1, *model.input_shape[1:]]]
    return _convert(tf.lite.TFLiteConverter.from_keras_model(model), mode, shapes, io_int8=True)


FIXTURES: dict[str, Callable[[], bytes]] = {
    "ops": lambda: from_function(ops_function(), "float"),
    "ops_int8": lambda: from_function(ops_function(), "int8"),
    "ops_f16": lambda: from_function(ops_function(), "f16"),
    "hybrid": lambda: from_function(hybrid_function(), "hybrid"),
    "multi_io": lambda: from_function(multi_io_function(), "float"),
    "multi_io_int8": lambda: from_function(multi_io_function(), "int8", io_int8=True),
    "buffer_offset": lambda: from_function(multi_io_function(), "float", buffer_offset=True),
    "kws_ds_cnn": lambda: from_keras(ds_cnn, 10, "float"),
    "kws_ds_cnn_int8": lambda: from_keras(ds_cnn, 10, "int8"),
    "ic_resnet8_int8": lambda: from_keras(resnet8, 11, "int8"),
    "vww_mobilenet_025_int8": lambda: from_keras(mobilenet_025, 12, "int8"),
    "ad_autoencoder_int8": lambda: from_keras(autoencoder, 13, "int8"),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="tests/fixtures/tflite")
    p.add_argument("--only", nargs="*", choices=sorted(FIXTURES), help="write only these fixtures")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.only or FIXTURES:
        data = FIXTURES[name]()
        (out / f"{name}.tflite").write_bytes(data)
        print(f"{name}.tflite: {len(data)} bytes")


if __name__ == "__main__":
    main()
