"""Freeze a trained graph for inference: variables become constants, and the graph is simplified.

>>> import numpy as np
>>> import trainer as tf
>>> from trainer.freeze import freeze
>>> g = tf.Graph()
>>> with g.as_default():
...     x = tf.placeholder(tf.float32, [None, 3], name="x")
...     y = tf.layers.Dense(2, activation="relu")(x)
...     sess = tf.Session(graph=g)
...     sess.run(tf.global_variables_initializer())
>>> frozen = freeze(sess, [x], [y], batch_size=1)
>>> [op.type for op in frozen.graph.get_operations()]
['Placeholder', 'Const', 'Const', '_FusedMatMul']
>>> bool(np.allclose(frozen.run(np.ones((1, 3), np.float32))[0], sess.run(y, {x: np.ones((1, 3))})))
True

:func:`freeze` copies the part of the graph the outputs need into a new :class:`~trainer.graph.Graph`, in
three passes (each pass is a copy in creation order, so ops a pass made dead vanish in the next):

1. **import**: each ``VariableV2`` becomes a ``Const`` holding the session's value; ``Identity``,
   ``StopGradient`` and unfed ``PlaceholderWithDefault`` (the ``training`` flag) are bypassed; every op whose
   inputs are all constants is evaluated with its own numpy kernel (constant folding; ``Shape``/``Size``/
   ``Rank`` of a static shape fold too); ``x * 1``, ``x + 0``, ``x - 0``, ``x / 1`` become ``x`` and ``x * 0``
   becomes a constant zero when its shape is static. With the training flag folded to False, the train-time
   branches of Dropout and BatchNormalization fold away this way. Placeholders given in ``constants`` become
   constants too (TF1 code that feeds ``keep_prob: 1.0``), and ``floor(k + uniform[0, 1))`` with an integer
   constant ``k`` (dropout's keep mask) folds to ``k``. Control flow decided here is removed: an ``If`` with a
   constant predicate becomes its taken branch, a ``While`` whose condition folds in every iteration is
   unrolled; any other ``If``/``While`` is refused naming the op (docs/control_flow.md).
2. **fuse**: MatMul / Conv2D / DepthwiseConv2D with a constant filter become ``_FusedMatMul`` /
   ``_FusedConv2D`` / ``_FusedDepthwiseConv2D`` (inputs ``x, w[, bias]``, attr ``activation``), and the ops
   that follow are absorbed while the intermediate result has no other consumer: ``BiasAdd`` or ``Add``/
   ``Sub`` of a per-channel constant into the bias, ``Mul`` by a per-channel constant into the filter and the
   bias (this is batch-norm folding: inference batch norm is ``x * inv + shift`` after step 1), then ``Relu``
   or ``Relu6`` into the activation. A dense layer on a rank > 2 input (``Reshape`` to ``[M, K]``, MatMul,
   ``Reshape`` back) becomes one ``_FusedMatMul`` over the last axis (attr ``keep_dims``). For unrolled RNNs:
   a ``Gather`` of one constant index (``dynamic_rnn``'s time step) becomes a ``StridedSlice`` that takes that
   index (cheaper than a Gather op), read through the time-major ``Transpose`` when the other axes keep their
   order; an ``Unpack`` (``static_rnn``) of more steps than the runtime's Unpack gives (16) one such slice per
   step, a ``Pack`` of more than 16 (the stacked outputs) Packs of 16 joined by Concatenation, and a slice
   taking one stacked tensor (``outputs[:, -1]``) that tensor; a ``ReverseSequence`` of whole sequences
   (``bidirectional_dynamic_rnn``) a slice with stride -1. The gates' ``Split`` stays (a runtime op), so the
   cell's weights are one constant that every step shares.
3. **prune**: a plain copy that drops what the fusion left unused.

The fused op types are registered below (inference only, not differentiable), so a frozen graph runs in a
:class:`~trainer.session.Session` like any graph; :meth:`FrozenGraph.run` is a shortcut. Freezing keeps the
outputs equal to the original graph's up to float rounding (folding a scale into a filter reorders one
multiplication).

Inputs keep their shapes unless ``input_shapes`` or ``batch_size`` fix them; the exporter fixes them, which
makes every shape static so that the rules needing static shapes (``x * 0``, shape folding) apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.backend import get_backend
from trainer.errors import FailedPreconditionError, InvalidArgumentError
from trainer.graph import Graph, Operation, Tensor, as_graph_element
from trainer.ops.array_ops import stack
from trainer.registry import get_op_def, register
from trainer.tensor_shape import TensorShape, as_shape, broadcast_shapes

ACTIVATIONS = ("NONE", "RELU", "RELU6")

# Trainer op type -> the fused inference op that replaces it when its filter is constant.
FUSED = {"MatMul": "_FusedMatMul", "Conv2D": "_FusedConv2D", "DepthwiseConv2D": "_FusedDepthwiseConv2D"}
_BASE = {v: k for k, v in FUSED.items()}

# Ops that are never evaluated at freeze time even when all their inputs are constants.
_RANDOM = frozenset({"RandomStandardNormal", "TruncatedNormal", "RandomUniform", "RandomUniformInt"})


# ---- fused inference ops (one stanza for the three) ---------------------------------------------------
def _fused_shape(inputs: list[Tensor], attrs: dict) -> Any:
    base = _BASE[attrs["_fused_type"]]
    if len(inputs) not in (2, 3):
        raise InvalidArgumentError(f"takes (x, w) or (x, w, bias), got {len(inputs)} inputs")
    if attrs["activation"] not in ACTIVATIONS:
        raise InvalidArgumentError(f"activation {attrs['activation']!r} is not one of {ACTIVATIONS}")
    if attrs.get("keep_dims"):  # a dense layer over the last axis of a rank > 2 input (_dense_on_last_axis)
        x, w = inputs[0], inputs[1]
        n = w.shape.dims[0] if attrs["transpose_b"] else w.shape.dims[1]
        shape, dtype = TensorShape([*x.shape.dims[:-1], n]), x.dtype
    else:
        shape, dtype = get_op_def(base).shape_fn(inputs[:2], attrs)
    if len(inputs) == 3:
        b = inputs[2]
        c = shape.dims[-1] if shape.dims else None
        if b.shape.ndims != 1 or (c is not None and b.shape.dims[0] not in (None, c)):
            raise InvalidArgumentError(f"bias shape {b.shape} does not match output shape {shape}")
    return shape, dtype


def _fused_kernel(ctx: Any, x: Any, w: Any, b: Any = None) -> Any:
    """``activation(base(x, w) + b)`` with the base op's own kernel."""
    if ctx.attrs.get("keep_dims"):
        flat = get_op_def("MatMul").kernel(ctx, x.reshape(-1, x.shape[-1]), w)
        y = flat.reshape(*x.shape[:-1], flat.shape[-1])
    else:
        y = get_op_def(_BASE[ctx.attrs["_fused_type"]]).kernel(ctx, x, w)
    if b is not None:
        y = y + b
    act = ctx.attrs["activation"]
    if act == "RELU":
        y = ctx.xp.maximum(y, 0)
    elif act == "RELU6":
        y = ctx.xp.clip(y, 0, 6)
    return y


