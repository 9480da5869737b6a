"""tf.layers.blocks (the model zoo's builders) and tf.contrib.layers.layer_norm against numpy formulas:
values, variable names, residual paths, gradients reaching every variable, the errors for bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.layers import blocks


@pytest.fixture(autouse=True)
def _graph():
    tf.reset_default_graph()
    tf.set_random_seed(0)
    yield


def _run(outputs, feed):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(outputs, feed), sess.run(tf.trainable_variables())


def test_activations_match_their_formulas() -> None:
    v = np.linspace(-5, 5, 41).astype(np.float32)
    x = tf.placeholder(tf.float32, [41])
    hs, hsig, g = _run([blocks.hard_swish(x), blocks.hard_sigmoid(x), blocks.gelu(x)], {x: v})[0]
    relu6 = np.clip(v + 3, 0, 6)
    np.testing.assert_allclose(hsig, relu6 / 6, atol=1e-7)
    np.testing.assert_allclose(hs, v * relu6 / 6, atol=1e-6)
    want = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
    np.testing.assert_allclose(g, want, atol=1e-6)
    assert hs[0] == 0 and hs[-1] == pytest.approx(5.0)


def test_layer_norm_is_tf1_contrib_layer_norm() -> None:
    rng = np.random.default_rng(0)
    v = rng.standard_normal((3, 4, 6)).astype(np.float32) * 3 + 1
    x = tf.placeholder(tf.float32, [None, 4, 6])
    y = tf.contrib.layers.layer_norm(x, begin_norm_axis=-1)
    z = tf.contrib.layers.layer_norm(x, scope="whole")  # TF1's default: every axis after the batch
    assert [w.name for w in tf.trainable_variables()] == [
        "LayerNorm/gamma:0", "LayerNorm/beta:0", "whole/gamma:0", "whole/beta:0",
    ]  # fmt: skip
    (got_y, got_z), _ = _run([y, z], {x: v})
    m, s = v.mean(-1, keepdims=True), v.var(-1, keepdims=True)
    np.testing.assert_allclose(got_y, (v - m) / np.sqrt(s + 1e-12), atol=1e-5)
    m, s = v.mean((1, 2), keepdims=True), v.var((1, 2), keepdims=True)
    np.testing.assert_allclose(got_z, (v - m) / np.sqrt(s + 1e-12), atol=1e-5)
    with pytest.raises(InvalidArgumentError, match="begin_norm_axis 3"):
        tf.contrib.layers.layer_norm(x, begin_norm_axis=3)


def test_upsample_nearest_repeats_pixels() -> None:
    v = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    x = tf.placeholder(tf.float32, [None, 3, 4, 5])
    ups = [blocks.upsample2d(x), blocks.upsample2d(x, 3), blocks.upsample2d(x, 2, "nearest_concat")]
    (up2, up3, up2c), _ = _run(ups, {x: v})
    assert ups[0].op.type == "ResizeNearestNeighbor" and ups[2].op.type == "Reshape"
    np.testing.assert_array_equal(up2, v.repeat(2, axis=1).repeat(2, axis=2))
    np.testing.assert_array_equal(up3, v.repeat(3, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(up2c, up2)
    t = blocks.upsample2d(x, 2, "transpose", filters=7)
    assert t.shape.as_list() == [None, 6, 8, 7]
    with pytest.raises(InvalidArgumentError, match="method"):
        blocks.upsample2d(x, 2, "cubic")


def test_upsample_bilinear_is_tf_half_pixel_resize() -> None:
    """Bilinear x2, half-pixel centers: [0, 4] -> [0, 1, 3, 4] (samples at -0.25, 0.25, 0.75, 1.25)."""
    x = tf.placeholder(tf.float32, [1, 1, 2, 1])
    up = blocks.upsample2d(x, 2, "bilinear")
    (got,), _ = _run([up], {x: np.array([0.0, 4.0], np.float32).reshape(1, 1, 2, 1)})
    assert up.op.type == "ResizeBilinear" and up.op.attrs["half_pixel_centers"]
    np.testing.assert_allclose(got[0, 0, :, 0], [0.0, 1.0, 3.0, 4.0])
    np.testing.assert_allclose(got[0, 1, :, 0], [0.0, 1.0, 3.0, 4.0])


def test_multi_head_attention_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    n, t, d, heads = 2, 5, 8, 2
    v = rng.standard_normal((n, t, d)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, t, d])
    y = blocks.multi_head_attention(x, heads, name="mha")
    names = [w.op.name for w in tf.trainable_variables()]
    assert names == [f"mha/{p}/{k}" for p in ("query", "key", "value", "output") for k in ("kernel", "bias")]
    got, weights = _run(y, {x: v})
    wq, bq, wk, bk, wv, bv, wo, bo = (w.astype(np.float64) for w in weights)
    q, k, val = v @ wq + bq, v @ wk + bk, v @ wv + bv
    dk = d // heads
    out = np.zeros((n, t, d))
    for h in range(heads):
        sl = slice(h * dk, (h + 1) * dk)
        s = q[..., sl] @ k[..., sl].transpose(0, 2, 1) / math.sqrt(dk)
        p = np.exp(s - s.max(-1, keepdims=True))
        out[..., sl] = (p / p.sum(-1, keepdims=True)) @ val[..., sl]
    np.testing.assert_allclose(got, out @ wo + bo, rtol=1e-4, atol=1e-5)
    assert y.shape.as_list() == [None, t, d]  # tf.layers.dense on rank 3 keeps the static shape
    with pytest.raises(InvalidArgumentError, match="heads"):
        blocks.multi_head_attention(x, 3)


def test_blocks_shapes_residuals_and_gradients() -> None:
    x = tf.placeholder(tf.float32, [None, 8, 8, 8])
    training = tf.placeholder_with_default(False, [])
    outs = {
        "ir_same": blocks.inverted_residual(x, 8, 4, training=training, name="ir1"),
        "ir_down": blocks.inverted_residual(x, 16, 4, stride=2, training=training, name="ir2"),
        "v3": blocks.mobilenet_v3_block(x, 8, 24, 5, training=training, name="v3"),
        "res_same": blocks.resnet_basic_block(x, 8, training=training, name="res1"),
        "res_down": blocks.resnet_basic_block(x, 16, 2, training=training, name="res2"),
        "ds": blocks.ds_conv_block(x, 12, 2, training=training, name="ds"),
        "se": blocks.squeeze_excite(x, 0.25, name="se"),
    }
    shapes = {k: v.shape.as_list() for k, v in outs.items()}
    assert shapes == {
        "ir_same": [None, 8, 8, 8], "ir_down": [None, 4, 4, 16], "v3": [None, 8, 8, 8],
        "res_same": [None, 8, 8, 8], "res_down": [None, 4, 4, 16], "ds": [None, 4, 4, 12],
        "se": [None, 8, 8, 8],
    }  # fmt: skip
    # the residual Add exists exactly where the shape is kept; the projection shortcut where it changes
    graph = tf.get_default_graph()
    assert x in list(outs["ir_same"].op.inputs) and x in list(outs["v3"].op.inputs)
    assert x not in list(outs["ir_down"].op.inputs)
    assert any(op.name.startswith("res2/shortcut/conv") for op in graph.get_operations())
    assert not any(op.name.startswith("res1/shortcut") for op in graph.get_operations())
    assert any(op.name.startswith("v3/squeeze_excite/reduce") for op in graph.get_operations())
    # every trainable variable gets a gradient, and a training step on batch statistics runs
    loss = tf.add_n([tf.reduce_mean(tf.square(o)) for o in outs.values()])
    grads = tf.gradients(loss, tf.trainable_variables())
    assert all(g is not None for g in grads)
    v = np.random.default_rng(2).standard_normal((3, 8, 8, 8)).astype(np.float32)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        step = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(loss, {x: v, training: True})
        for _ in range(3):
            sess.run(step, {x: v, training: True})
        assert sess.run(loss, {x: v, training: True}) < before
    with pytest.raises(InvalidArgumentError, match="stride"):
        blocks.mobilenet_v3_block(x, 8, 8, stride=3)
    with pytest.raises(InvalidArgumentError, match="NHWC"):
        blocks.resnet_basic_block(tf.placeholder(tf.float32, [None, 8]), 8)
