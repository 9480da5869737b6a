"""Sum and ReduceMax: float parity (one axis, several, all, negative axes, keep_dims, ranks 1 to 4), int8
bit-exactness (Sum: TFLite's rescaled SUM with input and output scales far apart, zero points -128 / 127,
saturation both ways, equal parameters; ReduceMax: the raw max, the input's parameters), and a post-training
quantization model through both."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, log_scale, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.reduce import prepare_sum, reduce_max, reduce_sum, sum_int8
from trainer.tlm import ModelBuilder

# (input shape, axes, keep_dims)
REDUCES = [
    ((7,), [0], False),
    ((3, 5), [1], True),
    ((3, 5), [-2], False),
    ((2, 3, 4), [0, 2], False),
    ((2, 3, 4), [2, 0, 1], True),
    ((2, 4, 4, 3), [1, 2], False),
    ((2, 4, 4, 3), [-1], True),
    ((1, 3, 2, 5), [0, 3], False),
]


def _model(op: str, shape, axes, keep: bool, dtype=np.float32, in_q=None, out_q=None) -> bytes:
    out_shape = reduce_sum(np.zeros(shape), axes, keep).shape
    b = ModelBuilder(description=op)
    x = b.add_input("x", dtype, list(shape), quantization=in_q)
    y = b.add_tensor("y", dtype, list(out_shape), quantization=out_q)
    b.add_op(op, [x], [y], axes=list(axes), keep_dims=keep)
    b.mark_output(y)
    return b.finish()


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for k, (shape, axes, keep) in enumerate(REDUCES):
        x = _rand(rng, *shape)
        want = reduce_sum(x, axes, keep).astype(np.float32)
        cases.append(OpCase(f"Sum_{k}", _model("Sum", shape, axes, keep), [x], [want]))
        want = reduce_max(x, axes, keep).astype(np.float32)
        cases.append(OpCase(f"ReduceMax_{k}", _model("ReduceMax", shape, axes, keep), [x], [want]))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (shape, axes, keep) in enumerate(REDUCES):
        x = i8(rng, *shape)
        s_in = log_scale(rng, 1e-3, 1.0)
        count = int(np.prod([shape[a] for a in {a % len(shape) for a in axes}]))
        # the output scale: about the sum's range (k % 4 == 0), far smaller (saturates), far larger, or equal
        ratio = (np.sqrt(count) * 4, 0.05, 300.0, 1.0)[k % 4]
        in_q, out_q = act_q(s_in, zp_of(rng, k)), act_q(s_in * ratio, zp_of(rng, k + 1))
        scale, bias = prepare_sum(in_q.scale[0], in_q.zero_point[0], out_q.scale[0], count)
        want = sum_int8(x, axes, keep, scale, bias, out_q.zero_point[0])
        model = _model("Sum", shape, axes, keep, np.int8, in_q, out_q)
        cases.append(Int8Case(f"sum8_{k}", model, [x], [want]))
        q = act_q((1e-6, 1e3, 0.02)[k % 3], zp_of(rng, k))
        model = _model("ReduceMax", shape, axes, keep, np.int8, q, q)
        cases.append(Int8Case(f"reduce_max8_{k}", model, [x], [reduce_max(x, axes, keep)]))
    # extreme scales: a tiny input scale into a huge output one (all zero point) and the reverse (saturated)
    x = i8(rng, 4, 6)
    for name, s_in, s_out in (("sum8_tiny_in", 1e-30, 1e30), ("sum8_huge_in", 1e3, 1e-3)):
        in_q, out_q = act_q(s_in, 5), act_q(s_out, -3)
        scale, bias = prepare_sum(s_in, 5, s_out, 6)
        want = sum_int8(x, [1], False, scale, bias, -3)
        cases.append(Int8Case(name, _model("Sum", (4, 6), [1], False, np.int8, in_q, out_q), [x], [want]))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(83)
    b = ModelBuilder(description="sum_reduce_max")
    x = b.add_input("x", np.float32, [2, 6, 5])
    s = b.add_tensor("s", np.float32, [2, 5])
    b.add_op("Sum", [x], [s], axes=[1], keep_dims=False)
    m = b.add_tensor("m", np.float32, [2, 1, 5])
    b.add_op("ReduceMax", [x], [m], axes=[-2], keep_dims=True)
    r = b.add_tensor("r", np.float32, [2, 5])
    b.add_op("ReduceMax", [m], [r], axes=[1], keep_dims=False)
    y = b.add_tensor("y", np.float32, [2, 5])
    b.add_op("Add", [s, r], [y])
    b.mark_output(y)
    samples = [[rng.standard_normal((2, 6, 5)).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("sum_reduce_max", b.finish(), samples)
