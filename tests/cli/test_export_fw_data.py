"""``tensorlet export-c --samples N`` (issue #18, D6): fw_data.c/.h with N quantized test inputs, their labels
and the host runtime's outputs; the mps2-an386 test firmware (runtime_c/port/mps2-an386/firmware.c), built
natively against the runtime with these files, runs every sample with no mismatch."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cbuild import build, c_flags
from conftest import need_tool

import trainer as tf
from trainer import datasets
from trainer.cli import main
from trainer.lite import Converter, Optimize
from trainer.quant.kernels_int8 import quantize
from trainer.runtime_ops.interpreter import reference_run
from trainer.tlm import read_model

REPO = Path(__file__).resolve().parents[2]
N = 20


@pytest.fixture(scope="module")
def int8_model(tmp_path_factory) -> Path:
    """A 784-10 softmax-free classifier, int8 in and out, calibrated on 16 bundled training digits."""
    (xtr, _), _ = datasets.mnist10k_split()
    xs = xtr[:16].reshape(16, 784).astype(np.float32) / 255.0
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(7)
        x = tf.placeholder(tf.float32, [None, 784], name="image")
        y = tf.layers.Dense(10)(x)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    conv = Converter.from_session(sess, [x], [y])
    conv.optimizations = [Optimize.DEFAULT]
    conv.representative_dataset = [[xs[i : i + 1]] for i in range(16)]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    path = tmp_path_factory.mktemp("fw") / "m.tlm"
    conv.save(path)
    return path


def _array(text: str, name: str) -> np.ndarray:
    body = re.search(rf"{name}\[[^=]*= \{{(.*?)\}};", text, re.S).group(1)
    return np.array([int(v) for v in re.findall(r"-?\d+", body)])


def test_samples_are_the_quantized_digits_and_host_outputs(int8_model: Path, tmp_path: Path, capsys) -> None:
    assert main(["export-c", str(int8_model), "--name", "tl_fw_model", "--out-dir", str(tmp_path),
                 "--samples", str(N)]) == 0  # fmt: skip
    assert f"({N} samples)" in capsys.readouterr().out
    header = (tmp_path / "fw_data.h").read_text()
    assert f"#define TL_FW_DIGITS {N}" in header and "#define TL_FW_IN_BYTES 784" in header
    source = (tmp_path / "fw_data.c").read_text()
    info = read_model(int8_model.read_bytes())
    q = info.tensors[info.inputs[0]].quantization
    _, (xte, yte) = datasets.mnist10k_split()
    digits = xte[:N].reshape(N, 784).astype(np.float32) / 255.0
    want = quantize(digits, float(q.scale[0]), int(q.zero_point[0]))
    assert np.array_equal(_array(source, "tl_fw_digits").reshape(N, 784), want)
    assert np.array_equal(_array(source, "tl_fw_labels"), yte[:N])
    model = int8_model.read_bytes()
    host = np.stack([reference_run(model, want[i : i + 1])[0][0] for i in range(N)])  # the C runtime's bytes
    assert np.array_equal(_array(source, "tl_fw_expected").reshape(N, 10), host)


def test_firmware_checks_itself_with_the_samples(int8_model: Path, tmp_path: Path) -> None:
    need_tool("gcc")
    lib = build("native", ["tensorlet"]) / "libtensorlet.a"
    assert main(["export-c", str(int8_model), "--name", "tl_fw_model", "--out-dir", str(tmp_path),
                 "--samples", str(N)]) == 0  # fmt: skip
    exe = tmp_path / "fw"
    port = REPO / "runtime_c" / "port" / "mps2-an386"
    cmd = ["gcc", *c_flags("std"), "-O1", f"-I{tmp_path}", f"-I{REPO / 'runtime_c' / 'include'}",
           str(port / "firmware.c"), str(tmp_path / "fw_data.c"), str(tmp_path / "tl_fw_model.c"), str(lib),
           "-pthread", "-lm", "-o", str(exe)]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "mismatches with the host runtime 0" in run.stdout
    assert len(re.findall(r"^out \d+ ", run.stdout, re.M)) == N


def test_samples_refusals(int8_model: Path, tmp_path: Path, capsys) -> None:
    float_model = tmp_path / "f.tlm"
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.layers.Dense(2)(x)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    Converter.from_session(sess, [x], [y]).save(float_model)
    assert main(["export-c", str(float_model), "--out-dir", str(tmp_path), "--samples", "3"]) == 1
    assert "int8 model with int8 input and output" in capsys.readouterr().err
    few = tmp_path / "few.npy"
    np.save(few, np.zeros((2, 784), np.float32))
    assert main(["export-c", str(int8_model), "--out-dir", str(tmp_path), "--samples", "3",
                 "--inputs", str(few)]) == 1  # fmt: skip
    assert "3 asked for" in capsys.readouterr().err
