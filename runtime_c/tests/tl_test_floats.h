/* tl_test_floats.h: the seeded float arrays the optimized-kernel tests compare on (test-only).
 *
 * Include after defining TL_TEST_RNG_SEED (each test file keeps its own sequence): rand_float() is a 32-bit
 * LCG's uniform value in [-1, 1), rand_array(n) n of them, abs_copy(a, n) the magnitudes (the reference
 * kernel run on |x|, |w| gives each output's error scale), out_array(n) n floats followed by
 * TL_TEST_GUARD canaries (-12345) that catch writes past the output, and k_acts the three activation
 * clamps (none, ReLU, a narrow one). Arrays are malloc'd; the caller frees them.
 */
#ifndef TL_TEST_FLOATS_H
#define TL_TEST_FLOATS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels/kernels.h"

#ifndef TL_TEST_RNG_SEED
#error "define TL_TEST_RNG_SEED before including tl_test_floats.h"
#endif

#define TL_TEST_GUARD 16

static uint32_t g_rng = TL_TEST_RNG_SEED;

static inline float rand_float(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return (float)((g_rng >> 8) & 0xFFFF) / 32768.0f - 1.0f; /* [-1, 1) */
}

static inline float *rand_array(int64_t n) {
  float *a = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++) a[i] = rand_float();
  return a;
}

static inline float *abs_copy(const float *a, int64_t n) {
  float *b = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++) b[i] = fabsf(a[i]);
  return b;
}

static inline float *out_array(int64_t n) { /* n floats, then a guard of canaries */
  float *a = (float *)malloc((size_t)(n + TL_TEST_GUARD) * sizeof(float));
  for (int64_t i = 0; i < n + TL_TEST_GUARD; i++) a[i] = -12345.0f;
  return a;
}

static const tl_act_f32 k_acts[3] = {{-INFINITY, INFINITY}, {0.0f, INFINITY}, {-0.25f, 0.5f}};

#endif
