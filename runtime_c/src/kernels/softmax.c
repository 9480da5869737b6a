/* softmax.c: float32 reference kernel of Softmax over the last axis, with TensorFlow Lite's beta.
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: shape validation (prepare flattened the input to `outer` rows of `depth`) or fast code.
 */
#include <math.h>

#include "kernels.h"

/* Algorithm, for each row:
 *   1. ref = max(x) when beta >= 0, min(x) when beta < 0, so that every exponent beta * (x - ref) is <= 0:
 *      expf cannot overflow, the largest term is exactly exp(0) = 1 and the sum is >= 1 (no 0/0), even for
 *      inputs like 1e30 and -1e30 (x - ref may round to -inf, whose exp is a clean 0).
 *   2. y = exp(beta * (x - ref)), summed in float.
 *   3. y /= sum. */
void tl_softmax_f32(float *y,       /* [outer, depth] */
                    const float *x, /* [outer, depth] */
                    const tl_softmax_params *p) {
  const int64_t depth = p->depth;
  const float beta = p->beta;
  for (int64_t r = 0; r < p->outer; r++) {
    const float *xr = x + r * depth; /* [depth] */
    float *yr = y + r * depth;       /* [depth] */
    if (depth <= 0) continue;
    float ref = xr[0];
    for (int64_t i = 1; i < depth; i++) {
      if (beta >= 0.0f ? xr[i] > ref : xr[i] < ref) ref = xr[i];
    }
    float sum = 0.0f;
    for (int64_t i = 0; i < depth; i++) {
      /* beta == 0 is special-cased so that 0 * (-inf) cannot make a NaN: every term is then exp(0). */
      yr[i] = expf(beta == 0.0f ? 0.0f : beta * (xr[i] - ref));
      sum += yr[i];
    }
    for (int64_t i = 0; i < depth; i++) yr[i] /= sum;
  }
}
