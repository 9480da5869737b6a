"""Math ops: elementwise arithmetic, comparisons, matmul, reductions, casts.

Binary elementwise ops broadcast like numpy and are registered with ``broadcasting=True``: their gradient
rules return gradients of the output's shape and the gradient engine sums them back to each input's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor, name_scope, override_operator
from trainer.ops._common import (
    bool_broadcast_shape,
    broadcast_shape,
    float_same_shape,
    norm_axis,
    same_shape,
    static_ints,
    to_tensors,
)

# Cast and SumToShape live in array_ops, whose gradients build them; TF1 code spells them math_ops.cast.
from trainer.ops.array_ops import (  # noqa: F401
    _shape_of,
    broadcast_to,
    cast,
    constant,
    expand_dims,
    ones_like,
    size,
    sum_to_shape,
    to_float,
    to_int32,
    to_int64,
    where_indices,
    zeros_like,
)
from trainer.registry import register
from trainer.tensor_shape import TensorShape, broadcast_shapes
from trainer.xp_compat import any_true


def _binary(op_type: str, x: Any, y: Any, name: str | None) -> Tensor:
    x, y = to_tensors(x, y)
    return apply_op(op_type, [x, y], {}, name or op_type)


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    return apply_op(op_type, [convert_to_tensor(x)], {}, name or op_type)


def _zeros_where(cond: Tensor, g: Tensor, keep_when: bool) -> Tensor:
    z = zeros_like(g)
    return where(cond, g, z) if keep_when else where(cond, z, g)


# ---- Add / Sub / Mul / RealDiv ---------------------------------------------------------------------
def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Add", x, y, name)


def _add_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return x + y


def _add_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x+y) = (g, g)."""
    return [g, g]


register("Add", shape=broadcast_shape, kernel=_add_kernel, grad=_add_grad, broadcasting=True)


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Sub", x, y, name)


def _sub_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return x - y


def _sub_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x-y) = (g, -g)."""
    return [g, negative(g)]


register("Sub", shape=broadcast_shape, kernel=_sub_kernel, grad=_sub_grad, broadcasting=True)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Mul", x, y, name)


def _mul_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return x * y


def _mul_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x*y) = (g*y, g*x)."""
    x, y = op.inputs
    return [multiply(g, y), multiply(g, x)]


register("Mul", shape=broadcast_shape, kernel=_mul_kernel, grad=_mul_grad, broadcasting=True)


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x / y``; integer inputs are cast to float first (int8/int16 to float32, wider to float64)."""
    x, y = to_tensors(x, y)
    if x.dtype.is_integer and x.dtype is y.dtype:
        ft = _dt.float32 if x.dtype.size <= 2 else _dt.float64
        x, y = cast(x, ft), cast(y, ft)
    return apply_op("RealDiv", [x, y], {}, name or "truediv")


divide = truediv
div = truediv


def _realdiv_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return x / y


def _realdiv_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x/y) = (g/y, -g*x/y^2)."""
    x, y = op.inputs
    return [truediv(g, y), negative(multiply(g, truediv(op.outputs[0], y)))]


register("RealDiv", shape=broadcast_shape, kernel=_realdiv_kernel, grad=_realdiv_grad, broadcasting=True)


def floordiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("FloorDiv", x, y, name)


def _floordiv_kernel(ctx: Any, x: Any, y: Any) -> Any:
    if x.dtype.kind in "iu" and y.size and any_true(y == 0):
        raise InvalidArgumentError("integer division by zero")
    return x // y


def _floordiv_grad(op: Any, g: Tensor) -> list[Any]:
    """floor(x/y) is piecewise constant: zero gradient almost everywhere."""
    return [None, None]


register("FloorDiv", shape=broadcast_shape, kernel=_floordiv_kernel, grad=_floordiv_grad, broadcasting=True)


def mod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """``x % y`` with the sign of y (Python/numpy semantics, TensorFlow's FloorMod)."""
    return _binary("FloorMod", x, y, name)


floormod = mod


def _floormod_kernel(ctx: Any, x: Any, y: Any) -> Any:
    if x.dtype.kind in "iu" and y.size and any_true(y == 0):
        raise InvalidArgumentError("integer modulo by zero")
    return x % y


def _floormod_grad(op: Any, g: Tensor) -> list[Any]:
    """x mod y = x - floor(x/y)*y: (g, -g*floor(x/y))."""
    x, y = op.inputs
    return [g, negative(multiply(g, floordiv(x, y)))]


