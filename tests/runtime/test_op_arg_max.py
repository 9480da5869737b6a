"""ArgMax and ArgMin beyond the registry-driven cases (tests/op_cases/arg_max.py): NaN, infinities and ties,
the work charged, ``tf.argmax`` / ``tf.math.argmax`` / ``tf.argmin`` exported from a TF1 graph (int64 and
int32 indices) and run on the C runtime against the session, and post-training quantization keeping the
indices int32 / int64 with int8 and float32 graph I/O (the numpy int8 reference and pyruntime alike). The
rejections of the prepares are in the malformed corpus (tests/malformed_cases.py, ``_arg_ops``)."""

from __future__ import annotations

import numpy as np
import pytest
from op_cases.arg_max import _model
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.quantize import quantize_model, reference_run
from trainer.tlm import read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def test_nan_wins_and_ties_take_the_first_index(pyrt) -> None:
    rows = [
        [1.0, np.nan, 3.0, np.nan],
        [-np.inf, -np.inf, -5.0, -np.inf],
        [2.0, 7.0, 7.0, -1.0],
        [0.0, -0.0, 0, 0],
    ]
    x = np.array(rows, np.float32)
    for op, fn in (("ArgMax", np.argmax), ("ArgMin", np.argmin)):
        got = pyrt.Interpreter(model_content=_model(op, (4, 4), 1, np.int32)).run(x)[0]
        assert got.tolist() == fn(x, axis=1).tolist()  # numpy's rule: the first NaN, else the first extreme
    assert np.argmax(x, axis=1).tolist() == [1, 2, 1, 0] and np.argmin(x, axis=1).tolist() == [1, 0, 3, 0]


def test_int8_orders_raw_values(pyrt) -> None:
    from trainer.tlm import Quantization

    x = np.array([[-128, 127, 127, 5], [3, -128, 0, -128]], np.int8)
    q = Quantization(1e3, 127)
    got = pyrt.Interpreter(model_content=_model("ArgMin", (2, 4), -1, np.int64, np.int8, q)).run(x)[0]
    assert got.dtype == np.int64 and got.tolist() == [0, 1]
    got = pyrt.Interpreter(model_content=_model("ArgMax", (2, 4), 0, np.int32, np.int8, q)).run(x)[0]
    assert got.tolist() == [1, 0, 0, 0]


def test_work(pyrt) -> None:
    for op in ("ArgMax", "ArgMin"):
        small = pyrt.Interpreter(model_content=_model(op, (4, 64), 1, np.int32))
        large = pyrt.Interpreter(model_content=_model(op, (4, 128), 1, np.int32))
        small.allocate_tensors()
        large.allocate_tensors()
        assert large.work - small.work == 4 * 64 * 64 // 16  # input elements x 64 / 16 (float32)


@pytest.fixture(scope="module")
def classifier():
    """A TF1 graph ending in tf.argmax (int64), tf.math.argmax (int32) and tf.argmin, frozen and exported."""
    rng = np.random.default_rng(23)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [6, 8], name="x")
        w = tf.constant(rng.standard_normal((8, 5)).astype(np.float32))
        logits = tf.matmul(x, w)
        outs = [
            tf.argmax(logits, axis=1),
            tf.math.argmax(logits, axis=0, output_type=tf.int32),
            tf.argmin(tf.nn.relu(logits), 1, output_type=tf.int32),
        ]
    xs = rng.standard_normal((6, 8)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    return Converter.from_frozen_graph(g, [x], outs).convert(), xs, want, rng


def test_tf_argmax_exports_and_runs_like_the_session(pyrt, classifier) -> None:
    data, xs, want, _ = classifier
    m = read_model(data)
    assert [op.opcode for op in m.ops].count("ArgMax") == 2
    assert [m.tensors[i].dtype for i in m.outputs] == [np.int64, np.int32, np.int32]
    got = pyrt.Interpreter(model_content=data).run(xs)
    for g_, w in zip(got, want, strict=True):
        assert g_.dtype == w.dtype and g_.tolist() == w.tolist()


@pytest.mark.parametrize("io", ["float32", "int8"])
def test_quantized_model_keeps_the_indices(pyrt, classifier, io: str) -> None:
    data, xs, want, rng = classifier
    samples = [[rng.standard_normal((6, 8)).astype(np.float32)] for _ in range(16)]
    q8 = quantize_model(data, lambda: iter(samples), inference_input_type=io, inference_output_type=io)
    m = read_model(q8)
    assert [m.tensors[i].dtype for i in m.outputs] == [np.int64, np.int32, np.int32]
    assert all(m.tensors[i].quantization is None for i in m.outputs)
    x = xs if io == "float32" else pyrt.Interpreter(model_content=q8).get_input_details()[0]
    if io == "int8":
        scale, zp = x["quantization"]
        x = np.clip(np.round(xs / scale) + zp, -128, 127).astype(np.int8)
    got = pyrt.Interpreter(model_content=q8).run(x)
    for g_, r in zip(got, reference_run(q8, x), strict=True):
        assert g_.dtype == r.dtype and g_.tobytes() == r.tobytes()
    assert (got[0] == want[0]).mean() >= 0.5  # int8 logits mostly pick the float model's class
