"""Post-training quantization options of trainer.quant.ptq: bias correction (the mean error of the int8
weights, against a hand-written oracle, and that it removes the per-channel output bias of a small model) and
MSE-optimal activation ranges (against min/max on data with an outlier), both bit-exact between pyruntime and
the numpy reference and reachable through the Converter."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter, Optimize
from trainer.quant import ptq
from trainer.quantize import reference_run
from trainer.tlm import ModelBuilder, read_model

SHAPE = (1, 6, 6, 3)


@functools.cache
def _model() -> bytes:
    """DepthwiseConv2D 3x3 (bias, ReLU) -> Conv2D 1x1 to 4 channels (bias) -> Reshape -> FullyConnected to 5.
    Every channel's weights have one large tap, so the others are coarsely quantized (a sizable weight
    error, as in a depthwise layer of 9 weights per channel)."""
    rng = np.random.default_rng(11)
    dw = rng.normal(0, 0.3, (1, 3, 3, 3)).astype(np.float32)
    dw[0, 1, 1, :] = 3.0
    pw = rng.normal(0, 0.3, (4, 1, 1, 3)).astype(np.float32)
    pw[:, 0, 0, 0] = 2.5
    fc = rng.normal(0, 0.2, (5, 144)).astype(np.float32)
    fc[:, 0] = 2.0
    b = ModelBuilder()
    x = b.add_input("x", np.float32, list(SHAPE))
    h1 = b.add_tensor("h1", np.float32, [1, 6, 6, 3])
    b.add_op(
        "DepthwiseConv2D",
        [x, b.add_constant("dw", dw), b.add_constant("dw_b", np.array([0.1, -0.2, 0.05], np.float32))],
        [h1],
        padding="SAME",
        depth_multiplier=1,
        activation="RELU",
    )
    h2 = b.add_tensor("h2", np.float32, [1, 6, 6, 4])
    b.add_op(
        "Conv2D",
        [h1, b.add_constant("pw", pw), b.add_constant("pw_b", np.zeros(4, np.float32))],
        [h2],
        padding="VALID",
    )
    flat = b.add_tensor("flat", np.float32, [1, 144])
    b.add_op("Reshape", [h2], [flat], new_shape=[1, 144])
    y = b.add_tensor("y", np.float32, [1, 5])
    b.add_op(
        "FullyConnected",
        [flat, b.add_constant("fc", fc), b.add_constant("fc_b", np.zeros(5, np.float32))],
        [y],
    )
    b.mark_output(y)
    return b.finish()


def _samples(n: int, seed: int) -> list[np.ndarray]:
    """Inputs with a nonzero mean: the weight error then shifts every output channel."""
    rng = np.random.default_rng(seed)
    return [(1.0 + 0.4 * rng.standard_normal(SHAPE)).astype(np.float32) for _ in range(n)]


@pytest.fixture(scope="module")
def runtime() -> None:
    ensure_pyruntime()


def _int8_outputs(model: bytes, xs: list[np.ndarray]) -> np.ndarray:
    """Dequantized float-I/O int8 outputs, from pyruntime, each equal byte for byte to the numpy reference."""
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model)
    outs = []
    for x in xs:
        got = interp.run(x)[0]
        assert got.tobytes() == reference_run(model, x)[0].tobytes()
        outs.append(got[0])
    return np.array(outs, np.float64)


def test_weight_error_bias_matches_the_mean_error_of_the_int8_weights() -> None:
    rng = np.random.default_rng(2)
    w = rng.normal(0, 1, (3, 8)).astype(np.float32)
    qw, scales = ptq.quantize_weights(w, 0)
    xs = rng.normal(0.5, 1, (50, 1, 8))
    info = read_model(_model())
    fc_op = next(op for op in info.ops if op.opcode == "FullyConnected")
    got = ptq.weight_error_bias(fc_op, xs.mean(0), w, qw, scales, (1, 3))
    dw = qw.astype(np.float64) * scales[:, None].astype(np.float64) - w  # the oracle: mean of (W_q - W) x
    want = np.mean([x[0] @ dw.T for x in xs], axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.abs(got).max() > 1e-4  # a real correction, not zero


def test_bias_correction_removes_the_mean_output_error(runtime) -> None:
    model, calib, held_out = _model(), _samples(40, 1), _samples(40, 2)
    want = np.array([reference_run(model, x)[0][0] for x in held_out], np.float64)
    errors = {}
    for corrected in (False, True):
        q8 = ptq.quantize_model(model, [[x] for x in calib], bias_correction=corrected)
        err = _int8_outputs(q8, held_out) - want
        errors[corrected] = (np.abs(err.mean(axis=0)).mean(), np.mean(err**2))
    (bias0, mse0), (bias1, mse1) = errors[False], errors[True]
    assert bias1 < 0.5 * bias0  # the per-channel mean error, what it corrects, at least halves
    assert mse1 < mse0  # and the output error with it
    q8 = read_model(ptq.quantize_model(model, [[x] for x in calib], bias_correction=True))
    assert len(q8.tensors) == len(read_model(ptq.quantize_model(model, [[x] for x in calib])).tensors)


def test_bias_correction_gives_shared_biases_their_own_copies(runtime) -> None:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [1, 4])
    zero = b.add_constant("zero", np.zeros(4, np.float32))  # one bias tensor read by both layers
    w1 = np.array([[3, 0.4, -0.3, 0.2], [0.1, 3, 0.3, -0.2], [0.2, 0.1, 3, 0.3], [-0.3, 0.2, 0.1, 3]])
    h = b.add_tensor("h", np.float32, [1, 4])
    b.add_op("FullyConnected", [x, b.add_constant("w1", w1.astype(np.float32)), zero], [h], activation="RELU")
    y = b.add_tensor("y", np.float32, [1, 4])
    b.add_op("FullyConnected", [h, b.add_constant("w2", (w1.T * 0.7).astype(np.float32)), zero], [y])
    b.mark_output(y)
    model = b.finish()
    rng = np.random.default_rng(4)
    calib = [[(1 + 0.3 * rng.standard_normal((1, 4))).astype(np.float32)] for _ in range(20)]
    q8 = ptq.quantize_model(model, calib, bias_correction=True)
    info = read_model(q8)
    biases = [op.inputs[2] for op in info.ops if op.opcode == "FullyConnected"]
    assert biases[0] != biases[1]
    _int8_outputs(q8, [c[0] for c in calib[:3]])


def test_a_bias_shared_by_layers_of_different_input_scales_gets_a_copy_per_scale(runtime) -> None:
    """One bias tensor read by two FullyConnected ops whose inputs have scales 20x apart (a layer applied
    twice, or an imported model's shared constant): each op's int32 bias has its own input x weight scale, so
    the int8 model loads (it was refused with TL_ERROR_BAD_QUANTIZATION) and follows the float model."""
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [1, 4])
    bias = b.add_constant("b", np.array([1.0, -2.0, 0.5, 3.0], np.float32))
    h = b.add_tensor("h", np.float32, [1, 4])
    b.add_op(
        "FullyConnected",
        [x, b.add_constant("w1", (10 * rng.normal(0, 1, (4, 4))).astype(np.float32)), bias],
        [h],
    )
    y = b.add_tensor("y", np.float32, [1, 4])
    b.add_op(
        "FullyConnected", [h, b.add_constant("w2", rng.normal(0, 0.3, (4, 4)).astype(np.float32)), bias], [y]
    )
    b.mark_output(y)
    model = b.finish()
    calib = [[rng.uniform(-1, 1, (1, 4)).astype(np.float32)] for _ in range(50)]
    info = read_model(ptq.quantize_model(model, calib))
    fcs = [op for op in info.ops if op.opcode == "FullyConnected"]
    assert fcs[0].inputs[2] != fcs[1].inputs[2]
    for op in fcs:  # each bias scale = that op's input scale x weight scale
        want = np.float32(info.tensors[op.inputs[0]].quantization.scale[0]) * np.asarray(
            info.tensors[op.inputs[1]].quantization.scale, np.float32
        )
        np.testing.assert_allclose(info.tensors[op.inputs[2]].quantization.scale, want, rtol=1e-6)
    xs = [c[0] for c in calib[:10]]
    got = _int8_outputs(ptq.quantize_model(model, calib), xs)
    want = np.array([reference_run(model, xi)[0][0] for xi in xs], np.float64)
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()
    same = ModelBuilder()  # ops whose bias comes out the same keep sharing one tensor
    x = same.add_input("x", np.float32, [1, 4])
    bias = same.add_constant("b", np.zeros(4, np.float32))
    w = same.add_constant("w", np.eye(4, dtype=np.float32))
    h = same.add_tensor("h", np.float32, [1, 4])
    same.add_op("FullyConnected", [x, w, bias], [h])
    y = same.add_tensor("y", np.float32, [1, 4])
    same.add_op("FullyConnected", [x, w, bias], [y])
    same.mark_output(h)
    same.mark_output(y)
    info = read_model(ptq.quantize_model(same.finish(), calib))
    assert len({op.inputs[2] for op in info.ops if op.opcode == "FullyConnected"}) == 1


def test_mse_range_is_the_least_error_range_of_its_candidates() -> None:
    rng = np.random.default_rng(0)
    v = rng.laplace(0, 1, 20000)  # a long tail, as activations have: clipping a little pays
    lo, hi = ptq.mse_range(v, float(v.min()), float(v.max()))
    errors = {}  # the oracle: every candidate (a min, a max), a = k / 100, quantized as the runtime does
    for k in range(1, 101):
        s, z = ptq.choose_params(k / 100 * v.min(), k / 100 * v.max())
        q = np.clip(np.floor(np.abs(v / s) + 0.5) * np.sign(v) + z, -128, 127)
        errors[k] = np.mean((v - (q - z) * s) ** 2)
    best = min(errors, key=lambda k: (errors[k], -k))
    assert (lo, hi) == pytest.approx((best / 100 * v.min(), best / 100 * v.max()))
    assert best < 100 and ptq.quantization_mse(v, lo, hi) < errors[100]
    u = rng.uniform(0, 1, 20000)  # nothing to clip: the range stays (nearly) the min/max
    assert ptq.mse_range(u, 0.0, float(u.max()))[1] >= 0.97 * u.max()


def test_mse_calibration_narrows_activations_and_keeps_the_output_range(runtime) -> None:
    model, rng = _model(), np.random.default_rng(8)
    calib = [rng.laplace(1.0, 0.4, SHAPE).astype(np.float32) for _ in range(30)]  # long-tailed inputs
    minmax = ptq.calibrate(model, [[x] for x in calib])
    mse = ptq.calibrate(model, [[x] for x in calib], calibration="mse")
    info = read_model(model)
    (y,) = info.outputs
    assert mse[y] == minmax[y]
    inner = [i for i in minmax if i != y]
    assert all(mse[i][1] <= minmax[i][1] and mse[i][0] >= minmax[i][0] for i in inner)
    assert any(mse[i][1] < minmax[i][1] for i in inner)
    q8 = ptq.quantize_model(model, [[x] for x in calib], calibration="mse", bias_correction=True)
    out = _int8_outputs(q8, _samples(5, 3))
    want = np.array([reference_run(model, x)[0][0] for x in _samples(5, 3)])
    assert np.abs(out - want).max() < 0.1 * np.abs(want).max()


def test_option_errors() -> None:
    model, calib = _model(), [[x] for x in _samples(3, 1)]
    with pytest.raises(ValueError, match="calibration must be one of minmax, mse"):
        ptq.quantize_model(model, calib, calibration="kl")
    with pytest.raises(ValueError, match="no percentile"):
        ptq.calibrate(model, calib, percentile=99.0, calibration="mse")
    with pytest.raises(ValueError, match="bias_correction needs a representative_dataset"):
        ptq.quantize_model(model, None, bias_correction=True, ranges={})


def test_converter_options_reach_quantize_model() -> None:
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        y = tf.layers.Dense(3)(tf.nn.relu(tf.layers.Dense(8)(x)))
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(5)
    data = [rng.normal(0.5, 1, (1, 6)).astype(np.float32) for _ in range(20)]
    float_model = Converter.from_session(sess, [x], [y]).convert()
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([d] for d in data)
    conv.calibration, conv.bias_correction = "mse", True
    want = ptq.quantize_model(float_model, [[d] for d in data], calibration="mse", bias_correction=True)
    assert conv.convert() == want
    assert want != ptq.quantize_model(float_model, [[d] for d in data])
