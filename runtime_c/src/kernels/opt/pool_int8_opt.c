/* pool_int8_opt.c: optimized int8 MaxPool2D and AveragePool2D (see opt_kernels_int8.h; AveragePool2D at the
 * end of the file).
 *
 * What this is: tl_max_pool2d_int8 with the channels vectorized (AVX2: 32, NEON: 16 per vector; the portable
 * level and the channels past the last full vector one at a time). A max is exact, so the bytes are the
 * reference's. Algorithm: per output pixel the window is clipped to the input; per block of channels the
 * accumulator starts at -128 (the reference's start, which an empty window keeps), takes the max over the
 * window, and is clamped to [act_min, act_max].
 */
#include "../geometry.h"
#include "opt_kernels_int8.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TL_MP8_X86 1
#endif
#if defined(__ARM_NEON) && (defined(__GNUC__) || defined(__clang__))
#include <arm_neon.h>
#define TL_MP8_NEON 1
#endif

/* Channels [c0, ch) of one output pixel, one at a time. */
static void tl_mp8_scalar(int8_t *yp, const int8_t *xb, int64_t x_row, int64_t ch, int64_t c0, int32_t y0,
                          int32_t y1, int32_t x0, int32_t x1, const tl_pool_int8_params *p) {
  for (int64_t c = c0; c < ch; c++) {
    int32_t best = -128;
    for (int32_t iy = y0; iy < y1; iy++)
      for (int32_t ix = x0; ix < x1; ix++) {
        const int32_t v = xb[(int64_t)iy * x_row + (int64_t)ix * ch + c];
        if (v > best) best = v;
      }
    best = best < p->q.act_min ? p->q.act_min : best;
    yp[c] = (int8_t)(best > p->q.act_max ? p->q.act_max : best);
  }
}

#if defined(TL_MP8_X86)
#define TL_MP8_AVX2_ __attribute__((target("avx2")))
/* Channels [0, 32 * (ch / 32)) of one output pixel; returns the first channel left. Inlined into the image
 * loop below (a call per pixel cost more than the pixel's few loads). */
TL_MP8_AVX2_ static inline __attribute__((always_inline)) int64_t tl_mp8_avx2(int8_t *yp, const int8_t *xb,
                                                                          int64_t x_row, int64_t ch, int32_t y0,
                                                                          int32_t y1, int32_t x0, int32_t x1,
                                                                          __m256i lo, __m256i hi) {
  int64_t c = 0;
  for (; c + 32 <= ch; c += 32) {
    __m256i acc = _mm256_set1_epi8(-128);
    for (int32_t iy = y0; iy < y1; iy++) {
      const int8_t *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c;
      for (int32_t ix = x0; ix < x1; ix++, xr += ch)
        acc = _mm256_max_epi8(acc, _mm256_loadu_si256((const __m256i *)(const void *)xr));
    }
    _mm256_storeu_si256((__m256i *)(void *)(yp + c), _mm256_min_epi8(hi, _mm256_max_epi8(lo, acc)));
  }
  return c;
}

/* Every output pixel: the vector blocks above, the remaining channels one at a time. */
TL_MP8_AVX2_ static void tl_mp8_image_avx2(int8_t *y, const int8_t *xb, const tl_pool_int8_params *p) {
  const tl_pool_params *g = &p->geom;
  const int64_t ch = g->channels, x_row = (int64_t)g->in_w * ch;
  const __m256i lo = _mm256_set1_epi8((char)p->q.act_min), hi = _mm256_set1_epi8((char)p->q.act_max);
  for (int32_t oy = 0; oy < g->out_h; oy++) {
    int32_t y0, y1;
    tl_geo_clip(tl_geo_start(oy, g->stride_h, g->pad_top), g->filter_h, g->in_h, &y0, &y1);
    for (int32_t ox = 0; ox < g->out_w; ox++) {
      int32_t x0, x1;
      int8_t *yp = y + ((int64_t)oy * g->out_w + ox) * ch;
      tl_geo_clip(tl_geo_start(ox, g->stride_w, g->pad_left), g->filter_w, g->in_w, &x0, &x1);
      const int64_t c = y1 - y0 == 2 && x1 - x0 == 2 ? tl_mp8_avx2(yp, xb, x_row, ch, y0, y0 + 2, x0, x0 + 2, lo, hi)
                                                     : tl_mp8_avx2(yp, xb, x_row, ch, y0, y1, x0, x1, lo, hi);
      if (c < ch) tl_mp8_scalar(yp, xb, x_row, ch, c, y0, y1, x0, x1, p);
    }
  }
}
#endif

