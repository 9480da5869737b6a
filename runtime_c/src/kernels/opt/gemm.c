/* gemm.c: packing of GEMM weight panels and dispatch to the level's driver (see opt_kernels.h).
 *
 * What this is: the level-independent half of the packed GEMM. What this is not: a micro-kernel (those are
 * gemm_portable.c, gemm_avx2.c, gemm_avx512.c, gemm_neon.c).
 */
#include "opt_kernels.h"

#include <string.h>

int32_t tl_gemm_nr(tl_isa isa) {
  switch (isa) {
    case TL_ISA_AVX512:
      return 32;
    case TL_ISA_AVX2:
      return 16;
    case TL_ISA_NEON:
    case TL_ISA_PORTABLE:
    case TL_ISA_REFERENCE:
    case TL_ISA_AUTO:
      return 8;
  }
  return 8;
}

tl_isa tl_gemm_level_for(tl_isa isa, int32_t n) { return isa == TL_ISA_AVX512 && n <= 16 ? TL_ISA_AVX2 : isa; }

size_t tl_gemm_packed_floats(tl_isa isa, int32_t n, int32_t k) {
  const size_t nr = (size_t)tl_gemm_nr(isa);
  const size_t panels = ((size_t)n + nr - 1) / nr;
  return panels * ((size_t)k + 1) * nr;
}

void tl_gemm_pack_f32(float *packed, const float *w, const float *bias, int32_t n, int32_t k, tl_isa isa) {
  const int32_t nr = tl_gemm_nr(isa);
  memset(packed, 0, tl_gemm_packed_floats(isa, n, k) * sizeof(float));
  for (int32_t j0 = 0; j0 < n; j0 += nr) {
    float *panel = packed + ((int64_t)j0 / nr) * ((int64_t)k + 1) * nr; /* [k + 1, nr] */
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
    for (int32_t j = 0; j < cols; j++) {
      const float *wj = w + (int64_t)(j0 + j) * k; /* [k] */
      panel[j] = bias ? bias[j0 + j] : 0.0f;
      for (int32_t i = 0; i < k; i++) panel[(int64_t)(i + 1) * nr + j] = wj[i];
    }
  }
}

void tl_gemm_f32(const tl_gemm_f32_args *g, tl_isa isa) {
  switch (isa) {
    case TL_ISA_AVX512:
      tl_gemm_f32_avx512(g);
      return;
    case TL_ISA_AVX2:
      tl_gemm_f32_avx2(g);
      return;
    case TL_ISA_NEON:
      tl_gemm_f32_neon(g);
      return;
    case TL_ISA_PORTABLE:
    case TL_ISA_REFERENCE:
    case TL_ISA_AUTO:
      tl_gemm_f32_portable(g);
      return;
  }
  tl_gemm_f32_portable(g);
}
