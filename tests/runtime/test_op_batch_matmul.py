"""BatchMatMul beyond the registry-driven cases (tests/op_cases/batch_matmul.py): the optimized GEMM path at
every kernel level this CPU has and with threads against the reference kernel, the rejections of prepare
with their statuses, the work charged, and TF1 graphs (``tf.matmul`` of rank 3 and 4 operands, an operand
that is not a constant, ``transpose_a``) exported and run against the session."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_op_cases import ensure_pyruntime

import trainer as tf
from trainer.lite import Converter
from trainer.runtime_ops.batch_matmul import batch_matmul
from trainer.tlm import ModelBuilder, read_model
from trainer.tlm.builder import Quantization

LEVELS = ("portable", "neon", "avx2", "avx512")


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _model(a_shape, b_shape, y_shape, adj_x=False, adj_y=False, dtype=np.float32, quant=(None, None, None)):
    b = ModelBuilder()
    a = b.add_input("a", dtype, list(a_shape), quantization=quant[0])
    c = b.add_input("b", dtype, list(b_shape), quantization=quant[1])
    y = b.add_tensor("y", dtype, list(y_shape), quantization=quant[2])
    b.add_op("BatchMatMul", [a, c], [y], adj_x=adj_x, adj_y=adj_y)
    b.mark_output(y)
    return b.finish()


def _levels(pyrt, data: bytes) -> dict[str, object]:
    out = {}
    for level in LEVELS:
        try:
            out[level] = pyrt.Interpreter(model_content=data, kernels=level)
        except pyrt.TensorletRuntimeError:  # not on this CPU
            continue
    return out


@pytest.mark.parametrize(
    "a_shape, b_shape, adj_x, adj_y",
    [
        ((2, 3, 37, 19), (2, 3, 19, 45), False, False),  # tails of every tile and panel width
        ((4, 32, 16), (4, 32, 16), False, True),  # attention's Q K^T (4 heads, 32 tokens, 16 wide)
        ((4, 32, 32), (4, 32, 16), False, False),  # attention's P V
        ((3, 13, 29), (1, 13, 40), True, False),  # adj_x, b broadcast
        ((1, 1, 70), (70, 33), False, False),  # one row
    ],
)
def test_every_level_and_threads_match_the_reference_kernel(pyrt, a_shape, b_shape, adj_x, adj_y) -> None:
    rng = np.random.default_rng(5)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    want = batch_matmul(a, b, adj_x, adj_y)
    data = _model(a_shape, b_shape, want.shape, adj_x, adj_y)
    ref = pyrt.Interpreter(model_content=data, kernels="reference").run(a, b)[0]
    scale = float(np.abs(want).max())
    assert float(np.abs(ref - want).max()) <= 1e-5 * scale
    levels = _levels(pyrt, data)
    assert "portable" in levels
    for level, interp in levels.items():
        got = interp.run(a, b)[0]
        assert float(np.abs(got - want).max()) <= 1e-5 * scale, level
        threaded = pyrt.Interpreter(model_content=data, kernels=level, num_threads=2).run(a, b)[0]
        assert threaded.tobytes() == got.tobytes(), level  # batches split over threads: the same sums


def test_nan_and_inf_propagate(pyrt) -> None:
    a = np.ones((1, 3, 4), np.float32)
    a[0, 1, 2] = np.nan
    b = np.ones((1, 4, 5), np.float32)
    b[0, 0, 3] = np.inf
    for kernels in ("reference", "portable"):
        interp = pyrt.Interpreter(model_content=_model(a.shape, b.shape, (1, 3, 5)), kernels=kernels)
        got = interp.run(a, b)[0]
        assert np.isnan(got[0, 1]).all() and np.isinf(got[0, 0, 3]) and got[0, 0, 0] == 4.0, kernels


def test_prepare_rejections_name_the_shapes(pyrt) -> None:
    cases = [
        (_model([2, 3], [4, 5], [2, 5]), "inner dimensions differ"),
        (_model([2, 2, 3], [3, 3, 4], [3, 2, 4]), "do not broadcast"),
        (_model([2, 3], [3, 4], [2, 5]), "is not \\[..., 2, 4\\]"),
        (_model([1, 1, 1, 2, 3], [3, 4], [1, 1, 1, 2, 4]), "ranks must be 2 to 4"),
    ]
    for data, pattern in cases:
        with pytest.raises(pyrt.TensorletRuntimeError, match=pattern) as e:
            pyrt.Interpreter(model_content=data).allocate_tensors()
        assert e.value.status_name == "TL_ERROR_BAD_SHAPE"
        assert "(BatchMatMul)" in str(e.value)
    q = (Quantization(1e-20, 0), Quantization(1e-20, 0), Quantization(1.0, 0))  # s_a s_b / s_out = 1e-40
    with pytest.raises(pyrt.TensorletRuntimeError, match="multiplier|shift") as e:
        data = _model([2, 3], [3, 4], [2, 4], dtype=np.int8, quant=q)
        pyrt.Interpreter(model_content=data).allocate_tensors()
    assert e.value.status_name == "TL_ERROR_BAD_QUANTIZATION"


def test_work_is_charged_per_multiply_add(pyrt) -> None:
    # TL_WORK_PER_OP + ceil(outputs x (k + 1) x weight / 16): weights 32 (float32), 48 (int8); k = 7 in all
    f = pyrt.Interpreter(model_content=_model([2, 5, 7], [2, 7, 3], [2, 5, 3]))
    f.allocate_tensors()
    t = pyrt.Interpreter(model_content=_model([2, 7, 5], [2, 7, 3], [2, 5, 3], adj_x=True))
    t.allocate_tensors()
    q = Quantization(0.1, 0)
    int8 = _model([2, 5, 7], [2, 7, 3], [2, 5, 3], dtype=np.int8, quant=(q, q, q))
    i = pyrt.Interpreter(model_content=int8)
    i.allocate_tensors()
    assert f.work == t.work
    assert i.work - f.work == 30 * 8 * 48 // 16 - 30 * 8 * 32 // 16


def test_tf_matmul_of_activations_exports_as_batch_matmul(pyrt) -> None:
    """Attention of 2 heads (q k^T, softmax, p v), a rank-2 MatMul of two activations and a transpose_a
    MatMul by a constant: every one runs as BatchMatMul, within float rounding of the session."""
    rng = np.random.default_rng(9)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2, 6, 8], name="x")
        scores = tf.matmul(x, x, transpose_b=True) * 0.35
        out = tf.matmul(tf.nn.softmax(scores), x)
        flat = tf.reshape(out, [-1, 8])
        gram = tf.matmul(flat, flat, transpose_a=True)  # [8, 8]: transpose_a of two activations
        w = tf.constant(rng.standard_normal((24, 3)).astype(np.float32))
        mixed = tf.matmul(flat, w, transpose_a=True)  # [8, 3]: transpose_a by a constant
    xs = rng.standard_normal((2, 2, 6, 8)).astype(np.float32)
    with tf.Session(graph=g) as sess:
        want = sess.run([out, gram, mixed], {x: xs})
    conv = Converter.from_frozen_graph(g, [x], [out, gram, mixed])
    conv.batch_size = 2
    data = conv.convert()
    ops = read_model(data).ops
    assert [op.opcode for op in ops].count("BatchMatMul") == 4
    assert [op.options for op in ops if op.opcode == "BatchMatMul"][0] == {"adj_x": False, "adj_y": True}
    for kernels in ("reference", None):
        got = pyrt.Interpreter(model_content=data, kernels=kernels).run(xs)
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape
            assert float(np.abs(a - b).max()) <= 1e-5 * float(np.abs(b).max())


@pytest.mark.parametrize("adj_x, adj_y", [(False, False), (False, True), (True, False), (True, True)])
def test_int8_gemm_path_gives_the_reference_kernels_bytes(pyrt, adj_x, adj_y) -> None:
    """The optimized levels' int8 kernel (B packed per batch into the int8 GEMM's panels, the zero points as
    column and row corrections) against the reference kernel and the numpy reference: the same exact sums,
    so the same bytes."""
    from trainer.runtime_ops.batch_matmul import batch_matmul_int8, prepare_batch_matmul

    rng = np.random.default_rng(13)
    a_shape = (2, 1, 19, 37) if adj_x else (2, 1, 37, 19)  # logical [2, 1, 37, 19]
    b_shape = (3, 23, 19) if adj_y else (3, 19, 23)  # logical [3, 19, 23]
    a = rng.integers(-128, 128, a_shape, dtype=np.int8)
    b = rng.integers(-128, 128, b_shape, dtype=np.int8)
    q = (Quantization(0.02, -128), Quantization(0.05, 0), Quantization(0.8, 5))
    want = batch_matmul_int8(a, b, prepare_batch_matmul(0.02, -128, 0.05, 0, 0.8, 5), adj_x, adj_y)
    data = _model(a_shape, b_shape, want.shape, adj_x, adj_y, np.int8, q)
    assert pyrt.Interpreter(model_content=data, kernels="reference").run(a, b)[0].tobytes() == want.tobytes()
    for level, interp in _levels(pyrt, data).items():
        assert interp.run(a, b)[0].tobytes() == want.tobytes(), level
    assert 0 < np.count_nonzero((want == 127) | (want == -128)) < want.size // 4  # some saturate, most do not
