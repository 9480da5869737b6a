"""int8 Sigmoid and Tanh on hosted builds: prepare tabulates the reference kernel's output for all 256 input
bytes and eval looks it up (runtime_c/src/ops/activation_int8.c) unless the interpreter runs the reference
kernels. The table must give the reference kernel's bytes and the numpy reference's, for every input byte, at
input scales from 1e-6 to 1e3 and any zero point, also inside a model where the op runs on many elements."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer.quantize as q
from trainer.tlm import ModelBuilder, Quantization

ALL = np.arange(-128, 128, dtype=np.int8)
FIXED = {"Sigmoid": (1.0 / 256.0, -128, q.logistic_int8), "Tanh": (1.0 / 128.0, 0, q.tanh_int8)}


def _model(opcode: str, si: float, zi: int, shape: list[int]) -> bytes:
    so, zo, _ = FIXED[opcode]
    b = ModelBuilder()
    x = b.add_input("x", np.int8, shape, quantization=Quantization(si, zi))
    y = b.add_tensor("y", np.int8, shape, quantization=Quantization(so, zo))
    b.add_op(opcode, [x], [y])
    b.mark_output(y)
    return b.finish()


@pytest.mark.parametrize("opcode", sorted(FIXED))
def test_table_equals_the_kernel_for_every_byte(opcode: str) -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    rng = np.random.default_rng(7)
    fn = FIXED[opcode][2]
    for si in (1e-6, 3e-3, 0.02, 0.0625, 0.1, 0.37, 1.0, 7.5, 30.0, 1e3):
        zi = int(rng.integers(-128, 128))
        model = _model(opcode, si, zi, [1, 256])
        want = fn(ALL, q.prepare_activation(si, zi))
        for kernels in ("reference", "auto"):
            got = Interpreter(model_content=model, kernels=kernels).run(ALL.reshape(1, 256))[0]
            assert got.tobytes() == want.tobytes(), (opcode, si, zi, kernels)


def test_table_on_a_large_input_with_two_threads() -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    x = np.random.default_rng(8).integers(-128, 128, (4, 50, 64)).astype(np.int8)
    for opcode in FIXED:
        model = _model(opcode, 0.05, 3, list(x.shape))
        ref = Interpreter(model_content=model, kernels="reference").run(x)[0]
        got = Interpreter(model_content=model, kernels="auto", num_threads=2).run(x)[0]
        assert got.tobytes() == ref.tobytes(), opcode
