"""``tf.metrics``: streaming metrics as TF1 builds them: each returns ``(value, update_op)`` over local
variables (``total``, ``count``) that ``tf.local_variables_initializer()`` resets.

>>> import trainer as tf
>>> labels = tf.placeholder(tf.int64, [None])
>>> predictions = tf.placeholder(tf.int64, [None])
>>> acc, acc_op = tf.metrics.accuracy(labels, predictions)
>>> with tf.Session() as sess:
...     sess.run(tf.local_variables_initializer())
...     _ = sess.run(acc_op, {labels: [1, 2, 3], predictions: [1, 2, 0]})
...     _ = sess.run(acc_op, {labels: [4], predictions: [4]})
...     print(sess.run(acc))
0.75
"""

from __future__ import annotations

from typing import Any

from trainer.dtypes import float32
from trainer.graph import (
    GraphKeys,
    add_to_collections,
    control_dependencies,
    convert_to_tensor,
    variable_scope,
)
from trainer.ops.array_ops import cast, ones_like, zeros
from trainer.ops.math_ops import (
    abs as _abs,
)
from trainer.ops.math_ops import (
    add,
    equal,
    greater,
    logical_and,
    logical_not,
    maximum,
    multiply,
    reduce_sum,
    sqrt,
    squared_difference,
    subtract,
    truediv,
    where,
)
from trainer.ops.state_ops import assign_add
from trainer.variables import Variable

__all__ = [
    "accuracy",
    "false_negatives",
    "false_positives",
    "mean",
    "mean_absolute_error",
    "mean_squared_error",
    "precision",
    "recall",
    "root_mean_squared_error",
    "true_positives",
]

METRIC_VARIABLES = "metric_variables"


def _local(name: str) -> Variable:
    """A float32 scalar local variable (not saved, not trained) starting at 0."""
    with control_dependencies(None):
        return Variable(
            zeros([], float32),
            trainable=False,
            name=name,
            collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES],
        )


def _running_mean(values: Any, weights: Any) -> tuple[Any, Any]:
    """``(total / count, update_op)`` over new local variables ``total`` and ``count`` in this scope."""
    v = cast(convert_to_tensor(values), float32)
    w = ones_like(v) if weights is None else multiply(ones_like(v), cast(convert_to_tensor(weights), float32))
    total, count = _local("total"), _local("count")
    update_total = assign_add(total, reduce_sum(multiply(v, w)))
    update_count = assign_add(count, reduce_sum(w))
    value = truediv(total.value(), maximum(count.value(), 1e-12), name="value")
    return value, truediv(update_total, maximum(update_count, 1e-12), name="update_op")


def _collect(
    value: Any, update_op: Any, metrics_collections: Any, updates_collections: Any
) -> tuple[Any, Any]:
    if metrics_collections:
        add_to_collections(list(metrics_collections), value)
    if updates_collections:
        add_to_collections(list(updates_collections), update_op)
    return value, update_op


def mean(
    values: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The running (weighted) mean of ``values`` over every ``update_op`` run since the local variables
    were initialized: ``(total / count, update_op)``; 0 before the first update."""
    with variable_scope(name, default_name="mean"):
        value, update_op = _running_mean(values, weights)
    return _collect(value, update_op, metrics_collections, updates_collections)


def accuracy(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The running fraction of ``predictions == labels`` (weighted): ``(accuracy, update_op)``."""
    with variable_scope(name, default_name="accuracy"):
        p = convert_to_tensor(predictions)
        lab = convert_to_tensor(labels)
        if lab.dtype is not p.dtype:
            lab = cast(lab, p.dtype)
        value, update_op = _running_mean(cast(equal(p, lab), float32), weights)
    return _collect(value, update_op, metrics_collections, updates_collections)


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The running mean of ``(predictions - labels)^2``."""
    with variable_scope(name, default_name="mean_squared_error"):
        p = cast(convert_to_tensor(predictions), float32)
        value, update_op = _running_mean(
            squared_difference(p, cast(convert_to_tensor(labels), float32)), weights
        )
    return _collect(value, update_op, metrics_collections, updates_collections)


def mean_absolute_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The running mean of ``|predictions - labels|``."""
    with variable_scope(name, default_name="mean_absolute_error"):
        p = cast(convert_to_tensor(predictions), float32)
        err = _abs(subtract(p, cast(convert_to_tensor(labels), float32)))
        value, update_op = _running_mean(err, weights)
    return _collect(value, update_op, metrics_collections, updates_collections)


def root_mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The square root of the running mean squared error."""
    mse, update = mean_squared_error(labels, predictions, weights, name=name or "root_mean_squared_error")
    value, update_op = sqrt(mse), sqrt(update)
    return _collect(value, update_op, metrics_collections, updates_collections)


def _count(kind: str, labels: Any, predictions: Any, weights: Any) -> tuple[Any, Any]:
    """A running weighted count of true/false positives/negatives of boolean-like labels and predictions."""
    lab = greater(cast(convert_to_tensor(labels), float32), 0.5)
    pred = greater(cast(convert_to_tensor(predictions), float32), 0.5)
    hit = {
        "tp": logical_and(lab, pred),
        "fp": logical_and(logical_not(lab), pred),
        "fn": logical_and(lab, logical_not(pred)),
    }[kind]
    v = cast(hit, float32)
    w = ones_like(v) if weights is None else multiply(ones_like(v), cast(convert_to_tensor(weights), float32))
    total = _local("count")
    update = assign_add(total, reduce_sum(multiply(v, w)))
    return total.value(), update


def true_positives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    with variable_scope(name, default_name="true_positives"):
        value, update_op = _count("tp", labels, predictions, weights)
    return _collect(value, update_op, metrics_collections, updates_collections)


def false_positives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    with variable_scope(name, default_name="false_positives"):
        value, update_op = _count("fp", labels, predictions, weights)
    return _collect(value, update_op, metrics_collections, updates_collections)


def false_negatives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    with variable_scope(name, default_name="false_negatives"):
        value, update_op = _count("fn", labels, predictions, weights)
    return _collect(value, update_op, metrics_collections, updates_collections)


def _ratio(tp: Any, other: Any) -> Any:
    denom = add(tp, other)
    return where(greater(denom, 0.0), truediv(tp, maximum(denom, 1e-12)), multiply(denom, 0.0))


def precision(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The running ``tp / (tp + fp)`` of boolean labels and predictions (0 before any positive)."""
    with variable_scope(name, default_name="precision"):
        tp, tp_up = true_positives(labels, predictions, weights)
        fp, fp_up = false_positives(labels, predictions, weights)
        value, update_op = _ratio(tp, fp), _ratio(tp_up, fp_up)
    return _collect(value, update_op, metrics_collections, updates_collections)


def recall(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """The running ``tp / (tp + fn)`` of boolean labels and predictions (0 before any positive label)."""
    with variable_scope(name, default_name="recall"):
        tp, tp_up = true_positives(labels, predictions, weights)
        fn, fn_up = false_negatives(labels, predictions, weights)
        value, update_op = _ratio(tp, fn), _ratio(tp_up, fn_up)
    return _collect(value, update_op, metrics_collections, updates_collections)
