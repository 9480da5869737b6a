/* binary_int8_neon.c: NEON int8 Add, Sub and Mul, 16 elements per step (binary_int8_opt.h); AArch64 and ARMv7.
 *
 * Per 4 lanes of int32: the bytes widened twice, minus the zero point; Add/Sub rescale each input with two
 * vmulq_s32 (the split product of the header) and the rounding right shift; the output multiply is vqrdmulhq_s32,
 * which is floor((x m + 2^30) / 2^31) saturated, the reference's srdhm; the rounding right shift: a floor
 * shift (vshlq_s32 by -e) then + 1 where the remainder passes (mask >> 1) + (x < 0); + zero point, clamp; the
 * four vectors narrow with saturation (exact: already clamped). The tail (< 16) runs the portable set. Not
 * used off ARM (the file is empty there).
 */
#include "binary_int8_opt.h"
#include "opt_f32_internal.h"

#if defined(TL_F32_NEON)
#include <arm_neon.h>

/* the parameters of one call, as vectors */
typedef struct tl_bn_consts {
  int32x4_t a_zp, b_zp, a_hi, a_lo, b_hi, b_lo, a_neg, b_neg, a_mask, b_mask;
  int32x4_t out_left, out_neg, out_mask, out_m, out_zp, act_min, act_max;
} tl_bn_consts;

static inline int32x4_t tl_bn_mask(int32_t e) { return vdupq_n_s32((int32_t)(((int64_t)1 << e) - 1)); }

static void tl_bn_consts_init(tl_bn_consts *k, const tl_binary_int8_params *p) {
  const int32_t out_left = p->out_shift > 0 ? p->out_shift : 0, out_right = p->out_shift > 0 ? 0 : -p->out_shift;
  k->a_zp = vdupq_n_s32(p->a_zp);
  k->b_zp = vdupq_n_s32(p->b_zp);
  k->a_hi = vdupq_n_s32(p->a_multiplier >> 16);
  k->a_lo = vdupq_n_s32(p->a_multiplier & 0xffff);
  k->b_hi = vdupq_n_s32(p->b_multiplier >> 16);
  k->b_lo = vdupq_n_s32(p->b_multiplier & 0xffff);
  k->a_neg = vdupq_n_s32(p->a_shift); /* -right: vshlq_s32 by a negative count is an arithmetic right shift */
  k->b_neg = vdupq_n_s32(p->b_shift);
  k->a_mask = tl_bn_mask(-p->a_shift);
  k->b_mask = tl_bn_mask(-p->b_shift);
  k->out_left = vdupq_n_s32(out_left);
  k->out_neg = vdupq_n_s32(-out_right);
  k->out_mask = tl_bn_mask(out_right);
  k->out_m = vdupq_n_s32(p->out_multiplier);
  k->out_zp = vdupq_n_s32(p->output_zp);
  k->act_min = vdupq_n_s32(p->act_min);
  k->act_max = vdupq_n_s32(p->act_max);
}

