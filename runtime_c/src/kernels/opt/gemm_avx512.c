/* gemm_avx512.c: the AVX-512F GEMM micro-kernels (8 rows x 32 columns; 12 rows x 16 columns when the GEMM
 * has at most 16 columns) and their drivers.
 *
 * What this is: code compiled for AVX-512F with a function attribute, so the rest of the binary stays
 * baseline x86 and this runs only where tl_cpu_features_detect found AVX-512F. What this is not: used on
 * other architectures or compilers (there tl_gemm_f32_avx512 falls back to the portable driver).
 */
#include "opt_f32_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TL_AVX512_ __attribute__((target("avx512f,avx2,fma")))
#define TL_ROWS8_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* Algorithm: 16 zmm accumulators (8 rows x 2 vectors of 16 columns) start at the bias row; each step of k
 * loads one panel row (32 weights) and, per row, broadcasts one x value into two FMAs. Rows >= `rows` are
 * dead code once `rows` is a constant. The clamp is max(lo, v) then min(hi, .): with the value second,
 * a NaN passes through like in the reference kernel. */
TL_AVX512_ static inline __attribute__((always_inline)) void tl_avx512_tile(
    const int32_t rows, int32_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
    tl_act_f32 act) {
  if (rows == 1) {
    /* one row (a matrix-vector product): four partial sums over k keep eight FMA chains in flight
     * instead of two dependent ones */
    __m512 s00 = _mm512_loadu_ps(b), s01 = _mm512_loadu_ps(b + 16);
    __m512 s10 = _mm512_set1_ps(0.0f), s11 = s10, s20 = s10, s21 = s10, s30 = s10, s31 = s10;
    const float *bk = b + 32;
    int32_t kk = 0;
    for (; kk + 4 <= k; kk += 4, bk += 4 * 32) {
      s00 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk]), _mm512_loadu_ps(bk), s00);
      s01 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk]), _mm512_loadu_ps(bk + 16), s01);
      s10 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 1]), _mm512_loadu_ps(bk + 32), s10);
      s11 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 1]), _mm512_loadu_ps(bk + 48), s11);
      s20 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 2]), _mm512_loadu_ps(bk + 64), s20);
      s21 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 2]), _mm512_loadu_ps(bk + 80), s21);
      s30 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 3]), _mm512_loadu_ps(bk + 96), s30);
      s31 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 3]), _mm512_loadu_ps(bk + 112), s31);
    }
    for (; kk < k; kk++, bk += 32) {
      s00 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk]), _mm512_loadu_ps(bk), s00);
      s01 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk]), _mm512_loadu_ps(bk + 16), s01);
    }
    s00 = _mm512_add_ps(_mm512_add_ps(s00, s10), _mm512_add_ps(s20, s30));
    s01 = _mm512_add_ps(_mm512_add_ps(s01, s11), _mm512_add_ps(s21, s31));
    const __m512 lo1 = _mm512_set1_ps(act.min), hi1 = _mm512_set1_ps(act.max);
    _mm512_storeu_ps(c, _mm512_min_ps(hi1, _mm512_max_ps(lo1, s00)));
    _mm512_storeu_ps(c + 16, _mm512_min_ps(hi1, _mm512_max_ps(lo1, s01)));
    (void)lda;
    (void)ldc;
    return;
  }
  const __m512 bias0 = _mm512_loadu_ps(b), bias1 = _mm512_loadu_ps(b + 16);
#define TL_DECL_(i)                              \
  __m512 c##i##0 = bias0, c##i##1 = bias1; \
  const float *a##i = a + (rows > i ? i : 0) * lda;
  TL_ROWS8_(TL_DECL_)
