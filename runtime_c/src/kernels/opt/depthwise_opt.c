/* depthwise_opt.c: optimized float32 DepthwiseConv2D with depth_multiplier 1 (see opt_kernels.h).
 *
 * What this is: the reference formula with the channels vectorised (AVX-512: 16, AVX2: 8, NEON: 4 per
 * vector; the portable level and the channels past the last full vector go one at a time). The bias is
 * pre-packed (zeros without one) so the accumulators start from it. Depth multipliers dm > 1 run a second
 * loop nest over weights and bias packed multiplier-major (opt_kernels_elementwise.h). What this is not:
 * the specification (tl_depthwise_conv2d_f32).
 *
 * Algorithm: for each output pixel, the ranges of kernel rows and columns inside the input are computed
 * (the taps outside are skipped, like the reference); then each block of channels accumulates
 * acc += x[iy, ix, c..] * w[ky, kx, c..] over those taps, is clamped (max(lo, v) then min(hi, .), so a NaN
 * passes through) and stored. 3x3 kernels (MobileNet's) take a faster path on output rows whose three kernel
 * rows are inside the input: per block of channels the nine weight vectors stay in registers while the
 * pixels whose three columns are inside go by; the edge pixels take the general path.
 * With dm > 1, output channel ic * dm + m reads input channel ic: per output pixel, per block of input
 * channels and per m, the block's accumulators run over the taps with the packed weights w'[m][tap][ic..]
 * (contiguous, like dm == 1), and the block's results go to y[(ic + j) * dm + m] (a stride-dm scatter,
 * dm / (k_h * k_w) of the work; with dm == 2 the two multipliers' vectors are interleaved into two stores).
 */
#include "../geometry.h"
#include "opt_kernels.h"
#include "opt_kernels_elementwise.h"

/* dm == 1: the bias; dm > 1: bias' then w' (opt_kernels_elementwise.h) */
size_t tl_depthwise_conv2d_f32_opt_packed_floats(const tl_conv_params *p) {
  const size_t out_c = (size_t)p->out_c;
  return p->depth_multiplier == 1 ? out_c : out_c + (size_t)p->k_h * (size_t)p->k_w * out_c;
}

void tl_depthwise_conv2d_f32_opt_pack(float *packed, const float *bias, const tl_conv_params *p) {
  const int32_t dm = p->depth_multiplier;
  for (int32_t ic = 0; ic < p->in_c; ic++) {
    for (int32_t m = 0; m < dm; m++) packed[(int64_t)m * p->in_c + ic] = bias ? bias[(int64_t)ic * dm + m] : 0.0f;
  }
}

void tl_depthwise_conv2d_f32_opt_pack_weights(float *packed, const float *w, const tl_conv_params *p) {
  const int32_t dm = p->depth_multiplier;
  const int64_t taps = (int64_t)p->k_h * p->k_w, in_c = p->in_c, out_c = p->out_c;
  float *wp = packed + out_c; /* after bias' */
  if (dm == 1) return;
  for (int32_t m = 0; m < dm; m++) {
    for (int64_t t = 0; t < taps; t++) {
      for (int64_t ic = 0; ic < in_c; ic++) wp[(m * taps + t) * in_c + ic] = w[t * out_c + ic * dm + m];
    }
  }
}

