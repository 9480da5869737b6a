"""More TF1 array functions: ``tf.reverse`` (the ``ReverseV2`` op), ``tf.check_numerics`` (``CheckNumerics``,
an identity that fails on NaN or Inf), and composites ``tf.matrix_band_part`` (the causal masks of
transformers), ``tf.confusion_matrix``, ``tf.bincount``.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.matrix_band_part(tf.ones([3, 3]), -1, 0)))
[[1. 0. 0.]
 [1. 1. 0.]
 [1. 1. 1.]]
"""

from __future__ import annotations

from typing import Any

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor, name_scope
from trainer.ops._common import norm_axis, same_shape, static_ints
from trainer.ops.array_ops import cast, expand_dims, ones_like, reshape, shape, stack, zeros_like
from trainer.ops.index_ops import range as _range
from trainer.ops.math_ops import (
    less,
    less_equal,
    logical_and,
    logical_or,
    maximum,
    minimum,
    reduce_max,
    subtract,
    where,
)
from trainer.ops.segment_ops import unsorted_segment_sum
from trainer.registry import register
from trainer.xp_compat import any_true


# ---- ReverseV2 ---------------------------------------------------------------------------------------
def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """``tensor`` with the order of elements along each of ``axis`` reversed."""
    t = convert_to_tensor(tensor)
    axes = tuple(sorted({norm_axis(a, t.shape.ndims) for a in static_ints(axis, "axis")}))
    return apply_op("ReverseV2", [t], {"axis": axes}, name or "ReverseV2")


reverse_v2 = reverse


def _reverse_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.flip(x, ctx.attrs["axis"]) if ctx.attrs["axis"] else x


def _reverse_grad(op: Any, g: Tensor) -> list[Any]:
    """d reverse(x) = reverse(g) along the same axes."""
    return [reverse(g, list(op.attrs["axis"]))]


register("ReverseV2", shape=same_shape, kernel=_reverse_kernel, grad=_reverse_grad)


# ---- CheckNumerics -----------------------------------------------------------------------------------
def check_numerics(tensor: Any, message: str, name: str | None = None) -> Tensor:
    """``tensor`` unchanged; running it raises InvalidArgumentError with ``message`` on NaN or Inf."""
    t = convert_to_tensor(tensor)
    if not t.dtype.is_floating:
        raise InvalidArgumentError(f"tf.check_numerics needs a floating-point tensor, got {t.dtype.name}")
    return apply_op("CheckNumerics", [t], {"message": str(message)}, name or "CheckNumerics")


def verify_tensor_all_finite(t: Any, msg: str, name: str | None = None, x: Any = None, message: Any = None):
    return check_numerics(t if t is not None else x, message if message is not None else msg, name)


def _check_numerics_kernel(ctx: Any, x: Any) -> Any:
    if any_true(ctx.xp.logical_not(ctx.xp.isfinite(x))):
        kind = "NaN" if any_true(ctx.xp.isnan(x)) else "Inf"
        raise InvalidArgumentError(f"{ctx.attrs['message']} : Tensor had {kind} values ({ctx.op.name})")
    return x


def _check_numerics_grad(op: Any, g: Tensor) -> list[Any]:
    """An identity for the gradient (TF1 also checks the gradient: so do we)."""
    return [
        check_numerics(
            g, "Not a number (NaN) or infinity (Inf) values detected in gradient. " + op.attrs["message"]
        )
    ]


register(
    "CheckNumerics", shape=same_shape, kernel=_check_numerics_kernel, grad=_check_numerics_grad, stateful=True
)


# ---- composites --------------------------------------------------------------------------------------
def matrix_band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Keep the band ``i - j <= num_lower`` and ``j - i <= num_upper`` of the last two axes (a negative
    bound keeps the whole triangle), zero the rest."""
    with name_scope(name or "MatrixBandPart"):
        x = convert_to_tensor(input)
        s = shape(x)
        rows = expand_dims(_range(0, s[-2], 1), 1)
        cols = expand_dims(_range(0, s[-1], 1), 0)
        lower = convert_to_tensor(num_lower, dtype=_dt.int32)
        upper = convert_to_tensor(num_upper, dtype=_dt.int32)
        keep = logical_and(
            logical_or(less(lower, 0), less_equal(subtract(rows, cols), lower)),
            logical_or(less(upper, 0), less_equal(subtract(cols, rows), upper)),
        )
        return where(keep, x, zeros_like(x))  # the [rows, cols] mask broadcasts over leading axes


def confusion_matrix(
    labels: Any,
    predictions: Any,
    num_classes: Any = None,
    dtype: Any = _dt.int32,
    name: str | None = None,
    weights: Any = None,
) -> Tensor:
    """``out[i, j]``: how many examples with label ``i`` were predicted ``j`` (``weights`` add instead)."""
    with name_scope(name or "confusion_matrix"):
        lab = cast(convert_to_tensor(labels), _dt.int32)
        pred = cast(convert_to_tensor(predictions), _dt.int32)
        n = (
            maximum(reduce_max(lab), reduce_max(pred)) + 1
            if num_classes is None
            else convert_to_tensor(num_classes, dtype=_dt.int32)
        )
        dt = _dt.as_dtype(dtype)
        w = ones_like(lab, dtype=dt) if weights is None else cast(convert_to_tensor(weights), dt)
        counts = unsorted_segment_sum(w, lab * n + pred, n * n)
        return reshape(counts, stack([n, n]))


def bincount(
    arr: Any, weights: Any = None, minlength: Any = None, maxlength: Any = None, dtype: Any = _dt.int32
) -> Tensor:
    """How often each value ``0..max(arr)`` occurs in the non-negative int array ``arr`` (or the sum of its
    ``weights``), at least ``minlength`` and at most ``maxlength`` bins."""
    with name_scope("bincount"):
        a = reshape(cast(convert_to_tensor(arr), _dt.int32), [-1])
        n = reduce_max(a) + 1
        if minlength is not None:
            n = maximum(n, convert_to_tensor(minlength, dtype=_dt.int32))
        if maxlength is not None:
            n = minimum(n, convert_to_tensor(maxlength, dtype=_dt.int32))
            a = where(less(a, n), a, a * 0 - 1)  # values past maxlength are dropped (segment id -1)
        dt = _dt.as_dtype(dtype) if weights is None else convert_to_tensor(weights).dtype
        w = ones_like(a, dtype=dt) if weights is None else reshape(convert_to_tensor(weights), [-1])
        return unsorted_segment_sum(w, a, n)