#undef TL_DECL_
  b += 32;
  for (int32_t kk = 0; kk < k; kk++, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#define TL_STEP_(i)                                  \
  if (rows > i) {                                    \
    const __m512 av = _mm512_set1_ps(a##i[kk]);      \
    c##i##0 = _mm512_fmadd_ps(av, b0, c##i##0);      \
    c##i##1 = _mm512_fmadd_ps(av, b1, c##i##1);      \
  }
    TL_ROWS8_(TL_STEP_)
#undef TL_STEP_
  }
  const __m512 lo = _mm512_set1_ps(act.min), hi = _mm512_set1_ps(act.max);
#define TL_STORE_(i)                                                                  \
  if (rows > i) {                                                                     \
    _mm512_storeu_ps(c + i * ldc, _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##0)));      \
    _mm512_storeu_ps(c + i * ldc + 16, _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##1))); \
  }
  TL_ROWS8_(TL_STORE_)
#undef TL_STORE_
}

/* rows (1..8) a constant per case, so each case keeps only its rows' registers; partial tiles go through part */
TL_AVX512_ static void tl_avx512_tiles(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda,
                                       const float *b, float *c, int64_t ldc, tl_act_f32 act) {
  float part[8 * 32]; /* [rows, 32] when cols < 32 */
  float *dst = cols == 32 ? c : part;
  const int64_t ld = cols == 32 ? ldc : 32;
  switch (rows) {
    case 1: tl_avx512_tile(1, k, a, lda, b, dst, ld, act); break;
    case 2: tl_avx512_tile(2, k, a, lda, b, dst, ld, act); break;
    case 3: tl_avx512_tile(3, k, a, lda, b, dst, ld, act); break;
    case 4: tl_avx512_tile(4, k, a, lda, b, dst, ld, act); break;
    case 5: tl_avx512_tile(5, k, a, lda, b, dst, ld, act); break;
    case 6: tl_avx512_tile(6, k, a, lda, b, dst, ld, act); break;
    case 7: tl_avx512_tile(7, k, a, lda, b, dst, ld, act); break;
    default: tl_avx512_tile(8, k, a, lda, b, dst, ld, act); break;
  }
  if (cols < 32) tl_gemm_copy_cols(c, ldc, part, 32, rows, cols);
}

void tl_gemm_f32_avx512_wide(const tl_gemm_f32_args *g) { tl_gemm_f32_tiles(g, 8, 32, tl_avx512_tiles); }

#define TL_ROWS12_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

/* At most 16 output columns (one panel whose second half is zero): one zmm of columns per row, so 12 rows
 * (12 accumulators; per step of k one panel load, twelve broadcasts, twelve FMAs) instead of 8 rows of two
 * vectors of which one is wasted; stores are masked to the n columns. One row: four partial sums over k, as
 * in the wide tile. */
TL_AVX512_ static inline __attribute__((always_inline)) void tl_avx512_tile16(
    const int32_t rows, int32_t k, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
    tl_act_f32 act, __mmask16 mask) {
  const __m512 lo = _mm512_set1_ps(act.min), hi = _mm512_set1_ps(act.max);
  if (rows == 1) {
    __m512 s0 = _mm512_loadu_ps(b), s1 = _mm512_set1_ps(0.0f), s2 = s1, s3 = s1;
    const float *bk = b + 32;
    int32_t kk = 0;
    for (; kk + 4 <= k; kk += 4, bk += 4 * 32) {
      s0 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk]), _mm512_loadu_ps(bk), s0);
      s1 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 1]), _mm512_loadu_ps(bk + 32), s1);
      s2 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 2]), _mm512_loadu_ps(bk + 64), s2);
      s3 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk + 3]), _mm512_loadu_ps(bk + 96), s3);
    }
    for (; kk < k; kk++, bk += 32) s0 = _mm512_fmadd_ps(_mm512_set1_ps(a[kk]), _mm512_loadu_ps(bk), s0);
    s0 = _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3));
    _mm512_mask_storeu_ps(c, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, s0)));
    (void)lda;
    (void)ldc;
    return;
  }
  const __m512 bias = _mm512_loadu_ps(b);
