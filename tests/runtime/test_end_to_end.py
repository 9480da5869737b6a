"""End to end: trained trainer models, exported, run by the C runtime (pyruntime, and tl_run under qemu for
aarch64 and armhf) and by the numpy reference interpreter, against the trainer's own outputs.

Acceptance bound: max |runtime - trainer| <= 1e-5 * max |trainer| on 100 test images, and the argmax agrees on
the whole MNIST-10k test split (2,000 images).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, run_tool
from export_models import mnist, trained

import pyruntime  # the C runtime: part of the package, so required (never skipped)
from trainer.lite import Converter
from trainer.lite.reference import ReferenceInterpreter

REL_TOL = 1e-5
MODELS = ["mlp", "cnn", "mobilenet"]


@functools.cache
def exported(name: str, batch: int) -> bytes:
    m = trained(name)
    conv = Converter.from_session(m.sess, [m.x], [m.logits])
    conv.batch_size = batch
    return conv.convert()


@functools.cache
def trainer_logits(name: str) -> np.ndarray:
    """The trainer's logits for the whole test split (unfrozen graph, training flag at its default)."""
    return trained(name).predict(mnist()[2])


def _check_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    err = float(np.abs(got - want).max())
    bound = REL_TOL * float(np.abs(want).max())
    assert err <= bound, f"{what}: max abs difference {err:.3g} > {bound:.3g}"


@pytest.mark.parametrize("name", MODELS)
def test_c_runtime_matches_trainer_on_100_images(name: str) -> None:
    m = trained(name)
    xs = m.images(mnist()[2][:100])
    interp = pyruntime.Interpreter(model_content=exported(name, 1))  # batch 1, like a device
    got = np.concatenate([interp.run(xs[i : i + 1])[0] for i in range(100)])
    _check_close(got, trainer_logits(name)[:100], f"{name} C runtime vs trainer")


@pytest.mark.parametrize("name", MODELS)
def test_argmax_agrees_on_the_whole_test_split(name: str) -> None:
    m = trained(name)
    xs = m.images(mnist()[2])
    interp = pyruntime.Interpreter(model_content=exported(name, 100))
    got = np.concatenate([interp.run(xs[i : i + 100])[0] for i in range(0, len(xs), 100)])
    want = trainer_logits(name)
    assert got.shape == want.shape == (2000, 10)
    disagree = np.flatnonzero(got.argmax(1) != want.argmax(1))
    assert disagree.size == 0, f"{name}: argmax differs on test images {disagree[:10].tolist()}"
    _check_close(got, want, f"{name} C runtime vs trainer (2,000 images)")


@pytest.mark.parametrize("name", MODELS)
def test_reference_interpreter_matches_c_runtime(name: str) -> None:
    m = trained(name)
    data = exported(name, 20)
    xs = m.images(mnist()[2][:20])
    c = pyruntime.Interpreter(model_content=data).run(xs)[0]
    ref = ReferenceInterpreter(model_content=data)
    assert ref.arena_bytes == pyruntime.Interpreter(model_content=data).planned_arena_bytes
    got = ref.run(xs)[0]
    _check_close(got, c, f"{name} reference vs C runtime")
    _check_close(got, trainer_logits(name)[:20], f"{name} reference vs trainer")


@pytest.mark.parametrize("target", ["aarch64", "armhf"])
@pytest.mark.parametrize("name", MODELS)
def test_tl_run_under_qemu_matches_trainer(tmp_path, target: str, name: str) -> None:
    build(target, targets=["tl_run"])
    m = trained(name)
    model = tmp_path / f"{name}.tlm"
    model.write_bytes(exported(name, 20))
    xs = m.images(mnist()[2][:20])
    np.save(tmp_path / "x.npy", xs)
    result = run_tool(
        target, "tl_run", [str(model), "--input", "0=x.npy", "--output", "0=y.npy"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    got = np.load(tmp_path / "y.npy")
    want = trainer_logits(name)[:20]
    assert got.dtype == np.float32 and got.shape == want.shape
    _check_close(got, want, f"{name} tl_run on {target} vs trainer")
    assert np.array_equal(got.argmax(1), want.argmax(1))


def test_main_job_runs_end_to_end(tmp_path, capfd) -> None:
    """examples/mnist/deploy.py (the main job), shortened: every step runs and the C runtime agrees; the
    required memory is reported next to the arena; off a terminal, progress is one line per epoch (no tqdm
    carriage returns flooding a log)."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "mnist" / "deploy.py"
    spec = importlib.util.spec_from_file_location("deploy_example", path)
    deploy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deploy)
    out = tmp_path / "out"
    summary = deploy.main(["--epochs", "1", "--max-steps", "25", "--out", str(out)])
    printed = capfd.readouterr()
    assert "\r" not in printed.out + printed.err
    assert "epoch 1/1: loss" in printed.out
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))
    assert summary["trainer_accuracy"] > 0.5  # 25 steps already learn something
    assert summary["c_runtime_accuracy"] == summary["trainer_accuracy"]
    assert summary["argmax_agreement"] == 1.0
    assert summary["max_abs_difference"] < 1e-5
    model = out / "mnist_cnn.tlm"
    assert summary["model_bytes"] == model.stat().st_size
    assert summary["arena_bytes"] == pyruntime.Interpreter(model_path=str(model)).planned_arena_bytes
    it = pyruntime.Interpreter(model_path=str(model))
    it.allocate_tensors()
    assert summary["required_memory_bytes"] == it.required_memory_bytes > summary["arena_bytes"]
    assert f"required memory             {it.required_memory_bytes:,} bytes" in printed.out
    assert summary["pyruntime_median_us"] > 0
    assert (out / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Path(summary["checkpoint"] + ".index.json").is_file()


def test_main_job_help() -> None:
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "mnist" / "deploy.py"
    result = subprocess.run(
        [sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for flag in ("--epochs", "--out", "--batch-size", "--max-steps"):
        assert flag in result.stdout
    bad = subprocess.run(
        [sys.executable, str(path), "--epochs", "0"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "--epochs" in bad.stderr


@pytest.mark.parametrize("target", ["aarch64", "armhf"])
@pytest.mark.parametrize("name", MODELS)
def test_whole_test_split_under_qemu_agrees(tmp_path, target: str, name: str) -> None:
    """All 2,000 test images through the C example (examples/c/classify, one process, batch-100 model)
    built for ARM and run under qemu: every prediction equals the trainer's argmax."""
    import re
    import subprocess

    # tests/build/test_c_example.py by path: a sibling folder is on sys.path only when pytest collected it
    spec = importlib.util.spec_from_file_location(
        "test_c_example", Path(__file__).resolve().parents[1] / "build" / "test_c_example.py"
    )
    c_example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(c_example)
    exe = c_example._build(target)
    model = tmp_path / f"{name}.tlm"
    model.write_bytes(exported(name, 100))
    np.save(tmp_path / "images.npy", mnist()[2])
    result = subprocess.run(
        [*exe, str(model), str(tmp_path / "images.npy")], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    got = [int(p) for p in re.findall(r"^image \d+: (\d+) ", result.stdout, flags=re.M)]
    want = trainer_logits(name).argmax(1)
    assert len(got) == 2000
    disagree = np.flatnonzero(np.asarray(got) != want)
    assert disagree.size == 0, f"{name} on {target}: argmax differs on images {disagree[:10].tolist()}"
