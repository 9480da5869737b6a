"""tf.contrib.quantize: create_training_graph / create_eval_graph on a tiny conv + batch norm + ReLU,
depthwise, dense model: which fake-quant nodes go where, the moving-average ranges (hand-computed from the
batch extrema), quant_delay, the straight-through training step, and the eval graph's read-only ranges."""

from __future__ import annotations

import numpy as np
import pytest

import trainer as tf
from trainer.contrib import quantize as cq
from trainer.errors import FailedPreconditionError
from trainer.ops.fake_quant_ops import nudge

RNG = np.random.default_rng(5)
X = RNG.normal(size=(8, 6, 6, 1)).astype(np.float32)
Y = RNG.integers(0, 3, 8)


def tiny_model() -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """(x, y, training, logits, loss) in the default graph: Conv2D+BN+ReLU, DepthwiseConv2D+ReLU, Dense."""
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, [None, 6, 6, 1], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    training = tf.placeholder_with_default(False, [], name="training")
    h = tf.layers.Conv2D(4, 3, padding="same", use_bias=False)(x)
    h = tf.nn.relu(tf.layers.BatchNormalization()(h, training=training))
    h = tf.nn.relu(tf.layers.DepthwiseConv2D(3, padding="same")(h))
    logits = tf.layers.Dense(3)(tf.layers.Flatten()(h))
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return x, y, training, logits, loss


def _types(g: tf.Graph, t: str) -> list[tf.Operation]:
    return [op for op in g.get_operations() if op.type == t]


def test_training_graph_inserts_weight_and_activation_fake_quant() -> None:
    with tf.Graph().as_default() as g:
        x, _, _, logits, loss = tiny_model()
        relus = _types(g, "Relu")
        cq.create_training_graph()
        per_channel = _types(g, "FakeQuantWithMinMaxVarsPerChannel")
        assert sorted(op.inputs[0].op.name for op in per_channel) == [
            "conv2d/kernel",
            "dense/kernel",
            "depthwise_conv2d/DepthwiseConv2D/weights_quant/Reshape",  # [3, 3, 4, 1] -> 4 channels
        ]
        assert all(op.attrs["narrow_range"] and op.attrs["num_bits"] == 8 for op in per_channel)
        conv = g.get_operation_by_name("conv2d/Conv2D")
        assert conv.inputs[1].op.type == "FakeQuantWithMinMaxVarsPerChannel"
        acts = {op.inputs[0].name for op in _types(g, "FakeQuantWithMinMaxVars")}
        assert acts == {r.outputs[0].name for r in relus} | {logits.name}
        # consumers read the quantized tensors; the loss reads the quantized logits
        assert cq.quantized_tensor(logits).op.type == "FakeQuantWithMinMaxVars"
        assert cq.quantized_tensor(x) is x
        assert g.get_operation_by_name("flatten/Reshape").inputs[0].op.type == "FakeQuantWithMinMaxVars"
        # creation order is still a topological order
        assert all(t.op._id < op._id for op in g.get_operations() for t in op.inputs)
        ranges = tf.get_collection(cq.QUANTIZATION_VARIABLES)
        assert not set(ranges) & set(tf.trainable_variables()) and len(ranges) == 3 * len(acts)
        assert loss.op.inputs[0].op.inputs[1].op.type != "FakeQuantWithMinMaxVars"  # labels untouched
        with pytest.raises(FailedPreconditionError, match="already rewritten"):
            cq.create_training_graph()


def test_moving_average_ranges_and_training_step() -> None:
    with tf.Graph().as_default() as g:
        x, y, training, logits, loss = tiny_model()
        relu = _types(g, "Relu")[0].outputs[0]
        cq.create_training_graph(ema_decay=0.9)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        lo = g.get_tensor_by_name("Relu/act_quant/min:0")
        hi = g.get_tensor_by_name("Relu/act_quant/max:0")
        llo = g.get_tensor_by_name("dense/BiasAdd/act_quant/min:0")
        q_logits = cq.quantized_tensor(logits)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        w0 = sess.run("conv2d/kernel:0")
        seen = []
        for k in range(3):
            feed = {x: X[k::3], y: Y[k::3], training: True}
            _, r, lg, ql, mn, mx, lmin = sess.run([train, relu, logits, q_logits, lo, hi, llo], feed)
            seen.append((r.max(), min(lg.min(), 0.0)))
            # decay min(0.9, n / (n + 1)): the first batch sets the range, then a running mean
            want_hi = float(np.mean([s[0] for s in seen]))
            assert mx == pytest.approx(want_hi, rel=1e-5) and mn == 0.0
            assert lmin == pytest.approx(float(np.mean([s[1] for s in seen])), rel=1e-5)
            # the loss saw the logits on the grid of the range just updated
            nmin, _, scale, _ = nudge(np, lmin, sess.run("dense/BiasAdd/act_quant/max:0"), 8, False)
            steps = (ql - nmin) / scale
            assert np.allclose(steps, np.round(steps), atol=1e-3)
        assert not np.array_equal(sess.run("conv2d/kernel:0"), w0)  # straight-through gradients trained it


def test_quant_delay_passes_values_through_until_the_step() -> None:
    with tf.Graph().as_default():
        x, y, training, logits, loss = tiny_model()
        cq.create_training_graph(quant_delay=2)
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.0).minimize(loss, global_step=step)
        q = cq.quantized_tensor(logits)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        exact = []
        for _ in range(4):
            _, a, b = sess.run([train, logits, q], {x: X, y: Y, training: True})
            exact.append(np.array_equal(a, b))
        assert exact == [True, True, False, False]


def test_eval_graph_reads_ranges_without_updating_them() -> None:
    with tf.Graph().as_default() as g:
        x, _, _, logits, _ = tiny_model()
        cq.create_eval_graph()
        assert not [op for op in g.get_operations() if "act_quant/updates" in op.name]
        names = sorted(v.op.name for v in tf.get_collection(cq.QUANTIZATION_VARIABLES))
        assert names == sorted(
            f"{s}/act_quant/{m}" for s in ("Relu", "Relu_1", "dense/BiasAdd") for m in ("min", "max")
        )
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        for v in tf.get_collection(cq.QUANTIZATION_VARIABLES):
            v.load(-1.0 if v.op.name.endswith("min") else 1.0, sess)
        out = sess.run(cq.quantized_tensor(logits), {x: X})
        # [-1, 1] nudged to [-128, 127] * 2 / 255 so that zero is on the grid
        assert out.min() >= -128 * 2 / 255 - 1e-6 and out.max() <= 127 * 2 / 255 + 1e-6
        np.testing.assert_allclose(out * 127.5, np.round(out * 127.5), atol=1e-3)
        assert sess.run("Relu/act_quant/max:0") == 1.0  # unchanged by the run
