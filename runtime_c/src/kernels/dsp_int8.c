/* dsp_int8.c: int8 Conv2D, DepthwiseConv2D and FullyConnected with the Cortex-M DSP extension's dual 16-bit
 * multiply-accumulates (dsp_int8.h: the instructions, their portable twins, the contract).
 *
 * What this is: the reference kernels' loops (conv2d_int8.c, fully_connected_int8.c) with the inner dot
 * products done four bytes at a time and the requantization in 32-bit arithmetic where it is exact. What
 * this is not: a different arithmetic. Every output equals the reference kernel's, bit for bit.
 */
#include "dsp_int8.h"

#include <stddef.h>

#include "geometry.h"
#include "quant.h"

/* (-zp, -zp) as two halfwords: SXTAB16 adds it to two sign-extended input bytes, giving x - zp in
 * [-255, 255], exact in 16 bits. */
static uint32_t tl_dsp_offset_pair(int32_t zp) { return ((uint32_t)(-zp) & 0xFFFFu) * 0x10001u; }

/* floor(x / 2^e) rounded as tl_rounding_divide_by_pot (half away from zero), e in [0, 31], in 32 bits:
 * x & mask is x - floor(x / 2^e) * 2^e in two's complement, ~(~x >> e) the floor of a negative x. */
TL_DSP_INLINE int32_t tl_dsp_rounding_divide_by_pot(int32_t x, int32_t e) {
  const uint32_t mask = (1u << e) - 1u;
  const int32_t q = x >= 0 ? x >> e : ~(~x >> e);
  const uint32_t threshold = (mask >> 1) + (x < 0 ? 1u : 0u);
  return q + (((uint32_t)x & mask) > threshold ? 1 : 0);
}

/* tl_requantize_channel_int8(bias + dot, c, q): the common case (one rounding after the doubling high
 * multiply, shift <= 0, the sum within int32) in 32-bit steps with one 64-bit product; else the reference. */
static int8_t tl_dsp_requantize(int32_t dot, const int32_t *bias, int32_t c, const tl_requant_int8 *q) {
  const int64_t acc = (int64_t)(bias ? bias[c] : 0) + dot;
  const int32_t m = q->channels > 1 ? q->multipliers[c] : q->multiplier;
  const int32_t s = q->channels > 1 ? q->shifts[c] : q->shift;
  int32_t v;
  if (q->single_rounding || s > 0 || s < -31 || acc > INT32_MAX || acc < INT32_MIN || m == INT32_MIN)
    return tl_requantize_channel_int8(acc, c, q);
  {
    /* tl_srdhm(a, m): (a * m + nudge) / 2^31 truncated toward zero (a * m = INT32_MIN^2 is excluded above) */
    const int64_t ab = (int64_t)(int32_t)acc * m;
    const int64_t t = ab + (ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30));
    v = (int32_t)(t >= 0 ? t >> 31 : -((-t) >> 31));
  }
  v = tl_dsp_rounding_divide_by_pot(v, -s) + q->output_zp; /* |v| <= 2^31 / 2 + 128: no overflow */
  if (v < q->act_min) v = q->act_min;
  if (v > q->act_max) v = q->act_max;
  return (int8_t)v;
}

/* acc[j] += sum over i < n of (x[i] - zp) * w[j * ws + i], j < 4, with off = tl_dsp_offset_pair(zp).
 * Four input bytes become two halfword pairs (bytes 0, 2 and 1, 3, each minus zp), four weight bytes the
 * same two pairs, and two SMLADs add the four products. The input pairs serve all four weight rows. */
TL_DSP_INLINE void tl_dsp_dot4(int32_t acc[4], const int8_t *x, const int8_t *w, int32_t ws, int32_t n,
                               int32_t zp, uint32_t off) {
  const int8_t *w0 = w, *w1 = w + ws, *w2 = w1 + ws, *w3 = w2 + ws;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = tl_dsp_load32(x + i);
    const uint32_t xe = tl_dsp_sxtab16(off, xv), xo = tl_dsp_sxtab16_ror8(off, xv);
    uint32_t wv = tl_dsp_load32(w0 + i);
    a0 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a0);
    a0 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a0);
    wv = tl_dsp_load32(w1 + i);
    a1 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a1);
    a1 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a1);
    wv = tl_dsp_load32(w2 + i);
    a2 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a2);
    a2 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a2);
    wv = tl_dsp_load32(w3 + i);
    a3 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a3);
    a3 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a3);
  }
  for (; i < n; i++) {
    const int32_t xi = (int32_t)x[i] - zp;
    a0 += xi * w0[i];
    a1 += xi * w1[i];
    a2 += xi * w2[i];
    a3 += xi * w3[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* sum over i < n of (x[i] - zp) * w[i] */
TL_DSP_INLINE int32_t tl_dsp_dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t zp, uint32_t off) {
  int32_t a = 0, i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = tl_dsp_load32(x + i), wv = tl_dsp_load32(w + i);
    a = tl_dsp_smlad(tl_dsp_sxtb16(wv), tl_dsp_sxtab16(off, xv), a);
    a = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), tl_dsp_sxtab16_ror8(off, xv), a);
  }
  for (; i < n; i++) a += ((int32_t)x[i] - zp) * w[i];
  return a;
}

