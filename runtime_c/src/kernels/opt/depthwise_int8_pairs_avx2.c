/* depthwise_int8_pairs_avx2.c: the AVX2 int8 DepthwiseConv2D by horizontal tap pairs (depth multiplier 1,
 * dilation 1, kernels up to TL_DW8P_MAX_K wide and high) for tl_dw8_q_avx2's block of 8 channels (the channels
 * past the last 16, e.g. MobileNetV2-0.35's 8-channel layers) where the block's folded bias fits int32.
 *
 * What this is: code compiled for AVX2 with a function attribute. Each input row the block needs is turned
 * once into a row of pair vectors: for column ix, the channels' bytes of columns ix and ix + 1 interleaved and
 * widened to int16 ((x[ix][c], x[ix + 1][c]) in the int32 lane of channel c, one vector per column; the zero point for a column or a
 * row outside the input). A ring of k_h such rows (by input row modulo k_h) follows the output rows. Output
 * pixel (oy, ox) is then, per kernel row ky and pair of kernel columns (2j, 2j + 1), one vpmaddwd of the pair
 * vector at column ox * stride + 2j (relative to -pad_left) with the weights (w[ky][2j][c], w[ky][2j + 1][c])
 * (the second zero past an odd width): x0 * w0 + x1 * w1 per channel, exact in int32, two taps per product and
 * no shuffle per tap. The sums start at the folded bias bias - input_zp * sum(w) (the caller checked that it
 * and the sums stay within int32), so a tap outside the input adds (zp - zp) * w = 0, as the reference's
 * skipped tap. The requantization is the GEMM's (tl_i8_rq8_raw: the reference's two roundings), the zero
 * point and clamp after the saturating packs (exact, see tl_i8_rq8_4rows). Even strides only ever read pairs
 * at even relative columns, so only those are built. Per pixel of 8 channels a 3x3 kernel takes 6 products
 * and a column's row build 3 instructions, where the two-pixel 16-lane block of depthwise_int8_avx2.c took 9
 * widenings and 18 products per two pixels; for blocks of 16 channels this layout was slower (the 12 weight
 * vectors no longer stay in registers), so they keep that file's kernel. What this is not: used where the ring does not fit
 * TL_DW8P_RING_BYTES or for other geometry (returns 0: the caller's kernel runs), off x86 (empty there).
 */
#include "../geometry.h"
#include "gemm_int8_avx2.h"

#if defined(TL_I8_X86)

#define TL_DW8P_MAX_K 8                 /* kernel rows and columns at most */
#define TL_DW8P_RING_BYTES (24 * 1024)  /* the ring of pair rows on the stack */

typedef struct tl_dw8p_geo {
  const tl_conv_params *g;
  int32_t kp;     /* pairs of kernel columns: ceil(k_w / 2) */
  int32_t pstep;  /* relative columns between built pair columns: 2 (even strides) or 1 */
  int32_t npos;   /* pair columns per row */
  int32_t q_lo, q_hi; /* pair columns [q_lo, q_hi) have both of their columns inside the input */
  int64_t ox_q;   /* pair columns per output column step */
  int64_t j_q;    /* pair columns per kernel column pair */
} tl_dw8p_geo;

/* The pair row of input row iy into r (npos vectors): channels c0 .. c0 + 7 of image xb. */
TL_I8_AVX2_ static void tl_dw8p_build(__m256i *r, const int8_t *xb, int64_t iy, int32_t c0, int8_t zp,
                                      const tl_dw8p_geo *d) {
  const tl_conv_params *g = d->g;
  const __m128i z = _mm_set1_epi8((char)zp);
  if (iy < 0 || iy >= g->in_h) {
    const __m256i zz = _mm256_cvtepi8_epi16(z);
    for (int32_t q = 0; q < d->npos; q++) r[q] = zz;
    return;
  }
  const int8_t *row = xb + iy * g->in_w * g->in_c + c0;
  const int64_t ch = g->in_c;
  const int64_t qstep = (int64_t)d->pstep * ch;
  const int8_t *xq = row + ((int64_t)d->q_lo * d->pstep - g->pad_left) * ch;
  for (int32_t q = d->q_lo; q < d->q_hi; q++, xq += qstep) { /* both columns inside */
    const __m128i xa = _mm_loadl_epi64((const __m128i *)(const void *)xq);
    const __m128i xc = _mm_loadl_epi64((const __m128i *)(const void *)(xq + ch));
    r[q] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(xa, xc));
  }
  for (int32_t q = 0; q < d->npos; q++) { /* the others: the zero point for a column outside */
    if (q >= d->q_lo && q < d->q_hi) continue;
    const int64_t ix = (int64_t)q * d->pstep - g->pad_left;
    __m128i xa = z, xc = z;
    if (ix >= 0 && ix < g->in_w) xa = _mm_loadl_epi64((const __m128i *)(const void *)(row + ix * ch));
    if (ix + 1 >= 0 && ix + 1 < g->in_w) xc = _mm_loadl_epi64((const __m128i *)(const void *)(row + (ix + 1) * ch));
    r[q] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(xa, xc));
  }
}

/* One output row (kh, kp: constants where the caller makes them so): rows[ky] is the pair row of kernel row ky,
 * wv[ky * kp + j] the weight pairs; 8 output bytes per pixel. */
