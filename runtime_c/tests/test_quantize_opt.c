/* test_quantize_opt.c: the vectorized Quantize and Dequantize (kernels/opt/quantize_opt.h) against the
 * reference kernels (kernels/quantize.h), bit for bit, at every kernel level this CPU supports.
 *
 * Quantize inputs: the edge values (+-0, NaNs of both signs, +-inf, +-FLT_MAX, denormals, the smallest
 * normal), every k + 1/2 and its neighbours (nextafter) times the scale for k in [-140, 140] (the rounding
 * ties and the saturation edges), and a sweep of about a million float bit patterns spread over all 2^32;
 * scales 1, 1/4 (exact halves), 0.1, 3.7e-3, 1e-30 (x / scale overflows) and 1e30 (underflows); zero points
 * -128, -3, 0, 127. Dequantize: all 256 inputs under the same parameters. Lengths 0..70 at offsets 0..3 check
 * the tails and that nothing past n is written. Prints each level tested ("qdq level avx2").
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/opt/quantize_opt.h"
#include "kernels/quantize.h"
#include "tl_test.h"

static const tl_f32_qdq_kernels *g_set; /* the level under test (test-only state) */

static const float k_scales[] = {1.0f, 0.25f, 0.1f, 3.7e-3f, 1e-30f, 1e30f};
static const int32_t k_zps[] = {-128, -3, 0, 127};
#define N_SCALES (int)(sizeof k_scales / sizeof k_scales[0])
#define N_ZPS (int)(sizeof k_zps / sizeof k_zps[0])

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint32_t to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* The edge values of one scale: specials, then (k + 1/2) * scale and its float neighbours. */
static int64_t edge_values(float *x, float scale) {
  static const uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
                                      0x7f800000u, 0xff800000u, 0x7f7fffffu, 0xff7fffffu, 0x00000001u,
                                      0x80000001u, 0x00800000u, 0x807fffffu, 0x3effffffu, 0xbeffffffu,
                                      0x3f000000u, 0xbf000000u, 0x4b000000u, 0x4b7fffffu, 0xcb000001u};
  int64_t n = 0;
  for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) x[n++] = from_bits(specials[i]);
  for (int k = -140; k <= 140; k++) {
    const float t = ((float)k + 0.5f) * scale;
    x[n++] = t;
    x[n++] = nextafterf(t, INFINITY);
    x[n++] = nextafterf(t, -INFINITY);
    x[n++] = (float)k * scale;
  }
  return n;
}

/* Runs the set and the reference on x[0..n) and compares the bytes, and that the guard after n is intact. */
static void check_quantize(const float *x, int64_t n, const tl_qdq_params *p) {
  int8_t *want = (int8_t *)malloc((size_t)n + 1), *got = (int8_t *)malloc((size_t)n + 8);
  memset(got, 0x5a, (size_t)n + 8);
  tl_quantize_f32_int8(want, x, n, p);
  g_set->quantize(got, x, n, p);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    if (got[i] != want[i] && bad++ < 5)
      printf("  quantize x=%a (bits %08x) scale=%g zp=%d: got %d, want %d\n", (double)x[i], (unsigned)to_bits(x[i]),
             (double)p->scale, (int)p->zero_point, got[i], want[i]);
  }
  TL_EXPECT_EQ(bad, 0);
  for (int i = 0; i < 8; i++) TL_EXPECT_EQ(got[n + i], 0x5a);
  free(want);
  free(got);
}

TL_TEST(quantize_edges_bit_exact) {
  float *x = (float *)malloc(2048 * sizeof(float));
  for (int s = 0; s < N_SCALES; s++) {
    for (int z = 0; z < N_ZPS; z++) {
      const tl_qdq_params p = {k_scales[s], k_zps[z]};
      check_quantize(x, edge_values(x, p.scale), &p);
    }
  }
  free(x);
}

TL_TEST(quantize_bit_pattern_sweep) {
  const int64_t n = 1 << 20;
  float *x = (float *)malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) x[i] = from_bits((uint32_t)i * 4099u + 12345u); /* odd stride: all of 2^32 */
  for (int s = 0; s < N_SCALES; s++) {
    const tl_qdq_params p = {k_scales[s], k_zps[s % N_ZPS]};
    check_quantize(x, n, &p);
  }
  free(x);
}

TL_TEST(quantize_every_length_and_offset) {
  float x[80];
  uint32_t r = 7u;
  for (int i = 0; i < 80; i++) {
    r = r * 1664525u + 1013904223u;
    x[i] = ((float)(int32_t)(r >> 8) / 65536.0f - 128.0f) * 0.37f; /* beyond the int8 range too */
  }
  x[5] = NAN;
  x[37] = -INFINITY;
  for (int off = 0; off < 4; off++) {
    for (int64_t n = 0; n <= 70; n++) {
      const tl_qdq_params p = {0.5f, -3};
      check_quantize(x + off, n, &p);
    }
  }
}

static void check_dequantize(const int8_t *x, int64_t n, const tl_qdq_params *p) {
  float *want = (float *)malloc((size_t)(n + 1) * sizeof(float));
  float *got = (float *)malloc((size_t)(n + 8) * sizeof(float));
  for (int64_t i = 0; i < n + 8; i++) got[i] = -12345.0f;
  tl_dequantize_int8_f32(want, x, n, p);
  g_set->dequantize(got, x, n, p);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    if (to_bits(got[i]) != to_bits(want[i]) && bad++ < 5)
      printf("  dequantize q=%d scale=%g zp=%d: got %a, want %a\n", x[i], (double)p->scale, (int)p->zero_point,
             (double)got[i], (double)want[i]);
  }
  TL_EXPECT_EQ(bad, 0);
  for (int i = 0; i < 8; i++) TL_EXPECT_TRUE(got[n + i] == -12345.0f);
  free(want);
  free(got);
}

TL_TEST(dequantize_every_value_length_and_offset) {
  int8_t x[256 + 4];
  for (int i = 0; i < 256 + 4; i++) x[i] = (int8_t)(i * 37 - 128);
  for (int s = 0; s < N_SCALES; s++) {
    for (int z = 0; z < N_ZPS; z++) {
      const tl_qdq_params p = {k_scales[s], k_zps[z]};
      check_dequantize(x, 256, &p);
    }
  }
  for (int off = 0; off < 4; off++) {
    for (int64_t n = 0; n <= 70; n++) {
      const tl_qdq_params p = {0.1f, 5};
      check_dequantize(x + off, n, &p);
    }
  }
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  printf("features: avx2_fma=%d avx512f=%d neon=%d\n", f.avx2_fma, f.avx512f, f.neon);
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_set = tl_f32_qdq_kernels_for(levels[i]);
    printf("qdq level %s\n", tl_isa_name(levels[i]));
    TL_RUN(quantize_edges_bit_exact);
    TL_RUN(quantize_bit_pattern_sweep);
    TL_RUN(quantize_every_length_and_offset);
    TL_RUN(dequantize_every_value_length_and_offset);
  }
  return tl_test_summary();
}
