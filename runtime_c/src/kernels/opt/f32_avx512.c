/* f32_avx512.c: the AVX-512F float32 kernels of the non-GEMM ops (16 floats, 8 doubles per vector) and sets.
 *
 * What this is: the AVX-512 vector operations as always-inline functions compiled with a function attribute
 * (the rest of the binary stays baseline x86), the kernel bodies written on them (depthwise_body.h,
 * pool_body.h, mean_body.h, elementwise_body.h, transcendental_body.h) and this level's kernel sets
 * (opt_f32_internal.h); f32_avx2.c is the same for AVX2. What this is not: used off x86 (the file is empty
 * there; opt_f32_internal.h names the portable sets).
 */
#include "../geometry.h"
#include "opt_f32_internal.h"

#include <math.h>

#if defined(TL_F32_X86)
#include <immintrin.h>

#define TL_VF_FN __attribute__((target("avx512f,avx2,fma")))
#define TL_V_INLINE static inline __attribute__((always_inline, target("avx512f,avx2,fma")))
#define TL_VF_W 16
#define TL_VD_W 8
typedef __m512 tl_vf;
typedef __m512d tl_vd;

TL_V_INLINE tl_vf tl_vf_load(const float *p) { return _mm512_loadu_ps(p); }
TL_V_INLINE void tl_vf_store(float *p, tl_vf v) { _mm512_storeu_ps(p, v); }
TL_V_INLINE tl_vf tl_vf_set1(float s) { return _mm512_set1_ps(s); }
TL_V_INLINE tl_vf tl_vf_add(tl_vf a, tl_vf b) { return _mm512_add_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_sub(tl_vf a, tl_vf b) { return _mm512_sub_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_mul(tl_vf a, tl_vf b) { return _mm512_mul_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_div(tl_vf a, tl_vf b) { return _mm512_div_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_fma(tl_vf a, tl_vf b, tl_vf c) { return _mm512_fmadd_ps(a, b, c); } /* a * b + c */
/* max(lo, v) then min(hi, .): with the value second, a NaN passes through like in the reference */
TL_V_INLINE tl_vf tl_vf_max(tl_vf lo, tl_vf v) { return _mm512_max_ps(lo, v); }
TL_V_INLINE tl_vf tl_vf_min(tl_vf hi, tl_vf v) { return _mm512_min_ps(hi, v); }
/* v where v > acc or v is NaN (MaxPool's rule: a NaN wins), else acc */
TL_V_INLINE tl_vf tl_vf_nanmax(tl_vf acc, tl_vf v) {
  const __mmask16 take = _mm512_cmp_ps_mask(v, acc, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(take, acc, v);
}
/* p[2j] = a[j], p[2j + 1] = b[j] */
TL_V_INLINE void tl_vf_zip2(float *p, tl_vf a, tl_vf b) {
  const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  _mm512_storeu_ps(p, _mm512_permutex2var_ps(a, lo, b));
  _mm512_storeu_ps(p + 16, _mm512_permutex2var_ps(a, hi, b));
}

TL_V_INLINE tl_vd tl_vd_loadf(const float *p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); } /* 8 floats widened */
TL_V_INLINE void tl_vd_storef(float *p, tl_vd v) { _mm256_storeu_ps(p, _mm512_cvtpd_ps(v)); } /* rounded */
TL_V_INLINE tl_vd tl_vd_set1(double s) { return _mm512_set1_pd(s); }
TL_V_INLINE tl_vd tl_vd_add(tl_vd a, tl_vd b) { return _mm512_add_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_sub(tl_vd a, tl_vd b) { return _mm512_sub_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_mul(tl_vd a, tl_vd b) { return _mm512_mul_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_div(tl_vd a, tl_vd b) { return _mm512_div_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_fma(tl_vd a, tl_vd b, tl_vd c) { return _mm512_fmadd_pd(a, b, c); }
TL_V_INLINE tl_vd tl_vd_max(tl_vd a, tl_vd b) { return _mm512_max_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_abs(tl_vd x) {
  return _mm512_castsi512_pd(_mm512_and_epi64(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MAX)));
}
TL_V_INLINE tl_vd tl_vd_sel_lt(tl_vd a, tl_vd b, tl_vd p, tl_vd q) { /* a < b ? p : q */
  return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, _CMP_LT_OQ), q, p);
}
TL_V_INLINE tl_vd tl_vd_sel_nan(tl_vd x, tl_vd v) { /* x where x is NaN, else v */
  return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), v, x);
}
TL_V_INLINE tl_vd tl_vd_copysign(tl_vd v, tl_vd x) {
  const __m512i sign = _mm512_and_epi64(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MIN));
  return _mm512_castsi512_pd(_mm512_or_epi64(_mm512_castpd_si512(v), sign));
}
TL_V_INLINE tl_vd tl_vd_scale(tl_vd k) { /* 2^n for k = n + 1.5 * 2^52 (n in the low bits) */
  const __m512i e = _mm512_add_epi64(_mm512_castpd_si512(k), _mm512_set1_epi64(1023));
  return _mm512_castsi512_pd(_mm512_slli_epi64(e, 52));
}
/* float lanes as above, for transcendental_body.h's float tanh and exponential (AVX-512F integer logic) */
TL_V_INLINE tl_vf tl_vf_abs(tl_vf x) {
  return _mm512_castsi512_ps(_mm512_and_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MAX)));
}
TL_V_INLINE tl_vf tl_vf_sel_lt(tl_vf a, tl_vf b, tl_vf p, tl_vf q) { /* a < b ? p : q */
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), q, p);
}
TL_V_INLINE tl_vf tl_vf_sel_nan(tl_vf x, tl_vf v) { /* x where x is NaN, else v */
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), v, x);
}
TL_V_INLINE tl_vf tl_vf_copysign(tl_vf v, tl_vf x) {
  const __m512i sign = _mm512_and_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN));
  return _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(v), sign));
}
TL_V_INLINE tl_vf tl_vf_scale(tl_vf k) { /* 2^n for k = n + 1.5 * 2^23 (n in the low bits, -126..127) */
  const __m512i e = _mm512_add_epi32(_mm512_castps_si512(k), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}

#include "depthwise_body.h"
#include "elementwise_body.h"
#include "mean_body.h"
#include "pool_body.h"
#include "transcendental_body.h"

const tl_f32_dw_kernels tl_f32_dw_avx512 = {tl_dw_run, tl_dw_mult_run};
const tl_f32_pool_kernels tl_f32_max_pool_avx512 = {tl_max_pool_run};
const tl_f32_pool_kernels tl_f32_avg_pool_avx512 = {tl_avg_pool_run};
const tl_f32_mean_kernels tl_f32_mean_avx512 = {tl_mean_run};
const tl_f32_binary_kernels tl_f32_binary_avx512 = {tl_binary_run};
const tl_f32_clamp_kernels tl_f32_clamp_avx512 = {tl_clamp_run};
const tl_f32_hard_swish_kernels tl_f32_hard_swish_avx512 = {tl_hard_swish_run};
const tl_f32_tr_kernels tl_f32_tr_avx512 = {tl_sigmoid_run, tl_tanh_run};
const tl_f32_gelu_kernels tl_f32_gelu_avx512 = {tl_gelu_tanh_run, tl_trf_tanh_run};
const tl_f32_softmax_kernels tl_f32_softmax_avx512 = {tl_softmax_run};

#endif
