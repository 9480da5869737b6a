"""ResizeBilinear and ResizeNearestNeighbor: NHWC images resized to a constant ``size`` [OH, OW] (an int32
input, TFLite's form) with ResizeOptions ``align_corners`` / ``half_pixel_centers``, lowered from the
trainer's ``ResizeBilinear`` and ``ResizeNearestNeighbor`` (``tf.image.resize_bilinear``,
``resize_nearest_neighbor``, ``resize_images``) when the size is known at export.

The runtime follows TFLite's reference kernels (runtime_c/src/kernels/resize.h has the formulas):
nearest copies the input pixel of TF's index rule; float bilinear weights the four neighbours in float32;
int8 bilinear is TFLite's integer path (positions with 10 fractional bits, the weighted sum of the raw int8
values in int64, rounded half away from zero at 2^20). Both keep the input's quantization, as TFLite's
converter does. The float reference here is float64 over the same float32 positions and weights.
"""

from __future__ import annotations

import numpy as np

from trainer.graph import constant_value
from trainer.runtime_ops._common import f64, unsupported
from trainer.runtime_ops._table import RuntimeOp, lowers, register
from trainer.tlm import OpInfo

MAX_DIM = 65536
_F32 = np.float32


def _scale(n_in: int, n_out: int, align_corners: bool) -> np.float32:
    if align_corners and n_out > 1:
        return _F32(n_in - 1) / _F32(n_out - 1)
    return _F32(n_in) / _F32(n_out)


