"""The placer: gives every op of a graph one concrete device of a :class:`DeviceSet`.

Rules, applied in this order (TF1's placer, simplified):

1. **Colocation groups** are placed as one unit. A stateful op that names variables in its attrs
   (``Assign``, ``ApplyAdam`` with ``var``/``m``/``v``) joins each variable's group, so a variable lives
   where its updates run; a gradient op (``gradients/<op>_grad/...``) joins its forward op's group; an op
   built under ``tf.colocate_with(x)`` joins ``x``'s group.
2. **Pinned** ops (``with tf.device(...)``; nested scopes merge field by field) go to the device they ask
   for; the missing fields come from the default device (job and task of the default, ``CPU``, index 0).
   In a group, a variable's own pin wins over the other members' pins.
3. An **unpinned** op goes with its first already placed data input (forward pass in creation order),
   else with its first placed consumer (backward pass), else to the default device
   (``/job:localhost/replica:0/task:0/device:CPU:0`` in a process; task 0 of an MPI cluster).

A requested device that does not exist is an error naming the op and the device, unless
``allow_soft_placement`` is set: then the op falls back to the same task's device of that type with
index 0, else the task's CPU:0, else the default device. GPUs exist only where the GPU backend (CuPy with a
CUDA device) is available. ``log_device_placement`` prints one ``name: (Type): device`` line per op to
stderr, like TF1.

>>> import trainer as tf
>>> from trainer.placement import DeviceSet, place
>>> g = tf.Graph()
>>> with g.as_default():
...     a = tf.constant(1.0, name="a")
...     with tf.device("/cpu:1"):
...         b = tf.add(a, 1.0, name="b")
>>> devs = place(g.get_operations(), DeviceSet.local(cpus=2))
>>> devs[b.op]
'/job:localhost/replica:0/task:0/device:CPU:1'
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from trainer.device_spec import DeviceSpec, canonical_name
from trainer.errors import InvalidArgumentError, UnimplementedError
from trainer.graph import Operation

_GRAD_PREFIX = re.compile(r"^gradients(?:_\d+)?/")


@dataclass
class DeviceSet:
    """The devices a session may place ops on: ``tasks`` tasks of job ``job``, each with ``cpus`` CPU
    devices and ``gpus`` GPU devices. ``cpus=None`` means "any ``/cpu:N`` an op asks for exists" (virtual
    CPU devices made on demand, the default when ``device_count`` names no CPU count)."""

    job: str = "localhost"
    tasks: int = 1
    cpus: int | None = 1
    gpus: int = 0
    local_task: int = 0
    extra: set[str] = field(default_factory=set)

    @staticmethod
    def local(cpus: int | None = 1, gpus: int = 0) -> DeviceSet:
        return DeviceSet("localhost", 1, cpus, gpus, 0)

    @staticmethod
    def from_config(config: Any, job: str = "localhost", tasks: int = 1, local_task: int = 0) -> DeviceSet:
        """Devices from a ``ConfigProto``: ``device_count={"CPU": 4}`` gives four virtual CPU devices."""
        counts = dict(getattr(config, "device_count", None) or {})
        cpus = counts.get("CPU")
        gpus = min(int(counts.get("GPU", 1 << 30)), gpu_device_count())
        return DeviceSet(job, tasks, None if cpus is None else max(1, int(cpus)), gpus, local_task)

    def default_device(self) -> str:
        return canonical_name(self.job, 0, "CPU", 0)

    def exists(self, job: str, task: int, dtype: str, index: int) -> bool:
        if job != self.job or not 0 <= task < self.tasks or index < 0:
            return False
        if dtype == "CPU":
            return self.cpus is None or index < self.cpus
        return index < self.gpus

    def names(self) -> list[str]:
        cpus = self.cpus if self.cpus is not None else 1
        out = []
        for t in range(self.tasks):
            out += [canonical_name(self.job, t, "CPU", i) for i in range(cpus)]
            out += [canonical_name(self.job, t, "GPU", i) for i in range(self.gpus)]
        return out

    def task_of(self, device: str) -> int:
        return DeviceSpec.from_string(device).task or 0


def gpu_device_count() -> int:
    """CUDA devices usable through CuPy (0 when CuPy is not installed or finds no device)."""
    try:
        import cupy  # type: ignore[import-not-found]

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001 - any import or driver failure means "no GPU"
        return 0


class _Groups:
    """Union-find over ops (colocation groups)."""

    def __init__(self) -> None:
        self.parent: dict[Operation, Operation] = {}

    def find(self, op: Operation) -> Operation:
        p = self.parent.get(op, op)
        while p is not self.parent.get(p, p):
            p = self.parent.get(p, p)
        self.parent[op] = p
        return p

    def union(self, a: Operation, b: Operation) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            if rb._id < ra._id:
                ra, rb = rb, ra
            self.parent[rb] = ra


def forward_op_of(op: Operation, by_name: dict[str, Operation]) -> Operation | None:
    """The forward op whose gradient ``op`` belongs to (``gradients/dense/MatMul_grad/MatMul`` →
    ``dense/MatMul``), or None."""
    m = _GRAD_PREFIX.match(op.name)
    if m is None:
        return None
    parts = op.name[m.end() :].split("/")
    for k, part in enumerate(parts[:-1]):
        if part.endswith("_grad"):
            fwd = by_name.get("/".join(parts[:k] + [part[:-5]]))
            if fwd is not None and fwd is not op:
                return fwd
    return None


def colocation_groups(ops: Sequence[Operation]) -> _Groups:
    """Variables with the stateful ops that name them; gradient ops with their forward ops."""
    groups = _Groups()
    by_name = {op.name: op for op in ops}
    for op in ops:
        if op.type != "VariableV2":
            for v in op.attrs.values():
                if isinstance(v, str):
                    var = by_name.get(v)
                    if var is not None and var.type == "VariableV2":
                        groups.union(op, var)
        for c in op.colocate:
            groups.union(op, c)
        fwd = forward_op_of(op, by_name)
        if fwd is not None and (not op.device or op.device == fwd.device):
            groups.union(op, fwd)
    return groups


def resolve(op: Operation, ds: DeviceSet, soft: bool) -> str:
    """The concrete device for ``op``'s (pinned) request, with soft placement when allowed."""
    try:
        req = DeviceSpec.from_string(op.device)
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"operation '{op.name}' ({op.type}): {e}") from None
    default = DeviceSpec.from_string(ds.default_device())
    spec = default.replace(device_type=None, device_index=None).make_merged_spec(req)
    job, task = spec.job or ds.job, spec.task if spec.task is not None else 0
    dtype = spec.device_type or "CPU"
    index = spec.device_index if spec.device_index is not None else 0
    if ds.exists(job, task, dtype, index):
        return canonical_name(job, task, dtype, index)
    if soft:
        if ds.exists(job, task, dtype, 0):
            return canonical_name(job, task, dtype, 0)
        if ds.exists(job, task, "CPU", 0):
            return canonical_name(job, task, "CPU", 0)
        return ds.default_device()
    msg = (
        f"Cannot assign a device for operation '{op.name}' ({op.type}): the requested device "
        f"'{op.device}' does not exist"
    )
    if dtype == "GPU" and ds.gpus == 0:
        raise UnimplementedError(
            f"{msg}: no GPU is available (CuPy is not installed or finds no CUDA device). Pin the op to "
            "a CPU or set tf.ConfigProto(allow_soft_placement=True) to fall back to the CPU"
        )
    raise InvalidArgumentError(
        f"{msg}; available devices: {ds.names()}. Set tf.ConfigProto(allow_soft_placement=True) to fall back"
    )


