/* split.c: reference kernel of Split (split.h). Row by row: each row of x is the concatenation of the rows
 * of the outputs, in output order, so one memcpy per output and row. */
#include "split.h"

#include <string.h>

void tl_split(void *const *ys, const void *x, const tl_split_params *p) {
  const unsigned char *src = (const unsigned char *)x;
  for (int64_t o = 0; o < p->outer; o++) {
    for (int32_t k = 0; k < p->num_outputs; k++) {
      const size_t n = (size_t)p->piece_bytes[k];
      memcpy((unsigned char *)ys[k] + (size_t)o * n, src, n);
      src += n;
    }
  }
}