#if defined(TL_MP8_NEON)
static int64_t tl_mp8_neon(int8_t *yp, const int8_t *xb, int64_t x_row, int64_t ch, int32_t y0, int32_t y1,
                           int32_t x0, int32_t x1, const tl_pool_int8_params *p) {
  const int8x16_t lo = vdupq_n_s8((int8_t)p->q.act_min), hi = vdupq_n_s8((int8_t)p->q.act_max);
  int64_t c = 0;
  for (; c + 16 <= ch; c += 16) {
    int8x16_t acc = vdupq_n_s8(-128);
    for (int32_t iy = y0; iy < y1; iy++) {
      const int8_t *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c;
      for (int32_t ix = x0; ix < x1; ix++, xr += ch) acc = vmaxq_s8(acc, vld1q_s8(xr));
    }
    vst1q_s8(yp + c, vminq_s8(hi, vmaxq_s8(lo, acc)));
  }
  return c;
}
#endif

void tl_max_pool2d_int8_opt(int8_t *y, const int8_t *x, const tl_pool_int8_params *p, tl_i8_level level) {
  const tl_pool_params *g = &p->geom;
  const int64_t ch = g->channels, x_row = (int64_t)g->in_w * ch;
  (void)level; /* only the scalar loop on architectures without a vector level */
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row;
#if defined(TL_MP8_X86)
    if (level == TL_I8_AVX2 || level == TL_I8_VNNI) {
      tl_mp8_image_avx2(y + (int64_t)b * g->out_h * g->out_w * ch, xb, p);
      continue;
    }
#endif
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      int32_t y0, y1;
      tl_geo_clip(tl_geo_start(oy, g->stride_h, g->pad_top), g->filter_h, g->in_h, &y0, &y1);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        int32_t x0, x1;
        int64_t c = 0;
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * ch;
        tl_geo_clip(tl_geo_start(ox, g->stride_w, g->pad_left), g->filter_w, g->in_w, &x0, &x1);
#if defined(TL_MP8_NEON)
        if (level == TL_I8_NEON || level == TL_I8_SDOT) c = tl_mp8_neon(yp, xb, x_row, ch, y0, y1, x0, x1, p);
#endif
        tl_mp8_scalar(yp, xb, x_row, ch, c, y0, y1, x0, x1, p);
      }
    }
  }
}

/* ---- AveragePool2D ----
 * Algorithm: per output pixel and block of TL_AP8_BLOCK channels, the raw values of the clipped window are
 * summed in int32 per channel (contiguous channels: AVX2 widens 8 at a time; exact, as
 * |sum| <= 128 x TL_AVERAGE_POOL_INT8_MAX_WINDOW < 2^31), then each channel finishes as the reference does:
 * the centered sum is raw - count x input_zp, rounded to the average (ties away from zero) and requantized.
 * The reference walks the window once per channel with a stride of `channels` bytes. */
#define TL_AP8_BLOCK 64

/* round(sum / count) with ties away from zero, count >= 1 (the reference's rule). */
static int32_t tl_ap8_rounded_average(int64_t sum, int64_t count) {
  const int64_t q = sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
  return (int32_t)q;
}

/* Channels [c0, c0 + n) of one output pixel from their raw window sums acc[0 .. n - 1]. */
static void tl_ap8_finish(int8_t *yp, const int32_t *acc, int64_t n, int64_t count, const tl_pool_int8_params *p) {
  const int32_t zp = p->q.input_zp;
  for (int64_t c = 0; c < n; c++) {
    const int64_t centered = (int64_t)acc[c] - count * zp;
    if (count == 0) {
      yp[c] = tl_requantize_centered_int8(0, &p->q);
    } else if (!p->q.requant) {
      yp[c] = tl_requantize_centered_int8(tl_ap8_rounded_average(centered + count * zp, count) - zp, &p->q);
    } else {
      yp[c] = tl_requantize_centered_int8(tl_ap8_rounded_average(centered, count), &p->q);
    }
  }
}

static void tl_ap8_sum_scalar(int32_t *acc, const int8_t *xr, int64_t n) {
  for (int64_t c = 0; c < n; c++) acc[c] += xr[c];
}

