"""int8 Relu and Relu6 whose input and output quantization differ: above the reference level, a tensor of at
least 1024 elements is looked up in the requantization's answers for the 256 input bytes, tabulated at each
eval (runtime_c/src/ops/activation_int8.c); smaller tensors and the reference level run the kernel. Every
input byte, at scale ratios that shift left and right and at extreme zero points, must give the reference
kernel's bytes and the numpy reference's, also with two threads."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.quant.fixed_point import activation_range_int8
from trainer.quant.kernels_int8 import prepare_requantize, requantize_int8
from trainer.tlm import ModelBuilder, Quantization

ALL = np.arange(-128, 128, dtype=np.int8)
KINDS = {"Relu": 1, "Relu6": 2}
# (input scale, input zero point, output scale, output zero point): ratios below and above 1, equal scales
# with another zero point, and a ratio that saturates most of the range
SCALES = [(0.05, 3, 0.1, -20), (0.02, -128, 0.013, 127), (0.1, 0, 0.1, 5), (0.5, 17, 0.004, -128),
          (1e-3, -60, 0.9, 0), (0.031, 100, 0.031, 100)]  # fmt: skip


def _model(opcode: str, si: float, zi: int, so: float, zo: int, shape: list[int]) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.int8, shape, quantization=Quantization(si, zi))
    y = b.add_tensor("y", np.int8, shape, quantization=Quantization(so, zo))
    b.add_op(opcode, [x], [y])
    b.mark_output(y)
    return b.finish()


@pytest.mark.parametrize("opcode", sorted(KINDS))
def test_every_byte_matches_the_reference(opcode: str) -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    x = np.tile(ALL, 5).reshape(5, 256)  # 1280 elements: the table path; every byte five times
    for si, zi, so, zo in SCALES:
        lo, hi = activation_range_int8(KINDS[opcode], so, zo)
        want = requantize_int8(x, prepare_requantize(si, zi, so, zo, lo, hi))
        for shape in ([5, 256], [1, 256]):  # the table (>= 1024 elements) and the kernel
            model = _model(opcode, si, zi, so, zo, shape)
            xs = x[: shape[0]]
            for kernels in ("reference", "auto"):
                got = Interpreter(model_content=model, kernels=kernels).run(xs)[0]
                assert got.tobytes() == want[: shape[0]].tobytes(), (opcode, si, zi, so, zo, shape, kernels)


def test_large_input_two_threads() -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    x = np.random.default_rng(9).integers(-128, 128, (2, 32, 32, 16)).astype(np.int8)
    for opcode in KINDS:
        model = _model(opcode, 0.07, -4, 0.05, -30, list(x.shape))
        ref = Interpreter(model_content=model, kernels="reference").run(x)[0]
        got = Interpreter(model_content=model, kernels="auto", num_threads=2).run(x)[0]
        assert got.tobytes() == ref.tobytes(), opcode
        assert len(np.unique(got)) > 50  # the requantization spreads the bytes: not a constant output
