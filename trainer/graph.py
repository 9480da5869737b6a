"""The dataflow graph: :class:`Graph`, :class:`Operation`, symbolic :class:`Tensor`, scopes and collections.

Ops are appended to a graph in creation order; since an op's inputs must exist before it, creation order
is a topological order, which the session and the gradient engine rely on.

>>> import trainer as tf
>>> g = tf.Graph()
>>> with g.as_default():
...     with tf.name_scope("dense"):
...         y = tf.matmul(tf.ones([2, 3]), tf.ones([3, 4]))
>>> y.name, y.shape.as_list()
('dense/MatMul:0', [2, 4])
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError, NotFoundError
from trainer.registry import get_op_def
from trainer.tensor_shape import TensorShape, as_shape


class GraphKeys:
    """Standard collection names (TensorFlow 1 spelling)."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    MODEL_VARIABLES = "model_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    UPDATE_OPS = "update_ops"
    REGULARIZATION_LOSSES = "regularization_losses"
    LOSSES = "losses"
    SUMMARIES = "summaries"
    GLOBAL_STEP = "global_step"
    TRAIN_OP = "train_op"
    VARIABLES = GLOBAL_VARIABLES


class _AutoReuse:
    def __repr__(self) -> str:
        return "tf.AUTO_REUSE"


AUTO_REUSE = _AutoReuse()


class VariableScope:
    """The state of a ``variable_scope``: its name (a prefix for ``get_variable``), reuse mode and the
    default initializer/regularizer for variables created in it."""

    def __init__(
        self,
        name: str,
        reuse: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        original_name_scope: str = "",
    ) -> None:
        self.name = name
        self.reuse = reuse
        self.initializer = initializer
        self.regularizer = regularizer
        self.original_name_scope = original_name_scope

    def reuse_variables(self) -> None:
        self.reuse = True


_VALID_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/]*$")


class _OperatorsMixin:
    """Python operators on tensor-like objects (Tensor, Variable), each building the matching op.

    The graph core knows no op, so the operators are installed by the op modules that own them, as TF1's
    ``_override_operator`` does: ``math_ops`` installs ``+ - * / // % ** @``, the comparisons, ``& | ~``,
    unary ``-`` and ``abs``; ``array_ops`` installs ``[]`` (strided slicing). Importing ``trainer`` imports
    both, so every tensor has them.
    """

    # numpy defers to our reflected operators (np.ones(3) + t builds an op) and never converts a symbolic
    # tensor into an object array.
    __array_ufunc__ = None

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError(f"cannot convert the symbolic tensor {self!r} to a numpy array; use sess.run()")

    def __bool__(self) -> bool:
        raise TypeError("using a symbolic Tensor as a Python bool is not allowed; use tf.cond-free logic")

    # TensorFlow 1 compares tensors by identity; tf.equal is the elementwise comparison.
    __hash__ = object.__hash__


# Every operator an op module may install, so that a typo (or a clash with the methods above) fails loudly.
OVERLOADABLE_OPERATORS = frozenset(
    f"__{name}__"
    for name in (
        "add radd sub rsub mul rmul truediv rtruediv floordiv rfloordiv mod rmod pow rpow matmul rmatmul "
        "neg abs lt le gt ge and or invert getitem"
    ).split()
)


def override_operator(operator: str, fn: Callable[..., Any]) -> None:
    """Install ``fn`` as ``operator`` (e.g. ``"__add__"``) on every tensor-like class; called once, at import,
    by the op module that owns the op the operator builds."""
    if operator not in OVERLOADABLE_OPERATORS:
        raise InvalidArgumentError(f"{operator!r} is not an overloadable tensor operator")
    if operator in vars(_OperatorsMixin):
        raise InvalidArgumentError(f"tensor operator {operator} is already installed")
    setattr(_OperatorsMixin, operator, fn)


