"""PRelu: float parity (alpha per channel, scalar-like, same shape, constant or input; negative and > 1
alphas), int8 bit-exactness (TFLite's two multipliers: every int8 x value against alphas of both signs,
zero points -128 / 127 on x, alpha and the output, scales far apart, saturation, a constant alpha), and a
post-training quantization case with a constant per-channel alpha."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import Const, OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.prelu import prelu, prelu_int8, prepare_prelu
from trainer.tlm import ModelBuilder


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    x = _rand(rng, 2, 3, 4, 5, scale=2)
    per_channel = rng.uniform(-0.5, 1.5, 5).astype(np.float32)
    one = np.array([0.25], np.float32)
    same = rng.uniform(-1, 2, (2, 3, 4, 5)).astype(np.float32)
    return [
        _case("PRelu_per_channel_const", "PRelu", [x, Const(per_channel)], prelu(x, per_channel)),
        _case("PRelu_scalar_input", "PRelu", [x, one], prelu(x, one)),
        _case("PRelu_same_shape", "PRelu", [x, same], prelu(x, same)),
        _case(
            "PRelu_rank2_hw", "PRelu", [x[0, 0], Const(same[0, 0, :, :1])], prelu(x[0, 0], same[0, 0, :, :1])
        ),
    ]


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    every = np.repeat(np.arange(-128, 128, dtype=np.int8), 8).reshape(1, 4, 64, 8)  # every x, 8 alphas
    for k in range(5):
        sx = log_scale(rng, 1e-3, 1.0)
        sa = log_scale(rng, 1e-3, 0.05)
        so = float(np.float32(sx * (0.05 if k == 2 else rng.uniform(0.3, 3.0))))  # k == 2 saturates
        zx, za, zo = zp_of(rng, k), zp_of(rng, k + 1), zp_of(rng, k + 2)
        alpha = i8(rng, 1, 1, 1, 8)
        alpha[0, 0, 0, :2] = (-128, 127)  # the alpha extremes
        want = prelu_int8(every, alpha, zx, za, zo, prepare_prelu(sx, sa, so))
        ops = [QT(every, act_q(sx, zx)), QT(alpha, act_q(sa, za), const=k % 2 == 0)]
        cases.append(int8_case(f"prelu8_{k}", "PRelu", ops, want, act_q(so, zo)))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(71)
    b = ModelBuilder(description="prelu")
    x = b.add_input("x", np.float32, [1, 4, 4, 3])
    a = b.add_constant("alpha", np.array([0.1, 0.25, -0.3], np.float32))
    y = b.add_tensor("y", np.float32, [1, 4, 4, 3])
    b.add_op("PRelu", [x, a], [y])
    b.mark_output(y)
    samples = [[(rng.standard_normal((1, 4, 4, 3)) * 2).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("prelu", b.finish(), samples)
