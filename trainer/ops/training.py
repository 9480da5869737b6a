"""Fused optimizer update ops: one op updates one variable (and its slots) in place, TF1 kernel formulas.

Each op names its variable and slot variables in attrs (``var``, ``m``, ...: variable op names) and takes
the gradient and the (possibly tensor-valued) hyper-parameters as inputs. The kernel updates the session's
arrays in place with a few fused numpy calls into a scratch buffer, instead of a dozen graph ops per
variable: per-op overhead decides a training step's time.

All are stateful and not differentiable (nobody differentiates through an update). Formulas, with ``g`` the
gradient (TF1's ``training_ops.cc``):

* ``ApplyGradientDescent``: ``var -= lr * g``
* ``ApplyMomentum``: ``accum = momentum * accum + g``; ``var -= lr * accum``, or with Nesterov
  ``var -= lr * g + lr * momentum * accum``
* ``ApplyAdam``: ``lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)``; ``m += (g - m) * (1 - beta1)``;
  ``v += (g^2 - v) * (1 - beta2)``; ``var -= lr_t * m / (sqrt(v) + epsilon)`` (epsilon-hat form: epsilon is
  added after the bias correction folded into ``lr_t``)
* ``ApplyRMSProp``: ``ms += (g^2 - ms) * (1 - rho)``; ``mom = momentum * mom + lr * g / sqrt(ms + epsilon)``;
  ``var -= mom``. ``ApplyCenteredRMSProp`` also keeps ``mg += (g - mg) * (1 - rho)`` and divides by
  ``sqrt(ms - mg^2 + epsilon)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.registry import apply_op, register


def _shape(inputs: list[Any], attrs: dict[str, Any]) -> Any:
    grad = inputs[-1]
    for t in inputs[:-1]:
        if t.shape.ndims not in (None, 0):
            raise InvalidArgumentError(f"hyper-parameter inputs must be scalars, got shape {t.shape}")
    return grad.shape, grad.dtype


def _own(ctx: Any, name: str) -> np.ndarray:
    """The variable's array, made private to the session's variable store before the first in-place write.

    An initial value may alias another array (a cached constant, a fed array): copy it once, then keep
    updating our own copy (re-checked by identity, so re-running the initializer is seen).
    """
    arr = ctx.read_variable(name)
    owned = ctx.cache.get(("owned", name))
    if arr is not owned:
        arr = ctx.xp.array(arr, copy=True)
        ctx.write_variable(name, arr)
        ctx.cache[("owned", name)] = arr
    return arr


def _scratch(ctx: Any, like: np.ndarray, slot: int = 0) -> np.ndarray:
    key = ("scratch", slot)
    buf = ctx.cache.get(key)
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = ctx.xp.empty_like(like)
        ctx.cache[key] = buf
    return buf


def _check(ctx: Any, var: np.ndarray, g: np.ndarray) -> None:
    if var.shape != g.shape:
        raise InvalidArgumentError(
            f"{ctx.op.type} {ctx.op.name!r}: variable {ctx.attrs['var']!r} has shape {var.shape} but the "
            f"gradient has shape {g.shape}"
        )


# ------------------------------------------------------------------------------ ApplyGradientDescent
def apply_gradient_descent(var: Any, lr: Any, grad: Any, name: str | None = None) -> Any:
    """``var -= lr * grad`` in place; returns the updated value."""
    return apply_op("ApplyGradientDescent", [lr, grad], {"var": var.op.name}, name or "ApplyGradientDescent")


def _gd_kernel(ctx: Any, lr: Any, g: np.ndarray) -> np.ndarray:
    xp = ctx.xp
    var = _own(ctx, ctx.attrs["var"])
    _check(ctx, var, g)
    tmp = _scratch(ctx, var)
    xp.multiply(g, float(lr), out=tmp, casting="same_kind")
    var -= tmp
    return var


register("ApplyGradientDescent", shape=_shape, kernel=_gd_kernel, not_differentiable=True, stateful=True)


# ------------------------------------------------------------------------------ ApplyMomentum
def apply_momentum(
    var: Any,
    accum: Any,
    lr: Any,
    grad: Any,
    momentum: Any,
    use_nesterov: bool = False,
    name: str | None = None,
) -> Any:
    """``accum = momentum * accum + grad``; ``var -= lr * accum`` (Nesterov: see the module docstring)."""
    attrs = {"var": var.op.name, "accum": accum.op.name, "use_nesterov": bool(use_nesterov)}
    return apply_op("ApplyMomentum", [lr, momentum, grad], attrs, name or "ApplyMomentum")


def _momentum_kernel(ctx: Any, lr: Any, momentum: Any, g: np.ndarray) -> np.ndarray:
    xp = ctx.xp
    var = _own(ctx, ctx.attrs["var"])
    accum = _own(ctx, ctx.attrs["accum"])
    _check(ctx, var, g)
    lr, mu = float(lr), float(momentum)
    tmp = _scratch(ctx, var)
    accum *= mu
    accum += g
    if ctx.attrs["use_nesterov"]:
        xp.multiply(accum, mu, out=tmp)
        tmp += g
        tmp *= lr
    else:
        xp.multiply(accum, lr, out=tmp)
    var -= tmp
    return var


register("ApplyMomentum", shape=_shape, kernel=_momentum_kernel, not_differentiable=True, stateful=True)


# ------------------------------------------------------------------------------ ApplyAdam
def apply_adam(
    var: Any,
    m: Any,
    v: Any,
    beta1_power: Any,
    beta2_power: Any,
    lr: Any,
    beta1: float,
    beta2: float,
    epsilon: float,
    grad: Any,
    name: str | None = None,
) -> Any:
    """One Adam step on ``var`` with slots ``m``, ``v``; ``beta*_power`` are ``beta**t`` (scalar tensors)."""
    attrs = {
        "var": var.op.name,
        "m": m.op.name,
        "v": v.op.name,
        "beta1": float(beta1),
        "beta2": float(beta2),
        "epsilon": float(epsilon),
    }
    return apply_op("ApplyAdam", [beta1_power, beta2_power, lr, grad], attrs, name or "ApplyAdam")


def _adam_kernel(ctx: Any, beta1_power: Any, beta2_power: Any, lr: Any, g: np.ndarray) -> np.ndarray:
    xp = ctx.xp
    a = ctx.attrs
    var, m, v = _own(ctx, a["var"]), _own(ctx, a["m"]), _own(ctx, a["v"])
    _check(ctx, var, g)
    lr_t = float(lr) * math.sqrt(1.0 - float(beta2_power)) / (1.0 - float(beta1_power))
    tmp = _scratch(ctx, var)
    xp.subtract(g, m, out=tmp, casting="same_kind")  # m += (g - m) * (1 - beta1)
    tmp *= 1.0 - a["beta1"]
    m += tmp
    xp.multiply(g, g, out=tmp, casting="same_kind")  # v += (g^2 - v) * (1 - beta2)
    tmp -= v
    tmp *= 1.0 - a["beta2"]
    v += tmp
    xp.sqrt(v, out=tmp)  # var -= lr_t * m / (sqrt(v) + epsilon)
    tmp += a["epsilon"]
    xp.divide(m, tmp, out=tmp)
    tmp *= lr_t
    var -= tmp
    return var


register("ApplyAdam", shape=_shape, kernel=_adam_kernel, not_differentiable=True, stateful=True)


# ------------------------------------------------------------------------------ ApplyRMSProp
def apply_rms_prop(
    var: Any,
    ms: Any,
    mom: Any,
    lr: Any,
    rho: float,
    momentum: float,
    epsilon: float,
    grad: Any,
    mg: Any = None,
    name: str | None = None,
) -> Any:
    """One RMSProp step; centered (``ApplyCenteredRMSProp``) when the ``mg`` slot is given."""
    attrs = {
        "var": var.op.name,
        "ms": ms.op.name,
        "mom": mom.op.name,
        "rho": float(rho),
        "momentum": float(momentum),
        "epsilon": float(epsilon),
    }
    if mg is None:
        return apply_op("ApplyRMSProp", [lr, grad], attrs, name or "ApplyRMSProp")
    attrs["mg"] = mg.op.name
    return apply_op("ApplyCenteredRMSProp", [lr, grad], attrs, name or "ApplyCenteredRMSProp")


def _rms_kernel(ctx: Any, lr: Any, g: np.ndarray) -> np.ndarray:
    xp = ctx.xp
    a = ctx.attrs
    var, ms, mom = _own(ctx, a["var"]), _own(ctx, a["ms"]), _own(ctx, a["mom"])
    _check(ctx, var, g)
    tmp = _scratch(ctx, var)
    xp.multiply(g, g, out=tmp, casting="same_kind")  # ms += (g^2 - ms) * (1 - rho)
    tmp -= ms
    tmp *= 1.0 - a["rho"]
    ms += tmp
    if "mg" in a:  # centered: mg += (g - mg) * (1 - rho); denominator ms - mg^2 + eps
        mg = _own(ctx, a["mg"])
        xp.subtract(g, mg, out=tmp, casting="same_kind")
        tmp *= 1.0 - a["rho"]
        mg += tmp
        xp.multiply(mg, mg, out=tmp)
        xp.subtract(ms, tmp, out=tmp)
        tmp += a["epsilon"]
    else:
        xp.add(ms, a["epsilon"], out=tmp)
    xp.sqrt(tmp, out=tmp)  # mom = momentum * mom + lr * g / sqrt(denominator)
    xp.divide(g, tmp, out=tmp, casting="same_kind")
    tmp *= float(lr)
    mom *= a["momentum"]
    mom += tmp
    var -= mom
    return var


register("ApplyRMSProp", shape=_shape, kernel=_rms_kernel, not_differentiable=True, stateful=True)
register("ApplyCenteredRMSProp", shape=_shape, kernel=_rms_kernel, not_differentiable=True, stateful=True)
