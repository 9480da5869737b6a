"""The optimized float32 kernels of a transformer's non-GEMM ops inside the interpreter: Gelu (tanh form),
Softmax and Transpose (runtime_c/src/kernels/opt/gelu_opt.c, softmax_opt.c, transpose_opt.c).

runtime_c/tests/test_opt_elementwise.c compares each kernel with its reference kernel at every level (also
under qemu, see test_opt_elementwise.py). Here a model of the attention block's shapes (heads split by a
Transpose, Softmax over [4, 32, 32] scores, Gelu over [32, 128]) runs at every kernel level and must give the
reference level's bytes for Transpose and the erf Gelu (which has no optimized kernel), Softmax within 2 ulp,
and the tanh Gelu within |x| 2^-24 + 2 ulp (its tanh may round the other way); all are checked against numpy
too.
"""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

from trainer.runtime_ops.gelu import gelu_f32
from trainer.tlm import ModelBuilder

LEVELS = ("portable", "neon", "avx2", "avx512", "auto")


def _model() -> bytes:
    b = ModelBuilder(description="attention's non-GEMM ops")
    heads = b.add_input("heads", np.float32, [1, 32, 4, 16])
    scores = b.add_input("scores", np.float32, [4, 32, 32])
    hidden = b.add_input("hidden", np.float32, [32, 128])
    outs = [
        b.add_tensor("split", np.float32, [1, 4, 32, 16]),
        b.add_tensor("reversed", np.float32, [16, 4, 32, 1]),
        b.add_tensor("probs", np.float32, [4, 32, 32]),
        b.add_tensor("gelu_tanh", np.float32, [32, 128]),
        b.add_tensor("gelu_erf", np.float32, [32, 128]),
    ]
    b.add_op("Transpose", [heads], [outs[0]], perm=[0, 2, 1, 3])
    b.add_op("Transpose", [heads], [outs[1]], perm=[3, 2, 1, 0])
    b.add_op("Softmax", [scores], [outs[2]], beta=1.0)
    b.add_op("Gelu", [hidden], [outs[3]], approximate=True)
    b.add_op("Gelu", [hidden], [outs[4]], approximate=False)
    for y in outs:
        b.mark_output(y)
    return b.finish()


def _inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    heads = rng.standard_normal((1, 32, 4, 16)).astype(np.float32)
    scores = (rng.standard_normal((4, 32, 32)) * 4).astype(np.float32)
    scores[0, 0, 5], scores[1, 2, :] = np.nan, -np.inf  # a NaN row; a row of -inf (0 / 0: NaN)
    hidden = (rng.standard_normal((32, 128)) * 3).astype(np.float32)
    hidden[0, :6] = [np.nan, -np.inf, np.inf, -0.0, -30.0, 30.0]
    return [heads, scores, hidden]


def _ordered(a: np.ndarray) -> np.ndarray:
    """float32 values as integers in the order of the floats (adjacent floats differ by 1)."""
    bits = a.view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


@pytest.fixture(scope="module")
def reference() -> list[np.ndarray]:
    ensure_pyruntime()
    import pyruntime

    return pyruntime.Interpreter(model_content=_model(), kernels="reference").run(*_inputs())


def test_reference_level_against_numpy(reference: list[np.ndarray]) -> None:
    heads, scores, hidden = _inputs()
    assert reference[0].tobytes() == heads.transpose(0, 2, 1, 3).tobytes()
    assert reference[1].tobytes() == heads.transpose(3, 2, 1, 0).tobytes()
    with np.errstate(invalid="ignore"):  # the NaN row and the row of -inf
        z = np.exp(scores.astype(np.float64) - np.nanmax(scores, axis=-1, keepdims=True))
        want = z / z.sum(axis=-1, keepdims=True)
    assert np.array_equal(np.isnan(reference[2]), np.isnan(want))
    np.testing.assert_allclose(reference[2][~np.isnan(want)], want[~np.isnan(want)], rtol=1e-5, atol=1e-7)
    assert reference[3].tobytes() == gelu_f32(hidden, True).tobytes()  # numpy's mirror of the C kernel
    assert reference[4].tobytes() == gelu_f32(hidden, False).tobytes()


@pytest.mark.parametrize("level", LEVELS)
def test_levels_against_reference(reference: list[np.ndarray], level: str) -> None:
    import pyruntime

    got = pyruntime.Interpreter(model_content=_model(), kernels=level).run(*_inputs())
    for i in (0, 1, 4):  # Transpose (both), the erf Gelu: the same bytes
        assert got[i].tobytes() == reference[i].tobytes(), f"{level} output {i}"
    probs, want = got[2], reference[2]
    assert np.array_equal(np.isnan(probs), np.isnan(want)), level
    assert np.abs(_ordered(probs) - _ordered(want))[~np.isnan(want)].max() <= 2, level
    x, g, w = _inputs()[2], got[3], reference[3]
    assert np.array_equal(np.isnan(g), np.isnan(w)), level
    ok = ~np.isnan(w)
    spacing = np.spacing(np.abs(w[ok])).astype(np.float64)
    bound = np.abs(x[ok]).astype(np.float64) * 2.0**-24 + 2 * spacing
    finite = np.isfinite(w[ok])
    assert (g[ok][~finite] == w[ok][~finite]).all(), level  # the infinities
    err = np.abs(g[ok][finite].astype(np.float64) - w[ok][finite])
    assert (err <= bound[finite]).all(), level
