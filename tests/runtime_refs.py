"""The numpy formula of every float32 op of the C runtime (the parity tests' expected values).

The formulas are the float references of the op stanzas (``trainer/runtime_ops/``), where each is written
once, from the schema's op descriptions (``schema/tensorlet.fbs``), not from the C code: convolutions pad the
input explicitly and sum one einsum per kernel tap; pools pad and reduce over the taps with a validity mask.
Everything is computed in float64. The reference interpreter runs the same functions on the options it
decodes from a model, so the parity cases check its decoding and the C runtime's arithmetic.
"""

from __future__ import annotations

import numpy as np

from trainer.runtime_ops.activation import relu, relu6, sigmoid, tanh
from trainer.runtime_ops.binary import add, mul, sub
from trainer.runtime_ops.conv import conv2d, depthwise_conv2d
from trainer.runtime_ops.fully_connected import fully_connected
from trainer.runtime_ops.mean import mean
from trainer.runtime_ops.movement import concatenation, pad, reshape, transpose
from trainer.runtime_ops.pool import average_pool2d, max_pool2d
from trainer.runtime_ops.softmax import softmax
from trainer.window import window

__all__ = [
    "ACTIVATIONS",
    "act",
    "add",
    "average_pool2d",
    "concatenation",
    "conv2d",
    "depthwise_conv2d",
    "fully_connected",
    "max_pool2d",
    "mean",
    "mul",
    "pad",
    "pad_amounts",
    "relu",
    "relu6",
    "reshape",
    "sigmoid",
    "softmax",
    "sub",
    "tanh",
    "transpose",
]

ACTIVATIONS = {
    "NONE": lambda y: y,
    "RELU": lambda y: np.maximum(y, 0.0),
    "RELU6": lambda y: np.clip(y, 0.0, 6.0),
}


def act(y: np.ndarray, activation: str = "NONE") -> np.ndarray:
    return ACTIVATIONS[activation](y)


def pad_amounts(size: int, kernel: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one spatial axis: :func:`trainer.window.window`."""
    return tuple(window(size, kernel, stride, dilation, padding))
