"""``tf.TensorArray``: a list of same-shaped tensors written one at a time, the store of hand-written RNN
loops (``ta = ta.write(t, h)`` inside a ``tf.while_loop``, ``ta.stack()`` after it).

TF1 keeps a TensorArray in a resource (a handle) and threads a scalar *flow* tensor through the graph to
order reads after writes. Here the flow *is* the data: a dense buffer of shape ``[size, *element_shape]``
in the array's dtype. ``write`` returns a new TensorArray whose flow is a new buffer (the old one is not
changed), so a TensorArray can be a ``while_loop`` variable (the loop carries its buffer) and gradients
flow through it as through any float tensor: the gradient of a write is "the row just written goes to the
value, the other rows to the previous buffer".

Until the first write the element shape may be unknown (``tf.TensorArray(tf.float32, size=n)``): the
buffer is then a placeholder vector of ``size`` zeros and the first write allocates ``[size, *value.shape]``
(elements that are scalars need no allocation). ``dynamic_size=True`` lets a write past the end grow the
buffer. Reads of elements never written give zeros (TF1 raises an error there).

>>> import trainer as tf
>>> with tf.Graph().as_default():
...     ta = tf.TensorArray(tf.float32, size=3)
...     _, ta = tf.while_loop(lambda i, ta: i < 3,
...                           lambda i, ta: (i + 1, ta.write(i, tf.cast(i, tf.float32) * [1.0, 2.0])),
...                           [0, ta])
...     with tf.Session() as sess:
...         print(sess.run(ta.stack()).tolist(), sess.run(ta.size()))
[[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]] 3

The op stanzas: ``TensorArrayZeros`` (the empty buffer), ``TensorArrayWrite`` / ``TensorArrayScatter``
(rows replaced), ``TensorArrayWriteGrad`` (the gradient of both for the buffer: rows zeroed). Reads and
gathers are ``Gather``; ``stack`` is the buffer itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import Tensor, apply_op, constant_value, convert_to_tensor, name_scope
from trainer.ops.array_ops import concat, gather, identity, reshape, shape
from trainer.ops.control_ops import no_op
from trainer.registry import register
from trainer.tensor_shape import TensorShape, as_shape
from trainer.xp_compat import host_ints


def _element_dims(t: Tensor) -> TensorShape:
    return TensorShape(None) if t.shape.dims is None else TensorShape(t.shape.dims[1:])


# ---- TensorArrayZeros: the empty buffer -------------------------------------------------------------
def _zeros_shape(inputs: list[Tensor], attrs: dict) -> Any:
    size = constant_value(inputs[0])
    if not inputs[0].dtype.is_integer or inputs[0].shape.ndims not in (0, None):
        raise InvalidArgumentError(f"TensorArray: size must be an integer scalar, got {inputs[0]}")
    elem: TensorShape = attrs["element_shape"]
    n = None if size is None or attrs["dynamic_size"] else int(size)
    if not elem.is_fully_defined():
        return TensorShape(None), attrs["dtype"]
    return TensorShape([n, *elem.dims]), attrs["dtype"]


def _zeros_kernel(ctx: Any, size: Any) -> Any:
    (n,) = host_ints(size)
    if n < 0:
        raise InvalidArgumentError(f"{ctx.op.name}: TensorArray size must be >= 0, got {n}")
    elem: TensorShape = ctx.attrs["element_shape"]
    dims = elem.dims if elem.is_fully_defined() else []
    return ctx.xp.zeros([n, *dims], dtype=ctx.attrs["dtype"].np)


register("TensorArrayZeros", shape=_zeros_shape, kernel=_zeros_kernel, not_differentiable=True)


# ---- TensorArrayWrite / TensorArrayScatter ----------------------------------------------------------
def _rows(ctx: Any, buf: Any, index: Any, value: Any, elem_ndim: int) -> Any:
    """A copy of ``buf`` (grown to fit ``index`` when dynamic, allocated on the first write) with rows
    ``index`` replaced by ``value``; also the previous number of rows."""
    xp = ctx.xp
    idx = np.asarray(host_ints(index), np.int64)
    n = buf.shape[0]
    if idx.size and idx.min() < 0:
        raise InvalidArgumentError(f"{ctx.op.name}: TensorArray index {int(idx.min())} is negative")
    need = int(idx.max()) + 1 if idx.size else 0
    if need > n and not ctx.attrs["dynamic_size"]:
        raise InvalidArgumentError(
            f"{ctx.op.name}: TensorArray index {need - 1} is out of range for size {n} "
            f"(create it with dynamic_size=True to let it grow)"
        )
    elem_shape = tuple(value.shape[value.ndim - elem_ndim :])
    out = xp.zeros((max(n, need), *elem_shape), dtype=buf.dtype)
    if buf.ndim == elem_ndim + 1 and n:
        if tuple(buf.shape[1:]) != elem_shape:
            raise InvalidArgumentError(
                f"{ctx.op.name}: could not write an element of shape {list(elem_shape)} to a TensorArray "
                f"whose elements have shape {list(buf.shape[1:])}"
            )
        out[:n] = buf
    elif buf.ndim != 1 and n:
        raise InvalidArgumentError(
            f"{ctx.op.name}: could not write an element of shape {list(elem_shape)} to a TensorArray "
            f"whose elements have shape {list(buf.shape[1:])}"
        )
    if value.ndim == elem_ndim:  # write: one row
        out[int(idx[0])] = value
    else:  # scatter: row k of value to row idx[k] (Python ints: no index array to upload to a GPU)
        for k, i in enumerate(idx.tolist()):
            out[i] = value[k]
    return out, xp.full((), n, dtype=np.int32)


def _write_shape(inputs: list[Tensor], attrs: dict) -> Any:
    buf, index, value = inputs
    if not index.dtype.is_integer:
        raise InvalidArgumentError(f"TensorArray index must be an integer, got {index.dtype.name}")
    if value.dtype is not buf.dtype:
        raise InvalidArgumentError(
            f"TensorArray of {buf.dtype.name}: cannot write a {value.dtype.name} value ({value.name})"
        )
    nrows = None if attrs["dynamic_size"] or buf.shape.dims is None else buf.shape.dims[0]
    elem = value.shape if attrs["kind"] == "write" else _element_dims(value)
    if buf.shape.dims is not None and elem.dims is not None:
        old = TensorShape(buf.shape.dims[1:])
        if not old.is_compatible_with(elem):
            raise InvalidArgumentError(
                f"TensorArray: could not write an element of shape {elem} to a TensorArray whose elements "
                f"have shape {old}"
            )
        elem = old.merge_with(elem)
    out = TensorShape(None) if elem.dims is None else TensorShape([nrows, *elem.dims])
    return [(out, buf.dtype), (TensorShape([]), _dt.int32)]


def _write_kernel(ctx: Any, buf: Any, index: Any, value: Any) -> Any:
    return _rows(ctx, buf, index, value, value.ndim if ctx.attrs["kind"] == "write" else value.ndim - 1)


def _write_grad(op: Any, g: Tensor, g_len: Any = None) -> list[Any]:
    """d buffer = g with the written rows zeroed (cut to the previous length); d value = g[index]."""
    buf, index, _ = op.inputs
    dbuf = apply_op("TensorArrayWriteGrad", [g, index, op.outputs[1]], {}, "TensorArrayWriteGrad")
    return [dbuf, None, gather(g, index)]


register("TensorArrayWrite", shape=_write_shape, kernel=_write_kernel, grad=_write_grad)
register("TensorArrayScatter", shape=_write_shape, kernel=_write_kernel, grad=_write_grad)


def _write_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    g = inputs[0]
    return (TensorShape(None) if g.shape.dims is None else TensorShape([None, *g.shape.dims[1:]])), g.dtype


def _write_grad_kernel(ctx: Any, g: Any, index: Any, n: Any) -> Any:
    (rows,) = host_ints(n)
    out = g[:rows].copy()
    for i in host_ints(index):
        if 0 <= i < rows:
            out[i] = 0
    return out


register("TensorArrayWriteGrad", shape=_write_grad_shape, kernel=_write_grad_kernel, not_differentiable=True)


# ---- the Python object ------------------------------------------------------------------------------
class TensorArray:
    """TF1's ``tf.TensorArray`` (see the module docstring): ``write``, ``read``, ``stack``, ``unstack``,
    ``gather``, ``scatter``, ``concat``, ``split`` (equal lengths), ``size``, ``identity``, ``close``."""

    def __init__(
        self,
        dtype: Any,
        size: Any = None,
        dynamic_size: bool | None = None,
        clear_after_read: bool | None = None,
        tensor_array_name: str | None = None,
        handle: Any = None,
        flow: Any = None,
        infer_shape: bool = True,
        element_shape: Any = None,
        colocate_with_first_write_call: bool = True,
        name: str | None = None,
    ) -> None:
        self._dtype = _dt.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        self._element_shape = as_shape(element_shape) if element_shape is not None else TensorShape(None)
        self._static_size: int | None = None
        if handle is not None:
            raise UnimplementedError("TensorArray: handle= is not supported (give size= or flow=)")
        if flow is not None:
            self._flow = convert_to_tensor(flow)
            return
        if size is None:
            raise InvalidArgumentError(
                "TensorArray: size is required (use size=0, dynamic_size=True to grow)"
            )
        with name_scope(name or tensor_array_name or "TensorArray"):
            size_t = convert_to_tensor(size, dtype=_dt.int32)
            known = constant_value(size_t)
            if known is not None and not self._dynamic_size:
                self._static_size = int(known)
            self._flow = apply_op(
                "TensorArrayZeros",
                [size_t],
                {
                    "dtype": self._dtype,
                    "element_shape": self._element_shape,
                    "dynamic_size": self._dynamic_size,
                },
                "TensorArrayZeros",
            )

    # -- TF1 attributes
    @property
    def flow(self) -> Tensor:
        """The buffer ``[size, *element_shape]`` (TF1: the flow tensor that orders the array's ops)."""
        return self._flow

    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    @property
    def handle(self) -> Tensor:
        return self._flow

    def element_shape(self) -> TensorShape:  # a method in TF1's v1 TensorArray too (v2: a property)
        return self._merged_element_shape()

    def _merged_element_shape(self) -> TensorShape:
        return self._element_shape.merge_with(_element_dims(self._flow))

    def _with_flow(self, flow: Tensor, elem: TensorShape | None = None) -> TensorArray:
        ta = TensorArray.__new__(TensorArray)
        ta._dtype, ta._dynamic_size, ta._infer_shape = self._dtype, self._dynamic_size, self._infer_shape
        ta._element_shape = self._element_shape if elem is None else elem
        ta._static_size = self._static_size
        ta._flow = flow
        return ta

    def _value(self, value: Any) -> Tensor:
        v = convert_to_tensor(value, dtype=self._dtype)
        if v.dtype is not self._dtype:
            raise InvalidArgumentError(
                f"TensorArray of {self._dtype.name}: cannot write a {v.dtype.name} value ({v.name})"
            )
        return v

    def _update(self, op: str, index: Any, value: Tensor, elem: TensorShape, name: str | None) -> TensorArray:
        old = self._merged_element_shape()
        if self._infer_shape and not old.is_compatible_with(elem):
            raise InvalidArgumentError(
                f"TensorArray: could not {op} an element of shape {elem}: its elements have shape {old}"
            )
        idx = convert_to_tensor(index, dtype=_dt.int32)
        flow, _ = apply_op(
            "TensorArrayScatter" if op == "scatter" else "TensorArrayWrite",
            [self._flow, idx, value],
            {"dynamic_size": self._dynamic_size, "kind": op},
            name or ("TensorArrayScatter" if op == "scatter" else "TensorArrayWrite"),
        )
        return self._with_flow(flow, old.merge_with(elem) if self._infer_shape else None)

    # -- writing
    def write(self, index: Any, value: Any, name: str | None = None) -> TensorArray:
        """A TensorArray with element ``index`` set to ``value`` (use the returned array)."""
        v = self._value(value)
        return self._update("write", index, v, v.shape, name)

    def scatter(self, indices: Any, value: Any, name: str | None = None) -> TensorArray:
        """A TensorArray with elements ``indices[k]`` set to ``value[k]``."""
        v = self._value(value)
        return self._update("scatter", indices, v, _element_dims(v), name)

    def unstack(self, value: Any, name: str | None = None) -> TensorArray:
        """A TensorArray whose elements are ``value[0], value[1], ...``."""
        v = self._value(value)
        n = self._flow.shape.dims[0] if self._flow.shape.dims else None
        if n is not None and v.shape.dims and v.shape.dims[0] is not None and v.shape.dims[0] != n:
            if not self._dynamic_size:
                raise InvalidArgumentError(
                    f"TensorArray.unstack: the array has size {n} but the value has {v.shape.dims[0]} rows"
                )
        elem = _element_dims(v)
        with name_scope(name or "TensorArrayUnstack"):
            flow = identity(v)
        return self._with_flow(flow, self._merged_element_shape().merge_with(elem))

    def split(self, value: Any, lengths: Any, name: str | None = None) -> TensorArray:
        """``value`` split along its first axis into pieces of ``lengths`` (equal lengths only)."""
        v = self._value(value)
        lens = constant_value(convert_to_tensor(lengths))
        if lens is None or len(set(np.reshape(lens, [-1]).tolist())) > 1:
            raise UnimplementedError("TensorArray.split: only equal, constant lengths are supported")
        k = int(np.reshape(lens, [-1])[0])
        with name_scope(name or "TensorArraySplit"):
            rest = shape(v)[1:]
            flow = reshape(v, concat([[-1, k], rest], 0))
        return self._with_flow(flow)

    # -- reading
    def read(self, index: Any, name: str | None = None) -> Tensor:
        """Element ``index``."""
        out = gather(self._flow, convert_to_tensor(index, dtype=_dt.int32), name=name or "TensorArrayRead")
        out.set_shape(self._merged_element_shape())
        return out

    def gather(self, indices: Any, name: str | None = None) -> Tensor:
        """Elements ``indices`` stacked."""
        idx = convert_to_tensor(indices, dtype=_dt.int32)
        out = gather(self._flow, idx, name=name or "TensorArrayGather")
        elem = self._merged_element_shape()
        if idx.shape.dims is not None and elem.dims is not None:
            out.set_shape([*idx.shape.dims, *elem.dims])
        return out

    def stack(self, name: str | None = None) -> Tensor:
        """All elements stacked along a new first axis: ``[size, *element_shape]``."""
        out = identity(self._flow, name=name or "TensorArrayStack")
        elem = self._merged_element_shape()
        if elem.dims is not None:
            out.set_shape([self._static_size, *elem.dims])
        return out

    def concat(self, name: str | None = None) -> Tensor:
        """The elements concatenated along their first axis (elements of equal length)."""
        with name_scope(name or "TensorArrayConcat"):
            return reshape(self._flow, concat([[-1], shape(self._flow)[2:]], 0))

    def size(self, name: str | None = None) -> Tensor:
        """The number of elements (int32 scalar)."""
        return shape(self._flow, name=name or "TensorArraySize")[0]

    def mark_used(self) -> None:
        """TF1 warns about unused TensorArray writes; nothing to track here."""

    def identity(self) -> TensorArray:
        return self._with_flow(identity(self._flow))

    def close(self, name: str | None = None) -> Any:
        """Nothing to release here (TF1 frees the resource)."""
        return no_op(name=name or "TensorArrayClose")

    def grad(self, source: Any, flow: Any = None, name: str | None = None) -> Any:
        raise UnimplementedError("TensorArray.grad: use tf.gradients; the array's gradient flows by itself")

    def __repr__(self) -> str:
        return f"<TensorArray {self._dtype.name} flow={self._flow.name} element_shape={self.element_shape()}>"
