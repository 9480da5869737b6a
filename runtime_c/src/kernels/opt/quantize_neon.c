/* quantize_neon.c: AArch64 NEON Quantize and Dequantize, 16 elements per step (quantize_opt.h).
 *
 * Quantize, per 4 floats: v = x / scale (vdivq_f32: correctly rounded, as the scalar division); vrndaq_f32
 * rounds to nearest with ties away from zero, which is roundf; + zp; max/min to [-128, 127]; NaN lanes
 * (v != v) take zp; vcvtq_s32_f32 (exact: integral and in range) and two saturating narrows to bytes. The
 * tail (< 16) goes through the portable set. Dequantize: widen 8 bytes to int32, subtract zp, convert,
 * multiply. ARMv7 NEON has no vector division (and no vrndaq): it runs the portable set.
 */
#include "opt_f32_internal.h"
#include "quantize_opt.h"

#if defined(TL_F32_NEON) && defined(__aarch64__)
#include <arm_neon.h>

static inline int32x4_t tl_q4(const float *x, float32x4_t scale, float32x4_t zp, int32x4_t zpi) {
  const float32x4_t v = vdivq_f32(vld1q_f32(x), scale);
  float32x4_t r = vaddq_f32(vrndaq_f32(v), zp);
  r = vminq_f32(vmaxq_f32(r, vdupq_n_f32(-128.0f)), vdupq_n_f32(127.0f));
  const uint32x4_t ok = vceqq_f32(v, v); /* all ones unless NaN */
  return vbslq_s32(ok, vcvtq_s32_f32(vbslq_f32(ok, r, zp)), zpi);
}

static void tl_quantize_neon(int8_t *y, const float *x, int64_t n, const tl_qdq_params *p) {
  const float32x4_t scale = vdupq_n_f32(p->scale), zp = vdupq_n_f32((float)p->zero_point);
  const int32x4_t zpi = vdupq_n_s32(p->zero_point);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const int16x8_t lo =
        vcombine_s16(vqmovn_s32(tl_q4(x + i, scale, zp, zpi)), vqmovn_s32(tl_q4(x + i + 4, scale, zp, zpi)));
    const int16x8_t hi =
        vcombine_s16(vqmovn_s32(tl_q4(x + i + 8, scale, zp, zpi)), vqmovn_s32(tl_q4(x + i + 12, scale, zp, zpi)));
    vst1q_s8(y + i, vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
  }
  if (i < n) tl_f32_qdq_portable.quantize(y + i, x + i, n - i, p);
}

static void tl_dequantize_neon(float *y, const int8_t *x, int64_t n, const tl_qdq_params *p) {
  const float32x4_t scale = vdupq_n_f32(p->scale);
  const int32x4_t zp = vdupq_n_s32(p->zero_point);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const int16x8_t q = vmovl_s8(vld1_s8(x + i));
    const int32x4_t lo = vsubq_s32(vmovl_s16(vget_low_s16(q)), zp), hi = vsubq_s32(vmovl_s16(vget_high_s16(q)), zp);
    vst1q_f32(y + i, vmulq_f32(scale, vcvtq_f32_s32(lo)));
    vst1q_f32(y + i + 4, vmulq_f32(scale, vcvtq_f32_s32(hi)));
  }
  if (i < n) tl_f32_qdq_portable.dequantize(y + i, x + i, n - i, p);
}

const tl_f32_qdq_kernels tl_f32_qdq_neon = {tl_quantize_neon, tl_dequantize_neon};
#endif
