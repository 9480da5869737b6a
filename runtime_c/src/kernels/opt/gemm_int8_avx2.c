/* gemm_int8_avx2.c: the AVX2 int8 micro-kernels (NR 8, G 2), the 4-wide requantization, and the AVX2 kernel
 * set (its depthwise entries live in depthwise_int8_avx2.c).
 *
 * What this is: code compiled for AVX2 with a function attribute (the rest of the binary stays baseline x86);
 * each depth pair of 8 columns is 16 bytes, sign-extended to 16 int16 and multiplied by the broadcast pair
 * (x0, x1) with vpmaddwd: x0*w0 + x1*w1 per column, exact in int32. What this is not: used off x86 (the file
 * is empty there).
 */
#include "../geometry.h"
#include "gemm_int8_avx2.h"

#if defined(TL_I8_X86)

/* The sums of the live rows (rows: a constant 1..4) += their broadcast pair times the weights w16(wp). */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_step(const int32_t rows, __m256i *c0, __m256i *c1, __m256i *c2, __m256i *c3,
                                              __m256i x0, __m256i x1, __m256i x2, __m256i x3, const int8_t *wp) {
  const __m256i bv = tl_i8_avx2_w16(wp);
  *c0 = tl_i8_acc(*c0, _mm256_madd_epi16(x0, bv));
  if (rows > 1) *c1 = tl_i8_acc(*c1, _mm256_madd_epi16(x1, bv));
  if (rows > 2) *c2 = tl_i8_acc(*c2, _mm256_madd_epi16(x2, bv));
  if (rows > 3) *c3 = tl_i8_acc(*c3, _mm256_madd_epi16(x3, bv));
}

/* Row x's 16 bytes from i as int16: the low 8 in both 128-bit lanes (*lo), the high 8 likewise (*hi). */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_widen(const int8_t *x, __m256i *lo, __m256i *hi) {
  const __m256i w = tl_i8_avx2_w16(x);
  *lo = _mm256_permute2x128_si256(w, w, 0x00);
  *hi = _mm256_permute2x128_si256(w, w, 0x11);
}

/* Pair (x[0], x[1]) (x[1] 0 when one) as the int32 word of two int16. */
static inline int32_t tl_i8_pair(const int8_t *x, int one) {
  return (int32_t)((uint32_t)(uint16_t)(int16_t)x[0] | (one ? 0u : (uint32_t)(uint16_t)(int16_t)x[1] << 16));
}

