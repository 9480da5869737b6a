"""Random ops over categories and orders: ``tf.multinomial`` (``tf.random.categorical``) draws class ids
from unnormalized log-probabilities, ``tf.random_shuffle`` permutes the first axis. Both draw from the op's
seeded generator (TF1's graph and op seeds), on the host, so a seed gives the same draws on every device.

>>> import trainer as tf
>>> ids = tf.multinomial([[-50.0, 0.0]], 4, seed=1)
>>> with tf.Session() as sess:
...     print(sess.run(ids))
[[1 1 1 1]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer import dtypes as _dt
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, constant_value, convert_to_tensor
from trainer.ops.logging_ops import host_copy
from trainer.random_seed import get_seed
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import host_ints, upload


def multinomial(
    logits: Any, num_samples: Any, seed: int | None = None, name: str | None = None, output_dtype: Any = None
) -> Tensor:
    """``[batch, num_samples]`` class ids, row ``i`` drawn with probabilities ``softmax(logits[i])``."""
    lg = convert_to_tensor(logits)
    n = convert_to_tensor(num_samples, dtype=_dt.int32)
    s1, s2 = get_seed(seed)
    attrs = {"seed": s1, "seed2": s2, "dtype": _dt.as_dtype(output_dtype or _dt.int64)}
    return apply_op("Multinomial", [lg, n], attrs, name or "Multinomial")


def categorical(logits: Any, num_samples: Any, dtype: Any = None, seed: int | None = None, name: Any = None):
    return multinomial(logits, num_samples, seed=seed, name=name, output_dtype=dtype)


def _multinomial_shape(inputs: list[Tensor], attrs: dict) -> Any:
    lg, n = inputs
    if lg.shape.ndims not in (None, 2) or not lg.dtype.is_floating:
        raise InvalidArgumentError(f"tf.multinomial: logits must be float [batch, classes], got {lg}")
    nv = constant_value(n)
    batch = lg.shape.dims[0] if lg.shape.dims else None
    return TensorShape([batch, None if nv is None else int(nv)]), attrs["dtype"]


def _multinomial_kernel(ctx: Any, logits: Any, n: Any) -> Any:
    (k,) = host_ints(n)
    lg = host_copy(logits).astype(np.float64)
    lg = lg - lg.max(axis=1, keepdims=True)
    p = np.exp(lg)
    p /= p.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)
    u = ctx.rng.random((lg.shape[0], k))
    ids = np.minimum((u[:, :, None] > cum[:, None, :]).sum(axis=2), lg.shape[1] - 1)
    return upload(ctx, ids.astype(ctx.attrs["dtype"].np))


register(
    "Multinomial",
    shape=_multinomial_shape,
    kernel=_multinomial_kernel,
    not_differentiable=True,
    stateful=True,
)


def random_shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` with its first axis randomly permuted."""
    s1, s2 = get_seed(seed)
    return apply_op(
        "RandomShuffle", [convert_to_tensor(value)], {"seed": s1, "seed2": s2}, name or "RandomShuffle"
    )


def _shuffle_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return inputs[0].shape, inputs[0].dtype


def _shuffle_kernel(ctx: Any, x: Any) -> Any:
    if x.ndim == 0:
        return x
    order = upload(ctx, ctx.rng.permutation(x.shape[0]))
    return ctx.xp.take(x, order, axis=0)


register(
    "RandomShuffle", shape=_shuffle_shape, kernel=_shuffle_kernel, not_differentiable=True, stateful=True
)


# ---- RandomOrthogonal (tf.orthogonal_initializer) -----------------------------------------------------
def random_orthogonal(
    shape: Any, gain: float = 1.0, dtype: Any = _dt.float32, seed: int | None = None
) -> Tensor:
    """A random orthogonal matrix reshaped to ``shape`` (TF1's ``orthogonal_initializer``): the Q of the QR
    decomposition of a normal ``[prod(shape[:-1]), shape[-1]]`` matrix (transposed when wide), its columns
    signed by R's diagonal so that the distribution is uniform, times ``gain``."""
    dims = [int(d) for d in shape]
    if len(dims) < 2:
        raise InvalidArgumentError(f"orthogonal_initializer needs a shape of rank >= 2, got {dims}")
    s1, s2 = get_seed(seed)
    attrs = {"shape": tuple(dims), "gain": float(gain), "dtype": _dt.as_dtype(dtype), "seed": s1, "seed2": s2}
    return apply_op("RandomOrthogonal", [], attrs, "RandomOrthogonal")


def _orthogonal_shape(inputs: list[Tensor], attrs: dict) -> Any:
    return TensorShape(list(attrs["shape"])), attrs["dtype"]


def _orthogonal_kernel(ctx: Any) -> Any:
    a = ctx.attrs
    rows, cols = int(np.prod(a["shape"][:-1])), a["shape"][-1]
    m = ctx.rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(m)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return upload(ctx, (a["gain"] * q).reshape(a["shape"]).astype(a["dtype"].np))


register(
    "RandomOrthogonal",
    shape=_orthogonal_shape,
    kernel=_orthogonal_kernel,
    not_differentiable=True,
    stateful=True,
)
