"""Image resizing ops with TensorFlow 1's arithmetic: ``ResizeBilinear`` and ``ResizeNearestNeighbor``
(NHWC images, a 2-element int32 ``size`` input), with their gradient ops ``ResizeBilinearGrad`` and
``ResizeNearestNeighborGrad``. The public functions (``tf.image.resize_bilinear``, ...) are in
``trainer/image.py``.

Where an output pixel samples the input, per axis (TF's ``resize_bilinear_op.cc``, float32 arithmetic):

    scale = (in - 1) / (out - 1)  if align_corners and out > 1  else  in / out
    src   = (i + 0.5) * scale - 0.5  if half_pixel_centers  else  i * scale          (bilinear)
    lower = max(floor(src), 0), upper = min(ceil(src), in - 1), lerp = src - floor(src)
    y     = top + (bottom - top) * y_lerp,  top = tl + (tr - tl) * x_lerp  (bottom likewise)

Nearest: ``src = (i + 0.5) * scale`` with half-pixel centers, else ``i * scale``; the index is
``round(src)`` (half away from zero) with ``align_corners``, else ``floor(src)``, at most ``in - 1`` (and at
least 0). The gradients scatter the output gradient back through the same index and weight maps: as dense
``[out, in]`` matrices per axis, one einsum.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.image.resize_bilinear([[[[0.0], [1.0]]]], [1, 4]))[0, 0, :, 0])
[0.  0.5 1.  1. ]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, constant_value, convert_to_tensor
from trainer.ops import array_ops
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import cached_upload, host_ints

_F32 = np.float32


def resize_scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    """TF's ``CalculateResizeScale`` in float32."""
    if align_corners and out_size > 1:
        return _F32(in_size - 1) / _F32(out_size - 1)
    return _F32(in_size) / _F32(out_size)


def bilinear_axis(in_size: int, out_size: int, align_corners: bool, half_pixel: bool):
    """Per output index along one axis: (lower, upper, lerp), TF's interpolation weights in float32."""
    scale = resize_scale(in_size, out_size, align_corners)
    i = np.arange(out_size, dtype=_F32)
    src = (i + _F32(0.5)) * scale - _F32(0.5) if half_pixel else i * scale
    fl = np.floor(src)
    lower = np.maximum(fl.astype(np.int64), 0)
    upper = np.minimum(np.ceil(src).astype(np.int64), in_size - 1)
    return lower, upper, (src - fl).astype(_F32)


