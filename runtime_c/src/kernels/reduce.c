/* reduce.c: reference kernels of Sum and ReduceMax (reduce.h).
 *
 * Algorithm: the walk of reduce_walk.h: for each output element, in y's order, its terms in x's order.
 * Every reduced axis has at least one element (the verifier rejects zero-sized dims), so each output element
 * has a first term.
 */
#include <math.h>

#include "reduce.h"
#include "reduce_walk.h"

void tl_sum_f32(float *y,       /* [the kept dims of in_dims, in order] */
                const float *x, /* [in_dims[0], ..., in_dims[rank - 1]] */
                const tl_mean_params *p) {
  tl_reduce_walk w;
  tl_reduce_walk_init(&w, p);
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0;
  for (int64_t o = 0; o < w.n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0;
    double sum = 0.0;
    for (int64_t r = 0; r < w.count; r++) {
      sum += (double)x[base + off];
      tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off);
    }
    y[o] = (float)sum;
    tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
  }
}

void tl_reduce_max_f32(float *y,       /* [the kept dims of in_dims, in order] */
                       const float *x, /* [in_dims[0], ..., in_dims[rank - 1]] */
                       const tl_mean_params *p) {
  tl_reduce_walk w;
  tl_reduce_walk_init(&w, p);
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0;
  for (int64_t o = 0; o < w.n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0;
    float best = x[base];
    for (int64_t r = 0; r < w.count; r++) {
      const float v = x[base + off];
      best = best > v || best != best ? best : v; /* Maximum's rule (kernels/maximum.c): numpy's */
      tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off);
    }
    y[o] = best;
    tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
  }
}

/* The float32 steps of TFLite's rescaled SUM, one operation per statement (no fused multiply-add). The
 * rounded value is clamped to +-1024 before the cast (the result clamps to int8 anyway; a float beyond
 * int32 would make the cast undefined). */
void tl_sum_int8(int8_t *y, const int8_t *x, const tl_sum_int8_params *p) {
  tl_reduce_walk w;
  tl_reduce_walk_init(&w, &p->geom);
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0;
  for (int64_t o = 0; o < w.n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0, sum = 0;
    for (int64_t r = 0; r < w.count; r++) {
      sum += x[base + off];
      tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off);
    }
    float t = (float)sum;
    t = t * p->scale;
    t = t + p->bias;
    t = roundf(t); /* half away from zero (TfLiteRound) */
    if (t > 1024.0f) t = 1024.0f;
    if (t < -1024.0f) t = -1024.0f;
    int32_t v = (int32_t)t + p->output_zp;
    y[o] = (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
    tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
  }
}

void tl_reduce_max_int8(int8_t *y, const int8_t *x, const tl_mean_params *p) {
  tl_reduce_walk w;
  tl_reduce_walk_init(&w, p);
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0;
  for (int64_t o = 0; o < w.n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0;
    int8_t best = -128;
    for (int64_t r = 0; r < w.count; r++) {
      if (x[base + off] > best) best = x[base + off];
      tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off);
    }
    y[o] = best;
    tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
  }
}
