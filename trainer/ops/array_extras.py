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
from trainer.ops.array_ops import (
    cast,
    concat,
    expand_dims,
    gather,
    identity,
    ones_like,
    reshape,
    shape,
    size,
    squeeze,
    stack,
    transpose,
    where_indices,
    zeros_like,
)
from trainer.ops.index_ops import range as _range
from trainer.ops.index_ops import scatter_nd
from trainer.ops.math_ops import (
    add,
    equal,
    greater,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    reduce_any,
    reduce_max,
    reduce_sum,
    rsqrt,
    subtract,
    truediv,
    where,
)
from trainer.ops.random_ops import random_uniform
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


def where_v2(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """``where`` with numpy broadcasting of all three arguments (ours always broadcasts)."""
    return where(condition, x, y, name=name)


def shape_n(input: Any, out_type: Any = _dt.int32, name: str | None = None) -> list[Tensor]:  # noqa: A002
    return [shape(t, out_type=out_type) for t in input]


def identity_n(input: Any, name: str | None = None) -> list[Tensor]:  # noqa: A002
    return [identity(t) for t in input]


def clip_by_average_norm(t: Any, clip_norm: Any, name: str | None = None) -> Tensor:
    """``t * clip_norm / max(avg_norm, clip_norm)`` with ``avg_norm = l2norm(t) / size(t)`` (TF1)."""
    with name_scope(name or "clip_by_average_norm"):
        x = convert_to_tensor(t)
        c = cast(convert_to_tensor(clip_norm), x.dtype)
        n = cast(size(x), x.dtype)
        inv = rsqrt(reduce_sum(multiply(x, x)))
        return multiply(multiply(x, c), minimum(multiply(inv, n), truediv(1.0, c)))


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
    """``y[x[i]] = i`` for a permutation ``x`` of ``0..n-1``."""
    with name_scope(name or "InvertPermutation"):
        p = convert_to_tensor(x)
        n = shape(p)[0]
        return unsorted_segment_sum(_range(0, n, 1, dtype=p.dtype), p, n)


def setdiff1d(x: Any, y: Any, index_dtype: Any = _dt.int32, name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(out, idx)``: the values of vector ``x`` not in ``y``, in order, and their positions in ``x``."""
    with name_scope(name or "ListDiff"):
        a, b = convert_to_tensor(x), convert_to_tensor(y)
        keep = logical_not(reduce_any(equal(expand_dims(a, 1), expand_dims(b, 0)), axis=1))
        idx = cast(squeeze(where_indices(keep), [1]), index_dtype)
        return gather(a, idx), idx


def dynamic_partition(
    data: Any, partitions: Any, num_partitions: int, name: str | None = None
) -> list[Tensor]:
    """``num_partitions`` tensors: the rows (over ``partitions``' axes) of ``data`` whose partition is p."""
    with name_scope(name or "DynamicPartition"):
        d, p = convert_to_tensor(data), convert_to_tensor(partitions)
        k = p.shape.ndims
        if k is None:
            raise InvalidArgumentError("tf.dynamic_partition: partitions must have a known rank")
        rows = reshape(d, concat([[-1], shape(d)[k:]], 0)) if k != 1 else d
        flat = reshape(p, [-1])
        return [gather(rows, squeeze(where_indices(equal(flat, i)), [1])) for i in range(int(num_partitions))]


def dynamic_stitch(indices: Any, data: Any, name: str | None = None) -> Tensor:
    """``out[indices[m][i]] = data[m][i]`` (the inverse of ``dynamic_partition``; indices must not repeat)."""
    with name_scope(name or "DynamicStitch"):
        idx = [convert_to_tensor(i) for i in indices]
        vals = [convert_to_tensor(v) for v in data]
        rest = [
            v.shape.dims[i.shape.ndims :] if v.shape.dims is not None else None
            for i, v in zip(idx, vals, strict=True)
        ]
        if any(r is None or any(d is None for d in r) for r in rest):
            raise InvalidArgumentError("tf.dynamic_stitch: the data's element shape must be known")
        flat_i = concat([reshape(i, [-1]) for i in idx], 0)
        flat_v = concat([reshape(v, [-1, *rest[0]]) for v in vals], 0)
        return unsorted_segment_sum(flat_v, flat_i, reduce_max(flat_i) + 1)


def space_to_depth(input: Any, block_size: int, name: str | None = None, data_format: str = "NHWC") -> Tensor:  # noqa: A002
    """Blocks of ``block_size x block_size`` pixels moved into the channels (NHWC)."""
    b = int(block_size)
    with name_scope(name or "SpaceToDepth"):
        x = convert_to_tensor(input)
        s = shape(x)
        y = reshape(x, stack([s[0], s[1] // b, b, s[2] // b, b, s[3]]))
        y = transpose(y, [0, 1, 3, 2, 4, 5])
        out = reshape(y, stack([s[0], s[1] // b, s[2] // b, s[3] * b * b]))
        out.set_shape(_scaled(x, 1 / b, b * b))
        return out


def depth_to_space(input: Any, block_size: int, name: str | None = None, data_format: str = "NHWC") -> Tensor:  # noqa: A002
    """The inverse of :func:`space_to_depth`: channels spread into ``block_size x block_size`` pixels."""
    b = int(block_size)
    with name_scope(name or "DepthToSpace"):
        x = convert_to_tensor(input)
        s = shape(x)
        y = reshape(x, stack([s[0], s[1], s[2], b, b, s[3] // (b * b)]))
        y = transpose(y, [0, 1, 3, 2, 4, 5])
        out = reshape(y, stack([s[0], s[1] * b, s[2] * b, s[3] // (b * b)]))
        out.set_shape(_scaled(x, b, 1 / (b * b)))
        return out


def _scaled(x: Tensor, spatial: float, channels: float) -> list[int | None]:
    """The static NHWC shape of ``x`` with height and width times ``spatial``, channels times ``channels``."""
    if x.shape.ndims != 4:
        return [None] * 4
    n, h, w, c = x.shape.dims
    scale = [None if d is None else int(round(d * f)) for d, f in ((h, spatial), (w, spatial), (c, channels))]
    return [n, *scale]


def sparse_to_dense(
    sparse_indices: Any,
    output_shape: Any,
    sparse_values: Any,
    default_value: Any = 0,
    validate_indices: bool = True,
    name: str | None = None,
) -> Tensor:
    """A dense tensor of ``output_shape`` holding ``sparse_values`` (one value or one per index) at
    ``sparse_indices`` (a vector of positions or rows of coordinates) and ``default_value`` elsewhere."""
    with name_scope(name or "SparseToDense"):
        idx = convert_to_tensor(sparse_indices)
        if idx.shape.ndims in (0, 1):
            idx = reshape(idx, [-1, 1])
        vals = convert_to_tensor(sparse_values)
        dense_shape = cast(convert_to_tensor(output_shape), idx.dtype)
        n = shape(idx)[0:1]
        vals = vals * ones_like(cast(reshape(idx[:, 0], [-1]), vals.dtype)) if vals.shape.ndims == 0 else vals
        hits = scatter_nd(idx, cast(ones_like(reshape(idx[:, 0], n)), vals.dtype), dense_shape)
        dense = scatter_nd(idx, vals, dense_shape)
        default = cast(convert_to_tensor(default_value), vals.dtype)
        return where(greater(hits, 0), dense, default * ones_like(dense))


def scatter_nd_update(
    ref: Any, indices: Any, updates: Any, use_locking: bool = True, name: str | None = None
):
    """``ref[indices[i]] = updates[i]`` (rows of coordinates): assigns the variable and returns its value."""
    with name_scope(name or "ScatterNdUpdate"):
        value = ref.value()
        idx = convert_to_tensor(indices)
        upd = cast(convert_to_tensor(updates), value.dtype)
        full = shape(value, out_type=idx.dtype)
        mask = scatter_nd(idx, ones_like(upd), full)
        new = add(multiply(value, subtract(1.0, minimum(mask, 1.0))), scatter_nd(idx, upd, full))
        return ref.assign(new)


def random_crop(value: Any, size: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """A window of ``size`` at a uniformly random offset of ``value`` (every axis; a new one per run)."""
    with name_scope(name or "random_crop"):
        x = convert_to_tensor(value)
        dims = static_ints(size, "size")
        if x.shape.ndims is not None and len(dims) != x.shape.ndims:
            raise InvalidArgumentError(f"tf.random_crop: size {list(dims)} does not match shape {x.shape}")
        s = shape(x)
        out = x
        for ax, d in enumerate(dims):
            limit = s[ax] - d + 1
            u = random_uniform([], seed=None if seed is None else seed + ax)  # the limit is a run-time value
            offset = minimum(cast(multiply(u, cast(limit, u.dtype)), _dt.int32), limit - 1)
            out = gather(out, _range(0, d, 1) + offset, axis=ax)
        out.set_shape(list(dims))
        return out
