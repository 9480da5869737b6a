"""benchmarks/gemm_f32_litert.py builds the GEMM it says: each case's model, run by pyruntime on its reference
kernels, equals the numpy product with its bias and activation (pointwise convolution, FullyConnected, and the
stack of 1x1 convolutions ending in a FullyConnected). No benchmark-only package needed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.tlm.reader import read_model

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gemm_f32_litert.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gemm_f32_litert", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _numpy(tlm: bytes, x: np.ndarray) -> np.ndarray:
    """The model's ops in numpy: Conv2D 1x1 and FullyConnected as x W^T + b with their clamp, Reshape."""
    m = read_model(tlm)
    clamp = {"NONE": (-np.inf, np.inf), "RELU": (0.0, np.inf), "RELU6": (0.0, 6.0)}
    y = x.astype(np.float64)
    for op in m.ops:
        if op.opcode == "Reshape":
            y = y.reshape(m.tensors[op.outputs[0]].shape)
            continue
        w, b = (m.tensors[i].data.astype(np.float64) for i in op.inputs[1:3])
        y = y @ w.reshape(w.shape[0], -1).T + b
        lo, hi = clamp[op.options.get("activation", "NONE")]
        y = np.clip(y, lo, hi)
    return y


@pytest.mark.parametrize("label", ["1x1 conv 25x5, 64 -> 64 (DS-CNN)", "FC 32 x 128 -> 64 (transformer)",
                                   "4 x 1x1 512 -> 512 on 1 pixel, FC 512 -> 1000"])  # fmt: skip
def test_case_models_compute_their_gemm(bench, label: str) -> None:
    import pyruntime

    tlm = bench.model(bench.CASES[label])
    it = pyruntime.Interpreter(model_content=tlm, num_threads=1, kernels="reference")
    it.allocate_tensors()
    d = it.get_input_details()[0]
    x = np.random.default_rng(0).uniform(-2, 2, size=d["shape"]).astype(np.float32)
    it.set_tensor(d["index"], x)
    it.invoke()
    got = it.get_tensor(it.get_output_details()[0]["index"])
    want = _numpy(tlm, x)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-5 * max(np.abs(want).max(), 1.0)
    assert np.abs(want).max() > 0.1  # not all clamped to zero
