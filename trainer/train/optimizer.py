"""TF1 optimizers: ``minimize = compute_gradients + apply_gradients``, with slot variables in the graph.

Each optimizer builds one fused update op per variable (``trainer/ops/training.py``), so a step costs a few
numpy calls per variable. Slot variables (Adam's ``m`` and ``v``, momentum accumulators, ...) are ordinary
non-trainable global variables named ``<var>/<Optimizer>``, ``<var>/<Optimizer>_1`` like TF1, so
``global_variables_initializer`` initializes them and ``Saver`` checkpoints them.

    >>> import trainer as tf
    >>> w = tf.Variable(5.0, name="w")
    >>> train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.square(w))
    >>> with tf.Session() as sess:
    ...     sess.run(tf.global_variables_initializer())
    ...     for _ in range(50):
    ...         _ = sess.run(train)
    ...     print(round(float(sess.run(w)), 4))
    0.0001

All gradients of a step are computed before any variable is updated (the update ops carry control
dependencies on every gradient), because updates happen in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.dtypes import float32
from trainer.errors import InvalidArgumentError
from trainer.gradients import gradients
from trainer.graph import control_dependencies, convert_to_tensor, name_scope
from trainer.initializers import Constant, ones, zeros
from trainer.ops import training as training_ops
from trainer.ops.array_ops import constant
from trainer.ops.control_ops import group
from trainer.ops.math_ops import cast, rsqrt, sqrt, square
from trainer.train.global_step import increment_global_step
from trainer.variables import Variable, trainable_variables


def _is_float(v: Any) -> bool:
    return v.dtype.is_floating


class Optimizer:
    """Base class. Subclasses implement ``_create_slots(var_list)`` and ``_apply_dense(grad, var)``."""

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking: bool = False, name: str = "Optimizer") -> None:
        self._name = name
        self._use_locking = use_locking  # accepted for TF1 compatibility; sessions run one step at a time
        self._slots: dict[str, dict[Any, Any]] = {}
        self._non_slot: dict[str, Any] = {}
        self._graph: Any = None

    def get_name(self) -> str:
        return self._name

    # ---------------------------------------------------------------- gradients
    def compute_gradients(
        self,
        loss: Any,
        var_list: Sequence[Any] | None = None,
        gate_gradients: int = GATE_OP,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        grad_loss: Any = None,
    ) -> list[tuple[Any, Any]]:
        """``[(gradient or None, variable)]`` of ``loss`` for ``var_list`` (default: trainable variables)."""
        if var_list is None:
            var_list = trainable_variables()
        var_list = list(var_list)
        if not var_list:
            raise InvalidArgumentError("compute_gradients: no variables to optimize")
        for v in var_list:
            if not _is_float(v):
                raise InvalidArgumentError(
                    f"compute_gradients: variable {v.op.name} has dtype {v.dtype.name}; only floating "
                    "variables can be optimized"
                )
        grads = gradients(loss, var_list, grad_ys=None if grad_loss is None else [grad_loss])
        return list(zip(grads, var_list, strict=True))

    def minimize(
        self,
        loss: Any,
        global_step: Any = None,
        var_list: Sequence[Any] | None = None,
        gate_gradients: int = GATE_OP,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        name: str | None = None,
        grad_loss: Any = None,
    ) -> Any:
        """Add ops that minimize ``loss``; increments ``global_step`` by one per run when given."""
        grads_and_vars = self.compute_gradients(loss, var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise InvalidArgumentError(
                "No gradients provided for any variable, check your graph for ops that do not support "
                f"gradients, between variables {[v.op.name for _, v in grads_and_vars]} and loss {loss!r}"
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    # ---------------------------------------------------------------- updates
    def apply_gradients(
        self, grads_and_vars: Sequence[tuple[Any, Any]], global_step: Any = None, name: str | None = None
    ) -> Any:
        """One op that applies every ``(grad, var)`` pair (pairs whose gradient is None are skipped)."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise InvalidArgumentError(
                f"No gradients provided for any variable: {[v.op.name for _, v in grads_and_vars]}"
            )
        for g, v in pairs:
            if not g.shape.is_compatible_with(v.shape):
                raise InvalidArgumentError(
                    f"apply_gradients: gradient {g.name} of shape {g.shape} does not match variable "
                    f"{v.op.name} of shape {v.shape}"
                )
        var_list = [v for _, v in pairs]
        graph = var_list[0].graph
        if self._graph is not None and self._graph is not graph:
            raise InvalidArgumentError(f"optimizer {self._name} was already used on another graph")
        self._graph = graph
        with graph.as_default():
            with control_dependencies(None):  # slots are created outside any caller's dependencies
                self._create_slots(var_list)
            with name_scope(name or self._name) as scope:
                self._prepare()
                updates = []
                # Gate: every gradient is computed before the first in-place update.
                with control_dependencies([g for g, _ in pairs]):
                    for g, v in pairs:
                        updates.append(self._apply_dense(g, v))
                    finish = self._finish(updates, scope)
                if global_step is None:
                    return finish
                with control_dependencies([finish]):
                    return increment_global_step(global_step, name=scope + "update_global_step")

    def _prepare(self) -> None:
        """Convert hyper-parameters to tensors once per apply_gradients call."""

    def _finish(self, update_ops: list[Any], name_scope: str) -> Any:
        return group(*update_ops, name="update")

    def _create_slots(self, var_list: list[Any]) -> None:
        """Create the slot variables the update rule needs."""

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        raise NotImplementedError

    # ---------------------------------------------------------------- slots
    def _zeros_slot(self, var: Any, slot_name: str, op_name: str) -> Any:
        return self._slot_with_init(var, slot_name, op_name, zeros())

    def _slot_with_init(self, var: Any, slot_name: str, op_name: str, init: Any) -> Any:
        slots = self._slots.setdefault(slot_name, {})
        if var in slots:
            return slots[var]
        with name_scope(var.op.name + "/"):
            slot = Variable(init(var.shape.as_list(), var.dtype), trainable=False, name=op_name)
        slots[var] = slot
        return slot

    def _non_slot_variable(self, name: str, initial_value: float, like: Any) -> Any:
        v = self._non_slot.get(name)
        if v is None:
            with name_scope(None):
                v = Variable(initial_value, trainable=False, name=name, dtype=like.dtype)
            self._non_slot[name] = v
        return v

    def get_slot_names(self) -> list[str]:
        return sorted(self._slots)

    def get_slot(self, var: Any, name: str) -> Any | None:
        return self._slots.get(name, {}).get(var)

    def variables(self) -> list[Any]:
        """The optimizer's own variables (slots and non-slot ones such as Adam's ``beta1_power``)."""
        out = list(self._non_slot.values())
        for slots in self._slots.values():
            out.extend(slots.values())
        return out

    def _hyper(self, value: Any, name: str) -> Any:
        """A float or a Tensor (e.g. a decayed learning rate) as a float32 scalar tensor."""
        if isinstance(value, (int, float)):
            return constant(float(value), dtype=float32, name=name)
        t = convert_to_tensor(value)
        if t.shape.ndims not in (None, 0):
            raise InvalidArgumentError(f"{self._name}: {name} must be a scalar, got shape {t.shape}")
        return t if t.dtype.is_floating else cast(t, float32)