def place(
    ops: Sequence[Operation],
    ds: DeviceSet,
    soft: bool = False,
    placed: dict[Operation, str] | None = None,
    errors: dict[Operation, Any] | None = None,
) -> dict[Operation, str]:
    """A device for every op of ``ops`` (creation order). Ops already in ``placed`` keep their device.

    Without ``errors`` a device that cannot be resolved raises. With it, the error is stored for every op of
    the group (which goes to the default device meanwhile), so a session fails only when it runs such an op.
    """
    out: dict[Operation, str] = dict(placed or {})
    groups = colocation_groups(ops)
    members: dict[Operation, list[Operation]] = {}
    for op in ops:
        members.setdefault(groups.find(op), []).append(op)
    consumers: dict[Operation, list[Operation]] = {}
    for op in ops:
        for t in op.inputs:
            consumers.setdefault(t.op, []).append(op)

    def put(op: Operation, dev: str) -> None:
        for m in members[groups.find(op)]:
            out.setdefault(m, dev)

    # A group with a pinned member: the variable's own pin first, then the first pinned member's.
    for root, ms in members.items():
        if any(m in out for m in ms):
            dev = next(out[m] for m in ms if m in out)
            put(root, dev)
            continue
        pinned = [m for m in ms if m.device]
        if pinned:
            var = next((m for m in pinned if m.type == "VariableV2"), pinned[0])
            try:
                put(root, resolve(var, ds, soft))
            except (InvalidArgumentError, UnimplementedError) as e:
                if errors is None:
                    raise
                for m in ms:
                    errors[m] = e
                put(root, ds.default_device())
    # Repeat the two passes while they place something: an op whose input's group is placed only by the
    # backward pass (Adam's ``beta1_power * beta1``, read by GPU updates) then follows that input too.
    changed = True
    while changed:
        before = len(out)
        for op in ops:
            if op not in out:
                dev = next((out[t.op] for t in op.inputs if t.op in out), None)
                if dev is not None:
                    put(op, dev)
        for op in reversed(ops):
            if op not in out:
                dev = next((out[c] for c in consumers.get(op, ()) if c in out), None)
                if dev is not None:
                    put(op, dev)
        changed = len(out) != before
    default = ds.default_device()
    for op in ops:
        if op not in out:
            put(op, default)
    return out


def log_placement(
    ops: Iterable[Operation], devices: dict[Operation, str], stream: TextIO | None = None
) -> None:
    """TF1's ``log_device_placement`` lines: ``dense/MatMul: (MatMul): /job:.../device:CPU:0``."""
    stream = stream or sys.stderr
    for op in ops:
        print(f"{op.name}: ({op.type}): {devices[op]}", file=stream)
