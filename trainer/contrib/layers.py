"""``tf.contrib.layers``: the initializers, regularizers and layers TF1 tutorials take from contrib.

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 4, 4, 2])
>>> h = tf.contrib.layers.fully_connected(tf.contrib.layers.flatten(x), 8)
>>> [v.name for v in tf.trainable_variables()]
['fully_connected/weights:0', 'fully_connected/biases:0']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from trainer import initializers
from trainer.errors import InvalidArgumentError
from trainer.graph import (
    GraphKeys,
    add_to_collections,
    control_dependencies,
    convert_to_tensor,
    name_scope,
    variable_scope,
)
from trainer.initializers import Initializer, RandomUniform, TruncatedNormal, compute_fans
from trainer.layers.base import normalize_tuple
from trainer.layers.blocks import layer_norm
from trainer.layers.core import Flatten
from trainer.layers.functional import apply_layer
from trainer.layers.normalization import BatchNormalization
from trainer.ops.array_ops import identity
from trainer.ops.conv_ops import avg_pool, max_pool
from trainer.ops.conv_ops import conv2d as nn_conv2d
from trainer.ops.math_ops import matmul
from trainer.ops.nn_ops import bias_add, relu
from trainer.regularizers import l1_regularizer, l2_regularizer
from trainer.variables import get_variable

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "flatten",
    "fully_connected",
    "l1_regularizer",
    "l2_regularizer",
    "layer_norm",
    "max_pool2d",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
]


class _ContribVarianceScaling(Initializer):
    """contrib's variance scaling: ``n`` = fan_in, fan_out or their mean (``mode``); uniform in
    ``+-sqrt(3 * factor / n)`` or a truncated normal with stddev ``sqrt(1.3 * factor / n)``."""

    def __init__(self, factor: float, mode: str, uniform: bool, seed: int | None, dtype: Any) -> None:
        if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
            raise InvalidArgumentError(
                f"variance_scaling_initializer: mode must be FAN_IN, FAN_OUT or FAN_AVG, got {mode!r}"
            )
        self.factor, self.mode, self.uniform, self.seed, self.dtype = (
            float(factor),
            mode,
            uniform,
            seed,
            dtype,
        )

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        dtype = dtype if dtype is not None else self.dtype
        fan_in, fan_out = compute_fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / max(n, 1.0))
            return RandomUniform(-limit, limit, self.seed)(shape, dtype)
        return TruncatedNormal(0.0, math.sqrt(1.3 * self.factor / max(n, 1.0)), self.seed)(shape, dtype)


def variance_scaling_initializer(
    factor: float = 2.0,
    mode: str = "FAN_IN",
    uniform: bool = False,
    seed: int | None = None,
    dtype: Any = None,
) -> Initializer:
    """He initialization by default (``factor=2``, ``FAN_IN``, truncated normal)."""
    return _ContribVarianceScaling(factor, mode, uniform, seed, dtype)


def xavier_initializer(uniform: bool = True, seed: int | None = None, dtype: Any = None) -> Initializer:
    """Glorot/Xavier: uniform in ``+-sqrt(6 / (fan_in + fan_out))``, or the truncated-normal variant."""
    return _ContribVarianceScaling(1.0, "FAN_AVG", uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer


def flatten(inputs: Any, outputs_collections: Any = None, scope: str | None = None) -> Any:
    """``[N, d1, d2, ...] -> [N, d1 * d2 * ...]`` (ops under the name scope ``Flatten``)."""
    x = convert_to_tensor(inputs)
    with name_scope(scope or "Flatten"):
        out = Flatten().call(x)
    if outputs_collections:
        add_to_collections(list(outputs_collections), out)
    return out


def fully_connected(
    inputs: Any,
    num_outputs: int,
    activation_fn: Any = relu,
    normalizer_fn: Any = None,
    normalizer_params: dict | None = None,
    weights_initializer: Any = None,
    weights_regularizer: Any = None,
    biases_initializer: Any = "zeros",
    biases_regularizer: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: str | None = None,
) -> Any:
    """``activation_fn(inputs @ weights + biases)`` (ReLU by default, as in contrib) with variables
    ``<scope>/weights`` and ``<scope>/biases`` (default scope ``fully_connected``, then ``_1`` ...).
    ``normalizer_fn`` replaces the biases; ``biases_initializer=None`` drops them."""
    x = convert_to_tensor(inputs)
    if x.shape.ndims is None or x.shape.ndims != 2 or x.shape.dims[-1] is None:
        raise InvalidArgumentError(
            f"fully_connected: needs [batch, features] with known features, got {x.shape}"
        )
    n_in = int(x.shape.dims[-1])
    w_init = weights_initializer if weights_initializer is not None else xavier_initializer()
    with x.graph.as_default(), variable_scope(scope, default_name="fully_connected", reuse=reuse):
        w = get_variable(
            "weights",
            [n_in, int(num_outputs)],
            x.dtype,
            initializers.get(w_init),
            regularizer=weights_regularizer,
            trainable=trainable,
        )
        y = matmul(x, w)
        if normalizer_fn is not None:
            y = normalizer_fn(y, **(normalizer_params or {}))
        elif biases_initializer is not None:
            b = get_variable(
                "biases",
                [int(num_outputs)],
                x.dtype,
                initializers.get(biases_initializer),
                regularizer=biases_regularizer,
                trainable=trainable,
            )
            y = bias_add(y, b)
        if variables_collections:
            for v in [w] + ([b] if normalizer_fn is None and biases_initializer is not None else []):
                add_to_collections(list(variables_collections), v)
        if activation_fn is not None:
            y = activation_fn(y)
    if outputs_collections:
        add_to_collections(list(outputs_collections), y)
    return y


def conv2d(
    inputs: Any,
    num_outputs: int,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: str = "SAME",
    data_format: str | None = None,
    rate: int = 1,
    activation_fn: Any = relu,
    normalizer_fn: Any = None,
    normalizer_params: dict | None = None,
    weights_initializer: Any = None,
    weights_regularizer: Any = None,
    biases_initializer: Any = "zeros",
    biases_regularizer: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: str | None = None,
) -> Any:
    """contrib's 2-D convolution (NHWC, ReLU and SAME padding by default) with variables
    ``<scope>/weights`` ``[kh, kw, in, num_outputs]`` and ``<scope>/biases`` (default scope ``Conv``)."""
    if data_format not in (None, "NHWC"):
        raise InvalidArgumentError("tf.contrib.layers.conv2d: only data_format='NHWC' is supported")
    x = convert_to_tensor(inputs)
    if x.shape.ndims != 4 or x.shape.dims[-1] is None:
        raise InvalidArgumentError(
            f"tf.contrib.layers.conv2d: needs NHWC input with known channels, got {x.shape}"
        )
    kh, kw = normalize_tuple(kernel_size, 2, "kernel_size")
    sh, sw = normalize_tuple(stride, 2, "stride")
    w_init = weights_initializer if weights_initializer is not None else xavier_initializer()
    with x.graph.as_default(), variable_scope(scope, default_name="Conv", reuse=reuse):
        w = get_variable(
            "weights",
            [kh, kw, int(x.shape.dims[-1]), int(num_outputs)],
            x.dtype,
            initializers.get(w_init),
            regularizer=weights_regularizer,
            trainable=trainable,
        )
        y = nn_conv2d(x, w, [1, sh, sw, 1], padding.upper(), dilations=[1, int(rate), int(rate), 1])
        made = [w]
        if normalizer_fn is not None:
            y = normalizer_fn(y, **(normalizer_params or {}))
        elif biases_initializer is not None:
            b = get_variable(
                "biases",
                [int(num_outputs)],
                x.dtype,
                initializers.get(biases_initializer),
                regularizer=biases_regularizer,
                trainable=trainable,
            )
            y = bias_add(y, b)
            made.append(b)
        if variables_collections:
            for v in made:
                add_to_collections(list(variables_collections), v)
        if activation_fn is not None:
            y = activation_fn(y)
    if outputs_collections:
        add_to_collections(list(outputs_collections), y)
    return y


def _pool(kind: str, inputs: Any, kernel_size: Any, stride: Any, padding: str, scope: str | None) -> Any:
    kh, kw = normalize_tuple(kernel_size, 2, "kernel_size")
    sh, sw = normalize_tuple(stride, 2, "stride")
    pool = max_pool if kind == "MaxPool2D" else avg_pool
    with name_scope(scope or kind):
        return pool(convert_to_tensor(inputs), [1, kh, kw, 1], [1, sh, sw, 1], padding.upper())


def max_pool2d(
    inputs: Any,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 2,
    padding: str = "VALID",
    data_format: str = "NHWC",
    outputs_collections: Any = None,
    scope: str | None = None,
) -> Any:
    """Max pooling over NHWC inputs (contrib's defaults: stride 2, VALID)."""
    return _pool("MaxPool2D", inputs, kernel_size, stride, padding, scope)


def avg_pool2d(
    inputs: Any,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] = 2,
    padding: str = "VALID",
    data_format: str = "NHWC",
    outputs_collections: Any = None,
    scope: str | None = None,
) -> Any:
    """Average pooling over NHWC inputs (contrib's defaults: stride 2, VALID)."""
    return _pool("AvgPool2D", inputs, kernel_size, stride, padding, scope)


