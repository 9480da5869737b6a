"""The ``tensorlet`` CLI as a tool (issue #18): one handler (one line per failure, Ctrl-C, a bad
TENSORLET_KERNELS), --version, --json, bench --threads/--kernels, dtype-aware hints, one directory rule,
plurals, empty files, inspect's memory figures and compare's class-vector argmax and summary line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer import cli
from trainer.cli import main
from trainer.tlm import ModelBuilder, Quantization

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "import sys; from trainer.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture(scope="module")
def pyrt() -> Any:
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _relu(shape: tuple[int, ...] = (2, 3)) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, list(shape))
    y = b.add_tensor("y", np.float32, list(shape))
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    return b.finish()


def _int8_reshape() -> bytes:
    b = ModelBuilder()
    q = Quantization(0.5, 3)
    x = b.add_input("x", np.int8, [1, 4], q)
    y = b.add_tensor("y", np.int8, [4], q)
    b.add_op("Reshape", [x], [y], new_shape=[4])
    b.mark_output(y)
    return b.finish()


def _conv_classifier() -> bytes:
    """image[1, 6, 6, 1] -> Conv2D 3x3 x2 (a feature map) -> Reshape -> FullyConnected -> logits[1, 3]."""
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    x = b.add_input("image", np.float32, [1, 6, 6, 1])
    c = b.add_tensor("features", np.float32, [1, 6, 6, 2])
    b.add_op("Conv2D", [x, b.add_constant("k", rng.standard_normal((2, 3, 3, 1)).astype(np.float32))], [c],
             padding="SAME", activation="RELU")  # fmt: skip
    f = b.add_tensor("flat", np.float32, [1, 72])
    b.add_op("Reshape", [c], [f], new_shape=[1, 72])
    y = b.add_tensor("logits", np.float32, [1, 3])
    b.add_op("FullyConnected", [f, b.add_constant("w", rng.standard_normal((3, 72)).astype(np.float32))], [y])
    b.mark_output(y)
    return b.finish()


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def _one_error_line(r: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


# ---- the handler ------------------------------------------------------------------------------------
def test_version(pyrt, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"tensorlet 0.1.0 (C runtime: {pyrt.version()})"


def test_a_bad_kernels_variable_is_one_line(pyrt, tmp_path: Path) -> None:
    (tmp_path / "m.tlm").write_bytes(_relu())
    for command in (["bench", str(tmp_path / "m.tlm"), "--runs", "1"], ["inspect", str(tmp_path / "m.tlm")]):
        line = _one_error_line(_cli(*command, env={"TENSORLET_KERNELS": "fastest"}))
        assert line == (
            "tensorlet: error: TENSORLET_KERNELS='fastest' is not a kernel level: use one of auto, "
            "reference, portable, neon, avx2, avx512"
        )


def test_unexpected_errors_are_one_line(monkeypatch, tmp_path: Path, capsys) -> None:
    def boom(args: Any) -> int:
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(cli, "cmd_ops", boom)
    (tmp_path / "m.tlm").write_bytes(_relu())
    assert main(["ops", str(tmp_path / "m.tlm")]) == 1
    assert capsys.readouterr().err == "tensorlet: error: RuntimeError: first line second line\n"
    monkeypatch.setenv("TENSORLET_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="first line"):
        main(["ops", str(tmp_path / "m.tlm")])


def test_ctrl_c_exits_130_with_one_line(pyrt, tmp_path: Path) -> None:
    (tmp_path / "m.tlm").write_bytes(_relu((64, 64)))
    # SIGINT back to its default in the child, as under a terminal: a test runner started in the background
    # by a non-interactive shell ignores SIGINT, children inherit that, and Python then keeps ignoring it
    p = subprocess.Popen(
        [*CLI, "bench", str(tmp_path / "m.tlm"), "--runs", "100000000", "--warmup", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3)  # importing and the first invokes
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (p.returncode, err)
    assert err == "tensorlet: interrupted\n"


# ---- messages ---------------------------------------------------------------------------------------
def test_hints_follow_the_input_dtype(pyrt, tmp_path: Path, capsys) -> None:
    (tmp_path / "q.tlm").write_bytes(_int8_reshape())
    np.save(tmp_path / "x.npy", np.zeros((1, 4), np.float32))
    assert main(["run", str(tmp_path / "q.tlm"), "--input", str(tmp_path / "x.npy")]) == 1
    err = capsys.readouterr().err
    assert "needs INT8 [1, 4]" in err and "astype(np.float32)" not in err  # was the float32 cast
    assert "quantize floats with its scale 0.5 and zero point 3: np.clip(np.round(x / 0.5) + 3" in err
    (tmp_path / "f.tlm").write_bytes(_relu())
    np.save(tmp_path / "x64.npy", np.zeros((2, 3)))
    assert main(["run", str(tmp_path / "f.tlm"), "--input", str(tmp_path / "x64.npy")]) == 1
    assert "(convert with .astype(np.float32))" in capsys.readouterr().err


def test_plurals_and_empty_files(pyrt, tmp_path: Path, capsys) -> None:
    (tmp_path / "m.tlm").write_bytes(_relu())
    np.save(tmp_path / "x.npy", np.zeros((2, 3), np.float32))
    x = str(tmp_path / "x.npy")
    assert main(["run", str(tmp_path / "m.tlm"), "--input", x, "--input", x]) == 1
    assert "the model has 1 input, got 2 --input files" in capsys.readouterr().err  # was "1 inputs"
    assert main(["run", str(tmp_path / "m.tlm"), "--input", x, "--output", "a.npy", "--output", "b.npy"]) == 1
    assert "the model has 1 output, got 2 --output files" in capsys.readouterr().err
    (tmp_path / "empty.tlm").write_bytes(b"")
    assert main(["inspect", str(tmp_path / "empty.tlm")]) == 1
    assert (
        capsys.readouterr().err
        == f"tensorlet: error: model file {str(tmp_path / 'empty.tlm')!r} is an empty file\n"
    )
    (tmp_path / "empty.npy").write_bytes(b"")
    assert main(["run", str(tmp_path / "m.tlm"), "--input", str(tmp_path / "empty.npy")]) == 1
    assert "is an empty file" in capsys.readouterr().err


def test_every_output_option_creates_missing_directories(pyrt, tmp_path: Path, capsys) -> None:
    model = tmp_path / "m.tlm"
    model.write_bytes(_relu())
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    deep = tmp_path / "a" / "b"
    assert main(["inspect", str(model), "--dot", str(deep / "dot" / "g.dot")]) == 0
    assert (
        main(["run", str(model), "--input", str(tmp_path / "x.npy"), "--output", str(deep / "run" / "y.npy")])
        == 0
    )
    assert main(["ops", str(model), "--header", str(deep / "ops" / "ops.h")]) == 0
    assert main(["export-c", str(model), "--name", "relu_model", "--out-dir", str(deep / "c")]) == 0
    capsys.readouterr()
    assert (deep / "dot" / "g.dot").read_text().startswith("digraph")
    np.testing.assert_array_equal(np.load(deep / "run" / "y.npy"), np.ones((2, 3), np.float32))
    assert "TL_WITH_OP_RELU 1" in (deep / "ops" / "ops.h").read_text()
    assert (deep / "c" / "relu_model.c").exists() and (deep / "c" / "relu_model.h").exists()


# ---- inspect, bench and compare ---------------------------------------------------------------------
def test_inspect_shows_memory_figures_and_json(pyrt, tmp_path: Path, capsys) -> None:
    data = _conv_classifier()
    (tmp_path / "m.tlm").write_bytes(data)
    it = pyrt.Interpreter(model_content=data)
    it.allocate_tensors()
    assert main(["inspect", str(tmp_path / "m.tlm")]) == 0
    out = capsys.readouterr().out
    assert f"model bytes      {len(data):,}\n" in out
    assert f"runtime arena    {it.arena_bytes:,} bytes" in out
    assert f"required memory  {it.required_memory_bytes:,} bytes" in out
    assert it.required_memory_bytes > it.arena_bytes > 0
    assert main(["inspect", str(tmp_path / "m.tlm"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model_bytes"] == len(data)
    assert report["runtime"]["required_memory_bytes"] == it.required_memory_bytes
    assert report["runtime"]["runtime_arena_bytes"] == it.arena_bytes
    assert [op["opcode"] for op in report["operators"]] == ["Conv2D", "Reshape", "FullyConnected"]
    assert report["inputs"][0] == {
        "index": 0, "name": "image", "dtype": "FLOAT32", "shape": [1, 6, 6, 1], "kind": "input", "bytes": 144,
        "quantization": None,
    }  # fmt: skip


def test_bench_threads_kernels_and_json(pyrt, tmp_path: Path, capsys) -> None:
    (tmp_path / "m.tlm").write_bytes(_conv_classifier())
    args = ["bench", str(tmp_path / "m.tlm"), "--runs", "3", "--warmup", "1"]
    assert main([*args, "--threads", "2", "--kernels", "reference", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["threads"] == 2 and report["kernels"] == "reference" and report["runs"] == 3
    lat = report["latency_us"]
    assert 0 < lat["min"] <= lat["median"] <= lat["p90"]
    assert main([*args, "--threads", "-1"]) == 0
    assert f"threads          {min(os.cpu_count() or 1, 64)}, kernels auto" in capsys.readouterr().out
    for bad in (["--threads", "0"], ["--threads", "65"], ["--kernels", "fast"]):
        with pytest.raises(SystemExit) as e:
            main([*args, *bad])
        assert e.value.code == 2


def test_compare_argmax_only_for_class_vectors_and_a_summary(pyrt, tmp_path: Path, capsys) -> None:
    from trainer.quantize import quantize_model

    model = _conv_classifier()
    rng = np.random.default_rng(1)
    samples = [rng.random((1, 6, 6, 1), dtype=np.float32) for _ in range(8)]
    (tmp_path / "f.tlm").write_bytes(model)
    (tmp_path / "q.tlm").write_bytes(quantize_model(model, lambda: ([s] for s in samples)))
    np.save(tmp_path / "x.npy", np.concatenate(samples))
    args = ["compare", str(tmp_path / "f.tlm"), str(tmp_path / "q.tlm"), "--data", str(tmp_path / "x.npy")]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[1:-1]}
    assert rows["features"][-1] == "-"  # a feature map: no argmax (was a number)
    assert 0.0 <= float(rows["logits"][-1]) <= 1.0
    assert lines[-1].startswith("summary: 3 tensors compared, worst SQNR ")
    assert "; output logits: SQNR " in lines[-1] and ", argmax agreement " in lines[-1]
    assert main([*args, "--json"]) == 0
    report = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert report["features"]["argmax_agreement"] is None and report["logits"]["is_output"] is True
    assert report["logits"]["sqnr_db"] == pytest.approx(float(rows["logits"][-2]), abs=0.01)


def test_compare_refuses_tensors_named_alike_with_other_shapes(pyrt, tmp_path: Path, capsys) -> None:
    """Two unrelated models sharing a tensor name: one line naming the tensor and both shapes (was numpy's raw
    'operands could not be broadcast')."""
    b = ModelBuilder()
    x = b.add_input("image", np.float32, [1, 6, 6, 1])
    f = b.add_tensor("flat", np.float32, [1, 36])
    b.add_op("Reshape", [x], [f], new_shape=[1, 36])
    y = b.add_tensor("logits", np.float32, [1, 5])
    b.add_op("FullyConnected", [f, b.add_constant("w", np.ones((5, 36), np.float32))], [y])
    b.mark_output(y)
    (tmp_path / "f.tlm").write_bytes(_conv_classifier())
    (tmp_path / "other.tlm").write_bytes(b.finish())
    np.save(tmp_path / "x.npy", np.zeros((1, 6, 6, 1), np.float32))
    other = str(tmp_path / "other.tlm")
    assert main(["compare", str(tmp_path / "f.tlm"), other, "--data", str(tmp_path / "x.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broadcast" not in err
    assert "tensor 'logits' is [1, 3] in the float model and [1, 5] in the int8 model" in err


def test_run_takes_another_batch_on_the_c_runtime(pyrt, tmp_path: Path, capsys) -> None:
    data = _conv_classifier()  # batch 1
    (tmp_path / "m.tlm").write_bytes(data)
    xs = np.random.default_rng(2).random((5, 6, 6, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", xs)
    args = ["run", str(tmp_path / "m.tlm"), "--input", str(tmp_path / "x.npy")]
    assert main([*args, "--output", str(tmp_path / "y.npy")]) == 0
    one = pyrt.Interpreter(model_content=data)
    want = np.concatenate([one.run(x[None])[0] for x in xs])
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want, rtol=1e-5, atol=1e-5)
    assert "logits: float32 [5, 3]" in capsys.readouterr().out
    assert main([*args, "--reference"]) == 1
    assert "runs the model's batch only" in capsys.readouterr().err
