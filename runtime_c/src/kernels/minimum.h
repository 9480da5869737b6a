/* minimum.h: reference kernels of Minimum (float32 and int8), broadcasting like Add/Sub/Mul.
 *
 * What this is: the specification the op glue (ops/minimum.c) calls. What this is not: broadcasting rules
 * (prepare right-aligns both shapes to rank 4 and turns every broadcast dim into a stride of 0, as for Add).
 */
#ifndef TL_KERNELS_MINIMUM_H
#define TL_KERNELS_MINIMUM_H

#include "kernels.h"
#include "kernels_int8.h"

/* y = min(a, b) elementwise; a NaN in either input gives NaN (numpy's and TensorFlow's minimum). */
void tl_minimum_f32(float *y, const float *a, const float *b, const tl_binary_params *p);

/* int8: each input is requantized to the output's parameters (a.q, b.q: tl_requantize_int8_params with the
 * clamp -128..127; requant 0 when an input's parameters equal the output's), then y = min(a', b'). With
 * equal parameters everywhere this is the min of the raw values (TFLite's MINIMUM). */
typedef struct tl_minimum_int8_params {
  tl_binary_params geom;
  tl_requantize_int8_params a, b;
} tl_minimum_int8_params;
void tl_minimum_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_minimum_int8_params *p);

#endif /* TL_KERNELS_MINIMUM_H */
