/* quant.c: fixed-point helpers of the int8 scheme (see quant.h for the contract of each function).
 *
 * What this is: gemmlowp's fixed-point primitives and TFLite's requantization, written without undefined
 * behaviour: products and shifts are done in int64, right shifts of negative values are floor divisions
 * written with non-negative operands, and every narrowing to int32 is of a value proven to fit or clamped.
 * What this is not: kernels (kernels/<op>_int8.c). trainer/quantize.py mirrors every function here.
 */
#include "quant.h"
#include "quant_inline.h"

#include <math.h>
#include <string.h>

static int32_t tl_clamp_i32(int64_t x) {
  return x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : (int32_t)x);
}

int32_t tl_srdhm(int32_t a, int32_t b) { return tl_srdhm_inline(a, b); }

int32_t tl_rounding_divide_by_pot(int32_t x, int32_t exponent) { return tl_rounding_divide_by_pot_inline(x, exponent); }

int32_t tl_saturating_left_shift(int32_t x, int32_t exponent) {
  if (exponent <= 0) return x;
  if (exponent > 31) exponent = 31;
  return tl_clamp_i32((int64_t)x * ((int64_t)1 << exponent));
}

int32_t tl_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  int32_t left = shift > 0 ? shift : 0;
  int32_t right = shift > 0 ? 0 : -shift;
  return tl_rounding_divide_by_pot(tl_srdhm(tl_saturating_left_shift(x, left), multiplier), right);
}

double tl_round_half_away(double x) { return round(x); }

int tl_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift) {
  int e = 0;
  double q, q_fixed;
  if (!(real > 0.0) || !isfinite(real)) return 0;
  q = frexp(real, &e);                           /* real = q * 2^e, q in [0.5, 1) */
  q_fixed = tl_round_half_away(q * 2147483648.0); /* exact scaling, then round: in [2^30, 2^31] */
  if (q_fixed >= 2147483648.0) {
    q_fixed = 1073741824.0;
    e += 1;
  }
  *multiplier = (int32_t)q_fixed;
  *shift = (int32_t)e;
  return 1;
}

void tl_activation_range_int8(int32_t activation, float scale, int32_t zero_point, int32_t *lo, int32_t *hi) {
  *lo = -128;
  *hi = 127;
  if (activation == 1 || activation == 2) {
    if (zero_point > *lo) *lo = zero_point;
  }
  if (activation == 2) {
    double top = (double)zero_point + tl_round_half_away(6.0 / (double)scale);
    if (top < (double)*hi) *hi = (int32_t)top; /* scale > 0, so top >= zero_point >= -128 */
  }
}

int32_t tl_input_radius(int32_t integer_bits, int32_t left_shift) {
  /* (2^ib - 1) * 2^(31 - ib - left_shift), exact in double for any shift */
  double r = ldexp((double)((1 << integer_bits) - 1), 31 - integer_bits - left_shift);
  if (r >= 256.0) return 256;
  return (int32_t)floor(r);
}

int32_t tl_rounding_half_sum(int32_t a, int32_t b) {
  int64_t sum = (int64_t)a + (int64_t)b;
  int64_t sign = sum >= 0 ? 1 : -1;
  int64_t s = sum + sign;
  return (int32_t)(s >= 0 ? s / 2 : -((-s) / 2));
}

/* Algorithm: Taylor expansion of exp around -1/8 up to x^4, with x = a + 1/8 in [-1/8, 1/8):
 *   exp(a) = exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24), all in Q0. */
int32_t tl_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;   /* exp(-1/8) in Q0 */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 in Q0 */
  int32_t x = a + (1 << 28);
  int32_t x2 = tl_srdhm(x, x);
  int32_t x3 = tl_srdhm(x2, x);
  int32_t x4 = tl_srdhm(x2, x2);
  int32_t x4_over_4 = tl_rounding_divide_by_pot(x4, 2);
  int32_t poly = tl_rounding_divide_by_pot(tl_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
  return constant_term + tl_srdhm(constant_term, x + poly);
}

/* Algorithm: write a = -(k/4 + r) with r in (0, 1/4]: exp(a) = exp(-r) * prod over the set bits of k of
 * exp(-2^j / 4). exp on (-1/4, 0] comes from the Taylor expansion above; the per-bit factors are constants. */
