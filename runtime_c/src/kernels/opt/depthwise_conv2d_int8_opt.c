/* depthwise_conv2d_int8_opt.c: DepthwiseConv2D with depth multiplier 1 on vectorized channels (see
 * opt_kernels_int8.h).
 *
 * What this is: the op driver and the packing. Per output pixel and block of 16 channels: sum over the taps
 * inside the input of (x - input_zp) * w, each product exact in int16 (|x - zp| <= 255, |w| <= 128: at most
 * 32640), summed in int32 (exact for at most TL_DW_INT8_MAX_TAPS taps); the bias is added in int64 by the
 * requantization, as in the reference. The level's dw_q (VNNI) does the leading channels in registers first.
 * The packed data: the bias as int64 (padded to 16 channels), then per block of 32 channels the VNNI section:
 * a 64-byte header (int32 1 when the folded bias fits, see tl_dw8_vnni_pack), the folded bias in the two lane
 * orders (2 x 16 int32), then per pair of taps two vectors of 16 (w_a, w_b) int16 pairs in the lane orders of
 * vpunpcklwd / vpunpckhwd (the AVX2 level reads the folded bias and its flag from there and the weights in
 * place). What this is not: a micro-kernel (gemm_int8_<level>.c, conv_int8_avx512.c, depthwise_int8_avx2.c).
 */
#include "../geometry.h"
#include "gemm_int8_internal.h"

size_t tl_dw8_vnni_block_bytes(int32_t taps) { return 64 + 128 + (size_t)((taps + 1) / 2) * 128; }

size_t tl_depthwise_int8_opt_bytes(int32_t k_h, int32_t k_w, int32_t ch) {
  const size_t blocks = (size_t)(((int64_t)ch + TL_DW8_VB - 1) / TL_DW8_VB);
  return TL_I8_ALIGN + (size_t)(((int64_t)ch + 15) / 16 * 16) * sizeof(int64_t) +
         blocks * tl_dw8_vnni_block_bytes(k_h * k_w);
}

size_t tl_depthwise_conv2d_int8_opt_packed_bytes(const tl_conv_params *g) {
  return tl_depthwise_int8_opt_bytes(g->k_h, g->k_w, g->out_c);
}

/* Lane l (0..15) of the vpunpcklwd (half 0) / vpunpckhwd (half 1) order holds channel 8 (l / 4) + 4 half + l % 4. */
static int32_t tl_dw8_lane_channel(int32_t l, int32_t half) { return 8 * (l / 4) + 4 * half + l % 4; }

/* Algorithm: folded[c] = bias[c] - input_zp * sum_t w[t, c], so that sum over the taps inside the input of
 * (x - zp) * w equals folded + sum over all taps of x' * w with x' = zp where a tap is outside. The block's
 * flag says whether |folded| + taps * 128 * 128 stays within int32 for its channels. */
static void tl_dw8_vnni_pack(uint8_t *dst, const int8_t *w, const int32_t *bias, const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t ch = g->out_c, taps = g->k_h * g->k_w, pairs = (taps + 1) / 2;
  const size_t block_bytes = tl_dw8_vnni_block_bytes(taps);
  for (int32_t c0 = 0; c0 < ch; c0 += TL_DW8_VB, dst += block_bytes) {
    int32_t ok = 1;
    int32_t *folded = (int32_t *)(void *)(dst + 64);
    int16_t *wv = (int16_t *)(void *)(dst + 192);
    for (int32_t half = 0; half < 2; half++)
      for (int32_t l = 0; l < 16; l++) {
        /* 16 channels: lanes 16..31 repeat them (two adjacent pixels per vector, see tl_dw8v_image) */
        const int32_t c = c0 + tl_dw8_lane_channel(l, half) - (ch == 16 && tl_dw8_lane_channel(l, half) >= 16 ? 16 : 0);
        int64_t f = 0;
        if (c < ch) {
          int64_t sum = 0;
          for (int32_t t = 0; t < taps; t++) sum += w[(int64_t)t * ch + c];
          f = (bias ? (int64_t)bias[c] : 0) - (int64_t)p->input_zp * sum;
          if ((f < 0 ? -f : f) > (int64_t)INT32_MAX - (int64_t)taps * 16384) ok = 0;
        }
        folded[half * 16 + l] = ok ? (int32_t)f : 0;
        for (int32_t q = 0; q < pairs; q++)
          for (int32_t e = 0; e < 2; e++) {
            const int32_t t = 2 * q + e;
            wv[((int64_t)q * 2 + half) * 32 + 2 * l + e] = (int16_t)(c < ch && t < taps ? w[(int64_t)t * ch + c] : 0);
          }
      }
    memcpy(dst, &ok, sizeof ok);
  }
}

