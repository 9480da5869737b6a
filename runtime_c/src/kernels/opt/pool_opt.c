/* pool_opt.c: optimized float32 MaxPool2D (see opt_kernels.h), AveragePool2D and Mean over consecutive axes
 * (see opt_kernels_elementwise.h).
 *
 * What this is: the reference formulas with the channels vectorised (AVX-512: 16, AVX2: 8, NEON: 4 per
 * vector; MaxPool's portable level and the channels past the last full vector go one at a time, the
 * portable AveragePool and Mean work on blocks of 8 / 4 channels in plain C arrays that the compiler can
 * vectorise). Max is exact, so MaxPool's results are bit-identical to tl_max_pool2d_f32, NaNs included;
 * AveragePool adds the window's pixels in the reference's order and divides once, and Mean sums in double
 * in the reference's order, so they are bit-identical too (but see opt_kernels_elementwise.h for ARMv7
 * NEON and subnormals). What this is not: the specification.
 *
 * Algorithm (pools): for each output pixel, clip the window to the input (an empty window gives 0, then
 * the activation); per block of channels, MaxPool starts from the window's first pixel and takes v when
 * v > acc or v is NaN (the reference's rule: a NaN wins), AveragePool starts from 0 and adds the pixels in
 * row-major order then divides by their count; then the clamp (max(lo, v), min(hi, .): a NaN passes
 * through).
 * Algorithm (Mean): with the reduced axes consecutive, x is [outer, reduced, inner] and y [outer, inner];
 * per block of inner values, each is summed over the reduced index in double (four blocks at once: four
 * independent chains), divided by the count in double and rounded to float once, as the reference does.
 */
#include "../geometry.h"
#include "opt_kernels.h"

#include <math.h>

#include "opt_kernels_elementwise.h"

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
        tl_geo_clip(tl_geo_start(oy, p->stride_h, p->pad_top), p->filter_h, p->in_h, &y0, &y1);               \
        for (int32_t ox = 0; ox < p->out_w; ox++) {                                                           \
          int32_t x0, x1;                                                                                     \
          tl_geo_clip(tl_geo_start(ox, p->stride_w, p->pad_left), p->filter_w, p->in_w, &x0, &x1);            \
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

/* ---- AveragePool2D ---- */

/* Defines `attrs static void name(y, x, p)` with vectors of VW floats. */
#define TL_AP_DEFINE(name, attrs, VW, VEC, LOAD, STORE, SET1, ADDV, DIVV, MAXV, MINV)                          \
  attrs static void name(float *y, const float *x, const tl_pool_params *p) {                                 \
    const int64_t ch = p->channels;                                                                           \
    const int64_t x_row = (int64_t)p->in_w * ch;                                                              \
    const VEC lo = SET1(p->act.min), hi = SET1(p->act.max);                                                   \
    for (int32_t b = 0; b < p->batch; b++) {                                                                  \
      const float *xb = x + (int64_t)b * p->in_h * x_row;                                                     \
      for (int32_t oy = 0; oy < p->out_h; oy++) {                                                             \
        int32_t y0, y1;                                                                                       \
        tl_geo_clip(tl_geo_start(oy, p->stride_h, p->pad_top), p->filter_h, p->in_h, &y0, &y1);               \
        for (int32_t ox = 0; ox < p->out_w; ox++) {                                                           \
          int32_t x0, x1;                                                                                     \
          tl_geo_clip(tl_geo_start(ox, p->stride_w, p->pad_left), p->filter_w, p->in_w, &x0, &x1);            \
          float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;                                \
          if (y0 >= y1 || x0 >= x1) {                                                                         \
            const float z = 0.0f < p->act.min ? p->act.min : (0.0f > p->act.max ? p->act.max : 0.0f);         \
            for (int64_t c = 0; c < ch; c++) yp[c] = z;                                                       \
            continue;                                                                                         \
          }                                                                                                   \
          const float count = (float)((y1 - y0) * (x1 - x0));                                                 \
          const VEC count_v = SET1(count);                                                                    \
          const float *first = xb + (int64_t)y0 * x_row + (int64_t)x0 * ch;                                   \
          int64_t c = 0;                                                                                      \
          for (; c + 2 * (VW) <= ch; c += 2 * (VW)) { /* two blocks: two independent chains */               \
            VEC acc0 = SET1(0.0f), acc1 = SET1(0.0f);                                                         \
            for (int32_t iy = y0; iy < y1; iy++) {                                                            \
              const float *xr = first + (int64_t)(iy - y0) * x_row + c;                                       \
              for (int32_t ix = x0; ix < x1; ix++, xr += ch) {                                                \
                acc0 = ADDV(acc0, LOAD(xr));                                                                  \
                acc1 = ADDV(acc1, LOAD(xr + (VW)));                                                           \
              }                                                                                               \
            }                                                                                                 \
            STORE(yp + c, MINV(hi, MAXV(lo, DIVV(acc0, count_v))));                                           \
            STORE(yp + c + (VW), MINV(hi, MAXV(lo, DIVV(acc1, count_v))));                                    \
          }                                                                                                   \
          for (; c + (VW) <= ch; c += (VW)) {                                                                 \
            VEC acc = SET1(0.0f);                                                                             \
            for (int32_t iy = y0; iy < y1; iy++) {                                                            \
              const float *xr = first + (int64_t)(iy - y0) * x_row + c;                                       \
              for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc = ADDV(acc, LOAD(xr));                       \
            }                                                                                                 \
            STORE(yp + c, MINV(hi, MAXV(lo, DIVV(acc, count_v))));                                            \
          }                                                                                                   \
          for (; c < ch; c++) {                                                                               \
            float acc = 0.0f;                                                                                 \
            for (int32_t iy = y0; iy < y1; iy++) {                                                            \
              const float *xr = first + (int64_t)(iy - y0) * x_row + c;                                       \
              for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc += *xr;                                      \
            }                                                                                                 \
            acc /= count;                                                                                     \
            yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);                    \
          }                                                                                                   \
        }                                                                                                     \
      }                                                                                                       \
    }                                                                                                         \
  }

