"""FullyConnected: ``y[..., o] = act(sum_i x[..., i] w[o, i] + bias[o])``, weights ``[out, in]``."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import fc_int8
from trainer.runtime_ops._common import (
    activate,
    bias_input,
    channel_requant,
    const,
    f64,
    qparams,
    unsupported,
)
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo


@lowers("_FusedMatMul")
def _lower(ctx, op) -> None:
    if op.attrs["transpose_a"]:
        raise unsupported(op, "transpose_a=True")
    w = const(op, 1, "weight matrix")
    w = w if op.attrs["transpose_b"] else w.T  # the runtime wants [out, in]
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/weights", w), *bias_input(ctx, op)]
    ctx.emit("FullyConnected", op, ins, activation=op.attrs["activation"])


def fully_connected(x, w, bias=None, activation: str = "NONE") -> np.ndarray:
    """x[..., i], w[o, i] -> y[..., o] = act(sum_i x[..., i] w[o, i] + bias[o])."""
    x, w = f64(x), f64(w)
    y = x.reshape(-1, w.shape[1]) @ w.T
    if bias is not None:
        y = y + f64(bias)
    return activate(y.reshape(*x.shape[:-1], w.shape[0]), activation)


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    return fully_connected(ins[0], ins[1], ins[2] if len(ins) > 2 else None, op.options["activation"])


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    rq = channel_requant(m, op)
    x = ins[0].reshape(-1, ins[0].shape[-1])
    b = ins[2] if len(ins) == 3 else None
    return fc_int8(x, ins[1], b, qparams(m, op.inputs[0])[1], rq).reshape(m.tensors[op.outputs[0]].shape)


register(RuntimeOp("FullyConnected", _reference, _int8, weight_axis=0, bias_correctable=True))
