/* test_opt_elementwise.c: the optimized float32 Add / Sub / Mul, Relu / Relu6, HardSwish, Sigmoid / Tanh, Gelu
 * (tanh form), Softmax, AveragePool2D, Mean and DepthwiseConv2D with depth_multiplier > 1
 * (kernels/opt/opt_kernels_elementwise.h), and Transpose (kernels/opt/transpose_opt.h), against their reference
 * kernels, at every kernel level this CPU supports (portable, then NEON / AVX2 / AVX-512 where present).
 *
 * Lengths and channel counts run 1..70 / 1..33 so that every path of every level is taken: the four-vector
 * loop, the single vectors, the scalar tail. Broadcasts: same shapes, a scalar on either side, a last-axes
 * vector on either side (rows of 1..33), and general broadcasts (row by row along the last axis from 4
 * elements, the reference loop below: tl_binary_f32_opt_supported must say which). Pools: SAME / VALID, strides, clipped windows and empty ones (pad >= filter). Mean: H,W
 * of NHWC (global average pooling), the last axis, the first axis, a kept size-1 axis inside the run, an
 * empty reduction (NaN) and a non-consecutive set (reference fallback).
 *
 * Exactness: everything but the depthwise convolution and the transcendental functions (Sigmoid, Tanh,
 * Softmax: within 2 ulp; Gelu: within |x| 2^-24 + 2 ulp, and in at most 1 of 1000 inputs; Gelu's tanh alone:
 * within 1.1 ulp of libm's double tanh) must give the reference's bits (NaN compared as NaN:
 * ARMv7 NEON returns the default NaN), with NaN, signed zeros and values past the clamps in the inputs, and
 * subnormals too except at the NEON level on ARMv7 (which flushes them). DepthwiseConv2D: |opt - ref| <=
 * 1e-5 * s per element, s the reference run on |x|, |w|, |bias|, as in test_opt_kernels.c.
 * Prints the features and each level tested ("level avx2"), which tests/runtime/test_opt_elementwise.py checks.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/gelu.h"
#include "kernels/hard_swish.h"
#include "kernels/kernels.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "kernels/opt/transpose_opt.h"
#include "tl_test.h"

static tl_isa g_isa = TL_ISA_PORTABLE; /* the level under test (test-only state) */
static uint32_t g_rng = 4242u;

static uint32_t rand_u32(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return g_rng >> 8;
}

/* ARMv7 NEON flushes subnormals to zero: no subnormal inputs at that level there. */
static int subnormals_exact(void) {
#if defined(__arm__)
  return g_isa != TL_ISA_NEON;
#else
  return 1;
#endif
}

/* Values in [-8, 8) with, every so often, the special values the kernels must pass through like the
 * reference: NaN, +-0, +-inf, values past the Relu6 and activation clamps, and (where exact) subnormals. */
static float special_float(void) {
  const uint32_t r = rand_u32();
  switch (r % 23u) {
    case 0: return NAN;
    case 1: return -0.0f;
    case 2: return 0.0f;
    case 3: return INFINITY;
    case 4: return -INFINITY;
    case 5: return subnormals_exact() ? 1e-40f : 1e-30f;
    case 6: return subnormals_exact() ? -3e-39f : -3e-30f;
    default: return (float)((r >> 5) & 0xFFFF) / 4096.0f - 8.0f;
  }
}

static float plain_float(void) { return (float)(rand_u32() & 0xFFFF) / 32768.0f - 1.0f; }

static float *array(int64_t n, int special) {
  float *a = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++) a[i] = special ? special_float() : plain_float();
  return a;
}

/* n floats then a 16-float canary, to catch writes past the output */
static float *out_array(int64_t n) {
  float *a = (float *)malloc((size_t)(n + 16) * sizeof(float));
  for (int64_t i = 0; i < n + 16; i++) a[i] = -12345.0f;
  return a;
}

static int canary_intact(const float *got, int64_t n, const char *what) {
  for (int64_t i = n; i < n + 16; i++) {
    if (got[i] != -12345.0f) {
      printf("  %s [%s]: wrote past the output at %lld\n", what, tl_isa_name(g_isa), (long long)i);
      return 0;
    }
  }
  return 1;
}

/* Same bits (both NaN counts as the same); prints the first differences. */
static int check_bits(const float *got, const float *want, int64_t n, const char *what) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t g, w;
    memcpy(&g, &got[i], 4);
    memcpy(&w, &want[i], 4);
    if (g != w && !(got[i] != got[i] && want[i] != want[i])) {
      if (bad < 5)
        printf("  %s [%s] element %lld: got %.9g (0x%08x) want %.9g (0x%08x)\n", what, tl_isa_name(g_isa),
               (long long)i, (double)got[i], (unsigned)g, (double)want[i], (unsigned)w);
      bad++;
    }
  }
  if (bad) printf("  %s [%s]: %lld of %lld elements differ\n", what, tl_isa_name(g_isa), (long long)bad, (long long)n);
  return bad == 0 && canary_intact(got, n, what);
}

