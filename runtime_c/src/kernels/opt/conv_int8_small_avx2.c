/* conv_int8_small_avx2.c: the AVX2 int8 Conv2D for few values per kernel row (the first convolution of an
 * image model: 3 input channels, 3x3, stride 2), the kernel set's conv_small.
 *
 * What this is: a direct convolution that reads the weights the GEMM packed (plain layout) and needs no
 * im2col. Per output row, the k_h input rows it reads are widened once to int16 into a stack buffer, with the
 * zero point where a tap falls outside the input (left and right padding, rows above or below), so every
 * output pixel reads kernel row ky as one run of k_w * in_c int16 at a fixed offset. The weights are regrouped
 * per call into the same runs (pairs of depth values of one kernel row, 16 output columns, int16; a run of odd
 * length ends in a zero weight): each pair of a pixel is one vpbroadcastd and two vpmaddwd (x0 * w0 + x1 * w1
 * per column, exact in int32) for 16 columns, four pixels per pass. The sums start at the packed corrections
 * bias - input_zp * sum(w) and take x as it is (a tap outside adds (zp - zp) * w = 0 that way, as the
 * reference's skipped tap), exact in int32 where the pack set its fits32 word; the requantization is the
 * GEMM's (tl_i8_rq8*, the reference's bytes). What this is not: used for other convolutions (returns 0: the
 * im2col path runs), off x86 (the file is empty there).
 */
#include "../geometry.h"
#include "gemm_int8_avx2.h"

#if defined(TL_I8_X86)

#define TL_CS_MAX_RUN 16      /* k_w * in_c at most (8 pairs per kernel row) */
#define TL_CS_MAX_KH 11       /* kernel rows at most */
#define TL_CS_ROWS_INT16 6144 /* the widened input rows of one output row, at most (12 KB of stack) */

/* The geometry of one call. */
typedef struct tl_cs_geo {
  const tl_conv_params *g;
  int32_t run, pairs;   /* values per kernel row (k_w * in_c), int16 pairs per kernel row */
  int64_t ld, step;     /* int16 per widened row, per output column step */
  int32_t units;        /* k_h * pairs: (kernel row, pair) units, in the order of the regrouped weights */
  int64_t off[TL_CS_MAX_KH * (TL_CS_MAX_RUN / 2)]; /* unit t's int16 offset from the pixel's tap (0, 0) */
} tl_cs_geo;

/* rows (1..4, a constant in each instance) pixels from rb (the widened rows, pixel p at p * step) against the
 * 16 columns of wv, the sums starting at cv0 / cv1; two panels' requantization and stores as the GEMM's
 * tl_i8_avx2_pair_q (cols 9..16) or one panel's (cols <= 8: t* unused). */
TL_I8_AVX2_ TL_I8_INLINE void tl_cs_pixels(const int32_t rows, const int two, int8_t *y, int64_t ldy,
                                           const int16_t *rb, const tl_cs_geo *d, const int16_t *wv, __m256i cv0,
                                           __m256i cv1, int32_t cols, const tl_i8_rq8c *c0, const tl_i8_rq8c *c1) {
  __m256i s0 = cv0, s1 = cv0, s2 = cv0, s3 = cv0, t0 = cv1, t1 = cv1, t2 = cv1, t3 = cv1;
  const int16_t *r0 = rb, *r1 = rb + d->step, *r2 = rb + 2 * d->step, *r3 = rb + 3 * d->step;
  const int16_t *w = wv;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 2
#endif
  for (int32_t t = 0; t < d->units; t++, w += 32) { /* (kernel row, pair) units */
    const int64_t o = d->off[t];
    const __m256i wa = _mm256_loadu_si256((const __m256i *)(const void *)w);
    const __m256i wb = two ? _mm256_loadu_si256((const __m256i *)(const void *)(w + 16)) : wa;
    __m256i x = tl_i8_bcast_pair(r0 + o);
    s0 = tl_i8_acc(s0, _mm256_madd_epi16(x, wa));
    if (two) t0 = tl_i8_acc(t0, _mm256_madd_epi16(x, wb));
    if (rows > 1) {
      x = tl_i8_bcast_pair(r1 + o);
      s1 = tl_i8_acc(s1, _mm256_madd_epi16(x, wa));
      if (two) t1 = tl_i8_acc(t1, _mm256_madd_epi16(x, wb));
    }
    if (rows > 2) {
      x = tl_i8_bcast_pair(r2 + o);
      s2 = tl_i8_acc(s2, _mm256_madd_epi16(x, wa));
      if (two) t2 = tl_i8_acc(t2, _mm256_madd_epi16(x, wb));
    }
    if (rows > 3) {
      x = tl_i8_bcast_pair(r3 + o);
      s3 = tl_i8_acc(s3, _mm256_madd_epi16(x, wa));
      if (two) t3 = tl_i8_acc(t3, _mm256_madd_epi16(x, wb));
    }
  }
  if (two) {
    const __m256i w0 = tl_i8_pair_w16(s0, t0, c0, c1);
    const __m256i w1 = rows > 1 ? tl_i8_pair_w16(s1, t1, c0, c1) : w0;
    tl_i8_pair_store(y, ldy, rows > 1, w0, w1, cols, c0);
    if (rows > 2) {
      const __m256i w2 = tl_i8_pair_w16(s2, t2, c0, c1);
      const __m256i w3 = rows > 3 ? tl_i8_pair_w16(s3, t3, c0, c1) : w2;
      tl_i8_pair_store(y + 2 * ldy, ldy, rows > 3, w2, w3, cols, c0);
    }
    return;
  }
  tl_i8_rq8_store_rows(y, ldy, rows, cols, s0, s1, s2, s3, c0);
}