for _fused_type in FUSED.values():
    register(_fused_type, shape=_fused_shape, kernel=_fused_kernel, not_differentiable=True)


# ---- the result -------------------------------------------------------------------------------------
@dataclass
class FrozenGraph:
    """A frozen inference graph with its input placeholders and output tensors (in the caller's order)."""

    graph: Graph
    inputs: list[Tensor]
    outputs: list[Tensor]

    def run(self, *arrays: Any) -> list[np.ndarray]:
        """Run the graph in a fresh Session on one array per input; returns one array per output."""
        from trainer.session import Session

        if len(arrays) != len(self.inputs):
            raise InvalidArgumentError(f"run() takes {len(self.inputs)} inputs, got {len(arrays)}")
        with Session(graph=self.graph) as sess:
            return list(sess.run(self.outputs, dict(zip(self.inputs, arrays, strict=True))))


# ---- the copying machinery --------------------------------------------------------------------------
Rule = Callable[["_Copier", Operation, list[Tensor]], "list[Tensor] | None"]


class _Copier:
    """Copies the ops ``outputs`` need (feeds cut the graph) into a new graph, asking ``rule`` first."""

    def __init__(self, src_inputs: Sequence[Tensor], src_outputs: Sequence[Tensor]) -> None:
        self.src_inputs = list(src_inputs)
        self.src_outputs = list(src_outputs)
        stop = set(self.src_inputs)
        seen: set[Operation] = set()
        stack = [t.op for t in self.src_outputs if t not in stop]
        while stack:
            op = stack.pop()
            if op in seen:
                continue
            seen.add(op)
            stack.extend(t.op for t in op.inputs if t not in stop)
        self.ops = sorted(seen, key=lambda o: o._id)
        self.consumers: dict[Tensor, int] = {}
        for op in self.ops:
            for t in op.inputs:
                self.consumers[t] = self.consumers.get(t, 0) + 1
        for t in self.src_outputs:
            self.consumers[t] = self.consumers.get(t, 0) + 1
        self.reserved = {op.name for op in self.ops} | {t.op.name for t in self.src_inputs}
        self.graph = Graph()
        self.map: dict[Tensor, Tensor] = {}

    def fresh(self, base: str) -> str:
        """A name no op of the new graph has and no later copied op will claim."""
        name, i = base, 0
        while name in self.reserved or name in self.graph._by_name:
            i += 1
            name = f"{base}_{i}"
        return name

    def const(self, base: str, value: Any, dtype: _dt.DType | None = None) -> Tensor:
        arr = np.array(value, dtype=None if dtype is None else dtype.np, copy=True)
        arr.setflags(write=False)
        attrs = {"value": arr, "dtype": _dt.from_numpy(arr.dtype)}
        return self.graph.create_op("Const", [], attrs, self.fresh(base) + "/").outputs[0]

    def op(self, op_type: str, inputs: Sequence[Tensor], attrs: dict[str, Any], base: str) -> Tensor:
        return self.graph.create_op(op_type, list(inputs), attrs, self.fresh(base) + "/").outputs[0]

    def single_use(self, t: Tensor) -> bool:
        """Whether source tensor ``t`` feeds exactly one op and is not a requested output."""
        return self.consumers.get(t, 0) == 1 and t not in self.src_outputs

    def run(self, rule: Rule, shapes: Sequence[TensorShape] | None = None) -> FrozenGraph:
        new_inputs = []
        for i, t in enumerate(self.src_inputs):
            shape = t.shape if shapes is None else shapes[i]
            name = t.op.name if t.value_index == 0 else f"{t.op.name}_{t.value_index}"
            self.reserved.discard(name)
            attrs = {"dtype": t.dtype, "shape": shape}
            ph = self.graph.create_op("Placeholder", [], attrs, self.fresh(name) + "/").outputs[0]
            self.map[t] = ph
            new_inputs.append(ph)
        for op in self.ops:
            ins = [self.map[t] for t in op.inputs]
            self.reserved.discard(op.name)
            outs = rule(self, op, ins)
            if outs is None:
                outs = list(self.graph.create_op(op.type, ins, dict(op.attrs), op.name + "/").outputs)
            for t, n in zip(op.outputs, outs, strict=True):
                self.map[t] = n
        return FrozenGraph(self.graph, new_inputs, [self.map[t] for t in self.src_outputs])


