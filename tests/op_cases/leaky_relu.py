"""LeakyRelu: float parity (alphas 0, 0.2 and 1), int8 bit-exactness (TFLite's two multipliers over every
int8 value: zero points -128 / 127, scales far apart, alpha 0), and a post-training quantization case."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.leaky_relu import leaky_relu, leaky_relu_table
from trainer.runtime_ops.unary_math import lut_int8
from trainer.tlm import ModelBuilder

ALPHAS = (0.0, 0.2, 1.0, 0.01)


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for alpha in ALPHAS:
        x = _rand(rng, 2, 3, 4)
        cases.append(_case(f"LeakyRelu_alpha{alpha}", "LeakyRelu", [x], leaky_relu(x, alpha), alpha=alpha))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    every = np.arange(-128, 128, dtype=np.int8)
    for k, alpha in enumerate(ALPHAS):
        si = log_scale(rng, 1e-3, 1.0)
        so = float(np.float32(si * (0.2 if k == 2 else rng.uniform(0.5, 2.0))))  # k == 2 saturates
        zi, zo = zp_of(rng, k), zp_of(rng, k + 1)
        x = rng.permutation(every).reshape(4, 64)
        want = lut_int8(x, leaky_relu_table(alpha, si, zi, so, zo))
        out_q = act_q(so, zo)
        cases.append(
            int8_case(f"leaky_relu8_{k}", "LeakyRelu", [QT(x, act_q(si, zi))], want, out_q, alpha=alpha)
        )
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(53)
    b = ModelBuilder(description="leaky_relu")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    y = b.add_tensor("y", np.float32, [1, 4, 4, 3])
    b.add_op("LeakyRelu", [x], [y], alpha=0.1)
    b.mark_output(y)
    samples = [[rng.standard_normal((1, 4, 4, 3)).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("leaky_relu", b.finish(), samples)