/* Taps per output at most this many take the column path of tl_conv2d_int8_dsp (a stack buffer of int16). */
#define TL_DSP_COL_MAX 512

/* acc[j] += sum over i < n of col[i] * w[j * n + i], j < 4: col holds x - zp as int16 with each whole group
 * of four taps stored in the order 0, 2, 1, 3, so its words are the halfword pairs that SXTB16 makes of
 * the weights (bytes 0, 2 and 1, 3); the last n % 4 taps are in order. */
TL_DSP_INLINE void tl_dsp_col_dot4(int32_t acc[4], const int16_t *col, const int8_t *w, int32_t n) {
  const int8_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
  const int32_t n4 = n & ~3;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, i;
  for (i = 0; i < n4; i += 4) {
    uint32_t xe, xo, wv;
    memcpy(&xe, col + i, 4);
    memcpy(&xo, col + i + 2, 4);
    wv = tl_dsp_load32(w0 + i);
    a0 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a0);
    a0 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a0);
    wv = tl_dsp_load32(w1 + i);
    a1 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a1);
    a1 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a1);
    wv = tl_dsp_load32(w2 + i);
    a2 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a2);
    a2 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a2);
    wv = tl_dsp_load32(w3 + i);
    a3 = tl_dsp_smlad(tl_dsp_sxtb16(wv), xe, a3);
    a3 = tl_dsp_smlad(tl_dsp_sxtb16_ror8(wv), xo, a3);
  }
  for (; i < n; i++) {
    a0 += col[i] * w0[i];
    a1 += col[i] * w1[i];
    a2 += col[i] * w2[i];
    a3 += col[i] * w3[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* The column of output position (iy0, ix0): col[t] = x[iy, ix, ic] - zp for tap t = (ky * k_w + kx) * in_c
 * + ic, 0 for taps outside the input (as the reference skips them), groups of four reordered 0, 2, 1, 3. */
static void tl_dsp_column(int16_t *col, const int8_t *xb, const tl_conv_params *g, int64_t iy0, int64_t ix0,
                          int32_t zp) {
  const int32_t in_c = g->in_c, n = g->k_h * g->k_w * in_c, n4 = n & ~3;
  int32_t t = 0;
  for (int32_t ky = 0; ky < g->k_h; ky++) {
    const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
    for (int32_t kx = 0; kx < g->k_w; kx++) {
      const int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
      const int inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
      const int8_t *xp = inside ? xb + ((ptrdiff_t)iy * g->in_w + (ptrdiff_t)ix) * in_c : NULL;
      for (int32_t ic = 0; ic < in_c; ic++, t++) {
        const int32_t slot = t < n4 ? ((t & ~3) | ((t & 1) << 1) | ((t >> 1) & 1)) : t;
        col[slot] = (int16_t)(inside ? (int32_t)xp[ic] - zp : 0);
      }
    }
  }
}

/* Algorithm: as tl_conv2d_int8 (direct convolution, taps outside the input skipped), output channels four
 * at a time. Up to TL_DSP_COL_MAX taps (DS-CNN's and MobileNet's layers), an output position's taps are first
 * expanded to int16 (x - zp, 0 outside the input) and every weight row runs over that column. Else, for one
 * output position and kernel row, the taps inside the input are contiguous in memory when
 * dilation_w is 1 (kernel columns kx0..kx1 times in_c), one run for the input and one per weight row. */
void tl_conv2d_int8_dsp(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                        const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                        const int8_t *w,     /* [out_c, k_h, k_w, in_c] */
                        const int32_t *bias, /* [out_c] or NULL */
                        const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t zp = p->input_zp;
  const uint32_t off = tl_dsp_offset_pair(zp);
  if ((int64_t)g->k_h * g->k_w * g->in_c > TL_DSP_INT8_MAX_TAPS) {
    tl_conv2d_int8(y, x, w, bias, p);
    return;
  }
  if ((int64_t)g->k_h * g->k_w * g->in_c <= TL_DSP_COL_MAX) {
    /* the column path: each output position's taps expanded once, then four output channels at a time */
    int16_t col[TL_DSP_COL_MAX];
    const int32_t n = g->k_h * g->k_w * g->in_c;
    for (int32_t b = 0; b < g->batch; b++) {
      const int8_t *xb = x + (ptrdiff_t)b * g->in_h * g->in_w * g->in_c; /* [in_h, in_w, in_c] */
      for (int32_t oy = 0; oy < g->out_h; oy++) {
        for (int32_t ox = 0; ox < g->out_w; ox++) {
          int8_t *yp = y + (((ptrdiff_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c; /* [out_c] */
          int32_t oc = 0;
          tl_dsp_column(col, xb, g, tl_geo_start(oy, g->stride_h, g->pad_top),
                        tl_geo_start(ox, g->stride_w, g->pad_left), zp);
          for (; oc + 4 <= g->out_c; oc += 4) {
            int32_t acc[4];
            tl_dsp_col_dot4(acc, col, w + (ptrdiff_t)oc * n, n);
            for (int32_t j = 0; j < 4; j++) yp[oc + j] = tl_dsp_requantize(acc[j], bias, oc + j, &p->out);
          }
          for (; oc < g->out_c; oc++) { /* the last out_c % 4 channels (the column's order is immaterial) */
            const int8_t *wo = w + (ptrdiff_t)oc * n;
            int32_t a = 0;
            for (int32_t t = 0; t < n; t++) {
              const int32_t slot = t < (n & ~3) ? ((t & ~3) | ((t & 1) << 1) | ((t >> 1) & 1)) : t;
              a += col[slot] * wo[t];
            }
            yp[oc] = tl_dsp_requantize(a, bias, oc, &p->out);
          }
        }
      }
    }
    return;
  }
  {
    const int32_t in_c = g->in_c, w_row = g->k_w * in_c, w_oc = g->k_h * w_row; /* <= MAX_TAPS */
    const ptrdiff_t x_row = (ptrdiff_t)g->in_w * in_c;
    for (int32_t b = 0; b < g->batch; b++) {
      const int8_t *xb = x + (ptrdiff_t)b * g->in_h * x_row; /* [in_h, in_w, in_c] */
      for (int32_t oy = 0; oy < g->out_h; oy++) {
        const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
        int32_t ky0, ky1;
        tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = 0; ox < g->out_w; ox++) {
          const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
          int32_t kx0, kx1;
          tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
          int8_t *yp = y + (((ptrdiff_t)b * g->out_h + oy) * g->out_w + ox) * g->out_c; /* [out_c] */
          /* runs: one per kernel row of n contiguous taps (dilation_w 1), else one per tap of in_c */
          const int32_t runs_per_row = g->dilation_w == 1 ? (kx1 > kx0 ? 1 : 0) : kx1 - kx0;
          const int32_t n = g->dilation_w == 1 ? (kx1 - kx0) * in_c : in_c;
          int32_t oc = 0;
          for (; oc < g->out_c; oc += 4) {
            const int32_t count = g->out_c - oc >= 4 ? 4 : 1;
            int32_t acc[4] = {0, 0, 0, 0};
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const int8_t *xr = xb + (ptrdiff_t)(iy0 + (int64_t)ky * g->dilation_h) * x_row; /* [in_w, in_c] */
              for (int32_t r = 0; r < runs_per_row; r++) {
                const int32_t kx = kx0 + r;
                const int8_t *xp = xr + (ptrdiff_t)(ix0 + (int64_t)kx * g->dilation_w) * in_c;
                const int8_t *wp = w + (ptrdiff_t)oc * w_oc + ky * w_row + kx * in_c;
                if (count == 4)
                  tl_dsp_dot4(acc, xp, wp, w_oc, n, zp, off);
                else
                  acc[0] += tl_dsp_dot1(xp, wp, n, zp, off);
              }
            }
            for (int32_t j = 0; j < count; j++) yp[oc + j] = tl_dsp_requantize(acc[j], bias, oc + j, &p->out);
            if (count == 1) oc -= 3; /* the last out_c % 4 channels, one at a time */
          }
        }
      }
    }
  }
}

/* Algorithm: as tl_depthwise_conv2d_int8 with depth multiplier 1 (output channel c reads input channel c),
 * four channels at a time: their four input bytes and four weight bytes of a tap become halfword pairs
 * (channels 0, 2 and 1, 3) and SMLABB / SMLATT add one product per channel. */
void tl_depthwise_conv2d_int8_dsp(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                                  const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                                  const int8_t *w,     /* [1, k_h, k_w, out_c] */
                                  const int32_t *bias, /* [out_c] or NULL */
                                  const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t zp = p->input_zp, c_n = g->in_c;
  const uint32_t off = tl_dsp_offset_pair(zp);
  if (g->depth_multiplier != 1 || (int64_t)g->k_h * g->k_w > TL_DSP_INT8_MAX_TAPS) {
    tl_depthwise_conv2d_int8(y, x, w, bias, p);
    return;
  }
  {
    const ptrdiff_t x_row = (ptrdiff_t)g->in_w * c_n, w_row = (ptrdiff_t)g->k_w * c_n;
    for (int32_t b = 0; b < g->batch; b++) {
      const int8_t *xb = x + (ptrdiff_t)b * g->in_h * x_row; /* [in_h, in_w, in_c] */
      for (int32_t oy = 0; oy < g->out_h; oy++) {
        const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
        int32_t ky0, ky1;
        tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = 0; ox < g->out_w; ox++) {
          const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
          int32_t kx0, kx1;
          tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
          int8_t *yp = y + (((ptrdiff_t)b * g->out_h + oy) * g->out_w + ox) * c_n; /* [out_c] */
          int32_t c = 0;
          for (; c + 4 <= c_n; c += 4) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const int8_t *xr = xb + (ptrdiff_t)(iy0 + (int64_t)ky * g->dilation_h) * x_row + c;
              const int8_t *wr = w + ky * w_row + c;
              for (int32_t kx = kx0; kx < kx1; kx++) {
                const uint32_t xv = tl_dsp_load32(xr + (ptrdiff_t)(ix0 + (int64_t)kx * g->dilation_w) * c_n);
                const uint32_t wv = tl_dsp_load32(wr + (ptrdiff_t)kx * c_n);
                const uint32_t xe = tl_dsp_sxtab16(off, xv), xo = tl_dsp_sxtab16_ror8(off, xv);
                const uint32_t we = tl_dsp_sxtb16(wv), wo = tl_dsp_sxtb16_ror8(wv);
                a0 = tl_dsp_smlabb(xe, we, a0);
                a2 = tl_dsp_smlatt(xe, we, a2);
                a1 = tl_dsp_smlabb(xo, wo, a1);
                a3 = tl_dsp_smlatt(xo, wo, a3);
              }
            }
            yp[c] = tl_dsp_requantize(a0, bias, c, &p->out);
            yp[c + 1] = tl_dsp_requantize(a1, bias, c + 1, &p->out);
            yp[c + 2] = tl_dsp_requantize(a2, bias, c + 2, &p->out);
            yp[c + 3] = tl_dsp_requantize(a3, bias, c + 3, &p->out);
          }
          for (; c < c_n; c++) { /* the last in_c % 4 channels */
            int32_t a = 0;
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const int8_t *xr = xb + (ptrdiff_t)(iy0 + (int64_t)ky * g->dilation_h) * x_row + c;
              for (int32_t kx = kx0; kx < kx1; kx++)
                a += ((int32_t)xr[(ptrdiff_t)(ix0 + (int64_t)kx * g->dilation_w) * c_n] - zp) *
                     w[ky * w_row + (ptrdiff_t)kx * c_n + c];
            }
            yp[c] = tl_dsp_requantize(a, bias, c, &p->out);
          }
        }
      }
    }
  }
}

