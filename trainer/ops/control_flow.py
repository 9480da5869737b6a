"""Control flow: ``tf.cond``, ``tf.case`` and ``tf.while_loop`` as functional ops (``If``, ``While``).

Each op holds its branches or its loop's cond and body as :class:`~trainer.ops._body.Body` sub-graphs and
its kernel runs them: only the taken branch runs (an ``assign`` inside a branch happens only when taken),
and a loop runs its body until the cond is false or ``maximum_iterations`` is reached. Why functional ops
and not TF1's Switch/Merge/Enter/Exit frames: see "Control flow" in docs/trainer.md.

Gradients (as TF1 has them): each op also outputs a *trace* (the taken branch's values, or every
iteration's body values). The gradient rule builds, once, a backward body from the forward body's own
gradient graph (``tf.gradients`` of the body outputs w.r.t. its args and captures) and an ``IfGrad`` /
``WhileGrad`` op that replays it, for a loop backwards over the saved iterations, reading the forward
values from the trace.

>>> import trainer as tf
>>> with tf.Graph().as_default():
...     i, s = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2.0), [tf.constant(0), 1.0])
...     with tf.Session() as sess:
...         print(*sess.run([i, s]), sess.run(tf.cond(s > 10.0, lambda: s, lambda: -s)))
4 16.0 16.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer import nest
from trainer.errors import InternalError, InvalidArgumentError
from trainer.graph import Operation, Tensor, convert_to_tensor, get_default_graph
from trainer.ops._body import Body, body_arg, merge_shapes, variant
from trainer.ops.array_ops import zeros_like
from trainer.ops.tensor_array import TensorArray
from trainer.registry import register
from trainer.tensor_shape import TensorShape, as_shape
from trainer.xp_compat import any_true, host_ints

# The gradient engine sits above the op families: trainer.gradients installs its ``gradients`` here at
# import (TF1's pattern), and the gradient rules of If and While build backward bodies with it.
_GRADIENTS: dict[str, Callable[..., Any]] = {}


def install_gradients(fn: Callable[..., Any]) -> None:
    _GRADIENTS["gradients"] = fn


# ---- building bodies --------------------------------------------------------------------------------
def _call_in_body(body: Body, scope: str, fn: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """Call ``fn`` with new ops marked as ``body``'s; return its result and the flat list of its leaves
    converted to tensors inside the body (Operations stay Operations)."""
    g = get_default_graph()
    with g.name_scope(scope), g._control_flow_body(body):
        res = fn()
        flat = [
            x if isinstance(x, Operation) or x is None else convert_to_tensor(_flow(x))
            for x in nest.flatten(res)
        ]
    return res, flat


def _flow(x: Any) -> Any:
    """A TensorArray travels through control flow as its buffer (its flow tensor)."""
    return x.flow if isinstance(x, TensorArray) else x


def _rewrap(templates: list[Any], tensors: list[Any]) -> list[Any]:
    """``tensors`` with each one whose template is a TensorArray wrapped back into a TensorArray."""
    return [
        t._with_flow(x) if isinstance(t, TensorArray) and isinstance(x, Tensor) else x
        for t, x in zip(templates, tensors, strict=True)
    ]


def _make_op(
    op_type: str, inputs: list[Tensor], attrs: dict[str, Any], name: str, controls: list[Operation]
) -> Operation:
    g = get_default_graph()
    op = g.create_op(op_type, inputs, attrs, name)
    extra = [c for c in controls if c not in op.control_inputs]
    if extra:
        op.control_inputs = tuple(op.control_inputs) + tuple(extra)
    return op


def _union(*lists: list[Tensor]) -> tuple[list[Tensor], list[list[int]]]:
    """The tensors of all lists without repeats, and each list's indices into that union."""
    union: dict[Tensor, int] = {}
    for lst in lists:
        for t in lst:
            union.setdefault(t, len(union))
    return list(union), [[union[t] for t in lst] for lst in lists]


