"""``tf.image``: TF1's resizing functions on NHWC images (the ops and their gradients are in
``trainer/ops/image_ops.py``).

>>> import numpy as np
>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 4, 4, 3])
>>> up = tf.image.resize_bilinear(x, [8, 8], half_pixel_centers=True)
>>> near = tf.image.resize_images(x, [2, 2], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
>>> [list(v.shape) for v in tf.Session().run([up, near], {x: np.zeros((1, 4, 4, 3), np.float32)})]
[[1, 8, 8, 3], [1, 2, 2, 3]]

``resize_bilinear`` of integer images gives float32, as TF's; of float32 or float64 images the same dtype
(TF computes in float32 and returns float32 for float64 images too). ``resize_images`` takes 3-D or 4-D
images and returns them unchanged when ``size`` equals their static size, as TF1's does; its BICUBIC and AREA
methods and ``preserve_aspect_ratio`` are not implemented.
"""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import Tensor, constant_value, convert_to_tensor, name_scope
from trainer.ops.array_ops import expand_dims, squeeze
from trainer.ops.image_ops import resize as _resize_op

__all__ = ["ResizeMethod", "resize", "resize_bilinear", "resize_images", "resize_nearest_neighbor"]


class ResizeMethod:
    """TF1's ``tf.image.ResizeMethod`` codes."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


def resize_bilinear(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Bilinear resize of ``images`` [batch, height, width, channels] to ``size`` [new_height, new_width]."""
    return _resize_op("ResizeBilinear", images, size, align_corners, half_pixel_centers, name)


def resize_nearest_neighbor(
    images: Any,
    size: Any,
    align_corners: bool = False,
    name: str | None = None,
    half_pixel_centers: bool = False,
) -> Tensor:
    """Nearest-neighbour resize of ``images`` [batch, height, width, channels] to ``size``."""
    return _resize_op("ResizeNearestNeighbor", images, size, align_corners, half_pixel_centers, name)


_METHODS = {
    ResizeMethod.BILINEAR: "ResizeBilinear",
    ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
    "bilinear": "ResizeBilinear",
    "nearest": "ResizeNearestNeighbor",
}


def resize_images(
    images: Any,
    size: Any,
    method: Any = ResizeMethod.BILINEAR,
    align_corners: bool = False,
    preserve_aspect_ratio: bool = False,
    name: str | None = None,
) -> Tensor:
    """TF1's ``tf.image.resize_images`` (``tf.image.resize``): 3-D or 4-D images, BILINEAR or NEAREST."""
    if method not in _METHODS:
        raise UnimplementedError(
            f"tf.image.resize_images: method {method!r} (BILINEAR and NEAREST_NEIGHBOR only)"
        )
    if preserve_aspect_ratio:
        raise UnimplementedError("tf.image.resize_images: preserve_aspect_ratio=True is not implemented")
    with name_scope(name or "resize"):
        x = convert_to_tensor(images)
        if x.shape.ndims not in (3, 4):
            raise InvalidArgumentError(
                f"tf.image.resize_images: images must be 3-D or 4-D, got shape {x.shape}"
            )
        batched = x.shape.ndims == 4
        s = convert_to_tensor(size)
        hw = constant_value(s)
        dims = list(x.shape.dims[-3:-1])
        if hw is not None and [int(v) for v in hw.reshape(-1)] == dims:
            return x  # TF1 skips a resize to the same static size
        y = _resize_op(_METHODS[method], x if batched else expand_dims(x, 0), s, align_corners, False, None)
        return y if batched else squeeze(y, [0])


resize = resize_images