void tl_depthwise_conv2d_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias,
                                       const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  uint8_t *base = (uint8_t *)packed + (tl_i8_base(packed) - (const uint8_t *)packed);
  int64_t *b = (int64_t *)(void *)base;
  const size_t bias_bytes = (size_t)(((int64_t)g->out_c + 15) / 16 * 16) * sizeof(int64_t);
  memset(packed, 0, tl_depthwise_conv2d_int8_opt_packed_bytes(g));
  for (int32_t c = 0; c < g->out_c; c++) b[c] = bias ? bias[c] : 0;
  tl_dw8_vnni_pack(base + bias_bytes, w, bias, p);
}

/* The sums of cols (< 16, or a level without dw_sums16) channels. */
static void tl_dw8_sums_any(int32_t *sums, int32_t cols, const tl_dw8_pixel *t) {
  for (int32_t c = 0; c < cols; c++) sums[c] = 0;
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      for (int32_t c = 0; c < cols; c++) sums[c] += ((int32_t)xp[c] - t->zp) * wp[c];
    }
}

void tl_depthwise_conv2d_int8_opt_rows(int8_t *y, const int8_t *x, const int8_t *w, const void *packed,
                                       const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0,
                                       int32_t oy1) {
  const tl_conv_params *g = &p->geom;
  tl_conv_int8_params s = *p;
  s.geom.batch = 1;
  s.geom.out_h = oy1 - oy0;
  s.geom.pad_top = (int32_t)-tl_geo_start(oy0, g->stride_h, g->pad_top); /* fits: oy0 * stride_h < in_h + pad_top */
  tl_depthwise_conv2d_int8_opt(y + ((int64_t)b * g->out_h + oy0) * g->out_w * g->out_c,
                               x + (int64_t)b * g->in_h * g->in_w * g->in_c, w, packed, &s, level);
}

void tl_depthwise_conv2d_int8_opt(int8_t *y, const int8_t *x, const int8_t *w, const void *packed,
                                  const tl_conv_int8_params *p, tl_i8_level level) {
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const tl_conv_params *g = &p->geom;
  const int64_t ch = g->in_c, x_row = (int64_t)g->in_w * ch;
  const int64_t *bias = (const int64_t *)(const void *)tl_i8_base(packed);
  const tl_requant_int8 *q = &p->out;
  const int32_t inline_requant = tl_i8_inline_ok(q);
  int32_t sums[16];
  tl_dw8_pixel t;
  t.x_dy = (int64_t)g->dilation_h * x_row;
  t.x_dx = (int64_t)g->dilation_w * ch;
  t.w_dy = (int64_t)g->k_w * ch;
  t.w_dx = ch;
  t.zp = p->input_zp;
  /* channels before c_start are done */
  const int32_t c_start = inline_requant && ks->dw_q != NULL ? ks->dw_q(y, x, w, bias, p) : 0;
  if (c_start == ch) return;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &t.ky0, &t.ky1);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * ch;
        tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &t.kx0, &t.kx1);
        for (int32_t c0 = c_start; c0 < ch; c0 += 16) {
          const int32_t cols = ch - c0 < 16 ? (int32_t)(ch - c0) : 16;
          t.x = xb + c0;
          t.x_off = (int64_t)iy0 * x_row + (int64_t)ix0 * ch;
          t.w = w + c0;
          if (cols == 16 && ks->dw_sums16 != NULL)
            ks->dw_sums16(sums, &t);
          else
            tl_dw8_sums_any(sums, cols, &t);
          tl_i8_requant_rows(ks, yp + c0, 0, sums, 1, bias + c0, c0, cols, q, inline_requant);
        }
      }
    }
  }
}
