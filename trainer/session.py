"""``Session``: runs (parts of) a graph with numpy kernels, holding the variables' values.

``run(fetches, feed_dict)`` compiles, once per (fetches, feed keys) signature, a flat execution plan: the
ops the fetches need (feeds cut the graph) in creation order, which is topological, each as one
:class:`Step` record (its kernel, its kernel context, the slot numbers of its inputs and outputs, the slots
to free after it). Running a plan is one loop over that list; nothing walks the graph again.

Devices: the placer (:mod:`trainer.placement`) gives every op a device of the session's device set
(``ConfigProto(device_count={"CPU": 4})`` makes four virtual CPU devices), and the partitioner
(:mod:`trainer.partition`) cuts the ops into one subgraph per device joined by ``_Send``/``_Recv`` pairs.
There is one compiler for every case: a single device is simply one partition (no pairs). Each partition
has its own value slots, values cross only through the rendezvous, and the partitions run interleaved in
the one global topological order, so the result equals the single-device run bit for bit. With
``target="mpi://"`` the devices are the MPI ranks' (``/job:worker/task:K``), every rank compiles the same
plan and runs its own partitions, and the rendezvous is MPI point-to-point (see ``docs/distributed.md``).

GPUs: ops on ``/gpu:N`` run their kernels on CuPy with device N current (:mod:`trainer.backend`). A value
fed to a GPU partition is copied to the device here, a value fetched from one comes back as a numpy copy,
and between partitions tensors move only in ``_Send``/``_Recv`` (``docs/gpu.md``).

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 2])
>>> with tf.Session() as sess:
...     print(sess.run(x * 2, feed_dict={x: [[1, 2]]}))
[[2. 4.]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from trainer.allocator import tune_allocator
from trainer.backend import get_backend
from trainer.distributed import cluster
from trainer.errors import InternalError, InvalidArgumentError, TensorletError
from trainer.graph import (
    Graph,
    Operation,
    Tensor,
    _session_stack,
    as_graph_element,
    get_default_graph,
    get_default_session,  # noqa: F401 - the session API re-exports it
)
from trainer.ops.fusion import fuse_steps
from trainer.partition import PartitionSet, partition
from trainer.placement import DeviceSet, log_placement, place
from trainer.registry import KernelContext, get_op_def
from trainer.rendezvous import LocalRendezvous

# Ops whose output may be (a view of) a variable's storage or a read-only constant: their fetched values
# are copied, so a later in-place update never changes an array the caller holds (and it is writable).
_MAY_ALIAS_STATE = {
    "Const",
    "PlaceholderWithDefault",
    "VariableV2",
    "Identity",
    "Reshape",
    "StridedSlice",
    "Squeeze",
    "ExpandDims",
    "Slice",
    "StopGradient",
    "Transpose",
    "Unpack",
    "Split",
}


class Step(NamedTuple):
    """One kernel call of a compiled plan. A NamedTuple: the hot loop unpacks it as fast as a plain tuple."""

    kernel: Callable[..., Any]
    ctx: KernelContext
    n_inputs: int
    in0: int  # slot of the first input (0 when none): one- and two-input kernels are called without a list
    in1: int  # slot of the second input (0 when fewer)
    inputs: tuple[int, ...]
    out: Any  # the output's slot, or a tuple of slots when ``multi``
    multi: bool
    free: tuple[int, ...]  # slots whose values no later step reads: dropped right after this step
    partition: int  # the partition whose slot table the slots index
    op: Operation


class Feed(NamedTuple):
    """A fed tensor, with what checking a fed value needs."""

    tensor: Tensor
    dtype: np.dtype
    dims: tuple[int | None, ...] | None


class Fetch(NamedTuple):
    partition: int  # -1: not computed by a partition (an Operation, or a fed tensor)
    slot: int  # the slot in that partition; for partition -1, the feed's index (-1 for an Operation)
    copy: bool  # the value may alias variable storage or a constant: hand out a copy


@dataclass
class _Plan:
    """What one ``run`` signature executes: the placed ops cut into partitions (a single device is one
    partition), each with its own slot table; ``steps`` in the one global topological order."""

    partitions: PartitionSet
    partitioned: bool  # more than one device (or an MPI session): values cross through the rendezvous
    devices: list[Any] = field(default_factory=list)  # per partition: its GPU backend, or None (host)
    n_slots: list[int] = field(default_factory=list)
    feed_info: list[Feed] = field(default_factory=list)
    feeds: list[list[tuple[int, int]]] = field(default_factory=list)  # per feed: (partition, slot) it fills
    steps: list[Step] = field(default_factory=list)
    fetches: list[Fetch] = field(default_factory=list)


def _flatten(fetches: Any, leaves: list[Any]) -> Any:
    """Collect the leaves of a nested fetch structure; return a spec to rebuild it."""
    if isinstance(fetches, (list, tuple)):
        specs = [_flatten(f, leaves) for f in fetches]
        return (type(fetches), specs)
    if isinstance(fetches, Mapping):
        return (type(fetches), [(k, _flatten(v, leaves)) for k, v in fetches.items()])
    leaves.append(fetches)
    return len(leaves) - 1


def _rebuild(spec: Any, results: list[Any]) -> Any:
    if isinstance(spec, int):
        return results[spec]
    kind, items = spec
    if issubclass(kind, Mapping):
        return (
            kind((k, _rebuild(s, results)) for k, s in items)
            if kind is not dict
            else {k: _rebuild(s, results) for k, s in items}
        )
    vals = [_rebuild(s, results) for s in items]
    if kind is list:
        return vals
    if kind is tuple:
        return tuple(vals)
    if hasattr(kind, "_make"):  # namedtuple
        return kind._make(vals)
    return kind(vals)


def _as_fetch(obj: Any, graph: Graph) -> Tensor | Operation:
    try:
        el = as_graph_element(obj, graph)
    except TensorletError as e:
        raise InvalidArgumentError(f"fetch {obj!r}: {e}") from None
    if el.graph is not graph:
        raise InvalidArgumentError(f"fetch {obj!r} belongs to another graph than the session's")
    return el


class Session:
    """Runs ops of ``graph`` (the default graph when None). ``config`` is a ``ConfigProto`` (stored)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        tune_allocator()  # large per-step temporaries stay in the heap (trainer/allocator.py)
        self.graph = graph if graph is not None else get_default_graph()
        self.target = target
        self.config = config
        self._variables: dict[str, Any] = {}
        self._plans: dict[Any, _Plan] = {}
        self._contexts: dict[Operation, KernelContext] = {}
        self._step_cache: dict[Any, Any] = {}
        self._closed = False
        self._graph_ctx: Any = None
        if target and not str(target).startswith("mpi"):
            raise InvalidArgumentError(
                f"Session target {target!r}: only '' (this process) and 'mpi://' exist"
            )
        self._devset: DeviceSet | None = None
        self._cluster: Any = None  # the MPI cluster of an "mpi://" session
        self._placement: dict[Operation, str] = {}
        self._placement_errors: dict[Operation, TensorletError] = {}
        self._placed_version = -1
        self._logged: set[Operation] = set()
        self._rendezvous: Any = None
        self._step_id = 0

    # ---- context manager / default session ------------------------------------------------------------
    def __enter__(self) -> Session:
        _session_stack.append(self)
        self._graph_ctx = self.graph.as_default()
        self._graph_ctx.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._graph_ctx.__exit__(*exc)
        self._graph_ctx = None
        if _session_stack and _session_stack[-1] is self:
            _session_stack.pop()
        if exc and exc[0] is not None and self._rendezvous is not None:
            self._rendezvous = None  # failing: do not wait on peers that may be gone
        self.close()

    def as_default(self) -> Any:
        return _DefaultSession(self)

    def close(self) -> None:
        flush = getattr(self._rendezvous, "flush", None)
        if flush is not None and not self._closed:
            try:  # deliver what this rank still owes the others (a dead peer makes this time out)
                flush()
            except TensorletError:
                pass
        self._closed = True
        self._variables.clear()
        self._plans.clear()
        self._contexts.clear()

    @property
    def graph_def(self) -> list[dict[str, Any]]:
        return [op.node_def for op in self.graph.get_operations()]

    # ---- running ------------------------------------------------------------------------------------
    def run(
        self, fetches: Any, feed_dict: dict | None = None, options: Any = None, run_metadata: Any = None
    ) -> Any:
        """Compute ``fetches`` (Tensor, Operation, name, or nested list/tuple/dict/namedtuple of them)."""
        if self._closed:
            raise InvalidArgumentError("attempted to use a closed Session")
        single = isinstance(fetches, (Tensor, Operation, str)) or hasattr(fetches, "_as_graph_element")
        if single:
            leaves = [fetches]
            spec: Any = 0
        else:
            leaves = []
            spec = _flatten(fetches, leaves)
        feed_dict = feed_dict or {}
        key = (tuple(leaves), tuple(feed_dict))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(leaves, list(feed_dict))
            self._plans[key] = plan
        results = self._execute(plan, feed_dict)
        return results[0] if single else _rebuild(spec, results)

    # ---- devices ----------------------------------------------------------------------------------------
    def _devices(self) -> DeviceSet:
        if self._devset is None:
            if self.target:
                self._cluster = cluster()
                self._devset = DeviceSet.from_config(
                    self.config, "worker", self._cluster.size, self._cluster.rank
                )
                self._rendezvous = self._cluster.rendezvous()
            else:
                self._devset = DeviceSet.from_config(self.config)
                self._rendezvous = LocalRendezvous()
        return self._devset

    def _place(self, ops: list[Operation]) -> dict[Operation, str]:
        """Devices of the whole graph (placed again, keeping earlier decisions, when the graph grew); raises
        the placement error of any op among ``ops``."""
        g = self.graph
        if self._placed_version != g.version:
            soft = bool(getattr(self.config, "allow_soft_placement", False))
            self._placement = place(
                g.get_operations(), self._devices(), soft, self._placement, self._placement_errors
            )
            self._placed_version = g.version
        for op in ops:
            err = self._placement_errors.get(op)
            if err is not None:
                raise err
        if getattr(self.config, "log_device_placement", False):
            new = [op for op in ops if op not in self._logged]
            log_placement(new, self._placement)
            self._logged.update(new)
        return self._placement

    def _compile(self, leaves: list[Any], feed_keys: list[Any]) -> _Plan:
        """Prune to what the fetches need, schedule, place, cut into partitions (one per device; a single
        device is one partition) and give every partition a slot table and every op a :class:`Step`."""
        g = self.graph
        fed_list: list[Tensor] = []
        for k in feed_keys:
            t = _as_fetch(k, g)
            if not isinstance(t, Tensor):
                raise InvalidArgumentError(f"feed key {k!r} is an Operation; feed a Tensor")
            if t in fed_list:
                raise InvalidArgumentError(f"tensor {t.name} is fed twice")
            fed_list.append(t)
        fed = set(fed_list)
        targets = [_as_fetch(x, g) for x in leaves]
        schedule = _schedule(_needed(targets, fed))
        for op in schedule:
            if op.type == "Placeholder":
                _unfed(op)
        devices = self._place(schedule)
        if self._cluster is not None:
            self._cluster.check_same_graph(self.graph, leaves, feed_keys)

        ds = self._devices()
        mpi = self._cluster is not None
        fetch_ts = [x for x in targets if isinstance(x, Tensor)]
        clients = [f"/job:{ds.job}/replica:0/task:{k}/device:CPU:0" for k in range(ds.tasks)]
        ps = partition(schedule, devices, fed, fetch_ts, clients if mpi else [])
        local_task = ds.local_task
        names = sorted(ps.partitions)
        index = {d: i for i, d in enumerate(names)}
        local = [not mpi or ds.task_of(d) == local_task for d in names]
        plan = _Plan(ps, partitioned=mpi or len(names) > 1, n_slots=[1] * len(names))
        slots: list[dict[Tensor, int]] = [{} for _ in names]

        def slot(p: int, t: Tensor) -> int:
            s = slots[p].get(t)
            if s is None:
                s = slots[p][t] = plan.n_slots[p]
                plan.n_slots[p] += 1
            return s

        readers: dict[Tensor, list[int]] = {t: [] for t in fed}
        for dev, op in ps.order:
            for t in ps.inputs_of.get(op, op.inputs):
                if t in fed and index[dev] not in readers[t]:
                    readers[t].append(index[dev])
        steps: list[Step] = []
        for dev, op in ps.order:
            p = index[dev]
            if not local[p]:
                continue
            ctx = self._context(op, dev)
            ins = tuple(slot(p, t) for t in ps.inputs_of.get(op, op.inputs))
            if len(op.outputs) == 1:
                out: Any = slot(p, op.outputs[0])
                multi = False
            elif not op.outputs:
                out, multi = 0, False
            else:
                out, multi = tuple(slot(p, t) for t in op.outputs), True
            n = len(ins)
            kernel = _kernel(get_op_def(op.type), ctx)
            in0, in1 = ins[0] if n else 0, ins[1] if n > 1 else 0
            steps.append(Step(kernel, ctx, n, in0, in1, ins, out, multi, (), p, op))
        for d in names:
            b = get_backend(d) if local[index[d]] else None
            plan.devices.append(None if b is None or b.is_host else b)
        for t in fed_list:
            plan.feed_info.append(Feed(t, t.dtype.np, t.shape.dims))
            plan.feeds.append([(p, slot(p, t)) for p in readers[t] if local[p]])
        my_client = clients[local_task]
        for x in targets:
            if isinstance(x, Operation):
                plan.fetches.append(Fetch(-1, -1, False))
                continue
            if x in fed:
                plan.fetches.append(Fetch(-1, fed_list.index(x), False))
                continue
            src = devices[x.op]
            if mpi and src != my_client:
                p, t = index[my_client], ps.fetch_recv[(x, my_client)]
                if ds.task_of(src) == local_task:
                    p, t = index[src], x
            else:
                p, t = index[src], x
            opdef = get_op_def(x.op.type)
            plan.fetches.append(Fetch(p, slot(p, t), opdef.stateful or x.op.type in _MAY_ALIAS_STATE))
        keep = {(f.partition, f.slot) for f in plan.fetches if f.partition >= 0}
        plan.steps = _with_frees(fuse_steps(steps, keep), plan.fetches)  # trainer/ops/fusion.py
        return plan

    def _run_steps(self, steps: list[Step], valss: list[list[Any]]) -> None:
        """Run compiled steps; partition ``p``'s values live in ``valss[p]``. The training hot loop."""
        step: Any = None
        self._step_cache.clear()
        try:
            for step in steps:
                kernel, ctx, n, i0, i1, ins, out, multi, free, p, _ = step
                vals = valss[p]
                if n == 1:
                    r = kernel(ctx, vals[i0])
                elif n == 2:
                    r = kernel(ctx, vals[i0], vals[i1])
                elif n == 0:
                    r = kernel(ctx)
                else:
                    r = kernel(ctx, *[vals[i] for i in ins])
                if multi:
                    for o, v in zip(out, r, strict=False):
                        vals[o] = v
                else:
                    vals[out] = r
                for i in free:
                    vals[i] = None
        except TensorletError:
            raise
        except (ValueError, IndexError, TypeError, FloatingPointError, ZeroDivisionError) as e:
            op = step.op
            raise InvalidArgumentError(f"{op.name} ({op.type}): {e}") from e
        finally:
            self._step_cache.clear()

    def _execute(self, plan: _Plan, feed_dict: dict) -> list[Any]:
        """Feed, run, fetch: the only place where fed values go to a GPU and fetched ones come back."""
        valss: list[list[Any]] = [[None] * n for n in plan.n_slots]
        fed_values = []
        for (t, npd, dims), targets, v in zip(plan.feed_info, plan.feeds, feed_dict.values(), strict=False):
            v = _check_feed(t, npd, dims, v)
            fed_values.append(v)
            for p, s in targets:
                dev = plan.devices[p]
                valss[p][s] = v if dev is None else dev.to_device(v)  # a feed read on a GPU
        if plan.partitioned:
            self._step_id += 1  # keeps the rendezvous keys of consecutive runs apart
        self._run_steps(plan.steps, valss)
        res = []
        for p, s, c in plan.fetches:
            if p < 0:
                res.append(None if s < 0 else fed_values[s])
            elif plan.devices[p] is not None:  # fetched from a GPU: a fresh numpy copy
                res.append(plan.devices[p].to_numpy(valss[p][s]))
            else:
                v = valss[p][s]
                res.append(np.array(v) if c else v)
        return res

    def _context(self, op: Operation, device: str) -> KernelContext:
        ctx = self._contexts.get(op)
        if ctx is None:
            try:
                backend = get_backend(device)
            except TensorletError as e:
                raise type(e)(f"operation '{op.name}' ({op.type}): {e}") from None
            ctx = self._contexts[op] = KernelContext(op, backend, self._variables, self)
        return ctx

    def _bind_kernel(self, op: Operation, ctx: KernelContext) -> Any:
        """``op``'s kernel as a plan step calls it (on a GPU wrapped to run with its device current): what a
        control-flow op's kernel uses to run the ops of its branches or body (trainer/ops/_body.py)."""
        return _kernel(get_op_def(op.type), ctx)

    def _rng_for(self, op: Operation) -> np.random.Generator:
        seed, seed2 = op.attrs.get("seed"), op.attrs.get("seed2")
        if seed is None and seed2 is None:
            return np.random.default_rng()
        return np.random.default_rng([int(seed or 0), int(seed2 or 0)])

    def make_callable(self, fetches: Any, feed_list: list[Any] | None = None) -> Any:
        feed_list = list(feed_list or [])

        def call(*args: Any) -> Any:
            return self.run(fetches, dict(zip(feed_list, args, strict=False)))

        return call


