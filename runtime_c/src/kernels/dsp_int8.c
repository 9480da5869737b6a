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

/* y[j] = tl_requantize_channel_int8(bias[c + j] + acc[j], c + j, q) for j < count. The common case (one
 * rounding after the doubling high multiply, shift <= 0, bias + acc within int32) runs in 32-bit steps and
 * one 32 x 32 -> 64-bit product (SMULL); anything else through the reference. tl_srdhm's quotient
 * (a m + nudge) / 2^31 truncated toward zero equals floor((a m + 2^30) / 2^31) for both signs of a m (for
 * a m < 0, truncating (a m + 1 - 2^30) / 2^31 is flooring (a m + 1 - 2^30 + 2^31 - 1) / 2^31). */
TL_DSP_NOINLINE void tl_dsp_requantize(int8_t *y, const int32_t *acc, int32_t count, const int32_t *bias,
                                       int32_t c, const tl_requant_int8 *q) {
  const int per_channel = q->channels > 1;
  const int32_t *mp = per_channel ? q->multipliers + c : &q->multiplier; /* [count] or one for all */
  const int32_t *sp = per_channel ? q->shifts + c : &q->shift;
  const int32_t step = per_channel ? 1 : 0, zp = q->output_zp, lo = q->act_min, hi = q->act_max;
  if (q->single_rounding) {
    for (int32_t j = 0; j < count; j++)
      y[j] = tl_requantize_channel_int8((int64_t)(bias ? bias[c + j] : 0) + acc[j], c + j, q);
    return;
  }
  for (int32_t j = 0; j < count; j++, mp += step, sp += step) {
    const int32_t b = bias ? bias[c + j] : 0, dot = acc[j], m = *mp;
    const uint32_t e = (uint32_t)(-*sp); /* right shift; a left shift (shift > 0) wraps to a large value */
    int32_t v;
    if (e > 31u || m == INT32_MIN || (b >= 0 ? dot > INT32_MAX - b : dot < INT32_MIN - b)) {
      y[j] = tl_requantize_channel_int8((int64_t)b + dot, c + j, q);
      continue;
    }
    {
      const int64_t t = (int64_t)(b + dot) * (int64_t)m + ((int64_t)1 << 30);
      v = (int32_t)(t >= 0 ? t >> 31 : ~((~t) >> 31)); /* floor(t / 2^31), in int32 range */
    }
    v = tl_dsp_rounding_divide_by_pot(v, (int32_t)e) + zp; /* |v| <= 2^31 / 2 + 128: no overflow */
    y[j] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
  }
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

/* Outputs requantized per call (a stack block of int32 sums). */
#define TL_DSP_BLOCK 16

/* Taps per output at most this many take the column path of tl_conv2d_int8_dsp (a 1 KB stack buffer). */
#define TL_DSP_COL_MAX 256

/* Columns of two output positions A and B, interleaved by groups of four taps: words 4g and 4g + 1 hold A's
 * taps 4g..4g+3 minus the zero point as halfword pairs (taps 0, 2) and (1, 3), the pairs SXTB16 makes of four
 * weight bytes; words 4g + 2 and 4g + 3 hold B's. The last n % 4 taps are in tail_a / tail_b.
 * acc = {A . w0, A . w1, B . w0, B . w1}: each weight word serves two positions, each column word two rows. */
TL_DSP_NOINLINE void tl_dsp_col_dot2x2(int32_t acc[4], const uint32_t *cw, const int16_t *tail_a,
                                       const int16_t *tail_b, const int8_t *w0, const int8_t *w1, int32_t n) {
  const uint32_t *const end = cw + 4 * (n >> 2);
  int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  for (; cw < end; cw += 4, w0 += 4, w1 += 4) {
    const uint32_t ae = cw[0], ao = cw[1], be = cw[2], bo = cw[3];
    uint32_t wv = tl_dsp_load32(w0), we = tl_dsp_sxtb16(wv), wo = tl_dsp_sxtb16_ror8(wv);
    a0 = tl_dsp_smlad(we, ae, a0);
    a0 = tl_dsp_smlad(wo, ao, a0);
    b0 = tl_dsp_smlad(we, be, b0);
    b0 = tl_dsp_smlad(wo, bo, b0);
    wv = tl_dsp_load32(w1);
    we = tl_dsp_sxtb16(wv);
    wo = tl_dsp_sxtb16_ror8(wv);
    a1 = tl_dsp_smlad(we, ae, a1);
    a1 = tl_dsp_smlad(wo, ao, a1);
    b1 = tl_dsp_smlad(we, be, b1);
    b1 = tl_dsp_smlad(wo, bo, b1);
  }
  for (int32_t i = 0; i < (n & 3); i++) {
    a0 += tail_a[i] * w0[i];
    a1 += tail_a[i] * w1[i];
    b0 += tail_b[i] * w0[i];
    b1 += tail_b[i] * w1[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = b0;
  acc[3] = b1;
}

/* One position's column (layout above: cw is A's or B's first word, groups 4 words apart): tap t = (ky * k_w
 * + kx) * in_c + ic holds x[iy, ix, ic] - zp, 0 outside the input (as the reference skips it). A whole group
 * inside one run of input bytes is one load and two SXTAB16s; other taps go one by one. */
static void tl_dsp_column(uint32_t *cw, int16_t *tail, const int8_t *xb, const tl_conv_params *g, int32_t iy0,
                          int32_t ix0, int32_t n4, uint32_t off) {
  const int32_t in_c = g->in_c, zp = -(int32_t)(int16_t)(off & 0xFFFFu);
  int32_t t = 0;
  for (int32_t ky = 0, iy = iy0; ky < g->k_h; ky++, iy += g->dilation_h) {
    for (int32_t kx = 0, ix = ix0; kx < g->k_w; kx++, ix += g->dilation_w) {
      const int inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
      const int8_t *xp = inside ? xb + ((ptrdiff_t)iy * g->in_w + ix) * in_c : xb;
      const int32_t start = t, end = t + in_c;
      while (t < end) {
        if ((t & 3) == 0 && t + 4 <= end && t + 4 <= n4) {
          const uint32_t xv = inside ? tl_dsp_load32(xp + (t - start)) : 0;
          cw[t] = inside ? tl_dsp_sxtab16(off, xv) : 0; /* word 4g: t = 4g */
          cw[t + 1] = inside ? tl_dsp_sxtab16_ror8(off, xv) : 0;
          t += 4;
        } else {
          const int32_t v = inside ? (int32_t)xp[t - start] - zp : 0;
          if (t < n4) { /* tap j of its group: word j & 1, halfword j >> 1 */
            uint32_t *word = cw + (t & ~3) + (t & 1);
            const int32_t sh = (t & 2) ? 16 : 0;
            *word = (*word & ~(0xFFFFu << sh)) | (((uint32_t)v & 0xFFFFu) << sh);
          } else {
            tail[t - n4] = (int16_t)v;
          }
          t++;
        }
      }
    }
  }
}

/* Algorithm: as tl_conv2d_int8 (direct convolution, taps outside the input skipped). Up to TL_DSP_COL_MAX
 * taps (DS-CNN's layers), two output positions' taps are first expanded to halfwords (x - zp, 0 outside the
 * input) and two weight rows at a time run over both columns (tl_dsp_col_dot2x2). Else output channels four at
 * a time: for one output position and kernel row, the taps inside the input are contiguous in memory when
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
    /* the column path: two output positions' taps expanded once, then two output channels at a time */
    uint32_t cw[TL_DSP_COL_MAX];
    int16_t tail_a[3], tail_b[3];
    const int32_t n = g->k_h * g->k_w * g->in_c, n4 = n & ~3, positions = g->out_h * g->out_w;
    for (int32_t b = 0; b < g->batch; b++) {
      const int8_t *xb = x + (ptrdiff_t)b * g->in_h * g->in_w * g->in_c; /* [in_h, in_w, in_c] */
      int8_t *ybat = y + (ptrdiff_t)b * positions * g->out_c;           /* [out_h * out_w, out_c] */
      for (int32_t pa = 0; pa < positions; pa += 2) {
        const int32_t pb = pa + 1 < positions ? pa + 1 : pa; /* an odd last position pairs with itself */
        int8_t *ya = ybat + (ptrdiff_t)pa * g->out_c, *yb = ybat + (ptrdiff_t)pb * g->out_c; /* [out_c] */
        /* window starts lie in (-eff, in): int32 (geometry.h) */
        tl_dsp_column(cw, tail_a, xb, g, (int32_t)tl_geo_start(pa / g->out_w, g->stride_h, g->pad_top),
                      (int32_t)tl_geo_start(pa % g->out_w, g->stride_w, g->pad_left), n4, off);
        tl_dsp_column(cw + 2, tail_b, xb, g, (int32_t)tl_geo_start(pb / g->out_w, g->stride_h, g->pad_top),
                      (int32_t)tl_geo_start(pb % g->out_w, g->stride_w, g->pad_left), n4, off);
        for (int32_t oc0 = 0; oc0 < g->out_c; oc0 += TL_DSP_BLOCK) { /* requantized a block at a time */
          const int32_t block = g->out_c - oc0 < TL_DSP_BLOCK ? g->out_c - oc0 : TL_DSP_BLOCK;
          int32_t acc_a[TL_DSP_BLOCK], acc_b[TL_DSP_BLOCK];
          for (int32_t k = 0; k < block; k += 2) {
            const int32_t oc = oc0 + k, two = k + 1 < block; /* an odd last channel pairs with itself */
            int32_t acc[4];
            tl_dsp_col_dot2x2(acc, cw, tail_a, tail_b, w + (ptrdiff_t)oc * n, w + (ptrdiff_t)(oc + two) * n, n);
            acc_a[k] = acc[0];
            acc_b[k] = acc[2];
            if (two) {
              acc_a[k + 1] = acc[1];
              acc_b[k + 1] = acc[3];
            }
          }
          tl_dsp_requantize(ya + oc0, acc_a, block, bias, oc0, &p->out);
          if (pb != pa) tl_dsp_requantize(yb + oc0, acc_b, block, bias, oc0, &p->out);
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
            tl_dsp_requantize(yp + oc, acc, count, bias, oc, &p->out);
            if (count == 1) oc -= 3; /* the last out_c % 4 channels, one at a time */
          }
        }
      }
    }
  }
}

