"""Graph-level and op-level random seeds with TensorFlow 1 semantics.

* graph seed set, op seed not: the op seed is derived from the op's position in the graph (deterministic);
* op seed set, graph seed not: a fixed default graph seed is used;
* neither: each session draws a fresh, non-deterministic sequence.

Each random op keeps its own generator per session, so a fixed (graph seed, op seed) pair gives the same
sequence of values across sessions and programs.
"""

from __future__ import annotations

from trainer.graph import get_default_graph

DEFAULT_GRAPH_SEED = 87654321


def set_random_seed(seed: int | None) -> None:
    """Set the graph-level seed of the default graph (``tf.set_random_seed(1234)``)."""
    get_default_graph().seed = None if seed is None else int(seed)


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """``(graph_seed, op_seed)`` for a new random op in the default graph."""
    g = get_default_graph()
    if g.seed is not None:
        return g.seed, int(op_seed) if op_seed is not None else len(g._ops)
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, int(op_seed)
    return None, None