register("FloorMod", shape=broadcast_shape, kernel=_floormod_kernel, grad=_floormod_grad, broadcasting=True)


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF name
    return _binary("Pow", x, y, name)


def _pow_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return ctx.xp.power(x, y)


def _pow_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x^y) = (g*y*x^(y-1), g*log(x)*x^y), with log(x) taken as 0 where x <= 0."""
    x, y = op.inputs
    z = op.outputs[0]
    safe_log = where(greater(x, 0), log(where(greater(x, 0), x, ones_like(x))), zeros_like(x))
    return [multiply(g, multiply(y, pow(x, subtract(y, 1)))), multiply(g, multiply(safe_log, z))]


register("Pow", shape=broadcast_shape, kernel=_pow_kernel, grad=_pow_grad, broadcasting=True)


def maximum(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Maximum", x, y, name)


def _maximum_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return ctx.xp.maximum(x, y)


def _maximum_grad(op: Any, g: Tensor) -> list[Any]:
    """The larger input gets g (x on ties)."""
    x, y = op.inputs
    m = greater_equal(x, y)
    return [_zeros_where(m, g, True), _zeros_where(m, g, False)]


register("Maximum", shape=broadcast_shape, kernel=_maximum_kernel, grad=_maximum_grad, broadcasting=True)


def minimum(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("Minimum", x, y, name)


def _minimum_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return ctx.xp.minimum(x, y)


def _minimum_grad(op: Any, g: Tensor) -> list[Any]:
    """The smaller input gets g (x on ties)."""
    x, y = op.inputs
    m = less_equal(x, y)
    return [_zeros_where(m, g, True), _zeros_where(m, g, False)]


register("Minimum", shape=broadcast_shape, kernel=_minimum_kernel, grad=_minimum_grad, broadcasting=True)


def squared_difference(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("SquaredDifference", x, y, name)


def _squared_difference_kernel(ctx: Any, x: Any, y: Any) -> Any:
    d = x - y
    return d * d


def _squared_difference_grad(op: Any, g: Tensor) -> list[Any]:
    """d((x - y)^2) = 2*(x - y)*g for x, its negation for y."""
    x, y = op.inputs
    gx = multiply(g, multiply(subtract(x, y), 2))
    return [gx, negative(gx)]


register(
    "SquaredDifference",
    shape=broadcast_shape,
    kernel=_squared_difference_kernel,
    grad=_squared_difference_grad,
    broadcasting=True,
)


# ---- unary ------------------------------------------------------------------------------------------
def negative(x: Any, name: str | None = None) -> Tensor:
    return _unary("Neg", x, name)


neg = negative


def _neg_kernel(ctx: Any, x: Any) -> Any:
    return -x


def _neg_grad(op: Any, g: Tensor) -> list[Any]:
    """d(-x) = -g."""
    return [negative(g)]


register("Neg", shape=same_shape, kernel=_neg_kernel, grad=_neg_grad)


def square(x: Any, name: str | None = None) -> Tensor:
    return _unary("Square", x, name)


def _square_kernel(ctx: Any, x: Any) -> Any:
    return x * x


def _square_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x^2) = 2*x*g."""
    return [multiply(g, multiply(op.inputs[0], 2))]


register("Square", shape=same_shape, kernel=_square_kernel, grad=_square_grad)


def sqrt(x: Any, name: str | None = None) -> Tensor:
    return _unary("Sqrt", x, name)


def _sqrt_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.sqrt(x)


def _sqrt_grad(op: Any, g: Tensor) -> list[Any]:
    """d(sqrt x) = g * 0.5 / sqrt(x)."""
    return [multiply(g, truediv(0.5, op.outputs[0]))]


register("Sqrt", shape=float_same_shape, kernel=_sqrt_kernel, grad=_sqrt_grad)


def rsqrt(x: Any, name: str | None = None) -> Tensor:
    return _unary("Rsqrt", x, name)


def _rsqrt_kernel(ctx: Any, x: Any) -> Any:
    return 1 / ctx.xp.sqrt(x)


def _rsqrt_grad(op: Any, g: Tensor) -> list[Any]:
    """d(x^-1/2) = -0.5 * g * y^3."""
    y = op.outputs[0]
    return [multiply(g, multiply(-0.5, multiply(y, square(y))))]


