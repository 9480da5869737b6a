/* dsp_int8.h: int8 Conv2D, DepthwiseConv2D and FullyConnected kernels for Cortex-M4/M7 cores with the DSP
 * extension (dual 16-bit multiply-accumulate: SMLAD; byte pairs sign-extended to halfwords: SXTB16/SXTAB16),
 * and the few DSP instructions they use as small inline functions with a portable C twin.
 *
 * What this is: kernels with the reference kernels' signatures (kernels_int8.h) and their exact results:
 * the same int32 sums (each product (x - zp) * w is exact in 16 x 16 bits; the sums cannot overflow because
 * the caller falls back to the reference kernel past TL_DSP_INT8_MAX_TAPS taps per output), the same
 * int64 bias add and saturation, the same requantization. On an ARM core with `__ARM_FEATURE_DSP` the
 * helpers are one instruction each (inline asm); elsewhere they are plain C with the same results, so the
 * same kernel code is compiled and compared with the reference kernels on any host (tests/build/
 * test_dsp_int8.py). What this is not: the choice of kernel (ops/<op>_int8.c: TL_INT8_DSP, at compile time).
 *
 * TL_INT8_DSP is 1 in a freestanding build (TL_FREESTANDING) for a core with the DSP extension
 * (`__ARM_FEATURE_DSP`: Cortex-M4, M7, M33/M55 with DSP) unless TL_NO_INT8_DSP is defined; the int8 ops then
 * run these kernels where they would run the reference ones. Linux ARM builds keep their NEON kernels and
 * their reference path unchanged.
 */
#ifndef TL_KERNELS_DSP_INT8_H
#define TL_KERNELS_DSP_INT8_H

#include <stdint.h>
#include <string.h>

#include "kernels_int8.h"

#if defined(__ARM_FEATURE_DSP) && defined(TL_FREESTANDING) && !defined(TL_NO_INT8_DSP)
#define TL_INT8_DSP 1
#else
#define TL_INT8_DSP 0
#endif

/* Taps (k_h * k_w * in_c, or in_depth) at most this many: |sum| <= taps * 255 * 128 < 2^31 in int32. */
#define TL_DSP_INT8_MAX_TAPS 65535

#if defined(__GNUC__) && !defined(__clang__)
#define TL_DSP_INLINE __attribute__((always_inline)) static inline /* -Os would keep calls in inner loops */
/* an inner loop with all registers to itself, register-allocated at -O2 even in a -Os build (gcc 12 at -Os
 * reloads operands inside the loop: 27 instead of 20 instructions per 16 multiply-accumulates) */
#define TL_DSP_NOINLINE __attribute__((noinline, optimize("O2"))) static
#elif defined(__GNUC__)
#define TL_DSP_INLINE __attribute__((always_inline)) static inline
#define TL_DSP_NOINLINE __attribute__((noinline)) static
#else
#define TL_DSP_INLINE static inline
#define TL_DSP_NOINLINE static
#endif

/* 4 bytes from any address (one LDR on Cortex-M4/M7, which allow unaligned word loads). */
static inline uint32_t tl_dsp_load32(const int8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

#if defined(__ARM_FEATURE_DSP)
static inline uint32_t tl_dsp_sxtb16(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x));
  return r;
}
static inline uint32_t tl_dsp_sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
static inline uint32_t tl_dsp_sxtab16(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
static inline uint32_t tl_dsp_sxtab16_ror8(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
static inline int32_t tl_dsp_smlad(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
static inline int32_t tl_dsp_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
static inline int32_t tl_dsp_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
#else
/* The portable twins, with the instructions' results (halfword arithmetic modulo 2^16; the kernels' sums
 * never overflow, so the wrap-around of the 32-bit adds is never taken). */
static inline int32_t tl_dsp_lo(uint32_t v) { return (int16_t)(uint16_t)(v & 0xFFFFu); }
static inline int32_t tl_dsp_hi(uint32_t v) { return (int16_t)(uint16_t)(v >> 16); }
static inline int32_t tl_dsp_byte(uint32_t v, int k) { return (int8_t)(uint8_t)((v >> (8 * k)) & 0xFFu); }
static inline uint32_t tl_dsp_pack(int32_t lo, int32_t hi) {
  return ((uint32_t)lo & 0xFFFFu) | (((uint32_t)hi & 0xFFFFu) << 16);
}
/* halfwords: sign-extended bytes 0 and 2 of x */
static inline uint32_t tl_dsp_sxtb16(uint32_t x) { return tl_dsp_pack(tl_dsp_byte(x, 0), tl_dsp_byte(x, 2)); }
/* halfwords: sign-extended bytes 1 and 3 of x */
static inline uint32_t tl_dsp_sxtb16_ror8(uint32_t x) { return tl_dsp_pack(tl_dsp_byte(x, 1), tl_dsp_byte(x, 3)); }
/* halfwords of a plus sign-extended bytes 0 and 2 of x */
static inline uint32_t tl_dsp_sxtab16(uint32_t a, uint32_t x) {
  return tl_dsp_pack(tl_dsp_lo(a) + tl_dsp_byte(x, 0), tl_dsp_hi(a) + tl_dsp_byte(x, 2));
}
/* halfwords of a plus sign-extended bytes 1 and 3 of x */
static inline uint32_t tl_dsp_sxtab16_ror8(uint32_t a, uint32_t x) {
  return tl_dsp_pack(tl_dsp_lo(a) + tl_dsp_byte(x, 1), tl_dsp_hi(a) + tl_dsp_byte(x, 3));
}
/* acc + lo(a) lo(b) + hi(a) hi(b) */
static inline int32_t tl_dsp_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tl_dsp_lo(a) * tl_dsp_lo(b)) + (uint32_t)(tl_dsp_hi(a) * tl_dsp_hi(b)));
}
/* acc + lo(a) lo(b) */
static inline int32_t tl_dsp_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tl_dsp_lo(a) * tl_dsp_lo(b)));
}
/* acc + hi(a) hi(b) */
static inline int32_t tl_dsp_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(tl_dsp_hi(a) * tl_dsp_hi(b)));
}
#endif

/* The kernels: the reference kernels' signatures and results (kernels_int8.h). Each runs the reference kernel
 * itself for what it does not cover (more than TL_DSP_INT8_MAX_TAPS taps; a depth multiplier other than 1). */
void tl_conv2d_int8_dsp(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                        const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                        const int8_t *w,     /* [out_c, k_h, k_w, in_c] */
                        const int32_t *bias, /* [out_c] or NULL */
                        const tl_conv_int8_params *p);
void tl_depthwise_conv2d_int8_dsp(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                                  const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                                  const int8_t *w,     /* [1, k_h, k_w, out_c] */
                                  const int32_t *bias, /* [out_c] or NULL */
                                  const tl_conv_int8_params *p);
void tl_fc_int8_dsp(int8_t *y,           /* [batch, out_depth] */
                    const int8_t *x,     /* [batch, in_depth] */
                    const int8_t *w,     /* [out_depth, in_depth] */
                    const int32_t *bias, /* [out_depth] or NULL */
                    const tl_fc_int8_params *p);

#endif /* TL_KERNELS_DSP_INT8_H */
