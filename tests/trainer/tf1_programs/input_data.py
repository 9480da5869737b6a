"""The data loading the TF1 programs here share: TF1's old ``input_data.read_data_sets`` interface over the
MNIST digits bundled with tensorlet (a subset, so the whole suite runs in seconds), and small synthetic sets.

This module is the one part of each program that is not TensorFlow-1 code: it stands in for the tutorials'
download helpers. It needs only numpy and the bundled digits.
"""

from __future__ import annotations

import numpy as np

from trainer.datasets import mnist10k_split


class DataSet:
    """Images ``[n, 784]`` float32 in [0, 1] and labels (one-hot ``[n, 10]`` or class ids); ``next_batch``
    walks through a shuffled order, reshuffling at each epoch, as TF1's tutorial DataSet did."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, seed: int = 0) -> None:
        self.images, self.labels = images, labels
        self.num_examples = len(images)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(self.num_examples)
        self._pos = 0

    def next_batch(self, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        if self._pos + batch_size > self.num_examples:
            self._order, self._pos = self._rng.permutation(self.num_examples), 0
        idx = self._order[self._pos : self._pos + batch_size]
        self._pos += batch_size
        return self.images[idx], self.labels[idx]


class DataSets:
    def __init__(self, train: DataSet, test: DataSet) -> None:
        self.train, self.test, self.validation = train, test, test


def read_data_sets(
    train_dir: str = "",
    one_hot: bool = False,
    num_train: int = 4000,
    num_test: int = 1000,
    image_size: int = 28,
) -> DataSets:
    """MNIST as the TF1 tutorials load it (``train_dir`` is ignored: the digits are bundled).
    ``image_size=14`` gives 2x2-averaged 14x14 digits (196 pixels), four times cheaper for the CNNs."""
    (xtr, ytr), (xte, yte) = mnist10k_split(8000)

    def prep(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        images = x[:n].astype(np.float32) / 255.0
        if image_size == 14:
            images = images.reshape(n, 14, 2, 14, 2).mean(axis=(2, 4))
        elif image_size != 28:
            raise ValueError("image_size must be 28 or 14")
        images = images.reshape(n, image_size * image_size)
        labels = np.eye(10, dtype=np.float32)[y[:n]] if one_hot else y[:n].astype(np.int64)
        return images, labels

    return DataSets(DataSet(*prep(xtr, ytr, num_train)), DataSet(*prep(xte, yte, num_test), seed=1))


def linear_points(n: int = 50, w: float = 0.7, b: float = 1.5, noise: float = 0.2, seed: int = 0):
    """``(x, y)`` with ``y = w * x + b + noise``, x in [0, 10)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    return x, w * x + b + rng.normal(0, noise, n)


def two_spirals(n: int = 200, seed: int = 0):
    """``(x [n, 2] float32, one-hot y [n, 2])``: two interleaved spirals, a task a linear model cannot fit."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1, n)) * 3 * np.pi
    cls = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    x = np.stack([r * np.cos(t + np.pi * cls), r * np.sin(t + np.pi * cls)], 1)
    x += rng.normal(0, 0.02, x.shape)
    return x.astype(np.float32), np.eye(2, dtype=np.float32)[cls]