/* One output row's pixels, four per pass (two: a constant per instance). */
TL_I8_AVX2_ TL_I8_INLINE void tl_cs_row(const int two, int8_t *y, int64_t ldy, const int16_t *rb, const tl_cs_geo *d,
                                        const int16_t *wv, __m256i cv0, __m256i cv1, int32_t cols,
                                        const tl_i8_rq8c *c0, const tl_i8_rq8c *c1) {
  const int32_t out_w = d->g->out_w;
  int32_t ox = 0;
  for (; ox + 4 <= out_w; ox += 4)
    tl_cs_pixels(4, two, y + ox * ldy, ldy, rb + ox * d->step, d, wv, cv0, cv1, cols, c0, c1);
  switch (out_w - ox) {
    case 3:
      tl_cs_pixels(3, two, y + ox * ldy, ldy, rb + ox * d->step, d, wv, cv0, cv1, cols, c0, c1);
      break;
    case 2:
      tl_cs_pixels(2, two, y + ox * ldy, ldy, rb + ox * d->step, d, wv, cv0, cv1, cols, c0, c1);
      break;
    case 1:
      tl_cs_pixels(1, two, y + ox * ldy, ldy, rb + ox * d->step, d, wv, cv0, cv1, cols, c0, c1);
      break;
    default:
      break;
  }
}

/* The k_h input rows of output row oy of image xb, widened: element e of a row is input column
 * e / in_c - pad_left, channel e % in_c; the zero point outside the input (and up to ld). */
TL_I8_AVX2_ static void tl_cs_widen(int16_t *rb, const int8_t *xb, int32_t oy, int16_t zp, const tl_cs_geo *d) {
  const tl_conv_params *g = d->g;
  const int64_t left = (int64_t)g->pad_left * g->in_c, in_row = (int64_t)g->in_w * g->in_c;
  const int64_t count = in_row < d->ld - left ? in_row : d->ld - left; /* input values that land in a row */
  for (int32_t ky = 0; ky < g->k_h; ky++) {
    int16_t *r = rb + ky * d->ld;
    const int64_t iy = tl_geo_start(oy, g->stride_h, g->pad_top) + ky;
    if (iy < 0 || iy >= g->in_h) {
      for (int64_t e = 0; e < d->ld; e++) r[e] = zp;
      continue;
    }
    const int8_t *x = xb + iy * in_row;
    for (int64_t e = 0; e < left; e++) r[e] = zp;
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
      _mm256_storeu_si256((__m256i *)(void *)(r + left + i), tl_i8_avx2_w16(x + i));
    for (; i < count; i++) r[left + i] = x[i];
    for (int64_t e = left + count; e < d->ld; e++) r[e] = zp;
  }
}

/* The weights of columns j0.. (cols of them, up to 16) regrouped from the packed panels: per kernel row ky and
 * pair j, 16 int16 pairs (w[col][ky * run + 2j], w[col][ky * run + 2j + 1]) for columns j0..j0+7, then
 * j0+8..j0+15 (zeros past the run and past cols). An even run starts every kernel row at an even depth, so a
 * row's pairs are the panels' own depth pairs: one widening load per 8 columns (the panels hold zeros past n). */
