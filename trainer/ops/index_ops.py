"""Index and ordering ops: ``tf.range``, ``tf.unique``, ``tf.gather_nd`` / ``tf.scatter_nd``,
``tf.nn.top_k`` and ``tf.sequence_mask`` (a composite of Range and Less).

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.sequence_mask([1, 3], 4)))
[[ True False False False]
 [ True  True  True False]]
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import (
    Tensor,
    apply_op,
    constant_value,
    constant_value_as_shape,
    convert_to_tensor,
    name_scope,
)
from trainer.ops.array_ops import cast, concat, expand_dims, gather, one_hot, reshape, shape, stack
from trainer.ops.math_ops import (
    floordiv,
    floormod,
    greater_equal,
    less,
    maximum,
    minimum,
    multiply,
    reduce_max,
    reduce_sum,
    sqrt,
    truediv,
    where,
)
from trainer.ops.scan_ops import cumsum
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import any_true, host_ints, scatter_add


# ---- Range ------------------------------------------------------------------------------------------
def range(  # noqa: A001 - the TensorFlow name
    start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str = "range"
) -> Tensor:
    """``[start, start + delta, ...]`` up to (excluding) ``limit``; ``range(n)`` is ``[0, n)``. int32 when
    every argument is an integer, else float32 (or ``dtype``)."""
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    if dtype is None:
        is_int = all(
            a.dtype.is_integer if isinstance(a, Tensor) else np.asarray(a).dtype.kind in "iu" for a in args
        )
        dtype = _dt.int32 if is_int else _dt.float32
    dt = _dt.as_dtype(dtype)
    tensors = [cast(a, dt) if isinstance(a, Tensor) else convert_to_tensor(a, dtype=dt) for a in args]
    return apply_op("Range", tensors, {}, name)


def _range_shape(inputs: list[Tensor], attrs: dict) -> Any:
    vals = [constant_value(t) for t in inputs]
    dt = inputs[0].dtype
    if any(v is None for v in vals):
        return TensorShape([None]), dt
    start, limit, delta = (float(v) for v in vals)
    if delta == 0:
        raise InvalidArgumentError("tf.range: delta must not be 0")
    return TensorShape([max(0, int(np.ceil((limit - start) / delta)))]), dt


def _range_kernel(ctx: Any, start: Any, limit: Any, delta: Any) -> Any:
    if start.dtype.kind in "iu":  # integer bounds: read like shape metadata
        a, b, d = (host_ints(v)[0] for v in (start, limit, delta))
    else:
        a, b, d = float(start), float(limit), float(delta)  # three scalars to the host (TF: HostMemory)
    if d == 0:
        raise InvalidArgumentError(f"{ctx.op.name}: delta must not be 0")
    return ctx.xp.arange(a, b, d, dtype=start.dtype)


register("Range", shape=_range_shape, kernel=_range_kernel, not_differentiable=True)


# ---- Unique -----------------------------------------------------------------------------------------
def unique(x: Any, out_idx: Any = _dt.int32, name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(y, idx)``: the distinct values of the vector ``x`` in order of first appearance, and for each
    element of ``x`` its position in ``y`` (``x == gather(y, idx)``)."""
    t = convert_to_tensor(x)
    return apply_op("Unique", [t], {"out_idx": _dt.as_dtype(out_idx)}, name or "Unique")


def _unique_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if x.shape.ndims not in (None, 1):
        raise InvalidArgumentError(f"tf.unique needs a vector, got shape {x.shape}")
    return [(TensorShape([None]), x.dtype), (x.shape, attrs["out_idx"])]


def _unique_kernel(ctx: Any, x: Any) -> Any:
    xp = ctx.xp
    values, first, inverse = xp.unique(x, return_index=True, return_inverse=True)
    order = xp.argsort(first, kind="stable")  # sorted values -> order of first appearance
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size)
    return values[order], rank[inverse.reshape(-1)].astype(ctx.attrs["out_idx"].np)


register("Unique", shape=_unique_shape, kernel=_unique_kernel, not_differentiable=True)


# ---- GatherNd / ScatterNd ---------------------------------------------------------------------------
def gather_nd(params: Any, indices: Any, name: str | None = None, batch_dims: int = 0) -> Tensor:
    """``out[i...] = params[indices[i..., 0], ..., indices[i..., k-1], ...]``: each innermost row of
    ``indices`` addresses an element (or a slice) of ``params``."""
    if batch_dims:
        raise InvalidArgumentError("tf.gather_nd: batch_dims is not supported")
    return apply_op(
        "GatherNd", [convert_to_tensor(params), convert_to_tensor(indices)], {}, name or "GatherNd"
    )


