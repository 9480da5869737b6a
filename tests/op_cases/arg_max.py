"""ArgMax and ArgMin: float parity (first, middle, last and negative axes, ranks 1 to 4, ties, int32 and int64
indices), int8 bit-exactness (raw int8 order, ties, an axis of 1, zero points -128 / 127, extreme scales that
do not matter), and a post-training quantization model whose int32 output stays int32."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.arg_max import arg_max, arg_min
from trainer.tlm import ModelBuilder

# (input shape, axis, index dtype)
ARGS = [
    ((7,), 0, np.int32),
    ((3, 5), 1, np.int64),
    ((3, 5), -2, np.int32),
    ((2, 3, 4), 1, np.int32),
    ((2, 4, 4, 3), -1, np.int64),
    ((2, 1, 4, 3), 1, np.int32),  # an axis of 1: every index 0
]
OPS = {"ArgMax": arg_max, "ArgMin": arg_min}


def _model(op: str, shape, axis: int, out_dtype, dtype=np.float32, q=None) -> bytes:
    out_shape = arg_max(np.zeros(shape), axis).shape
    b = ModelBuilder(description=op)
    x = b.add_input("x", dtype, list(shape), quantization=q)
    y = b.add_tensor("y", out_dtype, list(out_shape))
    b.add_op(op, [x], [y], axis=axis)
    b.mark_output(y)
    return b.finish()


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for k, (shape, axis, out) in enumerate(ARGS):
        x = _rand(rng, *shape)
        if k == 3:
            x = np.round(x).astype(np.float32)  # few distinct values: ties, the first index wins
        for op, fn in OPS.items():
            cases.append(OpCase(f"{op}_{k}", _model(op, shape, axis, out), [x], [fn(x, axis).astype(out)]))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (shape, axis, out) in enumerate(ARGS):
        x = i8(rng, *shape, lo=-3, hi=3) if k % 2 else i8(rng, *shape)  # ties in every other case
        q = act_q((1e-6, 1e3, 0.02)[k % 3], zp_of(rng, k))
        for op, fn in OPS.items():
            model = _model(op, shape, axis, out, np.int8, q)
            cases.append(Int8Case(f"{op.lower()}8_{k}", model, [x], [fn(x, axis).astype(out)]))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(84)
    b = ModelBuilder(description="arg_max")
    x = b.add_input("x", np.float32, [4, 10])
    h = b.add_tensor("h", np.float32, [4, 10])
    b.add_op("Relu", [x], [h])
    y = b.add_tensor("y", np.int32, [4])
    b.add_op("ArgMax", [h], [y], axis=1)
    z = b.add_tensor("z", np.int64, [10])
    b.add_op("ArgMin", [x], [z], axis=0)
    b.mark_output(y)
    b.mark_output(z)
    b.mark_output(h)
    # rows of ten levels 2/3 apart, shuffled: far beyond int8's resolution, so int8 picks the float indices
    levels = np.linspace(-3.0, 3.0, 10)
    samples = [[np.stack([rng.permutation(levels) for _ in range(4)]).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("arg_max", b.finish(), samples)
