"""Gelu: float parity (exact and tanh forms, tails), int8 bit-exactness (TFLite's LUTPopulate table over every
int8 value, both forms: zero points -128 / 127, scales far apart, saturation), and a post-training
quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import OpCase, _case

from op_cases import QuantizeCase
from trainer.runtime_ops.gelu import gelu, gelu_table
from trainer.runtime_ops.unary_math import lut_int8
from trainer.tlm import ModelBuilder


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for approximate in (False, True):
        x = (rng.standard_normal((2, 3, 4)) * 3).astype(np.float32)
        x.flat[:4] = [-12.0, -6.0, 6.0, 12.0]  # the tails: 0 below, x above
        name = f"Gelu_{'tanh' if approximate else 'erf'}"
        cases.append(_case(name, "Gelu", [x], gelu(x, approximate), approximate=approximate))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    every = np.arange(-128, 128, dtype=np.int8)
    for k in range(6):
        approximate = k % 2 == 1
        si = log_scale(rng, 1e-3, 0.5)
        so = float(np.float32(si * (0.1 if k == 2 else rng.uniform(0.3, 3.0))))  # k == 2 saturates
        zi, zo = zp_of(rng, k), zp_of(rng, k + 1)
        x = rng.permutation(every).reshape(4, 64)
        want = lut_int8(x, gelu_table(approximate, si, zi, so, zo))
        q = act_q(si, zi)
        cases.append(
            int8_case(f"gelu8_{k}", "Gelu", [QT(x, q)], want, act_q(so, zo), approximate=approximate)
        )
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(67)
    b = ModelBuilder(description="gelu")
    x = b.add_input("x", np.float32, [1, 8, 16])
    y = b.add_tensor("y", np.float32, [1, 8, 16])
    b.add_op("Gelu", [x], [y], approximate=True)
    b.mark_output(y)
    samples = [[(rng.standard_normal((1, 8, 16)) * 2).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("gelu", b.finish(), samples)
