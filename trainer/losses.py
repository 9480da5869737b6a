"""``tf.losses``: mean losses over a batch, added to the ``LOSSES`` collection (TensorFlow 1 names).

>>> import trainer as tf
>>> loss = tf.losses.sparse_softmax_cross_entropy(labels=[0, 1], logits=[[2.0, 0.0], [0.0, 2.0]])
>>> with tf.Session() as sess:
...     print(round(float(sess.run(loss)), 4))
0.1269
"""

from __future__ import annotations

from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import GraphKeys, Tensor, add_to_collection, convert_to_tensor, get_collection, name_scope
from trainer.ops import math_ops, nn_ops
from trainer.ops.array_ops import ones_like, stop_gradient


def _reduce(per_example: Tensor, weights: Any, loss_collection: str | None) -> Tensor:
    """Weighted mean over all elements (``weights`` broadcast against the per-example loss)."""
    if weights is not None and not (isinstance(weights, (int, float)) and weights == 1.0):
        w = math_ops.multiply(
            math_ops.cast(convert_to_tensor(weights), per_example.dtype), ones_like(per_example)
        )
        total = math_ops.reduce_sum(math_ops.multiply(per_example, w))
        count = math_ops.reduce_sum(math_ops.cast(math_ops.not_equal(w, 0.0), per_example.dtype))
        loss = math_ops.truediv(total, math_ops.maximum(count, 1.0), name="value")
    else:
        loss = math_ops.reduce_mean(per_example, name="value")
    if loss_collection:
        add_to_collection(loss_collection, loss)
    return loss


def sparse_softmax_cross_entropy(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    **_kw: Any,
) -> Tensor:
    with name_scope(scope, "sparse_softmax_cross_entropy_loss"):
        xent = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        return _reduce(xent, weights, loss_collection)


def softmax_cross_entropy(
    onehot_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    **_kw: Any,
) -> Tensor:
    """Cross entropy against one-hot labels, optionally smoothed: ``labels*(1-s) + s/num_classes``."""
    with name_scope(scope, "softmax_cross_entropy_loss"):
        logits = convert_to_tensor(logits)
        labels = math_ops.cast(convert_to_tensor(onehot_labels), logits.dtype)
        if label_smoothing:
            n = logits.shape.dims[-1] if logits.shape.dims else None
            if n is None:
                raise InvalidArgumentError("label_smoothing needs a static number of classes")
            labels = math_ops.add(math_ops.multiply(labels, 1.0 - label_smoothing), label_smoothing / n)
        xent = nn_ops.softmax_cross_entropy_with_logits_v2(labels=stop_gradient(labels), logits=logits)
        return _reduce(xent, weights, loss_collection)


def sigmoid_cross_entropy(
    multi_class_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    **_kw: Any,
) -> Tensor:
    with name_scope(scope, "sigmoid_cross_entropy_loss"):
        logits = convert_to_tensor(logits)
        labels = math_ops.cast(convert_to_tensor(multi_class_labels), logits.dtype)
        xent = nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        return _reduce(xent, weights, loss_collection)


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    **_kw: Any,
) -> Tensor:
    with name_scope(scope, "mean_squared_error"):
        predictions = convert_to_tensor(predictions)
        labels = math_ops.cast(convert_to_tensor(labels), predictions.dtype)
        return _reduce(math_ops.squared_difference(predictions, labels), weights, loss_collection)


def absolute_difference(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    **_kw: Any,
) -> Tensor:
    with name_scope(scope, "absolute_difference"):
        predictions = convert_to_tensor(predictions)
        labels = math_ops.cast(convert_to_tensor(labels), predictions.dtype)
        return _reduce(math_ops.abs(math_ops.subtract(predictions, labels)), weights, loss_collection)


def add_loss(loss: Tensor, loss_collection: str = GraphKeys.LOSSES) -> None:
    add_to_collection(loss_collection, loss)


def get_losses(scope: str | None = None, loss_collection: str = GraphKeys.LOSSES) -> list[Tensor]:
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope: str | None = None) -> list[Tensor]:
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: str | None = None, name: str = "total_regularization_loss") -> Tensor:
    losses = get_regularization_losses(scope)
    if not losses:
        return convert_to_tensor(0.0, name=name)
    return math_ops.add_n(losses, name=name)


