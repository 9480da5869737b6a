"""Split: float parity (equal and unequal pieces, first / middle / last / negative axis, one output, 16
outputs), int8 bit-exactness (the pieces are the input's bytes; zero points -128 / 127, scales 1e-6 and 1e3),
and a post-training quantization case (the outputs keep the input's parameters)."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.split import split
from trainer.tlm import ModelBuilder, Quantization

# (input shape, axis, sizes)
SHAPES = [
    ((2, 6, 3), 1, (2, 2, 2)),
    ((2, 6, 3), -2, (1, 3, 2)),
    ((4, 5), 0, (1, 3)),
    ((1, 4, 4, 12), 3, (4, 8)),
    ((1, 4, 4, 12), -1, (3,) * 4),
    ((3, 7), 1, (7,)),
    ((2, 16), 1, (1,) * 16),
    ((5,), 0, (2, 3)),
]


def _model(shape, axis: int, sizes, dtype=np.float32, quant: Quantization | None = None) -> bytes:
    b = ModelBuilder(description="split")
    x = b.add_input("x", dtype, list(shape), quantization=quant)
    ys = []
    for k, s in enumerate(sizes):
        out = list(shape)
        out[axis] = s
        ys.append(b.add_tensor(f"y{k}", dtype, out, quantization=quant))
    b.add_op("Split", [x], ys, axis=axis)
    for y in ys:
        b.mark_output(y)
    return b.finish()


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for shape, axis, sizes in SHAPES:
        x = _rand(rng, *shape)
        want = [p.astype(np.float32) for p in split(x, sizes, axis)]
        name = f"Split_{'x'.join(map(str, shape))}_axis{axis}_{len(sizes)}"
        cases.append(OpCase(name, _model(shape, axis, sizes), [x], want))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    scales = (1e-6, 1e3, 0.05, 0.7)
    for k, (shape, axis, sizes) in enumerate(SHAPES[:6]):
        q = act_q(scales[k % len(scales)], zp_of(rng, k))
        x = i8(rng, *shape)
        x.flat[0], x.flat[-1] = -128, 127  # the extremes pass through unchanged
        want = split(x, sizes, axis)
        cases.append(Int8Case(f"split8_{k}", _model(shape, axis, sizes, np.int8, q), [x], want))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(71)
    b = ModelBuilder(description="split")
    x = b.add_input("x", np.float32, [1, 4, 4, 6])
    ys = [b.add_tensor(f"y{k}", np.float32, [1, 4, 4, s]) for k, s in enumerate((2, 4))]
    b.add_op("Split", [x], ys, axis=3)
    r = b.add_tensor("r", np.float32, [1, 4, 4, 4])
    b.add_op("Relu", [ys[1]], [r])
    b.mark_output(ys[0])
    b.mark_output(r)
    samples = [[rng.standard_normal((1, 4, 4, 6)).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("split", b.finish(), samples)