#if defined(TL_MP8_X86)
TL_MP8_AVX2_ static void tl_ap8_sum_avx2(int32_t *acc, const int8_t *xr, int64_t n) {
  int64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(xr + c)));
    _mm256_storeu_si256((__m256i *)(void *)(acc + c),
                        _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(acc + c)), v));
  }
  tl_ap8_sum_scalar(acc + c, xr + c, n - c);
}
#endif

void tl_average_pool2d_int8_opt(int8_t *y, const int8_t *x, const tl_pool_int8_params *p, tl_i8_level level) {
  const tl_pool_params *g = &p->geom;
  const int64_t ch = g->channels, x_row = (int64_t)g->in_w * ch;
  void (*sum)(int32_t *, const int8_t *, int64_t) = tl_ap8_sum_scalar;
#if defined(TL_MP8_X86)
  if (level == TL_I8_AVX2 || level == TL_I8_VNNI) sum = tl_ap8_sum_avx2;
#endif
  (void)level;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      int32_t y0, y1;
      tl_geo_clip(tl_geo_start(oy, g->stride_h, g->pad_top), g->filter_h, g->in_h, &y0, &y1);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        int32_t x0, x1;
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * ch; /* [channels] */
        tl_geo_clip(tl_geo_start(ox, g->stride_w, g->pad_left), g->filter_w, g->in_w, &x0, &x1);
        for (int64_t c0 = 0; c0 < ch; c0 += TL_AP8_BLOCK) {
          const int64_t n = ch - c0 < TL_AP8_BLOCK ? ch - c0 : TL_AP8_BLOCK;
          int32_t acc[TL_AP8_BLOCK] = {0};
          for (int32_t iy = y0; iy < y1; iy++) {
            const int8_t *xr = xb + (int64_t)iy * x_row + (int64_t)x0 * ch + c0;
            for (int32_t ix = x0; ix < x1; ix++, xr += ch) sum(acc, xr, n);
          }
          tl_ap8_finish(yp + c0, acc, n, (int64_t)(y1 > y0 ? y1 - y0 : 0) * (x1 > x0 ? x1 - x0 : 0), p);
        }
      }
    }
  }
}

/* ---- Mean over consecutive axes (the global average pooling of NHWC) ----
 * [outer, reduced, inner] of the reduced run (kept axes of size 1 inside it allowed), as the float kernel's
 * view (pool_opt.c). The reference sums x - input_zp in int64 and saturates to int32 before the one
 * requantization; with reduced <= 2^23 every such sum is exact in int32 (|x - zp| <= 255), so summing in
 * int32 gives the same value. */
static int tl_mean8_view(const tl_mean_params *p, int64_t *outer, int64_t *reduced, int64_t *inner) {
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

int tl_mean_int8_opt(int8_t *y, const int8_t *x, const tl_mean_int8_params *p, tl_i8_level level) {
  int64_t outer, reduced, inner;
  const tl_requantize_int8_params *q = &p->q;
  if (!tl_mean8_view(&p->geom, &outer, &reduced, &inner) || reduced < 1 || reduced > ((int64_t)1 << 23))
    return 0;
#if defined(TL_MP8_X86)
  if ((level == TL_I8_AVX2 || level == TL_I8_VNNI) && q->requant && q->multiplier > 0 && q->shift <= 0 &&
      q->shift >= -31) {
    tl_mean_int8_avx2(y, x, outer, reduced, inner, q);
    return 1;
  }
#endif
  (void)level;
  for (int64_t o = 0; o < outer; o++) { /* channels innermost: each row read in order */
    const int8_t *xo = x + o * reduced * inner;
    for (int64_t c0 = 0; c0 < inner; c0 += 64) {
      int32_t sums[64];
      const int64_t n = inner - c0 < 64 ? inner - c0 : 64;
      for (int64_t c = 0; c < n; c++) sums[c] = 0;
      for (int64_t r = 0; r < reduced; r++)
        for (int64_t c = 0; c < n; c++) sums[c] += xo[r * inner + c0 + c];
      for (int64_t c = 0; c < n; c++)
        y[o * inner + c0 + c] = tl_requantize_centered_int8(sums[c] - (int32_t)reduced * q->input_zp, q);
    }
  }
  return 1;
}