def get_total_loss(
    add_regularization_losses: bool = True, name: str = "total_loss", scope: str | None = None
) -> Tensor:
    """Sum of the ``LOSSES`` collection (plus the regularization losses)."""
    losses = get_losses(scope) + (get_regularization_losses(scope) if add_regularization_losses else [])
    if not losses:
        raise InvalidArgumentError("no losses in the LOSSES / REGULARIZATION_LOSSES collections")
    return math_ops.add_n(losses, name=name)


class Reduction:
    """How ``compute_weighted_loss`` and the losses below reduce the weighted per-element losses (TF1)."""

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_OVER_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_BY_NONZERO_WEIGHTS = SUM_OVER_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS)


def compute_weighted_loss(
    losses: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """``losses * weights`` reduced as ``reduction`` says (default: the sum over the number of non-zero
    weights, as TF1)."""
    if reduction not in Reduction.all():
        raise InvalidArgumentError(f"unknown reduction {reduction!r}; use tf.losses.Reduction.*")
    with name_scope(scope, "weighted_loss"):
        per = convert_to_tensor(losses)
        w = math_ops.multiply(math_ops.cast(convert_to_tensor(weights), per.dtype), ones_like(per))
        weighted = math_ops.multiply(per, w)
        if reduction == Reduction.NONE:
            loss = weighted
        elif reduction == Reduction.SUM:
            loss = math_ops.reduce_sum(weighted)
        elif reduction == Reduction.MEAN:
            loss = math_ops.truediv(
                math_ops.reduce_sum(weighted), math_ops.maximum(math_ops.reduce_sum(w), 1e-12)
            )
        elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
            loss = math_ops.reduce_mean(weighted)
        else:
            count = math_ops.reduce_sum(math_ops.cast(math_ops.not_equal(w, 0.0), per.dtype))
            loss = math_ops.truediv(math_ops.reduce_sum(weighted), math_ops.maximum(count, 1.0), name="value")
        if loss_collection:
            add_to_collection(loss_collection, loss)
        return loss


def _pair(labels: Any, predictions: Any) -> tuple[Tensor, Tensor]:
    predictions = convert_to_tensor(predictions)
    return math_ops.cast(convert_to_tensor(labels), predictions.dtype), predictions


def huber_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    delta: float = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """``0.5 e^2`` where ``|e| <= delta``, else ``delta (|e| - 0.5 delta)``; ``e = predictions - labels``."""
    with name_scope(scope, "huber_loss"):
        labels, predictions = _pair(labels, predictions)
        err = math_ops.abs(math_ops.subtract(predictions, labels))
        quadratic = math_ops.minimum(err, delta)
        linear = math_ops.subtract(err, quadratic)
        per = math_ops.add(
            math_ops.multiply(0.5, math_ops.square(quadratic)), math_ops.multiply(delta, linear)
        )
        return compute_weighted_loss(per, weights, None, loss_collection, reduction)


def log_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    epsilon: float = 1e-7,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """``-y log(p + eps) - (1 - y) log(1 - p + eps)`` for probabilities ``p``."""
    with name_scope(scope, "log_loss"):
        y, p = _pair(labels, predictions)
        per = math_ops.subtract(
            math_ops.negative(math_ops.multiply(y, math_ops.log(math_ops.add(p, epsilon)))),
            math_ops.multiply(
                math_ops.subtract(1.0, y), math_ops.log(math_ops.add(math_ops.subtract(1.0, p), epsilon))
            ),
        )
        return compute_weighted_loss(per, weights, None, loss_collection, reduction)


def hinge_loss(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """``max(0, 1 - (2y - 1) logits)`` for labels ``y`` in {0, 1}."""
    with name_scope(scope, "hinge_loss"):
        y, lg = _pair(labels, logits)
        signs = math_ops.subtract(math_ops.multiply(2.0, y), 1.0)
        per = nn_ops.relu(math_ops.subtract(1.0, math_ops.multiply(signs, lg)))
        return compute_weighted_loss(per, weights, None, loss_collection, reduction)


def cosine_distance(
    labels: Any,
    predictions: Any,
    axis: int | None = None,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
    dim: int | None = None,
) -> Tensor:
    """``1 - sum(labels * predictions, axis)`` for unit-normalized inputs."""
    axis = axis if axis is not None else dim
    if axis is None:
        raise InvalidArgumentError("tf.losses.cosine_distance: give axis")
    with name_scope(scope, "cosine_distance_loss"):
        y, p = _pair(labels, predictions)
        per = math_ops.subtract(1.0, math_ops.reduce_sum(math_ops.multiply(y, p), axis=axis, keepdims=True))
        return compute_weighted_loss(per, weights, None, loss_collection, reduction)