/* Defines `attrs static void name(...)` running the loop nest with vectors of VW floats (VW == 1: scalar). */
#define TL_DW_DEFINE(name, attrs, VW, VEC, LOAD, STORE, FMA, ADDV, SET1, MAXV, MINV)                          \
  attrs static void name(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p) { \
    const int64_t ch = p->in_c;                                                                               \
    const int64_t x_row = (int64_t)p->in_w * ch;                                                              \
    const int64_t vec_end = (ch / (VW)) * (VW);                                                               \
    const VEC lo = SET1(p->act.min), hi = SET1(p->act.max);                                                   \
    for (int32_t b = 0; b < p->batch; b++) {                                                                  \
      const float *xb = x + (int64_t)b * p->in_h * x_row;                                                     \
      for (int32_t oy = 0; oy < p->out_h; oy++) {                                                             \
        const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);                                        \
        int32_t ky0, ky1;                                                                                     \
        tl_geo_taps(iy0, p->dilation_h, p->k_h, p->in_h, &ky0, &ky1);                                         \
        /* 3x3 kernels on rows with all three kernel rows inside: the pixels whose three columns are inside \
         * too run with the nine weight vectors of a channel block held in registers */                      \
        int32_t in_lo = 0, in_hi = 0; /* those pixels: [in_lo, in_hi) */                                       \
        if (p->k_h == 3 && p->k_w == 3 && ky0 == 0 && ky1 == 3) {                                             \
          tl_geo_inside(p->out_w, p->in_w, p->stride_w, p->pad_left, 2 * (int64_t)p->dilation_w, &in_lo, &in_hi); \
          const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)p->dilation_w * ch;            \
          const float *xrow = xb + (int64_t)iy0 * x_row;                                                      \
          float *yrow = y + ((int64_t)b * p->out_h + oy) * p->out_w * ch;                                     \
          for (int64_t c = 0; c < vec_end; c += (VW)) {                                                       \
            const VEC w00 = LOAD(w + c), w01 = LOAD(w + ch + c), w02 = LOAD(w + 2 * ch + c);                  \
            const VEC w10 = LOAD(w + 3 * ch + c), w11 = LOAD(w + 4 * ch + c), w12 = LOAD(w + 5 * ch + c);     \
            const VEC w20 = LOAD(w + 6 * ch + c), w21 = LOAD(w + 7 * ch + c), w22 = LOAD(w + 8 * ch + c);     \
            const VEC bv = LOAD(bias + c);                                                                    \
            for (int32_t ox = in_lo; ox < in_hi; ox++) {                                                      \
              const float *r0 = xrow + tl_geo_start(ox, p->stride_w, p->pad_left) * ch + c;                   \
              const float *r1 = r0 + x_dy, *r2 = r1 + x_dy;                                                   \
              VEC a0 = FMA(LOAD(r0), w00, bv), a1 = FMA(LOAD(r1), w10, SET1(0.0f));                           \
              VEC a2 = FMA(LOAD(r2), w20, SET1(0.0f));                                                        \
              a0 = FMA(LOAD(r0 + x_dx), w01, a0);                                                             \
              a1 = FMA(LOAD(r1 + x_dx), w11, a1);                                                             \
              a2 = FMA(LOAD(r2 + x_dx), w21, a2);                                                             \
              a0 = FMA(LOAD(r0 + 2 * x_dx), w02, a0);                                                         \
              a1 = FMA(LOAD(r1 + 2 * x_dx), w12, a1);                                                         \
              a2 = FMA(LOAD(r2 + 2 * x_dx), w22, a2);                                                         \
              STORE(yrow + (int64_t)ox * ch + c, MINV(hi, MAXV(lo, ADDV(a0, ADDV(a1, a2)))));                 \
            }                                                                                                 \
          }                                                                                                   \
          for (int32_t ox = in_lo; ox < in_hi; ox++) {                                                        \
            const float *r0 = xrow + tl_geo_start(ox, p->stride_w, p->pad_left) * ch;                         \
            for (int64_t c = vec_end; c < ch; c++) {                                                          \
              float acc = bias[c];                                                                            \
              for (int32_t t = 0; t < 9; t++) acc += r0[(t / 3) * x_dy + (t % 3) * x_dx + c] * w[t * ch + c]; \
              yrow[(int64_t)ox * ch + c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc); \
            }                                                                                                 \
          }                                                                                                   \
        }                                                                                                     \
        for (int32_t ox = 0; ox < p->out_w; ox++) {                                                           \
          if (ox == in_lo && in_hi > in_lo) ox = in_hi; /* done above */                                      \
          if (ox >= p->out_w) break;                                                                          \
          const int64_t ix0 = tl_geo_start(ox, p->stride_w, p->pad_left);                                     \
          float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;                                \
          int32_t kx0, kx1;                                                                                   \
          tl_geo_taps(ix0, p->dilation_w, p->k_w, p->in_w, &kx0, &kx1);                                       \
          /* x and w at tap (ky0, kx0), and the strides between taps */                                       \
          const int any_tap = ky1 > ky0 && kx1 > kx0; /* else x0 is never read: keep it inside x */          \
          const float *x0 = any_tap ? xb + (iy0 + (int64_t)ky0 * p->dilation_h) * x_row +                     \
                                          (ix0 + (int64_t)kx0 * p->dilation_w) * ch                           \
                                    : xb;                                                                     \
          const float *w0 = w + ((int64_t)ky0 * p->k_w + kx0) * ch;                                           \
          const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)p->dilation_w * ch;            \
          const int64_t w_dy = (int64_t)p->k_w * ch;                                                          \
          int64_t c = 0;                                                                                      \
          /* four channel blocks at once: four independent FMA chains */                                      \
          for (; c + 4 * (VW) <= vec_end; c += 4 * (VW)) {                                                    \
            VEC a0 = LOAD(bias + c), a1 = LOAD(bias + c + (VW));                                              \
            VEC a2 = LOAD(bias + c + 2 * (VW)), a3 = LOAD(bias + c + 3 * (VW));                               \
            for (int32_t ky = ky0; ky < ky1; ky++) {                                                          \
              const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w0 + (ky - ky0) * w_dy + c;                 \
              for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += ch) {                                  \
                a0 = FMA(LOAD(xr), LOAD(wr), a0);                                                             \
                a1 = FMA(LOAD(xr + (VW)), LOAD(wr + (VW)), a1);                                               \
                a2 = FMA(LOAD(xr + 2 * (VW)), LOAD(wr + 2 * (VW)), a2);                                       \
                a3 = FMA(LOAD(xr + 3 * (VW)), LOAD(wr + 3 * (VW)), a3);                                       \
              }                                                                                               \
            }                                                                                                 \
            STORE(yp + c, MINV(hi, MAXV(lo, a0)));                                                            \
            STORE(yp + c + (VW), MINV(hi, MAXV(lo, a1)));                                                     \
            STORE(yp + c + 2 * (VW), MINV(hi, MAXV(lo, a2)));                                                 \
            STORE(yp + c + 3 * (VW), MINV(hi, MAXV(lo, a3)));                                                 \
          }                                                                                                   \
          /* one block: three accumulators take the kernel columns in turn (three chains, summed at the end) */ \
          for (; c < vec_end; c += (VW)) {                                                                    \
            VEC acc = LOAD(bias + c), acc1 = SET1(0.0f), acc2 = SET1(0.0f);                                   \
            for (int32_t ky = ky0; ky < ky1; ky++) {                                                          \
              const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w0 + (ky - ky0) * w_dy + c;                 \
              int32_t kx = kx0;                                                                               \
              for (; kx + 3 <= kx1; kx += 3, xr += 3 * x_dx, wr += 3 * ch) {                                  \
                acc = FMA(LOAD(xr), LOAD(wr), acc);                                                           \
                acc1 = FMA(LOAD(xr + x_dx), LOAD(wr + ch), acc1);                                             \
                acc2 = FMA(LOAD(xr + 2 * x_dx), LOAD(wr + 2 * ch), acc2);                                     \
              }                                                                                               \
              for (; kx < kx1; kx++, xr += x_dx, wr += ch) acc = FMA(LOAD(xr), LOAD(wr), acc);                \
            }                                                                                                 \
            acc = ADDV(acc, ADDV(acc1, acc2));                                                                \
            STORE(yp + c, MINV(hi, MAXV(lo, acc)));                                                           \
          }                                                                                                   \
          for (; c < ch; c++) {                                                                               \
            float acc = bias[c];                                                                              \
            for (int32_t ky = ky0; ky < ky1; ky++) {                                                          \
              const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w0 + (ky - ky0) * w_dy + c;                 \
              for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += ch) acc += *xr * *wr;                  \
            }                                                                                                 \
            yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);                    \
          }                                                                                                   \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }

