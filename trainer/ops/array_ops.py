"""Array ops: constants, placeholders, shapes, reshaping, slicing, joining, gathering.

Every op is one stanza: builder, shape function, numpy kernel, gradient, registration.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import (
    Tensor,
    _infer_numpy,
    apply_op,
    constant_value,
    constant_value_as_shape,
    convert_to_tensor,
    get_default_graph,
    override_operator,
    register_value_conversion,
)
from trainer.ops._common import norm_axis, same_shape, static_ints
from trainer.registry import register
from trainer.tensor_shape import TensorShape, as_shape, broadcast_shapes
from trainer.xp_compat import any_true, cached_upload, host_ints, scatter_add, upload


def _int_tensor(v: Any, name: str = "Const") -> Tensor:
    if isinstance(v, Tensor) or hasattr(v, "_as_tensor"):
        return convert_to_tensor(v)
    if isinstance(v, (list, tuple)) and any(isinstance(a, Tensor) for a in v):
        return stack(
            [convert_to_tensor(a, dtype=_dt.int32) if not isinstance(a, Tensor) else a for a in v], name=name
        )
    return constant(np.asarray(v, dtype=np.int32), name=name)


def _shape_tensor(shape: Any) -> Tensor:
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    return _int_tensor(shape, name="shape")


# ---- Const ------------------------------------------------------------------------------------------
def constant(
    value: Any, dtype: Any = None, shape: Any = None, name: str = "Const", verify_shape: bool = False
) -> Tensor:
    """``tf.constant([1, 2])``; ``tf.constant(0.1, shape=[3])`` fills the shape with the scalar."""
    dt = None if dtype is None else _dt.as_dtype(dtype)
    arr = _infer_numpy(value, dt)
    if shape is not None:
        dims = [
            int(d) for d in (shape.as_list() if isinstance(shape, TensorShape) else np.reshape(shape, [-1]))
        ]
        if arr.size == 1 and not verify_shape:
            arr = np.full(dims, arr.reshape(()), arr.dtype)
        elif arr.size == int(np.prod(dims)) and not verify_shape:
            arr = arr.reshape(dims)
        elif tuple(arr.shape) != tuple(dims):
            raise InvalidArgumentError(f"constant: value of shape {arr.shape} does not fit shape {dims}")
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)
    return apply_op("Const", [], {"value": arr, "dtype": _dt.from_numpy(arr.dtype)}, name)


def _const_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape(attrs["value"].shape), attrs["dtype"]


def _const_kernel(ctx: Any) -> Any:
    return cached_upload(ctx, "value", ctx.attrs["value"])  # on a GPU: copied on the first run only


register("Const", shape=_const_shape, kernel=_const_kernel, not_differentiable=True)


# ---- Placeholder ------------------------------------------------------------------------------------
def placeholder(dtype: Any, shape: Any = None, name: str = "Placeholder") -> Tensor:
    """A value fed at run time: ``x = tf.placeholder(tf.float32, [None, 784])``."""
    return apply_op("Placeholder", [], {"dtype": _dt.as_dtype(dtype), "shape": as_shape(shape)}, name)


def _placeholder_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return attrs["shape"], attrs["dtype"]


def _placeholder_kernel(ctx: Any) -> Any:
    raise InvalidArgumentError(f"You must feed a value for placeholder tensor '{ctx.op.name}'")


register("Placeholder", shape=_placeholder_shape, kernel=_placeholder_kernel, not_differentiable=True)


def placeholder_with_default(input: Any, shape: Any, name: str = "PlaceholderWithDefault") -> Tensor:
    """Like ``identity(input)`` unless fed; ``shape`` may be less specific than the default's shape."""
    x = convert_to_tensor(input)
    return apply_op("PlaceholderWithDefault", [x], {"shape": as_shape(shape)}, name)


def _pwd_shape(inputs: list[Tensor], attrs: dict) -> Any:
    if not attrs["shape"].is_compatible_with(inputs[0].shape):
        raise InvalidArgumentError(
            f"default value shape {inputs[0].shape} is not compatible with {attrs['shape']}"
        )
    return attrs["shape"], inputs[0].dtype


def _identity_kernel(ctx: Any, x: Any) -> Any:
    return x


def _pwd_grad(op: Any, g: Tensor) -> list[Any]:
    """d/dinput = g."""
    return [g]


register("PlaceholderWithDefault", shape=_pwd_shape, kernel=_identity_kernel, grad=_pwd_grad)


# ---- Identity / StopGradient ------------------------------------------------------------------------
def identity(input: Any, name: str = "Identity") -> Tensor:
    return apply_op("Identity", [convert_to_tensor(input)], {}, name)


def _identity_grad(op: Any, g: Tensor) -> list[Any]:
    """d/dx = g."""
    return [g]


register("Identity", shape=same_shape, kernel=_identity_kernel, grad=_identity_grad)


def stop_gradient(input: Any, name: str = "StopGradient") -> Tensor:
    """Identity in the forward pass; no gradient flows through it."""
    return apply_op("StopGradient", [convert_to_tensor(input)], {}, name)


def _stop_gradient_grad(op: Any, g: Tensor) -> list[Any]:
    """By definition: nothing flows back."""
    return [None]


register("StopGradient", shape=same_shape, kernel=_identity_kernel, grad=_stop_gradient_grad)


# ---- Reshape ----------------------------------------------------------------------------------------
def reshape(tensor: Any, shape: Any, name: str = "Reshape") -> Tensor:
    """``tf.reshape(x, [-1, 784])``; ``shape`` may be a tensor (``tf.shape(y)``)."""
    return apply_op("Reshape", [convert_to_tensor(tensor), _shape_tensor(shape)], {}, name)


