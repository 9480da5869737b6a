"""TransposeConv: float parity (SAME and VALID, strides 1 to 3, kernels smaller and larger than the stride,
outputs with rows no tap reaches, bias and activations, a batch of 2, sizes past the GEMM's tiles), int8
bit-exactness (TFLite's reference TRANSPOSE_CONV: per-channel and per-tensor weights, zero points -128 and
127, saturation, no bias), and a post-training quantization case (a small decoder)."""

from __future__ import annotations

import numpy as np
from int8_op_cases import QT, Int8Case, _bias, _out_scale, _weights, act_q, i8, log_scale, zp_of
from int8_op_cases import _case as int8_case
from runtime_op_cases import Const, OpCase, _case, _rand

from op_cases import QuantizeCase
from trainer.quant.kernels_int8 import prepare_channel_requant
from trainer.runtime_ops.transpose_conv import transpose_conv, transpose_conv_int8
from trainer.tlm import ModelBuilder

ACT_CODES = {"NONE": 0, "RELU": 1, "RELU6": 2}

# (x shape, kernel (kh, kw), out_c, strides, padding, output (oh, ow), activation, bias)
GEOMETRIES = [
    ((1, 4, 4, 3), (3, 3), 5, (2, 2), "SAME", (8, 8), "NONE", True),
    ((2, 3, 5, 2), (3, 3), 4, (2, 2), "SAME", (5, 9), "RELU", True),  # odd output sizes
    ((1, 3, 3, 4), (2, 2), 3, (2, 2), "VALID", (6, 6), "NONE", False),
    ((1, 3, 4, 2), (3, 3), 2, (2, 2), "VALID", (8, 10), "RELU6", True),  # a row and a column no tap reaches
    ((1, 5, 5, 3), (3, 3), 4, (1, 1), "SAME", (5, 5), "NONE", True),
    ((1, 2, 3, 3), (2, 2), 3, (3, 3), "VALID", (6, 9), "NONE", True),  # stride > kernel: gaps
    ((1, 6, 7, 40), (4, 4), 20, (2, 2), "SAME", (12, 14), "NONE", True),  # past the GEMM's tiles
]


def _opts(strides, padding, act) -> dict:
    return dict(padding=padding, stride_h=strides[0], stride_w=strides[1], activation=act)


def float_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for i, (xs, (kh, kw), oc, st, pad, (oh, ow), act, has_bias) in enumerate(GEOMETRIES):
        x, w = _rand(rng, *xs), _rand(rng, oc, kh, kw, xs[3])
        b = _rand(rng, oc) if has_bias else None
        want = transpose_conv(x, w, b, (xs[0], oh, ow, oc), st, pad, act)
        operands = [x, Const(w)] + ([Const(b)] if has_bias else [])
        cases.append(_case(f"TransposeConv_{i}_{pad}_s{st[0]}_{act}", "TransposeConv", operands, want,
                           **_opts(st, pad, act)))  # fmt: skip
    return cases


def int8_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for i, (xs, (kh, kw), oc, st, pad, (oh, ow), act, has_bias) in enumerate(GEOMETRIES[:6]):
        per_channel = i != 2
        s_in, zp_in = log_scale(rng, 1e-3, 1.0), zp_of(rng, i)
        x = i8(rng, *xs)
        w, ws, wq = _weights(rng, (oc, kh, kw, xs[3]), 0, per_channel)
        s_out = _out_scale(s_in, ws, kh * kw * xs[3], 0.1 if i == 4 else 1.0)  # i == 4 saturates
        zp_out = zp_of(rng, i + 2)
        operands = [QT(x, act_q(s_in, zp_in)), QT(w, wq, True)]
        b = None
        if has_bias:
            b, bq = _bias(rng, oc, s_in, ws)
            operands.append(QT(b, bq, True))
        rq = prepare_channel_requant(s_in, ws, s_out, zp_out, ACT_CODES[act])
        want = transpose_conv_int8(x, w, b, zp_in, rq, (xs[0], oh, ow, oc), st, pad)
        cases.append(int8_case(f"transpose_conv8_{i}", "TransposeConv", operands, want, act_q(s_out, zp_out),
                               **_opts(st, pad, act)))  # fmt: skip
    return cases


def quantize_case() -> QuantizeCase:
    """A decoder: TransposeConv (stride 2, bias, Relu) then TransposeConv to one channel."""
    rng = np.random.default_rng(47)
    b = ModelBuilder(description="transpose_conv")
    x = b.add_input("x", np.float32, [1, 4, 4, 6])
    h = b.add_tensor("h", np.float32, [1, 8, 8, 4])
    w1 = b.add_constant("w1", (0.3 * rng.standard_normal((4, 3, 3, 6))).astype(np.float32))
    b1 = b.add_constant("b1", (0.1 * rng.standard_normal(4)).astype(np.float32))
    b.add_op("TransposeConv", [x, w1, b1], [h], **_opts((2, 2), "SAME", "RELU"))
    y = b.add_tensor("y", np.float32, [1, 16, 16, 1])
    w2 = b.add_constant("w2", (0.3 * rng.standard_normal((1, 4, 4, 4))).astype(np.float32))
    b.add_op("TransposeConv", [h, w2], [y], **_opts((2, 2), "SAME", "NONE"))
    b.mark_output(y)
    samples = [[rng.standard_normal((1, 4, 4, 6)).astype(np.float32)] for _ in range(20)]
    return QuantizeCase("transpose_conv", b.finish(), samples)
