"""``Session``: runs (parts of) a graph with numpy kernels, holding the variables' values.

``run(fetches, feed_dict)`` compiles, once per (fetches, feed keys) signature, a flat execution plan: the
ops the fetches need (feeds cut the graph) in creation order, which is topological, each with its kernel,
its kernel context and the slot numbers of its inputs and outputs. Running a plan is one loop over that
list; nothing walks the graph again.

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
from trainer.errors import InvalidArgumentError, TensorletError
from trainer.graph import Graph, Operation, Tensor, as_graph_element, get_default_graph
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


class _Plan:
    __slots__ = ("n_slots", "feeds", "steps", "fetch_slots", "copy")

    def __init__(self) -> None:
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
        self.close()

    def as_default(self) -> Any:
        return _DefaultSession(self)

    def close(self) -> None:
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

    def _compile(self, leaves: list[Any], feed_keys: list[Any]) -> _Plan:
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
        for op in _schedule(needed):
            if op.type == "Placeholder":
                t = op.outputs[0]
                raise InvalidArgumentError(
                    f"You must feed a value for placeholder tensor '{op.name}' with dtype {t.dtype.name} "
                    f"and shape {t.shape}"
                )
            opdef = get_op_def(op.type)
            ctx = self._contexts.get(op)
            if ctx is None:
                ctx = self._contexts[op] = KernelContext(op, get_backend(op.device), self._variables, self)
            ins = tuple(slot(t) for t in op.inputs)
            if len(op.outputs) == 1:
                out: Any = slot(op.outputs[0])
                multi = False
            elif not op.outputs:
                out, multi = 0, False
            else:
                out, multi = tuple(slot(t) for t in op.outputs), True
            n = len(ins)
            plan.steps.append(
                (opdef.kernel, ctx, n, ins[0] if n > 0 else 0, ins[1] if n > 1 else 0, ins, out, multi, op)
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
        plan.steps = [st[:8] + (tuple(f), st[8]) for st, f in zip(plan.steps, frees, strict=True)]
        return plan

    def _execute(self, plan: _Plan, feed_dict: dict) -> list[Any]:
        vals: list[Any] = [None] * plan.n_slots
        for (s, t, npd, dims), v in zip(plan.feeds, feed_dict.values(), strict=False):
            vals[s] = _check_feed(t, npd, dims, v)
        step: Any = None
        self._step_cache.clear()
        try:
            for step in plan.steps:
                kernel, ctx, n, i0, i1, ins, out, multi, free, _ = step
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
        res = []
        for s, c in zip(plan.fetch_slots, plan.copy, strict=False):
            if s < 0:
                res.append(None)
            else:
                v = vals[s]
                res.append(np.array(v) if c else v)
        return res

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
