"""``tf.contrib.quantize``: TF1's graph rewriter for quantization-aware training (QAT).

Call :func:`create_training_graph` after building the model and the loss but **before** the optimizer (its
gradients must see the rewritten graph) and before creating the session; build the export graph the same way
and call :func:`create_eval_graph` on it, then restore the trained variables (the learned ranges included)
and convert: ``trainer.lite.Converter`` takes the activation ranges from the fake-quant nodes instead of
calibrating those tensors (the rest, e.g. the model input, is calibrated on the representative dataset)::

    with train_graph.as_default():
        logits = build_model(x)
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        tf.contrib.quantize.create_training_graph(quant_delay=2000)
        train_op = tf.train.AdamOptimizer(1e-4).minimize(loss)
    with eval_graph.as_default():
        logits = build_model(x)
        tf.contrib.quantize.create_eval_graph()
        output = tf.contrib.quantize.quantized_tensor(logits)   # the logits after their fake quant

What the rewrite inserts, matching what ``trainer.quant.ptq`` exports (TFLite's int8 scheme):

* **weights** of ``Conv2D``, ``DepthwiseConv2D`` and ``MatMul`` read from a variable: symmetric per output
  channel, ``fake_quant_with_min_max_vars_per_channel(w, -m, m, narrow_range=True)`` with ``m`` the
  channel's current max |w| (TF's "last value" ranges), i.e. the grid ``k * m / 127`` the exporter uses.
  Batch norm is **not** folded into the weights during training (TF1 folds it): a per-channel scale
  ``s`` (what freezing folds in) maps this grid onto the folded weights' own per-channel grid, so the
  exported int8 weights equal the trained ones times ``s`` exactly;
* **activations**: the outputs of ``Relu`` / ``Relu6``, of a ``BiasAdd`` not followed by one (a layer
  without activation, like the logits) and of a residual ``Add``/``AddV2`` of two activations not
  followed by one: ``fake_quant_with_min_max_vars`` (8 bits) on ranges held in two non-trainable variables
  ``<op>/act_quant/min`` and ``max``, which the training graph updates at every step with an exponential
  moving average of the batch min (at most 0) and max (at least 0), with decay
  ``min(ema_decay, n / (n + 1))`` after ``n`` updates (the first batch sets them; TF1 starts from
  [-6, 6] instead). The eval graph reads them without updating. ``quant_delay`` (training graph): before
  the global step reaches it the tensors pass unquantized (the ranges are still tracked).

Ops inside ``tf.cond`` / ``tf.while_loop`` bodies are left alone. This is a pattern rewriter for the
conv / depthwise / dense + batch norm + ReLU models the int8 exporter handles, not TF1's full matcher
(no separate weight folding of batch norm, no ``Concat`` range sharing, 8 bits only).
"""

from __future__ import annotations

import heapq
from typing import Any

from trainer.errors import FailedPreconditionError, InvalidArgumentError
from trainer.graph import GraphKeys, Operation, Tensor, control_dependencies, get_default_graph, name_scope
from trainer.ops import array_ops, control_flow, fake_quant_ops, math_ops, state_ops
from trainer.train.global_step import get_or_create_global_step
from trainer.variables import Variable

__all__ = ["create_eval_graph", "create_training_graph", "quantized_tensor"]

WEIGHT_OPS = ("Conv2D", "DepthwiseConv2D", "MatMul")
ACTIVATIONS = ("Relu", "Relu6")
RESIDUAL_ADDS = ("Add", "AddV2")
QUANTIZATION_VARIABLES = "quantization_variables"  # the collection of the act_quant min/max variables
_REWRITES = "_contrib_quantize_rewrites"  # graph attribute: {source tensor name: fake-quantized tensor}


