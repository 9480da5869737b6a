/* conv2d_int8.c: int8 reference kernels of Conv2D and DepthwiseConv2D (NHWC input; OHWI and 1HWO weights).
 *
 * What this is: the specification the optimized int8 kernels are tested against, with the same loops as the
 * float kernels (conv2d.c, depthwise_conv2d.c). What this is not: padding resolution, shape or quantization
 * validation (ops/conv2d_int8.c, ops/depthwise_conv2d_int8.c).
 */
#include "geometry.h"
#include "kernels_int8.h"

/* Algorithm: direct convolution. For each output element (b, oy, ox, oc):
 *   acc = bias[oc] + sum over ky, kx, ic of (x[b, iy, ix, ic] - input_zp) * w[oc, ky, kx, ic]
 *   with iy = oy*stride_h - pad_top + ky*dilation_h (likewise ix); taps outside the input are skipped (they
 * read the zero point, which adds zero). Then the per-channel requantization. */
void tl_conv2d_int8(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                    const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                    const int8_t *w,     /* [out_c, k_h, k_w, in_c] */
                    const int32_t *bias, /* [out_c] or NULL */
                    const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int64_t in_c = g->in_c;
  const int64_t x_row = (int64_t)g->in_w * in_c;
  const int64_t w_row = (int64_t)g->k_w * in_c;
  const int64_t w_oc = (int64_t)g->k_h * w_row;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row; /* [in_h, in_w, in_c] */
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      int32_t ky0, ky1; /* the kernel rows inside the input */
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        int32_t kx0, kx1; /* the kernel columns inside the input */
        tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c; /* [out_c] */
        for (int32_t oc = 0; oc < g->out_c; oc++) {
          const int8_t *wo = w + (int64_t)oc * w_oc; /* [k_h, k_w, in_c] */
          int64_t acc = bias ? bias[oc] : 0;
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
            for (int32_t kx = kx0; kx < kx1; kx++) {
              const int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
              const int8_t *xp = xb + iy * x_row + ix * in_c; /* [in_c] */
              const int8_t *wp = wo + ky * w_row + kx * in_c; /* [in_c] */
              acc += tl_dot_int8(xp, wp, in_c, p->input_zp);
            }
          }
          yp[oc] = tl_requantize_channel_int8(acc, oc, &p->out);
        }
      }
    }
  }
}

/* Algorithm: as tl_conv2d_int8, but output channel oc = ic * depth_multiplier + m reads only input channel
 * ic, with the weight w[0, ky, kx, oc]. */
void tl_depthwise_conv2d_int8(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                              const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                              const int8_t *w,     /* [1, k_h, k_w, out_c] */
                              const int32_t *bias, /* [out_c] or NULL */
                              const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int64_t x_row = (int64_t)g->in_w * g->in_c;
  const int64_t w_row = (int64_t)g->k_w * g->out_c;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row; /* [in_h, in_w, in_c] */
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      int32_t ky0, ky1; /* the kernel rows inside the input */
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        int32_t kx0, kx1; /* the kernel columns inside the input */
        tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c; /* [out_c] */
        for (int32_t oc = 0; oc < g->out_c; oc++) {
          const int32_t ic = oc / g->depth_multiplier;
          int64_t acc = bias ? bias[oc] : 0;
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
            for (int32_t kx = kx0; kx < kx1; kx++) {
              const int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
              acc += (int64_t)((int32_t)xb[iy * x_row + ix * g->in_c + ic] - p->input_zp) * w[ky * w_row + kx * g->out_c + oc];
            }
          }
          yp[oc] = tl_requantize_channel_int8(acc, oc, &p->out);
        }
      }
    }
  }
}
