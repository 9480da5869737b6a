/* gemm_avx2.c: the AVX2+FMA GEMM micro-kernel (6 rows x 16 columns) and its driver.
 *
 * What this is: code compiled for AVX2 and FMA with a function attribute, so the rest of the binary stays
 * baseline x86 and this runs only where tl_cpu_features_detect found both. What this is not: used on other
 * architectures or compilers (there tl_gemm_f32_avx2 falls back to the portable driver).
 */
#include "opt_f32_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#include <math.h>




#define TL_GEMV_PF 1024
#define TL_GEMV_PF2 16384
#define TL_AVX2_ __attribute__((target("avx2,fma")))
#define TL_ROWS6_(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define TL_ROWS8_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* ---- wide tiles (16 columns, up to 6 rows): the steps the GEMM, offset and indirect tiles share ----
 * Row i's two accumulators c<i>0, c<i>1 take one FMA per k of row i's value at a<i> + o with the panel's b0, b1;
 * then every kept row is clamped to act and stored at c + i * ldc. Rows i >= rows are skipped. */
#define TL_W_STEP_(i)                                \
  if (rows > i) {                                    \
    const __m256 av = _mm256_broadcast_ss(a##i + o); \
    c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0);      \
    c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);      \
  }
#define TL_W_STORE_(i)                                                               \
  if (rows > i) {                                                                    \
    _mm256_storeu_ps(c + i * ldc, _mm256_min_ps(hi, _mm256_max_ps(lo, c##i##0)));     \
    _mm256_storeu_ps(c + i * ldc + 8, _mm256_min_ps(hi, _mm256_max_ps(lo, c##i##1))); \
  }
#define TL_W_STORE_RAW_(i)                     \
  if (rows > i) {                              \
    _mm256_storeu_ps(c + i * ldc, c##i##0);     \
    _mm256_storeu_ps(c + i * ldc + 8, c##i##1); \
  }
/* Without an activation (the clamp to [-inf, inf], the identity on every value, NaN included) the stores
 * skip the clamp: the transformer's projections, MobileNetV2's linear bottlenecks. */
#define TL_W_STORE_ALL_                                                        \
  if (act.min == -INFINITY && act.max == INFINITY) {                           \
    TL_ROWS6_(TL_W_STORE_RAW_)                                                 \
  } else {                                                                     \
    const __m256 lo = _mm256_set1_ps(act.min), hi = _mm256_set1_ps(act.max); \
    TL_ROWS6_(TL_W_STORE_)                                                     \
  }

/* ---- narrow tiles: at most 8 columns of a panel (one vector per row), up to 8 rows ----
 * The same per-output arithmetic as the 16-column tiles with rows >= 2 (bias, one FMA per k in order, the
 * clamp) without computing the panel's other 8 columns; a partial tile stores its cols columns masked. */
static const int32_t tl_avx2_mask_src_[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
#define TL_N_DECL_(i) __m256 c##i = bias;
#define TL_N_STORE_(i)                                                \
  if (rows > i) {                                                     \
    const __m256 v = _mm256_min_ps(hi, _mm256_max_ps(lo, c##i));      \
    if (cols == 8) {                                                  \
      _mm256_storeu_ps(c + i * ldc, v);                               \
    } else {                                                          \
      _mm256_maskstore_ps(c + i * ldc, mask, v);                      \
    }                                                                 \
  }
#define TL_N_STORE_ALL_(ROWS)                                                        \
  const __m256 lo = _mm256_set1_ps(act.min), hi = _mm256_set1_ps(act.max);         \
  const __m256i mask = _mm256_loadu_si256((const __m256i *)(tl_avx2_mask_src_ + 8 - cols)); \
  ROWS(TL_N_STORE_)

/* GEMM rows: row i's k values at a + i * lda */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_avx2_ntile(const int32_t rows, int32_t k,
                                                                          const float *a, int64_t lda,
                                                                          const float *b, float *c, int64_t ldc,
                                                                          int32_t cols, tl_act_f32 act) {
  const __m256 bias = _mm256_loadu_ps(b);
  TL_ROWS8_(TL_N_DECL_)
#define TL_PTR_(i) const float *a##i = a + (rows > i ? i : 0) * lda;
  TL_ROWS8_(TL_PTR_)
#undef TL_PTR_
  b += 16;
  for (int32_t kk = 0; kk < k; kk++, b += 16) {
    const __m256 bv = _mm256_loadu_ps(b);
#define TL_STEP_(i) \
  if (rows > i) c##i = _mm256_fmadd_ps(_mm256_broadcast_ss(a##i + kk), bv, c##i);
    TL_ROWS8_(TL_STEP_)
#undef TL_STEP_
  }
  TL_N_STORE_ALL_(TL_ROWS8_)
}

/* the direct convolution's rows (at most 6): row i's k values at a[i][off[0 .. k-1]] */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_avx2_ntile_off(const int32_t rows, int32_t k,
                                                                              const float *const *a,
                                                                              const int32_t *off, const float *b,
                                                                              float *c, int64_t ldc, int32_t cols,
                                                                              tl_act_f32 act) {
  const __m256 bias = _mm256_loadu_ps(b);
  TL_ROWS6_(TL_N_DECL_)
#define TL_PTR_(i) const float *a##i = a[rows > i ? i : 0];
  TL_ROWS6_(TL_PTR_)
#undef TL_PTR_
  b += 16;
  for (int32_t kk = 0; kk < k; kk++, b += 16) {
    const __m256 bv = _mm256_loadu_ps(b);
    const int32_t o = off[kk];
#define TL_STEP_(i) \
  if (rows > i) c##i = _mm256_fmadd_ps(_mm256_broadcast_ss(a##i + o), bv, c##i);
    TL_ROWS6_(TL_STEP_)
#undef TL_STEP_
  }
  TL_N_STORE_ALL_(TL_ROWS6_)
}

/* the indirect convolution's rows (at most 6): row i's tap t at ind[t * TL_CONV_IND_MR + i] */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_avx2_ntile_ind(const int32_t rows, int32_t taps,
                                                                              int32_t in_c,
                                                                              const float *const *ind,
                                                                              const float *b, float *c, int64_t ldc,
                                                                              int32_t cols, tl_act_f32 act) {
  const __m256 bias = _mm256_loadu_ps(b);
  TL_ROWS6_(TL_N_DECL_)
  b += 16;
  for (int32_t t = 0; t < taps; t++, ind += TL_CONV_IND_MR) {
#define TL_PTR_(i) const float *a##i = ind[rows > i ? i : 0];
    TL_ROWS6_(TL_PTR_)
#undef TL_PTR_
    for (int32_t ci = 0; ci < in_c; ci++, b += 16) {
      const __m256 bv = _mm256_loadu_ps(b);
#define TL_STEP_(i) \
  if (rows > i) c##i = _mm256_fmadd_ps(_mm256_broadcast_ss(a##i + ci), bv, c##i);
      TL_ROWS6_(TL_STEP_)
#undef TL_STEP_
    }
  }
  TL_N_STORE_ALL_(TL_ROWS6_)
}

#define TL_N_SWITCH6_(CALL) \
  switch (rows) {           \
    case 1: CALL(1); break; \
    case 2: CALL(2); break; \
    case 3: CALL(3); break; \
    case 4: CALL(4); break; \
    case 5: CALL(5); break; \
    default: CALL(6); break; \
  }


/* Algorithm: 12 ymm accumulators (6 rows x 2 vectors of 8 columns) start at the bias row; each step of k
 * loads one panel row (16 weights) and, per row, broadcasts one x value into two FMAs (12 + 2 + 1 of the
 * 16 registers). The clamp keeps a NaN like the reference (value as the second operand of max/min). */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_avx2_tile(const int32_t rows, int32_t k,
                                                                         const float *a, int64_t lda,
                                                                         const float *b, float *c,
                                                                         int64_t ldc, tl_act_f32 act) {
  if (rows == 1) {
    /* one row (a matrix-vector product): four partial sums over k keep eight FMA chains in flight
     * instead of two dependent ones */
    __m256 s00 = _mm256_loadu_ps(b), s01 = _mm256_loadu_ps(b + 8);
    __m256 s10 = _mm256_set1_ps(0.0f), s11 = s10, s20 = s10, s21 = s10, s30 = s10, s31 = s10;
    const float *bk = b + 16;
    int32_t kk = 0;
    for (; kk + 4 <= k; kk += 4, bk += 4 * 16) {
      /* the panel 1 KB ahead (16 k later, or the next panel's start) into L1: with the weights in L3 (a
       * batch-1 FullyConnected too big for L2) the hardware prefetcher alone keeps too few lines in flight */
      _mm_prefetch((const char *)((uintptr_t)bk + 1024), _MM_HINT_T0);
      _mm_prefetch((const char *)((uintptr_t)bk + 1024 + 4 * 16), _MM_HINT_T0);
      _mm_prefetch((const char *)((uintptr_t)bk + 1024 + 4 * 32), _MM_HINT_T0);
      _mm_prefetch((const char *)((uintptr_t)bk + 1024 + 4 * 48), _MM_HINT_T0);
      s00 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk]), _mm256_loadu_ps(bk), s00);
      s01 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk]), _mm256_loadu_ps(bk + 8), s01);
      s10 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk + 1]), _mm256_loadu_ps(bk + 16), s10);
      s11 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk + 1]), _mm256_loadu_ps(bk + 24), s11);
      s20 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk + 2]), _mm256_loadu_ps(bk + 32), s20);
      s21 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk + 2]), _mm256_loadu_ps(bk + 40), s21);
      s30 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk + 3]), _mm256_loadu_ps(bk + 48), s30);
      s31 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk + 3]), _mm256_loadu_ps(bk + 56), s31);
    }
    for (; kk < k; kk++, bk += 16) {
      s00 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk]), _mm256_loadu_ps(bk), s00);
      s01 = _mm256_fmadd_ps(_mm256_set1_ps(a[kk]), _mm256_loadu_ps(bk + 8), s01);
    }
    s00 = _mm256_add_ps(_mm256_add_ps(s00, s10), _mm256_add_ps(s20, s30));
    s01 = _mm256_add_ps(_mm256_add_ps(s01, s11), _mm256_add_ps(s21, s31));
    const __m256 lo1 = _mm256_set1_ps(act.min), hi1 = _mm256_set1_ps(act.max);
    _mm256_storeu_ps(c, _mm256_min_ps(hi1, _mm256_max_ps(lo1, s00)));
    _mm256_storeu_ps(c + 8, _mm256_min_ps(hi1, _mm256_max_ps(lo1, s01)));
    (void)lda;
    (void)ldc;
    return;
  }
  const __m256 bias0 = _mm256_loadu_ps(b), bias1 = _mm256_loadu_ps(b + 8);
