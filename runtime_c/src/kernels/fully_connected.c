/* fully_connected.c: float32 reference kernel of FullyConnected (y = x * w^T + bias, then the activation).
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: shape validation (prepare, in src/ops/, proved batch/in_depth/out_depth) or fast code.
 */
#include "kernels.h"

static float clamp_act(float v, tl_act_f32 act) {
  /* Written with comparisons (not fminf/fmaxf) so that a NaN propagates instead of being clamped away. */
  return v < act.min ? act.min : (v > act.max ? act.max : v);
}

void tl_fc_f32(float *y,             /* [batch, out_depth] */
               const float *x,       /* [batch, in_depth] */
               const float *w,       /* [out_depth, in_depth] */
               const float *bias,    /* [out_depth] or NULL */
               const tl_fc_params *p) {
  const int64_t in_depth = p->in_depth;
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * in_depth; /* [in_depth] */
    float *yb = y + (int64_t)b * p->out_depth;   /* [out_depth] */
    for (int32_t o = 0; o < p->out_depth; o++) {
      const float *wo = w + (int64_t)o * in_depth; /* [in_depth]: row o of w, contiguous like xb */
      float acc = 0.0f;
      for (int64_t i = 0; i < in_depth; i++) acc += xb[i] * wo[i];
      if (bias) acc += bias[o];
      yb[o] = clamp_act(acc, p->act);
    }
  }
}
