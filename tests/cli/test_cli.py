"""The ``tensorlet`` console script: inspect, run, bench, and its error handling."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from export_models import mnist, trained

import pyruntime  # the C runtime: part of the package, so required (never skipped)
from trainer.cli import main
from trainer.lite import Converter
from trainer.tlm import read_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    m = trained("mlp")
    path = tmp_path_factory.mktemp("cli") / "mlp.tlm"
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.batch_size = 2
    conv.save(path)
    return path


def test_inspect_lists_ops_tensors_and_memory(model, tmp_path, capsys) -> None:
    dot = tmp_path / "g.dot"
    assert main(["inspect", str(model), "--dot", str(dot)]) == 0
    out = capsys.readouterr().out
    info = read_model(model.read_bytes())
    assert f"arena bytes      {info.metadata.arena_bytes:,} (metadata)" in out
    const_bytes = sum(t.nbytes for t in info.tensors if t.buffer)
    assert f"constant bytes   {const_bytes:,}" in out
    assert out.count("FullyConnected") == 3
    assert "x                                        FLOAT32  [2, 784]" in out
    assert "activation=RELU" in out
    text = dot.read_text()
    assert text.startswith("digraph") and text.count("FullyConnected") == 3 and text.count("->") == 4


def test_run_saves_the_c_runtime_outputs(model, tmp_path, capsys) -> None:
    xs = mnist()[2][:2].reshape(2, 784)
    np.save(tmp_path / "x.npy", xs)
    assert (
        main(["run", str(model), "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")])
        == 0
    )
    got = np.load(tmp_path / "y.npy")
    np.testing.assert_array_equal(got, pyruntime.Interpreter(model_path=str(model)).run(xs)[0])
    assert main(["run", str(model), "--input", str(tmp_path / "x.npy"), "--reference"]) == 0
    out = capsys.readouterr().out
    assert f"argmax: {got.argmax(1).tolist()}" in out


def test_bench_reports_latency(model, capsys) -> None:
    assert main(["bench", str(model), "--runs", "5", "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    for key in ("latency min", "latency median", "latency p90", "arena bytes", "model bytes"):
        assert key in out
    assert f"{model.stat().st_size:,}" in out


def test_errors_are_clear_with_nonzero_exit(model, tmp_path, capsys) -> None:
    assert main(["inspect", str(tmp_path / "missing.tlm")]) == 1
    assert "does not exist" in capsys.readouterr().err
    junk = tmp_path / "junk.tlm"
    junk.write_bytes(b"hello, this is not a model at all")
    assert main(["inspect", str(junk)]) == 1
    assert "not a .tlm model" in capsys.readouterr().err
    truncated = tmp_path / "truncated.tlm"
    truncated.write_bytes(model.read_bytes()[:200])
    assert main(["run", str(truncated), "--input", "x.npy"]) == 1
    assert "not a valid .tlm model" in capsys.readouterr().err
    np.save(tmp_path / "x64.npy", np.zeros((2, 784)))
    assert main(["run", str(model), "--input", str(tmp_path / "x64.npy")]) == 1
    assert "needs FLOAT32 [2, 784]" in capsys.readouterr().err
    (tmp_path / "bad.npy").write_bytes(b"nope")
    assert main(["run", str(model), "--input", str(tmp_path / "bad.npy")]) == 1
    assert "not a valid .npy" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["bench", str(model), "--runs", "0"])
    assert e.value.code == 2


def test_console_script_help() -> None:
    exe = shutil.which("tensorlet", path=str(__import__("pathlib").Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "trainer.cli"]
    result = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "inspect" in result.stdout and "bench" in result.stdout
    result = subprocess.run([*cmd, "run", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--reference" in result.stdout
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "required" in result.stderr