TL_I8_AVX2_ TL_I8_INLINE void tl_dw8p_row(const int32_t kh, const int32_t kp, int8_t *y, const __m256i *const *rows,
                                          const __m256i *wv, __m256i s0, const tl_i8_rq8c *c,
                                          const tl_dw8p_geo *d) {
  const int32_t out_w = d->g->out_w;
  const int64_t ch = d->g->out_c;
  for (int32_t ox = 0; ox < out_w; ox++, y += ch) {
    __m256i a = s0;
    const int64_t qb = ox * d->ox_q;
    for (int32_t ky = 0; ky < kh; ky++)
      for (int32_t j = 0; j < kp; j++)
        a = tl_i8_acc(a, _mm256_madd_epi16(_mm256_loadu_si256(rows[ky] + qb + j * d->j_q), wv[ky * kp + j]));
    /* int16 [0-3, 0-3 | 4-7, 4-7] -> bytes [0-3, 0-3, 4-7, 4-7] -> dwords 0 and 2 */
    const __m256i r = tl_i8_rq8_raw(a, c);
    const __m256i v = _mm256_adds_epi16(_mm256_packs_epi32(r, r), c->zp16);
    const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i o = _mm_min_epi8(_mm_max_epi8(b, _mm256_castsi256_si128(c->lo8)), _mm256_castsi256_si128(c->hi8));
    _mm_storel_epi64((__m128i *)(void *)y, _mm_shuffle_epi32(o, 0x08));
  }
}

/* The 8 channels c0 .. c0 + 7 of a depthwise convolution whose folded bias start[0 .. 8) (channel order) fits:
 * 1 when done, 0 (nothing written) when the geometry is not one this file does. */
TL_I8_AVX2_ int tl_dw8_pairs_avx2(int8_t *y, const int8_t *x, const int8_t *w, const int32_t *start, int32_t c0,
                                  const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  tl_dw8p_geo d;
  if (g->dilation_h != 1 || g->dilation_w != 1 || g->k_h > TL_DW8P_MAX_K || g->k_w > TL_DW8P_MAX_K ||
      g->pad_left < 0 || g->out_w < 1)
    return 0;
  d.g = g;
  d.kp = (g->k_w + 1) / 2;
  d.pstep = g->stride_w % 2 == 0 ? 2 : 1;
  /* relative columns up to (out_w - 1) * stride_w + 2 (kp - 1), built every pstep */
  const int64_t rel_end = (int64_t)(g->out_w - 1) * g->stride_w + 2 * (d.kp - 1) + 1;
  const int64_t npos = (rel_end + d.pstep - 1) / d.pstep;
  if (npos * 32 * g->k_h > TL_DW8P_RING_BYTES) return 0;
  d.npos = (int32_t)npos;
  d.ox_q = g->stride_w / d.pstep;
  d.j_q = 2 / d.pstep;
  d.q_lo = 0; /* both columns inside: ix >= 0 and ix + 1 < in_w */
  while (d.q_lo < d.npos && (int64_t)d.q_lo * d.pstep - g->pad_left < 0) d.q_lo++;
  d.q_hi = d.q_lo;
  while (d.q_hi < d.npos && (int64_t)d.q_hi * d.pstep - g->pad_left + 1 < g->in_w) d.q_hi++;
  __m256i ring[TL_DW8P_RING_BYTES / 32];
  __m256i wv[TL_DW8P_MAX_K * (TL_DW8P_MAX_K / 2)];
  const __m256i *rows[TL_DW8P_MAX_K];
  int64_t tag[TL_DW8P_MAX_K];
  /* the weight pairs: (w[ky][2j][c], w[ky][2j + 1][c]) for the block's channels, zero past k_w */
  for (int32_t ky = 0; ky < g->k_h; ky++)
    for (int32_t j = 0; j < d.kp; j++) {
      int16_t v[16];
      for (int32_t l = 0; l < 8; l++) {
        const int64_t c = c0 + l, t = (int64_t)ky * g->k_w + 2 * j;
        v[2 * l] = w[t * g->in_c + c];
        v[2 * l + 1] = (int16_t)(2 * j + 1 < g->k_w ? w[(t + 1) * g->in_c + c] : 0);
      }
      wv[ky * d.kp + j] = _mm256_loadu_si256((const __m256i *)(const void *)v);
    }
  tl_i8_rq8c c;
  tl_i8_rq8_init(&c, &p->out, c0, 8);
  const __m256i s0 = _mm256_loadu_si256((const __m256i *)(const void *)start);
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
    for (int32_t k = 0; k < g->k_h; k++) tag[k] = INT64_MIN;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      for (int32_t ky = 0; ky < g->k_h; ky++) {
        const int64_t iy = iy0 + ky, slot = ((iy % g->k_h) + g->k_h) % g->k_h;
        if (tag[slot] != iy) {
          tl_dw8p_build(ring + slot * npos, xb, iy, c0, (int8_t)p->input_zp, &d);
          tag[slot] = iy;
        }
        rows[ky] = ring + slot * npos;
      }
      int8_t *yr = y + (((int64_t)b * g->out_h + oy) * g->out_w) * g->out_c + c0;
      if (g->k_h == 3 && d.kp == 2)
        tl_dw8p_row(3, 2, yr, rows, wv, s0, &c, &d);
      else
        tl_dw8p_row(g->k_h, d.kp, yr, rows, wv, s0, &c, &d);
    }
  }
  return 1;
}
#endif
