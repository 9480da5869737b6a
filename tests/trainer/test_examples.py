"""The MNIST examples: command line, a few steps end to end, and a short real training run on mnist10k.

The acceptance accuracies (CNN >= 97.5%, MLP >= 95% on MNIST-10k; CNN >= 90% on Fashion-MNIST after 3
epochs) are measured by running the examples themselves (see benchmarks/README.md); here we keep to seconds.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
EXAMPLES = os.path.join(ROOT, "examples", "mnist")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_help(name):
    out = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    for flag in ("--epochs", "--dataset", "--seed", "mnist10k", "fashion"):
        assert flag in out.stdout


def test_cnn_few_steps_with_checkpoint(tmp_path, capsys):
    res = _load("cnn").main(["--epochs", "1", "--max-steps", "3", "--no-progress", "--save", str(tmp_path)])
    assert res["steps"] == 3 and all(v > 0 for v in res["losses"])
    assert 0.0 <= res["test_accuracy"] <= 1.0
    assert (tmp_path / "model-3.npz").is_file()
    assert "test accuracy" in capsys.readouterr().out


def test_mlp_learns_mnist10k_quickly():
    """One short epoch of the MLP on the real digits: far above the 10% of chance."""
    res = _load("mlp").main(["--epochs", "1", "--max-steps", "60", "--batch-size", "64", "--no-progress"])
    assert res["test_accuracy"] > 0.80
    first, last = sum(res["losses"][:5]) / 5, sum(res["losses"][-5:]) / 5
    assert last < 0.5 * first


def test_progress_bar_shows_loss_and_accuracy(capfd, monkeypatch):
    """On a terminal a tqdm bar (stderr) with loss and accuracy; elsewhere (a log file, CI) one plain line
    per epoch on stdout, never carriage-return redraws."""
    pytest.importorskip("tqdm")
    mlp = _load("mlp")
    mlp.main(["--epochs", "1", "--max-steps", "12"])
    out, err = capfd.readouterr()
    assert "epoch 1/1: loss " in out and "train acc" in out and "\r" not in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    mlp.main(["--epochs", "1", "--max-steps", "12"])
    err = capfd.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err and "acc=" in err
