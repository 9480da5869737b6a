"""TF1 math and array functions built from registered ops (their gradients come from those ops):
``reduce_logsumexp``, ``norm``, ``trace``, ``linspace``, ``meshgrid``, ``boolean_mask``, ``sort``/``argsort``,
``logical_xor``, ``to_double``, ``matrix_transpose``, ``tensordot``.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run([tf.boolean_mask([1, 2, 3, 4], [True, False, True, False]), tf.linspace(0.0, 1.0, 3)]))
[array([1, 3], dtype=int32), array([0. , 0.5, 1. ], dtype=float32)]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, constant_value, convert_to_tensor, name_scope
from trainer.ops._common import norm_axis, static_ints
from trainer.ops.array_ops import (
    cast,
    concat,
    expand_dims,
    gather,
    ones_like,
    reshape,
    shape,
    squeeze,
    stop_gradient,
    transpose,
    where_indices,
)
from trainer.ops.einsum_ops import einsum
from trainer.ops.index_ops import range as _range
from trainer.ops.index_ops import top_k
from trainer.ops.linalg_ops import matrix_diag_part
from trainer.ops.math_ops import (
    abs as _abs,
)
from trainer.ops.math_ops import (
    add,
    exp,
    log,
    logical_and,
    logical_not,
    logical_or,
    multiply,
    negative,
    reduce_max,
    reduce_sum,
    sqrt,
    square,
    subtract,
    truediv,
    where,
)
from trainer.ops.math_ops import pow as _pow
from trainer.ops.unary_math_ops import is_finite


def reduce_logsumexp(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably (the maximum taken out first, as TF1 does)."""
    axis = axis if axis is not None else reduction_indices
    keep = bool(keep_dims if keep_dims is not None else (keepdims or False))
    with name_scope(name or "ReduceLogSumExp"):
        x = convert_to_tensor(input_tensor)
        m = where_finite(stop_gradient(reduce_max(x, axis, keepdims=True)))
        s = reduce_sum(exp(subtract(x, m)), axis, keepdims=keep)
        return add(log(s), m if keep else reduce_max(m, axis))  # max over the kept 1s drops them


def where_finite(m: Tensor) -> Tensor:
    """``m`` with infinities replaced by 0 (an all ``-inf`` row must not give ``inf - inf``)."""
    return where(is_finite(m), m, m * 0.0)


def norm(
    tensor: Any,
    ord: Any = "euclidean",  # noqa: A002 - the TensorFlow name
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    keep_dims: Any = None,
) -> Tensor:
    """Vector norms (``ord`` 1, 2/'euclidean', ``np.inf``, any p > 0) over ``axis`` (all elements by default;
    an int or a pair of axes, where 'euclidean'/'fro' is the Frobenius norm)."""
    keep = bool(keep_dims if keep_dims is not None else (keepdims or False))
    with name_scope(name or "norm"):
        x = convert_to_tensor(tensor)
        axes = None if axis is None else list(static_ints(axis, "axis"))
        if ord in ("euclidean", "fro", 2, 2.0):
            if ord == "fro" and (axes is None or len(axes) != 2) and axis is not None:
                raise InvalidArgumentError("tf.norm: ord='fro' needs a pair of axes")
            return sqrt(reduce_sum(square(x), axes, keepdims=keep))
        if axes is not None and len(axes) == 2:
            raise InvalidArgumentError(
                f"tf.norm: matrix norm ord={ord!r} is not supported (only 'fro'/'euclidean')"
            )
        if ord == 1:
            return reduce_sum(_abs(x), axes, keepdims=keep)
        if ord in (np.inf, "inf"):
            return reduce_max(_abs(x), axes, keepdims=keep)
        p = float(ord)
        if p <= 0:
            raise InvalidArgumentError(f"tf.norm: ord must be > 0, got {ord!r}")
        return _pow(reduce_sum(_pow(_abs(x), p), axes, keepdims=keep), 1.0 / p)


def trace(x: Any, name: str | None = None) -> Tensor:
    """The sum of the main diagonal of the last two axes."""
    with name_scope(name or "Trace"):
        return reduce_sum(matrix_diag_part(convert_to_tensor(x)), axis=-1)


