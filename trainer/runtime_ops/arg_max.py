"""ArgMax (``tf.argmax``, ``tf.math.argmax``) and ArgMin (``tf.argmin``): the index of the largest / smallest
value along one axis, the first on ties, as int32 or int64 (the trainer op's ``output_type``). The input is
float32 or int8 (raw int8 values order as the reals); the output holds indices, so post-training
quantization leaves it int32 / int64 without parameters."""

from __future__ import annotations

import numpy as np

from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


def _lower(kind: str):
    def lower(ctx, op) -> None:
        ctx.emit_indices(kind, op, [ctx.input(op, op.inputs[0])], axis=int(op.attrs["axis"]))

    return lower


lowers("ArgMax")(_lower("ArgMax"))
lowers("ArgMin")(_lower("ArgMin"))


def arg_max(x, axis: int) -> np.ndarray:
    """The float and int8 reference: numpy's argmax (the first index of the maximum; of a NaN, if any)."""
    return np.argmax(np.asarray(x), axis=int(axis))


def arg_min(x, axis: int) -> np.ndarray:
    """The float and int8 reference: numpy's argmin (the first index of the minimum; of a NaN, if any)."""
    return np.argmin(np.asarray(x), axis=int(axis))


def _reference(fn):
    def run(op: OpInfo, ins: list[np.ndarray], shape) -> np.ndarray:
        return fn(ins[0], op.options["axis"]).reshape(shape)

    return run


def _int8(fn):
    def run(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
        return fn(ins[0], op.options["axis"]).astype(m.tensors[op.outputs[0]].dtype)

    return run


register(RuntimeOp("ArgMax", _reference(arg_max), _int8(arg_max)))
register(RuntimeOp("ArgMin", _reference(arg_min), _int8(arg_min)))
