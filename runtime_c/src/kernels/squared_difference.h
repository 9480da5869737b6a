/* squared_difference.h: reference kernels of SquaredDifference (float32 and int8), broadcasting like Add.
 *
 * What this is: the specification the op glue (ops/squared_difference.c) calls. What this is not: broadcasting
 * rules (prepare right-aligns both shapes to rank 4 and turns every broadcast dim into a stride of 0).
 */
#ifndef TL_KERNELS_SQUARED_DIFFERENCE_H
#define TL_KERNELS_SQUARED_DIFFERENCE_H

#include "kernels.h"
#include "kernels_int8.h"

/* y = (a - b) * (a - b) elementwise, in float32 (TFLite's order). */
void tl_squared_difference_f32(float *y, const float *a, const float *b, const tl_binary_params *p);

/* int8 (TFLite's SQUARED_DIFFERENCE): a' = mbqm((a - a_zp) << 7, a_multiplier, a_shift), b' likewise (both
 * multipliers s / (2 max(s_a, s_b)) < 1, so |a' - b'| < 2^15 and its square fits int32);
 * y = clamp(mbqm((a' - b')^2, out_multiplier, out_shift) + out_zp, -128, 127) with the multiplier
 * (2 max)^2 / (2^14 s_out) < 1. All shifts are <= 0 (checked at prepare). */
typedef struct tl_squared_difference_int8_params {
  tl_binary_params geom;
  int32_t a_zp, b_zp, out_zp;
  int32_t a_multiplier, a_shift, b_multiplier, b_shift, out_multiplier, out_shift;
} tl_squared_difference_int8_params;
void tl_squared_difference_int8(int8_t *y, const int8_t *a, const int8_t *b,
                                const tl_squared_difference_int8_params *p);

#endif /* TL_KERNELS_SQUARED_DIFFERENCE_H */