#define TL_DECL_(i)                        \
  __m256 c##i##0 = bias0, c##i##1 = bias1; \
  const float *a##i = a + (rows > i ? i : 0) * lda;
  TL_ROWS6_(TL_DECL_)
#undef TL_DECL_
  b += 16;
  for (int32_t o = 0; o < k; o++, b += 16) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    TL_ROWS6_(TL_W_STEP_)
  }
  TL_W_STORE_ALL_
}

/* rows (1..6) a constant per case, so each case keeps only its rows' registers; partial tiles go through part */
TL_AVX2_ static void tl_avx2_tiles(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda, const float *b,
                                   float *c, int64_t ldc, tl_act_f32 act) {
  float part[6 * 16]; /* [rows, 16] when cols < 16 */
  float *dst = cols == 16 ? c : part;
  const int64_t ld = cols == 16 ? ldc : 16;
  if (cols <= 8 && rows >= 2) { /* (one row keeps its own tile: its four partial sums) */
#define TL_CALL_(r) tl_avx2_ntile(r, k, a, lda, b, c, ldc, cols, act)
    TL_N_SWITCH6_(TL_CALL_)
#undef TL_CALL_
    return;
  }
  switch (rows) {
    case 1: tl_avx2_tile(1, k, a, lda, b, dst, ld, act); break;
    case 2: tl_avx2_tile(2, k, a, lda, b, dst, ld, act); break;
    case 3: tl_avx2_tile(3, k, a, lda, b, dst, ld, act); break;
    case 4: tl_avx2_tile(4, k, a, lda, b, dst, ld, act); break;
    case 5: tl_avx2_tile(5, k, a, lda, b, dst, ld, act); break;
    default: tl_avx2_tile(6, k, a, lda, b, dst, ld, act); break;
  }
  if (cols < 16) tl_gemm_copy_cols(c, ldc, part, 16, rows, cols);
}

