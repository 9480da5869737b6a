/* quantize_avx512.c: AVX-512F Quantize and Dequantize, 16 elements per step (quantize_opt.h).
 *
 * The arithmetic of quantize_avx2.c on 16 lanes (roundscale for the truncation, mask registers for the
 * comparisons), then vpmovsdb narrows each vector of 16 int32 straight to 16 bytes in order. The tail (< 16)
 * goes through the portable set. Not used off x86 (empty there).
 */
#include "opt_f32_internal.h"
#include "quantize_opt.h"

#if defined(TL_F32_X86)
#include <immintrin.h>

#define TL_QB_FN __attribute__((target("avx512f")))
#define TL_QB_INLINE static inline __attribute__((always_inline, target("avx512f")))

TL_QB_INLINE __m128i tl_q16(__m512 xs, __m512 scale, __m512 zp, __m512i zpi) {
  const __m512 v = _mm512_div_ps(xs, scale);
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  const __m512 frac = _mm512_castsi512_ps(_mm512_andnot_si512(sign, _mm512_castps_si512(_mm512_sub_ps(v, t))));
  const __mmask16 far = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 step = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(1.0f)),
                                                          _mm512_and_si512(sign, _mm512_castps_si512(v))));
  __m512 r = _mm512_mask_add_ps(t, far, t, step);
  r = _mm512_add_ps(r, zp);
  r = _mm512_min_ps(_mm512_max_ps(r, _mm512_set1_ps(-128.0f)), _mm512_set1_ps(127.0f));
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_cvtsepi32_epi8(_mm512_mask_mov_epi32(_mm512_cvttps_epi32(r), nan, zpi));
}

static TL_QB_FN void tl_quantize_avx512(int8_t *y, const float *x, int64_t n, const tl_qdq_params *p) {
  const __m512 scale = _mm512_set1_ps(p->scale), zp = _mm512_set1_ps((float)p->zero_point);
  const __m512i zpi = _mm512_set1_epi32(p->zero_point);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m128i a = tl_q16(_mm512_loadu_ps(x + i), scale, zp, zpi);
    const __m128i b = tl_q16(_mm512_loadu_ps(x + i + 16), scale, zp, zpi);
    _mm_storeu_si128((__m128i *)(y + i), a);
    _mm_storeu_si128((__m128i *)(y + i + 16), b);
  }
  for (; i + 16 <= n; i += 16) _mm_storeu_si128((__m128i *)(y + i), tl_q16(_mm512_loadu_ps(x + i), scale, zp, zpi));
  if (i < n) tl_f32_qdq_portable.quantize(y + i, x + i, n - i, p);
}

static TL_QB_FN void tl_dequantize_avx512(float *y, const int8_t *x, int64_t n, const tl_qdq_params *p) {
  const __m512 scale = _mm512_set1_ps(p->scale);
  const __m512i zp = _mm512_set1_epi32(p->zero_point);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i q = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(x + i)));
    _mm512_storeu_ps(y + i, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(_mm512_sub_epi32(q, zp))));
  }
  if (i < n) tl_f32_qdq_portable.dequantize(y + i, x + i, n - i, p);
}

const tl_f32_qdq_kernels tl_f32_qdq_avx512 = {tl_quantize_avx512, tl_dequantize_avx512};
#endif
