/* test_opt_binary_int8.c: the vectorized int8 Add, Sub and Mul (kernels/opt/binary_int8_opt.h) against the
 * reference kernels (tl_add_int8, tl_sub_int8, tl_mul_int8), byte for byte, at every kernel level this CPU
 * supports.
 *
 * Every one of the 65,536 input pairs under several parameter sets: the multipliers come from scale triples
 * through tl_quantize_multiplier as prepare computes them (equal scales, a 100:1 ratio either way, an output
 * scale that makes the output shift positive for Mul and near the Add limit, tiny and huge output scales that
 * saturate), zero points at both ends and in the middle, no clamp and a Relu6-like clamp. Then the broadcast
 * forms the driver has (a scalar on either side, a repeated last-axis vector, a general broadcast in rows of 5)
 * and every length 0..70 at offsets 0..3 for the tails and that nothing past n is written. The admission rule
 * (tl_binary_int8_opt_supported) is checked on a set it must refuse. Prints each level tested
 * ("binary8 level avx2").
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/kernels_int8.h"
#include "kernels/opt/binary_int8_opt.h"
#include "quant.h"
#include "tl_test.h"

static const tl_i8_binary_kernels *g_set; /* the level under test (test-only state) */

typedef void (*ref_fn)(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p);
typedef void (*opt_fn)(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                       const tl_i8_binary_kernels *ks);
static const ref_fn k_ref[3] = {tl_add_int8, tl_sub_int8, tl_mul_int8};
static const opt_fn k_opt[3] = {tl_add_int8_opt, tl_sub_int8_opt, tl_mul_int8_opt};
static const char *const k_name[3] = {"add", "sub", "mul"};

/* (scale_a, scale_b, scale_out, zp_a, zp_b, zp_out, act_min, act_max) */
typedef struct param_case {
  double sa, sb, so;
  int32_t za, zb, zo, lo, hi;
} param_case;

static const param_case k_cases[] = {
    {0.05, 0.05, 0.1, 0, 0, 0, -128, 127},         {0.02, 0.07, 0.08, -128, 127, -5, -128, 127},
    {1.0, 0.01, 0.5, 3, -100, 20, -128, 127},      {0.01, 1.0, 0.02, 127, -128, 127, -128, 127},
    {0.1, 0.1, 0.001, 0, 0, 0, -128, 127},         {0.1, 0.2, 30.0, -1, 1, -128, -128, 127},
    {0.0123, 0.0456, 0.0789, 10, -20, -30, -30, 50}, {3e-4, 2e-4, 1e-8, -7, 9, 0, -128, 127},
};
#define N_CASES (int)(sizeof k_cases / sizeof k_cases[0])

/* The parameters prepare makes for case c (ops/binary_int8.c's formulas) over the given geometry. */
static tl_binary_int8_params make_params(const param_case *c, int mul, const tl_binary_params *geom) {
  tl_binary_int8_params p;
  memset(&p, 0, sizeof p);
  p.geom = *geom;
  p.a_zp = c->za;
  p.b_zp = c->zb;
  p.output_zp = c->zo;
  p.act_min = c->lo;
  p.act_max = c->hi;
  if (mul) {
    tl_quantize_multiplier(c->sa * c->sb / c->so, &p.out_multiplier, &p.out_shift);
  } else {
    const double twice_max = 2.0 * (c->sa > c->sb ? c->sa : c->sb);
    p.left_shift = 20;
    tl_quantize_multiplier(c->sa / twice_max, &p.a_multiplier, &p.a_shift);
    tl_quantize_multiplier(c->sb / twice_max, &p.b_multiplier, &p.b_shift);
    tl_quantize_multiplier(twice_max / (1048576.0 * c->so), &p.out_multiplier, &p.out_shift);
  }
  return p;
}

static tl_binary_params flat_geom(int32_t n) {
  tl_binary_params g;
  memset(&g, 0, sizeof g);
  g.out_dims[0] = g.out_dims[1] = g.out_dims[2] = 1;
  g.out_dims[3] = n;
  g.a_strides[3] = g.b_strides[3] = 1;
  return g;
}

/* Runs the level and the reference and compares n bytes, and the guard after them. */
static void check(int op, const int8_t *a, const int8_t *b, int64_t n, const tl_binary_int8_params *p) {
  int8_t *want = (int8_t *)malloc((size_t)n + 1), *got = (int8_t *)malloc((size_t)n + 8);
  int64_t bad = 0;
  memset(got, 0x5a, (size_t)n + 8);
  k_ref[op](want, a, b, p);
  k_opt[op](got, a, b, p, g_set);
  for (int64_t i = 0; i < n; i++) {
    if (got[i] != want[i] && bad++ < 5)
      printf("  %s i=%lld out_shift=%d a_shift=%d: got %d, want %d\n", k_name[op], (long long)i, (int)p->out_shift,
             (int)p->a_shift, got[i], want[i]);
  }
  TL_EXPECT_EQ(bad, 0);
  for (int i = 0; i < 8; i++) TL_EXPECT_EQ(got[n + i], 0x5a);
  free(want);
  free(got);
}

