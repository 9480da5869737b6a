/* test_quant.c: unit tests of the int8 fixed-point helpers (src/quant.c) and of small int8 kernels.
 *
 * What this is: inline expected values, computed by hand (rounding rules, saturation, multipliers) or, for
 * the fixed-point transcendental functions, printed by trainer/quantize.py (the numpy mirror) and checked
 * here against the real value too (relative error below 1e-6). The Python test tests/quant/test_quant_reference.py
 * compares both implementations on many more inputs.
 * What this is not: a test of prepare (tests/quant/test_int8_ops.py runs every int8 op through the interpreter).
 */
#include <math.h>
#include <stdint.h>

#include "kernels/kernels_int8.h"
#include "quant.h"
#include "tl_test.h"

TL_TEST(test_srdhm) {
  TL_EXPECT_EQ(tl_srdhm(INT32_MIN, INT32_MIN), INT32_MAX); /* the one overflow saturates */
  TL_EXPECT_EQ(tl_srdhm(1 << 30, 1 << 30), 1 << 29);      /* 0.5 * 0.5 = 0.25 in Q0 */
  TL_EXPECT_EQ(tl_srdhm(3, 1 << 30), 2);                  /* 1.5 -> 2 */
  TL_EXPECT_EQ(tl_srdhm(-3, 1 << 30), -1);                /* -1.5 -> -1: ties round up, as vqrdmulh */
  TL_EXPECT_EQ(tl_srdhm(5, 1 << 30), 3);                  /* 2.5 -> 3 */
  TL_EXPECT_EQ(tl_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
  TL_EXPECT_EQ(tl_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX);
  TL_EXPECT_EQ(tl_srdhm(0, INT32_MIN), 0);
}

TL_TEST(test_rounding_divide_by_pot) {
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(5, 1), 3);   /* 2.5 -> 3 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(-5, 1), -3); /* -2.5 -> -3: ties away from zero */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(-4, 1), -2);
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(7, 2), 2);   /* 1.75 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(-6, 2), -2); /* -1.5 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(-5, 2), -1); /* -1.25 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(123, 0), 123);
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(INT32_MIN, 31), -1);
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(INT32_MAX, 31), 1);
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(1 << 30, 31), 1);     /* 0.5 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(-(1 << 30), 31), -1); /* -0.5 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot((1 << 30) - 1, 31), 0);
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(INT32_MIN, 34), 0);   /* -0.25 */
  TL_EXPECT_EQ(tl_rounding_divide_by_pot(INT32_MIN, 32), -1);  /* -0.5 */
}

TL_TEST(test_saturating_left_shift) {
  TL_EXPECT_EQ(tl_saturating_left_shift(1 << 30, 1), INT32_MAX);
  TL_EXPECT_EQ(tl_saturating_left_shift(-(1 << 30), 1), INT32_MIN);
  TL_EXPECT_EQ(tl_saturating_left_shift(-(1 << 30) - 1, 1), INT32_MIN);
  TL_EXPECT_EQ(tl_saturating_left_shift(-3, 4), -48);
  TL_EXPECT_EQ(tl_saturating_left_shift(1, 31), INT32_MAX);
  TL_EXPECT_EQ(tl_saturating_left_shift(-1, 31), INT32_MIN);
}

TL_TEST(test_quantize_multiplier) {
  int32_t m = 7, s = 7;
  TL_EXPECT_TRUE(tl_quantize_multiplier(0.25, &m, &s));
  TL_EXPECT_EQ(m, 1 << 30);
  TL_EXPECT_EQ(s, -1);
  TL_EXPECT_TRUE(tl_quantize_multiplier(1.0, &m, &s));
  TL_EXPECT_EQ(m, 1 << 30);
  TL_EXPECT_EQ(s, 1);
  TL_EXPECT_TRUE(tl_quantize_multiplier(0.75, &m, &s));
  TL_EXPECT_EQ(m, 1610612736); /* 0.75 * 2^31 */
  TL_EXPECT_EQ(s, 0);
  TL_EXPECT_TRUE(tl_quantize_multiplier(1.0 - ldexp(1.0, -40), &m, &s)); /* mantissa rounds up to 2^31 */
  TL_EXPECT_EQ(m, 1 << 30);
  TL_EXPECT_EQ(s, 1);
  TL_EXPECT_TRUE(tl_quantize_multiplier(0.1, &m, &s));
  TL_EXPECT_EQ(m, 1717986918); /* round(0.8 * 2^31) */
  TL_EXPECT_EQ(s, -3);
  TL_EXPECT_TRUE(tl_quantize_multiplier(1e-10, &m, &s));
  TL_EXPECT_EQ(m, 1844674407);
  TL_EXPECT_EQ(s, -33);
  m = 7;
  s = 7;
  TL_EXPECT_TRUE(!tl_quantize_multiplier(0.0, &m, &s));
  TL_EXPECT_TRUE(!tl_quantize_multiplier(-0.5, &m, &s));
  TL_EXPECT_TRUE(!tl_quantize_multiplier(NAN, &m, &s));
  TL_EXPECT_TRUE(!tl_quantize_multiplier(INFINITY, &m, &s));
  TL_EXPECT_EQ(m, 7); /* untouched on failure */
  TL_EXPECT_EQ(s, 7);
}

