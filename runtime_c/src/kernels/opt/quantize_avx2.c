/* quantize_avx2.c: AVX2 Quantize and Dequantize, 32 elements per step (quantize_opt.h).
 *
 * Quantize, per 8 floats: v = x / scale (vdivps: correctly rounded, as the scalar division); t = trunc(v);
 * r = t + (|v - t| >= 0.5 ? copysign(1, v) : 0), which is roundf(v) exactly (v - t is exact; for |v| >= 2^23
 * t = v; for +-inf v - t is NaN and compares false); r + zp; max/min to [-128, 127]; NaN lanes (v != v) take
 * zp. Four vectors are converted (exact: integral and in range) and packed with saturation to 32 bytes; the
 * packs work per 128-bit lane, so a final dword permute restores the order. The tail (< 32) goes by 8, the
 * last 8 ending at n (recomputing up to 7 bytes already written: the same values); under 8 elements in all,
 * the portable arithmetic of the reference. Dequantize: sign-extend 8 bytes, subtract zp, convert, multiply;
 * its tail likewise. Not used off x86 (the file is empty there; quantize_opt.c names the portable set).
 */
#include "opt_f32_internal.h"
#include "quantize_opt.h"

#if defined(TL_F32_X86)
#include <immintrin.h>

#define TL_QA_FN __attribute__((target("avx2")))
#define TL_QA_INLINE static inline __attribute__((always_inline, target("avx2")))

TL_QA_INLINE __m256i tl_q8(const float *x, __m256 scale, __m256 zp, __m256i zpi) {
  const __m256 half = _mm256_set1_ps(0.5f), sign = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), scale);
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 far = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(v, t)), half, _CMP_GE_OQ);
  const __m256 step = _mm256_and_ps(far, _mm256_or_ps(one, _mm256_and_ps(sign, v)));
  __m256 r = _mm256_add_ps(_mm256_add_ps(t, step), zp);
  r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
  return _mm256_blendv_epi8(_mm256_cvttps_epi32(r), zpi, _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
}

static TL_QA_FN void tl_quantize_avx2(int8_t *y, const float *x, int64_t n, const tl_qdq_params *p) {
  const __m256 scale = _mm256_set1_ps(p->scale), zp = _mm256_set1_ps((float)p->zero_point);
  const __m256i zpi = _mm256_set1_epi32(p->zero_point), order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = tl_q8(x + i, scale, zp, zpi), b = tl_q8(x + i + 8, scale, zp, zpi);
    const __m256i c = tl_q8(x + i + 16, scale, zp, zpi), d = tl_q8(x + i + 24, scale, zp, zpi);
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    _mm256_storeu_si256((__m256i *)(y + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  if (n >= 8) { /* the tail by 8, the last 8 ending at n (recomputing a few bytes already written, same values) */
    for (; i < n; i += 8) {
      const int64_t at = i + 8 <= n ? i : n - 8;
      const __m256i v = tl_q8(x + at, scale, zp, zpi);
      const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
      _mm_storel_epi64((__m128i *)(y + at), _mm_packs_epi16(h, h));
    }
  } else if (i < n) {
    tl_f32_qdq_portable.quantize(y + i, x + i, n - i, p);
  }
}

static TL_QA_FN void tl_dequantize_avx2(float *y, const int8_t *x, int64_t n, const tl_qdq_params *p) {
  const __m256 scale = _mm256_set1_ps(p->scale);
  const __m256i zp = _mm256_set1_epi32(p->zero_point);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(x + i)));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(q, zp))));
  }
  if (i < n && n >= 8) { /* the last 8 ending at n (a few recomputed, same values) */
    const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(x + n - 8)));
    _mm256_storeu_ps(y + n - 8, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(_mm256_sub_epi32(q, zp))));
  } else if (i < n) {
    tl_f32_qdq_portable.dequantize(y + i, x + i, n - i, p);
  }
}

const tl_f32_qdq_kernels tl_f32_qdq_avx2 = {tl_quantize_avx2, tl_dequantize_avx2};
#endif
