"""Symbolic differentiation: ``gradients(ys, xs)`` adds gradient ops to the graph.

The ops between ``xs`` and ``ys`` are visited in reverse creation order (a reverse topological order).
Each op's registered gradient rule maps its output gradients to input gradients; contributions to one
tensor are summed with ``AddN``; for broadcasting ops the engine sums each input gradient back to the
input's shape (once, here, with ``SumToShape``), so the rules never unbroadcast. Gradient ops go into the
``gradients/`` name scope and onto the forward op's device.

>>> import trainer as tf
>>> x = tf.constant([1.0, 2.0])
>>> (dx,) = tf.gradients(tf.reduce_sum(x * x), [x])
>>> with tf.Session() as sess:
...     print(sess.run(dx))
[2. 4.]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.errors import GradientLookupError, InternalError, InvalidArgumentError
from trainer.graph import Operation, Tensor, convert_to_tensor, get_default_graph
from trainer.ops import array_ops, control_flow, math_ops
from trainer.registry import get_op_def

# The gradient ops of tf.cond and tf.while_loop replay traced forward values; they have no gradient.
_NO_SECOND_ORDER = dict.fromkeys(
    ("IfGrad", "WhileGrad"),
    ": second derivatives through tf.cond and tf.while_loop are not supported (docs/control_flow.md)",
)


class AggregationMethod:
    """``tf.AggregationMethod``: how gradients reaching one tensor are summed. Accepted for TF1 code;
    tensorlet always sums with one ``AddN``."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _floating(t: Tensor) -> bool:
    return t.dtype.is_floating


def gradients(
    ys: Any,
    xs: Any,
    grad_ys: Any = None,
    name: str = "gradients",
    stop_gradients: Any = None,
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
) -> list[Tensor | None]:
    """``d(sum(ys))/dx`` for each x in ``xs`` (None where x does not affect ys).

    ``grad_ys`` weights each y (default ones); gradients do not flow through ``stop_gradients`` tensors,
    ``StopGradient`` ops, or integer/boolean tensors. A path through an op declared not differentiable
    raises GradientLookupError.
    """
    g = get_default_graph()
    ys = [convert_to_tensor(y) for y in _as_list(ys)]
    xs = [convert_to_tensor(x) for x in _as_list(xs)]
    grad_ys_l = _as_list(grad_ys) if grad_ys is not None else [None] * len(ys)
    if len(grad_ys_l) != len(ys):
        raise InvalidArgumentError(f"gradients: {len(ys)} ys but {len(grad_ys_l)} grad_ys")
    stops = {convert_to_tensor(s) for s in _as_list(stop_gradients)}

    # Tensors that depend on some x (forward pass over creation order); stop tensors cut the paths.
    connected: set[Tensor] = set(xs)
    from_x: set[Operation] = set()
    if xs:
        start = min(x.op._id for x in xs)
        for op in g._ops[start:]:
            if any(t in connected for t in op.inputs):
                from_x.add(op)
                connected.update(t for t in op.outputs if t not in stops)

    # Ops between xs and ys: reached backwards from ys, never past a stop tensor.
    relevant: set[Operation] = set()
    stack = [y.op for y in ys if y.op in from_x and y not in stops]
    while stack:
        op = stack.pop()
        if op in relevant:
            continue
        relevant.add(op)
        for t in op.inputs:
            if t in connected and t not in stops and t.op in from_x and t.op not in relevant:
                stack.append(t.op)

    grads: dict[Tensor, list[Tensor]] = {}
    with g.name_scope(name):
        for y, gy in zip(ys, grad_ys_l, strict=False):
            if gy is None:
                if y.shape.is_fully_defined():
                    gy = array_ops.constant(np.ones(y.shape.dims, y.dtype.np), name=f"grad_ys_{len(grads)}")
                else:
                    gy = array_ops.ones_like(y, name=f"grad_ys_{len(grads)}")
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
            grads.setdefault(y, []).append(gy)

        shape_cache: dict[Tensor, Tensor] = {}
        for op in sorted(relevant, key=lambda o: o._id, reverse=True):
            out_grads: list[Tensor | None] = [None] * len(op.outputs)
            any_grad = False
            with g.device(op.device or None), g.name_scope(op.name + "_grad"):
                for i, t in enumerate(op.outputs):
                    gs = grads.get(t)
                    if gs:
                        out_grads[i] = gs[0] if len(gs) == 1 else math_ops.add_n(gs)
                        grads[t] = [out_grads[i]]  # type: ignore[list-item]
                        any_grad = True
                if not any_grad:
                    continue
                opdef = get_op_def(op.type)
                need = [t in connected and _floating(t) for t in op.inputs]
                if not opdef.differentiable:
                    for t, nd in zip(op.inputs, need, strict=False):
                        if nd:
                            raise GradientLookupError(
                                f"No gradient defined for operation '{op.name}' (op type: {op.type}), "
                                f"needed on the path to {t.name}{_NO_SECOND_ORDER.get(op.type, '')}"
                            )
                    continue
                if not any(need):
                    continue
                if len(op.outputs) > 1:
                    out_grads = [
                        array_ops.zeros_like(t) if gg is None and _floating(t) else gg
                        for gg, t in zip(out_grads, op.outputs, strict=False)
                    ]
                in_grads = opdef.grad(op, *out_grads)
                if not isinstance(in_grads, (list, tuple)):
                    in_grads = [in_grads]
                if len(in_grads) != len(op.inputs):
                    raise InternalError(
                        f"gradient of {op.type} returned {len(in_grads)} entries for {len(op.inputs)} inputs"
                    )
                for t, gi, nd in zip(op.inputs, in_grads, need, strict=False):
                    if gi is None or not nd:
                        continue
                    gi = convert_to_tensor(gi)
                    if opdef.broadcasting:
                        gi = _unbroadcast(gi, t, shape_cache)
                    if gi.dtype is not t.dtype:
                        raise InternalError(
                            f"gradient of {op.type} for {t.name} has dtype {gi.dtype.name}, "
                            f"expected {t.dtype.name}"
                        )
                    grads.setdefault(t, []).append(gi)

        result: list[Tensor | None] = []
        for x in xs:
            gs = grads.get(x)
            if not gs:
                result.append(None)
            elif len(gs) == 1:
                result.append(gs[0])
            else:
                with g.device(x.op.device or None):
                    s = math_ops.add_n(gs)
                grads[x] = [s]
                result.append(s)
    return result


# The gradient rules of tf.cond and tf.while_loop differentiate their bodies with this engine.
control_flow.install_gradients(gradients)


def _unbroadcast(g: Tensor, x: Tensor, shape_cache: dict[Tensor, Tensor]) -> Tensor:
    """Sum ``g`` over the axes that broadcasting added to or stretched in ``x``."""
    if g.shape.is_fully_defined() and g.shape == x.shape:
        return g
    if x.shape.is_fully_defined():
        target = array_ops.constant(np.array(x.shape.dims, np.int32), name="shape")
    else:
        target = shape_cache.get(x)
        if target is None:
            target = shape_cache[x] = array_ops.shape(x)
    return math_ops.sum_to_shape(g, target)
