/* reduce.h: reference kernels of Sum and ReduceMax over a set of axes (float32 and int8).
 *
 * What this is: the specification the op glue (ops/sum.c, ops/reduce_max.c) calls; the axes are Mean's
 * (tl_mean_params: prepare resolved negative and duplicate axes into reduce[]; keep_dims only changes y's
 * shape). What this is not: axis validation or fast code.
 */
#ifndef TL_KERNELS_REDUCE_H
#define TL_KERNELS_REDUCE_H

#include "kernels.h"
#include "kernels_int8.h"

/* y = the sum of each output element's terms, accumulated in double in x's order, rounded once to float */
void tl_sum_f32(float *y, const float *x, const tl_mean_params *p);

/* y = the largest term: Maximum's rule folded over the terms in x's order, best = best > v || best is NaN ?
 * best : v, so a NaN term gives NaN (numpy's max, which the trainer computes; TFLite's REDUCE_MAX skips NaN)
 * and of equal terms (-0, +0) the later one is kept. */
void tl_reduce_max_f32(float *y, const float *x, const tl_mean_params *p);

/* int8 Sum, TFLite's SUM with differing input and output parameters (reduce.cc, QuantizedMeanOrSum with
 * compute_sum) in float32:
 *   y = clamp(int32(roundf(float(sum of raw x) * scale + bias)) + output_zp, -128, 127)
 * with scale = s_in / s_out and bias = (-input_zp * scale) * count, each operation a float32 one (prepare
 * checks both finite, so t is never NaN). */
typedef struct tl_sum_int8_params {
  tl_mean_params geom;
  float scale, bias;
  int32_t output_zp;
} tl_sum_int8_params;
void tl_sum_int8(int8_t *y, const int8_t *x, const tl_sum_int8_params *p);

/* int8 ReduceMax: the largest raw value (y shares x's scale and zero point, TFLite's REDUCE_MAX rule) */
void tl_reduce_max_int8(int8_t *y, const int8_t *x, const tl_mean_params *p);

#endif /* TL_KERNELS_REDUCE_H */
