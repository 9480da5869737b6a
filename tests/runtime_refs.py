"""Independent numpy formulas for every float32 op of the C runtime (the parity tests' expected values).

Written from the schema's op descriptions (schema/tensorlet.fbs), not from the C code: convolutions pad the
input explicitly and sum one einsum per kernel tap; pools pad and reduce over the taps with a validity mask.
Everything is computed in float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trainer.window import window

ACTIVATIONS = {
    "NONE": lambda y: y,
    "RELU": lambda y: np.maximum(y, 0.0),
    "RELU6": lambda y: np.clip(y, 0.0, 6.0),
}


def act(y: np.ndarray, activation: str = "NONE") -> np.ndarray:
    return ACTIVATIONS[activation](y)


def _f64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def pad_amounts(size: int, kernel: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one spatial axis: :func:`trainer.window.window`."""
    return tuple(window(size, kernel, stride, dilation, padding))


def _taps(xp: np.ndarray, oh: int, ow: int, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int):
    """Yield (ky, kx, patch) where patch[n, oy, ox, c] = xp[n, oy*sh + ky*dh, ox*sw + kx*dw, c]."""
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield ky, kx, xp[:, y0 : y0 + (oh - 1) * sh + 1 : sh, x0 : x0 + (ow - 1) * sw + 1 : sw, :]


def _spatial(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int, padding: str):
    oh, pt, pb = pad_amounts(x.shape[1], kh, sh, dh, padding)
    ow, pl, pr = pad_amounts(x.shape[2], kw, sw, dw, padding)
    return oh, ow, ((0, 0), (pt, pb), (pl, pr), (0, 0))


def fully_connected(x, w, bias=None, activation="NONE"):
    """y[..., o] = act(sum_i x[..., i] w[o, i] + bias[o])."""
    y = np.einsum("...i,oi->...o", _f64(x), _f64(w))
    if bias is not None:
        y = y + _f64(bias)
    return act(y, activation)


def conv2d(x, w, bias=None, stride=(1, 1), dilation=(1, 1), padding="SAME", activation="NONE"):
    """x[n,h,w,c], w[oc,kh,kw,c] -> y[n,oh,ow,oc]; zero padding."""
    x, w = _f64(x), _f64(w)
    _, kh, kw, _ = w.shape
    oh, ow, pads = _spatial(x, kh, kw, *stride, *dilation, padding)
    xp = np.pad(x, pads)
    y = np.zeros((x.shape[0], oh, ow, w.shape[0]))
    for ky, kx, patch in _taps(xp, oh, ow, kh, kw, *stride, *dilation):
        y += np.einsum("nhwc,oc->nhwo", patch, w[:, ky, kx, :])
    if bias is not None:
        y += _f64(bias)
    return act(y, activation)


def depthwise_conv2d(
    x, w, bias=None, stride=(1, 1), dilation=(1, 1), padding="SAME", depth_multiplier=1, activation="NONE"
):
    """x[n,h,w,c], w[1,kh,kw,c*m] -> y[n,oh,ow,c*m]; output channel c*m + j reads input channel c."""
    x, w = _f64(x), _f64(w)
    _, kh, kw, oc = w.shape
    assert oc == x.shape[3] * depth_multiplier
    oh, ow, pads = _spatial(x, kh, kw, *stride, *dilation, padding)
    xp = np.pad(x, pads)
    y = np.zeros((x.shape[0], oh, ow, oc))
    for ky, kx, patch in _taps(xp, oh, ow, kh, kw, *stride, *dilation):
        y += np.repeat(patch, depth_multiplier, axis=3) * w[0, ky, kx, :]
    if bias is not None:
        y += _f64(bias)
    return act(y, activation)


def max_pool2d(x, filter=(1, 1), stride=(1, 1), padding="VALID", activation="NONE"):
    """Max over each window; padded positions never win."""
    x = _f64(x)
    oh, ow, pads = _spatial(x, *filter, *stride, 1, 1, padding)
    xp = np.pad(x, pads, constant_values=-np.inf)
    y = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf)
    for _, _, patch in _taps(xp, oh, ow, *filter, *stride, 1, 1):
        y = np.maximum(y, patch)
    return act(y, activation)


def average_pool2d(x, filter=(1, 1), stride=(1, 1), padding="VALID", activation="NONE"):
    """Mean over the input elements each window covers (padding not counted)."""
    x = _f64(x)
    oh, ow, pads = _spatial(x, *filter, *stride, 1, 1, padding)
    xp = np.pad(x, pads)
    valid = np.pad(np.ones_like(x), pads)
    total = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    count = np.zeros_like(total)
    for (_, _, patch), (_, _, mask) in zip(
        _taps(xp, oh, ow, *filter, *stride, 1, 1), _taps(valid, oh, ow, *filter, *stride, 1, 1), strict=True
    ):
        total += patch
        count += mask
    return act(total / count, activation)


def mean(x, axes: Sequence[int], keep_dims: bool = False):
    return np.mean(_f64(x), axis=tuple(int(a) for a in axes), keepdims=keep_dims)


def add(a, b, activation="NONE"):
    return act(_f64(a) + _f64(b), activation)


def sub(a, b, activation="NONE"):
    return act(_f64(a) - _f64(b), activation)


def mul(a, b, activation="NONE"):
    return act(_f64(a) * _f64(b), activation)


def relu(x):
    return np.maximum(_f64(x), 0.0)


def relu6(x):
    return np.minimum(np.maximum(_f64(x), 0.0), 6.0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-_f64(x)))


def tanh(x):
    return np.tanh(_f64(x))


def softmax(x, beta: float = 1.0):
    z = beta * _f64(x)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def reshape(x, shape):
    return _f64(x).reshape(shape)


def concatenation(xs, axis: int = 0, activation="NONE"):
    return act(np.concatenate([_f64(x) for x in xs], axis=axis), activation)


def pad(x, paddings: Sequence[int]):
    """paddings = [before_0, after_0, before_1, after_1, ...]; pads with zeros."""
    pairs = [(paddings[2 * i], paddings[2 * i + 1]) for i in range(np.ndim(x))]
    return np.pad(_f64(x), pairs)


def transpose(x, perm: Sequence[int]):
    return np.transpose(_f64(x), perm)