/* Algorithm: as tl_fc_int8, four output rows at a time sharing each batch row's expanded input. */
void tl_fc_int8_dsp(int8_t *y,           /* [batch, out_depth] */
                    const int8_t *x,     /* [batch, in_depth] */
                    const int8_t *w,     /* [out_depth, in_depth] */
                    const int32_t *bias, /* [out_depth] or NULL */
                    const tl_fc_int8_params *p) {
  const int32_t n = p->in_depth, zp = p->input_zp;
  const uint32_t off = tl_dsp_offset_pair(zp);
  if (n > TL_DSP_INT8_MAX_TAPS) {
    tl_fc_int8(y, x, w, bias, p);
    return;
  }
  for (int32_t b = 0; b < p->batch; b++) {
    const int8_t *xb = x + (ptrdiff_t)b * n;   /* [in_depth] */
    int8_t *yb = y + (ptrdiff_t)b * p->out_depth; /* [out_depth] */
    int32_t o = 0;
    for (; o + 4 <= p->out_depth; o += 4) {
      int32_t acc[4] = {0, 0, 0, 0};
      tl_dsp_dot4(acc, xb, w + (ptrdiff_t)o * n, n, n, zp, off);
      for (int32_t j = 0; j < 4; j++) yb[o + j] = tl_dsp_requantize(acc[j], bias, o + j, &p->out);
    }
    for (; o < p->out_depth; o++)
      yb[o] = tl_dsp_requantize(tl_dsp_dot1(xb, w + (ptrdiff_t)o * n, n, zp, off), bias, o, &p->out);
  }
}
