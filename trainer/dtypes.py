"""Element types of tensors: ``trainer.float32``, ``trainer.int32``, ... (TensorFlow 1 names).

>>> import trainer as tf
>>> tf.as_dtype("float32") is tf.float32, tf.float32.as_numpy_dtype
(True, <class 'numpy.float32'>)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError


class DType:
    """One element type. Instances are singletons: compare with ``is`` or ``==``."""

    __slots__ = ("name", "np")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)

    @property
    def as_numpy_dtype(self) -> type:
        return self.np.type

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def is_floating(self) -> bool:
        return self.np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.np.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self.np.kind == "b"

    @property
    def is_unsigned(self) -> bool:
        return self.np.kind == "u"

    @property
    def size(self) -> int:
        return self.np.itemsize

    @property
    def min(self) -> Any:
        return np.finfo(self.np).min if self.is_floating else np.iinfo(self.np).min

    @property
    def max(self) -> Any:
        return np.finfo(self.np).max if self.is_floating else np.iinfo(self.np).max

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
uint8 = DType("uint8", np.uint8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool = DType("bool", np.bool_)  # noqa: A001 - the TensorFlow name
half = float16
double = float64
# Serialized protos (a summary op's value) are bytes: a string tensor holds Python objects. It is not in ALL
# (no arithmetic op accepts it), and only summary ops produce it.
string = DType("string", np.object_)

ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL} | {
    "half": float16,
    "double": float64,
    "float": float32,
    "string": string,
}


def as_dtype(value: Any) -> DType:
    """Convert a DType, a name (``"float32"``), a numpy dtype or a numpy scalar type to a :class:`DType`."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value is float:
        return float32
    if value is int:
        return int32
    try:
        npd = np.dtype(value)
    except TypeError:
        npd = None
    if npd is not None and npd in _BY_NP:
        return _BY_NP[npd]
    raise InvalidArgumentError(f"unsupported dtype {value!r}; supported: {', '.join(d.name for d in ALL)}")


def from_numpy(npd: np.dtype) -> DType:
    """The DType of a numpy dtype (float64, int64 and friends map one to one; objects hold ``string``s)."""
    if np.dtype(npd) == np.object_:
        return string
    return as_dtype(npd)
