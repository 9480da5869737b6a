"""Sampled losses for large output vocabularies: ``tf.nn.nce_loss`` and ``tf.nn.sampled_softmax_loss``
(word2vec), with TF1's candidate samplers ``tf.nn.log_uniform_candidate_sampler`` (Zipf-like: class ``k``
has probability ``log((k + 2) / (k + 1)) / log(range_max + 1)``) and ``tf.nn.uniform_candidate_sampler``.

A sampler draws ``num_sampled`` classes (distinct when ``unique``) and reports for each true and each
sampled class its *expected count*: how often it would appear in that many draws (with ``unique``, in the
number of draws it took to find that many distinct classes: ``1 - (1 - p) ** tries``). The losses
subtract ``log(expected count)`` from the logits, as TF1 does, so that they estimate the full softmax.
The sample comes from the op's own seeded generator, so it is not TensorFlow's sample; the losses agree
with TF1 for the same sample (tested with ``sampled_values=``).

>>> import trainer as tf
>>> w, b = tf.ones([50, 4]), tf.zeros([50])
>>> loss = tf.nn.nce_loss(w, b, labels=[[3], [7]], inputs=tf.ones([2, 4]), num_sampled=5, num_classes=50)
>>> loss.shape.as_list()
[2]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, convert_to_tensor, name_scope
from trainer.ops.array_ops import cast, concat, expand_dims, reshape, shape, stop_gradient
from trainer.ops.index_ops import embedding_lookup
from trainer.ops.math_ops import equal, log, matmul, multiply, reduce_any, reduce_sum, subtract, where
from trainer.ops.nn_ops import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2
from trainer.random_seed import get_seed
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import host_ints, upload


# ---- CandidateSampler -------------------------------------------------------------------------------
def _sampler(
    kind: str,
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: int | None,
    name: str | None,
) -> tuple[Tensor, Tensor, Tensor]:
    t = cast(convert_to_tensor(true_classes), _dt.int64)
    if num_sampled > range_max and unique:
        raise InvalidArgumentError(
            f"candidate sampler: cannot draw {num_sampled} distinct classes out of range_max={range_max}"
        )
    s1, s2 = get_seed(seed)
    attrs = {
        "kind": kind,
        "num_true": int(num_true),
        "num_sampled": int(num_sampled),
        "unique": bool(unique),
        "range_max": int(range_max),
        "seed": s1,
        "seed2": s2,
    }
    return apply_op("CandidateSampler", [t], attrs, name or f"{kind.title()}CandidateSampler")


def _probability(kind: str, k: np.ndarray, range_max: int) -> np.ndarray:
    if kind == "uniform":
        return np.full(k.shape, 1.0 / range_max)
    return np.log((k + 2.0) / (k + 1.0)) / math.log(range_max + 1.0)


def _draw(kind: str, rng: np.random.Generator, n: int, range_max: int) -> np.ndarray:
    if kind == "uniform":
        return rng.integers(0, range_max, size=n)
    return (np.exp(rng.random(n) * math.log(range_max + 1.0)).astype(np.int64) - 1) % range_max


def _expected(p: np.ndarray, num_sampled: int, tries: int) -> np.ndarray:
    """TF1's expected count: ``p * n`` for independent draws, ``1 - (1 - p) ** tries`` for distinct ones."""
    if tries == num_sampled:
        return p * num_sampled
    return -np.expm1(tries * np.log1p(-p))


def _sampler_shape(inputs: list[Tensor], attrs: dict) -> Any:
    t = inputs[0]
    if t.shape.ndims not in (None, 2):
        raise InvalidArgumentError(
            f"candidate sampler: true_classes must be [batch, num_true], got {t.shape}"
        )
    n = attrs["num_sampled"]
    batch = t.shape.dims[0] if t.shape.dims is not None else None
    return [
        (TensorShape([n]), _dt.int64),
        (TensorShape([batch, attrs["num_true"]]), _dt.float32),
        (TensorShape([n]), _dt.float32),
    ]


def _sampler_kernel(ctx: Any, true_classes: Any) -> Any:
    a = ctx.attrs
    kind, n, rmax = a["kind"], a["num_sampled"], a["range_max"]
    true = np.asarray(host_ints(true_classes.reshape(-1)), np.int64).reshape(-1, a["num_true"])
    if a["unique"]:
        picked: dict[int, None] = {}
        tries = 0
        while len(picked) < n:
            for v in _draw(kind, ctx.rng, max(n - len(picked), 1), rmax).tolist():
                tries += 1
                if v not in picked:
                    picked[v] = None
                    if len(picked) == n:
                        break
        sampled = np.fromiter(picked, np.int64, count=n)
    else:
        sampled, tries = _draw(kind, ctx.rng, n, rmax), n
    true_exp = _expected(_probability(kind, true, rmax), n, tries).astype(np.float32)
    sampled_exp = _expected(_probability(kind, sampled, rmax), n, tries).astype(np.float32)
    return upload(ctx, sampled), upload(ctx, true_exp), upload(ctx, sampled_exp)


