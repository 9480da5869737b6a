/* depthwise_int8_avx2.c: the AVX2 int8 DepthwiseConv2D bodies (depth multiplier 1): tl_dw8_q_avx2, the
 * kernel set's dw_q, and tl_dw8_sums16_avx2, the 16-channel sums the AVX2 and VNNI sets share.
 *
 * What this is: code compiled for AVX2 with a function attribute; it reads the weights in place and the
 * biases from the packed data (depthwise_conv2d_int8_opt.c), so the AVX2 level packs nothing of its own.
 * What this is not: the op driver or the packing (depthwise_conv2d_int8_opt.c), the GEMM micro-kernels
 * (gemm_int8_avx2.c), used off x86 (empty there).
 *
 * Algorithm (dw_q). A block is 16 int16 lanes: 16 channels of one pixel, or (the 8-channel block past the
 * last 16) 8 channels of two horizontally adjacent pixels. Per tap, the lanes' 16 input bytes are widened
 * once (vpmovsxbw) and multiplied with vpmaddwd by two weight vectors, one holding the tap's weights in the
 * even int16 lanes and zeros in the odd ones, the other the reverse: each int32 of the products is one exact
 * x * w (the zero partner adds nothing), so the even lanes' sums (E) and the odd lanes' (O) are 8 int32 each,
 * with no shuffle to pair taps. A pixel whose taps are all inside starts at the folded bias
 * bias - input_zp * sum(w) and takes x as it is, or, where the block's folded bias might leave int32, at the
 * bias with x - input_zp; a border pixel starts at the bias and takes x - input_zp over the taps inside only.
 * Each gives the reference's integer bias + sum over the taps inside of (x - zp) * w. The requantization is the
 * reference's (rounding doubling high multiply, rounding divide by 2^-shift, zero point, clamp) on E and O
 * with per-lane constants set up once per block; vpunpckl/hdq of the two results restore the channel order.
 * Pixels whose taps are all inside take the offsets of the taps from one pointer (3x3: unrolled). */
#include "../geometry.h"
#include "gemm_int8_internal.h"

#if defined(TL_I8_X86)
#include <immintrin.h>

#define TL_DW8X_AVX2_ __attribute__((target("avx2")))
#define TL_DW8X_MAX_TAPS 64 /* the tap offsets and the weight vectors on the stack; larger kernels: the generic path */

/* Depthwise (the generic path's 16 channels): (x - zp) * w as int16 products (exact), widened into two int32
 * vectors. */
TL_DW8X_AVX2_ void tl_dw8_sums16_avx2(int32_t *sums, const tl_dw8_pixel *t) {
  __m256i lo = _mm256_setzero_si256(), hi = lo;
  const __m256i zp = _mm256_set1_epi16((int16_t)t->zp);
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      const __m256i xv = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)xp)), zp);
      const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)wp));
      const __m256i pr = _mm256_mullo_epi16(xv, wv);
      lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(pr)));
      hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(pr, 1)));
    }
  _mm256_storeu_si256((__m256i *)(void *)sums, lo);
  _mm256_storeu_si256((__m256i *)(void *)(sums + 8), hi);
}

/* Requantization constants of 8 int32 lanes (E or O): multiplier (and its odd lanes moved to the even
 * positions of the 64-bit lanes, for vpmuldq), right shift, its mask and half mask. */
typedef struct tl_dw8x_rq {
  __m256i m, m_odd, right, mask, half;
} tl_dw8x_rq;

typedef struct tl_dw8x_block {
  tl_dw8x_rq e, o;
  __m256i start_e, start_o; /* the interior sums' start: folded bias or bias */
  __m256i bias_e, bias_o;   /* the bias (the border pixels' start) */
  __m256i zp16, lo8, hi8;   /* output zero point as int16, the clamp as int8 */
  __m256i in_zp16;          /* the input zero point (unfolded sums) */
  const int16_t *w;         /* per tap: the 16 lanes' weights in the even int16 lanes (odd ones zero), then in
                               the odd lanes (even ones zero) */
} tl_dw8x_block;