/* portable "vectors": 8 floats in a plain array, lane by lane (the compiler vectorises these loops) */
typedef struct tl_f8 {
  float v[8];
} tl_f8;
static inline tl_f8 tl_f8_load(const float *ptr) {
  tl_f8 r;
  for (int j = 0; j < 8; j++) r.v[j] = ptr[j];
  return r;
}
static inline void tl_f8_store(float *ptr, tl_f8 a) {
  for (int j = 0; j < 8; j++) ptr[j] = a.v[j];
}
static inline tl_f8 tl_f8_set1(float s) {
  tl_f8 r;
  for (int j = 0; j < 8; j++) r.v[j] = s;
  return r;
}
static inline tl_f8 tl_f8_add(tl_f8 a, tl_f8 b) {
  for (int j = 0; j < 8; j++) a.v[j] += b.v[j];
  return a;
}
static inline tl_f8 tl_f8_div(tl_f8 a, tl_f8 b) {
  for (int j = 0; j < 8; j++) a.v[j] /= b.v[j];
  return a;
}
static inline tl_f8 tl_f8_max(tl_f8 lo, tl_f8 a) { /* a < lo ? lo : a */
  for (int j = 0; j < 8; j++) a.v[j] = a.v[j] < lo.v[j] ? lo.v[j] : a.v[j];
  return a;
}
static inline tl_f8 tl_f8_min(tl_f8 hi, tl_f8 a) { /* a > hi ? hi : a */
  for (int j = 0; j < 8; j++) a.v[j] = a.v[j] > hi.v[j] ? hi.v[j] : a.v[j];
  return a;
}
TL_AP_DEFINE(tl_ap_portable, , 8, tl_f8, tl_f8_load, tl_f8_store, tl_f8_set1, tl_f8_add, tl_f8_div, tl_f8_max,
             tl_f8_min)

#if defined(TL_MP_X86)
TL_AP_DEFINE(tl_ap_avx512, TL_AVX512_, 16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps,
             _mm512_div_ps, _mm512_max_ps, _mm512_min_ps)
TL_AP_DEFINE(tl_ap_avx2, TL_AVX2_, 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps,
             _mm256_div_ps, _mm256_max_ps, _mm256_min_ps)
#endif

