"""Neural-network ops: activations, softmax, bias add, cross entropies, L2 loss, and the composites
(dropout, moments, batch normalization) built from registered ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, apply_op, constant_value, convert_to_tensor, name_scope
from trainer.ops._common import float_same_shape, norm_axis, same_shape, to_tensors
from trainer.ops.array_ops import expand_dims, reshape, shape, squeeze, stop_gradient, zeros_like
from trainer.ops.math_ops import abs as _abs
from trainer.ops.math_ops import (
    add,
    exp,
    floor,
    greater,
    less,
    log,
    logical_and,
    matmul,
    maximum,
    multiply,
    reduce_mean,
    reduce_sum,
    rsqrt,
    square,
    squared_difference,
    subtract,
    truediv,
    where,
)
from trainer.ops.random_ops import random_uniform
from trainer.registry import register
from trainer.tensor_shape import TensorShape
from trainer.xp_compat import any_true


# ---- Relu -------------------------------------------------------------------------------------------
def relu(features: Any, name: str | None = None) -> Tensor:
    return apply_op("Relu", [convert_to_tensor(features)], {}, name or "Relu")


def _relu_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.maximum(x, 0)


def _relu_grad(op: Any, g: Tensor) -> list[Any]:
    """d relu(x) = g where x > 0 (same as y > 0)."""
    return [apply_op("ReluGrad", [g, op.outputs[0]], {})]


register("Relu", shape=same_shape, kernel=_relu_kernel, grad=_relu_grad)


def _relu_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    g, y = inputs
    if not g.shape.is_compatible_with(y.shape):
        raise InvalidArgumentError(f"gradient shape {g.shape} and output shape {y.shape} differ")
    return g.shape.merge_with(y.shape), g.dtype


def _relu_grad_kernel(ctx: Any, g: Any, y: Any) -> Any:
    return g * (y > 0)


def _relu_grad_grad(op: Any, gg: Tensor) -> list[Any]:
    """Linear in g with a piecewise-constant mask: (ReluGrad(gg, y), 0)."""
    return [apply_op("ReluGrad", [gg, op.inputs[1]], {}), None]


register("ReluGrad", shape=_relu_grad_shape, kernel=_relu_grad_kernel, grad=_relu_grad_grad)


def relu6(features: Any, name: str | None = None) -> Tensor:
    return apply_op("Relu6", [convert_to_tensor(features)], {}, name or "Relu6")


def _relu6_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.clip(x, 0, 6)


def _relu6_grad(op: Any, g: Tensor) -> list[Any]:
    """g where 0 < x < 6, else 0."""
    x = op.inputs[0]
    return [where(logical_and(greater(x, 0), less(x, 6)), g, zeros_like(g))]


register("Relu6", shape=same_shape, kernel=_relu6_kernel, grad=_relu6_grad)


# ---- Sigmoid / Tanh ---------------------------------------------------------------------------------
def sigmoid(x: Any, name: str | None = None) -> Tensor:
    return apply_op("Sigmoid", [convert_to_tensor(x)], {}, name or "Sigmoid")


def _sigmoid_kernel(ctx: Any, x: Any) -> Any:
    # 1/(1+e^-x) written with tanh: no overflow warnings for large |x|.
    return 0.5 * (ctx.xp.tanh(0.5 * x) + 1)


def _sigmoid_grad(op: Any, g: Tensor) -> list[Any]:
    """d sigmoid = g * y * (1 - y)."""
    y = op.outputs[0]
    return [multiply(g, multiply(y, subtract(1.0, y)))]


register("Sigmoid", shape=float_same_shape, kernel=_sigmoid_kernel, grad=_sigmoid_grad)


def tanh(x: Any, name: str | None = None) -> Tensor:
    return apply_op("Tanh", [convert_to_tensor(x)], {}, name or "Tanh")


def _tanh_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.tanh(x)


def _tanh_grad(op: Any, g: Tensor) -> list[Any]:
    """d tanh = g * (1 - y^2)."""
    y = op.outputs[0]
    return [multiply(g, subtract(1.0, square(y)))]


register("Tanh", shape=float_same_shape, kernel=_tanh_kernel, grad=_tanh_grad)


# ---- Softmax / LogSoftmax ---------------------------------------------------------------------------
def softmax(logits: Any, axis: int = -1, name: str | None = None, dim: int | None = None) -> Tensor:
    x = convert_to_tensor(logits)
    ax = norm_axis(dim if dim is not None else axis, x.shape.ndims)
    return apply_op("Softmax", [x], {"axis": ax}, name or "Softmax")


def _softmax_kernel(ctx: Any, x: Any) -> Any:
    ax = ctx.attrs["axis"]
    e = ctx.xp.exp(x - x.max(axis=ax, keepdims=True))
    e /= e.sum(axis=ax, keepdims=True)
    return e


def _softmax_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = y * (g - sum(g * y, axis))."""
    y, ax = op.outputs[0], op.attrs["axis"]
    return [multiply(y, subtract(g, reduce_sum(multiply(g, y), axis=ax, keepdims=True)))]


