"""Whole-model int8: post-training quantization of the exported MLP, CNN and MobileNet-style models
(trainer.quantize via the Converter options), bit-exact between the numpy interpreter
(trainer.quantize.reference_run) and the C runtime on x86_64 (pyruntime) and on aarch64 / armhf (tl_run under
qemu), close to the float model, smaller, and described layer by layer by compare_models.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import op_cases
import pytest
from cbuild import build, run_tool
from export_models import mnist, trained
from runtime_op_cases import ensure_pyruntime

import trainer as tf
import trainer.quantize as q
from trainer.lite import Converter, Optimize
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import OPCODES

BATCH = 4
MODELS = ["mlp", "cnn", "mobilenet"]


def _rep(name: str, n: int = 25):
    m = trained(name)
    _, _, xte, _ = mnist()

    def gen():
        for i in range(n):
            yield [m.images(xte[1000 + BATCH * i : 1000 + BATCH * (i + 1)])]

    return gen


@functools.cache
def models(name: str, io: str = "float32") -> tuple[bytes, bytes]:
    """(float model, int8 model) with batch BATCH; ``io`` is the int8 model's inference input/output type."""
    m = trained(name)
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.batch_size = BATCH
    float_model = conv.convert()
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = _rep(name)
    conv.inference_input_type = conv.inference_output_type = tf.int8 if io == "int8" else tf.float32
    return float_model, conv.convert()


def _batches(name: str, n: int) -> list[np.ndarray]:
    m = trained(name)
    _, _, xte, _ = mnist()
    return [m.images(xte[BATCH * i : BATCH * (i + 1)]) for i in range(n)]


@pytest.fixture(scope="module")
def runtime() -> None:
    ensure_pyruntime()


@pytest.mark.parametrize("name", MODELS)
def test_int8_model_structure(name: str) -> None:
    float_model, int8_model = models(name)
    info = read_model(int8_model)
    codes = [op.opcode for op in info.ops]
    assert codes[0] == "Quantize" and codes[-1] == "Dequantize"
    for op in info.ops[1:-1]:
        x = info.tensors[op.inputs[0]]
        assert x.dtype == np.int8 and x.quantization is not None, (op.opcode, x.name)
        if op.opcode in ("FullyConnected", "Conv2D", "DepthwiseConv2D"):
            w = info.tensors[op.inputs[1]]
            assert (
                w.dtype == np.int8 and len(w.quantization.scale) == w.shape[3 if op.opcode[0] == "D" else 0]
            )
            assert set(w.quantization.zero_point) == {0} and int(np.abs(w.data.astype(int)).max()) <= 127
            if len(op.inputs) == 3:
                assert info.tensors[op.inputs[2]].dtype == np.int32
    fi = read_model(float_model)
    assert [t.name for t in (fi.tensors[i] for i in fi.inputs)] == [info.tensors[i].name for i in info.inputs]
    assert [t.name for t in (fi.tensors[i] for i in fi.outputs)] == [
        info.tensors[i].name for i in info.outputs
    ]


@pytest.mark.parametrize("name", MODELS)
def test_int8_model_bit_exact_and_close_to_float(runtime, name: str) -> None:
    import pyruntime

    float_model, int8_model = models(name)
    fi = pyruntime.Interpreter(model_content=float_model)
    qi = pyruntime.Interpreter(model_content=int8_model)
    agree, total = 0, 0
    for x in _batches(name, 25):
        got = qi.run(x)[0]
        want = q.reference_run(int8_model, x)[0]
        assert got.dtype == want.dtype == np.float32 and got.tobytes() == want.tobytes()
        ref = fi.run(x)[0]
        agree += int(np.sum(ref.argmax(-1) == got.argmax(-1)))
        total += len(x)
    assert agree / total >= 0.94, f"{name}: int8 top-1 agrees with float on {agree}/{total}"


