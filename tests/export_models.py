"""Small trained models shared by the export tests: an MLP, a CNN and a MobileNet-style net.

Each is trained for a few Adam steps on MNIST-10k (training flag True, so dropout is active and the batch-norm
moving statistics move away from their initial values), then returned with its session. Results are cached
per process, so the test files share them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

import trainer as tf
from trainer import datasets


@dataclass
class Trained:
    name: str
    graph: Any
    sess: Any
    x: Any  # image placeholder, [None, 28, 28, 1] or [None, 784]
    training: Any  # placeholder_with_default(False)
    logits: Any
    flat: bool

    def images(self, xs: np.ndarray) -> np.ndarray:
        return xs.reshape(-1, 784) if self.flat else xs.reshape(-1, 28, 28, 1)

    def predict(self, xs: np.ndarray, batch: int = 500) -> np.ndarray:
        xs = self.images(xs)
        return np.concatenate(
            [self.sess.run(self.logits, {self.x: xs[i : i + batch]}) for i in range(0, len(xs), batch)]
        )


@functools.lru_cache(maxsize=1)
def mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float32 images [N, 28, 28, 1] in [0, 1] and int32 labels: 8,000 train, 2,000 test."""
    (xtr, ytr), (xte, yte) = datasets.mnist10k_split()
    f = lambda a: datasets.normalize(a).reshape(-1, 28, 28, 1).astype(np.float32)  # noqa: E731
    return f(xtr), ytr.astype(np.int32), f(xte), yte.astype(np.int32)


def _mlp(x: Any, training: Any) -> Any:
    net = tf.layers.Sequential(
        [
            tf.layers.Dense(64, activation="relu"),
            tf.layers.Dropout(0.2),
            tf.layers.Dense(32, activation=tf.nn.relu),
            tf.layers.Dense(10),
        ]
    )
    return net(x, training=training)


def _cnn(x: Any, training: Any) -> Any:
    net = tf.layers.Sequential(
        [
            tf.layers.Conv2D(8, 3, padding="same", activation=tf.nn.relu),
            tf.layers.MaxPool2D(2),
            tf.layers.Conv2D(16, 3, padding="valid", activation=tf.nn.relu),
            tf.layers.AveragePool2D(3, strides=2, padding="same"),
            tf.layers.Flatten(),
            tf.layers.Dense(32, activation=tf.nn.relu),
            tf.layers.Dropout(0.3),
            tf.layers.Dense(10),
        ]
    )
    return net(x, training=training)


def _bn_relu6(x: Any, training: Any) -> Any:
    return tf.nn.relu6(tf.layers.BatchNormalization(momentum=0.5)(x, training=training))


def _mobilenet(x: Any, training: Any) -> Any:
    h = tf.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    h = _bn_relu6(h, training)
    for filters, stride, multiplier in ((16, 1, 1), (24, 2, 2)):
        h = tf.layers.DepthwiseConv2D(
            3, strides=stride, padding="same", depth_multiplier=multiplier, use_bias=False
        )(h)
        h = _bn_relu6(h, training)
        h = tf.layers.Conv2D(filters, 1, use_bias=False)(h)
        h = _bn_relu6(h, training)
    h = tf.layers.GlobalAveragePooling2D()(h)
    return tf.layers.Dense(10)(h)


STEPS = {"mlp": 40, "cnn": 20, "mobilenet": 8}
BUILDERS = {"mlp": (_mlp, True), "cnn": (_cnn, False), "mobilenet": (_mobilenet, False)}


@functools.cache
def trained(name: str, steps: int | None = None, seed: int = 0) -> Trained:
    """Model ``name`` ("mlp", "cnn", "mobilenet") after ``steps`` Adam steps of batch 64 (default: a
    per-model count that keeps the tests fast)."""
    build, flat = BUILDERS[name]
    steps = STEPS[name] if steps is None else steps
    xtr, ytr, _, _ = mnist()
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 784] if flat else [None, 28, 28, 1], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        training = tf.placeholder_with_default(False, [], name="training")
        logits = build(x, training)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = tf.train.AdamOptimizer(3e-3).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, len(xtr), 64)
        xb = xtr[idx].reshape(-1, 784) if flat else xtr[idx]
        sess.run(train_op, {x: xb, y: ytr[idx], training: True})
    return Trained(name, graph, sess, x, training, logits, flat)
