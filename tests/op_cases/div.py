"""Div: float parity (broadcasts, a divisor input; divisors kept away from 0), int8 bit-exactness (TFLite's
reference DIV: zero points -128 / 127, scales far apart, saturation, negative divisors, zero divisors), and a
post-training quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import BROADCAST_SHAPES, OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.div import div, div_int8, prepare_div
from trainer.tlm import ModelBuilder


def _divisor(rng: np.random.Generator, *shape: int) -> np.ndarray:
    d = _rand(rng, *shape)
    return (np.sign(d) * (np.abs(d) + 0.25)).astype(np.float32)  # |d| >= 0.25


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for i, (sa, sb) in enumerate(BROADCAST_SHAPES):
        a, b = _rand(rng, *sa), _divisor(rng, *sb)
        name = f"Div_bcast{i}_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}"
        cases.append(_case(name, "Div", [a, b], div(a, b)))
    return cases


BROADCASTS = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((4,), (2, 3, 4)),
    ((1, 2, 3, 4), (1,)),
    ((16, 16), (16, 16)),
]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (sa_shape, sb_shape) in enumerate(BROADCASTS):
        a, b = i8(rng, *sa_shape), i8(rng, *sb_shape)
        sa, sb = log_scale(rng, 1e-3, 1.0), log_scale(rng, 1e-3, 1.0)
        # the quotient's range is about (127 sa) / sb; k == 3 gives it a 10x finer output scale (saturates)
        so = float(np.float32(sa / sb * (0.1 if k == 3 else rng.uniform(0.5, 2.0))))
        za, zb, zo = zp_of(rng, k), zp_of(rng, k + 1), zp_of(rng, k + 2)
        p = prepare_div(sa, za, sb, zb, so, zo)
        operands = [QT(a, act_q(sa, za)), QT(b, act_q(sb, zb))]
        cases.append(int8_case(f"div8_{k}", "Div", operands, div_int8(a, b, p), act_q(so, zo)))
    return cases


def quantize_case() -> QuantizeCase:
    """x / (|y| + 1) written as Div by a tensor (Abs and Add before it)."""
    rng = np.random.default_rng(41)
    b = ModelBuilder(description="div")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    y = b.add_input("y", np.float32, [1, 4, 4, 3])
    ay = b.add_tensor("abs_y", np.float32, [1, 4, 4, 3])
    b.add_op("Abs", [y], [ay])
    den = b.add_tensor("den", np.float32, [1, 4, 4, 3])
    b.add_op("Add", [ay, b.add_constant("one", np.ones([3], np.float32))], [den], activation="NONE")
    out = b.add_tensor("quotient", np.float32, [1, 4, 4, 3])
    b.add_op("Div", [x, den], [out])
    b.mark_output(out)
    samples = [
        [
            rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
            2 * rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
        ]
        for _ in range(20)
    ]
    return QuantizeCase("div", b.finish(), samples)
