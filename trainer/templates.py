"""``tf.make_template``: wrap a function that creates variables with ``tf.get_variable`` so that every call
after the first shares the first call's variables (its variable scope is re-entered with ``reuse=True``).

>>> import trainer as tf
>>> def dense(x):
...     w = tf.get_variable("w", [3, 2], initializer=tf.ones_initializer())
...     return tf.matmul(x, w)
>>> layer = tf.make_template("layer", dense)
>>> a, b = layer(tf.ones([1, 3])), layer(tf.zeros([1, 3]))
>>> [v.name for v in tf.trainable_variables()], layer.variable_scope.name
(['layer/w:0'], 'layer')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import VariableScope, get_collection, variable_scope


class Template:
    """The callable ``make_template`` returns (``variable_scope``, ``variables``, ``trainable_variables``)."""

    def __init__(
        self, name: str, func: Callable[..., Any], create_scope_now: bool, unique_name: Any, kwargs: dict
    ):
        if not name:
            raise InvalidArgumentError("tf.make_template: name_ must be a non-empty string")
        self._name = name
        self._func = func
        self._kwargs = kwargs
        self._unique_name = unique_name
        self._scope: VariableScope | None = None
        if create_scope_now:
            with variable_scope(unique_name, default_name=name) as vs:
                self._scope = vs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kw = {**self._kwargs, **kwargs}
        if self._scope is None:
            with variable_scope(self._unique_name, default_name=self._name) as vs:
                self._scope = vs
                return self._func(*args, **kw)
        with variable_scope(self._scope, reuse=True):
            return self._func(*args, **kw)

    @property
    def variable_scope(self) -> VariableScope | None:
        return self._scope

    @property
    def variable_scope_name(self) -> str:
        return self._scope.name if self._scope is not None else ""

    @property
    def variables(self) -> list[Any]:
        return [] if self._scope is None else get_collection("variables", self._scope.name + "/")

    @property
    def trainable_variables(self) -> list[Any]:
        return [] if self._scope is None else get_collection("trainable_variables", self._scope.name + "/")


def make_template(
    name_: str,
    func_: Callable[..., Any],
    create_scope_now_: bool = False,
    unique_name_: str | None = None,
    custom_getter_: Any = None,
    **kwargs: Any,
) -> Template:
    """``func_`` (called with ``kwargs`` too) whose variables are created once and shared by later calls."""
    if custom_getter_ is not None:
        raise InvalidArgumentError("tf.make_template: custom_getter_ is not supported")
    return Template(name_, func_, create_scope_now_, unique_name_, kwargs)
