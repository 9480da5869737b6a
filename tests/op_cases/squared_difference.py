"""SquaredDifference: float parity (broadcasts, a constant operand), int8 bit-exactness (TFLite's scheme at
equal and far-apart input scales, zero points -128 / 127, saturation, a constant operand), and a post-training
quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import BROADCAST_SHAPES, Const, OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.squared_difference import (
    prepare_squared_difference,
    squared_difference,
    squared_difference_int8,
)
from trainer.tlm import ModelBuilder


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for i, (sa, sb) in enumerate(BROADCAST_SHAPES):
        a, b = _rand(rng, *sa), _rand(rng, *sb)
        name = f"SquaredDifference_bcast{i}_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}"
        cases.append(_case(name, "SquaredDifference", [a, b], squared_difference(a, b)))
    a, b = _rand(rng, 2, 3, 4), _rand(rng, 4)
    cases.append(
        _case("SquaredDifference_const", "SquaredDifference", [a, Const(b)], squared_difference(a, b))
    )
    return cases


BROADCASTS = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((4,), (2, 3, 4)),
    ((1, 2, 3, 4), (1,)),
    ((5,), ()),
]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (sa_shape, sb_shape) in enumerate(BROADCASTS):
        a, b = i8(rng, *sa_shape), i8(rng, *sb_shape)
        sa = log_scale(rng, 1e-3, 1.0)
        sb = sa if k == 0 else log_scale(rng, 1e-3, 1.0)
        # the smallest output scale TFLite's multipliers allow is (2 max)^2 / 2^14; k == 3 sits near it and
        # saturates, the others cover the squared range with some room
        floor = (2 * max(sa, sb)) ** 2 / 16384
        so = float(np.float32(floor * (1.5 if k == 3 else rng.uniform(40, 200))))
        za, zb, zo = zp_of(rng, k), zp_of(rng, k + 1), zp_of(rng, k + 2)
        p = prepare_squared_difference(sa, za, sb, zb, so, zo)
        operands = [QT(a, act_q(sa, za)), QT(b, act_q(sb, zb))]
        want = squared_difference_int8(a, b, p)
        cases.append(
            int8_case(f"squared_difference8_{k}", "SquaredDifference", operands, want, act_q(so, zo))
        )
    a, b = i8(rng, 3, 4), i8(rng, 4)  # a constant operand at a scale 100x smaller
    p = prepare_squared_difference(0.05, 3, 5e-4, -7, 0.05, -128)
    operands = [QT(a, act_q(0.05, 3)), QT(b, act_q(5e-4, -7), True)]
    want = squared_difference_int8(a, b, p)
    cases.append(
        int8_case("squared_difference8_const", "SquaredDifference", operands, want, act_q(0.05, -128))
    )
    return cases


def quantize_case() -> QuantizeCase:
    """(x - 0.5 y)^2: two inputs of different ranges (a Mul before one of them)."""
    rng = np.random.default_rng(37)
    b = ModelBuilder(description="squared_difference")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    y = b.add_input("y", np.float32, [1, 4, 4, 3])
    half = b.add_tensor("half", np.float32, [1, 4, 4, 3])
    b.add_op("Mul", [y, b.add_constant("k", np.full([3], 0.5, np.float32))], [half], activation="NONE")
    out = b.add_tensor("sqdiff", np.float32, [1, 4, 4, 3])
    b.add_op("SquaredDifference", [x, half], [out])
    b.mark_output(out)
    samples = [
        [
            rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
            3 * rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
        ]
        for _ in range(20)
    ]
    return QuantizeCase("squared_difference", b.finish(), samples)