/* The reference's requantization before the zero point: floor((a * m + 2^30) / 2^31) (the rounding doubling
 * high multiply: its nudge and truncation give this floor for either sign) taken as bits 31..62 of the 64-bit
 * sum (the value fits int32), then the rounding divide by 2^right: the floor shift, plus one where the
 * remainder exceeds half the divisor (or equals it for x >= 0). */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) __m256i tl_dw8x_rq8(__m256i a, const tl_dw8x_rq *c) {
  const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
  const __m256i pe = _mm256_mul_epi32(a, c->m), po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), c->m_odd);
  const __m256i x = _mm256_blend_epi32(_mm256_srli_epi64(_mm256_add_epi64(pe, nudge), 31),
                                       _mm256_slli_epi64(_mm256_add_epi64(po, nudge), 1), 0xAA);
  const __m256i threshold = _mm256_sub_epi32(c->half, _mm256_srai_epi32(x, 31));
  return _mm256_sub_epi32(_mm256_srav_epi32(x, c->right), _mm256_cmpgt_epi32(_mm256_and_si256(x, c->mask), threshold));
}

/* The 16 output bytes of the lanes' sums: E lane i is lane 2i, O lane i lane 2i + 1; vpunpckldq / vpunpckhdq
 * give lanes 0-3 | 8-11 and 4-7 | 12-15, packed in order. The zero point is added after the saturating pack
 * to int16 and the clamp is on the bytes: where v + zp is within int8 |v| <= 255 packs unchanged, elsewhere
 * every saturation keeps v + zp past the same int8 end, which the clamp to [act_min, act_max] maps as the
 * reference does. */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) __m128i tl_dw8x_out(__m256i e, __m256i o,
                                                                               const tl_dw8x_block *k) {
  const __m256i re = tl_dw8x_rq8(e, &k->e), ro = tl_dw8x_rq8(o, &k->o);
  const __m256i w = _mm256_adds_epi16(_mm256_packs_epi32(_mm256_unpacklo_epi32(re, ro), _mm256_unpackhi_epi32(re, ro)),
                                      k->zp16);
  const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  return _mm_min_epi8(_mm_max_epi8(b, _mm256_castsi256_si128(k->lo8)), _mm256_castsi256_si128(k->hi8));
}

/* One tap: the 16 lanes' bytes xb times the tap's weights (wt: even-lane vector, then odd-lane vector). */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) void tl_dw8x_tap(const int fold, __m256i *e, __m256i *o,
                                                                             __m128i xb, const int16_t *wt,
                                                                             __m256i in_zp16) {
  __m256i v = _mm256_cvtepi8_epi16(xb);
  if (!fold) v = _mm256_sub_epi16(v, in_zp16);
  *e = _mm256_add_epi32(*e, _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(const void *)wt)));
  *o = _mm256_add_epi32(*o, _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(const void *)(wt + 16))));
}

/* The lanes' bytes of a tap at offset off: 16 channels at xa, or 8 at xa and 8 at xb (pair). */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) __m128i tl_dw8x_load(const int pair, const int8_t *xa,
                                                                                const int8_t *xb) {
  if (!pair) return _mm_loadu_si128((const __m128i *)(const void *)xa);
  return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)xa),
                            _mm_loadl_epi64((const __m128i *)(const void *)xb));
}

/* Output bytes: 16 channels at ya, or 8 at ya and (two) 8 at yb. */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) void tl_dw8x_store(const int pair, int two, int8_t *ya,
                                                                              int8_t *yb, __m128i v) {
  if (!pair) {
    _mm_storeu_si128((__m128i *)(void *)ya, v);
    return;
  }
  _mm_storel_epi64((__m128i *)(void *)ya, v);
  if (two) _mm_storel_epi64((__m128i *)(void *)yb, _mm_unpackhi_epi64(v, v));
}

/* A pixel (or pair) whose taps are all inside: tap t at xa + off[t] (nt: a constant where the caller makes
 * it one). */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) __m128i tl_dw8x_inside(const int32_t nt, const int fold,
                                                                                  const int pair, const int8_t *xa,
                                                                                  const int8_t *xb,
                                                                                  const int64_t *off,
                                                                                  const tl_dw8x_block *k) {
  __m256i e = k->start_e, o = k->start_o;
  for (int32_t t = 0; t < nt; t++)
    tl_dw8x_tap(fold, &e, &o, tl_dw8x_load(pair, xa + off[t], xb + off[t]), k->w + (size_t)t * 32, k->in_zp16);
  return tl_dw8x_out(e, o, k);
}

