"""``tf.nn.conv1d``, ``tf.nn.max_pool1d``/``avg_pool1d``, ``tf.nn.atrous_conv2d``,
``tf.nn.separable_conv2d``, ``tf.nn.relu_layer`` and ``tf.nn.weighted_cross_entropy_with_logits``:
composites over the 2-D ops, as TF1 builds them (a 1-D convolution is a 2-D one over a height of 1:
``[N, W, C]`` becomes ``[N, 1, W, C]``, the filter ``[K, C, O]`` becomes ``[1, K, C, O]``).

>>> import trainer as tf
>>> y = tf.nn.conv1d(tf.ones([2, 10, 3]), tf.ones([3, 3, 4]), stride=2, padding="SAME")
>>> y.shape.as_list()
[2, 5, 4]
"""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import expand_dims, squeeze
from trainer.ops.conv_ops import avg_pool, conv2d, depthwise_conv2d, max_pool
from trainer.ops.math_ops import abs as _abs
from trainer.ops.math_ops import add, exp, log, maximum, multiply, negative, subtract
from trainer.ops.nn_ops import relu, xw_plus_b


def _one(v: Any, what: str) -> int:
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) == 3:  # [1, s, 1] as TF accepts
        vals = vals[1:2]
    if len(vals) != 1:
        raise InvalidArgumentError(f"{what} must be an int or [1, {what}, 1], got {v!r}")
    return int(vals[0])


def conv1d(
    value: Any = None,
    filters: Any = None,
    stride: Any = None,
    padding: Any = None,
    use_cudnn_on_gpu: Any = None,
    data_format: Any = None,
    name: str | None = None,
    input: Any = None,  # noqa: A002 - the TensorFlow name
    dilations: Any = None,
) -> Tensor:
    """1-D convolution of ``[batch, width, in]`` with ``[k, in, out]`` filters (``stride``, ``padding``
    'SAME'/'VALID', ``dilations``)."""
    if data_format not in (None, "NWC"):
        raise InvalidArgumentError(f"tf.nn.conv1d: only data_format='NWC' is supported, got {data_format!r}")
    x = convert_to_tensor(value if value is not None else input)
    with name_scope(name or "conv1d"):
        s = _one(stride if stride is not None else 1, "stride")
        d = _one(dilations if dilations is not None else 1, "dilations")
        y = conv2d(
            expand_dims(x, 1),
            expand_dims(convert_to_tensor(filters), 0),
            [1, 1, s, 1],
            padding,
            dilations=[1, 1, d, 1],
        )
        return squeeze(y, [1])


def max_pool1d(
    input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NWC", name: Any = None
):  # noqa: A002
    """Max pooling over windows of ``ksize`` along the width of ``[batch, width, channels]``."""
    with name_scope(name or "MaxPool1d"):
        k, s = _one(ksize, "ksize"), _one(strides, "strides")
        return squeeze(
            max_pool(expand_dims(convert_to_tensor(input), 1), [1, 1, k, 1], [1, 1, s, 1], padding), [1]
        )


def avg_pool1d(
    input: Any, ksize: Any, strides: Any, padding: str, data_format: str = "NWC", name: Any = None
):  # noqa: A002
    """Average pooling over windows of ``ksize`` along the width of ``[batch, width, channels]``."""
    with name_scope(name or "AvgPool1d"):
        k, s = _one(ksize, "ksize"), _one(strides, "strides")
        return squeeze(
            avg_pool(expand_dims(convert_to_tensor(input), 1), [1, 1, k, 1], [1, 1, s, 1], padding), [1]
        )


def atrous_conv2d(value: Any, filters: Any, rate: int, padding: str, name: str | None = None) -> Tensor:
    """A 2-D convolution with holes: ``conv2d`` with ``dilations = rate`` (stride 1)."""
    if int(rate) < 1:
        raise InvalidArgumentError(f"tf.nn.atrous_conv2d: rate must be >= 1, got {rate}")
    return conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, int(rate), int(rate), 1], name=name)


def weighted_cross_entropy_with_logits(
    targets: Any = None,
    logits: Any = None,
    pos_weight: Any = None,
    name: str | None = None,
    labels: Any = None,
) -> Tensor:
    """Sigmoid cross entropy with the positive term weighted by ``pos_weight``:
    ``(1 - z) x + (1 + (q - 1) z) (log(1 + exp(-|x|)) + max(-x, 0))`` (TF1's stable form)."""
    with name_scope(name or "logistic_loss"):
        x = convert_to_tensor(logits)
        z = convert_to_tensor(targets if targets is not None else labels, dtype=x.dtype)
        q = convert_to_tensor(pos_weight, dtype=x.dtype)
        log_weight = add(1.0, multiply(subtract(q, 1.0), z))
        soft = add(log(add(1.0, exp(negative(_abs(x))))), maximum(negative(x), 0.0))
        return add(multiply(subtract(1.0, z), x), multiply(log_weight, soft))


def separable_conv2d(
    input: Any,  # noqa: A002 - the TensorFlow name
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Any,
    padding: str,
    rate: Any = None,
    name: str | None = None,
    data_format: Any = None,
    dilations: Any = None,
) -> Tensor:
    """A depthwise convolution ``[kh, kw, in, m]`` followed by a 1x1 ``[1, 1, in * m, out]`` one."""
    if data_format not in (None, "NHWC"):
        raise InvalidArgumentError(f"tf.nn.separable_conv2d: only NHWC is supported, got {data_format!r}")
    with name_scope(name or "separable_conv2d"):
        d = rate if rate is not None else dilations
        r = None if d is None else [int(v) for v in (d if isinstance(d, (list, tuple)) else [d, d])][-2:]
        h = depthwise_conv2d(input, depthwise_filter, strides, padding, rate=r)
        return conv2d(h, pointwise_filter, [1, 1, 1, 1], "VALID")


def relu_layer(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """``relu(x @ weights + biases)``."""
    with name_scope(name or "relu_layer"):
        return relu(xw_plus_b(x, weights, biases))
