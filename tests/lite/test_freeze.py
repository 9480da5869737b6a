"""trainer.freeze: variables to constants, pruning, folding, batch-norm folding, fusion; outputs unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from export_models import mnist, trained

import trainer as tf
from trainer.errors import InvalidArgumentError
from trainer.freeze import freeze, optimize

TRAINING_ONLY = {"VariableV2", "Identity", "StopGradient", "PlaceholderWithDefault", "RandomUniform"}


def _types(frozen) -> list[str]:
    return [op.type for op in frozen.graph.get_operations()]


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / np.abs(want).max())


@pytest.mark.parametrize("name", ["mlp", "cnn", "mobilenet"])
def test_frozen_graph_runs_with_the_same_outputs(name: str) -> None:
    m = trained(name)
    xs = m.images(mnist()[2][:16])
    want = m.predict(xs)
    fixed = freeze(m.sess, [m.x], [m.logits], batch_size=16)
    assert not TRAINING_ONLY & set(_types(fixed)), _types(fixed)
    assert fixed.inputs[0].shape.as_list() == [16, *m.x.shape.as_list()[1:]]
    assert _rel_err(fixed.run(xs)[0], want) < 1e-5
    # Without a fixed batch the graph keeps its dynamic batch dimension and still computes the same.
    dynamic = freeze(m.sess, [m.x], [m.logits])
    assert dynamic.inputs[0].shape.as_list()[0] is None
    assert _rel_err(dynamic.run(xs[:3])[0], want[:3]) < 1e-5
    assert "VariableV2" not in _types(dynamic)


def test_mlp_becomes_three_fused_matmuls() -> None:
    m = trained("mlp")
    frozen = freeze(m.sess, [m.x], [m.logits], batch_size=1)
    compute = [op for op in frozen.graph.get_operations() if op.type not in ("Const", "Placeholder")]
    assert [op.type for op in compute] == ["_FusedMatMul"] * 3
    assert [op.attrs["activation"] for op in compute] == ["RELU", "RELU", "NONE"]
    assert all(len(op.inputs) == 3 for op in compute)  # bias folded in


def test_dense_on_a_rank3_input_is_one_fused_matmul_over_the_last_axis() -> None:
    """tf.layers.dense on [batch, tokens, features] is Reshape, MatMul, Reshape, BiasAdd (+ Relu) in the
    trainer; frozen it is one _FusedMatMul over the last axis with bias and activation, exported as one
    FullyConnected on the rank-3 input (the transformer's dense layers), with the same outputs; a flatten to
    another shape (here [batch, tokens * features]) keeps its Reshape."""
    from trainer.lite import Converter
    from trainer.tlm import read_model

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, 8, 16])
        h = tf.layers.dense(x, 32, activation=tf.nn.relu)
        y = tf.layers.dense(h, 4)
        z = tf.layers.dense(tf.reshape(y, [-1, 32]), 3)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            xs = np.random.default_rng(0).standard_normal((2, 8, 16)).astype(np.float32)
            want = sess.run([y, z], {x: xs})
            frozen = freeze(sess, [x], [y, z], batch_size=2)
            model = Converter.from_session(sess, [x], [y, z]).convert()
    compute = [op for op in frozen.graph.get_operations() if op.type not in ("Const", "Placeholder")]
    assert [op.type for op in compute] == ["_FusedMatMul", "_FusedMatMul", "Reshape", "_FusedMatMul"]
    mms = [op for op in compute if op.type == "_FusedMatMul"]
    assert [op.attrs.get("keep_dims", False) for op in mms] == [True, True, False]
    assert [op.attrs["activation"] for op in mms] == ["RELU", "NONE", "NONE"]
    assert compute[0].outputs[0].shape.as_list() == [2, 8, 32]
    for a, b in zip(frozen.run(xs), want, strict=True):
        assert _rel_err(a, b) < 1e-6
    ops = read_model(model).ops
    assert [op.opcode for op in ops] == ["FullyConnected", "FullyConnected", "Reshape", "FullyConnected"]
    assert [len(op.inputs) for op in ops if op.opcode == "FullyConnected"] == [3, 3, 3]  # biases folded


def test_batch_norm_is_folded_into_the_preceding_conv() -> None:
    m = trained("mobilenet")
    frozen = freeze(m.sess, [m.x], [m.logits], batch_size=2)
    types = [t for t in _types(frozen) if t not in ("Const", "Placeholder")]
    assert types == [
        "_FusedConv2D",
        "_FusedDepthwiseConv2D",
        "_FusedConv2D",
        "_FusedDepthwiseConv2D",
        "_FusedConv2D",
        "Mean",
        "_FusedMatMul",
    ]
    acts = [op.attrs.get("activation") for op in frozen.graph.get_operations() if op.type.startswith("_")]
    assert acts == ["RELU6"] * 5 + ["NONE"]
    # the moving statistics really were used: unfused BN in the session gives the same answer
    xs = m.images(mnist()[2][:2])
    assert _rel_err(frozen.run(xs)[0], m.predict(xs)) < 1e-5


def test_constant_folding_and_pruning() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
        scale = tf.sqrt(tf.constant([4.0, 9.0])) * 0.5 + 0.0  # folds to [1, 1.5]
        y = tf.matmul(x, w) * scale
        unused = tf.reduce_sum(y) * 3.0  # pruned: not requested
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            xs = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
            want = sess.run(y, {x: xs})
            frozen = freeze(sess, [x], [y], fuse=False)
    assert unused.op.name not in [op.name for op in frozen.graph.get_operations()]
    types = _types(frozen)
    assert types.count("Const") == 2 and "Sqrt" not in types and "Add" not in types, types
    consts = [op.attrs["value"] for op in frozen.graph.get_operations() if op.type == "Const"]
    assert any(np.array_equal(c, [1.0, 1.5]) for c in consts)
    np.testing.assert_allclose(frozen.run(xs)[0], want, rtol=1e-6)
    # with fusion the per-channel scale goes into the weights
    fused = optimize(frozen.graph, frozen.inputs, frozen.outputs)
    assert [t for t in _types(fused) if t != "Const"] == ["Placeholder", "_FusedMatMul"]
    np.testing.assert_allclose(fused.run(xs)[0], want, rtol=1e-6)


def test_no_fusion_across_a_shared_intermediate() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 5, 5, 3], name="x")
        k = tf.constant(np.random.default_rng(1).standard_normal((3, 3, 3, 4)).astype(np.float32))
        conv = tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME")
        a = tf.nn.relu(conv)
        b = conv * tf.constant([1.0, 2.0, 3.0, 4.0])
        with tf.Session(graph=g) as sess:
            xs = np.random.default_rng(2).standard_normal((2, 5, 5, 3)).astype(np.float32)
            want = sess.run([a, b], {x: xs})
    frozen = optimize(g, [x], [a, b])
    types = _types(frozen)
    assert types.count("_FusedConv2D") == 1 and "Relu" in types and "Mul" in types, types
    for got, ref in zip(frozen.run(xs), want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_missing_input_placeholder_is_named() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        z = tf.placeholder(tf.float32, [None, 2], name="z")
        y = x + z
    with pytest.raises(InvalidArgumentError, match="placeholder z"):
        optimize(g, [x], [y])


def test_variables_need_a_session() -> None:
    m = trained("mlp")
    with pytest.raises(InvalidArgumentError, match="variables"):
        optimize(m.graph, [m.x], [m.logits])


def test_input_shape_must_fit() -> None:
    m = trained("mlp")
    with pytest.raises(InvalidArgumentError, match="does not fit"):
        freeze(m.sess, [m.x], [m.logits], input_shapes=[[1, 783]])
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        freeze(m.sess, [m.x], [m.logits], batch_size=0)


@pytest.mark.parametrize("activation", ["NONE", "RELU", "RELU6"])
@pytest.mark.parametrize("kind", ["matmul", "matmul_tb", "conv", "depthwise"])
def test_fused_op_kernels_equal_the_composite(kind: str, activation: str) -> None:
    rng = np.random.default_rng(3)
    g = tf.Graph()
    with g.as_default():
        if kind.startswith("matmul"):
            tb = kind == "matmul_tb"
            x = tf.constant(rng.standard_normal((3, 5)).astype(np.float32) * 4)
            w = tf.constant(rng.standard_normal((4, 5) if tb else (5, 4)).astype(np.float32))
            base, fused, attrs = (
                tf.matmul(x, w, transpose_b=tb),
                "_FusedMatMul",
                {"transpose_a": False, "transpose_b": tb},
            )
        elif kind == "conv":
            x = tf.constant(rng.standard_normal((2, 6, 6, 3)).astype(np.float32) * 4)
            w = tf.constant(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
            base, fused = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), "_FusedConv2D"
            attrs = dict(base.op.attrs)
        else:
            x = tf.constant(rng.standard_normal((2, 6, 6, 2)).astype(np.float32) * 4)
            w = tf.constant(rng.standard_normal((3, 3, 2, 2)).astype(np.float32))
            base, fused = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"), "_FusedDepthwiseConv2D"
            attrs = dict(base.op.attrs)
        b = tf.constant(rng.standard_normal(4).astype(np.float32))
        want = tf.nn.bias_add(base, b)
        want = {"NONE": want, "RELU": tf.nn.relu(want), "RELU6": tf.nn.relu6(want)}[activation]
        attrs = {**attrs, "activation": activation, "_fused_type": fused}
        got = g.create_op(fused, [x, w, b], attrs).outputs[0]
        no_bias = g.create_op(fused, [x, w], {**attrs, "activation": "NONE"}).outputs[0]
        assert got.shape.as_list() == want.shape.as_list()
        with tf.Session(graph=g) as sess:
            gv, wv, nb, bv = sess.run([got, want, no_bias, base])
    np.testing.assert_allclose(gv, wv, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(nb, bv, rtol=1e-6, atol=1e-6)
    with g.as_default(), pytest.raises(InvalidArgumentError, match="bias shape"):
        g.create_op(fused, [x, w, tf.constant(np.zeros(3, np.float32))], attrs)


def test_tf1_tutorial_keep_prob_placeholder_becomes_a_constant() -> None:
    """The classic TF1 MNIST program feeds keep_prob: constants={keep_prob: 1.0} folds dropout away."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(5)
        x = tf.placeholder(tf.float32, [None, 784], name="x")
        keep_prob = tf.placeholder(tf.float32, name="keep_prob")
        w1 = tf.Variable(tf.truncated_normal([784, 32], stddev=0.1))
        b1 = tf.Variable(tf.constant(0.1, shape=[32]))
        h = tf.nn.dropout(tf.nn.relu(tf.matmul(x, w1) + b1), keep_prob=keep_prob)
        w2 = tf.Variable(tf.truncated_normal([32, 10], stddev=0.1))
        y = tf.nn.softmax(tf.matmul(h, w2) + tf.Variable(tf.zeros([10])))
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            xs = mnist()[2][:4].reshape(4, 784)
            want = sess.run(y, {x: xs, keep_prob: 1.0})
            with pytest.raises(InvalidArgumentError, match="placeholder keep_prob .* constants="):
                freeze(sess, [x], [y], batch_size=4)
            frozen = freeze(sess, [x], [y], batch_size=4, constants={keep_prob: 1.0})
            with pytest.raises(InvalidArgumentError, match="not a placeholder"):
                freeze(sess, [x], [y], constants={y: 1.0})
            from trainer.lite import Converter

            conv = Converter.from_session(sess, [x], [y], batch_size=4, constants={"keep_prob:0": 1.0})
            assert Converter.from_frozen_graph(frozen).convert() == conv.convert()
    types = [t for t in _types(frozen) if t != "Const"]
    assert types == ["Placeholder", "_FusedMatMul", "_FusedMatMul", "Softmax"], types
    np.testing.assert_allclose(frozen.run(xs)[0], want, rtol=1e-5, atol=1e-7)
