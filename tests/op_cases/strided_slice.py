"""StridedSlice: float parity (ranges, negative indices and strides, masks, shrunk axes, clamped bounds,
rank 1 to 5), int8 bit-exactness (the selected bytes; zero points -128 / 127, scales 1e-6 and 1e3), and a
post-training quantization case (the output keeps the input's parameters, the int32 bounds stay int32)."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.runtime_ops.strided_slice import strided_slice
from trainer.tlm import ModelBuilder

# (input shape, begin, end, strides, begin_mask, end_mask, shrink_axis_mask)
SLICES = [
    ((6,), [1], [5], [1], 0, 0, 0),
    ((6,), [-1], [0], [-1], 0, 0, 0),
    ((2, 6, 5), [0, 1, 0], [2, 4, 5], [1, 1, 2], 0, 0, 0),
    ((2, 6, 5), [0, 0, -1], [0, 0, 0], [1, 2, -2], 3, 3, 0),
    ((2, 6, 5), [0, 2, 0], [0, 3, 0], [1, 1, 1], 5, 5, 2),
    ((2, 6, 5), [1, -7, 4], [2, 100, 5], [1, 3, 1], 0, 0, 5),
    ((1, 4, 4, 3), [0, 1, 1, 0], [1, 4, 4, 3], [1, 2, 2, 1], 0, 0, 0),
    ((2, 2, 3, 2, 3), [0, 1, 0, 1, 2], [2, 2, 3, 2, 0], [1, 1, 2, 1, -1], 0, 0, 2),
]


def _model(shape, begin, end, strides, bm, em, sm, dtype=np.float32, quant=None) -> tuple[bytes, tuple]:
    out_shape = strided_slice(np.zeros(shape), begin, end, strides, bm, em, sm).shape
    b = ModelBuilder(description="strided_slice")
    x = b.add_input("x", dtype, list(shape), quantization=quant)
    vectors = {"b": begin, "e": end, "s": strides}
    consts = [b.add_constant(n, np.asarray(v, np.int32)) for n, v in vectors.items()]
    y = b.add_tensor("y", dtype, list(out_shape), quantization=quant)
    b.add_op("StridedSlice", [x, *consts], [y], begin_mask=bm, end_mask=em, shrink_axis_mask=sm)
    b.mark_output(y)
    return b.finish(), out_shape


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for k, (shape, *args) in enumerate(SLICES):
        x = _rand(rng, *shape)
        model, _ = _model(shape, *args)
        cases.append(OpCase(f"StridedSlice_{k}", model, [x], [strided_slice(x, *args).astype(np.float32)]))
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    scales = (1e-6, 1e3, 0.05)
    for k, (shape, *args) in enumerate(SLICES[2:8]):
        q = act_q(scales[k % len(scales)], zp_of(rng, k))
        x = i8(rng, *shape)
        x.flat[0], x.flat[-1] = -128, 127
        model, _ = _model(shape, *args, dtype=np.int8, quant=q)
        cases.append(Int8Case(f"strided_slice8_{k}", model, [x], [strided_slice(x, *args)]))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(73)
    b = ModelBuilder(description="strided_slice")
    x = b.add_input("x", np.float32, [1, 6, 6, 4])
    vectors = {"b": [0, 1, 0, 1], "e": [1, 6, 6, 4], "s": [1, 2, 1, 2]}
    consts = [b.add_constant(n, np.asarray(v, np.int32)) for n, v in vectors.items()]
    y = b.add_tensor("y", np.float32, [1, 3, 6, 2])
    b.add_op("StridedSlice", [x, *consts], [y])
    r = b.add_tensor("r", np.float32, [1, 3, 6, 2])
    b.add_op("Relu", [y], [r])
    b.mark_output(r)
    samples = [[rng.standard_normal((1, 6, 6, 4)).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("strided_slice", b.finish(), samples)