register("Softmax", shape=float_same_shape, kernel=_softmax_kernel, grad=_softmax_grad)


def log_softmax(logits: Any, axis: int = -1, name: str | None = None, dim: int | None = None) -> Tensor:
    x = convert_to_tensor(logits)
    ax = norm_axis(dim if dim is not None else axis, x.shape.ndims)
    return apply_op("LogSoftmax", [x], {"axis": ax}, name or "LogSoftmax")


def _log_softmax_kernel(ctx: Any, x: Any) -> Any:
    ax = ctx.attrs["axis"]
    z = x - x.max(axis=ax, keepdims=True)
    return z - ctx.xp.log(ctx.xp.exp(z).sum(axis=ax, keepdims=True))


def _log_softmax_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g - exp(y) * sum(g, axis)."""
    y, ax = op.outputs[0], op.attrs["axis"]
    return [subtract(g, multiply(exp(y), reduce_sum(g, axis=ax, keepdims=True)))]


register("LogSoftmax", shape=float_same_shape, kernel=_log_softmax_kernel, grad=_log_softmax_grad)


# ---- BiasAdd ----------------------------------------------------------------------------------------
def bias_add(value: Any, bias: Any, data_format: str | None = None, name: str | None = None) -> Tensor:
    if data_format not in (None, "NHWC", "NWC", "NC"):
        raise InvalidArgumentError(
            f"bias_add: data_format {data_format!r} is not supported (channels last only)"
        )
    x, b = to_tensors(value, bias)
    return apply_op("BiasAdd", [x, b], {}, name or "BiasAdd")


def _bias_add_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x, b = inputs
    if x.dtype is not b.dtype:
        raise InvalidArgumentError(f"dtypes {x.dtype.name} {x.shape} and {b.dtype.name} {b.shape} differ")
    if b.shape.ndims not in (None, 1):
        raise InvalidArgumentError(f"bias must be 1-D, got shape {b.shape}")
    if x.shape.dims is not None:
        if len(x.shape.dims) < 2:
            raise InvalidArgumentError(f"value must have rank >= 2, got shape {x.shape}")
        c, n = x.shape.dims[-1], (b.shape.dims or (None,))[0]
        if c is not None and n is not None and c != n:
            raise InvalidArgumentError(
                f"bias shape {b.shape} does not match the last dimension of shape {x.shape}"
            )
    return x.shape, x.dtype


def _bias_add_kernel(ctx: Any, x: Any, b: Any) -> Any:
    return x + b


def _bias_add_grad(op: Any, g: Tensor) -> list[Any]:
    """dx = g; db = sum of g over all but the last axis."""
    r = op.inputs[0].shape.ndims
    if r is None:
        raise InvalidArgumentError(f"gradient of {op.name} needs an input of known rank")
    return [g, reduce_sum(g, axis=list(range(r - 1)))]


register("BiasAdd", shape=_bias_add_shape, kernel=_bias_add_kernel, grad=_bias_add_grad)


# ---- SparseSoftmaxCrossEntropyWithLogits ------------------------------------------------------------
def sparse_softmax_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Per-example ``-log softmax(logits)[label]``; labels are class indices (keywords required)."""
    if _sentinel is not None or labels is None or logits is None:
        raise InvalidArgumentError(
            "call sparse_softmax_cross_entropy_with_logits with labels=..., logits=..."
        )
    lg = convert_to_tensor(logits)
    lb = convert_to_tensor(labels)
    if lg.shape.ndims is not None and lg.shape.ndims > 2:  # TF1: labels [d0, ..., dn], logits [..., classes]
        if lb.shape.ndims is not None and lb.shape.ndims != lg.shape.ndims - 1:
            raise InvalidArgumentError(
                f"sparse_softmax_cross_entropy_with_logits: labels {lb.shape} must have rank "
                f"{lg.shape.ndims - 1} for logits {lg.shape}"
            )
        with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits"):
            flat = sparse_softmax_cross_entropy_with_logits(
                labels=reshape(lb, [-1]), logits=reshape(lg, [-1, shape(lg)[-1]])
            )
            out = reshape(flat, shape(lb))
            out.set_shape(lg.shape.dims[:-1])
            return out
    op = apply_op(
        "SparseSoftmaxCrossEntropyWithLogits", [lg, lb], {}, name or "SparseSoftmaxCrossEntropyWithLogits"
    )
    return op[0]


