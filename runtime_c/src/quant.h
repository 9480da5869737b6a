/* quant.h: fixed-point helpers of the int8 scheme (TFLite / gemmlowp semantics), shared by the int8 kernels
 * and the int8 op glue.
 *
 * What this is: the integer arithmetic every int8 kernel builds on (rounding doubling high multiply,
 * rounding shifts, requantization by a multiplier and shift, fixed-point exp / logistic / tanh / reciprocal)
 * and the prepare-time conversion of a real multiplier into (int32 multiplier, shift). What this is not: any
 * op's rules (kernels/<op>_int8.c, ops/<op>_int8.c).
 *
 * trainer/quantize.py mirrors this file name for name: C `tl_<name>` is Python `<name>`, with identical
 * integer arithmetic (int64 intermediates where this file uses int64), so both produce the same bytes.
 *
 * Fixed-point notation: a "Qi" value is an int32 raw r meaning r / 2^(31 - i) (i integer bits). Every
 * function is total on its documented domain and has no undefined behaviour on any int32 input: shifts of
 * negative values are written as floor divisions, overflow saturates where noted.
 */
#ifndef TL_QUANT_H
#define TL_QUANT_H

#include <stdint.h>

/* round(a * b / 2^31) with ties rounded up (toward +infinity, like ARM's vqrdmulh and gemmlowp);
 * (INT32_MIN, INT32_MIN) saturates to INT32_MAX. The product of two Q0 values is Q0; Qi * Qj is Q(i + j). */
int32_t tl_srdhm(int32_t a, int32_t b);

/* round(x / 2^exponent), ties away from zero, exponent in [0, 62]. */
int32_t tl_rounding_divide_by_pot(int32_t x, int32_t exponent);

/* clamp(x * 2^exponent, INT32_MIN, INT32_MAX), exponent in [0, 31]. */
int32_t tl_saturating_left_shift(int32_t x, int32_t exponent);

/* Requantization: round(x * multiplier * 2^shift / 2^31) computed as TFLite's MultiplyByQuantizedMultiplier:
 * a left shift (saturating; shift > 0) before the doubling high multiply, a rounding right shift after it
 * (shift < 0). shift in [-31, 31]. */
int32_t tl_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift);

/* real = multiplier * 2^shift / 2^31 with multiplier in [2^30, 2^31): frexp, then round half away from zero of
 * the mantissa times 2^31 (a mantissa that rounds up to 2^31 becomes 2^30 with shift + 1). Returns 1, or 0
 * (leaving the outputs untouched) when real is not finite and positive. The shift is not range-checked:
 * callers reject shifts their kernels cannot use. */
int tl_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/* round(x) with ties away from zero (C's round), for prepare-time constants. */
double tl_round_half_away(double x);

/* Quantized range [*lo, *hi] of a fused activation (0 none, 1 relu, 2 relu6) for an int8 output with the given
 * scale and zero point: relu clamps at the zero point, relu6 also at zero_point + round(6 / scale). */
void tl_activation_range_int8(int32_t activation, float scale, int32_t zero_point, int32_t *lo, int32_t *hi);

/* floor(((2^integer_bits - 1) * 2^(31 - integer_bits)) / 2^left_shift), capped at 256: inputs with
 * |x - zp| >= the radius saturate the logistic / tanh / softmax input rescaling. */
int32_t tl_input_radius(int32_t integer_bits, int32_t left_shift);

/* (a + b) / 2 rounded half away from zero, without overflow. */
int32_t tl_rounding_half_sum(int32_t a, int32_t b);

/* exp(a) for a Q0 value a in [-1/4, 0); Q0 result. */
int32_t tl_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a);

/* exp(a) for a Q(integer_bits) value a <= 0 (integer_bits in [0, 6]); Q0 result (exp(0) is INT32_MAX). */
int32_t tl_exp_on_negative_values(int32_t a, int32_t integer_bits);

/* 1 / (1 + a) and (1 - a) / (1 + a) for a Q0 value a in [0, 1); Q0 results (Newton-Raphson, 3 steps). */
int32_t tl_one_over_one_plus_x_for_x_in_0_1(int32_t a);
int32_t tl_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a);

/* logistic(a) and tanh(a) of a Q(integer_bits) value (integer_bits in [0, 5]; INT32_MIN is read as -INT32_MAX); Q0 results. */
int32_t tl_logistic(int32_t a, int32_t integer_bits);
int32_t tl_tanh(int32_t a, int32_t integer_bits);

/* 1 / x for a positive Q(integer_bits) value x, as a Q0 mantissa in [1/2, 1] and *num_bits_over_unit such
 * that 1/x = mantissa / 2^num_bits_over_unit (TFLite's GetReciprocal). */
int32_t tl_get_reciprocal(int32_t x, int32_t integer_bits, int32_t *num_bits_over_unit);

/* The float32 value of an IEEE float16 bit pattern (exact: every float16 is a float32; subnormals, infinities
 * and NaNs included). For float16 weights, expanded at prepare. */
float tl_half_to_float(uint16_t h);

#endif /* TL_QUANT_H */