static const tl_act_f32 k_acts[3] = {{-INFINITY, INFINITY}, {0.0f, INFINITY}, {-0.25f, 0.5f}};

/* ---- Add / Sub / Mul ---- */

typedef void (*binary_ref_fn)(float *, const float *, const float *, const tl_binary_params *);
typedef void (*binary_opt_fn)(float *, const float *, const float *, const tl_binary_params *, tl_isa);
static const binary_ref_fn k_ref[3] = {tl_add_f32, tl_sub_f32, tl_mul_f32};
static const binary_opt_fn k_opt[3] = {tl_add_f32_opt, tl_sub_f32_opt, tl_mul_f32_opt};
static const char *const k_op_names[3] = {"add", "sub", "mul"};

/* Params of a broadcast of shapes ad and bd (rank 4, right-aligned), as tl_prepare_binary computes them. */
static tl_binary_params binary_params(const int32_t *ad, const int32_t *bd, int act) {
  tl_binary_params p;
  int64_t as = 1, bs = 1;
  for (int k = 3; k >= 0; k--) {
    p.out_dims[k] = ad[k] == 1 ? bd[k] : ad[k];
    p.a_strides[k] = ad[k] == 1 ? 0 : as;
    p.b_strides[k] = bd[k] == 1 ? 0 : bs;
    as *= ad[k];
    bs *= bd[k];
  }
  p.act = k_acts[act];
  return p;
}

/* One broadcast case of every op; `fast` is whether tl_binary_f32_opt_supported must accept it. */
static int binary_case(const int32_t *ad, const int32_t *bd, int act, int fast) {
  const tl_binary_params p = binary_params(ad, bd, act);
  const int64_t na = (int64_t)ad[0] * ad[1] * ad[2] * ad[3], nb = (int64_t)bd[0] * bd[1] * bd[2] * bd[3];
  const int64_t n = (int64_t)p.out_dims[0] * p.out_dims[1] * p.out_dims[2] * p.out_dims[3];
  float *a = array(na, 1), *b = array(nb, 1);
  int ok = 1;
  char what[160];
  snprintf(what, sizeof what, "[%d,%d,%d,%d] op [%d,%d,%d,%d] act=%d", ad[0], ad[1], ad[2], ad[3], bd[0], bd[1],
           bd[2], bd[3], act);
  if (!tl_binary_f32_opt_supported(&p) != !fast) {
    printf("  %s: supported() is %d, expected %d\n", what, tl_binary_f32_opt_supported(&p), fast);
    ok = 0;
  }
  for (int op = 0; op < 3; op++) {
    float *want = out_array(n), *got = out_array(n);
    char name[200];
    snprintf(name, sizeof name, "%s %s", k_op_names[op], what);
    k_ref[op](want, a, b, &p);
    k_opt[op](got, a, b, &p, g_isa);
    ok &= check_bits(got, want, n, name);
    free(want), free(got);
  }
  free(a), free(b);
  return ok;
}

TL_TEST(binary_bit_exact_on_every_pattern) {
  int failed = 0, cases = 0;
  for (int32_t n = 1; n <= 70; n++) { /* same shape, and a scalar on either side */
    const int32_t full[4] = {1, 1, 1, n}, scalar[4] = {1, 1, 1, 1};
    const int32_t full3[4] = {1, 2, 1, n}; /* [2, n] against [1]: leading dims too */
    failed += !binary_case(full, full, n % 3, 1);
    failed += !binary_case(full3, scalar, (n + 1) % 3, 1);
    failed += !binary_case(scalar, full3, (n + 2) % 3, 1);
    cases += 3;
  }
  for (int32_t c = 1; c <= 33; c++) { /* last-axis vectors (a bias) on either side, rows of c */
    const int32_t x[4] = {2, 3, 2, c}, v[4] = {1, 1, 1, c}, hw[4] = {1, 3, 2, c};
    failed += !binary_case(x, v, c % 3, 1);
    failed += !binary_case(v, x, (c + 1) % 3, 1);
    failed += !binary_case(x, hw, (c + 2) % 3, 1); /* a block of the last three dims, repeated per batch */
    cases += 3;
  }
  { /* the same shape in 4-D, larger than every unroll */
    const int32_t x[4] = {2, 5, 7, 19};
    failed += !binary_case(x, x, 1, 1);
  }
  for (int32_t c = 1; c <= 33; c++) { /* general broadcasts: row by row from 4 elements, else the reference */
    const int32_t a1[4] = {2, 3, 1, c}, b1[4] = {1, 1, 4, c}; /* vector rows against vector rows */
    const int32_t a2[4] = {2, 4, 3, 1}, b2[4] = {2, 4, 3, c}; /* a per-pixel scalar (SE-style, batch 2) */
    const int32_t a3[4] = {2, 1, 1, c}, b3[4] = {2, 3, 5, c}; /* a per-image vector */
    failed += !binary_case(a1, b1, c % 3, c >= 4);
    failed += !binary_case(a2, b2, (c + 1) % 3, c >= 4 || c == 1); /* c == 1: the same shapes */
    failed += !binary_case(b2, a2, (c + 2) % 3, c >= 4 || c == 1);
    failed += !binary_case(a3, b3, c % 3, c >= 4);
    failed += !binary_case(b3, a3, (c + 1) % 3, c >= 4);
    cases += 5;
  }
  {
    const int32_t a1[4] = {2, 3, 1, 5}, b1[4] = {1, 1, 4, 1}; /* rows with b scalar, b varying by row */
    const int32_t a4[4] = {2, 3, 4, 1}, b4[4] = {1, 3, 1, 1}; /* rows of one element: the reference */
    failed += !binary_case(a1, b1, 0, 1);
    failed += !binary_case(b1, a1, 2, 1);
    failed += !binary_case(a4, b4, 1, 0);
  }
  { /* an empty output */
    const int32_t e[4] = {1, 1, 0, 5}, v[4] = {1, 1, 1, 5};
    failed += !binary_case(e, v, 0, 1);
  }
  TL_EXPECT_EQ(failed, 0);
  TL_EXPECT_TRUE(cases >= 300);
}

