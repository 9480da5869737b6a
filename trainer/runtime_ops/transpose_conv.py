"""TransposeConv: the transpose of Conv2D (TFLite's TRANSPOSE_CONV), ``x [n, h, w, ic]``, weights
``[oc, kh, kw, ic]`` (OHWI), optional bias ``[oc]`` -> ``y [n, oh, ow, oc]`` (TransposeConvOptions: padding,
strides, fused activation; the output size is the output tensor's static shape, TFLite's output_shape
input). Lowered from the trainer's ``Conv2DBackpropInput`` (``tf.nn.conv2d_transpose``,
``tf.layers.conv2d_transpose``) with a constant filter: TF's filter ``[kh, kw, oc, ic]`` becomes OHWI.

Input pixel ``(iy, ix)`` adds ``x[iy, ix] . w[:, ky, kx]`` into output ``(iy sh - pad_top + ky, ix sw -
pad_left + kx)`` for every tap, where the padding is the one Conv2D of the output's size (these strides and
padding) would have: that Conv2D's output size must be the input's.

int8: TFLite's reference TRANSPOSE_CONV: per-channel symmetric weights, int32 bias, the exact sum of
``(x - zp_in) w`` plus the bias, then Conv2D's per-channel requantization
(``MultiplyByQuantizedMultiplier``)."""

from __future__ import annotations

import numpy as np

from trainer.quant.kernels_int8 import RequantInt8, requantize_channel_int8
from trainer.runtime_ops._common import activate, channel_requant, const, f64, qparams, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import ModelInfo, OpInfo
from trainer.window import window


@lowers("Conv2DBackpropInput")
def _lower(ctx, op) -> None:
    if tuple(op.attrs["dilations"]) != (1, 1):
        raise unsupported(op, f"dilations {tuple(op.attrs['dilations'])} (TransposeConv takes 1, 1)")
    if op.attrs["padding"] not in ("SAME", "VALID"):
        raise unsupported(op, f"padding {op.attrs['padding']!r}")
    w = const(op, 1, "filter")  # [kh, kw, oc, ic]
    sh, sw = op.attrs["strides"]
    ins = [ctx.input(op, op.inputs[2]), ctx.constant(f"{op.name}/weights", np.transpose(w, (2, 0, 1, 3)))]
    ctx.emit("TransposeConv", op, ins, padding=op.attrs["padding"], stride_h=int(sh), stride_w=int(sw),
             activation="NONE")  # fmt: skip


def _scatter(x: np.ndarray, w: np.ndarray, out_hw: tuple[int, int], strides, padding: str) -> np.ndarray:
    """sum over taps of x[.., iy, ix, :] . w[oc, ky, kx, :] into output (iy sh - pt + ky, ix sw - pl + kx),
    in x's dtype (float64 or int64)."""
    n, ih, iw, _ = x.shape
    oc, kh, kw, _ = w.shape
    (oh, ow), (sh, sw) = out_hw, strides
    _, pt, _ = window(oh, kh, sh, 1, padding)
    _, pl, _ = window(ow, kw, sw, 1, padding)
    big_h, big_w = max((ih - 1) * sh + kh, pt + oh), max((iw - 1) * sw + kw, pl + ow)
    acc = np.zeros((n, big_h, big_w, oc), x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            acc[:, ky : ky + (ih - 1) * sh + 1 : sh, kx : kx + (iw - 1) * sw + 1 : sw, :] += (
                x @ w[:, ky, kx, :].T
            )
    return acc[:, pt : pt + oh, pl : pl + ow, :]


def transpose_conv(x, w, bias, out_shape, strides, padding: str, activation: str = "NONE") -> np.ndarray:
    """The float reference in float64: x [n, h, w, ic], w [oc, kh, kw, ic], out_shape [n, oh, ow, oc]."""
    y = _scatter(f64(x), f64(w), (int(out_shape[1]), int(out_shape[2])), strides, padding)
    if bias is not None:
        y = y + f64(bias)
    return activate(y, activation)


def transpose_conv_int8(
    x, w, bias, input_zp: int, q: RequantInt8, out_shape, strides, padding: str
) -> np.ndarray:
    """The int8 kernel: exact sums of (x - input_zp) w, plus the bias, requantized per output channel."""
    xc, wi = np.asarray(x, np.int64) - int(input_zp), np.asarray(w, np.int64)
    acc = _scatter(xc, wi, (int(out_shape[1]), int(out_shape[2])), strides, padding)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    return requantize_channel_int8(acc, q)


def _geometry(op: OpInfo, m: ModelInfo):
    o = op.options
    return m.tensors[op.outputs[0]].shape, (o["stride_h"], o["stride_w"]), o["padding"]


def _reference(op: OpInfo, ins: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    o = op.options
    bias = ins[2] if len(ins) > 2 else None
    return transpose_conv(
        ins[0], ins[1], bias, shape, (o["stride_h"], o["stride_w"]), o["padding"], o["activation"]
    )


def _int8(op: OpInfo, ins: list[np.ndarray], m: ModelInfo) -> np.ndarray:
    out_shape, strides, padding = _geometry(op, m)
    bias = ins[2] if len(ins) > 2 else None
    zp_in = qparams(m, op.inputs[0])[1]
    return transpose_conv_int8(
        ins[0], ins[1], bias, zp_in, channel_requant(m, op), out_shape, strides, padding
    )


register(RuntimeOp("TransposeConv", _reference, _int8, weight_axis=0))