def linspace(start: Any, stop: Any, num: Any, name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (both included)."""
    with name_scope(name or "LinSpace"):
        a = (
            convert_to_tensor(start, dtype=_dt.float32)
            if not hasattr(start, "dtype")
            else convert_to_tensor(start)
        )
        b = cast(convert_to_tensor(stop), a.dtype)
        n = convert_to_tensor(num, dtype=_dt.int32)
        steps = cast(_range(0, n, 1), a.dtype)
        denom = cast(n - 1, a.dtype)
        denom = add(denom, cast(n <= 1, a.dtype))  # num = 1: just start
        out = add(a, multiply(steps, truediv(subtract(b, a), denom)))
        nv = constant_value(n)
        if nv is not None:
            out.set_shape([int(nv)])
        return out


lin_space = linspace


def meshgrid(*args: Any, indexing: str = "xy", name: str = "meshgrid", **kwargs: Any) -> list[Tensor]:
    """Coordinate arrays from 1-D tensors: ``'xy'`` (Cartesian, the default) or ``'ij'`` (matrix)."""
    if kwargs:
        raise InvalidArgumentError(f"tf.meshgrid: unexpected arguments {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise InvalidArgumentError(f"tf.meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    with name_scope(name):
        xs = [reshape(convert_to_tensor(a), [-1]) for a in args]
        n = len(xs)
        outs = []
        for i, x in enumerate(xs):
            dims = [1] * n
            dims[i] = -1
            outs.append(reshape(x, dims))
        if indexing == "xy" and n >= 2:
            outs = [transpose(o, [1, 0, *range(2, n)]) for o in outs]
        ones = ones_like(outs[0])
        for o in outs[1:]:
            ones = multiply(ones, ones_like(o))
        return [multiply(o, cast(ones, o.dtype)) for o in outs]


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """The elements (or slices) of ``tensor`` where ``mask`` (a bool tensor over its leading axes, from
    ``axis``) is true, flattened along the masked axes."""
    with name_scope(name):
        t = convert_to_tensor(tensor)
        m = convert_to_tensor(mask)
        if m.dtype is not _dt.bool:
            raise InvalidArgumentError(f"tf.boolean_mask: mask must be bool, got {m.dtype.name}")
        k = m.shape.ndims
        if k is None:
            raise InvalidArgumentError("tf.boolean_mask: the mask's rank must be known")
        a = 0 if axis is None else norm_axis(int(axis), t.shape.ndims)
        st = shape(t)
        lead = [st[i] for i in range(a)]
        flat = reshape(t, concat([*[expand_dims(d, 0) for d in lead], [-1], st[a + k :]], 0))
        idx = squeeze(where_indices(reshape(m, [-1])), [1])
        out = gather(flat, idx, axis=a)
        if t.shape.dims is not None:
            out.set_shape([*t.shape.dims[:a], None, *t.shape.dims[a + k :]])
        return out


def sort(values: Any, axis: int = -1, direction: str = "ASCENDING", name: str | None = None) -> Tensor:
    """``values`` sorted along the last axis (``ASCENDING`` or ``DESCENDING``), whose size must be known."""
    with name_scope(name or "sort"):
        x, idx = _sorted(values, axis, direction)
        return x


def argsort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = False, name: str | None = None
) -> Tensor:
    """The indices that sort ``values`` along the last axis (ties keep their order)."""
    with name_scope(name or "argsort"):
        return _sorted(values, axis, direction)[1]


def _sorted(values: Any, axis: int, direction: str) -> tuple[Tensor, Tensor]:
    x = convert_to_tensor(values)
    r = x.shape.ndims
    if r is None or norm_axis(axis, r) != r - 1:
        raise InvalidArgumentError(
            "tf.sort/argsort: only the last axis of a tensor of known rank is supported"
        )
    n = x.shape.dims[-1]
    if n is None:
        raise InvalidArgumentError(f"tf.sort/argsort: the last axis must be known, got shape {x.shape}")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise InvalidArgumentError(f"tf.sort: direction must be ASCENDING or DESCENDING, got {direction!r}")
    if direction == "DESCENDING":
        return top_k(x, n)
    values_neg, idx = top_k(negative(x), n)
    return negative(values_neg), idx


def logical_xor(x: Any, y: Any, name: str = "LogicalXor") -> Tensor:
    """``(x or y) and not (x and y)``."""
    with name_scope(name):
        return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    return cast(x, _dt.float64, name=name)


def matrix_transpose(a: Any, name: str = "matrix_transpose", conjugate: bool = False) -> Tensor:
    """Swap the last two axes."""
    x = convert_to_tensor(a)
    r = x.shape.ndims
    if r is None or r < 2:
        raise InvalidArgumentError(f"tf.matrix_transpose needs rank >= 2 of known rank, got {x.shape}")
    return transpose(x, [*range(r - 2), r - 1, r - 2], name=name)


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Sum over the last ``axes`` axes of ``a`` and the first ``axes`` of ``b`` (an int), or over the axis
    lists ``axes = [a_axes, b_axes]``; built as an ``einsum`` (ranks must be known)."""
    x, y = convert_to_tensor(a), convert_to_tensor(b)
    ra, rb = x.shape.ndims, y.shape.ndims
    if ra is None or rb is None:
        raise InvalidArgumentError("tf.tensordot needs operands of known rank")
    if isinstance(axes, (int, np.integer)) or (isinstance(axes, Tensor) and axes.shape.ndims == 0):
        k = int(static_ints(axes, "axes")[0])
        a_axes, b_axes = list(range(ra - k, ra)), list(range(k))
    else:
        a_axes, b_axes = ([int(v) for v in static_ints(ax, "axes")] for ax in axes)
    a_axes = [norm_axis(v, ra) for v in a_axes]
    b_axes = [norm_axis(v, rb) for v in b_axes]
    if len(a_axes) != len(b_axes):
        raise InvalidArgumentError(f"tf.tensordot: {len(a_axes)} axes of a against {len(b_axes)} of b")
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    sa = [next(letters) for _ in range(ra)]
    sb = [next(letters) for _ in range(rb)]
    for i, j in zip(a_axes, b_axes, strict=True):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in a_axes] + [c for j, c in enumerate(sb) if j not in b_axes]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", x, y, name=name or "Tensordot")
