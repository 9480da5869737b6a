/* gemm_int8_neon.c: the Arm int8 micro-kernels and kernel sets: NEON (NR 8, G 2; ARMv7 and AArch64) and
 * ARMv8.2 dotprod (NR 8, G 4; AArch64), the AArch64 4-wide requantization, the depthwise sums of 16 channels.
 *
 * What this is: NEON code guarded by __ARM_NEON (the dotprod kernel compiled with a target attribute, so the
 * rest stays baseline ARMv8-A). What this is not: used elsewhere (the file is empty off Arm).
 */
#include "gemm_int8_internal.h"

#if defined(TL_I8_ARM)
#include <arm_neon.h>

/* ---- NEON: NR 8, G 2; vmull_s8 of 4 columns x 2 depths by the duplicated pair (x0, x1) gives 8 exact int16
 * products, vpadalq_s16 adds each column's pair into its int32 lane ---- */
TL_I8_INLINE void tl_i8_neon_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k, const int8_t *b,
                                  int32_t *acc) {
  int32x4_t c0[TL_I8_MR], c1[TL_I8_MR];
  const int32_t pairs = (k + 1) / 2;
  for (int32_t r = 0; r < rows; r++) c0[r] = c1[r] = vdupq_n_s32(0);
  for (int32_t g = 0; g < pairs; g++) {
    const int8x16_t bv = vld1q_s8(b + (int64_t)g * 16);
    for (int32_t r = 0; r < rows; r++) {
      const int8_t *x = a + r * lda + g * 2;
      const uint16_t pair = (uint16_t)((uint8_t)x[0] | (g * 2 + 1 < k ? (uint16_t)((uint8_t)x[1] << 8) : 0));
      const int8x8_t xd = vreinterpret_s8_u16(vdup_n_u16(pair));
      c0[r] = vpadalq_s16(c0[r], vmull_s8(vget_low_s8(bv), xd));
      c1[r] = vpadalq_s16(c1[r], vmull_s8(vget_high_s8(bv), xd));
    }
  }
  for (int32_t r = 0; r < rows; r++) {
    vst1q_s32(acc + r * 16, c0[r]);
    vst1q_s32(acc + r * 16 + 4, c1[r]);
  }
}

static void tl_i8_tile_neon(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                            int32_t *acc) {
  if (rows == TL_I8_MR) {
    tl_i8_neon_rows(TL_I8_MR, a, lda, k, b, acc);
    return;
  }
  for (int32_t r = 0; r < rows; r++) tl_i8_neon_rows(1, a + r * lda, lda, k, b, acc + r * 16);
}

#if defined(__aarch64__)
/* Two outputs of the one-shift requantization (see tl_rq16) in AArch64 NEON 64-bit lanes: a (int32, already
 * saturated), multiplier m and right shift r per lane; SSHL by a negative count is the arithmetic right shift. */
static int32x2_t tl_i8_requant2_a64(int32x2_t a, int32x2_t m, int32x2_t r, int single) {
  const int64x2_t ab = vmull_s32(a, m), r64 = vmovl_s32(r);
  const uint64x2_t pos = vcgtq_s64(r64, vdupq_n_s64(0));
  const int64x2_t up = vshlq_s64(vdupq_n_s64(1), vaddq_s64(r64, vdupq_n_s64(30)));
  if (single) { /* the reference's one rounding: 2^(30+r) less 1 when a * m < 0 */
    const int64x2_t neg = vreinterpretq_s64_u64(vandq_u64(vcltq_s64(ab, vdupq_n_s64(0)), vdupq_n_u64(1)));
    const int64x2_t u = vsubq_s64(vaddq_s64(ab, up), neg);
    return vmovn_s64(vshlq_s64(u, vnegq_s64(vaddq_s64(r64, vdupq_n_s64(31)))));
  }
  const int64x2_t k = vaddq_s64(vdupq_n_s64((int64_t)1 << 30), vreinterpretq_s64_u64(vandq_u64(pos, vreinterpretq_u64_s64(up))));
  const uint64x2_t below = vandq_u64(vcltq_s64(ab, vdupq_n_s64(-((int64_t)1 << 30))), pos);
  const int64x2_t n = vreinterpretq_s64_u64(vandq_u64(below, vdupq_n_u64((uint64_t)1 << 31)));
  const int64x2_t t = vsubq_s64(vaddq_s64(ab, k), n);
  return vmovn_s64(vshlq_s64(t, vnegq_s64(vaddq_s64(r64, vdupq_n_s64(31)))));
}