def _grad_body(
    fwd: Body, name: str, ys: list[Tensor], xs: list[Tensor], seed_specs: list[Tensor]
) -> tuple[Body, list[Tensor]]:
    """A backward body: args ``g_y`` shaped like ``seed_specs``, outputs ``d(sum g_y * ys)/d xs`` (zeros
    where a y does not depend on an x), built from the forward body's own gradient graph."""
    gradients = _GRADIENTS.get("gradients")
    if gradients is None:
        raise InternalError("the gradient engine (trainer.gradients) is not imported")
    g = get_default_graph()
    gb = Body("grad", name)
    with g.name_scope(name), g._control_flow_body(gb):
        seeds = [body_arg(s.shape, s.dtype, name="grad_y") for s in seed_specs]
        gb.args = seeds
        grads = gradients(ys, xs, grad_ys=seeds, stop_gradients=list(fwd.captures)) if ys and xs else []
        outs = [zeros_like(x) if gr is None else gr for gr, x in zip(grads, xs, strict=True)]
    gb.seal(outs)
    return gb, outs


def _sources(gb: Body, fwd: Body) -> tuple[list[int], list[Tensor]]:
    """Where each capture of backward body ``gb`` comes from: -1 = the forward trace (a value the forward
    body computed or read), k >= 0 = the k-th extra input of the gradient op."""
    src, extra = [], []
    for t in gb.captures:
        if fwd.owns(t) or t in fwd.captures:
            src.append(-1)
        else:
            src.append(len(extra))
            extra.append(t)
    return src, extra


def _keep_for_gradient(op: Operation, key: str, gb: Body, src: list[int]) -> None:
    """Record on forward ``op`` which of its body's values backward body ``gb`` replays: its kernel then
    traces only those (nothing at all while no gradient has been built, as in inference)."""
    need = {t for t, s in zip(gb.captures, src, strict=True) if s < 0}
    op.attrs[key] = frozenset(op.attrs.get(key, frozenset()) | need)


def _traced(env: dict[Tensor, Any], keep: frozenset[Tensor]) -> dict[Tensor, Any]:
    return {t: env[t] for t in keep if t in env}


def _seeded_env(gb: Body, src: list[int], trace_env: dict[Tensor, Any], extra: Sequence[Any]) -> dict:
    return {t: (trace_env[t] if s < 0 else extra[s]) for t, s in zip(gb.captures, src, strict=True)}


def _outputs(specs: list[tuple[TensorShape, _dt.DType]]) -> list[tuple[TensorShape, _dt.DType]]:
    return [*specs, (TensorShape(None), variant)]