TL_I8_AVX2_ static void tl_cs_weights(int16_t *wv, const int8_t *panels, int64_t kp, int64_t npad, int32_t j0,
                                      int32_t cols, const tl_cs_geo *d) {
  const int32_t run = d->run;
  if (run % 2 == 0) {
    for (int32_t ky = 0; ky < d->g->k_h; ky++)
      for (int32_t j = 0; j < d->pairs; j++)
        for (int32_t h = 0; h < 2; h++) {
          const int64_t col = j0 + 8 * h, u = ((int64_t)ky * d->pairs + j) * 2 + h;
          const __m256i v = col < npad ? tl_i8_avx2_w16(panels + (col / 8) * 8 * kp + ((int64_t)ky * d->pairs + j) * 16)
                                       : _mm256_setzero_si256();
          _mm256_storeu_si256((__m256i *)(void *)(wv + u * 16), v);
        }
    return;
  }
  memset(wv, 0, (size_t)d->g->k_h * (size_t)d->pairs * 32 * sizeof(int16_t));
  for (int32_t c = 0; c < cols; c++) {
    const int8_t *panel = panels + (int64_t)((j0 + c) / 8) * 8 * kp + ((j0 + c) % 8) * 2;
    int16_t *dst = wv + (c / 8) * 16 + (c % 8) * 2;
    for (int32_t ky = 0; ky < d->g->k_h; ky++)
      for (int32_t v = 0; v < run; v++) {
        const int64_t i = (int64_t)ky * run + v; /* the plain packing's depth index */
        dst[(((int64_t)ky * d->pairs + v / 2) * 2) * 16 + v % 2] = panel[(i / 2) * 16 + i % 2];
      }
  }
}

/* struct tl_i8_kernels.conv_small: 1 when done; 0 (nothing written) for dilation, more than TL_CS_MAX_RUN values
 * per kernel row or TL_CS_MAX_KH rows, output rows narrower than 16 pixels (the im2col GEMM takes its 4-row
 * tiles across output rows: DS-CNN's 5-pixel rows measured 13.2 us there against 14.2 here), widened rows beyond
 * TL_CS_ROWS_INT16, or a pack whose sums might leave int32 (fits32 unset). */
TL_I8_AVX2_ int tl_conv_int8_small_avx2(int8_t *y, const int8_t *x, const void *packed,
                                        const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t n = g->out_c, depth = g->k_h * g->k_w * g->in_c;
  const int64_t kp = tl_i8_kp(depth), npad = ((int64_t)n + 7) / 8 * 8;
  const int64_t *corr = tl_i8_corr(packed);
  const int8_t *panels = (const int8_t *)(corr + npad);
  tl_cs_geo d;
  int16_t rb[TL_CS_ROWS_INT16];
  int16_t wv[TL_CS_MAX_KH * (TL_CS_MAX_RUN / 2) * 32];
  d.g = g;
  d.run = g->k_w * g->in_c;
  d.pairs = (d.run + 1) / 2;
  d.step = (int64_t)g->stride_w * g->in_c;
  /* columns -pad_left .. (out_w - 1) * stride_w - pad_left + k_w - 1, and the pair past an odd run */
  d.ld = (((int64_t)(g->out_w - 1) * g->stride_w + g->k_w) * g->in_c + 2) / 2 * 2;
  if (g->dilation_h != 1 || g->dilation_w != 1 || d.run > TL_CS_MAX_RUN || g->k_h > TL_CS_MAX_KH || g->out_w < 16 ||
      g->pad_left < 0 || (int64_t)g->pad_left * g->in_c >= d.ld || d.ld * g->k_h > TL_CS_ROWS_INT16 ||
      tl_i8_header(packed, 3) == 0 || tl_i8_header(packed, 1) != depth)
    return 0;
  d.units = g->k_h * d.pairs;
  for (int32_t t = 0; t < d.units; t++) d.off[t] = (t / d.pairs) * d.ld + 2 * (t % d.pairs);
  for (int32_t j0 = 0; j0 < n; j0 += 16) {
    const int32_t cols = n - j0 < 16 ? n - j0 : 16;
    const __m256i cv0 = tl_i8_corr8(corr + j0), cv1 = cols > 8 ? tl_i8_corr8(corr + j0 + 8) : cv0;
    tl_i8_rq8c c0, c1;
    tl_i8_rq8_init(&c0, &p->out, j0, cols < 8 ? cols : 8);
    tl_i8_rq8_init(&c1, &p->out, cols > 8 ? j0 + 8 : j0, cols > 8 ? cols - 8 : 1);
    tl_cs_weights(wv, panels, kp, npad, j0, cols, &d);
    for (int32_t b = 0; b < g->batch; b++) {
      const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
      for (int32_t oy = 0; oy < g->out_h; oy++) {
        int8_t *yr = y + (((int64_t)b * g->out_h + oy) * g->out_w) * n + j0;
        tl_cs_widen(rb, xb, oy, (int16_t)p->input_zp, &d);
        if (cols > 8)
          tl_cs_row(1, yr, n, rb, &d, wv, cv0, cv1, cols, &c0, &c1);
        else
          tl_cs_row(0, yr, n, rb, &d, wv, cv0, cv1, cols, &c0, &c1);
      }
    }
  }
  return 1;
}

#endif