class Tensor(_OperatorsMixin):
    """A symbolic value: output ``value_index`` of ``op``, with a dtype and a static shape."""

    __slots__ = ("op", "value_index", "dtype", "_shape")

    def __init__(self, op: Operation, value_index: int, dtype: _dt.DType, shape: TensorShape) -> None:
        self.op = op
        self.value_index = value_index
        self.dtype = dtype
        self._shape = shape

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self) -> Graph:
        return self.op.graph

    @property
    def device(self) -> str:
        return self.op.device

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape: Any) -> None:
        self._shape = self._shape.merge_with(as_shape(shape))

    def consumers(self) -> list[Operation]:
        return [op for op in self.op.graph._ops if any(t is self for t in op.inputs)]

    def eval(self, feed_dict: dict | None = None, session: Any = None) -> Any:
        """Run the default (or given) session to compute this tensor's value."""
        return session_for(session, self.graph).run(self, feed_dict=feed_dict)

    def __iter__(self) -> Iterator[Tensor]:
        if self._shape.dims is None or not self._shape.dims or self._shape.dims[0] is None:
            raise TypeError(f"cannot iterate over tensor {self.name} with shape {self._shape}")
        return iter([self[i] for i in range(self._shape.dims[0])])

    def __len__(self) -> int:
        if self._shape.dims is None or not self._shape.dims or self._shape.dims[0] is None:
            raise TypeError(f"len() of tensor {self.name} with shape {self._shape} is not known statically")
        return self._shape.dims[0]

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"


class Operation:
    """A node: ``type`` (registered op type), unique ``name``, input tensors, output tensors, ``attrs``."""

    __slots__ = (
        "graph",
        "type",
        "name",
        "inputs",
        "outputs",
        "attrs",
        "device",
        "control_inputs",
        "colocate",
        "_id",
        "_cf",
        "__weakref__",
    )

    def __init__(
        self,
        graph: Graph,
        op_type: str,
        name: str,
        inputs: Sequence[Tensor],
        attrs: dict[str, Any],
        device: str,
        control_inputs: Sequence[Operation],
    ) -> None:
        self.graph = graph
        self.type = op_type
        self.name = name
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.device = device
        self.control_inputs = tuple(control_inputs)
        self.outputs: tuple[Tensor, ...] = ()
        self.colocate: tuple[Operation, ...] = ()  # ops this one must share a device with (tf.colocate_with)
        self._id = len(graph._ops)
        # The control-flow body (a cond branch, a while body) this op was built in, None at the top level:
        # such an op runs only inside its control-flow op's kernel (trainer/ops/control_flow.py).
        self._cf: Any = graph._cf_stack[-1] if graph._cf_stack else None

    @property
    def node_def(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "op": self.type,
            "input": [t.name for t in self.inputs],
            "attr": self.attrs,
            "device": self.device,
        }

    def get_attr(self, name: str) -> Any:
        try:
            return self.attrs[name]
        except KeyError:
            raise NotFoundError(f"op {self.name} ({self.type}) has no attr {name!r}") from None

    def run(self, feed_dict: dict | None = None, session: Any = None) -> None:
        """Run this op in the default (or given) session."""
        session_for(session, self.graph).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<tf.Operation '{self.name}' type={self.type}>"


