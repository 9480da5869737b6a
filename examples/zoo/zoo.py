"""The edge model zoo: every small-model family of issue #15, built with ``tf.layers.blocks`` (TF1 style),
trained a few steps on generated data (fixed seed), frozen, exported float32 and int8, run on the C runtime
(pyruntime) and compared with the trainer. See docs/zoo.md.

    .venv/bin/python examples/zoo/zoo.py            # every family whose runtime ops exist, full size
    .venv/bin/python examples/zoo/zoo.py --family resnet8 --family ds_cnn --size tiny --out /tmp/zoo

Per family it prints and writes to ``<out>/<family>.json``: parameters, float and int8 model bytes, arena
bytes, trainer vs C float max relative difference (``max|c - trainer| / max|trainer|``), whether the int8
C outputs equal the numpy reference of the runtime's integer arithmetic (``trainer.quantize.reference_run``)
byte for byte, and int8 vs float agreement on held-out inputs: the argmax agreement for classifiers, the SQNR
(dB) for regression outputs. The models go to ``<out>/<family>_float.tlm`` and ``<family>_int8.tlm``.

``--size full`` builds the issue's sizes (MobileNetV2-0.35 and MobileNetV3-Small-0.5 at 96x96x3, ResNet-8 at
32x32x3, ...); ``--size tiny`` the same graphs narrower, smaller and with fewer steps (the zoo test's).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
try:
    import trainer as tf
except ImportError:  # a source checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))
    import trainer as tf
from trainer.layers import blocks  # noqa: E402
from trainer.lite import Converter, Optimize  # noqa: E402
from trainer.quant.kernels_int8 import quantize  # noqa: E402

FULL, TINY = "full", "tiny"
# batch norm's moving-average momentum: the tiny runs train a few steps, so their averages must move fast
MOMENTUM = {FULL: 0.8, TINY: 0.6}
CALIBRATION_TINY = 32  # representative inputs of the tiny runs (the full ones use 100)


@dataclass
class Family:
    """One row of the zoo: how to make its data and its graph, and what it needs of the runtime."""

    name: str
    title: str
    shape: str  # the input, as the issue's table gives it
    needs: tuple[str, ...]  # runtime ops beyond the ones every build had before issue #15's
    task: str  # "classify": argmax agreement; "regress": SQNR
    data: Callable[[np.random.Generator, int, str], tuple[np.ndarray, np.ndarray]]
    build: Callable[[Any, Any, str], tuple[list[Any], Any, Any]]  # (x, training, size) -> outputs, loss, y
    steps: dict[str, int] = field(default_factory=lambda: {FULL: 60, TINY: 20})
    lr: float = 3e-3
    # a transformer or recurrent model sums long chains in float32: the issue's looser bound for them
    float_tolerance: float = 1e-5


# ---- generated data ------------------------------------------------------------------------------------
def _smooth_templates(rng: np.random.Generator, k: int, shape: tuple[int, ...], cells: int = 4) -> np.ndarray:
    """``k`` smooth random patterns of ``shape`` (h, w, c): a ``cells`` x ``cells`` grid, upsampled."""
    h, w, c = shape
    grid = rng.standard_normal((k, cells, cells, c)).astype(np.float32)
    rows = np.minimum(np.arange(h) * cells // h, cells - 1)
    cols = np.minimum(np.arange(w) * cells // w, cells - 1)
    return grid[:, rows][:, :, cols]


def image_classes(shape: tuple[int, int, int], classes: int, noise: float = 0.6):
    """Classification data: each class a smooth template (seeded by the family, not the split) plus noise."""

    def make(rng: np.random.Generator, n: int, size: str) -> tuple[np.ndarray, np.ndarray]:
        templates = _smooth_templates(np.random.default_rng(1234), classes, shape)
        y = rng.integers(0, classes, n)
        x = templates[y] + noise * rng.standard_normal((n, *shape)).astype(np.float32)
        return x.astype(np.float32), y.astype(np.int64)

    return make


BLOBS = 4


def blob_images(shape: tuple[int, int, int]):
    """Regression data for the autoencoders: ``BLOBS`` Gaussian blobs per image; the target is the image."""

    def make(rng: np.random.Generator, n: int, size: str) -> tuple[np.ndarray, np.ndarray]:
        h, w, _ = shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        x = np.zeros((n, h, w, 1), np.float32)
        for _ in range(BLOBS):
            cy, cx = rng.uniform(0, h, n), rng.uniform(0, w, n)
            r = rng.uniform(2, h / 4, n)
            amp = rng.uniform(0.3, 1.0, n)
            d2 = (yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2
            x[..., 0] += (amp[:, None, None] * np.exp(-d2 / (2 * r[:, None, None] ** 2))).astype(np.float32)
        x /= x.max(axis=(1, 2, 3), keepdims=True)  # peak 1: held-out images stay in the calibrated range
        return x, x.copy()

    return make


def square_scenes(shape: tuple[int, int, int], classes: int):
    """Detection data: one filled square per image, its class the channel it lights; the target is
    ``[cy, cx, h, w, one-hot class]`` (relative coordinates)."""

    def make(rng: np.random.Generator, n: int, size: str) -> tuple[np.ndarray, np.ndarray]:
        h, w, c = shape
        x = (0.1 * rng.standard_normal((n, h, w, c))).astype(np.float32)
        y = np.zeros((n, 4 + classes), np.float32)
        for i in range(n):
            s = int(rng.integers(h // 6, h // 2))
            top, left = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
            k = int(rng.integers(0, classes))
            x[i, top : top + s, left : left + s, k % c] += 1.0
            y[i, :4] = [(top + s / 2) / h, (left + s / 2) / w, s / h, s / w]
            y[i, 4 + k] = 1.0
        return x, y

    return make


def token_classes(tokens: int, vocab: int, classes: int):
    """Text data: token ids; each class has 4 keyword tokens, a quarter of every sequence are its keywords."""

    def make(rng: np.random.Generator, n: int, size: str) -> tuple[np.ndarray, np.ndarray]:
        keywords = np.random.default_rng(4321).permutation(vocab)[: classes * 4].reshape(classes, 4)
        y = rng.integers(0, classes, n)
        x = rng.integers(0, vocab, (n, tokens))
        mask = rng.random((n, tokens)) < 0.25
        picks = keywords[y][np.arange(n)[:, None], rng.integers(0, 4, (n, tokens))]
        return np.where(mask, picks, x).astype(np.int32), y.astype(np.int64)

    return make


def wave_classes(steps: int, features: int, classes: int):
    """Sequence data: per class a frequency (0.75 to 3 cycles per sequence) and fixed per-feature phases; each
    example jitters the phases and adds noise."""

    def make(rng: np.random.Generator, n: int, size: str) -> tuple[np.ndarray, np.ndarray]:
        phases = np.random.default_rng(99).uniform(0, 2 * np.pi, (classes, features))
        y = rng.integers(0, classes, n)
        freq = 0.75 * (1.0 + y) / steps
        t = np.arange(steps, dtype=np.float32)
        phase = phases[y][:, None, :] + rng.normal(0, 0.3, (n, 1, features))
        x = np.sin(2 * np.pi * freq[:, None, None] * t[None, :, None] + phase)
        x += 0.3 * rng.standard_normal((n, steps, features))
        return x.astype(np.float32), y.astype(np.int64)

    return make


# ---- models -----------------------------------------------------------------------------------------------
def _classify_head(h: Any, classes: int) -> Any:
    """Global average pooling and a dense layer: the logits."""
    return tf.layers.dense(tf.reduce_mean(h, axis=[1, 2]), classes, name="logits")


def _xent(logits: Any) -> tuple[Any, Any]:
    y = tf.placeholder(tf.int64, [None], name="labels")
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)), y


def _conv_bn_relu(
    x: Any, filters: int, k: Any, stride: int, training: Any, size: str, act: Any = tf.nn.relu
) -> Any:
    h = tf.layers.conv2d(x, filters, k, stride, padding="same", use_bias=False)
    return act(tf.layers.batch_normalization(h, momentum=MOMENTUM[size], training=training))


def _width(base: float, alpha: float, divisor: int = 8) -> int:
    """MobileNet's channel rounding: ``base * alpha`` to a multiple of ``divisor`` (at least ``divisor``)."""
    v = base * alpha
    return max(divisor, int(v + divisor / 2) // divisor * divisor)


def mobilenet_v2(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """MobileNetV2-0.35 (full: the paper's 17 inverted residuals, t, c, n, s as published; tiny: 4 blocks)."""
    alpha = 0.35
    # (expansion t, channels c, repeats n, stride s)
    table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
             (6, 320, 1, 1)]  # fmt: skip
    if size == TINY:
        table = [(1, 16, 1, 1), (3, 24, 1, 2), (3, 32, 2, 2)]
    h = _conv_bn_relu(x, _width(32, alpha), 3, 2, training, size, tf.nn.relu6)
    for t, c, n, s in table:
        for i in range(n):
            h = blocks.inverted_residual(h, _width(c, alpha), t, s if i == 0 else 1, training=training,
                                         momentum=MOMENTUM[size])  # fmt: skip
    last = 1280 if size == FULL else 64
    h = _conv_bn_relu(h, last, 1, 1, training, size, tf.nn.relu6)
    logits = _classify_head(h, 4)
    loss, y = _xent(logits)
    return [logits], loss, y


def mobilenet_v3_small(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """MobileNetV3-Small-0.5 (full: the paper's 11 bnecks, kernel, expansion, channels, SE, activation and
    stride as published, widths x 0.5; tiny: 4 of them)."""
    alpha = 0.5
    hs, re = blocks.hard_swish, tf.nn.relu
    # (kernel, expanded, out, squeeze-excite, activation, stride)
    table = [(3, 16, 16, True, re, 2), (3, 72, 24, False, re, 2), (3, 88, 24, False, re, 1),
             (5, 96, 40, True, hs, 2), (5, 240, 40, True, hs, 1), (5, 240, 40, True, hs, 1),
             (5, 120, 48, True, hs, 1), (5, 144, 48, True, hs, 1), (5, 288, 96, True, hs, 2),
             (5, 576, 96, True, hs, 1), (5, 576, 96, True, hs, 1)]  # fmt: skip
    if size == TINY:
        table = [table[0], table[1], table[3], table[6]]
    h = _conv_bn_relu(x, 16, 3, 2, training, size, hs)
    for k, e, c, se, act, s in table:
        h = blocks.mobilenet_v3_block(h, _width(c, alpha), _width(e, alpha), k, s, 0.25 if se else None, act,
                                      training=training, momentum=MOMENTUM[size])  # fmt: skip
    h = _conv_bn_relu(h, _width(576, alpha), 1, 1, training, size, hs)
    h = tf.reduce_mean(h, axis=[1, 2], keepdims=True)
    h = hs(tf.layers.conv2d(h, 1024 if size == FULL else 64, 1, name="head"))
    logits = tf.layers.dense(tf.layers.flatten(h), 4, name="logits")
    loss, y = _xent(logits)
    return [logits], loss, y


def resnet8(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """ResNet-8 (MLPerf Tiny's image classifier): a 3x3 stem and three basic blocks of 16, 32, 64 channels
    (tiny: 8, 16, 16)."""
    widths = (16, 32, 64) if size == FULL else (8, 16, 16)
    h = _conv_bn_relu(x, widths[0], 3, 1, training, size)
    for i, w in enumerate(widths):
        h = blocks.resnet_basic_block(h, w, 1 if i == 0 else 2, training=training, momentum=MOMENTUM[size])
    logits = _classify_head(h, 10 if size == FULL else 4)
    loss, y = _xent(logits)
    return [logits], loss, y


def ds_cnn(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """DS-CNN keyword spotter (MLPerf Tiny's): a 10x4 stride-2 convolution, four depthwise-separable blocks
    of 64 channels (tiny: two of 16)."""
    width, n = (64, 4) if size == FULL else (16, 2)
    h = _conv_bn_relu(x, width, (10, 4), 2, training, size)
    for _ in range(n):
        h = blocks.ds_conv_block(h, width, training=training, momentum=MOMENTUM[size])
    logits = _classify_head(h, 12 if size == FULL else 4)
    loss, y = _xent(logits)
    return [logits], loss, y


def unet(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """A tiny U-Net autoencoder: two stride-2 encoder convolutions, x2 nearest-neighbour upsampling
    (``upsample2d``'s default: one ResizeNearestNeighbor) with the skip connections concatenated, a linear
    1-channel output."""
    w = 16 if size == FULL else 8
    e1 = _conv_bn_relu(x, w, 3, 1, training, size)  # 32x32
    e2 = _conv_bn_relu(e1, 2 * w, 3, 2, training, size)  # 16x16
    b = _conv_bn_relu(e2, 2 * w, 3, 2, training, size)  # 8x8
    d2 = _conv_bn_relu(tf.concat([blocks.upsample2d(b), e2], axis=3), 2 * w, 3, 1, training, size)
    d1 = _conv_bn_relu(tf.concat([blocks.upsample2d(d2), e1], axis=3), w, 3, 1, training, size)
    out = tf.layers.conv2d(d1, 1, 3, padding="same", name="reconstruction")
    y = tf.placeholder(tf.float32, x.shape.as_list(), name="target")
    return [out], tf.reduce_mean(tf.square(out - y)), y


def conv_autoencoder(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """A convolutional autoencoder whose decoder upsamples with ``conv2d_transpose`` (TransposeConv)."""
    w = 16 if size == FULL else 8
    h = _conv_bn_relu(x, w, 3, 2, training, size)  # 16x16
    h = _conv_bn_relu(h, 2 * w, 3, 2, training, size)  # 8x8
    h = tf.nn.relu(blocks.upsample2d(h, 2, "transpose", filters=w, name="up1"))  # 16x16
    h = tf.nn.relu(blocks.upsample2d(h, 2, "transpose", filters=w, name="up2"))  # 32x32
    out = tf.layers.conv2d(h, 1, 3, padding="same", name="reconstruction")
    y = tf.placeholder(tf.float32, x.shape.as_list(), name="target")
    return [out], tf.reduce_mean(tf.square(out - y)), y


DETECT_CLASSES = 3
BOX_VARIANCE = 0.2


def detection_head(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """SSD-lite-style: a small backbone, box-and-class predictions (one 1x1 conv each level, 4 + classes
    channels per anchor) on an 8x8 and a 4x4 map, each reshaped to ``[N, anchors, 4 + classes]``,
    concatenated over anchors, split into boxes and class logits; outputs boxes and sigmoid scores.
    Every anchor is trained to predict the one object's box and class (a deliberately simple target)."""
    w = 16 if size == FULL else 8
    h = _conv_bn_relu(x, w, 3, 2, training, size)  # 16
    f8 = _conv_bn_relu(h, 2 * w, 3, 2, training, size)  # 8
    f4 = _conv_bn_relu(f8, 2 * w, 3, 2, training, size)  # 4
    per = 4 + DETECT_CLASSES
    levels = []
    for name, f in (("head8", f8), ("head4", f4)):
        n = f.shape.as_list()[1] * f.shape.as_list()[2]
        levels.append(tf.reshape(tf.layers.conv2d(f, per, 1, name=name), [-1, n, per]))
    pred = tf.concat(levels, axis=1)  # [N, 80, 4 + classes]
    encoded, class_logits = tf.split(pred, [4, DETECT_CLASSES], axis=2)
    # SSD's box variance: the head predicts boxes / BOX_VARIANCE, so boxes and class logits have closer ranges
    # in the one int8 scale they share before the Split
    boxes = encoded * BOX_VARIANCE
    scores = tf.sigmoid(class_logits)
    y = tf.placeholder(tf.float32, [None, per], name="target")
    target = tf.expand_dims(y, 1)
    box_loss = tf.reduce_mean(tf.square(boxes - target[:, :, :4]))
    labels = target[:, :, 4:] + tf.zeros_like(class_logits)
    cls_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=class_logits))
    return [boxes, scores], box_loss + cls_loss, y


TEXT_VOCAB, TEXT_TOKENS = 256, 32


def text_classifier(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """Token ids -> ``tf.nn.embedding_lookup`` (Gather) -> mean over tokens -> dense ReLU -> logits."""
    dim = 32 if size == FULL else 8
    table = tf.get_variable("embedding", [TEXT_VOCAB, dim], initializer=tf.random_normal_initializer(0, 0.5))
    h = tf.reduce_mean(tf.nn.embedding_lookup(table, x), axis=1)
    h = tf.layers.dense(h, dim, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(h, 4, name="logits")
    loss, y = _xent(logits)
    return [logits], loss, y


def _recurrent(cell: Any, x: Any) -> tuple[list[Any], Any, Any]:
    steps = x.shape.as_list()[1]
    outputs, _ = tf.nn.static_rnn(cell, tf.unstack(x, steps, axis=1), dtype=tf.float32)
    logits = tf.layers.dense(outputs[-1], 4, name="logits")
    loss, y = _xent(logits)
    return [logits], loss, y


def lstm(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """``tf.nn.static_rnn`` over ``tf.nn.rnn_cell.LSTMCell`` (unrolled), dense on the last output."""
    return _recurrent(tf.nn.rnn_cell.LSTMCell(32 if size == FULL else 8), x)


def gru(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """``tf.nn.static_rnn`` over ``tf.nn.rnn_cell.GRUCell`` (unrolled), dense on the last output."""
    return _recurrent(tf.nn.rnn_cell.GRUCell(32 if size == FULL else 8), x)


def transformer(x: Any, training: Any, size: str) -> tuple[list[Any], Any, Any]:
    """A tiny encoder (full: 2 layers, 4 heads, 64 wide, 32 tokens; tiny: 1 layer, 2 heads, 16 wide, 8
    tokens): a dense input projection plus a learned position embedding, post-norm encoder layers
    (``tf.layers.blocks.transformer_encoder_layer``: attention, LayerNorm, GELU), mean over tokens, logits."""
    layers, heads, width = (2, 4, 64) if size == FULL else (1, 2, 16)
    tokens = x.shape.as_list()[1]
    pos = tf.get_variable("position", [tokens, width], initializer=tf.random_normal_initializer(0, 0.1))
    h = tf.layers.dense(x, width, name="embed") + pos
    for i in range(layers):
        # layer norm epsilon 1e-3 (Keras's), not BERT's 1e-12: the int8 Add of 1e-12 to the variance would
        # need a requantization shift below -31, which the int8 kernels (TFLite's) refuse
        h = blocks.transformer_encoder_layer(h, heads, 2 * width, norm_epsilon=1e-3, name=f"layer{i}")
    logits = tf.layers.dense(tf.reduce_mean(h, axis=1), 4, name="logits")
    loss, y = _xent(logits)
    return [logits], loss, y


def _sizes(full: tuple[int, ...], tiny: tuple[int, ...]) -> Callable[[str], tuple[int, ...]]:
    return lambda size: full if size == FULL else tiny


def _families() -> dict[str, tuple[Family, Callable[[str], tuple[int, ...]]]]:
    img96 = _sizes((96, 96, 3), (32, 32, 3))
    img32 = _sizes((32, 32, 3), (16, 16, 3))
    gray32 = _sizes((32, 32, 1), (16, 16, 1))
    fams = [
        (Family("mobilenet_v2", "MobileNetV2-0.35", "96x96x3", (), "classify",
                lambda r, n, s: image_classes(img96(s), 4)(r, n, s), mobilenet_v2), img96),
        (Family("mobilenet_v3", "MobileNetV3-Small-0.5", "96x96x3", ("HardSwish",), "classify",
                lambda r, n, s: image_classes(img96(s), 4)(r, n, s), mobilenet_v3_small), img96),
        (Family("resnet8", "ResNet-8", "32x32x3", (), "classify",
                lambda r, n, s: image_classes(img32(s), 10 if s == FULL else 4)(r, n, s), resnet8), img32),
        (Family("ds_cnn", "DS-CNN keyword spotting", "49x10x1", (), "classify",
                lambda r, n, s: image_classes((49, 10, 1), 12 if s == FULL else 4)(r, n, s), ds_cnn),
         _sizes((49, 10, 1), (49, 10, 1))),
        (Family("unet", "tiny U-Net (resize + Concatenation)", "32x32x1", (), "regress",
                lambda r, n, s: blob_images(gray32(s))(r, n, s), unet, lr=1e-2), gray32),
        (Family("autoencoder", "conv autoencoder (TransposeConv)", "32x32x1", ("TransposeConv",), "regress",
                lambda r, n, s: blob_images(gray32(s))(r, n, s), conv_autoencoder, lr=1e-2), gray32),
        (Family("detection", "SSD-lite-style detection head", "32x32x3", ("Split",), "regress",
                lambda r, n, s: square_scenes((32, 32, 3), DETECT_CLASSES)(r, n, s), detection_head,
                lr=1e-2),
         _sizes((32, 32, 3), (32, 32, 3))),
        (Family("text", "text classifier (embedding, pooling, dense)", f"{TEXT_TOKENS} token ids",
                ("Gather",), "classify", lambda r, n, s: token_classes(TEXT_TOKENS, TEXT_VOCAB, 4)(r, n, s),
                text_classifier, lr=3e-2), _sizes((TEXT_TOKENS,), (TEXT_TOKENS,))),
        (Family("lstm", "LSTM sequence classifier", "50x16", (), "classify",
                lambda r, n, s: wave_classes(50 if s == FULL else 10, 16, 4)(r, n, s), lstm, lr=1e-2,
                float_tolerance=1e-4), _sizes((50, 16), (10, 16))),
        (Family("gru", "GRU sequence classifier", "50x16", (), "classify",
                lambda r, n, s: wave_classes(50 if s == FULL else 10, 16, 4)(r, n, s), gru, lr=1e-2,
                float_tolerance=1e-4), _sizes((50, 16), (10, 16))),
        (Family("transformer", "tiny transformer encoder (2 layers, 4 heads, 64 wide)", "32 tokens",
                ("BatchMatMul", "Gelu"),
                "classify", lambda r, n, s: wave_classes(32 if s == FULL else 8, 16, 4)(r, n, s), transformer,
                lr=1e-2, float_tolerance=1e-4), _sizes((32, 16), (8, 16))),
    ]  # fmt: skip
    return {f.name: (f, shape) for f, shape in fams}


FAMILIES = _families()


def missing_ops(family: Family) -> list[str]:
    """The runtime ops ``family`` needs that this tree does not have (empty: it runs); for the text classifier
    also the converter's support of int32 model inputs (token ids), probed on a one-Gather graph."""
    from trainer.runtime_ops import OPS

    missing = [op for op in family.needs if op not in OPS]
    if not missing and family.name == "text" and not _int32_inputs_export():
        missing.append("int32 model inputs (trainer.lite refuses them)")
    return missing


def _int32_inputs_export() -> bool:
    """Whether trainer.lite converts a graph whose input is int32 ids (an embedding lookup)."""
    from trainer.lite import UnsupportedError

    g = tf.Graph()
    with g.as_default():
        ids = tf.placeholder(tf.int32, [None, 4])
        y = tf.nn.embedding_lookup(tf.constant(np.ones((8, 2), np.float32)), ids)
    try:
        Converter.from_frozen_graph(g, [ids], [y]).convert()
    except UnsupportedError:
        return False
    return True


# ---- the pipeline ---------------------------------------------------------------------------------------
def run_tlm(model: bytes, x: np.ndarray) -> list[np.ndarray]:
    """Every output of ``model`` (batch 1) on pyruntime for each row of ``x``, stacked per output."""
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model)
    rows = [interp.run(x[i : i + 1]) for i in range(len(x))]
    return [np.concatenate([r[k] for r in rows]) for k in range(len(rows[0]))]


def io_quantization(model: bytes) -> tuple[list[tuple[float, int] | None], list[tuple[float, int]], int]:
    """(scale, zero point) of each input (None for one that is not int8) and each output of ``model``, and its
    planned arena bytes."""
    from trainer.tlm import read_model

    info = read_model(model)

    def qp(t: int) -> tuple[float, int] | None:
        q = info.tensors[t].quantization
        return (float(q.scale[0]), int(q.zero_point[0])) if q is not None and len(q.scale) else None

    ins, outs = [qp(t) for t in info.inputs], [qp(t) for t in info.outputs]
    return ins, outs, int(info.metadata.arena_bytes)  # type: ignore[return-value]


def sqnr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """``10 log10(sum ref^2 / sum (ref - test)^2)`` (inf when equal)."""
    noise = float(np.sum((reference.astype(np.float64) - test) ** 2))
    signal = float(np.sum(reference.astype(np.float64) ** 2))
    return math.inf if noise == 0 else 10 * math.log10(signal / noise)


def max_rel_diff(reference: np.ndarray, test: np.ndarray) -> float:
    """``max|test - reference| / max|reference|``: the repo's float parity measure."""
    return float(np.max(np.abs(test.astype(np.float64) - reference)) / max(np.max(np.abs(reference)), 1e-30))


def run_family(
    name: str,
    size: str = FULL,
    steps: int | None = None,
    held_out: int = 200,
    exact_rows: int = 4,
    seed: int = 0,
    out: Path | None = None,
) -> dict[str, Any]:
    """Build, train, export and check one family; returns its row (numbers) and, under ``"_models"``, the
    models and arrays the checks used."""
    family, input_shape = FAMILIES[name]
    missing = missing_ops(family)
    if missing:
        return {"family": name, "title": family.title, "missing_ops": missing}
    t0 = time.time()
    rng = np.random.default_rng(seed)
    batch = 32 if size == FULL else 16
    steps = family.steps[size] if steps is None else steps
    n_calib = 100 if size == FULL else CALIBRATION_TINY
    xs, ys = family.data(rng, steps * batch + held_out + n_calib, size)
    n_train = steps * batch
    x_train, y_train = xs[:n_train], ys[:n_train]
    x_test, y_test = xs[n_train : n_train + held_out], ys[n_train : n_train + held_out]
    x_calib = xs[n_train + held_out :]

    tf.reset_default_graph()
    tf.set_random_seed(seed)
    dtype = tf.int32 if xs.dtype == np.int32 else tf.float32
    x = tf.placeholder(dtype, [None, *input_shape(size)], name="input")
    training = tf.placeholder_with_default(False, [], name="training")
    outputs, loss, y = family.build(x, training, size)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(family.lr).minimize(loss)
    params = int(sum(np.prod(v.shape.as_list()) for v in tf.trainable_variables()))
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    losses = []
    for i in range(steps):
        sl = slice(i * batch, (i + 1) * batch)
        losses.append(float(sess.run([train_op, loss], {x: x_train[sl], y: y_train[sl], training: True})[1]))
    t_train = time.time() - t0
    want = sess.run(outputs, {x: x_test})

    float_tlm = Converter.from_session(sess, [x], outputs, batch_size=1).convert()
    conv = Converter.from_session(sess, [x], outputs, batch_size=1)
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([x_calib[i : i + 1]] for i in range(len(x_calib)))
    conv.inference_input_type = conv.inference_output_type = tf.int8
    int8_tlm = conv.convert()
    sess.close()

    got = run_tlm(float_tlm, x_test)
    float_diff = max(max_rel_diff(w, g) for w, g in zip(want, got, strict=True))
    (in_q,), out_q, int8_arena = io_quantization(int8_tlm)
    float_arena = io_quantization(float_tlm)[2]
    x_q = x_test if in_q is None else quantize(x_test, *in_q)
    got_q = run_tlm(int8_tlm, x_q)
    from trainer.quantize import reference_run

    rows = [reference_run(int8_tlm, x_q[i : i + 1]) for i in range(min(exact_rows, len(x_q)))]
    ref_q = [np.concatenate([r[k] for r in rows]) for k in range(len(outputs))]
    int8_exact = all(
        r.dtype == g.dtype and np.array_equal(r, g[: len(r)]) for r, g in zip(ref_q, got_q, strict=True)
    )
    deq = [(g.astype(np.float32) - zp) * s for g, (s, zp) in zip(got_q, out_q, strict=True)]
    row: dict[str, Any] = {
        "family": name,
        "title": family.title,
        "shape": family.shape,
        "input": "x".join(str(d) for d in input_shape(size)) + (" ids" if xs.dtype == np.int32 else ""),
        "size": size,
        "params": params,
        "steps": steps,
        "loss_first_last": [losses[0], losses[-1]],
        "float_bytes": len(float_tlm),
        "int8_bytes": len(int8_tlm),
        "arena_bytes_float": float_arena,
        "arena_bytes_int8": int8_arena,
        "float_max_rel_diff": float_diff,
        "float_tolerance": family.float_tolerance,
        "int8_exact_rows": min(exact_rows, len(x_q)),
        "int8_bit_exact": bool(int8_exact),
        "task": family.task,
        "train_seconds": round(t_train, 2),
        "seconds": round(time.time() - t0, 2),
    }
    if family.task == "classify":
        row["int8_argmax_agreement"] = float(np.mean(deq[0].argmax(-1) == want[0].argmax(-1)))
        row["float_accuracy"] = float(np.mean(want[0].argmax(-1) == y_test))
        row["int8_accuracy"] = float(np.mean(deq[0].argmax(-1) == y_test))
    else:
        row["int8_sqnr_db"] = min(sqnr_db(w, d) for w, d in zip(want, deq, strict=True))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}_float.tlm").write_bytes(float_tlm)
        (out / f"{name}_int8.tlm").write_bytes(int8_tlm)
        (out / f"{name}.json").write_text(json.dumps(row, indent=2) + "\n")
    row["_models"] = {"float": float_tlm, "int8": int8_tlm, "int8_inputs": x_q[:exact_rows],
                      "int8_reference": ref_q}  # fmt: skip
    return row


def describe(row: dict[str, Any]) -> str:
    """One line for a family's row."""
    if "missing_ops" in row:
        return f"{row['family']}: not run, the runtime lacks {', '.join(row['missing_ops'])}"
    agree = (
        f"argmax agreement {row['int8_argmax_agreement']:.3f}"
        if "int8_argmax_agreement" in row
        else f"SQNR {row['int8_sqnr_db']:.1f} dB"
    )
    return (
        f"{row['family']}: {row['params']:,} params, float {row['float_bytes']:,} B / int8 "
        f"{row['int8_bytes']:,} B, arena {row['arena_bytes_float']:,} / {row['arena_bytes_int8']:,} B; float "
        f"max rel diff {row['float_max_rel_diff']:.2e}; int8 == reference: {row['int8_bit_exact']}; int8 vs "
        f"float {agree}; "
        f"loss {row['loss_first_last'][0]:.3f} -> {row['loss_first_last'][1]:.3f} in {row['seconds']:.1f} s"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--family", action="append", choices=sorted(FAMILIES), help="repeatable (default: all)")
    p.add_argument("--size", choices=(FULL, TINY), default=FULL)
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the family's)")
    p.add_argument("--held-out", type=int, default=200, help="held-out inputs for the checks (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/zoo", help="output folder (default out/zoo)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    rows = []
    for name in args.family or list(FAMILIES):
        row = run_family(name, args.size, args.steps, args.held_out, seed=args.seed, out=Path(args.out))
        print(describe(row), flush=True)
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