register("Rsqrt", shape=float_same_shape, kernel=_rsqrt_kernel, grad=_rsqrt_grad)


def exp(x: Any, name: str | None = None) -> Tensor:
    return _unary("Exp", x, name)


def _exp_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.exp(x)


def _exp_grad(op: Any, g: Tensor) -> list[Any]:
    """d(e^x) = g * e^x."""
    return [multiply(g, op.outputs[0])]


register("Exp", shape=float_same_shape, kernel=_exp_kernel, grad=_exp_grad)


def log(x: Any, name: str | None = None) -> Tensor:
    return _unary("Log", x, name)


def _log_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.log(x)


def _log_grad(op: Any, g: Tensor) -> list[Any]:
    """d(log x) = g / x."""
    return [truediv(g, op.inputs[0])]


register("Log", shape=float_same_shape, kernel=_log_kernel, grad=_log_grad)


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF name
    if hasattr(x, "__tensorlet_abs__"):  # tf.signal.stft's ComplexTensor: the magnitude
        return x.__tensorlet_abs__(name)
    return _unary("Abs", x, name)


def _abs_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.abs(x)


def _abs_grad(op: Any, g: Tensor) -> list[Any]:
    """d|x| = g * sign(x)."""
    return [multiply(g, sign(op.inputs[0]))]


register("Abs", shape=same_shape, kernel=_abs_kernel, grad=_abs_grad)


def sign(x: Any, name: str | None = None) -> Tensor:
    return _unary("Sign", x, name)


def _sign_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.sign(x)


def _piecewise_constant_grad(op: Any, g: Tensor) -> list[Any]:
    """Piecewise constant: zero gradient almost everywhere."""
    return [None]


register("Sign", shape=same_shape, kernel=_sign_kernel, grad=_piecewise_constant_grad)


def floor(x: Any, name: str | None = None) -> Tensor:
    return _unary("Floor", x, name)


def _floor_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.floor(x)


register("Floor", shape=float_same_shape, kernel=_floor_kernel, grad=_piecewise_constant_grad)


def reciprocal(x: Any, name: str | None = None) -> Tensor:
    return truediv(1, x, name=name)


# ---- comparisons and logic --------------------------------------------------------------------------
def _compare(op_type: str, ufunc: str) -> Any:
    """One comparison stanza: builder plus a kernel calling ``ctx.xp.<ufunc>``; bool output, no gradient."""

    def kernel(ctx: Any, x: Any, y: Any) -> Any:
        return getattr(ctx.xp, ufunc)(x, y)

    kernel.__name__ = f"_{ufunc}_kernel"
    register(op_type, shape=bool_broadcast_shape, kernel=kernel, not_differentiable=True)

    def builder(x: Any, y: Any, name: str | None = None) -> Tensor:
        return _binary(op_type, x, y, name)

    builder.__name__ = ufunc
    builder.__doc__ = f"Elementwise ``{ufunc}(x, y)`` with broadcasting (op ``{op_type}``, bool result)."
    return builder


equal = _compare("Equal", "equal")
not_equal = _compare("NotEqual", "not_equal")
less = _compare("Less", "less")
less_equal = _compare("LessEqual", "less_equal")
greater = _compare("Greater", "greater")
greater_equal = _compare("GreaterEqual", "greater_equal")


def _bool_inputs(inputs: list[Tensor], attrs: dict) -> Any:
    for x in inputs:
        if not x.dtype.is_bool:
            raise InvalidArgumentError(f"expects bool inputs, got {x.dtype.name} {x.shape}")
    return bool_broadcast_shape(inputs, attrs) if len(inputs) == 2 else (inputs[0].shape, _dt.bool)


