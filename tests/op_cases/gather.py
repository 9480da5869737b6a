"""Gather: float parity (axes 0 to 3 and negative, params of rank 1 to 4, indices of rank 0 to 3 as a
constant or an int32 graph input, an output of rank 6, repeated indices, out-of-range run-time indices giving
zero rows), int8 bit-exactness (the selected bytes; zero points -128 / 127, scales 1e-6 and 1e3; an
out-of-range run-time index gives the zero point), and a post-training quantization case (an embedding table
looked up by int32 ids: the table becomes per-tensor int8, the output keeps its parameters, the ids stay
int32)."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.gather import gather
from trainer.tlm import ModelBuilder

# (params shape, axis, indices, indices a graph input?)
GATHERS = [
    ((5, 3), 0, [4, 0, 2, 4], False),
    ((2, 6, 4), 1, [[5, 0, 1], [2, 2, 3]], True),
    ((2, 3, 4, 5), -1, 3, False),
    ((8,), 0, [[7, 1], [0, 3]], True),
    ((3, 4, 5, 2), 2, [[0, -1], [5, 7]], True),  # out of range at run time: rows of zeros
    ((2, 3, 4, 2), 1, [[[2, 0], [1, 1]], [[0, 2], [2, 1]]], False),  # output of rank 6
    ((4, 7), -2, [3], True),
]


def _model(shape, axis, indices, fed, dtype=np.float32, quant=None, table=None) -> bytes:
    """One Gather of params (a graph input, or the constant ``table``) by ``indices``."""
    idx = np.asarray(indices, np.int32)
    out_shape = gather(np.zeros(shape), idx, axis).shape
    b = ModelBuilder(description="gather")
    if table is None:
        x = b.add_input("params", dtype, list(shape), quantization=quant)
    else:
        x = b.add_constant("params", table, quantization=quant)
    i = b.add_input("ids", np.int32, list(idx.shape)) if fed else b.add_constant("ids", idx)
    y = b.add_tensor("y", dtype, list(out_shape), quantization=quant)
    b.add_op("Gather", [x, i], [y], axis=axis)
    b.mark_output(y)
    return b.finish()


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for k, (shape, axis, indices, fed) in enumerate(GATHERS):
        x = _rand(rng, *shape)
        idx = np.asarray(indices, np.int32)
        want = gather(x.astype(np.float64), idx, axis).astype(np.float32)
        feeds = [x, idx] if fed else [x]
        cases.append(OpCase(f"Gather_{k}", _model(shape, axis, indices, fed), feeds, [want]))
    # an embedding lookup: a constant table, ids fed
    table = _rand(rng, 16, 4)
    ids = np.array([[3, 15, 0, 3, 9, 1]], np.int32)
    model = _model(table.shape, 0, ids, True, table=table)
    cases.append(OpCase("Gather_embedding", model, [ids], [gather(table, ids, 0)]))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    scales = (1e-6, 1e3, 0.05)
    for k, (shape, axis, indices, fed) in enumerate(GATHERS):
        q = act_q(scales[k % len(scales)], zp_of(rng, k))
        x = i8(rng, *shape)
        x.flat[0], x.flat[-1] = -128, 127
        idx = np.asarray(indices, np.int32)
        want = gather(x, idx, axis, fill=np.int8(q.zero_point[0]))
        feeds = [x, idx] if fed else [x]
        model = _model(shape, axis, indices, fed, np.int8, q)
        cases.append(Int8Case(f"gather8_{k}", model, feeds, [want]))
    table = i8(rng, 10, 3)
    ids = np.array([[9, 0, 4], [4, 10, -3]], np.int32)  # 10 and -3: the zero point
    q = act_q(0.02, 127)
    model = _model(table.shape, 0, ids, True, np.int8, q, table=table)
    cases.append(Int8Case("gather8_embedding", model, [ids], [gather(table, ids, 0, fill=np.int8(127))]))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(74)
    table = (rng.standard_normal((12, 6)) * 0.7).astype(np.float32)
    b = ModelBuilder(description="gather")
    ids = b.add_input("ids", np.int32, [1, 5])
    t = b.add_constant("table", table)
    e = b.add_tensor("e", np.float32, [1, 5, 6])
    b.add_op("Gather", [t, ids], [e], axis=0)
    r = b.add_tensor("r", np.float32, [1, 5, 6])
    b.add_op("Relu", [e], [r])
    b.mark_output(r)
    samples = [[rng.integers(0, 12, (1, 5)).astype(np.int32)] for _ in range(20)]
    return QuantizeCase("gather", b.finish(), samples)
