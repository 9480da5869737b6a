"""int8 TransposeConv and BatchMatMul on the int8 GEMM (runtime_c kernels/opt/transpose_conv_int8_opt.c,
batch_matmul_int8_opt.c, int8_panels.c).

runtime_c/tests/test_opt_gemm_ops_int8.c compares both drivers with the reference kernels byte for byte at
every int8 level the CPU has; here it runs natively, under qemu-aarch64 (NEON on a Cortex-A53, dotprod on
qemu's max CPU) and under qemu-arm (ARMv7 NEON), and the levels it reports are checked against the CPU's.
Then the interpreter (pyruntime): at every kernel level this CPU has, with 1 and 2 threads, the bytes
of the reference kernel and of the numpy reference, over the geometries that reach each branch of the drivers
(column tails, the periodic-bias requantization, rows no tap reaches, several pixel blocks, tap rows cut by
the thread split, adj_x/adj_y, broadcast batches), extreme zero points and scales (positive shifts take the
scalar requantization), saturation; and the arena the runtime plans equals the Python planner's mirror."""

from __future__ import annotations

import numpy as np
import pytest
from cbuild import kernel_levels
from int8_op_cases import QT, _bias, _out_scale, _weights, act_q, i8, log_scale, one_op
from runtime_op_cases import ensure_pyruntime

from trainer.quant.kernels_int8 import prepare_channel_requant
from trainer.runtime_ops.batch_matmul import batch_matmul_int8, prepare_batch_matmul
from trainer.runtime_ops.transpose_conv import transpose_conv_int8
from trainer.tlm import read_model
from trainer.tlm.builder import Quantization
from trainer.tlm.reader import plan_model

LEVELS = ("portable", "neon", "avx2", "avx512")
ACT_CODES = {"NONE": 0, "RELU": 1, "RELU6": 2}
TARGET = "test_opt_gemm_ops_int8"


def test_c_kernels_native_every_level() -> None:
    features, levels = kernel_levels("native", TARGET, "gemm8ops")
    expected = (
        ["portable"]
        + (["avx2"] if features["avx2_fma"] else [])
        + (["vnni"] if features["avx512f"] and features["avx512vnni"] else [])
    )
    assert levels == expected


@pytest.mark.parametrize(
    "variant, cpu, expected",
    [
        ("aarch64", ("-cpu", "cortex-a53"), ["portable", "neon"]),
        ("aarch64", ("-cpu", "max"), ["portable", "neon", "sdot"]),
        ("armhf", (), ["portable", "neon"]),
    ],
)
def test_c_kernels_arm_under_qemu(variant: str, cpu: tuple[str, ...], expected: list[str]) -> None:
    features, levels = kernel_levels(variant, TARGET, "gemm8ops", cpu)
    assert features["neon"] == 1 and levels == expected


@pytest.fixture(scope="module")
def pyrt():
    ensure_pyruntime()
    import pyruntime

    return pyruntime


def _check_levels(pyrt, model: bytes, feeds: list[np.ndarray], want: np.ndarray) -> int:
    """Reference, every level and 2 threads give want's bytes; the arena is the planner's. Returns the number
    of levels run."""
    ref = pyrt.Interpreter(model_content=model, kernels="reference")
    assert ref.run(*feeds)[0].tobytes() == want.tobytes()
    levels = 0
    for level in LEVELS:
        for threads in (1, 2):
            try:
                interp = pyrt.Interpreter(model_content=model, kernels=level, num_threads=threads)
            except pyrt.TensorletRuntimeError:  # not on this CPU
                break
            got = interp.run(*feeds)[0]
            assert got.tobytes() == want.tobytes(), (level, threads, int(np.count_nonzero(got != want)))
        else:
            levels += 1
    interp = pyrt.Interpreter(model_content=model)
    interp.allocate_tensors()
    assert interp.arena_bytes == plan_model(read_model(model)).arena_bytes
    return levels