def create_training_graph(input_graph: Any = None, quant_delay: int = 0, *, ema_decay: float = 0.999) -> None:
    """Rewrite ``input_graph`` (default: the default graph) for quantization-aware training: fake quant on
    weights and activations, activation ranges tracked by moving averages (module docstring)."""
    if quant_delay < 0:
        raise InvalidArgumentError(f"quant_delay must be >= 0, got {quant_delay}")
    if not 0.0 <= ema_decay < 1.0:
        raise InvalidArgumentError(f"ema_decay must be in [0, 1), got {ema_decay}")
    _rewrite(input_graph or get_default_graph(), True, quant_delay, ema_decay)


def create_eval_graph(input_graph: Any = None) -> None:
    """Rewrite ``input_graph`` (default: the default graph) for evaluation and export: the same fake-quant
    nodes, reading the ranges the training graph learned (restore them before running or converting)."""
    _rewrite(input_graph or get_default_graph(), False, 0, 0.0)


def quantized_tensor(t: Tensor) -> Tensor:
    """The fake-quantized tensor the rewrite put after ``t`` (``t`` itself when it was not quantized):
    fetch this one to get what the rewritten graph's consumers see, e.g. the quantized logits."""
    return getattr(t.graph, _REWRITES, {}).get(t.name, t)


# ---- the rewrite -------------------------------------------------------------------------------------
def _rewrite(graph: Any, is_training: bool, quant_delay: int, ema_decay: float) -> None:
    if getattr(graph, "_finalized", False):
        raise FailedPreconditionError("the graph is finalized: rewrite it before creating a MonitoredSession")
    if hasattr(graph, _REWRITES):
        raise FailedPreconditionError("this graph was already rewritten by tf.contrib.quantize")
    ops = [op for op in graph.get_operations() if op._cf is None]
    consumers: dict[Tensor, list[Operation]] = {}
    for op in ops:
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)
    rewrites: dict[str, Tensor] = {}
    with graph.as_default():
        for op in ops:
            w = _weight_variable(op)
            if w is not None:
                _replace_input(op, op.inputs[1], _quantize_weights(op, op.inputs[1]))
        for t in _activation_targets(ops, consumers):
            q = _quantize_activation(t, is_training, quant_delay, ema_decay)
            rewrites[t.name] = q
            for c in consumers.get(t, []):
                _replace_input(c, t, q)
    setattr(graph, _REWRITES, rewrites)
    _renumber(graph)


def _renumber(graph: Any) -> None:
    """Restore the invariant the whole trainer relies on, that creation order (``op._id``) is a topological
    order: the rewired ops now read fake-quant ops created after them. A stable topological sort (Kahn's,
    smallest old id first) moves only what must move; every op gets its new position as its id."""
    ops = graph._ops
    deps = {op: {t.op for t in op.inputs} | set(op.control_inputs) for op in ops}
    users: dict[Operation, list[Operation]] = {op: [] for op in ops}
    for op, ds in deps.items():
        for d in ds:
            users[d].append(op)
    waiting = {op: len(ds) for op, ds in deps.items()}
    ready = [(op._id, op) for op in ops if waiting[op] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, op = heapq.heappop(ready)
        order.append(op)
        for u in users[op]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, (u._id, u))
    if len(order) != len(ops):  # internal invariant: the rewrite only inserts ops on existing edges
        raise AssertionError("tf.contrib.quantize made the graph cyclic")
    for i, op in enumerate(order):
        op._id = i
    ops[:] = order


def _replace_input(op: Operation, old: Tensor, new: Tensor) -> None:
    op.inputs = tuple(new if t is old else t for t in op.inputs)


def _weight_variable(op: Operation) -> Operation | None:
    """The VariableV2 op that ``op`` (a conv or matmul) reads its weights from, else None."""
    if op.type not in WEIGHT_OPS or len(op.inputs) < 2:
        return None
    if op.type == "MatMul" and (op.attrs.get("transpose_a") or op.attrs.get("transpose_b")):
        return None
    src = op.inputs[1].op
    while src.type in ("Identity", "ReadVariableOp") and src.inputs:
        src = src.inputs[0].op
    return src if src.type == "VariableV2" else None