/* Defines `attrs static void name(y, x, packed, p)` for depth multipliers > 1 (packed: bias' then w'). */
#define TL_DWM_DEFINE(name, attrs, VW, VEC, LOAD, STORE, FMA, SET1, MAXV, MINV, ZIP2)                          \
  attrs static void name(float *y, const float *x, const float *packed, const tl_conv_params *p) {           \
    const int32_t dm = p->depth_multiplier;                                                                   \
    const int64_t in_c = p->in_c, out_c = p->out_c, taps = (int64_t)p->k_h * p->k_w;                          \
    const int64_t x_row = (int64_t)p->in_w * in_c;                                                            \
    const int64_t vec_end = (in_c / (VW)) * (VW);                                                             \
    const float *bias = packed, *wp = packed + out_c; /* bias'[dm][in_c], w'[dm][taps][in_c] */              \
    const VEC lo = SET1(p->act.min), hi = SET1(p->act.max);                                                   \
    float tmp0[VW], tmp1[VW];                                                                                 \
    for (int32_t b = 0; b < p->batch; b++) {                                                                  \
      const float *xb = x + (int64_t)b * p->in_h * x_row;                                                     \
      for (int32_t oy = 0; oy < p->out_h; oy++) {                                                             \
        const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);                                        \
        int32_t ky0, ky1;                                                                                     \
        tl_geo_taps(iy0, p->dilation_h, p->k_h, p->in_h, &ky0, &ky1);                                         \
        for (int32_t ox = 0; ox < p->out_w; ox++) {                                                           \
          const int64_t ix0 = tl_geo_start(ox, p->stride_w, p->pad_left);                                     \
          float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * out_c;                             \
          int32_t kx0, kx1;                                                                                   \
          tl_geo_taps(ix0, p->dilation_w, p->k_w, p->in_w, &kx0, &kx1);                                       \
          const int any_tap = ky1 > ky0 && kx1 > kx0; /* else x0 is never read: keep it inside x */          \
          const float *x0 = any_tap ? xb + (iy0 + (int64_t)ky0 * p->dilation_h) * x_row +                     \
                                          (ix0 + (int64_t)kx0 * p->dilation_w) * in_c                         \
                                    : xb;                                                                     \
          const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)p->dilation_w * in_c;         \
          const int64_t w0 = ((int64_t)ky0 * p->k_w + kx0) * in_c; /* tap (ky0, kx0) in one w'[m] */          \
          const int64_t w_dy = (int64_t)p->k_w * in_c;                                                        \
          int64_t c = 0;                                                                                      \
          for (; c < vec_end; c += (VW)) {                                                                    \
            int32_t m = 0;                                                                                    \
            for (; m + 2 <= dm; m += 2) { /* two multipliers: two independent chains */                       \
              const float *wm0 = wp + (int64_t)m * taps * in_c + w0 + c, *wm1 = wm0 + taps * in_c;            \
              VEC a0 = LOAD(bias + (int64_t)m * in_c + c), a1 = LOAD(bias + (int64_t)(m + 1) * in_c + c);     \
              for (int32_t ky = ky0; ky < ky1; ky++) {                                                        \
                const float *xr = x0 + (ky - ky0) * x_dy + c;                                                 \
                const float *wr0 = wm0 + (ky - ky0) * w_dy, *wr1 = wm1 + (ky - ky0) * w_dy;                   \
                for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr0 += in_c, wr1 += in_c) {                \
                  const VEC xv = LOAD(xr);                                                                    \
                  a0 = FMA(xv, LOAD(wr0), a0);                                                                \
                  a1 = FMA(xv, LOAD(wr1), a1);                                                                \
                }                                                                                             \
              }                                                                                               \
              a0 = MINV(hi, MAXV(lo, a0));                                                                    \
              a1 = MINV(hi, MAXV(lo, a1));                                                                    \
              if (dm == 2) { /* the block's outputs are contiguous: two interleaved vector stores */          \
                ZIP2(yp + c * 2, a0, a1);                                                                     \
                continue;                                                                                     \
              }                                                                                               \
              STORE(tmp0, a0);                                                                                \
              STORE(tmp1, a1);                                                                                \
              for (int32_t j = 0; j < (VW); j++) {                                                            \
                yp[(c + j) * dm + m] = tmp0[j];                                                               \
                yp[(c + j) * dm + m + 1] = tmp1[j];                                                           \
              }                                                                                               \
            }                                                                                                 \
            for (; m < dm; m++) {                                                                             \
              const float *wm = wp + (int64_t)m * taps * in_c + w0 + c;                                       \
              VEC acc = LOAD(bias + (int64_t)m * in_c + c);                                                   \
              for (int32_t ky = ky0; ky < ky1; ky++) {                                                        \
                const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = wm + (ky - ky0) * w_dy;                   \
                for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += in_c) acc = FMA(LOAD(xr), LOAD(wr), acc); \
              }                                                                                               \
              STORE(tmp0, MINV(hi, MAXV(lo, acc)));                                                           \
              for (int32_t j = 0; j < (VW); j++) yp[(c + j) * dm + m] = tmp0[j];                              \
            }                                                                                                 \
          }                                                                                                   \
          for (; c < in_c; c++) {                                                                             \
            for (int32_t m = 0; m < dm; m++) {                                                                \
              const float *wm = wp + (int64_t)m * taps * in_c + w0 + c;                                       \
              float acc = bias[(int64_t)m * in_c + c];                                                        \
              for (int32_t ky = ky0; ky < ky1; ky++) {                                                        \
                const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = wm + (ky - ky0) * w_dy;                   \
                for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += in_c) acc += *xr * *wr;              \
              }                                                                                               \
              yp[c * dm + m] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);         \
            }                                                                                                 \
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
#define TL_S_ADD(a, b) ((a) + (b))
TL_DW_DEFINE(tl_dw_portable, , 1, float, TL_S_LOAD, TL_S_STORE, TL_S_FMA, TL_S_ADD, TL_S_SET1, TL_S_MAX, TL_S_MIN)
#define TL_S_ZIP2(ptr, a, b) ((ptr)[0] = (a), (ptr)[1] = (b))
TL_DWM_DEFINE(tl_dwm_portable, , 1, float, TL_S_LOAD, TL_S_STORE, TL_S_FMA, TL_S_SET1, TL_S_MAX, TL_S_MIN, TL_S_ZIP2)

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
TL_DW_DEFINE(tl_dw_avx512, __attribute__((target("avx512f,avx2,fma"))), 16, __m512, _mm512_loadu_ps,
             _mm512_storeu_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_set1_ps, _mm512_max_ps, _mm512_min_ps)