def _keep(c: _Copier, op: Operation, ins: list[Tensor]) -> None:
    return None


# ---- pass 1: variables, training flags, constant folding, algebraic identities ------------------------
class _FoldContext:
    """The part of a KernelContext a pure kernel may use at freeze time."""

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.attrs = op.attrs
        self.backend = get_backend("")
        self.xp = np
        self.device = ""
        self.variables: dict[str, Any] = {}
        self.session = None
        self.cache: dict[str, Any] = {}

    def read_variable(self, name: str) -> Any:
        raise FailedPreconditionError(f"{self.op.name}: no variables at freeze time")

    @property
    def rng(self) -> Any:
        raise FailedPreconditionError(f"{self.op.name}: random ops are not folded")


def const_value(t: Tensor) -> np.ndarray | None:
    """The value of ``t`` when it is a ``Const`` output, else None."""
    return t.op.attrs["value"] if t.op.type == "Const" else None


def _keeps_shape(c: np.ndarray, other: Tensor) -> bool:
    """Whether broadcasting constant ``c`` against ``other`` leaves ``other``'s shape unchanged."""
    dims = other.shape.dims
    if dims is None or c.ndim > len(dims):
        return False
    return all(
        cd == 1 or (od is not None and cd == od) for cd, od in zip(c.shape[::-1], dims[::-1], strict=False)
    )