def test_int8_io_model_matches_the_float_io_one(runtime) -> None:
    import pyruntime

    _, qf = models("cnn", "float32")
    _, q8 = models("cnn", "int8")
    info = read_model(q8)
    xin, yout = info.tensors[info.inputs[0]], info.tensors[info.outputs[0]]
    assert xin.dtype == np.int8 and yout.dtype == np.int8
    s_in, z_in = xin.quantization.scale[0], xin.quantization.zero_point[0]
    s_out, z_out = yout.quantization.scale[0], yout.quantization.zero_point[0]
    interp = pyruntime.Interpreter(model_content=q8)
    for x in _batches("cnn", 3):
        y8 = interp.run(q.quantize(x, s_in, z_in))[0]
        assert y8.tobytes() == q.reference_run(q8, q.quantize(x, s_in, z_in))[0].tobytes()
        np.testing.assert_array_equal(q.dequantize(y8, s_out, z_out), q.reference_run(qf, x)[0])


def test_int8_models_are_smaller() -> None:
    float_model, int8_model = models("mlp")
    assert len(float_model) / len(int8_model) >= 3.5
    float_model, int8_model = models("cnn")
    assert len(float_model) / len(int8_model) >= 3.0  # small model: per-channel parameters weigh more


@pytest.mark.parametrize("variant", ["aarch64", "armhf"])
def test_int8_models_bit_exact_under_qemu(variant: str, tmp_path: Path) -> None:
    build(variant, targets=("tl_run",))
    for name in MODELS:
        _, int8_model = models(name)
        path = tmp_path / f"{name}.tlm"
        path.write_bytes(int8_model)
        for k, x in enumerate(_batches(name, 3)):
            np.save(tmp_path / f"{name}{k}.npy", x)
            out = tmp_path / f"{name}{k}.out.npy"
            result = run_tool(
                variant,
                "tl_run",
                [str(path), "--input", f"0={tmp_path / f'{name}{k}.npy'}", "--output", f"0={out}"],
            )
            assert result.returncode == 0, result.stderr
            assert np.load(out).tobytes() == q.reference_run(int8_model, x)[0].tobytes(), (variant, name, k)
    every = _every_op_int8()
    path = tmp_path / "every.tlm"
    path.write_bytes(every)
    rng = np.random.default_rng(13)
    inputs = [rng.standard_normal((1, 6, 6, 2)).astype(np.float32) for _ in range(2)]
    args = [str(path)]
    for i, x in enumerate(inputs):
        np.save(tmp_path / f"every_in{i}.npy", x)
        args += ["--input", f"{i}={tmp_path / f'every_in{i}.npy'}"]
    want = q.reference_run(every, *inputs)
    for i in range(len(want)):
        args += ["--output", f"{i}={tmp_path / f'every_out{i}.npy'}"]
    result = run_tool(variant, "tl_run", args)
    assert result.returncode == 0, result.stderr
    for i, w in enumerate(want):
        assert np.load(tmp_path / f"every_out{i}.npy").tobytes() == w.tobytes(), (variant, i)


def test_compare_models_reports_every_layer_worst_first(runtime) -> None:
    float_model, int8_model = models("cnn")
    reports = q.compare_models(float_model, int8_model, [[x] for x in _batches("cnn", 6)])
    names = {r.name for r in reports}
    fi = read_model(float_model)
    assert fi.tensors[fi.outputs[0]].name in names
    internal = {t.name for t in fi.tensors if t.data is None and t.index not in fi.inputs}
    assert internal <= names
    sq = [r.sqnr_db for r in reports]
    assert sq == sorted(sq)
    logits = next(r for r in reports if r.name == fi.tensors[fi.outputs[0]].name)
    assert logits.sqnr_db > 20 and logits.argmax_agreement >= 0.9 and logits.max_abs_error > 0
    table = q.format_report(reports)
    assert table.splitlines()[1].startswith(reports[0].name[:20])


def _relu_model() -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [2, 3])
    w = b.add_constant("w", np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]], np.float32))
    bias = b.add_constant("b", np.array([0.1, -0.2], np.float32))
    h = b.add_tensor("h", np.float32, [2, 2])
    b.add_op("FullyConnected", [x, w, bias], [h], activation="RELU")
    y = b.add_tensor("y", np.float32, [2, 2])
    b.add_op("Sigmoid", [h], [y])
    b.mark_output(y)
    return b.finish()


