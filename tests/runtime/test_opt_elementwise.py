"""The optimized float32 elementwise ops, AveragePool2D, Mean and DepthwiseConv2D with depth_multiplier > 1
(runtime_c/src/kernels/opt/opt_kernels_elementwise.h) against the reference kernels, on every level.

runtime_c/tests/test_opt_elementwise.c compares each kernel with its reference kernel (bit for bit, except
Sigmoid and Tanh: within 2 ulp, and the depthwise convolution: within 1e-5 relative) at every level the CPU
supports; here it runs natively, under qemu-aarch64 as a Cortex-A53 and under qemu-arm (ARMv7 NEON), and
the levels it reports are checked against what the CPU offers. Then the interpreter (pyruntime) runs a
model of every such op at every level and must give the reference level's bytes (Sigmoid and Tanh within 2
ulp, the depthwise output within tolerance).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from cbuild import build, run_test_program
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder

TARGET = "test_opt_elementwise"
LEVELS = ("reference", "portable", "neon", "avx2", "avx512", "auto")


def _run(variant: str, prefix_args: tuple[str, ...] = ()) -> str:
    return run_test_program(variant, TARGET, prefix_args)


def _levels(output: str) -> list[str]:
    return re.findall(r"^level (\w+)$", output, flags=re.MULTILINE)


def _features(output: str) -> dict[str, int]:
    line = re.search(r"features: (.*)", output)
    assert line, output
    return {k: int(v) for k, v in (item.split("=") for item in line.group(1).split())}


def test_native_every_level() -> None:
    build("native", targets=(TARGET,))
    output = _run("native")
    features = _features(output)
    expected = ["portable"] + (["avx2"] if features["avx2_fma"] else [])
    expected += ["avx512"] if features["avx512f"] else []
    assert _levels(output) == expected, output


def test_aarch64_qemu() -> None:
    build("aarch64", targets=(TARGET,))
    output = _run("aarch64", ("-cpu", "cortex-a53"))
    assert _features(output)["neon"] == 1, output
    assert _levels(output) == ["portable", "neon"], output


def test_armhf_qemu() -> None:
    build("armhf", targets=(TARGET,))
    output = _run("armhf")
    assert _features(output)["neon"] == 1, output
    assert _levels(output) == ["portable", "neon"], output


# ---- the optimized kernels inside the interpreter ----


def _elementwise_model() -> tuple[bytes, list[np.ndarray], list[int], list[int]]:
    """Every fast broadcast pattern of Add / Sub / Mul with fused activations, a general broadcast (the
    reference loop), Relu, Relu6, AveragePool2D (SAME, clipped windows), Mean over H, W and over the last
    axis, Sigmoid, Tanh, and DepthwiseConv2D with depth_multiplier 2 and 3 (the output indices of the last
    two kinds are returned)."""
    rng = np.random.default_rng(11)

    def const(name: str, shape: tuple[int, ...]) -> int:
        return b.add_constant(name, rng.standard_normal(shape).astype(np.float32))

    b = ModelBuilder(description="elementwise zoo")
    x = b.add_input("x", np.float32, [2, 6, 5, 19])
    shape = [2, 6, 5, 19]

    def op(kind: str, ins: list[int], out_shape: list[int], **attrs: object) -> int:
        y = b.add_tensor(f"t{len(outputs)}_{kind}", np.float32, out_shape)
        b.add_op(kind, ins, [y], **attrs)
        outputs.append(y)
        return y

    outputs: list[int] = []
    biased = op("Add", [x, const("bias", (19,))], shape, activation="RELU")  # a last-axis vector
    squared = op("Mul", [biased, x], shape)  # same shapes
    op("Sub", [const("one", (1,)), squared], shape, activation="RELU6")  # a scalar on the left
    op("Mul", [x, const("half", (1, 1, 1, 1))], shape)  # a scalar on the right
    op("Sub", [const("hw", (6, 5, 19)), x], shape)  # the last three dims, repeated per batch
    op("Add", [x, const("general", (2, 1, 5, 1))], shape, activation="RELU")  # general: row by row
    op("Mul", [x, const("per_image", (2, 1, 1, 19))], shape)  # general (SE-style): row by row
    op("Relu", [x], shape)
    op("Relu6", [squared], shape)
    transcendental = [op("Sigmoid", [x], shape), op("Tanh", [x], shape)]
    op("AveragePool2D", [x], [2, 3, 3, 19], padding="SAME", filter_h=3, filter_w=3, stride_h=2, stride_w=2)
    op("Mean", [x], [2, 19], axes=[1, 2], keep_dims=False)
    last = op("Mean", [x], [2, 6, 5, 1], axes=[-1], keep_dims=True)
    op("Sub", [last, const("short", (1, 6, 1, 1))], [2, 6, 5, 1])  # rows of one element: the reference loop
    dw_outputs = [
        op("DepthwiseConv2D", [x, const("dw2", (1, 3, 3, 38)), const("db2", (38,))], [2, 6, 5, 38],
           padding="SAME", depth_multiplier=2, activation="RELU6"),
        op("DepthwiseConv2D", [x, const("dw3", (1, 2, 2, 57))], [2, 3, 2, 57], padding="VALID",
           stride_h=2, stride_w=2, depth_multiplier=3),
    ]  # fmt: skip
    for y in outputs:
        b.mark_output(y)
    data = b.finish()
    xs = rng.standard_normal((2, 6, 5, 19)).astype(np.float32) * 3
    xs[0, 1, 2, 3] = np.nan
    xs[1, 0, 0, :4] = [-0.0, np.inf, -np.inf, 1e-40]
    return data, [xs], [outputs.index(t) for t in transcendental], [outputs.index(t) for t in dw_outputs]


def _ordered(a: np.ndarray) -> np.ndarray:
    """float32 values as integers in the order of the floats (adjacent floats differ by 1)."""
    bits = a.view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


def test_interpreter_levels_bit_exact() -> None:
    ensure_pyruntime()
    pyruntime = pytest.importorskip("pyruntime")
    data, inputs, ulp_indices, dw_indices = _elementwise_model()
    want = pyruntime.Interpreter(model_content=data, kernels="reference").run(*inputs)
    assert len(want) == 17
    for level in LEVELS[1:]:
        got = pyruntime.Interpreter(model_content=data, kernels=level).run(*inputs)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            if i in dw_indices:  # the depthwise convolutions: within float tolerance
                finite = np.isfinite(w)
                err = float(np.max(np.abs(g[finite].astype(np.float64) - w[finite])))
                assert err <= 1e-5 * float(np.max(np.abs(w[finite]))), f"{level} output {i}: {err}"
                assert np.array_equal(np.isnan(g), np.isnan(w)), f"{level} output {i}: NaNs differ"
            elif i in ulp_indices:  # Sigmoid, Tanh: within 2 ulp
                ulps = np.abs(_ordered(g) - _ordered(w))
                assert np.array_equal(np.isnan(g), np.isnan(w)), f"{level} output {i}: NaNs differ"
                assert ulps[~np.isnan(w)].max() <= 2, f"{level} output {i}: {ulps.max()} ulp"
            else:
                same = (g.view(np.uint32) == w.view(np.uint32)) | (np.isnan(g) & np.isnan(w))
                assert same.all(), f"{level} output {i}: {np.count_nonzero(~same)} elements differ"


def test_depthwise_multiplier_threads_bit_identical() -> None:
    """A DepthwiseConv2D with depth_multiplier 2, large enough to be split over threads by output rows
    (ops/conv2d.c): 2 and 3 threads give the bytes of one, and all are within tolerance of the reference."""
    ensure_pyruntime()
    pyruntime = pytest.importorskip("pyruntime")
    rng = np.random.default_rng(5)
    b = ModelBuilder(description="depthwise multiplier 2")
    x = b.add_input("x", np.float32, [2, 16, 15, 33])
    y = b.add_tensor("y", np.float32, [2, 16, 15, 66])
    w = b.add_constant("w", rng.standard_normal((1, 3, 3, 66)).astype(np.float32))
    bias = b.add_constant("bias", rng.standard_normal(66).astype(np.float32))
    b.add_op("DepthwiseConv2D", [x, w, bias], [y], padding="SAME", depth_multiplier=2, activation="RELU6")
    b.mark_output(y)
    data = b.finish()
    xs = rng.standard_normal((2, 16, 15, 33)).astype(np.float32)
    want = pyruntime.Interpreter(model_content=data, kernels="reference").run(xs)[0]
    one = pyruntime.Interpreter(model_content=data).run(xs)[0]
    assert float(np.max(np.abs(one.astype(np.float64) - want))) <= 1e-5 * float(np.max(np.abs(want)))
    for threads in (2, 3):
        got = pyruntime.Interpreter(model_content=data, num_threads=threads).run(xs)[0]
        assert got.tobytes() == one.tobytes(), f"{threads} threads"
