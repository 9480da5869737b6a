/* test_conv_winograd.c: Winograd F(2x2, 3x3) Conv2D (kernels/opt/conv_winograd.h) against a double-precision
 * convolution, at the portable level (the scalar transforms) and at AVX2 where the CPU has it, over channel
 * counts 1..70 (vector bodies and tails), odd and even output sizes (partial tiles), SAME and VALID, batch 2,
 * with and without bias, the three activations, chunks of 24 tiles in reverse order (a thread split), and inputs
 * from 1e-20 to 1e18; plus the selection rule.
 *
 * Tolerance: |got - want| <= WINO_TOL * s + 1e-35 per element, s = sum |x| |w| + |bias| over the window (the
 * magnitude of the sum). Measured worst over these cases: about 3e-7 (AVX2 and portable); the direct
 * optimized kernels' test allows 1e-5 (test_opt_kernels.c). WINO_TOL = 2e-6 keeps a ~6x margin and stays 5x
 * below what the other kernels are allowed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/kernels.h"
#include "kernels/opt/conv_winograd.h"
#include "kernels/opt/opt_f32_internal.h"
#include "tl_test.h"

#define WINO_TOL 2e-6

static uint32_t g_rng = 777u;
static tl_isa g_isa = TL_ISA_PORTABLE;
static double g_worst = 0.0; /* the largest |got - want| / s seen */

static float rand_float(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return (float)((g_rng >> 8) & 0xFFFF) / 32768.0f - 1.0f; /* [-1, 1) */
}

static tl_conv_params params(int32_t batch, int32_t h, int32_t w, int32_t in_c, int32_t out_c, int same, int act) {
  tl_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch;
  p.in_h = h;
  p.in_w = w;
  p.in_c = in_c;
  p.out_c = out_c;
  p.k_h = p.k_w = 3;
  p.stride_h = p.stride_w = 1;
  p.dilation_h = p.dilation_w = 1;
  p.depth_multiplier = 1;
  p.out_h = same ? h : h - 2;
  p.out_w = same ? w : w - 2;
  p.pad_top = p.pad_left = same ? 1 : 0;
  p.act.min = act >= 1 ? 0.0f : -INFINITY;
  p.act.max = act == 2 ? 6.0f : INFINITY;
  return p;
}