/* The geometry shared by every block of one call. */
typedef struct tl_dw8x_geo {
  const tl_conv_params *g;
  int64_t x_row, x_step;             /* bytes per input row, per output column step */
  int32_t taps, ox_lo, ox_hi;        /* output columns [ox_lo, ox_hi) have every column tap inside */
  int64_t off[TL_DW8X_MAX_TAPS];     /* tap t's offset from tap (0, 0) */
} tl_dw8x_geo;

/* A border pixel: the taps inside only, as x - input_zp from the bias (the unfolded sums, whose bias the entry
 * checked: the taps outside add nothing, as in the reference). */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) __m128i tl_dw8x_border(const int pair, const int8_t *xb,
                                                                                  int64_t iy0, int32_t ky0,
                                                                                  int32_t ky1, int64_t ix0,
                                                                                  const tl_dw8x_geo *d,
                                                                                  const tl_dw8x_block *k) {
  const tl_conv_params *g = d->g;
  int32_t kx0, kx1;
  tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
  __m256i e = k->bias_e, o = k->bias_o;
  for (int32_t ky = ky0; ky < ky1; ky++) {
    const int8_t *src = xb + (iy0 + (int64_t)ky * g->dilation_h) * d->x_row +
                        (ix0 + (int64_t)kx0 * g->dilation_w) * g->in_c;
    const int16_t *wt = k->w + (size_t)(ky * g->k_w + kx0) * 32;
    for (int32_t kx = kx0; kx < kx1; kx++, src += (int64_t)g->dilation_w * g->in_c, wt += 32)
      tl_dw8x_tap(0, &e, &o, tl_dw8x_load(pair, src, src), wt, k->in_zp16);
  }
  return tl_dw8x_out(e, o, k);
}

/* Every output of one block (channels from c0: 16, or 8 with pair). fold, pair: constants per instance. */
TL_DW8X_AVX2_ static inline __attribute__((always_inline)) void tl_dw8x_run(const int fold, const int pair,
                                                                            int8_t *y, const int8_t *x, int32_t c0,
                                                                            const tl_dw8x_geo *d,
                                                                            const tl_dw8x_block *k) {
  const tl_conv_params *g = d->g;
  const int64_t ch = g->in_c, step = d->x_step;
  const int three = g->k_h == 3 && g->k_w == 3;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * d->x_row + c0;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      int32_t ky0, ky1;
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
      int8_t *yrow = y + ((int64_t)b * g->out_h + oy) * g->out_w * ch + c0;
      const int full = ky0 == 0 && ky1 == g->k_h;
      const int32_t lo = full ? d->ox_lo : g->out_w, hi = full ? d->ox_hi : g->out_w;
      int32_t ox = 0;
      for (; ox < lo; ox++) { /* left border (or a whole row with taps outside) */
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        tl_dw8x_store(pair, 0, yrow + ox * ch, NULL, tl_dw8x_border(pair, xb, iy0, ky0, ky1, ix0, d, k));
      }
      if (ox < hi) {
        const int8_t *xp = xb + iy0 * d->x_row + tl_geo_start(ox, g->stride_w, g->pad_left) * ch;
        int8_t *yp = yrow + ox * ch;
        if (pair) { /* two pixels per pass */
          for (; ox + 2 <= hi; ox += 2, xp += 2 * step, yp += 2 * ch)
            tl_dw8x_store(pair, 1, yp, yp + ch,
                          three ? tl_dw8x_inside(9, fold, pair, xp, xp + step, d->off, k)
                                : tl_dw8x_inside(d->taps, fold, pair, xp, xp + step, d->off, k));
          if (ox < hi) {
            tl_dw8x_store(pair, 0, yp, NULL,
                          three ? tl_dw8x_inside(9, fold, pair, xp, xp, d->off, k)
                                : tl_dw8x_inside(d->taps, fold, pair, xp, xp, d->off, k));
            ox++;
          }
        } else if (three) {
          for (; ox < hi; ox++, xp += step, yp += ch)
            tl_dw8x_store(pair, 0, yp, NULL, tl_dw8x_inside(9, fold, pair, xp, xp, d->off, k));
        } else {
          for (; ox < hi; ox++, xp += step, yp += ch)
            tl_dw8x_store(pair, 0, yp, NULL, tl_dw8x_inside(d->taps, fold, pair, xp, xp, d->off, k));
        }
      }
      for (; ox < g->out_w; ox++) { /* right border, or the rest of a row with taps outside */
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        tl_dw8x_store(pair, 0, yrow + ox * ch, NULL, tl_dw8x_border(pair, xb, iy0, ky0, ky1, ix0, d, k));
      }
    }
  }
}

