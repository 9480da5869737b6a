"""The optimized float32 DepthwiseConv2D (runtime_c/src/kernels/opt/depthwise_body.h) and first convolution
(Conv2D with 1..4 input channels, runtime_c/src/kernels/opt/conv_rows_opt.c) against the reference kernels.

runtime_c/tests/test_opt_depthwise.c sweeps channels 1..70, depth multipliers 1..3, 3x3 and other kernels,
strides 1..3, SAME and VALID, dilation 1 and 2, activations, batches and NaN inputs at every level the CPU
has (within 1e-5 of the magnitude of the sum; the threads' row blocks give the bytes of one call), and
runtime_c/tests/test_opt_conv_rows.c does the same for convolutions with few input channels (3x3 strides
1..3, 10x4, 5x5, SAME/VALID, dilation, 1..70 output channels; the threads' parts byte-identical). Here both
run natively and under qemu-aarch64 (NEON), and the levels they report are checked. Then the interpreter runs
MobileNet-style depthwise layers (3x3, stride 1 and 2, SAME, ReLU6) at every level against the reference
level, and at 2 and 3 threads against one.
"""

from __future__ import annotations

import re

import numpy as np
from cbuild import build, run_test_program
from runtime_op_cases import check_float_levels_and_threads

from trainer.tlm import ModelBuilder

TARGET = "test_opt_depthwise"
CONV_TARGET = "test_opt_conv_rows"
LEVELS = ("portable", "neon", "avx2", "avx512", "auto")


def _run(variant: str, prefix_args: tuple[str, ...] = (), target: str = TARGET) -> str:
    return run_test_program(variant, target, prefix_args)


def _levels(output: str) -> list[str]:
    return re.findall(r"^level (\w+)$", output, flags=re.MULTILINE)


def test_native_every_level() -> None:
    build("native", targets=(TARGET, CONV_TARGET))
    output = _run("native")
    levels = _levels(output)
    assert levels[0] == "portable" and set(levels) <= {"portable", "avx2", "avx512"}, output
    assert output.count("3x3 channel sweep: 280 cases") == len(levels), output
    conv = _run("native", target=CONV_TARGET)
    assert _levels(conv) == levels, conv
    assert conv.count("few input channels: 426 cases") == len(levels), conv


def test_aarch64_qemu() -> None:
    build("aarch64", targets=(TARGET, CONV_TARGET))
    for target in (TARGET, CONV_TARGET):
        output = _run("aarch64", ("-cpu", "cortex-a53"), target=target)
        assert _levels(output) == ["portable", "neon"], output


def _depthwise_model(rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """Two MobileNet-style depthwise layers (3x3 SAME ReLU6, stride 1 then 2) and a DS-CNN-like one without
    bias on a narrow image."""
    b = ModelBuilder(description="depthwise 3x3 layers")
    x = b.add_input("x", np.float32, [1, 17, 13, 24])

    def dw(name: str, inp: int, out_shape: list[int], stride: int, with_bias: bool = True) -> int:
        c = out_shape[-1]
        y = b.add_tensor(name, np.float32, out_shape)
        w = b.add_constant(name + "_w", (rng.standard_normal((1, 3, 3, c)) * 0.5).astype(np.float32))
        inputs = [inp, w]
        if with_bias:
            inputs.append(b.add_constant(name + "_b", rng.standard_normal(c).astype(np.float32)))
        attrs = {"padding": "SAME", "stride_h": stride, "stride_w": stride, "activation": "RELU6"}
        b.add_op("DepthwiseConv2D", inputs, [y], **attrs)
        return y

    y1 = dw("dw1", x, [1, 17, 13, 24], 1)
    y2 = dw("dw2", y1, [1, 9, 7, 24], 2)
    y3 = dw("dw3", x, [1, 17, 13, 24], 1, with_bias=False)
    for y in (y2, y3):
        b.mark_output(y)
    xs = rng.standard_normal((1, 17, 13, 24)).astype(np.float32) * 2
    return b.finish(), xs


def test_interpreter_levels_and_threads() -> None:
    check_float_levels_and_threads(*_depthwise_model(np.random.default_rng(11)), LEVELS)