/* ---- Relu, Relu6 ---- */

TL_TEST(relu_relu6_bit_exact) {
  int failed = 0;
  for (int64_t n = 0; n <= 70; n++) {
    float *x = array(n, 1);
    float *want = out_array(n), *got = out_array(n);
    char what[64];
    snprintf(what, sizeof what, "relu n=%lld", (long long)n);
    tl_relu_f32(want, x, n);
    tl_relu_f32_opt(got, x, n, g_isa);
    failed += !check_bits(got, want, n, what);
    snprintf(what, sizeof what, "relu6 n=%lld", (long long)n);
    tl_relu6_f32(want, x, n);
    tl_relu6_f32_opt(got, x, n, g_isa);
    failed += !check_bits(got, want, n, what);
    memcpy(got, x, (size_t)n * sizeof(float)); /* in place, as the planner may arrange */
    tl_relu6_f32_opt(got, got, n, g_isa);
    failed += !check_bits(got, want, n, "relu6 in place");
    free(x), free(want), free(got);
  }
  TL_EXPECT_EQ(failed, 0);
}

TL_TEST(hard_swish_bit_exact) {
  int failed = 0;
  for (int64_t n = 0; n <= 70; n++) {
    float *x = array(n, 1);
    float *want = out_array(n), *got = out_array(n);
    char what[64];
    for (int64_t i = 0; i < n; i += 7) x[i] = (float)(i % 13) * 0.5f - 3.0f; /* the kinks -3 and 3 exactly */
    snprintf(what, sizeof what, "hard_swish n=%lld", (long long)n);
    tl_hard_swish_f32(want, x, n);
    tl_hard_swish_f32_opt(got, x, n, g_isa);
    failed += !check_bits(got, want, n, what);
    free(x), free(want), free(got);
  }
  TL_EXPECT_EQ(failed, 0);
}

/* ---- Sigmoid, Tanh: within 2 ulp of libm ---- */

/* Distance in units in the last place between two floats (0 for two NaNs, huge for NaN against a number). */
static int64_t ulp_distance(float a, float b) {
  int32_t ia, ib;
  if (a != a || b != b) return a != a && b != b ? 0 : INT64_MAX;
  memcpy(&ia, &a, 4);
  memcpy(&ib, &b, 4);
  const int64_t oa = ia < 0 ? -(int64_t)(ia & INT32_MAX) : ia, ob = ib < 0 ? -(int64_t)(ib & INT32_MAX) : ib;
  return oa > ob ? oa - ob : ob - oa;
}

/* Inputs: a dense sweep of [-110, 110] (both tails, the branch points 0 and +-0.1, subnormal sigmoids),
 * random bit patterns of every magnitude, and the special values. */
static float *transcendental_inputs(int64_t *n_out) {
  const int64_t n_sweep = 220001, n_bits = 60000, n = n_sweep + n_bits + 8;
  float *x = (float *)malloc((size_t)n * sizeof(float));
  int64_t k = 0;
  for (int64_t i = 0; i < n_sweep; i++) x[k++] = (float)(-110.0 + 220.0 * (double)i / (double)(n_sweep - 1));
  for (int64_t i = 0; i < n_bits; i++) {
    uint32_t bits = (rand_u32() << 8) ^ rand_u32();
    float v;
    memcpy(&v, &bits, 4);
    x[k++] = v == v ? v : 1.5f; /* NaNs come below */
  }
  const float specials[8] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 0.1f, -0.1f, 1e-40f};
  for (int i = 0; i < 8; i++) x[k++] = specials[i];
  *n_out = n;
  return x;
}

