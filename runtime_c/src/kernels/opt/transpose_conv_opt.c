/* transpose_conv_opt.c: optimized float32 TransposeConv: a GEMM into columns, then col2im (see opt_kernels.h).
 *
 * What this is: blocks of TL_TCONV_BLOCK_ROWS input pixels times the weights, packed once as the [n, k] matrix
 * with n = k_h k_w out_c (rows in (ky, kx, oc) order) and k = in_c, give each pixel's contribution to every
 * output it touches (cols [pixels, k_h, k_w, out_c]); each (ky, kx) slice of out_c floats is added into its
 * output pixel (col2im), which starts as the bias; the activation clamps last. Every multiply-add is one the
 * transposed convolution needs: a Conv2D on a zero-inserted input would do stride_h x stride_w times as many.
 * The GEMM of a block is the level's packed GEMM; col2im is plain C (the compiler vectorizes the out_c loop).
 * What this is not: the specification (tl_transpose_conv_f32): results match it within float rounding.
 */
#include <math.h>
#include <string.h>

#include "opt_kernels.h"

size_t tl_transpose_conv_f32_opt_packed_floats(const tl_conv_params *p, tl_isa isa) {
  return tl_gemm_packed_floats(isa, p->k_h * p->k_w * p->out_c, p->in_c);
}

size_t tl_transpose_conv_f32_opt_scratch_floats(const tl_conv_params *p) {
  const int64_t pixels = (int64_t)p->batch * p->in_h * p->in_w;
  const int64_t rows = pixels < TL_TCONV_BLOCK_ROWS ? pixels : TL_TCONV_BLOCK_ROWS;
  return (size_t)rows * (size_t)p->k_h * (size_t)p->k_w * (size_t)p->out_c;
}

/* Panels of the [(ky, kx, oc), ic] matrix read from w [oc, k_h, k_w, in_c]; the bias row stays zero (col2im
 * starts from the bias). */
void tl_transpose_conv_f32_opt_pack(float *packed, const float *w, const tl_conv_params *p, tl_isa isa) {
  const int32_t nr = tl_gemm_nr(isa), n = p->k_h * p->k_w * p->out_c, k = p->in_c;
  memset(packed, 0, tl_transpose_conv_f32_opt_packed_floats(p, isa) * sizeof(float));
  for (int32_t j = 0; j < n; j++) {
    const int32_t oc = j % p->out_c, tap = j / p->out_c; /* tap = ky * k_w + kx */
    const float *wj = w + ((int64_t)oc * p->k_h * p->k_w + tap) * k; /* [in_c] */
    float *panel = packed + (int64_t)(j / nr) * ((int64_t)k + 1) * nr;
    for (int32_t i = 0; i < k; i++) panel[(int64_t)(i + 1) * nr + j % nr] = wj[i];
  }
}

void tl_transpose_conv_f32_opt(float *y, const float *x, const float *packed, const float *bias, float *cols,
                               const tl_conv_params *p, tl_isa isa) {
  const int64_t pixels = (int64_t)p->batch * p->in_h * p->in_w, out_pixels = (int64_t)p->batch * p->out_h * p->out_w;
  const int32_t n = p->k_h * p->k_w * p->out_c, oc = p->out_c;
  tl_gemm_f32_args g;
  for (int64_t i = 0; i < out_pixels; i++) { /* y starts as the bias */
    if (bias) memcpy(y + i * oc, bias, (size_t)oc * sizeof(float));
    else memset(y + i * oc, 0, (size_t)oc * sizeof(float));
  }
  g.n = n;
  g.k = p->in_c;
  g.lda = p->in_c;
  g.b_packed = packed;
  g.c = cols;
  g.ldc = n;
  g.act.min = -INFINITY;
  g.act.max = INFINITY;
  for (int64_t r0 = 0; r0 < pixels; r0 += TL_TCONV_BLOCK_ROWS) {
    const int32_t rows = (int32_t)(pixels - r0 < TL_TCONV_BLOCK_ROWS ? pixels - r0 : TL_TCONV_BLOCK_ROWS);
    g.m = rows;
    g.a = x + r0 * p->in_c;
    tl_gemm_f32(&g, isa);
    for (int32_t r = 0; r < rows; r++) { /* col2im: pixel (b, iy, ix) of the block */
      const int64_t pix = r0 + r;
      const int32_t ix = (int32_t)(pix % p->in_w), iy = (int32_t)(pix / p->in_w % p->in_h);
      const int64_t b = pix / p->in_w / p->in_h;
      for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int32_t oy = iy * p->stride_h - p->pad_top + ky;
        if (oy < 0 || oy >= p->out_h) continue;
        for (int32_t kx = 0; kx < p->k_w; kx++) {
          const int32_t ox = ix * p->stride_w - p->pad_left + kx;
          const float *src = cols + (int64_t)r * n + (int64_t)(ky * p->k_w + kx) * oc; /* [out_c] */
          float *dst = y + ((b * p->out_h + oy) * p->out_w + ox) * oc;                  /* [out_c] */
          if (ox < 0 || ox >= p->out_w) continue;
          for (int32_t c = 0; c < oc; c++) dst[c] += src[c];
        }
      }
    }
  }
  if (p->act.min != -INFINITY || p->act.max != INFINITY) {
    for (int64_t i = 0; i < out_pixels * oc; i++) {
      const float v = p->act.min > y[i] ? p->act.min : y[i];
      y[i] = p->act.max < v ? p->act.max : v;
    }
  }
}
