"""The small-model int8 paths are bit-exact: the AVX2 one-row FullyConnected and the optimized int8 Mean.

runtime_c/src/kernels/opt/fully_connected_int8_opt.c multiplies a batch-1 FullyConnected at the AVX2 level
with vpmaddubsw(|x|, sign(w, x)) on the portable panel layout when every weight is in [-127, 127] (a -128
weight keeps the generic tile); runtime_c/src/kernels/opt/mean_int8_opt.c sums int8 Mean's bytes in int16 /
int32 lanes over [outer, reduced, inner]. Each model here runs at every kernel level the interpreter accepts
and at 1 and 2 threads, and must give the bytes of the numpy reference (trainer/quant/kernels_int8.py) and
of the reference kernels: depths with a tail group (k % 4 != 0), column counts that leave a partial panel
and a partial block of 32, the extreme products (x = -128 against w = +-127), output shifts above 0 (the
scalar requantization), the -128 fallback; Means over the last axis, over a middle axis with more than 255
rows (the int16 partial sums) and more than 64 columns, over non-consecutive axes (the reference walk), and
with multipliers outside the inline requantization's range.
"""

from __future__ import annotations

import numpy as np
import pytest
from int8_op_cases import QT, _bias, _out_scale, _weights, act_q, i8, log_scale, one_op
from runtime_op_cases import ensure_pyruntime

import trainer.quant.kernels_int8 as q

LEVELS = ("portable", "avx2", "avx512", "auto")
ACT = {"NONE": 0, "RELU": 1, "RELU6": 2}


def _run(model: bytes, feeds: list[np.ndarray], kernels: str, threads: int) -> np.ndarray:
    from pyruntime import Interpreter

    it = Interpreter(model_content=model, kernels=kernels, num_threads=threads)
    it.allocate_tensors()
    for d, x in zip(it.get_input_details(), feeds, strict=True):
        it.set_tensor(d["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def _check_every_level(model: bytes, feeds: list[np.ndarray], expected: np.ndarray) -> None:
    ref = _run(model, feeds, "reference", 1)
    np.testing.assert_array_equal(ref, expected, err_msg="reference kernels vs numpy")
    for kernels in LEVELS:
        for threads in (1, 2):
            got = _run(model, feeds, kernels, threads)
            assert got.tobytes() == expected.tobytes(), f"{kernels} x{threads}"


# (in, out, per_channel, act, input scale range, squeeze, input zero point, weights)
FC_SPECS = [
    (784, 256, True, "RELU", (1e-2, 1.0), 1.0, -128, "random"),  # the MLP's first layer
    (33, 13, True, "NONE", (1e-2, 1.0), 0.3, 127, "random"),  # tail group of 1, one partial panel
    (6, 37, False, "RELU6", (1e-3, 1e-1), 1.0, 0, "random"),  # 1 full group + tail, 32 + 5 columns
    (130, 70, True, "NONE", (1e-2, 1.0), 0.05, -3, "extreme"),  # +-127 against -128: the largest pairs
    (12, 9, True, "NONE", (1e2, 1e3), 1.0, 5, "random"),  # output shifts above 0: scalar requantization
    (40, 24, True, "NONE", (1e-2, 1.0), 1.0, -128, "minus128"),  # a -128 weight: the generic AVX2 tile
]


@pytest.mark.parametrize("spec", FC_SPECS, ids=[f"fc_{s[0]}x{s[1]}_{s[7]}" for s in FC_SPECS])
def test_batch1_fully_connected_bit_exact(spec) -> None:
    ensure_pyruntime()
    n_in, n_out, per_ch, act, srange, squeeze, zp_in, kind = spec
    rng = np.random.default_rng(n_in * 1000 + n_out)
    s_in = log_scale(rng, *srange)
    w, ws, wq = _weights(rng, (n_out, n_in), 0, per_ch)
    x = i8(rng, 1, n_in)
    if kind == "extreme":
        w = np.where(rng.random(w.shape) < 0.5, 127, -127).astype(np.int8)
        x[:] = -128
        x[0, ::3] = 127
    elif kind == "minus128":
        w[3, 5] = -128
    s_out = _out_scale(s_in, ws, n_in, squeeze)
    zp_out = int(rng.integers(-128, 128))
    bias, bq = _bias(rng, n_out, s_in, ws)
    model, feeds = one_op(
        "FullyConnected",
        [QT(x, act_q(s_in, zp_in)), QT(w, wq, True), QT(bias, bq, True)],
        (1, n_out),
        act_q(s_out, zp_out),
        activation=act,
    )
    rq = q.prepare_channel_requant(s_in, ws, s_out, zp_out, ACT[act])
    expected = q.fc_int8(x, w, bias, zp_in, rq)
    assert np.unique(expected).size > 2 or kind == "extreme"
    _check_every_level(model, feeds, expected)


# (shape, axes, keep_dims, (s_in, s_out) or None for random scales, input: "random" or "min")
MEAN_SPECS = [
    ((1, 32, 32), [1], False, None, "random"),  # the zoo text classifier's token pooling
    ((2, 300, 3, 70), [1, 2], True, None, "random"),  # 900 rows: int16 chunks; 64 + 6 columns
    ((1, 771, 16), [1], False, None, "min"),  # all -128 over 3 chunks of 255 rows and 6
    ((3, 5, 77), [-1], False, None, "random"),  # the last axis: 4 x 16 + 13 bytes per row
    ((2, 3, 4, 5), [0, 2], False, None, "random"),  # non-consecutive: the reference walk
    ((1, 6, 6, 40), [1, 2], False, (2.0**20, 2.0**-20), "random"),  # a shift above 0
    ((1, 6, 6, 5), [1, 2], True, (1e-3, 1e-3 * 2**33), "random"),  # the zero multiplier
]


@pytest.mark.parametrize("spec", MEAN_SPECS, ids=[f"mean_{'x'.join(map(str, s[0]))}" for s in MEAN_SPECS])
def test_mean_int8_bit_exact(spec) -> None:
    ensure_pyruntime()
    shape, axes, keep, scales, kind = spec
    rng = np.random.default_rng(int(np.prod(shape)))
    si = log_scale(rng, 1e-2, 1.0)
    si, so = scales if scales else (si, float(np.float32(si * rng.uniform(0.2, 0.4))))  # a spread of outputs
    zi, zo = int(rng.integers(-20, 21)), int(rng.integers(-20, 21))
    x = np.full(shape, -128, np.int8) if kind == "min" else i8(rng, *shape)
    count = int(np.prod([shape[a] for a in axes]))
    expected = q.mean_int8(x, axes, keep, q.prepare_mean(si, zi, so, zo, count))
    model, feeds = one_op(
        "Mean", [QT(x, act_q(si, zi))], expected.shape, act_q(so, zo), axes=axes, keep_dims=keep
    )
    assert np.unique(expected).size > 1 or kind == "min" or scales is not None
    _check_every_level(model, feeds, expected)
