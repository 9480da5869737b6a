/* maximum.h: reference kernels of Maximum (float32 and int8), broadcasting like Add/Sub/Mul.
 *
 * What this is: the specification the op glue (ops/maximum.c) calls. What this is not: broadcasting rules
 * (prepare right-aligns both shapes to rank 4 and turns every broadcast dim into a stride of 0, as for Add).
 */
#ifndef TL_KERNELS_MAXIMUM_H
#define TL_KERNELS_MAXIMUM_H

#include "kernels.h"
#include "kernels_int8.h"

/* y = max(a, b) elementwise; a NaN in either input gives NaN (numpy's and TensorFlow's maximum). */
void tl_maximum_f32(float *y, const float *a, const float *b, const tl_binary_params *p);

/* int8: each input is requantized to the output's parameters (a.q, b.q: tl_requantize_int8_params with the
 * clamp -128..127; requant 0 when an input's parameters equal the output's), then y = max(a', b'). With
 * equal parameters everywhere this is the max of the raw values (TFLite's MAXIMUM). */
typedef struct tl_maximum_int8_params {
  tl_binary_params geom;
  tl_requantize_int8_params a, b;
} tl_maximum_int8_params;
void tl_maximum_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_maximum_int8_params *p);

#endif /* TL_KERNELS_MAXIMUM_H */