class Graph:
    """A TensorFlow 1 graph: ops in creation order, a name scope stack, device and control-dependency
    stacks, named collections and the graph-level random seed."""

    def __init__(self) -> None:
        self._ops: list[Operation] = []
        self._by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._device_stack: list[str | None] = []
        self._control_stack: list[list[Operation] | None] = []
        self._colocation_stack: list[Operation | None] = []
        self._collections: dict[str, list[Any]] = {}
        self._finalized = False
        self.seed: int | None = None
        self._var_scope = VariableScope("")
        self._var_store: dict[str, Any] = {}
        # how often each variable scope was opened: a default_name scope takes the first unused name
        self._var_scope_counts: dict[str, int] = {}
        self._cf_stack: list[Any] = []  # control-flow bodies being built (innermost last); None escapes

    # ---- building ------------------------------------------------------------------------------------
    def create_op(
        self,
        op_type: str,
        inputs: Sequence[Tensor],
        attrs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> Operation:
        """Create an op of a registered type: runs its shape function (errors name the op and shapes)."""
        if self._finalized:
            raise InvalidArgumentError("graph is finalized and cannot be modified")
        opdef = get_op_def(op_type)
        attrs = dict(attrs or {})
        for t in inputs:
            if not isinstance(t, Tensor):
                raise InvalidArgumentError(f"{op_type}: input {t!r} is not a Tensor")
            if t.op.graph is not self:
                raise InvalidArgumentError(f"{op_type}: input {t.name} belongs to another graph")
        exact = bool(name) and name.endswith("/")  # "scope/" names the op exactly (a Variable's op)
        if exact:
            full = name[:-1]  # type: ignore[index]
            if full in self._by_name:
                raise InvalidArgumentError(f"an op named {full!r} already exists")
            self._names_in_use.setdefault(full.lower(), 1)
        else:
            full = self.unique_name(name or op_type, mark_as_used=False)
        try:
            specs = opdef.shape_fn(list(inputs), attrs)
        except InvalidArgumentError as e:
            raise InvalidArgumentError(f"{full} ({op_type}): {e}") from None
        if isinstance(specs, tuple):
            specs = [specs]
        if not exact:
            full = self.unique_name(name or op_type)
        control: list[Operation] = []
        for frame in self._control_stack:
            if frame is None:
                control = []
            else:
                control.extend(frame)
        # Inputs produced inside the same control frame already carry the dependency.
        control = [c for c in dict.fromkeys(control) if all(t.op is not c for t in inputs)]
        op = Operation(self, op_type, full, inputs, attrs, self._current_device(), control)
        if self._colocation_stack and self._colocation_stack[-1] is not None:
            op.colocate = (self._colocation_stack[-1],)
        op.outputs = tuple(Tensor(op, i, _dt.as_dtype(dt), as_shape(sh)) for i, (sh, dt) in enumerate(specs))
        self._ops.append(op)
        self._by_name[full] = op
        return op

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``scope/name``, made unique by a ``_N`` suffix (``dense_1/MatMul``)."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Push a name scope; yields ``"scope/"``. A name ending in ``/`` re-enters that exact scope,
        ``None`` or ``""`` resets to the top level."""
        old = self._name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            if not _VALID_NAME.match(name):
                raise InvalidArgumentError(f"invalid scope name {name!r}")
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield new + "/" if new else ""
        finally:
            self._name_stack = old

    def _current_device(self) -> str:
        dev = ""
        for d in self._device_stack:
            dev = "" if d is None else merge_device(dev, d)
        return dev

    @contextlib.contextmanager
    def device(self, device_name: str | None) -> Iterator[None]:
        """Record ``device_name`` (``"/cpu:0"``, ``"/gpu:1"``, ``"/job:worker/task:1"``) on new ops."""
        self._device_stack.append(device_name if device_name is None else str(device_name))
        try:
            yield
        finally:
            self._device_stack.pop()

    @contextlib.contextmanager
    def colocate_with(self, op: Any, ignore_existing: bool = False) -> Iterator[None]:
        """New ops are placed on the device of ``op`` (an Operation, Tensor or Variable), whatever the
        device scopes say; ``None`` clears an outer ``colocate_with``. The placer honours it."""
        target = None if op is None else as_graph_element(op, self)
        if isinstance(target, Tensor):
            target = target.op
        self._colocation_stack.append(target)
        try:
            yield
        finally:
            self._colocation_stack.pop()

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Sequence[Any] | None) -> Iterator[None]:
        """New ops run only after ``control_inputs`` (ops or tensors); ``None`` clears outer dependencies."""
        if control_inputs is None:
            self._control_stack.append(None)
        else:
            ops = []
            for c in control_inputs:
                c = as_graph_element(c, self)
                ops.append(c if isinstance(c, Operation) else c.op)
            self._control_stack.append(ops)
        try:
            yield
        finally:
            self._control_stack.pop()

    @contextlib.contextmanager
    def _control_flow_body(self, body: Any) -> Iterator[None]:
        """Ops created inside belong to ``body`` (a cond branch or while body); ``None`` builds top-level
        ops again (a variable created in a loop body lives outside it, as in TF1)."""
        self._cf_stack.append(body)
        try:
            yield
        finally:
            self._cf_stack.pop()

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        _graph_stack.append(self)
        try:
            yield self
        finally:
            _graph_stack.pop()

    def finalize(self) -> None:
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    # ---- lookup --------------------------------------------------------------------------------------
    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFoundError(f"no operation named {name!r} in the graph") from None

    def get_tensor_by_name(self, name: str) -> Tensor:
        op_name, _, idx = name.rpartition(":")
        if not op_name or not idx.isdigit():
            raise InvalidArgumentError(f"tensor names look like 'op_name:0', got {name!r}")
        op = self.get_operation_by_name(op_name)
        if int(idx) >= len(op.outputs):
            raise NotFoundError(f"op {op_name} has only {len(op.outputs)} outputs; no tensor {name!r}")
        return op.outputs[int(idx)]

    def as_graph_element(self, obj: Any) -> Tensor | Operation:
        return as_graph_element(obj, self)

    # ---- collections ---------------------------------------------------------------------------------
    def add_to_collection(self, name: str, value: Any) -> None:
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: Sequence[str], value: Any) -> None:
        for n in dict.fromkeys([names] if isinstance(names, str) else names):
            self.add_to_collection(n, value)

    def get_collection(self, name: str, scope: str | None = None) -> list[Any]:
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        pat = re.compile(scope)
        return [x for x in items if hasattr(x, "name") and pat.match(x.name)]

    def get_collection_ref(self, name: str) -> list[Any]:
        return self._collections.setdefault(name, [])

    def clear_collection(self, name: str) -> None:
        self._collections.pop(name, None)

    def get_all_collection_keys(self) -> list[str]:
        return list(self._collections)

    @property
    def version(self) -> int:
        return len(self._ops)


_DEVICE_FIELDS = ("job", "replica", "task")


def _parse_device_fields(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    parts = [p for p in spec.split("/") if p]
    i = 0
    while i < len(parts):
        key, _, val = parts[i].partition(":")
        if key.lower() in _DEVICE_FIELDS:
            out[key.lower()] = val
        else:
            out["device"] = parts[i]  # "gpu:0", "cpu:1", "device:GPU:0"
        i += 1
    return out


def merge_device(outer: str, inner: str) -> str:
    """Nested ``tf.device`` scopes: fields of the inner spec override the outer one's
    (``"/job:worker/task:1"`` then ``"/gpu:0"`` gives ``"/job:worker/task:1/gpu:0"``)."""
    if not outer:
        return inner
    if not inner:
        return outer
    o, i = _parse_device_fields(outer), _parse_device_fields(inner)
    if not set(o) - set(i):
        return inner
    merged = {**o, **i}
    parts = [f"{k}:{merged[k]}" for k in _DEVICE_FIELDS if k in merged]
    if "device" in merged:
        parts.append(merged["device"])
    return "/" + "/".join(parts)


_default_graph = Graph()
_graph_stack: list[Graph] = []


def get_default_graph() -> Graph:
    return _graph_stack[-1] if _graph_stack else _default_graph


def reset_default_graph() -> None:
    """Replace the global default graph with a fresh one (not allowed inside ``with g.as_default()``)."""
    global _default_graph
    if _graph_stack:
        raise InvalidArgumentError("reset_default_graph() called inside a `with graph.as_default()` block")
    _default_graph = Graph()


def apply_op(
    op_type: str, inputs: Sequence[Any], attrs: dict[str, Any] | None = None, name: str | None = None
) -> Any:
    """Create an op in the default graph and return its only output (or the tuple of outputs, or the op
    itself when it has none): the one-line body of most op builders."""
    op = get_default_graph().create_op(op_type, list(inputs), attrs, name)
    if len(op.outputs) == 1:
        return op.outputs[0]
    if not op.outputs:
        return op
    return op.outputs


# ---- the default session ----------------------------------------------------------------------------
# ``Tensor.eval()`` and ``Operation.run()`` run in the default session. The stack lives here, below the
# session layer, so that the graph never imports it (TF1 keeps it in its graph module as well):
# ``trainer.session`` pushes its sessions here and re-exports get_default_session.
_session_stack: list[Any] = []


def get_default_session() -> Any:
    """The innermost session of ``with sess:`` / ``sess.as_default()`` / an InteractiveSession, or None."""
    return _session_stack[-1] if _session_stack else None


def session_for(session: Any, graph: Graph) -> Any:
    """``session``, or the default session; either must run ``graph``."""
    sess = session or get_default_session()
    if sess is None:
        raise InvalidArgumentError("no default session: pass session= or use `with tf.Session() as sess:`")
    if sess.graph is not graph:
        raise InvalidArgumentError("the session's graph is not the graph of this tensor/op")
    return sess


def as_graph_element(obj: Any, graph: Graph | None = None) -> Tensor | Operation:
    """Resolve a Tensor, an Operation, a Variable or a name (``"x:0"`` or ``"train_op"``)."""
    graph = graph or get_default_graph()
    if isinstance(obj, (Tensor, Operation)):
        return obj
    if hasattr(obj, "_as_graph_element"):
        return obj._as_graph_element()
    if isinstance(obj, str):
        return graph.get_tensor_by_name(obj) if ":" in obj else graph.get_operation_by_name(obj)
    raise InvalidArgumentError(f"cannot interpret {obj!r} as a Tensor or Operation")


# ---- scopes -----------------------------------------------------------------------------------------
@contextlib.contextmanager
def name_scope(name: str | None, default_name: str | None = None, values: Any = None) -> Iterator[str]:
    """``with tf.name_scope("dense"):`` prefixes new op names with ``dense/`` (then ``dense_1/``)."""
    with get_default_graph().name_scope(name if name is not None else default_name) as s:
        yield s


@contextlib.contextmanager
def variable_scope(
    name_or_scope: str | VariableScope | None,
    default_name: str | None = None,
    values: Any = None,
    reuse: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    **_kwargs: Any,
) -> Iterator[VariableScope]:
    """Prefix for ``get_variable`` names plus a name scope of the same name. Re-opening a scope with
    ``reuse=True`` (or ``tf.AUTO_REUSE``) lets ``get_variable`` return the existing variables.

    ``default_name`` scopes (what ``tf.layers.dense`` opens) are numbered within their variable scope like
    TF1: ``dense``, ``dense_1`` ...; leaving a named scope forgets the numbers used inside it, so a function
    that builds auto-named layers inside ``variable_scope("net", reuse=True)`` finds the same names again."""
    g = get_default_graph()
    parent = g._var_scope
    counts = g._var_scope_counts
    if isinstance(name_or_scope, VariableScope):
        var_name = name_or_scope.name
        ns_ctx = g.name_scope(name_or_scope.original_name_scope or None)
        reuse = reuse if reuse is not None else name_or_scope.reuse
        initializer = initializer or name_or_scope.initializer
        regularizer = regularizer or name_or_scope.regularizer
    elif name_or_scope is not None:
        var_name = f"{parent.name}/{name_or_scope}" if parent.name else name_or_scope
        ns_ctx = g.name_scope(name_or_scope)
    elif default_name is not None:
        ns_ctx = g.name_scope(default_name)
        base = f"{parent.name}/{default_name}" if parent.name else default_name
        var_name, idx = base, 0
        while counts.get(var_name, 0) > 0:
            idx += 1
            var_name = f"{base}_{idx}"
    else:
        raise InvalidArgumentError("variable_scope needs name_or_scope or default_name")
    if reuse is None or reuse is False:
        reuse = parent.reuse  # reuse is inherited by inner scopes
    saved_counts = dict(counts) if isinstance(name_or_scope, VariableScope) else None
    counts[var_name] = counts.get(var_name, 0) + 1
    with ns_ctx as ns:
        g._var_scope = VariableScope(
            var_name, reuse, initializer or parent.initializer, regularizer or parent.regularizer, ns
        )
        try:
            yield g._var_scope
        finally:
            g._var_scope = parent
            if saved_counts is not None:
                counts.clear()
                counts.update(saved_counts)
                counts[var_name] = saved_counts.get(var_name, 0) + 1
            elif name_or_scope is not None:  # TF1 closes the sub-scopes of a named scope on exit
                for k in [k for k in counts if k.startswith(var_name + "/")]:
                    counts[k] = 0


def get_variable_scope() -> VariableScope:
    return get_default_graph()._var_scope


def device(device_name: str | None) -> Any:
    return get_default_graph().device(device_name)


def control_dependencies(control_inputs: Sequence[Any] | None) -> Any:
    return get_default_graph().control_dependencies(control_inputs)


def colocate_with(op: Any, ignore_existing: bool = False) -> Any:
    """``with tf.colocate_with(v):`` places new ops on the device of ``v``'s op (see trainer.placement)."""
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name: str, value: Any) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names: Sequence[str], value: Any) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(name: str, scope: str | None = None) -> list[Any]:
    return get_default_graph().get_collection(name, scope)


