"""Pack and Unpack: float parity (first, middle, last and negative axes, one and 16 tensors), int8
bit-exactness (Pack: each input requantized to the output, Concatenation's rule, with equal and with
different parameters, saturating; Unpack: the input's bytes; zero points -128 / 127, scales far apart),
and post-training quantization cases."""

from __future__ import annotations

import numpy as np
from int8_op_cases import Int8Case, act_q, i8, log_scale, zp_of
from runtime_op_cases import OpCase, _rand

from op_cases import QuantizeCase
from trainer.quant.kernels_int8 import concat_int8, prepare_requantize
from trainer.runtime_ops.pack import pack, unpack
from trainer.tlm import ModelBuilder

# (input shape, number of tensors, axis)
PACKS = [
    ((3, 4), 2, 0),
    ((3, 4), 3, 1),
    ((3, 4), 2, -1),
    ((2, 2, 3), 16, 2),
    ((5,), 1, 0),
    ((1, 2, 2, 3), 4, 4),
]


def _pack_model(shape, n: int, axis: int, dtype=np.float32, in_q=None, out_q=None) -> bytes:
    out_shape = pack([np.zeros(shape)] * n, axis).shape
    b = ModelBuilder(description="pack")
    xs = [b.add_input(f"x{k}", dtype, list(shape), quantization=in_q[k] if in_q else None) for k in range(n)]
    y = b.add_tensor("y", dtype, list(out_shape), quantization=out_q)
    b.add_op("Pack", xs, [y], axis=axis)
    b.mark_output(y)
    return b.finish()


def _unpack_model(shape, axis: int, dtype=np.float32, q=None) -> bytes:
    pieces = unpack(np.zeros(shape), axis)
    b = ModelBuilder(description="unpack")
    x = b.add_input("x", dtype, list(shape), quantization=q)
    ys = [b.add_tensor(f"y{k}", dtype, list(p.shape), quantization=q) for k, p in enumerate(pieces)]
    b.add_op("Unpack", [x], ys, axis=axis)
    for y in ys:
        b.mark_output(y)
    return b.finish()


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for k, (shape, n, axis) in enumerate(PACKS):
        xs = [_rand(rng, *shape) for _ in range(n)]
        model = _pack_model(shape, n, axis)
        cases.append(OpCase(f"Pack_{k}", model, xs, [pack(xs, axis).astype(np.float32)]))
        big = pack(xs, axis)
        cases.append(
            OpCase(f"Unpack_{k}", _unpack_model(big.shape, axis), [big.astype(np.float32)], unpack(big, axis))
        )
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (shape, n, axis) in enumerate(PACKS[:5]):
        same = k % 2 == 0  # equal parameters (TFLite's PACK) or not (each input requantized)
        out_q = act_q(log_scale(rng, 1e-3, 1.0), zp_of(rng, k))
        in_q = [out_q if same else act_q(out_q.scale[0] * float(rng.uniform(0.3, 3.0)), zp_of(rng, k + j + 1))
                for j in range(n)]  # fmt: skip
        xs = [i8(rng, *shape) for _ in range(n)]
        so, zo = out_q.scale[0], out_q.zero_point[0]
        params = [prepare_requantize(q.scale[0], q.zero_point[0], so, zo) for q in in_q]
        ax = axis % (len(shape) + 1)
        want = concat_int8([np.expand_dims(x, ax) for x in xs], ax, params)
        cases.append(Int8Case(f"pack8_{k}", _pack_model(shape, n, axis, np.int8, in_q, out_q), xs, [want]))
        q = act_q((1e-6, 1e3, 0.02)[k % 3], zp_of(rng, k))
        big = i8(rng, *want.shape)
        model = _unpack_model(big.shape, axis, np.int8, q)
        cases.append(Int8Case(f"unpack8_{k}", model, [big], unpack(big, axis)))
    return cases


def quantize_case() -> QuantizeCase:
    rng = np.random.default_rng(79)
    b = ModelBuilder(description="pack_unpack")
    x = b.add_input("x", np.float32, [3, 4, 5])
    parts = [b.add_tensor(f"u{k}", np.float32, [4, 5]) for k in range(3)]
    b.add_op("Unpack", [x], parts, axis=0)
    r = b.add_tensor("r", np.float32, [4, 5])
    b.add_op("Relu", [parts[1]], [r])
    y = b.add_tensor("y", np.float32, [4, 2, 5])
    b.add_op("Pack", [parts[0], r], [y], axis=1)
    b.mark_output(y)
    b.mark_output(parts[2])
    spread = np.array([1.0, 3.0, 0.5]).reshape(3, 1, 1)  # the slices' ranges differ: Pack requantizes
    samples = [[(rng.standard_normal((3, 4, 5)) * spread).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("pack_unpack", b.finish(), samples)