/* At most 8 columns (one panel, half of it used): 8-row narrow tiles. Same bits as the 6-row tiles: every
 * row's arithmetic is the same single chain, except a one-row tail of the 6-row walk (m % 6 == 1), which
 * keeps the one-row tile. */
TL_AVX2_ static void tl_avx2_gemm_narrow(const tl_gemm_f32_args *g) {
  const int32_t tail1 = g->m % 6 == 1, body = g->m - tail1, cols = g->n, k = g->k;
  const int64_t lda = g->lda, ldc = g->ldc;
  const float *b = g->b_packed;
  const tl_act_f32 act = g->act;
  for (int32_t m0 = 0; m0 < body; m0 += 8) {
    const int32_t rows = body - m0 < 8 ? body - m0 : 8;
    const float *a = g->a + (int64_t)m0 * lda;
    float *c = g->c + (int64_t)m0 * ldc;
    switch (rows) {
      case 1: tl_avx2_ntile(1, k, a, lda, b, c, ldc, cols, act); break;
      case 2: tl_avx2_ntile(2, k, a, lda, b, c, ldc, cols, act); break;
      case 3: tl_avx2_ntile(3, k, a, lda, b, c, ldc, cols, act); break;
      case 4: tl_avx2_ntile(4, k, a, lda, b, c, ldc, cols, act); break;
      case 5: tl_avx2_ntile(5, k, a, lda, b, c, ldc, cols, act); break;
      case 6: tl_avx2_ntile(6, k, a, lda, b, c, ldc, cols, act); break;
      case 7: tl_avx2_ntile(7, k, a, lda, b, c, ldc, cols, act); break;
      default: tl_avx2_ntile(8, k, a, lda, b, c, ldc, cols, act); break;
    }
  }
  if (tail1) tl_avx2_tiles(1, cols, k, g->a + (int64_t)body * lda, lda, b, g->c + (int64_t)body * ldc, ldc, act);
}

