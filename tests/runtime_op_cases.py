"""Per-op parity cases for the C runtime: (name, model_bytes, inputs, expected) built from numpy formulas.

``all_cases()`` returns every case; each model is a small .tlm written by ModelBuilder, the inputs are seeded
random float32 arrays, and ``expected`` comes from tests/runtime_refs.py (float64). Any runner
``run_model(model_bytes, inputs) -> outputs`` can be checked with ``check_outputs``: the default runner below
uses pyruntime (the C runtime through cffi); cross-architecture tests can swap in a qemu-run ``tl_run``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import op_cases
import runtime_refs as ref

from trainer.tlm import ModelBuilder

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-5  # max abs error <= TOLERANCE * max|expected|


class OpCase(NamedTuple):
    name: str
    model: bytes
    inputs: list[np.ndarray]
    expected: list[np.ndarray]


class Const(NamedTuple):
    """An op input stored in the model as constant data (weights, biases, a constant operand)."""

    value: np.ndarray


def single_op(opcode: str, operands: Sequence[np.ndarray | Const], out_shape: Sequence[int], **options: Any):
    """A model with one op: array operands become graph inputs, Const operands constants."""
    b = ModelBuilder(description=f"parity {opcode}")
    ids, feeds = [], []
    for i, operand in enumerate(operands):
        if isinstance(operand, Const):
            ids.append(b.add_constant(f"c{i}", np.asarray(operand.value, np.float32)))
        else:
            ids.append(b.add_input(f"x{i}", np.float32, operand.shape))
            feeds.append(np.asarray(operand, np.float32))
    y = b.add_tensor("y", np.float32, list(out_shape))
    b.add_op(opcode, ids, [y], **options)
    b.mark_output(y)
    return b.finish(), feeds


def _case(name: str, opcode: str, operands, expected: np.ndarray, **options) -> OpCase:
    model, feeds = single_op(opcode, operands, expected.shape, **options)
    return OpCase(name, model, feeds, [expected])


def _rand(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


ACTS = ("NONE", "RELU", "RELU6")


def fully_connected_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for act in ACTS:
        x, w, bias = _rand(rng, 3, 7, scale=3), _rand(rng, 5, 7), _rand(rng, 5)
        cases.append(
            _case(
                f"fc_{act}",
                "FullyConnected",
                [x, Const(w), Const(bias)],
                ref.fully_connected(x, w, bias, act),
                activation=act,
            )
        )
    x, w = _rand(rng, 4, 6), _rand(rng, 3, 6)
    cases.append(_case("fc_no_bias", "FullyConnected", [x, Const(w)], ref.fully_connected(x, w)))
    x, w, bias = _rand(rng, 2, 3, 4), _rand(rng, 5, 4), _rand(rng, 5)
    cases.append(
        _case("fc_rank3_input", "FullyConnected", [x, Const(w), Const(bias)], ref.fully_connected(x, w, bias))
    )
    for i in range(3):
        batch, n_in, n_out = (int(v) for v in rng.integers(1, 20, 3))
        x, w, bias = _rand(rng, batch, n_in), _rand(rng, n_out, n_in), _rand(rng, n_out)
        cases.append(
            _case(
                f"fc_random{i}", "FullyConnected", [x, Const(w), Const(bias)], ref.fully_connected(x, w, bias)
            )
        )
    return cases


def _conv_case(
    rng, name, x_shape, k, out_c, stride=(1, 1), dilation=(1, 1), padding="SAME", act="NONE", bias=True
) -> OpCase:
    x = _rand(rng, *x_shape)
    w = _rand(rng, out_c, k[0], k[1], x_shape[3])
    b = _rand(rng, out_c) if bias else None
    expected = ref.conv2d(x, w, b, stride, dilation, padding, act)
    operands = [x, Const(w)] + ([Const(b)] if bias else [])
    return _case(
        name,
        "Conv2D",
        operands,
        expected,
        padding=padding,
        stride_h=stride[0],
        stride_w=stride[1],
        dilation_h=dilation[0],
        dilation_w=dilation[1],
        activation=act,
    )


def conv2d_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = [
        _conv_case(rng, "conv_3x3_same", (1, 6, 6, 3), (3, 3), 4),
        _conv_case(rng, "conv_3x3_same_s2_odd", (1, 7, 7, 2), (3, 3), 3, stride=(2, 2)),
        _conv_case(rng, "conv_3x3_same_s2_even", (2, 8, 8, 2), (3, 3), 3, stride=(2, 2)),
        _conv_case(rng, "conv_3x3_valid_s2", (1, 9, 7, 3), (3, 3), 2, stride=(2, 2), padding="VALID"),
        _conv_case(rng, "conv_5x3_same_s21", (1, 8, 9, 2), (5, 3), 3, stride=(2, 1)),
        _conv_case(rng, "conv_dilation2_same", (1, 9, 9, 2), (3, 3), 2, dilation=(2, 2)),
        _conv_case(rng, "conv_dilation21_valid", (1, 9, 8, 2), (3, 2), 3, dilation=(2, 1), padding="VALID"),
        _conv_case(rng, "conv_dilation_stride", (1, 11, 10, 1), (3, 3), 2, stride=(2, 3), dilation=(2, 2)),
        _conv_case(rng, "conv_1x1", (2, 4, 5, 6), (1, 1), 3),
        _conv_case(rng, "conv_1x1_s2_valid", (1, 5, 5, 4), (1, 1), 2, stride=(2, 2), padding="VALID"),
        _conv_case(rng, "conv_no_bias", (1, 5, 5, 2), (3, 3), 2, bias=False),
        _conv_case(rng, "conv_kernel_covers_input", (1, 3, 3, 2), (3, 3), 2, padding="VALID"),
        _conv_case(rng, "conv_same_kernel_larger_than_input", (1, 2, 3, 1), (5, 5), 2),
    ]
    cases += [_conv_case(rng, f"conv_act_{a}", (1, 5, 6, 3), (3, 3), 4, act=a) for a in ("RELU", "RELU6")]
    for i in range(4):
        h, w_, c, oc = (int(v) for v in rng.integers(1, 9, 4))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        sh, sw = (int(v) for v in rng.integers(1, 3, 2))
        pad = ("SAME", "VALID")[i % 2]
        h, w_ = max(h, kh), max(w_, kw)
        cases.append(
            _conv_case(rng, f"conv_random{i}", (1, h, w_, c), (kh, kw), oc, stride=(sh, sw), padding=pad)
        )
    return cases


def _dw_case(
    rng, name, x_shape, k, m, stride=(1, 1), dilation=(1, 1), padding="SAME", act="NONE", bias=True
) -> OpCase:
    x = _rand(rng, *x_shape)
    oc = x_shape[3] * m
    w = _rand(rng, 1, k[0], k[1], oc)
    b = _rand(rng, oc) if bias else None
    expected = ref.depthwise_conv2d(x, w, b, stride, dilation, padding, m, act)
    operands = [x, Const(w)] + ([Const(b)] if bias else [])
    return _case(
        name,
        "DepthwiseConv2D",
        operands,
        expected,
        padding=padding,
        stride_h=stride[0],
        stride_w=stride[1],
        dilation_h=dilation[0],
        dilation_w=dilation[1],
        depth_multiplier=m,
        activation=act,
    )


def depthwise_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = [
        _dw_case(rng, "dw_m1_same", (1, 6, 6, 3), (3, 3), 1),
        _dw_case(rng, "dw_m2_same", (1, 6, 5, 3), (3, 3), 2),
        _dw_case(rng, "dw_m1_s2_odd", (2, 7, 7, 4), (3, 3), 1, stride=(2, 2)),
        _dw_case(rng, "dw_m2_valid_s2", (1, 9, 8, 2), (3, 3), 2, stride=(2, 2), padding="VALID"),
        _dw_case(rng, "dw_dilation2", (1, 9, 9, 2), (3, 3), 1, dilation=(2, 2)),
        _dw_case(rng, "dw_m2_dilation_valid", (1, 10, 9, 3), (2, 3), 2, dilation=(2, 1), padding="VALID"),
        _dw_case(rng, "dw_1x1_m2", (1, 4, 4, 3), (1, 1), 2),
        _dw_case(rng, "dw_no_bias", (1, 5, 5, 2), (3, 3), 1, bias=False),
    ]
    cases += [_dw_case(rng, f"dw_act_{a}", (1, 5, 5, 3), (3, 3), 2, act=a) for a in ("RELU", "RELU6")]
    for i in range(4):
        h, w_, c = (int(v) for v in rng.integers(1, 9, 3))
        kh, kw, m, sh, sw, dh = (int(v) for v in rng.integers(1, 4, 6))
        pad = ("SAME", "VALID")[i % 2]
        h, w_ = max(h, (kh - 1) * dh + 1), max(w_, kw)
        cases.append(
            _dw_case(
                rng,
                f"dw_random{i}",
                (1, h, w_, c),
                (kh, kw),
                m,
                stride=(sh, sw),
                dilation=(dh, 1),
                padding=pad,
            )
        )
    return cases


def pool_cases(rng: np.random.Generator) -> list[OpCase]:
    configs = [
        ("2x2_s2_valid", (1, 6, 6, 3), (2, 2), (2, 2), "VALID"),
        ("3x3_s2_same_odd", (1, 7, 7, 2), (3, 3), (2, 2), "SAME"),
        ("3x3_s2_same_even", (2, 6, 6, 2), (3, 3), (2, 2), "SAME"),
        ("3x3_s1_same", (1, 5, 4, 2), (3, 3), (1, 1), "SAME"),
        ("2x3_s12_valid", (1, 6, 9, 2), (2, 3), (1, 2), "VALID"),
        ("global_valid", (1, 4, 5, 3), (4, 5), (1, 1), "VALID"),
    ]
    cases = []
    for op, fn in (("MaxPool2D", ref.max_pool2d), ("AveragePool2D", ref.average_pool2d)):
        for tag, shape, f, s, pad in configs:
            x = _rand(rng, *shape)
            cases.append(
                _case(
                    f"{op}_{tag}",
                    op,
                    [x],
                    fn(x, f, s, pad),
                    padding=pad,
                    stride_h=s[0],
                    stride_w=s[1],
                    filter_h=f[0],
                    filter_w=f[1],
                )
            )
        x = _rand(rng, 1, 6, 6, 2, scale=5)
        cases.append(
            _case(
                f"{op}_relu6",
                op,
                [x],
                fn(x, (2, 2), (2, 2), "VALID", "RELU6"),
                padding="VALID",
                stride_h=2,
                stride_w=2,
                filter_h=2,
                filter_w=2,
                activation="RELU6",
            )
        )
        for i in range(3):
            fh, fw, sh, sw = (int(v) for v in rng.integers(1, 4, 4))
            h, w_, c = int(rng.integers(fh, 10)), int(rng.integers(fw, 10)), int(rng.integers(1, 5))
            pad = ("SAME", "VALID", "SAME")[i]
            x = _rand(rng, 2, h, w_, c)
            cases.append(
                _case(
                    f"{op}_random{i}",
                    op,
                    [x],
                    fn(x, (fh, fw), (sh, sw), pad),
                    padding=pad,
                    stride_h=sh,
                    stride_w=sw,
                    filter_h=fh,
                    filter_w=fw,
                )
            )
    return cases


def mean_cases(rng: np.random.Generator) -> list[OpCase]:
    configs = [
        ("global_avg_pool_keep", (2, 5, 4, 3), [1, 2], True),
        ("global_avg_pool", (2, 5, 4, 3), [1, 2], False),
        ("last_axis_negative", (3, 4, 6), [-1], False),
        ("axes_0_2", (3, 4, 5), [0, 2], False),
        ("all_axes_keep", (4, 6), [0, 1], True),
        ("rank1", (9,), [0], False),
        ("unsorted_axes", (2, 3, 4, 5), [3, 1], True),
    ]
    for i in range(3):
        shape = tuple(int(v) for v in rng.integers(1, 6, int(rng.integers(1, 5))))
        k = int(rng.integers(1, len(shape) + 1))
        axes = sorted(int(a) for a in rng.choice(len(shape), k, replace=False))
        configs.append((f"random{i}", shape, axes, bool(i % 2)))
    cases = []
    for tag, shape, axes, keep in configs:
        x = _rand(rng, *shape)
        cases.append(_case(f"mean_{tag}", "Mean", [x], ref.mean(x, axes, keep), axes=axes, keep_dims=keep))
    return cases


BROADCAST_SHAPES = [
    ((4,), (4,)),
    ((1,), (5,)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((2, 1, 4), (2, 3, 1)),
    ((2, 1, 4, 5), (1, 3, 1, 5)),
    ((2, 3, 4, 5), (2, 3, 4, 5)),
    ((5,), (2, 3, 1, 5)),
]


def binary_cases(rng: np.random.Generator) -> list[OpCase]:
    fns = {"Add": ref.add, "Sub": ref.sub, "Mul": ref.mul}
    cases = []
    for op, fn in fns.items():
        for i, (sa, sb) in enumerate(BROADCAST_SHAPES):
            a, b = _rand(rng, *sa), _rand(rng, *sb)
            cases.append(
                _case(
                    f"{op}_bcast{i}_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}", op, [a, b], fn(a, b)
                )
            )
        a, b = _rand(rng, 2, 3, 4), _rand(rng, 4)
        cases.append(_case(f"{op}_const_operand", op, [a, Const(b)], fn(a, b)))
    for op, fn in fns.items():
        for i in range(4):
            out = [int(v) for v in rng.integers(1, 6, int(rng.integers(1, 5)))]
            shapes = []
            for _ in range(2):
                rank = int(rng.integers(1, len(out) + 1))
                shapes.append([d if rng.random() < 0.6 else 1 for d in out[len(out) - rank :]])
            a, b = _rand(rng, *shapes[0]), _rand(rng, *shapes[1])
            cases.append(_case(f"{op}_random{i}", op, [a, b], fn(a, b)))
    for op in ("Add", "Mul"):
        for act in ("RELU", "RELU6"):
            a, b = _rand(rng, 3, 4, scale=4), _rand(rng, 1, 4, scale=2)
            cases.append(_case(f"{op}_act_{act}", op, [a, b], fns[op](a, b, act), activation=act))
    return cases


def unary_cases(rng: np.random.Generator) -> list[OpCase]:
    fns = {"Relu": ref.relu, "Relu6": ref.relu6, "Sigmoid": ref.sigmoid, "Tanh": ref.tanh}
    cases = []
    for op, fn in fns.items():
        x = _rand(rng, 2, 3, 4, scale=4)
        x.flat[:6] = [-20.0, -6.0, 0.0, 6.0, 7.5, 20.0]
        cases.append(_case(f"{op}", op, [x], fn(x)))
        x = _rand(rng, 17, scale=3)
        cases.append(_case(f"{op}_rank1", op, [x], fn(x)))
    return cases


def softmax_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    for tag, shape, beta, scale in [
        ("2x10", (2, 10), 1.0, 1.0),
        ("beta_half", (3, 7), 0.5, 3.0),
        ("beta_2", (4, 5), 2.0, 2.0),
        ("rank3", (2, 1, 7), 1.0, 1.0),
        ("rank1", (6,), 1.0, 1.0),
        ("large_logits", (2, 8), 1.0, 40.0),
        ("depth1", (3, 1), 1.0, 1.0),
    ]:
        x = _rand(rng, *shape, scale=scale)
        cases.append(_case(f"softmax_{tag}", "Softmax", [x], ref.softmax(x, beta), beta=beta))
    return cases


def movement_cases(rng: np.random.Generator) -> list[OpCase]:
    cases = []
    x = _rand(rng, 2, 3, 4)
    cases.append(_case("reshape_infer", "Reshape", [x], ref.reshape(x, (6, 4)), new_shape=[-1, 4]))
    cases.append(_case("reshape_no_options", "Reshape", [x], ref.reshape(x, (4, 3, 2))))
    x = _rand(rng, 1, 2, 2, 3)
    cases.append(_case("reshape_flatten", "Reshape", [x], ref.reshape(x, (1, 12)), new_shape=[1, 12]))

    for tag, shapes, axis in [
        ("axis0", [(2, 3), (4, 3)], 0),
        ("axis1_three", [(2, 1), (2, 3), (2, 2)], 1),
        ("axis3_nhwc", [(1, 2, 2, 3), (1, 2, 2, 1)], 3),
        ("axis_negative", [(2, 3, 2), (2, 3, 4)], -1),
        ("axis1_rank3", [(2, 1, 3), (2, 4, 3)], 1),
    ]:
        xs = [_rand(rng, *s) for s in shapes]
        cases.append(_case(f"concat_{tag}", "Concatenation", xs, ref.concatenation(xs, axis), axis=axis))
    xs = [_rand(rng, 3, 2, scale=4), _rand(rng, 3, 3, scale=4)]
    cases.append(
        _case(
            "concat_relu6", "Concatenation", xs, ref.concatenation(xs, 1, "RELU6"), axis=1, activation="RELU6"
        )
    )
    xs = [_rand(rng, 2, 2), _rand(rng, 1, 2)]
    cases.append(
        _case("concat_const_input", "Concatenation", [xs[0], Const(xs[1])], ref.concatenation(xs, 0), axis=0)
    )

    for tag, shape, paddings in [
        ("nhwc", (1, 3, 3, 2), [0, 0, 1, 2, 2, 1, 0, 0]),
        ("rank2", (2, 3), [1, 0, 0, 2]),
        ("rank1", (4,), [3, 1]),
        ("none", (2, 2), [0, 0, 0, 0]),
    ]:
        x = _rand(rng, *shape)
        cases.append(_case(f"pad_{tag}", "Pad", [x], ref.pad(x, paddings), paddings=paddings))

    for tag, shape, perm in [
        ("nhwc_to_nchw", (2, 3, 4, 5), [0, 3, 1, 2]),
        ("rank2", (3, 5), [1, 0]),
        ("rank3", (2, 3, 4), [2, 0, 1]),
        ("identity", (3, 2), [0, 1]),
        ("rank5", (2, 1, 3, 2, 2), [4, 2, 0, 3, 1]),
    ]:
        x = _rand(rng, *shape)
        cases.append(_case(f"transpose_{tag}", "Transpose", [x], ref.transpose(x, perm), perm=perm))
    return cases


def network_case(rng: np.random.Generator) -> OpCase:
    """A small CNN (conv -> dw conv -> pool -> mean/reshape -> FC -> softmax) run end to end."""
    b = ModelBuilder(description="parity cnn")
    x = _rand(rng, 2, 8, 8, 3)
    w1, b1 = _rand(rng, 4, 3, 3, 3, scale=0.5), _rand(rng, 4)
    w2, b2 = _rand(rng, 1, 3, 3, 8, scale=0.5), _rand(rng, 8)
    w3, b3 = _rand(rng, 5, 32, scale=0.3), _rand(rng, 5)
    ix = b.add_input("image", np.float32, x.shape)
    c1 = b.add_tensor("conv", np.float32, [2, 4, 4, 4])
    b.add_op(
        "Conv2D",
        [ix, b.add_constant("w1", w1), b.add_constant("b1", b1)],
        [c1],
        stride_h=2,
        stride_w=2,
        activation="RELU",
    )
    c2 = b.add_tensor("dw", np.float32, [2, 4, 4, 8])
    b.add_op(
        "DepthwiseConv2D",
        [c1, b.add_constant("w2", w2), b.add_constant("b2", b2)],
        [c2],
        depth_multiplier=2,
        activation="RELU6",
    )
    p = b.add_tensor("pool", np.float32, [2, 2, 2, 8])
    b.add_op("MaxPool2D", [c2], [p], filter_h=2, filter_w=2, stride_h=2, stride_w=2)
    f = b.add_tensor("flat", np.float32, [2, 32])
    b.add_op("Reshape", [p], [f], new_shape=[2, 32])
    logits = b.add_tensor("logits", np.float32, [2, 5])
    b.add_op("FullyConnected", [f, b.add_constant("w3", w3), b.add_constant("b3", b3)], [logits])
    probs = b.add_tensor("probs", np.float32, [2, 5])
    b.add_op("Softmax", [logits], [probs])
    b.mark_output(probs)
    b.mark_output(logits)
    h = ref.conv2d(x, w1, b1, (2, 2), activation="RELU")
    h = ref.depthwise_conv2d(h, w2, b2, depth_multiplier=2, activation="RELU6")
    h = ref.max_pool2d(h, (2, 2), (2, 2)).reshape(2, 32)
    lg = ref.fully_connected(h, w3, b3)
    return OpCase("network_cnn", b.finish(), [x], [ref.softmax(lg), lg])


def all_cases() -> list[OpCase]:
    """Every parity case, deterministic (each family has its own fixed seed)."""
    families: list[Callable[[np.random.Generator], Any]] = [
        fully_connected_cases,
        conv2d_cases,
        depthwise_cases,
        pool_cases,
        mean_cases,
        binary_cases,
        unary_cases,
        softmax_cases,
        movement_cases,
    ]
    cases: list[OpCase] = []
    for seed, family in enumerate(families):
        cases += family(np.random.default_rng(1000 + seed))
    cases.append(network_case(np.random.default_rng(2000)))
    cases += op_cases.float_cases()  # one module per op under tests/op_cases/
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return cases


def max_error(outputs: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> float:
    """Largest abs error relative to max|expected| over all outputs (shapes must match exactly)."""
    worst = 0.0
    for out, exp in zip(outputs, expected, strict=True):
        assert tuple(out.shape) == tuple(exp.shape), f"shape {out.shape} != expected {exp.shape}"
        scale = max(float(np.max(np.abs(exp))), 1e-30)
        worst = max(worst, float(np.max(np.abs(np.asarray(out, np.float64) - exp))) / scale)
    return worst


def check_outputs(case: OpCase, outputs: Sequence[np.ndarray]) -> None:
    """Assert the parity criterion: max abs error <= TOLERANCE * max|expected|, for every float32 output;
    integer outputs (the indices of ArgMax / ArgMin) equal, dtype and shape included."""
    assert len(outputs) == len(case.expected), f"{case.name}: {len(outputs)} outputs"
    values = []
    for out, exp in zip(outputs, case.expected, strict=True):
        exp = np.asarray(exp)
        if np.issubdtype(exp.dtype, np.integer):
            assert out.dtype == exp.dtype, f"{case.name}: output dtype {out.dtype}, expected {exp.dtype}"
            assert out.shape == exp.shape and np.array_equal(out, exp), f"{case.name}: {out} != {exp}"
            continue
        assert out.dtype == np.float32, f"{case.name}: output dtype {out.dtype}"
        values.append((out, exp))
    err = max_error([o for o, _ in values], [e for _, e in values]) if values else 0.0
    assert err <= TOLERANCE, f"{case.name}: relative max error {err:.3g} > {TOLERANCE}"


# ---- the default runner: pyruntime ----


def _newest_mtime(paths: Sequence[Path]) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def ensure_pyruntime() -> None:
    """Build pyruntime's extension in place when it is missing or older than the C sources it compiles.

    Tests then always run against the current runtime_c/ even without a fresh ``pip install -e .``.
    """
    sources = [*(ROOT / "runtime_c").glob("src/**/*.[ch]"), *(ROOT / "runtime_c").glob("include/*.h")]
    sources.append(ROOT / "pyruntime" / "_build.py")
    built = list((ROOT / "pyruntime").glob("_tensorlet*.so")) + list(
        (ROOT / "pyruntime").glob("_tensorlet*.pyd")
    )
    if built and min(p.stat().st_mtime for p in built) >= _newest_mtime(sources):
        return
    if "pyruntime._tensorlet" in sys.modules:
        return  # already loaded in this process; cannot reload a C extension
    proc = subprocess.run(
        [sys.executable, str(ROOT / "pyruntime" / "_build.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"building pyruntime failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")

def check_float_levels_and_threads(data: bytes, xs: np.ndarray, levels: tuple[str, ...]) -> None:
    """A float model at every kernel level in ``levels`` within 1e-5 of the largest reference output, and at 2
    and 3 threads byte-identical to one thread (the optimized kernels' thread splits keep the bits)."""
    ensure_pyruntime()
    import pyruntime

    want = pyruntime.Interpreter(model_content=data, kernels="reference").run(xs)
    for level in levels:
        got = pyruntime.Interpreter(model_content=data, kernels=level).run(xs)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            err = float(np.max(np.abs(g.astype(np.float64) - w)))
            assert err <= 1e-5 * float(np.max(np.abs(w))), f"{level} output {i}: {err}"
    one = pyruntime.Interpreter(model_content=data).run(xs)
    for threads in (2, 3):
        got = pyruntime.Interpreter(model_content=data, num_threads=threads).run(xs)
        for g, o in zip(got, one, strict=True):
            assert g.tobytes() == o.tobytes(), f"{threads} threads"



def run_model(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run a model on the C runtime through pyruntime."""
    import pyruntime

    interp = pyruntime.Interpreter(model_content=model)
    interp.allocate_tensors()
    return interp.run(*inputs)


def save_case(case: OpCase, directory: Path) -> tuple[Path, list[Path]]:
    """Write ``<name>.tlm`` and one ``<name>.in<i>.npy`` per input (for runners such as ``tl_run``).

    Returns (model path, input paths).
    """
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / f"{case.name}.tlm"
    model_path.write_bytes(case.model)
    input_paths = []
    for i, value in enumerate(case.inputs):
        path = directory / f"{case.name}.in{i}.npy"
        np.save(path, value)
        input_paths.append(path)
    return model_path, input_paths
