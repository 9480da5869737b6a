/* quantize_opt.c: the portable Quantize/Dequantize set and the table of the levels' sets (quantize_opt.h).
 *
 * The portable level is the reference arithmetic without the libm call: round half away from zero as the
 * truncation through int32 (exact below 2^23; from 2^23 up every float is integral), then a step away from zero
 * when the dropped fraction is at least a half (v - t is exact). The SIMD levels live in quantize_avx2.c,
 * quantize_avx512.c and quantize_neon.c.
 */
#include <math.h>

#include "opt_f32_internal.h"
#include "quantize_opt.h"

/* A level this build has no code for runs the portable set, so every table entry exists on every build. */
#if !defined(TL_F32_X86)
#define tl_f32_qdq_avx2 tl_f32_qdq_portable
#define tl_f32_qdq_avx512 tl_f32_qdq_portable
#endif
#if !defined(TL_F32_NEON) || !defined(__aarch64__) /* ARMv7 NEON has no vector division */
#define tl_f32_qdq_neon tl_f32_qdq_portable
#endif

static void tl_quantize_portable(int8_t *y, const float *x, int64_t n, const tl_qdq_params *p) {
  const float scale = p->scale, zp = (float)p->zero_point;
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i] / scale;
    float r = v; /* |v| >= 2^23 (and +-inf) is integral already: roundf(v) = v */
    if (fabsf(v) < 8388608.0f) {
      const float t = (float)(int32_t)v; /* trunc(v), exact */
      r = t + (float)((int32_t)(v - t >= 0.5f) - (int32_t)(v - t <= -0.5f)); /* no branch to mispredict */
    }
    r += zp;
    r = r < -128.0f ? -128.0f : r;
    r = r > 127.0f ? 127.0f : r;
    y[i] = v != v ? (int8_t)p->zero_point : (int8_t)r;
  }
}

static void tl_dequantize_portable(float *y, const int8_t *x, int64_t n, const tl_qdq_params *p) {
  const float scale = p->scale;
  const int32_t zp = p->zero_point;
  for (int64_t i = 0; i < n; i++) y[i] = scale * (float)((int32_t)x[i] - zp);
}

const tl_f32_qdq_kernels tl_f32_qdq_portable = {tl_quantize_portable, tl_dequantize_portable};

/* The sets in tl_f32_level_index's order. */
static const tl_f32_qdq_kernels *const k_qdq_sets[TL_F32_LEVELS] = {&tl_f32_qdq_portable, &tl_f32_qdq_neon,
                                                                     &tl_f32_qdq_avx2, &tl_f32_qdq_avx512};

const tl_f32_qdq_kernels *tl_f32_qdq_kernels_for(tl_isa isa) { return k_qdq_sets[tl_f32_level_index(isa)]; }