def _kernel(opdef: Any, ctx: KernelContext) -> Any:
    """The op's kernel; on a GPU wrapped to run with the op's CUDA device current."""
    if ctx.backend.is_host:
        return opdef.kernel
    kernel, scope, errors = opdef.kernel, ctx.backend.scope(), ctx.backend.errors

    def on_device(*args: Any) -> Any:
        try:
            with scope:
                return kernel(*args)
        except errors as e:  # out of GPU memory, a failing driver: say which op and device
            op = ctx.op
            raise InternalError(f"{op.name} ({op.type}) on {ctx.device}: {type(e).__name__}: {e}") from e

    on_device.__name__ = f"{opdef.type}_on_{ctx.backend.device_type}{ctx.backend.index}"
    return on_device


def _needed(targets: list[Tensor | Operation], fed: set[Tensor]) -> dict[Operation, None]:
    """The ops the targets depend on through data and control edges; a fed tensor cuts its producer."""
    needed: dict[Operation, None] = {}
    stack = [
        x if isinstance(x, Operation) else x.op for x in targets if not (isinstance(x, Tensor) and x in fed)
    ]
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        if op._cf is not None:
            raise InvalidArgumentError(
                f"operation '{op.name}' is inside the {op._cf.kind} body {op._cf.name} of a cond or "
                f"while_loop and runs only there; fetch (or depend on) the cond's or loop's outputs instead"
            )
        needed[op] = None
        for t in op.inputs:
            if t not in fed:
                stack.append(t.op)
        stack.extend(op.control_inputs)
    return needed


