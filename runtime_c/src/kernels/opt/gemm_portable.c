/* gemm_portable.c: the plain C GEMM micro-kernel (4 rows x 8 columns) and its driver.
 *
 * What this is: the packed GEMM for every CPU (and the fallback of the SIMD drivers on architectures that
 * lack them); the compiler may vectorise the inner column loop. What this is not: the specification (the
 * reference kernels are).
 */
#include "opt_f32_internal.h"

#define TL_PORTABLE_NR_ 8

/* Algorithm: a rows x 8 block of accumulators, started at the bias row; each step of k adds a[r][k] times
 * one panel row to every accumulator row. The clamp uses comparisons so that a NaN passes through. */
static inline void tl_portable_tile(const int32_t rows, int32_t k, const float *a, int64_t lda,
                                    const float *b, float *c, int64_t ldc, tl_act_f32 act) {
  float acc[4][TL_PORTABLE_NR_];
  for (int32_t r = 0; r < rows; r++) {
    for (int32_t j = 0; j < TL_PORTABLE_NR_; j++) acc[r][j] = b[j];
  }
  b += TL_PORTABLE_NR_;
  for (int32_t kk = 0; kk < k; kk++, b += TL_PORTABLE_NR_) {
    for (int32_t r = 0; r < rows; r++) {
      const float av = a[(int64_t)r * lda + kk];
      for (int32_t j = 0; j < TL_PORTABLE_NR_; j++) acc[r][j] += av * b[j];
    }
  }
  for (int32_t r = 0; r < rows; r++) {
    for (int32_t j = 0; j < TL_PORTABLE_NR_; j++) {
      const float v = acc[r][j];
      c[(int64_t)r * ldc + j] = v < act.min ? act.min : (v > act.max ? act.max : v);
    }
  }
}

/* rows (1..4) a constant per case, so each case's loops are specialised; partial tiles go through part */
static void tl_portable_tiles(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda, const float *b,
                              float *c, int64_t ldc, tl_act_f32 act) {
  float part[4 * TL_PORTABLE_NR_]; /* [rows, NR] when cols < NR */
  float *dst = cols == TL_PORTABLE_NR_ ? c : part;
  const int64_t ld = cols == TL_PORTABLE_NR_ ? ldc : TL_PORTABLE_NR_;
  switch (rows) {
    case 1: tl_portable_tile(1, k, a, lda, b, dst, ld, act); break;
    case 2: tl_portable_tile(2, k, a, lda, b, dst, ld, act); break;
    case 3: tl_portable_tile(3, k, a, lda, b, dst, ld, act); break;
    default: tl_portable_tile(4, k, a, lda, b, dst, ld, act); break;
  }
  if (cols < TL_PORTABLE_NR_) tl_gemm_copy_cols(c, ldc, part, TL_PORTABLE_NR_, rows, cols);
}

void tl_gemm_f32_portable(const tl_gemm_f32_args *g) { tl_gemm_f32_tiles(g, 4, TL_PORTABLE_NR_, tl_portable_tiles); }
