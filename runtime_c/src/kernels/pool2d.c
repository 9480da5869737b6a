/* pool2d.c: float32 reference kernels of MaxPool2D and AveragePool2D (NHWC), with fused activation.
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: padding resolution or shape validation (prepare resolved SAME/VALID into pad_top/pad_left
 * and out_h/out_w) or fast code.
 *
 * Windows are clipped to the input: positions outside it are ignored by the max and not counted by the
 * average (TensorFlow's rule). A window that covers no input element at all cannot arise from SAME/VALID
 * padding; should one occur, its output is 0 (before the activation) rather than -inf or 0/0.
 */
#include "geometry.h"
#include "kernels.h"

static float clamp_act(float v, tl_act_f32 act) {
  /* Comparisons (not fminf/fmaxf) so that a NaN propagates instead of being clamped away. */
  return v < act.min ? act.min : (v > act.max ? act.max : v);
}

/* Algorithm (both pools): for each output pixel, clip its window, then visit the window's input pixels in
 * row-major order and fold all `channels` values of each pixel into the output pixel at once, so that the
 * innermost loop walks channels contiguously in x and y. */
void tl_max_pool2d_f32(float *y,       /* [batch, out_h, out_w, channels] */
                       const float *x, /* [batch, in_h, in_w, channels] */
                       const tl_pool_params *p) {
  const int64_t ch = p->channels;
  const int64_t x_row = (int64_t)p->in_w * ch;
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row; /* [in_h, in_w, channels] */
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      int32_t y0, y1;
      tl_geo_clip(tl_geo_start(oy, p->stride_h, p->pad_top), p->filter_h, p->in_h, &y0, &y1);
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        int32_t x0, x1;
        tl_geo_clip(tl_geo_start(ox, p->stride_w, p->pad_left), p->filter_w, p->in_w, &x0, &x1);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch; /* [channels] */
        const int empty = y0 >= y1 || x0 >= x1;
        if (!empty) {
          const float *first = xb + y0 * x_row + x0 * ch; /* [channels] */
          for (int64_t c = 0; c < ch; c++) yp[c] = first[c];
        }
        for (int32_t iy = y0; iy < y1; iy++) {
          for (int32_t ix = x0; ix < x1; ix++) {
            const float *xp = xb + iy * x_row + ix * ch; /* [channels] */
            for (int64_t c = 0; c < ch; c++) {
              if (xp[c] > yp[c] || xp[c] != xp[c]) yp[c] = xp[c]; /* a NaN wins, as in numpy */
            }
          }
        }
        for (int64_t c = 0; c < ch; c++) yp[c] = clamp_act(empty ? 0.0f : yp[c], p->act);
      }
    }
  }
}

void tl_average_pool2d_f32(float *y,       /* [batch, out_h, out_w, channels] */
                           const float *x, /* [batch, in_h, in_w, channels] */
                           const tl_pool_params *p) {
  const int64_t ch = p->channels;
  const int64_t x_row = (int64_t)p->in_w * ch;
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row; /* [in_h, in_w, channels] */
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      int32_t y0, y1;
      tl_geo_clip(tl_geo_start(oy, p->stride_h, p->pad_top), p->filter_h, p->in_h, &y0, &y1);
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        int32_t x0, x1;
        tl_geo_clip(tl_geo_start(ox, p->stride_w, p->pad_left), p->filter_w, p->in_w, &x0, &x1);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch; /* [channels] */
        for (int64_t c = 0; c < ch; c++) yp[c] = 0.0f;
        for (int32_t iy = y0; iy < y1; iy++) {
          for (int32_t ix = x0; ix < x1; ix++) {
            const float *xp = xb + iy * x_row + ix * ch; /* [channels] */
            for (int64_t c = 0; c < ch; c++) yp[c] += xp[c];
          }
        }
        const int32_t count = (y1 > y0 && x1 > x0) ? (y1 - y0) * (x1 - x0) : 0;
        for (int64_t c = 0; c < ch; c++) {
          yp[c] = clamp_act(count ? yp[c] / (float)count : 0.0f, p->act);
        }
      }
    }
  }
}
