"""Gather beyond the registry-driven cases (tests/op_cases/gather.py): the bytes it moves, the defined result
of run-time indices out of range (rows of zeros; the zero point in int8), the rejections of its prepare with
their statuses, the work charged, and ``tf.gather`` / ``tf.nn.embedding_lookup`` exported from TF1 graphs
(constant indices, int32 ids fed as a graph input) run on the C runtime against the session."""

from __future__ import annotations

import re

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter, UnsupportedError
from trainer.tlm import ModelBuilder, Quantization, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(x_shape, ids_shape, y_shape, axis=0, dtype=np.float32, q=None, ids_dtype=np.int32, ids=None):
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, list(x_shape), quantization=q)
    i = b.add_input("ids", ids_dtype, list(ids_shape)) if ids is None else b.add_constant("ids", ids)
    y = b.add_tensor("y", dtype, list(y_shape), quantization=q)
    b.add_op("Gather", [x, i], [y], axis=axis)
    b.mark_output(y)
    return b.finish()


def test_bytes_move_unchanged(pyrt) -> None:
    x = np.array([[np.nan, -0.0], [np.inf, 1e-40], [-np.inf, 3.5]], np.float32)
    x.view(np.uint32)[0, 0] = 0x7FC00321
    ids = np.array([2, 0, 1, 0], np.int32)
    got = pyrt.Interpreter(model_content=_model([3, 2], [4], [4, 2])).run(x, ids)[0]
    assert got.tobytes() == x[ids].tobytes()


def test_out_of_range_ids_give_zero_rows(pyrt) -> None:
    """Run-time ids outside [0, dim): rows of 0.0 (float32) and of the zero point (int8), never a read outside
    params; the ids in range are still gathered."""
    ids = np.array([1, -1, 3, np.iinfo(np.int32).max, np.iinfo(np.int32).min, 0], np.int32)
    x = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    got = pyrt.Interpreter(model_content=_model([3, 3], [6], [3, 6], axis=1)).run(x, ids)[0]
    inside = (ids >= 0) & (ids < 3)
    assert np.array_equal(got[:, inside], x[:, ids[inside]]) and not got[:, ~inside].any()
    q = Quantization(0.5, -7)
    x8 = np.arange(-4, 5, dtype=np.int8).reshape(3, 3)
    got8 = pyrt.Interpreter(model_content=_model([3, 3], [6], [6, 3], dtype=np.int8, q=q)).run(x8, ids)[0]
    assert np.array_equal(got8[inside], x8[ids[inside]]) and (got8[~inside] == -7).all()


f, i32 = np.float32, np.int32


@pytest.mark.parametrize(
    "model,status,message",
    [
        (_model([5, 3], [2], [2, 3], axis=2), "TL_ERROR_BAD_OPTIONS", "axis 2 is out of range for rank 2"),
        (_model([5, 3], [2], [3, 2]), "TL_ERROR_BAD_SHAPE", "output [3, 2] but params [5, 3] gathered"),
        (_model([5, 3], [2], [2, 3], ids_dtype=np.int64), "TL_ERROR_UNSUPPORTED_DTYPE", "expected int32"),
        (_model([5, 3], [2], [2, 3], ids=np.array([0, 5], i32)), "TL_ERROR_BAD_OPTIONS", "entry 1 is 5"),
        (_model([1, 2, 5, 3, 1], [2], [1, 2, 2, 3, 1], axis=2), "TL_ERROR_BAD_SHAPE", "rank 5 (1 to 4)"),
    ],
)
def test_prepare_rejections(pyrt, model: bytes, status: str, message: str) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match=re.escape(message)) as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == status


def test_work(pyrt) -> None:
    small = pyrt.Interpreter(model_content=_model([10, 8], [4], [4, 8]))
    large = pyrt.Interpreter(model_content=_model([10, 8], [8], [8, 8]))
    for i in (small, large):
        i.allocate_tensors()
    assert large.work - small.work == 32 * 384 // 16  # output elements x 384 / 16


def _session_and_model(build, feeds):
    g = tf.Graph()
    with g.as_default():
        inputs, outputs = build()
    with tf.Session(graph=g) as sess:
        want = sess.run(outputs, dict(zip(inputs, feeds, strict=True)))
    return want, Converter.from_frozen_graph(g, inputs, outputs).convert()


def test_tf_gather_and_embedding_lookup_export_and_run_like_the_session(pyrt) -> None:
    rng = np.random.default_rng(5)
    table = rng.standard_normal((11, 4)).astype(np.float32)
    xs = rng.standard_normal((2, 5, 3)).astype(np.float32)
    ids = rng.integers(0, 11, (2, 7)).astype(np.int32)

    def build():
        x = tf.placeholder(tf.float32, [2, 5, 3], name="x")
        t = tf.placeholder(tf.int32, [2, 7], name="ids")
        picked = tf.gather(x, tf.constant(np.array([[4, 0], [2, 2]], np.int64)), axis=1)  # int64 constant
        last = tf.gather(x, [2, 1], axis=-1)
        emb = tf.nn.embedding_lookup(tf.constant(table), t)
        return [x, t], [picked, last, tf.reduce_mean(emb, axis=1)]

    want, data = _session_and_model(build, [xs, ids])
    assert [op.opcode for op in read_model(data).ops].count("Gather") == 3
    got = pyrt.Interpreter(model_content=data).run(xs, ids)
    for g_, w in zip(got, want, strict=True):
        assert g_.shape == w.shape
        assert np.max(np.abs(g_ - w)) <= 1e-6 * np.max(np.abs(w))


def test_lowering_refusals() -> None:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [4, 3], name="x")
        wide = tf.placeholder(tf.int64, [2], name="wide")
        bad = tf.gather(x, tf.constant([1, 4]))
        by_int64 = tf.gather(x, wide)
    with pytest.raises(UnsupportedError, match=re.escape("constant indices Const:0 outside [0, 4)")):
        Converter.from_frozen_graph(g, [x], [bad]).convert()
    with pytest.raises(UnsupportedError, match=re.escape("input wide:0 has dtype int64 (float32, or int32")):
        Converter.from_frozen_graph(g, [x, wide], [by_int64]).convert()


def test_int32_input_details_and_clear_errors(pyrt) -> None:
    """pyruntime describes an int32 ids input as such and refuses other dtypes and shapes by name."""
    b = ModelBuilder()
    t = b.add_constant("table", np.ones((8, 2), np.float32))
    y = b.add_tensor("y", np.float32, [1, 4, 2])
    b.add_op("Gather", [t, b.add_input("ids", np.int32, [1, 4])], [y], axis=0)
    b.mark_output(y)
    interp = pyrt.Interpreter(model_content=b.finish())
    d = interp.get_input_details()[0]
    assert d["dtype"] == np.int32 and d["shape"].tolist() == [1, 4] and d["quantization"] == (0.0, 0)
    for bad, what in ((np.zeros((1, 4), np.float32), "got dtype float32, expected int32"),
                      (np.zeros((1, 4), np.int64), "got dtype int64, expected int32"),
                      (np.zeros((1, 3), np.int32), "got shape (1, 3), expected (1, 4)")):  # fmt: skip
        with pytest.raises(ValueError, match=re.escape(f"input 'ids': {what}")):
            interp.set_tensor(d["index"], bad)
