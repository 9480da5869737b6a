"""``tf.contrib.legacy_seq2seq``: the per-step list losses of the first PTB language-model tutorial,
``sequence_loss_by_example`` and ``sequence_loss`` (``logits``, ``targets`` and ``weights`` are lists with
one ``[batch, classes]`` / ``[batch]`` / ``[batch]`` tensor per time step).

>>> import trainer as tf
>>> per_example = tf.contrib.legacy_seq2seq.sequence_loss_by_example(
...     [tf.zeros([2, 4])], [tf.zeros([2], tf.int32)], [tf.ones([2])])
>>> per_example.shape.as_list()
[2]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import cast, reshape, shape
from trainer.ops.math_ops import add_n, multiply, reduce_sum, truediv
from trainer.ops.nn_ops import sparse_softmax_cross_entropy_with_logits


def sequence_loss_by_example(
    logits: Sequence[Any],
    targets: Sequence[Any],
    weights: Sequence[Any],
    average_across_timesteps: bool = True,
    softmax_loss_function: Callable[..., Any] | None = None,
    name: str | None = None,
) -> Tensor:
    """``[batch]``: the weighted sum over time steps of each example's cross entropy (divided by the sum
    of its weights when ``average_across_timesteps``)."""
    if not (len(logits) == len(targets) == len(weights)):
        raise InvalidArgumentError(
            f"sequence_loss_by_example: {len(logits)} logits, {len(targets)} targets, {len(weights)} weights"
        )
    with name_scope(name or "sequence_loss_by_example"):
        terms = []
        for lg, t, w in zip(logits, targets, weights, strict=True):
            lg = convert_to_tensor(lg)
            t = reshape(convert_to_tensor(t), [-1])
            if softmax_loss_function is None:
                xent = sparse_softmax_cross_entropy_with_logits(labels=t, logits=lg)
            else:
                xent = softmax_loss_function(labels=t, logits=lg)
            terms.append(multiply(xent, cast(convert_to_tensor(w), lg.dtype)))
        log_perps = add_n(terms)
        if average_across_timesteps:
            total = add_n([cast(convert_to_tensor(w), log_perps.dtype) for w in weights]) + 1e-12
            log_perps = truediv(log_perps, total)
        return log_perps


def sequence_loss(
    logits: Sequence[Any],
    targets: Sequence[Any],
    weights: Sequence[Any],
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    softmax_loss_function: Callable[..., Any] | None = None,
    name: str | None = None,
) -> Tensor:
    """The sum of :func:`sequence_loss_by_example` over the batch (divided by the batch size when
    ``average_across_batch``)."""
    with name_scope(name or "sequence_loss"):
        per_example = sequence_loss_by_example(
            logits, targets, weights, average_across_timesteps, softmax_loss_function
        )
        cost = reduce_sum(per_example)
        if average_across_batch:
            cost = truediv(cost, cast(shape(convert_to_tensor(targets[0]))[0], cost.dtype))
        return cost