/* rows (1..4) is a constant in every instance: the accumulators are plain variables, starting at init. */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                              const int8_t *b, int32_t *acc, __m256i init) {
  __m256i c0 = init, c1 = c0, c2 = c0, c3 = c0;
  const int32_t pairs = k / 2, blocks = k / 16;
  const int8_t *a0 = a, *a1 = a + (rows > 1 ? lda : 0), *a2 = a + (rows > 2 ? 2 * lda : 0);
  const int8_t *a3 = a + (rows > 3 ? 3 * lda : 0);
  /* blocks of 8 pairs: each row's 16 bytes widened to int16 once, pair p broadcast by an in-lane shuffle */
  for (int32_t blk = 0; blk < blocks; blk++) {
    const int8_t *bb = b + (int64_t)blk * 128;
    __m256i lo0, hi0, lo1 = _mm256_setzero_si256(), hi1 = lo1, lo2 = lo1, hi2 = lo1, lo3 = lo1, hi3 = lo1;
    tl_i8_avx2_widen(a0 + blk * 16, &lo0, &hi0);
    if (rows > 1) tl_i8_avx2_widen(a1 + blk * 16, &lo1, &hi1);
    if (rows > 2) tl_i8_avx2_widen(a2 + blk * 16, &lo2, &hi2);
    if (rows > 3) tl_i8_avx2_widen(a3 + blk * 16, &lo3, &hi3);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(lo0, 0x00), _mm256_shuffle_epi32(lo1, 0x00),
                    _mm256_shuffle_epi32(lo2, 0x00), _mm256_shuffle_epi32(lo3, 0x00), bb);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(lo0, 0x55), _mm256_shuffle_epi32(lo1, 0x55),
                    _mm256_shuffle_epi32(lo2, 0x55), _mm256_shuffle_epi32(lo3, 0x55), bb + 16);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(lo0, 0xAA), _mm256_shuffle_epi32(lo1, 0xAA),
                    _mm256_shuffle_epi32(lo2, 0xAA), _mm256_shuffle_epi32(lo3, 0xAA), bb + 32);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(lo0, 0xFF), _mm256_shuffle_epi32(lo1, 0xFF),
                    _mm256_shuffle_epi32(lo2, 0xFF), _mm256_shuffle_epi32(lo3, 0xFF), bb + 48);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(hi0, 0x00), _mm256_shuffle_epi32(hi1, 0x00),
                    _mm256_shuffle_epi32(hi2, 0x00), _mm256_shuffle_epi32(hi3, 0x00), bb + 64);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(hi0, 0x55), _mm256_shuffle_epi32(hi1, 0x55),
                    _mm256_shuffle_epi32(hi2, 0x55), _mm256_shuffle_epi32(hi3, 0x55), bb + 80);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(hi0, 0xAA), _mm256_shuffle_epi32(hi1, 0xAA),
                    _mm256_shuffle_epi32(hi2, 0xAA), _mm256_shuffle_epi32(hi3, 0xAA), bb + 96);
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_shuffle_epi32(hi0, 0xFF), _mm256_shuffle_epi32(hi1, 0xFF),
                    _mm256_shuffle_epi32(hi2, 0xFF), _mm256_shuffle_epi32(hi3, 0xFF), bb + 112);
  }
  for (int32_t g = blocks * 8; g < pairs; g++) /* the remaining pairs, assembled from bytes */
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_set1_epi32(tl_i8_pair(a0 + g * 2, 0)),
                    _mm256_set1_epi32(rows > 1 ? tl_i8_pair(a1 + g * 2, 0) : 0),
                    _mm256_set1_epi32(rows > 2 ? tl_i8_pair(a2 + g * 2, 0) : 0),
                    _mm256_set1_epi32(rows > 3 ? tl_i8_pair(a3 + g * 2, 0) : 0), b + (int64_t)g * 16);
  if (k & 1) /* the last value alone */
    tl_i8_avx2_step(rows, &c0, &c1, &c2, &c3, _mm256_set1_epi32(tl_i8_pair(a0 + k - 1, 1)),
                    _mm256_set1_epi32(rows > 1 ? tl_i8_pair(a1 + k - 1, 1) : 0),
                    _mm256_set1_epi32(rows > 2 ? tl_i8_pair(a2 + k - 1, 1) : 0),
                    _mm256_set1_epi32(rows > 3 ? tl_i8_pair(a3 + k - 1, 1) : 0), b + (int64_t)pairs * 16);
  _mm256_storeu_si256((__m256i *)(void *)acc, c0);
  if (rows > 1) _mm256_storeu_si256((__m256i *)(void *)(acc + 16), c1);
  if (rows > 2) _mm256_storeu_si256((__m256i *)(void *)(acc + 32), c2);
  if (rows > 3) _mm256_storeu_si256((__m256i *)(void *)(acc + 48), c3);
}

TL_I8_AVX2_ static void tl_i8_tile_avx2(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                        int32_t *acc) {
  const __m256i zero = _mm256_setzero_si256();
  if (rows >= 4) tl_i8_avx2_rows(4, a, lda, k, b, acc, zero); /* rows: a constant in each instance */
  if (rows == 3) tl_i8_avx2_rows(3, a, lda, k, b, acc, zero);
  if (rows == 2) tl_i8_avx2_rows(2, a, lda, k, b, acc, zero);
  if (rows <= 1) tl_i8_avx2_rows(1, a, lda, k, b, acc, zero);
}

/* ---- rows_q: up to 4 rows against every panel in [jb, je), requantized in registers ----
 * The rows are widened to int16 once (a16, zero-padded to whole pairs) and reused by every panel: each depth
 * pair is then one vpbroadcastd load per row instead of an in-register shuffle (the shuffle ports were the
 * bottleneck of tl_i8_avx2_rows on Zen 3). The sums start at the panel's corrections (fits32: exact). */

