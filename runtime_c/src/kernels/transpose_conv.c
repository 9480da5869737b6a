/* transpose_conv.c: reference TransposeConv kernels (see transpose_conv.h).
 *
 * Algorithm (both): for each output pixel, the taps ky whose input row iy = (oy + pad_top - ky) / stride_h is
 * whole and inside the input (likewise kx), then the dot product over the input channels. (oy + pad_top - ky)
 * can be negative: it is tested before dividing.
 */
#include "transpose_conv.h"

/* Input row (or column) of output o through tap k, or -1 when none. */
static int32_t tl_tconv_source(int32_t o, int32_t pad, int32_t k, int32_t stride, int32_t size) {
  const int32_t t = o + pad - k;
  int32_t i;
  if (t < 0 || t % stride != 0) return -1;
  i = t / stride;
  return i < size ? i : -1;
}

void tl_transpose_conv_f32(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p) {
  for (int32_t b = 0; b < p->batch; b++) {
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c; /* [out_c] */
        for (int32_t oc = 0; oc < p->out_c; oc++) {
          float acc = 0.0f;
          for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t iy = tl_tconv_source(oy, p->pad_top, ky, p->stride_h, p->in_h);
            if (iy < 0) continue;
            for (int32_t kx = 0; kx < p->k_w; kx++) {
              const int32_t ix = tl_tconv_source(ox, p->pad_left, kx, p->stride_w, p->in_w);
              const float *xp, *wp;
              if (ix < 0) continue;
              xp = x + (((int64_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c;    /* [in_c] */
              wp = w + (((int64_t)oc * p->k_h + ky) * p->k_w + kx) * p->in_c;     /* [in_c] */
              for (int32_t ic = 0; ic < p->in_c; ic++) acc += xp[ic] * wp[ic];
            }
          }
          if (bias) acc += bias[oc];
          acc = p->act.min > acc ? p->act.min : acc;
          yp[oc] = p->act.max < acc ? p->act.max : acc;
        }
      }
    }
  }
}

void tl_transpose_conv_int8(int8_t *y, const int8_t *x, const int8_t *w, const int32_t *bias,
                            const tl_conv_int8_params *q) {
  const tl_conv_params *p = &q->geom;
  for (int32_t b = 0; b < p->batch; b++) {
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        int8_t *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c; /* [out_c] */
        for (int32_t oc = 0; oc < p->out_c; oc++) {
          int64_t acc = bias ? bias[oc] : 0;
          for (int32_t ky = 0; ky < p->k_h; ky++) {
            const int32_t iy = tl_tconv_source(oy, p->pad_top, ky, p->stride_h, p->in_h);
            if (iy < 0) continue;
            for (int32_t kx = 0; kx < p->k_w; kx++) {
              const int32_t ix = tl_tconv_source(ox, p->pad_left, kx, p->stride_w, p->in_w);
              if (ix < 0) continue;
              acc += tl_dot_int8(x + (((int64_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c,
                                 w + (((int64_t)oc * p->k_h + ky) * p->k_w + kx) * p->in_c, p->in_c, q->input_zp);
            }
          }
          yp[oc] = tl_requantize_channel_int8(acc, oc, &q->out);
        }
      }
    }
  }
}