TL_DW_DEFINE(tl_dw_avx2, __attribute__((target("avx2,fma"))), 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps,
             _mm256_fmadd_ps, _mm256_add_ps, _mm256_set1_ps, _mm256_max_ps, _mm256_min_ps)
/* ptr[2j] = a[j], ptr[2j + 1] = b[j] (depth multiplier 2) */
__attribute__((target("avx512f,avx2,fma"))) static inline void tl_dw_zip512(float *ptr, __m512 a, __m512 b) {
  const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  _mm512_storeu_ps(ptr, _mm512_permutex2var_ps(a, lo, b));
  _mm512_storeu_ps(ptr + 16, _mm512_permutex2var_ps(a, hi, b));
}
__attribute__((target("avx2,fma"))) static inline void tl_dw_zip256(float *ptr, __m256 a, __m256 b) {
  const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b); /* per 128-bit half */
  _mm256_storeu_ps(ptr, _mm256_permute2f128_ps(lo, hi, 0x20));
  _mm256_storeu_ps(ptr + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}
TL_DWM_DEFINE(tl_dwm_avx512, __attribute__((target("avx512f,avx2,fma"))), 16, __m512, _mm512_loadu_ps,
              _mm512_storeu_ps, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_max_ps, _mm512_min_ps, tl_dw_zip512)
