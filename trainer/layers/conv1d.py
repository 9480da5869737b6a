"""``tf.layers.Conv1D`` / ``tf.layers.conv1d`` (kernel ``[kernel_size, in_channels, filters]``, inputs
``[batch, width, channels]``) and ``tf.layers.max_pooling1d`` / ``average_pooling1d``, the layers of TF1
text CNNs. Built on ``tf.nn.conv1d`` and the 1-D pools; variable names as TF1's (``conv1d/kernel``,
``conv1d_1/bias``, under the enclosing variable scope).

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 20, 8])
>>> h = tf.layers.max_pooling1d(tf.layers.conv1d(x, 16, 3, activation=tf.nn.relu), 2, 2)
>>> h.shape.as_list(), [v.name for v in tf.trainable_variables()]
([None, 9, 16], ['conv1d/kernel:0', 'conv1d/bias:0'])
"""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import convert_to_tensor, name_scope
from trainer.layers.base import Layer, get_activation, normalize_padding
from trainer.layers.functional import apply_layer
from trainer.ops.conv1d_ops import avg_pool1d, max_pool1d
from trainer.ops.conv1d_ops import conv1d as _nn_conv1d
from trainer.ops.nn_ops import bias_add


def _int(v: Any, what: str) -> int:
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) != 1:
        raise InvalidArgumentError(f"{what} must be one int for a 1-D layer, got {v!r}")
    return int(vals[0])


class Conv1D(Layer):
    """1-D convolution: kernel ``[kernel_size, in_channels, filters]``."""

    _base_name = "conv1d"

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str = "channels_last",
        dilation_rate: Any = 1,
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
        dtype: Any = None,
        **_: Any,
    ) -> None:
        super().__init__(name, trainable, dtype)
        if data_format not in ("channels_last", "NWC"):
            raise InvalidArgumentError("tf.layers.conv1d: only data_format='channels_last' is supported")
        if int(filters) <= 0:
            raise InvalidArgumentError(f"Conv1D: filters must be positive, got {filters}")
        self.filters = int(filters)
        self.kernel_size = _int(kernel_size, "kernel_size")
        self.strides = _int(strides, "strides")
        self.dilation_rate = _int(dilation_rate, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer if kernel_initializer is not None else "glorot_uniform"
        self.bias_initializer = bias_initializer if bias_initializer is not None else "zeros"
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer

    def build(self, input_shape: Any) -> None:
        self._check_rank(input_shape, 3, "[batch, width, channels] (rank 3)")
        if input_shape.ndims is None or input_shape.dims[-1] is None:
            raise InvalidArgumentError(f"Conv1D {self.name}: unknown channel count in {input_shape}")
        shape = [self.kernel_size, int(input_shape.dims[-1]), self.filters]
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer)

    def call(self, inputs: Any, training: Any = False) -> Any:
        y = _nn_conv1d(
            inputs, self.kernel.value(), self.strides, self.padding.upper(), dilations=self.dilation_rate
        )
        if self.use_bias:
            y = bias_add(y, self.bias.value())
        return self.activation(y) if self.activation is not None else y


def conv1d(
    inputs: Any,
    filters: int,
    kernel_size: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str = "channels_last",
    dilation_rate: Any = 1,
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
    """``tf.layers.conv1d``: variables ``<name>/kernel`` ``[k, in, filters]`` and ``<name>/bias``."""
    layer = Conv1D(
        filters,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        activation,
        use_bias,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        trainable=trainable,
        name=name,
    )
    return apply_layer(layer, inputs, reuse)


def _pool(kind: str, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: str, name: Any):
    if data_format not in ("channels_last", "NWC"):
        raise InvalidArgumentError(f"tf.layers.{kind}: only data_format='channels_last' is supported")
    pad = normalize_padding(padding).upper()
    with name_scope(name or kind):
        x = convert_to_tensor(inputs)
        pool = max_pool1d if kind == "max_pooling1d" else avg_pool1d
        return pool(x, _int(pool_size, "pool_size"), _int(strides, "strides"), pad)


def max_pooling1d(
    inputs: Any,
    pool_size: Any,
    strides: Any,
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Any:
    """``tf.layers.max_pooling1d`` over ``[batch, width, channels]``."""
    return _pool("max_pooling1d", inputs, pool_size, strides, padding, data_format, name)


def average_pooling1d(
    inputs: Any,
    pool_size: Any,
    strides: Any,
    padding: str = "valid",
    data_format: str = "channels_last",
    name: str | None = None,
) -> Any:
    """``tf.layers.average_pooling1d`` over ``[batch, width, channels]``."""
    return _pool("average_pooling1d", inputs, pool_size, strides, padding, data_format, name)
