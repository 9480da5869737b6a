/* l2_normalization.h: reference kernels of L2Normalization (float32 and int8), over the last axis.
 *
 * What this is: the specification the op glue (ops/l2_normalization.c) calls; trainer/runtime_ops/
 * l2_normalization.py mirrors the int8 kernel byte for byte. What this is not: shape or parameter checks.
 */
#ifndef TL_KERNELS_L2_NORMALIZATION_H
#define TL_KERNELS_L2_NORMALIZATION_H

#include <stdint.h>

/* For each of `outer` rows of `depth` values: y = x / max(sqrt(sum x^2), 1e-6), the sum in float32 in order
 * (TFLite's reference). */
void tl_l2_normalization_f32(float *y, const float *x, int64_t outer, int64_t depth);

/* int8 (TFLite's): per row, acc = sum (x - in_zp)^2 (int32: depth <= 33025), (m, s) = the inverse square root
 * of acc (tl_inv_sqrt_multiplier), y = clamp(mbqm(x - in_zp, m, s + 7)); the output is at scale 1/128, zero
 * point 0. */
void tl_l2_normalization_int8(int8_t *y, const int8_t *x, int64_t outer, int64_t depth, int32_t in_zp);

#endif /* TL_KERNELS_L2_NORMALIZATION_H */
