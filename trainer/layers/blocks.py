"""Building blocks of the small-model families (the edge model zoo, ``docs/zoo.md``), written the TF1 way:
functions over tensors that create their variables with ``tf.layers`` inside a ``tf.variable_scope``.

``tf.layers.blocks.<name>`` (and ``tf.contrib.layers.layer_norm``):

* :func:`inverted_residual`: MobileNetV2's block (1x1 expansion, depthwise, linear 1x1 projection, residual);
* :func:`mobilenet_v3_block`: MobileNetV3's (the same with a chosen expansion width, hard-swish or ReLU,
  squeeze-excite), with :func:`hard_swish`, :func:`hard_sigmoid` and :func:`squeeze_excite`;
* :func:`resnet_basic_block`: two 3x3 convolutions and a residual Add (a 1x1 projection when the shape
  changes), as in ResNet-8 / ResNet-18;
* :func:`ds_conv_block`: the depthwise-separable block of the DS-CNN keyword spotter;
* :func:`upsample2d`: x2 (or xN) upsampling, nearest neighbour, bilinear or a learned ``conv2d_transpose``;
* :func:`layer_norm`: ``tf.contrib.layers.layer_norm``;
* :func:`multi_head_attention` and :func:`transformer_encoder_layer`: self-attention as in BERT's TF1 code,
  and :func:`gelu` (its tanh form).

Every convolution is followed by batch normalization (``training`` selects batch statistics and adds the
moving-average updates to ``tf.GraphKeys.UPDATE_OPS``); freezing folds it into the convolution. The blocks
only use ops the exporter maps to runtime ops, so a model built from them converts with
``trainer.lite.Converter`` (float32 and int8) once its runtime ops exist.

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 16, 16, 8])
>>> y = tf.layers.blocks.inverted_residual(x, 8, expansion=4, name="block1")
>>> y.shape.as_list()
[None, 16, 16, 8]
>>> tf.layers.blocks.mobilenet_v3_block(y, 16, expanded=32, stride=2, name="block2").shape.as_list()
[None, 8, 8, 16]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from trainer import initializers
from trainer.errors import InvalidArgumentError
from trainer.graph import Tensor, convert_to_tensor, name_scope, variable_scope
from trainer.layers.convolutional import DepthwiseConv2D
from trainer.layers.functional import apply_layer, batch_normalization, conv2d, conv2d_transpose, dense
from trainer.ops.activation_ops import gelu as nn_gelu
from trainer.ops.activation_ops import hard_swish as nn_hard_swish
from trainer.ops.array_ops import concat, reshape, transpose
from trainer.ops.image_ops import resize
from trainer.ops.math_ops import add, matmul, multiply, reduce_mean, rsqrt, squared_difference, subtract
from trainer.ops.nn_ops import relu, relu6, softmax
from trainer.variables import get_variable

__all__ = [
    "ds_conv_block",
    "gelu",
    "hard_sigmoid",
    "hard_swish",
    "inverted_residual",
    "layer_norm",
    "mobilenet_v3_block",
    "multi_head_attention",
    "resnet_basic_block",
    "squeeze_excite",
    "transformer_encoder_layer",
    "upsample2d",
]

Activation = Callable[[Any], Any]


def _channels(x: Tensor, what: str) -> int:
    if x.shape.ndims != 4 or x.shape.dims[-1] is None:
        raise InvalidArgumentError(f"{what}: needs an NHWC input with known channels, got shape {x.shape}")
    return int(x.shape.dims[-1])


# ---- activations ---------------------------------------------------------------------------------------
def hard_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """``relu6(x + 3) / 6`` (MobileNetV3's piecewise-linear sigmoid)."""
    with name_scope(name or "hard_sigmoid"):
        return multiply(relu6(add(convert_to_tensor(x), 3.0)), 1.0 / 6.0)


def hard_swish(x: Any, name: str | None = None) -> Tensor:
    """``x * relu6(x + 3) / 6`` (MobileNetV3): ``tf.nn.hard_swish``, one HardSwish op (one runtime op)."""
    return nn_hard_swish(x, name=name)


def gelu(x: Any, name: str | None = None) -> Tensor:
    """``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``: BERT's TF1 GELU (the tanh approximation), as
    ``tf.nn.gelu(x, approximate=True)``, one Gelu op (one runtime op)."""
    return nn_gelu(x, approximate=True, name=name)


# ---- convolutional blocks ------------------------------------------------------------------------------
def _conv_bn(
    x: Any,
    filters: int,
    kernel_size: int,
    stride: int,
    training: Any,
    momentum: float,
    activation: Activation | None,
    name: str,
) -> Tensor:
    """Conv2D (no bias, SAME) -> batch norm -> activation, under scope ``name``."""
    with variable_scope(name):
        h = conv2d(x, filters, kernel_size, stride, padding="same", use_bias=False, name="conv")
        h = batch_normalization(h, momentum=momentum, training=training, name="bn")
    return activation(h) if activation is not None else h


def _depthwise_bn(
    x: Any,
    kernel_size: int,
    stride: int,
    training: Any,
    momentum: float,
    activation: Activation | None,
    name: str,
) -> Tensor:
    """DepthwiseConv2D (no bias, SAME) -> batch norm -> activation, under scope ``name``."""
    with variable_scope(name):
        layer = DepthwiseConv2D(kernel_size, strides=stride, padding="same", use_bias=False, name="depthwise")
        h = apply_layer(layer, x)
        h = batch_normalization(h, momentum=momentum, training=training, name="bn")
    return activation(h) if activation is not None else h


def squeeze_excite(
    inputs: Any,
    ratio: float = 0.25,
    gate: Activation = hard_sigmoid,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Squeeze-and-excitation: ``x * gate(W2 relu(W1 mean_hw(x)))``, the squeeze width ``ratio`` times the
    channels (at least 1); W1 and W2 are 1x1 convolutions with bias on the ``[N, 1, 1, C]`` channel means."""
    x = convert_to_tensor(inputs)
    c = _channels(x, "squeeze_excite")
    with variable_scope(name, default_name="squeeze_excite", reuse=reuse):
        s = reduce_mean(x, axis=[1, 2], keepdims=True)
        s = conv2d(s, max(1, int(round(c * ratio))), 1, activation=relu, name="reduce")
        s = conv2d(s, c, 1, name="expand")
        return multiply(x, gate(s))


def mobilenet_v3_block(
    inputs: Any,
    filters: int,
    expanded: int,
    kernel_size: int = 3,
    stride: int = 1,
    squeeze_excite_ratio: float | None = 0.25,
    activation: Activation = hard_swish,
    training: Any = False,
    momentum: float = 0.99,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """MobileNetV3's bottleneck: 1x1 to ``expanded`` channels (left out when equal to the input's) ->
    ``kernel_size`` depthwise with ``stride`` -> squeeze-excite (``None``: none) -> linear 1x1 to ``filters``;
    a residual Add when stride is 1 and the channels do not change. ``activation``: hard-swish or ReLU."""
    x = convert_to_tensor(inputs)
    cin = _channels(x, "mobilenet_v3_block")
    if int(stride) not in (1, 2):
        raise InvalidArgumentError(f"mobilenet_v3_block: stride must be 1 or 2, got {stride}")
    with variable_scope(name, default_name="mobilenet_v3_block", reuse=reuse):
        h = x
        if int(expanded) != cin:
            h = _conv_bn(h, int(expanded), 1, 1, training, momentum, activation, "expand")
        h = _depthwise_bn(h, kernel_size, int(stride), training, momentum, activation, "depthwise")
        if squeeze_excite_ratio:
            h = squeeze_excite(h, squeeze_excite_ratio, name="squeeze_excite")
        h = _conv_bn(h, int(filters), 1, 1, training, momentum, None, "project")
        if int(stride) == 1 and cin == int(filters):
            h = add(h, x)
        return h


def inverted_residual(
    inputs: Any,
    filters: int,
    expansion: int = 6,
    stride: int = 1,
    kernel_size: int = 3,
    training: Any = False,
    momentum: float = 0.99,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """MobileNetV2's inverted residual: 1x1 to ``expansion`` x the input channels (none for expansion 1),
    ReLU6 -> depthwise ``kernel_size`` with ``stride``, ReLU6 -> linear 1x1 to ``filters``; a residual Add
    when stride is 1 and the channels do not change."""
    cin = _channels(convert_to_tensor(inputs), "inverted_residual")
    with variable_scope(name, default_name="inverted_residual", reuse=reuse):
        return mobilenet_v3_block(
            inputs, filters, cin * int(expansion), kernel_size, stride, None, relu6, training, momentum,
            name="block",
        )  # fmt: skip


def resnet_basic_block(
    inputs: Any,
    filters: int,
    stride: int = 1,
    training: Any = False,
    momentum: float = 0.99,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """ResNet's basic block: ``relu(bn(conv3x3(relu(bn(conv3x3_stride(x))))) + shortcut)``; the shortcut is
    ``x``, or a 1x1 convolution with ``stride`` and batch norm when the shape changes."""
    x = convert_to_tensor(inputs)
    cin = _channels(x, "resnet_basic_block")
    with variable_scope(name, default_name="resnet_basic_block", reuse=reuse):
        h = _conv_bn(x, int(filters), 3, int(stride), training, momentum, relu, "conv1")
        h = _conv_bn(h, int(filters), 3, 1, training, momentum, None, "conv2")
        shortcut = x
        if int(stride) != 1 or cin != int(filters):
            shortcut = _conv_bn(x, int(filters), 1, int(stride), training, momentum, None, "shortcut")
        return relu(add(h, shortcut))


def ds_conv_block(
    inputs: Any,
    filters: int,
    stride: int = 1,
    kernel_size: int = 3,
    training: Any = False,
    momentum: float = 0.99,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """The DS-CNN keyword spotter's block: depthwise ``kernel_size`` with ``stride``, batch norm, ReLU ->
    1x1 to ``filters``, batch norm, ReLU."""
    x = convert_to_tensor(inputs)
    _channels(x, "ds_conv_block")
    with variable_scope(name, default_name="ds_conv_block", reuse=reuse):
        h = _depthwise_bn(x, kernel_size, int(stride), training, momentum, relu, "depthwise")
        return _conv_bn(h, int(filters), 1, 1, training, momentum, relu, "pointwise")


def upsample2d(
    inputs: Any,
    factor: int = 2,
    method: str = "nearest",
    filters: int | None = None,
    kernel_size: int = 3,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Upsample NHWC ``inputs`` by ``factor`` in height and width.

    ``method="nearest"``: each pixel repeated ``factor`` x ``factor`` times by one
    ``tf.image.resize_nearest_neighbor`` (the runtime's ResizeNearestNeighbor). ``method="nearest_concat"``:
    the same pixels written as Concatenation + Reshape (``factor`` copies concatenated along channels and
    reshaped repeat along width; the same along width repeats rows), for runtimes without a resize op; in the
    tiny U-Net's shapes it is 1.2x to 1.4x slower in float32 and about 2x in int8 on the C runtime.
    ``method="bilinear"``: ``tf.image.resize_bilinear`` with half-pixel centers (Keras' ``UpSampling2D``
    with bilinear interpolation; the runtime's ResizeBilinear). ``method="transpose"``: a learned
    ``tf.layers.conv2d_transpose`` with stride ``factor`` to ``filters`` channels (default: the input's),
    SAME padding."""
    x = convert_to_tensor(inputs)
    c = _channels(x, "upsample2d")
    f = int(factor)
    if f < 1:
        raise InvalidArgumentError(f"upsample2d: factor must be >= 1, got {factor}")
    _, h, w, _ = x.shape.as_list()
    if method == "transpose":
        return conv2d_transpose(
            x, int(filters or c), kernel_size, f, padding="same", name=name or "upsample", reuse=reuse
        )
    if method not in ("nearest", "nearest_concat", "bilinear"):
        raise InvalidArgumentError(
            f"upsample2d: method must be 'nearest', 'nearest_concat', 'bilinear' or 'transpose', "
            f"got {method!r}"
        )
    if h is None or w is None:
        raise InvalidArgumentError(f"upsample2d: {method} needs a static height and width, got {x.shape}")
    if f == 1:
        return x
    if method != "nearest_concat":
        op = "ResizeBilinear" if method == "bilinear" else "ResizeNearestNeighbor"
        return resize(op, x, [h * f, w * f], False, method == "bilinear", name or "upsample")
    with name_scope(name or "upsample"):
        wide = reshape(concat([x] * f, axis=3), [-1, h, w * f, c])  # [n, h, w, f*c] -> [n, h, w*f, c]
        return reshape(concat([wide] * f, axis=2), [-1, h * f, w * f, c])  # [n, h, f*w*f, c] -> rows


# ---- normalization and attention -----------------------------------------------------------------------
def layer_norm(
    inputs: Any,
    center: bool = True,
    scale: bool = True,
    activation_fn: Activation | None = None,
    reuse: Any = None,
    trainable: bool = True,
    begin_norm_axis: int = 1,
    begin_params_axis: int = -1,
    scope: str | None = None,
    epsilon: float = 1e-12,
    **_ignored: Any,
) -> Tensor:
    """``tf.contrib.layers.layer_norm``: normalize over the axes from ``begin_norm_axis`` on (mean and
    variance of each example), then ``gamma * x_hat + beta`` with variables ``<scope>/gamma`` and
    ``<scope>/beta`` of shape ``inputs.shape[begin_params_axis:]`` (default scope ``LayerNorm``); TF1's
    epsilon is 1e-12. The variance is the mean of ``tf.squared_difference(x, mean)``, as in ``tf.nn.moments``
    (one op, which LiteRT also runs in int8: it has no int8 Square). Exported as Mean, SquaredDifference, Sub,
    Rsqrt, Mul and Add."""
    x = convert_to_tensor(inputs)
    rank = x.shape.ndims
    if rank is None:
        raise InvalidArgumentError("layer_norm: inputs need a known rank")
    norm_axis = begin_norm_axis % rank if -rank <= begin_norm_axis < rank else None
    params_axis = begin_params_axis % rank if -rank <= begin_params_axis < rank else None
    if norm_axis is None or params_axis is None:
        raise InvalidArgumentError(
            f"layer_norm: begin_norm_axis {begin_norm_axis} and begin_params_axis {begin_params_axis} must "
            f"be in [-{rank}, {rank}) for inputs of rank {rank}"
        )
    params_shape = x.shape.as_list()[params_axis:]
    if any(d is None for d in params_shape):
        raise InvalidArgumentError(f"layer_norm: dims from begin_params_axis must be known, got {x.shape}")
    with variable_scope(scope, default_name="LayerNorm", reuse=reuse):
        axes = list(range(norm_axis, rank))
        mean = reduce_mean(x, axis=axes, keepdims=True)
        centered = subtract(x, mean)
        variance = reduce_mean(squared_difference(x, mean), axis=axes, keepdims=True)
        y = multiply(centered, rsqrt(add(variance, float(epsilon))))
        if scale:
            gamma = get_variable(
                "gamma", params_shape, initializer=initializers.get("ones"), trainable=trainable
            )
            y = multiply(y, gamma)
        if center:
            beta = get_variable(
                "beta", params_shape, initializer=initializers.get("zeros"), trainable=trainable
            )
            y = add(y, beta)
        return activation_fn(y) if activation_fn is not None else y


def multi_head_attention(
    inputs: Any,
    num_heads: int,
    key_dim: int | None = None,
    output_dim: int | None = None,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """Multi-head self-attention of ``inputs`` ``[N, T, D]``: per head ``softmax(q k^T / sqrt(key_dim)) v``
    with ``q, k, v`` dense projections to ``num_heads * key_dim`` (default ``key_dim = D / num_heads``),
    the heads concatenated and projected to ``output_dim`` (default D). The heads run as one batched
    ``tf.matmul`` over ``[N * num_heads, T, key_dim]`` (BatchMatMul)."""
    x = convert_to_tensor(inputs)
    if x.shape.ndims != 3 or any(d is None for d in x.shape.as_list()[1:]):
        raise InvalidArgumentError(f"multi_head_attention: needs [N, T, D] with T and D known, got {x.shape}")
    _, t, d = x.shape.as_list()
    heads = int(num_heads)
    dk = int(key_dim) if key_dim is not None else d // heads
    if heads < 1 or dk < 1 or (key_dim is None and d % heads):
        raise InvalidArgumentError(
            f"multi_head_attention: width {d} does not split into {num_heads} heads; give key_dim"
        )
    with variable_scope(name, default_name="attention", reuse=reuse):

        def split_heads(v: Tensor) -> Tensor:  # [N, T, H*dk] -> [N*H, T, dk]
            return reshape(transpose(reshape(v, [-1, t, heads, dk]), [0, 2, 1, 3]), [-1, t, dk])

        q = split_heads(dense(x, heads * dk, name="query"))
        k = split_heads(dense(x, heads * dk, name="key"))
        v = split_heads(dense(x, heads * dk, name="value"))
        weights = softmax(multiply(matmul(q, k, transpose_b=True), 1.0 / math.sqrt(dk)))  # [N*H, T, T]
        context = matmul(weights, v)  # [N*H, T, dk]
        context = reshape(transpose(reshape(context, [-1, heads, t, dk]), [0, 2, 1, 3]), [-1, t, heads * dk])
        return dense(context, int(output_dim or d), name="output")


def transformer_encoder_layer(
    inputs: Any,
    num_heads: int,
    ff_units: int,
    activation: Activation = gelu,
    norm_epsilon: float = 1e-12,
    name: str | None = None,
    reuse: Any = None,
) -> Tensor:
    """One post-norm encoder layer (BERT's): ``h = layer_norm(x + attention(x))``,
    ``layer_norm(h + dense(activation(dense(h, ff_units)), D))``. ``norm_epsilon``: the layer norms' (BERT's
    1e-12; an int8 export needs one the variance's int8 scale can represent, e.g. Keras's 1e-3)."""
    x = convert_to_tensor(inputs)
    d = x.shape.as_list()[-1]
    with variable_scope(name, default_name="encoder", reuse=reuse):
        h = layer_norm(add(x, multi_head_attention(x, num_heads, name="attention")), begin_norm_axis=-1,
                       scope="attention_norm", epsilon=norm_epsilon)  # fmt: skip
        f = dense(activation(dense(h, int(ff_units), name="intermediate")), int(d), name="output")
        return layer_norm(add(h, f), begin_norm_axis=-1, scope="output_norm", epsilon=norm_epsilon)
