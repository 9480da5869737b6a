/* gemm_int8_portable.c: the plain C int8 micro-kernels (NR 8, G 4) and their kernel set.
 *
 * What this is: the int8 GEMM tile and for every CPU (the depthwise sums are the driver's plain loop), and the fallback kernel set of levels a
 * build has no code for. What this is not: the specification (kernels_int8.h is).
 */
#include "gemm_int8_internal.h"

static void tl_i8_tile_portable(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                int32_t *acc) {
  for (int32_t r = 0; r < rows; r++) {
    const int8_t *x = a + r * lda;
    int32_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int32_t g = 0; g * 4 < k; g++) {
      const int8_t *bg = b + (int64_t)g * 32; /* [8][4] */
      const int32_t avail = k - g * 4 < 4 ? k - g * 4 : 4;
      for (int32_t j = 0; j < 8; j++)
        for (int32_t e = 0; e < avail; e++) s[j] += (int32_t)x[g * 4 + e] * bg[j * 4 + e];
    }
    memcpy(acc + r * 16, s, sizeof s);
  }
}

const tl_i8_kernels tl_i8_kernels_portable = {
    TL_I8_PORTABLE, 8, 4, 0, tl_i8_tile_portable, tl_i8_requant_rows_scalar, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
