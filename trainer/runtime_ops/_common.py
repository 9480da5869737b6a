"""Helpers the op stanzas share: fused activations and kernel taps of the float references, tensor
parameters of the int8 references, and the checks of the lowerings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from trainer.errors import UnimplementedError
from trainer.quant.kernels_int8 import ConvGeom, RequantInt8, conv_geom, prepare_channel_requant
from trainer.quant.rewrite import tensor_qparams
from trainer.tlm import ModelInfo, OpInfo
from trainer.window import window

# ---- float references ----


def activate(y: np.ndarray, act: str = "NONE") -> np.ndarray:
    """A fused activation by its schema name (NONE, RELU, RELU6)."""
    if act == "RELU":
        return np.maximum(y, 0)
    if act == "RELU6":
        return np.clip(y, 0, 6)
    return y


def f64(x: Any) -> np.ndarray:
    """The float references compute in float64 (the runtime stores float32)."""
    return np.asarray(x, dtype=np.float64)


def taps(
    x: np.ndarray,
    kh: int,
    kw: int,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    padding: str,
    fill: float,
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """For each kernel tap (i, j): the input it reads for every output pixel, and which reads are real."""
    _, h, w, _ = x.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, pt, pb = window(h, kh, sh, dh, padding)
    ow, pl, pr = window(w, kw, sw, dw, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    real = np.pad(np.ones((1, h, w, 1)), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            cols = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            yield i, j, xp[:, rows, cols, :], real[:, rows, cols, :]


# ---- int8 references ----

ACTIVATION_CODES = {"NONE": 0, "RELU": 1, "RELU6": 2, 0: 0, 1: 1, 2: 2}


def activation_code(op: OpInfo) -> int:
    """The op's fused activation as the int8 helpers take it (0 none, 1 relu, 2 relu6)."""
    return ACTIVATION_CODES[op.options.get("activation", "NONE")]


def strides(op: OpInfo) -> tuple[int, int]:
    return op.options["stride_h"], op.options["stride_w"]


def dilations(op: OpInfo) -> tuple[int, int]:
    return op.options["dilation_h"], op.options["dilation_w"]


def qparams(m: ModelInfo, tensor: int) -> tuple[float, int]:
    """Per-tensor (scale, zero point) of tensor index ``tensor``."""
    return tensor_qparams(m.tensors[tensor])


def geometry(m: ModelInfo, op: OpInfo, kh: int, kw: int, dilated: bool = True) -> ConvGeom:
    """The resolved window geometry of a conv or pool from its input shape and options."""
    o, xt = op.options, m.tensors[op.inputs[0]]
    dilation = (o["dilation_h"], o["dilation_w"]) if dilated else (1, 1)
    return conv_geom(xt.shape[1], xt.shape[2], kh, kw, (o["stride_h"], o["stride_w"]), dilation, o["padding"])


def channel_requant(m: ModelInfo, op: OpInfo) -> RequantInt8:
    """Per-channel requantization of FullyConnected / Conv2D / DepthwiseConv2D (weights are input 1)."""
    (s_in, _), (s_out, zp_out) = qparams(m, op.inputs[0]), qparams(m, op.outputs[0])
    w_scales = np.asarray(m.tensors[op.inputs[1]].quantization.scale, np.float32)
    return prepare_channel_requant(s_in, w_scales, s_out, zp_out, activation_code(op))


# ---- lowerings ----


class UnsupportedError(UnimplementedError):
    """A graph the C runtime cannot run: an op, dtype, shape or attribute with no runtime counterpart."""


def unsupported(op: Any, what: str) -> UnsupportedError:
    return UnsupportedError(f"cannot export op {op.name!r} ({op.type}): {what}")


def const(op: Any, i: int, what: str) -> np.ndarray:
    """The value of op input ``i``, which must be a constant of the frozen graph."""
    t = op.inputs[i]
    if t.op.type != "Const":
        raise unsupported(op, f"the {what} ({t.name}) must be a constant")
    return np.asarray(t.op.attrs["value"])


def bias_input(ctx: Any, op: Any) -> list[int]:
    """The model tensor of a fused op's bias (input 2), or none."""
    if len(op.inputs) < 3:
        return []
    return [ctx.constant(f"{op.name}/bias", const(op, 2, "bias"))]


def window_options(op: Any) -> dict[str, Any]:
    """Padding, strides and dilations of a trainer conv as runtime options."""
    (sh, sw), (dh, dw) = op.attrs["strides"], op.attrs["dilations"]
    return {
        "padding": op.attrs["padding"],
        "stride_h": sh,
        "stride_w": sw,
        "dilation_h": dh,
        "dilation_w": dw,
    }