/* One case: returns 1 when every output is within tolerance and chunks of 24 tiles in reverse order give the same bits. */
static int run_case(const tl_conv_params *p, int with_bias, float x_scale, float w_scale) {
  const int64_t nx = (int64_t)p->batch * p->in_h * p->in_w * p->in_c, nw = (int64_t)p->out_c * 9 * p->in_c;
  const int64_t ny = (int64_t)p->batch * p->out_h * p->out_w * p->out_c;
  float *x = (float *)malloc((size_t)nx * sizeof(float)), *w = (float *)malloc((size_t)nw * sizeof(float));
  float *bias = (float *)malloc((size_t)p->out_c * sizeof(float));
  float *y = (float *)malloc((size_t)(ny + 16) * sizeof(float)), *y2 = (float *)malloc((size_t)(ny + 16) * sizeof(float));
  float *packed = (float *)malloc(tl_conv_winograd_packed_floats(p, g_isa) * sizeof(float));
  float *scratch = (float *)malloc(tl_conv_winograd_scratch_floats(p) * sizeof(float));
  int ok = 1;
  for (int64_t i = 0; i < nx; i++) x[i] = rand_float() * x_scale;
  for (int64_t i = 0; i < nw; i++) w[i] = rand_float() * w_scale;
  for (int32_t i = 0; i < p->out_c; i++) bias[i] = rand_float() * x_scale * w_scale;
  for (int64_t i = 0; i < ny + 16; i++) y[i] = y2[i] = -12345.0f;
  tl_conv_winograd_pack(packed, w, with_bias ? bias : NULL, p, g_isa);
  tl_conv_winograd_f32(y, x, packed, scratch, p, g_isa);
  for (int32_t b = p->batch - 1; b >= 0; b--) /* another split: chunks of 24 tiles in reverse order */
    for (int32_t t0 = (tl_conv_winograd_tiles(p) - 1) / 24 * 24; t0 >= 0; t0 -= 24)
      tl_conv_winograd_f32_tiles(y2, x, packed, scratch, p, g_isa, b, t0, 24);
  if (memcmp(y, y2, (size_t)(ny + 16) * sizeof(float)) != 0) {
    printf("  chunks of 24 tiles give other bits\n");
    ok = 0;
  }
  for (int64_t i = ny; i < ny + 16; i++) ok &= y[i] == -12345.0f; /* nothing written past the output */
  for (int32_t b = 0; b < p->batch && ok; b++)
    for (int32_t oy = 0; oy < p->out_h; oy++)
      for (int32_t ox = 0; ox < p->out_w; ox++)
        for (int32_t o = 0; o < p->out_c; o++) {
          double sum = with_bias ? bias[o] : 0.0, mag = with_bias ? fabs(bias[o]) : 0.0;
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              const int32_t iy = oy + ky - p->pad_top, ix = ox + kx - p->pad_left;
              if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue;
              for (int32_t c = 0; c < p->in_c; c++) {
                const double a = x[(((int64_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c + c];
                const double v = w[(((int64_t)o * 3 + ky) * 3 + kx) * p->in_c + c];
                sum += a * v;
                mag += fabs(a * v);
              }
            }
          if (sum < p->act.min) sum = p->act.min;
          if (sum > p->act.max) sum = p->act.max;
          const float got = y[(((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + o];
          const double d = fabs((double)got - sum);
          if (mag > 0 && d / mag > g_worst) g_worst = d / mag;
          if (!(d <= WINO_TOL * mag + 1e-35)) {
            printf("  [%s] %dx%d %d->%d (%d,%d,%d,%d): got %.9g want %.9g (s %.3g)\n", tl_isa_name(g_isa), p->in_h,
                   p->in_w, p->in_c, p->out_c, b, oy, ox, o, (double)got, sum, mag);
            ok = 0;
            break;
          }
        }
  free(x);
  free(w);
  free(bias);
  free(y);
  free(y2);
  free(packed);
  free(scratch);
  return ok;
}

TL_TEST(winograd_matches_double_convolution) {
  static const int32_t in_cs[] = {1, 3, 8, 9, 16, 17, 32, 70};
  static const int32_t out_cs[] = {1, 7, 8, 16, 17, 33, 64, 70};
  static const int32_t sizes[][2] = {{3, 3}, {4, 4}, {5, 7}, {8, 8}, {9, 6}, {13, 13}};
  int n = 0;
  for (size_t i = 0; i < sizeof in_cs / sizeof in_cs[0]; i++)
    for (size_t j = 0; j < sizeof out_cs / sizeof out_cs[0]; j++) {
      const int32_t *hw = sizes[(i + j) % (sizeof sizes / sizeof sizes[0])];
      const tl_conv_params p = params(1 + (int32_t)((i + j) % 2), hw[0], hw[1], in_cs[i], out_cs[j],
                                      (int)((i * 3 + j) % 2), (int)((i + 2 * j) % 3));
      if (!run_case(&p, (int)(j % 2 == 0), 1.0f, 1.0f)) TL_FAIL_("case %d->%d", in_cs[i], out_cs[j]);
      n++;
    }
  /* many tiles: several blocks per image, a partial last block */
  const tl_conv_params big = params(1, 32, 31, 16, 16, 1, 1);
  TL_EXPECT_TRUE(tl_conv_winograd_blocks(&big) > 1);
  if (!run_case(&big, 1, 1.0f, 1.0f)) TL_FAIL_("case %s", "32x31 16->16");
  const tl_conv_params wide = params(1, 18, 17, 64, 64, 0, 0);
  if (!run_case(&wide, 1, 1.0f, 1.0f)) TL_FAIL_("case %s", "18x17 64->64");
  TL_EXPECT_TRUE(n == 64);
}

TL_TEST(winograd_extreme_ranges) {
  const tl_conv_params p = params(1, 7, 9, 19, 21, 1, 0);
  if (!run_case(&p, 1, 1e-20f, 1.0f)) TL_FAIL_("x %s", "1e-20");
  if (!run_case(&p, 1, 1e18f, 1.0f)) TL_FAIL_("x %s", "1e18");
  if (!run_case(&p, 1, 1.0f, 1e-12f)) TL_FAIL_("w %s", "1e-12");
  if (!run_case(&p, 0, 3e4f, 3e4f)) TL_FAIL_("x, w %s", "3e4");
}

/* The AVX2 level (and with it Winograd) is compiled only into x86 builds; elsewhere no level selects it. */
#if defined(TL_F32_X86)
#define AVX2_BUILT 1
#else
#define AVX2_BUILT 0
#endif

TL_TEST(winograd_selection_rule) {
  tl_conv_params p = params(1, 32, 32, 16, 16, 1, 0);
  TL_EXPECT_TRUE(tl_conv_winograd_selected(&p, TL_ISA_AVX2) == AVX2_BUILT);
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_PORTABLE)); /* other levels keep their kernels */
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX512));
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_NEON));
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_REFERENCE));
  p = params(1, 13, 13, 32, 64, 0, 1); /* the benchmark CNN's second conv: 11x11 outputs, 36 tiles */
  TL_EXPECT_TRUE(tl_conv_winograd_selected(&p, TL_ISA_AVX2) == AVX2_BUILT);
  p.stride_h = p.stride_w = 2;
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX2));
  p = params(1, 13, 13, 32, 64, 0, 1);
  p.dilation_w = 2;
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX2));
  p = params(1, 13, 13, 32, 64, 0, 1);
  p.k_w = 5;
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX2));
  p = params(1, 28, 28, 1, 32, 0, 1); /* one input channel (the CNN's first conv) */
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX2));
  p = params(1, 28, 28, 32, 4, 0, 1); /* few output channels */
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX2));
  p = params(1, 4, 4, 64, 64, 1, 0); /* 4 tiles */
  TL_EXPECT_TRUE(!tl_conv_winograd_selected(&p, TL_ISA_AVX2));
  p = params(1, 6, 6, 8, 8, 1, 0); /* 9 tiles, 8 channels: the smallest selected */
  TL_EXPECT_TRUE(tl_conv_winograd_selected(&p, TL_ISA_AVX2) == AVX2_BUILT);
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_AVX2};
  TL_RUN(winograd_selection_rule);
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    g_worst = 0.0;
    TL_RUN(winograd_matches_double_convolution);
    TL_RUN(winograd_extreme_ranges);
    printf("level %s: worst |got - want| / s = %.3g\n", tl_isa_name(g_isa), g_worst);
  }
  return tl_test_summary();
}
