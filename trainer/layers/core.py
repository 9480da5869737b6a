"""Dense, Dropout, Flatten and the Sequential container."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.layers.base import Layer, as_float_flag, get_activation, is_training_tensor
from trainer.ops.array_ops import concat, constant, identity, reshape, shape, stack
from trainer.ops.math_ops import matmul
from trainer.ops.nn_ops import bias_add, dropout


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; ``kernel`` is ``[in, units]``. Inputs of rank > 2 are
    multiplied along their last axis."""

    _base_name = "dense"

    def __init__(
        self,
        units: int,
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
        super().__init__(name, trainable, dtype)
        if int(units) <= 0:
            raise InvalidArgumentError(f"Dense: units must be positive, got {units}")
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel: Any = None
        self.bias: Any = None

    def build(self, input_shape: Any) -> None:
        if input_shape.ndims is None or input_shape.ndims < 2 or input_shape.dims[-1] is None:
            raise InvalidArgumentError(
                f"Dense {self.name}: input needs rank >= 2 and a known last dimension, got {input_shape}"
            )
        n_in = int(input_shape.dims[-1])
        self.kernel = self.add_weight(
            "kernel", [n_in, self.units], self.kernel_initializer, self.kernel_regularizer
        )
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], self.bias_initializer, self.bias_regularizer)

    def call(self, inputs: Any, training: Any = False) -> Any:
        rank = inputs.shape.ndims
        if rank == 2:
            y = matmul(inputs, self.kernel.value())
        else:
            flat = reshape(inputs, [-1, self.kernel.shape.as_list()[0]])
            out_shape = concat([shape(inputs)[:-1], constant([self.units])], axis=0)
            y = reshape(matmul(flat, self.kernel.value()), out_shape)
            if inputs.shape.ndims is not None:  # the runtime shape above hides the static one
                y.set_shape([*inputs.shape.as_list()[:-1], self.units])
        if self.use_bias:
            y = bias_add(y, self.bias.value())
        return self.activation(y) if self.activation is not None else y

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "use_bias": self.use_bias,
            "activation": getattr(self.activation, "__name__", None),
        }


class Dropout(Layer):
    """Drops ``rate`` of the inputs and scales the rest by ``1 / (1 - rate)`` when training; identity else."""

    _base_name = "dropout"

    def __init__(
        self, rate: float = 0.5, noise_shape: Any = None, seed: int | None = None, name: str | None = None
    ) -> None:
        super().__init__(name, trainable=False)
        if not 0.0 <= float(rate) < 1.0:
            raise InvalidArgumentError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training is False or training is None or self.rate == 0.0:
            return identity(inputs)
        dropped = dropout(inputs, rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        if training is True:
            return dropped
        if not is_training_tensor(training):
            raise InvalidArgumentError(f"Dropout {self.name}: training must be a bool or a bool Tensor")
        t = as_float_flag(training, inputs.dtype)
        return t * dropped + (constant(1.0, dtype=inputs.dtype) - t) * inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Flatten(Layer):
    """``[N, d1, d2, ...] -> [N, d1 * d2 * ...]``."""

    _base_name = "flatten"

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name, trainable=False)

    def call(self, inputs: Any, training: Any = False) -> Any:
        dims = inputs.shape.dims
        if dims is not None and all(d is not None for d in dims[1:]):
            return reshape(inputs, [-1, math.prod(int(d) for d in dims[1:])])
        return reshape(inputs, stack([shape(inputs)[0], constant(-1)]))


class Sequential(Layer):
    """Layers applied in order: ``Sequential([Conv2D(...), MaxPool2D(...), Flatten(), Dense(10)])(x,
    training=is_training)``. Sub-layers keep their own top-level names (``dense``, ``conv2d_1``); plain
    callables (``tf.nn.relu``) may be mixed in and get no ``training`` argument."""

    _base_name = "sequential"

    def __init__(
        self, layers: Iterable[Layer | Callable[[Any], Any]] | None = None, name: str | None = None
    ) -> None:
        super().__init__(name)
        self.layers: list[Any] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Layer | Callable[[Any], Any]) -> None:
        if not callable(layer):
            raise InvalidArgumentError(f"Sequential: {layer!r} is not a layer or callable")
        self.layers.append(layer)

    def __call__(self, inputs: Any, training: Any = False) -> Any:
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training) if isinstance(layer, Layer) else layer(x)
        self.built = True
        return x

    def _collect(self, attr: str) -> list[Any]:
        out: list[Any] = []
        for layer in self.layers:
            if isinstance(layer, Layer):
                out.extend(getattr(layer, attr))
        return out

    @property
    def weights(self) -> list[Any]:
        return self._collect("weights")

    variables = weights

    @property
    def trainable_variables(self) -> list[Any]:
        return self._collect("trainable_variables")

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self) -> list[Any]:
        return self._collect("non_trainable_variables")

    @property
    def updates(self) -> list[Any]:  # type: ignore[override]
        return self._collect("updates")

    @updates.setter
    def updates(self, value: list[Any]) -> None:
        pass  # the base class initializes it; a Sequential's updates are its layers'

    @property
    def losses(self) -> list[Any]:  # type: ignore[override]
        return self._collect("losses")

    @losses.setter
    def losses(self, value: list[Any]) -> None:
        pass

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Any:
        return self.layers[i]
