"""examples/c: the C program that embeds the runtime, built with CMake natively (gcc, clang) and for
aarch64/armhf (run under qemu), classifies exported-model digits exactly like the trainer."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cbuild import VARIANTS, build_lock, ccache_args, ccache_env, require
from conftest import need_tool
from export_models import mnist, trained

from trainer import datasets
from trainer.lite import Converter

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "examples" / "c"
BUILD = REPO / "build-export"
COUNT = 30


def _build(variant: str) -> list[str]:
    """Configure (once) and build the example for a cbuild variant; returns the command prefix to run it."""
    v = require(variant) if variant != "native" else VARIANTS["native"]
    need_tool("cmake")
    need_tool(v.compiler)
    directory = BUILD / f"c-{variant}"
    configure = [
        "cmake",
        "-S",
        str(SOURCE),
        "-B",
        str(directory),
        f"-DCMAKE_C_COMPILER={v.compiler}",
        *v.args,
        *ccache_args(),  # the runtime's objects are those of the same cbuild variant's build
    ]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    stamp = directory / ".tl_configure_stamp"
    with build_lock(directory):  # tests/runtime/test_end_to_end.py builds here too
        if not (stamp.is_file() and stamp.read_text() == "\n".join(configure)):
            if directory.exists():
                shutil.rmtree(directory)
            result = subprocess.run(configure, capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
            stamp.write_text("\n".join(configure))
        result = subprocess.run(
            ["cmake", "--build", str(directory), "-j", "2", "--target", "classify"],
            capture_output=True,
            text=True,
            env=ccache_env(),
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return [*v.emulator, str(directory / "classify")]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The CNN exported with batch 1 and batch 4, test digits as IDX and .npy, and the trainer's answers."""
    d = tmp_path_factory.mktemp("c_example")
    m = trained("cnn")
    for batch in (1, 4):
        conv = Converter.from_session(m.sess, [m.x], [m.logits])
        conv.batch_size = batch
        conv.save(d / f"cnn_b{batch}.tlm")
    (_, _), (xte, yte) = datasets.mnist10k_split()
    datasets.write_idx(d / "images-idx3-ubyte", xte[:COUNT], compress=False)
    datasets.write_idx(d / "labels-idx1-ubyte", yte[:COUNT], compress=False)
    np.save(d / "images.npy", mnist()[2][:COUNT])  # float32 in [0, 1]
    np.save(d / "labels.npy", yte[:COUNT].astype(np.int64))
    want = m.predict(mnist()[2][:COUNT]).argmax(1)
    return d, want, yte[:COUNT]


def _predictions(stdout: str) -> list[int]:
    return [int(p) for p in re.findall(r"^image \d+: (\d+) ", stdout, flags=re.M)]


@pytest.mark.parametrize("variant", ["native", "clang", "aarch64", "armhf"])
def test_classify_matches_the_trainer(files, variant: str) -> None:
    d, want, labels = files
    exe = _build(variant)
    for model, images, label_file in (
        ("cnn_b1.tlm", "images-idx3-ubyte", "labels-idx1-ubyte"),
        ("cnn_b4.tlm", "images.npy", "labels.npy"),  # 30 images in groups of 4: a short last group
    ):
        result = subprocess.run(
            [*exe, str(d / model), str(d / images), str(d / label_file)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert _predictions(result.stdout) == want.tolist(), result.stdout
        correct = int((want == labels).sum())
        assert f"accuracy {correct / COUNT:.4f} ({correct} of {COUNT})" in result.stdout


def test_classify_errors(files) -> None:
    d, _, _ = files
    exe = _build("native")
    bad = subprocess.run([*exe, str(d / "images.npy"), str(d / "images.npy")], capture_output=True, text=True)
    assert bad.returncode == 1 and "TLM1" in bad.stderr  # exit codes of every tool: 1 error, 2 usage
    usage = subprocess.run([*exe, str(d / "cnn_b1.tlm")], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr
    missing = subprocess.run([*exe, str(d / "cnn_b1.tlm"), str(d / "nope")], capture_output=True, text=True)
    assert missing.returncode == 1 and "cannot open" in missing.stderr
    subset = subprocess.run(
        [*exe, str(d / "cnn_b1.tlm"), str(d / "images-idx3-ubyte"), "--first", "28", "--count", "5"],
        capture_output=True,
        text=True,
    )
    assert subset.returncode == 0 and len(_predictions(subset.stdout)) == 2
