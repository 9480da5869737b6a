"""Bodies of control-flow ops: the ops a cond branch or a while body built, run by the op's kernel.

A :class:`Body` is a sub-graph of the one graph. Its function (``true_fn``, a loop's ``body``) is called
under ``graph._control_flow_body(body)``, so every op it creates is marked as the body's (``op._cf``) and
the session never schedules it at the top level. ``seal`` then fixes what the body computes:

* ``args``: the body's own inputs, ``_Arg`` ops whose values the control-flow kernel supplies (loop
  variables; gradient seeds);
* ``captures``: tensors from outside that the body's ops read (a weight, a placeholder); the control-flow
  op takes them as inputs, so the session computes them before the op runs, as TF1 does for tensors used
  inside a branch but built outside it;
* ``order``: the body ops the outputs need (through data and control edges), in creation order, which is
  topological. Ops of the body that nothing needs do not run (TF1 semantics).

``run(ctx, env)`` executes ``order`` with the kernels of the session that runs the control-flow op, on that
op's device, filling ``env`` (tensor -> value) and returning the outputs' values. The filled ``env`` is
what the gradient of a cond or while replays: the backward body reads the forward values from it instead
of computing them again (which would also draw new random numbers for dropout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InternalError, InvalidArgumentError
from trainer.graph import Operation, Tensor, apply_op
from trainer.registry import register
from trainer.tensor_shape import TensorShape, as_shape

# The dtype of a control-flow op's trace output: the forward values its gradient replays (a Python
# object, never fed, fetched or exported).
variant = _dt.DType("variant", np.object_)


class Body:
    """The ops one branch or loop-body function built (see the module docstring)."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind  # "cond", "then", "else", "body", "grad": for messages
        self.name = name
        self.args: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.order: list[Operation] = []
        self.captures: list[Tensor] = []
        self.control_captures: list[Operation] = []

    def __repr__(self) -> str:
        return f"<{self.kind} body {self.name}: {len(self.order)} ops>"

    def owns(self, t: Tensor) -> bool:
        """True when ``t`` is computed inside this body (an arg or an op output)."""
        return t.op._cf is self

    def seal(self, outputs: list[Tensor], run_also: list[Operation] = ()) -> None:  # type: ignore[assignment]
        """Fix the outputs; collect the ops they (and ``run_also``, ops a branch returns) need, the
        captured outside tensors and control inputs."""
        self.outputs = list(outputs)
        needed: dict[Operation, None] = {}
        stack = [t.op for t in outputs if t.op._cf is self] + [op for op in run_also if op._cf is self]
        captures: dict[Tensor, None] = {t: None for t in outputs if t.op._cf is not self}
        controls: dict[Operation, None] = {}
        while stack:
            op = stack.pop()
            if op in needed:
                continue
            needed[op] = None
            for t in op.inputs:
                if t.op._cf is self:
                    stack.append(t.op)
            for c in op.control_inputs:
                if c._cf is self:
                    stack.append(c)
        self.order = sorted((op for op in needed if op.type != "_Arg"), key=lambda o: o._id)
        for op in self.order:
            for t in op.inputs:
                if t.op._cf is not self:
                    captures[t] = None
            for c in op.control_inputs:
                if c._cf is not self:
                    controls[c] = None
        self.captures = list(captures)
        self.control_captures = list(controls)

    def run(self, ctx: Any, env: dict[Tensor, Any]) -> list[Any]:
        """Run the body's ops with the session and device of ``ctx`` (the control-flow op's kernel
        context); ``env`` holds the args' and captures' values and receives every computed value."""
        for op, kernel, kctx in self._steps(ctx):
            try:
                r = kernel(kctx, *[env[t] for t in op.inputs])
            except KeyError as e:
                raise InternalError(
                    f"{self!r}: op {op.name} reads {e.args[0]!r}, which has no value"
                ) from None
            outs = op.outputs
            if len(outs) == 1:
                env[outs[0]] = r
            elif outs:
                for t, v in zip(outs, r, strict=True):
                    env[t] = v
        return [env[t] for t in self.outputs]

    def _steps(self, ctx: Any) -> list[tuple[Operation, Any, Any]]:
        """(op, kernel, kernel context) per op, made once per session (kept in the owner's ctx.cache)."""
        steps = ctx.cache.get(self)
        if steps is None:
            sess = ctx.session  # the session layer sits above the ops: reached through the context
            placed = getattr(sess, "_placement", {})
            device = placed.get(ctx.op, ctx.device)
            steps = []
            for op in self.order:
                if op.device and placed.get(op, device) != device:
                    raise InvalidArgumentError(
                        f"operation '{op.name}' ({op.type}) is pinned to {placed[op]} but it is inside "
                        f"'{ctx.op.name}' ({ctx.op.type}), which runs on {device}: a control-flow op "
                        f"and its branches or body must sit on one device"
                    )
                kctx = sess._context(op, device)
                steps.append((op, sess._bind_kernel(op, kctx), kctx))
            ctx.cache[self] = steps
        return steps


# ---- _Arg: a body's own input ---------------------------------------------------------------------------
def body_arg(shape: Any, dtype: Any, name: str = "arg") -> Tensor:
    """An input of the body being built; its value is supplied by the control-flow op's kernel."""
    return apply_op("_Arg", [], {"shape": as_shape(shape), "dtype": _dt.as_dtype(dtype)}, name)


def _arg_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return attrs["shape"], attrs["dtype"]


def _arg_kernel(ctx: Any) -> Any:
    raise InternalError(f"{ctx.op.name} is an argument of a control-flow body; only its op supplies it")


register("_Arg", shape=_arg_shape, kernel=_arg_kernel, not_differentiable=True)


def merge_shapes(a: TensorShape, b: TensorShape) -> TensorShape:
    """The most specific shape both ``a`` and ``b`` conform to (dims that differ become unknown)."""
    if a.ndims is None or b.ndims is None or a.ndims != b.ndims:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims, strict=True)])
