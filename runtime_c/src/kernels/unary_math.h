/* unary_math.h: reference kernels of Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Elu (float32 and int8).
 *
 * What this is: per op, the float32 kernel (y[i] = f(x[i]), libm's float functions) and the builder of its
 * int8 table: an int8 input has 256 values, so every int8 kernel is the lookup y[i] = table[x[i] + 128]
 * (tl_lut_int8) of a table built at prepare from the input and output parameters with TFLite's arithmetic
 * for the op (see each builder), which trainer/runtime_ops/unary_math.py mirrors byte for byte.
 * What this is not: shape or parameter checks (ops/unary_math.c: the multipliers' shifts are checked there).
 */
#ifndef TL_KERNELS_UNARY_MATH_H
#define TL_KERNELS_UNARY_MATH_H

#include <stdint.h>

/* ---- float32: y[n] = f(x[n]); NaN in gives NaN out; sqrt/rsqrt/log of a negative give NaN, log(0) -inf ---- */
void tl_abs_f32(float *y, const float *x, int64_t n);
void tl_neg_f32(float *y, const float *x, int64_t n);
void tl_square_f32(float *y, const float *x, int64_t n);
void tl_sqrt_f32(float *y, const float *x, int64_t n);
void tl_rsqrt_f32(float *y, const float *x, int64_t n);
void tl_exp_f32(float *y, const float *x, int64_t n);
void tl_log_f32(float *y, const float *x, int64_t n);
void tl_elu_f32(float *y, const float *x, int64_t n); /* x > 0 ? x : expm1f(x) */

/* ---- int8: the table and its lookup ---- */
typedef struct tl_unary_quant {
  float in_scale, out_scale;
  int32_t in_zp, out_zp;
  int32_t multiplier, shift; /* Abs (when the scales differ): s_in / s_out; Rsqrt: 1 / (sqrtf(s_in) s_out) */
} tl_unary_quant;

/* y[n] = table[x[n] + 128] */
void tl_lut_int8(int8_t *y, const int8_t *x, int64_t n, const int8_t *table /* [256] */);

/* Each fills table[256] (table[q + 128] for q in -128..127):
 * Abs: clamp(|q - zp_in| + zp_out) with equal scales, else clamp(mbqm(|q - zp_in|, multiplier, shift) + zp_out);
 * Neg, Square: quantize(f(dequantize(q))) in float32 (TFLite's DEQUANTIZE, NEG / SQUARE, QUANTIZE chain);
 * Sqrt: clamp(trunc(sqrtf(max(s_in (q - zp_in), 0)) / s_out) + zp_out) (TFLite truncates);
 * Rsqrt: v = q - zp_in; v <= 0 gives 127, else TFLite's fixed-point 2^20 / sqrt(v) rescaled by (multiplier,
 *   shift - 20) (shift in [-11, 31], checked at prepare);
 * Exp, Log: TFLite's LUTPopulate (dequantize in float32, f computed in double and rounded to float, times
 *   1.0f / s_out, roundf, + zp_out, clamped); Log of x <= 0 gives the output's lowest value;
 * Elu: the same LUTPopulate of x < 0 ? expm1(x) : x (expm1 as exp(x) - 1 in double). */
void tl_abs_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_neg_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_square_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_sqrt_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_rsqrt_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_exp_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_log_table_int8(int8_t *table, const tl_unary_quant *q);
void tl_elu_table_int8(int8_t *table, const tl_unary_quant *q);

/* TFLite's GetInvSqrtQuantizedMultiplierExp(v, -1) for v >= 0: 1/sqrt(v) = multiplier * 2^shift / 2^31. */
void tl_inv_sqrt_multiplier(int32_t v, int32_t *multiplier, int32_t *shift);

#endif /* TL_KERNELS_UNARY_MATH_H */
