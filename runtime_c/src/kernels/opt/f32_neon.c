/* f32_neon.c: the NEON float32 kernels of the non-GEMM ops (4 floats per vector; on AArch64 also 2 doubles for
 * Mean, Sigmoid and Tanh) and their sets: the NEON vector operations as always-inline functions (fused
 * multiply-add where the target has it; clamps as compare-and-select so that a NaN passes through), the kernel
 * bodies written on them (depthwise, pool, elementwise; on AArch64 mean and transcendental _body.h) and this
 * level's kernel sets (opt_f32_internal.h). ARMv7 NEON has no double lanes: its Mean is the portable kernel,
 * its Sigmoid and Tanh the reference. Not used off ARM (empty there; opt_f32_internal.h names the portable sets).
 */
#include "../geometry.h"
#include "opt_f32_internal.h"

#include <math.h>

#if defined(TL_F32_NEON)
#include <arm_neon.h>

#define TL_VF_FN
#define TL_V_INLINE static inline __attribute__((always_inline))
#define TL_VF_W 4
typedef float32x4_t tl_vf;

TL_V_INLINE tl_vf tl_vf_load(const float *p) { return vld1q_f32(p); }
TL_V_INLINE void tl_vf_store(float *p, tl_vf v) { vst1q_f32(p, v); }
TL_V_INLINE tl_vf tl_vf_set1(float s) { return vdupq_n_f32(s); }
TL_V_INLINE tl_vf tl_vf_add(tl_vf a, tl_vf b) { return vaddq_f32(a, b); }
TL_V_INLINE tl_vf tl_vf_sub(tl_vf a, tl_vf b) { return vsubq_f32(a, b); }
TL_V_INLINE tl_vf tl_vf_mul(tl_vf a, tl_vf b) { return vmulq_f32(a, b); }
#if defined(__aarch64__)
TL_V_INLINE tl_vf tl_vf_div(tl_vf a, tl_vf b) { return vdivq_f32(a, b); }
#else
/* ARMv7 NEON has no division (only reciprocal estimates): divide lane by lane with VFP, exactly */
TL_V_INLINE tl_vf tl_vf_div(tl_vf a, tl_vf b) {
  float fa[4], fb[4];
  vst1q_f32(fa, a);
  vst1q_f32(fb, b);
  for (int j = 0; j < 4; j++) fa[j] /= fb[j];
  return vld1q_f32(fa);
}
#endif
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
TL_V_INLINE tl_vf tl_vf_fma(tl_vf a, tl_vf b, tl_vf c) { return vfmaq_f32(c, a, b); } /* a * b + c */
#else
TL_V_INLINE tl_vf tl_vf_fma(tl_vf a, tl_vf b, tl_vf c) { return vmlaq_f32(c, a, b); }
#endif
TL_V_INLINE tl_vf tl_vf_max(tl_vf lo, tl_vf v) { return vbslq_f32(vcltq_f32(v, lo), lo, v); } /* v < lo ? lo : v */
TL_V_INLINE tl_vf tl_vf_min(tl_vf hi, tl_vf v) { return vbslq_f32(vcgtq_f32(v, hi), hi, v); } /* v > hi ? hi : v */
/* v where v > acc or v is NaN (MaxPool's rule: a NaN wins), else acc */
TL_V_INLINE tl_vf tl_vf_nanmax(tl_vf acc, tl_vf v) {
  const uint32x4_t take = vorrq_u32(vcgtq_f32(v, acc), vmvnq_u32(vceqq_f32(v, v)));
  return vbslq_f32(take, v, acc);
}
TL_V_INLINE void tl_vf_zip2(float *p, tl_vf a, tl_vf b) { /* p[2j] = a[j], p[2j + 1] = b[j] */
  float32x4x2_t ab;
  ab.val[0] = a;
  ab.val[1] = b;
  vst2q_f32(p, ab);
}

#include "depthwise_body.h"
#include "elementwise_body.h"
#include "pool_body.h"

