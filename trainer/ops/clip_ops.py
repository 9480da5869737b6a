"""Clipping: ``tf.clip_by_value``, ``tf.clip_by_norm``, ``tf.clip_by_global_norm`` and ``tf.global_norm``.

Composites of core ops (their gradients come from those ops), as the gradient-clipping idiom uses them::

    grads, variables = zip(*optimizer.compute_gradients(loss))
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    train_op = optimizer.apply_gradients(zip(grads, variables))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import cast, identity
from trainer.ops.math_ops import (
    add_n,
    maximum,
    minimum,
    multiply,
    reduce_sum,
    sqrt,
    square,
    truediv,
)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Tensor:
    """``min(max(t, clip_value_min), clip_value_max)``: the gradient flows where ``t`` is inside the range."""
    x = convert_to_tensor(t)
    with name_scope(name or "clip_by_value"):
        lo = convert_to_tensor(clip_value_min, dtype=x.dtype)
        hi = convert_to_tensor(clip_value_max, dtype=x.dtype)
        return minimum(maximum(x, lo), hi)


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Tensor:
    """``t * clip_norm / max(l2norm(t), clip_norm)``: ``t`` scaled down to L2 norm ``clip_norm`` (over
    ``axes``, default all) when it is longer."""
    x = convert_to_tensor(t)
    with name_scope(name or "clip_by_norm"):
        c = convert_to_tensor(clip_norm, dtype=x.dtype)
        norm = sqrt(reduce_sum(square(x), axis=axes, keepdims=axes is not None))
        return identity(truediv(multiply(x, c), maximum(norm, c)))


def global_norm(t_list: Sequence[Any], name: str | None = None) -> Tensor:
    """``sqrt(sum of the squared L2 norms of every tensor in t_list)``; None entries are skipped."""
    tensors = [convert_to_tensor(t) for t in t_list if t is not None]
    if not tensors:
        raise InvalidArgumentError("tf.global_norm needs at least one tensor")
    with name_scope(name or "global_norm"):
        return sqrt(add_n([cast(reduce_sum(square(t)), tensors[0].dtype) for t in tensors]))


def clip_by_global_norm(
    t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[Tensor | None], Tensor]:
    """``([t * clip_norm / max(global_norm, clip_norm) for t in t_list], global_norm)``: every tensor scaled
    by the same factor, so that their joint norm is at most ``clip_norm``. None entries stay None."""
    if isinstance(t_list, (Tensor, str)) or not isinstance(t_list, Sequence):
        t_list = list(t_list)
    with name_scope(name or "clip_by_global_norm"):
        norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
        c = convert_to_tensor(clip_norm, dtype=norm.dtype)
        scale = truediv(c, maximum(norm, c))
        out = [
            None
            if t is None
            else identity(multiply(convert_to_tensor(t), cast(scale, convert_to_tensor(t).dtype)))
            for t in t_list
        ]
    return out, norm