def _sparse_xent_shape(inputs: list[Tensor], attrs: dict) -> Any:
    lg, lb = inputs
    if not lg.dtype.is_floating or not lb.dtype.is_integer:
        raise InvalidArgumentError(
            f"expects float logits and integer labels, got {lg.dtype.name} {lg.shape} "
            f"and {lb.dtype.name} {lb.shape}"
        )
    if lg.shape.ndims not in (None, 2) or lb.shape.ndims not in (None, 1):
        raise InvalidArgumentError(
            f"logits must be [batch, classes] and labels [batch]; got shapes {lg.shape} and {lb.shape}"
        )
    n = lg.shape.dims[0] if lg.shape.dims else None
    m = lb.shape.dims[0] if lb.shape.dims else None
    if n is not None and m is not None and n != m:
        raise InvalidArgumentError(
            f"logits shape {lg.shape} and labels shape {lb.shape} disagree on the batch"
        )
    return [(TensorShape([n if n is not None else m]), lg.dtype), (lg.shape, lg.dtype)]


def _sparse_xent_kernel(ctx: Any, logits: Any, labels: Any) -> Any:
    xp = ctx.xp
    n, c = logits.shape
    if labels.size and any_true((labels < 0) | (labels >= c)):
        raise InvalidArgumentError(
            f"{ctx.op.name}: labels must be in [0, {c}), got {int(labels.min())}..{int(labels.max())}"
        )
    z = logits - logits.max(axis=1, keepdims=True)
    e = xp.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = xp.arange(n)
    loss = xp.log(s[:, 0]) - z[rows, labels]
    e /= s
    e[rows, labels] -= 1
    return loss, e


def _sparse_xent_grad(op: Any, g: Tensor, _g_backprop: Tensor) -> list[Any]:
    """dlogits = g[:, None] * (softmax(logits) - onehot(labels)) (the op's second output)."""
    return [multiply(expand_dims(g, 1), op.outputs[1]), None]


register(
    "SparseSoftmaxCrossEntropyWithLogits",
    shape=_sparse_xent_shape,
    kernel=_sparse_xent_kernel,
    grad=_sparse_xent_grad,
)


# ---- SoftmaxCrossEntropyWithLogits ------------------------------------------------------------------
def softmax_cross_entropy_with_logits_v2(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    axis: int = -1,
    name: str | None = None,
    dim: int | None = None,
) -> Tensor:
    """Per-example ``-sum(labels * log softmax(logits))`` over the last axis; gradients reach labels too."""
    if _sentinel is not None or labels is None or logits is None:
        raise InvalidArgumentError("call softmax_cross_entropy_with_logits with labels=..., logits=...")
    lg, lb = to_tensors(logits, labels)
    ax = dim if dim is not None else axis
    if ax not in (-1, (lg.shape.ndims or 0) - 1):
        raise InvalidArgumentError("softmax_cross_entropy_with_logits supports only the last axis")
    return apply_op("SoftmaxCrossEntropyWithLogits", [lg, lb], {}, name or "SoftmaxCrossEntropyWithLogits")[0]


def softmax_cross_entropy_with_logits(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: int | None = None,
) -> Tensor:
    """TensorFlow 1's v1 op: like v2, but no gradient flows into labels."""
    if labels is not None:
        labels = stop_gradient(labels)
    return softmax_cross_entropy_with_logits_v2(
        _sentinel, labels=labels, logits=logits, axis=axis if axis is not None else dim, name=name
    )


def _xent_shape(inputs: list[Tensor], attrs: dict) -> Any:
    lg, lb = inputs
    if lg.dtype is not lb.dtype or not lg.dtype.is_floating:
        raise InvalidArgumentError(
            f"logits {lg.dtype.name} {lg.shape} and labels {lb.dtype.name} {lb.shape} "
            f"must be the same float type"
        )
    if not lg.shape.is_compatible_with(lb.shape):
        raise InvalidArgumentError(f"logits shape {lg.shape} and labels shape {lb.shape} differ")
    s = lg.shape.merge_with(lb.shape)
    if s.dims is None:
        return [(TensorShape(None), lg.dtype), (s, lg.dtype)]
    if not s.dims:
        raise InvalidArgumentError(f"logits must have rank >= 1, got shape {s}")
    return [(TensorShape(s.dims[:-1]), lg.dtype), (s, lg.dtype)]


