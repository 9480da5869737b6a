"""``tf.nn.local_response_normalization`` (``tf.nn.lrn``), the AlexNet-era normalization across channels:

    sqr_sum[..., d] = sum(input[..., d - depth_radius : d + depth_radius + 1] ** 2)
    output = input / (bias + alpha * sqr_sum) ** beta

A composite: the window sum over channels is a product with a constant 0/1 band matrix, so the gradient
(and the second derivative) come from MatMul, Pow and Mul.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.nn.lrn([[[[1.0, 2.0]]]], depth_radius=1, bias=1.0, alpha=1.0, beta=1.0)))
[[[[0.16666667 0.33333334]]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import constant, reshape, shape
from trainer.ops.math_ops import add, matmul, multiply, pow, square


def local_response_normalization(
    input: Any,  # noqa: A002 - the TensorFlow name
    depth_radius: int = 5,
    bias: float = 1.0,
    alpha: float = 1.0,
    beta: float = 0.5,
    name: str | None = None,
) -> Tensor:
    """TF1's LRN over the last axis of a 4-D tensor (its number of channels must be known)."""
    x = convert_to_tensor(input)
    if x.shape.ndims not in (None, 4):
        raise InvalidArgumentError(f"tf.nn.lrn needs a 4-D input, got shape {x.shape}")
    if not x.dtype.is_floating:
        raise InvalidArgumentError(f"tf.nn.lrn needs a floating-point input, got {x.dtype.name}")
    c = x.shape.dims[-1] if x.shape.dims is not None else None
    if c is None:
        raise InvalidArgumentError(f"tf.nn.lrn needs a known number of channels, got shape {x.shape}")
    r = int(depth_radius)
    idx = np.arange(c)
    band = (np.abs(idx[:, None] - idx[None, :]) <= r).astype(x.dtype.np)
    with name_scope(name or "LRN"):
        sqr_sum = reshape(matmul(reshape(square(x), [-1, c]), constant(band, name="window")), shape(x))
        scale = add(multiply(sqr_sum, np.asarray(alpha, x.dtype.np)), np.asarray(bias, x.dtype.np))
        return multiply(x, pow(scale, np.asarray(-beta, x.dtype.np)))


lrn = local_response_normalization
