"""Activations of the small-model zoo that the runtime runs as one op each: ``HardSwish``
(``tf.nn.hard_swish``, MobileNetV3's ``x * relu6(x + 3) / 6``), ``Gelu`` (``tf.nn.gelu``, exact or
with the tanh approximation), ``PRelu`` (``tf.nn.prelu``: Keras' PReLU, ``alpha`` broadcast over
``x``) and ``L2Normalize`` (``tf.nn.l2_normalize``). Each stanza: the public function, the kernel, the
gradient, ``register``.
"""

from __future__ import annotations

import math
from typing import Any

from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops._common import broadcast_shape, float_same_shape
from trainer.ops.array_ops import ones_like, zeros_like
from trainer.ops.math_ops import (
    add,
    exp,
    greater,
    greater_equal,
    less,
    logical_and,
    maximum,
    multiply,
    reduce_sum,
    rsqrt,
    square,
    subtract,
    where,
)
from trainer.ops.nn_ops import tanh
from trainer.registry import register


# ---- HardSwish ----------------------------------------------------------------------------------------
def hard_swish(features: Any, name: str | None = None) -> Tensor:
    """``x * relu6(x + 3) / 6`` (MobileNetV3's hard swish): 0 below -3, ``x`` above 3."""
    return apply_op("HardSwish", [convert_to_tensor(features)], {}, name or "HardSwish")


def _hard_swish_kernel(ctx: Any, x: Any) -> Any:
    return x * ctx.xp.clip(x + 3, 0, 6) / 6


def _hard_swish_grad(op: Any, g: Tensor) -> list[Any]:
    """d hard_swish(x) = 0 for x <= -3, (2x + 3) / 6 for -3 < x < 3, 1 for x >= 3 (x relu6(x + 3) / 6 taken
    apart by the product rule, with relu6's gradient 0 at its kinks)."""
    x = op.inputs[0]
    inside = logical_and(greater(x, -3.0), less(x, 3.0))
    outside = where(greater(x, 0.0), ones_like(x), zeros_like(x))
    slope = where(inside, multiply(add(multiply(x, 2.0), 3.0), 1.0 / 6.0), outside)
    return [multiply(g, slope)]


register("HardSwish", shape=float_same_shape, kernel=_hard_swish_kernel, grad=_hard_swish_grad)


