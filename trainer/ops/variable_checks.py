"""Which variables a session has initialized: ``tf.is_variable_initialized``,
``tf.report_uninitialized_variables`` (the names still to initialize, the idiom for initializing only new
variables after a restore; a string tensor, so it runs on the host) and
``tf.assert_variables_initialized``; plus the collection getters ``tf.model_variables`` and
``tf.moving_average_variables``.

>>> import trainer as tf
>>> a, b = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b")
>>> with tf.Session() as sess:
...     sess.run(a.initializer)
...     print(sess.run(tf.report_uninitialized_variables()), sess.run(tf.is_variable_initialized(a)))
[b'b'] True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import FailedPreconditionError
from trainer.graph import GraphKeys, Operation, Tensor, apply_op, get_collection
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import upload


def _names(var_list: Any) -> tuple[str, ...]:
    if var_list is None:
        var_list = [*get_collection(GraphKeys.GLOBAL_VARIABLES), *get_collection(GraphKeys.LOCAL_VARIABLES)]
    return tuple(dict.fromkeys(v.op.name for v in var_list))


def is_variable_initialized(variable: Any) -> Tensor:
    """A bool scalar: whether the session running it has given ``variable`` a value."""
    return apply_op("IsVariableInitialized", [], {"names": (variable.op.name,)}, "IsVariableInitialized")


def report_uninitialized_variables(
    var_list: Any = None, name: str = "report_uninitialized_variables"
) -> Tensor:
    """The names (bytes) of the variables of ``var_list`` (default: global and local) not yet initialized."""
    return apply_op("ReportUninitializedVariables", [], {"names": _names(var_list)}, name)


def assert_variables_initialized(var_list: Any = None) -> Operation:
    """An op that fails with FailedPreconditionError naming the uninitialized variables of ``var_list``."""
    return apply_op(
        "AssertVariablesInitialized", [], {"names": _names(var_list)}, "assert_variables_initialized"
    )


def _missing(ctx: Any) -> list[str]:
    return [n for n in ctx.attrs["names"] if n not in ctx.variables]


def _is_init_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([]), _dt.bool


def _report_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape([None]), _dt.string


def _assert_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return []


def _is_init_kernel(ctx: Any) -> Any:
    return upload(ctx, np.asarray(not _missing(ctx)))


def _report_kernel(ctx: Any) -> Any:
    return np.array([n.encode() for n in _missing(ctx)], dtype=object)


def _assert_kernel(ctx: Any) -> None:
    missing = _missing(ctx)
    if missing:
        raise FailedPreconditionError(f"variables not initialized: {', '.join(missing)}")


for _t, _shape, _kernel in (
    ("IsVariableInitialized", _is_init_shape, _is_init_kernel),
    ("ReportUninitializedVariables", _report_shape, _report_kernel),
    ("AssertVariablesInitialized", _assert_shape, _assert_kernel),
):
    register(_t, shape=_shape, kernel=_kernel, not_differentiable=True, stateful=True)


def model_variables(scope: str | None = None) -> list[Any]:
    return get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope: str | None = None) -> list[Any]:
    return get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)