def logical_and(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("LogicalAnd", x, y, name)


def _logical_and_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return x & y


register("LogicalAnd", shape=_bool_inputs, kernel=_logical_and_kernel, not_differentiable=True)


def logical_or(x: Any, y: Any, name: str | None = None) -> Tensor:
    return _binary("LogicalOr", x, y, name)


def _logical_or_kernel(ctx: Any, x: Any, y: Any) -> Any:
    return x | y


register("LogicalOr", shape=_bool_inputs, kernel=_logical_or_kernel, not_differentiable=True)


def logical_not(x: Any, name: str | None = None) -> Tensor:
    return _unary("LogicalNot", x, name)


def _logical_not_kernel(ctx: Any, x: Any) -> Any:
    return ~x


register("LogicalNot", shape=_bool_inputs, kernel=_logical_not_kernel, not_differentiable=True)


# ---- Select (where) ---------------------------------------------------------------------------------
def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """``where(c, x, y)`` picks elementwise (broadcasting all three); ``where(c)`` gives the coordinates
    of true elements."""
    c = convert_to_tensor(condition)
    if x is None and y is None:
        return where_indices(c, name=name or "Where")
    x, y = to_tensors(x, y)
    return apply_op("Select", [c, x, y], {}, name or "Select")


def _select_shape(inputs: list[Tensor], attrs: dict) -> Any:
    c, x, y = inputs
    if not c.dtype.is_bool:
        raise InvalidArgumentError(f"condition must be bool, got {c.dtype.name} {c.shape}")
    s, dt = broadcast_shape([x, y], attrs)
    out = broadcast_shapes(c.shape, s)
    if out is None:
        raise InvalidArgumentError(f"condition shape {c.shape} and value shape {s} cannot be broadcast")
    return out, dt


def _select_kernel(ctx: Any, c: Any, x: Any, y: Any) -> Any:
    return ctx.xp.where(c, x, y)


def _select_grad(op: Any, g: Tensor) -> list[Any]:
    """x gets g where c holds, y elsewhere."""
    c = op.inputs[0]
    z = zeros_like(g)
    return [None, where(c, g, z), where(c, z, g)]


register("Select", shape=_select_shape, kernel=_select_kernel, grad=_select_grad, broadcasting=True)


# ---- MatMul / BatchMatMul ---------------------------------------------------------------------------
def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    name: str | None = None,
    **_ignored: Any,
) -> Tensor:
    """``a @ b``; rank > 2 inputs use BatchMatMul (batch dimensions broadcast)."""
    a, b = to_tensors(a, b)
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    if (a.shape.ndims or 2) == 2 and (b.shape.ndims or 2) == 2:  # unknown rank: TF1 assumes a matrix
        return apply_op("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb}, name or "MatMul")
    return apply_op("BatchMatMul", [a, b], {"adj_x": ta, "adj_y": tb}, name or "MatMul")


def _matmul_shape(inputs: list[Tensor], attrs: dict) -> Any:
    a, b = inputs
    if a.dtype is not b.dtype:
        raise InvalidArgumentError(f"dtypes {a.dtype.name} {a.shape} and {b.dtype.name} {b.shape} differ")
    if a.shape.ndims not in (None, 2) or b.shape.ndims not in (None, 2):
        raise InvalidArgumentError(f"MatMul needs matrices, got shapes {a.shape} and {b.shape}")
    ad, bd = a.shape.with_rank(2).dims, b.shape.with_rank(2).dims
    m, k1 = reversed(ad) if attrs["transpose_a"] else ad  # type: ignore[arg-type]
    k2, n = reversed(bd) if attrs["transpose_b"] else bd  # type: ignore[arg-type]
    if k1 is not None and k2 is not None and k1 != k2:
        raise InvalidArgumentError(
            f"inner dimensions differ: shapes {a.shape} and {b.shape} "
            f"(transpose_a={attrs['transpose_a']}, transpose_b={attrs['transpose_b']})"
        )
    return TensorShape([m, n]), a.dtype


def _matmul_kernel(ctx: Any, a: Any, b: Any) -> Any:
    at = ctx.attrs
    return (a.T if at["transpose_a"] else a) @ (b.T if at["transpose_b"] else b)


def _matmul_grad(op: Any, g: Tensor) -> list[Any]:
    """C = A B: dA = g B^T, dB = A^T g (with the transposes folded in)."""
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if not ta and not tb:
        return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
    if not ta and tb:
        return [matmul(g, b), matmul(g, a, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, g, transpose_b=True), matmul(a, g)]
    return [
        matmul(b, g, transpose_a=True, transpose_b=True),
        matmul(g, a, transpose_a=True, transpose_b=True),
    ]


register("MatMul", shape=_matmul_shape, kernel=_matmul_kernel, grad=_matmul_grad)


def _batch_matmul_shape(inputs: list[Tensor], attrs: dict) -> Any:
    a, b = inputs
    if a.dtype is not b.dtype:
        raise InvalidArgumentError(f"dtypes {a.dtype.name} {a.shape} and {b.dtype.name} {b.shape} differ")
    if a.shape.dims is None or b.shape.dims is None:
        return TensorShape(None), a.dtype
    if len(a.shape.dims) < 2 or len(b.shape.dims) < 2:
        raise InvalidArgumentError(f"matmul needs rank >= 2 inputs, got shapes {a.shape} and {b.shape}")
    m, k1 = a.shape.dims[-2:][::-1] if attrs["adj_x"] else a.shape.dims[-2:]
    k2, n = b.shape.dims[-2:][::-1] if attrs["adj_y"] else b.shape.dims[-2:]
    if k1 is not None and k2 is not None and k1 != k2:
        raise InvalidArgumentError(f"inner dimensions differ: shapes {a.shape} and {b.shape}")
    batch = broadcast_shapes(TensorShape(a.shape.dims[:-2]), TensorShape(b.shape.dims[:-2]))
    if batch is None:
        raise InvalidArgumentError(f"batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast")
    return TensorShape(batch.dims + (m, n)), a.dtype  # type: ignore[operator]


def _batch_matmul_kernel(ctx: Any, a: Any, b: Any) -> Any:
    at = ctx.attrs
    return (a.swapaxes(-1, -2) if at["adj_x"] else a) @ (b.swapaxes(-1, -2) if at["adj_y"] else b)


def _batch_matmul_grad(op: Any, g: Tensor) -> list[Any]:
    """Per batch: dA = g B^T, dB = A^T g (the engine sums broadcast batch dimensions)."""
    a, b = op.inputs
    ta, tb = op.attrs["adj_x"], op.attrs["adj_y"]

    def mm(x: Tensor, y: Tensor, tx: bool = False, ty: bool = False) -> Tensor:
        return apply_op("BatchMatMul", [x, y], {"adj_x": tx, "adj_y": ty})

    if not ta and not tb:
        return [mm(g, b, ty=True), mm(a, g, tx=True)]
    if not ta and tb:
        return [mm(g, b), mm(g, a, tx=True)]
    if ta and not tb:
        return [mm(b, g, ty=True), mm(a, g)]
    return [mm(b, g, True, True), mm(g, a, True, True)]


register(
    "BatchMatMul",
    shape=_batch_matmul_shape,
    kernel=_batch_matmul_kernel,
    grad=_batch_matmul_grad,
    broadcasting=True,
)


# ---- AddN -------------------------------------------------------------------------------------------
def add_n(inputs: Sequence[Any], name: str | None = None) -> Tensor:
    xs = [convert_to_tensor(x) for x in inputs]
    if not xs:
        raise InvalidArgumentError("add_n needs at least one input")
    if len(xs) == 1:
        return xs[0]
    return apply_op("AddN", xs, {}, name or "AddN")


def _add_n_shape(inputs: list[Tensor], attrs: dict) -> Any:
    s = TensorShape(None)
    dt = inputs[0].dtype
    for x in inputs:
        if x.dtype is not dt:
            raise InvalidArgumentError(f"inputs have different dtypes {dt.name} and {x.dtype.name}")
        if not s.is_compatible_with(x.shape):
            raise InvalidArgumentError(f"shapes {s} and {x.shape} differ")
        s = s.merge_with(x.shape)
    return s, dt


def _add_n_kernel(ctx: Any, *xs: Any) -> Any:
    out = xs[0] + xs[1]
    for x in xs[2:]:
        out += x
    return out


def _add_n_grad(op: Any, g: Tensor) -> list[Any]:
    """Every input gets g."""
    return [g] * len(op.inputs)


register("AddN", shape=_add_n_shape, kernel=_add_n_kernel, grad=_add_n_grad)


# ---- reductions -------------------------------------------------------------------------------------
def _reduce(
    op_type: str,
    x: Any,
    axis: Any,
    keepdims: Any,
    keep_dims: Any,
    name: str | None,
    reduction_indices: Any = None,
) -> Tensor:
    x = convert_to_tensor(x)
    if axis is None:
        axis = reduction_indices
    keep = bool(keep_dims if keep_dims is not None else (keepdims or False))
    r = x.shape.ndims
    if axis is None:  # all axes; attr axis None when the rank is unknown until run time (a shapeless input)
        axes = None if r is None else tuple(range(r))
    else:
        axes = tuple(sorted({norm_axis(a, r) for a in static_ints(axis, "axis")}))
    return apply_op(op_type, [x], {"axis": axes, "keepdims": keep}, name or op_type)


def _reduce_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, axes, keep = inputs[0], attrs["axis"], attrs["keepdims"]
    if axes is None:  # all axes of an input of unknown rank
        return (TensorShape(None) if keep else TensorShape([])), x.dtype
    if x.shape.dims is None:
        return TensorShape(None), x.dtype
    for a in axes:
        if a >= len(x.shape.dims):
            raise InvalidArgumentError(f"axis {a} is out of range for shape {x.shape}")
    if keep:
        return TensorShape([1 if i in axes else d for i, d in enumerate(x.shape.dims)]), x.dtype
    return TensorShape([d for i, d in enumerate(x.shape.dims) if i not in axes]), x.dtype


def _grad_to_input(op: Any, g: Tensor) -> Tensor:
    """g (of the reduced shape) broadcast back to the shape of the reduction's input."""
    if not op.attrs["keepdims"] and op.attrs["axis"] is not None:  # axis None: g is a scalar
        for a in op.attrs["axis"]:
            g = expand_dims(g, a)
    return broadcast_to(g, _shape_of(op.inputs[0]))


def reduce_sum(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    return _reduce("Sum", input_tensor, axis, keepdims, keep_dims, name, reduction_indices)


def _sum_kernel(ctx: Any, x: Any) -> Any:
    a = ctx.attrs
    return ctx.xp.asarray(x.sum(axis=a["axis"], keepdims=a["keepdims"]), dtype=x.dtype)


def _sum_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g broadcast over the reduced axes."""
    return [_grad_to_input(op, g)]


register("Sum", shape=_reduce_shape, kernel=_sum_kernel, grad=_sum_grad)


def reduce_mean(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    return _reduce("Mean", input_tensor, axis, keepdims, keep_dims, name, reduction_indices)


def _mean_kernel(ctx: Any, x: Any) -> Any:
    a = ctx.attrs
    return ctx.xp.asarray(x.mean(axis=a["axis"], keepdims=a["keepdims"]), dtype=x.dtype)


def _mean_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g broadcast over the reduced axes / number of reduced elements."""
    x, y = op.inputs[0], op.outputs[0]
    nx, ny = x.shape.num_elements(), y.shape.num_elements()
    if nx is not None and ny is not None:
        count: Any = constant(np.asarray(nx // max(ny, 1), x.dtype.np), name="count")
    else:
        count = cast(floordiv(size(x), maximum(size(y), 1)), x.dtype)
    return [truediv(_grad_to_input(op, g), count)]


register("Mean", shape=_reduce_shape, kernel=_mean_kernel, grad=_mean_grad)


def reduce_max(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    return _reduce("Max", input_tensor, axis, keepdims, keep_dims, name, reduction_indices)


def _max_kernel(ctx: Any, x: Any) -> Any:
    a = ctx.attrs
    return ctx.xp.asarray(x.max(axis=a["axis"], keepdims=a["keepdims"]))


def _extremum_grad(op: Any, g: Tensor) -> list[Any]:
    """g split evenly among the elements equal to the extremum."""
    x, y = op.inputs[0], op.outputs[0]
    hit = cast(equal(x, _grad_to_input(op, y)), x.dtype)
    axes = None if op.attrs["axis"] is None else list(op.attrs["axis"])
    n = _grad_to_input(op, reduce_sum(hit, axis=axes, keepdims=op.attrs["keepdims"]))
    return [multiply(truediv(hit, n), _grad_to_input(op, g))]


register("Max", shape=_reduce_shape, kernel=_max_kernel, grad=_extremum_grad)


def reduce_min(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    return _reduce("Min", input_tensor, axis, keepdims, keep_dims, name, reduction_indices)


def _min_kernel(ctx: Any, x: Any) -> Any:
    a = ctx.attrs
    return ctx.xp.asarray(x.min(axis=a["axis"], keepdims=a["keepdims"]))


register("Min", shape=_reduce_shape, kernel=_min_kernel, grad=_extremum_grad)


# ---- composites: reduce_any, reduce_all, count_nonzero ----------------------------------------------
def _bool_reduce(what: str, reduce: Any, x: Any, axis: Any, keep: Any, name: str | None) -> Tensor:
    t = convert_to_tensor(x)
    if t.dtype is not _dt.bool:
        raise InvalidArgumentError(f"tf.{what} needs a bool tensor, got {t.dtype.name} {t.name}")
    with name_scope(name or what):
        return greater(reduce(cast(t, _dt.int32), axis, keep), 0)


def reduce_any(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """Logical or over ``axis`` (all axes by default): the maximum of the bools as 0/1."""
    axis = axis if axis is not None else reduction_indices
    return _bool_reduce("reduce_any", reduce_max, input_tensor, axis, keep_dims or keepdims, name)


def reduce_all(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """Logical and over ``axis`` (all axes by default): the minimum of the bools as 0/1."""
    axis = axis if axis is not None else reduction_indices
    return _bool_reduce("reduce_all", reduce_min, input_tensor, axis, keep_dims or keepdims, name)


def count_nonzero(
    input_tensor: Any,
    axis: Any = None,
    keepdims: Any = None,
    dtype: Any = _dt.int64,
    name: str | None = None,
    reduction_indices: Any = None,
    keep_dims: Any = None,
) -> Tensor:
    """The number of non-zero (or True) elements over ``axis`` (all axes by default), as ``dtype``."""
    t = convert_to_tensor(input_tensor)
    with name_scope(name or "count_nonzero"):
        nonzero = t if t.dtype is _dt.bool else not_equal(t, zeros_like(t))
        return reduce_sum(cast(nonzero, dtype), axis, keepdims, None, reduction_indices, keep_dims)


# ---- ArgMax / ArgMin --------------------------------------------------------------------------------
def _arg(op_type: str, x: Any, axis: Any, name: str | None, output_type: Any) -> Tensor:
    x = convert_to_tensor(x)
    ax = norm_axis(0 if axis is None else static_ints(axis, "axis")[0], x.shape.ndims)
    return apply_op(op_type, [x], {"axis": ax, "output_type": _dt.as_dtype(output_type)}, name or op_type)


def argmax(
    input: Any, axis: Any = None, name: str | None = None, dimension: Any = None, output_type: Any = _dt.int64
) -> Tensor:
    return _arg("ArgMax", input, axis if axis is not None else dimension, name, output_type)


def argmin(
    input: Any, axis: Any = None, name: str | None = None, dimension: Any = None, output_type: Any = _dt.int64
) -> Tensor:
    return _arg("ArgMin", input, axis if axis is not None else dimension, name, output_type)


def _arg_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if x.shape.dims is None:
        return TensorShape(None), attrs["output_type"]
    if attrs["axis"] >= len(x.shape.dims):
        raise InvalidArgumentError(f"axis {attrs['axis']} is out of range for shape {x.shape}")
    return TensorShape([d for i, d in enumerate(x.shape.dims) if i != attrs["axis"]]), attrs["output_type"]


def _argmax_kernel(ctx: Any, x: Any) -> Any:
    return x.argmax(axis=ctx.attrs["axis"]).astype(ctx.attrs["output_type"].np, copy=False)


def _argmin_kernel(ctx: Any, x: Any) -> Any:
    return x.argmin(axis=ctx.attrs["axis"]).astype(ctx.attrs["output_type"].np, copy=False)


register("ArgMax", shape=_arg_shape, kernel=_argmax_kernel, not_differentiable=True)
register("ArgMin", shape=_arg_shape, kernel=_argmin_kernel, not_differentiable=True)


# ---- Python operators on tensors --------------------------------------------------------------------
# The graph core knows no op: the module that owns an op installs the operator that builds it.
def _reflected(fn: Any) -> Any:
    def op(x: Any, y: Any) -> Tensor:
        return fn(y, x)

    return op


for _name, _fn in {
    "add": add,
    "sub": subtract,
    "mul": multiply,
    "truediv": truediv,
    "floordiv": floordiv,
    "mod": mod,
    "pow": pow,
    "matmul": matmul,
}.items():
    override_operator(f"__{_name}__", _fn)
    override_operator(f"__r{_name}__", _reflected(_fn))
for _name, _fn in {
    "lt": less,
    "le": less_equal,
    "gt": greater,
    "ge": greater_equal,
    "and": logical_and,
    "or": logical_or,
    "neg": negative,
    "abs": abs,
    "invert": logical_not,
}.items():
    override_operator(f"__{_name}__", _fn)
