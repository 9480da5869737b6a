"""Split beyond the registry-driven cases (tests/op_cases/split.py): the bytes it moves (NaN payloads, int32
data), the rejections of its prepare with their statuses, the work charged, and ``tf.split`` (a number of
pieces and a list of sizes) exported from a TF1 graph and run on the C runtime against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
import trainer.quantize as q
from trainer.lite import Converter
from trainer.tlm import ModelBuilder, Quantization, read_model


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(x_shape, out_shapes, axis: int, dtype=np.float32, quant=None, out_quant=None) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", dtype, list(x_shape), quantization=quant)
    ys = [
        b.add_tensor(f"y{k}", dtype, list(s), quantization=out_quant if out_quant is not None else quant)
        for k, s in enumerate(out_shapes)
    ]
    b.add_op("Split", [x], ys, axis=axis)
    for y in ys:
        b.mark_output(y)
    return b.finish()


def test_bytes_move_unchanged(pyrt) -> None:
    x = np.array([[np.nan, -0.0, np.inf, 1.5], [-np.inf, 2.0, 3.0, -1.0]], np.float32)
    x.view(np.uint32)[0, 0] = 0x7FC00123  # a NaN payload
    got = pyrt.Interpreter(model_content=_model([2, 4], [[2, 1], [2, 3]], 1)).run(x)
    assert [g.tobytes() for g in got] == [x[:, :1].tobytes(), x[:, 1:].tobytes()]


def test_int32_data(pyrt) -> None:
    x = np.arange(-12, 12, dtype=np.int32).reshape(4, 6) * 100003
    got = pyrt.Interpreter(model_content=_model([4, 6], [[1, 6], [3, 6]], 0, np.int32)).run(x)
    np.testing.assert_array_equal(got[0], x[:1])
    np.testing.assert_array_equal(got[1], x[1:])


@pytest.mark.parametrize(
    "model,status,message",
    [
        (_model([4, 6], [[4, 3], [4, 2]], 1), "TL_ERROR_BAD_SHAPE", "outputs have 5 along axis 1"),
        (_model([4, 6], [[4, 3], [3, 3]], 1), "TL_ERROR_BAD_SHAPE", "cut along axis 1"),
        (_model([4, 6], [[4, 6]], 2), "TL_ERROR_BAD_OPTIONS", "axis 2 is out of range"),
        (_model([4, 6], [[4, 6]], -3), "TL_ERROR_BAD_OPTIONS", "axis -3 is out of range"),
        (_model([4, 6], [[4, 6, 1]], 1), "TL_ERROR_BAD_SHAPE", "cut along axis 1"),
        (
            _model([4, 6], [[4, 3], [4, 3]], 1, np.int8, Quantization(0.1, 0), Quantization(0.2, 0)),
            "TL_ERROR_BAD_QUANTIZATION",
            "scale and zero point",
        ),
    ],
)
def test_prepare_rejections(pyrt, model: bytes, status: str, message: str) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match=message) as e:
        pyrt.Interpreter(model_content=model).allocate_tensors()
    assert e.value.status_name == status
    assert "(Split)" in str(e.value)


def test_seventeen_outputs_are_refused(pyrt) -> None:
    with pytest.raises(pyrt.TensorletRuntimeError, match="outputs") as e:
        pyrt.Interpreter(model_content=_model([17], [[1]] * 17, 0)).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_LIMIT_EXCEEDED"  # the load's cap on outputs of one op (16)


def test_work_is_charged_per_input_element(pyrt) -> None:
    # TL_WORK_PER_OP + input elements x 96 / 16 (+ the plan, the same for both: same tensor count)
    three = pyrt.Interpreter(model_content=_model([64, 48], [[64, 16]] * 3, 1))
    half = pyrt.Interpreter(model_content=_model([32, 48], [[32, 16]] * 3, 1))
    for i in (three, half):
        i.allocate_tensors()
    assert three.work - half.work == 32 * 48 * 96 // 16


def test_tf_split_exports_and_runs_like_the_session(pyrt) -> None:
    g = tf.Graph()
    rng = np.random.default_rng(12)
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4, 10], name="x")
        a, b = tf.split(x, 2, axis=1)
        c, d, e = tf.split(tf.nn.relu(x), [3, 5, -1], axis=-1)
        outs = [a, tf.sigmoid(b), c, d, e]
    xs = rng.standard_normal((2, 4, 10)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run(outs, {x: xs})
    conv = Converter.from_frozen_graph(g, [x], outs)
    conv.batch_size = 2
    data = conv.convert()
    splits = [op for op in read_model(data).ops if op.opcode == "Split"]
    assert [(len(op.outputs), op.options["axis"]) for op in splits] == [(2, 1), (3, 2)]
    got = pyrt.Interpreter(model_content=data).run(xs)
    for g_, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g_, w, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(got[0], want[0])  # a copy: exact


def test_int8_split_keeps_the_input_parameters() -> None:
    rng = np.random.default_rng(5)
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 8])
    ys = [b.add_tensor(f"y{k}", np.float32, [2, 4]) for k in range(2)]
    b.add_op("Split", [x], ys, axis=1)
    for y in ys:
        b.mark_output(y)
    samples = [[rng.uniform(-3, 3, (2, 8)).astype(np.float32)] for _ in range(8)]
    q8 = read_model(q.quantize_model(b.finish(), lambda: iter(samples)))
    split = next(op for op in q8.ops if op.opcode == "Split")
    qx = q8.tensors[split.inputs[0]].quantization
    for o in split.outputs:
        qo = q8.tensors[o].quantization
        assert (list(qo.scale), list(qo.zero_point)) == (list(qx.scale), list(qx.zero_point))