/* The function in double (libm's exp / tanh), rounded once: the float nearest the exact value but in rare
 * near-halfway cases. */
static float sigmoid_exact(float x) { return (float)(1.0 / (1.0 + exp(-(double)x))); }
static float tanh_exact(float x) { return (float)tanh((double)x); }

static int transcendental_case(const char *name, void (*ref)(float *, const float *, int64_t),
                               void (*opt)(float *, const float *, int64_t, tl_isa), float (*exact)(float)) {
  int64_t n;
  float *x = transcendental_inputs(&n);
  float *want = out_array(n), *got = out_array(n);
  int64_t worst = 0, worst_at = 0, differ = 0, opt_exact = 0, ref_exact = 0;
  ref(want, x, n);
  opt(got, x, n, g_isa);
  for (int64_t i = 0; i < n; i++) {
    const int64_t d = ulp_distance(got[i], want[i]), e = ulp_distance(got[i], exact(x[i]));
    const int64_t r = ulp_distance(want[i], exact(x[i]));
    differ += d != 0;
    if (d > worst) worst = d, worst_at = i;
    if (e > opt_exact) opt_exact = e;
    if (r > ref_exact) ref_exact = r;
  }
  printf("  %s [%s]: max %lld ulp from the reference (x = %.9g: got %.9g want %.9g), %lld of %lld differ; "
         "from the double formula: optimized %lld ulp, reference %lld ulp\n",
         name, tl_isa_name(g_isa), (long long)worst, (double)x[worst_at], (double)got[worst_at],
         (double)want[worst_at], (long long)differ, (long long)n, (long long)opt_exact, (long long)ref_exact);
  /* the optimized kernels round the double formula once (at most 1 ulp from it); levels without one run the
   * reference, which is up to 2 ulp from it (libm's float expf / tanhf) */
  const int ok = worst <= 2 && (opt_exact <= 1 || differ == 0) && canary_intact(got, n, name);
  for (int64_t m = 0; m <= 40; m++) { /* every tail length, against the same kernel on the whole array */
    float *part = out_array(m);
    opt(part, x + 1000, m, g_isa);
    opt(got, x + 1000, 40, g_isa);
    if (memcmp(part, got, (size_t)m * sizeof(float)) != 0 || !canary_intact(part, m, name)) {
      printf("  %s [%s]: n=%lld differs from the longer run\n", name, tl_isa_name(g_isa), (long long)m);
      free(part);
      free(x), free(want), free(got);
      return 0;
    }
    free(part);
  }
  free(x), free(want), free(got);
  return ok;
}

TL_TEST(sigmoid_tanh_within_2_ulp) {
  TL_EXPECT_TRUE(transcendental_case("sigmoid", tl_sigmoid_f32, tl_sigmoid_f32_opt, sigmoid_exact));
  TL_EXPECT_TRUE(transcendental_case("tanh", tl_tanh_f32, tl_tanh_f32_opt, tanh_exact));
}

/* ---- Gelu (tanh form): the reference's bits but where its tanh rounds the other way ---- */

/* ulp of a finite float's magnitude (the gap to the next float away from zero) */
static double ulp_of(float v) {
  const float a = fabsf(v);
  return (double)nextafterf(a, INFINITY) - (double)a;
}

static void gelu_tanh_ref(float *y, const float *x, int64_t n) { tl_gelu_f32(y, x, n, 1); }

TL_TEST(gelu_tanh_within_bound) {
  int64_t n;
  float *x = transcendental_inputs(&n);
  float *want = out_array(n), *got = out_array(n);
  int64_t differ = 0, bad = 0;
  gelu_tanh_ref(want, x, n);
  tl_gelu_tanh_f32_opt(got, x, n, g_isa);
  for (int64_t i = 0; i < n; i++) {
    if (ulp_distance(got[i], want[i]) == 0) continue;
    differ++;
    /* a tanh one float off moves 1 + t by at most 2^-23, y by |x| 2^-24, then one rounding */
    const double bound = (double)fabsf(x[i]) * 0x1p-24 + 2.0 * ulp_of(want[i]);
    if (!(want[i] == want[i]) || !(got[i] == got[i]) || !(fabs((double)got[i] - (double)want[i]) <= bound)) {
      if (bad < 5)
        printf("  gelu [%s] x = %.9g: got %.9g want %.9g\n", tl_isa_name(g_isa), (double)x[i], (double)got[i],
               (double)want[i]);
      bad++;
    }
  }
  printf("  gelu tanh [%s]: %lld of %lld differ from the reference (all within |x| 2^-24 + 2 ulp: %s)\n",
         tl_isa_name(g_isa), (long long)differ, (long long)n, bad ? "no" : "yes");
  TL_EXPECT_EQ(bad, 0);
  TL_EXPECT_TRUE(differ * 1000 <= n); /* rare: only near-halfway tanh values */
  TL_EXPECT_TRUE(canary_intact(got, n, "gelu"));
  for (int64_t m = 0; m <= 40; m++) { /* every tail length, against the same kernel on a longer run */
    float *part = out_array(m);
    tl_gelu_tanh_f32_opt(part, x + 1000, m, g_isa);
    tl_gelu_tanh_f32_opt(got, x + 1000, 40, g_isa);
    TL_EXPECT_TRUE(memcmp(part, got, (size_t)m * sizeof(float)) == 0 && canary_intact(part, m, "gelu tail"));
    free(part);
  }
  free(x), free(want), free(got);
}

