"""Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Elu: float parity (positive inputs for Sqrt, Rsqrt, Log), int8
bit-exactness (every int8 value through each op's table, at zero points -128 / 127 / random, scales far apart
so outputs saturate), and one post-training quantization model using all eight."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.unary_math import FLOAT_FNS, TABLES, UNARY_OPS, lut_int8
from trainer.tlm import ModelBuilder

POSITIVE = ("Sqrt", "Rsqrt", "Log")  # float inputs drawn > 0 (the others: any sign)


def _input(rng: np.random.Generator, op: str, *shape: int) -> np.ndarray:
    x = _rand(rng, *shape)
    return (np.abs(x) + np.float32(0.05)).astype(np.float32) if op in POSITIVE else x


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for op in UNARY_OPS:
        for shape in ((7,), (2, 3, 4), (1, 5, 5, 3)):
            x = _input(rng, op, *shape)
            cases.append(_case(f"{op}_{'x'.join(map(str, shape))}", op, [x], FLOAT_FNS[op](x)))
    return cases


# (input scale range, output scale range): typical; output scale 100x finer (saturates); 100x coarser
SCALES = [((1e-2, 0.1), (1e-2, 0.1)), ((1e-2, 0.1), (1e-4, 1e-3)), ((1e-3, 1e-2), (0.1, 1.0))]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    every = np.arange(-128, 128, dtype=np.int8)
    for op in UNARY_OPS:
        for k, ((ilo, ihi), (olo, ohi)) in enumerate(SCALES + [SCALES[0]]):
            si, so = log_scale(rng, ilo, ihi), log_scale(rng, olo, ohi)
            zi, zo = zp_of(rng, k), zp_of(rng, k + 1)
            if k == 3:  # equal parameters in and out (Abs: no rescale)
                so, zo = si, zi
            x = rng.permutation(every).reshape(4, 64)
            want = lut_int8(x, TABLES[op](si, zi, so, zo))
            cases.append(int8_case(f"{op.lower()}8_{k}", op, [QT(x, act_q(si, zi))], want, act_q(so, zo)))
    return cases


def quantize_case() -> QuantizeCase:
    """The eight ops side by side: Abs, Neg, Square, Exp, Elu of x (any sign); Sqrt, Rsqrt, Log of p (> 0)."""
    rng = np.random.default_rng(47)
    b = ModelBuilder(description="unary_math")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    p = b.add_input("p", np.float32, [1, 4, 4, 3])
    for op in UNARY_OPS:
        y = b.add_tensor(op.lower(), np.float32, [1, 4, 4, 3])
        b.add_op(op, [p if op in POSITIVE else x], [y])
        b.mark_output(y)
    samples = [
        [
            rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
            rng.uniform(0.2, 3.0, (1, 4, 4, 3)).astype(np.float32),
        ]
        for _ in range(20)
    ]
    return QuantizeCase("unary_math", b.finish(), samples)
