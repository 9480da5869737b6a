"""The float32 Softmax split over threads (runtime_c/src/ops/softmax.c): from 8192 elements and 16 rows
the rows are dealt to the pool's threads in groups of eight, and each row's bits do not depend on the split.
A [72, 130] input (9360 elements: two tasks of 40 and 32 rows, rows that end inside a vector) must give the
same bytes at one and two threads at every kernel level, within 2 ulp of the reference level (the optimized
exponential may round the other way, as in tests/runtime/test_opt_attention_ops.py), and numpy's softmax
within float rounding; a NaN row stays NaN and a row of -inf is NaN (0 / 0) as in the reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.tlm import ModelBuilder

LEVELS = ("portable", "neon", "avx2", "avx512", "auto")
SHAPE = (72, 130)


def _model() -> bytes:
    b = ModelBuilder(description="a softmax large enough to split over threads")
    x = b.add_input("x", np.float32, list(SHAPE))
    y = b.add_tensor("y", np.float32, list(SHAPE))
    b.add_op("Softmax", [x], [y], beta=0.7)
    b.mark_output(y)
    return b.finish()


def _input() -> np.ndarray:
    x = (np.random.default_rng(11).standard_normal(SHAPE) * 5).astype(np.float32)
    x[3, 17], x[50, :] = np.nan, -np.inf  # a NaN row (in the second task); a row of -inf
    return x


def _ordered(a: np.ndarray) -> np.ndarray:
    """float32 values as integers in the order of the floats (adjacent floats differ by 1)."""
    bits = a.view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    ensure_pyruntime()
    import pyruntime

    return pyruntime.Interpreter(model_content=_model(), kernels="reference").run(_input())[0]


def test_reference_level_against_numpy(reference: np.ndarray) -> None:
    x = _input().astype(np.float64) * 0.7
    with np.errstate(invalid="ignore"):
        z = np.exp(x - np.nanmax(x, axis=-1, keepdims=True))
        want = z / z.sum(axis=-1, keepdims=True)
    nan = np.isnan(want)
    assert nan[3].all() and nan[50].all() and nan.sum() == 2 * SHAPE[1]
    assert np.array_equal(np.isnan(reference), nan)
    np.testing.assert_allclose(reference[~nan], want[~nan], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("level", LEVELS)
def test_two_threads_give_one_threads_bytes(reference: np.ndarray, level: str) -> None:
    import pyruntime

    one = pyruntime.Interpreter(model_content=_model(), kernels=level, num_threads=1).run(_input())[0]
    two = pyruntime.Interpreter(model_content=_model(), kernels=level, num_threads=2).run(_input())[0]
    assert two.tobytes() == one.tobytes(), level
    nan = np.isnan(reference)
    assert np.array_equal(np.isnan(two), nan), level
    assert np.abs(_ordered(two) - _ordered(reference))[~nan].max() <= 2, level
