"""Op cases for the image resizing ops (``ResizeBilinear``, ``ResizeNearestNeighbor`` and their gradient
ops), appended to ``trainer_op_cases.CASES``: test_ops.py checks each forward against the loop references
below, test_gradients.py each gradient against float64 central differences.

The references are written pixel by pixel from TF's formulas (``resize_bilinear_op.cc``,
``resize_nearest_neighbor_op.cc``); tests/trainer/test_image_ops.py checks the ops against TensorFlow's own
numbers.
"""

from __future__ import annotations

import math

import numpy as np
from trainer_op_cases import OpCase, r

import trainer as tf

F32 = np.float32


def _scale(n_in: int, n_out: int, ac: bool) -> np.float32:
    return F32(n_in - 1) / F32(n_out - 1) if ac and n_out > 1 else F32(n_in) / F32(n_out)


def _bilinear_src(i: int, n_in: int, n_out: int, ac: bool, hp: bool) -> tuple[int, int, float]:
    s = _scale(n_in, n_out, ac)
    v = (F32(i) + F32(0.5)) * s - F32(0.5) if hp else F32(i) * s
    lo = math.floor(v)
    return max(lo, 0), min(math.ceil(v), n_in - 1), float(v - F32(lo))


def _nearest_src(i: int, n_in: int, n_out: int, ac: bool, hp: bool) -> int:
    s = _scale(n_in, n_out, ac)
    v = float((F32(i) + F32(0.5)) * s if hp else F32(i) * s)
    k = min(int(math.floor(v + 0.5)) if ac else math.floor(v), n_in - 1)
    return max(k, 0) if hp else k


def ref_bilinear(x: np.ndarray, size, ac: bool = False, hp: bool = False) -> np.ndarray:
    n, h, w, c = x.shape
    oh, ow = size
    y = np.zeros((n, oh, ow, c), x.dtype)
    for i in range(oh):
        y0, y1, ly = _bilinear_src(i, h, oh, ac, hp)
        for j in range(ow):
            x0, x1, lx = _bilinear_src(j, w, ow, ac, hp)
            top = x[:, y0, x0] + (x[:, y0, x1] - x[:, y0, x0]) * lx
            bot = x[:, y1, x0] + (x[:, y1, x1] - x[:, y1, x0]) * lx
            y[:, i, j] = top + (bot - top) * ly
    return y


def ref_bilinear_grad(g: np.ndarray, x: np.ndarray, ac: bool = False, hp: bool = False) -> np.ndarray:
    n, h, w, c = x.shape
    dx = np.zeros_like(x)
    for i in range(g.shape[1]):
        y0, y1, ly = _bilinear_src(i, h, g.shape[1], ac, hp)
        for j in range(g.shape[2]):
            x0, x1, lx = _bilinear_src(j, w, g.shape[2], ac, hp)
            dx[:, y0, x0] += g[:, i, j] * (1 - ly) * (1 - lx)
            dx[:, y0, x1] += g[:, i, j] * (1 - ly) * lx
            dx[:, y1, x0] += g[:, i, j] * ly * (1 - lx)
            dx[:, y1, x1] += g[:, i, j] * ly * lx
    return dx


def ref_nearest(x: np.ndarray, size, ac: bool = False, hp: bool = False) -> np.ndarray:
    n, h, w, c = x.shape
    y = np.zeros((n, *size, c), x.dtype)
    for i in range(size[0]):
        for j in range(size[1]):
            y[:, i, j] = x[:, _nearest_src(i, h, size[0], ac, hp), _nearest_src(j, w, size[1], ac, hp)]
    return y


def ref_nearest_grad(g: np.ndarray, x: np.ndarray, ac: bool = False, hp: bool = False) -> np.ndarray:
    n, h, w, c = x.shape
    dx = np.zeros_like(x)
    for i in range(g.shape[1]):
        for j in range(g.shape[2]):
            dx[:, _nearest_src(i, h, g.shape[1], ac, hp), _nearest_src(j, w, g.shape[2], ac, hp)] += g[
                :, i, j
            ]
    return dx


X = r(2, 3, 4, 2)
G_UP = r(2, 5, 7, 2)
G_DOWN = r(2, 2, 3, 2)
MODES = [(False, False), (True, False), (False, True)]


def _cases() -> list[OpCase]:
    out = []
    for ac, hp in MODES:
        tag = f"_ac{int(ac)}_hp{int(hp)}"
        for size, g in (((5, 7), G_UP), ((2, 3), G_DOWN)):
            tag2 = f"{tag}_{size[0]}x{size[1]}"
            out += [
                OpCase(
                    "ResizeBilinear",
                    lambda x, s=size, ac=ac, hp=hp: tf.image.resize_bilinear(x, s, ac, half_pixel_centers=hp),
                    [X],
                    lambda x, s=size, ac=ac, hp=hp: ref_bilinear(x, s, ac, hp),
                    name="ResizeBilinear" + tag2,
                ),
                OpCase(
                    "ResizeNearestNeighbor",
                    lambda x, s=size, ac=ac, hp=hp: tf.image.resize_nearest_neighbor(
                        x, s, ac, half_pixel_centers=hp
                    ),
                    [X],
                    lambda x, s=size, ac=ac, hp=hp: ref_nearest(x, s, ac, hp),
                    name="ResizeNearestNeighbor" + tag2,
                ),
                OpCase(
                    "ResizeBilinearGrad",
                    lambda g, x, s=size, ac=ac, hp=hp: tf.gradients(
                        tf.image.resize_bilinear(x, s, ac, half_pixel_centers=hp), x, grad_ys=g
                    )[0],
                    [g, X],
                    lambda g, x, ac=ac, hp=hp: ref_bilinear_grad(g, x, ac, hp),
                    name="ResizeBilinearGrad" + tag2,
                ),
                OpCase(
                    "ResizeNearestNeighborGrad",
                    lambda g, x, s=size, ac=ac, hp=hp: tf.gradients(
                        tf.image.resize_nearest_neighbor(x, s, ac, half_pixel_centers=hp), x, grad_ys=g
                    )[0],
                    [g, X],
                    lambda g, x, ac=ac, hp=hp: ref_nearest_grad(g, x, ac, hp),
                    name="ResizeNearestNeighborGrad" + tag2,
                ),
            ]
    return out


IMAGE_CASES = _cases()
IMAGE_MODULES = ("image_ops",)
