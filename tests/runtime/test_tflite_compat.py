"""pyruntime as a drop-in for tflite_runtime: a script written for ``tflite_runtime`` runs unchanged but for
its import line, and the detail dicts have LiteRT's keys and value types.

The script (tflite_style/label_image.py) classifies MNIST images one at a time through ``tensor()``, then as
one batch after ``resize_tensor_input``, reads an intermediate tensor (``experimental_preserve_all_tensors``)
and runs the signature runner; its numbers are checked against the trainer's session. LiteRT itself cannot
run our models (there is no .tlm -> .tflite converter), so the comparison with it is of the details' keys and
types, on a small TensorFlow-converted model (tests/fixtures/tflite/details_model.tflite, written by
scripts/make_details_fixture.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import need
from export_models import mnist, trained
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter, Optimize

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "tflite_style" / "label_image.py"
FIXTURE = ROOT / "tests" / "fixtures" / "tflite" / "details_model.tflite"
TFLITE_IMPORT = "from tflite_runtime.interpreter import Interpreter\n"


@pytest.fixture(scope="module")
def pyrt() -> Any:
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _run_script(tmp_path: Path, model: bytes, images: np.ndarray, intermediate: str) -> dict[str, Any]:
    text = SCRIPT.read_text()
    assert text.count(TFLITE_IMPORT) == 1
    script = tmp_path / "label_image.py"
    script.write_text(text.replace(TFLITE_IMPORT, "from pyruntime import Interpreter\n"))
    (tmp_path / "model.tlm").write_bytes(model)
    np.save(tmp_path / "images.npy", images)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["-m", "model.tlm", "-i", "images.npy", "-o", "out.json", "--intermediate", intermediate]
    result = subprocess.run(
        [sys.executable, str(script), *args, "--num_threads", "-1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "6 images in" in result.stdout
    return json.loads((tmp_path / "out.json").read_text())


def test_tflite_script_runs_unchanged_on_a_float_model(pyrt, tmp_path: Path) -> None:
    m = trained("cnn")
    model = Converter.from_session(m.sess, [m.x], [m.logits]).convert()  # batch 1
    xs = mnist()[2][:6]
    out = _run_script(tmp_path, model, xs, "dense/Relu")
    want = m.predict(xs)
    hidden = m.sess.run(m.graph.get_tensor_by_name("dense/Relu:0"), {m.x: m.images(xs)})
    assert out["batch_shape"] == [6, 10] and out["tensors"] == 16
    np.testing.assert_allclose(out["batch"], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["single"], out["batch"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["runner"], out["batch"], rtol=0, atol=0)
    np.testing.assert_allclose(out["intermediate"], hidden, rtol=1e-4, atol=1e-4)
    assert [k[0] for k in out["top_k"]] == want.argmax(1).tolist()


def test_tflite_script_runs_unchanged_on_an_int8_model(pyrt, tmp_path: Path) -> None:
    m = trained("mlp")
    xs = mnist()[2][:6]
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([m.images(mnist()[0][i : i + 1])] for i in range(32))
    conv.inference_input_type = conv.inference_output_type = tf.int8
    model = conv.convert()
    out = _run_script(tmp_path, model, xs, "dense_1/Relu")
    want = m.predict(xs)
    assert out["batch_shape"] == [6, 10]
    np.testing.assert_allclose(out["single"], out["batch"], rtol=0, atol=0)  # int8: bit-exact per row
    np.testing.assert_allclose(out["runner"], out["batch"], rtol=0, atol=0)
    assert np.abs(np.array(out["batch"]) - want).max() < 0.1 * np.abs(want).max()  # int8 against float
    assert np.array(out["intermediate"]).shape == (6, 32)
    assert [k[0] for k in out["top_k"]] == want.argmax(1).tolist()


# ---- the details against LiteRT's ----


def _shape_of(value: Any) -> Any:
    """The structure of a detail value: dict keys and value kinds, array dtypes, tuple element types."""
    if isinstance(value, dict):
        return {k: _shape_of(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str)
    if isinstance(value, tuple):
        return ("tuple", tuple(type(v).__name__ for v in value))
    if isinstance(value, list):
        return ("list", sorted({type(v).__name__ for v in value}))
    if isinstance(value, type):
        return ("type", issubclass(value, np.generic))
    return type(value).__name__


def _quantized_detail(details: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in details if len(d["quantization_parameters"]["scales"]) > 1)


def test_detail_dicts_have_litert_keys_and_types(pyrt) -> None:
    need(importlib.util.find_spec("ai_edge_litert") is not None, "ai-edge-litert (LiteRT) is not installed")
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    ref = LiteRT(model_path=str(FIXTURE))
    ref.allocate_tensors()
    m = trained("mlp")
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([m.images(mnist()[0][i : i + 1])] for i in range(8))
    ours = pyrt.Interpreter(model_content=conv.convert())  # float32 input and output, int8 inside
    ours.allocate_tensors()

    for method in ("get_input_details", "get_output_details"):
        assert _shape_of(getattr(ours, method)()[0]) == _shape_of(getattr(ref, method)()[0]), method
    ref_all, ours_all = ref.get_tensor_details(), ours.get_tensor_details()
    assert [d["index"] for d in ours_all] == list(range(len(ours_all)))
    assert _shape_of(ours_all[0]) == _shape_of(ref_all[0])  # the float input
    assert _shape_of(_quantized_detail(ours_all)) == _shape_of(_quantized_detail(ref_all))  # per-channel

    ref_sig, ours_sig = ref.get_signature_list(), ours.get_signature_list()
    assert list(ours_sig) == list(ref_sig) == ["serving_default"]
    assert _shape_of(ours_sig) == _shape_of(ref_sig)
    ref_runner, ours_runner = ref.get_signature_runner(), ours.get_signature_runner()
    ref_in = next(iter(ref_runner.get_input_details().values()))
    assert _shape_of(next(iter(ours_runner.get_input_details().values()))) == _shape_of(ref_in)
    # both runners take a batch the model was not made for, and give one row per image
    x = m.images(mnist()[2][:3])
    (name_in,), (name_out,) = ours_sig["serving_default"]["inputs"], ours_sig["serving_default"]["outputs"]
    assert ours_runner(**{name_in: x})[name_out].shape == (3, 10)
    ref_x = np.zeros((3, 8), np.float32)
    assert ref_runner(x=ref_x)["output_0"].shape == (3, 3)
