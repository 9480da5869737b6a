"""Sum (``tf.reduce_sum``) and ReduceMax (``tf.reduce_max``) over any set of axes, with or without the reduced
axes kept: Mean's options and axis rules. int8 Sum is TFLite's rescaled SUM (float32 arithmetic, below);
ReduceMax moves values, so its output keeps the input's parameters (TFLite's REDUCE_MAX requires it)."""

from __future__ import annotations

import numpy as np

from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


def _lower(kind: str):
    def lower(ctx, op) -> None:
        axes = op.attrs["axis"]
        if axes is None:
            raise unsupported(op, "an input of unknown rank (the axes are not known)")
        if not axes:
            raise unsupported(op, "an empty axis list")
        ctx.emit(kind, op, [ctx.input(op, op.inputs[0])], axes=[int(a) for a in axes],
                 keep_dims=bool(op.attrs["keepdims"]))  # fmt: skip

    return lower


lowers("Sum")(_lower("Sum"))
lowers("Max")(_lower("ReduceMax"))


def _axes(x: np.ndarray, axes) -> tuple[int, ...]:
    return tuple(sorted({int(a) % x.ndim for a in axes}))


def reduce_sum(x, axes, keep_dims: bool = False) -> np.ndarray:
    """The float reference: the sum over ``axes`` (negative axes count from the end; repeats count once)."""
    x = f64(x)
    return x.sum(axis=_axes(x, axes), keepdims=bool(keep_dims))


def reduce_max(x, axes, keep_dims: bool = False) -> np.ndarray:
    """The float reference: the maximum over ``axes`` (a NaN term gives NaN, as numpy's)."""
    x = np.asarray(x)
    return x.max(axis=_axes(x, axes), keepdims=bool(keep_dims))


def prepare_sum(input_scale: float, input_zp: int, output_scale: float, count: int) -> tuple[float, float]:
    """(scale, bias) of int8 Sum in float32, as TFLite computes them: s_in / s_out, (-zp * scale) * count."""
    scale = np.float32(input_scale) / np.float32(output_scale)
    bias = np.float32(-int(input_zp)) * scale * np.float32(count)
    return np.float32(scale), np.float32(bias)


def sum_int8(x: np.ndarray, axes, keep_dims: bool, scale, bias, output_zp: int) -> np.ndarray:
    """TFLite's rescaled int8 SUM: clamp(int(roundf(float32(sum of raw x) * scale + bias)) + output_zp), each
    step a float32 operation, rounding half away from zero."""
    raw = np.asarray(x, np.int64).sum(axis=_axes(np.asarray(x), axes), keepdims=bool(keep_dims))
    t = raw.astype(np.float32) * np.float32(scale)
    t = (t + np.float32(bias)).astype(np.float64)  # exact: the rounding below in double
    r = np.copysign(np.floor(np.abs(t) + 0.5), t)
    r = np.clip(r, -1024, 1024).astype(np.int64) + int(output_zp)
    return np.clip(r, -128, 127).astype(np.int8)


def _sum(op: OpInfo, ins: list[np.ndarray], shape) -> np.ndarray:
    return reduce_sum(ins[0], op.options["axes"], op.options["keep_dims"]).reshape(shape)


def _sum_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    (si, zi), (so, zo) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
    x = ins[0]
    count = int(np.prod([x.shape[a] for a in _axes(x, op.options["axes"])]))
    scale, bias = prepare_sum(si, zi, so, count)
    return sum_int8(x, op.options["axes"], op.options["keep_dims"], scale, bias, zo)


def _max(op: OpInfo, ins: list[np.ndarray], shape) -> np.ndarray:
    return reduce_max(f64(ins[0]), op.options["axes"], op.options["keep_dims"]).reshape(shape)


def _max_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return reduce_max(ins[0], op.options["axes"], op.options["keep_dims"])


register(RuntimeOp("Sum", _sum, _sum_int8))
register(RuntimeOp("ReduceMax", _max, _max_int8, keeps_input_quant=True))