# (x shape, (kh, kw), out_c, strides, padding, (oh, ow), activation, bias, per-channel, output squeeze)
TCONV = [
    ((1, 8, 8, 32), (3, 3), 16, (2, 2), "SAME", (16, 16), "RELU", True, True, 1.0),  # the autoencoder's
    ((1, 16, 16, 16), (3, 3), 1, (2, 2), "SAME", (32, 32), "NONE", True, False, 1.0),  # one channel, 2 blocks
    ((2, 5, 19, 7), (4, 4), 37, (2, 2), "SAME", (10, 38), "RELU6", True, True, 1.0),  # channel tails, batch 2
    ((1, 3, 4, 5), (2, 2), 3, (3, 3), "VALID", (9, 12), "NONE", True, True, 1.0),  # rows no tap reaches
    ((1, 6, 6, 9), (3, 3), 4, (1, 1), "SAME", (6, 6), "NONE", False, False, 0.05),  # saturates, no bias
    ((1, 4, 5, 3), (5, 3), 8, (2, 1), "VALID", (11, 7), "RELU", True, True, 1.0),  # kh > 2 stride_h
]


def tconv_case(case: int) -> tuple[bytes, list[np.ndarray], np.ndarray]:
    """Model, inputs and the numpy reference's output of TCONV[case]."""
    xs, (kh, kw), oc, st, pad, (oh, ow), act, has_bias, per_channel, squeeze = TCONV[case]
    rng = np.random.default_rng(100 + case)
    s_in, zp_in = log_scale(rng, 1e-3, 1.0), (-128, 127, 5, 0, -3, 77)[case]
    x = i8(rng, *xs)
    w, ws, wq = _weights(rng, (oc, kh, kw, xs[3]), 0, per_channel)
    s_out = _out_scale(s_in, ws, kh * kw * xs[3], squeeze)
    zp_out = int(rng.integers(-100, 100))
    operands = [QT(x, act_q(s_in, zp_in)), QT(w, wq, True)]
    b = None
    if has_bias:
        b, bq = _bias(rng, oc, s_in, ws)
        operands.append(QT(b, bq, True))
    rq = prepare_channel_requant(s_in, ws, s_out, zp_out, ACT_CODES[act])
    want = transpose_conv_int8(x, w, b, zp_in, rq, (xs[0], oh, ow, oc), st, pad)
    model, feeds = one_op("TransposeConv", operands, want.shape, act_q(s_out, zp_out), padding=pad,
                          stride_h=st[0], stride_w=st[1], activation=act)  # fmt: skip
    return model, feeds, want


@pytest.mark.parametrize("case", range(len(TCONV)))
def test_transpose_conv_int8_gives_the_reference_bytes(pyrt, case: int) -> None:
    model, feeds, want = tconv_case(case)
    assert _check_levels(pyrt, model, feeds, want) >= 1
    if TCONV[case][-1] < 1.0:
        assert np.count_nonzero((want == 127) | (want == -128)) > want.size // 20


def test_transpose_conv_int8_extreme_multipliers_and_accumulators(pyrt) -> None:
    """Per-channel multipliers from just under 1 down to ~1e-9 (shifts below -31: the scalar requantization
    for the whole op) with the extreme operands: x all -128 against zero point 127, weights +-127, an int32
    bias near its range; sums past int32 saturate in the requantization."""
    xs, oc = (1, 5, 5, 24), 20
    w = np.full((oc, 3, 3, xs[3]), 127, np.int8)
    w[::2] = -127
    ws = np.full(oc, 0.0399, np.float32)
    ws[-1] = 1e-9
    b = np.full(oc, 2**30, np.int32)
    b[1::3] = -(2**30)
    x = np.full(xs, -128, np.int8)
    x[0, 2, 2, :] = 127
    s_in, s_out = 0.25, 0.01  # multipliers 0.9975 and 2.5e-8
    rq = prepare_channel_requant(s_in, ws, s_out, -7, 0)
    want = transpose_conv_int8(x, w, b, 127, rq, (1, 10, 10, oc), (2, 2), "SAME")
    q_w = Quantization(ws, [0] * oc, axis=0)
    q_b = Quantization((np.float32(s_in) * ws).astype(np.float32), [0] * oc)
    model, feeds = one_op("TransposeConv", [QT(x, act_q(s_in, 127)), QT(w, q_w, True), QT(b, q_b, True)],
                          want.shape, act_q(s_out, -7), padding="SAME", stride_h=2, stride_w=2)  # fmt: skip
    assert _check_levels(pyrt, model, feeds, want) >= 1
    assert {-128, 127} <= set(np.unique(want).tolist())


