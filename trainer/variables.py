"""TensorFlow 1 ``Variable``: a named, mutable array held by each Session.

>>> import trainer as tf
>>> v = tf.Variable(tf.zeros([2]), name="v")
>>> inc = v.assign_add([1.0, 2.0])
>>> with tf.Session() as sess:
...     sess.run(tf.global_variables_initializer())
...     _ = sess.run(inc)
...     print(sess.run(v))
[1. 2.]
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer import initializers
from trainer.errors import InvalidArgumentError
from trainer.graph import (
    AUTO_REUSE,
    GraphKeys,
    Operation,
    Tensor,
    _OperatorsMixin,
    convert_to_tensor,
    get_default_graph,
    session_for,
)
from trainer.ops import array_ops, control_ops, state_ops
from trainer.tensor_shape import TensorShape


class Variable(_OperatorsMixin):
    """A variable: ``value()`` is the read tensor (op type ``VariableV2``), ``initializer`` the Assign op
    that stores ``initial_value``. Added to GLOBAL_VARIABLES (and TRAINABLE_VARIABLES when trainable)."""

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool = True,
        collections: Sequence[str] | None = None,
        validate_shape: bool = True,
        name: str | None = None,
        dtype: Any = None,
        expected_shape: Any = None,
        **_ignored: Any,
    ) -> None:
        if initial_value is None:
            raise InvalidArgumentError("Variable needs an initial_value")
        g = get_default_graph()
        self.graph = g
        # Built inside a cond branch or while body, a variable (and its initializer) still lives at the top
        # level, outside the body's control dependencies (TF1's init_scope).
        in_body = bool(g._cf_stack) and g._cf_stack[-1] is not None
        with contextlib.ExitStack() as escape:
            if in_body:
                escape.enter_context(g._control_flow_body(None))
                escape.enter_context(g.control_dependencies(None))
            self._build(g, initial_value, validate_shape, name, dtype)
        self.trainable = bool(trainable)
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if self.trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        g.add_to_collections(collections, self)

    def _build(self, g: Any, initial_value: Any, validate_shape: bool, name: str | None, dtype: Any) -> None:
        with g.name_scope(name or "Variable") as scope:
            if callable(initial_value):
                initial_value = initial_value()
            init = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            shape = init.shape if validate_shape else TensorShape(None)
            if validate_shape and not shape.is_fully_defined():
                raise InvalidArgumentError(
                    f"variable {scope[:-1]}: initial value shape {shape} must be fully defined "
                    f"(or pass validate_shape=False)"
                )
            self._ref = state_ops.variable_op(shape, init.dtype, name=scope)
            self.op: Operation = self._ref.op
            self.initial_value = init
            self.initializer: Operation = state_ops.assign(
                self, init, validate_shape=validate_shape, name="Assign"
            ).op
            self._snapshot: Tensor | None = None

    # ---- tensor-like ---------------------------------------------------------------------------------
    def _as_tensor(self) -> Tensor:
        return self._ref

    def _as_graph_element(self) -> Tensor:
        return self._ref

    def value(self) -> Tensor:
        return self._ref

    def read_value(self) -> Tensor:
        return array_ops.identity(self._ref, name=self.op.name + "/read")

    @property
    def name(self) -> str:
        return self._ref.name

    @property
    def dtype(self) -> _dt.DType:
        return self._ref.dtype

    @property
    def shape(self) -> TensorShape:
        return self._ref.shape

    def get_shape(self) -> TensorShape:
        return self._ref.shape

    @property
    def device(self) -> str:
        return self.op.device

    def eval(self, session: Any = None) -> np.ndarray:
        return self._ref.eval(session=session)

    def initialized_value(self) -> Tensor:
        return self.initial_value

    # ---- updates -------------------------------------------------------------------------------------
    def assign(
        self, value: Any, use_locking: bool = False, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        return state_ops.assign(self, value, name=name)

    def assign_add(
        self, delta: Any, use_locking: bool = False, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        return state_ops.assign_add(self, delta, name=name)

    def assign_sub(
        self, delta: Any, use_locking: bool = False, name: str | None = None, read_value: bool = True
    ) -> Tensor:
        return state_ops.assign_sub(self, delta, name=name)

    def load(self, value: Any, session: Any = None) -> None:
        """Store ``value`` in the session without building ops."""
        sess = session_for(session, self.graph)
        arr = np.array(value, dtype=self.dtype.np)
        if self.shape.dims is not None and not self.shape.is_compatible_with(arr.shape):
            raise InvalidArgumentError(
                f"cannot load value of shape {arr.shape} into {self.name} of shape {self.shape}"
            )
        sess._variables[self.op.name] = arr

    def __repr__(self) -> str:
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"


def get_variable(
    name: str,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    trainable: bool = True,
    collections: Sequence[str] | None = None,
    **_ignored: Any,
) -> Variable:
    """The variable ``<variable scope>/name``: created on first use; returned again inside a scope opened
    with ``reuse=True`` or ``tf.AUTO_REUSE`` (creating it twice otherwise is an error, as in TF1).
    ``initializer`` is an initializer object/callable ``(shape, dtype)``, a tensor or a value; the default
    is Glorot-uniform for floats and zeros otherwise."""
    g = get_default_graph()
    scope = g._var_scope
    full = f"{scope.name}/{name}" if scope.name else name
    existing = g._var_store.get(full)
    if existing is not None:
        if scope.reuse is True or scope.reuse is AUTO_REUSE:
            if shape is not None and not existing.shape.is_compatible_with(shape):
                raise InvalidArgumentError(
                    f"variable {full} has shape {existing.shape}, requested {TensorShape(shape)}"
                )
            return existing
        raise InvalidArgumentError(
            f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or "
            f"reuse=tf.AUTO_REUSE in variable_scope?"
        )
    if scope.reuse is True:
        raise InvalidArgumentError(
            f"Variable {full} does not exist, or was not created with tf.get_variable(); "
            f"variable_scope(reuse=True) only returns existing variables"
        )
    dt = _dt.as_dtype(dtype) if dtype is not None else _dt.float32
    init = initializer if initializer is not None else scope.initializer
    if init is None:
        init = initializers.glorot_uniform() if dt.is_floating else initializers.zeros()
    if isinstance(init, Tensor) or not callable(init):
        value: Any = init
        if shape is not None and isinstance(init, Tensor) and not init.shape.is_compatible_with(shape):
            raise InvalidArgumentError(
                f"initializer shape {init.shape} does not match shape {TensorShape(shape)}"
            )
        if not isinstance(init, Tensor) and shape is not None:
            value = np.broadcast_to(np.asarray(init, dt.np), TensorShape(shape).as_list())
    else:
        if shape is None:
            raise InvalidArgumentError(f"get_variable {full}: shape is needed with an initializer function")
        shp = [int(d) for d in TensorShape(shape).as_list()]

        def value() -> Any:
            return init(shp, dtype=dt)

    v = Variable(
        value,
        trainable=trainable,
        collections=collections,
        name=full + "/",
        dtype=dt if not isinstance(value, Tensor) else None,
    )
    g._var_store[full] = v
    reg = regularizer if regularizer is not None else scope.regularizer
    if reg is not None:
        with g.name_scope(full + "/Regularizer/"):
            loss = reg(v)
        if loss is not None:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return v


def global_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def variables_initializer(var_list: Sequence[Variable], name: str = "init") -> Operation:
    """One op that runs the initializers of ``var_list``."""
    return control_ops.group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Operation:
    return variables_initializer(global_variables())


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init_local")


initialize_all_variables = global_variables_initializer
all_variables = global_variables