/* ---- Gelu's float32 tanh on its own: within 1.1 ulp of the exact value (libm's double tanh) ---- */

/* Every 1021st float of [0, 12] (1.07 million: tiny values, both branches, the switch at 0.75, the clamp at
 * 10), with both signs, and the special values. Over every float the max is 1.066 ulp (a one-off exhaustive
 * run); 1.1 is the check. Levels without the float kernel give libm's tanh rounded (0.5 ulp). */
TL_TEST(gelu_tanh_core_within_1_1_ulp) {
  const uint32_t top = 0x41400000u, stride = 1021; /* 12.0f */
  const int64_t half = (int64_t)(top / stride) + 1, n = 2 * half + 6;
  float *x = (float *)malloc((size_t)n * sizeof(float));
  float *got = out_array(n);
  int64_t k = 0;
  for (uint32_t b = 0; b <= top && k < half; b += stride, k++) {
    memcpy(&x[k], &b, 4);
    x[half + k] = -x[k];
  }
  k = 2 * half;
  const float specials[6] = {NAN, INFINITY, -INFINITY, 0.75f, 9.01f, 1e-40f};
  for (int i = 0; i < 6; i++) x[k++] = specials[i];
  tl_gelu_tanh_core_f32_opt(got, x, n, g_isa);
  double worst = 0.0;
  float worst_x = 0.0f;
  int64_t differ = 0;
  for (int64_t i = 0; i < n; i++) {
    const double exact = tanh((double)x[i]);
    if (x[i] != x[i]) {
      TL_EXPECT_TRUE(got[i] != got[i]);
      continue;
    }
    const float rounded = (float)exact;
    const double err = fabs((double)got[i] - exact) / ulp_of(rounded);
    differ += got[i] != rounded;
    if (err > worst) worst = err, worst_x = x[i];
  }
  printf("  gelu's tanh [%s]: max %.3f ulp from the exact value (x = %.9g), %lld of %lld differ from the "
         "correctly rounded float\n",
         tl_isa_name(g_isa), worst, (double)worst_x, (long long)differ, (long long)n);
  TL_EXPECT_TRUE(worst <= 1.1);
  TL_EXPECT_TRUE(canary_intact(got, n, "gelu's tanh"));
  free(x), free(got);
}

/* ---- Softmax: the reference's bits but where an exponential rounds the other way, within 2 ulp ---- */

static int softmax_case(int64_t outer, int64_t depth, float beta, float spread, int special) {
  const int64_t n = outer * depth;
  float *x = array(n, special);
  for (int64_t i = 0; i < n; i++) x[i] *= spread;
  float *want = out_array(n), *got = out_array(n);
  tl_softmax_params p;
  p.outer = outer, p.depth = depth, p.beta = beta;
  tl_softmax_f32(want, x, &p);
  tl_softmax_f32_opt(got, x, &p, g_isa);
  int64_t worst = 0, worst_at = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t d = ulp_distance(got[i], want[i]);
    if (d > worst) worst = d, worst_at = i;
  }
  const int ok = worst <= 2 && canary_intact(got, n, "softmax");
  if (!ok)
    printf("  softmax %lldx%lld beta %g spread %g [%s]: %lld ulp at %lld (got %.9g want %.9g)\n", (long long)outer,
           (long long)depth, (double)beta, (double)spread, tl_isa_name(g_isa), (long long)worst, (long long)worst_at,
           (double)got[worst_at], (double)want[worst_at]);
  free(x), free(want), free(got);
  return ok;
}

