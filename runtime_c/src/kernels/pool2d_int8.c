/* pool2d_int8.c: int8 reference kernels of MaxPool2D and AveragePool2D, and of Mean over axes.
 *
 * What this is: the specification of the int8 pools. Windows are clipped to the input and the average divides
 * by the number of covered elements, as in the float kernels (pool2d.c, mean.c). What this is not: geometry or
 * parameter validation (ops/pool2d_int8.c, ops/mean_int8.c).
 */
#include "geometry.h"
#include "kernels_int8.h"
#include "reduce_walk.h"

/* round(sum / count) with ties away from zero; count >= 1. */
static int32_t tl_rounded_average(int64_t sum, int64_t count) {
  int64_t q = sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
  return (int32_t)q; /* |q| <= 255: an average of values in [-255, 255] */
}

/* Algorithm: for each output (b, oy, ox, c) the window rows [iy0, iy0 + filter_h) and columns are clipped to
 * the input, then max (raw values; input and output share their parameters) or the rounded average: of the
 * raw values when input and output share their parameters (TFLite's int8 AveragePool), else of the centered
 * values, requantized. */
static void tl_pool_int8(int8_t *y, const int8_t *x, const tl_pool_int8_params *p, int is_max) {
  const tl_pool_params *g = &p->geom;
  for (int32_t b = 0; b < g->batch; b++) {
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      int32_t y_lo, y_hi;
      tl_geo_clip(tl_geo_start(oy, g->stride_h, g->pad_top), g->filter_h, g->in_h, &y_lo, &y_hi);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        int32_t x_lo, x_hi;
        tl_geo_clip(tl_geo_start(ox, g->stride_w, g->pad_left), g->filter_w, g->in_w, &x_lo, &x_hi);
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->channels; /* [channels] */
        for (int32_t c = 0; c < g->channels; c++) {
          int32_t best = -128;
          int64_t sum = 0, count = 0;
          for (int32_t iy = y_lo; iy < y_hi; iy++) {
            for (int32_t ix = x_lo; ix < x_hi; ix++) {
              int32_t v = x[(((int64_t)b * g->in_h + iy) * g->in_w + ix) * g->channels + c];
              if (v > best) best = v;
              sum += v - p->q.input_zp;
              count++;
            }
          }
          if (is_max) {
            int32_t v = best < p->q.act_min ? p->q.act_min : (best > p->q.act_max ? p->q.act_max : best);
            yp[c] = (int8_t)v;
          } else if (!p->q.requant) {
            /* shared parameters: TFLite's rule, the rounded average of the raw values (a tie between 0 and
             * the zero point rounds the other way when the values are centered first) */
            int32_t avg = count > 0 ? tl_rounded_average(sum + count * p->q.input_zp, count) : p->q.input_zp;
            yp[c] = tl_requantize_centered_int8(avg - p->q.input_zp, &p->q);
          } else {
            yp[c] = tl_requantize_centered_int8(count > 0 ? tl_rounded_average(sum, count) : 0, &p->q);
          }
        }
      }
    }
  }
}

void tl_max_pool2d_int8(int8_t *y, const int8_t *x, const tl_pool_int8_params *p) { tl_pool_int8(y, x, p, 1); }

void tl_average_pool2d_int8(int8_t *y, const int8_t *x, const tl_pool_int8_params *p) { tl_pool_int8(y, x, p, 0); }

/* Algorithm: the walk of reduce_walk.h (as tl_mean_f32), summing x - input_zp in int64; the sum (saturated to
 * int32) requantized once by the multiplier that has 1 / count in it (ops/mean_int8.c). */
void tl_mean_int8(int8_t *y, const int8_t *x, const tl_mean_int8_params *p) {
  tl_reduce_walk w;
  tl_reduce_walk_init(&w, &p->geom);
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0;
  for (int64_t o = 0; o < w.n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0, sum = 0;
    for (int64_t r = 0; r < w.count; r++) {
      sum += (int64_t)x[base + off] - p->q.input_zp;
      tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off);
    }
    y[o] = tl_requantize_centered_int8(sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum), &p->q);
    tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
  }
}
