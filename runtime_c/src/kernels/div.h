/* div.h: reference kernels of Div (float32 and int8), broadcasting like Add.
 *
 * What this is: the specification the op glue (ops/div.c) calls. What this is not: broadcasting rules
 * (prepare right-aligns both shapes to rank 4 and turns every broadcast dim into a stride of 0).
 */
#ifndef TL_KERNELS_DIV_H
#define TL_KERNELS_DIV_H

#include "kernels.h"
#include "kernels_int8.h"

/* y = a / b elementwise, IEEE float32 (x / 0 is +-inf, 0 / 0 NaN). */
void tl_div_f32(float *y, const float *a, const float *b, const tl_binary_params *p);

/* int8 (TFLite's reference DIV): x1 = a - a_zp, x2 = b - b_zp, signs moved to x1 so x2 > 0; the reciprocal of
 * x2 in Q0 (tl_get_reciprocal, integer bits 31, shift r); h = the redundant sign bits of x1;
 * q = srdhm(x1 * 2^h, reciprocal); y = clamp(rounding_divide_by_pot(srdhm(q, multiplier), -(shift - r - h))
 * + out_zp). x2 == 0: 127, -128 or out_zp by the sign of x1 (TFLite leaves it undefined). */
typedef struct tl_div_int8_params {
  tl_binary_params geom;
  int32_t a_zp, b_zp, out_zp;
  int32_t multiplier, shift; /* s_a / (s_b s_out) */
} tl_div_int8_params;
void tl_div_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_div_int8_params *p);

#endif /* TL_KERNELS_DIV_H */