def nearest_index(n_in: int, n_out: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """The input index of each output index along one axis (TFLite's GetNearestNeighbor, float32)."""
    v = (np.arange(n_out, dtype=_F32) + _F32(0.5 if half_pixel_centers else 0.0)) * _scale(
        n_in, n_out, align_corners
    )
    f = np.floor(v)
    k = np.where(v - f >= _F32(0.5), f + 1, f) if align_corners else f  # round half away from zero (v >= 0)
    k = np.minimum(k.astype(np.int64), n_in - 1)
    return np.maximum(k, 0) if half_pixel_centers else k


def resize_nearest(x, size, align_corners: bool = False, half_pixel_centers: bool = False) -> np.ndarray:
    """The reference of both dtypes (the op copies values)."""
    x = np.asarray(x)
    iy = nearest_index(x.shape[1], int(size[0]), align_corners, half_pixel_centers)
    ix = nearest_index(x.shape[2], int(size[1]), align_corners, half_pixel_centers)
    return x[:, iy][:, :, ix]


def _bilinear_axis(n_in: int, n_out: int, align_corners: bool, half_pixel_centers: bool):
    s = _scale(n_in, n_out, align_corners)
    i = np.arange(n_out, dtype=_F32)
    v = (i + _F32(0.5)) * s - _F32(0.5) if half_pixel_centers else i * s
    lo = np.maximum(np.floor(v).astype(np.int64), 0)
    hi = np.minimum(np.ceil(v).astype(np.int64), n_in - 1)
    return lo, hi, (v - lo.astype(_F32)).astype(np.float64)


def resize_bilinear(x, size, align_corners: bool = False, half_pixel_centers: bool = False) -> np.ndarray:
    """The float reference: TFLite's float32 positions and weights, the weighted sum in float64."""
    x = f64(x)
    ylo, yhi, ay = _bilinear_axis(x.shape[1], int(size[0]), align_corners, half_pixel_centers)
    xlo, xhi, ax = _bilinear_axis(x.shape[2], int(size[1]), align_corners, half_pixel_centers)
    ay, ax = ay[None, :, None, None], ax[None, None, :, None]
    r0, r1 = x[:, ylo], x[:, yhi]
    return (
        r0[:, :, xlo] * (1 - ay) * (1 - ax)
        + r1[:, :, xlo] * ay * (1 - ax)
        + r0[:, :, xhi] * (1 - ay) * ax
        + r1[:, :, xhi] * ay * ax
    )


def _scale10(n_in: int, n_out: int, align_corners: bool) -> int:
    if align_corners and n_out > 1:
        return (1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    return (1024 * n_in + n_out // 2) // n_out


def _c_div(a: np.ndarray, b: int) -> np.ndarray:
    """C's integer division (toward zero) of an int64 array by a positive ``b``."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


def _int8_axis(n_in: int, n_out: int, align_corners: bool, half_pixel_centers: bool):
    s = _scale10(n_in, n_out, align_corners)
    i = np.arange(n_out, dtype=np.int64)
    v = i * s + s // 2 - 512 if half_pixel_centers else i * s
    lo = np.maximum(_c_div(v, 1024), 0)
    hi = np.minimum(_c_div(v + 1023, 1024), n_in - 1)
    w1 = v - 1024 * lo
    return lo, hi, 1024 - w1, w1


def resize_bilinear_int8(
    x, size, align_corners: bool = False, half_pixel_centers: bool = False
) -> np.ndarray:
    """TFLite's integer bilinear kernel (the output keeps the input's parameters)."""
    x = np.asarray(x, np.int64)
    ylo, yhi, wy0, wy1 = _int8_axis(x.shape[1], int(size[0]), align_corners, half_pixel_centers)
    xlo, xhi, wx0, wx1 = _int8_axis(x.shape[2], int(size[1]), align_corners, half_pixel_centers)
    wy0, wy1 = wy0[None, :, None, None], wy1[None, :, None, None]
    wx0, wx1 = wx0[None, None, :, None], wx1[None, None, :, None]
    r0, r1 = x[:, ylo], x[:, yhi]
    acc = (
        r0[:, :, xlo] * wy0 * wx0
        + r1[:, :, xlo] * wy1 * wx0
        + r0[:, :, xhi] * wy0 * wx1
        + r1[:, :, xhi] * wy1 * wx1
    )
    return _c_div(acc + np.where(acc > 0, 1 << 19, -(1 << 19)), 1 << 20).astype(np.int8)


def _args(op: OpInfo, ins: list[np.ndarray]):
    o = op.options
    return np.asarray(ins[1]).reshape(-1), bool(o["align_corners"]), bool(o["half_pixel_centers"])


register(
    RuntimeOp(
        "ResizeBilinear",
        lambda op, ins, shape: resize_bilinear(ins[0], *_args(op, ins)),
        lambda op, ins, m: resize_bilinear_int8(ins[0], *_args(op, ins)),
        keeps_input_quant=True,
    )
)
register(
    RuntimeOp(
        "ResizeNearestNeighbor",
        lambda op, ins, shape: resize_nearest(f64(ins[0]), *_args(op, ins)),
        lambda op, ins, m: resize_nearest(ins[0], *_args(op, ins)),
        keeps_input_quant=True,
    )
)


@lowers("ResizeBilinear", "ResizeNearestNeighbor")
def _lower(ctx, op) -> None:
    x, size = op.inputs
    hw = constant_value(size)
    if hw is None:
        raise unsupported(op, f"size {size.name} is not a constant (the runtime op takes a constant size)")
    hw = [int(v) for v in np.asarray(hw).reshape(-1)]
    dims = x.shape.as_list() if x.shape.ndims is not None else None
    if dims is None or len(dims) != 4 or None in dims[1:]:
        raise unsupported(op, f"input {x.name} of shape {x.shape} (a 4-D NHWC input with static H, W, C)")
    if not all(1 <= v <= MAX_DIM for v in (*hw, dims[1], dims[2])):
        raise unsupported(op, f"size {hw} for input {dims}: heights and widths 1 to {MAX_DIM}")
    const = ctx.b.add_constant(f"{op.name}/size", np.asarray(hw, np.int32))
    ctx.emit(
        op.type,
        op,
        [ctx.input(op, x), const],
        align_corners=bool(op.attrs["align_corners"]),
        half_pixel_centers=bool(op.attrs["half_pixel_centers"]),
    )