/* One panel: rows (1..4, a constant in each instance) of a16 (ld16 apart, pairs pairs), the sums starting at
 * the panel's corrections cv, requantized with c. */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_panel_q(const int32_t rows, int8_t *y, int64_t ldy, const int16_t *a16,
                                                 int64_t ld16, int32_t pairs, const int8_t *b, __m256i cv,
                                                 int32_t cols, const tl_i8_rq8c *c) {
  __m256i c0 = cv, c1 = c0, c2 = c0, c3 = c0;
  const int16_t *r0 = a16, *r1 = a16 + (rows > 1 ? ld16 : 0), *r2 = a16 + (rows > 2 ? 2 * ld16 : 0);
  const int16_t *r3 = a16 + (rows > 3 ? 3 * ld16 : 0);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
  for (int32_t g = 0; g < pairs; g++) {
    const __m256i bv = tl_i8_avx2_w16(b + (int64_t)g * 16);
    c0 = tl_i8_acc(c0, _mm256_madd_epi16(tl_i8_bcast_pair(r0 + 2 * g), bv));
    if (rows > 1) c1 = tl_i8_acc(c1, _mm256_madd_epi16(tl_i8_bcast_pair(r1 + 2 * g), bv));
    if (rows > 2) c2 = tl_i8_acc(c2, _mm256_madd_epi16(tl_i8_bcast_pair(r2 + 2 * g), bv));
    if (rows > 3) c3 = tl_i8_acc(c3, _mm256_madd_epi16(tl_i8_bcast_pair(r3 + 2 * g), bv));
  }
  tl_i8_rq8_store_rows(y, ldy, rows, cols, c0, c1, c2, c3, c);
}

/* Two panels (16 columns, cols of them live, 9..16): rows (1..4, a constant in each instance) of a16, two
 * accumulators per row (8 + 2 weight vectors + the broadcast and a product: no spills; six rows spilled under
 * gcc), so each broadcast pair feeds two vpmaddwd and each widened weight vector four: the loop is bound by
 * dispatch on Zen 3, and this is 22 instructions per 128 products where one panel took 13-14 per 64. The sums
 * start at the corrections cv0, cv1; per row the two vectors are requantized (c0, c1), packed to 16 int16
 * [0-3, 8-11, 4-7, 12-15] plus the zero point, two rows packed to bytes and a dword permute puts each row's 16
 * bytes in order. */
#define TL_I8_PAIR_ACC_(r, ra)                                                          \
  if (rows > (r)) {                                                                     \
    const __m256i x_ = tl_i8_bcast_pair((ra) + 2 * g);                                  \
    s##r = tl_i8_acc(s##r, _mm256_madd_epi16(x_, b0));                                  \
    t##r = tl_i8_acc(t##r, _mm256_madd_epi16(x_, b1));                                  \
  }
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_pair_q(const int32_t rows, int8_t *y, int64_t ldy, const int16_t *a16,
                                                int64_t ld16, int32_t pairs, const int8_t *bp0, const int8_t *bp1,
                                                __m256i cv0, __m256i cv1, int32_t cols, const tl_i8_rq8c *c0,
                                                const tl_i8_rq8c *c1) {
  __m256i s0 = cv0, s1 = cv0, s2 = cv0, s3 = cv0, t0 = cv1, t1 = cv1, t2 = cv1, t3 = cv1;
  const int16_t *r0 = a16, *r1 = a16 + (rows > 1 ? ld16 : 0), *r2 = a16 + (rows > 2 ? 2 * ld16 : 0);
  const int16_t *r3 = a16 + (rows > 3 ? 3 * ld16 : 0);
  for (int32_t g = 0; g < pairs; g++) {
    const __m256i b0 = tl_i8_avx2_w16(bp0 + (int64_t)g * 16), b1 = tl_i8_avx2_w16(bp1 + (int64_t)g * 16);
    TL_I8_PAIR_ACC_(0, r0)
    TL_I8_PAIR_ACC_(1, r1)
    TL_I8_PAIR_ACC_(2, r2)
    TL_I8_PAIR_ACC_(3, r3)
  }
  const __m256i w0 = tl_i8_pair_w16(s0, t0, c0, c1);
  const __m256i w1 = rows > 1 ? tl_i8_pair_w16(s1, t1, c0, c1) : w0;
  tl_i8_pair_store(y, ldy, rows > 1, w0, w1, cols, c0);
  if (rows > 2) {
    const __m256i w2 = tl_i8_pair_w16(s2, t2, c0, c1);
    const __m256i w3 = rows > 3 ? tl_i8_pair_w16(s3, t3, c0, c1) : w2;
    tl_i8_pair_store(y + 2 * ldy, ldy, rows > 3, w2, w3, cols, c0);
  }
}
#undef TL_I8_PAIR_ACC_