TL_DWM_DEFINE(tl_dwm_avx2, __attribute__((target("avx2,fma"))), 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps,
              _mm256_fmadd_ps, _mm256_set1_ps, _mm256_max_ps, _mm256_min_ps, tl_dw_zip256)
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
TL_DW_DEFINE(tl_dw_neon, , 4, float32x4_t, vld1q_f32, vst1q_f32, TL_N_FMA, vaddq_f32, vdupq_n_f32, TL_N_MAX,
             TL_N_MIN)
static inline void tl_dw_zip_neon(float *ptr, float32x4_t a, float32x4_t b) {
  float32x4x2_t ab;
  ab.val[0] = a;
  ab.val[1] = b;
  vst2q_f32(ptr, ab); /* interleaves */
}
TL_DWM_DEFINE(tl_dwm_neon, , 4, float32x4_t, vld1q_f32, vst1q_f32, TL_N_FMA, vdupq_n_f32, TL_N_MAX, TL_N_MIN,
              tl_dw_zip_neon)
#define TL_DW_NEON 1
#endif

void tl_depthwise_conv2d_f32_opt(float *y, const float *x, const float *w, const float *packed,
                                 const tl_conv_params *p, tl_isa isa) {
  if (p->depth_multiplier != 1) {
    switch (isa) {
#if defined(TL_DW_X86)
      case TL_ISA_AVX512:
        tl_dwm_avx512(y, x, packed, p);
        return;
      case TL_ISA_AVX2:
        tl_dwm_avx2(y, x, packed, p);
        return;
#endif
#if defined(TL_DW_NEON)
      case TL_ISA_NEON:
        tl_dwm_neon(y, x, packed, p);
        return;
#endif
      default:
        tl_dwm_portable(y, x, packed, p);
        return;
    }
  }
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