# (a shape, b shape, adj_x, adj_y, zero points (a, b, out), scales (a, b, out; None: the largest sum at 100
# steps), operand range)
BMM = [
    ((1, 4, 32, 16), (1, 4, 32, 16), False, True, (-3, 11, 2), (0.05, 0.04, None), 128),  # Q K^T
    ((1, 4, 32, 32), (1, 4, 32, 16), False, False, (-128, 4, -20), (0.004, 0.05, None), 128),  # P V
    ((2, 3, 37, 19), (2, 3, 19, 45), False, False, (127, -128, 0), (0.02, 0.05, None), 128),  # every tail
    ((3, 13, 29), (1, 13, 40), True, False, (0, 0, 0), (0.1, 0.1, None), 128),  # adj_x, b broadcast
    ((2, 1, 19, 37), (3, 23, 19), True, True, (-128, 127, 5), (0.02, 0.05, None), 128),  # both adjoint
    ((1, 1, 70), (70, 33), False, False, (0, 0, 1), (0.3, 0.2, 0.04), 4),  # one row; multiplier 1.5 (shift 1)
]  # fmt: skip


def bmm_case(case: int) -> tuple[bytes, list[np.ndarray], np.ndarray]:
    """Model, inputs and the numpy reference's output of BMM[case]."""
    a_shape, b_shape, adj_x, adj_y, (za, zb, zo), (sa, sb, so), r = BMM[case]
    rng = np.random.default_rng(200 + case)
    a = i8(rng, *a_shape, lo=-r, hi=r - 1)
    b = i8(rng, *b_shape, lo=-r, hi=r - 1)
    if so is None:
        exact = np.matmul(*_logical(a.astype(np.int64) - za, b.astype(np.int64) - zb, adj_x, adj_y))
        so = float(np.float32(sa * sb * np.abs(exact).max() / 100.0))
    want = batch_matmul_int8(a, b, prepare_batch_matmul(sa, za, sb, zb, so, zo), adj_x, adj_y)
    model, feeds = one_op("BatchMatMul", [QT(a, act_q(sa, za)), QT(b, act_q(sb, zb))], want.shape,
                          act_q(so, zo), adj_x=adj_x, adj_y=adj_y)  # fmt: skip
    return model, feeds, want


@pytest.mark.parametrize("case", range(len(BMM)))
def test_batch_matmul_int8_gives_the_reference_bytes(pyrt, case: int) -> None:
    model, feeds, want = bmm_case(case)
    assert _check_levels(pyrt, model, feeds, want) >= 1
    assert len(np.unique(want)) > 8  # a spread of values
    if BMM[case][-1] < 128:  # the multiplier above 1: some saturate, most do not
        assert 0 < np.count_nonzero((want == 127) | (want == -128)) < want.size // 4


def _logical(a: np.ndarray, b: np.ndarray, adj_x: bool, adj_y: bool) -> tuple[np.ndarray, np.ndarray]:
    return (np.swapaxes(a, -1, -2) if adj_x else a), (np.swapaxes(b, -1, -2) if adj_y else b)
