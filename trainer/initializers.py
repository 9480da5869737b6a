"""Variable initializers: callables ``init(shape, dtype) -> Tensor`` building the initial value in the graph.

The random ones build seeded random ops, so with ``tf.set_random_seed(s)`` (graph seed) and/or ``seed=``
(op seed) a program gets the same initial weights every run (TF1 seed semantics, from the core's random ops).

    >>> import trainer as tf
    >>> init = tf.initializers.glorot_uniform(seed=1)
    >>> w = tf.Variable(init([784, 256]), name="w")

Fans follow Keras: for a kernel ``[kh, kw, in, out]`` ``fan_in = kh*kw*in`` and ``fan_out = kh*kw*out``; for
``[in, out]`` they are ``in`` and ``out``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer.dtypes import float32
from trainer.errors import InvalidArgumentError
from trainer.ops import array_ops, random_ops
from trainer.ops.sampling_ops import random_orthogonal

# stddev of a standard normal truncated to [-2, 2]: dividing by it gives truncated_normal the wanted variance
_TRUNC_STD = 0.87962566103423978


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` (Keras convention)."""
    shape = [int(d) for d in shape]
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``__call__(shape, dtype=tf.float32)`` returns a Tensor of that shape and dtype."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype: Any, default: Any = None) -> Any:
    """The dtype given at call time, else the one given to the constructor (TF1 allows both), else float32."""
    if dtype is not None:
        return dtype
    return float32 if default is None else default


class Zeros(Initializer):
    def __init__(self, dtype: Any = None) -> None:
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        return array_ops.zeros(list(shape), dtype=_dtype(dtype, self.dtype))


class Ones(Initializer):
    def __init__(self, dtype: Any = None) -> None:
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        return array_ops.ones(list(shape), dtype=_dtype(dtype, self.dtype))


class Constant(Initializer):
    """Every element ``value`` (a scalar), or ``value`` itself when it is an array of the right shape."""

    def __init__(self, value: Any = 0.0, dtype: Any = None, verify_shape: bool = False) -> None:
        self.value = value
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        dtype = _dtype(dtype, self.dtype)
        v = np.asarray(self.value)
        if v.ndim == 0:
            return array_ops.fill(list(shape), array_ops.constant(v.item(), dtype=_dtype(dtype)))
        if list(v.shape) != [int(d) for d in shape]:
            raise InvalidArgumentError(
                f"Constant initializer: value of shape {list(v.shape)} does not match {list(shape)}"
            )
        return array_ops.constant(v, dtype=_dtype(dtype))


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) with draws beyond two stddevs redrawn (TF1 ``truncated_normal_initializer``)."""

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None, dtype: Any = None
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        self.seed = seed
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        return random_ops.truncated_normal(
            list(shape), mean=self.mean, stddev=self.stddev, dtype=_dtype(dtype, self.dtype), seed=self.seed
        )


class RandomNormal(Initializer):
    """Normal(mean, stddev) (TF1 ``random_normal_initializer``; its defaults are mean 0, stddev 1)."""

    def __init__(
        self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None, dtype: Any = None
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        self.seed = seed
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        return random_ops.random_normal(
            list(shape), mean=self.mean, stddev=self.stddev, dtype=_dtype(dtype, self.dtype), seed=self.seed
        )


class RandomUniform(Initializer):
    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None, dtype: Any = None
    ) -> None:
        self.minval = minval
        self.maxval = maxval
        self.seed = seed
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        return random_ops.random_uniform(
            list(shape),
            minval=self.minval,
            maxval=self.maxval,
            dtype=_dtype(dtype, self.dtype),
            seed=self.seed,
        )


class VarianceScaling(Initializer):
    """Variance ``scale / n`` with ``n`` = fan_in, fan_out or their mean (``mode``).

    ``distribution``: ``"truncated_normal"`` (stddev corrected for the truncation; TF1's ``"normal"`` means
    the same), ``"untruncated_normal"`` or ``"uniform"`` (limit ``sqrt(3 * scale / n)``).
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        dtype: Any = None,
    ) -> None:
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise InvalidArgumentError(f"VarianceScaling: unknown mode {mode!r}")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise InvalidArgumentError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        dtype = _dtype(dtype, self.dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return RandomUniform(-limit, limit, self.seed)(shape, dtype)
        if self.distribution == "untruncated_normal":
            return RandomNormal(0.0, math.sqrt(variance), self.seed)(shape, dtype)
        return TruncatedNormal(0.0, math.sqrt(variance) / _TRUNC_STD, self.seed)(shape, dtype)


class Orthogonal(Initializer):
    """A random orthogonal matrix (rows or columns orthonormal) times ``gain``; rank >= 2 shapes are
    flattened to ``[prod(shape[:-1]), shape[-1]]`` (TF1's ``orthogonal_initializer``)."""

    def __init__(self, gain: float = 1.0, seed: int | None = None, dtype: Any = None) -> None:
        self.gain = gain
        self.seed = seed
        self.dtype = dtype

    def __call__(self, shape: Sequence[int], dtype: Any = None, partition_info: Any = None) -> Any:
        return random_orthogonal(list(shape), self.gain, _dtype(dtype, self.dtype), self.seed)


def zeros() -> Initializer:
    return Zeros()


def ones() -> Initializer:
    return Ones()


def constant(value: Any = 0.0) -> Initializer:
    return Constant(value)


def truncated_normal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> Initializer:
    return TruncatedNormal(mean, stddev, seed)


def random_uniform(minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> Initializer:
    return RandomUniform(minval, maxval, seed)


def glorot_uniform(seed: int | None = None, dtype: Any = None) -> Initializer:
    """Uniform in ``[-l, l]``, ``l = sqrt(6 / (fan_in + fan_out))`` (Xavier/Glorot)."""
    return VarianceScaling(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal(seed: int | None = None, dtype: Any = None) -> Initializer:
    return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed, dtype)


def random_normal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> Initializer:
    return RandomNormal(mean, stddev, seed)


def he_normal(seed: int | None = None) -> Initializer:
    """Truncated normal with stddev ``sqrt(2 / fan_in)`` (He et al.; for ReLU layers)."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: int | None = None) -> Initializer:
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


_BY_NAME = {
    "zeros": zeros,
    "ones": ones,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "truncated_normal": truncated_normal,
    "random_uniform": random_uniform,
    "random_normal": random_normal,
    "orthogonal": Orthogonal,
}


def get(identifier: str | Initializer | Any) -> Any:
    """An initializer from a name (``"he_normal"``), an Initializer, or any ``(shape, dtype)`` callable."""
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise InvalidArgumentError(
                f"unknown initializer {identifier!r}; known: {', '.join(sorted(_BY_NAME))}"
            )
        return _BY_NAME[identifier]()
    if callable(identifier):
        return identifier
    raise InvalidArgumentError(f"not an initializer: {identifier!r}")


# TF1 spellings (tf.zeros_initializer() ...), re-exported by trainer/__init__.py if it wishes.
zeros_initializer = Zeros
orthogonal_initializer = Orthogonal
ones_initializer = Ones
constant_initializer = Constant
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = glorot_uniform
glorot_normal_initializer = glorot_normal
