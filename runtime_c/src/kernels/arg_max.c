/* arg_max.c: reference kernels of ArgMax and ArgMin (arg_max.h).
 *
 * Algorithm: for each (outer, inner) pair, a scan along the axis (stride inner) keeping the best value and
 * its index, replaced only by a strictly larger (smaller) one, so ties keep the first index.
 */
#include "arg_max.h"

static void tl_arg_store(void *y, int64_t o, int32_t index, int32_t out_int64) {
  if (out_int64) ((int64_t *)y)[o] = index;
  else ((int32_t *)y)[o] = index;
}

void tl_arg_f32(void *y,        /* [outer, inner], int32_t or int64_t */
                const float *x, /* [outer, n, inner] */
                const tl_arg_params *p) {
  for (int64_t b = 0; b < p->outer; b++) {
    for (int64_t c = 0; c < p->inner; c++) {
      const float *row = x + b * p->n * p->inner + c;
      float best = row[0];
      int32_t index = 0;
      for (int32_t i = 1; i < p->n && best == best; i++) { /* a NaN ends the scan: its index is the result */
        const float v = row[(int64_t)i * p->inner];
        if (v != v || (p->is_min ? v < best : v > best)) {
          best = v;
          index = i;
        }
      }
      tl_arg_store(y, b * p->inner + c, index, p->out_int64);
    }
  }
}

void tl_arg_int8(void *y,         /* [outer, inner], int32_t or int64_t */
                 const int8_t *x, /* [outer, n, inner] */
                 const tl_arg_params *p) {
  for (int64_t b = 0; b < p->outer; b++) {
    for (int64_t c = 0; c < p->inner; c++) {
      const int8_t *row = x + b * p->n * p->inner + c;
      int8_t best = row[0];
      int32_t index = 0;
      for (int32_t i = 1; i < p->n; i++) {
        const int8_t v = row[(int64_t)i * p->inner];
        if (p->is_min ? v < best : v > best) {
          best = v;
          index = i;
        }
      }
      tl_arg_store(y, b * p->inner + c, index, p->out_int64);
    }
  }
}
