"""Datasets for the trainer: the bundled MNIST-10k digits, Fashion-MNIST, an IDX reader and batch helpers.

    >>> import trainer as tf
    >>> images, labels = tf.datasets.mnist10k()
    >>> images.shape, labels.dtype
    ((10000, 28, 28), dtype('uint8'))

See :mod:`trainer.datasets.loaders` and :mod:`trainer.datasets.idx`.
"""

from trainer.datasets.loaders import (
    FASHION_CLASSES,
    batches,
    default_cache_dir,
    fashion_mnist,
    mnist10k,
    mnist10k_split,
    normalize,
    num_batches,
    parse_idx,
    read_idx,
    train_test_split,
    write_idx,
)

__all__ = [
    "FASHION_CLASSES",
    "batches",
    "default_cache_dir",
    "fashion_mnist",
    "mnist10k",
    "mnist10k_split",
    "normalize",
    "num_batches",
    "parse_idx",
    "read_idx",
    "train_test_split",
    "write_idx",
]
