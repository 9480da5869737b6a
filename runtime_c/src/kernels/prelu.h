/* prelu.h: reference kernels of PRelu (float32 and int8), broadcasting like Add/Sub/Mul.
 *
 * What this is: the specification the op glue (ops/prelu.c) calls; trainer/runtime_ops/prelu.py mirrors the
 * int8 kernel byte for byte. What this is not: broadcasting rules (prepare right-aligns both shapes to rank 4
 * and turns every broadcast dim into a stride of 0, as for Add).
 */
#ifndef TL_KERNELS_PRELU_H
#define TL_KERNELS_PRELU_H

#include "kernels.h"

/* y = x >= 0 ? x : alpha x (a = x, b = alpha in p's strides; NaN gives NaN) */
void tl_prelu_f32(float *y, const float *x, const float *alpha, const tl_binary_params *p);

/* int8 (TFLite's PRELU): v = x - x_zp; y = clamp(out_zp + (v >= 0 ? mbqm(v, identity) : mbqm(v (alpha -
 * alpha_zp), alpha))); identity = s_x / s_out, alpha = s_x s_alpha / s_out (float32 products). */
typedef struct tl_prelu_int8_params {
  tl_binary_params geom;
  int32_t x_zp, alpha_zp, out_zp;
  int32_t identity_multiplier, identity_shift;
  int32_t alpha_multiplier, alpha_shift;
} tl_prelu_int8_params;
void tl_prelu_int8(int8_t *y, const int8_t *x, const int8_t *alpha, const tl_prelu_int8_params *p);

#endif /* TL_KERNELS_PRELU_H */