TL_TEST(test_multiply_by_quantized_multiplier) {
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(100, 1 << 30, -1), 25);
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(1000, 1610612736, 0), 750);
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(-5, 1 << 30, 0), -2); /* -2.5: the high multiply ties up */
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(-5, 1 << 30, -1), -1); /* -2.5 -> -2, then -1 */
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(7, 1 << 30, 2), 14);
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(INT32_MAX, 1 << 30, 31), 1 << 30); /* saturates first */
  TL_EXPECT_EQ(tl_multiply_by_quantized_multiplier(-255, 1 << 30, -31), 0);
}

TL_TEST(test_activation_range) {
  int32_t lo, hi;
  tl_activation_range_int8(0, 0.1f, 5, &lo, &hi);
  TL_EXPECT_EQ(lo, -128);
  TL_EXPECT_EQ(hi, 127);
  tl_activation_range_int8(1, 0.1f, 10, &lo, &hi);
  TL_EXPECT_EQ(lo, 10);
  TL_EXPECT_EQ(hi, 127);
  tl_activation_range_int8(2, 0.1f, -128, &lo, &hi);
  TL_EXPECT_EQ(lo, -128);
  TL_EXPECT_EQ(hi, -68); /* -128 + 6 / 0.1 */
  tl_activation_range_int8(2, 0.048f, -3, &lo, &hi);
  TL_EXPECT_EQ(hi, 122); /* 6 / 0.048f = 124.9999989 -> 125 */
  tl_activation_range_int8(2, 1e-30f, 0, &lo, &hi);
  TL_EXPECT_EQ(lo, 0);
  TL_EXPECT_EQ(hi, 127);
}

TL_TEST(test_input_radius) {
  TL_EXPECT_EQ(tl_input_radius(4, 0), 256);  /* 15 * 2^27, capped */
  TL_EXPECT_EQ(tl_input_radius(4, 27), 15);
  TL_EXPECT_EQ(tl_input_radius(4, 26), 30);
  TL_EXPECT_EQ(tl_input_radius(5, 28), 7);   /* 31 / 4 = 7.75 */
  TL_EXPECT_EQ(tl_input_radius(4, 40), 0);
  TL_EXPECT_EQ(tl_input_radius(4, -60), 256);
}

/* |got / 2^31 - want| relative to want, for Q0 results */
static double rel_q0(int32_t got, double want) { return fabs((double)got / 2147483648.0 - want) / fabs(want); }

