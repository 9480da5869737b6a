"""Datasets for the trainer: the bundled MNIST-10k digits, Fashion-MNIST, an IDX reader and batch helpers.

    >>> import trainer as tf
    >>> images, labels = tf.datasets.mnist10k()
    >>> images.shape, labels.dtype
    ((10000, 28, 28), dtype('uint8'))

See :mod:`trainer.datasets.loaders` and :mod:`trainer.datasets.idx`.
"""

from trainer.datasets import loaders
from trainer.datasets.loaders import *  # noqa: F403  (one list of public names: loaders.__all__)

__all__ = list(loaders.__all__)
