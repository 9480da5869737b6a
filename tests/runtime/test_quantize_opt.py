"""Vectorized, threaded Quantize and Dequantize (runtime_c/src/kernels/opt/quantize_*.c) are bit-exact.

runtime_c/tests/test_quantize_opt.c compares each level's set with the reference kernels byte for byte (edge
values, rounding ties, saturation, a sweep of float bit patterns, every tail length); here it runs natively,
under qemu-aarch64 (NEON) and qemu-arm (ARMv7: the portable set), and the levels it reports are checked
against the CPU's. Then the interpreter (pyruntime) at every level and at 1 and 2 threads on a tensor large
enough to be split, against the reference kernels and an independent numpy formula.
"""

from __future__ import annotations

import numpy as np
import pytest
from cbuild import kernel_levels
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder, Quantization

TARGET = "test_quantize_opt"


def _levels(variant: str, prefix_args: tuple[str, ...] = ()) -> tuple[dict[str, int], list[str]]:
    return kernel_levels(variant, TARGET, "qdq", prefix_args)


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


def _qdq_model(shape: list[int], scale: float, zp: int) -> bytes:
    b = ModelBuilder()
    x = b.add_input("x", np.float32, shape)
    q = b.add_tensor("q", np.int8, shape, Quantization(scale, zp))
    b.add_op("Quantize", [x], [q])
    y = b.add_tensor("y", np.float32, shape)
    b.add_op("Dequantize", [q], [y])
    b.mark_output(q)
    b.mark_output(y)
    return b.finish()


def _numpy_quantize(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """round half away from zero of the float32 quotient (in float64: exact), + zp, saturated; NaN -> zp."""
    with np.errstate(all="ignore"):
        v = (x / np.float32(scale)).astype(np.float64)
        r = np.sign(v) * np.floor(np.abs(v) + 0.5) + zp
        return np.where(np.isnan(v), zp, np.clip(r, -128, 127)).astype(np.int8)


def _input(shape: list[int], scale: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 60 * scale).astype(np.float32).reshape(-1)
    ties = ((np.arange(-140, 141) + 0.5) * np.float32(scale)).astype(np.float32)
    edges = np.array(
        [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 3.4e38, -3.4e38, 1e-45, -1e-45], np.float32
    )
    special = np.concatenate(
        [edges, ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, -np.inf)]
    )
    x[1000 : 1000 + special.size] = special  # inside the first thread's chunk
    x[-special.size - 3 : -3] = special  # and in the last one, near the tail
    return x.reshape(shape)


@pytest.mark.parametrize("scale,zp", [(0.25, 0), (0.0372, -128), (0.1, 7)])
def test_interpreter_levels_and_threads_bit_exact(scale: float, zp: int) -> None:
    ensure_pyruntime()
    from pyruntime import Interpreter

    shape = [1, 128, 128, 3]  # the MobileNet input: split over 2 threads
    x = _input(shape, scale)
    want_q = _numpy_quantize(x, scale, zp)
    want_y = (np.float32(scale) * (want_q.astype(np.int32) - zp).astype(np.float32)).astype(np.float32)
    model = _qdq_model(shape, scale, zp)
    for kernels in ("reference", "portable", "auto", "avx2", "avx512"):
        for threads in (1, 2):
            it = Interpreter(model_content=model, kernels=kernels, num_threads=threads)
            it.allocate_tensors()
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            q, y = (it.get_tensor(d["index"]) for d in it.get_output_details())
            np.testing.assert_array_equal(q, want_q, err_msg=f"{kernels} x{threads}")
            np.testing.assert_array_equal(
                y.view(np.uint32), want_y.view(np.uint32), err_msg=f"{kernels} x{threads}"
            )
