"""Write one-op ``.tflite`` fixtures for the runtime ops added by issue #15
(tests/fixtures/tflite/ops_<name>.tflite and ops_<name>_int8.tflite) with TensorFlow's own converter. Needs
TensorFlow (``tensorflow-cpu``); the test that reads the files (tests/lite/test_tflite_new_ops.py)
needs LiteRT only.

    python scripts/make_op_fixtures.py [--out tests/fixtures/tflite] [--only NAME ...]

Each model is one ``tf.function`` applying the op to a [1, 64] input (two inputs for binary ops; the shapes
of ``SHAPES`` for the others; ``INT_INPUTS`` are int32 ids, GATHER's indices), converted
to float32 and to full-integer int8 with int8 inputs and outputs (a representative dataset of 64 seeded
samples drawn from the op's domain), so the int8 file holds the op alone, except for the ops the converter
keeps in float (NEG, SQUARE, ELU: DEQUANTIZE, the float op, QUANTIZE). A conversion that fails is reported
and the script goes on.
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
SHAPE = [1, 64]
EMBEDDING = tf.constant((0.8 * np.random.default_rng(55).standard_normal((32, 8))).astype(np.float32))
PRELU_ALPHA = tf.constant(np.random.default_rng(54).uniform(-0.5, 1.5, 64).astype(np.float32))

# name: (the op on its inputs, number of inputs, the representative range (low, high))
OPS: dict[str, tuple[Callable[..., tf.Tensor], int, tuple[float, float]]] = {
    "minimum": (tf.minimum, 2, (-2.0, 2.0)),
    "abs": (tf.abs, 1, (-2.0, 1.0)),
    "neg": (tf.negative, 1, (-2.0, 1.0)),
    "square": (tf.square, 1, (-2.0, 2.0)),
    "sqrt": (tf.sqrt, 1, (0.0, 4.0)),
    "rsqrt": (tf.math.rsqrt, 1, (0.05, 4.0)),
    "exp": (tf.exp, 1, (-3.0, 1.0)),
    "log": (tf.math.log, 1, (0.05, 4.0)),
    "elu": (tf.nn.elu, 1, (-3.0, 2.0)),
    "leaky_relu": (lambda x: tf.nn.leaky_relu(x, 0.15), 1, (-3.0, 2.0)),
    "div": (tf.math.divide, 2, (0.25, 2.0)),
    "squared_difference": (tf.math.squared_difference, 2, (-2.0, 2.0)),
    "batch_matmul": (lambda a, b: tf.matmul(a, b, transpose_b=True), 2, (-2.0, 2.0)),
    "batch_matmul_adj_x": (lambda a, b: tf.matmul(a, b, transpose_a=True), 2, (-2.0, 2.0)),
    "hard_swish": (lambda x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0), 1, (-5.0, 5.0)),
    "hard_swish_wide": (lambda x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0), 1, (-60.0, 40.0)),
    "hard_swish_narrow": (lambda x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0), 1, (-0.05, 0.08)),
    "gelu": (lambda x: tf.nn.gelu(x, approximate=False), 1, (-4.0, 3.0)),
    "gelu_tanh": (lambda x: tf.nn.gelu(x, approximate=True), 1, (-4.0, 3.0)),
    # relu(x) + relu(-x) (-alpha), which the converter fuses into PRELU; one alpha per channel
    "prelu": (lambda x: tf.nn.relu(x) + tf.nn.relu(-x) * (-PRELU_ALPHA), 1, (-3.0, 2.0)),
    "l2_normalization": (lambda x: tf.math.l2_normalize(x, axis=-1), 1, (-2.0, 3.0)),
    "split": (lambda x: tf.split(x, 4, axis=1), 1, (-2.0, 2.0)),
    "split_v": (lambda x: tf.split(x, [16, 8, 40], axis=-1), 1, (-2.0, 2.0)),
    "transpose_conv": (
        lambda x: _transpose_conv(x, 6, 3, 2, "SAME", (10, 10), bias=True, relu=True),
        1,
        (-2, 2),
    ),
    "transpose_conv_valid": (lambda x: _transpose_conv(x, 5, 2, 2, "VALID", (8, 8)), 1, (-2.0, 2.0)),
    "strided_slice": (lambda x: x[:, 60:3:-2], 1, (-2.0, 2.0)),
    "strided_slice_shrink": (lambda x: x[0, 1::3], 1, (-2.0, 2.0)),
    "slice": (lambda x: tf.slice(x, [0, 5], [1, 40]), 1, (-2.0, 2.0)),
    "pack": (lambda a, b, c: tf.stack([a, b, c], axis=1), 3, (-2.0, 2.0)),
    "unpack": (lambda x: tf.unstack(x, axis=1), 1, (-2.0, 2.0)),
    "resize_bilinear": (lambda x: tf.compat.v1.image.resize_bilinear(x, [11, 7]), 1, (-2.0, 2.0)),
    "resize_bilinear_align": (
        lambda x: tf.compat.v1.image.resize_bilinear(x, [3, 9], align_corners=True),
        1,
        (-2.0, 2.0),
    ),
    "resize_bilinear_half": (
        lambda x: tf.compat.v1.image.resize_bilinear(x, [13, 4], half_pixel_centers=True),
        1,
        (-2.0, 2.0),
    ),
    "resize_nearest": (lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, [11, 7]), 1, (-2.0, 2.0)),
    "resize_nearest_align": (
        lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, [3, 9], align_corners=True),
        1,
        (-2.0, 2.0),
    ),
    "resize_nearest_half": (
        lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, [13, 4], half_pixel_centers=True),
        1,
        (-2.0, 2.0),
    ),
    # params and int32 ids both inputs; a negative axis; a constant table looked up by ids (embedding)
    "gather": (lambda p, i: tf.gather(p, i), 2, (-2.0, 2.0)),
    "gather_axis": (lambda p, i: tf.gather(p, i, axis=-2), 2, (-2.0, 2.0)),
    "gather_embedding": (lambda i: tf.nn.embedding_lookup(EMBEDDING, i), 1, (-2.0, 2.0)),
    "sum": (lambda x: tf.reduce_sum(x, axis=[1, 2]), 1, (-2.0, 2.0)),
    "sum_keep_dims": (lambda x: tf.reduce_sum(x, axis=-1, keepdims=True), 1, (-2.0, 2.0)),
    "reduce_max": (lambda x: tf.reduce_max(x, axis=[0, 2]), 1, (-2.0, 2.0)),
    "reduce_max_keep_dims": (lambda x: tf.reduce_max(x, axis=-1, keepdims=True), 1, (-2.0, 2.0)),
    "arg_max": (lambda x: tf.argmax(x, axis=1, output_type=tf.int32), 1, (-2.0, 2.0)),
    "arg_min": (lambda x: tf.argmin(x, axis=-1, output_type=tf.int32), 1, (-2.0, 2.0)),
    "arg_max_int64": (lambda x: tf.argmax(x, axis=0), 1, (-2.0, 2.0)),  # TF's default output_type
}
# int32 inputs (ids): op name -> {input position: ids drawn from [0, bound)}
INT_INPUTS: dict[str, dict[int, int]] = {
    "gather": {1: 16},
    "gather_axis": {1: 6},
    "gather_embedding": {0: 32},
}


def _transpose_conv(x, out_c: int, k: int, stride: int, padding: str, out_hw, bias=False, relu=False):
    """tf.nn.conv2d_transpose by a seeded constant filter [k, k, out_c, in_c] (and bias, Relu: the converter
    fuses them into TRANSPOSE_CONV)."""
    rng = np.random.default_rng(11)
    w = tf.constant((0.4 * rng.standard_normal((k, k, out_c, x.shape[-1]))).astype(np.float32))
    y = tf.nn.conv2d_transpose(x, w, [x.shape[0], *out_hw, out_c], [1, stride, stride, 1], padding)
    if bias:
        y = tf.nn.bias_add(y, tf.constant((0.3 * rng.standard_normal(out_c)).astype(np.float32)))
    return tf.nn.relu(y) if relu else y


# input shapes of the ops that do not take [1, 64] inputs
SHAPES: dict[str, list[list[int]]] = {
    "batch_matmul": [[2, 3, 6, 8], [1, 3, 5, 8]],  # a batch dim broadcast, adj_y
    "batch_matmul_adj_x": [[3, 8, 6], [3, 8, 5]],
    "unpack": [[2, 4, 8]],
    "sum": [[2, 3, 4, 5]],
    "sum_keep_dims": [[3, 64]],
    "reduce_max": [[2, 3, 4, 5]],
    "reduce_max_keep_dims": [[3, 64]],
    "arg_max": [[3, 64]],
    "arg_min": [[2, 5, 7]],
    "arg_max_int64": [[6, 10]],
    "transpose_conv": [[1, 5, 5, 4]],
    "transpose_conv_valid": [[1, 4, 4, 3]],
    **{f"resize_{m}{v}": [[2, 5, 6, 3]] for m in ("bilinear", "nearest") for v in ("", "_align", "_half")},
    "gather": [[16, 8], [1, 5]],
    "gather_axis": [[2, 6, 4], [3]],
    "gather_embedding": [[1, 6]],
}


def _dataset(shapes: list[list[int]], low: float, high: float, seed: int, ints: dict[int, int]) -> Callable:
    def gen():
        rng = np.random.default_rng(seed)
        for _ in range(SAMPLES):
            yield [
                rng.integers(0, ints[k], size=shape).astype(np.int32)
                if k in ints
                else rng.uniform(low, high, size=shape).astype(np.float32)
                for k, shape in enumerate(shapes)
            ]

    return gen


def convert(name: str, int8: bool) -> bytes:
    """The float32 or full-integer int8 ``.tflite`` bytes of op ``name``."""
    fn, n_inputs, (low, high) = OPS[name]
    shapes = SHAPES.get(name, [SHAPE] * n_inputs)
    ints = INT_INPUTS.get(name, {})
    spec = [
        tf.TensorSpec(shape, tf.int32 if i in ints else tf.float32, name=f"x{i}")
        for i, shape in enumerate(shapes)
    ]
    model = tf.function(lambda *xs: fn(*xs), input_signature=spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([model.get_concrete_function()], model)
    if int8:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _dataset(shapes, low, high, 7, ints)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="tests/fixtures/tflite")
    parser.add_argument("--only", nargs="*", default=None, help="op names (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(OPS):
        for int8 in (False, True):
            path = out / f"ops_{name}{'_int8' if int8 else ''}.tflite"
            try:
                data = convert(name, int8)
            except Exception as e:  # the converter's refusal (no int8 kernel) is reported, not fatal
                print(f"{path}: not written ({type(e).__name__}: {str(e).splitlines()[0][:100]})")
                continue
            path.write_bytes(data)
            print(f"{path}: {len(data)} bytes")


if __name__ == "__main__":
    main()
