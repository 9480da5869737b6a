"""Vectorized int8 Add, Sub and Mul (runtime_c/src/kernels/opt/binary_int8_*.c) are bit-exact.

runtime_c/tests/test_opt_binary_int8.c compares each level's set with the reference kernels byte for byte over
all 65,536 input pairs under several parameter sets, the broadcast forms and every tail length; here it runs
natively, under qemu-aarch64 (NEON) and qemu-arm (ARMv7 NEON), and the levels it reports are checked against
the CPU's. Then the interpreter (pyruntime) runs int8 Add/Sub/Mul models at every level and at 1 and 2 threads
and must give the reference kernels' bytes.
"""

from __future__ import annotations

import numpy as np
import pytest
from cbuild import kernel_levels
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder, Quantization

TARGET = "test_opt_binary_int8"


def _levels(variant: str, prefix_args: tuple[str, ...] = ()) -> tuple[dict[str, int], list[str]]:
    return kernel_levels(variant, TARGET, "binary8", prefix_args)


def test_native_every_level() -> None:
    features, levels = _levels("native")
    expected = (
        ["portable"]
        + (["avx2"] if features["avx2_fma"] else [])
        + (["avx512"] if features["avx512f"] else [])
    )
    assert levels == expected


def test_aarch64_neon_under_qemu() -> None:
    features, levels = _levels("aarch64", ("-cpu", "cortex-a53"))
    assert features["neon"] == 1 and levels == ["portable", "neon"]


def test_armhf_under_qemu() -> None:
    features, levels = _levels("armhf")
    assert features["neon"] == 1 and levels == ["portable", "neon"]


def _model(shape: list[int]) -> tuple[bytes, np.ndarray]:
    """int8 Add (same shapes, Relu), Sub (a per-channel constant), Mul (a scalar) and Add (a general
    broadcast, Relu6) of x, with output scales that give negative and positive output shifts."""
    rng = np.random.default_rng(3)
    b = ModelBuilder(description="int8 binary ops")
    x = b.add_input("x", np.int8, shape, Quantization(0.05, -7))
    c = shape[-1]
    ops = [
        ("Add", b.add_constant("same", rng.integers(-128, 128, shape, dtype=np.int8), Quantization(0.03, 5)),
         Quantization(0.09, -20), "RELU"),
        ("Sub", b.add_constant("per_c", rng.integers(-128, 128, (c,), dtype=np.int8), Quantization(0.2, 0)),
         Quantization(0.25, 3), "NONE"),
        ("Mul", b.add_constant("scalar", np.array([77], np.int8), Quantization(0.01, -1)),
         Quantization(0.045, 9), "NONE"),
        ("Add", b.add_constant("general", rng.integers(-128, 128, (shape[0], 1, shape[2], 1), dtype=np.int8),
                               Quantization(0.02, 100)), Quantization(0.03, -2), "RELU6"),
    ]  # fmt: skip
    outputs = []
    for i, (kind, other, quant, act) in enumerate(ops):
        y = b.add_tensor(f"y{i}_{kind}", np.int8, shape, quant)
        b.add_op(kind, [x, other], [y], activation=act)
        outputs.append(y)
    for y in outputs:
        b.mark_output(y)
    xs = rng.integers(-128, 128, shape, dtype=np.int8)
    return b.finish(), xs


def _run(model: bytes, x: np.ndarray, kernels: str, threads: int) -> list[np.ndarray]:
    from pyruntime import Interpreter

    it = Interpreter(model_content=model, kernels=kernels, num_threads=threads)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


@pytest.mark.parametrize("shape", [[2, 9, 7, 19], [1, 32, 32, 16]])
def test_interpreter_levels_and_threads_bit_exact(shape: list[int]) -> None:
    ensure_pyruntime()
    model, x = _model(shape)
    want = _run(model, x, "reference", 1)
    assert len({w.tobytes() for w in want}) == 4 and all(np.unique(w).size > 20 for w in want)
    for kernels in ("portable", "auto", "avx2", "avx512"):
        for threads in (1, 2):
            for w, g in zip(want, _run(model, x, kernels, threads), strict=True):
                np.testing.assert_array_equal(g, w, err_msg=f"{kernels} x{threads}")