def _xent_kernel(ctx: Any, logits: Any, labels: Any) -> Any:
    xp = ctx.xp
    z = logits - logits.max(axis=-1, keepdims=True)
    e = xp.exp(z)
    s = e.sum(axis=-1, keepdims=True)
    logp = z - xp.log(s)
    loss = -(labels * logp).sum(axis=-1)
    return loss, e / s - labels


def _xent_grad(op: Any, g: Tensor, _g_backprop: Tensor) -> list[Any]:
    """dlogits = g * (softmax - labels); dlabels = -g * log_softmax(logits)."""
    g1 = expand_dims(g, -1)
    return [multiply(g1, op.outputs[1]), multiply(g1, subtract(0.0, log_softmax(op.inputs[0])))]


register("SoftmaxCrossEntropyWithLogits", shape=_xent_shape, kernel=_xent_kernel, grad=_xent_grad)


def sigmoid_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """``max(x, 0) - x * z + log(1 + exp(-|x|))`` (numerically stable), built from registered ops."""
    x, z = to_tensors(logits, labels)
    with name_scope(name, "logistic_loss"):
        return add(subtract(maximum(x, 0.0), multiply(x, z)), log(add(1.0, exp(subtract(0.0, _abs(x))))))


# ---- L2Loss -----------------------------------------------------------------------------------------
def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """``sum(t ** 2) / 2``."""
    return apply_op("L2Loss", [convert_to_tensor(t)], {}, name or "L2Loss")


def _l2_loss_shape(inputs: list[Tensor], attrs: dict) -> Any:
    float_same_shape(inputs, attrs)
    return TensorShape([]), inputs[0].dtype


def _l2_loss_kernel(ctx: Any, x: Any) -> Any:
    f = x.reshape(-1)
    return ctx.xp.asarray(f @ f / 2, dtype=x.dtype)


def _l2_loss_grad(op: Any, g: Tensor) -> list[Any]:
    """d(sum(x^2)/2) = g * x."""
    return [multiply(g, op.inputs[0])]


register("L2Loss", shape=_l2_loss_shape, kernel=_l2_loss_kernel, grad=_l2_loss_grad)


# ---- composites -------------------------------------------------------------------------------------
def dropout(
    x: Any,
    keep_prob: Any = None,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
    rate: Any = None,
) -> Tensor:
    """Keep each element with probability ``keep_prob`` (or ``1 - rate``) and scale it by ``1/keep_prob``."""
    if (keep_prob is None) == (rate is None):
        raise InvalidArgumentError("dropout: give exactly one of keep_prob and rate")
    with name_scope(name, "dropout"):
        x = convert_to_tensor(x)
        if rate is not None:
            keep_prob = (
                subtract(1.0, convert_to_tensor(rate, dtype=x.dtype))
                if isinstance(rate, Tensor)
                else 1.0 - float(rate)
            )
        kp = convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        kv = constant_value(kp)
        if kv is not None:
            if not 0 < float(kv) <= 1:
                raise InvalidArgumentError(f"dropout: keep_prob must be in (0, 1], got {float(kv)}")
            if float(kv) == 1.0:
                return x
        ns = shape(x) if noise_shape is None else noise_shape
        keep = floor(add(kp, random_uniform(ns, seed=seed, dtype=x.dtype)))
        ret = multiply(truediv(x, kp), keep)
        ret.set_shape(x.shape)  # a keep_prob of unknown rank must not hide x's shape
        return ret


