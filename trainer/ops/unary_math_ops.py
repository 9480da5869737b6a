"""Elementwise math TF1 programs use beyond the core arithmetic: trigonometric and hyperbolic functions,
``log1p``/``expm1``, rounding (``ceil``, ``round`` half to even as TF rounds, ``rint``), the float tests
``is_nan``/``is_inf``/``is_finite`` and ``atan2``.

Each op is a short stanza: its numpy kernel and its gradient (the formula in the docstring), built from
registered ops so that second derivatives work.

>>> import numpy as np
>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.round([0.5, 1.5, -2.5])), sess.run(tf.ceil([1.2])), sess.run(tf.is_nan([np.nan])))
[ 0.  2. -2.] [2.] [ True]
"""

from __future__ import annotations

from typing import Any

from trainer import dtypes as _dt
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops._common import broadcast_shape, float_same_shape, to_tensors
from trainer.ops.math_ops import add, multiply, negative, reciprocal, rsqrt, square, subtract, truediv
from trainer.registry import register
from trainer.tensor_shape import TensorShape


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    return apply_op(op_type, [convert_to_tensor(x)], {}, name or op_type)


def _no_gradient_almost_everywhere(op: Any, g: Tensor) -> list[Any]:
    """Piecewise constant: no gradient (TF1 returns None for Ceil, Round, Rint)."""
    return [None]


# ---- Sin / Cos / Tan ---------------------------------------------------------------------------------
def sin(x: Any, name: str | None = None) -> Tensor:
    return _unary("Sin", x, name)


def _sin_grad(op: Any, g: Tensor) -> list[Any]:
    """d sin(x) = g cos(x)."""
    return [multiply(g, cos(op.inputs[0]))]


register("Sin", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.sin(x), grad=_sin_grad)


def cos(x: Any, name: str | None = None) -> Tensor:
    return _unary("Cos", x, name)


def _cos_grad(op: Any, g: Tensor) -> list[Any]:
    """d cos(x) = -g sin(x)."""
    return [negative(multiply(g, sin(op.inputs[0])))]


register("Cos", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.cos(x), grad=_cos_grad)


def tan(x: Any, name: str | None = None) -> Tensor:
    return _unary("Tan", x, name)


def _tan_grad(op: Any, g: Tensor) -> list[Any]:
    """d tan(x) = g (1 + tan(x)^2)."""
    return [multiply(g, add(square(op.outputs[0]), 1.0))]


register("Tan", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.tan(x), grad=_tan_grad)


# ---- Asin / Acos / Atan ------------------------------------------------------------------------------
def asin(x: Any, name: str | None = None) -> Tensor:
    return _unary("Asin", x, name)


def _asin_grad(op: Any, g: Tensor) -> list[Any]:
    """d asin(x) = g / sqrt(1 - x^2)."""
    return [multiply(g, rsqrt(subtract(1.0, square(op.inputs[0]))))]


register("Asin", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.arcsin(x), grad=_asin_grad)


def acos(x: Any, name: str | None = None) -> Tensor:
    return _unary("Acos", x, name)


def _acos_grad(op: Any, g: Tensor) -> list[Any]:
    """d acos(x) = -g / sqrt(1 - x^2)."""
    return [negative(multiply(g, rsqrt(subtract(1.0, square(op.inputs[0])))))]


register("Acos", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.arccos(x), grad=_acos_grad)


def atan(x: Any, name: str | None = None) -> Tensor:
    return _unary("Atan", x, name)


def _atan_grad(op: Any, g: Tensor) -> list[Any]:
    """d atan(x) = g / (1 + x^2)."""
    return [truediv(g, add(square(op.inputs[0]), 1.0))]


register("Atan", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.arctan(x), grad=_atan_grad)


# ---- Sinh / Cosh -------------------------------------------------------------------------------------
def sinh(x: Any, name: str | None = None) -> Tensor:
    return _unary("Sinh", x, name)


def _sinh_grad(op: Any, g: Tensor) -> list[Any]:
    """d sinh(x) = g cosh(x)."""
    return [multiply(g, cosh(op.inputs[0]))]


