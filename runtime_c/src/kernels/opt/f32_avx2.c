/* f32_avx2.c: the AVX2+FMA float32 kernels of the non-GEMM ops (8 floats, 4 doubles per vector) and their sets.
 *
 * What this is: the AVX2 vector operations as always-inline functions compiled with a function attribute (the
 * rest of the binary stays baseline x86), the kernel bodies written on them (depthwise_body.h, pool_body.h,
 * mean_body.h, elementwise_body.h, transcendental_body.h) and this level's kernel sets (opt_f32_internal.h).
 * What this is not: used off x86 (the file is empty there; opt_f32_internal.h names the portable sets).
 */
#include "../geometry.h"
#include "opt_f32_internal.h"

#include <math.h>

#if defined(TL_F32_X86)
#include <immintrin.h>

#define TL_VF_FN __attribute__((target("avx2,fma")))
#define TL_V_INLINE static inline __attribute__((always_inline, target("avx2,fma")))
#define TL_VF_W 8
#define TL_VD_W 4
typedef __m256 tl_vf;
typedef __m256d tl_vd;

TL_V_INLINE tl_vf tl_vf_load(const float *p) { return _mm256_loadu_ps(p); }
TL_V_INLINE void tl_vf_store(float *p, tl_vf v) { _mm256_storeu_ps(p, v); }
TL_V_INLINE tl_vf tl_vf_set1(float s) { return _mm256_set1_ps(s); }
TL_V_INLINE tl_vf tl_vf_add(tl_vf a, tl_vf b) { return _mm256_add_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_sub(tl_vf a, tl_vf b) { return _mm256_sub_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_mul(tl_vf a, tl_vf b) { return _mm256_mul_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_div(tl_vf a, tl_vf b) { return _mm256_div_ps(a, b); }
TL_V_INLINE tl_vf tl_vf_fma(tl_vf a, tl_vf b, tl_vf c) { return _mm256_fmadd_ps(a, b, c); } /* a * b + c */
/* max(lo, v) then min(hi, .): with the value second, a NaN passes through like in the reference */
TL_V_INLINE tl_vf tl_vf_max(tl_vf lo, tl_vf v) { return _mm256_max_ps(lo, v); }
TL_V_INLINE tl_vf tl_vf_min(tl_vf hi, tl_vf v) { return _mm256_min_ps(hi, v); }
/* v where v > acc or v is NaN (MaxPool's rule: a NaN wins), else acc */
TL_V_INLINE tl_vf tl_vf_nanmax(tl_vf acc, tl_vf v) {
  const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, acc, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  return _mm256_blendv_ps(acc, v, take);
}
/* p[2j] = a[j], p[2j + 1] = b[j] */
TL_V_INLINE void tl_vf_zip2(float *p, tl_vf a, tl_vf b) {
  const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b); /* per 128-bit half */
  _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}

TL_V_INLINE tl_vd tl_vd_loadf(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); } /* 4 floats widened */
TL_V_INLINE void tl_vd_storef(float *p, tl_vd v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); } /* rounded to float */
TL_V_INLINE tl_vd tl_vd_set1(double s) { return _mm256_set1_pd(s); }
TL_V_INLINE tl_vd tl_vd_add(tl_vd a, tl_vd b) { return _mm256_add_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_sub(tl_vd a, tl_vd b) { return _mm256_sub_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_mul(tl_vd a, tl_vd b) { return _mm256_mul_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_div(tl_vd a, tl_vd b) { return _mm256_div_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_fma(tl_vd a, tl_vd b, tl_vd c) { return _mm256_fmadd_pd(a, b, c); }
TL_V_INLINE tl_vd tl_vd_max(tl_vd a, tl_vd b) { return _mm256_max_pd(a, b); }
TL_V_INLINE tl_vd tl_vd_abs(tl_vd x) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), x); }
TL_V_INLINE tl_vd tl_vd_sel_lt(tl_vd a, tl_vd b, tl_vd p, tl_vd q) { /* a < b ? p : q */
  return _mm256_blendv_pd(q, p, _mm256_cmp_pd(a, b, _CMP_LT_OQ));
}
TL_V_INLINE tl_vd tl_vd_sel_nan(tl_vd x, tl_vd v) { /* x where x is NaN, else v */
  return _mm256_blendv_pd(v, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}
TL_V_INLINE tl_vd tl_vd_copysign(tl_vd v, tl_vd x) { return _mm256_or_pd(v, _mm256_and_pd(x, _mm256_set1_pd(-0.0))); }
TL_V_INLINE tl_vd tl_vd_scale(tl_vd k) { /* 2^n for k = n + 1.5 * 2^52 (n in the low bits) */
  const __m256i e = _mm256_add_epi64(_mm256_castpd_si256(k), _mm256_set1_epi64x(1023));
  return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}
/* float lanes as above, for transcendental_body.h's float tanh and exponential */
TL_V_INLINE tl_vf tl_vf_abs(tl_vf x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }
TL_V_INLINE tl_vf tl_vf_sel_lt(tl_vf a, tl_vf b, tl_vf p, tl_vf q) { /* a < b ? p : q */
  return _mm256_blendv_ps(q, p, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
}
TL_V_INLINE tl_vf tl_vf_sel_nan(tl_vf x, tl_vf v) { /* x where x is NaN, else v */
  return _mm256_blendv_ps(v, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}
TL_V_INLINE tl_vf tl_vf_copysign(tl_vf v, tl_vf x) { /* |v| with x's sign, for v >= 0 */
  return _mm256_or_ps(v, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
}
TL_V_INLINE tl_vf tl_vf_scale(tl_vf k) { /* 2^n for k = n + 1.5 * 2^23 (n in the low bits, -126..127) */
  const __m256i e = _mm256_add_epi32(_mm256_castps_si256(k), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}

#define TL_DW_3X3_ROWS 1 /* depthwise_body.h: the 3x3 kernel with row pointers */
#include "depthwise_body.h"
#include "elementwise_body.h"
#include "mean_body.h"
#include "pool_body.h"
#include "transcendental_body.h"

const tl_f32_dw_kernels tl_f32_dw_avx2 = {tl_dw_run, tl_dw_mult_run};
const tl_f32_pool_kernels tl_f32_max_pool_avx2 = {tl_max_pool_run};
const tl_f32_pool_kernels tl_f32_avg_pool_avx2 = {tl_avg_pool_run};
const tl_f32_mean_kernels tl_f32_mean_avx2 = {tl_mean_run};
const tl_f32_binary_kernels tl_f32_binary_avx2 = {tl_binary_run};
const tl_f32_clamp_kernels tl_f32_clamp_avx2 = {tl_clamp_run};
const tl_f32_hard_swish_kernels tl_f32_hard_swish_avx2 = {tl_hard_swish_run};
const tl_f32_tr_kernels tl_f32_tr_avx2 = {tl_sigmoid_run, tl_tanh_run};
const tl_f32_gelu_kernels tl_f32_gelu_avx2 = {tl_gelu_tanh_run, tl_trf_tanh_run};
const tl_f32_softmax_kernels tl_f32_softmax_avx2 = {tl_softmax_run};

#endif