def _single_or_tuple(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else tuple(values)


# ---- If: tf.cond ------------------------------------------------------------------------------------
def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    strict: bool = False,
    name: str | None = None,
    fn1: Callable[[], Any] | None = None,
    fn2: Callable[[], Any] | None = None,
) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``; only the taken branch runs. Both branches return the
    same structure of tensors (a singleton list is unpacked unless ``strict``)."""
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn) or not callable(false_fn):
        raise InvalidArgumentError("cond: true_fn and false_fn must be callables")
    g = get_default_graph()
    with g.name_scope(name or "cond") as scope:
        pred = convert_to_tensor(pred)
        if pred.dtype is not _dt.bool or pred.shape.ndims not in (0, None):
            raise InvalidArgumentError(
                f"cond: pred must be a bool scalar, got {pred.dtype.name} {pred.shape}"
            )
        then_b, else_b = Body("then", scope + "true"), Body("else", scope + "false")
        res_t, flat_t = _call_in_body(then_b, "true", true_fn)
        res_f, flat_f = _call_in_body(else_b, "false", false_fn)
        try:
            nest.assert_same_structure(res_t, res_f)
        except InvalidArgumentError as e:
            raise InvalidArgumentError(f"cond {scope[:-1]}: true_fn and false_fn differ: {e}") from None
        is_op = [isinstance(a, Operation) or a is None for a in flat_t]
        if is_op != [isinstance(b, Operation) or b is None for b in flat_f]:
            raise InvalidArgumentError(f"cond {scope[:-1]}: a branch returns an op where the other a tensor")
        outs_t = [t for t, o in zip(flat_t, is_op, strict=True) if not o]
        outs_f = [t for t, o in zip(flat_f, is_op, strict=True) if not o]
        specs = []
        for a, b in zip(outs_t, outs_f, strict=True):
            if a.dtype is not b.dtype:
                raise InvalidArgumentError(
                    f"cond {scope[:-1]}: the branches return {a.dtype.name} and {b.dtype.name} "
                    f"({a.name} vs {b.name})"
                )
            specs.append((merge_shapes(a.shape, b.shape), a.dtype))
        # Ops a branch returns (a train op, an assign) run when that branch is taken.
        then_b.seal(outs_t, [x for x in flat_t if isinstance(x, Operation)])
        else_b.seal(outs_f, [x for x in flat_f if isinstance(x, Operation)])
        caps, (idx_t, idx_f) = _union(then_b.captures, else_b.captures)
        attrs = {
            "then": then_b,
            "else": else_b,
            "then_caps": tuple(idx_t),
            "else_caps": tuple(idx_f),
            "specs": tuple(specs),
        }
        op = _make_op("If", [pred, *caps], attrs, "If", then_b.control_captures + else_b.control_captures)
    it = iter(op.outputs[:-1])
    leaves = [(None if x is None else op) if o else next(it) for x, o in zip(flat_t, is_op, strict=True)]
    result = nest.pack_sequence_as(res_t, _rewrap(nest.flatten(res_t), leaves))
    if (
        not strict
        and isinstance(result, (list, tuple))
        and len(result) == 1
        and not hasattr(result, "_fields")
    ):
        result = result[0]
    return result


def _if_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return _outputs(list(attrs["specs"]))


def _if_kernel(ctx: Any, pred: Any, *caps: Any) -> Any:
    taken = any_true(pred)  # the branch to run is decided on the host (one read on a GPU)
    a = ctx.attrs
    body, idx = (a["then"], a["then_caps"]) if taken else (a["else"], a["else_caps"])
    env = {t: caps[i] for t, i in zip(body.captures, idx, strict=True)}
    outs = body.run(ctx, env)
    keep = a.get(("then" if taken else "else") + "_keep")
    return _single_or_tuple([*outs, (taken, None if keep is None else _traced(env, keep))])


def _if_grad(op: Operation, *grads: Any) -> list[Any]:
    """d/d capture = the taken branch's gradient (its backward body replays the branch's values)."""
    a = op.attrs
    caps = list(op.inputs[1:])
    fcap = [i for i, t in enumerate(caps) if t.dtype.is_floating]
    fout = [k for k, t in enumerate(op.outputs[:-1]) if t.dtype.is_floating]
    if not fcap or not fout:
        return [None] * len(op.inputs)
    bodies, srcs, extras = [], [], []
    for key in ("then", "else"):
        fwd: Body = a[key]
        xs = [caps[i] for i in fcap]
        own = [x for x in xs if x in fwd.captures]
        gb, outs = _grad_body(
            fwd, f"{key}_grad", [fwd.outputs[k] for k in fout], own, [op.outputs[k] for k in fout]
        )
        # Captures the branch does not read get zero gradients from this branch.
        if len(own) != len(xs):
            g = get_default_graph()
            with g.name_scope(f"{key}_zeros"), g._control_flow_body(gb):
                by_x = dict(zip(own, outs, strict=True))
                outs = [by_x[x] if x in by_x else zeros_like(x) for x in xs]
            gb.seal(outs)
        src, extra = _sources(gb, fwd)
        _keep_for_gradient(op, key + "_keep", gb, src)
        bodies.append(gb)
        srcs.append(src)
        extras.append(extra)
    extra_all, (ix_t, ix_f) = _union(*extras)
    gs = [grads[k] for k in fout]
    attrs = {
        "then": bodies[0],
        "else": bodies[1],
        "then_src": tuple(srcs[0]),
        "else_src": tuple(srcs[1]),
        "then_extra": tuple(ix_t),
        "else_extra": tuple(ix_f),
        "n_g": len(gs),
        "specs": tuple((caps[i].shape, caps[i].dtype) for i in fcap),
    }
    deps = _dependencies([caps[i] for i in fcap], extra_all)
    attrs["n_dep"] = len(deps)
    gop = _make_op("IfGrad", [op.inputs[0], op.outputs[-1], *gs, *extra_all, *deps], attrs, "IfGrad", [])
    result: list[Any] = [None] * len(op.inputs)
    for j, i in enumerate(fcap):
        result[1 + i] = gop.outputs[j]
    return result


register("If", shape=_if_shape, kernel=_if_kernel, grad=_if_grad, stateful=True)


def _if_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return list(attrs["specs"])


def _dependencies(xs: list[Tensor], used: list[Tensor]) -> list[Tensor]:
    """The float inputs of a forward control-flow op that its gradient op does not already take. The
    gradient op takes them too, unused, so that a second derivative through it finds the path and
    reports that IfGrad/WhileGrad have no gradient, instead of a silent None (the forward values the
    backward body replays come from the trace, which carries no gradient)."""
    seen = set(used)
    return [x for x in dict.fromkeys(xs) if x.dtype.is_floating and x not in seen]


def _if_grad_kernel(ctx: Any, pred: Any, trace: Any, *rest: Any) -> Any:
    a = ctx.attrs
    rest = rest[: len(rest) - a["n_dep"]]
    taken, env_f = trace
    key = "then" if taken else "else"
    gb: Body = a[key]
    gs, extra_all = rest[: a["n_g"]], rest[a["n_g"] :]
    extra = [extra_all[i] for i in a[key + "_extra"]]
    env = _seeded_env(gb, list(a[key + "_src"]), env_f, extra)
    env.update(zip(gb.args, gs, strict=True))
    return _single_or_tuple(gb.run(ctx, env))


register("IfGrad", shape=_if_grad_shape, kernel=_if_grad_kernel, not_differentiable=True, stateful=True)


def case(
    pred_fn_pairs: Any,
    default: Callable[[], Any] | None = None,
    exclusive: bool = False,
    strict: bool = False,
    name: str = "case",
) -> Any:
    """The fn of the first true predicate of ``pred_fn_pairs`` (a list of ``(pred, fn)`` or a dict), else
    ``default()`` (without a default, the last pair's fn is the fallback, as in TF1). ``exclusive`` is
    accepted but not checked: the first true predicate wins."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, Mapping) else list(pred_fn_pairs)
    if not pairs:
        raise InvalidArgumentError("case: pred_fn_pairs is empty")
    for p, f in pairs:
        if not callable(f):
            raise InvalidArgumentError(f"case: {f!r} (paired with {p!r}) is not callable")
    if default is None:
        *pairs, (_, default) = pairs
    g = get_default_graph()
    with g.name_scope(name):
        preds = [convert_to_tensor(p) for p, _ in pairs]

        def chain(k: int) -> Callable[[], Any]:
            if k == len(pairs):
                return default  # type: ignore[return-value]
            return lambda: cond(preds[k], pairs[k][1], chain(k + 1), strict=strict)

        return chain(0)()


# ---- While: tf.while_loop -----------------------------------------------------------------------------
def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
    maximum_iterations: Any = None,
    return_same_structure: bool = False,
) -> Any:
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most ``maximum_iterations``
    times). ``loop_vars`` is a (nested) list/tuple/namedtuple/dict of tensors; ``shape_invariants`` (same
    structure) relaxes shapes that change across iterations. Iterations run one after another
    (``parallel_iterations`` and ``swap_memory`` are accepted and have no effect)."""
    single = not isinstance(loop_vars, (list, tuple))
    lv = [loop_vars] if single else loop_vars
    inv = [shape_invariants] if single and shape_invariants is not None else shape_invariants
    final, _ = _while(cond, body, lv, inv, back_prop, name, maximum_iterations, False)
    if single or (len(lv) == 1 and not return_same_structure):
        return nest.flatten(final)[0] if single else final[0]
    return final


def _while(
    cond_fn: Callable[..., Any],
    body_fn: Callable[..., Any],
    loop_vars: Sequence[Any],
    shape_invariants: Any,
    back_prop: bool,
    name: str | None,
    maximum_iterations: Any,
    accumulate: bool,
) -> tuple[Any, list[Tensor]]:
    """The While op behind ``while_loop``. With ``accumulate``, ``body_fn``
    returns ``(new_loop_vars, values)`` and the values come back stacked along a new first axis (the
    outputs of ``dynamic_rnn`` are built this way)."""
    g = get_default_graph()
    with g.name_scope(name or "while") as scope:
        leaves = nest.flatten(loop_vars)
        flat_in = [convert_to_tensor(_flow(x)) for x in leaves]
        if shape_invariants is None:
            invariants = [t.shape for t in flat_in]
        else:
            invariants = [as_shape(s) for s in nest.flatten(_shape_leaves(shape_invariants))]
            if len(invariants) != len(flat_in):
                raise InvalidArgumentError(
                    f"while_loop {scope[:-1]}: {len(invariants)} shape invariants, {len(flat_in)} loop vars"
                )
        # A TensorArray's buffer may be allocated or grown by the body: its invariant is left open.
        invariants = [
            _ta_invariant(x, t) if isinstance(x, TensorArray) else s
            for x, t, s in zip(leaves, flat_in, invariants, strict=True)
        ]
        for t, s in zip(flat_in, invariants, strict=True):
            if not t.shape.is_compatible_with(s):
                raise InvalidArgumentError(
                    f"while_loop {scope[:-1]}: loop var {t.name} has shape {t.shape}, which does not match "
                    f"its shape invariant {s}"
                )
        limit = None
        if maximum_iterations is not None:
            limit = convert_to_tensor(maximum_iterations, dtype=_dt.int32, name="maximum_iterations")
        cond_b, body_b = Body("cond", scope + "cond"), Body("body", scope + "body")
        with g.name_scope("cond"), g._control_flow_body(cond_b):
            cond_b.args = [
                body_arg(s, t.dtype, name="loop_var") for t, s in zip(flat_in, invariants, strict=True)
            ]
            c = convert_to_tensor(cond_fn(*nest.pack_sequence_as(loop_vars, _rewrap(leaves, cond_b.args))))
        if c.dtype is not _dt.bool or c.shape.ndims not in (0, None):
            raise InvalidArgumentError(f"while_loop {scope[:-1]}: cond must return a bool scalar, got {c}")
        cond_b.seal([c])
        with g.name_scope("body"), g._control_flow_body(body_b):
            body_b.args = [
                body_arg(s, t.dtype, name="loop_var") for t, s in zip(flat_in, invariants, strict=True)
            ]
            res = body_fn(*nest.pack_sequence_as(loop_vars, _rewrap(leaves, body_b.args)))
            accs: list[Any] = []
            if accumulate:
                res, accs = res
            res_leaves = nest.flatten(res)
            flat_out = [convert_to_tensor(_flow(x)) for x in res_leaves]
            flat_acc = [convert_to_tensor(x) for x in accs]
        if len(flat_out) != len(flat_in):
            raise InvalidArgumentError(
                f"while_loop {scope[:-1]}: body returns {len(flat_out)} tensors for {len(flat_in)} loop vars"
            )
        for x, y, s in zip(flat_in, flat_out, invariants, strict=True):
            if x.dtype is not y.dtype:
                raise InvalidArgumentError(
                    f"while_loop {scope[:-1]}: loop var {x.name} is {x.dtype.name} but the body returns "
                    f"{y.dtype.name} ({y.name})"
                )
            if not y.shape.is_compatible_with(s):
                raise InvalidArgumentError(
                    f"while_loop {scope[:-1]}: loop var {x.name} enters with shape {s} and has shape "
                    f"{y.shape} after one iteration; give shape_invariants to allow it to change"
                )
        body_b.seal(flat_out + flat_acc)
        caps, (ic, ib) = _union(cond_b.captures, body_b.captures)
        acc_specs = tuple(
            (
                TensorShape([None, *(t.shape.dims or [])])
                if t.shape.ndims is not None
                else TensorShape(None),
                t.dtype,
            )
            for t in flat_acc
        )
        attrs = {
            "cond": cond_b,
            "body": body_b,
            "n_vars": len(flat_in),
            "has_max": limit is not None,
            "cond_caps": tuple(ic),
            "body_caps": tuple(ib),
            "back_prop": bool(back_prop),
            "specs": tuple(zip(invariants, [t.dtype for t in flat_in], strict=True)) + acc_specs,
            "acc_elems": tuple((t.shape, t.dtype) for t in flat_acc),
        }
        ins = [*flat_in, *([limit] if limit is not None else []), *caps]
        op = _make_op("While", ins, attrs, "While", cond_b.control_captures + body_b.control_captures)
    n = len(flat_in)
    outs = list(op.outputs[:n])
    for x, y, t in zip(res_leaves, flat_out, outs, strict=True):
        if isinstance(x, TensorArray) and t.shape.dims is None:  # the elements' shape the body wrote
            t.set_shape(TensorShape(None) if y.shape.dims is None else [None, *y.shape.dims[1:]])
    templates = [y if isinstance(y, TensorArray) else x for x, y in zip(leaves, res_leaves, strict=True)]
    return nest.pack_sequence_as(loop_vars, _rewrap(templates, outs)), list(op.outputs[n:-1])


def _ta_invariant(ta: TensorArray, flow: Tensor) -> TensorShape:
    """A TensorArray loop var's shape invariant: unknown until its elements' shape is known; a dynamic
    array's length may change."""
    if flow.shape.dims is None:
        return TensorShape(None)
    return TensorShape([None if ta.dynamic_size else flow.shape.dims[0], *flow.shape.dims[1:]])


