"""Conv2D (filter OHWI) and DepthwiseConv2D (filter ``[1, kh, kw, c * m]``): NHWC, strides, dilations, SAME or
VALID padding (:mod:`trainer.window`), bias and fused activation."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import conv2d_int8, depthwise_conv2d_int8
from trainer.runtime_ops._common import (
    activate,
    bias_input,
    channel_requant,
    const,
    dilations,
    f64,
    geometry,
    qparams,
    strides,
    taps,
    unsupported,
    window_options,
)
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.runtime_ops.batch_matmul import lower_matmul
from trainer.tlm import ModelInfo, OpInfo

# ---- Conv2D ----


@lowers("_FusedConv2D")
def _lower_conv2d(ctx, op) -> None:
    w = const(op, 1, "filter").transpose(3, 0, 1, 2)  # HWIO -> OHWI
    ins = [ctx.input(op, op.inputs[0]), ctx.constant(f"{op.name}/weights", w), *bias_input(ctx, op)]
    ctx.emit("Conv2D", op, ins, activation=op.attrs["activation"], **window_options(op))


def conv2d(x, w, bias=None, stride=(1, 1), dilation=(1, 1), padding="SAME", activation="NONE") -> np.ndarray:
    """x[n, h, w, c], w[oc, kh, kw, c] -> y[n, oh, ow, oc]: one einsum per kernel tap, zero padding."""
    x, w = f64(x), f64(w)
    _, kh, kw, _ = w.shape
    ts = taps(x, kh, kw, stride, dilation, padding, 0.0)
    y = sum(np.einsum("nhwc,oc->nhwo", tap, w[:, i, j, :]) for i, j, tap, _ in ts)
    if bias is not None:
        y = y + f64(bias)
    return activate(y, activation)


def _conv2d(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o, b = op.options, ins[2] if len(ins) > 2 else None
    return conv2d(ins[0], ins[1], b, strides(op), dilations(op), o["padding"], o["activation"])


def _conv2d_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    rq = channel_requant(m, op)
    g = geometry(m, op, ins[1].shape[1], ins[1].shape[2])
    b = ins[2] if len(ins) == 3 else None
    return conv2d_int8(ins[0], ins[1], b, g, qparams(m, op.inputs[0])[1], rq)


register(RuntimeOp("Conv2D", _conv2d, _conv2d_int8, weight_axis=0, bias_correctable=True))

# ---- DepthwiseConv2D ----


@lowers("_FusedDepthwiseConv2D")
def _lower_depthwise_conv2d(ctx, op) -> None:
    w = const(op, 1, "filter")
    kh, kw, c, m = w.shape
    ins = [
        ctx.input(op, op.inputs[0]),
        ctx.constant(f"{op.name}/weights", w.reshape(1, kh, kw, c * m)),
        *bias_input(ctx, op),
    ]
    ctx.emit(
        "DepthwiseConv2D",
        op,
        ins,
        activation=op.attrs["activation"],
        depth_multiplier=int(m),
        **window_options(op),
    )


def depthwise_conv2d(
    x, w, bias=None, stride=(1, 1), dilation=(1, 1), padding="SAME", depth_multiplier=1, activation="NONE"
) -> np.ndarray:
    """x[n, h, w, c], w[1, kh, kw, c * m] -> y[n, oh, ow, c * m]; output channel c * m + j reads channel c."""
    x, w = f64(x), f64(w)
    _, kh, kw, oc = w.shape
    assert oc == x.shape[3] * depth_multiplier
    ts = taps(x, kh, kw, stride, dilation, padding, 0.0)
    y = sum(np.repeat(tap, depth_multiplier, axis=3) * w[0, i, j, :] for i, j, tap, _ in ts)
    if bias is not None:
        y = y + f64(bias)
    return activate(y, activation)


def _depthwise_conv2d(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o, b = op.options, ins[2] if len(ins) > 2 else None
    return depthwise_conv2d(
        ins[0], ins[1], b, strides(op), dilations(op), o["padding"], o["depth_multiplier"], o["activation"]
    )


def _depthwise_conv2d_int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    rq = channel_requant(m, op)
    g = geometry(m, op, ins[1].shape[1], ins[1].shape[2])
    b = ins[2] if len(ins) == 3 else None
    zp_in = qparams(m, op.inputs[0])[1]
    return depthwise_conv2d_int8(ins[0], ins[1], b, g, op.options["depth_multiplier"], zp_in, rq)


register(
    RuntimeOp(
        "DepthwiseConv2D", _depthwise_conv2d, _depthwise_conv2d_int8, weight_axis=3, bias_correctable=True
    )
)

# ---- the unfused trainer ops: freeze() fuses them whenever their filter is constant ----


@lowers("MatMul", "Conv2D", "DepthwiseConv2D")
def _lower_unfused(ctx, op) -> None:
    if op.type == "MatMul" and (op.attrs["transpose_a"] or op.inputs[1].op.type != "Const"):
        # freeze fuses a MatMul by a constant into FullyConnected: the others are BatchMatMuls of rank 2
        return lower_matmul(ctx, op, op.attrs["transpose_a"], op.attrs["transpose_b"])
    const(op, 1, "filter" if op.type != "MatMul" else "weight matrix")
    raise unsupported(op, "not frozen: run it through trainer.freeze first")
