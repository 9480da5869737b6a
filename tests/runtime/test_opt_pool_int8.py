"""The optimized int8 AveragePool2D (runtime_c/src/kernels/opt/pool_int8_opt.c) gives the reference's bytes.

The optimized kernel sums each window's raw values per block of 64 contiguous channels in int32 (AVX2: 8 at a
time) and finishes every channel as the reference kernel does. Models of one int8 AveragePool2D, with shared
and with different input/output parameters (the two rounding rules of the reference), fused activations,
clipped SAME windows, a global pool (MobileNet's 4x4x512 head) and channel counts around the block and
vector widths, run through pyruntime at every kernel level and at 1 and 2 threads; each must equal the
reference kernels' bytes and the numpy specification (trainer.quantize.average_pool2d_int8).
"""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer.quantize as q
from trainer.tlm import ModelBuilder, Quantization

ACT = {"NONE": 0, "RELU": 1, "RELU6": 2}

# (input shape, filter, stride, padding, activation, shared parameters)
SPECS = [
    ((1, 4, 4, 512), (4, 4), (1, 1), "VALID", "NONE", False),  # MobileNetV1's global average pool
    ((1, 4, 4, 512), (4, 4), (1, 1), "VALID", "NONE", True),
    ((2, 7, 9, 70), (3, 3), (2, 2), "SAME", "RELU6", False),  # a full block, 6 channels past it
    ((1, 6, 5, 133), (2, 3), (1, 2), "SAME", "RELU", True),  # two blocks and a 5-channel tail
    ((1, 5, 5, 7), (5, 5), (1, 1), "VALID", "NONE", False),  # fewer channels than a vector
]


def _model(k: int, spec: tuple) -> tuple[bytes, np.ndarray, np.ndarray]:
    shape, filt, stride, padding, act, same = spec
    rng = np.random.default_rng(100 + k)
    si, zi = 0.05, (3, -128, -9, 40, 0)[k]
    so, zo = (si, zi) if same else (0.021, -17)
    x = rng.integers(-128, 128, shape, dtype=np.int8)
    g = q.conv_geom(shape[1], shape[2], filt[0], filt[1], stride, (1, 1), padding)
    lo, hi = q.activation_range_int8(ACT[act], so, zo)
    want = q.average_pool2d_int8(
        x, q.PoolGeom(filt[0], filt[1], g), q.prepare_requantize(si, zi, so, zo, lo, hi)
    )
    b = ModelBuilder(description="int8 AveragePool2D")
    xi = b.add_input("x", np.int8, list(shape), Quantization(si, zi))
    y = b.add_tensor("y", np.int8, list(want.shape), Quantization(so, zo))
    b.add_op(
        "AveragePool2D",
        [xi],
        [y],
        padding=padding,
        stride_h=stride[0],
        stride_w=stride[1],
        filter_h=filt[0],
        filter_w=filt[1],
        activation=act,
    )
    b.mark_output(y)
    return b.finish(), x, want


def _run(model: bytes, x: np.ndarray, kernels: str, threads: int) -> np.ndarray:
    from pyruntime import Interpreter

    it = Interpreter(model_content=model, kernels=kernels, num_threads=threads)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


@pytest.mark.parametrize("k", range(len(SPECS)))
def test_every_level_and_thread_count_gives_the_reference_bytes(k: int) -> None:
    ensure_pyruntime()
    model, x, want = _model(k, SPECS[k])
    ref = _run(model, x, "reference", 1)
    np.testing.assert_array_equal(ref, want)
    assert np.unique(want).size > 3  # the averages vary (not all clamped)
    for kernels in ("portable", "auto", "avx2"):
        for threads in (1, 2):
            np.testing.assert_array_equal(
                _run(model, x, kernels, threads), want, err_msg=f"{kernels} x{threads}"
            )
