"""Error hierarchy of the trainer (mirrors TensorFlow 1's ``tf.errors``).

Every error raised on purpose by the trainer derives from :class:`TensorletError`, so callers can catch one
type. Shape and argument problems found while building a graph are :class:`InvalidArgumentError` and name
the op and the shapes involved.

>>> import trainer as tf
>>> try:
...     tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5]))
... except tf.errors.InvalidArgumentError as e:
...     print("caught")
caught
"""

from __future__ import annotations


class TensorletError(Exception):
    """Base class of every error the trainer raises on purpose."""


class InvalidArgumentError(TensorletError, ValueError):
    """A bad argument: incompatible shapes, wrong dtype, a feed that does not fit its placeholder."""


class NotFoundError(TensorletError, KeyError):
    """A named thing (op, tensor, variable, checkpoint entry, device) does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AlreadyExistsError(TensorletError):
    """Something registered twice (for example an op type in the registry)."""


class FailedPreconditionError(TensorletError):
    """The system is not in the state the call needs (for example an uninitialized variable)."""


class UnimplementedError(TensorletError, NotImplementedError):
    """A feature that is known but not supported (yet), for example a device type without a backend."""


class OutOfRangeError(TensorletError):
    """An iterator or input pipeline is exhausted."""


class DataLossError(TensorletError):
    """Stored data is truncated or corrupt (a checkpoint, a data file)."""


class InternalError(TensorletError):
    """An internal invariant broke; please report it."""


class LookupError_(TensorletError, LookupError):
    """No gradient is defined along a path the caller asked to differentiate."""


# TensorFlow spells this one ``LookupError``; keep the public alias without shadowing the builtin here.
GradientLookupError = LookupError_

__all__ = [
    "TensorletError",
    "InvalidArgumentError",
    "NotFoundError",
    "AlreadyExistsError",
    "FailedPreconditionError",
    "UnimplementedError",
    "OutOfRangeError",
    "DataLossError",
    "InternalError",
    "GradientLookupError",
]
