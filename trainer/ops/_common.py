"""Shared pieces of op stanzas: argument conversion and the generic shape rules (elementwise, broadcast)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, constant_value, convert_to_tensor
from trainer.tensor_shape import TensorShape, broadcast_shapes


def to_tensors(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Convert a binary op's operands; a Python/numpy operand takes the dtype of the tensor operand."""
    if isinstance(x, Tensor) or hasattr(x, "_as_tensor"):
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, preferred_dtype=x.dtype) if not _is_tensorish(y) else convert_to_tensor(y)
    elif _is_tensorish(y):
        y = convert_to_tensor(y)
        x = convert_to_tensor(x, preferred_dtype=y.dtype)
    else:
        x = convert_to_tensor(x)
        y = convert_to_tensor(y, preferred_dtype=x.dtype)
    return x, y


def _is_tensorish(v: Any) -> bool:
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


def same_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    """Unary elementwise: the output has the input's shape and dtype."""
    return inputs[0].shape, inputs[0].dtype


def float_same_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    x = inputs[0]
    if not x.dtype.is_floating:
        raise InvalidArgumentError(f"expects a floating-point input, got {x.dtype.name} {x.shape}")
    return x.shape, x.dtype


def broadcast_shape(
    inputs: list[Tensor], attrs: dict, out_dtype: _dt.DType | None = None
) -> tuple[TensorShape, _dt.DType]:
    """numpy broadcasting of two same-dtype inputs."""
    x, y = inputs
    if x.dtype is not y.dtype:
        raise InvalidArgumentError(f"dtypes {x.dtype.name} {x.shape} and {y.dtype.name} {y.shape} differ")
    s = broadcast_shapes(x.shape, y.shape)
    if s is None:
        raise InvalidArgumentError(f"shapes {x.shape} and {y.shape} cannot be broadcast together")
    return s, out_dtype or x.dtype


def bool_broadcast_shape(inputs: list[Tensor], attrs: dict) -> tuple[TensorShape, _dt.DType]:
    return broadcast_shape(inputs, attrs, _dt.bool)


def norm_axis(axis: int, rank: int | None, what: str = "axis") -> int:
    """A non-negative axis; negative axes need a known rank."""
    axis = int(axis)
    if rank is None:
        if axis < 0:
            raise InvalidArgumentError(f"negative {what} {axis} needs an input of known rank")
        return axis
    if not -rank <= axis < rank:
        raise InvalidArgumentError(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


def static_ints(v: Any, what: str) -> tuple[int, ...]:
    """A tuple of Python ints from a list/array/scalar or a constant tensor."""
    if isinstance(v, Tensor):
        c = constant_value(v)
        if c is None:
            raise InvalidArgumentError(f"{what} must be known while building the graph, got tensor {v.name}")
        v = c
    if hasattr(v, "_as_tensor"):
        raise InvalidArgumentError(f"{what} must be a constant, got a Variable")
    return tuple(int(a) for a in np.reshape(np.asarray(v), [-1]))
