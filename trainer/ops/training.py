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

On a GPU each update is one fused CUDA elementwise kernel (:class:`FusedUpdate`, built once per array
module and cached): a dozen small CuPy calls would cost a dozen kernel launches (~12 us each) per variable.
The kernels compute in double and round once into the variable's dtype; the hyper-parameter tensors go in as
0-d device arrays, so an update never reads anything back to the host. The xp-generic code below (numpy on
the CPU, and the GPU's fallback with ``USE_FUSED_GPU_KERNELS = False``) is the reference the fused kernels
are tested against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.graph import apply_op
from trainer.ops import conv_runtime
from trainer.registry import register
from trainer.xp_compat import read_variable


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
    arr = read_variable(ctx, name)
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


# ------------------------------------------------------------------------------ fused GPU kernels
USE_FUSED_GPU_KERNELS = True


@dataclass(frozen=True)
class FusedUpdate:
    """One optimizer update as one ``cupy.ElementwiseKernel``, with its numpy twin.

    ``operation`` is the CUDA C run per element: inputs are values, outputs are references to the elements
    of the variable and its slots (updated in place). ``twin(*inputs, *outputs)`` does the same in numpy
    with float64 intermediates, writing the outputs in place; the CuPy test double runs it instead of CUDA.
    """

    name: str
    in_params: str
    out_params: str
    operation: str
    twin: Callable[..., None]


def _f64(x: Any) -> Any:
    return np.asarray(x, np.float64)


def _gd_twin(g: Any, lr: Any, var: Any) -> None:
    var[...] = _f64(var) - _f64(lr) * g


def _momentum_twin(g: Any, lr: Any, mu: Any, var: Any, accum: Any) -> None:
    accum[...] = _f64(mu) * accum + g
    var[...] = _f64(var) - _f64(lr) * accum


def _nesterov_twin(g: Any, lr: Any, mu: Any, var: Any, accum: Any) -> None:
    accum[...] = _f64(mu) * accum + g
    var[...] = _f64(var) - (_f64(lr) * g + _f64(lr) * _f64(mu) * accum)


def _adam_twin(
    g: Any, lr: Any, b1p: Any, b2p: Any, beta1: float, beta2: float, epsilon: float, var: Any, m: Any, v: Any
) -> None:
    lr_t = _f64(lr) * np.sqrt(1.0 - _f64(b2p)) / (1.0 - _f64(b1p))
    m[...] = _f64(m) + (_f64(g) - m) * (1.0 - beta1)
    v[...] = _f64(v) + (_f64(g) * g - v) * (1.0 - beta2)
    var[...] = _f64(var) - lr_t * m / (np.sqrt(_f64(v)) + epsilon)


def _rms_twin(
    g: Any, lr: Any, rho: float, momentum: float, epsilon: float, var: Any, ms: Any, mom: Any
) -> None:
    ms[...] = _f64(ms) + (_f64(g) * g - ms) * (1.0 - rho)
    mom[...] = momentum * _f64(mom) + _f64(lr) * g / np.sqrt(_f64(ms) + epsilon)
    var[...] = _f64(var) - mom


def _centered_rms_twin(
    g: Any, lr: Any, rho: float, momentum: float, epsilon: float, var: Any, ms: Any, mom: Any, mg: Any
) -> None:
    ms[...] = _f64(ms) + (_f64(g) * g - ms) * (1.0 - rho)
    mg[...] = _f64(mg) + (_f64(g) - mg) * (1.0 - rho)
    mom[...] = momentum * _f64(mom) + _f64(lr) * g / np.sqrt(_f64(ms) - _f64(mg) * mg + epsilon)
    var[...] = _f64(var) - mom


_RMS_IN = "T g, L lr, float64 rho, float64 momentum, float64 epsilon"
FUSED_UPDATES = {
    f.name: f
    for f in (
        FusedUpdate("tensorlet_gd", "T g, L lr", "T var", "var -= (double)lr * g;", _gd_twin),
        FusedUpdate(
            "tensorlet_momentum",
            "T g, L lr, M mu",
            "T var, T accum",
            "accum = (double)mu * accum + g; var -= (double)lr * accum;",
            _momentum_twin,
        ),
        FusedUpdate(
            "tensorlet_nesterov",
            "T g, L lr, M mu",
            "T var, T accum",
            "accum = (double)mu * accum + g; var -= (double)lr * g + (double)lr * (double)mu * accum;",
            _nesterov_twin,
        ),
        FusedUpdate(
            "tensorlet_adam",
            "T g, L lr, P b1p, P b2p, float64 beta1, float64 beta2, float64 epsilon",
            "T var, T m, T v",
            "const double lr_t = (double)lr * sqrt(1.0 - (double)b2p) / (1.0 - (double)b1p);"
            " m += ((double)g - m) * (1.0 - beta1);"
            " v += ((double)g * g - v) * (1.0 - beta2);"
            " var -= lr_t * m / (sqrt((double)v) + epsilon);",
            _adam_twin,
        ),
        FusedUpdate(
            "tensorlet_rmsprop",
            _RMS_IN,
            "T var, T ms, T mom",
            "ms += ((double)g * g - ms) * (1.0 - rho);"
            " mom = momentum * mom + (double)lr * g / sqrt((double)ms + epsilon);"
            " var -= mom;",
            _rms_twin,
        ),
        FusedUpdate(
            "tensorlet_centered_rmsprop",
            _RMS_IN,
            "T var, T ms, T mom, T mg",
            "ms += ((double)g * g - ms) * (1.0 - rho);"
            " mg += ((double)g - mg) * (1.0 - rho);"
            " mom = momentum * mom + (double)lr * g / sqrt((double)ms - (double)mg * mg + epsilon);"
            " var -= mom;",
            _centered_rms_twin,
        ),
    )
}
_BUILT: dict[tuple[Any, str], Any] = {}


def _fused(ctx: Any, name: str) -> Any:
    """The ``ElementwiseKernel`` for ``name`` on ctx's array module, or None on the CPU (or when off)."""
    if ctx.backend.is_host or not USE_FUSED_GPU_KERNELS:
        return None
    xp = ctx.xp
    k = _BUILT.get((xp, name))
    if k is None:
        f = FUSED_UPDATES[name]
        k = _BUILT[(xp, name)] = xp.ElementwiseKernel(f.in_params, f.out_params, f.operation, f.name)
    return k


# ------------------------------------------------------------------------------ ApplyGradientDescent
def apply_gradient_descent(var: Any, lr: Any, grad: Any, name: str | None = None) -> Any:
    """``var -= lr * grad`` in place; returns the updated value."""
    return apply_op("ApplyGradientDescent", [lr, grad], {"var": var.op.name}, name or "ApplyGradientDescent")


def _gd_kernel(ctx: Any, lr: Any, g: np.ndarray) -> np.ndarray:
    xp = ctx.xp
    var = _own(ctx, ctx.attrs["var"])
    _check(ctx, var, g)
    k = _fused(ctx, "tensorlet_gd")
    if k is not None:
        k(g, lr, var)
        return var
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
    k = _fused(ctx, "tensorlet_nesterov" if ctx.attrs["use_nesterov"] else "tensorlet_momentum")
    if k is not None:
        k(g, lr, momentum, var, accum)
        return var
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
    k = _fused(ctx, "tensorlet_adam")
    if k is not None:
        k(g, lr, beta1_power, beta2_power, a["beta1"], a["beta2"], a["epsilon"], var, m, v)
        return var
    lr_t = float(lr) * math.sqrt(1.0 - float(beta2_power)) / (1.0 - float(beta1_power))
    if xp is np and conv_runtime.adam(var, m, v, g, 1.0 - a["beta1"], 1.0 - a["beta2"], a["epsilon"], lr_t):
        return var  # the passes below in one C loop (same bits; TENSORLET_TRAINER_KERNELS=numpy skips it)
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
    k = _fused(ctx, "tensorlet_centered_rmsprop" if "mg" in a else "tensorlet_rmsprop")
    if k is not None:
        hyper = (g, lr, a["rho"], a["momentum"], a["epsilon"], var, ms, mom)
        k(*hyper, _own(ctx, a["mg"])) if "mg" in a else k(*hyper)
        return var
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
