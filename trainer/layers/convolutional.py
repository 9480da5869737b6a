"""Conv2D, Conv2DTranspose and DepthwiseConv2D (NHWC inputs, HWIO / HWOI / HWCM kernels, like TensorFlow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.layers.base import Layer, get_activation, normalize_padding, normalize_tuple
from trainer.ops.array_ops import shape, stack
from trainer.ops.conv_ops import conv2d, conv2d_transpose, depthwise_conv2d
from trainer.ops.nn_ops import bias_add


class _Conv(Layer):
    def __init__(
        self,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str,
        dilation_rate: int | Sequence[int],
        activation: Any,
        use_bias: bool,
        bias_initializer: Any,
        bias_regularizer: Any,
        trainable: bool,
        name: str | None,
        dtype: Any,
    ) -> None:
        super().__init__(name, trainable, dtype)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.padding = normalize_padding(padding)
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        if self.strides != (1, 1) and self.dilation_rate != (1, 1):
            raise InvalidArgumentError("strides > 1 together with dilation_rate > 1 is not supported")
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.bias_initializer = bias_initializer
        self.bias_regularizer = bias_regularizer
        self.data_format = "channels_last"
        self.kernel: Any = None
        self.bias: Any = None

    def _in_channels(self, input_shape: Any) -> int:
        self._check_rank(input_shape, 4, "NHWC (rank 4)")
        if input_shape.ndims is None or input_shape.dims[-1] is None:
            raise InvalidArgumentError(
                f"{type(self).__name__} {self.name}: unknown channel count in {input_shape}"
            )
        return int(input_shape.dims[-1])

    def _finish(self, y: Any) -> Any:
        if self.use_bias:
            y = bias_add(y, self.bias.value())
        return self.activation(y) if self.activation is not None else y

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "dilation_rate": self.dilation_rate,
            "use_bias": self.use_bias,
            "activation": getattr(self.activation, "__name__", None),
        }


class Conv2D(_Conv):
    """2-D convolution: kernel ``[kh, kw, in_channels, filters]``, NHWC in and out."""

    _base_name = "conv2d"

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        dilation_rate: int | Sequence[int] = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            kernel_size,
            strides,
            padding,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            trainable,
            name,
            dtype,
        )
        if int(filters) <= 0:
            raise InvalidArgumentError(f"Conv2D: filters must be positive, got {filters}")
        self.filters = int(filters)
        self.kernel_initializer = kernel_initializer
        self.kernel_regularizer = kernel_regularizer

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        shape = [*self.kernel_size, cin, self.filters]
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer)

    def call(self, inputs: Any, training: Any = False) -> Any:
        y = conv2d(
            inputs,
            self.kernel.value(),
            strides=[1, *self.strides, 1],
            padding=self.padding.upper(),
            dilations=[1, *self.dilation_rate, 1],
        )
        return self._finish(y)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters}


class Conv2DTranspose(Conv2D):
    """The transpose of Conv2D (TF1's ``tf.layers.Conv2DTranspose``): kernel ``[kh, kw, filters,
    in_channels]``; output ``[N, H * stride, W * stride, filters]`` with "same" padding, ``(H - 1) *
    stride + kh`` with "valid"."""

    _base_name = "conv2d_transpose"

    def build(self, input_shape: Any) -> None:
        if self.dilation_rate != (1, 1):
            raise InvalidArgumentError("Conv2DTranspose: dilation_rate > 1 is not supported")
        cin = self._in_channels(input_shape)
        shape = [*self.kernel_size, self.filters, cin]
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters], self.bias_initializer, self.bias_regularizer)

    def _out_size(self, n: int | None, k: int, s: int) -> int | None:
        if n is None:
            return None
        return n * s if self.padding == "same" else (n - 1) * s + k

    def call(self, inputs: Any, training: Any = False) -> Any:
        dims = inputs.shape.dims
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        oh, ow = self._out_size(dims[1], kh, sh), self._out_size(dims[2], kw, sw)
        if oh is None or ow is None:
            raise InvalidArgumentError(
                f"Conv2DTranspose {self.name}: needs a static height and width, got {dims}"
            )
        batch = shape(inputs)[0] if dims[0] is None else int(dims[0])
        out_shape = stack([batch, oh, ow, self.filters]) if dims[0] is None else [batch, oh, ow, self.filters]
        y = conv2d_transpose(
            inputs, self.kernel.value(), out_shape, strides=[1, sh, sw, 1], padding=self.padding.upper()
        )
        return self._finish(y)


class DepthwiseConv2D(_Conv):
    """Depthwise convolution: kernel ``[kh, kw, in_channels, depth_multiplier]``, output channels
    ``in_channels * depth_multiplier``. ``depthwise_kernel`` and ``kernel`` name the same variable."""

    _base_name = "depthwise_conv2d"

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        dilation_rate: int | Sequence[int] = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            kernel_size,
            strides,
            padding,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            trainable,
            name,
            dtype,
        )
        if int(depth_multiplier) <= 0:
            raise InvalidArgumentError(
                f"DepthwiseConv2D: depth_multiplier must be positive, got {depth_multiplier}"
            )
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.depthwise_kernel: Any = None

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        shape = [*self.kernel_size, cin, self.depth_multiplier]
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape, self.depthwise_initializer, self.depthwise_regularizer
        )
        self.kernel = self.depthwise_kernel
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", [cin * self.depth_multiplier], self.bias_initializer, self.bias_regularizer
            )

    def call(self, inputs: Any, training: Any = False) -> Any:
        y = depthwise_conv2d(
            inputs,
            self.depthwise_kernel.value(),
            strides=[1, *self.strides, 1],
            padding=self.padding.upper(),
            dilations=list(self.dilation_rate),
        )
        return self._finish(y)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier}