def _reshape_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, s = inputs
    if s.dtype not in (_dt.int32, _dt.int64):
        raise InvalidArgumentError(f"shape must be int32/int64, got {s.dtype.name}")
    v = constant_value(s)
    if v is None:
        return constant_value_as_shape(s), x.dtype
    dims = [int(d) for d in np.reshape(v, [-1])]
    if sum(d == -1 for d in dims) > 1:
        raise InvalidArgumentError(f"shape {dims} has more than one -1")
    n = x.shape.num_elements()
    known = int(np.prod([d for d in dims if d != -1]))
    if -1 in dims:
        if n is not None:
            if known == 0 or n % known:
                raise InvalidArgumentError(f"cannot reshape a tensor of shape {x.shape} into shape {dims}")
            dims = [n // known if d == -1 else d for d in dims]
        else:
            dims = [None if d == -1 else d for d in dims]
    elif n is not None and n != known:
        raise InvalidArgumentError(
            f"cannot reshape a tensor of shape {x.shape} ({n} elements) into shape {dims} ({known} elements)"
        )
    return TensorShape(dims), x.dtype


def _reshape_kernel(ctx: Any, x: Any, shape: Any) -> Any:
    return x.reshape(host_ints(shape))


def _reshape_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = reshape(g, shape(x))."""
    return [reshape(g, _shape_of(op.inputs[0])), None]


register("Reshape", shape=_reshape_shape, kernel=_reshape_kernel, grad=_reshape_grad)


def _shape_of(x: Tensor) -> Tensor:
    """The shape of ``x`` as a constant when static, else a Shape op."""
    if x.shape.is_fully_defined():
        return constant(np.array(x.shape.dims, np.int32), name="shape")
    return shape(x)


# ---- Shape / Size / Rank ----------------------------------------------------------------------------
def shape(input: Any, name: str = "Shape", out_type: Any = _dt.int32) -> Tensor:
    return apply_op("Shape", [convert_to_tensor(input)], {"out_type": _dt.as_dtype(out_type)}, name)


def _shape_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([inputs[0].shape.ndims]), attrs["out_type"]


def _shape_kernel(ctx: Any, x: Any) -> Any:
    return upload(ctx, np.array(x.shape, dtype=ctx.attrs["out_type"].np))


register("Shape", shape=_shape_shape, kernel=_shape_kernel, not_differentiable=True)


def size(input: Any, name: str = "Size", out_type: Any = _dt.int32) -> Tensor:
    return apply_op("Size", [convert_to_tensor(input)], {"out_type": _dt.as_dtype(out_type)}, name)


def _size_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([]), attrs["out_type"]


def _size_kernel(ctx: Any, x: Any) -> Any:
    return upload(ctx, np.array(x.size, dtype=ctx.attrs["out_type"].np))


register("Size", shape=_size_shape, kernel=_size_kernel, not_differentiable=True)


def rank(input: Any, name: str = "Rank") -> Tensor:
    return apply_op("Rank", [convert_to_tensor(input)], {}, name)


def _rank_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([]), _dt.int32


def _rank_kernel(ctx: Any, x: Any) -> Any:
    return upload(ctx, np.array(x.ndim, dtype=np.int32))


register("Rank", shape=_rank_shape, kernel=_rank_kernel, not_differentiable=True)


# ---- Fill / zeros / ones ----------------------------------------------------------------------------
def fill(dims: Any, value: Any, name: str = "Fill") -> Tensor:
    return apply_op("Fill", [_shape_tensor(dims), convert_to_tensor(value)], {}, name)


def _fill_shape(inputs: list[Tensor], attrs: dict) -> Any:
    d, v = inputs
    if v.shape.ndims not in (None, 0):
        raise InvalidArgumentError(f"value must be a scalar, got shape {v.shape}")
    return constant_value_as_shape(d), v.dtype


def _fill_kernel(ctx: Any, dims: Any, value: Any) -> Any:
    out = ctx.xp.empty(host_ints(dims), dtype=value.dtype)
    out[...] = value
    return out


def _fill_grad(op: Any, g: Tensor) -> list[Any]:
    """dvalue = sum(g)."""
    return [None, sum_to_shape(g, [])]


register("Fill", shape=_fill_shape, kernel=_fill_kernel, grad=_fill_grad)


def zeros(shape: Any, dtype: Any = _dt.float32, name: str = "zeros") -> Tensor:
    dt = _dt.as_dtype(dtype)
    if isinstance(shape, Tensor) or (
        isinstance(shape, (list, tuple)) and any(isinstance(a, Tensor) for a in shape)
    ):
        return fill(shape, np.zeros((), dt.np), name=name)
    return constant(np.zeros(static_ints(shape, "shape"), dt.np), name=name)


def ones(shape: Any, dtype: Any = _dt.float32, name: str = "ones") -> Tensor:
    dt = _dt.as_dtype(dtype)
    if isinstance(shape, Tensor) or (
        isinstance(shape, (list, tuple)) and any(isinstance(a, Tensor) for a in shape)
    ):
        return fill(shape, np.ones((), dt.np), name=name)
    return constant(np.ones(static_ints(shape, "shape"), dt.np), name=name)


def zeros_like(tensor: Any, dtype: Any = None, name: str = "ZerosLike", optimize: bool = True) -> Tensor:
    x = convert_to_tensor(tensor)
    t = apply_op("ZerosLike", [x], {}, name)
    return t if dtype is None or _dt.as_dtype(dtype) is x.dtype else cast(t, dtype)


def _zeros_like_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.zeros_like(x)


def _zero_grad(op: Any, g: Tensor) -> list[Any]:
    """The output does not depend on the input's values: zero gradient."""
    return [None]


register("ZerosLike", shape=same_shape, kernel=_zeros_like_kernel, grad=_zero_grad)


def ones_like(tensor: Any, dtype: Any = None, name: str = "OnesLike", optimize: bool = True) -> Tensor:
    x = convert_to_tensor(tensor)
    t = apply_op("OnesLike", [x], {}, name)
    return t if dtype is None or _dt.as_dtype(dtype) is x.dtype else cast(t, dtype)


def _ones_like_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.ones_like(x)


register("OnesLike", shape=same_shape, kernel=_ones_like_kernel, grad=_zero_grad)


# The Cast stanza sits here, below math_ops, because zeros_like/ones_like build it.
# ---- Cast -------------------------------------------------------------------------------------------
def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    x = convert_to_tensor(x)
    dt = _dt.as_dtype(dtype)
    if x.dtype is dt:
        return x
    return apply_op("Cast", [x], {"DstT": dt}, name or "Cast")


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    return cast(x, _dt.float32, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    return cast(x, _dt.int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    return cast(x, _dt.int64, name=name)


def _cast_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return inputs[0].shape, attrs["DstT"]


def _cast_kernel(ctx: Any, x: Any) -> Any:
    return x.astype(ctx.attrs["DstT"].np, copy=False)


def _cast_grad(op: Any, g: Tensor) -> list[Any]:
    """Between float types: cast g back; otherwise nothing flows."""
    x = op.inputs[0]
    return [cast(g, x.dtype) if x.dtype.is_floating and g.dtype.is_floating else None]


register("Cast", shape=_cast_shape, kernel=_cast_kernel, grad=_cast_grad)


# ---- ExpandDims / Squeeze ---------------------------------------------------------------------------
def expand_dims(input: Any, axis: Any = None, name: str = "ExpandDims", dim: int | None = None) -> Tensor:
    x = convert_to_tensor(input)
    axis = dim if dim is not None else axis
    if axis is None:
        raise InvalidArgumentError("expand_dims needs axis (or the old dim)")
    r = x.shape.ndims
    return apply_op("ExpandDims", [x], {"axis": norm_axis(axis, None if r is None else r + 1)}, name)


def _expand_dims_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if x.shape.dims is None:
        return TensorShape(None), x.dtype
    d = list(x.shape.dims)
    d.insert(attrs["axis"], 1)
    return TensorShape(d), x.dtype


def _expand_dims_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.expand_dims(x, ctx.attrs["axis"])


def _reshape_back_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = reshape(g, shape(x))."""
    return [reshape(g, _shape_of(op.inputs[0]))]


register("ExpandDims", shape=_expand_dims_shape, kernel=_expand_dims_kernel, grad=_reshape_back_grad)


def squeeze(input: Any, axis: Any = None, name: str = "Squeeze", squeeze_dims: Any = None) -> Tensor:
    x = convert_to_tensor(input)
    axis = squeeze_dims if squeeze_dims is not None else axis
    if axis is not None:
        axes = tuple(sorted(norm_axis(a, x.shape.ndims) for a in ([axis] if isinstance(axis, int) else axis)))
    elif x.shape.is_fully_defined():
        axes = tuple(i for i, d in enumerate(x.shape.dims) if d == 1)  # type: ignore[arg-type]
    else:
        raise InvalidArgumentError(f"squeeze of {x.name} with shape {x.shape} needs explicit axes")
    return apply_op("Squeeze", [x], {"axis": axes}, name)


def _squeeze_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if x.shape.dims is None:
        return TensorShape(None), x.dtype
    for a in attrs["axis"]:
        if x.shape.dims[a] not in (1, None):
            raise InvalidArgumentError(f"cannot squeeze axis {a} of shape {x.shape}: size is not 1")
    return TensorShape([d for i, d in enumerate(x.shape.dims) if i not in attrs["axis"]]), x.dtype


def _squeeze_kernel(ctx: Any, x: Any) -> Any:
    return x.reshape([d for i, d in enumerate(x.shape) if i not in ctx.attrs["axis"]])


register("Squeeze", shape=_squeeze_shape, kernel=_squeeze_kernel, grad=_reshape_back_grad)


# ---- Transpose --------------------------------------------------------------------------------------
def transpose(a: Any, perm: Any = None, name: str = "Transpose", conjugate: bool = False) -> Tensor:
    x = convert_to_tensor(a)
    if perm is None:
        if x.shape.ndims is None:
            raise InvalidArgumentError(f"transpose of {x.name} with unknown rank needs perm")
        perm = tuple(reversed(range(x.shape.ndims)))
    return apply_op("Transpose", [x], {"perm": static_ints(perm, "perm")}, name)


def _transpose_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, perm = inputs[0], attrs["perm"]
    if sorted(perm) != list(range(len(perm))):
        raise InvalidArgumentError(f"perm {list(perm)} is not a permutation")
    if x.shape.dims is None:
        return TensorShape([None] * len(perm)), x.dtype
    if len(perm) != len(x.shape.dims):
        raise InvalidArgumentError(f"perm {list(perm)} does not match the rank of shape {x.shape}")
    return TensorShape([x.shape.dims[p] for p in perm]), x.dtype


def _transpose_kernel(ctx: Any, x: Any) -> Any:
    return x.transpose(ctx.attrs["perm"])


def _transpose_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = transpose(g, inverse(perm))."""
    return [transpose(g, tuple(int(i) for i in np.argsort(op.attrs["perm"])))]


register("Transpose", shape=_transpose_shape, kernel=_transpose_kernel, grad=_transpose_grad)


# ---- Concatenation ----------------------------------------------------------------------------------
def concat(values: Sequence[Any], axis: int, name: str = "concat") -> Tensor:
    """``tf.concat([a, b], axis)`` (op type ``Concatenation``, as in the model schema)."""
    xs = [convert_to_tensor(v) for v in values]
    if not xs:
        raise InvalidArgumentError("concat needs at least one tensor")
    if len(xs) == 1:
        return identity(xs[0], name=name)
    r = next((x.shape.ndims for x in xs if x.shape.ndims is not None), None)
    return apply_op("Concatenation", xs, {"axis": norm_axis(axis, r)}, name)


def _concat_shape(inputs: list[Tensor], attrs: dict) -> Any:
    ax = attrs["axis"]
    dt = inputs[0].dtype
    out: list[int | None] | None = None
    for x in inputs:
        if x.dtype is not dt:
            raise InvalidArgumentError(f"inputs have different dtypes {dt.name} and {x.dtype.name}")
        if x.shape.dims is None:
            continue
        if out is None:
            out = list(x.shape.dims)
            continue
        if len(x.shape.dims) != len(out):
            raise InvalidArgumentError(f"shapes {TensorShape(out)} and {x.shape} have different ranks")
        for i, d in enumerate(x.shape.dims):
            if i == ax:
                out[i] = None if out[i] is None or d is None else out[i] + d  # type: ignore[operator]
            elif out[i] is not None and d is not None and out[i] != d:
                raise InvalidArgumentError(
                    f"shapes {TensorShape(out)} and {x.shape} differ outside axis {ax}"
                )
            elif out[i] is None:
                out[i] = d
    if out is not None and any(x.shape.dims is None for x in inputs):
        out[ax] = None
    return TensorShape(out), dt


def _concat_kernel(ctx: Any, *xs: Any) -> Any:
    return ctx.xp.concatenate(xs, axis=ctx.attrs["axis"])


def _concat_grad(op: Any, g: Tensor) -> list[Any]:
    """Each input gets its slice of g along the axis."""
    ax = op.attrs["axis"]
    sizes = [x.shape.dims[ax] if x.shape.dims is not None else None for x in op.inputs]
    if any(s is None for s in sizes):
        raise UnimplementedError(f"gradient of {op.name}: input sizes along axis {ax} must be static")
    return list(split(g, sizes, axis=ax))


register("Concatenation", shape=_concat_shape, kernel=_concat_kernel, grad=_concat_grad)


# ---- Split ------------------------------------------------------------------------------------------
def split(
    value: Any, num_or_size_splits: Any, axis: int = 0, num: int | None = None, name: str = "split"
) -> list[Tensor]:
    x = convert_to_tensor(value)
    ax = norm_axis(axis, x.shape.ndims)
    if isinstance(num_or_size_splits, int):
        d = x.shape.dims[ax] if x.shape.dims is not None else None
        if d is None:
            raise InvalidArgumentError(f"split into {num_or_size_splits} needs a static size along axis {ax}")
        if d % num_or_size_splits:
            raise InvalidArgumentError(f"cannot split size {d} of shape {x.shape} into {num_or_size_splits}")
        sizes = (d // num_or_size_splits,) * num_or_size_splits
    else:
        sizes = static_ints(num_or_size_splits, "size_splits")
        if -1 in sizes:
            d = x.shape.dims[ax] if x.shape.dims is not None else None
            if d is None:
                raise InvalidArgumentError("size_splits with -1 needs a static size along the axis")
            sizes = tuple(d - (sum(sizes) + 1) if s == -1 else s for s in sizes)
    op = get_default_graph().create_op("Split", [x], {"axis": ax, "sizes": sizes}, name)
    return list(op.outputs)


def _split_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, ax, sizes = inputs[0], attrs["axis"], attrs["sizes"]
    if x.shape.dims is None:
        return [(TensorShape(None), x.dtype)] * len(sizes)
    d = x.shape.dims[ax]
    if d is not None and d != sum(sizes):
        raise InvalidArgumentError(f"split sizes {list(sizes)} do not add up to {d} in shape {x.shape}")
    outs = []
    for s in sizes:
        dims = list(x.shape.dims)
        dims[ax] = s
        outs.append((TensorShape(dims), x.dtype))
    return outs


def _split_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.split(x, list(itertools.accumulate(ctx.attrs["sizes"]))[:-1], axis=ctx.attrs["axis"])


def _split_grad(op: Any, *grads: Tensor) -> list[Any]:
    """dx = concat(grads) along the axis."""
    return [concat(list(grads), op.attrs["axis"])]


register("Split", shape=_split_shape, kernel=_split_kernel, grad=_split_grad)


# ---- Pack / Unpack (stack / unstack) ----------------------------------------------------------------
def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Tensor:
    xs = [convert_to_tensor(v) for v in values]
    r = next((x.shape.ndims for x in xs if x.shape.ndims is not None), None)
    return apply_op("Pack", xs, {"axis": norm_axis(axis, None if r is None else r + 1)}, name)


def _pack_shape(inputs: list[Tensor], attrs: dict) -> Any:
    s = TensorShape(None)
    dt = inputs[0].dtype
    for x in inputs:
        if x.dtype is not dt:
            raise InvalidArgumentError(f"inputs have different dtypes {dt.name} and {x.dtype.name}")
        if not s.is_compatible_with(x.shape):
            raise InvalidArgumentError(f"shapes {s} and {x.shape} differ")
        s = s.merge_with(x.shape)
    if s.dims is None:
        return s, dt
    d = list(s.dims)
    d.insert(attrs["axis"], len(inputs))
    return TensorShape(d), dt


def _pack_kernel(ctx: Any, *xs: Any) -> Any:
    return ctx.xp.stack(xs, axis=ctx.attrs["axis"])


def _pack_grad(op: Any, g: Tensor) -> list[Any]:
    """Each input gets its slice: unstack(g)."""
    return unstack(g, num=len(op.inputs), axis=op.attrs["axis"])


register("Pack", shape=_pack_shape, kernel=_pack_kernel, grad=_pack_grad)


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    x = convert_to_tensor(value)
    ax = norm_axis(axis, x.shape.ndims)
    if num is None:
        num = x.shape.dims[ax] if x.shape.dims is not None else None
        if num is None:
            raise InvalidArgumentError(f"unstack of shape {x.shape} needs num")
    return list(get_default_graph().create_op("Unpack", [x], {"axis": ax, "num": int(num)}, name).outputs)


def _unpack_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, ax, n = inputs[0], attrs["axis"], attrs["num"]
    if x.shape.dims is None:
        return [(TensorShape(None), x.dtype)] * n
    if x.shape.dims[ax] not in (None, n):
        raise InvalidArgumentError(f"cannot unstack shape {x.shape} into {n} along axis {ax}")
    d = [s for i, s in enumerate(x.shape.dims) if i != ax]
    return [(TensorShape(d), x.dtype)] * n


def _unpack_kernel(ctx: Any, x: Any) -> Any:
    return tuple(ctx.xp.moveaxis(x, ctx.attrs["axis"], 0))


def _unpack_grad(op: Any, *grads: Tensor) -> list[Any]:
    """dx = stack(grads)."""
    return [stack(list(grads), axis=op.attrs["axis"])]


register("Unpack", shape=_unpack_shape, kernel=_unpack_kernel, grad=_unpack_grad)


# ---- StridedSlice (Python indexing) -----------------------------------------------------------------
# A slice spec is a tuple of entries: ("s", start, stop, step) | ("i", index) | ("n",) new axis | ("e",).
def _spec_to_index(spec: tuple) -> tuple:
    idx: list[Any] = []
    for e in spec:
        if e[0] == "s":
            idx.append(builtins.slice(e[1], e[2], e[3]))
        elif e[0] == "i":
            idx.append(e[1])
        elif e[0] == "n":
            idx.append(None)
        else:
            idx.append(Ellipsis)
    return tuple(idx)


def _spec_shape(spec: tuple, dims: tuple[int | None, ...] | None) -> TensorShape:
    if dims is None:
        return TensorShape(None)
    n_used = sum(1 for e in spec if e[0] in "si")
    if n_used > len(dims):
        raise InvalidArgumentError(f"too many indices ({n_used}) for shape {TensorShape(dims)}")
    if not any(e[0] == "e" for e in spec):
        spec = spec + (("e",),)
    out: list[int | None] = []
    pos = 0
    for e in spec:
        if e[0] == "n":
            out.append(1)
        elif e[0] == "e":
            k = len(dims) - n_used
            out.extend(dims[pos : pos + k])
            pos += k
        elif e[0] == "i":
            d = dims[pos]
            if d is not None and not -d <= e[1] < d:
                raise InvalidArgumentError(
                    f"index {e[1]} is out of bounds for axis {pos} of shape {TensorShape(dims)}"
                )
            pos += 1
        else:
            d = dims[pos]
            out.append(None if d is None else len(range(*builtins.slice(e[1], e[2], e[3]).indices(d))))
            pos += 1
    return TensorShape(out)


def getitem(x: Any, key: Any) -> Tensor:
    """``x[0]``, ``x[:, 1:3]``, ``x[..., ::-1]``, ``x[:, tf.newaxis]`` as a StridedSlice op."""
    x = convert_to_tensor(x)
    if not isinstance(key, tuple):
        key = (key,)
    spec: list[tuple] = []
    for k in key:
        if k is None:
            spec.append(("n",))
        elif k is Ellipsis:
            spec.append(("e",))
        elif isinstance(k, builtins.slice):
            parts = [
                None if v is None else static_ints(v, "slice bound")[0] for v in (k.start, k.stop, k.step)
            ]
            if parts[2] == 0:
                raise InvalidArgumentError("slice step cannot be zero")
            spec.append(("s", parts[0], parts[1], parts[2] if parts[2] is not None else 1))
        elif isinstance(k, (int, np.integer)) or (isinstance(k, Tensor) and constant_value(k) is not None):
            spec.append(("i", static_ints(k, "index")[0]))
        else:
            raise UnimplementedError(
                f"unsupported index {k!r}: use ints, slices, ..., tf.newaxis, or tf.gather"
            )
    if sum(1 for e in spec if e[0] == "e") > 1:
        raise InvalidArgumentError("an index can only have a single ellipsis")
    return strided_slice_spec(x, tuple(spec))


override_operator("__getitem__", getitem)


def strided_slice_spec(x: Tensor, spec: tuple, name: str = "strided_slice") -> Tensor:
    return apply_op("StridedSlice", [x], {"spec": spec}, name)


def strided_slice(
    input_: Any,
    begin: Any,
    end: Any,
    strides: Any = None,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
    name: str = "strided_slice",
) -> Tensor:
    """TensorFlow's ``strided_slice`` with static begin/end/strides and the five bit masks."""
    x = convert_to_tensor(input_)
    b, e = static_ints(begin, "begin"), static_ints(end, "end")
    s = static_ints(strides, "strides") if strides is not None else (1,) * len(b)
    spec: list[tuple] = []
    for i in range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            spec.append(("e",))
        elif new_axis_mask & bit:
            spec.append(("n",))
        elif shrink_axis_mask & bit:
            spec.append(("i", b[i]))
        else:
            spec.append(("s", None if begin_mask & bit else b[i], None if end_mask & bit else e[i], s[i]))
    return strided_slice_spec(x, tuple(spec), name)


def _strided_slice_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    return _spec_shape(attrs["spec"], x.shape.dims), x.dtype


def _strided_slice_kernel(ctx: Any, x: Any) -> Any:
    idx = ctx.cache.get("idx")
    if idx is None:
        idx = ctx.cache["idx"] = _spec_to_index(ctx.attrs["spec"])
    return x[idx]


def _strided_slice_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = zeros(shape(x)) with g scattered into the sliced positions."""
    return [apply_op("StridedSliceGrad", [_shape_of(op.inputs[0]), g], {"spec": op.attrs["spec"]})]


register("StridedSlice", shape=_strided_slice_shape, kernel=_strided_slice_kernel, grad=_strided_slice_grad)


def _ssg_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return constant_value_as_shape(inputs[0]), inputs[1].dtype


def _ssg_kernel(ctx: Any, shape: Any, dy: Any) -> Any:
    idx = ctx.cache.get("idx")
    if idx is None:
        idx = ctx.cache["idx"] = _spec_to_index(ctx.attrs["spec"])
    out = ctx.xp.zeros(host_ints(shape), dtype=dy.dtype)
    out[idx] = dy
    return out


def _ssg_grad(op: Any, g: Tensor) -> list[Any]:
    """d(dy) = strided_slice(g) with the same spec."""
    return [None, strided_slice_spec(g, op.attrs["spec"])]


register("StridedSliceGrad", shape=_ssg_shape, kernel=_ssg_kernel, grad=_ssg_grad)


# ---- Slice ------------------------------------------------------------------------------------------
def slice(input_: Any, begin: Any, size: Any, name: str = "Slice") -> Tensor:  # noqa: A001 - TF name
    x = convert_to_tensor(input_)
    b, s = static_ints(begin, "begin"), static_ints(size, "size")
    if len(b) != len(s):
        raise InvalidArgumentError(f"begin {list(b)} and size {list(s)} differ in length")
    return apply_op("Slice", [x], {"begin": b, "size": s}, name)


def _slice_spec(attrs: dict) -> tuple:
    return tuple(
        ("s", b, None if n == -1 else b + n, 1) for b, n in zip(attrs["begin"], attrs["size"], strict=False)
    )


def _slice_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if x.shape.dims is not None:
        if len(x.shape.dims) != len(attrs["begin"]):
            raise InvalidArgumentError(
                f"begin {list(attrs['begin'])} does not match the rank of shape {x.shape}"
            )
        for d, b, n in zip(x.shape.dims, attrs["begin"], attrs["size"], strict=False):
            if b < 0 or (d is not None and (b > d or (n != -1 and b + n > d))):
                raise InvalidArgumentError(
                    f"slice begin {list(attrs['begin'])} size {list(attrs['size'])} "
                    f"is out of bounds for shape {x.shape}"
                )
    return _spec_shape(_slice_spec(attrs), x.shape.dims), x.dtype


def _slice_kernel(ctx: Any, x: Any) -> Any:
    idx = ctx.cache.get("idx")
    if idx is None:
        idx = ctx.cache["idx"] = _spec_to_index(_slice_spec(ctx.attrs))
    return x[idx]


def _slice_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = zeros(shape(x)) with g placed at begin."""
    return [apply_op("StridedSliceGrad", [_shape_of(op.inputs[0]), g], {"spec": _slice_spec(op.attrs)})]


register("Slice", shape=_slice_shape, kernel=_slice_kernel, grad=_slice_grad)


# ---- Pad --------------------------------------------------------------------------------------------
def pad(
    tensor: Any, paddings: Any, mode: str = "CONSTANT", name: str = "Pad", constant_values: Any = 0
) -> Tensor:
    x = convert_to_tensor(tensor)
    p = static_ints(paddings, "paddings")
    pairs = tuple((p[i], p[i + 1]) for i in range(0, len(p), 2))
    if mode.upper() in ("REFLECT", "SYMMETRIC"):
        return apply_op("MirrorPad", [x], {"paddings": pairs, "mode": mode.upper()}, name or "MirrorPad")
    if mode.upper() != "CONSTANT":
        raise UnimplementedError(f"pad mode {mode!r}: CONSTANT, REFLECT or SYMMETRIC")
    return apply_op("Pad", [x], {"paddings": pairs, "constant_values": float(constant_values)}, name)


def _pad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, pp = inputs[0], attrs["paddings"]
    if any(a < 0 or b < 0 for a, b in pp):
        raise InvalidArgumentError(f"paddings {pp} must be non-negative")
    if x.shape.dims is None:
        return TensorShape([None] * len(pp)), x.dtype
    if len(pp) != len(x.shape.dims):
        raise InvalidArgumentError(f"paddings {pp} do not match the rank of shape {x.shape}")
    return TensorShape(
        [None if d is None else d + a + b for d, (a, b) in zip(x.shape.dims, pp, strict=False)]
    ), x.dtype


def _pad_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.pad(x, ctx.attrs["paddings"], constant_values=ctx.attrs["constant_values"])


def _pad_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = the interior of g."""
    spec = tuple(("s", a, -b if b else None, 1) for a, b in op.attrs["paddings"])
    return [strided_slice_spec(g, spec)]


register("Pad", shape=_pad_shape, kernel=_pad_kernel, grad=_pad_grad)


# ---- MirrorPad (tf.pad mode REFLECT / SYMMETRIC) ---------------------------------------------------------
def _mirror_pad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, pp = inputs[0], attrs["paddings"]
    limit = 1 if attrs["mode"] == "REFLECT" else 0  # REFLECT leaves the edge out: at most n - 1 per side
    if x.shape.dims is not None:
        for d, (a, b) in zip(x.shape.dims, pp, strict=False):
            if d is not None and max(a, b) > d - limit:
                raise InvalidArgumentError(f"{attrs['mode']} paddings {pp} are too large for shape {x.shape}")
    return _pad_shape(inputs, attrs)


def _mirror_source(n: int, a: int, b: int, mode: str) -> np.ndarray:
    """For each position of a padded axis, the input index it copies."""
    shift = 0 if mode == "REFLECT" else 1
    left = [a - i - shift for i in builtins.range(a)]
    right = [n - 2 + shift - j for j in builtins.range(b)]
    return np.array([*left, *builtins.range(n), *right], np.int64)


def _mirror_pad_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.pad(
        x, ctx.attrs["paddings"], mode="reflect" if ctx.attrs["mode"] == "REFLECT" else "symmetric"
    )


def _mirror_pad_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g folded back: each padded position adds into the input position it copied."""
    attrs = {"paddings": op.attrs["paddings"], "mode": op.attrs["mode"]}
    return [apply_op("MirrorPadGrad", [g, _shape_of(op.inputs[0])], attrs, "MirrorPadGrad")]


register("MirrorPad", shape=_mirror_pad_shape, kernel=_mirror_pad_kernel, grad=_mirror_pad_grad)


def _mirror_pad_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return constant_value_as_shape(inputs[1]), inputs[0].dtype


def _mirror_pad_grad_kernel(ctx: Any, g: Any, in_shape: Any) -> Any:
    xp, out = ctx.xp, g
    dims = host_ints(in_shape)
    for ax, ((a, b), n) in enumerate(zip(ctx.attrs["paddings"], dims, strict=True)):
        src = _mirror_source(n, a, b, ctx.attrs["mode"])
        folded = xp.zeros((*out.shape[:ax], n, *out.shape[ax + 1 :]), dtype=out.dtype)
        index = cached_upload(ctx, ("source", ax, n), src)  # the same for every run of this shape
        scatter_add(xp, xp.moveaxis(folded, ax, 0), index, xp.moveaxis(out, ax, 0))
        out = folded
    return out


def _mirror_pad_grad_grad(op: Any, gg: Tensor) -> list[Any]:
    """The fold's adjoint is the mirror padding itself."""
    attrs = {"paddings": op.attrs["paddings"], "mode": op.attrs["mode"]}
    return [apply_op("MirrorPad", [gg], attrs, "MirrorPad"), None]


register(
    "MirrorPadGrad", shape=_mirror_pad_grad_shape, kernel=_mirror_pad_grad_kernel, grad=_mirror_pad_grad_grad
)


# ---- Gather -----------------------------------------------------------------------------------------
def gather(
    params: Any, indices: Any, axis: int = 0, name: str = "GatherV2", validate_indices: Any = None
) -> Tensor:
    p = convert_to_tensor(params)
    i = convert_to_tensor(indices)
    return apply_op("Gather", [p, i], {"axis": norm_axis(axis, p.shape.ndims)}, name)


def _gather_shape(inputs: list[Tensor], attrs: dict) -> Any:
    p, i = inputs
    if not i.dtype.is_integer:
        raise InvalidArgumentError(f"indices must be integers, got {i.dtype.name} {i.shape}")
    if p.shape.dims is None or i.shape.dims is None:
        return TensorShape(None), p.dtype
    ax = attrs["axis"]
    return TensorShape(p.shape.dims[:ax] + i.shape.dims + p.shape.dims[ax + 1 :]), p.dtype


def _gather_kernel(ctx: Any, p: Any, i: Any) -> Any:
    ax = ctx.attrs["axis"]
    n = p.shape[ax]
    if i.size and any_true((i < 0) | (i >= n)):
        raise InvalidArgumentError(f"{ctx.op.name}: indices out of range [0, {n})")
    return ctx.xp.take(p, i, axis=ax)


def _gather_grad(op: Any, g: Tensor) -> list[Any]:
    """dparams = scatter-add of g into zeros(shape(params)) at indices."""
    p, i = op.inputs
    return [apply_op("GatherGrad", [g, i, _shape_of(p)], {"axis": op.attrs["axis"]}), None]


register("Gather", shape=_gather_shape, kernel=_gather_kernel, grad=_gather_grad)


def _gather_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return constant_value_as_shape(inputs[2]), inputs[0].dtype


def _gather_grad_kernel(ctx: Any, g: Any, i: Any, shape: Any) -> Any:
    xp, ax = ctx.xp, ctx.attrs["axis"]
    out = xp.zeros(host_ints(shape), dtype=g.dtype)
    # Move the gathered axis first so that the scatter-add (np.add.at) adds whole slices.
    outm = xp.moveaxis(out, ax, 0)
    gm = xp.moveaxis(g, tuple(range(ax, ax + i.ndim)), tuple(range(i.ndim)))
    scatter_add(xp, outm, i, gm)
    return out


def _gather_grad_grad(op: Any, gg: Tensor) -> list[Any]:
    """d(g) = gather(gg, indices)."""
    return [gather(gg, op.inputs[1], axis=op.attrs["axis"]), None, None]


register("GatherGrad", shape=_gather_grad_shape, kernel=_gather_grad_kernel, grad=_gather_grad_grad)


# ---- Tile -------------------------------------------------------------------------------------------
def tile(input: Any, multiples: Any, name: str = "Tile") -> Tensor:
    return apply_op(
        "Tile", [convert_to_tensor(input)], {"multiples": static_ints(multiples, "multiples")}, name
    )


def _tile_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, m = inputs[0], attrs["multiples"]
    if x.shape.dims is None:
        return TensorShape([None] * len(m)), x.dtype
    if len(m) != len(x.shape.dims):
        raise InvalidArgumentError(f"multiples {list(m)} do not match the rank of shape {x.shape}")
    return TensorShape([None if d is None else d * k for d, k in zip(x.shape.dims, m, strict=False)]), x.dtype


def _tile_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.tile(x, ctx.attrs["multiples"])


def _tile_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = sum of g over the tile copies: reshape to [m0, d0, m1, d1, ...] and sum the m axes."""
    x, m = op.inputs[0], op.attrs["multiples"]
    if not x.shape.is_fully_defined():
        raise UnimplementedError(f"gradient of {op.name}: the input shape must be static, got {x.shape}")
    inter = [v for k, d in zip(m, x.shape.dims, strict=False) for v in (k, d)]  # type: ignore[union-attr]
    summed = sum_to_shape(reshape(g, inter), [v for d in x.shape.dims for v in (1, d)])  # type: ignore[union-attr]
    return [reshape(summed, x.shape.dims)]


register("Tile", shape=_tile_shape, kernel=_tile_kernel, grad=_tile_grad)


# ---- BroadcastTo ------------------------------------------------------------------------------------
def broadcast_to(input: Any, shape: Any, name: str = "BroadcastTo") -> Tensor:
    return apply_op("BroadcastTo", [convert_to_tensor(input), _shape_tensor(shape)], {}, name)


def _broadcast_to_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, s = inputs
    target = constant_value_as_shape(s)
    out = broadcast_shapes(x.shape, target)
    if out is None or (
        target.dims is not None and out.dims is not None and len(out.dims) != len(target.dims)
    ):
        raise InvalidArgumentError(f"cannot broadcast shape {x.shape} to shape {target}")
    return target.merge_with(out) if target.dims is not None else out, x.dtype


def _broadcast_to_kernel(ctx: Any, x: Any, shape: Any) -> Any:
    return ctx.xp.broadcast_to(x, host_ints(shape))


def _broadcast_to_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g summed back to shape(x)."""
    return [sum_to_shape(g, _shape_of(op.inputs[0])), None]


register("BroadcastTo", shape=_broadcast_to_shape, kernel=_broadcast_to_kernel, grad=_broadcast_to_grad)


# ---- SumToShape (the central unbroadcast) -----------------------------------------------------------
def sum_to_shape(x: Tensor, shape: Any, name: str = "SumToShape") -> Tensor:
    """Sum ``x`` over broadcast axes so that its shape becomes ``shape`` (gradient engine helper)."""
    return apply_op("SumToShape", [x, _shape_tensor(shape)], {}, name)


def _sum_to_shape_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return constant_value_as_shape(inputs[1]), inputs[0].dtype


def _sum_to_shape_kernel(ctx: Any, x: Any, shape: Any) -> Any:
    shape = host_ints(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    return x.sum(axis=axes, keepdims=True).reshape(shape)


def _sum_to_shape_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = broadcast_to(g, shape(x))."""
    return [broadcast_to(g, _shape_of(op.inputs[0])), None]


register("SumToShape", shape=_sum_to_shape_shape, kernel=_sum_to_shape_kernel, grad=_sum_to_shape_grad)


# ---- OneHot -----------------------------------------------------------------------------------------
def one_hot(
    indices: Any,
    depth: int,
    on_value: Any = None,
    off_value: Any = None,
    axis: int = -1,
    dtype: Any = None,
    name: str = "one_hot",
) -> Tensor:
    i = convert_to_tensor(indices)
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.float32
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    return apply_op(
        "OneHot", [i], {"depth": int(depth), "on": on, "off": off, "axis": int(axis), "dtype": dt}, name
    )


def _one_hot_shape(inputs: list[Tensor], attrs: dict) -> Any:
    i = inputs[0]
    if not i.dtype.is_integer:
        raise InvalidArgumentError(f"indices must be integers, got {i.dtype.name} {i.shape}")
    if i.shape.dims is None:
        return TensorShape(None), attrs["dtype"]
    d = list(i.shape.dims)
    ax = attrs["axis"]
    d.insert(len(d) if ax == -1 else ax, attrs["depth"])
    return TensorShape(d), attrs["dtype"]


def _one_hot_kernel(ctx: Any, i: Any) -> Any:
    a, xp = ctx.attrs, ctx.xp
    hot = i[..., None] == xp.arange(a["depth"])
    on_off = ctx.cache.get("on_off")
    if on_off is None:  # 0-d arrays of the output dtype, made (and on a GPU copied) once
        dt = a["dtype"].np
        on_off = (upload(ctx, np.asarray(a["on"], dt)), upload(ctx, np.asarray(a["off"], dt)))
        ctx.cache["on_off"] = on_off
    out = xp.where(hot, *on_off)
    return out if a["axis"] == -1 else xp.moveaxis(out, -1, a["axis"])


register("OneHot", shape=_one_hot_shape, kernel=_one_hot_kernel, not_differentiable=True)


# ---- Where (coordinates) ----------------------------------------------------------------------------
def where_indices(condition: Tensor, name: str = "Where") -> Tensor:
    return apply_op("Where", [condition], {}, name)


def _where_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([None, inputs[0].shape.ndims]), _dt.int64


def _where_kernel(ctx: Any, c: Any) -> Any:
    return ctx.xp.argwhere(c).astype(np.int64)


register("Where", shape=_where_shape, kernel=_where_kernel, not_differentiable=True)


# convert_to_tensor (in the graph core) turns Python values into Const ops and lists of tensors into Pack.
register_value_conversion(constant=constant, stack=stack)
