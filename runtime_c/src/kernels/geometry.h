/* geometry.h: sliding-window geometry shared by every Conv2D, DepthwiseConv2D and pool kernel (reference and
 * optimized, float and int8, every ISA): where an output position's window starts, which of its taps fall
 * inside the input, the window clipped to the input, the output positions whose whole window is inside.
 *
 * What this is: the one place these formulas live, as static inline functions that are exact for every
 * int32 argument: positions and sums are int64, and the divisions run in uint32 when their operands fit
 * (always, for geometry prepare accepted: cheap on 32-bit targets) and in int64 otherwise. Every result is
 * clamped to its range ([0, k] for taps, [0, in] for clipped windows, [0, out] for output positions), so a
 * kernel indexes the input only where the helpers say a tap is inside. What this is not: the window rule
 * (SAME/VALID, output size, padding) or its validation: that is tl_op_window (src/ops/common.c).
 *
 * What prepare guarantees (tl_op_window), per spatial axis, with eff = (k - 1) * dilation + 1:
 *   in, k, stride, dilation, out >= 1; 0 <= pad < eff; (out - 1) * stride < in + pad;
 *   in + eff + dilation <= INT32_MAX; pad + stride <= INT32_MAX.
 * Hence every start o * stride - pad lies in (-eff, in), every tap position start + j * dilation below
 * in + eff, the tap-range numerators (-start + dilation - 1, in - 1 - start) below in + eff + dilation and
 * the first-inside division's pad + stride - 1 below INT32_MAX: all fit in int32. A thread's block of
 * output rows [oy0, oy1) runs as one call with pad_top - oy0 * stride_h (negative past the top border; it
 * fits since oy0 * stride_h < in_h + pad_top). The helpers rely on none of this: their arithmetic is exact
 * and their results in range for any int32 arguments.
 */
#ifndef TL_KERNELS_GEOMETRY_H
#define TL_KERNELS_GEOMETRY_H

#include <stdint.h>

/* Input position of tap 0 of output position o: o * stride - pad (exact for any int32 arguments). */
static inline int64_t tl_geo_start(int32_t o, int32_t stride, int32_t pad) { return (int64_t)o * stride - pad; }

/* floor(num / den) for num >= 0, den >= 1. */
static inline int64_t tl_geo_div(int64_t num, int32_t den) {
  if (den == 1) return num; /* undilated kernels and unit strides: no division */
  if (num <= (int64_t)UINT32_MAX) return (int64_t)((uint32_t)num / (uint32_t)den);
  return num / den;
}

/* ceil(num / den) for num >= 0, den >= 1 (no num + den - 1 that could overflow). */
static inline int64_t tl_geo_ceil_div(int64_t num, int32_t den) { return num == 0 ? 0 : tl_geo_div(num - 1, den) + 1; }

static inline int32_t tl_geo_clamp(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

/* Taps j in [0, k_n) of a window starting at i0 whose positions i0 + j * dil lie in [0, in_n): the range
 * [*k0, *k1), with 0 <= *k0 <= *k1 <= k_n (empty: *k0 == *k1). dil >= 1, k_n >= 0, in_n >= 0. */
static inline void tl_geo_taps(int64_t i0, int32_t dil, int32_t k_n, int32_t in_n, int32_t *k0, int32_t *k1) {
  const int64_t lo = i0 < 0 ? tl_geo_ceil_div(-i0, dil) : 0;              /* first j with i0 + j*dil >= 0 */
  const int64_t hi = i0 < in_n ? tl_geo_div((int64_t)in_n - 1 - i0, dil) + 1 : 0; /* one past the last < in_n */
  *k0 = tl_geo_clamp(lo, 0, k_n);
  *k1 = tl_geo_clamp(hi, *k0, k_n);
}

/* The window [start, start + len) clipped to [0, in_n): [*lo, *hi) with 0 <= *lo <= *hi <= in_n. */
static inline void tl_geo_clip(int64_t start, int32_t len, int32_t in_n, int32_t *lo, int32_t *hi) {
  *lo = tl_geo_clamp(start, 0, in_n);
  *hi = tl_geo_clamp(start + len, *lo, in_n);
}

/* Output positions o in [0, out_n) whose whole window [o*stride - pad, o*stride - pad + span] lies inside
 * [0, in_n) (span = (k - 1) * dilation >= 0): the range [*o0, *o1), 0 <= *o0 <= *o1 <= out_n. */
static inline void tl_geo_inside(int32_t out_n, int32_t in_n, int32_t stride, int32_t pad, int64_t span, int32_t *o0,
                                 int32_t *o1) {
  const int64_t room = (int64_t)in_n - span + pad; /* o*stride must be in [pad, room) */
  const int64_t lo = pad > 0 ? tl_geo_ceil_div(pad, stride) : 0;
  const int64_t hi = room > 0 ? tl_geo_div(room - 1, stride) + 1 : 0;
  *o0 = tl_geo_clamp(lo, 0, out_n);
  *o1 = tl_geo_clamp(hi, *o0, out_n);
}

#endif