#if defined(TL_MP_NEON)
#if defined(__aarch64__)
#define TL_N_DIV vdivq_f32
#else
/* ARMv7 NEON has no division (only reciprocal estimates): divide lane by lane with VFP, exactly */
static inline float32x4_t tl_n_div(float32x4_t a, float32x4_t b) {
  float fa[4], fb[4];
  vst1q_f32(fa, a);
  vst1q_f32(fb, b);
  for (int j = 0; j < 4; j++) fa[j] /= fb[j];
  return vld1q_f32(fa);
}
#define TL_N_DIV tl_n_div
#endif
TL_AP_DEFINE(tl_ap_neon, , 4, float32x4_t, vld1q_f32, vst1q_f32, vdupq_n_f32, vaddq_f32, TL_N_DIV, TL_N_MAX,
             TL_N_MIN)
#endif

void tl_average_pool2d_f32_opt(float *y, const float *x, const tl_pool_params *p, tl_isa isa) {
  switch (isa) {
#if defined(TL_MP_X86)
    case TL_ISA_AVX512:
      tl_ap_avx512(y, x, p);
      return;
    case TL_ISA_AVX2:
      tl_ap_avx2(y, x, p);
      return;
#endif
#if defined(TL_MP_NEON)
    case TL_ISA_NEON:
      tl_ap_neon(y, x, p);
      return;
#endif
    default:
      tl_ap_portable(y, x, p);
      return;
  }
}

/* ---- Mean over consecutive axes ---- */

/* [outer, reduced, inner] of p when its reduced axes are one run (kept axes of size 1 inside it allowed). */
static int tl_mean_view(const tl_mean_params *p, int64_t *outer, int64_t *reduced, int64_t *inner) {
  int32_t first = -1, last = -1;
  *outer = *reduced = *inner = 1;
  for (int32_t d = 0; d < p->rank; d++) {
    if (!p->reduce[d]) continue;
    if (first < 0) first = d;
    last = d;
  }
  if (first < 0) return 0;
  for (int32_t d = 0; d < p->rank; d++) {
    if (d < first) *outer *= p->in_dims[d];
    else if (d > last) *inner *= p->in_dims[d];
    else if (p->reduce[d]) *reduced *= p->in_dims[d];
    else if (p->in_dims[d] != 1) return 0;
  }
  return 1;
}

int tl_mean_f32_opt_supported(const tl_mean_params *p) {
  int64_t outer, reduced, inner;
  return tl_mean_view(p, &outer, &reduced, &inner);
}

/* Defines `attrs static void name(y, x, outer, reduced, inner)` with vectors of DW doubles; LOADD loads DW
 * floats as doubles, STORED rounds DW doubles to floats and stores them. */
#define TL_MEAN_DEFINE(name, attrs, DW, DVEC, LOADD, STORED, SET1D, ADDD, DIVD)                                  \
  attrs static void name(float *y, const float *x, int64_t outer, int64_t reduced, int64_t inner) {           \
    const DVEC count_v = SET1D((double)reduced);                                                              \
    for (int64_t o = 0; o < outer; o++) {                                                                     \
      const float *xo = x + o * reduced * inner;                                                              \
      float *yo = y + o * inner;                                                                              \
      int64_t c = 0;                                                                                          \
      for (; c + 4 * (DW) <= inner; c += 4 * (DW)) {                                                          \
        DVEC s0 = SET1D(0.0), s1 = SET1D(0.0), s2 = SET1D(0.0), s3 = SET1D(0.0);                              \
        const float *xr = xo + c;                                                                             \
        for (int64_t r = 0; r < reduced; r++, xr += inner) {                                                  \
          s0 = ADDD(s0, LOADD(xr));                                                                           \
          s1 = ADDD(s1, LOADD(xr + (DW)));                                                                    \
          s2 = ADDD(s2, LOADD(xr + 2 * (DW)));                                                                \
          s3 = ADDD(s3, LOADD(xr + 3 * (DW)));                                                                \
        }                                                                                                     \
        STORED(yo + c, DIVD(s0, count_v));                                                                    \
        STORED(yo + c + (DW), DIVD(s1, count_v));                                                             \
        STORED(yo + c + 2 * (DW), DIVD(s2, count_v));                                                         \
        STORED(yo + c + 3 * (DW), DIVD(s3, count_v));                                                         \
      }                                                                                                       \
      for (; c + (DW) <= inner; c += (DW)) {                                                                  \
        DVEC s = SET1D(0.0);                                                                                  \
        const float *xr = xo + c;                                                                             \
        for (int64_t r = 0; r < reduced; r++, xr += inner) s = ADDD(s, LOADD(xr));                            \
        STORED(yo + c, DIVD(s, count_v));                                                                     \
      }                                                                                                       \
      for (; c < inner; c++) {                                                                                \
        double s = 0.0;                                                                                       \
        const float *xr = xo + c;                                                                             \
        for (int64_t r = 0; r < reduced; r++, xr += inner) s += (double)*xr;                                  \
        yo[c] = (float)(s / (double)reduced);                                                                 \
      }                                                                                                       \
    }                                                                                                         \
  }