/* Per-lane requantization constants: lane l of E (o = 0) or O (o = 1) is block lane 2l + o, channel
 * c0 + lane (16 channels) or c0 + lane % 8 (pair). */
TL_DW8X_AVX2_ static void tl_dw8x_rq_init(tl_dw8x_rq *r, const tl_requant_int8 *q, int32_t c0, int pair, int o) {
  int32_t m[8], s[8];
  for (int32_t l = 0; l < 8; l++) {
    const int32_t lane = 2 * l + o, c = c0 + (pair ? lane % 8 : lane);
    m[l] = q->channels > 1 ? q->multipliers[c] : q->multiplier;
    s[l] = q->channels > 1 ? -q->shifts[c] : -q->shift;
  }
  const __m256i one = _mm256_set1_epi32(1);
  r->m = _mm256_loadu_si256((const __m256i *)(const void *)m);
  r->m_odd = _mm256_srli_epi64(r->m, 32);
  r->right = _mm256_loadu_si256((const __m256i *)(const void *)s);
  r->mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, r->right), one);
  r->half = _mm256_srli_epi32(r->mask, 1);
}

/* The block's weights as tl_dw8x_block.w wants them (wv: taps * 32 int16), from the weights in place. */
TL_DW8X_AVX2_ static void tl_dw8x_weights(int16_t *wv, const int8_t *w, int32_t taps, int32_t ch, int32_t c0,
                                          int pair) {
  const __m256i zero = _mm256_setzero_si256();
  for (int32_t t = 0; t < taps; t++) {
    const int8_t *src = w + (int64_t)t * ch + c0;
    __m128i b;
    if (pair) { /* 8 channels in both halves */
      b = _mm_loadl_epi64((const __m128i *)(const void *)src);
      b = _mm_unpacklo_epi64(b, b);
    } else {
      b = _mm_loadu_si128((const __m128i *)(const void *)src);
    }
    const __m256i v = _mm256_cvtepi8_epi16(b);
    _mm256_storeu_si256((__m256i *)(void *)(wv + (size_t)t * 32), _mm256_blend_epi16(v, zero, 0xAA));
    _mm256_storeu_si256((__m256i *)(void *)(wv + (size_t)t * 32 + 16), _mm256_blend_epi16(zero, v, 0xAA));
  }
}

/* struct tl_i8_kernels.dw_q: the blocks of 16 channels, then one of 8 where at least 8 remain; returns the
 * channels done (the driver's generic path does the rest). The folded bias and its flag come from the
 * packed VNNI section (see depthwise_conv2d_int8_opt.c: lane l of half h is channel 8 (l / 4) + 4 h + l % 4
 * of its 32-channel block), the bias from the packed int64 bias. Nothing for the single rounding, kernels of
 * more than TL_DW8X_MAX_TAPS taps, or a bias that the unfolded sums could carry out of int32. */