def _simplify(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    if op.type not in ("Mul", "Add", "Sub", "RealDiv"):
        return None
    a, b = ins
    va, vb = const_value(a), const_value(b)
    for cv, other, const_first in ((vb, a, False), (va, b, True)):
        if cv is None or other.dtype is not op.outputs[0].dtype:
            continue
        if op.type == "Sub" and const_first or op.type == "RealDiv" and const_first:
            continue
        neutral = 1 if op.type in ("Mul", "RealDiv") else 0
        if np.all(cv == neutral) and _keeps_shape(cv, other):
            return [other]
        out = broadcast_shapes(a.shape, b.shape)
        if op.type == "Mul" and np.all(cv == 0) and out is not None and out.is_fully_defined():
            return [c.const(op.name, np.zeros(out.as_list(), op.outputs[0].dtype.np))]
    return None


def _dropout_keep(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """``floor(k + U)`` with U uniform in [0, 1) and an integer constant k is k: dropout's keep mask when
    ``keep_prob`` is 1 (a fed placeholder made constant)."""
    add = ins[0].op
    out = ins[0].shape
    if add.type != "Add" or not out.is_fully_defined():
        return None
    for k, u in ((add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])):
        kv = const_value(k)
        if kv is not None and u.op.type == "RandomUniform" and np.all(kv == np.floor(kv)):
            return [c.const(op.name, np.broadcast_to(kv, out.as_list()), op.outputs[0].dtype)]
    return None


def _import_rule(values: dict[str, np.ndarray], fed: dict[str, np.ndarray]) -> Rule:
    def rule(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
        t = op.type
        if t == "VariableV2":
            return [c.const(op.name, values[op.name], op.outputs[0].dtype)]
        if t in ("Placeholder", "PlaceholderWithDefault") and op.name in fed:
            return [c.const(op.name, fed[op.name], op.outputs[0].dtype)]
        if t == "Placeholder":
            raise InvalidArgumentError(
                f"placeholder {op.name} is needed by the outputs but is not one of the input tensors "
                "(give its inference value in constants=, e.g. a keep_prob of 1.0)"
            )
        if t in ("Identity", "StopGradient", "PlaceholderWithDefault", "Print", "CheckNumerics"):
            return [ins[0]]
        if t == "Floor":
            folded = _dropout_keep(c, op, ins)
            if folded is not None:
                return folded
        if t == "If":
            return _fold_cond(c, op, ins, rule)
        if t == "While":
            return _unroll_loop(c, op, ins, rule)
        opdef = get_op_def(t)
        if opdef.stateful:
            if t in _RANDOM:
                return None
            raise InvalidArgumentError(
                f"op {op.name} ({t}) changes state and cannot be part of a frozen graph"
            )
        if t in ("Shape", "Size", "Rank") and ins[0].shape.is_fully_defined():
            dims = ins[0].shape.as_list()
            value = {"Shape": dims, "Size": int(np.prod(dims, dtype=np.int64)), "Rank": len(dims)}[t]
            return [c.const(op.name, value, op.outputs[0].dtype)]
        if op.outputs and t != "Const" and all(x.op.type == "Const" for x in ins):
            result = opdef.kernel(_FoldContext(op), *[x.op.attrs["value"] for x in ins])
            arrays = [result] if len(op.outputs) == 1 else list(result)
            return [
                c.const(op.name if i == 0 else f"{op.name}_{i}", np.asarray(v), out.dtype)
                for i, (v, out) in enumerate(zip(arrays, op.outputs, strict=True))
            ]
        return _simplify(c, op, ins)

    return rule


# ---- control flow decided at freeze time: a cond folds to its taken branch, a loop unrolls -------------
MAX_UNROLL = 10_000  # iterations; a longer loop is refused rather than written out


def _inline(c: _Copier, body: Any, env: dict[Tensor, Tensor], rule: Rule) -> list[Tensor]:
    """Copy a cond branch or loop body into the new graph, its args and captures mapped by ``env``, each op
    through ``rule`` (so constants fold and nested control flow folds or unrolls too)."""
    local = dict(env)
    for op in body.order:
        ins = [local[t] for t in op.inputs]
        outs = rule(c, op, ins)
        if outs is None:
            outs = list(c.graph.create_op(op.type, ins, dict(op.attrs), c.fresh(op.name) + "/").outputs)
        for t, n in zip(op.outputs, outs, strict=True):
            local[t] = n
    return [local[t] for t in body.outputs]


def _decided(op: Operation, t: Tensor, what: str) -> np.ndarray:
    v = const_value(t)
    if v is None:
        raise InvalidArgumentError(
            f"op {op.name} ({op.type}): {what} is not known at freeze time, so the op cannot be exported; "
            "only control flow decided at freeze time folds (a cond on a constant or on a placeholder "
            "given in constants=, e.g. {is_training: False}; a while loop with a static trip count)"
        )
    return v


def _fold_cond(c: _Copier, op: Operation, ins: list[Tensor], rule: Rule) -> list[Any]:
    """``If`` with a constant predicate: the taken branch, inlined (the trace output is dropped)."""
    key = "then" if bool(_decided(op, ins[0], f"its predicate {op.inputs[0].name}")) else "else"
    body = op.attrs[key]
    env = {t: ins[1 + i] for t, i in zip(body.captures, op.attrs[key + "_caps"], strict=True)}
    return [*_inline(c, body, env, rule), None]


def _unroll_loop(c: _Copier, op: Operation, ins: list[Tensor], rule: Rule) -> list[Any]:
    """``While`` whose condition folds to a constant in every iteration: the body copied once per
    iteration; per-iteration values (dynamic_rnn's outputs) are stacked with ``Pack``."""
    a = op.attrs
    n = a["n_vars"]
    vals = list(ins[:n])
    limit = int(_decided(op, ins[n], "maximum_iterations")) if a["has_max"] else None
    caps = ins[n + a["has_max"] :]
    cb, bb = a["cond"], a["body"]
    accs: list[list[Tensor]] = [[] for _ in a["acc_elems"]]
    i = 0
    while limit is None or i < limit:
        env = {t: caps[k] for t, k in zip(cb.captures, a["cond_caps"], strict=True)}
        env.update(zip(cb.args, vals, strict=True))
        (go,) = _inline(c, cb, env, rule)
        if not bool(_decided(op, go, "its trip count (the loop condition)")):
            break
        if i == MAX_UNROLL:
            raise InvalidArgumentError(f"op {op.name} (While): more than {MAX_UNROLL} iterations to unroll")
        env = {t: caps[k] for t, k in zip(bb.captures, a["body_caps"], strict=True)}
        env.update(zip(bb.args, vals, strict=True))
        outs = _inline(c, bb, env, rule)
        vals = outs[:n]
        for acc, v in zip(accs, outs[n:], strict=True):
            acc.append(v)
        i += 1
    stacked: list[Tensor] = []
    for acc, (shape, dtype) in zip(accs, a["acc_elems"], strict=True):
        if acc:
            with c.graph.as_default():
                stacked.append(stack(acc, name=c.fresh(op.name + "/stacked")))
        else:
            stacked.append(c.const(op.name + "/stacked", np.zeros([0, *shape.as_list()], dtype.np)))
    return [*vals, *stacked, None]


# ---- pass 2: fusion (bias, batch-norm scale and shift, activation) ------------------------------------
def _fused_parts(t: Tensor) -> tuple[Operation, Tensor, Tensor, np.ndarray, np.ndarray | None] | None:
    """(op, x, w, w value, bias value) of a fused op output that has no activation yet."""
    op = t.op
    if op.type not in _BASE or op.attrs["activation"] != "NONE":
        return None
    w = op.inputs[1]
    wv = const_value(w)
    bv = const_value(op.inputs[2]) if len(op.inputs) == 3 else None
    if wv is None or (len(op.inputs) == 3 and bv is None):
        return None
    return op, op.inputs[0], w, wv, bv


def _channel_vector(v: np.ndarray | None, channels: int | None) -> np.ndarray | None:
    """``v`` as a length-``channels`` vector when it is a scalar or varies along the last axis only."""
    if v is None or channels is None or v.dtype.kind != "f":
        return None
    if v.size == 1:
        return np.full(channels, v.reshape(()), v.dtype)
    if v.shape[-1] == channels and v.size == channels:
        return v.reshape(channels)
    return None


def _scale_filter(op: Operation, w: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The filter of fused op ``op`` with output channel k multiplied by ``s[k]``."""
    if op.type == "_FusedMatMul":
        return w * (s[:, None] if op.attrs["transpose_b"] else s[None, :])
    if op.type == "_FusedDepthwiseConv2D":
        return w * s.reshape(w.shape[2], w.shape[3])
    return w * s


def _rebuild(
    c: _Copier, src: Operation, fused: Operation, w: Any, bias: Any, activation: str, base: str
) -> list[Tensor]:
    x = fused.inputs[0]
    dtype = fused.outputs[0].dtype
    wt = fused.inputs[1] if isinstance(w, Tensor) else c.const(f"{base}/weights", w, dtype)
    ins = [x, wt]
    if bias is not None:
        ins.append(bias if isinstance(bias, Tensor) else c.const(f"{base}/bias", bias, dtype))
    attrs = {**fused.attrs, "activation": activation}
    return [c.op(fused.type, ins, attrs, src.name)]


UNPACK_MAX = 16  # pieces of the runtime's Pack and Unpack (trainer/runtime_ops/pack.py: MAX_TENSORS)


def _take(c: _Copier, x: Tensor, ax: int, k: int, name: str) -> Tensor:
    """``x`` at index ``k`` of axis ``ax``, the axis dropped: a StridedSlice with that axis shrunk."""
    spec = tuple(("s", None, None, 1) for _ in range(ax)) + (("i", int(k)),)
    return c.op("StridedSlice", [x], {"spec": spec}, name)


def _gather_as_slice(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """``Gather`` of one constant index (a time step of ``dynamic_rnn``'s input, seen through its time-major
    Transpose when the other axes keep their order) as a ``StridedSlice`` taking that index on its axis."""
    k = const_value(ins[1])
    p, ax = ins[0], op.attrs["axis"]
    if k is None or k.ndim != 0 or p.shape.ndims is None:
        return None
    x = p
    if p.op.type == "Transpose":
        perm = [int(v) for v in p.op.attrs["perm"]]
        rest = perm[:ax] + perm[ax + 1 :]
        if rest == sorted(rest):
            x, ax = p.op.inputs[0], perm[ax]
    return [_take(c, x, ax, int(k), op.name)]


def _unpack_as_slices(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """An ``Unpack`` of more pieces than the runtime's Unpack gives: one StridedSlice per piece."""
    if len(op.outputs) <= UNPACK_MAX or ins[0].shape.ndims is None:
        return None
    ax = op.attrs["axis"] % ins[0].shape.ndims
    return [_take(c, ins[0], ax, k, f"{op.name}_{k}") for k in range(len(op.outputs))]


def _slice_of_pack(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """``stack(xs, axis)[..., k]`` with every other axis whole (``dynamic_rnn``'s ``outputs[:, -1]``): the
    ``k``-th stacked tensor itself; the Pack is then left unused unless something else reads it."""
    pack, perm = op.inputs[0].op, None
    if pack.type == "Transpose":  # dynamic_rnn's batch-major outputs: a Transpose of the time-major stack
        perm, pack = [int(v) for v in pack.attrs["perm"]], pack.inputs[0].op
    if pack.type != "Pack":
        return None
    spec, n = op.attrs["spec"], len(pack.inputs)
    taken = [k for k, e in enumerate(spec) if e[0] == "i"]
    if len(taken) != 1 or any(e != ("s", None, None, 1) for e in spec if e[0] != "i"):
        return None
    ax = taken[0]
    if perm is not None:
        rest = perm[:ax] + perm[ax + 1 :]
        if ax >= len(perm) or rest != sorted(rest):
            return None
        ax = perm[ax]
    k = spec[taken[0]][1]
    if ax != pack.attrs["axis"] or not -n <= k < n:
        return None
    return [c.map[pack.inputs[k % n]]]


def _pack_tree(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """A ``Pack`` of more tensors than the runtime's 16 (``dynamic_rnn``'s stacked outputs): Packs of up to
    16, then Concatenations of up to 16 of those along the packed axis."""
    if len(ins) <= UNPACK_MAX:
        return None
    ax = op.attrs["axis"]
    parts = [
        c.op("Pack", ins[k : k + UNPACK_MAX], {"axis": ax}, f"{op.name}_{k // UNPACK_MAX}")
        for k in range(0, len(ins), UNPACK_MAX)
    ]
    level = 0
    while len(parts) > 1:
        parts = [
            group[0] if len(group) == 1 else c.op("Concatenation", group, {"axis": ax}, f"{op.name}_c{level}")
            for group in (parts[k : k + UNPACK_MAX] for k in range(0, len(parts), UNPACK_MAX))
        ]
        level += 1
    return parts


def _reverse_whole_sequences(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """``ReverseSequence`` whose lengths are all the whole time axis (``bidirectional_dynamic_rnn`` without
    ``sequence_length``): a StridedSlice with stride -1 on that axis."""
    lens, x, ax = const_value(ins[1]), ins[0], op.attrs["seq_axis"]
    if lens is None or x.shape.ndims is None or x.shape.as_list()[ax] is None:
        return None
    if not np.all(np.asarray(lens) == x.shape.as_list()[ax]):
        return None
    spec = tuple(("s", None, None, -1 if k == ax else 1) for k in range(x.shape.ndims))
    return [c.op("StridedSlice", [x], {"spec": spec}, op.name)]


def _dense_on_last_axis(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    """``Reshape([..., K] -> [M, K])``, ``_FusedMatMul``, ``Reshape(-> [..., N])`` (``tf.layers.dense`` or
    ``tensordot`` on a rank > 2 input) as one ``_FusedMatMul`` over the last axis (attr ``keep_dims``), so
    that the bias and activation after it fuse too and the runtime's FullyConnected takes the input as is."""
    mm = ins[0].op
    if mm.type != "_FusedMatMul" or mm.attrs.get("keep_dims") or mm.attrs["activation"] != "NONE":
        return None
    inner = mm.inputs[0].op
    src_mm = op.inputs[0].op
    if inner.type != "Reshape" or not (c.single_use(op.inputs[0]) and c.single_use(src_mm.inputs[0])):
        return None
    x = inner.inputs[0]
    xs, flat, out = x.shape, inner.outputs[0].shape, op.outputs[0].shape
    if not (xs.is_fully_defined() and flat.is_fully_defined() and out.is_fully_defined()) or xs.ndims < 3:
        return None
    xd, od = xs.as_list(), out.as_list()
    if flat.as_list() != [int(np.prod(xd[:-1])), xd[-1]] or od[:-1] != xd[:-1]:
        return None
    return [c.op("_FusedMatMul", [x, *mm.inputs[1:]], {**mm.attrs, "keep_dims": True}, op.name)]


def _fuse_rule(c: _Copier, op: Operation, ins: list[Tensor]) -> list[Tensor] | None:
    t = op.type
    if t == "Reshape":
        return _dense_on_last_axis(c, op, ins)
    if t == "ReverseSequence":
        return _reverse_whole_sequences(c, op, ins)
    if t == "Gather":
        return _gather_as_slice(c, op, ins)
    if t == "Unpack":
        return _unpack_as_slices(c, op, ins)
    if t == "Pack":
        return _pack_tree(c, op, ins)
    if t == "StridedSlice":
        return _slice_of_pack(c, op, ins)
    if t in FUSED:
        if const_value(ins[1]) is None or (t == "MatMul" and op.attrs["transpose_a"]):
            return None
        return [c.op(FUSED[t], ins, {**op.attrs, "activation": "NONE", "_fused_type": FUSED[t]}, op.name)]
    if t in ("Relu", "Relu6"):
        parts = _fused_parts(ins[0])
        if parts is None or not c.single_use(op.inputs[0]):
            return None
        fused = parts[0]
        bias = fused.inputs[2] if len(fused.inputs) == 3 else None
        return _rebuild(c, op, fused, fused.inputs[1], bias, t.upper(), op.name)
    if t not in ("BiasAdd", "Add", "Sub", "Mul"):
        return None
    for k in (0, 1):
        if k == 1 and t in ("BiasAdd", "Sub"):
            break
        parts = _fused_parts(ins[k])
        if parts is None or not c.single_use(op.inputs[k]):
            continue
        fused, _, _, wv, bv = parts
        channels = fused.outputs[0].shape.dims[-1] if fused.outputs[0].shape.dims else None
        other = ins[1 - k]
        v = _channel_vector(const_value(other), channels)
        if v is None or not _keeps_shape(const_value(other), fused.outputs[0]):
            continue
        if t == "Mul":
            w_new = _scale_filter(fused, wv, v).astype(wv.dtype)
            b_new = None if bv is None else (bv * v).astype(bv.dtype)
            return _rebuild(c, op, fused, w_new, b_new, "NONE", op.name)
        shift = -v if t == "Sub" else v
        b_new = shift if bv is None else (bv + shift).astype(bv.dtype)
        return _rebuild(c, op, fused, fused.inputs[1], b_new, "NONE", op.name)
    return None


# ---- public API -------------------------------------------------------------------------------------
def _resolve(graph: Graph, items: Sequence[Any], what: str) -> list[Tensor]:
    out = []
    for item in items:
        el = as_graph_element(item, graph)
        if not isinstance(el, Tensor):
            raise InvalidArgumentError(f"{what} {item!r} is an operation; give a tensor ('{el.name}:0')")
        if el.graph is not graph:
            raise InvalidArgumentError(f"{what} {el.name} belongs to another graph than the session's")
        out.append(el)
    if not out:
        raise InvalidArgumentError(f"give at least one {what}")
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"{what}s must be distinct, got {[t.name for t in out]}")
    return out


def _fed_constants(graph: Graph, constants: dict[Any, Any], inputs: list[Tensor]) -> dict[str, np.ndarray]:
    """``constants`` as {placeholder op name: value of the placeholder's dtype and shape}."""
    fed = {}
    for key, value in constants.items():
        (t,) = _resolve(graph, [key], "constant placeholder")
        if t.op.type not in ("Placeholder", "PlaceholderWithDefault"):
            raise InvalidArgumentError(f"constants: {t.name} is a {t.op.type}, not a placeholder")
        if t in inputs:
            raise InvalidArgumentError(f"constants: {t.name} is also an input tensor")
        arr = np.asarray(value, dtype=t.dtype.np)
        if not t.shape.is_compatible_with(as_shape(arr.shape)):
            raise InvalidArgumentError(
                f"constants: value of shape {arr.shape} does not fit {t.name} {t.shape}"
            )
        fed[t.op.name] = arr
    return fed


def input_shapes_for(
    inputs: Sequence[Tensor], input_shapes: Sequence[Any] | None, batch_size: int | None
) -> list[TensorShape]:
    """Each input's shape: ``input_shapes[i]`` when given, else its own with an unknown batch dimension
    set to ``batch_size`` (when given)."""
    if input_shapes is not None and len(input_shapes) != len(inputs):
        raise InvalidArgumentError(f"{len(input_shapes)} input_shapes for {len(inputs)} inputs")
    if batch_size is not None and int(batch_size) < 1:
        raise InvalidArgumentError(f"batch_size must be >= 1, got {batch_size}")
    shapes = []
    for i, t in enumerate(inputs):
        if input_shapes is not None and input_shapes[i] is not None:
            shape = as_shape(input_shapes[i])
            if not shape.is_compatible_with(t.shape):
                raise InvalidArgumentError(f"input shape {shape} does not fit {t.name} of shape {t.shape}")
        else:
            shape = t.shape
            if batch_size is not None and shape.dims and shape.dims[0] is None:
                shape = TensorShape([int(batch_size), *shape.dims[1:]])
        shapes.append(shape)
    return shapes


def freeze(
    sess: Any,
    input_tensors: Sequence[Any],
    output_tensors: Sequence[Any],
    *,
    input_shapes: Sequence[Any] | None = None,
    batch_size: int | None = None,
    constants: dict[Any, Any] | None = None,
    fuse: bool = True,
) -> FrozenGraph:
    """Freeze what ``output_tensors`` compute from ``input_tensors`` in ``sess``'s graph (module docstring).

    ``input_shapes`` (one shape or None per input) or ``batch_size`` (for an unknown first dimension) fix
    the inputs' shapes. ``constants`` maps placeholders (tensors or names) that are not inputs to their
    inference values, as a ``feed_dict`` would (``{keep_prob: 1.0}`` of a TF1 tutorial's dropout, or
    ``{training: False}``). ``fuse=False`` stops after constant folding (no fused ops).
    """
    return _freeze(sess.graph, sess, input_tensors, output_tensors, input_shapes, batch_size, constants, fuse)


def optimize(
    graph: Graph,
    input_tensors: Sequence[Any],
    output_tensors: Sequence[Any],
    *,
    input_shapes: Sequence[Any] | None = None,
    batch_size: int | None = None,
    constants: dict[Any, Any] | None = None,
    fuse: bool = True,
) -> FrozenGraph:
    """The same passes as :func:`freeze` on a graph that holds no variables (an already frozen graph)."""
    return _freeze(graph, None, input_tensors, output_tensors, input_shapes, batch_size, constants, fuse)


def _freeze(
    graph: Graph,
    sess: Any,
    input_tensors: Sequence[Any],
    output_tensors: Sequence[Any],
    input_shapes: Sequence[Any] | None,
    batch_size: int | None,
    constants: dict[Any, Any] | None,
    fuse: bool,
) -> FrozenGraph:
    inputs = _resolve(graph, input_tensors, "input tensor")
    outputs = _resolve(graph, output_tensors, "output tensor")
    shapes = input_shapes_for(inputs, input_shapes, batch_size)
    fed = _fed_constants(graph, constants or {}, inputs)

    importer = _Copier(inputs, outputs)
    variables = [op for op in importer.ops if op.type == "VariableV2"]
    if variables and sess is None:
        raise InvalidArgumentError(
            f"the graph still holds variables ({variables[0].name}, ...): freeze it from a session "
            "(trainer.freeze.freeze(sess, ...) or Converter.from_session)"
        )
    fetched = sess.run([op.outputs[0] for op in variables]) if variables else []
    values = {op.name: np.array(v) for op, v in zip(variables, fetched, strict=True)}
    frozen = importer.run(_import_rule(values, fed), shapes)
    if fuse:
        frozen = _Copier(frozen.inputs, frozen.outputs).run(_fuse_rule)
    return _Copier(frozen.inputs, frozen.outputs).run(_keep)


freeze_graph = freeze
