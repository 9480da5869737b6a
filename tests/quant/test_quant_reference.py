"""trainer/quantize.py helpers: against exact rational arithmetic, against hand-computed values, against the
real functions they approximate, and against runtime_c/src/quant.c itself (compiled here, called through
ctypes) on many random and edge inputs, including the prepare-time multipliers of random scale triples.
"""

from __future__ import annotations

import ctypes
import math
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from cbuild import c_flags
from conftest import need_tool

import trainer.quantize as q

ROOT = Path(__file__).resolve().parents[2]
I32 = (-(2**31), 2**31 - 1)
EDGES = [
    -(2**31),
    -(2**31) + 1,
    -(2**30) - 1,
    -(2**30),
    -(2**30) + 1,
    -65536,
    -256,
    -255,
    -129,
    -128,
    -3,
    -2,
    -1,
    0,
    1,
    2,
    3,
    127,
    255,
    256,
    65535,
    2**30 - 1,
    2**30,
    2**30 + 1,
    2**31 - 2,
    2**31 - 1,
]


def _rng() -> np.random.Generator:
    return np.random.default_rng(5)


def _random_i32(rng: np.random.Generator, n: int) -> np.ndarray:
    """A mix of full-range, small and power-of-two-neighbour int32 values."""
    full = rng.integers(I32[0], I32[1], n // 2, endpoint=True)
    small = rng.integers(-70000, 70000, n // 4)
    pow2 = (1 << rng.integers(0, 31, n - n // 2 - n // 4)) * rng.choice([-1, 1], n - n // 2 - n // 4)
    pow2 = pow2 + rng.integers(-1, 2, pow2.size)
    return np.clip(np.concatenate([full, small, pow2]), *I32).astype(np.int64)


def _round_half_away(f: Fraction) -> int:
    n = math.floor(abs(f) + Fraction(1, 2))
    return n if f >= 0 else -n


# ---- against exact arithmetic ----


def test_srdhm_is_round_half_up_of_the_exact_product() -> None:
    rng = _rng()
    a = np.concatenate([_random_i32(rng, 4000), np.repeat(EDGES, len(EDGES))])
    b = np.concatenate([_random_i32(rng, 4000), np.tile(EDGES, len(EDGES))])
    got = q.srdhm(a, b)
    for x, y, g in zip(a.tolist(), b.tolist(), got.tolist(), strict=True):
        want = 2**31 - 1 if x == y == -(2**31) else math.floor(Fraction(x * y, 2**31) + Fraction(1, 2))
        assert g == want, (x, y, g, want)


def test_rounding_divide_by_pot_is_round_half_away() -> None:
    rng = _rng()
    xs = np.concatenate([_random_i32(rng, 2000), np.array(EDGES)])
    for e in [0, 1, 2, 5, 17, 30, 31, 32, 40]:
        got = q.rounding_divide_by_pot(xs, e)
        for x, g in zip(xs.tolist(), got.tolist(), strict=True):
            assert g == _round_half_away(Fraction(x, 2**e)), (x, e, g)


def test_saturating_left_shift_clamps() -> None:
    xs = np.array(EDGES)
    for e in [0, 1, 7, 30, 31]:
        want = np.clip(np.array(EDGES, dtype=object) * 2**e, *I32).astype(np.int64)
        np.testing.assert_array_equal(q.saturating_left_shift(xs, e), want)


def test_quantize_multiplier_represents_the_real() -> None:
    rng = _rng()
    reals = np.exp(rng.uniform(np.log(1e-12), np.log(1e6), 3000))
    for r in [*reals.tolist(), 0.5, 1.0, 0.25, 1 - 2**-40, 2**-31, 0.9999999999]:
        m, s = q.quantize_multiplier(r)
        assert 2**30 <= m < 2**31
        assert abs(Fraction(m) * Fraction(2) ** s / 2**31 - Fraction(r)) <= Fraction(r) * Fraction(1, 2**30)
    assert q.quantize_multiplier(1.0) == (2**30, 1)
    assert q.quantize_multiplier(0.75) == (1610612736, 0)
    for bad in [0.0, -1.0, math.nan, math.inf]:
        assert q.quantize_multiplier(bad) is None


def test_multiply_by_quantized_multiplier_composes_the_roundings() -> None:
    rng = _rng()
    xs = _random_i32(rng, 600)
    for real in [0.3, 0.001, 1.7e-5, 0.999, 3.5, 1000.0]:
        m, s = q.quantize_multiplier(real)
        got = q.multiply_by_quantized_multiplier(xs, m, s)
        for x, g in zip(xs.tolist(), got.tolist(), strict=True):
            v = min(max(x * 2 ** max(s, 0), I32[0]), I32[1])
            hi = math.floor(Fraction(v * m, 2**31) + Fraction(1, 2)) if not (v == m == I32[0]) else I32[1]
            assert g == _round_half_away(Fraction(hi, 2 ** max(-s, 0))), (x, real, g)


def test_round_half_away_and_activation_ranges() -> None:
    assert [q.round_half_away(v) for v in (0.5, -0.5, 1.5, 2.4999999999999996, -2.5)] == [1, -1, 2, 2, -3]
    assert q.round_half_away(0.49999999999999994) == 0.0  # floor(x + 0.5) would say 1
    assert q.activation_range_int8(0, 0.1, 3) == (-128, 127)
    assert q.activation_range_int8(1, 0.1, 10) == (10, 127)
    assert q.activation_range_int8(2, 0.1, -128) == (-128, -68)
    assert q.activation_range_int8(2, 0.048, -3) == (-3, 122)
    assert q.activation_range_int8(2, 1e-30, 0) == (0, 127)


# ---- fixed-point functions against the real ones ----


def test_exp_logistic_tanh_reciprocal_are_accurate() -> None:
    a5 = -np.arange(0, 32 * 2**26, 2**26 // 37 + 1, dtype=np.int64)  # Q5 in (-32, 0]
    e = q.exp_on_negative_values(a5, 5) / 2**31
    np.testing.assert_allclose(e, np.exp(a5 / 2**26), atol=3e-7)
    a4 = np.arange(-(2**31) + 1, 2**31 - 1, 2**31 // 5003, dtype=np.int64)  # Q4 over (-16, 16)
    np.testing.assert_allclose(q.logistic(a4, 4) / 2**31, 1 / (1 + np.exp(-a4 / 2**27)), atol=3e-7)
    np.testing.assert_allclose(q.tanh(a4, 4) / 2**31, np.tanh(a4 / 2**27), atol=6e-7)
    x0 = np.arange(0, 2**31 - 1, 2**31 // 3001, dtype=np.int64)  # Q0 in [0, 1)
    np.testing.assert_allclose(
        q.one_over_one_plus_x_for_x_in_0_1(x0) / 2**31, 1 / (1 + x0 / 2**31), atol=3e-7
    )
    np.testing.assert_allclose(
        q.one_minus_x_over_one_plus_x_for_x_in_0_1(x0) / 2**31, (1 - x0 / 2**31) / (1 + x0 / 2**31), atol=6e-7
    )
    sums = np.arange(2**19, 2**31 - 1, 2**31 // 2001, dtype=np.int64)  # Q12 >= 1
    mant, bits = q.get_reciprocal(sums, 12)
    np.testing.assert_allclose(mant / 2**31 / 2.0**bits, 2**19 / sums, rtol=1e-6)


@pytest.mark.parametrize("scale", [0.003, 0.02, 0.0625, 0.1, 0.5])
def test_int8_activations_within_one_lsb_of_float(scale: float) -> None:
    x = np.arange(-128, 128)
    for zp in (-128, 0, 37, 127):
        real = scale * (x - zp)
        p = q.prepare_activation(scale, zp)
        want_s = np.clip(np.round(256 / (1 + np.exp(-real))) - 128, -128, 127)
        want_t = np.clip(np.round(128 * np.tanh(real)), -128, 127)
        assert np.max(np.abs(q.logistic_int8(x, p).astype(int) - want_s)) <= 1
        assert np.max(np.abs(q.tanh_int8(x, p).astype(int) - want_t)) <= 1
        assert np.all(np.diff(q.logistic_int8(x, p).astype(int)) >= 0)  # monotone
        assert np.all(np.diff(q.tanh_int8(x, p).astype(int)) >= 0)


def test_softmax_int8_within_two_lsb_of_float() -> None:
    rng = _rng()
    for scale, beta in [(0.1, 1.0), (0.02, 1.0), (0.05, 2.0), (1.0, 1.0), (3e-3, 1.0)]:
        x = rng.integers(-128, 128, (16, 20))
        z = beta * scale * (x - x.max(axis=1, keepdims=True))
        want = np.clip(np.round(256 * np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)) - 128, -128, 127)
        got = q.softmax_int8(x, q.prepare_softmax(beta, scale)).astype(int)
        assert np.max(np.abs(got - want)) <= 2, (scale, beta)


def test_fc_int8_matches_float_requantization() -> None:
    """Within one LSB of round(real accumulator / output scale) + zero point, clamped."""
    rng = _rng()
    x = rng.integers(-128, 128, (5, 40)).astype(np.int8)
    w = rng.integers(-127, 128, (6, 40)).astype(np.int8)
    bias = rng.integers(-5000, 5000, 6).astype(np.int32)
    s_in, s_w, s_out, zp_in, zp_out = 0.02, np.linspace(0.001, 0.01, 6).astype(np.float32), 0.5, -7, 3
    rq = q.prepare_channel_requant(s_in, s_w, s_out, zp_out)
    got = q.fc_int8(x, w, bias, zp_in, rq).astype(int)
    acc = (x.astype(np.int64) - zp_in) @ w.astype(np.int64).T + bias
    want = np.clip(np.round(acc * (s_in * s_w.astype(np.float64)) / s_out) + zp_out, -128, 127)
    assert np.max(np.abs(got - want)) <= 1


# ---- numpy mirror == C (quant.c compiled here) ----

_HELPER = r"""
#include <string.h>

#include "quant.h"
/* the glue's multiplier expression, for the C-vs-Python multiplier comparison */
int tq_conv_multiplier(float a, float b, float c, int32_t *m, int32_t *s) {
  return tl_quantize_multiplier((double)a * (double)b / (double)c, m, s);
}
/* the float's bits (through Python floats, a signaling NaN would come back quieted) */
uint32_t tq_half_bits(uint16_t h) {
  float f = tl_half_to_float(h);
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}
"""


@pytest.fixture(scope="module")
def cquant(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    need_tool("gcc")
    d = tmp_path_factory.mktemp("cquant")
    (d / "helper.c").write_text(_HELPER)
    lib = d / "libquant.so"
    src = ROOT / "runtime_c" / "src"
    cmd = [
        "gcc",
        *c_flags("std", "warnings"),
        "-O2",
        "-shared",
        "-fPIC",
        f"-I{src}",
        str(src / "quant.c"),
        str(d / "helper.c"),
        "-lm",
        "-o",
        str(lib),
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    c = ctypes.CDLL(str(lib))
    i32, p32 = ctypes.c_int32, ctypes.POINTER(ctypes.c_int32)
    for name, args in {
        "tl_srdhm": [i32, i32],
        "tl_rounding_divide_by_pot": [i32, i32],
        "tl_saturating_left_shift": [i32, i32],
        "tl_multiply_by_quantized_multiplier": [i32, i32, i32],
        "tl_exp_on_negative_values": [i32, i32],
        "tl_one_over_one_plus_x_for_x_in_0_1": [i32],
        "tl_one_minus_x_over_one_plus_x_for_x_in_0_1": [i32],
        "tl_logistic": [i32, i32],
        "tl_tanh": [i32, i32],
        "tl_input_radius": [i32, i32],
    }.items():
        getattr(c, name).argtypes = args
        getattr(c, name).restype = i32
    c.tl_quantize_multiplier.argtypes = [ctypes.c_double, p32, p32]
    c.tl_quantize_multiplier.restype = ctypes.c_int
    c.tq_conv_multiplier.argtypes = [ctypes.c_float, ctypes.c_float, ctypes.c_float, p32, p32]
    c.tq_conv_multiplier.restype = ctypes.c_int
    c.tl_get_reciprocal.argtypes = [i32, i32, p32]
    c.tl_get_reciprocal.restype = i32
    c.tl_activation_range_int8.argtypes = [i32, ctypes.c_float, i32, p32, p32]
    c.tl_activation_range_int8.restype = None
    c.tq_half_bits.argtypes = [ctypes.c_uint16]
    c.tq_half_bits.restype = ctypes.c_uint32
    return c


def test_c_half_to_float_is_exact_on_every_pattern(cquant: ctypes.CDLL) -> None:
    """Float16 weights are expanded by tl_half_to_float: all 65536 bit patterns equal numpy's conversion."""
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    got = np.array([cquant.tq_half_bits(int(b)) for b in bits], np.uint32)
    np.testing.assert_array_equal(got, bits.view(np.float16).astype(np.float32).view(np.uint32))


def test_c_and_numpy_helpers_agree(cquant: ctypes.CDLL) -> None:
    rng = _rng()
    a, b = _random_i32(rng, 3000), _random_i32(rng, 3000)
    e = rng.integers(0, 40, 3000)
    np.testing.assert_array_equal(
        [cquant.tl_srdhm(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True)], q.srdhm(a, b)
    )
    np.testing.assert_array_equal(
        [cquant.tl_rounding_divide_by_pot(x, k) for x, k in zip(a.tolist(), e.tolist(), strict=True)],
        q.rounding_divide_by_pot(a, e),
    )
    np.testing.assert_array_equal(
        [cquant.tl_saturating_left_shift(x, k) for x, k in zip(a.tolist(), e.tolist(), strict=True)],
        q.saturating_left_shift(a, e),
    )
    m = rng.integers(2**30, 2**31, 3000)
    s = rng.integers(-31, 32, 3000)
    np.testing.assert_array_equal(
        [
            cquant.tl_multiply_by_quantized_multiplier(x, y, k)
            for x, y, k in zip(a.tolist(), m.tolist(), s.tolist(), strict=True)
        ],
        q.multiply_by_quantized_multiplier(a, m, s),
    )
    neg = -np.abs(a)
    neg[neg < -(2**31) + 1] = -(2**31) + 1
    for ib in (4, 5):
        np.testing.assert_array_equal(
            [cquant.tl_exp_on_negative_values(x, ib) for x in neg.tolist()], q.exp_on_negative_values(neg, ib)
        )
    for ib in (0, 4, 5):
        np.testing.assert_array_equal([cquant.tl_logistic(x, ib) for x in a.tolist()], q.logistic(a, ib))
        np.testing.assert_array_equal([cquant.tl_tanh(x, ib) for x in a.tolist()], q.tanh(a, ib))
    x01 = np.abs(a)
    np.testing.assert_array_equal(
        [cquant.tl_one_over_one_plus_x_for_x_in_0_1(x) for x in x01.tolist()],
        q.one_over_one_plus_x_for_x_in_0_1(x01),
    )
    np.testing.assert_array_equal(
        [cquant.tl_one_minus_x_over_one_plus_x_for_x_in_0_1(x) for x in x01.tolist()],
        q.one_minus_x_over_one_plus_x_for_x_in_0_1(x01),
    )
    pos = np.abs(a) + 1
    pos[pos > 2**31 - 1] = 2**31 - 1
    bits = ctypes.c_int32()
    mant_c = []
    bits_c = []
    for x in pos.tolist():
        mant_c.append(cquant.tl_get_reciprocal(x, 12, ctypes.byref(bits)))
        bits_c.append(bits.value)
    mant, nb = q.get_reciprocal(pos, 12)
    np.testing.assert_array_equal(mant_c, mant)
    np.testing.assert_array_equal(bits_c, nb)
    for ib, sh in [(4, k) for k in range(-70, 70, 3)] + [(5, k) for k in range(-70, 70, 3)]:
        assert cquant.tl_input_radius(ib, sh) == q.input_radius(ib, sh)


def test_c_and_numpy_multipliers_agree_on_random_scales(cquant: ctypes.CDLL) -> None:
    """The prepare-time (multiplier, shift) of (double)s_in * s_w / s_out, and the activation clamps."""
    rng = _rng()
    scales = np.exp(rng.uniform(np.log(1e-8), np.log(1e4), (20000, 3))).astype(np.float32)
    m, s = ctypes.c_int32(), ctypes.c_int32()
    for a, b, c in scales.tolist():
        ok = cquant.tq_conv_multiplier(a, b, c, ctypes.byref(m), ctypes.byref(s))
        want = q.quantize_multiplier(q.conv_multiplier(a, b, c))
        assert ok == 1 and (m.value, s.value) == want, (a, b, c)
    lo, hi = ctypes.c_int32(), ctypes.c_int32()
    for (sc,), zp in zip(scales[:3000, :1].tolist(), rng.integers(-128, 128, 3000).tolist(), strict=True):
        for act in (0, 1, 2):
            cquant.tl_activation_range_int8(act, sc, zp, ctypes.byref(lo), ctypes.byref(hi))
            assert (lo.value, hi.value) == q.activation_range_int8(act, sc, zp), (act, sc, zp)