def _shape_leaves(s: Any) -> Any:
    """Shape invariants as a structure whose leaves are TensorShapes (a list of ints is one leaf)."""
    if isinstance(s, TensorShape) or s is None:
        return s
    if isinstance(s, Mapping):
        return {k: _shape_leaves(v) for k, v in s.items()}
    if isinstance(s, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in s):
        return TensorShape(list(s))
    if isinstance(s, (list, tuple)):
        return (
            type(s)(*[_shape_leaves(v) for v in s])
            if hasattr(s, "_fields")
            else type(s)(_shape_leaves(v) for v in s)
        )
    return as_shape(s)


def _while_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return _outputs(list(attrs["specs"]))


def _while_kernel(ctx: Any, *ins: Any) -> Any:
    a = ctx.attrs
    n = a["n_vars"]
    vals = list(ins[:n])
    limit = host_ints(ins[n])[0] if a["has_max"] else None
    caps = ins[n + a["has_max"] :]
    cb, bb = a["cond"], a["body"]
    ccaps = [caps[i] for i in a["cond_caps"]]
    bcaps = [caps[i] for i in a["body_caps"]]
    elems = a["acc_elems"]
    accs: list[list[Any]] = [[] for _ in elems]
    trace: list[dict] = []
    keep = a.get("keep") if a["back_prop"] else None  # set once a gradient of the loop is built
    i = 0
    while limit is None or i < limit:
        env = dict(zip(cb.captures, ccaps, strict=True))
        env.update(zip(cb.args, vals, strict=True))
        if not any_true(cb.run(ctx, env)[0]):
            break
        env = dict(zip(bb.captures, bcaps, strict=True))
        env.update(zip(bb.args, vals, strict=True))
        outs = bb.run(ctx, env)
        if keep is not None:
            trace.append(_traced(env, keep))
        vals = outs[:n]
        for acc, v in zip(accs, outs[n:], strict=True):
            acc.append(v)
        i += 1
    xp = ctx.xp
    stacked = [
        xp.stack(acc) if acc else xp.zeros([0, *[d or 0 for d in (s.dims or ())]], dt.np)
        for acc, (s, dt) in zip(accs, elems, strict=True)
    ]
    return tuple([*vals, *stacked, trace])


