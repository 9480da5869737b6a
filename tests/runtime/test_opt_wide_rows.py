"""The AVX2 row kernels for wide images: DepthwiseConv2D 3x3 at stride 2 (and stride 1 with 8 channels),
runtime_c/src/kernels/opt/depthwise_body.h's tl_dw3_wide, and the RGB first convolution (Conv2D 3x3 over 3
input channels), runtime_c/src/kernels/opt/conv_rows_avx2.c.

runtime_c/tests/test_opt_wide_rows.c sweeps channels 1..70 (depthwise) and 1..40 output channels (Conv2D) on
rows of 8..40 output pixels, strides 1..3, SAME and VALID, dilation, activations, batches and the MobileNet
V1/V2 layers, against the reference kernels (within 1e-5 of the magnitude of the sum, the threads' parts
byte-identical to one call) and, at the AVX2 level, exactly against the FMA chain the kernels document.
Here it runs natively and under qemu-aarch64 (the NEON level, where these kernels are not used), and the
levels it reports are checked; then a MobileNet-like pair of layers runs through the interpreter at every
level against the reference level, and at 2 and 3 threads against one.
"""

from __future__ import annotations

import re

import numpy as np
from cbuild import build, run_test_program
from runtime_op_cases import check_float_levels_and_threads

from trainer.tlm import ModelBuilder

TARGET = "test_opt_wide_rows"
LEVELS = ("portable", "neon", "avx2", "avx512", "auto")


def _levels(output: str) -> list[str]:
    return re.findall(r"^level (\w+)$", output, flags=re.MULTILINE)


def test_native_every_level() -> None:
    build("native", targets=(TARGET,))
    output = run_test_program("native", TARGET, ())
    levels = _levels(output)
    assert levels[0] == "portable" and set(levels) <= {"portable", "avx2", "avx512"}, output
    assert output.count("depthwise wide rows: 288 cases") == len(levels), output
    assert output.count("conv rgb wide rows: 244 cases") == len(levels), output
    assert ", 0 failed" in output, output


def test_aarch64_qemu() -> None:
    build("aarch64", targets=(TARGET,))
    output = run_test_program("aarch64", TARGET, ("-cpu", "cortex-a53"))
    assert _levels(output) == ["portable", "neon"], output
    assert ", 0 failed" in output, output


def _rgb_model(rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """A first convolution 3x3 stride 2 (3 -> 8 channels, ReLU6), a 1x1 to 24 channels, then a depthwise
    3x3 stride 2 and a depthwise 3x3 stride 1 on the 8-channel map."""
    b = ModelBuilder(description="rgb conv and wide depthwise rows")
    x = b.add_input("x", np.float32, [1, 40, 46, 3])
    attrs = {"padding": "SAME", "activation": "RELU6"}

    def const(name: str, shape: tuple[int, ...]) -> int:
        return b.add_constant(name, (rng.standard_normal(shape) * 0.5).astype(np.float32))

    c1 = b.add_tensor("c1", np.float32, [1, 20, 23, 8])
    b.add_op("Conv2D", [x, const("c1_w", (8, 3, 3, 3)), const("c1_b", (8,))], [c1], stride_h=2, stride_w=2,
             **attrs)
    c2 = b.add_tensor("c2", np.float32, [1, 20, 23, 24])
    b.add_op("Conv2D", [c1, const("c2_w", (24, 1, 1, 8)), const("c2_b", (24,))], [c2], stride_h=1, stride_w=1,
             **attrs)
    d1 = b.add_tensor("d1", np.float32, [1, 10, 12, 24])
    b.add_op("DepthwiseConv2D", [c2, const("d1_w", (1, 3, 3, 24)), const("d1_b", (24,))], [d1], stride_h=2,
             stride_w=2, **attrs)
    d2 = b.add_tensor("d2", np.float32, [1, 20, 23, 8])
    b.add_op("DepthwiseConv2D", [c1, const("d2_w", (1, 3, 3, 8))], [d2], stride_h=1, stride_w=1, **attrs)
    for y in (d1, d2):
        b.mark_output(y)
    return b.finish(), rng.standard_normal((1, 40, 46, 3)).astype(np.float32)


def test_interpreter_levels_and_threads() -> None:
    check_float_levels_and_threads(*_rgb_model(np.random.default_rng(5)), LEVELS)