TL_DW8X_AVX2_ int32_t tl_dw8_q_avx2(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias,
                                    const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t ch = g->in_c, taps = g->k_h * g->k_w, c16 = ch / 16 * 16;
  const int64_t lim = (int64_t)INT32_MAX - (int64_t)taps * 255 * 128;
  const uint8_t *vnni = (const uint8_t *)(const void *)bias + (size_t)(((int64_t)ch + 15) / 16 * 16) * sizeof(int64_t);
  const size_t vnni_bytes = tl_dw8_vnni_block_bytes(taps);
  tl_dw8x_geo d;
  int16_t wv[TL_DW8X_MAX_TAPS * 32];
  if (ch < 8 || taps > TL_DW8X_MAX_TAPS || lim < 0 || p->out.single_rounding) return 0;
  int32_t far = 0; /* no early exit: a loop compilers vectorize */
  for (int32_t c = 0; c < ch; c++) far |= (bias[c] > lim) | (bias[c] < -lim);
  if (far) return 0;
  d.g = g;
  d.x_row = (int64_t)g->in_w * ch;
  d.x_step = (int64_t)g->stride_w * ch;
  d.taps = taps;
  for (int32_t t = 0; t < taps; t++)
    d.off[t] = (int64_t)(t / g->k_w) * g->dilation_h * d.x_row + (int64_t)(t % g->k_w) * g->dilation_w * ch;
  d.ox_lo = 0;
  while (d.ox_lo < g->out_w && tl_geo_start(d.ox_lo, g->stride_w, g->pad_left) < 0) d.ox_lo++;
  d.ox_hi = d.ox_lo;
  while (d.ox_hi < g->out_w &&
         tl_geo_start(d.ox_hi, g->stride_w, g->pad_left) + (int64_t)(g->k_w - 1) * g->dilation_w < g->in_w)
    d.ox_hi++;
  const int32_t c_end = ch - c16 >= 8 ? c16 + 8 : c16;
  for (int32_t c0 = 0; c0 < c_end; c0 += 16) {
    const uint8_t *vb = vnni + (size_t)(c0 / TL_DW8_VB) * vnni_bytes;
    const int32_t *vfold = (const int32_t *)(const void *)(vb + 64);
    const int pair = c0 + 16 > ch;
    int32_t fold, start[16], raw[16];
    tl_dw8x_block k;
    memcpy(&fold, vb, sizeof fold);
    if (fold && pair) { /* the 8-channel block by horizontal tap pairs (depthwise_int8_pairs_avx2.c) */
      for (int32_t lane = 0; lane < 8; lane++) {
        const int32_t j = c0 % TL_DW8_VB + lane;
        start[lane] = vfold[((j % 8) / 4) * 16 + 4 * (j / 8) + j % 4];
      }
      if (tl_dw8_pairs_avx2(y, x, w, start, c0, p)) continue;
    }
    for (int32_t lane = 0; lane < 16; lane++) { /* E (even lanes) in slots 0..7, O in 8..15 */
      const int32_t j = c0 % TL_DW8_VB + (pair ? lane % 8 : lane), slot = (lane % 2) * 8 + lane / 2;
      start[slot] = vfold[((j % 8) / 4) * 16 + 4 * (j / 8) + j % 4];
      raw[slot] = (int32_t)bias[c0 + (pair ? lane % 8 : lane)];
    }
    tl_dw8x_rq_init(&k.e, &p->out, c0, pair, 0);
    tl_dw8x_rq_init(&k.o, &p->out, c0, pair, 1);
    k.bias_e = _mm256_loadu_si256((const __m256i *)(const void *)raw);
    k.bias_o = _mm256_loadu_si256((const __m256i *)(const void *)(raw + 8));
    k.start_e = fold ? _mm256_loadu_si256((const __m256i *)(const void *)start) : k.bias_e;
    k.start_o = fold ? _mm256_loadu_si256((const __m256i *)(const void *)(start + 8)) : k.bias_o;
    k.zp16 = _mm256_set1_epi16((int16_t)p->out.output_zp);
    k.lo8 = _mm256_set1_epi8((char)p->out.act_min);
    k.hi8 = _mm256_set1_epi8((char)p->out.act_max);
    k.in_zp16 = _mm256_set1_epi16((int16_t)p->input_zp);
    tl_dw8x_weights(wv, w, taps, ch, c0, pair);
    k.w = wv;
    if (fold && !pair) tl_dw8x_run(1, 0, y, x, c0, &d, &k);
    if (fold && pair) tl_dw8x_run(1, 1, y, x, c0, &d, &k);
    if (!fold && !pair) tl_dw8x_run(0, 0, y, x, c0, &d, &k);
    if (!fold && pair) tl_dw8x_run(0, 1, y, x, c0, &d, &k);
  }
  return c_end;
}
#endif