def _gather_nd_shape(inputs: list[Tensor], attrs: dict) -> Any:
    p, i = inputs
    if not i.dtype.is_integer:
        raise InvalidArgumentError(f"tf.gather_nd: indices must be integers, got {i.dtype.name}")
    if p.shape.dims is None or i.shape.dims is None or i.shape.dims[-1] is None:
        return TensorShape(None), p.dtype
    k = i.shape.dims[-1]
    if k > len(p.shape.dims):
        raise InvalidArgumentError(f"tf.gather_nd: index depth {k} exceeds the rank of params {p.shape}")
    return TensorShape(i.shape.dims[:-1] + p.shape.dims[k:]), p.dtype


def _nd_index(ctx: Any, shape: tuple[int, ...], i: Any) -> tuple[Any, ...]:
    """The index rows of ``i`` as a tuple of per-axis index arrays, bounds-checked against ``shape``."""
    cols = tuple(i[..., j] for j in builtins.range(i.shape[-1]))
    for j, c in enumerate(cols):
        if c.size and any_true((c < 0) | (c >= shape[j])):
            raise InvalidArgumentError(f"{ctx.op.name}: indices out of range for shape {tuple(shape)}")
    return cols


def _gather_nd_kernel(ctx: Any, p: Any, i: Any) -> Any:
    return p[_nd_index(ctx, p.shape, i)]


def _gather_nd_grad(op: Any, g: Tensor) -> list[Any]:
    """dparams = scatter_nd(indices, g, shape(params)) (repeated indices add up)."""
    p, i = op.inputs
    return [scatter_nd(i, g, shape(p, out_type=i.dtype)), None]


register("GatherNd", shape=_gather_nd_shape, kernel=_gather_nd_kernel, grad=_gather_nd_grad)


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None) -> Tensor:
    """Zeros of ``shape`` with ``updates`` added at ``indices`` (the inverse of :func:`gather_nd`)."""
    i, u = convert_to_tensor(indices), convert_to_tensor(updates)
    s = convert_to_tensor(shape, dtype=i.dtype)
    return apply_op("ScatterNd", [i, u, s], {}, name or "ScatterNd")


def _scatter_nd_shape(inputs: list[Tensor], attrs: dict) -> Any:
    i, u, s = inputs
    if not i.dtype.is_integer:
        raise InvalidArgumentError(f"tf.scatter_nd: indices must be integers, got {i.dtype.name}")
    return constant_value_as_shape(s), u.dtype


def _scatter_nd_kernel(ctx: Any, i: Any, u: Any, s: Any) -> Any:
    out = ctx.xp.zeros(host_ints(s), dtype=u.dtype)
    scatter_add(ctx.xp, out, _nd_index(ctx, out.shape, i), u)
    return out


def _scatter_nd_grad(op: Any, g: Tensor) -> list[Any]:
    """dupdates = gather_nd(g, indices)."""
    return [None, gather_nd(g, op.inputs[0]), None]


register("ScatterNd", shape=_scatter_nd_shape, kernel=_scatter_nd_kernel, grad=_scatter_nd_grad)


# ---- TopKV2 -----------------------------------------------------------------------------------------
def top_k(input: Any, k: Any = 1, sorted: bool = True, name: str | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """``(values, indices)`` of the ``k`` largest entries along the last axis, largest first (ties: the
    lower index first). ``k`` must be known while building the graph."""
    x = convert_to_tensor(input)
    kk = int(constant_value(k) if isinstance(k, Tensor) and constant_value(k) is not None else k)
    return apply_op("TopKV2", [x], {"k": kk}, name or "TopKV2")


def _top_k_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, k = inputs[0], attrs["k"]
    if k < 0:
        raise InvalidArgumentError(f"tf.nn.top_k: k must be >= 0, got {k}")
    if x.shape.dims is None:
        return [(TensorShape(None), x.dtype), (TensorShape(None), _dt.int32)]
    if not x.shape.dims or (x.shape.dims[-1] is not None and x.shape.dims[-1] < k):
        raise InvalidArgumentError(f"tf.nn.top_k: input {x.shape} needs a last axis of at least k={k}")
    out = TensorShape([*x.shape.dims[:-1], k])
    return [(out, x.dtype), (out, _dt.int32)]


def _top_k_kernel(ctx: Any, x: Any) -> Any:
    xp, k = ctx.xp, ctx.attrs["k"]
    idx = xp.argsort(-x, axis=-1, kind="stable")[..., :k]
    return xp.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)


