"""Weight regularizers: ``reg(weights) -> scalar Tensor`` added to the ``REGULARIZATION_LOSSES`` collection.

Layers call :func:`apply_regularization` on their kernels when given ``kernel_regularizer=``; the training
loss then adds :func:`get_regularization_loss`::

    >>> import trainer as tf
    >>> x = tf.placeholder(tf.float32, [None, 4])
    >>> y = tf.layers.Dense(3, kernel_regularizer=tf.regularizers.l2(1e-4))(x)
    >>> loss = tf.reduce_mean(tf.square(y)) + tf.regularizers.get_regularization_loss()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer.dtypes import float32
from trainer.errors import InvalidArgumentError
from trainer.graph import GraphKeys, add_to_collection, get_collection, name_scope
from trainer.ops.array_ops import constant
from trainer.ops.math_ops import abs as abs_
from trainer.ops.math_ops import add_n, multiply, reduce_sum, square

Regularizer = Callable[[Any], Any]


class L2:
    """``scale * sum(w ** 2)`` (the Keras form; TF1's :func:`l2_regularizer` is half of it)."""

    def __init__(self, scale: float = 0.01) -> None:
        if scale < 0:
            raise InvalidArgumentError(f"L2 regularizer: scale must be >= 0, got {scale}")
        self.scale = float(scale)

    def __call__(self, weights: Any) -> Any:
        return multiply(constant(self.scale, dtype=weights.dtype), reduce_sum(square(weights)))

    def __repr__(self) -> str:
        return f"L2(scale={self.scale})"


class L1:
    """``scale * sum(|w|)`` (TF1 ``tf.contrib.layers.l1_regularizer``, Keras ``l1``)."""

    def __init__(self, scale: float = 0.01) -> None:
        if scale < 0:
            raise InvalidArgumentError(f"L1 regularizer: scale must be >= 0, got {scale}")
        self.scale = float(scale)

    def __call__(self, weights: Any) -> Any:
        return multiply(constant(self.scale, dtype=weights.dtype), reduce_sum(abs_(weights)))

    def __repr__(self) -> str:
        return f"L1(scale={self.scale})"


def l1(scale: float = 0.01) -> L1:
    return L1(scale)


def l1_regularizer(scale: float) -> Regularizer:
    """TF1 ``tf.contrib.layers.l1_regularizer``: ``scale * sum(|w|)``."""
    return L1(scale)


def l2(scale: float = 0.01) -> L2:
    return L2(scale)


def l2_regularizer(scale: float) -> Regularizer:
    """TF1 ``tf.contrib.layers.l2_regularizer``: ``scale * tf.nn.l2_loss(w) = scale * sum(w ** 2) / 2``."""
    return L2(scale / 2.0)


def apply_regularization(regularizer: Regularizer | None, weights: Any) -> Any | None:
    """Build ``regularizer(weights)`` and add it to ``REGULARIZATION_LOSSES``; returns it (or None)."""
    if regularizer is None:
        return None
    with name_scope("Regularizer"):
        loss = regularizer(weights)
    add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return loss


def get_regularization_losses(scope: str | None = None) -> list[Any]:
    return list(get_collection(GraphKeys.REGULARIZATION_LOSSES, scope))


def get_regularization_loss(scope: str | None = None, name: str = "total_regularization_loss") -> Any:
    """Sum of the ``REGULARIZATION_LOSSES`` collection (a constant 0.0 when it is empty)."""
    losses = get_regularization_losses(scope)
    if not losses:
        return constant(0.0, dtype=float32, name=name)
    return add_n(losses, name=name)
