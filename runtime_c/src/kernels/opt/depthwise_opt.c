/* depthwise_opt.c: optimized float32 DepthwiseConv2D with depth_multiplier 1 (see opt_kernels.h).
 *
 * What this is: the reference formula with the channels vectorised (AVX-512: 16, AVX2: 8, NEON: 4 per
 * vector; the portable level and the channels past the last full vector go one at a time). The bias is
 * pre-packed (zeros without one) so the accumulators start from it. What this is not: depth multipliers
 * other than 1 (the op glue keeps those on the reference kernel) or the specification
 * (tl_depthwise_conv2d_f32).
 *
 * Algorithm: for each output pixel, the taps inside the input are found once (rows and columns outside are
 * skipped, like the reference); then each block of channels accumulates acc += x[iy, ix, c..] * w[ky, kx, c..]
 * over those taps, is clamped (max(lo, v) then min(hi, .), so a NaN passes through) and stored.
 */
#include <math.h>

#include "opt_kernels.h"

size_t tl_depthwise_conv2d_f32_opt_packed_floats(const tl_conv_params *p) { return (size_t)p->out_c; }

void tl_depthwise_conv2d_f32_opt_pack(float *packed, const float *bias, const tl_conv_params *p) {
  for (int32_t c = 0; c < p->out_c; c++) packed[c] = bias ? bias[c] : 0.0f;
}

/* Defines `attrs static void name(...)` running the loop nest with vectors of VW floats (VW == 1: scalar). */
#define TL_DW_DEFINE(name, attrs, VW, VEC, LOAD, STORE, FMA, SET1, MAXV, MINV)                                \
  attrs static void name(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p) { \
    const int64_t ch = p->in_c;                                                                               \
    const int64_t x_row = (int64_t)p->in_w * ch;                                                              \
    const int64_t vec_end = (ch / (VW)) * (VW);                                                               \
    const VEC lo = SET1(p->act.min), hi = SET1(p->act.max);                                                   \
    int64_t tap_x[64], tap_w[64]; /* offsets of the valid taps of one pixel (at most 64, else split) */     \
    for (int32_t b = 0; b < p->batch; b++) {                                                                  \
      const float *xb = x + (int64_t)b * p->in_h * x_row;                                                     \
      for (int32_t oy = 0; oy < p->out_h; oy++) {                                                             \
        const int32_t iy0 = oy * p->stride_h - p->pad_top;                                                    \
        for (int32_t ox = 0; ox < p->out_w; ox++) {                                                           \
          const int32_t ix0 = ox * p->stride_w - p->pad_left;                                                 \
          float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;                                \
          int32_t ky0 = 0;                                                                                    \
          int first = 1;                                                                                      \
          while (ky0 < p->k_h || first) {                                                                     \
            int32_t taps = 0, ky = ky0;                                                                       \
            for (; ky < p->k_h && taps + p->k_w <= 64; ky++) {                                                \
              const int32_t iy = iy0 + ky * p->dilation_h;                                                    \
              if (iy < 0 || iy >= p->in_h) continue;                                                          \
              for (int32_t kx = 0; kx < p->k_w; kx++) {                                                       \
                const int32_t ix = ix0 + kx * p->dilation_w;                                                  \
                if (ix < 0 || ix >= p->in_w) continue;                                                        \
                tap_x[taps] = (int64_t)iy * x_row + (int64_t)ix * ch;                                         \
                tap_w[taps] = ((int64_t)ky * p->k_w + kx) * ch;                                               \
                taps++;                                                                                       \
              }                                                                                               \
            }                                                                                                 \
            /* first pass starts from the bias, later passes (more than 64 taps) from the partial sums */      \
            const float *init = first ? bias : yp;                                                            \
            const int last = ky >= p->k_h;                                                                    \
            const VEC lo_now = last ? lo : SET1(-INFINITY), hi_now = last ? hi : SET1(INFINITY);              \
            int64_t c = 0;                                                                                    \
            for (; c < vec_end; c += (VW)) {                                                                  \
              VEC acc = LOAD(init + c);                                                                       \
              for (int32_t t = 0; t < taps; t++) acc = FMA(LOAD(xb + tap_x[t] + c), LOAD(w + tap_w[t] + c), acc); \
              STORE(yp + c, MINV(hi_now, MAXV(lo_now, acc)));                                                 \
            }                                                                                                 \
            for (; c < ch; c++) {                                                                             \
              float acc = init[c];                                                                            \
              for (int32_t t = 0; t < taps; t++) acc += xb[tap_x[t] + c] * w[tap_w[t] + c];                   \
              if (last) acc = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);          \
              yp[c] = acc;                                                                                    \
            }                                                                                                 \
            ky0 = ky;                                                                                         \
            first = 0;                                                                                        \
          }                                                                                                   \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }

/* scalar "vectors" for the portable level */
#define TL_S_LOAD(ptr) (*(ptr))
#define TL_S_STORE(ptr, v) (*(ptr) = (v))
#define TL_S_FMA(a, b, c) ((a) * (b) + (c))
#define TL_S_SET1(v) (v)
#define TL_S_MAX(lo, v) ((v) < (lo) ? (lo) : (v))
#define TL_S_MIN(hi, v) ((v) > (hi) ? (hi) : (v))
TL_DW_DEFINE(tl_dw_portable, , 1, float, TL_S_LOAD, TL_S_STORE, TL_S_FMA, TL_S_SET1, TL_S_MAX, TL_S_MIN)

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
TL_DW_DEFINE(tl_dw_avx512, __attribute__((target("avx512f,avx2,fma"))), 16, __m512, _mm512_loadu_ps,
             _mm512_storeu_ps, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_max_ps, _mm512_min_ps)
TL_DW_DEFINE(tl_dw_avx2, __attribute__((target("avx2,fma"))), 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps,
             _mm256_fmadd_ps, _mm256_set1_ps, _mm256_max_ps, _mm256_min_ps)
#define TL_DW_X86 1
#endif

#if defined(__aarch64__) || (defined(__arm__) && defined(__ARM_NEON))
#include <arm_neon.h>
#if defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define TL_N_FMA(a, b, c) vfmaq_f32(c, a, b)
#else
#define TL_N_FMA(a, b, c) vmlaq_f32(c, a, b)
#endif
#define TL_N_MAX(lo, v) vbslq_f32(vcltq_f32(v, lo), lo, v)
#define TL_N_MIN(hi, v) vbslq_f32(vcgtq_f32(v, hi), hi, v)
TL_DW_DEFINE(tl_dw_neon, , 4, float32x4_t, vld1q_f32, vst1q_f32, TL_N_FMA, vdupq_n_f32, TL_N_MAX, TL_N_MIN)
#define TL_DW_NEON 1
#endif

void tl_depthwise_conv2d_f32_opt(float *y, const float *x, const float *w, const float *packed,
                                 const tl_conv_params *p, tl_isa isa) {
  switch (isa) {
#if defined(TL_DW_X86)
    case TL_ISA_AVX512:
      tl_dw_avx512(y, x, w, packed, p);
      return;
    case TL_ISA_AVX2:
      tl_dw_avx2(y, x, w, packed, p);
      return;
#endif
#if defined(TL_DW_NEON)
    case TL_ISA_NEON:
      tl_dw_neon(y, x, w, packed, p);
      return;
#endif
    default:
      tl_dw_portable(y, x, w, packed, p);
      return;
  }
}
