"""Static shapes with unknown dimensions: ``TensorShape([None, 784])``.

A shape is either of unknown rank (``dims is None``) or a tuple whose entries are ints or ``None``.

>>> from trainer.tensor_shape import TensorShape
>>> s = TensorShape([None, 784])
>>> s.as_list(), s.ndims, s.is_fully_defined(), s[1].value
([None, 784], 2, False, 784)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from trainer.errors import InvalidArgumentError


class Dimension:
    """One dimension, ``value`` an int or None (TensorFlow 1's ``shape[i].value`` idiom)."""

    __slots__ = ("value",)

    def __init__(self, value: int | None) -> None:
        self.value = None if value is None else int(value)

    def __int__(self) -> int:
        if self.value is None:
            raise InvalidArgumentError("cannot convert an unknown Dimension to int")
        return self.value

    __index__ = __int__

    def __eq__(self, other: object) -> bool:
        o = other.value if isinstance(other, Dimension) else other
        return self.value is not None and self.value == o

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Dimension({self.value})"

    def __str__(self) -> str:
        return "?" if self.value is None else str(self.value)

    def _op(self, other: Any, fn: Any) -> Dimension:
        o = other.value if isinstance(other, Dimension) else other
        return Dimension(None if self.value is None or o is None else fn(self.value, int(o)))

    def __mul__(self, o: Any) -> Dimension:
        return self._op(o, lambda a, b: a * b)

    __rmul__ = __mul__

    def __add__(self, o: Any) -> Dimension:
        return self._op(o, lambda a, b: a + b)

    __radd__ = __add__

    def __floordiv__(self, o: Any) -> Dimension:
        return self._op(o, lambda a, b: a // b)


def _dim(d: Any) -> int | None:
    if d is None:
        return None
    if isinstance(d, Dimension):
        return d.value
    d = int(d)
    if d < -1:
        raise InvalidArgumentError(f"invalid dimension {d}")
    return None if d == -1 else d


class TensorShape:
    """The static shape of a tensor; ``dims`` is None when even the rank is unknown."""

    __slots__ = ("dims",)

    def __init__(self, dims: Iterable[Any] | TensorShape | None) -> None:
        if isinstance(dims, TensorShape):
            self.dims = dims.dims
        elif dims is None:
            self.dims = None
        else:
            self.dims = tuple(_dim(d) for d in dims)

    @property
    def ndims(self) -> int | None:
        return None if self.dims is None else len(self.dims)

    rank = ndims

    def as_list(self) -> list[int | None]:
        if self.dims is None:
            raise InvalidArgumentError("as_list() is not defined on a shape of unknown rank")
        return list(self.dims)

    def is_fully_defined(self) -> bool:
        return self.dims is not None and all(d is not None for d in self.dims)

    def num_elements(self) -> int | None:
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self.dims:  # type: ignore[union-attr]
            n *= d  # type: ignore[operator]
        return n

    def is_compatible_with(self, other: Any) -> bool:
        other = as_shape(other)
        if self.dims is None or other.dims is None:
            return True
        if len(self.dims) != len(other.dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self.dims, other.dims, strict=False))

    def merge_with(self, other: Any) -> TensorShape:
        other = as_shape(other)
        if not self.is_compatible_with(other):
            raise InvalidArgumentError(f"shapes {self} and {other} are not compatible")
        if self.dims is None:
            return other
        if other.dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self.dims, other.dims, strict=False)])

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise InvalidArgumentError(f"shapes {self} and {as_shape(other)} are not compatible")

    def concatenate(self, other: Any) -> TensorShape:
        other = as_shape(other)
        if self.dims is None or other.dims is None:
            return TensorShape(None)
        return TensorShape(self.dims + other.dims)

    def with_rank(self, rank: int) -> TensorShape:
        if self.dims is None:
            return TensorShape([None] * rank)
        if len(self.dims) != rank:
            raise InvalidArgumentError(f"shape {self} must have rank {rank}")
        return self

    def __len__(self) -> int:
        if self.dims is None:
            raise InvalidArgumentError("len() of a shape of unknown rank")
        return len(self.dims)

    def __iter__(self) -> Iterator[Dimension]:
        if self.dims is None:
            raise InvalidArgumentError("cannot iterate over a shape of unknown rank")
        return iter(Dimension(d) for d in self.dims)

    def __getitem__(self, key: int | slice) -> Any:
        if self.dims is None:
            return TensorShape(None) if isinstance(key, slice) else Dimension(None)
        if isinstance(key, slice):
            return TensorShape(self.dims[key])
        return Dimension(self.dims[key])

    def __eq__(self, other: object) -> bool:
        try:
            other = as_shape(other)
        except (InvalidArgumentError, TypeError, ValueError):
            return NotImplemented
        return self.dims == other.dims

    def __hash__(self) -> int:
        return hash(self.dims)

    def __repr__(self) -> str:
        return f"TensorShape({self.dims if self.dims is None else list(self.dims)})"

    def __str__(self) -> str:
        if self.dims is None:
            return "<unknown>"
        return (
            "("
            + ", ".join("?" if d is None else str(d) for d in self.dims)
            + ("," if len(self.dims) == 1 else "")
            + ")"
        )


def as_shape(value: Any) -> TensorShape:
    return value if isinstance(value, TensorShape) else TensorShape(value)


def unknown_shape(ndims: int | None = None) -> TensorShape:
    return TensorShape(None if ndims is None else [None] * ndims)


def broadcast_shapes(a: TensorShape, b: TensorShape) -> TensorShape | None:
    """numpy broadcasting of two static shapes; None when they cannot broadcast."""
    if a.dims is None or b.dims is None:
        return TensorShape(None)
    n = max(len(a.dims), len(b.dims))
    da = (1,) * (n - len(a.dims)) + a.dims
    db = (1,) * (n - len(b.dims)) + b.dims
    out: list[int | None] = []
    for x, y in zip(da, db, strict=False):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x == y:
            out.append(x)
        else:
            return None
    return TensorShape(out)