/* One row tile (rows 1..6, a constant per case) by `panels` whole 16-column panels, panel_floats apart: the
 * tile of tl_avx2_tiles without its per-panel call and dispatch (with k = 8 or 16 those were a sizeable part
 * of each panel's work). */
TL_AVX2_ static void tl_avx2_row_block(int32_t rows, int32_t panels, int32_t k, const float *a, int64_t lda,
                                       const float *b, int64_t panel_floats, float *c, int64_t ldc,
                                       tl_act_f32 act) {
#define TL_CASE_(r) \
  for (int32_t p = 0; p < panels; p++) tl_avx2_tile(r, k, a, lda, b + p * panel_floats, c + p * 16, ldc, act);
  switch (rows) {
    case 1: TL_CASE_(1) break;
    case 2: TL_CASE_(2) break;
    case 3: TL_CASE_(3) break;
    case 4: TL_CASE_(4) break;
    case 5: TL_CASE_(5) break;
    default: TL_CASE_(6) break;
  }
#undef TL_CASE_
}

/* Rows of the next tile when `left` rows remain: 6, but a last 8 or 9 rows are cut 4 + 4 or 5 + 4 rather than
 * 6 + 2 or 6 + 3 (a tile of 2 or 3 rows has 4 or 6 FMA chains, too few to hide the FMA latency: it takes as
 * long per k as a tile of 4 or 5). Every tile of 2 or more rows sums each output the same way, and a one-row
 * tile falls on the same rows as with plain 6-row tiles (the last row when m % 6 == 1): the same bits as the
 * 6-row walk, and a part of the GEMM from a multiple of TL_GEMM_ROW_ALIGN rows gets the same as the whole. */
static inline int32_t tl_avx2_tile_rows(int32_t left) {
  if (left == 8) return 4;
  if (left == 9) return 5;
  return left < 6 ? left : 6;
}

/* Panels of one block together take at most this many bytes (kept in L1d while the row tiles pass). */
#ifndef TL_AVX2_BLOCK_BYTES
#define TL_AVX2_BLOCK_BYTES (16 * 1024)
#endif

/* Algorithm: the panels in blocks of about TL_AVX2_BLOCK_BYTES; for each block, every row tile of A runs
 * over every panel of the block before the next row tile. With k >= ~250 a block is one panel (the panel
 * stays in L1 while A streams past it); with small k a block holds several panels, so A's rows are read once
 * per block rather than once per panel (a 1x1 convolution with k = 16 and 32 outputs reads its input once). */
