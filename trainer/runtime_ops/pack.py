"""Pack (``tf.stack``) and Unpack (``tf.unstack``): 1 to 16 tensors of one shape stacked along a new axis, and
a tensor cut into the slices of one axis (1 to 16). Pack's int8 rule is Concatenation's (each input
requantized to the output's parameters; a copy when they are equal, which TFLite's PACK requires), so its
output is quantized from its calibrated range; Unpack moves values: its outputs keep the input's
parameters."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import concat_int8, prepare_requantize
from trainer.runtime_ops._common import f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo

MAX_TENSORS = 16


def _static(op) -> None:
    for t in [*op.inputs, *op.outputs]:
        if not t.shape.is_fully_defined():
            raise unsupported(op, f"{t.name} has no static shape ({t.shape})")


@lowers("Pack")
def _lower_pack(ctx, op) -> None:
    _static(op)
    if not 1 <= len(op.inputs) <= MAX_TENSORS:
        raise unsupported(op, f"{len(op.inputs)} inputs (the runtime's Pack takes 1 to {MAX_TENSORS})")
    ctx.emit("Pack", op, [ctx.input(op, t) for t in op.inputs], axis=int(op.attrs["axis"]))


@lowers("Unpack")
def _lower_unpack(ctx, op) -> None:
    _static(op)
    if not 1 <= len(op.outputs) <= MAX_TENSORS:
        raise unsupported(op, f"{len(op.outputs)} outputs (the runtime's Unpack gives 1 to {MAX_TENSORS})")
    ctx.emit_all("Unpack", op, [ctx.input(op, op.inputs[0])], axis=int(op.attrs["axis"]))


def pack(xs, axis: int = 0) -> np.ndarray:
    """The float reference: ``np.stack`` (the axis counts in the output's rank)."""
    return np.stack([np.asarray(x) for x in xs], axis=axis)


def unpack(x, axis: int = 0) -> list[np.ndarray]:
    """The float reference: the slices of ``x`` along ``axis``, each without it."""
    x = np.asarray(x)
    return [np.take(x, k, axis=axis) for k in range(x.shape[axis])]


def _pack(op: OpInfo, ins: list[np.ndarray], shape) -> np.ndarray:
    return pack([f64(x) for x in ins], op.options["axis"])


def _pack_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    so, zo = qparams(m, op.outputs[0])
    params = [prepare_requantize(*qparams(m, i), so, zo, -128, 127) for i in op.inputs]
    axis = op.options["axis"] % len(m.tensors[op.outputs[0]].shape)
    return concat_int8([np.expand_dims(x, axis) for x in ins], axis, params)


def _one_or_all(pieces: list[np.ndarray]) -> list[np.ndarray] | np.ndarray:
    return pieces if len(pieces) > 1 else pieces[0]


def _unpack(op: OpInfo, ins: list[np.ndarray], shapes) -> list[np.ndarray] | np.ndarray:
    return _one_or_all(unpack(f64(ins[0]), op.options["axis"]))


def _unpack_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> list[np.ndarray] | np.ndarray:
    return _one_or_all(unpack(ins[0], op.options["axis"]))


register(RuntimeOp("Pack", _pack, _pack_int8))
register(RuntimeOp("Unpack", _unpack, _unpack_int8, keeps_input_quant=True))