/* portable: 4 doubles in a plain array */
typedef struct tl_d4 {
  double v[4];
} tl_d4;
static inline tl_d4 tl_d4_load(const float *ptr) {
  tl_d4 r;
  for (int j = 0; j < 4; j++) r.v[j] = (double)ptr[j];
  return r;
}
static inline void tl_d4_store(float *ptr, tl_d4 a) {
  for (int j = 0; j < 4; j++) ptr[j] = (float)a.v[j];
}
static inline tl_d4 tl_d4_set1(double s) {
  tl_d4 r;
  for (int j = 0; j < 4; j++) r.v[j] = s;
  return r;
}
static inline tl_d4 tl_d4_add(tl_d4 a, tl_d4 b) {
  for (int j = 0; j < 4; j++) a.v[j] += b.v[j];
  return a;
}
static inline tl_d4 tl_d4_div(tl_d4 a, tl_d4 b) {
  for (int j = 0; j < 4; j++) a.v[j] /= b.v[j];
  return a;
}
TL_MEAN_DEFINE(tl_mean_portable, , 4, tl_d4, tl_d4_load, tl_d4_store, tl_d4_set1, tl_d4_add, tl_d4_div)

#if defined(TL_MP_X86)
#define TL_MEAN_LOAD512(ptr) _mm512_cvtps_pd(_mm256_loadu_ps(ptr))
#define TL_MEAN_STORE512(ptr, v) _mm256_storeu_ps(ptr, _mm512_cvtpd_ps(v))
#define TL_MEAN_LOAD256(ptr) _mm256_cvtps_pd(_mm_loadu_ps(ptr))
#define TL_MEAN_STORE256(ptr, v) _mm_storeu_ps(ptr, _mm256_cvtpd_ps(v))
TL_MEAN_DEFINE(tl_mean_avx512, TL_AVX512_, 8, __m512d, TL_MEAN_LOAD512, TL_MEAN_STORE512, _mm512_set1_pd,
               _mm512_add_pd, _mm512_div_pd)
TL_MEAN_DEFINE(tl_mean_avx2, TL_AVX2_, 4, __m256d, TL_MEAN_LOAD256, TL_MEAN_STORE256, _mm256_set1_pd, _mm256_add_pd,
               _mm256_div_pd)
#endif

#if defined(TL_MP_NEON) && defined(__aarch64__) /* ARMv7 NEON has no double lanes: the portable code runs */
#define TL_MEAN_LOADN(ptr) vcvt_f64_f32(vld1_f32(ptr))
#define TL_MEAN_STOREN(ptr, v) vst1_f32(ptr, vcvt_f32_f64(v))
TL_MEAN_DEFINE(tl_mean_neon, , 2, float64x2_t, TL_MEAN_LOADN, TL_MEAN_STOREN, vdupq_n_f64, vaddq_f64, vdivq_f64)
#define TL_MEAN_NEON 1
#endif

void tl_mean_f32_opt(float *y, const float *x, const tl_mean_params *p, tl_isa isa) {
  int64_t outer, reduced, inner;
  if (!tl_mean_view(p, &outer, &reduced, &inner)) {
    tl_mean_f32(y, x, p);
    return;
  }
  if (reduced == 0) { /* numpy's mean of nothing, as the reference */
    for (int64_t i = 0; i < outer * inner; i++) y[i] = NAN;
    return;
  }
  switch (isa) {
#if defined(TL_MP_X86)
    case TL_ISA_AVX512:
      tl_mean_avx512(y, x, outer, reduced, inner);
      return;
    case TL_ISA_AVX2:
      tl_mean_avx2(y, x, outer, reduced, inner);
      return;
#endif
#if defined(TL_MEAN_NEON)
    case TL_ISA_NEON:
      tl_mean_neon(y, x, outer, reduced, inner);
      return;
#endif
    default:
      tl_mean_portable(y, x, outer, reduced, inner);
      return;
  }
}
