"""Winograd F(2x2, 3x3) Conv2D (runtime_c/src/kernels/opt/conv_winograd.c) inside the interpreter.

At the AVX2 level, 3x3 stride-1 convolutions with at least 8 input and output channels and 9 tiles run by
Winograd. Checked here: outputs against a float64 convolution on shapes across the rule's edges (channels
8..70, odd sizes, SAME and VALID, batch 2, the activations, large and small values) within a tolerance of
2e-6 of the sum of |x| |w| + |bias| (measured worst about 3e-7; runtime_c/tests/test_conv_winograd.c runs
the kernel itself on channels 1..70), 1 and 2 threads give identical bits, and the selection: the packed
weights the interpreter keeps have Winograd's size (16 transformed [out_c, in_c] matrices) exactly where
the rule picks it (with its block buffers: per-node memory, so the arena stays the planner mirror's).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from trainer.tlm import ModelBuilder

pyruntime = pytest.importorskip("pyruntime")

TOL = 2e-6


def _has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return False
    flags = set(re.findall(r"\S+", cpuinfo.read_text().split("flags", 1)[-1].split("\n", 1)[0]))
    return "avx2" in flags and "fma" in flags


def _model(
    shape: tuple[int, int, int, int], out_c: int, padding: str, activation: str, bias: bool, w_scale: float
) -> tuple[bytes, np.ndarray, np.ndarray]:
    n, h, w, in_c = shape
    rng = np.random.default_rng(h * 1000 + w * 100 + in_c + out_c)
    oh, ow = (h, w) if padding == "SAME" else (h - 2, w - 2)
    weights = (rng.standard_normal((out_c, 3, 3, in_c)) * w_scale).astype(np.float32)
    b_vals = (rng.standard_normal(out_c) * w_scale).astype(np.float32)
    if not bias:
        b_vals = np.zeros(out_c, np.float32)
    b = ModelBuilder(description="winograd")
    x = b.add_input("x", np.float32, [n, h, w, in_c])
    y = b.add_tensor("y", np.float32, [n, oh, ow, out_c])
    inputs = [x, b.add_constant("w", weights)] + ([b.add_constant("b", b_vals)] if bias else [])
    b.add_op("Conv2D", inputs, [y], padding=padding, activation=activation)
    b.mark_output(y)
    return b.finish(), weights, b_vals


def _reference(x: np.ndarray, w: np.ndarray, bias: np.ndarray, padding: str) -> tuple[np.ndarray, np.ndarray]:
    """float64 convolution (before the activation) and the magnitude sum |x| |w| + |bias| of each output."""
    pad = ((0, 0), (1, 1), (1, 1), (0, 0)) if padding == "SAME" else ((0, 0),) * 4
    xp = np.pad(x.astype(np.float64), pad)
    oh, ow = xp.shape[1] - 2, xp.shape[2] - 2
    w64 = w.astype(np.float64)
    y = np.zeros((x.shape[0], oh, ow, w.shape[0])) + bias
    s = np.zeros_like(y) + np.abs(bias)
    for ky in range(3):
        for kx in range(3):
            patch = xp[:, ky : ky + oh, kx : kx + ow, :]
            y += patch @ w64[:, ky, kx, :].T
            s += np.abs(patch) @ np.abs(w64[:, ky, kx, :].T)
    return y, s


CASES = [  # (n, h, w, in_c), out_c, padding, activation, bias, x scale, w scale
    ((1, 32, 32, 16), 16, "SAME", "RELU", True, 1.0, 0.3),  # ResNet-8's first stage
    ((1, 13, 13, 32), 64, "VALID", "RELU", True, 1.0, 0.1),  # the benchmark CNN's second conv
    ((2, 9, 7, 8), 9, "SAME", "NONE", False, 1.0, 1.0),
    ((1, 11, 6, 70), 33, "VALID", "RELU6", True, 3.0, 0.2),
    ((1, 8, 8, 64), 70, "SAME", "NONE", True, 1e-20, 1.0),
    ((1, 7, 10, 17), 24, "SAME", "NONE", True, 1e15, 1e3),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_winograd_matches_float64_convolution(case: tuple) -> None:
    shape, out_c, padding, activation, bias, x_scale, w_scale = case
    data, w, b_vals = _model(shape, out_c, padding, activation, bias, w_scale)
    x = (np.random.default_rng(5).standard_normal(shape) * x_scale).astype(np.float32)
    want, s = _reference(x, w, b_vals, padding)
    lo, hi = {"NONE": (-np.inf, np.inf), "RELU": (0.0, np.inf), "RELU6": (0.0, 6.0)}[activation]
    want = np.clip(want, lo, hi)
    one = pyruntime.Interpreter(model_content=data, kernels="avx2").run(x)[0]
    two = pyruntime.Interpreter(model_content=data, kernels="avx2", num_threads=2).run(x)[0]
    np.testing.assert_array_equal(one, two)
    err = np.abs(one.astype(np.float64) - want)
    assert np.all(err <= TOL * s + 1e-35), f"worst {np.max(err / np.maximum(s, 1e-300)):.3g}"


def _persistent(data: bytes, kernels: str) -> int:
    interp = pyruntime.Interpreter(model_content=data, kernels=kernels)
    interp.allocate_tensors()
    return interp.required_memory_bytes - interp.arena_bytes


def _packed_bytes(in_c: int, out_c: int, winograd: bool, nr: int, tiles: int) -> int:
    """Per-node bytes of one Conv2D at one thread: packed weights (Winograd: bias, 16 transformed matrices,
    then its block buffer of zeros [in_c], V [block, 16, in_c] and M [block, 16, out_c])."""
    panels = -(-out_c // nr)
    if winograd:
        block = min(tiles, min(max(2048 // (in_c + out_c) // 24 * 24, 24), 96))
        buffer = -(-in_c // 16) * 16 + block * 16 * (in_c + out_c)
        return 4 * (-(-out_c // 16) * 16 + 16 * panels * (in_c + 1) * nr + buffer)
    return 4 * panels * (9 * in_c + 1) * nr


@pytest.mark.parametrize(
    "shape,out_c,padding,winograd",
    [
        ((1, 32, 32, 16), 16, "SAME", True),
        ((1, 13, 13, 32), 64, "VALID", True),
        ((1, 6, 6, 8), 8, "SAME", True),  # the smallest selected: 9 tiles, 8 channels
        ((1, 28, 28, 1), 32, "VALID", False),  # one input channel
        ((1, 16, 16, 32), 4, "SAME", False),  # few output channels
        ((1, 4, 4, 64), 64, "SAME", False),  # 4 tiles
    ],
)
def test_selection_rule(shape: tuple[int, int, int, int], out_c: int, padding: str, winograd: bool) -> None:
    """The per-node memory at AVX2 minus that at the portable level (8-wide panels, no Winograd) is the
    difference of the packed weights: Winograd's where the rule picks it, the direct 16-wide panels else;
    and the arena is the same at both levels and the planner mirror's (tests/lite/test_export.py)."""
    if not _has_avx2():
        pytest.skip("the CPU has no AVX2+FMA: Winograd is not used")
    data, _, _ = _model(shape, out_c, padding, "RELU", True, 1.0)
    in_c = shape[3]
    out_h, out_w = (shape[1], shape[2]) if padding == "SAME" else (shape[1] - 2, shape[2] - 2)
    tiles = ((out_h + 1) // 2) * ((out_w + 1) // 2)
    got = _persistent(data, "avx2") - _persistent(data, "portable")
    want = _packed_bytes(in_c, out_c, winograd, 16, tiles) - _packed_bytes(in_c, out_c, False, 8, tiles)
    assert got == want
    arenas = {k: pyruntime.Interpreter(model_content=data, kernels=k) for k in ("avx2", "portable")}
    for interp in arenas.values():
        interp.allocate_tensors()
    assert arenas["avx2"].arena_bytes == arenas["portable"].arena_bytes == arenas["avx2"].planned_arena_bytes