/* rows (1..TL_I8_ROWS_Q_ROWS) rows, widened into a16 when rows * k fits it (else 0: nothing written); per two
 * panels the requantization constants and corrections once, then the rows 4 at a time (a last single panel
 * likewise). */
TL_I8_AVX2_ static int tl_i8_rows_q_avx2(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t rows, int32_t k,
                                         const int8_t *panels, int64_t panel_bytes, const int64_t *corr, int32_t jb,
                                         int32_t je, int32_t n, const tl_requant_int8 *q) {
  int16_t a16[TL_I8_ROWS_Q_A16];
  const int32_t pairs = (k + 1) / 2;
  const int64_t ld16 = 2 * (int64_t)pairs;
  if (rows < 1 || rows > TL_I8_ROWS_Q_ROWS || (int64_t)rows * ld16 > TL_I8_ROWS_Q_A16) return 0;
  int32_t r = 0;
  if (lda == k && ld16 == k) { /* dense rows of even depth: one run of rows * k values */
    const int64_t total = (int64_t)rows * k;
    int64_t i = 0;
    for (; i + 16 <= total; i += 16) _mm256_storeu_si256((__m256i *)(void *)(a16 + i), tl_i8_avx2_w16(a + i));
    r = (int32_t)(i / k); /* the rows not wholly done go below */
  }
  for (; r < rows; r++) {
    const int8_t *x = a + r * lda;
    int16_t *d = a16 + r * ld16;
    int32_t i = 0;
    for (; i + 16 <= k; i += 16) _mm256_storeu_si256((__m256i *)(void *)(d + i), tl_i8_avx2_w16(x + i));
    if (i < k && k >= 16) /* the last 16, overlapping what is done: the same values again */
      _mm256_storeu_si256((__m256i *)(void *)(d + k - 16), tl_i8_avx2_w16(x + k - 16));
    else if (i < k && i + 8 <= k) { /* 8..15 left of a short row: 8 at once, then the rest */
      _mm_storeu_si128((__m128i *)(void *)(d + i), _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)(x + i))));
      for (i += 8; i < k; i++) d[i] = x[i];
    } else
      for (; i < k; i++) d[i] = x[i];
    if (k & 1) d[k] = 0;
  }
  int32_t j0 = jb;
  for (; j0 + 8 < je && j0 + 8 < n; j0 += 16) { /* two panels, the second with at least one live column */
    const int8_t *b = panels + (int64_t)(j0 / 8) * panel_bytes;
    const int32_t cols = n - j0 < 16 ? n - j0 : 16;
    const __m256i cv0 = tl_i8_corr8(corr + j0), cv1 = tl_i8_corr8(corr + j0 + 8);
    tl_i8_rq8c c0, c1;
    tl_i8_rq8_init(&c0, q, j0, 8);
    tl_i8_rq8_init(&c1, q, j0 + 8, cols - 8);
    int32_t r0 = 0;
    for (; r0 + 4 <= rows; r0 += 4)
      tl_i8_avx2_pair_q(4, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, b + panel_bytes, cv0, cv1, cols,
                        &c0, &c1);
    switch (rows - r0) {
      case 3:
        tl_i8_avx2_pair_q(3, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, b + panel_bytes, cv0, cv1,
                          cols, &c0, &c1);
        break;
      case 2:
        tl_i8_avx2_pair_q(2, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, b + panel_bytes, cv0, cv1,
                          cols, &c0, &c1);
        break;
      case 1:
        tl_i8_avx2_pair_q(1, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, b + panel_bytes, cv0, cv1,
                          cols, &c0, &c1);
        break;
      default:
        break;
    }
  }
  for (; j0 < je; j0 += 8) { /* a last single panel */
    const int8_t *b = panels + (int64_t)(j0 / 8) * panel_bytes;
    const int32_t cols = n - j0 < 8 ? n - j0 : 8;
    const __m256i cv = tl_i8_corr8(corr + j0);
    tl_i8_rq8c c;
    tl_i8_rq8_init(&c, q, j0, cols);
    int32_t r0 = 0;
    for (; r0 + 4 <= rows; r0 += 4)
      tl_i8_avx2_panel_q(4, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, cv, cols, &c);
    if (rows - r0 == 3)
      tl_i8_avx2_panel_q(3, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, cv, cols, &c);
    else if (rows - r0 == 2)
      tl_i8_avx2_panel_q(2, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, cv, cols, &c);
    else if (rows - r0 == 1)
      tl_i8_avx2_panel_q(1, y + r0 * ldy + j0, ldy, a16 + r0 * ld16, ld16, pairs, b, cv, cols, &c);
  }
  return 1;
}

