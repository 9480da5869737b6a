"""Activations of the small-model zoo that the runtime runs as one op each: ``HardSwish``
(``tf.nn.hard_swish``, MobileNetV3's ``x * relu6(x + 3) / 6``) and ``Gelu`` (``tf.nn.gelu``, exact or
with the tanh approximation). Each stanza: the public function, the kernel, the gradient, ``register``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.ops._common import float_same_shape
from trainer.ops.array_ops import ones_like, zeros_like
from trainer.ops.math_ops import add, exp, greater, less, logical_and, multiply, square, where
from trainer.ops.nn_ops import tanh
from trainer.registry import register
from trainer.xp_compat import to_host, upload


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


_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _erf(ctx: Any, x: Any) -> Any:
    """erf elementwise through math.erf on the host (numpy has no erf), in the input's dtype."""
    return upload(ctx, _ERF(to_host(x)).astype(x.dtype))


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