def moments(
    x: Any, axes: Any, shift: Any = None, name: str | None = None, keep_dims: Any = None, keepdims: Any = None
) -> tuple[Tensor, Tensor]:
    """Mean and variance of ``x`` over ``axes``: the variance is the mean of ``squared_difference(x,
    stop_gradient(mean))``, as TensorFlow computes it."""
    keep = bool(keep_dims if keep_dims is not None else (keepdims or False))
    with name_scope(name, "moments"):
        x = convert_to_tensor(x)
        mean = reduce_mean(x, axis=axes, keepdims=True, name="mean")
        variance = reduce_mean(
            squared_difference(x, stop_gradient(mean)), axis=axes, keepdims=True, name="variance"
        )
        if not keep:
            r = x.shape.ndims
            ax = sorted({norm_axis(a, r) for a in (axes if isinstance(axes, (list, tuple)) else [axes])})
            keep_shape = [d for i, d in enumerate(mean.shape.as_list()) if i not in ax]
            if any(d is None for d in keep_shape):
                return squeeze(mean, ax), squeeze(variance, ax)
            return reshape(mean, keep_shape), reshape(variance, keep_shape)
        return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Tensor:
    """``scale * (x - mean) / sqrt(variance + eps) + offset`` (offset/scale may be None)."""
    with name_scope(name, "batchnorm"):
        x = convert_to_tensor(x)
        inv = rsqrt(add(variance, np.asarray(variance_epsilon, x.dtype.np)))
        if scale is not None:
            inv = multiply(inv, scale)
        shift = (
            subtract(offset, multiply(mean, inv))
            if offset is not None
            else subtract(0.0, multiply(mean, inv))
        )
        return add(multiply(x, inv), shift)


