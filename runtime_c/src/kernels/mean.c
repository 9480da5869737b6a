/* mean.c: float32 reference kernel of Mean over a set of axes (keep_dims only changes the output's shape,
 * not its elements, so it is not seen here).
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: axis validation (prepare resolved negative and duplicate axes into reduce[]) or fast code.
 */
#include <math.h>

#include "reduce_walk.h"

/* Algorithm: the walk of reduce_walk.h; each output element's terms summed in double and divided by their
 * count. An empty reduction (a reduced dim of 0) gives NaN, like numpy's mean of nothing. */
void tl_mean_f32(float *y,       /* [the kept dims of in_dims, in order] */
                 const float *x, /* [in_dims[0], ..., in_dims[rank - 1]] */
                 const tl_mean_params *p) {
  tl_reduce_walk w;
  tl_reduce_walk_init(&w, p);
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0; /* input offset of y[o]'s first term */
  for (int64_t o = 0; o < w.n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0; /* offset of the current term from base */
    double sum = 0.0;
    for (int64_t r = 0; r < w.count; r++) {
      sum += (double)x[base + off];
      tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off);
    }
    y[o] = w.count > 0 ? (float)(sum / (double)w.count) : NAN;
    tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
  }
}
