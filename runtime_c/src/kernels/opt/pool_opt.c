/* pool_opt.c: optimized float32 MaxPool2D (see opt_kernels.h).
 *
 * What this is: the reference formula with the channels vectorised (AVX-512: 16, AVX2: 8, NEON: 4 per
 * vector; the portable level and the channels past the last full vector go one at a time). Max is exact, so
 * the results are bit-identical to tl_max_pool2d_f32, NaNs included. What this is not: the specification.
 *
 * Algorithm: for each output pixel, clip the window to the input (an empty window gives 0, then the
 * activation); per block of channels start from the window's first pixel and take v when v > acc or v is
 * NaN (the reference's rule: a NaN wins), then clamp (max(lo, v), min(hi, .): a NaN passes through).
 */
#include "opt_kernels.h"

static void tl_pool_clip(int32_t *lo, int32_t *hi, int32_t o, int32_t stride, int32_t pad, int32_t filter,
                         int32_t in_size) {
  const int32_t start = o * stride - pad;
  const int32_t end = start + filter;
  *lo = start < 0 ? 0 : start;
  *hi = end > in_size ? in_size : end;
}

#define TL_MP_DEFINE(name, attrs, VW, VEC, LOAD, STORE, NANMAX, SET1, MAXV, MINV)                             \
  attrs static void name(float *y, const float *x, const tl_pool_params *p) {                                 \
    const int64_t ch = p->channels;                                                                           \
    const int64_t x_row = (int64_t)p->in_w * ch;                                                              \
    const int64_t vec_end = (ch / (VW)) * (VW);                                                               \
    const VEC lo = SET1(p->act.min), hi = SET1(p->act.max);                                                   \
    for (int32_t b = 0; b < p->batch; b++) {                                                                  \
      const float *xb = x + (int64_t)b * p->in_h * x_row;                                                     \
      for (int32_t oy = 0; oy < p->out_h; oy++) {                                                             \
        int32_t y0, y1;                                                                                       \
        tl_pool_clip(&y0, &y1, oy, p->stride_h, p->pad_top, p->filter_h, p->in_h);                            \
        for (int32_t ox = 0; ox < p->out_w; ox++) {                                                           \
          int32_t x0, x1;                                                                                     \
          tl_pool_clip(&x0, &x1, ox, p->stride_w, p->pad_left, p->filter_w, p->in_w);                         \
          float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;                                \
          if (y0 >= y1 || x0 >= x1) {                                                                         \
            const float z = 0.0f < p->act.min ? p->act.min : (0.0f > p->act.max ? p->act.max : 0.0f);         \
            for (int64_t c = 0; c < ch; c++) yp[c] = z;                                                       \
            continue;                                                                                         \
          }                                                                                                   \
          const float *first = xb + (int64_t)y0 * x_row + (int64_t)x0 * ch;                                   \
          int64_t c = 0;                                                                                      \
          for (; c < vec_end; c += (VW)) {                                                                    \
            VEC acc = LOAD(first + c);                                                                        \
            for (int32_t iy = y0; iy < y1; iy++) {                                                            \
              const float *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c;                              \
              for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc = NANMAX(acc, LOAD(xr));                     \
            }                                                                                                 \
            STORE(yp + c, MINV(hi, MAXV(lo, acc)));                                                           \
          }                                                                                                   \
          for (; c < ch; c++) {                                                                               \
            float acc = first[c];                                                                             \
            for (int32_t iy = y0; iy < y1; iy++) {                                                            \
              const float *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c;                              \
              for (int32_t ix = x0; ix < x1; ix++, xr += ch) {                                                \
                if (*xr > acc || *xr != *xr) acc = *xr;                                                       \
              }                                                                                               \
            }                                                                                                 \
            yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);                    \
          }                                                                                                   \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }

#define TL_S_LOAD(ptr) (*(ptr))
#define TL_S_STORE(ptr, v) (*(ptr) = (v))
#define TL_S_NANMAX(acc, v) tl_s_nanmax(acc, v)
#define TL_S_SET1(v) (v)
#define TL_S_MAX(lo, v) ((v) < (lo) ? (lo) : (v))
#define TL_S_MIN(hi, v) ((v) > (hi) ? (hi) : (v))
static float tl_s_nanmax(float acc, float v) { return v > acc || v != v ? v : acc; }
TL_MP_DEFINE(tl_mp_portable, , 1, float, TL_S_LOAD, TL_S_STORE, TL_S_NANMAX, TL_S_SET1, TL_S_MAX, TL_S_MIN)

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TL_AVX512_ __attribute__((target("avx512f,avx2,fma")))
#define TL_AVX2_ __attribute__((target("avx2,fma")))
TL_AVX512_ static inline __m512 tl_nanmax512(__m512 acc, __m512 v) {
  const __mmask16 take = _mm512_cmp_ps_mask(v, acc, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_blend_ps(take, acc, v);
}
TL_AVX2_ static inline __m256 tl_nanmax256(__m256 acc, __m256 v) {
  const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, acc, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  return _mm256_blendv_ps(acc, v, take);
}
TL_MP_DEFINE(tl_mp_avx512, TL_AVX512_, 16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, tl_nanmax512,
             _mm512_set1_ps, _mm512_max_ps, _mm512_min_ps)
TL_MP_DEFINE(tl_mp_avx2, TL_AVX2_, 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, tl_nanmax256, _mm256_set1_ps,
             _mm256_max_ps, _mm256_min_ps)
#define TL_MP_X86 1
#endif

#if defined(__aarch64__) || (defined(__arm__) && defined(__ARM_NEON))
#include <arm_neon.h>
static inline float32x4_t tl_nanmax_neon(float32x4_t acc, float32x4_t v) {
  const uint32x4_t take = vorrq_u32(vcgtq_f32(v, acc), vmvnq_u32(vceqq_f32(v, v)));
  return vbslq_f32(take, v, acc);
}
#define TL_N_MAX(lo, v) vbslq_f32(vcltq_f32(v, lo), lo, v)
#define TL_N_MIN(hi, v) vbslq_f32(vcgtq_f32(v, hi), hi, v)
TL_MP_DEFINE(tl_mp_neon, , 4, float32x4_t, vld1q_f32, vst1q_f32, tl_nanmax_neon, vdupq_n_f32, TL_N_MAX, TL_N_MIN)
#define TL_MP_NEON 1
#endif

void tl_max_pool2d_f32_opt(float *y, const float *x, const tl_pool_params *p, tl_isa isa) {
  switch (isa) {
#if defined(TL_MP_X86)
    case TL_ISA_AVX512:
      tl_mp_avx512(y, x, p);
      return;
    case TL_ISA_AVX2:
      tl_mp_avx2(y, x, p);
      return;
#endif
#if defined(TL_MP_NEON)
    case TL_ISA_NEON:
      tl_mp_neon(y, x, p);
      return;
#endif
    default:
      tl_mp_portable(y, x, p);
      return;
  }
}