#define TL_DECL_(i)      \
  __m512 c##i = bias; \
  const float *a##i = a + (rows > i ? i : 0) * lda;
  TL_ROWS12_(TL_DECL_)
#undef TL_DECL_
  b += 32;
  for (int32_t kk = 0; kk < k; kk++, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b);
#define TL_STEP_(i) \
  if (rows > i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(a##i[kk]), b0, c##i);
    TL_ROWS12_(TL_STEP_)
#undef TL_STEP_
  }
#define TL_STORE_(i) \
  if (rows > i) _mm512_mask_storeu_ps(c + i * ldc, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, c##i)));
  TL_ROWS12_(TL_STORE_)
#undef TL_STORE_
}

#define TL_CASE12_(r)                                                     \
  case r:                                                                 \
    tl_avx512_tile16(r, g->k, a, g->lda, g->b_packed, c, g->ldc, g->act, mask); \
    break;

TL_AVX512_ static void tl_gemm_f32_avx512_n16(const tl_gemm_f32_args *g) {
  const __mmask16 mask = (__mmask16)((1u << g->n) - 1u);
  for (int32_t m0 = 0; m0 < g->m; m0 += 12) {
    const float *a = g->a + (int64_t)m0 * g->lda;
    float *c = g->c + (int64_t)m0 * g->ldc;
    switch (g->m - m0 < 12 ? g->m - m0 : 12) {
      TL_CASE12_(1) TL_CASE12_(2) TL_CASE12_(3) TL_CASE12_(4) TL_CASE12_(5) TL_CASE12_(6)
      TL_CASE12_(7) TL_CASE12_(8) TL_CASE12_(9) TL_CASE12_(10) TL_CASE12_(11)
      default:
        tl_avx512_tile16(12, g->k, a, g->lda, g->b_packed, c, g->ldc, g->act, mask);
        break;
    }
  }
}
#undef TL_CASE12_

TL_AVX512_ void tl_gemm_f32_avx512(const tl_gemm_f32_args *g) {
  if (g->n <= 16) {
    tl_gemm_f32_avx512_n16(g);
  } else {
    tl_gemm_f32_avx512_wide(g);
  }
}

/* The same tile (rows >= 1 all take the multi-row path) with row i's k values at a[i][off[0 .. k-1]]: the
 * direct convolution of conv_opt.c reads the patches in place instead of copying them (im2col). */
TL_AVX512_ static inline __attribute__((always_inline)) void tl_avx512_itile(
    const int32_t rows, int32_t k, const float *const *a, const int32_t *off, const float *b, float *c,
    int64_t ldc, tl_act_f32 act) {
  const __m512 bias0 = _mm512_loadu_ps(b), bias1 = _mm512_loadu_ps(b + 16);
#define TL_DECL_(i)                        \
  __m512 c##i##0 = bias0, c##i##1 = bias1; \
  const float *a##i = a[rows > i ? i : 0];
  TL_ROWS8_(TL_DECL_)
#undef TL_DECL_
  b += 32;
  for (int32_t kk = 0; kk < k; kk++, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    const int32_t o = off[kk];
#define TL_STEP_(i)                              \
  if (rows > i) {                                \
    const __m512 av = _mm512_set1_ps(a##i[o]);   \
    c##i##0 = _mm512_fmadd_ps(av, b0, c##i##0);  \
    c##i##1 = _mm512_fmadd_ps(av, b1, c##i##1);  \
  }
    TL_ROWS8_(TL_STEP_)
#undef TL_STEP_
  }
  const __m512 lo = _mm512_set1_ps(act.min), hi = _mm512_set1_ps(act.max);
#define TL_STORE_(i)                                                                  \
  if (rows > i) {                                                                     \
    _mm512_storeu_ps(c + i * ldc, _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##0)));      \
    _mm512_storeu_ps(c + i * ldc + 16, _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##1))); \
  }
  TL_ROWS8_(TL_STORE_)
#undef TL_STORE_
}

TL_AVX512_ void tl_conv_tile_f32_avx512_wide(const float *const *a, const int32_t *off, int32_t rows, int32_t k,
                                             const float *panel, float *c, int64_t ldc, int32_t cols,
                                             tl_act_f32 act) {
  float part[8 * 32]; /* [rows, 32] when cols < 32 */
  float *dst = cols == 32 ? c : part;
  const int64_t ld = cols == 32 ? ldc : 32;
  switch (rows) {
    case 1: tl_avx512_itile(1, k, a, off, panel, dst, ld, act); break;
    case 2: tl_avx512_itile(2, k, a, off, panel, dst, ld, act); break;
    case 3: tl_avx512_itile(3, k, a, off, panel, dst, ld, act); break;
    case 4: tl_avx512_itile(4, k, a, off, panel, dst, ld, act); break;
    case 5: tl_avx512_itile(5, k, a, off, panel, dst, ld, act); break;
    case 6: tl_avx512_itile(6, k, a, off, panel, dst, ld, act); break;
    case 7: tl_avx512_itile(7, k, a, off, panel, dst, ld, act); break;
    default: tl_avx512_itile(8, k, a, off, panel, dst, ld, act); break;
  }
  if (cols < 32) tl_gemm_copy_cols(c, ldc, part, 32, rows, cols);
}

/* tl_avx512_tile16's rows >= 2 path with row i's k values at a[i][off[0 .. k-1]] */
TL_AVX512_ static inline __attribute__((always_inline)) void tl_avx512_itile16(
    const int32_t rows, int32_t k, const float *const *a, const int32_t *off, const float *b, float *c,
    int64_t ldc, tl_act_f32 act, __mmask16 mask) {
  const __m512 lo = _mm512_set1_ps(act.min), hi = _mm512_set1_ps(act.max);
  const __m512 bias = _mm512_loadu_ps(b);
#define TL_DECL_(i)      \
  __m512 c##i = bias; \
  const float *a##i = a[rows > i ? i : 0];
  TL_ROWS12_(TL_DECL_)
#undef TL_DECL_
  b += 32;
  for (int32_t kk = 0; kk < k; kk++, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const int32_t o = off[kk];
#define TL_STEP_(i) \
  if (rows > i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(a##i[o]), b0, c##i);
    TL_ROWS12_(TL_STEP_)
#undef TL_STEP_
  }
#define TL_STORE_(i) \
  if (rows > i) _mm512_mask_storeu_ps(c + i * ldc, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, c##i)));
  TL_ROWS12_(TL_STORE_)
#undef TL_STORE_
}

#define TL_ICASE12_(r)                                              \
  case r:                                                           \
    tl_avx512_itile16(r, k, a, off, panel, c, ldc, act, mask); \
    break;

TL_AVX512_ void tl_conv_tile_f32_avx512(const float *const *a, const int32_t *off, int32_t rows, int32_t k,
                                        const float *panel, float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  if (cols > 16) {
    tl_conv_tile_f32_avx512_wide(a, off, rows, k, panel, c, ldc, cols, act);
    return;
  }
  const __mmask16 mask = (__mmask16)((1u << cols) - 1u);
  switch (rows) {
    TL_ICASE12_(1) TL_ICASE12_(2) TL_ICASE12_(3) TL_ICASE12_(4) TL_ICASE12_(5) TL_ICASE12_(6)
    TL_ICASE12_(7) TL_ICASE12_(8) TL_ICASE12_(9) TL_ICASE12_(10) TL_ICASE12_(11)
    default:
      tl_avx512_itile16(12, k, a, off, panel, c, ldc, act, mask);
      break;
  }
}
#undef TL_ICASE12_

#else

void tl_gemm_f32_avx512(const tl_gemm_f32_args *g) { tl_gemm_f32_portable(g); }

void tl_conv_tile_f32_avx512(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                             float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  tl_conv_tile_f32_scalar(a, off, rows, k, panel, 32, c, ldc, cols, act);
}

#endif
