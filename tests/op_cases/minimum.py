"""Minimum: float parity (broadcasts, a constant operand), int8 bit-exactness (equal parameters: the raw
min; different scales and zero points: each input requantized to the output; saturation), and a
post-training quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import BROADCASTS, QT, Int8Case, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import BROADCAST_SHAPES, Const, OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.quant.kernels_int8 import prepare_requantize
from trainer.runtime_ops.minimum import minimum, minimum_int8
from trainer.tlm import ModelBuilder


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for i, (sa, sb) in enumerate(BROADCAST_SHAPES):
        a, b = _rand(rng, *sa), _rand(rng, *sb)
        name = f"Minimum_bcast{i}_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}"
        cases.append(_case(name, "Minimum", [a, b], minimum(a, b)))
    a, b = _rand(rng, 2, 3, 4), _rand(rng, 4)
    cases.append(_case("Minimum_const_operand", "Minimum", [a, Const(b)], minimum(a, b)))
    a = _rand(rng, 3, 5)
    cases.append(
        _case("Minimum_with_itself_shifted", "Minimum", [a, a + np.float32(0.5)], minimum(a, a + 0.5))
    )
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (sa_shape, sb_shape) in enumerate(BROADCASTS):
        a, b = i8(rng, *sa_shape), i8(rng, *sb_shape)
        if k == 0:  # one scale and zero point everywhere: the raw min (TFLite's MINIMUM)
            sa = sb = so = log_scale(rng, 1e-2, 1.0)
            za = zb = zo = 5
        else:
            sa, sb = log_scale(rng, 1e-3, 1.0), log_scale(rng, 1e-3, 10.0)
            so = float(np.float32(max(sa, sb) * (0.25 if k == 3 else 1.5)))  # k == 3 saturates
            za, zb, zo = zp_of(rng, k), zp_of(rng, k + 1), zp_of(rng, k + 2)
        pa, pb = prepare_requantize(sa, za, so, zo), prepare_requantize(sb, zb, so, zo)
        operands = [QT(a, act_q(sa, za)), QT(b, act_q(sb, zb))]
        cases.append(
            int8_case(f"minimum8_{k}", "Minimum", operands, minimum_int8(a, b, pa, pb), act_q(so, zo))
        )
    a, b = i8(rng, 3, 4), i8(rng, 4)  # a constant operand at a scale 1000x smaller
    pa, pb = prepare_requantize(0.5, 3, 0.6, -1), prepare_requantize(5e-4, -7, 0.6, -1)
    operands = [QT(a, act_q(0.5, 3)), QT(b, act_q(5e-4, -7), True)]
    cases.append(int8_case("minimum8_const", "Minimum", operands, minimum_int8(a, b, pa, pb), act_q(0.6, -1)))
    return cases


def quantize_case() -> QuantizeCase:
    """min(a, 0.5 * b): two inputs of different ranges and a Mul before, so the inputs' scales differ."""
    rng = np.random.default_rng(31)
    b = ModelBuilder(description="minimum")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    y = b.add_input("y", np.float32, [1, 4, 4, 3])
    half = b.add_tensor("half", np.float32, [1, 4, 4, 3])
    b.add_op("Mul", [y, b.add_constant("k", np.full([3], 0.5, np.float32))], [half], activation="NONE")
    out = b.add_tensor("min", np.float32, [1, 4, 4, 3])
    b.add_op("Minimum", [x, half], [out])
    b.mark_output(out)
    samples = [
        [
            rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
            3 * rng.standard_normal((1, 4, 4, 3)).astype(np.float32),
        ]
        for _ in range(20)
    ]
    return QuantizeCase("minimum", b.finish(), samples)
