/* conv2d.c: float32 reference kernel of Conv2D (NHWC input, OHWI weights), with bias and fused activation.
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: padding resolution or shape validation (prepare turned SAME/VALID into pad_top/pad_left
 * and out_h/out_w, and proved every dim positive) or fast code (no im2col, no blocking).
 */
#include "geometry.h"
#include "kernels.h"

static float clamp_act(float v, tl_act_f32 act) {
  /* Comparisons (not fminf/fmaxf) so that a NaN propagates instead of being clamped away. */
  return v < act.min ? act.min : (v > act.max ? act.max : v);
}

/* Algorithm: direct convolution. For each output element (b, oy, ox, oc):
 *   y = act(bias[oc] + sum over ky, kx, ic of x[b, iy, ix, ic] * w[oc, ky, kx, ic])
 *   with iy = oy*stride_h - pad_top + ky*dilation_h and ix = ox*stride_w - pad_left + kx*dilation_w.
 * Taps with iy or ix outside the input read zero, so they are skipped. The innermost loop runs over ic,
 * which is contiguous in both x and w. */
void tl_conv2d_f32(float *y,          /* [batch, out_h, out_w, out_c] */
                   const float *x,    /* [batch, in_h, in_w, in_c] */
                   const float *w,    /* [out_c, k_h, k_w, in_c] */
                   const float *bias, /* [out_c] or NULL */
                   const tl_conv_params *p) {
  const int64_t in_c = p->in_c;
  const int64_t x_row = (int64_t)p->in_w * in_c;  /* elements per input row */
  const int64_t w_row = (int64_t)p->k_w * in_c;   /* elements per kernel row */
  const int64_t w_oc = (int64_t)p->k_h * w_row;   /* elements per output channel's filter */
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row; /* [in_h, in_w, in_c] */
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
      int32_t ky0, ky1; /* the kernel rows inside the input */
      tl_geo_taps(iy0, p->dilation_h, p->k_h, p->in_h, &ky0, &ky1);
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, p->stride_w, p->pad_left);
        int32_t kx0, kx1; /* the kernel columns inside the input */
        tl_geo_taps(ix0, p->dilation_w, p->k_w, p->in_w, &kx0, &kx1);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c; /* [out_c] */
        for (int32_t oc = 0; oc < p->out_c; oc++) {
          const float *wo = w + (int64_t)oc * w_oc; /* [k_h, k_w, in_c] */
          float acc = 0.0f;
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const int64_t iy = iy0 + (int64_t)ky * p->dilation_h;
            for (int32_t kx = kx0; kx < kx1; kx++) {
              const int64_t ix = ix0 + (int64_t)kx * p->dilation_w;
              const float *xp = xb + iy * x_row + ix * in_c; /* [in_c] */
              const float *wp = wo + ky * w_row + kx * in_c; /* [in_c] */
              for (int64_t ic = 0; ic < in_c; ic++) acc += xp[ic] * wp[ic];
            }
          }
          if (bias) acc += bias[oc];
          yp[oc] = clamp_act(acc, p->act);
        }
      }
    }
  }
}
