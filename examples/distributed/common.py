"""Data and the CNN shared by the distributed examples (MNIST-10k: 8,000 train / 2,000 test digits)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import trainer as tf  # noqa: E402


def parse_args(doc: str, argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64, help="global batch (split over the ranks)")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    p.add_argument("--save", default="", help="checkpoint folder (rank 0 writes it)")
    return p.parse_args(argv)


def load_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    (xt, yt), (xv, yv) = tf.datasets.mnist10k_split()
    prep = lambda a: tf.datasets.normalize(a).reshape(-1, 28, 28, 1)  # noqa: E731
    return prep(xt), yt.astype(np.int32), prep(xv), yv.astype(np.int32)


def conv_layers(x: Any) -> Any:
    """conv3x3x16 - maxpool - conv3x3x32 - maxpool (ReLU, SAME)."""
    h = tf.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(x)
    h = tf.layers.MaxPool2D(2)(h)
    h = tf.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(h)
    return tf.layers.MaxPool2D(2)(h)


def head(h: Any) -> Any:
    """flatten - dense128 - dense10."""
    h = tf.layers.Flatten()(h)
    h = tf.layers.Dense(128, activation="relu", name="fc")(h)
    return tf.layers.Dense(10, name="logits")(h)


def accuracy(
    sess: Any, logits: Any, x: Any, images: np.ndarray, labels: np.ndarray, batch: int = 500
) -> float:
    hits = 0
    for i in range(0, len(images), batch):
        pred = np.argmax(sess.run(logits, {x: images[i : i + batch]}), axis=1)
        hits += int(np.sum(pred == labels[i : i + batch]))
    return hits / len(images)
