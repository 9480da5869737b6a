"""``.tlm`` -> ``.tflite`` (trainer.lite.to_tflite): the exported files run on LiteRT's reference kernels with
tensorlet's outputs (float32 within 1e-5 of each output's largest magnitude, int8 byte-identical), and
``.tlm`` -> ``.tflite`` -> ``.tlm`` gives the same bytes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need
from tflite_fixtures import FIXTURES, fixture, random_input

from trainer.lite.tflite import from_tflite, to_tflite
from trainer.quantize import float16_weights, quantize_model
from trainer.tlm import ModelBuilder

pyruntime = pytest.importorskip("pyruntime")


def every_op_model() -> bytes:
    """A float model with every op tensorlet exports, tensors numbered in order of first use."""
    rng = np.random.default_rng(5)
    b = ModelBuilder(description="every op")

    def const(name, *shape):
        return b.add_constant(name, rng.normal(0, 0.5, shape).astype(np.float32))

    def t(name, *shape):
        return b.add_tensor(name, np.float32, list(shape))

    x = b.add_input("x", np.float32, [1, 8, 8, 3])
    c1 = t("conv", 1, 4, 4, 8)
    b.add_op(
        "Conv2D",
        [x, const("w1", 8, 3, 3, 3), const("b1", 8)],
        [c1],
        stride_h=2,
        stride_w=2,
        activation="RELU",
    )
    d1 = t("dw", 1, 4, 4, 16)
    b.add_op("DepthwiseConv2D", [c1, const("w2", 1, 3, 3, 16)], [d1], depth_multiplier=2, dilation_h=2,
             dilation_w=2, activation="RELU6")  # fmt: skip
    p1 = t("maxpool", 1, 2, 2, 16)
    b.add_op("MaxPool2D", [d1], [p1], filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    p2 = t("avgpool", 1, 2, 2, 16)
    b.add_op("AveragePool2D", [d1], [p2], padding="SAME", filter_h=3, filter_w=3, stride_h=2, stride_w=2)
    a = t("add", 1, 2, 2, 16)
    b.add_op("Add", [p1, p2], [a], activation="NONE")
    s = t("sub", 1, 2, 2, 16)
    b.add_op("Sub", [p1, p2], [s], activation="RELU")
    m = t("mul", 1, 2, 2, 16)
    b.add_op("Mul", [a, s], [m], activation="NONE")
    mx = t("max", 1, 2, 2, 16)
    b.add_op("Maximum", [a, m], [mx])
    sg, th, r, r6 = (
        t("sigmoid", 1, 2, 2, 16),
        t("tanh", 1, 2, 2, 16),
        t("relu", 1, 2, 2, 16),
        t("relu6", 1, 2, 2, 16),
    )
    b.add_op("Sigmoid", [mx], [sg])
    b.add_op("Tanh", [m], [th])
    b.add_op("Relu", [s], [r])
    b.add_op("Relu6", [a], [r6])
    cat = t("concat", 1, 2, 2, 64)
    b.add_op("Concatenation", [sg, th, r, r6], [cat], axis=3)
    pad = t("pad", 1, 3, 2, 64)
    b.add_op("Pad", [cat], [pad], paddings=[0, 0, 1, 0, 0, 0, 0, 0])
    tr = t("transpose", 1, 2, 3, 64)
    b.add_op("Transpose", [pad], [tr], perm=[0, 2, 1, 3])
    mean = t("mean", 1, 64)
    b.add_op("Mean", [tr], [mean], axes=[1, 2])
    flat = t("flat", 1, 384)
    b.add_op("Reshape", [tr], [flat], new_shape=[1, 384])
    logits = t("logits", 1, 10)
    b.add_op("FullyConnected", [flat, const("wfc", 10, 384), const("bfc", 10)], [logits])
    probs = t("probs", 1, 10)
    b.add_op("Softmax", [logits], [probs], beta=1.0)
    b.mark_output(probs)
    b.mark_output(mean)
    b.add_metadata("labels", "0,1,2,3,4,5,6,7,8,9")
    return b.finish()


def _dataset():
    rng = np.random.default_rng(3)
    return ([rng.uniform(-2, 2, (1, 8, 8, 3)).astype(np.float32)] for _ in range(32))


MODELS = {
    "float32": every_op_model,
    "float16": lambda: float16_weights(every_op_model()),
    "int8": lambda: quantize_model(every_op_model(), _dataset),
    "int8_io": lambda: quantize_model(every_op_model(), _dataset, inference_input_type="int8",
                                      inference_output_type="int8"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_is_byte_identical(name):
    tlm = MODELS[name]()
    assert from_tflite(to_tflite(tlm)) == tlm


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.tflite")))
def test_imported_fixtures_round_trip(name):
    tlm = from_tflite(fixture(name))
    assert from_tflite(to_tflite(tlm)) == tlm


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_models_run_on_litert_with_our_outputs(name):
    try:
        from ai_edge_litert import interpreter as lr
    except ImportError:
        lr = None
    need(lr is not None, "ai-edge-litert (LiteRT) is not installed (pip install ai-edge-litert)")
    tlm = MODELS[name]()
    ref = lr.Interpreter(
        model_content=to_tflite(tlm), experimental_op_resolver_type=lr.OpResolverType.BUILTIN_REF
    )
    ref.allocate_tensors()
    ours = pyruntime.Interpreter(model_content=tlm)
    rng = np.random.default_rng(0)
    for _ in range(100):
        xs = [random_input(d, rng) for d in ref.get_input_details()]
        for d, x in zip(ref.get_input_details(), xs, strict=True):
            ref.set_tensor(d["index"], x)
        ref.invoke()
        for d, b in zip(ref.get_output_details(), ours.run(*xs), strict=True):
            a = ref.get_tensor(d["index"])
            assert a.dtype == b.dtype and a.shape == b.shape
            if "int8" in name:
                np.testing.assert_array_equal(a, b)
            else:
                assert float(np.abs(a - b).max()) <= 1e-5 * max(1.0, float(np.abs(a).max()))


def test_cli_export_tflite_then_import(tmp_path):
    from trainer.cli import main

    tlm = MODELS["int8"]()
    (tmp_path / "m.tlm").write_bytes(tlm)
    assert main(["export-tflite", str(tmp_path / "m.tlm"), str(tmp_path / "m.tflite")]) == 0
    assert (tmp_path / "m.tflite").read_bytes()[4:8] == b"TFL3"
    assert main(["import-tflite", str(tmp_path / "m.tflite"), str(tmp_path / "back.tlm")]) == 0
    assert (tmp_path / "back.tlm").read_bytes() == tlm
