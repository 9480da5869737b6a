/* gather.c: reference kernel of Gather (gather.h). One memcpy of a row of row_bytes per (outer, index)
 * pair; an index out of range writes `fill` bytes instead, so no index a caller feeds reads outside x. */
#include "gather.h"

#include <string.h>

void tl_gather(void *y, const void *x, const int32_t *indices, const tl_gather_params *p) {
  const size_t row = p->row_bytes;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  for (int64_t o = 0; o < p->outer; o++) {
    const unsigned char *src = xb + (size_t)(o * p->axis_dim) * row;
    for (int64_t j = 0; j < p->index_count; j++, yb += row) {
      const int32_t k = indices[j];
      if (k >= 0 && (int64_t)k < p->axis_dim) {
        memcpy(yb, src + (size_t)k * row, row);
      } else {
        memset(yb, p->fill, row);
      }
    }
  }
}
