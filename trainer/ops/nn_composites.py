"""Small ``tf.nn`` functions TF1 programs use, written as composites of registered ops (their gradients
come from those ops): ``zero_fraction`` (the CIFAR-10 tutorial's sparsity summary), ``selu``,
``softsign``, ``log_sigmoid``, ``swish``, ``crelu``.

>>> import trainer as tf
>>> with tf.Session() as sess:
...     print(sess.run(tf.nn.zero_fraction([0.0, 1.0, 0.0, 2.0])))
0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import cast, concat
from trainer.ops.math_ops import abs as _abs
from trainer.ops.math_ops import add, equal, multiply, negative, reduce_mean, truediv, where
from trainer.ops.nn_ops import elu, relu, sigmoid, softplus

# SELU's constants (Klambauer et al. 2017), as TF1 uses them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def zero_fraction(value: Any, name: str | None = None) -> Tensor:
    """The fraction of elements of ``value`` that are zero (float32 scalar)."""
    with name_scope(name or "zero_fraction"):
        v = convert_to_tensor(value)
        return reduce_mean(cast(equal(v, np.zeros((), v.dtype.np)), _dt.float32))


def selu(features: Any, name: str | None = None) -> Tensor:
    """``scale * (x if x > 0 else alpha * (exp(x) - 1))``."""
    with name_scope(name or "Selu"):
        x = convert_to_tensor(features)
        e = elu(x)
        return multiply(where(x > 0, e, multiply(e, _SELU_ALPHA)), _SELU_SCALE)


def softsign(features: Any, name: str | None = None) -> Tensor:
    """``x / (1 + |x|)``."""
    with name_scope(name or "Softsign"):
        x = convert_to_tensor(features)
        return truediv(x, add(_abs(x), 1.0))


def log_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    with name_scope(name or "LogSigmoid"):
        return negative(softplus(negative(convert_to_tensor(x))))


def swish(features: Any, beta: float = 1.0, name: str | None = None) -> Tensor:
    """``x * sigmoid(beta * x)``."""
    with name_scope(name or "swish"):
        x = convert_to_tensor(features)
        return multiply(x, sigmoid(multiply(x, beta) if beta != 1.0 else x))


def crelu(features: Any, name: str | None = None, axis: int = -1) -> Tensor:
    """``concat([relu(x), relu(-x)], axis)``: twice the channels."""
    with name_scope(name or "CRelu"):
        x = convert_to_tensor(features)
        return concat([relu(x), relu(negative(x))], axis)