TL_TEST(every_pair_every_case) {
  const int32_t n = 65536;
  int8_t *a = (int8_t *)malloc(n), *b = (int8_t *)malloc(n);
  const tl_binary_params g = flat_geom(n);
  int admitted = 0;
  for (int32_t i = 0; i < n; i++) {
    a[i] = (int8_t)((i & 255) - 128);
    b[i] = (int8_t)((i >> 8) - 128);
  }
  for (int c = 0; c < N_CASES; c++) {
    for (int op = 0; op < 3; op++) {
      const tl_binary_int8_params p = make_params(&k_cases[c], op == 2, &g);
      if (!tl_binary_int8_opt_supported(&p, op == 2)) continue;
      admitted++;
      check(op, a, b, n, &p);
    }
  }
  TL_EXPECT_TRUE(admitted >= 3 * N_CASES - 2); /* only the case with out scale 1e-8 may be refused */
  free(a);
  free(b);
}

TL_TEST(refuses_a_saturating_output_shift) {
  /* Mul, out multiplier 0.75 * 2^20 (shift 20): 255 * 255 * 2^20 passes 2^31 */
  const param_case c = {1.0, 1.0, 1.0 / (0.75 * 1048576.0), -128, -128, 0, -128, 127};
  const tl_binary_params g = flat_geom(16);
  const tl_binary_int8_params p = make_params(&c, 1, &g);
  TL_EXPECT_EQ(p.out_shift, 20);
  TL_EXPECT_EQ(tl_binary_int8_opt_supported(&p, 1), 0);
  TL_EXPECT_TRUE(tl_binary_int8_opt_supported(&p, 0) == 0); /* no Add/Sub multipliers: refused as well */
}

/* a [2, 3, 5, 7] against b of dims bd (broadcast like prepare: stride 0 where bd is 1) */
static void check_broadcast(const int32_t *bd, int b_first) {
  const int32_t od[4] = {2, 3, 5, 7};
  int8_t a[210], b[210];
  tl_binary_params g;
  int64_t as = 1, bs = 1;
  uint32_t r = 99u;
  memset(&g, 0, sizeof g);
  for (int k = 3; k >= 0; k--) {
    g.out_dims[k] = od[k];
    g.a_strides[k] = as;
    g.b_strides[k] = bd[k] == 1 ? 0 : bs;
    as *= od[k];
    bs *= bd[k];
  }
  for (int i = 0; i < 210; i++) {
    r = r * 1664525u + 1013904223u;
    a[i] = (int8_t)(r >> 24);
    b[i] = (int8_t)(r >> 16);
  }
  if (b_first) { /* swap the roles: the broadcast side first */
    int64_t t[4];
    memcpy(t, g.a_strides, sizeof t);
    memcpy(g.a_strides, g.b_strides, sizeof t);
    memcpy(g.b_strides, t, sizeof t);
  }
  for (int op = 0; op < 3; op++) {
    const tl_binary_int8_params p = make_params(&k_cases[1], op == 2, &g);
    TL_EXPECT_TRUE(tl_binary_int8_opt_supported(&p, op == 2));
    if (b_first) check(op, b, a, 210, &p);
    else check(op, a, b, 210, &p);
  }
}

TL_TEST(broadcast_forms) {
  static const int32_t shapes[][4] = {{1, 1, 1, 1}, {1, 1, 1, 7}, {1, 1, 5, 7}, {2, 1, 5, 7},
                                      {1, 3, 1, 7}, {2, 3, 5, 1}, {2, 1, 1, 1}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    check_broadcast(shapes[s], 0);
    check_broadcast(shapes[s], 1);
  }
}

TL_TEST(every_length_and_offset) {
  int8_t a[80], b[80];
  for (int i = 0; i < 80; i++) {
    a[i] = (int8_t)(i * 37 + 11);
    b[i] = (int8_t)(i * 91 - 50);
  }
  for (int off = 0; off < 4; off++) {
    for (int32_t n = 0; n <= 70; n++) {
      const tl_binary_params g = flat_geom(n);
      for (int op = 0; op < 3; op++) {
        const tl_binary_int8_params p = make_params(&k_cases[2], op == 2, &g);
        check(op, a + off, b + (3 - off), n, &p);
      }
    }
  }
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  printf("features: avx2_fma=%d avx512f=%d neon=%d\n", f.avx2_fma, f.avx512f, f.neon);
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_set = tl_i8_binary_kernels_for(levels[i]);
    printf("binary8 level %s\n", tl_isa_name(levels[i]));
    TL_RUN(every_pair_every_case);
    TL_RUN(refuses_a_saturating_output_shift);
    TL_RUN(broadcast_forms);
    TL_RUN(every_length_and_offset);
  }
  return tl_test_summary();
}