def batch_norm(
    inputs: Any,
    decay: float = 0.999,
    center: bool = True,
    scale: bool = False,
    epsilon: float = 0.001,
    activation_fn: Any = None,
    param_initializers: dict | None = None,
    param_regularizers: dict | None = None,
    updates_collections: Any = GraphKeys.UPDATE_OPS,
    is_training: Any = True,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    data_format: str = "NHWC",
    scope: str | None = None,
    **_ignored: Any,
) -> Any:
    """contrib's batch normalization over the last axis: variables ``<scope>/beta`` (and ``gamma`` with
    ``scale=True``), ``moving_mean``, ``moving_variance`` (default scope ``BatchNorm``). The moving-average
    updates go to ``updates_collections`` (``UPDATE_OPS``), or with ``updates_collections=None`` run with
    the output itself, as in TF1."""
    if data_format != "NHWC":
        raise InvalidArgumentError("tf.contrib.layers.batch_norm: only data_format='NHWC' is supported")
    inits, regs = dict(param_initializers or {}), dict(param_regularizers or {})
    layer = BatchNormalization(
        momentum=decay,
        epsilon=epsilon,
        center=center,
        scale=scale,
        beta_initializer=inits.get("beta", "zeros"),
        gamma_initializer=inits.get("gamma", "ones"),
        moving_mean_initializer=inits.get("moving_mean", "zeros"),
        moving_variance_initializer=inits.get("moving_variance", "ones"),
        beta_regularizer=regs.get("beta"),
        gamma_regularizer=regs.get("gamma"),
        trainable=trainable,
        name=scope,
    )
    layer._base_name = "BatchNorm"  # contrib's default scope name
    x = convert_to_tensor(inputs)
    y = apply_layer(layer, x, reuse, training=is_training)
    if layer.updates:
        updates = x.graph.get_collection_ref(GraphKeys.UPDATE_OPS)
        for u in layer.updates:  # the layer put them in UPDATE_OPS; move them where contrib is told to
            if u in updates:
                updates.remove(u)
        if updates_collections is None:
            with control_dependencies(layer.updates):
                y = identity(y)
        else:
            keys = (
                [updates_collections] if isinstance(updates_collections, str) else list(updates_collections)
            )
            for u in layer.updates:
                add_to_collections(keys, u)
    if variables_collections:
        for v in layer.weights:
            add_to_collections(list(variables_collections), v)
    if activation_fn is not None:
        y = activation_fn(y)
    if outputs_collections:
        add_to_collections(list(outputs_collections), y)
    return y
