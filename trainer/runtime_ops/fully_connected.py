"""FullyConnected: ``y[..., o] = act(sum_i x[..., i] w[o, i] + bias[o])``, weights ``[out, in]``."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import fc_int8
from trainer.runtime_ops._common import activate, bias, channel_requant, const, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("_FusedMatMul")
def _lower(ctx, op) -> None:
    if op.attrs["transpose_a"]:
        raise unsupported(op, "transpose_a=True")
    w = const(op, 1, "weight matrix")
    w = w if op.attrs["transpose_b"] else w.T  # the runtime wants [out, in]
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/weights", w), *bias(ctx, op)]
    ctx.emit("FullyConnected", op, ins, activation=op.attrs["activation"])


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    x, w = ins[0], ins[1]
    y = x.reshape(-1, w.shape[1]) @ w.T
    if len(ins) > 2:
        y = y + ins[2]
    return activate(y.reshape(shape), op.options["activation"])


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    rq = channel_requant(m, op)
    x = ins[0].reshape(-1, ins[0].shape[-1])
    b = ins[2] if len(ins) == 3 else None
    return fc_int8(x, ins[1], b, qparams(m, op.inputs[0])[1], rq).reshape(m.tensors[op.outputs[0]].shape)


register(RuntimeOp("FullyConnected", _reference, _int8, weight_axis=0))
