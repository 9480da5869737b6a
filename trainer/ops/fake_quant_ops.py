"""Fake quantization, TF1's ``tf.quantization.fake_quant_with_min_max_args``, ``_vars`` and
``_vars_per_channel`` (also top-level ``tf.fake_quant_with_min_max_*``): round a float tensor to the
``num_bits`` grid of a range and back to float, so that training sees the error an integer model will make
(quantization-aware training, :mod:`trainer.contrib.quantize`).

The range is **nudged** first, as TensorFlow does, so that zero is exactly on the grid::

    quant_min, quant_max = (1 if narrow_range else 0), 2**num_bits - 1
    scale = (max - min) / (quant_max - quant_min)
    zero_point = clamp(round(quant_min - min / scale), quant_min, quant_max)
    nudged_min, nudged_max = (quant_min - zero_point) * scale, (quant_max - zero_point) * scale
    out = floor((clamp(x, nudged_min, nudged_max) - nudged_min) / scale + 0.5) * scale + nudged_min

all in float32 like TensorFlow's kernel. The gradient is the straight-through estimator of TF's
``FakeQuantWithMinMax*Gradient`` ops: ``dx = g`` where ``nudged_min <= x <= nudged_max`` (else 0),
``dmin = sum(g where x < nudged_min)``, ``dmax = sum(g where x > nudged_max)`` (per channel: summed over
all axes but the last). The gradient ops are registered too (not differentiable, as in TensorFlow).

>>> import numpy as np
>>> import trainer as tf
>>> x = tf.constant(np.array([-0.3, 0.26, 0.8, 9.0], np.float32))
>>> y = tf.quantization.fake_quant_with_min_max_args(x, min=-1.0, max=2.5, num_bits=3)  # grid step 0.5
>>> tf.Session().run(y).tolist()
[-0.5, 0.5, 1.0, 2.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor
from trainer.registry import register
from trainer.tensor_shape import TensorShape


def _check_bits(num_bits: int, narrow_range: bool) -> dict[str, Any]:
    if not 2 <= int(num_bits) <= 16:
        raise InvalidArgumentError(f"fake quantization needs num_bits in [2, 16], got {num_bits}")
    return {"num_bits": int(num_bits), "narrow_range": bool(narrow_range)}


def nudge(xp: Any, lo: Any, hi: Any, num_bits: int, narrow_range: bool) -> tuple[Any, Any, Any, Any]:
    """TensorFlow's ``(nudged_min, nudged_max, scale, inv_scale)``, float32, elementwise over ``lo``/``hi``
    (``xp``: the kernel's array module)."""
    f32 = np.float32
    if isinstance(lo, float):  # the Args op's attributes: host scalars, nudged on the host
        xp, lo, hi = np, f32(lo), f32(hi)
    qmin, qmax = f32(1 if narrow_range else 0), f32((1 << num_bits) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ((hi - lo) / (qmax - qmin)).astype(f32)
        inv_scale = ((qmax - qmin) / (hi - lo)).astype(f32)  # as TensorFlow: not 1 / scale
        zp_from_min = (qmin - lo / scale).astype(f32)
    zero_point = xp.clip(xp.floor(zp_from_min + f32(0.5)), qmin, qmax).astype(f32)  # rounds half up: zp >= 0
    nudged_min = ((qmin - zero_point) * scale).astype(f32)
    return nudged_min, ((qmax - zero_point) * scale).astype(f32), scale, inv_scale


def _fake_quant(xp: Any, x: Any, lo: Any, hi: Any, num_bits: int, narrow_range: bool) -> Any:
    nmin, nmax, scale, inv_scale = nudge(xp, lo, hi, num_bits, narrow_range)
    f32 = np.float32
    shifted = (xp.clip(x.astype(f32), nmin, nmax) - nmin).astype(f32)
    return (xp.floor(shifted * inv_scale + f32(0.5)) * scale + nmin).astype(f32)


def _masks(xp: Any, x: Any, lo: Any, hi: Any, num_bits: int, narrow_range: bool) -> tuple[Any, Any]:
    nmin, nmax, _, _ = nudge(xp, lo, hi, num_bits, narrow_range)
    return x < nmin, x > nmax


def _check_float(x: Tensor, what: str) -> None:
    if x.dtype is not _dt.float32:
        raise InvalidArgumentError(f"{what} takes float32, got {x.dtype.name} {x.shape}")


# ---- FakeQuantWithMinMaxArgs: the range is an attribute ---------------------------------------------
def fake_quant_with_min_max_args(
    inputs: Any,
    min: float = -6.0,  # noqa: A002 - TensorFlow's argument names
    max: float = 6.0,  # noqa: A002
    num_bits: int = 8,
    narrow_range: bool = False,
    name: str | None = None,
) -> Tensor:
    """``inputs`` (float32) rounded to the ``num_bits`` grid of the nudged constant range [min, max]."""
    if not min < max:
        raise InvalidArgumentError(f"fake_quant_with_min_max_args needs min < max, got min {min}, max {max}")
    attrs = {"min": float(min), "max": float(max), **_check_bits(num_bits, narrow_range)}
    x = convert_to_tensor(inputs)
    return apply_op("FakeQuantWithMinMaxArgs", [x], attrs, name or "FakeQuantWithMinMaxArgs")


def _args_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    _check_float(inputs[-1], "fake quantization")
    return inputs[-1].shape, inputs[-1].dtype


def _args_kernel(ctx: Any, x: Any) -> Any:
    a = ctx.attrs
    return _fake_quant(ctx.xp, x, a["min"], a["max"], a["num_bits"], a["narrow_range"])


def _args_grad(op: Any, g: Tensor) -> list[Any]:
    """Straight through inside the nudged range: ``g`` where nudged_min <= x <= nudged_max, else 0."""
    return [apply_op("FakeQuantWithMinMaxArgsGradient", [g, op.inputs[0]], dict(op.attrs))]


def _args_grad_kernel(ctx: Any, g: Any, x: Any) -> Any:
    a = ctx.attrs
    below, above = _masks(ctx.xp, x, a["min"], a["max"], a["num_bits"], a["narrow_range"])
    return ctx.xp.where(below | above, np.float32(0), g).astype(np.float32)


register("FakeQuantWithMinMaxArgs", shape=_args_shape, kernel=_args_kernel, grad=_args_grad)
register(
    "FakeQuantWithMinMaxArgsGradient", shape=_args_shape, kernel=_args_grad_kernel, not_differentiable=True
)


# ---- FakeQuantWithMinMaxVars(_PerChannel): the range is two tensors ----------------------------------
def fake_quant_with_min_max_vars(
    inputs: Any,
    min: Any,  # noqa: A002 - TensorFlow's argument names
    max: Any,  # noqa: A002
    num_bits: int = 8,
    narrow_range: bool = False,
    name: str | None = None,
) -> Tensor:
    """``inputs`` (float32) rounded to the ``num_bits`` grid of the nudged range [min, max] given by two
    scalar tensors (variables in quantization-aware training); min and max get gradients too."""
    ins = [convert_to_tensor(v, dtype=_dt.float32) for v in (inputs, min, max)]
    attrs = _check_bits(num_bits, narrow_range)
    return apply_op("FakeQuantWithMinMaxVars", ins, attrs, name or "FakeQuantWithMinMaxVars")


def fake_quant_with_min_max_vars_per_channel(
    inputs: Any,
    min: Any,  # noqa: A002 - TensorFlow's argument names
    max: Any,  # noqa: A002
    num_bits: int = 8,
    narrow_range: bool = False,
    name: str | None = None,
) -> Tensor:
    """As :func:`fake_quant_with_min_max_vars` with one range per channel of the last axis (``min`` and
    ``max`` of shape ``[d]``), as for a convolution kernel's output channels."""
    ins = [convert_to_tensor(v, dtype=_dt.float32) for v in (inputs, min, max)]
    attrs = _check_bits(num_bits, narrow_range)
    name = name or "FakeQuantWithMinMaxVarsPerChannel"
    return apply_op("FakeQuantWithMinMaxVarsPerChannel", ins, attrs, name)


def _vars_shape(inputs: list[Tensor], attrs: dict, per_channel: bool) -> TensorShape:
    x, lo, hi = inputs[-3:]
    _check_float(x, "fake quantization")
    want = [x.shape.as_list()[-1]] if per_channel and x.shape.ndims else []
    for t in (lo, hi):
        if t.shape.ndims is not None and not t.shape.is_compatible_with(TensorShape(want)):
            kind = f"shape [d] = {want} (the last axis of {x.shape})" if per_channel else "scalars"
            raise InvalidArgumentError(f"min and max must be {kind}, got {lo.shape} and {hi.shape}")
    return x.shape


def _scalar_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    return _vars_shape(inputs, attrs, False), _dt.float32


def _channel_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    return _vars_shape(inputs, attrs, True), _dt.float32


def _vars_kernel(ctx: Any, x: Any, lo: Any, hi: Any) -> Any:
    return _fake_quant(ctx.xp, x, lo, hi, ctx.attrs["num_bits"], ctx.attrs["narrow_range"])


def _vars_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g inside the nudged range; dmin = sum(g where x < nudged_min); dmax = sum(g where x > nudged_max)
    (per channel: sums over all axes but the last)."""
    grad_type = f"{op.type}Gradient"
    return list(apply_op(grad_type, [g, *op.inputs], dict(op.attrs)))


def _vars_grad_kernel(ctx: Any, g: Any, x: Any, lo: Any, hi: Any) -> Any:
    xp, zero = ctx.xp, np.float32(0)
    below, above = _masks(xp, x, lo, hi, ctx.attrs["num_bits"], ctx.attrs["narrow_range"])
    axes = tuple(range(x.ndim - lo.ndim))  # all axes (scalar range) or all but the last (per channel)
    dmin = xp.where(below, g, zero).sum(axes, dtype=np.float32)
    dmax = xp.where(above, g, zero).sum(axes, dtype=np.float32)
    return xp.where(below | above, zero, g).astype(np.float32), dmin, dmax


def _grad_shapes(shape_fn: Any) -> Any:
    def shapes(inputs: list[Tensor], attrs: dict) -> list[tuple[TensorShape, _dt.DType]]:
        xs, dtype = shape_fn(inputs, attrs)
        return [(xs, dtype), (inputs[2].shape, dtype), (inputs[3].shape, dtype)]

    return shapes


register("FakeQuantWithMinMaxVars", shape=_scalar_shape, kernel=_vars_kernel, grad=_vars_grad)
register("FakeQuantWithMinMaxVarsPerChannel", shape=_channel_shape, kernel=_vars_kernel, grad=_vars_grad)
register(
    "FakeQuantWithMinMaxVarsGradient",
    shape=_grad_shapes(_scalar_shape),
    kernel=_vars_grad_kernel,
    not_differentiable=True,
)
register(
    "FakeQuantWithMinMaxVarsPerChannelGradient",
    shape=_grad_shapes(_channel_shape),
    kernel=_vars_grad_kernel,
    not_differentiable=True,
)
