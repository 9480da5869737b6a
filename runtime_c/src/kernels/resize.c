/* resize.c: ResizeBilinear and ResizeNearestNeighbor reference kernels (kernels/resize.h has the rules). */
#include "kernels/resize.h"

#include <string.h>

/* floor and ceil of a float within int32 range, exact, without <math.h> (the freestanding build's list) */
static int32_t tl_floor_i32(float v) {
  const int32_t t = (int32_t)v;
  return (float)t > v ? t - 1 : t;
}

static int32_t tl_ceil_i32(float v) {
  const int32_t t = (int32_t)v;
  return (float)t < v ? t + 1 : t;
}

static float tl_resize_scale(int32_t in, int32_t out, int32_t align_corners) {
  if (align_corners && out > 1) return (float)(in - 1) / (float)(out - 1);
  return (float)in / (float)out;
}

void tl_resize_nearest_index(int32_t *idx, int32_t in, int32_t out, int32_t align_corners, int32_t half_pixel_centers) {
  const float scale = tl_resize_scale(in, out, align_corners);
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  int32_t i;
  for (i = 0; i < out; i++) {
    const float v = ((float)i + offset) * scale; /* in [0, in]: the casts cannot overflow */
    const int32_t f = (int32_t)v;                /* floor (v >= 0) */
    int32_t k = align_corners && v - (float)f >= 0.5f ? f + 1 : f; /* roundf: half away from zero */
    if (k > in - 1) k = in - 1;
    if (half_pixel_centers && k < 0) k = 0;
    idx[i] = k;
  }
}

void tl_resize_nearest(void *y, const void *x, const tl_resize_params *p, const int32_t *iy, const int32_t *ix,
                       size_t elem_size) {
  const size_t pixel = (size_t)p->depth * elem_size;
  const size_t row = (size_t)p->in_w * pixel, image = (size_t)p->in_h * row;
  unsigned char *out = (unsigned char *)y;
  int32_t b, i, j;
  for (b = 0; b < p->batch; b++) {
    const unsigned char *img = (const unsigned char *)x + (size_t)b * image;
    for (i = 0; i < p->out_h; i++) {
      const unsigned char *r = img + (size_t)iy[i] * row;
      for (j = 0; j < p->out_w; j++, out += pixel) memcpy(out, r + (size_t)ix[j] * pixel, pixel);
    }
  }
}

/* One axis of the float32 rule: the sample position v, its lower and upper index. */
static void tl_resize_f32_axis(int32_t i, float scale, int32_t half_pixel_centers, int32_t in, float *v, int32_t *lo,
                               int32_t *hi) {
  const float s = half_pixel_centers ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
  const int32_t f = tl_floor_i32(s), c = tl_ceil_i32(s);
  *v = s;
  *lo = f > 0 ? f : 0;
  *hi = c < in - 1 ? c : in - 1;
}

void tl_resize_bilinear_f32(float *y, const float *x, const tl_resize_params *p) {
  const float sh = tl_resize_scale(p->in_h, p->out_h, p->align_corners);
  const float sw = tl_resize_scale(p->in_w, p->out_w, p->align_corners);
  const int64_t d = p->depth, row = (int64_t)p->in_w * d, image = (int64_t)p->in_h * row;
  int32_t b, i, j;
  int64_t c;
  for (b = 0; b < p->batch; b++) {
    const float *img = x + b * image;
    for (i = 0; i < p->out_h; i++) {
      float vy, ay, by;
      int32_t y0, y1;
      tl_resize_f32_axis(i, sh, p->half_pixel_centers, p->in_h, &vy, &y0, &y1);
      ay = vy - (float)y0;
      by = 1.0f - ay;
      for (j = 0; j < p->out_w; j++, y += d) {
        float vx, ax, bx;
        int32_t x0, x1;
        const float *r0, *r1;
        tl_resize_f32_axis(j, sw, p->half_pixel_centers, p->in_w, &vx, &x0, &x1);
        ax = vx - (float)x0;
        bx = 1.0f - ax;
        r0 = img + y0 * row;
        r1 = img + y1 * row;
        for (c = 0; c < d; c++)
          y[c] = r0[x0 * d + c] * by * bx + r1[x0 * d + c] * ay * bx + r0[x1 * d + c] * by * ax + r1[x1 * d + c] * ay * ax;
      }
    }
  }
}

static int32_t tl_resize_scale10(int32_t in, int32_t out, int32_t align_corners) {
  if (align_corners && out > 1) return (1024 * (in - 1) + (out - 1) / 2) / (out - 1);
  return (1024 * in + out / 2) / out;
}

/* One axis of the int8 rule: the 10-bit position v, its lower and upper index. */
static void tl_resize_int8_axis(int32_t i, int32_t scale10, int32_t half_pixel_centers, int32_t in, int32_t *v,
                                int32_t *lo, int32_t *hi) {
  const int32_t s = half_pixel_centers ? i * scale10 + scale10 / 2 - 512 : i * scale10;
  const int32_t l = s / 1024, h = (s + 1023) / 1024;
  *v = s;
  *lo = l > 0 ? l : 0;
  *hi = h < in - 1 ? h : in - 1;
}

void tl_resize_bilinear_int8(int8_t *y, const int8_t *x, const tl_resize_params *p) {
  const int32_t sh = tl_resize_scale10(p->in_h, p->out_h, p->align_corners);
  const int32_t sw = tl_resize_scale10(p->in_w, p->out_w, p->align_corners);
  const int64_t d = p->depth, row = (int64_t)p->in_w * d, image = (int64_t)p->in_h * row;
  int32_t b, i, j;
  int64_t c;
  for (b = 0; b < p->batch; b++) {
    const int8_t *img = x + b * image;
    for (i = 0; i < p->out_h; i++) {
      int32_t vy, y0, y1;
      int64_t wy0, wy1;
      tl_resize_int8_axis(i, sh, p->half_pixel_centers, p->in_h, &vy, &y0, &y1);
      wy1 = (int64_t)vy - 1024 * (int64_t)y0;
      wy0 = 1024 - wy1;
      for (j = 0; j < p->out_w; j++, y += d) {
        int32_t vx, x0, x1;
        int64_t wx0, wx1;
        const int8_t *r0 = img + y0 * row, *r1 = img + y1 * row;
        tl_resize_int8_axis(j, sw, p->half_pixel_centers, p->in_w, &vx, &x0, &x1);
        wx1 = (int64_t)vx - 1024 * (int64_t)x0;
        wx0 = 1024 - wx1;
        for (c = 0; c < d; c++) {
          const int64_t acc = r0[x0 * d + c] * wy0 * wx0 + r1[x0 * d + c] * wy1 * wx0 + r0[x1 * d + c] * wy0 * wx1 +
                              r1[x1 * d + c] * wy1 * wx1;
          y[c] = (int8_t)((acc + (acc > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
        }
      }
    }
  }
}
