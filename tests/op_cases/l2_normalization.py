"""L2Normalization: float parity (rows of several lengths, a zero row under the 1e-6 floor, rank 1 and 4),
int8 bit-exactness (TFLite's kernel: zero points -128 / 127 / random, rows at the zero point, single
nonzero values, long rows, the output fixed at 1/128, 0), and a post-training quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.l2_normalization import OUTPUT_QUANT, l2_normalization, l2_normalization_int8
from trainer.tlm import ModelBuilder


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    x4 = _rand(rng, 2, 3, 4, 5, scale=2)
    x4[0, 0, 0] = 0.0  # a zero row: 0 / 1e-6
    x4[0, 0, 1] = 1e-8  # a row under the floor
    x1 = _rand(rng, 7)
    return [
        _case("L2Normalization_rank4", "L2Normalization", [x4], l2_normalization(x4)),
        _case("L2Normalization_rank1", "L2Normalization", [x1], l2_normalization(x1)),
    ]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    out_q = act_q(*OUTPUT_QUANT)
    for k, depth in enumerate((64, 3, 1, 300)):
        zi = zp_of(rng, k)
        x = i8(rng, 1, 6, depth)
        x[0, 0] = zi  # a row at the zero point: 0
        x[0, 1] = zi
        x[0, 1, 0] = 127 if zi < 0 else -128  # one nonzero value: +-127/128
        x[0, 2] = np.clip(zi + rng.integers(-2, 3, depth), -128, 127)  # small values
        si = log_scale(rng, 1e-3, 1.0)  # the input scale does not enter the int8 kernel
        want = l2_normalization_int8(x, zi)
        cases.append(
            int8_case(f"l2_normalization8_{k}", "L2Normalization", [QT(x, act_q(si, zi))], want, out_q)
        )
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(73)
    b = ModelBuilder(description="l2_normalization")
    x = b.add_input("x", np.float32, [1, 4, 16])
    y = b.add_tensor("y", np.float32, [1, 4, 16])
    b.add_op("L2Normalization", [x], [y])
    b.mark_output(y)
    samples = [[(rng.standard_normal((1, 4, 16)) * 2 + 0.5).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("l2_normalization", b.finish(), samples)