# ---- Gelu --------------------------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """``x * Phi(x)`` (Phi the standard normal CDF: ``0.5 (1 + erf(x / sqrt 2))``); ``approximate=True``:
    ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``."""
    return apply_op("Gelu", [convert_to_tensor(features)], {"approximate": bool(approximate)}, name or "Gelu")


_ERF_TERMS = 160  # enough for |x| <= 6 (the largest term is near n = x^2)


def _erf(ctx: Any, x: Any) -> Any:
    """erf on the kernel's device (numpy has none): erf(z) = 2/sqrt(pi) exp(-z^2) sum_n 2^n z^(2n+1) /
    (1 3 5 ... (2n+1)), all terms of one sign (no cancellation), in float64; |z| > 6 gives +-1 (erfc(6) is
    below float64's epsilon). Relative error ~1e-14."""
    xp = ctx.xp
    z = xp.clip(x.astype(xp.float64), -6.0, 6.0)
    z2 = z * z
    term = z
    total = z
    for n in range(_ERF_TERMS):
        term = term * (2.0 / (2 * n + 3)) * z2
        total = total + term
    return (xp.exp(-z2) * total * (2.0 / math.sqrt(math.pi))).astype(x.dtype)


def _gelu_kernel(ctx: Any, x: Any) -> Any:
    xp = ctx.xp
    if ctx.attrs["approximate"]:
        inner = x.dtype.type(_SQRT_2_OVER_PI) * (x + x.dtype.type(_TANH_CUBIC) * x * x * x)
        return x * (xp.tanh(inner) + 1) / 2
    return x * (_erf(ctx, x / x.dtype.type(math.sqrt(2.0))) + 1) / 2


def _gelu_grad(op: Any, g: Tensor) -> list[Any]:
    """exact: Phi(x) + x phi(x) = y / x + x exp(-x^2 / 2) / sqrt(2 pi), written without the division as
    0.5 (1 + erf(x / sqrt 2)) + ...; tanh form: 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 c x^2)."""
    x = op.inputs[0]
    if op.attrs["approximate"]:
        inner = multiply(add(x, multiply(_TANH_CUBIC, multiply(square(x), x))), _SQRT_2_OVER_PI)
        t = tanh(inner)
        d_inner = multiply(add(multiply(square(x), 3.0 * _TANH_CUBIC), 1.0), _SQRT_2_OVER_PI)
        half_x = multiply(x, 0.5)
        slope = add(multiply(add(t, 1.0), 0.5), multiply(multiply(half_x, add(-square(t), 1.0)), d_inner))
    else:
        cdf = apply_op("GeluCdf", [x], {})
        pdf = multiply(exp(multiply(square(x), -0.5)), 1.0 / math.sqrt(2.0 * math.pi))
        slope = add(cdf, multiply(x, pdf))
    return [multiply(g, slope)]


register("Gelu", shape=float_same_shape, kernel=_gelu_kernel, grad=_gelu_grad)


def _gelu_cdf_kernel(ctx: Any, x: Any) -> Any:
    return (_erf(ctx, x / x.dtype.type(math.sqrt(2.0))) + 1) / 2


def _gelu_cdf_grad(op: Any, g: Tensor) -> list[Any]:
    """d Phi(x) = phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."""
    x = op.inputs[0]
    return [multiply(g, multiply(exp(multiply(square(x), -0.5)), 1.0 / math.sqrt(2.0 * math.pi)))]


# Phi(x), the standard normal CDF: Gelu's gradient (an internal op, not a tf.* name)
register("GeluCdf", shape=float_same_shape, kernel=_gelu_cdf_kernel, grad=_gelu_cdf_grad)


# ---- PRelu -------------------------------------------------------------------------------------------
def prelu(features: Any, alpha: Any, name: str | None = None) -> Tensor:
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise, ``alpha`` broadcast against ``x`` (numpy rules; Keras'
    PReLU learns one per channel: ``alpha`` of shape ``[C]``). Not a TensorFlow name: TF1 code writes
    ``relu(x) - alpha * relu(-x)``, which this op equals."""
    x = convert_to_tensor(features)
    a = convert_to_tensor(alpha, dtype=x.dtype)
    return apply_op("PRelu", [x, a], {}, name or "PRelu")


def _prelu_kernel(ctx: Any, x: Any, alpha: Any) -> Any:
    return ctx.xp.where(x >= 0, x, x * alpha)


def _prelu_grad(op: Any, g: Tensor) -> list[Any]:
    """d/dx = g where x >= 0, g alpha elsewhere; d/dalpha = g x where x < 0 (summed over broadcast dims by
    the registry)."""
    x, alpha = op.inputs
    up = greater_equal(x, zeros_like(x))
    gx = multiply(g, where(up, ones_like(x), multiply(ones_like(x), alpha)))
    return [gx, multiply(g, where(up, zeros_like(x), x))]


register("PRelu", shape=broadcast_shape, kernel=_prelu_kernel, grad=_prelu_grad, broadcasting=True)


# ---- L2Normalize ---------------------------------------------------------------------------------------
def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Tensor:
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))`` (``dim`` is the old name of ``axis``; None: all axes),
    one op (``L2Normalize``), so that the exporter sees it whole."""
    t = convert_to_tensor(x)
    ax = axis if axis is not None else dim
    axes = None if ax is None else [int(a) for a in (ax if isinstance(ax, (list, tuple)) else [ax])]
    return apply_op("L2Normalize", [t], {"axis": axes, "epsilon": float(epsilon)}, name or "l2_normalize")


def _l2_axes(attrs: dict, rank: int) -> tuple[int, ...]:
    return tuple(range(rank)) if attrs["axis"] is None else tuple(a % rank for a in attrs["axis"])


def _l2_normalize_kernel(ctx: Any, x: Any) -> Any:
    xp = ctx.xp
    sq = xp.sum(x * x, axis=_l2_axes(ctx.attrs, x.ndim), keepdims=True)
    return x / xp.sqrt(xp.maximum(sq, x.dtype.type(ctx.attrs["epsilon"])))


def _l2_normalize_grad(op: Any, g: Tensor) -> list[Any]:
    """y = x r, r = max(s, eps)^-1/2, s = sum(x^2): dx = g r - x r^3 sum(g x) where s > eps, g r elsewhere."""
    x = op.inputs[0]
    axes = list(_l2_axes(op.attrs, x.shape.ndims))
    sq = reduce_sum(square(x), axis=axes, keepdims=True)
    r = rsqrt(maximum(sq, op.attrs["epsilon"]))
    gx_sum = reduce_sum(multiply(g, x), axis=axes, keepdims=True)
    inner = multiply(multiply(x, multiply(square(r), r)), gx_sum)
    active = where(greater(sq, op.attrs["epsilon"]), ones_like(sq), zeros_like(sq))
    return [subtract(multiply(g, r), multiply(inner, active))]


register("L2Normalize", shape=float_same_shape, kernel=_l2_normalize_kernel, grad=_l2_normalize_grad)
