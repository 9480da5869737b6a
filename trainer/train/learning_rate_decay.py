"""Learning rate schedules as graph tensors of the global step (TF1 ``tf.train.exponential_decay``).

>>> import trainer as tf
>>> step = tf.train.get_or_create_global_step()
>>> lr = tf.train.exponential_decay(0.1, step, decay_steps=100, decay_rate=0.5, staircase=True)
"""

from __future__ import annotations

from typing import Any

from trainer.dtypes import float32
from trainer.errors import InvalidArgumentError
from trainer.graph import convert_to_tensor, name_scope
from trainer.ops import math_ops
from trainer.ops.array_ops import constant
from trainer.ops.math_ops import cast, floor


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