def _top_k_grad(op: Any, g_values: Tensor, g_indices: Any = None) -> list[Any]:
    """dx[..., j] = sum_k g[..., k] * (indices[..., k] == j)."""
    x, idx = op.inputs[0], op.outputs[1]
    n = x.shape.dims[-1] if x.shape.dims is not None else None
    if n is None:
        raise InvalidArgumentError("gradient of tf.nn.top_k needs a known last axis")
    hot = one_hot(idx, n, dtype=x.dtype)  # [..., k, n]
    return [reduce_sum(multiply(hot, expand_dims(g_values, -1)), axis=-2)]


register("TopKV2", shape=_top_k_shape, kernel=_top_k_kernel, grad=_top_k_grad)


# ---- sequence_mask (composite) ----------------------------------------------------------------------
def sequence_mask(lengths: Any, maxlen: Any = None, dtype: Any = _dt.bool, name: str | None = None) -> Tensor:
    """``mask[..., j] = j < lengths[...]`` for ``j < maxlen`` (default: the largest length)."""
    lens = convert_to_tensor(lengths)
    if maxlen is None:
        maxlen = reduce_max(lens)
    steps = range(0, maxlen, 1, dtype=lens.dtype)
    mask = less(steps, expand_dims(lens, -1))
    return mask if _dt.as_dtype(dtype) is _dt.bool else cast(mask, dtype)


# ---- embedding_lookup, in_top_k (composites) ---------------------------------------------------------
def embedding_lookup(
    params: Any,
    ids: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    validate_indices: bool = True,
    max_norm: Any = None,
) -> Tensor:
    """Rows ``ids`` of the embedding table ``params`` (``tf.gather`` on axis 0). A list of tables is one
    table split row-wise as TF1 splits it: ``"mod"`` puts row ``i`` in table ``i % n`` at ``i // n``;
    ``"div"`` gives each table a contiguous block (the first ``rows % n`` tables one row more).
    ``max_norm``: each looked-up row whose L2 norm exceeds it is scaled down to it."""
    tables = list(params) if isinstance(params, (list, tuple)) else [params]
    if not tables:
        raise InvalidArgumentError("tf.nn.embedding_lookup: params is an empty list")
    if partition_strategy not in ("mod", "div"):
        raise InvalidArgumentError(
            f"tf.nn.embedding_lookup: partition_strategy must be 'mod' or 'div', got {partition_strategy!r}"
        )
    with name_scope(name or "embedding_lookup"):
        if len(tables) == 1:
            out = gather(tables[0], ids)
        else:
            i = convert_to_tensor(ids)
            n = len(tables)
            sizes = stack([shape(t, out_type=i.dtype)[0] for t in tables])
            offsets = cumsum(sizes, exclusive=True)
            if partition_strategy == "mod":
                part, row = floormod(i, n), floordiv(i, n)
            else:  # div: rows // n per table, the first rows % n tables one more
                total = reduce_sum(sizes)
                per, extras = floordiv(total, n), floormod(total, n)
                big = floordiv(i, per + 1)  # tables with one extra row come first
                part = where(less(i, extras * (per + 1)), big, floordiv(i - extras, maximum(per, 1)))
                part = minimum(part, n - 1)
                row = i - gather(offsets, part)
                row = where(less(i, extras * (per + 1)), i - big * (per + 1), row)
            out = gather(concat(tables, 0), gather(offsets, part) + row)
        if max_norm is not None:
            norm = sqrt(reduce_sum(out * out, axis=-1, keepdims=True))
            out = out * truediv(max_norm, maximum(norm, max_norm))
        return out


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Tensor:
    """``out[i]``: whether ``predictions[i, targets[i]]`` is among the ``k`` largest of row ``i`` (ties with
    the k-th value count as in, as in TF1)."""
    p = convert_to_tensor(predictions)
    t = convert_to_tensor(targets)
    values, _ = top_k(p, int(k))
    kth = values[:, int(k) - 1]
    n_cols = shape(p, out_type=t.dtype)[1]
    flat = reshape(p, [-1])
    rows = range(0, shape(p, out_type=t.dtype)[0], 1, dtype=t.dtype)
    target_score = gather(flat, rows * n_cols + t)
    return greater_equal(target_score, kth, name=name)