# ---------------------------------------------------------------------------------------------------
class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``."""

    def __init__(self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        return training_ops.apply_gradient_descent(var, self._lr_t, grad)


class MomentumOptimizer(Optimizer):
    """``accum = momentum * accum + grad``; ``var -= lr * accum`` (or Nesterov). Slot ``momentum``."""

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any,
        use_locking: bool = False,
        name: str = "Momentum",
        use_nesterov: bool = False,
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._momentum_t = self._hyper(self._momentum, "momentum")

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        accum = self.get_slot(var, "momentum")
        return training_ops.apply_momentum(
            var, accum, self._lr_t, grad, self._momentum_t, use_nesterov=self._use_nesterov
        )


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) in TF1's form: bias correction folded into the step size, epsilon-hat.

    Slots ``m`` and ``v`` (named ``<var>/Adam`` and ``<var>/Adam_1``); non-slot variables ``beta1_power``
    and ``beta2_power`` (``beta**t``), multiplied by ``beta`` after each step.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        use_locking: bool = False,
        name: str = "Adam",
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._beta1 = float(beta1)
        self._beta2 = float(beta2)
        self._epsilon = float(epsilon)

    def _create_slots(self, var_list: list[Any]) -> None:
        first = min(var_list, key=lambda v: v.op.name)
        self._non_slot_variable("beta1_power", self._beta1, first)
        self._non_slot_variable("beta2_power", self._beta2, first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        return training_ops.apply_adam(
            var,
            self.get_slot(var, "m"),
            self.get_slot(var, "v"),
            self._non_slot["beta1_power"].value(),
            self._non_slot["beta2_power"].value(),
            self._lr_t,
            self._beta1,
            self._beta2,
            self._epsilon,
            grad,
        )

    def _finish(self, update_ops: list[Any], name_scope: str) -> Any:
        b1, b2 = self._non_slot["beta1_power"], self._non_slot["beta2_power"]
        with control_dependencies(update_ops):
            u1 = b1.assign(b1.value() * constant(self._beta1, dtype=b1.dtype))
            u2 = b2.assign(b2.value() * constant(self._beta2, dtype=b2.dtype))
        return group(*update_ops, u1, u2, name="update")


class RMSPropOptimizer(Optimizer):
    """RMSProp as in TF1: ``rms`` slot starts at ONES (TF1's choice), ``momentum`` slot at zeros.

    ``ms += (g^2 - ms) * (1 - decay)``; ``mom = momentum * mom + lr * g / sqrt(ms + epsilon)``;
    ``var -= mom``. ``centered=True`` also tracks the mean gradient (slot ``mg``) and uses the variance.
    """

    def __init__(
        self,
        learning_rate: Any,
        decay: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-10,
        use_locking: bool = False,
        centered: bool = False,
        name: str = "RMSProp",
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = float(decay)
        self._momentum = float(momentum)
        self._epsilon = float(epsilon)
        self._centered = centered

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._slot_with_init(v, "rms", self._name, ones())
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        return training_ops.apply_rms_prop(
            var,
            self.get_slot(var, "rms"),
            self.get_slot(var, "momentum"),
            self._lr_t,
            self._decay,
            self._momentum,
            self._epsilon,
            grad,
            mg=self.get_slot(var, "mg") if self._centered else None,
        )


class AdagradOptimizer(Optimizer):
    """Adagrad as in TF1: ``accum += g^2``; ``var -= lr * g / sqrt(accum)``. The ``accumulator`` slot
    starts at ``initial_accumulator_value`` (0.1, TF1's default), which keeps the first steps finite.
    Built from graph ops (an AssignAdd and an AssignSub per variable), so it runs wherever they do."""

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        use_locking: bool = False,
        name: str = "Adagrad",
    ) -> None:
        super().__init__(use_locking, name)
        if float(initial_accumulator_value) <= 0:
            raise InvalidArgumentError(
                f"AdagradOptimizer: initial_accumulator_value must be > 0, got {initial_accumulator_value}"
            )
        self._learning_rate = learning_rate
        self._initial = float(initial_accumulator_value)

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._slot_with_init(v, "accumulator", self._name, Constant(self._initial))

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        accum = self.get_slot(var, "accumulator").assign_add(square(grad))
        lr = self._lr_t if self._lr_t.dtype is var.dtype else cast(self._lr_t, var.dtype)
        return var.assign_sub(lr * grad * rsqrt(accum))


class AdadeltaOptimizer(Optimizer):
    """Adadelta as in TF1: ``accum = rho accum + (1 - rho) g^2``;
    ``update = sqrt(accum_update + eps) / sqrt(accum + eps) * g``;
    ``accum_update = rho accum_update + (1 - rho) update^2``; ``var -= lr * update``. Slots ``accum`` and
    ``accum_update`` start at 0. Built from graph ops (assigns per variable), so it runs wherever they do."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: Any = 0.95,
        epsilon: Any = 1e-8,
        use_locking: bool = False,
        name: str = "Adadelta",
    ) -> None:
        super().__init__(use_locking, name)
        self._learning_rate, self._rho, self._epsilon = learning_rate, rho, epsilon

    def _create_slots(self, var_list: list[Any]) -> None:
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name + "_1")

    def _prepare(self) -> None:
        self._lr_t = self._hyper(self._learning_rate, "learning_rate")
        self._rho_t = self._hyper(self._rho, "rho")
        self._eps_t = self._hyper(self._epsilon, "epsilon")

    def _apply_dense(self, grad: Any, var: Any) -> Any:
        lr, rho, eps = (
            t if t.dtype is var.dtype else cast(t, var.dtype) for t in (self._lr_t, self._rho_t, self._eps_t)
        )
        accum, accum_update = self.get_slot(var, "accum"), self.get_slot(var, "accum_update")
        new_accum = accum.assign(rho * accum.value() + (1.0 - rho) * square(grad))
        update = sqrt(accum_update.value() + eps) * rsqrt(new_accum + eps) * grad
        new_update = accum_update.assign(rho * accum_update.value() + (1.0 - rho) * square(update))
        with control_dependencies([new_update]):
            return var.assign_sub(lr * update)
