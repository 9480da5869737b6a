"""Ops that move values: Reshape (from trainer Reshape, Squeeze, ExpandDims), Concatenation, Pad (zeros),
Transpose. Except Concatenation, whose inputs are requantized to the output, their int8 outputs keep the
input's parameters."""

from __future__ import annotations

import numpy as np

from trainer.quant.fixed_point import activation_range_int8
from trainer.quant.kernels_int8 import concat_int8, prepare_requantize
from trainer.runtime_ops._common import activate, activation_code, f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_CONCAT_INPUTS = 16

# ---- Reshape ----


@lowers("Reshape", "Squeeze", "ExpandDims")
def _lower_reshape(ctx, op) -> None:
    out = op.outputs[0]
    if not out.shape.is_fully_defined():
        raise unsupported(op, f"output shape {out.shape} is not static")
    ctx.emit("Reshape", op, [ctx.input(op, op.inputs[0])], new_shape=out.shape.as_list())


def reshape(x, shape) -> np.ndarray:
    return f64(x).reshape(shape)


def _reshape(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return reshape(ins[0], shape)  # the output tensor's shape is authoritative


def _reshape_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return ins[0].reshape(m.tensors[op.outputs[0]].shape)


register(RuntimeOp("Reshape", _reshape, _reshape_int8, keeps_input_quant=True))

# ---- Concatenation ----


@lowers("Concatenation")
def _lower_concat(ctx, op) -> None:
    if len(op.inputs) > MAX_CONCAT_INPUTS:
        raise unsupported(op, f"{len(op.inputs)} inputs (at most {MAX_CONCAT_INPUTS})")
    ctx.emit("Concatenation", op, [ctx.input(op, t) for t in op.inputs], axis=int(op.attrs["axis"]))


def concatenation(xs, axis: int = 0, activation: str = "NONE") -> np.ndarray:
    return activate(np.concatenate([f64(x) for x in xs], axis=axis), activation)


def _concat(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return concatenation(ins, op.options["axis"], op.options["activation"])


def _concat_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    so, zo = qparams(m, op.outputs[0])
    lo, hi = activation_range_int8(activation_code(op), so, zo)
    params = [prepare_requantize(*qparams(m, i), so, zo, lo, hi) for i in op.inputs]
    return concat_int8(ins, op.options["axis"], params)


register(RuntimeOp("Concatenation", _concat, _concat_int8))

# ---- Pad ----


@lowers("Pad")
def _lower_pad(ctx, op) -> None:
    if float(op.attrs["constant_values"]) != 0.0:
        raise unsupported(op, f"constant_values={op.attrs['constant_values']} (only zero padding)")
    paddings = [int(v) for pair in op.attrs["paddings"] for v in pair]
    ctx.emit("Pad", op, [ctx.input(op, op.inputs[0])], paddings=paddings)


def _pad_widths(paddings, rank: int) -> list[tuple[int, int]]:
    """[before_0, after_0, before_1, after_1, ...] as numpy's pad widths."""
    return [(paddings[2 * k], paddings[2 * k + 1]) for k in range(rank)]


def pad(x, paddings) -> np.ndarray:
    """Zero padding: ``paddings`` = [before_0, after_0, before_1, after_1, ...]."""
    x = f64(x)
    return np.pad(x, _pad_widths(paddings, x.ndim))


def _pad(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return pad(ins[0], op.options["paddings"])


def _pad_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    zero = qparams(m, op.outputs[0])[1]  # real 0.0
    return np.pad(ins[0], _pad_widths(op.options["paddings"], ins[0].ndim), constant_values=zero)


register(RuntimeOp("Pad", _pad, _pad_int8, keeps_input_quant=True))

# ---- Transpose ----


@lowers("Transpose")
def _lower_transpose(ctx, op) -> None:
    ctx.emit("Transpose", op, [ctx.input(op, op.inputs[0])], perm=[int(p) for p in op.attrs["perm"]])


def transpose(x, perm) -> np.ndarray:
    return np.transpose(f64(x), perm)


def _transpose(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return transpose(ins[0], op.options["perm"])


def _transpose_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    return np.transpose(ins[0], op.options["perm"])


register(RuntimeOp("Transpose", _transpose, _transpose_int8, keeps_input_quant=True))