TL_TEST(test_fixed_point_functions) {
  /* values printed by trainer/quantize.py; the real values beside them */
  TL_EXPECT_EQ(tl_exp_on_negative_values(0, 5), INT32_MAX);
  TL_EXPECT_EQ(tl_exp_on_negative_values(-(1 << 26), 5), 790015308); /* exp(-1) */
  TL_EXPECT_TRUE(rel_q0(790015308, exp(-1.0)) < 1e-6);
  TL_EXPECT_EQ(tl_exp_on_negative_values(-3 * (1 << 27), 4), 106916946); /* exp(-3) */
  TL_EXPECT_TRUE(rel_q0(106916946, exp(-3.0)) < 1e-6);
  TL_EXPECT_EQ(tl_exp_on_interval_between_negative_one_quarter_and_0_excl(-(1 << 29)), 1672462419);
  TL_EXPECT_TRUE(rel_q0(1672462419, exp(-0.25)) < 1e-6);
  TL_EXPECT_EQ(tl_one_over_one_plus_x_for_x_in_0_1(1 << 30), 1431655762); /* 1 / 1.5 */
  TL_EXPECT_EQ(tl_one_minus_x_over_one_plus_x_for_x_in_0_1(1 << 30), 715827876); /* 0.5 / 1.5 */
  TL_EXPECT_EQ(tl_logistic(0, 4), 1 << 30);
  TL_EXPECT_EQ(tl_logistic(1 << 27, 4), 1569936226); /* logistic(1) */
  TL_EXPECT_TRUE(rel_q0(1569936226, 1.0 / (1.0 + exp(-1.0))) < 1e-6);
  TL_EXPECT_EQ(tl_logistic(-(1 << 27), 4), 577547421);
  TL_EXPECT_EQ(tl_tanh(0, 4), 0);
  TL_EXPECT_EQ(tl_tanh(1 << 27, 4), 1635510876); /* tanh(1) */
  TL_EXPECT_TRUE(rel_q0(1635510876, tanh(1.0)) < 1e-6);
  TL_EXPECT_EQ(tl_tanh(-(1 << 26), 4), -992388804); /* tanh(-0.5) */
  TL_EXPECT_TRUE(tl_logistic(INT32_MIN, 4) >= 0); /* read as -INT32_MAX: no overflow */
  {
    int32_t bits = 0;
    TL_EXPECT_EQ(tl_get_reciprocal(3 << 19, 12, &bits), 1431655762); /* 1/3 = 0.6667 / 2 */
    TL_EXPECT_EQ(bits, 1);
  }
}

TL_TEST(test_fc_int8_small) {
  /* x = [[-128, 127]] (zp -128 -> centered [0, 255]), w = [[1, 2], [-3, 4]], bias = [10, -20]
   * acc = [0*1 + 255*2 + 10, 0*-3 + 255*4 - 20] = [520, 1000]; multiplier 0.25 -> [130, 250];
   * + output zp -100 -> [30, 150] -> clamp 127 */
  const int8_t x[2] = {-128, 127}, w[4] = {1, 2, -3, 4};
  const int32_t bias[2] = {10, -20};
  int8_t y[2];
  tl_fc_int8_params p = {1, 2, 2, -128, {1, 1 << 30, -1, 0, 0, -100, -128, 127, 0}};
  tl_fc_int8(y, x, w, bias, &p);
  TL_EXPECT_EQ(y[0], 30);
  TL_EXPECT_EQ(y[1], 127);
  { /* one rounding vs two: acc +-1 times 0.375 (m 0.75, shift -1) is +-0.375 -> 0, where srdhm's +-0.75 -> +-1
     * then halves to +-0.5 -> +-1; acc +-2 times 0.25 is a tie: away from zero in both */
    const int8_t x1[1] = {1}, w2[4] = {1, -1, 2, -2};
    int8_t y4[4];
    tl_fc_int8_params q = {1, 1, 4, 0, {1, 3 << 29, -1, 0, 0, 0, -128, 127, 1}};
    tl_fc_int8(y4, x1, w2, NULL, &q);
    TL_EXPECT_EQ(y4[0], 0);
    TL_EXPECT_EQ(y4[1], 0);
    q.out.single_rounding = 0;
    tl_fc_int8(y4, x1, w2, NULL, &q);
    TL_EXPECT_EQ(y4[0], 1);
    TL_EXPECT_EQ(y4[1], -1);
    q.out.multiplier = 1 << 30, q.out.single_rounding = 1;
    tl_fc_int8(y4, x1, w2, NULL, &q);
    TL_EXPECT_EQ(y4[2], 1);
    TL_EXPECT_EQ(y4[3], -1);
  }
  p.out.act_max = 50; /* a fused clamp */
  tl_fc_int8(y, x, w, bias, &p);
  TL_EXPECT_EQ(y[1], 50);
}

