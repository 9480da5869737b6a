"""MaxPool2D, AveragePool2D and GlobalAveragePooling2D (NHWC)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.layers.base import Layer, normalize_padding, normalize_tuple
from trainer.ops.conv_ops import avg_pool, max_pool
from trainer.ops.math_ops import reduce_mean


class _Pool2D(Layer):
    def __init__(
        self,
        pool_size: int | Sequence[int] = (2, 2),
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        name: str | None = None,
    ) -> None:
        super().__init__(name, trainable=False)
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, 2, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = "channels_last"

    def build(self, input_shape: Any) -> None:
        self._check_rank(input_shape, 4, "NHWC (rank 4)")

    def _args(self) -> dict[str, Any]:
        return {
            "ksize": [1, *self.pool_size, 1],
            "strides": [1, *self.strides, 1],
            "padding": self.padding.upper(),
        }

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
        }


class MaxPool2D(_Pool2D):
    """Maximum over ``pool_size`` windows moved by ``strides`` (default: ``pool_size``)."""

    _base_name = "max_pooling2d"

    def call(self, inputs: Any, training: Any = False) -> Any:
        return max_pool(inputs, **self._args())


class AveragePool2D(_Pool2D):
    """Mean over ``pool_size`` windows (SAME padding averages only the valid elements, like TF)."""

    _base_name = "average_pooling2d"

    def call(self, inputs: Any, training: Any = False) -> Any:
        return avg_pool(inputs, **self._args())


class GlobalAveragePooling2D(Layer):
    """``[N, H, W, C] -> [N, C]``: the mean over height and width."""

    _base_name = "global_average_pooling2d"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name, trainable=False)
        self.data_format = "channels_last"

    def build(self, input_shape: Any) -> None:
        self._check_rank(input_shape, 4, "NHWC (rank 4)")

    def call(self, inputs: Any, training: Any = False) -> Any:
        return reduce_mean(inputs, axis=[1, 2])


MaxPooling2D = MaxPool2D
AveragePooling2D = AveragePool2D
AvgPool2D = AveragePool2D