/* tl_i8_requant of 4 outputs in the 64-bit lanes of AVX2 (acc = raw + corr saturated to int32, then the
 * single rounding shift of the VNNI level's tl_rq16; AVX2 has no 64-bit arithmetic shift: ((t ^ s) >> n) ^ s
 * with s the sign mask). single: the reference's one rounding (nudge 2^(30+r) less 1 when a * m < 0).
 * Returns the 4 values (in [lo, hi]) in the low 32 bits of each lane. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_requant4_avx2(__m256i acc, __m256i m, __m256i right, __m256i zp, __m256i lo,
                                                    __m256i hi, int single) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1);
  const __m256i i32min = _mm256_set1_epi64x(INT32_MIN), i32max = _mm256_set1_epi64x(INT32_MAX);
  const __m256i pos = _mm256_cmpgt_epi64(right, zero);
  const __m256i up = _mm256_sllv_epi64(one, _mm256_add_epi64(right, _mm256_set1_epi64x(30)));
  __m256i a = _mm256_blendv_epi8(acc, i32max, _mm256_cmpgt_epi64(acc, i32max));
  a = _mm256_blendv_epi8(a, i32min, _mm256_cmpgt_epi64(i32min, a));
  const __m256i ab = _mm256_mul_epi32(a, m);
  __m256i t;
  if (single) {
    t = _mm256_sub_epi64(_mm256_add_epi64(ab, up), _mm256_and_si256(_mm256_cmpgt_epi64(zero, ab), one));
  } else {
    const __m256i k = _mm256_add_epi64(_mm256_set1_epi64x((int64_t)1 << 30), _mm256_and_si256(pos, up));
    const __m256i below = _mm256_cmpgt_epi64(_mm256_set1_epi64x(-((int64_t)1 << 30)), ab); /* a * m < -2^30 */
    t = _mm256_sub_epi64(_mm256_add_epi64(ab, k),
                         _mm256_and_si256(_mm256_and_si256(below, pos), _mm256_set1_epi64x((int64_t)1 << 31)));
  }
  const __m256i sign = _mm256_cmpgt_epi64(zero, t);
  const __m256i sh = _mm256_add_epi64(right, _mm256_set1_epi64x(31));
  __m256i v = _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(t, sign), sh), sign);
  v = _mm256_add_epi64(v, zp);
  v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
  return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

