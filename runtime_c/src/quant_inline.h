/* quant_inline.h: the two gemmlowp primitives of quant.h that int8 kernels call per element, as static inline
 * functions (quant.c's tl_srdhm and tl_rounding_divide_by_pot are these, out of line, for everyone else).
 *
 * What this is: the same arithmetic, so a kernel that inlines them computes the reference's values; the
 * optimized kernels' inner loops use them (a call per element cost the int8 Softmax most of its time). What
 * this is not: a second definition: quant.c's functions return exactly these. Contracts: quant.h.
 */
#ifndef TL_QUANT_INLINE_H
#define TL_QUANT_INLINE_H

#include <stdint.h>

/* floor(x / 2^e) for e in [0, 62], without shifting a negative value. */
static inline int64_t tl_floor_shift_inline(int64_t x, int32_t e) {
  return x >= 0 ? x >> e : -((-(x + 1)) >> e) - 1;
}

/* tl_srdhm (quant.h) */
static inline int32_t tl_srdhm_inline(int32_t a, int32_t b) {
  int64_t ab, nudge, q;
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
  /* (ab + nudge) / 2^31 truncated toward zero, as C division does; |ab + nudge| < 2^62 */
  q = ab + nudge;
  q = q >= 0 ? q >> 31 : -((-q) >> 31);
  return (int32_t)q;
}

/* tl_rounding_divide_by_pot (quant.h) */
static inline int32_t tl_rounding_divide_by_pot_inline(int32_t x, int32_t exponent) {
  int64_t q, remainder, threshold, mask;
  if (exponent <= 0) return x;
  if (exponent > 62) exponent = 62;
  mask = ((int64_t)1 << exponent) - 1;
  q = tl_floor_shift_inline(x, exponent);
  remainder = (int64_t)x - q * ((int64_t)1 << exponent); /* in [0, 2^exponent) */
  threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (int32_t)(q + (remainder > threshold ? 1 : 0));
}

#endif /* TL_QUANT_INLINE_H */
