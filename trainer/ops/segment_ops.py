"""Segment reductions: ``tf.unsorted_segment_sum`` (the op), ``tf.segment_sum``, ``tf.unsorted_segment_mean``
and ``tf.segment_mean`` (composites). Row ``i`` of ``data`` is added into output row ``segment_ids[i]``.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.segment_sum([[1, 2], [3, 4], [5, 6]], [0, 0, 1])))
[[4 6]
 [5 6]]
"""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, constant_value, convert_to_tensor, name_scope
from trainer.ops.array_ops import cast, expand_dims, gather, ones_like, reshape
from trainer.ops.math_ops import greater_equal, maximum, multiply, reduce_max, truediv
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import any_true, host_ints, scatter_add


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: Any, name: str | None = None) -> Tensor:
    """``out[k] = sum of data[i] with segment_ids[i] == k`` for ``k < num_segments`` (ids of any rank
    matching ``data``'s leading axes; rows with a negative id are dropped, as in TF)."""
    d, ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
    n = convert_to_tensor(num_segments, dtype=ids.dtype)
    return apply_op("UnsortedSegmentSum", [d, ids, n], {}, name or "UnsortedSegmentSum")


def _segment_shape(inputs: list[Tensor], attrs: dict) -> Any:
    d, ids, n = inputs
    if not ids.dtype.is_integer:
        raise InvalidArgumentError(f"segment_ids must be integers, got {ids.dtype.name}")
    k = ids.shape.ndims
    if d.shape.dims is None or k is None:
        return TensorShape(None), d.dtype
    nv = constant_value(n)
    return TensorShape([None if nv is None else int(nv), *d.shape.dims[k:]]), d.dtype


def _segment_kernel(ctx: Any, data: Any, ids: Any, n: Any) -> Any:
    xp = ctx.xp
    (num,) = host_ints(n)
    k = ids.ndim
    flat_ids = ids.reshape(-1)
    rows = data.reshape((-1, *data.shape[k:]))
    if flat_ids.size and any_true(flat_ids >= num):
        raise InvalidArgumentError(f"{ctx.op.name}: segment ids must be < num_segments = {num}")
    keep = flat_ids >= 0
    out = xp.zeros((num, *data.shape[k:]), dtype=data.dtype)
    scatter_add(xp, out, flat_ids[keep], rows[keep])
    return out


def _segment_grad(op: Any, g: Tensor) -> list[Any]:
    """d data[i] = g[segment_ids[i]] (zero where the id is negative)."""
    _, ids, _ = op.inputs
    safe = maximum(ids, 0)
    picked = gather(g, safe)
    mask = cast(greater_equal(ids, 0), g.dtype)
    for _ in range((g.shape.ndims or 1) - 1):
        mask = expand_dims(mask, -1)
    return [multiply(picked, mask), None, None]


register("UnsortedSegmentSum", shape=_segment_shape, kernel=_segment_kernel, grad=_segment_grad)


def segment_sum(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """Sums over sorted segment ids (``max(segment_ids) + 1`` output rows)."""
    with name_scope(name or "SegmentSum"):
        ids = convert_to_tensor(segment_ids)
        return unsorted_segment_sum(data, ids, reduce_max(ids) + 1)


def unsorted_segment_mean(data: Any, segment_ids: Any, num_segments: Any, name: str | None = None) -> Tensor:
    """Means per segment (0 for an empty segment)."""
    with name_scope(name or "UnsortedSegmentMean"):
        d = convert_to_tensor(data)
        ids = convert_to_tensor(segment_ids)
        total = unsorted_segment_sum(d, ids, num_segments)
        count = unsorted_segment_sum(cast(ones_like(ids), d.dtype), ids, num_segments)
        count = maximum(count, 1)
        extra = (d.shape.ndims or 1) - (ids.shape.ndims or 1)
        count = reshape(count, [-1, *([1] * extra)]) if extra > 0 else count
        return truediv(total, count)


def segment_mean(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    with name_scope(name or "SegmentMean"):
        ids = convert_to_tensor(segment_ids)
        return unsorted_segment_mean(data, ids, reduce_max(ids) + 1)