def get_collection_ref(name: str) -> list[Any]:
    return get_default_graph().get_collection_ref(name)


# ---- conversion -------------------------------------------------------------------------------------
def _infer_numpy(value: Any, dtype: _dt.DType | None) -> np.ndarray:
    """numpy value of a Python/numpy constant. Python floats become float32 and ints int32 (TensorFlow's
    defaults) unless ``dtype`` is given; a requested dtype must hold the value without loss. Text (str or
    bytes, or arrays of them) becomes a ``string`` tensor of bytes objects, as TF holds it."""
    text = _as_text(value)
    if text is not None and (dtype is None or dtype is _dt.string):
        return text
    if dtype is not None:
        arr = np.asarray(value)
        if arr.dtype == dtype.np:
            return arr
        if arr.dtype.kind in "fc" and dtype.np.kind in "iub":
            conv = arr.astype(dtype.np)
            if not np.array_equal(conv, arr):
                raise InvalidArgumentError(f"cannot convert {value!r} to {dtype.name} without loss")
            return conv
        if arr.dtype.kind in "OUS":  # text only converts to a string tensor
            raise InvalidArgumentError(f"cannot convert {value!r} to a tensor of {dtype.name}")
        return arr.astype(dtype.np)
    if isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
    else:
        arr = np.asarray(value)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype.kind == "i" and arr.dtype != np.int32:
            arr = arr.astype(np.int32) if arr.size == 0 or (abs(arr).max() < 2**31) else arr.astype(np.int64)
    if arr.dtype.kind == "O" or arr.dtype.kind in "USc":
        raise InvalidArgumentError(f"cannot convert {value!r} to a tensor")
    _dt.from_numpy(arr.dtype)
    return arr