def _quantize_weights(op: Operation, w: Tensor) -> Tensor:
    """Symmetric per-output-channel fake quant of weights ``w`` (the last axis; a depthwise filter
    [kh, kw, c, m] has c * m output channels)."""
    shape = w.shape.as_list()
    with name_scope(f"{op.name}/weights_quant"):
        depthwise = op.type == "DepthwiseConv2D"
        flat = array_ops.reshape(w, [*shape[:-2], shape[-2] * shape[-1]]) if depthwise else w
        axes = list(range(len(flat.shape.as_list()) - 1))
        peak = math_ops.reduce_max(math_ops.abs(flat), axis=axes)
        m = array_ops.stop_gradient(math_ops.maximum(peak, 1e-12))
        q = fake_quant_ops.fake_quant_with_min_max_vars_per_channel(flat, -m, m, narrow_range=True)
        return array_ops.reshape(q, shape) if depthwise else q


def _activation_targets(ops: list[Operation], consumers: dict[Tensor, list[Operation]]) -> list[Tensor]:
    """The layer outputs to fake-quantize, in graph order (module docstring)."""

    def feeds_activation(t: Tensor) -> bool:
        return any(c.type in ACTIVATIONS for c in consumers.get(t, []))

    def is_activation(t: Tensor) -> bool:
        return t.op.type in (*ACTIVATIONS, "BiasAdd", *RESIDUAL_ADDS) and t.op.outputs[0].shape.ndims != 1

    targets = []
    for op in ops:
        if not op.outputs or op.outputs[0].dtype.name != "float32":
            continue
        t = op.outputs[0]
        if op.type in ACTIVATIONS:
            targets.append(t)
        elif op.type == "BiasAdd" and not feeds_activation(t) and _from_weights(op):
            targets.append(t)
        elif op.type in RESIDUAL_ADDS and not feeds_activation(t):
            a, b = op.inputs
            rank = t.shape.ndims
            same_rank = rank is not None and rank >= 2 and a.shape.ndims == b.shape.ndims == rank
            if same_rank and is_activation(a) and is_activation(b):
                targets.append(t)
    return targets


def _from_weights(op: Operation) -> bool:
    return op.inputs[0].op.type in WEIGHT_OPS


def _quantize_activation(t: Tensor, is_training: bool, quant_delay: int, ema_decay: float) -> Tensor:
    scope = f"{t.op.name}/act_quant"
    with name_scope(scope + "/"):
        collections = [GraphKeys.GLOBAL_VARIABLES, QUANTIZATION_VARIABLES]
        lo = Variable(0.0, trainable=False, collections=collections, name="min")
        hi = Variable(0.0, trainable=False, collections=collections, name="max")
        if not is_training:
            return fake_quant_ops.fake_quant_with_min_max_vars(t, lo, hi, name="FakeQuantWithMinMaxVars")
        n = Variable(0.0, trainable=False, collections=collections, name="updates")
        decay = math_ops.minimum(ema_decay, n / (n + 1.0))
        batch_lo = array_ops.stop_gradient(math_ops.minimum(math_ops.reduce_min(t), 0.0))
        batch_hi = array_ops.stop_gradient(math_ops.maximum(math_ops.reduce_max(t), 0.0))
        new_lo = state_ops.assign(lo, lo * decay + batch_lo * (1.0 - decay))
        new_hi = state_ops.assign(hi, hi * decay + batch_hi * (1.0 - decay))
        with control_dependencies([new_lo, new_hi]):
            counted = state_ops.assign_add(n, 1.0)
        with control_dependencies([counted]):
            # the ranges are statistics, not parameters: no gradient flows into their updates
            q_lo, q_hi = array_ops.stop_gradient(new_lo), array_ops.stop_gradient(new_hi)
        if quant_delay == 0:
            return fake_quant_ops.fake_quant_with_min_max_vars(t, q_lo, q_hi, name="FakeQuantWithMinMaxVars")
        step = get_or_create_global_step()
        return control_flow.cond(
            math_ops.greater_equal(step, quant_delay),
            lambda: fake_quant_ops.fake_quant_with_min_max_vars(t, q_lo, q_hi),
            lambda: array_ops.identity(t),
            name="delayed",
        )