def _with_frees(steps: list[Step], fetches: list[Fetch]) -> list[Step]:
    """``steps`` with each intermediate value dropped after its last use within its partition (fetched
    values are kept), so big arrays go back to the allocator while the step runs (lower peak memory, warm
    reuse) instead of all living until the end."""
    keep = {(f.partition, f.slot) for f in fetches if f.partition >= 0}
    last: dict[tuple[int, int], int] = {}
    for k, st in enumerate(steps):
        for i in st.inputs:
            last[(st.partition, i)] = k
        for o in st.out if st.multi else (st.out,):
            last.setdefault((st.partition, o), k)
    frees: list[list[int]] = [[] for _ in steps]
    for (p, s), k in last.items():
        if (p, s) not in keep and s != 0:
            frees[k].append(s)
    return [st._replace(free=tuple(f)) for st, f in zip(steps, frees, strict=True)]


def _schedule(needed: dict[Operation, None]) -> list[Operation]:
    """Creation order (a topological order), except that each variable read moves to just before its first
    consumer: a read then sees assignments that its consumers are control-dependent on (TF1 ref semantics),
    and ``with tf.control_dependencies([v.initializer]): v + 1`` works in a fresh session."""
    order: list[Operation] = []
    pending = set()
    for op in sorted(needed, key=lambda o: o._id):
        if op.type == "VariableV2":
            pending.add(op)
            continue
        for t in op.inputs:
            if t.op in pending:
                pending.discard(t.op)
                order.append(t.op)
        order.append(op)
    order.extend(sorted(pending, key=lambda o: o._id))
    return order