def test_calibrate_and_rewrite_a_tiny_model(runtime) -> None:
    import pyruntime

    rng = np.random.default_rng(3)
    data = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(20)]
    model = _relu_model()
    ranges = q.calibrate(model, lambda: ([x] for x in data))
    info = read_model(model)
    h = next(t.index for t in info.tensors if t.name == "h")
    hs = [np.maximum(x @ np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]]).T + [0.1, -0.2], 0) for x in data]
    assert ranges[h][0] == pytest.approx(min(v.min() for v in hs), abs=1e-6)
    assert ranges[h][1] == pytest.approx(max(v.max() for v in hs), abs=1e-6)
    q8 = q.quantize_model(model, lambda: ([x] for x in data))
    qi = read_model(q8)
    y8 = next(t for t in qi.tensors if t.name == "y_int8")
    assert (y8.quantization.scale[0], y8.quantization.zero_point[0]) == (1 / 256, -128)
    h8 = next(t for t in qi.tensors if t.name == "h")
    assert h8.quantization.zero_point[0] == -128  # relu output: range starts at 0
    interp = pyruntime.Interpreter(model_content=q8)
    for x, hv in zip(data[:5], hs[:5], strict=True):
        got = interp.run(x)[0]
        assert got.tobytes() == q.reference_run(q8, x)[0].tobytes()
        assert np.max(np.abs(got - 1 / (1 + np.exp(-hv)))) < 0.02
    narrow = q.calibrate(model, lambda: ([x] for x in data), percentile=90.0)
    assert narrow[h][1] < ranges[h][1]
    with pytest.raises(ValueError, match="float32 model"):
        q.quantize_model(q8, lambda: ([x] for x in data))
    with pytest.raises(ValueError, match="no samples"):
        q.quantize_model(model, lambda: iter(()))


