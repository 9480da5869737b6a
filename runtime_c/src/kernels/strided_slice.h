/* strided_slice.h: reference kernel of StridedSlice: y[i0, ..., ir] = x[start[0] + i0 * step[0], ...].
 *
 * What this is: the specification ops/strided_slice.c calls; dtype-agnostic (it moves elem_size bytes per
 * element). What this is not: the index rules (prepare resolves begin, end, strides and the masks into
 * start, step and count per axis, each read in range).
 */
#ifndef TL_KERNELS_STRIDED_SLICE_H
#define TL_KERNELS_STRIDED_SLICE_H

#include "kernels.h"

/* Per input axis k: count[k] >= 1 elements, the first at start[k] (0 <= start[k] < in_dims[k]), each next
 * step[k] (nonzero, may be negative) further; every index start[k] + i * step[k] (i < count[k]) lies in
 * [0, in_dims[k]). A shrunk axis has count 1. y holds the product of the counts, in row-major order. */
typedef struct tl_strided_slice_params {
  int32_t rank;
  int32_t in_dims[TL_KMAX_RANK];
  int32_t start[TL_KMAX_RANK];
  int32_t step[TL_KMAX_RANK];
  int32_t count[TL_KMAX_RANK];
  int32_t elem_size;
} tl_strided_slice_params;

void tl_strided_slice(void *y, const void *x, const tl_strided_slice_params *p);

#endif /* TL_KERNELS_STRIDED_SLICE_H */