TL_TEST(test_average_pool_int8_rounding) {
  /* one 2x2 window of centered values {1, 2, 2, 2} (zp 0): 7 / 4 = 1.75 -> 2; {-1, -2, -2, -2}: -1.75 -> -2;
   * {1, 1, 0, 0}: 0.5 -> 1; {-1, -1, 0, 0}: -0.5 -> -1 (ties away from zero) */
  const int8_t xs[4][4] = {{1, 2, 2, 2}, {-1, -2, -2, -2}, {1, 1, 0, 0}, {-1, -1, 0, 0}};
  const int8_t want[4] = {2, -2, 1, -1};
  int k;
  tl_pool_int8_params p;
  p.geom.batch = 1;
  p.geom.in_h = 2;
  p.geom.in_w = 2;
  p.geom.channels = 1;
  p.geom.out_h = 1;
  p.geom.out_w = 1;
  p.geom.filter_h = 2;
  p.geom.filter_w = 2;
  p.geom.stride_h = 1;
  p.geom.stride_w = 1;
  p.geom.pad_top = 0;
  p.geom.pad_left = 0;
  p.q.requant = 0;
  p.q.input_zp = 0;
  p.q.output_zp = 0;
  p.q.act_min = -128;
  p.q.act_max = 127;
  for (k = 0; k < 4; k++) {
    int8_t y = 0;
    tl_average_pool2d_int8(&y, xs[k], &p);
    TL_EXPECT_EQ(y, want[k]);
  }
}

TL_TEST(test_dot_int8_both_paths) {
  /* (127 - -128) * -128 = -32640 per term: 65535 terms still fit int32 (the int32 loop), 70000 do not */
  static int8_t x[70000], w[70000];
  int i;
  for (i = 0; i < 70000; i++) {
    x[i] = 127;
    w[i] = -128;
  }
  TL_EXPECT_EQ(tl_dot_int8(x, w, 65535, -128), -2139062400LL);
  TL_EXPECT_EQ(tl_dot_int8(x, w, 70000, -128), -2284800000LL);
  TL_EXPECT_EQ(tl_dot_int8(x, w, 0, 5), 0);
  x[3] = -128;
  w[3] = 7;
  TL_EXPECT_EQ(tl_dot_int8(x, w, 4, 0), 3 * 127 * -128 + -128 * 7);
}

TL_TEST(test_half_to_float) {
  TL_EXPECT_TRUE(tl_half_to_float(0x3c00) == 1.0f);
  TL_EXPECT_TRUE(tl_half_to_float(0xc000) == -2.0f);
  TL_EXPECT_TRUE(tl_half_to_float(0x3555) == 0.333251953125f);
  TL_EXPECT_TRUE(tl_half_to_float(0x7bff) == 65504.0f);             /* largest finite */
  TL_EXPECT_TRUE(tl_half_to_float(0x0400) == ldexpf(1.0f, -14));    /* smallest normal */
  TL_EXPECT_TRUE(tl_half_to_float(0x0001) == ldexpf(1.0f, -24));    /* smallest subnormal */
  TL_EXPECT_TRUE(tl_half_to_float(0x03ff) == ldexpf(1023.0f, -24)); /* largest subnormal */
  TL_EXPECT_TRUE(tl_half_to_float(0x8001) == -ldexpf(1.0f, -24));
  TL_EXPECT_TRUE(tl_half_to_float(0x0000) == 0.0f && !signbit(tl_half_to_float(0x0000)));
  TL_EXPECT_TRUE(tl_half_to_float(0x8000) == 0.0f && signbit(tl_half_to_float(0x8000)));
  TL_EXPECT_TRUE(isinf(tl_half_to_float(0x7c00)) && tl_half_to_float(0x7c00) > 0);
  TL_EXPECT_TRUE(isinf(tl_half_to_float(0xfc00)) && tl_half_to_float(0xfc00) < 0);
  TL_EXPECT_TRUE(isnan(tl_half_to_float(0x7e00)));
}

int main(void) {
  TL_RUN(test_srdhm);
  TL_RUN(test_rounding_divide_by_pot);
  TL_RUN(test_saturating_left_shift);
  TL_RUN(test_quantize_multiplier);
  TL_RUN(test_multiply_by_quantized_multiplier);
  TL_RUN(test_activation_range);
  TL_RUN(test_input_radius);
  TL_RUN(test_fixed_point_functions);
  TL_RUN(test_fc_int8_small);
  TL_RUN(test_average_pool_int8_rounding);
  TL_RUN(test_dot_int8_both_paths);
  TL_RUN(test_half_to_float);
  return tl_test_summary();
}