int32_t tl_exp_on_negative_values(int32_t a, int32_t integer_bits) {
  static const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  int32_t result = tl_exp_on_interval_between_negative_one_quarter_and_0_excl(
      tl_saturating_left_shift(a_mod_quarter_minus_one_quarter, integer_bits));
  int64_t remainder = (int64_t)a_mod_quarter_minus_one_quarter - (int64_t)a; /* >= 0 */
  int32_t exponent;
  for (exponent = -2; exponent <= 4; exponent++) {
    if (integer_bits > exponent) {
      int32_t bit = fractional_bits + exponent;
      if ((remainder >> bit) & 1) result = tl_srdhm(result, factors[exponent + 2]);
    }
  }
  if (integer_bits > 5) {
    int64_t clamp = -((int64_t)1 << (36 - integer_bits)); /* -32 in Q(integer_bits) */
    if ((int64_t)a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX;
  return result;
}

/* Algorithm: Newton-Raphson for 1/d with d = (1 + a) / 2 in [1/2, 1): x0 = 48/17 - 32/17 d,
 * x <- x + x (1 - d x), three steps, in Q2; then 1/(1 + a) = x / 2. */
static int32_t tl_newton_reciprocal_q2(int32_t half_denominator) {
  const int32_t constant_48_over_17 = 1515870810;      /* Q2 */
  const int32_t constant_neg_32_over_17 = -1010580540; /* Q2 */
  const int32_t one_q2 = 1 << 29;
  int32_t x = constant_48_over_17 + tl_srdhm(half_denominator, constant_neg_32_over_17);
  int i;
  for (i = 0; i < 3; i++) {
    int32_t half_denominator_times_x = tl_srdhm(half_denominator, x);
    int32_t one_minus = one_q2 - half_denominator_times_x;
    x = x + tl_saturating_left_shift(tl_srdhm(x, one_minus), 2);
  }
  return x;
}

int32_t tl_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  int32_t x = tl_newton_reciprocal_q2(tl_rounding_half_sum(a, INT32_MAX));
  return tl_saturating_left_shift(x, 1); /* x / 2 in Q1 read as Q0 */
}

int32_t tl_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  int32_t x = tl_newton_reciprocal_q2(tl_rounding_half_sum(a, INT32_MAX));
  return tl_saturating_left_shift(x - (1 << 29), 2); /* 2/(1 + a) - 1 in Q2, to Q0 */
}

int32_t tl_logistic(int32_t a, int32_t integer_bits) {
  int32_t abs_a, positive;
  if (a == 0) return 1 << 30;
  if (a < -INT32_MAX) a = -INT32_MAX;
  abs_a = a > 0 ? a : -a;
  positive = tl_one_over_one_plus_x_for_x_in_0_1(tl_exp_on_negative_values(-abs_a, integer_bits));
  return a > 0 ? positive : INT32_MAX - positive;
}

int32_t tl_tanh(int32_t a, int32_t integer_bits) {
  int32_t n, t;
  if (a == 0) return 0;
  n = a < 0 ? a : -a;
  /* exp(2n): the same raw value read with one more integer bit is twice the value */
  t = tl_one_minus_x_over_one_plus_x_for_x_in_0_1(tl_exp_on_negative_values(n, integer_bits + 1));
  return a < 0 ? -t : t;
}

int32_t tl_get_reciprocal(int32_t x, int32_t integer_bits, int32_t *num_bits_over_unit) {
  int32_t headroom_plus_one = 0;
  int64_t shifted_minus_one;
  while (headroom_plus_one < 31 && (((uint32_t)x << headroom_plus_one) & 0x80000000u) == 0) headroom_plus_one++;
  *num_bits_over_unit = integer_bits - headroom_plus_one;
  shifted_minus_one = (int64_t)x * ((int64_t)1 << headroom_plus_one) - ((int64_t)1 << 31); /* [0, 2^31) for x > 0 */
  return tl_one_over_one_plus_x_for_x_in_0_1((int32_t)shifted_minus_one);
}

float tl_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu, bits;
  float f;
  if (exponent == 0 && mantissa == 0) {
    bits = sign;
  } else if (exponent == 0) { /* subnormal: mantissa * 2^-24; normalize into 1.m * 2^(-14 - shifts) */
    uint32_t shifts = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      shifts++;
    }
    bits = sign | ((127u - 14u - shifts) << 23) | ((mantissa & 0x3ffu) << 13);
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  memcpy(&f, &bits, sizeof f);
  return f;
}