register(
    "CandidateSampler", shape=_sampler_shape, kernel=_sampler_kernel, not_differentiable=True, stateful=True
)


def log_uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: int | None = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """``(sampled_candidates, true_expected_count, sampled_expected_count)`` from the log-uniform (Zipf)
    distribution over ``[0, range_max)`` (class 0 the most likely: sort the vocabulary by frequency)."""
    return _sampler("log_uniform", true_classes, num_true, num_sampled, unique, range_max, seed, name)


def uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: int | None = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """As :func:`log_uniform_candidate_sampler`, every class equally likely."""
    return _sampler("uniform", true_classes, num_true, num_sampled, unique, range_max, seed, name)


# ---- the sampled logits (composite) -----------------------------------------------------------------
def _sampled_logits(
    weights: Any,
    biases: Any,
    labels: Any,
    inputs: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int,
    sampled_values: Any,
    subtract_log_q: bool,
    remove_accidental_hits: bool,
    partition_strategy: str,
    seed: int | None = None,
) -> tuple[Tensor, Tensor]:
    """``(logits [batch, num_true + num_sampled], labels of the same shape)`` as TF1's
    ``_compute_sampled_logits``: true classes first, each label ``1 / num_true``."""
    x = convert_to_tensor(inputs)
    lab = cast(convert_to_tensor(labels), _dt.int64)
    if lab.shape.ndims == 1:
        lab = expand_dims(lab, 1)
    lab = reshape(lab, [-1, num_true])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(lab, num_true, num_sampled, True, num_classes, seed)
    sampled, true_exp, sampled_exp = (stop_gradient(v) for v in sampled_values)
    sampled = cast(sampled, _dt.int64)
    flat = reshape(lab, [-1])
    true_w = embedding_lookup(weights, flat, partition_strategy=partition_strategy)
    sampled_w = embedding_lookup(weights, sampled, partition_strategy=partition_strategy)
    true_b = embedding_lookup(biases, flat, partition_strategy=partition_strategy)
    sampled_b = embedding_lookup(biases, sampled, partition_strategy=partition_strategy)
    dim = shape(true_w)[1]
    # true logits: each example's row against its num_true classes
    rows = reshape(true_w, [-1, num_true, dim])
    true_logits = reduce_sum(multiply(rows, expand_dims(x, 1)), axis=2) + reshape(true_b, [-1, num_true])
    sampled_logits = matmul(x, sampled_w, transpose_b=True) + sampled_b
    if remove_accidental_hits:
        hits = reduce_any(equal(expand_dims(lab, 2), reshape(sampled, [1, 1, -1])), axis=1)
        big = np.float32(np.finfo(np.float32).max)
        sampled_logits = where(hits, sampled_logits - cast(big, sampled_logits.dtype), sampled_logits)
    if subtract_log_q:
        true_logits = subtract(true_logits, log(cast(true_exp, true_logits.dtype)))
        sampled_logits = subtract(sampled_logits, log(cast(sampled_exp, sampled_logits.dtype)))
    logits = concat([true_logits, sampled_logits], 1)
    zeros = sampled_logits * 0.0
    targets = concat([true_logits * 0.0 + 1.0 / num_true, zeros], 1)
    return logits, stop_gradient(targets)


def nce_loss(
    weights: Any,
    biases: Any,
    labels: Any,
    inputs: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int = 1,
    sampled_values: Any = None,
    remove_accidental_hits: bool = False,
    partition_strategy: str = "mod",
    name: str = "nce_loss",
) -> Tensor:
    """Noise-contrastive estimation loss per example ``[batch]``: a logistic loss telling each true class
    from ``num_sampled`` sampled ones (``weights`` ``[num_classes, dim]``, or a list of its partitions)."""
    with name_scope(name):
        logits, targets = _sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            True,
            remove_accidental_hits,
            partition_strategy,
        )
        xent = sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
        return reduce_sum(xent, axis=1)


def sampled_softmax_loss(
    weights: Any,
    biases: Any,
    labels: Any,
    inputs: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int = 1,
    sampled_values: Any = None,
    remove_accidental_hits: bool = True,
    partition_strategy: str = "mod",
    name: str = "sampled_softmax_loss",
    seed: int | None = None,
) -> Tensor:
    """Softmax cross entropy per example ``[batch]`` over the true classes and ``num_sampled`` sampled
    ones (an estimate of the full softmax loss for training; evaluate with the full softmax)."""
    with name_scope(name):
        logits, targets = _sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            True,
            remove_accidental_hits,
            partition_strategy,
            seed,
        )
        return softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)
