"""Learning rate schedules as graph tensors of the global step (TF1 ``tf.train.exponential_decay``).

>>> import trainer as tf
>>> step = tf.train.get_or_create_global_step()
>>> lr = tf.train.exponential_decay(0.1, step, decay_steps=100, decay_rate=0.5, staircase=True)
"""

from __future__ import annotations

import math
from typing import Any

from trainer.dtypes import float32
from trainer.errors import InvalidArgumentError
from trainer.graph import convert_to_tensor, name_scope
from trainer.ops import math_ops
from trainer.ops.array_ops import constant
from trainer.ops.math_ops import cast, floor
from trainer.ops.unary_math_ops import cos


def exponential_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Any:
    """``learning_rate * decay_rate ** (global_step / decay_steps)``, the exponent floored if ``staircase``.

    Returns a float32 scalar tensor, recomputed from the current global step on every run.
    """
    if global_step is None:
        raise InvalidArgumentError("exponential_decay: global_step is required")
    if decay_steps <= 0:
        raise InvalidArgumentError(f"exponential_decay: decay_steps must be positive, got {decay_steps}")
    with name_scope(name or "ExponentialDecay"):
        lr = convert_to_tensor(learning_rate, dtype=float32)
        step = cast(global_step.value() if hasattr(global_step, "value") else global_step, float32)
        p = step / constant(float(decay_steps), dtype=float32)
        if staircase:
            p = floor(p)
        return lr * math_ops.pow(constant(float(decay_rate), dtype=float32), p)


def _step(global_step: Any, what: str) -> Any:
    if global_step is None:
        raise InvalidArgumentError(f"{what}: global_step is required")
    return cast(global_step.value() if hasattr(global_step, "value") else global_step, float32)


def piecewise_constant(x: Any, boundaries: list[Any], values: list[Any], name: str | None = None) -> Any:
    """``values[0]`` while ``x <= boundaries[0]``, ``values[1]`` while ``x <= boundaries[1]`` ... and
    ``values[-1]`` after the last boundary (``len(values) == len(boundaries) + 1``)."""
    if len(values) != len(boundaries) + 1:
        raise InvalidArgumentError(
            f"piecewise_constant: need len(values) == len(boundaries) + 1, got {len(values)} values and "
            f"{len(boundaries)} boundaries"
        )
    with name_scope(name or "PiecewiseConstant"):
        step = _step(x, "piecewise_constant")
        out = convert_to_tensor(float(values[-1]), dtype=float32)
        for b, v in reversed(list(zip(boundaries, values[:-1], strict=True))):
            below = math_ops.less_equal(step, constant(float(b), dtype=float32))
            out = math_ops.where(below, constant(float(v), dtype=float32), out)
        return out


def polynomial_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> Any:
    """``(lr - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``; with ``cycle`` the
    horizon grows to the next multiple of ``decay_steps`` instead of stopping."""
    if decay_steps <= 0:
        raise InvalidArgumentError(f"polynomial_decay: decay_steps must be positive, got {decay_steps}")
    with name_scope(name or "PolynomialDecay"):
        lr = convert_to_tensor(learning_rate, dtype=float32)
        step = _step(global_step, "polynomial_decay")
        steps = constant(float(decay_steps), dtype=float32)
        if cycle:
            ceil = math_ops.negative(floor(math_ops.negative(step / steps)))
            mult = math_ops.maximum(ceil, constant(1.0, dtype=float32))
            steps = steps * mult
        else:
            step = math_ops.minimum(step, steps)
        end = constant(float(end_learning_rate), dtype=float32)
        frac = constant(1.0, dtype=float32) - step / steps
        return (lr - end) * math_ops.pow(frac, constant(float(power), dtype=float32)) + end


def inverse_time_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Any:
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (``staircase``: floored ratio)."""
    if decay_steps <= 0:
        raise InvalidArgumentError(f"inverse_time_decay: decay_steps must be positive, got {decay_steps}")
    with name_scope(name or "InverseTimeDecay"):
        lr = convert_to_tensor(learning_rate, dtype=float32)
        p = _step(global_step, "inverse_time_decay") / constant(float(decay_steps), dtype=float32)
        if staircase:
            p = floor(p)
        return lr / (constant(1.0, dtype=float32) + constant(float(decay_rate), dtype=float32) * p)


def natural_exp_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str | None = None,
) -> Any:
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)`` (``staircase``: floored ratio)."""
    if decay_steps <= 0:
        raise InvalidArgumentError(f"natural_exp_decay: decay_steps must be positive, got {decay_steps}")
    with name_scope(name or "NaturalExpDecay"):
        lr = convert_to_tensor(learning_rate, dtype=float32)
        p = _step(global_step, "natural_exp_decay") / constant(float(decay_steps), dtype=float32)
        if staircase:
            p = floor(p)
        return lr * math_ops.exp(-constant(float(decay_rate), dtype=float32) * p)


def cosine_decay(
    learning_rate: Any, global_step: Any, decay_steps: int, alpha: float = 0.0, name: str | None = None
) -> Any:
    """``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``."""
    if decay_steps <= 0:
        raise InvalidArgumentError(f"cosine_decay: decay_steps must be positive, got {decay_steps}")
    with name_scope(name or "CosineDecay"):
        lr = convert_to_tensor(learning_rate, dtype=float32)
        steps = constant(float(decay_steps), dtype=float32)
        step = math_ops.minimum(_step(global_step, "cosine_decay"), steps)
        cosine = 0.5 * (1.0 + cos(constant(math.pi, dtype=float32) * step / steps))
        return lr * ((1.0 - alpha) * cosine + alpha)
