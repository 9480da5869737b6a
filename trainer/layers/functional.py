"""The TF1 functional layers: ``tf.layers.dense``, ``conv2d``, ``max_pooling2d``, ``dropout`` ...

Each function builds a one-shot layer object (the classes of this package) inside a variable scope named
``name`` or, without a name, a unique default (``dense``, ``dense_1`` ...), and creates its variables with
``tf.get_variable``. So the variables are ``dense/kernel`` and ``dense/bias`` (under any enclosing
``tf.variable_scope``), and ``reuse=True`` (or an enclosing scope with ``reuse=True`` / ``tf.AUTO_REUSE``)
returns the variables created earlier under the same name, exactly as in TF1:

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 4])
>>> with tf.variable_scope("net"):
...     h = tf.layers.dense(x, 8, activation=tf.nn.relu, name="fc")
>>> with tf.variable_scope("net", reuse=True):
...     h2 = tf.layers.dense(x, 8, activation=tf.nn.relu, name="fc")
>>> [v.name for v in tf.trainable_variables()]
['net/fc/kernel:0', 'net/fc/bias:0']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer import initializers
from trainer.errors import InvalidArgumentError
from trainer.graph import convert_to_tensor, variable_scope
from trainer.layers.base import Layer, get_activation, normalize_padding, normalize_tuple
from trainer.layers.convolutional import Conv2D, Conv2DTranspose
from trainer.layers.core import Dense, Dropout, Flatten
from trainer.layers.normalization import BatchNormalization
from trainer.layers.pooling import AveragePooling2D, MaxPooling2D
from trainer.ops.conv_ops import conv2d as nn_conv2d
from trainer.ops.conv_ops import depthwise_conv2d
from trainer.ops.nn_ops import bias_add
from trainer.variables import get_variable


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def apply_layer(layer: Layer, inputs: Any, reuse: Any = None, training: Any = False) -> Any:
    """Build and call ``layer`` once in its own variable scope, variables made with ``tf.get_variable``."""
    x = convert_to_tensor(inputs)
    with (
        x.graph.as_default(),
        variable_scope(layer._given_name, default_name=layer._base_name, reuse=reuse) as vs,
    ):
        layer._use_get_variable = True
        layer._graph = x.graph
        layer._scope = vs.original_name_scope
        layer.name = vs.name
        layer.build(x.shape)
        layer.built = True
        return layer.call(x, training)


def dense(
    inputs: Any,
    units: int,
    activation: Any = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Any:
    """``activation(inputs @ kernel + bias)`` with variables ``<name>/kernel`` and ``<name>/bias``."""
    layer = Dense(
        units,
        activation,
        use_bias,
        _or(kernel_initializer, "glorot_uniform"),
        _or(bias_initializer, "zeros"),
        kernel_regularizer,
        bias_regularizer,
        trainable,
        name,
    )
    return apply_layer(layer, inputs, reuse)


def conv2d(
    inputs: Any,
    filters: int,
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: int | Sequence[int] = (1, 1),
    activation: Any = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Any:
    """2-D convolution of NHWC inputs; variables ``<name>/kernel`` ``[kh, kw, in, filters]``, ``bias``."""
    _channels_last(data_format, "conv2d")
    layer = Conv2D(
        filters,
        kernel_size,
        strides,
        padding,
        dilation_rate,
        activation,
        use_bias,
        _or(kernel_initializer, "glorot_uniform"),
        _or(bias_initializer, "zeros"),
        kernel_regularizer,
        bias_regularizer,
        trainable=trainable,
        name=name,
    )
    return apply_layer(layer, inputs, reuse)


def conv2d_transpose(
    inputs: Any,
    filters: int,
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    activation: Any = None,
    use_bias: bool = True,
    kernel_initializer: Any = None,
    bias_initializer: Any = None,
    kernel_regularizer: Any = None,
    bias_regularizer: Any = None,
    activity_regularizer: Any = None,
    kernel_constraint: Any = None,
    bias_constraint: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
) -> Any:
    """Transposed 2-D convolution of NHWC inputs; variables ``<name>/kernel`` ``[kh, kw, filters, in]``,
    ``bias``; the output is ``stride`` times larger ("same") or ``(n - 1) * stride + k`` ("valid")."""
    _channels_last(data_format, "conv2d_transpose")
    layer = Conv2DTranspose(
        filters,
        kernel_size,
        strides,
        padding,
        (1, 1),
        activation,
        use_bias,
        _or(kernel_initializer, "glorot_uniform"),
        _or(bias_initializer, "zeros"),
        kernel_regularizer,
        bias_regularizer,
        trainable=trainable,
        name=name,
    )
    return apply_layer(layer, inputs, reuse)


def separable_conv2d(
    inputs: Any,
    filters: int,
    kernel_size: int | Sequence[int],
    strides: int | Sequence[int] = (1, 1),
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: int | Sequence[int] = (1, 1),
    depth_multiplier: int = 1,
    activation: Any = None,
    use_bias: bool = True,
    depthwise_initializer: Any = None,
    pointwise_initializer: Any = None,
    bias_initializer: Any = None,
    depthwise_regularizer: Any = None,
    pointwise_regularizer: Any = None,
    bias_regularizer: Any = None,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    **_ignored: Any,
) -> Any:
    """A depthwise convolution, then a 1x1 convolution to ``filters`` channels (TF1's separable conv), with
    variables ``<name>/depthwise_kernel`` ``[kh, kw, in, depth_multiplier]``, ``<name>/pointwise_kernel``
    ``[1, 1, in * depth_multiplier, filters]`` and ``<name>/bias``."""
    _channels_last(data_format, "separable_conv2d")
    x = convert_to_tensor(inputs)
    k = normalize_tuple(kernel_size, 2, "kernel_size")
    s = normalize_tuple(strides, 2, "strides")
    cin = x.shape.dims[-1] if x.shape.ndims == 4 else None
    if cin is None:
        raise InvalidArgumentError(
            f"tf.layers.separable_conv2d: needs NHWC input with known channels, got {x.shape}"
        )
    mid = int(cin) * int(depth_multiplier)
    act = get_activation(activation)
    with x.graph.as_default(), variable_scope(name, default_name="separable_conv2d", reuse=reuse):
        dw = get_variable(
            "depthwise_kernel",
            [*k, int(cin), int(depth_multiplier)],
            initializer=initializers.get(_or(depthwise_initializer, "glorot_uniform")),
            regularizer=depthwise_regularizer,
            trainable=trainable,
        )
        pw = get_variable(
            "pointwise_kernel",
            [1, 1, mid, int(filters)],
            initializer=initializers.get(_or(pointwise_initializer, "glorot_uniform")),
            regularizer=pointwise_regularizer,
            trainable=trainable,
        )
        y = depthwise_conv2d(
            x,
            dw,
            [1, *s, 1],
            normalize_padding(padding).upper(),
            dilations=list(normalize_tuple(dilation_rate, 2, "dilation_rate")),
        )
        y = nn_conv2d(y, pw, [1, 1, 1, 1], "VALID")
        if use_bias:
            b = get_variable(
                "bias",
                [int(filters)],
                initializer=initializers.get(_or(bias_initializer, "zeros")),
                regularizer=bias_regularizer,
                trainable=trainable,
            )
            y = bias_add(y, b)
        return act(y) if act is not None else y


def _channels_last(data_format: str, what: str) -> None:
    if data_format not in ("channels_last", "NHWC"):
        raise InvalidArgumentError(f"tf.layers.{what}: only data_format='channels_last' is supported")


def max_pooling2d(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Any:
    """Max pooling over ``pool_size`` windows moved by ``strides``."""
    _channels_last(data_format, "max_pooling2d")
    return apply_layer(MaxPooling2D(pool_size, strides, padding, name), inputs)


def average_pooling2d(
    inputs: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Any:
    """Average pooling over ``pool_size`` windows moved by ``strides``."""
    _channels_last(data_format, "average_pooling2d")
    return apply_layer(AveragePooling2D(pool_size, strides, padding, name), inputs)


def dropout(
    inputs: Any,
    rate: float = 0.5,
    noise_shape: Any = None,
    seed: int | None = None,
    training: Any = False,
    name: str | None = None,
) -> Any:
    """Drop ``rate`` of the inputs when ``training`` (a bool or a bool tensor); the identity otherwise."""
    return apply_layer(Dropout(rate, noise_shape, seed, name), inputs, training=training)


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last") -> Any:
    """``[N, d1, d2, ...] -> [N, d1 * d2 * ...]``."""
    return apply_layer(Flatten(name), inputs)


def batch_normalization(
    inputs: Any,
    axis: int = -1,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    center: bool = True,
    scale: bool = True,
    beta_initializer: Any = None,
    gamma_initializer: Any = None,
    moving_mean_initializer: Any = None,
    moving_variance_initializer: Any = None,
    beta_regularizer: Any = None,
    gamma_regularizer: Any = None,
    training: Any = False,
    trainable: bool = True,
    name: str | None = None,
    reuse: Any = None,
    **_ignored: Any,
) -> Any:
    """Batch normalization over the last axis. With ``training`` the moving mean and variance updates go
    to ``tf.GraphKeys.UPDATE_OPS`` (run them with the train op, as TF1 requires)."""
    layer = BatchNormalization(
        axis,
        momentum,
        epsilon,
        center,
        scale,
        _or(beta_initializer, "zeros"),
        _or(gamma_initializer, "ones"),
        _or(moving_mean_initializer, "zeros"),
        _or(moving_variance_initializer, "ones"),
        beta_regularizer,
        gamma_regularizer,
        trainable,
        name,
    )
    return apply_layer(layer, inputs, reuse, training)
