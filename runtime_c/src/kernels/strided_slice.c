/* strided_slice.c: reference kernel of StridedSlice (strided_slice.h). An odometer over the output's
 * indices keeps the input offset: one step[d] x stride(d) per increment of axis d, rewound when the axis
 * wraps; one memcpy of elem_size bytes per output element. */
#include "strided_slice.h"

#include <string.h>

void tl_strided_slice(void *y, const void *x, const tl_strided_slice_params *p) {
  const size_t es = (size_t)p->elem_size;
  const int32_t rank = p->rank;
  int64_t stride = 1, n = 1, x_off = 0;
  int64_t steps[TL_KMAX_RANK]; /* x element offset of one step along each axis */
  int32_t idx[TL_KMAX_RANK] = {0};
  for (int32_t d = rank - 1; d >= 0; d--) {
    steps[d] = (int64_t)p->step[d] * stride;
    x_off += (int64_t)p->start[d] * stride;
    stride *= p->in_dims[d];
    n *= p->count[d];
  }
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  for (int64_t i = 0; i < n; i++) {
    memcpy(yb + (size_t)i * es, xb + (size_t)x_off * es, es);
    for (int32_t d = rank - 1; d >= 0; d--) {
      idx[d]++;
      x_off += steps[d];
      if (idx[d] < p->count[d]) break;
      x_off -= (int64_t)p->count[d] * steps[d];
      idx[d] = 0;
    }
  }
}
