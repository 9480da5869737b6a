"""Nested structures of tensors (TF1's ``tf.contrib.framework.nest``, the part control flow needs).

A structure is a leaf, or a list, tuple, namedtuple or dict of structures; dicts are walked in sorted key
order. ``flatten`` lists the leaves, ``pack_sequence_as`` puts a flat list back into a structure's shape.

>>> from trainer import nest
>>> s = {"h": (1, 2), "c": [3]}
>>> nest.flatten(s)
[3, 1, 2]
>>> nest.pack_sequence_as(s, [30, 10, 20])
{'h': (10, 20), 'c': [30]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trainer.errors import InvalidArgumentError


def is_sequence(x: Any) -> bool:
    """True for the containers ``flatten`` walks into (list, tuple, namedtuple, dict)."""
    return isinstance(x, (list, tuple, Mapping))


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure`` in order (a leaf alone gives ``[leaf]``)."""
    if isinstance(structure, Mapping):
        return [leaf for k in sorted(structure) for leaf in flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def _rebuild(structure: Any, it: Any) -> Any:
    if isinstance(structure, Mapping):
        packed = {k: _rebuild(structure[k], it) for k in sorted(structure)}
        return type(structure)((k, packed[k]) for k in structure)
    if isinstance(structure, (list, tuple)):
        items = [_rebuild(s, it) for s in structure]
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):  # namedtuple
            return type(structure)(*items)
        return type(structure)(items)
    return next(it)


def pack_sequence_as(structure: Any, flat: list[Any]) -> Any:
    """``flat`` in the shape of ``structure``; their leaf counts must agree."""
    n = len(flatten(structure))
    if n != len(flat):
        raise InvalidArgumentError(f"structure has {n} leaves but {len(flat)} values were given")
    return _rebuild(structure, iter(flat))


def map_structure(fn: Callable[..., Any], *structures: Any) -> Any:
    """``fn`` applied leaf by leaf to structures of the same shape."""
    flats = [flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise InvalidArgumentError("map_structure: the structures have different numbers of leaves")
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats, strict=True)])


def assert_same_structure(a: Any, b: Any) -> None:
    """Raise InvalidArgumentError unless ``a`` and ``b`` nest the same way (leaf types aside)."""
    if is_sequence(a) != is_sequence(b):
        raise InvalidArgumentError(f"the structures differ: {_describe(a)} vs {_describe(b)}")
    if not is_sequence(a):
        return
    if isinstance(a, Mapping) != isinstance(b, Mapping) or len(a) != len(b):
        raise InvalidArgumentError(f"the structures differ: {_describe(a)} vs {_describe(b)}")
    if isinstance(a, Mapping):
        if sorted(a) != sorted(b):
            raise InvalidArgumentError(f"the structures have different keys: {sorted(a)} vs {sorted(b)}")
        for k in a:
            assert_same_structure(a[k], b[k])
    else:
        for x, y in zip(a, b, strict=True):
            assert_same_structure(x, y)


def _describe(x: Any) -> str:
    if isinstance(x, Mapping):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_describe(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    return "x"