TL_TEST(softmax_within_2_ulp) {
  int failed = 0;
  for (int64_t depth = 1; depth <= 70; depth++) {
    failed += !softmax_case(3, depth, 1.0f, 1.0f, 0);
    failed += !softmax_case(2, depth, 0.5f, 20.0f, 0); /* wide range: underflowing exponentials */
    failed += !softmax_case(2, depth, 1.0f, 1.0f, 1);  /* NaN, infinities, zeros, subnormals */
  }
  failed += !softmax_case(128, 32, 1.0f, 4.0f, 0); /* the attention's shape */
  failed += !softmax_case(1, 1000, 2.0f, 30.0f, 0);
  TL_EXPECT_EQ(failed, 0);
}

/* ---- Transpose: the reference's bytes for every rank, permutation and element size ---- */

static int transpose_case(int32_t rank, const int32_t *dims, const int32_t *perm, int32_t es) {
  tl_transpose_params p;
  memset(&p, 0, sizeof p);
  p.rank = rank, p.elem_size = es;
  int64_t n = 1;
  for (int32_t d = 0; d < rank; d++) p.in_dims[d] = dims[d], p.perm[d] = perm[d], n *= dims[d];
  const size_t bytes = (size_t)n * (size_t)es;
  unsigned char *x = (unsigned char *)malloc(bytes + 1), *want = (unsigned char *)malloc(bytes + 16);
  unsigned char *got = (unsigned char *)malloc(bytes + 16);
  for (size_t i = 0; i < bytes; i++) x[i] = (unsigned char)rand_u32();
  memset(want, 0xA5, bytes + 16);
  memset(got, 0xA5, bytes + 16);
  tl_transpose(want, x, &p);
  tl_transpose_opt(got, x, &p);
  const int ok = memcmp(got, want, bytes + 16) == 0;
  if (!ok) {
    printf("  transpose rank %d es %d dims", rank, es);
    for (int32_t d = 0; d < rank; d++) printf(" %d", dims[d]);
    printf(" perm");
    for (int32_t d = 0; d < rank; d++) printf(" %d", perm[d]);
    printf(": bytes differ\n");
  }
  free(x), free(want), free(got);
  return ok;
}

TL_TEST(transpose_bit_exact) {
  int failed = 0;
  static const int32_t sizes[4] = {1, 2, 4, 8};
  for (int trial = 0; trial < 600; trial++) {
    const int32_t rank = 1 + trial % 6;
    int32_t dims[6], perm[6];
    for (int32_t d = 0; d < rank; d++) dims[d] = 1 + (int32_t)(rand_u32() % 5u), perm[d] = d;
    for (int32_t d = rank - 1; d > 0; d--) { /* a random permutation */
      const int32_t j = (int32_t)(rand_u32() % (uint32_t)(d + 1)), t = perm[d];
      perm[d] = perm[j], perm[j] = t;
    }
    failed += !transpose_case(rank, dims, perm, sizes[trial % 4]);
  }
  static const int32_t heads[4] = {1, 32, 4, 16}, swap[4] = {0, 2, 1, 3}; /* attention's head split */
  static const int32_t wide[3] = {3, 70, 9}, rev[3] = {2, 1, 0};
  for (int i = 0; i < 4; i++) {
    failed += !transpose_case(4, heads, swap, sizes[i]);
    failed += !transpose_case(3, wide, rev, sizes[i]);
  }
  TL_EXPECT_EQ(failed, 0);
}

/* ---- AveragePool2D ---- */

static int avgpool_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t ch, int32_t f_h, int32_t f_w, int32_t stride,
                        int32_t pad, int act) {
  tl_pool_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch, p.in_h = in_h, p.in_w = in_w, p.channels = ch;
  p.filter_h = f_h, p.filter_w = f_w, p.stride_h = stride, p.stride_w = stride, p.pad_top = pad, p.pad_left = pad;
  p.out_h = (in_h + 2 * pad - f_h) / stride + 1;
  p.out_w = (in_w + 2 * pad - f_w) / stride + 1;
  p.act = k_acts[act];
  const int64_t nx = (int64_t)batch * in_h * in_w * ch, n_out = (int64_t)batch * p.out_h * p.out_w * ch;
  float *x = array(nx, (ch + in_w) % 2); /* special values in half of the cases (a NaN spoils a window) */
  float *want = out_array(n_out), *got = out_array(n_out);
  tl_average_pool2d_f32(want, x, &p);
  tl_average_pool2d_f32_opt(got, x, &p, g_isa);
  char what[128];
  snprintf(what, sizeof what, "avgpool b=%d %dx%dx%d f=%dx%d s=%d pad=%d act=%d", batch, in_h, in_w, ch, f_h, f_w,
           stride, pad, act);
  const int ok = check_bits(got, want, n_out, what);
  free(x), free(want), free(got);
  return ok;
}

