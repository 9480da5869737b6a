"""``tf.nn``: activations, convolutions, pooling, losses, dropout and batch normalization.

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 28, 28, 1])
>>> h = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(x, tf.ones([5, 5, 1, 8]), [1, 1, 1, 1], "SAME")),
...                    ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
>>> h.shape.as_list()
[None, 14, 14, 8]
"""

from trainer.ops.activation_ops import gelu, hard_swish, l2_normalize, prelu
from trainer.ops.array_extras import depth_to_space, space_to_depth
from trainer.ops.candidate_sampling import (
    log_uniform_candidate_sampler,
    nce_loss,
    sampled_softmax_loss,
    uniform_candidate_sampler,
)
from trainer.ops.conv1d_ops import (
    atrous_conv2d,
    avg_pool1d,
    conv1d,
    max_pool1d,
    relu_layer,
    separable_conv2d,
    weighted_cross_entropy_with_logits,
)
from trainer.ops.conv_ops import (
    avg_pool,
    avg_pool2d,
    conv2d,
    conv2d_backprop_filter,
    conv2d_backprop_input,
    conv2d_transpose,
    depthwise_conv2d,
    depthwise_conv2d_native,
    max_pool,
    max_pool2d,
)
from trainer.ops.index_ops import embedding_lookup, in_top_k, top_k
from trainer.ops.lrn_ops import local_response_normalization, lrn
from trainer.ops.math_ops import add_n
from trainer.ops.nn_composites import crelu, log_sigmoid, selu, softsign, swish, zero_fraction
from trainer.ops.nn_ops import (
    batch_normalization,
    bias_add,
    dropout,
    elu,
    fused_batch_norm,
    l2_loss,
    leaky_relu,
    log_softmax,
    moments,
    relu,
    relu6,
    sigmoid,
    sigmoid_cross_entropy_with_logits,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    softplus,
    sparse_softmax_cross_entropy_with_logits,
    tanh,
    xw_plus_b,
)
from trainer.rnn import bidirectional_dynamic_rnn, dynamic_rnn, rnn_cell, static_bidirectional_rnn, static_rnn

__all__ = [
    "add_n",
    "atrous_conv2d",
    "avg_pool",
    "avg_pool1d",
    "avg_pool2d",
    "batch_normalization",
    "bias_add",
    "bidirectional_dynamic_rnn",
    "conv1d",
    "conv2d",
    "conv2d_backprop_filter",
    "conv2d_backprop_input",
    "conv2d_transpose",
    "crelu",
    "depth_to_space",
    "depthwise_conv2d",
    "depthwise_conv2d_native",
    "dropout",
    "dynamic_rnn",
    "elu",
    "embedding_lookup",
    "fused_batch_norm",
    "gelu",
    "hard_swish",
    "in_top_k",
    "l2_loss",
    "l2_normalize",
    "leaky_relu",
    "local_response_normalization",
    "log_sigmoid",
    "log_softmax",
    "log_uniform_candidate_sampler",
    "lrn",
    "max_pool",
    "max_pool1d",
    "max_pool2d",
    "moments",
    "nce_loss",
    "prelu",
    "relu",
    "relu6",
    "relu_layer",
    "rnn_cell",
    "sampled_softmax_loss",
    "selu",
    "separable_conv2d",
    "sigmoid",
    "sigmoid_cross_entropy_with_logits",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "softplus",
    "softsign",
    "space_to_depth",
    "sparse_softmax_cross_entropy_with_logits",
    "static_bidirectional_rnn",
    "static_rnn",
    "swish",
    "tanh",
    "top_k",
    "uniform_candidate_sampler",
    "weighted_cross_entropy_with_logits",
    "xw_plus_b",
    "zero_fraction",
]
