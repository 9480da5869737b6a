"""``Session``: runs (parts of) a graph with numpy kernels, holding the variables' values.

``run(fetches, feed_dict)`` compiles, once per (fetches, feed keys) signature, a flat execution plan: the
ops the fetches need (feeds cut the graph) in creation order, which is topological, each with its kernel,
its kernel context and the slot numbers of its inputs and outputs. Running a plan is one loop over that
list; nothing walks the graph again.

Devices: the placer (:mod:`trainer.placement`) gives every op a device of the session's device set
(``ConfigProto(device_count={"CPU": 4})`` makes four virtual CPU devices). When a plan's ops all sit on one
device it runs as above. Otherwise the partitioner (:mod:`trainer.partition`) cuts it into one subgraph
per device joined by ``_Send``/``_Recv`` pairs; each partition has its own value slots, values cross only
through the rendezvous, and the partitions run interleaved in the one global topological order, so the
result equals the single-device run bit for bit. With ``target="mpi://"`` the devices are the MPI ranks'
(``/job:worker/task:K``), every rank compiles the same plan and runs its own partitions, and the rendezvous
is MPI point-to-point (see ``docs/distributed.md``).

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

from collections.abc import Mapping
from typing import Any

import numpy as np

from trainer.backend import get_backend
from trainer.errors import InternalError, InvalidArgumentError, TensorletError
from trainer.graph import Graph, Operation, Tensor, as_graph_element, get_default_graph
from trainer.placement import DeviceSet, log_placement, place
from trainer.registry import KernelContext, get_op_def

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


class _PartitionedPlan:
    """Per-device slot tables; ``steps`` in the global order, as ``_run_steps`` takes them."""

    __slots__ = ("n_slots", "feeds", "feed_info", "steps", "fetches", "copy", "partitions", "devices")

    def __init__(self) -> None:
        self.devices: list[Any] = []  # per partition: its GPU backend, or None for a host (numpy) one
        self.n_slots: list[int] = []
        self.feeds: list[list[tuple[int, int]]] = []  # per feed: the (partition, slot) pairs it fills
        self.feed_info: list[tuple[Tensor, np.dtype, Any]] = []
        self.steps: list[tuple[Any, ...]] = []
        self.fetches: list[tuple[int, int]] = []  # (partition, slot); (-1, feed index) for a fed tensor
        self.copy: list[bool] = []
        self.partitions: Any = None


class _Plan:
    __slots__ = ("n_slots", "feeds", "steps", "fetch_slots", "copy", "device")

    def __init__(self) -> None:
        self.device: Any = None  # the GPU backend when every op runs on one GPU, else None (host arrays)
        self.n_slots = 1
        self.feeds: list[tuple[int, Tensor, np.dtype, tuple[int | None, ...] | None]] = []
        self.steps: list[tuple[Any, ...]] = []
        self.fetch_slots: list[int] = []  # -1 for an Operation fetch
        self.copy: list[bool] = []


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
        if type(plan) is _Plan:
            results = self._execute(plan, feed_dict)
        else:
            results = self._execute_partitioned(plan, feed_dict)
        return results[0] if single else _rebuild(spec, results)

    # ---- devices ----------------------------------------------------------------------------------------
    def _devices(self) -> DeviceSet:
        if self._devset is None:
            from trainer.rendezvous import LocalRendezvous

            if self.target:
                from trainer.distributed import cluster

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

    def _compile(self, leaves: list[Any], feed_keys: list[Any]) -> Any:
        g = self.graph
        plan = _Plan()
        slots: dict[Tensor, int] = {}

        def slot(t: Tensor) -> int:
            s = slots.get(t)
            if s is None:
                s = slots[t] = plan.n_slots
                plan.n_slots += 1
            return s

        fed: set[Tensor] = set()
        for k in feed_keys:
            t = _as_fetch(k, g)
            if not isinstance(t, Tensor):
                raise InvalidArgumentError(f"feed key {k!r} is an Operation; feed a Tensor")
            if t in fed:
                raise InvalidArgumentError(f"tensor {t.name} is fed twice")
            fed.add(t)
            dims = t.shape.dims
            plan.feeds.append((slot(t), t, t.dtype.np, dims))
        targets = [_as_fetch(x, g) for x in leaves]
        needed: dict[Operation, None] = {}
        stack = [
            x if isinstance(x, Operation) else x.op
            for x in targets
            if not (isinstance(x, Tensor) and x in fed)
        ]
        while stack:
            op = stack.pop()
            if op in needed:
                continue
            needed[op] = None
            for t in op.inputs:
                if t not in fed:
                    stack.append(t.op)
            stack.extend(op.control_inputs)
        schedule = _schedule(needed)
        for op in schedule:
            if op.type == "Placeholder":
                _unfed(op)
        devices = self._place(schedule)
        if self._cluster is not None:
            self._cluster.check_same_graph(self.graph, leaves, feed_keys)
        if self._cluster is not None or len({devices[op] for op in schedule}) > 1:
            return self._compile_partitioned(schedule, devices, targets, [t for _, t, _, _ in plan.feeds])
        for op in schedule:
            opdef = get_op_def(op.type)
            ctx = self._context(op, devices[op])
            if not ctx.backend.is_host:
                plan.device = ctx.backend
            ins = tuple(slot(t) for t in op.inputs)
            if len(op.outputs) == 1:
                out: Any = slot(op.outputs[0])
                multi = False
            elif not op.outputs:
                out, multi = 0, False
            else:
                out, multi = tuple(slot(t) for t in op.outputs), True
            n = len(ins)
            kernel = _kernel(opdef, ctx)
            plan.steps.append(
                (kernel, ctx, n, ins[0] if n > 0 else 0, ins[1] if n > 1 else 0, ins, out, multi, op)
            )
        for x in targets:
            if isinstance(x, Operation):
                plan.fetch_slots.append(-1)
                plan.copy.append(False)
            else:
                plan.fetch_slots.append(slot(x))
                opdef = get_op_def(x.op.type)
                plan.copy.append(x not in fed and (opdef.stateful or x.op.type in _MAY_ALIAS_STATE))
        # Drop each intermediate value after its last use, so big arrays go back to the allocator while the
        # step runs (lower peak memory, warm reuse) instead of all living until the end.
        keep = set(plan.fetch_slots)
        last: dict[int, int] = {}
        for k, st in enumerate(plan.steps):
            for i in st[5]:
                last[i] = k
            for o in st[6] if st[7] else (st[6],):
                last.setdefault(o, k)
        frees: list[list[int]] = [[] for _ in plan.steps]
        for s, k in last.items():
            if s not in keep and s != 0:
                frees[k].append(s)
        plan.steps = [st[:8] + (tuple(f), 0, st[8]) for st, f in zip(plan.steps, frees, strict=True)]
        return plan

    def _run_steps(self, steps: list[tuple[Any, ...]], valss: list[list[Any]]) -> None:
        """Run compiled steps ``(kernel, ctx, n, i0, i1, ins, out, multi, free, p, op)``; partition ``p``'s
        values live in ``valss[p]`` (a single-device plan has one partition). The training hot loop."""
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
            op = step[-1]
            raise InvalidArgumentError(f"{op.name} ({op.type}): {e}") from e
        finally:
            self._step_cache.clear()

    def _execute(self, plan: _Plan, feed_dict: dict) -> list[Any]:
        vals: list[Any] = [None] * plan.n_slots
        dev = plan.device
        for (s, t, npd, dims), v in zip(plan.feeds, feed_dict.values(), strict=False):
            vals[s] = _check_feed(t, npd, dims, v)
            if dev is not None:  # a feed to a GPU plan: host-to-device here, nowhere else
                vals[s] = dev.to_device(vals[s])
        self._run_steps(plan.steps, [vals])
        res = []
        for s, c in zip(plan.fetch_slots, plan.copy, strict=False):
            if s < 0:
                res.append(None)
            elif dev is not None:  # fetches always come back as numpy arrays (a fresh copy)
                res.append(dev.to_numpy(vals[s]))
            else:
                v = vals[s]
                res.append(np.array(v) if c else v)
        return res

    # ---- partitioned plans ------------------------------------------------------------------------------
    def _compile_partitioned(
        self,
        schedule: list[Operation],
        devices: dict[Operation, str],
        targets: list[Tensor | Operation],
        fed_list: list[Tensor],
    ) -> _PartitionedPlan:
        """One slot table and one step list per device; ``_Send``/``_Recv`` carry every crossing edge."""
        from trainer.partition import partition

        ds = self._devices()
        fed = set(fed_list)
        fetch_ts = [x for x in targets if isinstance(x, Tensor)]
        clients = [f"/job:{ds.job}/replica:0/task:{k}/device:CPU:0" for k in range(ds.tasks)]
        ps = partition(schedule, devices, fed, fetch_ts, clients if self._cluster is not None else [])
        local_task = ds.local_task
        names = sorted(ps.partitions)
        index = {d: i for i, d in enumerate(names)}
        local = [self._cluster is None or ds.task_of(d) == local_task for d in names]
        plan = _PartitionedPlan()
        plan.partitions = ps
        plan.n_slots = [1] * len(names)
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
        steps = []
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
            steps.append(
                [
                    _kernel(get_op_def(op.type), ctx),
                    ctx,
                    n,
                    ins[0] if n else 0,
                    ins[1] if n > 1 else 0,
                    ins,
                    out,
                    multi,
                    (),
                    p,
                    op,
                ]
            )
        for d in names:
            b = get_backend(d) if local[index[d]] else None
            plan.devices.append(None if b is None or b.is_host else b)
        for t in fed_list:
            plan.feed_info.append((t, t.dtype.np, t.shape.dims))
            plan.feeds.append([(p, slot(p, t)) for p in readers[t] if local[p]])
        my_client = clients[local_task]
        for x in targets:
            if isinstance(x, Operation):
                plan.fetches.append((-1, -1))
                plan.copy.append(False)
                continue
            if x in fed:
                plan.fetches.append((-1, fed_list.index(x)))
                plan.copy.append(False)
                continue
            src = devices[x.op]
            if self._cluster is not None and src != my_client:
                p, t = index[my_client], ps.fetch_recv[(x, my_client)]
                if ds.task_of(src) == local_task:
                    p, t = index[src], x
            else:
                p, t = index[src], x
            plan.fetches.append((p, slot(p, t)))
            opdef = get_op_def(x.op.type)
            plan.copy.append(opdef.stateful or x.op.type in _MAY_ALIAS_STATE)
        # Free each value after its last use within its partition (fetched values are kept).
        keep = {(p, s) for p, s in plan.fetches if p >= 0}
        last: dict[tuple[int, int], int] = {}
        for k, st in enumerate(steps):
            p = st[9]
            for i in st[5]:
                last[(p, i)] = k
            for o in st[6] if st[7] else (st[6],):
                last.setdefault((p, o), k)
        frees: list[list[int]] = [[] for _ in steps]
        for (p, s), k in last.items():
            if (p, s) not in keep and s != 0:
                frees[k].append(s)
        for st, f in zip(steps, frees, strict=True):
            st[8] = tuple(f)
        plan.steps = [tuple(st) for st in steps]
        return plan

    def _execute_partitioned(self, plan: _PartitionedPlan, feed_dict: dict) -> list[Any]:
        valss: list[list[Any]] = [[None] * n for n in plan.n_slots]
        fed_values = []
        for (t, npd, dims), targets, v in zip(plan.feed_info, plan.feeds, feed_dict.values(), strict=False):
            v = _check_feed(t, npd, dims, v)
            fed_values.append(v)
            for p, s in targets:
                dev = plan.devices[p]
                valss[p][s] = v if dev is None else dev.to_device(v)  # a feed read on a GPU
        self._step_id += 1
        self._run_steps(plan.steps, valss)
        res = []
        for (p, s), c in zip(plan.fetches, plan.copy, strict=False):
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


def _check_feed(t: Tensor, npd: np.dtype, dims: tuple[int | None, ...] | None, v: Any) -> Any:
    if type(v) is not np.ndarray or v.dtype != npd:
        arr = np.asarray(v)
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


_session_stack: list[Session] = []


def get_default_session() -> Session | None:
    return _session_stack[-1] if _session_stack else None


def _session_for(session: Session | None, graph: Graph) -> Session:
    sess = session or get_default_session()
    if sess is None:
        raise InvalidArgumentError("no default session: pass session= or use `with tf.Session() as sess:`")
    if sess.graph is not graph:
        raise InvalidArgumentError("the session's graph is not the graph of this tensor/op")
    return sess
