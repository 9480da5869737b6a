"""Scans and products: ``tf.cumsum``, ``tf.cumprod`` (``exclusive``, ``reverse``) and ``tf.reduce_prod``
(its gradient is the product of two exclusive cumulative products, right where an input is zero).

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run([tf.cumsum([1, 2, 3], exclusive=True), tf.cumprod([1, 2, 3], reverse=True),
...                     tf.reduce_prod([[1.0, 2.0], [3.0, 4.0]], axis=1)]))
[array([0, 1, 3], dtype=int32), array([6, 6, 3], dtype=int32), array([ 2., 12.], dtype=float32)]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops._common import norm_axis, same_shape, static_ints
from trainer.ops.array_ops import gather, reshape, shape, stack, transpose
from trainer.ops.math_ops import _grad_to_input, _reduce, _reduce_shape, multiply, truediv
from trainer.registry import register


def _scan_attrs(x: Tensor, axis: Any, exclusive: bool, reverse: bool) -> dict[str, Any]:
    (ax,) = static_ints(axis, "axis")
    return {"axis": norm_axis(ax, x.shape.ndims), "exclusive": bool(exclusive), "reverse": bool(reverse)}


def _scan(xp: Any, x: Any, attrs: dict, kind: str) -> Any:
    """``cumsum``/``cumprod`` along the axis, optionally from the end and shifted by one (exclusive)."""
    ax = attrs["axis"]
    if ax >= x.ndim:
        raise InvalidArgumentError(f"axis {ax} is out of range for an input of rank {x.ndim}")
    y = xp.flip(x, ax) if attrs["reverse"] else x
    if attrs["exclusive"]:
        head = (slice(None),) * ax
        first = xp.full_like(y[(*head, slice(0, 1))], 0 if kind == "sum" else 1)
        y = xp.concatenate([first, y[(*head, slice(0, y.shape[ax] - 1))]], axis=ax)
    out = (xp.cumsum if kind == "sum" else xp.cumprod)(y, axis=ax, dtype=x.dtype)
    return xp.flip(out, ax) if attrs["reverse"] else out


# ---- Cumsum -----------------------------------------------------------------------------------------
def cumsum(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running sums along ``axis``: ``[a, a+b, a+b+c]``; ``exclusive``: ``[0, a, a+b]``; ``reverse``: from
    the end."""
    t = convert_to_tensor(x)
    return apply_op("Cumsum", [t], _scan_attrs(t, axis, exclusive, reverse), name or "Cumsum")


def _cumsum_kernel(ctx: Any, x: Any) -> Any:
    return _scan(ctx.xp, x, ctx.attrs, "sum")


def _cumsum_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = cumsum(g) in the opposite direction (same exclusiveness)."""
    a = op.attrs
    return [cumsum(g, a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"])]


register("Cumsum", shape=same_shape, kernel=_cumsum_kernel, grad=_cumsum_grad)


# ---- Cumprod ----------------------------------------------------------------------------------------
def cumprod(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """Running products along ``axis``: ``[a, ab, abc]``; ``exclusive``: ``[1, a, ab]``."""
    t = convert_to_tensor(x)
    return apply_op("Cumprod", [t], _scan_attrs(t, axis, exclusive, reverse), name or "Cumprod")


def _cumprod_kernel(ctx: Any, x: Any) -> Any:
    return _scan(ctx.xp, x, ctx.attrs, "prod")


def _cumprod_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = cumsum(y * g, opposite direction) / x (TF1's rule: undefined where x is 0)."""
    a = op.attrs
    s = cumsum(multiply(op.outputs[0], g), a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"])
    return [truediv(s, op.inputs[0])]


register("Cumprod", shape=same_shape, kernel=_cumprod_kernel, grad=_cumprod_grad)


# ---- Prod ---------------------------------------------------------------------------------------------
def reduce_prod(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """The product over ``axis`` (all axes by default)."""
    return _reduce("Prod", input_tensor, axis, keepdims, keep_dims, name, reduction_indices)


def _prod_kernel(ctx: Any, x: Any) -> Any:
    a = ctx.attrs
    return ctx.xp.asarray(x.prod(axis=a["axis"], keepdims=a["keepdims"]), dtype=x.dtype)


def _prod_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g * (product of the other reduced elements) = g * exclusive cumprod from each side, over the
    reduced axes flattened into one (TF1's rule: exact where an element is zero)."""
    x, axes = op.inputs[0], op.attrs["axis"]
    gx = _grad_to_input(op, g)
    if axes is None:  # every axis of an input of unknown rank
        m = reshape(x, [-1, 1])
        return [multiply(reshape(_others(m), shape(x)), gx)]
    r = x.shape.ndims
    rest = [i for i in range(r) if i not in axes]
    perm = list(axes) + rest
    xt = transpose(x, perm)
    sx = shape(x)
    cols = _reduce("Prod", gather(sx, rest), None, False, None, None) if rest else 1
    m = reshape(xt, stack([-1, cols]) if rest else [-1, 1])
    inv = list(np.argsort(perm))
    others = transpose(reshape(_others(m), shape(xt)), inv)
    return [multiply(others, gx)]


def _others(m: Tensor) -> Tensor:
    """For each element of matrix ``m``, the product of the other elements of its column."""
    return multiply(cumprod(m, 0, exclusive=True), cumprod(m, 0, exclusive=True, reverse=True))


register("Prod", shape=_reduce_shape, kernel=_prod_kernel, grad=_prod_grad)
