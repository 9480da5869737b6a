"""Graphs and data shared by the MPI test scripts and the single-process references in test_mpi.py."""

from __future__ import annotations

import numpy as np

import trainer as tf

BATCH, STEPS = 16, 20


def batches(steps: int = STEPS) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.RandomState(42)
    return [
        (rng.randn(BATCH, 8, 8, 1).astype(np.float32), rng.randint(0, 5, BATCH).astype(np.int32))
        for _ in range(steps)
    ]


def cnn(devices: tuple[str | None, str | None] = (None, None)) -> tuple:
    """Conv layers on ``devices[0]``, the dense head and the loss on ``devices[1]``."""
    tf.set_random_seed(7)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    with tf.device(devices[0]):
        h = tf.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(x)
        h = tf.layers.MaxPool2D(2)(h)
        h = tf.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv2")(h)
    with tf.device(devices[1]):
        h = tf.layers.Flatten()(h)
        h = tf.layers.Dense(12, activation="relu", name="fc")(h)
        logits = tf.layers.Dense(5, name="logits")(h)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    return x, y, loss


def variables_by_name(sess: tf.Session) -> dict[str, np.ndarray]:
    vs = tf.global_variables()
    return {v.op.name: val for v, val in zip(vs, sess.run(vs), strict=True)}
