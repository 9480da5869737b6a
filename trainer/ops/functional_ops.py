"""``tf.map_fn``, ``tf.scan``, ``tf.foldl``, ``tf.foldr``: loops over the first axis of tensors, built as TF1
builds them, from ``tf.while_loop`` and ``tf.TensorArray`` (so gradients flow through them).

``elems`` may be a tensor or a (nested) list/tuple of tensors sharing their first dimension; ``fn`` gets one
slice of each. ``map_fn``'s ``dtype`` gives the output structure when it differs from ``elems``'.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run([tf.map_fn(lambda x: x * x, tf.constant([1, 2, 3])),
...                     tf.scan(lambda a, x: a + x, tf.constant([1, 2, 3])),
...                     tf.foldl(lambda a, x: a * x, tf.constant([1, 2, 3, 4]))]))
[array([1, 4, 9], dtype=int32), array([1, 3, 6], dtype=int32), array(24, dtype=int32)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer import dtypes as _dt
from trainer import nest
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import shape
from trainer.ops.control_flow import while_loop
from trainer.ops.tensor_array import TensorArray


def _inputs(elems: Any) -> tuple[list[Tensor], Tensor]:
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if not flat:
        raise InvalidArgumentError("elems must hold at least one tensor")
    for t in flat:
        if t.shape.ndims == 0:
            raise InvalidArgumentError(f"elems must have a first dimension to loop over, got scalar {t.name}")
    n = flat[0].shape.dims[0] if flat[0].shape.dims else None
    return flat, (convert_to_tensor(n, dtype=_dt.int32) if n is not None else shape(flat[0])[0])


def _arrays(flat: list[Tensor], n: Tensor) -> list[TensorArray]:
    return [TensorArray(t.dtype, size=n).unstack(t) for t in flat]


def map_fn(
    fn: Callable[..., Any],
    elems: Any,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    name: str | None = None,
) -> Any:
    """``stack([fn(e) for e in unstack(elems)])`` (each of a nested ``elems`` unstacked alike)."""
    with name_scope(name or "map"):
        flat, n = _inputs(elems)
        ins = _arrays(flat, n)
        out_structure = elems if dtype is None else dtype
        out_dtypes = (
            [t.dtype for t in flat] if dtype is None else [_dt.as_dtype(d) for d in nest.flatten(dtype)]
        )
        outs = [TensorArray(d, size=n) for d in out_dtypes]

        def body(i: Tensor, *accs: TensorArray) -> Any:
            res = fn(nest.pack_sequence_as(elems, [ta.read(i) for ta in ins]))
            vals = [convert_to_tensor(v) for v in nest.flatten(res)]
            if len(vals) != len(accs):
                raise InvalidArgumentError(
                    f"map_fn: fn returned {len(vals)} tensors, dtype (or elems) has {len(accs)}: give dtype="
                )
            return (i + 1, *[ta.write(i, v) for ta, v in zip(accs, vals, strict=True)])

        res = while_loop(lambda i, *_: i < n, body, [convert_to_tensor(0), *outs], back_prop=back_prop)
        stacked = [ta.stack() for ta in res[1:]]
        return (
            nest.pack_sequence_as(out_structure, stacked) if nest.is_sequence(out_structure) else stacked[0]
        )


def scan(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    reverse: bool = False,
    name: str | None = None,
) -> Any:
    """The running accumulation ``a = fn(a, e)`` over the elements, every ``a`` stacked (``initializer``
    defaults to the first element, which is then also the first output)."""
    return _accumulate(fn, elems, initializer, back_prop, reverse, name or "scan", keep_all=True)


def foldl(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
) -> Any:
    """The final ``a`` of ``a = fn(a, e)`` from the first element to the last."""
    return _accumulate(fn, elems, initializer, back_prop, False, name or "foldl", keep_all=False)


def foldr(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
) -> Any:
    """The final ``a`` of ``a = fn(a, e)`` from the last element to the first."""
    return _accumulate(fn, elems, initializer, back_prop, True, name or "foldr", keep_all=False)


def _accumulate(
    fn: Callable[..., Any],
    elems: Any,
    initializer: Any,
    back_prop: bool,
    reverse: bool,
    name: str,
    keep_all: bool,
) -> Any:
    with name_scope(name):
        flat, n = _inputs(elems)
        ins = _arrays(flat, n)

        def read(i: Tensor) -> Any:
            return nest.pack_sequence_as(elems, [ta.read(i) for ta in ins])

        if initializer is None:
            first = n - 1 if reverse else convert_to_tensor(0)
            acc0 = read(first)
            start = 1
        else:
            acc0, start = initializer, 0
        acc_flat = [convert_to_tensor(a) for a in nest.flatten(acc0)]
        outs = [TensorArray(a.dtype, size=n) for a in acc_flat] if keep_all else []
        if keep_all and initializer is None:
            outs = [ta.write(n - 1 if reverse else 0, a) for ta, a in zip(outs, acc_flat, strict=True)]
        k = len(acc_flat)

        def body(j: Tensor, *state: Any) -> Any:
            i = n - 1 - j if reverse else j
            acc = nest.pack_sequence_as(acc0, list(state[:k]))
            new = [convert_to_tensor(v) for v in nest.flatten(fn(acc, read(i)))]
            writes = [ta.write(i, v) for ta, v in zip(state[k:], new, strict=True)] if keep_all else []
            return (j + 1, *new, *writes)

        res = while_loop(
            lambda j, *_: j < n, body, [convert_to_tensor(start), *acc_flat, *outs], back_prop=back_prop
        )
        if not keep_all:
            return nest.pack_sequence_as(acc0, list(res[1 : 1 + k]))
        return nest.pack_sequence_as(acc0, [ta.stack() for ta in res[1 + k :]])
