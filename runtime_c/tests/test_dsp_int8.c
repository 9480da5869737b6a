/* test_dsp_int8.c: the Cortex-M DSP-extension int8 kernels (kernels/dsp_int8.h) against the reference kernels
 * (tl_conv2d_int8, tl_depthwise_conv2d_int8, tl_fc_int8), byte for byte.
 *
 * On a host without the DSP extension the kernels run with the portable twins of SMLAD, SXTB16, SXTAB16,
 * SMLABB and SMLATT; on a 32-bit ARM build (armhf, ARMv6 and up: `__ARM_FEATURE_DSP`) with the instructions
 * themselves (inline asm), so the cross builds' ctest under qemu checks the assembly too. The helpers are
 * checked on hand-worked values first, then 600 seeded random layers per kernel: shapes with channel counts
 * off multiples of 4, strides, dilations and paddings that clip windows, input zero points across
 * [-128, 127], Conv2D layers with more and fewer taps than the column path holds, per-tensor and per-channel multipliers (shifts below and above 0), single rounding for
 * FullyConnected, clamps, no bias and biases near the int32 limits (the saturating path). Prints the path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dsp_int8.h"
#include "kernels/kernels_int8.h"
#include "quant.h"
#include "tl_test.h"

static uint32_t g_rng = 12345u; /* test-only state: a fixed-seed LCG */
static uint32_t rnd(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return g_rng >> 8;
}
static int32_t rnd_in(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static void fill(int8_t *a, int32_t n) {
  for (int32_t i = 0; i < n; i++) a[i] = (int8_t)rnd_in(-128, 127);
}

TL_TEST(test_helpers_on_hand_values) {
  /* bytes 0x01, 0x7F, 0xFF, 0x80 (low to high) */
  const uint32_t v = 0x80FF7F01u;
  TL_EXPECT_EQ(tl_dsp_sxtb16(v), 0xFFFF0001u);         /* bytes 0, 2: 1, -1 */
  TL_EXPECT_EQ(tl_dsp_sxtb16_ror8(v), 0xFF80007Fu);    /* bytes 1, 3: 127, -128 */
  TL_EXPECT_EQ(tl_dsp_sxtab16(0x00050003u, v), 0x00040004u); /* 3 + 1, 5 - 1 */
  TL_EXPECT_EQ(tl_dsp_sxtab16_ror8(0x00800001u, v), 0x00000080u); /* 1 + 127, 128 - 128 */
  /* (2, 3) . (-4, 5) = -8 + 15 */
  TL_EXPECT_EQ(tl_dsp_smlad(0x00030002u, 0x0005FFFCu, 100), 107);
  TL_EXPECT_EQ(tl_dsp_smlabb(0x00030002u, 0x0005FFFCu, 100), 92);
  TL_EXPECT_EQ(tl_dsp_smlatt(0x00030002u, 0x0005FFFCu, 100), 115);
  /* -255 * -128, the largest product the kernels form */
  TL_EXPECT_EQ(tl_dsp_smlad(0x0000FF01u, 0x0000FF80u, 0), 32640);
}

/* Per-tensor or per-channel requantization with random scales (some with a positive shift), a random output
 * zero point and clamp; multipliers and shifts stored in ms/ss ([channels]). */
static void random_requant(tl_requant_int8 *q, int32_t channels, int32_t *ms, int32_t *ss, int single) {
  memset(q, 0, sizeof *q);
  q->channels = (rnd() & 1) ? channels : 1;
  for (int32_t c = 0; c < channels; c++) {
    const double real = (rnd() % 8 == 0) ? 1.0 + (rnd() % 1000) / 100.0 : (1 + rnd() % 100000) * 1e-7;
    tl_quantize_multiplier(real, &ms[c], &ss[c]);
  }
  q->multiplier = ms[0];
  q->shift = ss[0];
  q->multipliers = ms;
  q->shifts = ss;
  q->output_zp = rnd_in(-128, 127);
  q->act_min = (rnd() & 1) ? -128 : rnd_in(-128, 0);
  q->act_max = (rnd() & 1) ? 127 : rnd_in(q->act_min, 127);
  q->single_rounding = single;
}

static void random_bias(int32_t *bias, int32_t n) {
  const int kind = (int)(rnd() % 4);
  for (int32_t i = 0; i < n; i++) {
    if (kind == 0) bias[i] = rnd_in(-2000, 2000);
    else if (kind == 1) bias[i] = INT32_MAX - rnd_in(0, 100000); /* + sum overflows int32: saturates */
    else if (kind == 2) bias[i] = INT32_MIN + rnd_in(0, 100000);
    else bias[i] = (int32_t)(rnd() << 8) ^ (int32_t)rnd();
  }
}

/* Random window geometry: out = (in + pad_total - eff) / stride + 1 with 0 <= pad < eff. */
static void random_geometry(tl_conv_params *g, int depthwise) {
  memset(g, 0, sizeof *g);
  g->batch = rnd_in(1, 2);
  g->in_h = rnd_in(1, 9);
  g->in_w = rnd_in(1, 9);
  /* Conv2D: some layers past the 512 taps of the column path, so both paths run */
  g->in_c = depthwise ? rnd_in(1, 19) : (rnd() % 6 == 0 ? rnd_in(57, 70) : rnd_in(1, 21));
  g->k_h = rnd_in(1, 4);
  g->k_w = rnd_in(1, 4);
  g->stride_h = rnd_in(1, 3);
  g->stride_w = rnd_in(1, 3);
  g->dilation_h = (rnd() % 4 == 0) ? 2 : 1;
  g->dilation_w = (rnd() % 4 == 0) ? 2 : 1;
  g->depth_multiplier = depthwise ? ((rnd() % 5 == 0) ? 2 : 1) : 1;
  g->out_c = depthwise ? g->in_c * g->depth_multiplier : rnd_in(1, 13);
  {
    const int32_t eff_h = (g->k_h - 1) * g->dilation_h + 1, eff_w = (g->k_w - 1) * g->dilation_w + 1;
    g->pad_top = rnd_in(0, eff_h - 1);
    g->pad_left = rnd_in(0, eff_w - 1);
    if (g->in_h + 2 * g->pad_top < eff_h) g->in_h = eff_h; /* at least one output row */
    if (g->in_w + 2 * g->pad_left < eff_w) g->in_w = eff_w;
    g->out_h = (g->in_h + 2 * g->pad_top - eff_h) / g->stride_h + 1;
    g->out_w = (g->in_w + 2 * g->pad_left - eff_w) / g->stride_w + 1;
  }
}

static int compare(const int8_t *got, const int8_t *want, int32_t n, const char *what, int iter) {
  for (int32_t i = 0; i < n; i++) {
    if (got[i] != want[i]) {
      printf("%s case %d: element %ld: dsp %d, reference %d\n", what, iter, (long)i, got[i], want[i]);
      return 1;
    }
  }
  return 0;
}

static void run_conv_cases(int depthwise) {
  int failures = 0;
  for (int iter = 0; iter < 600 && failures < 3; iter++) {
    tl_conv_int8_params p;
    int32_t ms[64], ss[64], bias[64];
    memset(&p, 0, sizeof p);
    random_geometry(&p.geom, depthwise);
    {
      const tl_conv_params *g = &p.geom;
      const int32_t nx = g->batch * g->in_h * g->in_w * g->in_c;
      const int32_t nw = depthwise ? g->k_h * g->k_w * g->out_c : g->out_c * g->k_h * g->k_w * g->in_c;
      const int32_t ny = g->batch * g->out_h * g->out_w * g->out_c;
      int8_t *x = malloc((size_t)nx), *w = malloc((size_t)nw), *y = malloc((size_t)ny + 1), *r = malloc((size_t)ny + 1);
      const int with_bias = rnd() % 5 != 0;
      p.input_zp = rnd_in(-128, 127);
      random_requant(&p.out, g->out_c, ms, ss, 0);
      random_bias(bias, g->out_c);
      fill(x, nx);
      fill(w, nw);
      memset(y, 0x5A, (size_t)ny + 1);
      memset(r, 0x5A, (size_t)ny + 1);
      if (depthwise) {
        tl_depthwise_conv2d_int8(r, x, w, with_bias ? bias : NULL, &p);
        tl_depthwise_conv2d_int8_dsp(y, x, w, with_bias ? bias : NULL, &p);
      } else {
        tl_conv2d_int8(r, x, w, with_bias ? bias : NULL, &p);
        tl_conv2d_int8_dsp(y, x, w, with_bias ? bias : NULL, &p);
      }
      if (compare(y, r, ny + 1, depthwise ? "depthwise" : "conv2d", iter)) {
        failures++;
        tl_test_failures_++;
      }
      free(x);
      free(w);
      free(y);
      free(r);
    }
  }
}

TL_TEST(test_conv2d_matches_reference) { run_conv_cases(0); }
TL_TEST(test_depthwise_matches_reference) { run_conv_cases(1); }

TL_TEST(test_fully_connected_matches_reference) {
  int failures = 0;
  for (int iter = 0; iter < 600 && failures < 3; iter++) {
    tl_fc_int8_params p;
    int32_t ms[40], ss[40], bias[40];
    memset(&p, 0, sizeof p);
    p.batch = rnd_in(1, 3);
    p.in_depth = rnd_in(1, 300);
    p.out_depth = rnd_in(1, 40);
    p.input_zp = rnd_in(-128, 127);
    random_requant(&p.out, p.out_depth, ms, ss, (int)(rnd() & 1));
    random_bias(bias, p.out_depth);
    {
      const int32_t nx = p.batch * p.in_depth, nw = p.out_depth * p.in_depth, ny = p.batch * p.out_depth;
      int8_t *x = malloc((size_t)nx), *w = malloc((size_t)nw), *y = malloc((size_t)ny + 1), *r = malloc((size_t)ny + 1);
      const int with_bias = rnd() % 5 != 0;
      fill(x, nx);
      fill(w, nw);
      memset(y, 0x5A, (size_t)ny + 1);
      memset(r, 0x5A, (size_t)ny + 1);
      tl_fc_int8(r, x, w, with_bias ? bias : NULL, &p);
      tl_fc_int8_dsp(y, x, w, with_bias ? bias : NULL, &p);
      if (compare(y, r, ny + 1, "fully_connected", iter)) {
        failures++;
        tl_test_failures_++;
      }
      free(x);
      free(w);
      free(y);
      free(r);
    }
  }
}

int main(void) {
#if defined(__ARM_FEATURE_DSP)
  printf("dsp_int8: DSP instructions (inline asm)\n");
#else
  printf("dsp_int8: portable twins\n");
#endif
  TL_RUN(test_helpers_on_hand_values);
  TL_RUN(test_conv2d_matches_reference);
  TL_RUN(test_depthwise_matches_reference);
  TL_RUN(test_fully_connected_matches_reference);
  return tl_test_summary();
}