def _unfed(op: Operation) -> None:
    t = op.outputs[0]
    raise InvalidArgumentError(
        f"You must feed a value for placeholder tensor '{op.name}' with dtype {t.dtype.name} "
        f"and shape {t.shape}"
    )


def _bytes_array(arr: np.ndarray) -> np.ndarray:
    encode = np.vectorize(lambda v: v.encode() if isinstance(v, str) else v, otypes=[object])
    return encode(arr) if arr.size else arr.astype(object)


def _check_feed(t: Tensor, npd: np.dtype, dims: tuple[int | None, ...] | None, v: Any) -> Any:
    if type(v) is not np.ndarray or v.dtype != npd:
        arr = np.asarray(v)
        if npd.kind == "O" and arr.dtype.kind in "OUS":  # a string tensor holds bytes, as TF's does
            arr = _bytes_array(arr)
        if arr.dtype != npd:
            if arr.dtype.kind in "OUSV":
                raise InvalidArgumentError(f"cannot feed {type(v).__name__} to tensor {t.name}")
            conv = arr.astype(npd)
            lossy = (npd.kind in "iub" and arr.dtype.kind in "fc") or (
                npd.kind in "iu" and arr.dtype.kind in "iu" and not np.can_cast(arr.dtype, npd)
            )
            if lossy and not np.array_equal(conv, arr):
                raise InvalidArgumentError(
                    f"cannot feed value of dtype {arr.dtype} to tensor {t.name} of dtype {t.dtype.name} "
                    f"without loss"
                )
            arr = conv
        v = arr
    if dims is not None:
        shp = v.shape
        if len(shp) != len(dims) or any(d is not None and d != s for d, s in zip(dims, shp, strict=False)):
            raise InvalidArgumentError(
                f"cannot feed value of shape {shp} for tensor {t.name}, which has shape {t.shape}"
            )
    return v


class _DefaultSession:
    def __init__(self, sess: Session) -> None:
        self.sess = sess

    def __enter__(self) -> Session:
        _session_stack.append(self.sess)
        return self.sess

    def __exit__(self, *exc: Any) -> None:
        _session_stack.pop()


class InteractiveSession(Session):
    """A session that installs itself (and its graph) as the default on construction."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: Any = None) -> None:
        super().__init__(target, graph, config)
        _session_stack.append(self)
        self._graph_ctx = self.graph.as_default()
        self._graph_ctx.__enter__()

    def close(self) -> None:
        if self._graph_ctx is not None:
            if self in _session_stack:
                _session_stack.remove(self)
            try:
                self._graph_ctx.__exit__(None, None, None)
            except IndexError:
                pass
            self._graph_ctx = None
        super().close()