/* round(x / 2^e), ties away from zero; neg = -e, mask = 2^e - 1 */
static inline int32x4_t tl_bn_rdbp(int32x4_t x, int32x4_t neg, int32x4_t mask) {
  const int32x4_t q = vshlq_s32(x, neg), rem = vandq_s32(x, mask);
  const int32x4_t thr = vsubq_s32(vshrq_n_s32(mask, 1), vreinterpretq_s32_u32(vcltq_s32(x, vdupq_n_s32(0))));
  return vsubq_s32(q, vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
}

/* mbqm(c 2^20, m, -right) with m = 2^16 hi + lo */
static inline int32x4_t tl_bn_rescale(int32x4_t c, int32x4_t hi, int32x4_t lo, int32x4_t neg, int32x4_t mask) {
  const int32x4_t h = vshlq_n_s32(vmulq_s32(c, hi), 5);
  const int32x4_t l = vshrq_n_s32(vaddq_s32(vmulq_s32(c, lo), vdupq_n_s32(1024)), 11);
  return tl_bn_rdbp(vaddq_s32(h, l), neg, mask);
}

static inline int32x4_t tl_bn_output(int32x4_t x, const tl_bn_consts *k) {
  const int32x4_t v = vqrdmulhq_s32(vshlq_s32(x, k->out_left), k->out_m);
  const int32x4_t r = vaddq_s32(tl_bn_rdbp(v, k->out_neg, k->out_mask), k->out_zp);
  return vminq_s32(vmaxq_s32(r, k->act_min), k->act_max);
}

/* 4 outputs of op from 4 centered lanes of each input */
static inline int32x4_t tl_bn_4(const int op, int32x4_t ca, int32x4_t cb, const tl_bn_consts *k) {
  int32x4_t x;
  if (op == TL_EW_MUL) {
    x = vmulq_s32(ca, cb);
  } else {
    const int32x4_t sa = tl_bn_rescale(ca, k->a_hi, k->a_lo, k->a_neg, k->a_mask);
    const int32x4_t sb = tl_bn_rescale(cb, k->b_hi, k->b_lo, k->b_neg, k->b_mask);
    x = op == TL_EW_ADD ? vaddq_s32(sa, sb) : vsubq_s32(sa, sb);
  }
  return tl_bn_output(x, k);
}

static inline void tl_bn_run(const int op, int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs,
                             int64_t n, const tl_binary_int8_params *p) {
  tl_bn_consts k;
  int64_t i = 0;
  tl_bn_consts_init(&k, p);
  for (; i + 16 <= n; i += 16) {
    const int8x16_t av = vld1q_s8(a + i * as), bv = vld1q_s8(b + i * bs);
    const int16x8_t a0 = vmovl_s8(vget_low_s8(av)), a1 = vmovl_s8(vget_high_s8(av));
    const int16x8_t b0 = vmovl_s8(vget_low_s8(bv)), b1 = vmovl_s8(vget_high_s8(bv));
    const int32x4_t r0 = tl_bn_4(op, vsubq_s32(vmovl_s16(vget_low_s16(a0)), k.a_zp),
                                 vsubq_s32(vmovl_s16(vget_low_s16(b0)), k.b_zp), &k);
    const int32x4_t r1 = tl_bn_4(op, vsubq_s32(vmovl_s16(vget_high_s16(a0)), k.a_zp),
                                 vsubq_s32(vmovl_s16(vget_high_s16(b0)), k.b_zp), &k);
    const int32x4_t r2 = tl_bn_4(op, vsubq_s32(vmovl_s16(vget_low_s16(a1)), k.a_zp),
                                 vsubq_s32(vmovl_s16(vget_low_s16(b1)), k.b_zp), &k);
    const int32x4_t r3 = tl_bn_4(op, vsubq_s32(vmovl_s16(vget_high_s16(a1)), k.a_zp),
                                 vsubq_s32(vmovl_s16(vget_high_s16(b1)), k.b_zp), &k);
    const int16x8_t lo = vcombine_s16(vqmovn_s32(r0), vqmovn_s32(r1));
    const int16x8_t hi = vcombine_s16(vqmovn_s32(r2), vqmovn_s32(r3));
    vst1q_s8(y + i, vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
  }
  if (i < n) {
    const tl_i8_binary_run_fn tail = op == TL_EW_ADD ? tl_i8_binary_portable.add
                                                     : (op == TL_EW_SUB ? tl_i8_binary_portable.sub
                                                                        : tl_i8_binary_portable.mul);
    tail(y + i, a + i * as, as, b + i * bs, bs, n - i, p);
  }
}

static void tl_bn_add(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                      const tl_binary_int8_params *p) {
  tl_bn_run(TL_EW_ADD, y, a, as, b, bs, n, p);
}

static void tl_bn_sub(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                      const tl_binary_int8_params *p) {
  tl_bn_run(TL_EW_SUB, y, a, as, b, bs, n, p);
}

static void tl_bn_mul(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                      const tl_binary_int8_params *p) {
  tl_bn_run(TL_EW_MUL, y, a, as, b, bs, n, p);
}

const tl_i8_binary_kernels tl_i8_binary_neon = {tl_bn_add, tl_bn_sub, tl_bn_mul};
#endif
