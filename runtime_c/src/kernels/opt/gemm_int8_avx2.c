/* gemm_int8_avx2.c: the AVX2 int8 micro-kernels (NR 8, G 2), the 4-wide requantization and the depthwise
 * sums of 16 channels, and the AVX2 kernel set.
 *
 * What this is: code compiled for AVX2 with a function attribute (the rest of the binary stays baseline x86);
 * each depth pair of 8 columns is 16 bytes, sign-extended to 16 int16 and multiplied by the broadcast pair
 * (x0, x1) with vpmaddwd: x0*w0 + x1*w1 per column, exact in int32. What this is not: used off x86 (the file
 * is empty there).
 */
#include "gemm_int8_internal.h"

#if defined(TL_I8_X86)
#include <immintrin.h>

#define TL_I8_AVX2_ __attribute__((target("avx2")))

TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_avx2_w16(const int8_t *p) { /* 16 bytes as int16 */
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* The sums of the live rows (rows: a constant 1..4) += their broadcast pair times the weights w16(wp). */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_step(const int32_t rows, __m256i *c0, __m256i *c1, __m256i *c2, __m256i *c3,
                                              __m256i x0, __m256i x1, __m256i x2, __m256i x3, const int8_t *wp) {
  const __m256i bv = tl_i8_avx2_w16(wp);
  *c0 = _mm256_add_epi32(*c0, _mm256_madd_epi16(x0, bv));
  if (rows > 1) *c1 = _mm256_add_epi32(*c1, _mm256_madd_epi16(x1, bv));
  if (rows > 2) *c2 = _mm256_add_epi32(*c2, _mm256_madd_epi16(x2, bv));
  if (rows > 3) *c3 = _mm256_add_epi32(*c3, _mm256_madd_epi16(x3, bv));
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

/* rows (1..4) is a constant in every instance: the accumulators are plain variables. */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                              const int8_t *b, int32_t *acc) {
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
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
  if (rows >= 4) tl_i8_avx2_rows(4, a, lda, k, b, acc); /* rows: a constant in each instance */
  if (rows == 3) tl_i8_avx2_rows(3, a, lda, k, b, acc);
  if (rows == 2) tl_i8_avx2_rows(2, a, lda, k, b, acc);
  if (rows <= 1) tl_i8_avx2_rows(1, a, lda, k, b, acc);
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

/* Depthwise: 16 channels of (x - zp) * w as int16 products (exact), widened into two int32 vectors. */
TL_I8_AVX2_ void tl_dw8_sums16_avx2(int32_t *sums, const tl_dw8_pixel *t) {
  __m256i lo = _mm256_setzero_si256(), hi = lo;
  const __m256i zp = _mm256_set1_epi16((int16_t)t->zp);
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      const __m256i xv = _mm256_sub_epi16(tl_i8_avx2_w16(xp), zp);
      const __m256i pr = _mm256_mullo_epi16(xv, tl_i8_avx2_w16(wp));
      lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(pr)));
      hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(pr, 1)));
    }
  _mm256_storeu_si256((__m256i *)(void *)sums, lo);
  _mm256_storeu_si256((__m256i *)(void *)(sums + 8), hi);
}

const tl_i8_kernels tl_i8_kernels_avx2 = {
    TL_I8_AVX2, 8, 2, 0, tl_i8_tile_avx2, tl_i8_requant_rows_avx2, tl_dw8_sums16_avx2, NULL, NULL, NULL, NULL, NULL};
#endif
