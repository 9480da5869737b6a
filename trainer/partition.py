"""The partitioner: splits a placed, scheduled set of ops into one subgraph per device.

Every data edge whose producer and consumer sit on different devices is cut: the producer's device gets a
``_Send`` of the tensor, the consumer's device a ``_Recv``, and the consumer reads the ``_Recv``'s output.
There is one ``_Recv`` per (tensor, destination device), however many ops there consume the tensor, and one
``_Send`` per ``_Recv``. The pair shares a rendezvous key ``(tensor name, source device, destination
device)``; the executor adds the step number (:mod:`trainer.rendezvous`).

Fed tensors are not cut: the client hands the fed value to every partition that reads it. Fetched tensors
that live on a device whose process is not the client's (an MPI rank fetching a tensor of another rank) are
sent to each ``client_devices`` entry. Control edges are not cut: every partition runs in the one global
topological order (in a process the executor interleaves them in that order; across MPI ranks every rank
runs the same plan), so a control dependency between devices only prunes and orders, never carries a value.

The ``_Send``/``_Recv`` operations are built in a private :class:`~trainer.graph.Graph` (``comm_graph``)
and never enter the user's graph. ``to_dot()`` writes all partitions as Graphviz DOT, one cluster per device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trainer.graph import Graph, Operation, Tensor
from trainer.ops import comm_ops


@dataclass
class Partition:
    """The ops one device runs, in execution order (original ops plus ``_Send``/``_Recv``)."""

    device: str
    nodes: list[Operation] = field(default_factory=list)


@dataclass
class PartitionSet:
    partitions: dict[str, Partition]
    order: list[tuple[str, Operation]]  # every node of every partition in the global execution order
    pairs: list[tuple[Operation, Operation]]  # (_Send, _Recv)
    inputs_of: dict[Operation, tuple[Tensor, ...]]  # the inputs each original op reads in its partition
    fetch_recv: dict[tuple[Tensor, str], Tensor]  # (fetched tensor, client device) -> _Recv output
    comm_graph: Graph

    def to_dot(self) -> str:
        """Graphviz DOT: one cluster per device; Send→Recv edges dashed."""
        lines = ["digraph partitions {", "  rankdir=TB;", "  node [shape=box, fontsize=10];"]
        ids: dict[Operation, str] = {}
        for k, (dev, part) in enumerate(sorted(self.partitions.items())):
            lines.append(f"  subgraph cluster_{k} {{")
            lines.append(f"    label={_q(dev)};")
            for op in part.nodes:
                ids[op] = f"n{len(ids)}"
                style = ', style=filled, fillcolor="#ffe0b0"' if op.type in ("_Send", "_Recv") else ""
                lines.append(f"    {ids[op]} [label={_q(op.name + chr(10) + op.type)}{style}];")
            lines.append("  }")
        for _dev, part in sorted(self.partitions.items()):
            for op in part.nodes:
                for t in self.inputs_of.get(op, op.inputs):
                    if t.op in ids:
                        lines.append(f"  {ids[t.op]} -> {ids[op]} [label={_q(t.name)}];")
        for s, r in self.pairs:
            lines.append(f"  {ids[s]} -> {ids[r]} [style=dashed, color=red];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def partition(
    schedule: Sequence[Operation],
    devices: dict[Operation, str],
    fed: set[Tensor] | frozenset[Tensor] = frozenset(),
    fetches: Sequence[Tensor] = (),
    client_devices: Sequence[str] = (),
) -> PartitionSet:
    """Cut the ops of ``schedule`` (a topological order) by their ``devices``."""
    comm = Graph()
    parts: dict[str, Partition] = {}
    order: list[tuple[str, Operation]] = []
    pairs: list[tuple[Operation, Operation]] = []
    recv: dict[tuple[Tensor, str], Tensor] = {}
    inputs_of: dict[Operation, tuple[Tensor, ...]] = {}

    def emit(dev: str, op: Operation) -> None:
        parts.setdefault(dev, Partition(dev)).nodes.append(op)
        order.append((dev, op))

    def cut(t: Tensor, dst: str) -> Tensor:
        r = recv.get((t, dst))
        if r is None:
            src = devices[t.op]
            send, rop = comm_ops.make_pair(comm, t, src, dst, len(pairs))
            emit(src, send)
            emit(dst, rop)
            pairs.append((send, rop))
            r = recv[(t, dst)] = rop.outputs[0]
        return r

    for op in schedule:
        dev = devices[op]
        new_inputs = tuple(t if t in fed or devices[t.op] == dev else cut(t, dev) for t in op.inputs)
        if new_inputs != op.inputs:
            inputs_of[op] = new_inputs
        emit(dev, op)
    fetch_recv: dict[tuple[Tensor, str], Tensor] = {}
    for t in fetches:
        if t in fed:
            continue
        for c in client_devices:
            if devices[t.op] != c:
                fetch_recv[(t, c)] = cut(t, c)
    return PartitionSet(parts, order, pairs, inputs_of, fetch_recv, comm)


def crossing_pairs(
    schedule: Sequence[Operation],
    devices: dict[Operation, str],
    fed: set[Tensor] | frozenset[Tensor] = frozenset(),
) -> set[tuple[str, str]]:
    """The (tensor name, destination device) pairs whose edge crosses devices (what must be cut)."""
    return {
        (t.name, devices[op])
        for op in schedule
        for t in op.inputs
        if t not in fed and devices[t.op] != devices[op]
    }


def session_partitions(session: Any, fetches: Any, feeds: Sequence[Any] = ()) -> PartitionSet | None:
    """The partitions ``session`` (a :class:`~trainer.session.Session`) runs for ``fetches`` with ``feeds``
    fed (None when one device runs everything): ``session_partitions(sess, train_op, [x, y]).to_dot()``."""
    leaves = list(fetches) if isinstance(fetches, (list, tuple)) else [fetches]
    key = (tuple(leaves), tuple(feeds))
    plan = session._plans.get(key)
    if plan is None:
        plan = session._plans[key] = session._compile(leaves, list(feeds))
    return plan.partitions if plan.partitioned else None
