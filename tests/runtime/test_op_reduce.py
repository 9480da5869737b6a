"""Sum and ReduceMax beyond the registry-driven cases (tests/op_cases/reduce.py): edge values (NaN,
infinities, signed zeros, a sum beyond float32's integers, int8 rounding and saturation), a rejection of
their prepares (the rest are in the malformed corpus, tests/malformed_cases.py), the work charged, and
``tf.reduce_sum`` / ``tf.reduce_max`` exported from a TF1 graph and run on the C runtime against the
session."""

from __future__ import annotations

import re

import numpy as np
import pytest
from op_cases.reduce import _model
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.tlm import Quantization, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _run(pyrt, model: bytes, x: np.ndarray) -> np.ndarray:
    return pyrt.Interpreter(model_content=model).run(x)[0]


def test_reduce_max_propagates_nan_and_folds_signed_zeros_like_numpy(pyrt) -> None:
    x = np.array(
        [[1.0, np.nan, 3.0], [-np.inf, -np.inf, -np.inf], [-0.0, 0.0, -1.0], [0.0, -0.0, -1.0]], np.float32
    )
    got = _run(pyrt, _model("ReduceMax", (4, 3), [1], False), x)
    assert np.isnan(got[0]) and got[1] == -np.inf
    # Maximum's rule folded along the row: of equal terms the later one (numpy's max of -0, +0 is +0)
    assert not np.signbit(got[2]) and np.signbit(got[3])
    assert not np.signbit(np.max(x[2])) and np.signbit(np.max(x[3]))


def test_sum_accumulates_in_double(pyrt) -> None:
    x = np.array([[2.0**24, 1.0, 1.0, -(2.0**24)], [np.inf, 1.0, -np.inf, 0.0]], np.float32)
    got = _run(pyrt, _model("Sum", (2, 4), [-1], True), x)
    assert got.shape == (2, 1)
    assert got[0, 0] == 2.0  # float32 accumulation in this order gives 0
    assert np.isnan(got[1, 0])


def test_int8_sum_rescales_and_saturates(pyrt) -> None:
    x = np.array([[-128, -128, -128], [127, 127, 127], [3, 4, -2]], np.int8)
    # s_in / s_out = 0.5, zero points 2 and -1: y = roundf(0.5 (sum of raw x) - 0.5 * 2 * 3) - 1, clamped:
    # -195 -> -128, 187.5 -> 127, 5 * 0.5 - 3 = -0.5 -> -1 (half away from zero) -> -2
    model = _model("Sum", (3, 3), [1], False, np.int8, Quantization(0.5, 2), Quantization(1.0, -1))
    assert _run(pyrt, model, x).tolist() == [-128, 127, -2]


def test_int8_reduce_max_is_the_raw_max(pyrt) -> None:
    x = np.array([[-128, -7, 5], [-128, -128, -128]], np.int8)
    q = Quantization(0.3, 17)
    assert _run(pyrt, _model("ReduceMax", (2, 3), [1], False, np.int8, q, q), x).tolist() == [5, -128]


q1, q2 = Quantization(0.1, 0), Quantization(0.2, 3)


@pytest.mark.parametrize(
    "model,status,message",
    [
        (_model("Sum", (2, 3), [1], False), None, None),  # the control: it loads
        (_model("ReduceMax", (2, 3), [1], False, np.int8, q1, q2), "TL_ERROR_BAD_QUANTIZATION", "share one"),
    ],
)
def test_prepare(pyrt, model: bytes, status, message) -> None:
    interp = pyrt.Interpreter(model_content=model)
    if status is None:
        interp.allocate_tensors()
        return
    with pytest.raises(pyrt.TensorletRuntimeError, match=re.escape(message)) as e:
        interp.allocate_tensors()
    assert e.value.status_name == status


def test_work(pyrt) -> None:
    for op in ("Sum", "ReduceMax"):
        small = pyrt.Interpreter(model_content=_model(op, (4, 64), [1], False))
        large = pyrt.Interpreter(model_content=_model(op, (4, 128), [1], False))
        small.allocate_tensors()
        large.allocate_tensors()
        assert large.work - small.work == 4 * 64 * 64 // 16  # input elements x 64 / 16 (float32)


def test_tf_reduce_sum_and_max_export_and_run_like_the_session(pyrt) -> None:
    rng = np.random.default_rng(22)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 5, 4, 3], name="x")
        h = tf.nn.relu(x)
        outs = [
            tf.reduce_sum(h, axis=[1, 2]),
            tf.reduce_max(x, axis=-1, keepdims=True),
            tf.reduce_sum(tf.reduce_max(x, axis=[0, 3]), axis=0),
            tf.reduce_max(x),
        ]
    xs = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    data = Converter.from_frozen_graph(g, [x], outs).convert()
    ops = [op.opcode for op in read_model(data).ops]
    assert ops.count("Sum") == 2 and ops.count("ReduceMax") == 3
    got = pyrt.Interpreter(model_content=data).run(xs)
    for g_, w in zip(got, want, strict=True):
        assert g_.shape == w.shape
        np.testing.assert_allclose(g_, w, rtol=1e-5, atol=1e-6)