/* tl_i8_requant_rows_scalar with 4 outputs per step. */
static void tl_i8_requant_rows_a64(int8_t *y, int64_t ldy, const int32_t *raw, int32_t rows, const int64_t *corr,
                                    int32_t j0, int32_t cols, const tl_requant_int8 *q) {
  const int per_channel = q->channels > 1;
  const int32x4_t zp = vdupq_n_s32(q->output_zp), lo = vdupq_n_s32(q->act_min), hi = vdupq_n_s32(q->act_max);
  for (int32_t r = 0; r < rows; r++, y += ldy, raw += 16) {
    int32_t j = 0;
    for (; j + 4 <= cols; j += 4) {
      int32x4_t m, r;
      if (per_channel) {
        m = vld1q_s32(q->multipliers + j0 + j);
        r = vnegq_s32(vld1q_s32(q->shifts + j0 + j));
      } else {
        m = vdupq_n_s32(q->multiplier);
        r = vdupq_n_s32(-q->shift);
      }
      const int32x4_t r32 = vld1q_s32(raw + j);
      const int32x2_t a_lo = vqmovn_s64(vaddw_s32(vld1q_s64(corr + j), vget_low_s32(r32)));
      const int32x2_t a_hi = vqmovn_s64(vaddw_s32(vld1q_s64(corr + j + 2), vget_high_s32(r32)));
      int32x4_t v = vcombine_s32(tl_i8_requant2_a64(a_lo, vget_low_s32(m), vget_low_s32(r), q->single_rounding),
                                 tl_i8_requant2_a64(a_hi, vget_high_s32(m), vget_high_s32(r), q->single_rounding));
      v = vminq_s32(vmaxq_s32(vqaddq_s32(v, zp), lo), hi); /* saturating: v may be INT32_MIN (extreme scales) */
      const int16x4_t v16 = vmovn_s32(v);
      const int8x8_t v8 = vmovn_s16(vcombine_s16(v16, v16));
      vst1_lane_s32((int32_t *)(void *)(y + j), vreinterpret_s32_s8(v8), 0);
    }
    tl_i8_requant_tail(y, raw, corr, j0, j, cols, q);
  }
}
#define TL_I8_NEON_REQUANT_ROW tl_i8_requant_rows_a64
#else
#define TL_I8_NEON_REQUANT_ROW tl_i8_requant_rows_scalar
#endif

/* Depthwise: 16 channels of (x - zp) * w, widened to int16 and accumulated with vmlal_s16 (exact). */
static void tl_dw8_sums16_neon(int32_t *sums, const tl_dw8_pixel *t) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  const int16x8_t zp = vdupq_n_s16((int16_t)t->zp);
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      const int8x16_t xv = vld1q_s8(xp), wv = vld1q_s8(wp);
      const int16x8_t x0 = vsubq_s16(vmovl_s8(vget_low_s8(xv)), zp), x1 = vsubq_s16(vmovl_s8(vget_high_s8(xv)), zp);
      const int16x8_t w0 = vmovl_s8(vget_low_s8(wv)), w1 = vmovl_s8(vget_high_s8(wv));
      a0 = vmlal_s16(a0, vget_low_s16(x0), vget_low_s16(w0));
      a1 = vmlal_s16(a1, vget_high_s16(x0), vget_high_s16(w0));
      a2 = vmlal_s16(a2, vget_low_s16(x1), vget_low_s16(w1));
      a3 = vmlal_s16(a3, vget_high_s16(x1), vget_high_s16(w1));
    }
  vst1q_s32(sums, a0);
  vst1q_s32(sums + 4, a1);
  vst1q_s32(sums + 8, a2);
  vst1q_s32(sums + 12, a3);
}

const tl_i8_kernels tl_i8_kernels_neon = {
    TL_I8_NEON, 8, 2, 0, tl_i8_tile_neon, TL_I8_NEON_REQUANT_ROW, tl_dw8_sums16_neon, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

#if defined(TL_I8_DOTPROD)
#if defined(__clang__)
#define TL_I8_SDOT_ __attribute__((target("dotprod")))
#else
#define TL_I8_SDOT_ __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

/* ---- ARMv8.2 dotprod: NR 8, G 4; sdot adds 4 byte products per column lane ---- */
TL_I8_SDOT_ TL_I8_INLINE void tl_i8_sdot_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                              const int8_t *b, int32_t *acc) {
  int32x4_t c0[TL_I8_MR], c1[TL_I8_MR];
  const int32_t groups = (k + 3) / 4;
  for (int32_t r = 0; r < rows; r++) c0[r] = c1[r] = vdupq_n_s32(0);
  for (int32_t g = 0; g < groups; g++) {
    const int8x16_t b0 = vld1q_s8(b + (int64_t)g * 32), b1 = vld1q_s8(b + (int64_t)g * 32 + 16);
    const int32_t avail = k - g * 4 < 4 ? k - g * 4 : 4;
    for (int32_t r = 0; r < rows; r++) {
      const int8x16_t xq = vreinterpretq_s8_u32(vdupq_n_u32(tl_i8_load4(a + r * lda + g * 4, avail)));
      c0[r] = vdotq_s32(c0[r], b0, xq);
      c1[r] = vdotq_s32(c1[r], b1, xq);
    }
  }
  for (int32_t r = 0; r < rows; r++) {
    vst1q_s32(acc + r * 16, c0[r]);
    vst1q_s32(acc + r * 16 + 4, c1[r]);
  }
}

TL_I8_SDOT_ static void tl_i8_tile_sdot(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                        int32_t *acc) {
  if (rows == TL_I8_MR) {
    tl_i8_sdot_rows(TL_I8_MR, a, lda, k, b, acc);
    return;
  }
  for (int32_t r = 0; r < rows; r++) tl_i8_sdot_rows(1, a + r * lda, lda, k, b, acc + r * 16);
}

const tl_i8_kernels tl_i8_kernels_sdot = {
    TL_I8_SDOT, 8, 4, 0, tl_i8_tile_sdot, TL_I8_NEON_REQUANT_ROW, tl_dw8_sums16_neon, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
#endif
#endif
