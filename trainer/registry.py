"""The op registry: one :class:`OpDef` per op type, registered right below the op's stanza.

An op stanza in ``trainer/ops/<family>.py`` holds, side by side:

* a **builder** (the public function, e.g. ``matmul``) that converts arguments and calls
  ``graph.create_op(op_type, inputs, attrs, name)`` (or the ``trainer.graph.apply_op`` shortcut);
* a **shape function** ``shape_fn(inputs: list[Tensor], attrs: dict) -> (TensorShape, DType)`` or a list of
  such pairs (one per output). It runs while the graph is built and raises
  :class:`~trainer.errors.InvalidArgumentError` on bad shapes; the graph prefixes the message with the op's
  name and type, so the message itself should name both shapes (``"shapes (2, 3) and (4, 5) ..."``);
* a **kernel** ``kernel(ctx: KernelContext, *input_arrays) -> array`` (or a tuple of arrays, one per output;
  ``None`` for ops without outputs). Kernels take their array module from ``ctx.xp`` (numpy on ``/cpu:*``)
  and their attributes from ``ctx.attrs``;
* a **gradient** ``grad(op, *output_grads) -> list`` with one entry per input (a Tensor, or None for "no
  gradient flows here"), built from differentiable ops so that higher derivatives work. For ops registered
  with ``broadcasting=True`` the gradient engine sums each input gradient back to the input's shape, so the
  rule never unbroadcasts by itself. An op without a gradient must say so: ``not_differentiable=True``.

This module sits below the graph (``Graph.create_op`` looks op types up here) and imports nothing of the
trainer but its errors: the layers are ``registry -> graph -> ops -> placement, partition -> session``.

Registration::

    from trainer.graph import apply_op
    from trainer.registry import register

    def _relu6_shape(inputs, attrs):
        return inputs[0].shape, inputs[0].dtype

    def _relu6_kernel(ctx, x):
        return ctx.xp.clip(x, 0, 6)

    def _relu6_grad(op, g):
        ...  # one entry per input

    register("Relu6", shape=_relu6_shape, kernel=_relu6_kernel, grad=_relu6_grad)

Registering the same op type twice raises :class:`~trainer.errors.AlreadyExistsError`.

**State (variables).** A session keeps each variable's current array in ``ctx.variables`` (a dict shared by
all kernels of the session), keyed by the variable's op name (``var.op.name``). A variable read is the
``VariableV2`` op; ``var.value()`` is its output tensor. A stateful kernel (``Assign``, or an optimizer's
``ApplyAdam`` in ``trainer/ops/training.py``) names its variable in an attr (by convention
``attrs["var"] = var.op.name``) and

* reads the array with ``ctx.read_variable(name)`` (raises FailedPreconditionError when uninitialized),
* replaces it with ``ctx.write_variable(name, array)``, or
* updates it **in place** (``arr -= lr * g``; the array object stays the session's storage).

Register such ops with ``stateful=True`` (the session never caches or folds them). The kernel may return
the updated array (so ``sess.run(update)`` fetches it; the session copies fetched variable storage) or
None. ``ctx.rng`` is a per-(session, op) ``numpy.random.Generator`` seeded from the graph and op seeds,
``ctx.cache`` a per-op dict for values a kernel wants to compute once (index tuples, padding), and
``ctx.step`` a dict shared by all kernels of one ``Session.run`` (emptied when the run ends).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainer.errors import AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError


@dataclass(frozen=True)
class OpDef:
    """Everything the trainer knows about one op type."""

    type: str
    shape_fn: Callable[..., Any]
    kernel: Callable[..., Any]
    grad: Callable[..., Any] | None
    differentiable: bool
    broadcasting: bool = False
    stateful: bool = False


_REGISTRY: dict[str, OpDef] = {}


def register(
    op_type: str,
    *,
    shape: Callable[..., Any],
    kernel: Callable[..., Any],
    grad: Callable[..., Any] | None = None,
    not_differentiable: bool = False,
    broadcasting: bool = False,
    stateful: bool = False,
) -> OpDef:
    """Register an op type. Exactly one of ``grad`` and ``not_differentiable=True`` must be given."""
    if op_type in _REGISTRY:
        raise AlreadyExistsError(f"op type {op_type!r} is already registered")
    if not op_type[:1].isupper() and not op_type.startswith("_"):
        raise InvalidArgumentError(f"op type names are CamelCase, got {op_type!r}")
    if (grad is None) == (not not_differentiable):
        raise InvalidArgumentError(
            f"op {op_type!r}: give a gradient function or declare not_differentiable=True (not both)"
        )
    opdef = OpDef(op_type, shape, kernel, grad, not not_differentiable, broadcasting, stateful)
    _REGISTRY[op_type] = opdef
    return opdef


def get_op_def(op_type: str) -> OpDef:
    try:
        return _REGISTRY[op_type]
    except KeyError:
        raise NotFoundError(f"op type {op_type!r} is not registered") from None


def registered_op_types() -> list[str]:
    return sorted(_REGISTRY)


class KernelContext:
    """What a kernel sees besides its input arrays (one context per op per session)."""

    __slots__ = ("op", "attrs", "xp", "backend", "device", "variables", "session", "cache", "_rng")

    def __init__(self, op: Any, backend: Any, variables: dict[str, Any], session: Any) -> None:
        self.op = op
        self.attrs = op.attrs
        self.backend = backend
        self.xp = backend.xp
        self.device = op.device
        self.variables = variables
        self.session = session
        self.cache: dict[str, Any] = {}
        self._rng = None

    def read_variable(self, name: str) -> Any:
        try:
            return self.variables[name]
        except KeyError:
            raise FailedPreconditionError(
                f"Attempting to use uninitialized value {name} (run its initializer, e.g. "
                f"tf.global_variables_initializer())"
            ) from None

    def write_variable(self, name: str, value: Any) -> None:
        self.variables[name] = value

    @property
    def step(self) -> dict[Any, Any]:
        """A dict shared by all kernels of the current ``Session.run`` and emptied when it ends: a backward
        kernel can reuse what its forward kernel computed in the same step (Conv2D's im2col matrix)."""
        return self.session._step_cache

    @property
    def rng(self) -> Any:
        if self._rng is None:
            self._rng = self.session._rng_for(self.op)
        return self._rng
