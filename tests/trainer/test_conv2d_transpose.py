"""tf.nn.conv2d_transpose and tf.layers.conv2d_transpose / Conv2DTranspose (TF1 names, shapes and values; the
op's gradients are checked numerically by the registry-driven cases in trainer_op_cases.py)."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError


def test_conv2d_transpose_is_the_adjoint_of_conv2d() -> None:
    """<conv2d(y, w), x> == <y, conv2d_transpose(x, w)> for any x, y: the transpose of the convolution."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
    x = rng.normal(size=(2, 4, 4, 5)).astype(np.float32)
    w = rng.normal(size=(3, 3, 3, 5)).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        fwd = tf.nn.conv2d(tf.constant(y), tf.constant(w), [1, 2, 2, 1], "SAME")
        back = tf.nn.conv2d_transpose(tf.constant(x), tf.constant(w), [2, 8, 8, 3], [1, 2, 2, 1], "SAME")
        f, b = sess.run([fwd, back])
    assert b.shape == (2, 8, 8, 3)
    np.testing.assert_allclose(np.sum(f * x), np.sum(y * b), rtol=1e-4)


def test_output_shape_must_match_the_input() -> None:
    with tf.Graph().as_default(), tf.Session() as sess:
        x, w = tf.zeros([1, 4, 4, 2]), tf.zeros([3, 3, 1, 2])
        bad = tf.nn.conv2d_transpose(x, w, [1, 5, 5, 1], [1, 2, 2, 1])
        with pytest.raises(InvalidArgumentError, match="transposed convolution's input"):
            sess.run(bad)


def test_layer_names_shapes_and_training() -> None:
    """tf.layers.conv2d_transpose: TF1's variable names and kernel layout [kh, kw, filters, in]; "same"
    multiplies the size by the stride, "valid" gives (n - 1) * stride + k; a tiny decoder learns."""
    tf.set_random_seed(1)
    with tf.Graph().as_default():
        z = tf.placeholder(tf.float32, [None, 4, 4, 3])
        h = tf.layers.conv2d_transpose(z, 8, 3, strides=2, padding="same", activation=tf.nn.relu)
        out = tf.layers.conv2d_transpose(h, 1, 2, strides=1, padding="valid", name="decoder")
        assert h.shape.as_list() == [None, 8, 8, 8]
        assert out.shape.as_list() == [None, 9, 9, 1]
        names = {v.op.name: v.shape.as_list() for v in tf.trainable_variables()}
        assert names == {
            "conv2d_transpose/kernel": [3, 3, 8, 3],
            "conv2d_transpose/bias": [8],
            "decoder/kernel": [2, 2, 1, 8],
            "decoder/bias": [1],
        }
        rng = np.random.default_rng(2)
        zs = rng.normal(size=(16, 4, 4, 3)).astype(np.float32)
        target = np.repeat(np.repeat(zs[..., :1], 2, 1), 2, 2)[:, :, :, :1]
        target = np.pad(target, ((0, 0), (0, 1), (0, 1), (0, 0)))
        loss = tf.reduce_mean(tf.square(out - target))
        step = tf.train.AdamOptimizer(0.01).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss, {z: zs})
            for _ in range(150):
                sess.run(step, {z: zs})
            last = sess.run(loss, {z: zs})
    assert last < 0.3 * first, (first, last)
