"""HardSwish: float parity (values around the kinks at -3 and 3, large magnitudes), int8 bit-exactness
(TFLite's 16-bit algorithm over every int8 value: zero points -128 / 127, input scales whose reluish
multiplier shifts left and right, output shifts beyond 16 bits, saturation), and a post-training
quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import OpCase, _case

from op_cases import QuantizeCase
from trainer.runtime_ops.hard_swish import hard_swish, hard_swish_table
from trainer.runtime_ops.unary_math import lut_int8
from trainer.tlm import ModelBuilder

# (input scale, output scale): moderate; saturating (output scale 1/8 of the input's); a large input scale
# (reluish shift > 0); a small one (reluish shift < 0); output shift beyond 16 bits; tiny scales (reluish
# shifts -13 and -20)
SCALES = ((0.04, 0.02), (0.2, 0.025), (3.0, 2.0), (1e-3, 5e-4), (2e-3, 1.5), (1e-6, 2e-6), (1e-8, 1e-8))


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    kinks = np.array([-3.5, -3.0, -2.999, -1.5, 0.0, 1.5, 2.999, 3.0, 3.001, 7.0], np.float32)
    wide = (rng.standard_normal((2, 3, 4)) * 4).astype(np.float32)
    return [
        _case("HardSwish_kinks", "HardSwish", [kinks], hard_swish(kinks)),
        _case("HardSwish_wide", "HardSwish", [wide], hard_swish(wide)),
    ]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    every = np.arange(-128, 128, dtype=np.int8)
    for k, (si, so) in enumerate(SCALES):
        si, so = float(np.float32(si)), float(np.float32(so))
        zi, zo = zp_of(rng, k), zp_of(rng, k + 1)
        x = rng.permutation(every).reshape(1, 4, 8, 8)
        want = lut_int8(x, hard_swish_table(si, zi, so, zo))
        cases.append(int8_case(f"hard_swish8_{k}", "HardSwish", [QT(x, act_q(si, zi))], want, act_q(so, zo)))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(61)
    b = ModelBuilder(description="hard_swish")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    y = b.add_tensor("y", np.float32, [1, 4, 4, 3])
    b.add_op("HardSwish", [x], [y])
    b.mark_output(y)
    samples = [[(rng.standard_normal((1, 4, 4, 3)) * 3).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("hard_swish", b.finish(), samples)
