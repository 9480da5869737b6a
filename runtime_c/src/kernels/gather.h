/* gather.h: reference kernel of Gather: y[o, j, i] = x[o, indices[j], i] over the row-major views x[outer,
 * axis_dim, inner] and y[outer, index_count, inner].
 *
 * What this is: the specification ops/gather.c calls; dtype-agnostic (it moves whole rows of row_bytes).
 * What this is not: the shape rules (prepare checks them and the constant indices).
 */
#ifndef TL_KERNELS_GATHER_H
#define TL_KERNELS_GATHER_H

#include "kernels.h"

/* outer: product of x's dims before the axis; axis_dim: x's size along it (>= 1); index_count: the number of
 * indices; row_bytes: product of x's dims after the axis times the element size. An index outside
 * [0, axis_dim) (possible only for indices computed at run time) fills its row with the byte `fill`: 0 for
 * float32 (0.0f), the zero point for int8 (the real value 0). */
typedef struct tl_gather_params {
  int64_t outer;
  int64_t axis_dim;
  int64_t index_count;
  size_t row_bytes;
  uint8_t fill;
} tl_gather_params;

void tl_gather(void *y, const void *x, const int32_t *indices, const tl_gather_params *p);

#endif /* TL_KERNELS_GATHER_H */
