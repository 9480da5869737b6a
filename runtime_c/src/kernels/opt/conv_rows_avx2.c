/* conv_rows_avx2.c: the inside positions of one output row of a 3x3 Conv2D over three input channels (the
 * RGB first convolution of image models), AVX2+FMA (tl_conv_rows_c3_avx2; conv_rows_opt.c calls it for
 * the runs of inside positions it would otherwise give the direct tile six at a time).
 *
 * Why: with 8 output channels or fewer (MobileNetV2-0.35's 96x96x3 -> 8) the direct tile (gemm_avx2.c)
 * has six accumulators, too few to hide the FMA latency, reads each step's input offset from a table and is
 * called per six positions. Here the 27 taps (ky, kx, ci) are unrolled with their offsets known at compile
 * time (three row pointers; column kx, channel ci at kx * 3 + ci), the stride between neighbouring
 * positions (1 or 2) is a constant, a call covers the whole run, twelve positions at a time (12
 * accumulators). Panels of more than 8 columns keep the direct tile: a 16-column version (six positions,
 * 12 accumulators) measured no faster than it on MobileNetV1's and V3's first convolutions.
 *
 * Same bits as the direct tile for every output: the bias, then one FMA per tap in the packed weights'
 * order (ky, kx, ci), then the clamp (max with the low bound, min with the high one); nothing depends on
 * the other positions of the group. What this is not: the edge positions (conv_rows_opt.c's indirect tile),
 * or other kernel shapes (they keep the direct tile).
 */
#include <string.h>

#include "opt_f32_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TL_AVX2_ __attribute__((target("avx2,fma")))
#define TL_R12_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
/* the nine (kx, ci) steps of one kernel row, in the weights' order */
#define TL_K9_(S) S(0) S(1) S(2) S(3) S(4) S(5) S(6) S(7) S(8)

/* n (1..12) positions by the first 8 columns of the panel, the first cols (1..8) stored. */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_c3_w8(const int n, const int sw, const float *x0,
                                                                     int64_t x_dy, const float *panel, float *y,
                                                                     int64_t ldy, int32_t cols, __m256 lo,
                                                                     __m256 hi) {
  const __m256 bias = _mm256_loadu_ps(panel);
#define TL_DECL_(i) __m256 c##i = bias;
  TL_R12_(TL_DECL_)
#undef TL_DECL_
  const float *b = panel + 16;
  for (int ky = 0; ky < 3; ky++, b += 9 * 16) {
    const float *xr = x0 + ky * x_dy;
#define TL_FMA_(i) \
  if (n > i) c##i = _mm256_fmadd_ps(_mm256_broadcast_ss(xr + i * 3 * sw + s), b0, c##i);
#define TL_STEP_(s_)                                 \
  {                                                  \
    const int s = s_;                                \
    const __m256 b0 = _mm256_loadu_ps(b + s * 16);   \
    TL_R12_(TL_FMA_)                                 \
  }
    TL_K9_(TL_STEP_)
#undef TL_STEP_
#undef TL_FMA_
  }
  if (cols == 8) {
#define TL_STORE_(i) \
  if (n > i) _mm256_storeu_ps(y + i * ldy, _mm256_min_ps(hi, _mm256_max_ps(lo, c##i)));
    TL_R12_(TL_STORE_)
#undef TL_STORE_
  } else {
    float part[8];
#define TL_STORE_(i)                                                     \
  if (n > i) {                                                           \
    _mm256_storeu_ps(part, _mm256_min_ps(hi, _mm256_max_ps(lo, c##i)));  \
    memcpy(y + i * ldy, part, (size_t)cols * sizeof(float));             \
  }
    TL_R12_(TL_STORE_)
#undef TL_STORE_
  }
}

/* A run of count positions, stride sw (a constant), twelve at a time, then six, then the rest. */
TL_AVX2_ static inline __attribute__((always_inline)) void tl_c3_run(const int sw, const float *x0, int64_t x_dy,
                                                                      int32_t count, const float *panel, float *y,
                                                                      int64_t ldy, int32_t cols, tl_act_f32 act) {
  const __m256 lo = _mm256_set1_ps(act.min), hi = _mm256_set1_ps(act.max);
  const int64_t step = 3 * (int64_t)sw; /* input floats between neighbouring positions */
  for (; count >= 12; count -= 12, x0 += 12 * step, y += 12 * ldy) {
    tl_c3_w8(12, sw, x0, x_dy, panel, y, ldy, cols, lo, hi);
  }
  if (count >= 6) {
    tl_c3_w8(6, sw, x0, x_dy, panel, y, ldy, cols, lo, hi);
    count -= 6, x0 += 6 * step, y += 6 * ldy;
  }
  switch (count) {
    case 5: tl_c3_w8(5, sw, x0, x_dy, panel, y, ldy, cols, lo, hi); break;
    case 4: tl_c3_w8(4, sw, x0, x_dy, panel, y, ldy, cols, lo, hi); break;
    case 3: tl_c3_w8(3, sw, x0, x_dy, panel, y, ldy, cols, lo, hi); break;
    case 2: tl_c3_w8(2, sw, x0, x_dy, panel, y, ldy, cols, lo, hi); break;
    case 1: tl_c3_w8(1, sw, x0, x_dy, panel, y, ldy, cols, lo, hi); break;
    default: break;
  }
}

TL_AVX2_ int tl_conv_rows_c3_avx2(float *y, const float *x0, int64_t x_dy, int32_t sw, int32_t count,
                                  const float *panel, int64_t ldy, int32_t cols, tl_act_f32 act) {
  if (cols < 1 || cols > 8) return 0;
  if (sw == 2) {
    tl_c3_run(2, x0, x_dy, count, panel, y, ldy, cols, act);
  } else if (sw == 1) {
    tl_c3_run(1, x0, x_dy, count, panel, y, ldy, cols, act);
  } else {
    return 0;
  }
  return 1;
}

#else

/* off x86 the AVX2 level is never picked: nothing done, the caller takes the direct tile */
int tl_conv_rows_c3_avx2(float *y, const float *x0, int64_t x_dy, int32_t sw, int32_t count, const float *panel,
                         int64_t ldy, int32_t cols, tl_act_f32 act) {
  (void)y, (void)x0, (void)x_dy, (void)sw, (void)count, (void)panel, (void)ldy, (void)cols, (void)act;
  return 0;
}

#endif
