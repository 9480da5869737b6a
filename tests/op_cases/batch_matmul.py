"""BatchMatMul: float parity (ranks 2 to 4, broadcast batch dims, adj_x / adj_y, a constant operand, shapes
past the GEMM's tiles and panels), int8 bit-exactness (TFLite's reference BATCH_MATMUL: zero points -128 and
127, scales far apart, saturation, a constant operand), and a post-training quantization case (attention
scores and their weighted sum)."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import Const, OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.batch_matmul import batch_matmul, batch_matmul_int8, prepare_batch_matmul
from trainer.tlm import ModelBuilder

# (a shape, b shape, adj_x, adj_y): logical a [..., m, k], b [..., k, n]
SHAPES = [
    ((3, 5), (5, 4), False, False),
    ((2, 3, 5), (2, 5, 4), False, False),
    ((2, 3, 5), (5, 4), False, False),  # b broadcast over a's batch
    ((1, 3, 5), (4, 5, 7), False, False),  # batch dim 1 against 4
    ((2, 1, 6, 8), (1, 3, 8, 5), False, False),  # both broadcast
    ((2, 4, 7, 16), (2, 4, 9, 16), False, True),  # attention's Q K^T
    ((2, 4, 9, 7), (2, 4, 9, 16), True, False),
    ((3, 8, 6), (3, 5, 8), True, True),
    ((1, 30, 37), (1, 37, 41), False, False),  # more rows than a tile, columns past a panel
    ((4, 1, 33), (4, 33, 20), False, False),  # one row
]


def _shape_name(a, b, adj_x, adj_y) -> str:
    return f"{'x'.join(map(str, a))}_{'x'.join(map(str, b))}{'_ax' if adj_x else ''}{'_ay' if adj_y else ''}"


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for sa, sb, ax, ay in SHAPES:
        a, b = _rand(rng, *sa), _rand(rng, *sb)
        cases.append(_case(f"BatchMatMul_{_shape_name(sa, sb, ax, ay)}", "BatchMatMul", [a, b],
                           batch_matmul(a, b, ax, ay), adj_x=ax, adj_y=ay))  # fmt: skip
    a, b = _rand(rng, 2, 3, 6), _rand(rng, 6, 4)
    cases.append(_case("BatchMatMul_const_b", "BatchMatMul", [a, Const(b)], batch_matmul(a, b), adj_x=False,
                       adj_y=False))  # fmt: skip
    return cases


INT8_SHAPES = [
    ((2, 3, 5), (2, 5, 4), False, False),
    ((2, 4, 7, 16), (2, 4, 9, 16), False, True),
    ((3, 8, 6), (3, 5, 8), True, True),
    ((1, 6, 40), (40, 3), False, False),
    ((2, 1, 6, 8), (1, 3, 8, 5), False, False),
    ((4, 9), (4, 11), True, False),
]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for i, (sa, sb, ax, ay) in enumerate(INT8_SHAPES):
        a, b = i8(rng, *sa), i8(rng, *sb)
        s_a, s_b = log_scale(rng, 1e-4, 1.0), log_scale(rng, 1e-4, 1.0)
        k = sa[-2] if ax else sa[-1]
        # a sum's range is about sqrt(k) 128^2 s_a s_b; i == 3 gives a 20x finer output scale (saturates)
        spread = 0.05 if i == 3 else rng.uniform(0.5, 4.0)
        s_o = float(np.float32(s_a * s_b * np.sqrt(k) * 128 * spread / 4))
        za, zb, zo = zp_of(rng, i), zp_of(rng, i + 1), zp_of(rng, i + 2)
        p = prepare_batch_matmul(s_a, za, s_b, zb, s_o, zo)
        operands = [QT(a, act_q(s_a, za)), QT(b, act_q(s_b, zb), const=i == 4)]
        want = batch_matmul_int8(a, b, p, ax, ay)
        cases.append(int8_case(f"batch_matmul8_{i}", "BatchMatMul", operands, want, act_q(s_o, zo), adj_x=ax,
                               adj_y=ay))  # fmt: skip
    return cases


def quantize_case() -> QuantizeCase:
    """Attention of one head: softmax(q k^T) v with q, k, v inputs (BatchMatMul, Softmax, BatchMatMul)."""
    rng = np.random.default_rng(43)
    b = ModelBuilder(description="batch_matmul")
    q = b.add_input("q", np.float32, [1, 2, 6, 8])
    k = b.add_input("k", np.float32, [1, 2, 6, 8])
    v = b.add_input("v", np.float32, [1, 2, 6, 8])
    scores = b.add_tensor("scores", np.float32, [1, 2, 6, 6])
    b.add_op("BatchMatMul", [q, k], [scores], adj_x=False, adj_y=True)
    probs = b.add_tensor("probs", np.float32, [1, 2, 6, 6])
    b.add_op("Softmax", [scores], [probs], beta=1.0)
    out = b.add_tensor("out", np.float32, [1, 2, 6, 8])
    b.add_op("BatchMatMul", [probs, v], [out], adj_x=False, adj_y=False)
    b.mark_output(out)
    samples = [[rng.standard_normal((1, 2, 6, 8)).astype(np.float32) for _ in range(3)] for _ in range(20)]
    return QuantizeCase("batch_matmul", b.finish(), samples)