#if defined(__aarch64__)
#define TL_VD_W 2
typedef float64x2_t tl_vd;
TL_V_INLINE tl_vd tl_vd_loadf(const float *p) { return vcvt_f64_f32(vld1_f32(p)); } /* 2 floats widened */
TL_V_INLINE void tl_vd_storef(float *p, tl_vd v) { vst1_f32(p, vcvt_f32_f64(v)); }  /* rounded to float */
TL_V_INLINE tl_vd tl_vd_set1(double s) { return vdupq_n_f64(s); }
TL_V_INLINE tl_vd tl_vd_add(tl_vd a, tl_vd b) { return vaddq_f64(a, b); }
TL_V_INLINE tl_vd tl_vd_sub(tl_vd a, tl_vd b) { return vsubq_f64(a, b); }
TL_V_INLINE tl_vd tl_vd_mul(tl_vd a, tl_vd b) { return vmulq_f64(a, b); }
TL_V_INLINE tl_vd tl_vd_div(tl_vd a, tl_vd b) { return vdivq_f64(a, b); }
TL_V_INLINE tl_vd tl_vd_fma(tl_vd a, tl_vd b, tl_vd c) { return vfmaq_f64(c, a, b); }
TL_V_INLINE tl_vd tl_vd_max(tl_vd a, tl_vd b) { return vmaxq_f64(a, b); }
TL_V_INLINE tl_vd tl_vd_abs(tl_vd x) { return vabsq_f64(x); }
TL_V_INLINE tl_vd tl_vd_sel_lt(tl_vd a, tl_vd b, tl_vd p, tl_vd q) { return vbslq_f64(vcltq_f64(a, b), p, q); }
TL_V_INLINE tl_vd tl_vd_sel_nan(tl_vd x, tl_vd v) { return vbslq_f64(vceqq_f64(x, x), v, x); }
TL_V_INLINE tl_vd tl_vd_copysign(tl_vd v, tl_vd x) { return vbslq_f64(vdupq_n_u64(UINT64_C(1) << 63), x, v); }
TL_V_INLINE tl_vd tl_vd_scale(tl_vd k) { /* 2^n for k = n + 1.5 * 2^52 (n in the low bits) */
  return vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(vreinterpretq_s64_f64(k), vdupq_n_s64(1023)), 52));
}
/* float lanes as above, for transcendental_body.h's float tanh and exponential */
TL_V_INLINE tl_vf tl_vf_abs(tl_vf x) { return vabsq_f32(x); }
TL_V_INLINE tl_vf tl_vf_sel_lt(tl_vf a, tl_vf b, tl_vf p, tl_vf q) { return vbslq_f32(vcltq_f32(a, b), p, q); }
TL_V_INLINE tl_vf tl_vf_sel_nan(tl_vf x, tl_vf v) { return vbslq_f32(vceqq_f32(x, x), v, x); }
TL_V_INLINE tl_vf tl_vf_copysign(tl_vf v, tl_vf x) { return vbslq_f32(vdupq_n_u32(UINT32_C(1) << 31), x, v); }
TL_V_INLINE tl_vf tl_vf_scale(tl_vf k) { /* 2^n for k = n + 1.5 * 2^23 (n in the low bits, -126..127) */
  return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vreinterpretq_s32_f32(k), vdupq_n_s32(127)), 23));
}

#include "mean_body.h"
#include "transcendental_body.h"

const tl_f32_mean_kernels tl_f32_mean_neon = {tl_mean_run};
const tl_f32_tr_kernels tl_f32_tr_neon = {tl_sigmoid_run, tl_tanh_run};
const tl_f32_gelu_kernels tl_f32_gelu_neon = {tl_gelu_tanh_run, tl_trf_tanh_run};
const tl_f32_softmax_kernels tl_f32_softmax_neon = {tl_softmax_run};
#endif

const tl_f32_dw_kernels tl_f32_dw_neon = {tl_dw_run, tl_dw_mult_run};
const tl_f32_pool_kernels tl_f32_max_pool_neon = {tl_max_pool_run};
const tl_f32_pool_kernels tl_f32_avg_pool_neon = {tl_avg_pool_run};
const tl_f32_binary_kernels tl_f32_binary_neon = {tl_binary_run};
const tl_f32_clamp_kernels tl_f32_clamp_neon = {tl_clamp_run};
const tl_f32_hard_swish_kernels tl_f32_hard_swish_neon = {tl_hard_swish_run};

#endif
