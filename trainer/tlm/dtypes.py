"""Mapping between numpy dtypes and the schema's ``DType`` enum, and element sizes.

>>> to_schema(np.float32), to_numpy(DType.INT8), element_size(DType.INT64)
(0, dtype('int8'), 8)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.tlm.schema.DType import DType

# schema enum value -> (name, numpy dtype); sizes follow the schema comment: 4, 2, 1, 1, 2, 4, 8, 1.
_TABLE: dict[int, tuple[str, np.dtype]] = {
    DType.FLOAT32: ("FLOAT32", np.dtype(np.float32)),
    DType.FLOAT16: ("FLOAT16", np.dtype(np.float16)),
    DType.INT8: ("INT8", np.dtype(np.int8)),
    DType.UINT8: ("UINT8", np.dtype(np.uint8)),
    DType.INT16: ("INT16", np.dtype(np.int16)),
    DType.INT32: ("INT32", np.dtype(np.int32)),
    DType.INT64: ("INT64", np.dtype(np.int64)),
    DType.BOOL: ("BOOL", np.dtype(np.bool_)),
}
_BY_NAME = {name: value for value, (name, _) in _TABLE.items()}
_BY_NUMPY = {dt: value for value, (_, dt) in _TABLE.items()}

__all__ = ["DType", "dtype_name", "element_size", "is_known", "to_numpy", "to_schema"]


def is_known(value: int) -> bool:
    """True for a DType enum value this schema revision defines."""
    return value in _TABLE


def to_schema(dtype: Any) -> int:
    """Schema DType value for a numpy dtype (or anything ``np.dtype`` accepts) or a schema name ("INT8").

    Raises ValueError for a dtype the schema cannot store (float64, complex, ...).
    """
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise ValueError(f"not a dtype: {dtype!r}") from e
    dt = dt.newbyteorder("=") if dt.byteorder not in ("=", "|") else dt
    if dt not in _BY_NUMPY:
        raise ValueError(f"dtype {dt} has no .tlm DType (supported: {', '.join(_BY_NAME)})")
    return _BY_NUMPY[dt]


def to_numpy(value: int) -> np.dtype:
    """Native-order numpy dtype for a schema DType value."""
    if value not in _TABLE:
        raise ValueError(f"unknown DType value {value}")
    return _TABLE[value][1]


def dtype_name(value: int) -> str:
    """Schema name ("FLOAT32") of a DType value; ``"DType(99)"`` for unknown values."""
    return _TABLE[value][0] if value in _TABLE else f"DType({value})"


def element_size(value: int) -> int:
    """Bytes per element of a DType value."""
    return to_numpy(value).itemsize
