/* gemm_neon.c: the NEON GEMM micro-kernel (6 rows on AArch64, 4 on ARMv7, x 8 columns) and its driver.
 *
 * What this is: the GEMM for ARM builds with Advanced SIMD (always on AArch64; ARMv7 when built with
 * -mfpu=neon*; fused multiply-add where the target has it). What this is not: used elsewhere (there
 * tl_gemm_f32_neon falls back to the portable driver).
 */
#include "opt_f32_internal.h"

#if defined(__aarch64__) || (defined(__arm__) && defined(__ARM_NEON))
#include <arm_neon.h>

#if defined(__aarch64__)
#define TL_NEON_MR_ 6
#define TL_ROWS_(X) X(0) X(1) X(2) X(3) X(4) X(5)
#else
#define TL_NEON_MR_ 4
#define TL_ROWS_(X) X(0) X(1) X(2) X(3)
#endif

#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define TL_MLA_(acc, x, y) vfmaq_f32(acc, x, y)
#else
#define TL_MLA_(acc, x, y) vmlaq_f32(acc, x, y)
#endif

/* Algorithm: rows x 2 q-register accumulators (4 columns each) start at the bias row; each step of k loads
 * one panel row (8 weights) and, per row, multiplies it by one broadcast x value. The clamp is written as
 * compare-and-select so that a NaN passes through like in the reference kernel. */
static inline __attribute__((always_inline)) float32x4_t tl_neon_clamp(float32x4_t v, float32x4_t lo,
                                                                      float32x4_t hi) {
  v = vbslq_f32(vcltq_f32(v, lo), lo, v);
  return vbslq_f32(vcgtq_f32(v, hi), hi, v);
}

static inline __attribute__((always_inline)) void tl_neon_tile(const int32_t rows, int32_t k, const float *a,
                                                               int64_t lda, const float *b, float *c,
                                                               int64_t ldc, tl_act_f32 act) {
  const float32x4_t bias0 = vld1q_f32(b), bias1 = vld1q_f32(b + 4);
#define TL_DECL_(i)                             \
  float32x4_t c##i##0 = bias0, c##i##1 = bias1; \
  const float *a##i = a + (rows > i ? i : 0) * lda;
  TL_ROWS_(TL_DECL_)
#undef TL_DECL_
  b += 8;
  for (int32_t kk = 0; kk < k; kk++, b += 8) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
#define TL_STEP_(i)                                \
  if (rows > i) {                                  \
    const float32x4_t av = vdupq_n_f32(a##i[kk]);  \
    c##i##0 = TL_MLA_(c##i##0, av, b0);            \
    c##i##1 = TL_MLA_(c##i##1, av, b1);            \
  }
    TL_ROWS_(TL_STEP_)
#undef TL_STEP_
  }
  const float32x4_t lo = vdupq_n_f32(act.min), hi = vdupq_n_f32(act.max);
#define TL_STORE_(i)                                        \
  if (rows > i) {                                           \
    vst1q_f32(c + i * ldc, tl_neon_clamp(c##i##0, lo, hi));     \
    vst1q_f32(c + i * ldc + 4, tl_neon_clamp(c##i##1, lo, hi)); \
  }
  TL_ROWS_(TL_STORE_)
#undef TL_STORE_
}

/* rows (1..MR) a constant per case, so each case keeps only its rows' registers; partial tiles go through part */
static void tl_neon_tiles(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda, const float *b,
                          float *c, int64_t ldc, tl_act_f32 act) {
  float part[TL_NEON_MR_ * 8]; /* [rows, 8] when cols < 8 */
  float *dst = cols == 8 ? c : part;
  const int64_t ld = cols == 8 ? ldc : 8;
  switch (rows) {
    case 1: tl_neon_tile(1, k, a, lda, b, dst, ld, act); break;
    case 2: tl_neon_tile(2, k, a, lda, b, dst, ld, act); break;
    case 3: tl_neon_tile(3, k, a, lda, b, dst, ld, act); break;
#if TL_NEON_MR_ > 4
    case 4: tl_neon_tile(4, k, a, lda, b, dst, ld, act); break;
    case 5: tl_neon_tile(5, k, a, lda, b, dst, ld, act); break;
#endif
    default: tl_neon_tile(TL_NEON_MR_, k, a, lda, b, dst, ld, act); break;
  }
  if (cols < 8) tl_gemm_copy_cols(c, ldc, part, 8, rows, cols);
}

void tl_gemm_f32_neon(const tl_gemm_f32_args *g) { tl_gemm_f32_tiles(g, TL_NEON_MR_, 8, tl_neon_tiles); }

#else

void tl_gemm_f32_neon(const tl_gemm_f32_args *g) { tl_gemm_f32_portable(g); }

#endif