def test_cli_compare(runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.cli import main

    float_model, int8_model = models("mlp")
    (tmp_path / "f.tlm").write_bytes(float_model)
    (tmp_path / "q.tlm").write_bytes(int8_model)
    np.save(tmp_path / "x.npy", np.concatenate(_batches("mlp", 3)))  # a stack of 3 batches
    code = main(
        ["compare", str(tmp_path / "f.tlm"), str(tmp_path / "q.tlm"), "--data", str(tmp_path / "x.npy")]
    )
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines()[0].split()[:3] == ["tensor", "shape", "max|err|"]
    fi = read_model(float_model)
    assert fi.tensors[fi.outputs[0]].name in out
    np.save(tmp_path / "bad.npy", np.zeros((3, 5), np.float32))
    code = main(
        ["compare", str(tmp_path / "f.tlm"), str(tmp_path / "q.tlm"), "--data", str(tmp_path / "bad.npy")]
    )
    assert code == 1 and "expected" in capsys.readouterr().err


def test_float16_weights_mode(runtime) -> None:
    """Half the bytes; outputs identical to the float32 model whose weights went through float16."""
    import pyruntime

    m = trained("cnn")
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.batch_size = BATCH
    float_model = conv.convert()
    conv.optimizations = [Optimize.DEFAULT]
    conv.target_spec.supported_types = [tf.float16]
    half_model = conv.convert()
    info = read_model(half_model)
    halves = [t for t in info.tensors if t.dtype == np.float16]
    assert halves and all(t.data is not None for t in halves)
    assert len(half_model) < 0.6 * len(float_model)
    tensors = [
        dict(
            name=t.name,
            dtype=np.float32 if t.dtype == np.float16 else t.dtype,
            shape=t.shape,
            data=None if t.data is None else t.data.astype(t.dtype if t.dtype != np.float16 else np.float32),
        )
        for t in info.tensors
    ]
    ops = [(op.opcode, op.inputs, op.outputs, op.options) for op in info.ops]
    rounded = q._write_model(info, tensors, ops, list(info.inputs), list(info.outputs))
    hi, ri = pyruntime.Interpreter(model_content=half_model), pyruntime.Interpreter(model_content=rounded)
    fi = pyruntime.Interpreter(model_content=float_model)
    for x in _batches("cnn", 3):
        got = hi.run(x)[0]
        assert got.tobytes() == ri.run(x)[0].tobytes()
        assert np.max(np.abs(got - fi.run(x)[0])) < 1e-2 * np.max(np.abs(got))


def _every_op_model() -> bytes:
    """A float model using every op the rewrite handles (constants as operands included)."""
    rng = np.random.default_rng(11)
    b = ModelBuilder()
    a = b.add_input("a", np.float32, [1, 6, 6, 2])
    c = b.add_input("c", np.float32, [1, 6, 6, 2])
    k = b.add_constant("k", rng.uniform(0.5, 1.5, [2]).astype(np.float32))

    def t(name, shape):
        return b.add_tensor(name, np.float32, shape)

    s, m, d = t("sum", [1, 6, 6, 2]), t("prod", [1, 6, 6, 2]), t("diff", [1, 6, 6, 2])
    b.add_op("Add", [a, c], [s], activation="NONE")
    b.add_op("Mul", [s, k], [m], activation="RELU")
    b.add_op("Sub", [m, c], [d], activation="NONE")
    dw = t("dw", [1, 6, 6, 4])
    b.add_op(
        "DepthwiseConv2D",
        [
            d,
            b.add_constant("dw_w", rng.standard_normal([1, 3, 3, 4]).astype(np.float32)),
            b.add_constant("dw_b", rng.standard_normal(4).astype(np.float32)),
        ],
        [dw],
        padding="SAME",
        depth_multiplier=2,
        activation="RELU6",
    )
    cv = t("conv", [1, 6, 6, 3])
    cw = rng.standard_normal([3, 3, 3, 2]).astype(np.float32)
    b.add_op(
        "Conv2D",
        [d, b.add_constant("cv_w", cw), b.add_constant("cv_b", np.zeros(3, np.float32))],
        [cv],
        padding="SAME",
        activation="NONE",
    )
    cat = t("cat", [1, 6, 6, 9])
    b.add_op("Concatenation", [dw, a, cv], [cat], axis=3, activation="NONE")
    mp, ap = t("maxpool", [1, 3, 3, 9]), t("avgpool", [1, 3, 3, 9])
    b.add_op("MaxPool2D", [cat], [mp], padding="VALID", filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    b.add_op("AveragePool2D", [cat], [ap], padding="VALID", filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    pad, tr = t("pad", [1, 4, 4, 9]), t("transpose", [1, 9, 4, 4])
    b.add_op("Pad", [mp], [pad], paddings=[0, 0, 1, 0, 0, 1, 0, 0])
    b.add_op("Transpose", [pad], [tr], perm=[0, 3, 1, 2])
    th, sg, r6 = t("tanh", [1, 3, 3, 9]), t("sigmoid", [1, 3, 3, 9]), t("relu6", [1, 3, 3, 9])
    b.add_op("Tanh", [ap], [th])
    b.add_op("Sigmoid", [ap], [sg])
    b.add_op("Relu6", [ap], [r6])
    mean, rs = t("mean", [1, 9]), t("flat", [1, 144])
    b.add_op("Mean", [th], [mean], axes=[1, 2], keep_dims=False)
    b.add_op("Reshape", [tr], [rs], new_shape=[1, 144])
    fc, sm = t("fc", [1, 5]), t("softmax", [1, 5])
    b.add_op(
        "FullyConnected",
        [
            rs,
            b.add_constant("fc_w", rng.standard_normal([5, 144]).astype(np.float32)),
            b.add_constant("fc_b", rng.standard_normal(5).astype(np.float32)),
        ],
        [fc],
        activation="NONE",
    )
    b.add_op("Softmax", [fc], [sm], beta=1.0)
    relu = t("relu", [1, 3, 3, 9])
    b.add_op("Relu", [sg], [relu])
    for out in (sm, mean, relu, r6):
        b.mark_output(out)
    return b.finish()


def _every_op_data() -> list[list[np.ndarray]]:
    rng = np.random.default_rng(12)
    return [[rng.standard_normal((1, 6, 6, 2)).astype(np.float32) for _ in range(2)] for _ in range(30)]


@functools.cache
def _every_op_int8() -> bytes:
    data = _every_op_data()
    return q.quantize_model(_every_op_model(), lambda: iter(data))


def test_rewrite_of_every_op_is_bit_exact_and_close(runtime) -> None:
    import pyruntime

    model = _every_op_model()
    data = _every_op_data()
    q8 = _every_op_int8()
    codes = {op.opcode for op in read_model(q8).ops}
    # ops added since this model was written bring their own model (tests/op_cases/<op>.py: quantize_case)
    codes |= {op.opcode for c in op_cases.quantize_cases() for op in read_model(c.model).ops}
    assert codes == set(OPCODES)
    fi, qi = pyruntime.Interpreter(model_content=model), pyruntime.Interpreter(model_content=q8)
    for sample in data[:10]:
        got = qi.run(*sample)
        for g, w in zip(got, q.reference_run(q8, *sample), strict=True):
            assert g.tobytes() == w.tobytes()
        for g, f in zip(got, fi.run(*sample), strict=True):
            assert np.max(np.abs(g - f)) <= 0.1 * max(1.0, float(np.max(np.abs(f))))


@pytest.mark.parametrize("case", op_cases.quantize_cases(), ids=lambda c: c.name)
def test_rewrite_of_each_op_case_is_bit_exact_and_close(runtime, case: op_cases.QuantizeCase) -> None:
    """The per-op models of tests/op_cases/: rewritten to int8 from their samples, the C runtime gives the
    numpy reference's bytes, within a tenth of the float model's range."""
    import pyruntime

    q8 = q.quantize_model(case.model, lambda: iter(case.samples))
    fi, qi = pyruntime.Interpreter(model_content=case.model), pyruntime.Interpreter(model_content=q8)
    for sample in case.samples[:10]:
        got = qi.run(*sample)
        for g, w in zip(got, q.reference_run(q8, *sample), strict=True):
            assert g.tobytes() == w.tobytes()
        for g, f in zip(got, fi.run(*sample), strict=True):
            assert np.max(np.abs(g - f)) <= 0.1 * max(1.0, float(np.max(np.abs(f))))


def test_calibration_ignores_non_finite_samples() -> None:
    model = _relu_model()
    rng = np.random.default_rng(4)
    data = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(5)]
    bad = data + [np.full((2, 3), np.nan, np.float32), np.full((2, 3), np.inf, np.float32)]
    with np.errstate(invalid="ignore", over="ignore"):
        ranges = q.calibrate(model, lambda: ([x] for x in bad))
    assert ranges == q.calibrate(model, lambda: ([x] for x in data))
    assert q.choose_params(0.0, 0.0) == (1.0, -128)
    assert q.choose_params(-1.0, 1.0) == (float(np.float32(2 / 255)), -1)  # -128 + 127.5 rounds away
    assert q.choose_params(0.5, 2.0)[1] == -128  # the range is widened to include 0


def test_cli_run_reference_on_an_int8_model(
    runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trainer.cli import main

    _, int8_model = models("cnn")
    (tmp_path / "q.tlm").write_bytes(int8_model)
    x = _batches("cnn", 1)[0]
    np.save(tmp_path / "x.npy", x)
    outs = {}
    for flag in ([], ["--reference"]):
        out = tmp_path / f"y{len(flag)}.npy"
        code = main(
            ["run", str(tmp_path / "q.tlm"), "--input", str(tmp_path / "x.npy"), "--output", str(out), *flag]
        )
        assert code == 0, capsys.readouterr().err
        outs[len(flag)] = np.load(out)
    assert outs[0].tobytes() == outs[1].tobytes()
