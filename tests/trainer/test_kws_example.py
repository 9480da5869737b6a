"""examples/speech/kws.py, small and fast: three keywords (+ _silence_ and _unknown_) on a subset of the
bundled SYNTHESIZED clips, a narrow DS-CNN, a few epochs. It must learn well above chance (20%), and its int8
export run on pyruntime (features from the fixed-point front-end's numpy twin) must give the same bytes as the
numpy reference of the runtime's integer arithmetic (trainer.quantize.reference_run); so must the int8 model
of one epoch of quantization-aware fine-tuning (--qat)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
from runtime_op_cases import ensure_pyruntime

from trainer.quantize import reference_run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "speech" / "kws.py"


def load_example():
    spec = importlib.util.spec_from_file_location("example_kws", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_help() -> None:
    r = subprocess.run([sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--epochs" in r.stdout and "--seed" in r.stdout


def test_kws_small_learns_and_int8_matches_reference(tmp_path: Path, capsys) -> None:
    ensure_pyruntime()
    kws = load_example()
    s = kws.main([
        "--words", "yes,no,stop", "--max-per-class", "40", "--augment", "0", "--epochs", "8", "--width", "16",
        "--blocks", "2", "--batch-size", "16", "--lr", "1e-2", "--calibration", "32", "--quiet",
        "--out", str(tmp_path), "--qat", "--qat-epochs", "1", "--ptq-study",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert "synthesized" in out and (tmp_path / "kws_int8.tlm").is_file()
    assert s["classes"] == ["_silence_", "_unknown_", "yes", "no", "stop"]
    assert s["float_accuracy_trainer"] >= 0.6, s  # chance is 0.2
    assert abs(s["float_accuracy_pyruntime"] - s["float_accuracy_trainer"]) <= 0.05
    assert s["int8_accuracy_pyruntime"] >= 0.55, s
    q = s["int8_inputs"]
    want = np.stack([reference_run(s["int8_tlm"], q[i : i + 1])[0][0] for i in range(len(q))])
    assert want.dtype == np.int8 and np.array_equal(s["int8_outputs"], want)
    # the default int8 recipe: MSE ranges and bias correction; --ptq-study: four recipes, one float model
    assert (s["calibration_method"], s["bias_correction"]) == ("mse", True)
    study = s["ptq_study"]
    assert [(r["calibration"], r["bias_correction"]) for r in study] == [
        ("minmax", False), ("minmax", True), ("mse", False), ("mse", True)
    ]  # fmt: skip
    assert study[3]["test"]["int8_accuracy"] == s["int8_accuracy_pyruntime"]  # the same model as the default
    for r in study:
        assert r["validation"]["logit_sqnr_db"] > 15, r
        assert r["train"]["differ_from_float"] <= 0.1 * r["train"]["clips"], r
    # --qat: one epoch of quantization-aware fine-tuning, exported with the learned ranges
    assert (tmp_path / "kws_int8_qat.tlm").is_file() and "quantization-aware" in out
    assert s["qat_int8_accuracy_pyruntime"] >= 0.55 and s["qat_float_accuracy_trainer"] >= 0.55, s
    ranges = s["qat_activation_ranges"]
    assert ranges["dense/BiasAdd/act_quant/min"] < 0 < ranges["Relu/act_quant/max"]
    q = s["qat_int8_inputs"]
    want = np.stack([reference_run(s["qat_int8_tlm"], q[i : i + 1])[0][0] for i in range(len(q))])
    assert np.array_equal(s["qat_int8_outputs"], want)
