"""Layers: names, variables, shapes, values against numpy, training flags, BatchNormalization statistics,
regularizers and initializers."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        yield g


def _init_run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_dense_names_shapes_and_values(graph):
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    d1 = tf.layers.Dense(3, activation="relu")
    d2 = tf.layers.Dense(2, use_bias=False, name="head")
    y = d2(d1(x))
    assert (d1.name, d2.name) == ("dense", "head")
    assert d1.kernel.op.name == "dense/kernel" and d1.bias.op.name == "dense/bias"
    assert d2.kernel.op.name == "head/kernel" and d2.bias is None
    assert d1.kernel.shape.as_list() == [4, 3] and d1.units == 3 and d1.activation is tf.nn.relu
    assert y.shape.as_list() == [None, 2]
    d3 = tf.layers.Dense(5)
    d3(x)
    assert d3.name == "dense_1" and d3.kernel.op.name == "dense_1/kernel"
    xv = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k1, b1, k2, out = sess.run([d1.kernel, d1.bias, d2.kernel, y], {x: xv})
    np.testing.assert_allclose(out, np.maximum(xv @ k1 + b1, 0) @ k2, rtol=1e-5, atol=1e-6)
    assert [v.op.name for v in tf.trainable_variables()] == [
        "dense/kernel",
        "dense/bias",
        "head/kernel",
        "dense_1/kernel",
        "dense_1/bias",
    ]


def test_dense_reuses_variables_on_second_call(graph):
    d = tf.layers.Dense(3)
    a = d(tf.ones([2, 4]))
    b = d(tf.zeros([5, 4]))
    assert len(tf.global_variables()) == 2
    ra, rb, bias = _init_run([a, b, d.bias])
    assert rb.shape == (5, 3)
    np.testing.assert_allclose(rb, np.broadcast_to(bias, (5, 3)))
    assert ra.shape == (2, 3)


def test_dense_rank3_and_errors(graph):
    d = tf.layers.Dense(2)
    y = d(tf.ones([2, 3, 4]))
    assert _init_run(y).shape == (2, 3, 2)
    with pytest.raises(InvalidArgumentError, match="units"):
        tf.layers.Dense(0)
    with pytest.raises(InvalidArgumentError, match="activation"):
        tf.layers.Dense(2, activation="nope")


def _conv_ref(x, k, stride, padding):
    """Direct NHWC convolution (cross-correlation) in numpy."""
    kh, kw, _, co = k.shape
    if padding == "same":
        n_h, n_w = -(-x.shape[1] // stride), -(-x.shape[2] // stride)
        ph = max((n_h - 1) * stride + kh - x.shape[1], 0)
        pw = max((n_w - 1) * stride + kw - x.shape[2], 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    n_h = (x.shape[1] - kh) // stride + 1
    n_w = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], n_h, n_w, co))
    for i in range(n_h):
        for j in range(n_w):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


@pytest.mark.parametrize(("padding", "stride"), [("same", 1), ("valid", 1), ("same", 2), ("valid", 2)])
def test_conv2d(graph, padding, stride):
    xv = np.random.default_rng(1).standard_normal((2, 7, 6, 3)).astype(np.float32)
    conv = tf.layers.Conv2D(4, (3, 2), strides=stride, padding=padding.upper(), activation=None)
    y = conv(tf.constant(xv))
    assert (
        conv.name == "conv2d"
        and conv.kernel.op.name == "conv2d/kernel"
        and conv.bias.op.name == "conv2d/bias"
    )
    assert conv.kernel.shape.as_list() == [3, 2, 3, 4]
    assert (conv.filters, conv.kernel_size, conv.strides, conv.padding) == (
        4,
        (3, 2),
        (stride, stride),
        padding,
    )
    out, k, b = _init_run([y, conv.kernel, conv.bias])
    want = _conv_ref(xv.astype(np.float64), k.astype(np.float64), stride, padding) + b
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)


def test_depthwise_conv2d(graph):
    xv = np.random.default_rng(2).standard_normal((1, 5, 5, 3)).astype(np.float32)
    layer = tf.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)
    y = layer(tf.constant(xv))
    assert layer.name == "depthwise_conv2d" and layer.kernel is layer.depthwise_kernel
    assert layer.depthwise_kernel.op.name == "depthwise_conv2d/depthwise_kernel"
    assert layer.depthwise_kernel.shape.as_list() == [3, 3, 3, 2] and layer.bias.shape.as_list() == [6]
    out, k = _init_run([y, layer.depthwise_kernel])
    assert out.shape == (1, 5, 5, 6)
    # output channel c*2+m is input channel c convolved with k[..., c, m]
    for c in range(3):
        for m in range(2):
            ref = _conv_ref(xv[..., c : c + 1], k[:, :, c : c + 1, m : m + 1], 1, "same")
            np.testing.assert_allclose(out[..., c * 2 + m], ref[..., 0], rtol=1e-4, atol=1e-5)


def test_pooling_layers(graph):
    xv = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    x = tf.constant(xv)
    mp = tf.layers.MaxPool2D(2)
    ap = tf.layers.AveragePool2D(pool_size=2, strides=2)
    gp = tf.layers.GlobalAveragePooling2D()
    m, a, g3 = _init_run([mp(x), ap(x), gp(x)])
    blocks = xv.reshape(2, 2, 2, 2, 2, 3)
    np.testing.assert_array_equal(m, blocks.max(axis=(2, 4)))
    np.testing.assert_allclose(a, blocks.mean(axis=(2, 4)))
    np.testing.assert_allclose(g3, xv.mean(axis=(1, 2)))
    assert (mp.name, ap.name, gp.name) == ("max_pooling2d", "average_pooling2d", "global_average_pooling2d")
    assert mp.pool_size == (2, 2) and mp.strides == (2, 2) and mp.padding == "valid"
    assert tf.layers.MaxPool2D(3, strides=2, padding="same")(x).shape.as_list() == [2, 2, 2, 3]
    with pytest.raises(InvalidArgumentError, match="padding"):
        tf.layers.MaxPool2D(2, padding="full")


def test_flatten(graph):
    x = tf.placeholder(tf.float32, [None, 3, 4, 2])
    f = tf.layers.Flatten()(x)
    assert f.shape.as_list() == [None, 24]
    xv = np.arange(48, dtype=np.float32).reshape(2, 3, 4, 2)
    np.testing.assert_array_equal(_init_run(f, {x: xv}), xv.reshape(2, 24))


def test_dropout_training_flag(graph):
    x = tf.ones([200, 50])
    drop = tf.layers.Dropout(0.4, seed=3)
    training = tf.placeholder_with_default(False, [])
    y_train, y_eval, y_flag = drop(x, training=True), drop(x, training=False), drop(x, training=training)
    with tf.Session() as sess:
        t, e, f_off, f_on = sess.run([y_train, y_eval, y_flag, y_flag], {})[:3] + [
            sess.run(y_flag, {training: True})
        ]
    np.testing.assert_array_equal(e, 1.0)
    np.testing.assert_array_equal(f_off, 1.0)
    for out in (t, f_on):
        kept = out != 0
        assert 0.5 < kept.mean() < 0.7  # keep probability 0.6
        np.testing.assert_allclose(out[kept], 1.0 / 0.6, rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="rate"):
        tf.layers.Dropout(1.0)


def test_batch_normalization_training_and_moving_stats(graph):
    rng = np.random.default_rng(4)
    xv = (rng.standard_normal((8, 3, 3, 2)) * [2.0, 0.5] + [1.0, -3.0]).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3, 3, 2])
    bn = tf.layers.BatchNormalization()
    y_train = bn(x, training=True)
    y_infer = bn(x, training=False)
    names = [v.op.name for v in bn.weights]
    assert names == [
        "batch_normalization/gamma",
        "batch_normalization/beta",
        "batch_normalization/moving_mean",
        "batch_normalization/moving_variance",
    ]
    assert [v.op.name for v in tf.trainable_variables()] == names[:2]
    assert bn.momentum == 0.99 and bn.epsilon == 1e-3
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2 and updates == bn.updates
    mean, var = xv.mean(axis=(0, 1, 2)), xv.var(axis=(0, 1, 2))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        infer0 = sess.run(y_infer, {x: xv})
        np.testing.assert_allclose(infer0, xv / np.sqrt(1.0 + 1e-3), rtol=1e-5)  # moving stats 0 and 1
        out = sess.run(y_train, {x: xv})
        np.testing.assert_allclose(out, (xv - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(sess.run(bn.moving_mean), 0.0)  # no update without running UPDATE_OPS
        sess.run(updates, {x: xv})
        np.testing.assert_allclose(sess.run(bn.moving_mean), 0.01 * mean, rtol=1e-5)
        np.testing.assert_allclose(sess.run(bn.moving_variance), 0.99 + 0.01 * var, rtol=1e-5)
        sess.run(updates, {x: xv})
        np.testing.assert_allclose(sess.run(bn.moving_mean), (1 - 0.99**2) * mean, rtol=1e-5)


def test_batch_normalization_tensor_flag(graph):
    xv = np.random.default_rng(5).standard_normal((16, 3)).astype(np.float32) + 2.0
    x = tf.constant(xv)
    training = tf.placeholder_with_default(False, [])
    bn = tf.layers.BatchNormalization(momentum=0.5)
    y = bn(x, training=training)
    (upd_mean, _) = bn.updates
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        off = sess.run([y, upd_mean])[0]
        np.testing.assert_allclose(off, xv / np.sqrt(1.0 + 1e-3), rtol=1e-5)
        np.testing.assert_allclose(sess.run(bn.moving_mean), 0.0)  # update scaled by 0
        on = sess.run([y, upd_mean], {training: True})[0]
        np.testing.assert_allclose(on.mean(axis=0), 0.0, atol=1e-5)
        np.testing.assert_allclose(sess.run(bn.moving_mean), 0.5 * xv.mean(axis=0), rtol=1e-5)


def test_sequential_collects_and_trains(graph):
    net = tf.layers.Sequential(
        [
            tf.layers.Conv2D(4, 3, padding="same"),
            tf.nn.relu,
            tf.layers.BatchNormalization(),
            tf.layers.GlobalAveragePooling2D(),
            tf.layers.Dropout(0.1),
            tf.layers.Dense(2),
        ]
    )
    x = tf.placeholder(tf.float32, [None, 6, 6, 1])
    y = net(x, training=True)
    assert y.shape.as_list() == [None, 2] and len(net) == 6
    assert [v.op.name for v in net.trainable_variables] == [
        "conv2d/kernel",
        "conv2d/bias",
        "batch_normalization/gamma",
        "batch_normalization/beta",
        "dense/kernel",
        "dense/bias",
    ]
    assert len(net.non_trainable_variables) == 2 and len(net.updates) == 2
    y2 = net(x, training=False)
    assert len(tf.global_variables()) == 8  # the second call created nothing
    labels = tf.placeholder(tf.int32, [None])
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y))
    with tf.control_dependencies(net.updates):
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
    rng = np.random.default_rng(0)
    xv = rng.standard_normal((32, 6, 6, 1)).astype(np.float32)
    yv = (xv.mean(axis=(1, 2, 3)) > 0).astype(np.int32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: xv, labels: yv})
        for _ in range(30):
            sess.run(train, {x: xv, labels: yv})
        assert sess.run(loss, {x: xv, labels: yv}) < 0.5 * first
        assert sess.run(y2, {x: xv}).shape == (32, 2)


def test_regularization_losses(graph):
    d = tf.layers.Dense(3, kernel_regularizer=tf.regularizers.l2(0.1))
    d(tf.ones([1, 2]))
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1 and d.losses == losses
    total = tf.regularizers.get_regularization_loss()
    k, reg, tot = _init_run([d.kernel, losses[0], total])
    np.testing.assert_allclose(reg, 0.1 * np.sum(k.astype(np.float64) ** 2), rtol=1e-5)
    np.testing.assert_allclose(tot, reg)
    half = tf.regularizers.l2_regularizer(0.1)(d.kernel.value())
    np.testing.assert_allclose(_init_run(half), reg / 2, rtol=1e-5)


def test_initializers_values_and_seeds():
    def make(seed):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(seed)
            vals = [
                tf.initializers.glorot_uniform()([300, 200]),
                tf.initializers.he_normal()([3, 3, 64, 32]),
                tf.initializers.zeros()([2, 2]),
                tf.initializers.ones()([3]),
                tf.initializers.constant(0.25)([2]),
                tf.initializers.truncated_normal(stddev=0.1)([1000]),
            ]
            with tf.Session() as sess:
                return sess.run(vals)

    a, b, c = make(7), make(7), make(8)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    glorot, he, zeros, ones, const, tn = a
    limit = np.sqrt(6.0 / 500)
    assert (
        glorot.dtype == np.float32 and np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.95 * limit
    )
    np.testing.assert_allclose(glorot.std(), limit / np.sqrt(3), rtol=0.05)
    np.testing.assert_allclose(he.std(), np.sqrt(2.0 / (9 * 64)), rtol=0.05)
    assert np.abs(tn).max() <= 0.2 + 1e-6
    np.testing.assert_array_equal(zeros, 0.0)
    np.testing.assert_array_equal(ones, 1.0)
    np.testing.assert_array_equal(const, 0.25)
    assert tf.initializers.compute_fans([3, 3, 64, 32]) == (576, 288)
    with pytest.raises(InvalidArgumentError, match="unknown initializer"):
        tf.initializers.get("bogus")


def test_layer_seeded_initialization_is_deterministic():
    def weights():
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(42)
            d = tf.layers.Dense(8)
            d(tf.zeros([1, 16]))
            return _init_run(d.kernel)

    np.testing.assert_array_equal(weights(), weights())
