"""``Layer``: a callable that creates its variables on the first call, under its own unique name scope.

The first ``Dense`` called in a graph is named ``dense`` and creates ``dense/kernel`` and ``dense/bias``;
the second is ``dense_1``. Calling a layer again reuses its variables (ops go to the same scope). Layers keep
their configuration as plain attributes (``units``, ``strides``, ``padding``...) and their variables as
attributes (``kernel``, ``bias``...), which graph rewriting (freeze/export) reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trainer import dtypes, initializers, regularizers
from trainer.dtypes import as_dtype, float32
from trainer.errors import InvalidArgumentError
from trainer.graph import GraphKeys, control_dependencies, convert_to_tensor, get_default_graph, name_scope
from trainer.ops.math_ops import cast
from trainer.ops.nn_ops import relu, relu6, sigmoid, softmax, tanh
from trainer.variables import Variable, get_variable

_ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "relu": relu,
    "relu6": relu6,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
}


def get_activation(activation: str | Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """None or ``"linear"`` (no activation), a name (``"relu"``), or a callable such as ``tf.nn.relu``."""
    if activation is None or activation == "linear":
        return None
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise InvalidArgumentError(
                f"unknown activation {activation!r}; known: {', '.join(sorted(_ACTIVATIONS))}"
            )
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise InvalidArgumentError(f"activation must be a name or a callable, got {activation!r}")
    return activation


def normalize_tuple(value: int | Sequence[int], n: int, what: str) -> tuple[int, ...]:
    """``3 -> (3, 3)``; a sequence must have ``n`` positive ints."""
    if isinstance(value, int):
        out = (value,) * n
    else:
        out = tuple(int(v) for v in value)
    if len(out) != n or any(v <= 0 for v in out):
        raise InvalidArgumentError(f"{what} must be a positive int or {n} positive ints, got {value!r}")
    return out


def normalize_padding(padding: str) -> str:
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise InvalidArgumentError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


class Layer:
    """Base class. Subclasses set ``_base_name`` and implement ``build(input_shape)`` and
    ``call(inputs, training)``; ``build`` creates variables with :meth:`add_weight`."""

    _base_name = "layer"

    def __init__(self, name: str | None = None, trainable: bool = True, dtype: Any = None) -> None:
        self._given_name = name
        self.name: str | None = name
        self.trainable = trainable
        self.dtype = as_dtype(dtype) if dtype is not None else float32
        self.built = False
        self.input_spec: Any = None
        self._scope: str | None = None
        self._graph: Any = None
        self._weights: list[Any] = []
        self._trainable: list[Any] = []
        self.updates: list[Any] = []
        self.losses: list[Any] = []
        self._use_get_variable = False  # set by the tf.layers functions (trainer/layers/functional.py)

    # ---------------------------------------------------------------- variables
    def add_weight(
        self,
        name: str,
        shape: Sequence[int],
        initializer: Any = "glorot_uniform",
        regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
    ) -> Any:
        """Create variable ``<layer scope>/<name>`` from ``initializer``; regularized if ``regularizer``."""
        init = initializers.get(initializer)
        dtype = as_dtype(dtype) if dtype is not None else self.dtype
        trainable = trainable and self.trainable
        collections = [GraphKeys.GLOBAL_VARIABLES]
        if self._use_get_variable:  # the functional API (tf.layers.dense): variable-scope names and reuse
            store = get_default_graph()._var_store
            before = len(store)
            with control_dependencies(None):
                var = get_variable(name, [int(d) for d in shape], dtype, init, trainable=trainable)
            if len(store) == before:  # reused: its regularization loss was added when it was created
                regularizer = None
        else:
            with control_dependencies(None):
                var = Variable(
                    lambda: init([int(d) for d in shape], dtype),
                    trainable=trainable,
                    name=name,
                    dtype=dtype,
                    collections=collections,
                )
        self._weights.append(var)
        if trainable:
            self._trainable.append(var)
        loss = regularizers.apply_regularization(regularizer, var)
        if loss is not None:
            self.losses.append(loss)
        return var

    @property
    def weights(self) -> list[Any]:
        return list(self._weights)

    variables = weights

    @property
    def trainable_variables(self) -> list[Any]:
        return list(self._trainable)

    trainable_weights = trainable_variables

    @property
    def non_trainable_variables(self) -> list[Any]:
        return [v for v in self._weights if v not in self._trainable]

    # ---------------------------------------------------------------- calling
    def build(self, input_shape: Any) -> None:
        """Create the variables for inputs of ``input_shape`` (a TensorShape)."""

    def call(self, inputs: Any, training: Any = False) -> Any:
        raise NotImplementedError

    def __call__(self, inputs: Any, training: Any = False) -> Any:
        """Apply the layer; ``training`` is a Python bool or a scalar bool Tensor (a placeholder)."""
        x = convert_to_tensor(inputs)
        graph = x.graph
        if self._scope is None:
            with graph.as_default(), name_scope(self._given_name or self._base_name) as scope:
                self._scope = scope
                self._graph = graph
                self.name = scope[:-1].rsplit("/", 1)[-1] if self._given_name is None else scope[:-1]
                self.build(x.shape)
                self.built = True
                return self.call(x, training)
        if graph is not self._graph:
            raise InvalidArgumentError(
                f"layer {self.name} was built in another graph than its input {x.name}"
            )
        with graph.as_default(), name_scope(self._scope):
            return self.call(x, training)

    def _check_rank(self, shape: Any, rank: int, what: str) -> None:
        if shape.ndims is not None and shape.ndims != rank:
            raise InvalidArgumentError(
                f"{type(self).__name__} {self.name}: input must be {what}, got shape {shape}"
            )

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def is_training_tensor(training: Any) -> bool:
    return not isinstance(training, (bool, type(None))) and hasattr(training, "dtype")


def as_float_flag(training: Any, dtype: Any) -> Any:
    """A 0/1 scalar of ``dtype`` from a bool training Tensor (for blending train/inference paths)."""
    t = convert_to_tensor(training)
    if t.dtype is not dtypes.bool:
        raise InvalidArgumentError(f"training must be a Python bool or a bool Tensor, got {t.dtype.name}")
    return cast(t, dtype)