/* tl_i8_requant_rows_scalar with 4 outputs per step. */
TL_I8_AVX2_ static void tl_i8_requant_rows_avx2(int8_t *y, int64_t ldy, const int32_t *raw, int32_t rows,
                                                const int64_t *corr, int32_t j0, int32_t cols,
                                                const tl_requant_int8 *q) {
  const int per_channel = q->channels > 1;
  const __m256i zp = _mm256_set1_epi64x(q->output_zp), lo = _mm256_set1_epi64x(q->act_min);
  const __m256i hi = _mm256_set1_epi64x(q->act_max), gather = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  for (int32_t r = 0; r < rows; r++, y += ldy, raw += 16) {
    int32_t j = 0;
    for (; j + 4 <= cols; j += 4) {
      __m256i m, right;
      if (per_channel) {
        m = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(q->multipliers + j0 + j)));
        right = _mm256_sub_epi64(_mm256_setzero_si256(),
                                 _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(q->shifts + j0 + j))));
      } else {
        m = _mm256_set1_epi64x(q->multiplier);
        right = _mm256_set1_epi64x(-(int64_t)q->shift);
      }
      const __m256i acc = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(raw + j))),
                                           _mm256_loadu_si256((const __m256i *)(const void *)(corr + j)));
      const __m128i v32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(tl_i8_requant4_avx2(acc, m, right, zp, lo, hi, q->single_rounding), gather));
      const int32_t bytes = _mm_cvtsi128_si32(_mm_packs_epi16(_mm_packs_epi32(v32, v32), _mm_setzero_si128()));
      memcpy(y + j, &bytes, 4);
    }
    tl_i8_requant_tail(y, raw, corr, j0, j, cols, q);
  }
}

/* ---- im2col: tl_conv_int8_patch of `rows` consecutive output positions from pos0, rows ld >= depth bytes
 * apart ----
 * Copies go in increasing address order, so the garbage tail of a 16-byte store is overwritten by the next
 * copy, or lies in [depth, ld) where the packed weights are zero, or in the scratch's slack (at most 15 bytes
 * past the row). Loads never pass x_end (the end of the image): a run of n bytes is 16-byte loads, the last
 * one ending at the run's end (n >= 16) or, for a short run near x_end, a memcpy. */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_copy_avx2(int8_t *dst, const int8_t *src, int64_t n, const int8_t *x_end) {
  if (n < 16) {
    if (src + 16 <= x_end)
      _mm_storeu_si128((__m128i *)(void *)dst, _mm_loadu_si128((const __m128i *)(const void *)src));
    else
      memcpy(dst, src, (size_t)n);
    return;
  }
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
  if (i < n)
    _mm_storeu_si128((__m128i *)(void *)(dst + n - 16), _mm_loadu_si128((const __m128i *)(const void *)(src + n - 16)));
}

TL_I8_AVX2_ static void tl_conv_int8_im2col_avx2(int8_t *dst, int64_t ld, const int8_t *xb, const int8_t *x_end,
                                                 int64_t pos0, int32_t rows, int8_t zp, const tl_conv_params *g) {
  const int64_t in_c = g->in_c, row = (int64_t)g->k_w * in_c, x_row = (int64_t)g->in_w * in_c;
  const int32_t k_h = g->k_h, k_w = g->k_w, in_h = g->in_h, in_w = g->in_w, out_w = g->out_w;
  const int32_t dil_h = g->dilation_h, dil_w = g->dilation_w, s_h = g->stride_h, s_w = g->stride_w;
  const int64_t span_h = (int64_t)(k_h - 1) * dil_h; /* rows below iy0 that the taps reach */
  int32_t oy = (int32_t)(pos0 / out_w), ox = (int32_t)(pos0 % out_w);
  for (int32_t r = 0; r < rows; r++, dst += ld) {
    const int64_t iy0 = tl_geo_start(oy, s_h, g->pad_top), ix0 = tl_geo_start(ox, s_w, g->pad_left);
    const int full_w = dil_w == 1 && ix0 >= 0 && ix0 + k_w <= in_w;
    if (++ox == out_w) ox = 0, oy++;
    if (full_w && iy0 >= 0 && iy0 + span_h < in_h) { /* every tap inside */
      const int8_t *src = xb + (int64_t)iy0 * x_row + (int64_t)ix0 * in_c;
      const int64_t step = (int64_t)dil_h * x_row;
      for (int32_t ky = 0; ky < k_h; ky++, src += step) tl_i8_copy_avx2(dst + ky * row, src, row, x_end);
      continue;
    }
    int8_t *d = dst;
    for (int32_t ky = 0; ky < k_h; ky++, d += row) {
      const int64_t iy = iy0 + (int64_t)ky * dil_h;
      if (iy < 0 || iy >= in_h) {
        memset(d, zp, (size_t)row);
        continue;
      }
      const int8_t *src = xb + (int64_t)iy * x_row; /* input row iy */
      if (full_w) {
        tl_i8_copy_avx2(d, src + (int64_t)ix0 * in_c, row, x_end);
        continue;
      }
      for (int32_t kx = 0; kx < k_w; kx++) {
        const int64_t ix = ix0 + (int64_t)kx * dil_w;
        if (ix < 0 || ix >= in_w)
          memset(d + kx * in_c, zp, (size_t)in_c);
        else
          tl_i8_copy_avx2(d + kx * in_c, src + (int64_t)ix * in_c, in_c, x_end);
      }
    }
  }
}

