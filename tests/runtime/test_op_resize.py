"""ResizeBilinear and ResizeNearestNeighbor beyond the registry-driven cases (tests/op_cases/resize.py):
hand-checked values on the C runtime, bytes moved unchanged (NaN payloads, infinities), the rejections of
their prepares with their statuses, the work charged, and ``tf.image`` resizes exported from a TF1 graph and
run on the C runtime against the session (float32) and against the numpy int8 reference (post-training
quantized: the outputs keep the inputs' parameters)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
import trainer.quantize as q
from trainer.lite import Converter
from trainer.lite.reference import ReferenceInterpreter
from trainer.tlm import ModelBuilder, Quantization, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(op: str, x_shape, size, y_shape=None, dtype=np.float32, qs=(None, None), **options) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, list(x_shape), quantization=qs[0])
    s = b.add_constant("size", np.asarray(size, np.int32))
    y_shape = y_shape or [x_shape[0], *size, x_shape[3]]
    y = b.add_tensor("y", dtype, list(y_shape), quantization=qs[1])
    b.add_op(op, [x, s], [y], **options)
    b.mark_output(y)
    return b.finish()


def _run(pyrt, model: bytes, x: np.ndarray) -> np.ndarray:
    return pyrt.Interpreter(model_content=model).run(x)[0]


def test_hand_checked_values(pyrt) -> None:
    """2 -> 4 pixels along the width: legacy samples at i / 2, align_corners at i / 3, half-pixel at
    (i + 0.5) / 2 - 0.5 clamped; nearest floor(i / 2), round(i / 3), floor((i + 0.5) / 2)."""
    x = np.array([0.0, 3.0], np.float32).reshape(1, 1, 2, 1)
    bl = {
        (): [0.0, 1.5, 3.0, 3.0],
        ("align_corners",): [0.0, 1.0, 2.0, 3.0],
        ("half_pixel_centers",): [0.0, 0.75, 2.25, 3.0],
    }
    nn = {
        (): [0.0, 0.0, 3.0, 3.0],
        ("align_corners",): [0.0, 0.0, 3.0, 3.0],
        ("half_pixel_centers",): [0.0, 0.0, 3.0, 3.0],
    }
    for flags, want in bl.items():
        got = _run(pyrt, _model("ResizeBilinear", [1, 1, 2, 1], [1, 4], **dict.fromkeys(flags, True)), x)
        np.testing.assert_allclose(got.ravel(), want, rtol=0, atol=1e-6)
    for flags, want in nn.items():
        got = _run(
            pyrt, _model("ResizeNearestNeighbor", [1, 1, 2, 1], [1, 4], **dict.fromkeys(flags, True)), x
        )
        assert got.ravel().tolist() == want
    # 3 -> 5 with align_corners: round(i * 0.5) = 0, 1, 1, 2, 2 (TFLite rounds half away from zero)
    x3 = np.array([10.0, 20.0, 30.0], np.float32).reshape(1, 1, 3, 1)
    got = _run(pyrt, _model("ResizeNearestNeighbor", [1, 1, 3, 1], [1, 5], align_corners=True), x3)
    assert got.ravel().tolist() == [10.0, 20.0, 20.0, 30.0, 30.0]


def test_int8_bilinear_rounds_half_away_from_zero(pyrt) -> None:
    """[-3, 0] and [3, 0] upsampled 2 -> 4: the sample at 0.5 is -1.5 and 1.5 in 10-bit fixed point,
    rounded to -2 and 2 (TFLite's integer path); the output keeps the input's parameters."""
    qq = Quantization(0.5, 0)
    model = _model("ResizeBilinear", [2, 1, 2, 1], [1, 4], dtype=np.int8, qs=(qq, qq))
    x = np.array([-3, 0, 3, 0], np.int8).reshape(2, 1, 2, 1)
    got = _run(pyrt, model, x)
    assert got.reshape(2, 4).tolist() == [[-3, -2, 0, 0], [3, 2, 0, 0]]


def test_nearest_moves_bytes_unchanged(pyrt) -> None:
    x = np.array([np.nan, -0.0, np.inf, -np.inf], np.float32).reshape(1, 2, 2, 1)
    x.view(np.uint32)[0, 0, 0, 0] = 0x7FC00321
    got = _run(pyrt, _model("ResizeNearestNeighbor", [1, 2, 2, 1], [4, 4]), x)
    assert got.tobytes() == x.repeat(2, axis=1).repeat(2, axis=2).tobytes()


q1, q2 = Quantization(0.1, 0), Quantization(0.2, 3)


@pytest.mark.parametrize(
    "model,status,message",
    [
        (_model("ResizeBilinear", [1, 4, 4, 2], [8, 8], align_corners=True, half_pixel_centers=True),
         "TL_ERROR_BAD_OPTIONS", "align_corners and half_pixel_centers are both set"),
        (_model("ResizeBilinear", [1, 4, 4, 2], [8, 8], [1, 8, 7, 2]), "TL_ERROR_BAD_SHAPE",
         "output [1, 8, 7, 2] but input [1, 4, 4, 2] resized to [8, 8] is [1, 8, 8, 2]"),
        (_model("ResizeNearestNeighbor", [1, 4, 4, 2], [0, 8], [1, 1, 8, 2]), "TL_ERROR_BAD_SHAPE",
         "size [0, 8]: each 1 to 65536"),
        (_model("ResizeNearestNeighbor", [1, 4, 4, 2], [2, 2], dtype=np.int8, qs=(q1, q2)),
         "TL_ERROR_BAD_QUANTIZATION", "input and output must share one per-tensor scale and zero point"),
        (_model("ResizeBilinear", [1, 4, 4, 2], [2, 2], dtype=np.int32), "TL_ERROR_UNSUPPORTED_DTYPE",
         "input is int32 (float32 or int8)"),
    ],
)  # fmt: skip
def test_prepare_rejections(pyrt, model: bytes, status: str, message: str) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match=re.escape(message)) as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == status


def test_work(pyrt) -> None:
    def work(op: str, size) -> int:
        i = pyrt.Interpreter(model_content=_model(op, [1, 4, 4, 2], size))
        i.allocate_tensors()
        return i.work

    # 8 x 8 -> 16 x 8 outputs: 64 more pixels of 2 channels
    assert work("ResizeBilinear", [16, 8]) - work("ResizeBilinear", [8, 8]) == 128 * 96 // 16
    assert work("ResizeNearestNeighbor", [16, 8]) - work("ResizeNearestNeighbor", [8, 8]) == 128 * 48 // 16


def _tf1_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 5, 6, 3], name="x")
        outs = [
            tf.image.resize_bilinear(x, [9, 13]),
            tf.image.resize_bilinear(tf.nn.relu(x), [3, 4], align_corners=True),
            tf.image.resize_nearest_neighbor(x, [10, 12], half_pixel_centers=True),
            tf.image.resize_images(x, tf.constant([7, 7]), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR),
        ]
    return g, x, outs


def test_tf_image_resizes_export_and_run_like_the_session(pyrt) -> None:
    rng = np.random.default_rng(31)
    g, x, outs = _tf1_graph()
    xs = rng.uniform(-2, 2, (2, 5, 6, 3)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], outs)
    conv.batch_size = 2
    data = conv.convert()
    ops = [op.opcode for op in read_model(data).ops]
    assert ops.count("ResizeBilinear") == 2 and ops.count("ResizeNearestNeighbor") == 2
    got = pyrt.Interpreter(model_content=data).run(xs)
    for k, (g_, w) in enumerate(zip(got, want, strict=True)):
        assert g_.shape == w.shape
        if k >= 2:
            assert g_.tobytes() == w.tobytes()  # nearest: TF's and TFLite's index rules agree, a copy
        else:
            assert float(np.abs(g_ - w).max() / np.abs(w).max()) <= 1e-5

    # int8: post-training quantization keeps each resize's input parameters; C = the numpy int8 reference
    samples = [[rng.uniform(-2, 2, (2, 5, 6, 3)).astype(np.float32)] for _ in range(8)]
    q8 = q.quantize_model(data, lambda: iter(samples))
    m = read_model(q8)
    for op in (o for o in m.ops if o.opcode.startswith("Resize")):
        assert m.tensors[op.inputs[0]].quantization == m.tensors[op.outputs[0]].quantization
    assert m.ops[0].opcode == "Quantize"  # float32 in, int8 inside, float32 out
    xq = samples[0][0]
    got8 = pyrt.Interpreter(model_content=q8).run(xq)
    ref8 = ReferenceInterpreter(model_content=q8).run(xq)
    for a, b in zip(got8, ref8, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