def _as_text(value: Any) -> np.ndarray | None:
    """``value`` as an object array of bytes when it is text (str/bytes, nested lists of them), else None."""
    if isinstance(value, (str, bytes)):
        return np.array(value.encode() if isinstance(value, str) else value, dtype=object)
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = np.asarray(value)
        if arr.dtype.kind in "US":
            encode = np.vectorize(lambda v: v.encode() if isinstance(v, str) else bytes(v), otypes=[object])
            return encode(arr)
    return None


def _contains_tensor(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


# How Python and numpy values become tensors. The ops that build them (``Const``, ``Pack``) live in
# ``array_ops``, above this module, so array_ops installs them at import (TF1 registers its conversion
# functions the same way).
_value_conversions: dict[str, Callable[..., Tensor]] = {}


def register_value_conversion(*, constant: Callable[..., Tensor], stack: Callable[..., Tensor]) -> None:
    """Install the builders :func:`convert_to_tensor` uses: ``constant(value, dtype=, name=)`` for values,
    ``stack(tensors, name=)`` for lists holding tensors."""
    _value_conversions.update(constant=constant, stack=stack)


def convert_to_tensor(
    value: Any, dtype: Any = None, name: str | None = None, preferred_dtype: Any = None
) -> Tensor:
    """A Tensor for ``value``: tensors pass through (dtype checked), Variables give their value, Python and
    numpy values become ``Const`` ops, lists holding tensors are stacked."""
    want = None if dtype is None else _dt.as_dtype(dtype)
    if isinstance(value, Tensor):
        t = value
    elif hasattr(value, "_as_tensor"):
        t = value._as_tensor()
    elif isinstance(value, (list, tuple)) and _contains_tensor(value):
        parts = [convert_to_tensor(v, dtype=want) for v in value]
        t = _value_conversions["stack"](parts, name=name or "packed")
    else:
        constant = _value_conversions["constant"]
        if want is None and preferred_dtype is not None:
            try:
                return constant(value, dtype=preferred_dtype, name=name or "Const")
            except InvalidArgumentError:
                pass
        return constant(value, dtype=want, name=name or "Const")
    if want is not None and t.dtype is not want:
        raise InvalidArgumentError(f"tensor {t.name} has dtype {t.dtype.name}, expected {want.name}")
    return t


def constant_value(t: Tensor) -> np.ndarray | None:
    """The value of ``t`` when it is known while building the graph (constants, static shapes), else None."""
    op = t.op
    if op.type == "Const":
        return op.attrs["value"]
    if op.type == "Shape" and op.inputs[0].shape.is_fully_defined():
        return np.array(op.inputs[0].shape.dims, dtype=t.dtype.np)
    if op.type == "Size" and op.inputs[0].shape.is_fully_defined():
        return np.array(op.inputs[0].shape.num_elements(), dtype=t.dtype.np)
    if op.type == "Rank" and op.inputs[0].shape.dims is not None:
        return np.array(len(op.inputs[0].shape.dims), dtype=np.int32)
    if op.type in ("Identity", "StopGradient"):
        return constant_value(op.inputs[0])
    if op.type == "Pack":
        vals = [constant_value(x) for x in op.inputs]
        if all(v is not None for v in vals):
            return np.stack(vals, axis=op.attrs["axis"])
    if op.type == "Cast":
        v = constant_value(op.inputs[0])
        return None if v is None else v.astype(t.dtype.np)
    return None


def constant_value_as_shape(t: Tensor) -> TensorShape:
    """A (partial) static shape from a 1-D int tensor: ``-1`` or unknown entries become None."""
    v = constant_value(t)
    if v is not None:
        return TensorShape([None if int(d) < 0 else int(d) for d in np.reshape(v, [-1])])
    if t.op.type == "Pack" and t.op.attrs["axis"] == 0:
        dims = []
        for x in t.op.inputs:
            xv = constant_value(x)
            dims.append(None if xv is None or int(xv) < 0 else int(xv))
        return TensorShape(dims)
    if t.op.type == "Shape":
        return t.op.inputs[0].shape
    n = t.shape.dims[0] if t.shape.dims else None
    return TensorShape(None if n is None else [None] * n)