/* ---- int8 Mean over the middle axis of [outer, reduced, inner] (pool_int8_opt.c's tl_mean_int8_opt) ----
 * Per 8 channels: the sum of x over the reduced rows in int32 (exact: reduced <= 2^23), less reduced *
 * input_zp (the reference's centered sum, exact in int32), requantized by tl_i8_rq8 with the one multiplier
 * (the caller checked that shift is in [-31, 0] and the multiplier positive); the channels past the last 8
 * by the reference's scalar requantization. */
TL_I8_AVX2_ void tl_mean_int8_avx2(int8_t *y, const int8_t *x, int64_t outer, int64_t reduced, int64_t inner,
                                   const tl_requantize_int8_params *q) {
  tl_requant_int8 rq;
  tl_i8_rq8c c;
  memset(&rq, 0, sizeof rq);
  rq.channels = 1, rq.multiplier = q->multiplier, rq.shift = q->shift, rq.output_zp = q->output_zp;
  rq.act_min = q->act_min, rq.act_max = q->act_max;
  tl_i8_rq8_init(&c, &rq, 0, 8);
  const __m256i zsum = _mm256_set1_epi32((int32_t)(reduced * q->input_zp));
  for (int64_t o = 0; o < outer; o++) {
    const int8_t *xo = x + o * reduced * inner;
    int8_t *yo = y + o * inner;
    int64_t ch = 0;
    for (; ch + 32 <= inner; ch += 32) {
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      const int8_t *xr = xo + ch;
      for (int64_t r = 0; r < reduced; r++, xr += inner) {
        s0 = _mm256_add_epi32(s0, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)xr)));
        s1 = _mm256_add_epi32(s1, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(xr + 8))));
        s2 = _mm256_add_epi32(s2, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(xr + 16))));
        s3 = _mm256_add_epi32(s3, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(xr + 24))));
      }
      tl_i8_store8(yo + ch, tl_i8_rq8(_mm256_sub_epi32(s0, zsum), &c), 8);
      tl_i8_store8(yo + ch + 8, tl_i8_rq8(_mm256_sub_epi32(s1, zsum), &c), 8);
      tl_i8_store8(yo + ch + 16, tl_i8_rq8(_mm256_sub_epi32(s2, zsum), &c), 8);
      tl_i8_store8(yo + ch + 24, tl_i8_rq8(_mm256_sub_epi32(s3, zsum), &c), 8);
    }
    for (; ch + 8 <= inner; ch += 8) {
      __m256i s0 = _mm256_setzero_si256();
      const int8_t *xr = xo + ch;
      for (int64_t r = 0; r < reduced; r++, xr += inner)
        s0 = _mm256_add_epi32(s0, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)xr)));
      tl_i8_store8(yo + ch, tl_i8_rq8(_mm256_sub_epi32(s0, zsum), &c), 8);
    }
    for (; ch < inner; ch++) {
      int32_t sum = 0;
      for (int64_t r = 0; r < reduced; r++) sum += (int32_t)xo[r * inner + ch] - q->input_zp;
      yo[ch] = tl_requantize_centered_int8(sum, q);
    }
  }
}

const tl_i8_kernels tl_i8_kernels_avx2 = {
    TL_I8_AVX2, 8,    2,    0,    tl_i8_tile_avx2, tl_i8_requant_rows_avx2, tl_dw8_sums16_avx2,
    NULL,       NULL, tl_conv_int8_im2col_avx2, NULL, tl_dw8_q_avx2,   tl_i8_rows_q_avx2, tl_conv_int8_small_avx2};
#endif