def _while_grad(op: Operation, *grads: Any) -> list[Any]:
    """Backwards over the saved iterations: g_vars <- d(body)/d(vars)^T g_vars, summing the captures'
    gradients; the loop vars' final gradient is the initial values' gradient."""
    a = op.attrs
    result: list[Any] = [None] * len(op.inputs)
    if not a["back_prop"]:
        return result
    n = a["n_vars"]
    bb: Body = a["body"]
    n_acc = len(a["acc_elems"])
    fv = [k for k in range(n) if op.inputs[k].dtype.is_floating]
    fa = [k for k in range(n_acc) if a["acc_elems"][k][1].is_floating]
    fc = [j for j, t in enumerate(bb.captures) if t.dtype.is_floating]
    if not (fv or fc) or not (fv or fa):
        return result
    ys = [bb.outputs[k] for k in fv] + [bb.outputs[n + k] for k in fa]
    xs = [bb.args[k] for k in fv] + [bb.captures[j] for j in fc]
    seeds = [bb.args[k] for k in fv] + [bb.outputs[n + k] for k in fa]
    gb, _ = _grad_body(bb, "body_grad", ys, xs, seeds)
    src, extra = _sources(gb, bb)
    _keep_for_gradient(op, "keep", gb, src)
    gs = [grads[k] for k in fv] + [grads[n + k] for k in fa]
    fcaps = [bb.captures[j] for j in fc]
    attrs = {
        "body": gb,
        "src": tuple(src),
        "n_v": len(fv),
        "n_a": len(fa),
        "n_c": len(fc),
        "specs": tuple((op.inputs[k].shape, op.inputs[k].dtype) for k in fv)
        + tuple((t.shape, t.dtype) for t in fcaps),
    }
    deps = _dependencies([op.inputs[k] for k in fv] + list(op.inputs[n + a["has_max"] :]), fcaps + extra)
    attrs["n_dep"] = len(deps)
    gop = _make_op("WhileGrad", [op.outputs[-1], *gs, *fcaps, *extra, *deps], attrs, "WhileGrad", [])
    for j, k in enumerate(fv):
        result[k] = gop.outputs[j]
    first_cap = n + a["has_max"]
    for j, c in enumerate(fc):
        result[first_cap + a["body_caps"][c]] = gop.outputs[len(fv) + j]
    return result


register("While", shape=_while_shape, kernel=_while_kernel, grad=_while_grad, stateful=True)


def _while_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return list(attrs["specs"])


def _while_grad_kernel(ctx: Any, trace: Any, *rest: Any) -> Any:
    a = ctx.attrs
    rest = rest[: len(rest) - a["n_dep"]]
    nv, na, nc = a["n_v"], a["n_a"], a["n_c"]
    gv = list(rest[:nv])
    gacc = rest[nv : nv + na]
    fcaps = rest[nv + na : nv + na + nc]
    extra = rest[nv + na + nc :]
    gb: Body = a["body"]
    src = list(a["src"])
    gcap = [ctx.xp.zeros_like(c) for c in fcaps]
    for it in range(len(trace) - 1, -1, -1):
        env = _seeded_env(gb, src, trace[it], extra)
        env.update(zip(gb.args, [*gv, *[g[it] for g in gacc]], strict=True))
        outs = gb.run(ctx, env)
        gv = outs[:nv]
        for j in range(nc):
            gcap[j] = gcap[j] + outs[nv + j]
    return _single_or_tuple([*gv, *gcap])


register(
    "WhileGrad", shape=_while_grad_shape, kernel=_while_grad_kernel, not_differentiable=True, stateful=True
)
