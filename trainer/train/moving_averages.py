"""``tf.train.ExponentialMovingAverage``: shadow variables that track variables or tensors (TF1).

``apply(var_list)`` creates, once per tracked value, a non-trainable shadow variable named
``<value's op name>/ExponentialMovingAverage`` (a variable's shadow starts at the variable's initial value,
a tensor's at zero; averaged variables, not tensors, are listed in ``MOVING_AVERAGE_VARIABLES``) and
returns one op that moves every shadow towards its value: ``shadow -= (1 - decay) * (shadow - value)``.
With ``num_updates`` the decay is ``min(decay, (1 + num_updates) / (10 + num_updates))``. ``average(v)``
is the shadow variable. The classic TF1 batch norm calls ``apply`` inside a ``tf.cond`` branch: the
shadows are created at the top level (as every variable built in a branch is) and updated only when that
branch runs.

>>> import trainer as tf
>>> with tf.Graph().as_default():
...     v = tf.Variable(10.0)
...     ema = tf.train.ExponentialMovingAverage(decay=0.5)
...     update = ema.apply([v])
...     with tf.Session() as sess:
...         sess.run(tf.global_variables_initializer())
...         _ = sess.run(tf.assign(v, 20.0))
...         _ = sess.run(update)
...         print(ema.average_name(v), sess.run(ema.average(v)))
Variable/ExponentialMovingAverage 15.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import (
    GraphKeys,
    control_dependencies,
    convert_to_tensor,
    get_collection,
    get_default_graph,
    name_scope,
)
from trainer.ops import array_ops, control_ops, math_ops, state_ops
from trainer.variables import Variable, global_variables, trainable_variables


class ExponentialMovingAverage:
    """Moving averages of variables or tensors, kept in shadow variables (module docstring)."""

    def __init__(
        self,
        decay: float,
        num_updates: Any = None,
        zero_debias: bool = False,
        name: str = "ExponentialMovingAverage",
    ) -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict[Any, Variable] = {}

    @property
    def name(self) -> str:
        return self._name

    def _key(self, var: Any) -> Any:
        return var if isinstance(var, Variable) else convert_to_tensor(var)

    def average_name(self, var: Any) -> str:
        """The shadow variable's op name for ``var``: ``<var op name>/<ema name>``."""
        return f"{self._key(var).op.name}/{self._name}"

    def apply(self, var_list: Sequence[Any] | None = None) -> Any:
        """Create the missing shadows of ``var_list`` (default: the trainable variables) and return the op
        that updates all of them."""
        values = list(var_list) if var_list is not None else trainable_variables()
        for v in values:
            key = self._key(v)
            if not key.dtype.is_floating:
                raise InvalidArgumentError(
                    f"ExponentialMovingAverage: {key.name} is {key.dtype.name}, not float"
                )
            if key not in self._averages:
                init: Any = (
                    v.initial_value
                    if isinstance(v, Variable)
                    else (lambda k=key: array_ops.zeros(k.shape.as_list(), k.dtype))  # built at the top level
                )
                with name_scope(None), control_dependencies(None):
                    self._averages[key] = Variable(
                        init,
                        trainable=False,
                        name=self.average_name(v) + "/",
                        collections=[GraphKeys.GLOBAL_VARIABLES],
                    )
                if isinstance(v, Variable):  # TF1 lists the averaged variables (not tensors, not shadows)
                    get_default_graph().add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, v)
        with name_scope(self._name):
            decay: Any = convert_to_tensor(self._decay, name="decay")
            if self._num_updates is not None:
                n = math_ops.cast(self._num_updates, decay.dtype)
                decay = math_ops.minimum(decay, (1.0 + n) / (10.0 + n))
            updates = []
            for v in values:
                key = self._key(v)
                shadow = self._averages[key]
                value = key.value() if isinstance(key, Variable) else key
                step = (shadow.value() - value) * math_ops.cast(1.0 - decay, shadow.dtype)
                updates.append(state_ops.assign_sub(shadow, step))
            return control_ops.group(*updates, name=self._name)

    def average(self, var: Any) -> Variable | None:
        """The shadow variable of ``var`` (None before ``apply`` created it)."""
        return self._averages.get(self._key(var))

    def variables_to_restore(self, moving_avg_variables: Sequence[Any] | None = None) -> dict[str, Any]:
        """``{name: variable}`` for a Saver that restores the averages into the variables themselves."""
        shadows = set(self._averages.values())
        if moving_avg_variables is None:  # TF1: the trainable ones and the MOVING_AVERAGE_VARIABLES
            listed = get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES)
            moving_avg_variables = [*trainable_variables(), *(v for v in listed if v not in shadows)]
        averaged = list(dict.fromkeys(moving_avg_variables))
        result: dict[str, Any] = {self.average_name(v): v for v in averaged}
        for v in global_variables():  # the rest under their own names (a shadow's name is taken above)
            if v not in averaged and v.op.name not in result:
                result[v.op.name] = v
        return result