TL_TEST(average_pool_bit_exact_on_every_path) {
  int failed = 0;
  for (int32_t ch = 1; ch <= 33; ch++) {
    const int act = ch % 3;
    failed += !avgpool_case(1, 7, 6, ch, 3, 3, 2, 1, act);        /* SAME-like: clipped windows, counts vary */
    failed += !avgpool_case(2, 4, 5, ch, 2, 2, 2, 0, (act + 1) % 3); /* VALID, batch 2 */
    failed += !avgpool_case(1, 4, 4, ch, 4, 4, 1, 0, act);        /* global (MobileNet's 4x4) */
  }
  failed += !avgpool_case(1, 3, 3, 40, 2, 2, 2, 2, 0);  /* pad >= filter: empty windows give 0 */
  failed += !avgpool_case(1, 3, 3, 17, 2, 2, 2, 2, 1);
  failed += !avgpool_case(1, 9, 8, 64, 3, 2, 1, 1, 2);  /* non-square filter, four vectors per pixel */
  failed += !avgpool_case(1, 5, 5, 128, 5, 5, 1, 2, 0); /* 5x5 windows over 128 channels */
  TL_EXPECT_EQ(failed, 0);
}

/* ---- Mean ---- */

static int mean_case(int32_t rank, const int32_t *dims, const uint8_t *reduce, int fast) {
  tl_mean_params p;
  int64_t nx = 1, n_out = 1;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  for (int32_t d = 0; d < rank; d++) {
    p.in_dims[d] = dims[d];
    p.reduce[d] = reduce[d];
    nx *= dims[d];
    if (!reduce[d]) n_out *= dims[d];
  }
  char what[128];
  int len = snprintf(what, sizeof what, "mean [");
  for (int32_t d = 0; d < rank && len < (int)sizeof what - 16; d++)
    len += snprintf(what + len, sizeof what - (size_t)len, "%s%d%s", d ? "," : "", dims[d], reduce[d] ? "r" : "");
  snprintf(what + len, sizeof what - (size_t)len, "]");
  float *x = array(nx, (int)(nx % 2)); /* special values in about half of the cases */
  float *want = out_array(n_out), *got = out_array(n_out);
  int ok = 1;
  if (!tl_mean_f32_opt_supported(&p) != !fast) {
    printf("  %s: supported() is %d, expected %d\n", what, tl_mean_f32_opt_supported(&p), fast);
    ok = 0;
  }
  tl_mean_f32(want, x, &p);
  tl_mean_f32_opt(got, x, &p, g_isa);
  ok &= check_bits(got, want, n_out, what);
  free(x), free(want), free(got);
  return ok;
}

TL_TEST(mean_bit_exact_on_every_path) {
  int failed = 0;
  for (int32_t c = 1; c <= 33; c++) { /* H, W of NHWC over channel counts hitting every block and tail */
    const int32_t d[4] = {2, 3, 5, c};
    const uint8_t r[4] = {0, 1, 1, 0};
    failed += !mean_case(4, d, r, 1);
  }
  {
    const int32_t d1[4] = {1, 4, 4, 512}; /* MobileNet 0.5's global pool */
    const uint8_t r1[4] = {0, 1, 1, 0};
    const int32_t d2[3] = {3, 4, 37};
    const uint8_t last[3] = {0, 0, 1}, first[3] = {1, 0, 0}, all[3] = {1, 1, 1};
    const int32_t d3[4] = {2, 6, 1, 9}; /* a kept size-1 axis inside the run */
    const uint8_t r3[4] = {0, 1, 0, 1};
    const int32_t d4[3] = {4, 0, 3}; /* an empty reduction: NaN */
    const uint8_t r4[3] = {0, 1, 0};
    const int32_t d5[4] = {3, 4, 5, 6}; /* axes 0 and 2: not consecutive, the reference */
    const uint8_t r5[4] = {1, 0, 1, 0};
    failed += !mean_case(4, d1, r1, 1);
    failed += !mean_case(3, d2, last, 1);
    failed += !mean_case(3, d2, first, 1);
    failed += !mean_case(3, d2, all, 1);
    failed += !mean_case(4, d3, r3, 1);
    failed += !mean_case(3, d4, r4, 1);
    failed += !mean_case(4, d5, r5, 0);
    const int32_t d6[3] = {1, 7, 64}; /* a layer norm's last axis: rows by four, then three */
    failed += !mean_case(3, d6, last, 1);
  }
  TL_EXPECT_EQ(failed, 0);
}

/* ---- DepthwiseConv2D, depth_multiplier > 1 ---- */

