"""Control ops: ``no_op``, ``group`` and ``tuple`` (ordering through control dependencies)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from trainer.graph import (
    Operation,
    Tensor,
    apply_op,
    as_graph_element,
    control_dependencies,
    get_default_graph,
)
from trainer.ops.array_ops import identity
from trainer.registry import register


def no_op(name: str = "NoOp") -> Operation:
    return apply_op("NoOp", [], {}, name)


def _no_op_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return []


def _no_op_kernel(ctx: Any) -> None:
    return None


register("NoOp", shape=_no_op_shape, kernel=_no_op_kernel, not_differentiable=True)


def group(*inputs: Any, name: str = "group_deps") -> Operation:
    """An op that runs after all ``inputs`` (ops or tensors)."""
    g = get_default_graph()
    ops = []
    for x in inputs:
        for y in x if isinstance(x, (list, builtins.tuple)) else [x]:
            if y is None:
                continue
            el = as_graph_element(y, g)
            ops.append(el if isinstance(el, Operation) else el.op)
    with control_dependencies(ops):
        return no_op(name=name)


def tuple(
    tensors: Sequence[Any], name: str = "tuple", control_inputs: Sequence[Any] | None = None
) -> list[Any]:  # noqa: A001
    """Identities of ``tensors`` that are only available once all of them (and ``control_inputs``) are."""
    deps = [t for t in tensors if t is not None] + list(control_inputs or [])
    gate = group(*deps, name=name + "/control_dependency") if deps else None
    out = []
    with control_dependencies([gate] if gate is not None else []):
        for t in tensors:
            out.append(None if t is None else identity(t))
    return out