# ---- FusedBatchNorm ---------------------------------------------------------------------------------
def fused_batch_norm(
    x: Any,
    scale: Any,
    offset: Any,
    mean: Any = None,
    variance: Any = None,
    epsilon: float = 0.001,
    data_format: str = "NHWC",
    is_training: bool = True,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Batch normalization over all axes but the last, in one op: ``(y, batch_mean, batch_variance)``.

    Training (``is_training=True``) normalizes with the batch statistics and returns them (the population
    variance); inference uses the given ``mean`` and ``variance`` and returns them unchanged.
    """
    if data_format not in ("NHWC", "NC", None):
        raise InvalidArgumentError(f"fused_batch_norm: data_format {data_format!r} is not supported")
    x = convert_to_tensor(x)
    scale, offset = convert_to_tensor(scale, dtype=x.dtype), convert_to_tensor(offset, dtype=x.dtype)
    if not is_training and (mean is None or variance is None):
        raise InvalidArgumentError("fused_batch_norm: inference needs mean and variance")
    if is_training:  # the batch statistics are computed; mean/variance inputs are empty, as in TF
        mean = variance = np.zeros(0, x.dtype.np)
    mean, variance = convert_to_tensor(mean, dtype=x.dtype), convert_to_tensor(variance, dtype=x.dtype)
    attrs = {"epsilon": float(epsilon), "is_training": bool(is_training)}
    return apply_op("FusedBatchNorm", [x, scale, offset, mean, variance], attrs, name or "FusedBatchNorm")


def _fbn_shape(inputs: list[Tensor], attrs: dict) -> Any:
    x = inputs[0]
    if not x.dtype.is_floating or x.shape.ndims == 0:
        raise InvalidArgumentError(f"expects a float input of rank >= 1, got {x.dtype.name} {x.shape}")
    c = x.shape.dims[-1] if x.shape.dims else None
    for t in inputs[1:] if not attrs["is_training"] else inputs[1:3]:
        if t.shape.ndims not in (None, 1) or (c is not None and t.shape.dims[0] not in (None, c)):
            raise InvalidArgumentError(
                f"scale/offset/mean/variance shape {t.shape} must be ({c},) for input {x.shape}"
            )
    stat = TensorShape([c])
    return [(x.shape, x.dtype), (stat, x.dtype), (stat, x.dtype)]


def _fbn_axes(x: Any) -> tuple[int, ...]:
    return tuple(range(x.ndim - 1))


def _fbn_kernel(ctx: Any, x: Any, scale: Any, offset: Any, mean: Any, var: Any) -> Any:
    if ctx.attrs["is_training"]:
        ax = _fbn_axes(x)
        mean = x.mean(axis=ax)
        xc = x - mean
        var = (xc * xc).mean(axis=ax)
    else:
        xc = x - mean
    inv = 1 / ctx.xp.sqrt(var + ctx.attrs["epsilon"])
    return xc * (inv * scale) + offset, mean, var


def _fbn_grad(op: Any, g: Tensor, g_mean: Tensor, g_var: Tensor) -> list[Any]:
    """Training: dx = scale*inv/N * (N g - sum g - xhat sum(g xhat)) + g_mean/N + g_var*2(x-mean)/N;
    dscale = sum(g xhat); doffset = sum(g). Inference: dx = g*scale*inv; the mean/variance inputs get
    g_mean - sum(g)*scale*inv and g_var - 0.5*sum(g*xhat)*scale*inv^2."""
    x, scale, _, mean, var = op.inputs
    outs = apply_op(
        "FusedBatchNormGrad", [g, x, scale, op.outputs[1], op.outputs[2], g_mean, g_var], op.attrs
    )
    dx, dscale, doffset, dmean, dvar = outs
    return (
        [dx, dscale, doffset, dmean, dvar]
        if not op.attrs["is_training"]
        else [dx, dscale, doffset, None, None]
    )


register("FusedBatchNorm", shape=_fbn_shape, kernel=_fbn_kernel, grad=_fbn_grad)


def _fbn_grad_shape(inputs: list[Tensor], attrs: dict) -> Any:
    g, x, scale = inputs[:3]
    return [(x.shape, x.dtype)] + [(scale.shape, x.dtype)] * 4


def _fbn_grad_kernel(
    ctx: Any, g: Any, x: Any, scale: Any, mean: Any, var: Any, g_mean: Any, g_var: Any
) -> Any:
    ax = _fbn_axes(x)
    n = x.size // x.shape[-1]
    inv = 1 / ctx.xp.sqrt(var + ctx.attrs["epsilon"])
    xc = x - mean
    xhat = xc * inv
    sum_g = g.sum(axis=ax)
    sum_gx = (g * xhat).sum(axis=ax)
    if ctx.attrs["is_training"]:
        dx = (scale * inv / n) * (n * g - sum_g - xhat * sum_gx) + g_mean / n + xc * (2 * g_var / n)
        zero = ctx.xp.zeros_like(scale)
        return dx, sum_gx, sum_g, zero, zero
    dx = g * (scale * inv)
    return dx, sum_gx, sum_g, g_mean - sum_g * scale * inv, g_var - 0.5 * sum_gx * scale * inv * inv


register("FusedBatchNormGrad", shape=_fbn_grad_shape, kernel=_fbn_grad_kernel, not_differentiable=True)


def elu(features: Any, name: str | None = None) -> Tensor:
    """``x`` for ``x > 0``, ``exp(x) - 1`` otherwise."""
    return apply_op("Elu", [convert_to_tensor(features)], {}, name or "Elu")


def _elu_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.where(x > 0, x, ctx.xp.exp(ctx.xp.minimum(x, 0)) - 1)


def _elu_grad(op: Any, g: Tensor) -> list[Any]:
    """d elu(x) = g for x > 0, g * exp(x) = g * (y + 1) otherwise."""
    x, y = op.inputs[0], op.outputs[0]
    return [where(greater(x, 0), g, multiply(g, add(y, 1)))]


register("Elu", shape=float_same_shape, kernel=_elu_kernel, grad=_elu_grad)


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """``x`` for ``x > 0``, ``alpha * x`` otherwise, for ``0 <= alpha <= 1`` (``max(x, alpha * x)``)."""
    if not 0.0 <= float(alpha) <= 1.0:
        raise InvalidArgumentError(f"tf.nn.leaky_relu: alpha must be in [0, 1], got {alpha}")
    return apply_op("LeakyRelu", [convert_to_tensor(features)], {"alpha": float(alpha)}, name or "LeakyRelu")


def _leaky_relu_kernel(ctx: Any, x: Any) -> Any:
    return ctx.xp.where(x > 0, x, x * x.dtype.type(ctx.attrs["alpha"]))


def _leaky_relu_grad(op: Any, g: Tensor) -> list[Any]:
    """d leaky_relu(x) = g for x > 0, alpha * g otherwise."""
    return [where(greater(op.inputs[0], 0), g, multiply(g, op.attrs["alpha"]))]


register("LeakyRelu", shape=same_shape, kernel=_leaky_relu_kernel, grad=_leaky_relu_grad)


# ---- composites: softplus -------------------------------------------------------------------------
# Built from core ops, so their gradients are those ops' gradients.


def softplus(features: Any, name: str | None = None) -> Tensor:
    """``log(1 + exp(x))`` as ``max(x, 0) + log(1 + exp(-|x|))``, so that large ``|x|`` do not overflow."""
    x = convert_to_tensor(features)
    with name_scope(name or "Softplus"):
        return add(maximum(x, zeros_like(x)), log(add(exp(-_abs(x)), 1)))


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """``matmul(x, weights) + biases`` (with ``bias_add``), TF1's one-line dense layer."""
    with name_scope(name or "xw_plus_b"):
        return bias_add(matmul(x, weights), biases)
