"""The global step: an int64 scalar variable ``global_step`` in the ``GLOBAL_STEP`` collection (TF1).

>>> import trainer as tf
>>> step = tf.train.get_or_create_global_step()
>>> step.op.name, step.dtype.name
('global_step', 'int64')
"""

from __future__ import annotations

from typing import Any

from trainer.dtypes import int64
from trainer.errors import InvalidArgumentError
from trainer.graph import GraphKeys, control_dependencies, get_default_graph, name_scope
from trainer.ops.array_ops import constant
from trainer.variables import Variable


def get_global_step(graph: Any = None) -> Any | None:
    """The graph's global step variable, or None when it has none."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise InvalidArgumentError(f"more than one variable in the GLOBAL_STEP collection: {found}")
    return found[0] if found else None


def create_global_step(graph: Any = None) -> Any:
    """Create the global step (0, int64, not trainable); an error when the graph already has one."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise InvalidArgumentError("the graph already has a global step")
    with graph.as_default(), name_scope(None), control_dependencies(None):
        step = Variable(
            constant(0, dtype=int64),
            trainable=False,
            name="global_step",
            dtype=int64,
            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP],
        )
    return step


def get_or_create_global_step(graph: Any = None) -> Any:
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def increment_global_step(global_step: Any, name: str | None = None) -> Any:
    """``global_step.assign_add(1)``."""
    return global_step.assign_add(constant(1, dtype=global_step.dtype), name=name)
