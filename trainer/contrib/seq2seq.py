"""``tf.contrib.seq2seq.sequence_loss``: the weighted cross entropy of sequence models (the PTB language
model and seq2seq tutorials), as TF1 computes it: ``logits`` ``[batch, time, classes]``, integer
``targets`` and float ``weights`` ``[batch, time]``; averaged (or summed) over time and/or batch.

>>> import trainer as tf
>>> loss = tf.contrib.seq2seq.sequence_loss(tf.zeros([2, 3, 4]), tf.zeros([2, 3], tf.int32), tf.ones([2, 3]))
>>> with tf.Session() as sess:
...     print(round(float(sess.run(loss)), 4))  # log(4)
1.3863
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope
from trainer.ops.array_ops import cast, reshape, shape
from trainer.ops.math_ops import count_nonzero, greater, maximum, multiply, reduce_sum, truediv, where
from trainer.ops.nn_ops import sparse_softmax_cross_entropy_with_logits


def _div_no_nan(x: Tensor, y: Tensor) -> Tensor:
    """``x / y``, 0 where ``y`` is 0 (TF's div_no_nan)."""
    return where(greater(y, 0.0), truediv(x, maximum(y, 1e-30)), multiply(x, 0.0))


def sequence_loss(
    logits: Any,
    targets: Any,
    weights: Any,
    average_across_timesteps: bool = True,
    average_across_batch: bool = True,
    sum_over_timesteps: bool = False,
    sum_over_batch: bool = False,
    softmax_loss_function: Callable[..., Any] | None = None,
    name: str | None = None,
) -> Tensor:
    """A scalar, ``[batch]`` or ``[time]`` loss depending on which axes are averaged or summed."""
    if average_across_timesteps and sum_over_timesteps or average_across_batch and sum_over_batch:
        raise InvalidArgumentError("sequence_loss: average and sum over the same axis cannot both be set")
    with name_scope(name or "sequence_loss"):
        lg = convert_to_tensor(logits)
        if lg.shape.ndims not in (None, 3):
            raise InvalidArgumentError(
                f"sequence_loss: logits must be [batch, time, classes], got {lg.shape}"
            )
        w = cast(convert_to_tensor(weights), lg.dtype)
        flat_targets = reshape(convert_to_tensor(targets), [-1])
        flat_logits = reshape(lg, [-1, shape(lg)[2]])
        if softmax_loss_function is None:
            xent = sparse_softmax_cross_entropy_with_logits(labels=flat_targets, logits=flat_logits)
        else:
            xent = softmax_loss_function(labels=flat_targets, logits=flat_logits)
        xent = multiply(xent, reshape(w, [-1]))
        if average_across_timesteps and average_across_batch:
            return _div_no_nan(reduce_sum(xent), reduce_sum(w))
        if sum_over_timesteps and sum_over_batch:
            return _div_no_nan(reduce_sum(xent), cast(count_nonzero(w), lg.dtype))
        xent = reshape(xent, shape(lg)[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            return _div_no_nan(reduce_sum(xent, axis=axis), reduce_sum(w, axis=axis))
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            return _div_no_nan(reduce_sum(xent, axis=axis), cast(count_nonzero(w, axis=axis), lg.dtype))
        return xent
