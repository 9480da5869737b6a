"""Per-op int8 bit-exactness cases: (name, model_bytes, inputs, expected) with expected from trainer.quantize.

``all_cases()`` returns every case: one-op int8 models written by ModelBuilder with seeded random shapes, data
and quantization parameters (zero points -128 and 127 included, scales from 1e-6 to 1e3, outputs that
saturate), and the outputs the numpy reference (trainer/quantize.py) computes. A runner
``run_model(model_bytes, inputs) -> outputs`` passes when ``check_exact`` finds identical bytes: pyruntime
here, ``tl_run`` under qemu in the cross tests. ``rejection_cases()`` lists the quantization errors of
docs/security.md that only an int8 op's prepare can see, each with its expected status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import op_cases

import trainer.quantize as q
from trainer.tlm import ModelBuilder
from trainer.tlm.builder import Quantization

ACT_CODES = {"NONE": 0, "RELU": 1, "RELU6": 2}


class Int8Case(NamedTuple):
    name: str
    model: bytes
    inputs: list[np.ndarray]
    expected: list[np.ndarray]


class Rejection(NamedTuple):
    name: str
    model: bytes
    status: str  # "TL_ERROR_BAD_QUANTIZATION", ...
    message: str  # a substring of the error message (names the field)


class QT(NamedTuple):
    """A tensor operand: data (int8, int32 or float32), its quantization, and whether it is a constant."""

    data: np.ndarray
    quant: Quantization | None
    const: bool = False


def one_op(
    opcode: str,
    operands: Sequence[QT],
    out_shape: Sequence[int],
    out_q: Quantization,
    out_dtype=np.int8,
    **opts,
) -> tuple[bytes, list[np.ndarray]]:
    """A model with one op; non-constant operands become graph inputs (in order)."""
    b = ModelBuilder(description=f"int8 {opcode}")
    ids, feeds = [], []
    for i, t in enumerate(operands):
        if t.const:
            ids.append(b.add_constant(f"c{i}", t.data, quantization=t.quant))
        else:
            ids.append(b.add_input(f"x{i}", t.data.dtype, list(t.data.shape), quantization=t.quant))
            feeds.append(t.data)
    y = b.add_tensor("y", out_dtype, list(out_shape), quantization=out_q)
    b.add_op(opcode, ids, [y], **opts)
    b.mark_output(y)
    return b.finish(), feeds


def _case(name: str, opcode: str, operands, expected: np.ndarray, out_q: Quantization, **opts) -> Int8Case:
    model, feeds = one_op(opcode, operands, expected.shape, out_q, expected.dtype, **opts)
    return Int8Case(name, model, feeds, [expected])


# ---- random data and parameters ----


def i8(rng: np.random.Generator, *shape: int, lo: int = -128, hi: int = 127) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=shape).astype(np.int8)


def log_scale(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


ZPS = (-128, 127, 0)


def zp_of(rng: np.random.Generator, i: int) -> int:
    """Zero points cycle through the extremes, then random ones."""
    return ZPS[i] if i < len(ZPS) else int(rng.integers(-128, 128))


def act_q(scale: float, zp: int) -> Quantization:
    return Quantization(float(np.float32(scale)), int(zp))


def _weights(rng, shape, axis: int, per_channel: bool, scale_range=(1e-3, 1.0)):
    """Symmetric int8 weights in [-127, 127] and their scales (per channel on axis, or one)."""
    w = i8(rng, *shape, lo=-127, hi=127)
    n = shape[axis] if per_channel else 1
    scales = np.array([log_scale(rng, *scale_range) for _ in range(n)], np.float32)
    return w, scales, Quantization(scales, [0] * n, axis=axis if per_channel else 0)


def _bias(rng, n: int, s_in: float, w_scales: np.ndarray):
    """int32 bias with scale input_scale * weight_scale[c] (as float32, as an exporter would store it)."""
    b = rng.integers(-(2**15), 2**15, size=n).astype(np.int32)
    bs = (np.float32(s_in) * w_scales).astype(np.float32)
    return b, Quantization(bs, [0] * len(bs))


def _out_scale(s_in: float, w_scales: np.ndarray, depth: int, squeeze: float) -> float:
    """An output scale whose multipliers stay < 1: about the accumulator range / 256, times ``squeeze`` (< 1
    saturates more), never below what keeps every multiplier under 1."""
    s = float(s_in) * float(w_scales.max()) * 128.0 * np.sqrt(depth) * 127.0 / 256.0 * squeeze
    floor = float(s_in) * float(w_scales.max()) * 1.0001
    return float(np.float32(max(s, floor)))


# ---- FullyConnected, Conv2D, DepthwiseConv2D ----


def fc_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    specs = [
        # (batch shape, in, out, per_channel, bias, act, input scale range, squeeze)
        ((3,), 7, 5, True, True, "NONE", (1e-2, 1.0), 1.0),
        ((2,), 16, 4, True, True, "RELU", (1e-2, 1.0), 0.3),
        ((1,), 9, 6, True, True, "RELU6", (1e-3, 1e-1), 1.0),
        ((4,), 5, 3, False, True, "NONE", (1e-2, 1.0), 0.05),
        ((2,), 6, 3, True, False, "NONE", (1e-2, 1.0), 1.0),
        ((2, 3), 8, 4, True, True, "RELU", (1e-2, 1.0), 1.0),
        ((3,), 33, 7, True, True, "NONE", (1e-6, 1e-5), 1.0),  # tiny scales
        ((3,), 12, 5, True, True, "NONE", (1e2, 1e3), 1.0),  # large scales
        ((2,), 64, 9, True, True, "NONE", (1e-2, 1.0), 0.01),  # heavy saturation
        ((1,), 70000, 2, True, True, "NONE", (1e-3, 1e-2), 1.0),  # past the int32 dot product (int64)
    ]
    for k, (lead, n_in, n_out, per_ch, has_bias, act, srange, squeeze) in enumerate(specs):
        s_in, zp_in = log_scale(rng, *srange), zp_of(rng, k)
        x = i8(rng, *lead, n_in)
        w, ws, wq = _weights(rng, (n_out, n_in), 0, per_ch)
        s_out = _out_scale(s_in, ws, n_in, squeeze)
        zp_out = zp_of(rng, k + 1)
        operands = [QT(x, act_q(s_in, zp_in)), QT(w, wq, True)]
        bias = None
        if has_bias:
            bias, bq = _bias(rng, n_out, s_in, ws)
            operands.append(QT(bias, bq, True))
        rq = q.prepare_channel_requant(s_in, ws, s_out, zp_out, ACT_CODES[act])
        expected = q.fc_int8(x, w, bias, zp_in, rq)
        cases.append(
            _case(
                f"fc8_{k}_{act}", "FullyConnected", operands, expected, act_q(s_out, zp_out), activation=act
            )
        )
    return cases


def _conv_case(
    rng,
    name,
    k,
    x_shape,
    kernel,
    out_c,
    depthwise=False,
    dm=1,
    stride=(1, 1),
    dilation=(1, 1),
    padding="SAME",
    act="NONE",
    per_channel=True,
    bias=True,
    squeeze=1.0,
) -> Int8Case:
    n, h, w_, c = x_shape
    s_in, zp_in = log_scale(rng, 1e-3, 1.0), zp_of(rng, k)
    x = i8(rng, *x_shape)
    if depthwise:
        out_c = c * dm
        w, ws, wq = _weights(rng, (1, kernel[0], kernel[1], out_c), 3, per_channel)
        depth = kernel[0] * kernel[1]
    else:
        w, ws, wq = _weights(rng, (out_c, kernel[0], kernel[1], c), 0, per_channel)
        depth = kernel[0] * kernel[1] * c
    s_out = _out_scale(s_in, ws, depth, squeeze)
    zp_out = zp_of(rng, k + 2)
    operands = [QT(x, act_q(s_in, zp_in)), QT(w, wq, True)]
    b = None
    if bias:
        b, bq = _bias(rng, out_c, s_in, ws)
        operands.append(QT(b, bq, True))
    g = q.conv_geom(h, w_, kernel[0], kernel[1], stride, dilation, padding)
    rq = q.prepare_channel_requant(s_in, ws, s_out, zp_out, ACT_CODES[act])
    opts: dict[str, Any] = dict(
        padding=padding,
        stride_h=stride[0],
        stride_w=stride[1],
        dilation_h=dilation[0],
        dilation_w=dilation[1],
        activation=act,
    )
    if depthwise:
        expected = q.depthwise_conv2d_int8(x, w, b, g, dm, zp_in, rq)
        return _case(
            name, "DepthwiseConv2D", operands, expected, act_q(s_out, zp_out), depth_multiplier=dm, **opts
        )
    expected = q.conv2d_int8(x, w, b, g, zp_in, rq)
    return _case(name, "Conv2D", operands, expected, act_q(s_out, zp_out), **opts)


def conv_cases(rng: np.random.Generator) -> list[Int8Case]:
    return [
        _conv_case(rng, "conv8_3x3_same", 0, (1, 6, 6, 3), (3, 3), 4),
        _conv_case(rng, "conv8_3x3_same_s2_relu", 1, (2, 7, 7, 2), (3, 3), 3, stride=(2, 2), act="RELU"),
        _conv_case(
            rng,
            "conv8_valid_s2_relu6",
            2,
            (1, 9, 7, 3),
            (3, 3),
            2,
            stride=(2, 2),
            padding="VALID",
            act="RELU6",
        ),
        _conv_case(rng, "conv8_dilation", 3, (1, 9, 9, 2), (3, 3), 2, dilation=(2, 2)),
        _conv_case(rng, "conv8_per_tensor_nobias", 4, (1, 5, 6, 4), (2, 3), 3, per_channel=False, bias=False),
        _conv_case(rng, "conv8_1x1_saturating", 5, (2, 4, 5, 6), (1, 1), 3, squeeze=0.02),
        _conv_case(rng, "conv8_5x3_s21", 6, (1, 8, 9, 2), (5, 3), 3, stride=(2, 1)),
        _conv_case(rng, "dw8_3x3_same", 0, (1, 6, 6, 3), (3, 3), 0, depthwise=True),
        _conv_case(
            rng,
            "dw8_dm2_s2_relu",
            1,
            (2, 7, 6, 2),
            (3, 3),
            0,
            depthwise=True,
            dm=2,
            stride=(2, 2),
            act="RELU",
        ),
        _conv_case(
            rng,
            "dw8_valid_dilation_relu6",
            2,
            (1, 9, 9, 4),
            (3, 2),
            0,
            depthwise=True,
            dilation=(2, 1),
            padding="VALID",
            act="RELU6",
        ),
        _conv_case(
            rng,
            "dw8_per_tensor_nobias_sat",
            3,
            (1, 5, 5, 3),
            (3, 3),
            0,
            depthwise=True,
            dm=3,
            per_channel=False,
            bias=False,
            squeeze=0.05,
        ),
    ]


# ---- Add, Sub, Mul ----

BROADCASTS = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((4,), (2, 3, 4)),
    ((1, 2, 3, 4), (1,)),
    ((5,), ()),
]


def binary_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for opcode in ("Add", "Sub", "Mul"):
        for k, (sa_shape, sb_shape) in enumerate(BROADCASTS):
            act = ("NONE", "RELU", "RELU6")[k % 3]
            sa = log_scale(rng, 1e-2, 1.0)
            sb = sa if k == 0 else log_scale(rng, 1e-3, 10.0)
            za, zb = zp_of(rng, k), zp_of(rng, k + 1)
            a, b = i8(rng, *sa_shape), i8(rng, *sb_shape)
            if opcode == "Mul":
                so = float(np.float32(sa * sb * 128.0 * (0.05 if k == 3 else 1.0)))
            else:
                so = float(np.float32((sa + sb) * (0.1 if k == 3 else 1.0)))  # k == 3 saturates
            zo = zp_of(rng, k + 2)
            if opcode == "Mul":
                p = q.prepare_mul(sa, za, sb, zb, so, zo, ACT_CODES[act])
                expected = q.mul_int8(a, b, p)
            else:
                p = q.prepare_add_sub(sa, za, sb, zb, so, zo, ACT_CODES[act])
                expected = (q.add_int8 if opcode == "Add" else q.sub_int8)(a, b, p)
            operands = [QT(a, act_q(sa, za)), QT(b, act_q(sb, zb))]
            cases.append(
                _case(
                    f"{opcode.lower()}8_{k}_{act}", opcode, operands, expected, act_q(so, zo), activation=act
                )
            )
    # a constant operand and scales 1000x apart (the smaller input almost vanishes)
    a, b = i8(rng, 3, 4), i8(rng, 4)
    p = q.prepare_add_sub(0.5, 3, 5e-4, -7, 0.6, -1)
    cases.append(
        _case(
            "add8_const_scales_apart",
            "Add",
            [QT(a, act_q(0.5, 3)), QT(b, act_q(5e-4, -7), True)],
            q.add_int8(a, b, p),
            act_q(0.6, -1),
            activation="NONE",
        )
    )
    return cases


# ---- pools, Mean ----


def pool_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    specs = [
        ((1, 6, 6, 3), (2, 2), (2, 2), "VALID", "NONE", True),
        ((2, 7, 5, 2), (3, 3), (2, 2), "SAME", "RELU", True),
        ((1, 5, 5, 4), (3, 2), (1, 2), "SAME", "RELU6", False),
        ((1, 8, 8, 1), (4, 4), (4, 4), "VALID", "NONE", False),
    ]
    for opcode in ("MaxPool2D", "AveragePool2D"):
        for k, (shape, filt, stride, padding, act, same) in enumerate(specs):
            si, zi = log_scale(rng, 1e-2, 1.0), zp_of(rng, k)
            if opcode == "MaxPool2D" or same:
                so, zo = si, zi
            else:
                so, zo = log_scale(rng, 1e-2, 1.0), zp_of(rng, k + 1)
            x = i8(rng, *shape)
            g = q.conv_geom(shape[1], shape[2], filt[0], filt[1], stride, (1, 1), padding)
            pg = q.PoolGeom(filt[0], filt[1], g)
            lo, hi = q.activation_range_int8(ACT_CODES[act], so, zo)
            p = q.prepare_requantize(si, zi, so, zo, lo, hi)
            fn = q.max_pool2d_int8 if opcode == "MaxPool2D" else q.average_pool2d_int8
            expected = fn(x, pg, p)
            cases.append(
                _case(
                    f"{opcode.lower()}8_{k}_{act}",
                    opcode,
                    [QT(x, act_q(si, zi))],
                    expected,
                    act_q(so, zo),
                    padding=padding,
                    stride_h=stride[0],
                    stride_w=stride[1],
                    filter_h=filt[0],
                    filter_w=filt[1],
                    activation=act,
                )
            )
    mean_specs = [
        ((2, 4, 4, 3), [1, 2], True, True),
        ((2, 4, 4, 3), [1, 2], False, False),
        ((3, 5, 7), [-1], False, False),
        ((2, 3, 4), [0, 2], True, False),
        ((4, 9), [1], False, True),
        ((1, 6, 6, 5), [1, 2], True, False),  # s_in / s_out ~ 2^-30.5: 1 / count only partly folded in
        ((1, 6, 6, 5), [1, 2], True, False),  # s_in / s_out ~ 2^-33: QuantizeMultiplier's zero multiplier
        ((1, 3, 40), [2], False, False),  # s_in / s_out ~ 2^40: a shift above 30, the largest multiplier
        ((1, 3, 3, 83), [1, 2], False, False),  # global pooling, 83 channels: 2 x 32, 2 x 8, 3 alone
        ((2, 7, 5, 40), [1, 2], True, False),  # 35 terms, two images, 32 + 8 channels
        ((1, 3, 3, 24), [1, 2], False, False),  # s_in / s_out = 16: a left shift (scalar), saturating
    ]
    extreme = {
        5: (1e-3, 1e-3 * 2**30.5),
        6: (1e-3, 1e-3 * 2**33),
        7: (2.0**20, 2.0**-20),
        8: (0.02, 0.01),
        9: (0.01, 0.05),
        10: (1.0, 2.0**-4),
    }
    pinned_zps = {8: (-2, 3), 9: (0, -5), 10: (2, 0)}  # near the data's mean: outputs spread, not saturated
    later = np.random.default_rng(20261207)  # the cases from 8 on: the shared stream stays as it was
    for k, (shape, axes, keep, same) in enumerate(mean_specs):
        r = rng if k < 8 else later
        si, zi = log_scale(r, 1e-2, 1.0), zp_of(r, k)
        so, zo = (si, zi) if same else (log_scale(r, 1e-3, 1.0), zp_of(r, k + 1))
        if k in extreme:
            si, so = extreme[k]
        zi, zo = pinned_zps.get(k, (zi, zo))
        x = i8(r, *shape)
        count = int(np.prod([shape[a] for a in axes]))
        expected = q.mean_int8(x, axes, keep, q.prepare_mean(si, zi, so, zo, count))
        cases.append(
            _case(
                f"mean8_{k}",
                "Mean",
                [QT(x, act_q(si, zi))],
                expected,
                act_q(so, zo),
                axes=axes,
                keep_dims=keep,
            )
        )
    return cases


# ---- Relu, Relu6, Sigmoid, Tanh, Softmax ----

ALL_INT8 = np.arange(-128, 128, dtype=np.int8)  # every input value: exhaustive per parameter set


def activation_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for opcode, code in (("Relu", 1), ("Relu6", 2)):
        for k, same in enumerate((True, False, False)):
            si, zi = log_scale(rng, 1e-2, 0.2), zp_of(rng, k)
            so, zo = (si, zi) if same else (log_scale(rng, 1e-2, 0.2), zp_of(rng, k + 1))
            lo, hi = q.activation_range_int8(code, so, zo)
            expected = q.requantize_int8(ALL_INT8, q.prepare_requantize(si, zi, so, zo, lo, hi))
            cases.append(
                _case(
                    f"{opcode.lower()}8_{k}", opcode, [QT(ALL_INT8, act_q(si, zi))], expected, act_q(so, zo)
                )
            )
    fixed = {"Sigmoid": (1.0 / 256.0, -128), "Tanh": (1.0 / 128.0, 0)}
    scales = [1e-6, 0.01, 0.05, 0.1, 0.3, 1.0, 30.0, 1e3]
    for opcode, (so, zo) in fixed.items():
        fn = q.logistic_int8 if opcode == "Sigmoid" else q.tanh_int8
        for k, si in enumerate(scales):
            zi = zp_of(rng, k)
            expected = fn(ALL_INT8, q.prepare_activation(si, zi))
            cases.append(
                _case(
                    f"{opcode.lower()}8_{k}", opcode, [QT(ALL_INT8, act_q(si, zi))], expected, act_q(so, zo)
                )
            )
    softmax_specs = [
        ((2, 10), 1.0, 0.1),
        ((3, 7), 1.0, 1e-3),
        ((1, 33), 2.5, 0.05),
        ((4, 4), 1.0, 30.0),
        ((2, 3, 5), 0.5, 0.2),
        ((1, 1000), 1.0, 0.02),
        ((2, 1), 1.0, 0.1),
        ((1, 4095), 1.0, 1e-2),
    ]
    for k, (shape, beta, si) in enumerate(softmax_specs):
        zi = zp_of(rng, k)
        x = i8(rng, *shape)
        expected = q.softmax_int8(x, q.prepare_softmax(beta, si))
        cases.append(
            _case(
                f"softmax8_{k}", "Softmax", [QT(x, act_q(si, zi))], expected, act_q(1 / 256, -128), beta=beta
            )
        )
    return cases


# ---- data movement ----


def movement_cases(rng: np.random.Generator) -> list[Int8Case]:
    cases = []
    for k, (shapes, axis, act) in enumerate(
        [
            ([(2, 3), (2, 5)], 1, "NONE"),
            ([(1, 4, 4, 2), (1, 4, 4, 3), (1, 4, 4, 1)], -1, "RELU"),
            ([(2, 3, 4), (1, 3, 4)], 0, "RELU6"),
        ]
    ):
        xs = [i8(rng, *s) for s in shapes]
        qs = [(log_scale(rng, 1e-2, 1.0), zp_of(rng, k + i)) for i in range(len(xs))]
        so, zo = qs[0] if k == 0 else (log_scale(rng, 1e-2, 1.0), zp_of(rng, k + 3))
        lo, hi = q.activation_range_int8(ACT_CODES[act], so, zo)
        params = [q.prepare_requantize(s, z, so, zo, lo, hi) for s, z in qs]
        expected = q.concat_int8(xs, axis, params)
        operands = [QT(x, act_q(s, z)) for x, (s, z) in zip(xs, qs, strict=True)]
        cases.append(
            _case(
                f"concat8_{k}_{act}",
                "Concatenation",
                operands,
                expected,
                act_q(so, zo),
                axis=axis,
                activation=act,
            )
        )
    for k, zp in enumerate((-128, 127, 5)):
        x = i8(rng, 2, 3, 4)
        pads = [[0, 1], [2, 0], [1, 3]]
        expected = np.pad(x, pads, constant_values=zp).astype(np.int8)
        cases.append(
            _case(
                f"pad8_{k}",
                "Pad",
                [QT(x, act_q(0.1, zp))],
                expected,
                act_q(0.1, zp),
                paddings=[v for p in pads for v in p],
            )
        )
    x = i8(rng, 2, 3, 4)
    cases.append(
        _case(
            "reshape8",
            "Reshape",
            [QT(x, act_q(0.2, -128))],
            x.reshape(6, 4),
            act_q(0.2, -128),
            new_shape=[6, 4],
        )
    )
    cases.append(
        _case(
            "transpose8",
            "Transpose",
            [QT(x, act_q(0.2, 127))],
            x.transpose(2, 0, 1).copy(),
            act_q(0.2, 127),
            perm=[2, 0, 1],
        )
    )
    # Quantize / Dequantize at the graph boundary (float32 arithmetic in both)
    xf = np.concatenate(
        [
            rng.standard_normal(60).astype(np.float32) * 20,
            np.array([0.05, -0.05, 0.15, -0.15, 1e30, -1e30, np.inf, -np.inf, np.nan], np.float32),
        ]
    )
    for k, (s, zp) in enumerate(((0.1, -128), (0.1, 127), (0.37, 3))):
        cases.append(_case(f"quantize8_{k}", "Quantize", [QT(xf, None)], q.quantize(xf, s, zp), act_q(s, zp)))
        xi = ALL_INT8
        cases.append(
            _case(f"dequantize8_{k}", "Dequantize", [QT(xi, act_q(s, zp))], q.dequantize(xi, s, zp), None)
        )
    return cases


def random_cases(rng: np.random.Generator, n: int = 6) -> list[Int8Case]:
    """Seeded random shapes and options for the arithmetic ops (``n`` of each)."""
    cases = []
    acts = ("NONE", "RELU", "RELU6")
    for k in range(n):
        lead = tuple(int(d) for d in rng.integers(1, 4, rng.integers(1, 3)))
        n_in, n_out = int(rng.integers(1, 40)), int(rng.integers(1, 12))
        s_in, zp_in = log_scale(rng, 1e-4, 10.0), int(rng.integers(-128, 128))
        x = i8(rng, *lead, n_in)
        w, ws, wq = _weights(rng, (n_out, n_in), 0, bool(rng.integers(0, 2)))
        s_out, zp_out = _out_scale(s_in, ws, n_in, log_scale(rng, 0.01, 2.0)), int(rng.integers(-128, 128))
        bias, bq = _bias(rng, n_out, s_in, ws)
        act = acts[int(rng.integers(0, 3))]
        rq = q.prepare_channel_requant(s_in, ws, s_out, zp_out, ACT_CODES[act])
        operands = [QT(x, act_q(s_in, zp_in)), QT(w, wq, True), QT(bias, bq, True)]
        cases.append(
            _case(
                f"rand_fc8_{k}",
                "FullyConnected",
                operands,
                q.fc_int8(x, w, bias, zp_in, rq),
                act_q(s_out, zp_out),
                activation=act,
            )
        )
        h, w_, c = (int(v) for v in rng.integers(1, 9, 3))
        kh, kw = int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w_, 4) + 1))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        padding = ("SAME", "VALID")[int(rng.integers(0, 2))]
        if k % 2:
            cases.append(
                _conv_case(
                    rng,
                    f"rand_conv8_{k}",
                    k,
                    (int(rng.integers(1, 3)), h, w_, c),
                    (kh, kw),
                    int(rng.integers(1, 6)),
                    stride=stride,
                    padding=padding,
                    act=act,
                    per_channel=bool(rng.integers(0, 2)),
                    squeeze=log_scale(rng, 0.01, 2.0),
                )
            )
        else:
            cases.append(
                _conv_case(
                    rng,
                    f"rand_dw8_{k}",
                    k,
                    (1, h, w_, c),
                    (kh, kw),
                    0,
                    depthwise=True,
                    dm=int(rng.integers(1, 4)),
                    stride=stride,
                    padding=padding,
                    act=act,
                    squeeze=log_scale(rng, 0.01, 2.0),
                )
            )
        shape = tuple(int(d) for d in rng.integers(1, 5, rng.integers(1, 5)))
        other = tuple(d if rng.integers(0, 3) else 1 for d in shape[int(rng.integers(0, len(shape))) :])
        a, b = i8(rng, *shape), i8(rng, *other)
        (sa, za), (sb, zb) = [(log_scale(rng, 1e-3, 10.0), int(rng.integers(-128, 128))) for _ in range(2)]
        zo = int(rng.integers(-128, 128))
        opcode = ("Add", "Sub", "Mul")[k % 3]
        if opcode == "Mul":
            so = float(np.float32(sa * sb * log_scale(rng, 1.0, 300.0)))
            expected = q.mul_int8(a, b, q.prepare_mul(sa, za, sb, zb, so, zo, ACT_CODES[act]))
        else:
            so = log_scale(rng, 1e-3, 10.0)
            p = q.prepare_add_sub(sa, za, sb, zb, so, zo, ACT_CODES[act])
            expected = (q.add_int8 if opcode == "Add" else q.sub_int8)(a, b, p)
        cases.append(
            _case(
                f"rand_{opcode.lower()}8_{k}",
                opcode,
                [QT(a, act_q(sa, za)), QT(b, act_q(sb, zb))],
                expected,
                act_q(so, zo),
                activation=act,
            )
        )
        x = i8(rng, 1, h, w_, c)
        fh, fw = int(rng.integers(1, h + 1)), int(rng.integers(1, w_ + 1))
        g = q.conv_geom(h, w_, fh, fw, stride, (1, 1), padding)
        (si, zi), (so, zo) = [(log_scale(rng, 1e-3, 1.0), int(rng.integers(-128, 128))) for _ in range(2)]
        lo, hi = q.activation_range_int8(ACT_CODES[act], so, zo)
        expected = q.average_pool2d_int8(
            x, q.PoolGeom(fh, fw, g), q.prepare_requantize(si, zi, so, zo, lo, hi)
        )
        cases.append(
            _case(
                f"rand_avgpool8_{k}",
                "AveragePool2D",
                [QT(x, act_q(si, zi))],
                expected,
                act_q(so, zo),
                padding=padding,
                stride_h=stride[0],
                stride_w=stride[1],
                filter_h=fh,
                filter_w=fw,
                activation=act,
            )
        )
        x = i8(rng, int(rng.integers(1, 4)), int(rng.integers(1, 300)))
        beta, si = log_scale(rng, 0.1, 3.0), log_scale(rng, 1e-3, 3.0)
        cases.append(
            _case(
                f"rand_softmax8_{k}",
                "Softmax",
                [QT(x, act_q(si, int(rng.integers(-128, 128))))],
                q.softmax_int8(x, q.prepare_softmax(beta, si)),
                act_q(1 / 256, -128),
                beta=beta,
            )
        )
    return cases


def all_cases() -> list[Int8Case]:
    rng = np.random.default_rng(20261126)
    return [
        *fc_cases(rng),
        *conv_cases(rng),
        *binary_cases(rng),
        *pool_cases(rng),
        *activation_cases(rng),
        *movement_cases(rng),
        *random_cases(np.random.default_rng(7), 8),
        *op_cases.int8_cases(),  # one module per op under tests/op_cases/
    ]


def check_exact(case: Int8Case, outputs: Sequence[np.ndarray]) -> None:
    """Assert identical dtype, shape and bytes; on mismatch name the first differing elements."""
    assert len(outputs) == len(case.expected), f"{case.name}: {len(outputs)} outputs"
    for got, want in zip(outputs, case.expected, strict=True):
        assert got.dtype == want.dtype, f"{case.name}: dtype {got.dtype}, expected {want.dtype}"
        assert got.shape == want.shape, f"{case.name}: shape {got.shape}, expected {want.shape}"
        if got.tobytes() != want.tobytes():
            bad = np.flatnonzero(
                got.reshape(-1).view(np.uint8 if got.itemsize == 1 else np.uint32)
                != want.reshape(-1).view(np.uint8 if want.itemsize == 1 else np.uint32)
            )
            first = ", ".join(f"[{i}] {got.reshape(-1)[i]} != {want.reshape(-1)[i]}" for i in bad[:5])
            raise AssertionError(f"{case.name}: {bad.size} of {got.size} elements differ: {first}")


# ---- rejections (docs/security.md, quantization): each with its status and the field its message names ----

QUANT = "TL_ERROR_BAD_QUANTIZATION"


def _fc_model(
    x_q=None,
    w_q=None,
    b_q=None,
    y_q=None,
    *,
    x_dtype=np.int8,
    y_dtype=np.int8,
    bias=True,
    bias_dtype=np.int32,
) -> bytes:
    """x[1, 4] int8 -> FullyConnected(w[3, 4], bias[3]) -> y[1, 3]; parameters default to a valid model."""
    sx, sw = 0.05, [0.01, 0.02, 0.03]
    x_q = x_q if x_q is not None else Quantization(sx, 1)
    w_q = w_q if w_q is not None else Quantization(sw, [0, 0, 0])
    b_q = b_q if b_q is not None else Quantization([sx * s for s in sw], [0, 0, 0])
    y_q = y_q if y_q is not None else Quantization(0.1, -2)
    b = ModelBuilder(check=False)
    x = b.add_input("x", x_dtype, [1, 4], quantization=x_q if x_dtype == np.int8 else None)
    w = b.add_constant("w", np.arange(12, dtype=np.int8).reshape(3, 4), quantization=w_q)
    ins = [x, w]
    if bias:
        ins.append(b.add_constant("b", np.zeros(3, bias_dtype), quantization=b_q))
    y = b.add_tensor("y", y_dtype, [1, 3], quantization=y_q if y_dtype == np.int8 else None)
    b.add_op("FullyConnected", ins, [y], activation="NONE")
    b.mark_output(y)
    return b.finish()


def _unary_model(opcode: str, x_q: Quantization, y_q: Quantization, shape=(2, 8), **opts) -> bytes:
    b = ModelBuilder(check=False)
    x = b.add_input("x", np.int8, list(shape), quantization=x_q)
    y = b.add_tensor("y", np.int8, list(shape), quantization=y_q)
    b.add_op(opcode, [x], [y], **opts)
    b.mark_output(y)
    return b.finish()


def _binary_model(opcode: str, a_q: Quantization, b_q: Quantization, y_q: Quantization) -> bytes:
    b = ModelBuilder(check=False)
    x0 = b.add_input("a", np.int8, [2, 3], quantization=a_q)
    x1 = b.add_input("b", np.int8, [2, 3], quantization=b_q)
    y = b.add_tensor("y", np.int8, [2, 3], quantization=y_q)
    b.add_op(opcode, [x0, x1], [y], activation="NONE")
    b.mark_output(y)
    return b.finish()


def rejection_cases() -> list[Rejection]:
    sx, sw = 0.05, [0.01, 0.02, 0.03]
    good_b = [sx * s for s in sw]
    r = [
        Rejection(
            "fc_bias_scale_mismatch", _fc_model(b_q=Quantization(sw, [0, 0, 0])), QUANT, "bias (b) scale 0"
        ),
        Rejection(
            "fc_bias_scale_off_by_1e-5",
            _fc_model(b_q=Quantization([good_b[0] * (1 + 1e-5), *good_b[1:]], [0, 0, 0])),
            QUANT,
            "bias (b) scale 0",
        ),
        Rejection(
            "fc_bias_zero_point", _fc_model(b_q=Quantization(good_b, [0, 4, 0])), QUANT, "zero point 1"
        ),
        Rejection("fc_bias_count", _fc_model(b_q=Quantization(good_b[0], 0)), QUANT, "bias (b) has 1 scales"),
        Rejection(
            "fc_bias_without_quantization", _fc_model(b_q=Quantization(None, None)), QUANT, "no quantization"
        ),
        Rejection(
            "fc_weight_zero_point",
            _fc_model(w_q=Quantization(sw, [0, 0, 1])),
            QUANT,
            "weight (w) zero point 2",
        ),
        Rejection(
            "fc_weight_axis_not_output_channels",
            _fc_model(w_q=Quantization([0.01] * 4, [0] * 4, axis=1), b_q=Quantization(sx * 0.01, 0)),
            QUANT,
            "on axis 1",
        ),
        Rejection("fc_multiplier_ge_1", _fc_model(y_q=Quantization(1e-4, 0)), QUANT, "must be in (0, 1)"),
        Rejection(
            "fc_multiplier_exactly_1",
            _fc_model(
                w_q=Quantization([2.0] * 3, [0] * 3),
                b_q=Quantization([0.1] * 3, [0] * 3),
                y_q=Quantization(0.1, 0),
            ),
            QUANT,
            "must be in (0, 1)",
        ),
        Rejection(
            "fc_weight_scale_flt_max",
            _fc_model(w_q=Quantization([3.4e38] * 3, [0] * 3), b_q=Quantization([sx * 3.4e38] * 3, [0] * 3)),
            QUANT,
            "multiplier",
        ),
        Rejection(
            "fc_shift_below_minus_31",
            _fc_model(
                x_q=Quantization(1e-6, 0),
                w_q=Quantization([1e-6] * 3, [0] * 3),
                b_q=Quantization([1e-12] * 3, [0] * 3),
                y_q=Quantization(1e3, 0),
            ),
            QUANT,
            "shift",
        ),
        Rejection(
            "fc_input_per_axis", _fc_model(x_q=Quantization([0.05] * 4, [0] * 4, axis=1)), QUANT, "per tensor"
        ),
        Rejection(
            "fc_int8_in_float_out",
            _fc_model(y_dtype=np.float32),
            "TL_ERROR_UNSUPPORTED_DTYPE",
            "output 0 (y) is float32",
        ),
        Rejection(
            "fc_float_bias",
            _fc_model(bias_dtype=np.float32, b_q=Quantization(good_b, [0, 0, 0])),
            "TL_ERROR_UNSUPPORTED_DTYPE",
            "input 2 (b) is float32",
        ),
        Rejection(
            "sigmoid_output_scale",
            _unary_model("Sigmoid", Quantization(0.1, 0), Quantization(1 / 128, -128)),
            QUANT,
            "output scale",
        ),
        Rejection(
            "sigmoid_output_zero_point",
            _unary_model("Sigmoid", Quantization(0.1, 0), Quantization(1 / 256, 0)),
            QUANT,
            "zero point",
        ),
        Rejection(
            "tanh_output_params",
            _unary_model("Tanh", Quantization(0.1, 0), Quantization(1 / 256, -128)),
            QUANT,
            "output scale",
        ),
        Rejection(
            "softmax_output_params",
            _unary_model("Softmax", Quantization(0.1, 0), Quantization(0.1, 0)),
            QUANT,
            "output scale",
        ),
        Rejection(
            "softmax_depth_4096",
            _unary_model("Softmax", Quantization(0.1, 0), Quantization(1 / 256, -128), shape=(1, 4096)),
            "TL_ERROR_UNSUPPORTED_FEATURE",
            "4096",
        ),
        Rejection(
            "maxpool_params_differ",
            _unary_model(
                "MaxPool2D",
                Quantization(0.1, 0),
                Quantization(0.2, 0),
                shape=(1, 4, 4, 1),
                filter_h=1,
                filter_w=1,
                stride_h=1,
                stride_w=1,
                padding="VALID",
            ),
            QUANT,
            "share",
        ),
        Rejection(
            "relu_requant_shift",
            _unary_model("Relu", Quantization(1e3, 0), Quantization(1e-8, 0)),
            QUANT,
            "shift",
        ),
        Rejection(
            "reshape_params_differ",
            _unary_model("Reshape", Quantization(0.1, 0), Quantization(0.1, 1)),
            QUANT,
            "share",
        ),
        Rejection(  # (inputs 2e12 apart load: the small one's multiplier flushes to 0 as in TFLite,
            # tests/quant/test_add_tiny_input.py)
            "add_output_shift",
            _binary_model("Add", Quantization(1e20, 0), Quantization(1e20, 0), Quantization(1e-20, 0)),
            QUANT,
            "output multiplier",
        ),
        Rejection(
            "mul_output_shift",
            _binary_model("Mul", Quantization(1e3, 0), Quantization(1e3, 0), Quantization(1e-6, 0)),
            QUANT,
            "output multiplier",
        ),
    ]
    # load-time parameter checks, on the tensors of an int8 op
    for label, scale in {
        "zero": 0.0,
        "negative": -0.5,
        "nan": float("nan"),
        "inf": float("inf"),
        "subnormal": 1e-40,
    }.items():
        r.append(
            Rejection(
                f"fc_weight_scale_{label}",
                _fc_model(w_q=Quantization([scale, 0.02, 0.03], [0] * 3)),
                QUANT,
                "scale 0",
            )
        )
    r.append(
        Rejection("fc_input_zero_point_128", _fc_model(x_q=Quantization(0.05, 128)), QUANT, "zero point")
    )
    r.append(
        Rejection(
            "fc_weight_count_ne_dim", _fc_model(w_q=Quantization([0.01, 0.02], [0, 0])), QUANT, "2 scales"
        )
    )
    r.append(
        Rejection(
            "fc_weight_axis_out_of_range",
            _fc_model(w_q=Quantization(sw, [0] * 3, axis=2)),
            QUANT,
            "quantized_dimension 2",
        )
    )
    return r