void tl_gemm_f32_avx2(const tl_gemm_f32_args *g) {
  const int64_t panel_floats = ((int64_t)g->k + 1) * 16;
  const int32_t panels = (g->n + 15) / 16;
  const int64_t fit = TL_AVX2_BLOCK_BYTES / (panel_floats * (int64_t)sizeof(float));
  const int32_t block = fit < 1 ? 1 : (fit > panels ? panels : (int32_t)fit);
  if (g->n <= 8) {
    tl_avx2_gemm_narrow(g);
    return;
  }
  for (int32_t p0 = 0; p0 < panels; p0 += block) {
    const int32_t p1 = panels - p0 < block ? panels : p0 + block;
    for (int32_t m0 = 0, rows; m0 < g->m; m0 += rows) {
      const float *a = g->a + (int64_t)m0 * g->lda;
      float *c = g->c + (int64_t)m0 * g->ldc;
      rows = tl_avx2_tile_rows(g->m - m0);
      const int32_t full = p1 == panels && g->n % 16 != 0 ? p1 - 1 - p0 : p1 - p0; /* whole panels */
      tl_avx2_row_block(rows, full, g->k, a, g->lda, g->b_packed + p0 * panel_floats, panel_floats,
                        c + p0 * 16, g->ldc, g->act);
      if (p0 + full < p1) { /* the last, partial panel */
        const int32_t n0 = (p1 - 1) * 16;
        tl_avx2_tiles(rows, g->n - n0, g->k, a, g->lda, g->b_packed + (p1 - 1) * panel_floats, c + n0, g->ldc,
                      g->act);
      }
    }
  }
}

/* The same tile (rows >= 1 all take the multi-row path) with row i's k values at a[i][off[0 .. k-1]] (the
 * direct convolution of conv_opt.c). */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_avx2_itile(const int32_t rows, int32_t k,
                                                                          const float *const *a,
                                                                          const int32_t *off, const float *b,
                                                                          float *c, int64_t ldc, tl_act_f32 act) {
  const __m256 bias0 = _mm256_loadu_ps(b), bias1 = _mm256_loadu_ps(b + 8);
#define TL_DECL_(i)                        \
  __m256 c##i##0 = bias0, c##i##1 = bias1; \
  const float *a##i = a[rows > i ? i : 0];
  TL_ROWS6_(TL_DECL_)
#undef TL_DECL_
  b += 16;
  for (int32_t kk = 0; kk < k; kk++, b += 16) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    const int32_t o = off[kk];
    TL_ROWS6_(TL_W_STEP_)
  }
  TL_W_STORE_ALL_
}

TL_AVX2_ void tl_conv_tile_f32_avx2(const float *const *a, const int32_t *off, int32_t rows, int32_t k,
                                    const float *panel, float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  float part[6 * 16]; /* [rows, 16] when cols < 16 */
  float *dst = cols == 16 ? c : part;
  const int64_t ld = cols == 16 ? ldc : 16;
  if (cols <= 8) {
#define TL_CALL_(r) tl_avx2_ntile_off(r, k, a, off, panel, c, ldc, cols, act)
    TL_N_SWITCH6_(TL_CALL_)
#undef TL_CALL_
    return;
  }
  switch (rows) {
    case 1: tl_avx2_itile(1, k, a, off, panel, dst, ld, act); break;
    case 2: tl_avx2_itile(2, k, a, off, panel, dst, ld, act); break;
    case 3: tl_avx2_itile(3, k, a, off, panel, dst, ld, act); break;
    case 4: tl_avx2_itile(4, k, a, off, panel, dst, ld, act); break;
    case 5: tl_avx2_itile(5, k, a, off, panel, dst, ld, act); break;
    default: tl_avx2_itile(6, k, a, off, panel, dst, ld, act); break;
  }
  if (cols < 16) tl_gemm_copy_cols(c, ldc, part, 16, rows, cols);
}

