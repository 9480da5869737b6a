/* arg_max.h: reference kernels of ArgMax and ArgMin (float32 and int8 inputs; int32 or int64 indices).
 *
 * What this is: the specification the op glue (ops/arg_max.c) calls. x is viewed as [outer, n, inner], the
 * reduced axis in the middle; y is [outer, inner]. What this is not: axis or dtype validation.
 */
#ifndef TL_KERNELS_ARG_MAX_H
#define TL_KERNELS_ARG_MAX_H

#include "kernels.h"

typedef struct tl_arg_params {
  int64_t outer, inner; /* products of the dims before / after the axis */
  int32_t n;            /* the axis's size, >= 1 */
  int32_t is_min;       /* 1: ArgMin (smallest), 0: ArgMax (largest) */
  int32_t out_int64;    /* 1: y is int64_t, 0: int32_t */
} tl_arg_params;

/* The first index of the largest (smallest) value; a NaN counts as the extreme (numpy's argmax / argmin,
 * which the trainer computes: the first NaN's index; TFLite's ARG_MAX / ARG_MIN compare past it). */
void tl_arg_f32(void *y, const float *x, const tl_arg_params *p);
/* int8: the first index of the largest (smallest) raw value: the same as of the reals, the scale being
 * positive (TFLite's ARG_MAX / ARG_MIN on int8) */
void tl_arg_int8(void *y, const int8_t *x, const tl_arg_params *p);

#endif /* TL_KERNELS_ARG_MAX_H */
