/* mean.c: float32 reference kernel of Mean over a set of axes (keep_dims only changes the output's shape,
 * not its elements, so it is not seen here).
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: axis validation (prepare resolved negative and duplicate axes into reduce[]) or fast code.
 */
#include <math.h>

#include "kernels.h"

/* Steps a row-major odometer over dims[0..n) by one, keeping *offset = sum idx[d] * strides[d]. */
static void odometer_next(int32_t *idx, const int32_t *dims, const int64_t *strides, int32_t n,
                          int64_t *offset) {
  for (int32_t d = n - 1; d >= 0; d--) {
    idx[d]++;
    *offset += strides[d];
    if (idx[d] < dims[d]) return;
    *offset -= strides[d] * dims[d];
    idx[d] = 0;
  }
}

/* Algorithm: split the input's axes into kept ones (they index y, in order) and reduced ones. For each output
 * element, in y's order, an odometer over the kept axes gives the input offset of its first term; a second
 * odometer over the reduced axes visits its terms, summed in double and divided by their count. An empty
 * reduction (a reduced dim of 0) gives NaN, like numpy's mean of nothing. */
void tl_mean_f32(float *y,       /* [the kept dims of in_dims, in order] */
                 const float *x, /* [in_dims[0], ..., in_dims[rank - 1]] */
                 const tl_mean_params *p) {
  int32_t kept_dims[TL_KMAX_RANK], red_dims[TL_KMAX_RANK];     /* sizes of the kept / reduced axes */
  int64_t kept_strides[TL_KMAX_RANK], red_strides[TL_KMAX_RANK]; /* their element strides in x */
  int32_t n_kept = 0, n_red = 0;
  for (int32_t d = 0; d < p->rank; d++) {
    if (p->reduce[d]) n_red++; else n_kept++;
  }
  /* Walk the axes from the last (stride 1) to the first, filling both lists back to front. */
  int32_t ki = n_kept, ri = n_red;
  int64_t n_out = 1, count = 1, stride = 1;
  for (int32_t d = p->rank - 1; d >= 0; d--) {
    if (p->reduce[d]) {
      ri--;
      red_dims[ri] = p->in_dims[d];
      red_strides[ri] = stride;
      count *= p->in_dims[d];
    } else {
      ki--;
      kept_dims[ki] = p->in_dims[d];
      kept_strides[ki] = stride;
      n_out *= p->in_dims[d];
    }
    stride *= p->in_dims[d];
  }

  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0; /* input offset of y[o]'s first term */
  for (int64_t o = 0; o < n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0; /* offset of the current term from base */
    double sum = 0.0;
    for (int64_t r = 0; r < count; r++) {
      sum += (double)x[base + off];
      odometer_next(red_idx, red_dims, red_strides, n_red, &off);
    }
    y[o] = count > 0 ? (float)(sum / (double)count) : NAN;
    odometer_next(kept_idx, kept_dims, kept_strides, n_kept, &base);
  }
}
