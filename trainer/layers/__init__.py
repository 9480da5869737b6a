"""Keras-style layers over the TF1 graph API (``tf.layers``): the classes, and the TF1 functions
(``tf.layers.dense(x, 10)``, ``conv2d``, ``max_pooling2d``...) in :mod:`trainer.layers.functional`.

>>> import trainer as tf
>>> x = tf.placeholder(tf.float32, [None, 28, 28, 1])
>>> training = tf.placeholder_with_default(False, [])
>>> net = tf.layers.Sequential([
...     tf.layers.Conv2D(8, 3, padding="same", activation="relu"),
...     tf.layers.MaxPool2D(2),
...     tf.layers.Flatten(),
...     tf.layers.Dropout(0.25),
...     tf.layers.Dense(10),
... ])
>>> logits = net(x, training=training)
>>> [v.op.name for v in net.trainable_variables]
['conv2d/kernel', 'conv2d/bias', 'dense/kernel', 'dense/bias']
"""

from trainer.layers import blocks
from trainer.layers.base import Layer, get_activation
from trainer.layers.conv1d import Conv1D, average_pooling1d, conv1d, max_pooling1d
from trainer.layers.convolutional import Conv2D, Conv2DTranspose, DepthwiseConv2D
from trainer.layers.core import Dense, Dropout, Flatten, Sequential
from trainer.layers.functional import (
    average_pooling2d,
    batch_normalization,
    conv2d,
    conv2d_transpose,
    dense,
    dropout,
    flatten,
    max_pooling2d,
    separable_conv2d,
)
from trainer.layers.normalization import BatchNormalization
from trainer.layers.pooling import (
    AveragePool2D,
    AveragePooling2D,
    AvgPool2D,
    GlobalAveragePooling2D,
    MaxPool2D,
    MaxPooling2D,
)

__all__ = [
    "AveragePool2D",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "Flatten",
    "GlobalAveragePooling2D",
    "Layer",
    "MaxPool2D",
    "MaxPooling2D",
    "Sequential",
    "average_pooling1d",
    "average_pooling2d",
    "batch_normalization",
    "blocks",
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "dense",
    "dropout",
    "flatten",
    "get_activation",
    "max_pooling1d",
    "max_pooling2d",
    "separable_conv2d",
]