static int dwm_case(int32_t in_h, int32_t in_w, int32_t in_c, int32_t dm, int32_t k, int32_t stride, int32_t dilation,
                    int32_t pad, int with_bias, int act) {
  tl_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = 2, p.in_h = in_h, p.in_w = in_w, p.in_c = in_c, p.out_c = in_c * dm, p.depth_multiplier = dm;
  p.k_h = k, p.k_w = k, p.stride_h = stride, p.stride_w = stride;
  p.dilation_h = dilation, p.dilation_w = dilation, p.pad_top = pad, p.pad_left = pad;
  p.out_h = (in_h + 2 * pad - ((k - 1) * dilation + 1)) / stride + 1;
  p.out_w = (in_w + 2 * pad - ((k - 1) * dilation + 1)) / stride + 1;
  p.act = k_acts[act];
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t nx = (int64_t)p.batch * in_h * in_w * in_c, nw = (int64_t)k * k * p.out_c;
  const int64_t n_out = (int64_t)p.batch * p.out_h * p.out_w * p.out_c;
  float *x = array(nx, 0), *w = array(nw, 0), *bias = with_bias ? array(p.out_c, 0) : NULL;
  float *xa = array(nx, 0), *wa = array(nw, 0), *ba = with_bias ? array(p.out_c, 0) : NULL;
  for (int64_t i = 0; i < nx; i++) xa[i] = fabsf(x[i]);
  for (int64_t i = 0; i < nw; i++) wa[i] = fabsf(w[i]);
  for (int32_t i = 0; with_bias && i < p.out_c; i++) ba[i] = fabsf(bias[i]);
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out);
  float *packed = (float *)malloc(tl_depthwise_conv2d_f32_opt_packed_floats(&p) * sizeof(float));
  tl_depthwise_conv2d_f32(want, x, w, bias, &p);
  tl_depthwise_conv2d_f32(scale, xa, wa, ba, &p_abs);
  tl_depthwise_conv2d_f32_opt_pack(packed, bias, &p);
  tl_depthwise_conv2d_f32_opt_pack_weights(packed, w, &p);
  tl_depthwise_conv2d_f32_opt(got, x, w, packed, &p, g_isa);
  int64_t bad = 0;
  for (int64_t i = 0; i < n_out; i++) {
    const double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= 1e-5 * (double)scale[i] + 1e-30)) {
      if (bad < 5)
        printf("  depthwise dm=%d [%s] element %lld: got %.9g want %.9g\n", dm, tl_isa_name(g_isa), (long long)i,
               (double)got[i], (double)want[i]);
      bad++;
    }
  }
  char what[160];
  snprintf(what, sizeof what, "depthwise %dx%dx%d dm=%d k=%d s=%d d=%d pad=%d bias=%d act=%d", in_h, in_w, in_c, dm, k,
           stride, dilation, pad, with_bias, act);
  if (bad) printf("  %s [%s]: %lld of %lld elements differ\n", what, tl_isa_name(g_isa), (long long)bad, (long long)n_out);
  const int ok = bad == 0 && canary_intact(got, n_out, what);
  free(x), free(w), free(bias), free(xa), free(wa), free(ba), free(want), free(got), free(scale), free(packed);
  return ok;
}

TL_TEST(depthwise_multiplier_matches_reference) {
  int failed = 0;
  static const int32_t dms[] = {2, 3, 4, 5};
  for (int32_t c = 1; c <= 33; c++) {
    const int32_t dm = dms[c % 4];
    const int act = c % 3, bias = c % 2;
    failed += !dwm_case(7, 6, c, dm, 3, 1, 1, 1, bias, act);           /* SAME-like, borders */
    failed += !dwm_case(9, 8, c, dm, 3, 2, 2, 1, 1 - bias, (act + 1) % 3); /* strided, dilated */
  }
  failed += !dwm_case(5, 5, 16, 1, 3, 1, 1, 0, 1, 0);  /* the packing of dm == 1 through the same calls */
  failed += !dwm_case(6, 7, 20, 8, 2, 1, 1, 0, 1, 2);  /* even kernel, many multipliers */
  failed += !dwm_case(3, 3, 8, 2, 5, 1, 1, 4, 0, 0);   /* pad >= kernel reach: pixels without taps */
  TL_EXPECT_EQ(failed, 0);
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  printf("features: avx2_fma=%d avx512f=%d neon=%d\n", f.avx2_fma, f.avx512f, f.neon);
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    printf("level %s\n", tl_isa_name(g_isa));
    TL_RUN(binary_bit_exact_on_every_pattern);
    TL_RUN(relu_relu6_bit_exact);
    TL_RUN(hard_swish_bit_exact);
    TL_RUN(sigmoid_tanh_within_2_ulp);
    TL_RUN(gelu_tanh_within_bound);
    TL_RUN(gelu_tanh_core_within_1_1_ulp);
    TL_RUN(softmax_within_2_ulp);
    TL_RUN(transpose_bit_exact);
    TL_RUN(average_pool_bit_exact_on_every_path);
    TL_RUN(mean_bit_exact_on_every_path);
    TL_RUN(depthwise_multiplier_matches_reference);
  }
  return tl_test_summary();
}
