"""Export of a quantization-aware-trained graph (tf.contrib.quantize): the Converter takes the activation
ranges learned in training from the fake-quant nodes instead of calibrating those tensors, the int8 weights
are exactly the trained (fake-quantized, batch-norm-folded) weights, and pyruntime's int8 outputs equal the
numpy reference of the runtime's integer arithmetic byte for byte."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.contrib import quantize as cq
from trainer.lite import Converter, Optimize
from trainer.ops.fake_quant_ops import nudge
from trainer.quant.ptq import choose_params, quantize_model
from trainer.quantize import reference_run
from trainer.tlm import read_model

sys.path.append(str(Path(__file__).resolve().parents[1] / "trainer"))
from test_contrib_quantize import X, Y, tiny_model  # noqa: E402

CALIB = [[X[i : i + 1]] for i in range(len(X))]
LAYERS = ("Relu", "Relu_1", "dense/BiasAdd")  # the fake-quantized tensors (their model tensors' names)


def _convert(sess: Any, x: Any, out: Any, int8: bool) -> bytes:
    conv = Converter.from_session(sess, [x], [out])
    if int8:
        conv.optimizations = [Optimize.DEFAULT]
        conv.representative_dataset = CALIB
        conv.inference_input_type = conv.inference_output_type = tf.int8
    return conv.convert()


@pytest.fixture(scope="module")
def qat() -> dict[str, Any]:
    """A few QAT steps, then the eval graph with the trained variables: float and int8 models, the ranges."""
    with tf.Graph().as_default():
        x, y, training, _, loss = tiny_model()
        cq.create_training_graph()
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.AdamOptimizer(1e-2).minimize(loss)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        for k in range(4):
            sess.run(train, {x: X[k % 2 :: 2], y: Y[k % 2 :: 2], training: True})
        values = {v.op.name: sess.run(v) for v in tf.global_variables() if "Adam" not in v.op.name}
    with tf.Graph().as_default():
        x, _, _, logits, _ = tiny_model()
        cq.create_eval_graph()
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        for v in tf.global_variables():
            v.load(values[v.op.name], sess)
        out = cq.quantized_tensor(logits)
        return {
            "values": values,
            "float": _convert(sess, x, out, False),
            "int8": _convert(sess, x, out, True),
            "trainer_out": sess.run(out, {x: X}),
        }


def _tensor(model: bytes, name: str) -> Any:
    (t,) = [t for t in read_model(model).tensors if t.name in (name, f"{name}_int8")]
    return t


def test_int8_activations_take_the_learned_ranges(qat: dict[str, Any]) -> None:
    calibrated = quantize_model(
        qat["float"], CALIB, inference_input_type="int8", inference_output_type="int8"
    )
    differs = 0
    for name in LAYERS:
        lo, hi = qat["values"][f"{name}/act_quant/min"], qat["values"][f"{name}/act_quant/max"]
        nmin, nmax, _, _ = nudge(np, lo, hi, 8, False)
        want = choose_params(float(nmin), float(nmax))
        q = _tensor(qat["int8"], name).quantization
        assert (q.scale[0], q.zero_point[0]) == pytest.approx(want, rel=1e-6), name
        c = _tensor(calibrated, name).quantization
        differs += (c.scale[0], c.zero_point[0]) != pytest.approx(want, rel=1e-6)
    assert differs, "calibration alone gave the learned ranges: the test cannot tell them apart"
    # the trainer's view (fake quant on) and the int8 model agree on most predictions
    from pyruntime import Interpreter

    ensure_pyruntime()
    interp = Interpreter(model_content=qat["int8"])
    s_in, z_in = (
        _tensor(qat["int8"], "x").quantization.scale[0],
        _tensor(qat["int8"], "x").quantization.zero_point[0],
    )
    q_out = _tensor(qat["int8"], "dense/BiasAdd").quantization
    got = []
    for i in range(len(X)):
        xq = np.clip(np.round(X[i : i + 1] / s_in) + z_in, -128, 127).astype(np.int8)
        got.append((interp.run(xq)[0][0].astype(np.float32) - q_out.zero_point[0]) * q_out.scale[0])
    assert np.abs(np.stack(got) - qat["trainer_out"]).max() < 0.1


def test_int8_weights_are_the_trained_grid(qat: dict[str, Any]) -> None:
    """Per-channel symmetric fake quant before batch-norm folding = per-channel int8 after it: the exported
    int8 weights times their scales give back the frozen float weights."""
    for name in ("Relu/weights", "Relu_1/weights", "dense/BiasAdd/weights"):
        w = _tensor(qat["float"], name).data.astype(np.float64)
        t = _tensor(qat["int8"], name)
        axis = t.quantization.axis
        shape = [1] * w.ndim
        shape[axis] = -1
        deq = t.data.astype(np.float64) * np.asarray(t.quantization.scale).reshape(shape)
        assert np.abs(deq - w).max() <= 1e-5 * np.abs(w).max(), name


def test_pyruntime_int8_equals_reference_bytes(qat: dict[str, Any]) -> None:
    from pyruntime import Interpreter

    ensure_pyruntime()
    interp = Interpreter(model_content=qat["int8"])
    rng = np.random.default_rng(0)
    for _ in range(4):
        xq = rng.integers(-128, 128, (1, 6, 6, 1)).astype(np.int8)
        got = interp.run(xq)[0]
        want = reference_run(qat["int8"], xq)[0]
        assert got.dtype == np.int8 and np.array_equal(got, want)


def test_missing_ranges_need_a_representative_dataset(qat: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="needs a representative_dataset: no range for 1 tensors \\(x\\)"):
        quantize_model(qat["float"], None, ranges={n: (-1.0, 1.0) for n in LAYERS})
    with pytest.raises(ValueError, match="does not have"):
        quantize_model(qat["float"], CALIB, ranges={"nope": (0.0, 1.0)})


def test_ranges_alone_quantize_without_data(qat: dict[str, Any]) -> None:
    ranges = {n: (-1.0, 2.0) for n in LAYERS} | {"x": (-3.0, 3.0)}
    model = quantize_model(
        qat["float"], None, ranges=ranges, inference_input_type="int8", inference_output_type="int8"
    )
    for name, (lo, hi) in ranges.items():
        q = _tensor(model, name).quantization
        assert (q.scale[0], q.zero_point[0]) == pytest.approx(choose_params(lo, hi), rel=1e-6), name
