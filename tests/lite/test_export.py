"""trainer.lite Converter and lowering: layouts, determinism, arena bytes, op coverage, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from export_models import mnist, trained

import pyruntime  # the C runtime: part of the package, so required (never skipped)
import trainer as tf
from trainer.errors import UnimplementedError
from trainer.freeze import freeze
from trainer.lite import Converter, UnsupportedError
from trainer.lite.reference import ReferenceInterpreter
from trainer.tlm import plan_model, read_model


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / np.abs(want).max())


@pytest.mark.parametrize("name", ["mlp", "cnn", "mobilenet"])
def test_export_is_deterministic_and_plans_the_runtime_arena(name: str) -> None:
    m = trained(name)
    first = Converter.from_session(m.sess, [m.x], [m.logits]).convert()
    again = Converter.from_session(m.sess, [m.x], [m.logits]).convert()
    assert first == again
    info = read_model(first)
    assert info.metadata.arena_bytes > 0
    assert info.metadata.arena_bytes == plan_model(info).arena_bytes
    interp = pyruntime.Interpreter(model_content=first)
    interp.allocate_tensors()
    assert interp.arena_bytes == info.metadata.arena_bytes == interp.planned_arena_bytes
    assert [d["shape"].tolist() for d in interp.get_input_details()] == [[1, *m.x.shape.as_list()[1:]]]


def test_weight_layouts() -> None:
    m = trained("mobilenet")
    frozen = freeze(m.sess, [m.x], [m.logits], batch_size=1)
    info = read_model(Converter.from_frozen_graph(frozen).convert())
    fused = [op for op in frozen.graph.get_operations() if op.type.startswith("_Fused")]
    assert [op.opcode for op in info.ops] == [
        "Conv2D",
        "DepthwiseConv2D",
        "Conv2D",
        "DepthwiseConv2D",
        "Conv2D",
        "Mean",
        "FullyConnected",
    ]
    runtime_ops = [op for op in info.ops if op.opcode != "Mean"]
    for op, src in zip(runtime_ops, fused, strict=True):
        w = src.inputs[1].op.attrs["value"]
        got = info.tensors[op.inputs[1]].data
        if op.opcode == "Conv2D":
            np.testing.assert_array_equal(got, w.transpose(3, 0, 1, 2))  # HWIO -> OHWI
        elif op.opcode == "DepthwiseConv2D":
            kh, kw, c, mult = w.shape
            np.testing.assert_array_equal(got, w.reshape(1, kh, kw, c * mult))
            assert op.options["depth_multiplier"] == mult
        else:
            np.testing.assert_array_equal(got, w.T)  # [in, out] -> [out, in]
        np.testing.assert_array_equal(info.tensors[op.inputs[2]].data, src.inputs[2].op.attrs["value"])
    assert info.ops[3].options["stride_h"] == 2 and info.ops[3].options["depth_multiplier"] == 2
    assert [op.options["activation"] for op in runtime_ops] == ["RELU6"] * 5 + ["NONE"]
    assert info.ops[5].options["axes"] == [1, 2]


def test_batch_size_option() -> None:
    m = trained("cnn")
    data = Converter.from_session(m.sess, [m.x], [m.logits], batch_size=5).convert()
    frozen = freeze(m.sess, [m.x], [m.logits])  # dynamic batch; names work as tensors
    by_name = Converter.from_frozen_graph(frozen.graph, ["x:0"], [frozen.outputs[0].name], batch_size=5)
    assert by_name.convert() == data
    shaped = Converter.from_session(m.sess, [m.x], [m.logits], input_shapes=[[5, 28, 28, 1]])
    assert shaped.convert() == data
    xs = mnist()[2][:5]
    got = pyruntime.Interpreter(model_content=data).run(xs)[0]
    assert got.shape == (5, 10)
    assert _rel_err(got, m.predict(xs)) < 1e-5


def _coverage_graph():
    g = tf.Graph()
    rng = np.random.default_rng(7)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 5, 2], name="x")
        p = tf.pad(x, [[0, 0], [1, 1], [2, 0], [0, 0]])
        t = tf.transpose(p, [0, 2, 1, 3])  # [N, 7, 8, 2]
        c = tf.concat([t, t * 2.0 - 1.0], axis=3)  # [N, 7, 8, 4]
        a = tf.nn.avg_pool(c, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")  # [N, 4, 4, 4]
        mp = tf.nn.max_pool(c, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
        s = tf.nn.sigmoid(a) - tf.nn.tanh(a) / 3.0 + tf.constant(rng.standard_normal(4).astype(np.float32))
        mean = tf.reduce_mean(s * mp, axis=[1], keepdims=True)
        flat = tf.reshape(s, [-1, 64])
        w = tf.constant(rng.standard_normal((64, 5)).astype(np.float32))
        out = tf.nn.softmax(tf.nn.relu6(tf.matmul(flat, w) * 3.0))
        sq = tf.expand_dims(tf.squeeze(mean, [1]), 0)
    return g, x, [out, sq, mp]


def test_lowering_covers_the_op_table_on_the_c_runtime() -> None:
    g, x, outs = _coverage_graph()
    xs = np.random.default_rng(8).standard_normal((3, 6, 5, 2)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], outs)
    conv.batch_size = 3
    data = conv.convert()
    ops = {op.opcode for op in read_model(data).ops}
    assert {"Pad", "Transpose", "Concatenation", "AveragePool2D", "MaxPool2D", "Sigmoid", "Tanh"} <= ops
    assert {"Sub", "Mul", "Add", "Mean", "Reshape", "FullyConnected", "Softmax"} <= ops
    got = pyruntime.Interpreter(model_content=data).run(xs)
    ref = ReferenceInterpreter(model_content=data).run(xs)
    for w, c, r in zip(want, got, ref, strict=True):
        assert c.shape == w.shape
        assert _rel_err(c, w) < 1e-5
        assert _rel_err(r, c) < 1e-5


def _single_op_graph(build, dtype=tf.float32, shape=(None, 4)):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(dtype, list(shape), name="x")
        y = build(x)
    return g, x, y


@pytest.mark.parametrize(
    "build, shape, dtype, pattern",
    [
        (lambda x: tf.floor(x), (None, 4), tf.float32, r"'Floor' \(Floor\): the C runtime has no Floor op"),
        (lambda x: tf.nn.softmax(x, axis=1), (None, 4, 3), tf.float32, r"Softmax.*axis 1"),
        (
            lambda x: tf.pad(x, [[0, 0], [1, 1]], constant_values=1.0),
            (None, 4),
            tf.float32,
            "constant_values",
        ),
        (lambda x: tf.nn.relu(x), (None, 4), tf.int32, "dtype int32"),
        (lambda x: x + 1.0, (None, None), tf.float32, r"input x:0 has shape \(1, \?\).*static shape"),
        (lambda x: tf.matmul(x, x, transpose_b=True), (None, 1, 1, 2, 4), tf.float32, "ranks 2 to 4"),
    ],
)
def test_unsupported_is_refused_by_name_and_writes_no_file(tmp_path, build, shape, dtype, pattern) -> None:
    g, x, y = _single_op_graph(build, dtype, shape)
    path = tmp_path / "model.tlm"
    with pytest.raises(UnsupportedError, match=pattern):
        Converter.from_frozen_graph(g, [x], [y]).save(path)
    assert list(tmp_path.iterdir()) == []


def test_save_writes_the_converted_bytes(tmp_path) -> None:
    m = trained("mlp")
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    n = conv.save(tmp_path / "m.tlm")
    assert (tmp_path / "m.tlm").read_bytes() == conv.convert() and n == len(conv.convert())


def test_incomplete_quantization_options_are_refused() -> None:
    m = trained("mlp")
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.optimizations = ["DEFAULT"]
    with pytest.raises(UnimplementedError, match="quantization"):
        conv.convert()
    conv.optimizations = []
    conv.inference_input_type = tf.int8
    with pytest.raises(UnimplementedError, match="inference_input_type"):
        conv.convert()
    conv.inference_input_type = tf.float32
    assert conv.convert()[4:8] == b"TLM1"


def test_output_must_depend_on_an_input() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [1, 2], name="x")
        y = tf.constant([1.0, 2.0]) * 2.0
    with pytest.raises(UnsupportedError, match="constant"):
        Converter.from_frozen_graph(g, [x], [y]).convert()


@pytest.mark.parametrize("module", ["trainer.freeze", "trainer.lite.converter", "trainer.lite.reference"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def _random_graph(seed: int):
    """A chain of randomly chosen exportable ops on an NHWC tensor (odd sizes, strides, SAME/VALID)."""
    rng = np.random.default_rng(seed)
    g = tf.Graph()

    def const(*shape):
        return tf.constant(rng.standard_normal(shape).astype(np.float32))

    with g.as_default():
        h0, w0, c0 = (int(v) for v in rng.integers(5, 12, 3))
        x = tf.placeholder(tf.float32, [None, h0, w0, min(c0, 4)], name="x")
        h = x
        for _ in range(int(rng.integers(3, 7))):
            _, hh, ww, c = h.shape.as_list()
            choice = rng.integers(0, 9)
            pad = "SAME" if rng.random() < 0.5 else "VALID"
            k, s = int(rng.integers(1, 4)), int(rng.integers(1, 3))
            if pad == "VALID" and (k > hh or k > ww):
                pad = "SAME"
            if choice == 0:
                h = tf.nn.conv2d(h, const(k, k, c, int(rng.integers(1, 6))), [1, s, s, 1], pad)
                h = tf.nn.relu6(tf.nn.bias_add(h, const(h.shape.as_list()[-1])))
            elif choice == 1:
                m = int(rng.integers(1, 3))
                h = tf.nn.depthwise_conv2d(h, const(k, k, c, m), [1, s, s, 1], pad) * const(c * m)
            elif choice == 2:
                h = tf.nn.max_pool(h, [1, k, k, 1], [1, s, s, 1], pad)
            elif choice == 3:
                h = tf.nn.avg_pool(h, [1, k, k, 1], [1, s, s, 1], pad)
            elif choice == 4:
                h = tf.nn.tanh(h - const(1, 1, c)) + tf.nn.sigmoid(h)
            elif choice == 5:
                h = tf.concat([h, tf.nn.relu(h)], axis=int(rng.integers(1, 4)))
            elif choice == 6:
                h = tf.pad(h, [[0, 0], [int(rng.integers(0, 2)), 1], [1, int(rng.integers(0, 2))], [0, 0]])
            elif choice == 7:
                h = tf.transpose(h, [0, 2, 1, 3])
            else:
                h = h + tf.reduce_mean(h, axis=[1, 2], keepdims=True)
        _, hh, ww, c = h.shape.as_list()
        flat = tf.reshape(h, [-1, hh * ww * c])
        y = tf.nn.softmax(tf.matmul(flat, const(hh * ww * c, 3)) / 4.0)
    return g, x, y


@pytest.mark.parametrize("seed", range(40))
def test_random_exportable_graphs_load_and_match(seed: int) -> None:
    g, x, y = _random_graph(seed)
    xs = np.random.default_rng(100 + seed).standard_normal((2, *x.shape.as_list()[1:])).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(y, {x: xs})
    data = Converter.from_frozen_graph(g, [x], [y], batch_size=2).convert()
    interp = pyruntime.Interpreter(model_content=data)
    interp.allocate_tensors()
    assert interp.arena_bytes == read_model(data).metadata.arena_bytes
    got = interp.run(xs)[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ReferenceInterpreter(model_content=data).run(xs)[0], got, rtol=1e-4, atol=1e-5)
