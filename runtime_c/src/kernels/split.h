/* split.h: reference kernel of Split: one input cut into consecutive pieces along one axis.
 *
 * What this is: the specification ops/split.c calls; dtype-agnostic (it moves bytes, so float32, int8 and
 * int32 alike). What this is not: the shape rules (prepare checks that the pieces fill the axis exactly).
 */
#ifndef TL_KERNELS_SPLIT_H
#define TL_KERNELS_SPLIT_H

#include "kernels.h"

#define TL_SPLIT_MAX_OUTPUTS 16

/* x viewed as [outer, row_bytes] bytes (outer: the product of the dims before the axis; row_bytes: the axis
 * dim times the product of the dims after it times the element size). Output k is [outer, piece_bytes[k]]
 * bytes: bytes offset_k .. offset_k + piece_bytes[k] of every row, offset_k the sum of the pieces before it.
 * The pieces add up to row_bytes. */
typedef struct tl_split_params {
  int64_t outer;
  int64_t row_bytes;
  int32_t num_outputs;
  int64_t piece_bytes[TL_SPLIT_MAX_OUTPUTS];
} tl_split_params;

void tl_split(void *const *ys, const void *x, const tl_split_params *p);

#endif /* TL_KERNELS_SPLIT_H */
