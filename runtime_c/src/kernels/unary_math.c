/* unary_math.c: reference kernels of Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Elu (unary_math.h).
 *
 * The int8 tables run once per node at prepare; the rules are TFLite's reference arithmetic for each op, in
 * the same float32 / integer operations in the same order (trainer/runtime_ops/unary_math.py is the mirror).
 */
#include "unary_math.h"

#include <math.h>

#include "quant.h"

void tl_abs_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = fabsf(x[i]);
}
void tl_neg_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = -x[i];
}
void tl_square_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i];
}
void tl_sqrt_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = sqrtf(x[i]);
}
void tl_rsqrt_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = 1.0f / sqrtf(x[i]);
}
void tl_exp_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]);
}
void tl_log_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = logf(x[i]);
}

void tl_elu_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : expm1f(x[i]);
}

void tl_lut_int8(int8_t *y, const int8_t *x, int64_t n, const int8_t *table) {
  for (int64_t i = 0; i < n; i++) y[i] = table[(int32_t)x[i] + 128];
}

static int8_t tl_clamp8(int32_t v) { return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); }

/* an integral float32 (or +-inf; NaN reads as 0) clamped to int8: the float compare comes before the cast,
 * so no out-of-range conversion happens */
static int8_t tl_float_to_int8(float v) {
  if (v != v) return 0;
  if (v <= -128.0f) return -128;
  if (v >= 127.0f) return 127;
  return (int8_t)v;
}

static float tl_dequantize_f32(int32_t q, const tl_unary_quant *p) {
  return p->in_scale * (float)(q - p->in_zp);
}

void tl_abs_table_int8(int8_t *table, const tl_unary_quant *p) {
  for (int32_t q = -128; q <= 127; q++) {
    const int32_t v = q >= p->in_zp ? q - p->in_zp : p->in_zp - q;
    const int32_t r =
        p->in_scale == p->out_scale ? v : tl_multiply_by_quantized_multiplier(v, p->multiplier, p->shift);
    table[q + 128] = tl_clamp8(r + p->out_zp);
  }
}

/* quantize(f(dequantize(q))): the runtime's Dequantize (double scale times q - zp, then float) and Quantize
 * (roundf(x / scale) + zp) */
static void tl_chain_table(int8_t *table, const tl_unary_quant *p, int square) {
  for (int32_t q = -128; q <= 127; q++) {
    const float x = (float)((double)p->in_scale * (double)(q - p->in_zp));
    const float f = square ? x * x : -x;
    table[q + 128] = tl_float_to_int8(roundf(f / p->out_scale) + (float)p->out_zp);
  }
}
void tl_neg_table_int8(int8_t *table, const tl_unary_quant *p) { tl_chain_table(table, p, 0); }
void tl_square_table_int8(int8_t *table, const tl_unary_quant *p) { tl_chain_table(table, p, 1); }

void tl_sqrt_table_int8(int8_t *table, const tl_unary_quant *p) {
  for (int32_t q = -128; q <= 127; q++) {
    float x = tl_dequantize_f32(q, p);
    if (!(x > 0.0f)) x = 0.0f; /* TFLite fails at invoke on a negative input; a kernel cannot fail */
    table[q + 128] = tl_float_to_int8(truncf(sqrtf(x) / p->out_scale) + (float)p->out_zp);
  }
}

/* Algorithm (gemmlowp fixed point, as TFLite): normalize v to [2^27, 2^29) by pairs of bits (the shift counts
 * them), read it as Q3 halved, run 5 Newton-Raphson steps x <- 1.5 x - (v/2) x^3 from x = 1 (Q3; products of
 * Qi and Qj are Q(i + j), brought back to Q3 by saturating left shifts), multiply by sqrt(2)/2 (Q0). */
void tl_inv_sqrt_multiplier(int32_t v, int32_t *multiplier, int32_t *shift) {
  int32_t s = 11, x = 1 << 28, half_input, pairs, bits = 0;
  const int32_t half_three = (1 << 28) + (1 << 27);
  if (v <= 1) {
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  while (v >= (1 << 29)) {
    v /= 4;
    s++;
  }
  while ((v >> bits) != 0) bits++;      /* bit length: CountLeadingZeros(v) is 32 - bits */
  pairs = (32 - bits - 1) / 2 - 1;
  s -= pairs;
  v <<= 2 * pairs;
  half_input = tl_rounding_divide_by_pot(v >> 1, 1);
  for (int i = 0; i < 5; i++) {
    const int32_t x3 = tl_saturating_left_shift(tl_srdhm(tl_srdhm(x, x), x), 6);
    const int64_t d = (int64_t)tl_srdhm(half_three, x) - (int64_t)tl_srdhm(half_input, x3);
    x = tl_saturating_left_shift((int32_t)d, 3);
  }
  x = tl_srdhm(x, 1518500250); /* sqrt(2) / 2 in Q0 */
  if (s < 0) {
    x = (int32_t)((uint32_t)x << -s);
    s = 0;
  }
  *multiplier = x;
  *shift = -s;
}

#define TL_RSQRT_SHIFT 20 /* TFLite's kShift: 2^20 / sqrt(v) stays an integer between the two multiplications */

void tl_rsqrt_table_int8(int8_t *table, const tl_unary_quant *p) {
  for (int32_t q = -128; q <= 127; q++) {
    const int32_t v = q - p->in_zp;
    int32_t m, s, data;
    if (v <= 0) {
      table[q + 128] = 127;
      continue;
    }
    tl_inv_sqrt_multiplier(v, &m, &s);
    data = tl_multiply_by_quantized_multiplier(1, m, s + TL_RSQRT_SHIFT);
    table[q + 128] =
        tl_clamp8(tl_multiply_by_quantized_multiplier(data, p->multiplier, p->shift - TL_RSQRT_SHIFT) + p->out_zp);
  }
}

/* TFLite's LUTPopulate with f(x) = (float)fn((double)x), or `low` where x <= 0 when low_below_zero */
static void tl_lut_populate(int8_t *table, const tl_unary_quant *p, double (*fn)(double), int low_below_zero) {
  const float inverse_scale = 1.0f / p->out_scale;
  const float low = (float)(-128 - p->out_zp) * p->out_scale;
  for (int32_t q = -128; q <= 127; q++) {
    const float x = tl_dequantize_f32(q, p);
    const float t = low_below_zero && !(x > 0.0f) ? low : (float)fn((double)x);
    table[q + 128] = tl_float_to_int8(roundf(t * inverse_scale) + (float)p->out_zp);
  }
}
void tl_exp_table_int8(int8_t *table, const tl_unary_quant *p) { tl_lut_populate(table, p, exp, 0); }
void tl_log_table_int8(int8_t *table, const tl_unary_quant *p) { tl_lut_populate(table, p, log, 1); }

/* x < 0 ? exp(x) - 1 : x in double (exp(x) - 1 loses no float32 bit: |x| >= the input scale) */
static double tl_elu_double(double x) { return x < 0.0 ? exp(x) - 1.0 : x; }
void tl_elu_table_int8(int8_t *table, const tl_unary_quant *p) { tl_lut_populate(table, p, tl_elu_double, 0); }
