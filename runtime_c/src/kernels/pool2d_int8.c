/* pool2d_int8.c: int8 reference kernels of MaxPool2D and AveragePool2D, and of Mean over axes.
 *
 * What this is: the specification of the int8 pools. Windows are clipped to the input and the average divides
 * by the number of covered elements, as in the float kernels (pool2d.c, mean.c). What this is not: geometry or
 * parameter validation (ops/pool2d_int8.c, ops/mean_int8.c).
 */
#include "geometry.h"
#include "kernels_int8.h"

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

/* Steps a row-major odometer over dims[0..n) by one, keeping *offset = sum idx[d] * strides[d]. */
static void tl_odometer_next(int32_t *idx, const int32_t *dims, const int64_t *strides, int32_t n, int64_t *offset) {
  for (int32_t d = n - 1; d >= 0; d--) {
    idx[d]++;
    *offset += strides[d];
    if (idx[d] < dims[d]) return;
    *offset -= strides[d] * dims[d];
    idx[d] = 0;
  }
}

/* Algorithm: as tl_mean_f32 (an odometer over the kept axes for the output, one over the reduced axes for
 * the terms), summing x - input_zp in int64; the sum (saturated to int32) requantized once by the multiplier
 * that has 1 / count in it (ops/mean_int8.c). */
void tl_mean_int8(int8_t *y, const int8_t *x, const tl_mean_int8_params *p) {
  const tl_mean_params *g = &p->geom;
  int32_t kept_dims[TL_KMAX_RANK], red_dims[TL_KMAX_RANK];
  int64_t kept_strides[TL_KMAX_RANK], red_strides[TL_KMAX_RANK];
  int32_t n_kept = 0, n_red = 0;
  for (int32_t d = 0; d < g->rank; d++) {
    if (g->reduce[d]) n_red++; else n_kept++;
  }
  int32_t ki = n_kept, ri = n_red;
  int64_t n_out = 1, count = 1, stride = 1;
  for (int32_t d = g->rank - 1; d >= 0; d--) {
    if (g->reduce[d]) {
      ri--;
      red_dims[ri] = g->in_dims[d];
      red_strides[ri] = stride;
      count *= g->in_dims[d];
    } else {
      ki--;
      kept_dims[ki] = g->in_dims[d];
      kept_strides[ki] = stride;
      n_out *= g->in_dims[d];
    }
    stride *= g->in_dims[d];
  }
  int32_t kept_idx[TL_KMAX_RANK] = {0};
  int64_t base = 0;
  for (int64_t o = 0; o < n_out; o++) {
    int32_t red_idx[TL_KMAX_RANK] = {0};
    int64_t off = 0, sum = 0;
    for (int64_t r = 0; r < count; r++) {
      sum += (int64_t)x[base + off] - p->q.input_zp;
      tl_odometer_next(red_idx, red_dims, red_strides, n_red, &off);
    }
    y[o] = tl_requantize_centered_int8(sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum), &p->q);
    tl_odometer_next(kept_idx, kept_dims, kept_strides, n_kept, &base);
  }
}
