"""StridedSlice beyond the registry-driven cases (tests/op_cases/strided_slice.py): the runtime's index rules
against numpy's slicing on many random slices, int32 data, the rejections of its prepare with their
statuses, the work charged, and the trainer's slicing (``x[1:3]``, ``x[..., ::-2]``, ``x[:, 0]``,
``tf.newaxis``, ``tf.strided_slice``, ``tf.slice``) exported from a TF1 graph and run against the session."""

from __future__ import annotations

import re

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.runtime_ops.strided_slice import strided_slice
from trainer.tlm import ModelBuilder, Quantization, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(shape, vectors, out_shape, dtype=np.float32, quant=None, out_quant=None, const=True, **masks):
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, list(shape), quantization=quant)
    ins = [x]
    for n, v in zip(("b", "e", "s"), vectors, strict=True):
        v = np.asarray(v)
        ins.append(b.add_constant(n, v) if const else b.add_input(n, v.dtype, list(v.shape)))
    y = b.add_tensor("y", dtype, list(out_shape), quantization=out_quant if out_quant is not None else quant)
    b.add_op("StridedSlice", ins, [y], **masks)
    b.mark_output(y)
    return b.finish()


def _i32(*v: int) -> np.ndarray:
    return np.asarray(v, np.int32)


def test_random_slices_match_numpy(pyrt) -> None:
    """Python slices with any start, stop and step (in range or not) give numpy's elements."""
    rng = np.random.default_rng(8)
    checked = 0
    for _ in range(200):
        shape = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 5))))
        key, begin, end, strides, bm, em = [], [], [], [], 0, 0
        for k, d in enumerate(shape):
            start, stop = (None if rng.random() < 0.3 else int(rng.integers(-d - 2, d + 3)) for _ in range(2))
            step = int(rng.choice([-3, -2, -1, 1, 2, 3]))
            key.append(slice(start, stop, step))
            begin.append(0 if start is None else start)
            end.append(0 if stop is None else stop)
            strides.append(step)
            bm |= (start is None) << k
            em |= (stop is None) << k
        x = rng.standard_normal(shape).astype(np.float32)
        want = x[tuple(key)]
        if want.size == 0:
            continue  # tensors have no zero dims: the runtime refuses an empty slice (tested below)
        got_ref = strided_slice(x, begin, end, strides, bm, em)
        vectors = (_i32(*begin), _i32(*end), _i32(*strides))
        model = _model(shape, vectors, want.shape, begin_mask=bm, end_mask=em)
        got = pyrt.Interpreter(model_content=model).run(x)[0]
        assert got.tobytes() == want.tobytes() == got_ref.astype(np.float32).tobytes(), (shape, key)
        checked += 1
    assert checked >= 40


def test_int32_data(pyrt) -> None:
    x = np.arange(24, dtype=np.int32).reshape(4, 6) * -7919
    model = _model([4, 6], (_i32(3, 1), _i32(0, 0), _i32(-2, 2)), [2, 3], np.int32, end_mask=2)
    np.testing.assert_array_equal(pyrt.Interpreter(model_content=model).run(x)[0], x[3:0:-2, 1::2])


V = (_i32(0, 1), _i32(4, 5), _i32(1, 2))  # x[0:4, 1:5:2] of a [4, 6] input: [4, 2]


@pytest.mark.parametrize(
    "model,status,message",
    [
        (_model([4, 6], V, [4, 3]), "TL_ERROR_BAD_SHAPE", "the slice of [4, 6] is [4, 2]"),
        (_model([4, 6], (V[0], V[1], _i32(1, 0)), [4, 2]), "TL_ERROR_BAD_OPTIONS", "strides entry 1 is 0"),
        (_model([4, 6], (V[0], _i32(0, 5), V[2]), [4, 2]), "TL_ERROR_BAD_SHAPE", "select no element"),
        (_model([4, 6], V, [4, 2], begin_mask=4), "TL_ERROR_BAD_OPTIONS", "at or above the rank"),
        (_model([4, 6], (_i32(4, 1), *V[1:]), [2], shrink_axis_mask=1), "TL_ERROR_BAD_OPTIONS", "shrunk"),
        (_model([4, 6], (_i32(0), *V[1:]), [4, 2]), "TL_ERROR_BAD_SHAPE", "begin (input 1) must be a vector"),
        (_model([4, 6], (V[0].astype(np.int64), *V[1:]), [4, 2]), "TL_ERROR_UNSUPPORTED_DTYPE", "int32"),
        (_model([4, 6], V, [4, 2], const=False), "TL_ERROR_UNSUPPORTED_FEATURE", "not a constant"),
        (
            _model([4, 6], V, [4, 2], np.int8, Quantization(0.1, 0), Quantization(0.2, 0)),
            "TL_ERROR_BAD_QUANTIZATION",
            "scale and zero point",
        ),
    ],
)
def test_prepare_rejections(pyrt, model: bytes, status: str, message: str) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match=re.escape(message)) as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == status
    assert "(StridedSlice)" in str(e.value)


def test_work_is_charged_per_output_element(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(output elements x 384 / 16); the same tensors otherwise
    a = pyrt.Interpreter(model_content=_model([64, 64], (_i32(0, 0), _i32(64, 64), _i32(1, 1)), [64, 64]))
    b = pyrt.Interpreter(model_content=_model([64, 64], (_i32(0, 0), _i32(64, 64), _i32(2, 1)), [32, 64]))
    for i in (a, b):
        i.allocate_tensors()
    assert a.work - b.work == 32 * 64 * 384 // 16


def test_tf_slicing_exports_and_runs_like_the_session(pyrt) -> None:
    rng = np.random.default_rng(13)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 6, 5], name="x")
        outs = [
            x[:, 1:4],
            x[..., ::-2],
            x[:, 2],
            x[:, tf.newaxis, -1, 1:],
            tf.slice(x, [0, 1, 2], [-1, 3, 2]),
            tf.strided_slice(x, [0, 5, 0], [2, 0, 5], [1, -2, 2], begin_mask=1, end_mask=1),
            x[:, -7:100:3, -1],
        ]
    xs = rng.standard_normal((2, 6, 5)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], outs)
    conv.batch_size = 2
    data = conv.convert()
    ops = [op.opcode for op in read_model(data).ops]
    assert ops.count("StridedSlice") == 7 and ops.count("Reshape") == 1  # tf.newaxis: a Reshape after
    got = pyrt.Interpreter(model_content=data).run(xs)
    for g_, w in zip(got, want, strict=True):
        assert g_.shape == w.shape and g_.tobytes() == w.tobytes()


def test_export_refuses_an_empty_slice() -> None:
    from trainer.lite import UnsupportedError

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 6], name="x")
        y = x[:, 4:2]
    with pytest.raises(UnsupportedError, match="select none"):
        Converter.from_frozen_graph(g, [x], [y]).convert()
