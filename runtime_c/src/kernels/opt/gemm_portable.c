/* gemm_portable.c: the plain C GEMM micro-kernel (4 rows x 8 columns) and its driver.
 *
 * What this is: the packed GEMM for every CPU (and the fallback of the SIMD drivers on architectures that
 * lack them); the compiler may vectorise the inner column loop. What this is not: the specification (the
 * reference kernels are).
 */
#include "gemm_driver.h"

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

TL_GEMM_DRIVER(tl_gemm_f32_portable, , 4, TL_PORTABLE_NR_, tl_portable_tile)
