/* reduce_axes.h: what Mean, Sum and ReduceMax share: their decoded MeanOptions and the axis rules of their
 * prepares (ops/reduce_axes.c). Each op's file keeps its own descriptor, dtype rules and kernels. */
#ifndef TL_OPS_REDUCE_AXES_H
#define TL_OPS_REDUCE_AXES_H

#include "ops/ops.h"

/* MeanOptions, decoded */
typedef struct tl_reduce_options {
  int32_t keep_dims;   /* 0 or 1 */
  int32_t int_count;   /* axes (0: absent; rejected at prepare) */
  const int32_t *ints; /* in the model's pool */
} tl_reduce_options;

/* The options decoder of the three ops (keep_dims, the axes copied into the model's pool). */
tl_status tl_decode_reduce_options(tl_options_reader *r, void *options);

/* After the caller's checks of counts (one input, one output) and dtypes: the axes non-empty, each in
 * [-rank, rank) and listed once (TL_ERROR_BAD_OPTIONS); the output's shape x's with the reduced axes dropped
 * (or 1 with keep_dims; TL_ERROR_BAD_SHAPE). Fills p. */
tl_status tl_op_reduce_geometry(tl_op_ctx *ctx, tl_node *node, tl_mean_params *p);

#endif /* TL_OPS_REDUCE_AXES_H */