register("Sinh", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.sinh(x), grad=_sinh_grad)


def cosh(x: Any, name: str | None = None) -> Tensor:
    return _unary("Cosh", x, name)


def _cosh_grad(op: Any, g: Tensor) -> list[Any]:
    """d cosh(x) = g sinh(x)."""
    return [multiply(g, sinh(op.inputs[0]))]


register("Cosh", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.cosh(x), grad=_cosh_grad)


# ---- Log1p / Expm1 -----------------------------------------------------------------------------------
def log1p(x: Any, name: str | None = None) -> Tensor:
    return _unary("Log1p", x, name)


def _log1p_grad(op: Any, g: Tensor) -> list[Any]:
    """d log(1 + x) = g / (1 + x)."""
    return [multiply(g, reciprocal(add(op.inputs[0], 1.0)))]


register("Log1p", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.log1p(x), grad=_log1p_grad)


def expm1(x: Any, name: str | None = None) -> Tensor:
    return _unary("Expm1", x, name)


def _expm1_grad(op: Any, g: Tensor) -> list[Any]:
    """d (exp(x) - 1) = g (y + 1)."""
    return [multiply(g, add(op.outputs[0], 1.0))]


register("Expm1", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.expm1(x), grad=_expm1_grad)


# ---- Ceil / Round / Rint -----------------------------------------------------------------------------
def ceil(x: Any, name: str | None = None) -> Tensor:
    return _unary("Ceil", x, name)


register(
    "Ceil", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.ceil(x), grad=_no_gradient_almost_everywhere
)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - the TensorFlow name
    """Half to even (``round(2.5) = 2``), as TF rounds; integers pass through."""
    t = convert_to_tensor(x)
    if t.dtype.is_integer:
        return t
    return _unary("Round", t, name)


register(
    "Round",
    shape=float_same_shape,
    kernel=lambda ctx, x: ctx.xp.round(x),
    grad=_no_gradient_almost_everywhere,
)


def rint(x: Any, name: str | None = None) -> Tensor:
    return _unary("Rint", x, name)


register(
    "Rint", shape=float_same_shape, kernel=lambda ctx, x: ctx.xp.rint(x), grad=_no_gradient_almost_everywhere
)


# ---- IsNan / IsInf / IsFinite ------------------------------------------------------------------------
def _test_shape(inputs: list[Tensor], attrs: dict) -> Any:
    float_same_shape(inputs, attrs)
    return inputs[0].shape, _dt.bool


def is_nan(x: Any, name: str | None = None) -> Tensor:
    return _unary("IsNan", x, name)


def is_inf(x: Any, name: str | None = None) -> Tensor:
    return _unary("IsInf", x, name)


def is_finite(x: Any, name: str | None = None) -> Tensor:
    return _unary("IsFinite", x, name)


register("IsNan", shape=_test_shape, kernel=lambda ctx, x: ctx.xp.isnan(x), not_differentiable=True)
register("IsInf", shape=_test_shape, kernel=lambda ctx, x: ctx.xp.isinf(x), not_differentiable=True)
register("IsFinite", shape=_test_shape, kernel=lambda ctx, x: ctx.xp.isfinite(x), not_differentiable=True)


# ---- Atan2 -------------------------------------------------------------------------------------------
def atan2(y: Any, x: Any, name: str | None = None) -> Tensor:
    """The angle of the point ``(x, y)``, in ``(-pi, pi]``."""
    yt, xt = to_tensors(y, x)
    return apply_op("Atan2", [yt, xt], {}, name or "Atan2")


def _atan2_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    float_same_shape(inputs[:1], attrs)
    return broadcast_shape(inputs, attrs)


def _atan2_grad(op: Any, g: Tensor) -> list[Any]:
    """d atan2(y, x) = (g x, -g y) / (x^2 + y^2)."""
    y, x = op.inputs
    s = truediv(g, add(square(x), square(y)))
    return [multiply(s, x), negative(multiply(s, y))]


register(
    "Atan2",
    shape=_atan2_shape,
    kernel=lambda ctx, y, x: ctx.xp.arctan2(y, x),
    grad=_atan2_grad,
    broadcasting=True,
)