def nearest_axis(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """Per output index along one axis: the input index TF's nearest-neighbour resize reads."""
    scale = resize_scale(in_size, out_size, align_corners)
    i = np.arange(out_size, dtype=_F32)
    src = (i + _F32(0.5)) * scale if half_pixel else i * scale
    fl = np.floor(src)
    idx = np.where(src - fl >= _F32(0.5), fl + 1, fl) if align_corners else fl  # roundf: src >= 0
    idx = np.minimum(idx.astype(np.int64), in_size - 1)
    return np.maximum(idx, 0) if half_pixel else idx


def bilinear_matrix(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """The ``[out, in]`` float64 matrix of the bilinear weights along one axis (rows sum to 1)."""
    lo, hi, lerp = bilinear_axis(in_size, out_size, align_corners, half_pixel)
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(m, (rows, lo), 1.0 - lerp.astype(np.float64))
    np.add.at(m, (rows, hi), lerp.astype(np.float64))
    return m


def nearest_matrix(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """The ``[out, in]`` 0/1 matrix of the nearest-neighbour map along one axis."""
    m = np.zeros((out_size, in_size))
    m[np.arange(out_size), nearest_axis(in_size, out_size, align_corners, half_pixel)] = 1.0
    return m


def check_resize_attrs(align_corners: bool, half_pixel_centers: bool, fn: str) -> None:
    if align_corners and half_pixel_centers:
        raise InvalidArgumentError(f"{fn}: if half_pixel_centers is True, align_corners must be False")


def _resize_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, size = inputs
    if x.shape.ndims not in (None, 4):
        raise InvalidArgumentError(
            f"images must be 4-D [batch, height, width, channels], got shape {x.shape}"
        )
    if size.shape.ndims is not None and (size.shape.ndims != 1 or size.shape.as_list()[0] not in (None, 2)):
        raise InvalidArgumentError(f"size must be a 1-D tensor of 2 elements, got shape {size.shape}")
    hw = constant_value(size)
    if hw is not None and np.any(np.asarray(hw) <= 0):
        raise InvalidArgumentError(f"size must be positive, got {list(np.asarray(hw))}")
    dims = x.shape.as_list() if x.shape.ndims is not None else [None] * 4
    out_hw = [None, None] if hw is None else [int(v) for v in np.asarray(hw)]
    dt = x.dtype if x.dtype.is_floating else _dt.float32
    return TensorShape([dims[0], *out_hw, dims[3]]), dt


def _device_maps(ctx: Any, key: tuple, make: Any) -> tuple:
    """The host arrays ``make()`` (made once per op and key) on the kernel's device."""
    host = ctx.cache.get(key)
    if host is None:
        host = ctx.cache[key] = make()
    return tuple(cached_upload(ctx, (key, i), h) for i, h in enumerate(host))


def _out_size(ctx: Any, x: Any, size: Any) -> tuple[int, int]:
    h, w = host_ints(size)
    if h <= 0 or w <= 0:
        raise InvalidArgumentError(f"{ctx.op.name}: size must be positive, got [{h}, {w}]")
    if x.ndim != 4 or x.shape[1] <= 0 or x.shape[2] <= 0:
        raise InvalidArgumentError(f"{ctx.op.name}: cannot resize images of shape {list(x.shape)}")
    return h, w


def resize(
    op_type: str, images: Any, size: Any, align_corners: bool, half_pixel_centers: bool, name: str | None
) -> Tensor:
    """Build a ``ResizeBilinear`` or ``ResizeNearestNeighbor`` op (arguments already converted)."""
    fn = "resize_bilinear" if op_type == "ResizeBilinear" else "resize_nearest_neighbor"
    check_resize_attrs(align_corners, half_pixel_centers, f"tf.image.{fn}")
    x = convert_to_tensor(images)
    s = convert_to_tensor(size, dtype=_dt.int32)
    if s.dtype != _dt.int32:
        raise InvalidArgumentError(f"tf.image.{fn}: size must be int32, got {s.dtype.name}")
    attrs = {"align_corners": bool(align_corners), "half_pixel_centers": bool(half_pixel_centers)}
    return apply_op(op_type, [x, s], attrs, name or op_type)


# ---- ResizeBilinear ----------------------------------------------------------------------------------
def _bilinear_kernel(ctx: Any, x: Any, size: Any) -> Any:
    xp, a = ctx.xp, ctx.attrs
    oh, ow = _out_size(ctx, x, size)
    dt = x.dtype if np.issubdtype(np.dtype(str(x.dtype)), np.floating) else np.dtype(_F32)
    key = ("bilinear", x.shape[1], x.shape[2], oh, ow, str(dt))

    def make() -> tuple:
        ylo, yhi, yl = bilinear_axis(x.shape[1], oh, a["align_corners"], a["half_pixel_centers"])
        xlo, xhi, xl = bilinear_axis(x.shape[2], ow, a["align_corners"], a["half_pixel_centers"])
        return ylo, yhi, xlo, xhi, yl.astype(dt)[:, None, None], xl.astype(dt)[:, None]

    ylo, yhi, xlo, xhi, yl, xl = _device_maps(ctx, key, make)
    x = x.astype(dt, copy=False)
    top, bottom = xp.take(x, ylo, axis=1), xp.take(x, yhi, axis=1)
    tl, tr = xp.take(top, xlo, axis=2), xp.take(top, xhi, axis=2)
    bl, br = xp.take(bottom, xlo, axis=2), xp.take(bottom, xhi, axis=2)
    t = tl + (tr - tl) * xl
    b = bl + (br - bl) * xl
    return t + (b - t) * yl


def _bilinear_grad(op: Any, g: Tensor) -> list[Any]:
    """TF's ``ResizeBilinearGrad``: each output gradient goes back to its four inputs with their weights."""
    attrs = {k: op.attrs[k] for k in ("align_corners", "half_pixel_centers")}
    return [apply_op("ResizeBilinearGrad", [g, op.inputs[0]], attrs, "ResizeBilinearGrad"), None]


register("ResizeBilinear", shape=_resize_shape, kernel=_bilinear_kernel, grad=_bilinear_grad)


# ---- ResizeNearestNeighbor ---------------------------------------------------------------------------
def _nearest_kernel(ctx: Any, x: Any, size: Any) -> Any:
    oh, ow = _out_size(ctx, x, size)
    a = ctx.attrs
    key = ("nearest", x.shape[1], x.shape[2], oh, ow)
    maps = _device_maps(
        ctx,
        key,
        lambda: tuple(
            nearest_axis(n, m, a["align_corners"], a["half_pixel_centers"])
            for n, m in ((x.shape[1], oh), (x.shape[2], ow))
        ),
    )
    return ctx.xp.take(ctx.xp.take(x, maps[0], axis=1), maps[1], axis=2)


def _nearest_shape(inputs: list[Tensor], attrs: dict) -> Any:
    shape, _ = _resize_shape(inputs, attrs)
    return shape, inputs[0].dtype


def _nearest_grad(op: Any, g: Tensor) -> list[Any]:
    """TF's ``ResizeNearestNeighborGrad``: each output gradient is added to the input pixel it copied."""
    attrs = {k: op.attrs[k] for k in ("align_corners", "half_pixel_centers")}
    return [
        apply_op("ResizeNearestNeighborGrad", [g, op.inputs[0]], attrs, "ResizeNearestNeighborGrad"),
        None,
    ]


register("ResizeNearestNeighbor", shape=_nearest_shape, kernel=_nearest_kernel, grad=_nearest_grad)


# ---- the gradient ops: inputs (grads [N, OH, OW, C], the original images [N, H, W, C]) -------------------
def _grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return inputs[1].shape, inputs[1].dtype


def _scatter_back(ctx: Any, g: Any, x: Any, matrix: Any) -> Any:
    a = ctx.attrs
    key = ("grad", g.shape[1], g.shape[2], x.shape[1], x.shape[2], str(g.dtype))
    mats = _device_maps(
        ctx,
        key,
        lambda: tuple(
            matrix(n, m, a["align_corners"], a["half_pixel_centers"]).astype(g.dtype)
            for n, m in ((x.shape[1], g.shape[1]), (x.shape[2], g.shape[2]))
        ),
    )
    return ctx.xp.einsum("yi,nyxc,xj->nijc", mats[0], g, mats[1]).astype(x.dtype, copy=False)


def _bilinear_grad_kernel(ctx: Any, g: Any, x: Any) -> Any:
    return _scatter_back(ctx, g, x, bilinear_matrix)


def _nearest_grad_kernel(ctx: Any, g: Any, x: Any) -> Any:
    return _scatter_back(ctx, g, x, nearest_matrix)


def _grad_of_grad(forward: str):
    def grad(op: Any, gg: Tensor) -> list[Any]:
        """The gradient ops are linear in ``grads``; their adjoint is the forward resize to its size."""
        g = op.inputs[0]
        size = constant_value_of_hw(g)
        attrs = {k: op.attrs[k] for k in ("align_corners", "half_pixel_centers")}
        return [apply_op(forward, [gg, size], attrs, forward), None]

    return grad


def constant_value_of_hw(t: Tensor) -> Tensor:
    """``[height, width]`` of a 4-D tensor: a constant when the shape is static, else a slice of its Shape."""
    dims = t.shape.dims
    if dims is not None and dims[1] is not None and dims[2] is not None:
        return convert_to_tensor(np.array(dims[1:3], np.int32))
    return array_ops.strided_slice(array_ops.shape(t), [1], [3], [1])


register(
    "ResizeBilinearGrad",
    shape=_grad_shape,
    kernel=_bilinear_grad_kernel,
    grad=_grad_of_grad("ResizeBilinear"),
)
register(
    "ResizeNearestNeighborGrad",
    shape=_grad_shape,
    kernel=_nearest_grad_kernel,
    grad=_grad_of_grad("ResizeNearestNeighbor"),
)