/* Kernel windows of at most this many taps take tl_depthwise_conv2d_int8_dsp (a stack list of their offsets). */
#define TL_DSP_DW_MAX_TAPS 64

/* acc[j] = sum over the taps t of (x[offsets[2t] + j] - zp) * w[offsets[2t + 1] + j], j < 4: four channels'
 * input bytes and weight bytes of a tap become halfword pairs (channels 0, 2 and 1, 3; SXTAB16 subtracts the
 * zero point) and SMLABB / SMLATT add one product per channel. */
TL_DSP_NOINLINE void tl_dsp_dw4(int32_t acc[4], const int8_t *x, const int8_t *w, const int32_t *offsets,
                                int32_t taps, uint32_t off) {
  const int32_t *o = offsets, *const end = offsets + 2 * taps;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (; o < end; o += 2) {
    const uint32_t xv = tl_dsp_load32(x + o[0]), wv = tl_dsp_load32(w + o[1]);
    const uint32_t xe = tl_dsp_sxtab16(off, xv), xo = tl_dsp_sxtab16_ror8(off, xv);
    const uint32_t we = tl_dsp_sxtb16(wv), wo = tl_dsp_sxtb16_ror8(wv);
    a0 = tl_dsp_smlabb(xe, we, a0);
    a2 = tl_dsp_smlatt(xe, we, a2);
    a1 = tl_dsp_smlabb(xo, wo, a1);
    a3 = tl_dsp_smlatt(xo, wo, a3);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* Algorithm: as tl_depthwise_conv2d_int8 with depth multiplier 1 (output channel c reads input channel c):
 * per output position, the list of its taps inside the input, then four channels at a time over it
 * (tl_dsp_dw4). Windows of more than TL_DSP_DW_MAX_TAPS taps, other depth multipliers and inputs of 2^31
 * bytes or more run the reference kernel. */
void tl_depthwise_conv2d_int8_dsp(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                                  const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                                  const int8_t *w,     /* [1, k_h, k_w, out_c] */
                                  const int32_t *bias, /* [out_c] or NULL */
                                  const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t zp = p->input_zp, c_n = g->in_c;
  const uint32_t off = tl_dsp_offset_pair(zp);
  if (g->depth_multiplier != 1 || (int64_t)g->k_h * g->k_w > TL_DSP_DW_MAX_TAPS ||
      (int64_t)g->in_h * g->in_w * c_n > INT32_MAX) {
    tl_depthwise_conv2d_int8(y, x, w, bias, p);
    return;
  }
  {
    const ptrdiff_t x_row = (ptrdiff_t)g->in_w * c_n;
    int32_t offsets[2 * TL_DSP_DW_MAX_TAPS];
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
          /* the taps inside the input as (input offset, weight offset) pairs from channel 0 of this position's
           * window and of the weights (tap positions fit in int32: geometry.h) */
          int32_t taps = 0, c = 0;
          for (int32_t ky = ky0; ky < ky1; ky++) {
            for (int32_t kx = kx0; kx < kx1; kx++, taps++) {
              const int32_t iy = (int32_t)iy0 + ky * g->dilation_h, ix = (int32_t)ix0 + kx * g->dilation_w;
              offsets[2 * taps] = (iy * g->in_w + ix) * c_n;
              offsets[2 * taps + 1] = (ky * g->k_w + kx) * c_n;
            }
          }
          for (; c + 4 <= c_n; c += TL_DSP_BLOCK) { /* requantized a block at a time */
            const int32_t block = (c_n - c < TL_DSP_BLOCK ? c_n - c : TL_DSP_BLOCK) & ~3;
            int32_t acc[TL_DSP_BLOCK];
            for (int32_t k = 0; k < block; k += 4) tl_dsp_dw4(acc + k, xb + c + k, w + c + k, offsets, taps, off);
            tl_dsp_requantize(yp + c, acc, block, bias, c, &p->out);
            if (block < TL_DSP_BLOCK) {
              c += block;
              break;
            }
          }
          for (; c < c_n; c++) { /* the last in_c % 4 channels */
            int32_t a = 0;
            for (int32_t t = 0; t < taps; t++)
              a += ((int32_t)xb[offsets[2 * t] + c] - zp) * w[offsets[2 * t + 1] + c];
            tl_dsp_requantize(yp + c, &a, 1, bias, c, &p->out);
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
      tl_dsp_requantize(yb + o, acc, 4, bias, o, &p->out);
    }
    for (; o < p->out_depth; o++) {
      const int32_t a = tl_dsp_dot1(xb, w + (ptrdiff_t)o * n, n, zp, off);
      tl_dsp_requantize(yb + o, &a, 1, bias, o, &p->out);
    }
  }
}