/* The indirect tile: row i (of rows, 1..6) reads tap t's in_c input channels at ind[t * TL_CONV_IND_MR + i]
 * (the input at the tap, or a row of zeros where the tap falls in the padding); k = taps * in_c in the
 * weights' order (ky, kx, ci), each output one chain (bias, one FMA per k in order, the clamp): the
 * arithmetic of the tiles above with rows >= 2, for every rows. cin > 0: in_c as a compile-time constant. */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_avx2_ind_tile(const int32_t rows, const int32_t cin,
                                                                             int32_t taps, int32_t in_c_any,
                                                                             const float *const *ind,
                                                                             const float *b, float *c, int64_t ldc,
                                                                             tl_act_f32 act) {
  const int32_t in_c = cin > 0 ? cin : in_c_any;
  const __m256 bias0 = _mm256_loadu_ps(b), bias1 = _mm256_loadu_ps(b + 8);
#define TL_DECL_(i) __m256 c##i##0 = bias0, c##i##1 = bias1;
  TL_ROWS6_(TL_DECL_)
#undef TL_DECL_
  b += 16;
  for (int32_t t = 0; t < taps; t++, ind += TL_CONV_IND_MR) {
#define TL_PTR_(i) const float *a##i = ind[rows > i ? i : 0];
    TL_ROWS6_(TL_PTR_)
#undef TL_PTR_
    for (int32_t o = 0; o < in_c; o++, b += 16) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      TL_ROWS6_(TL_W_STEP_)
    }
  }
  TL_W_STORE_ALL_
}

#define TL_IND_ROWS_(CIN)                                                          \
  switch (rows) {                                                                  \
    case 1: tl_avx2_ind_tile(1, CIN, taps, in_c, ind, panel, dst, ld, act); break; \
    case 2: tl_avx2_ind_tile(2, CIN, taps, in_c, ind, panel, dst, ld, act); break; \
    case 3: tl_avx2_ind_tile(3, CIN, taps, in_c, ind, panel, dst, ld, act); break; \
    case 4: tl_avx2_ind_tile(4, CIN, taps, in_c, ind, panel, dst, ld, act); break; \
    case 5: tl_avx2_ind_tile(5, CIN, taps, in_c, ind, panel, dst, ld, act); break; \
    default: tl_avx2_ind_tile(6, CIN, taps, in_c, ind, panel, dst, ld, act); break; \
  }

TL_AVX2_ void tl_conv_ind_tile_f32_avx2(const float *const *ind, int32_t rows, int32_t taps, int32_t in_c,
                                        const float *panel, float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  float part[6 * 16]; /* [rows, 16] when cols < 16 */
  float *dst = cols == 16 ? c : part;
  const int64_t ld = cols == 16 ? ldc : 16;
  if (cols <= 8) {
#define TL_CALL_(r) tl_avx2_ntile_ind(r, taps, in_c, ind, panel, c, ldc, cols, act)
    TL_N_SWITCH6_(TL_CALL_)
#undef TL_CALL_
    return;
  }
  if (in_c == 3) { /* RGB first convolutions: the channel loop unrolled */
    TL_IND_ROWS_(3)
  } else if (in_c == 1) { /* one-channel inputs (a spectrogram, a grey image): no channel loop */
    TL_IND_ROWS_(1)
  } else {
    TL_IND_ROWS_(0)
  }
  if (cols < 16) tl_gemm_copy_cols(c, ldc, part, 16, rows, cols);
}
#undef TL_IND_ROWS_

#else

void tl_gemm_f32_avx2(const tl_gemm_f32_args *g) { tl_gemm_f32_portable(g); }

/* off x86 the direct convolution does not pick this level; kept correct all the same */
void tl_conv_tile_f32_avx2(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                           float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  tl_conv_tile_f32_scalar(a, off, rows, k, panel, 16, c, ldc, cols, act);
}

/* off x86 the indirect convolution is not used either */
void tl_conv_ind_tile_f32_avx2(const float *const *ind, int32_t rows, int32_t taps, int32_t in_c, const float *panel,
                               float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  for (int32_t r = 0; r < rows; r++) {
    for (int32_t j = 0; j < cols; j++) {
      float acc = panel[j];
      for (int32_t t = 0; t < taps; t++) {
        const float *a = ind[t * TL_CONV_IND_MR + r];
        for (int32_t ci = 0; ci < in_c; ci++) acc += a[ci] * panel[((int64_t)t * in_c + ci + 1) * 16 + j];
      }
      acc = act.min > acc ? act.min : acc;
      c[(int64_t)r * ldc + j] = act.max < acc ? act.max : acc;
    }
  }
}

#endif
