/* test_opt_depthwise_int8.c: the optimized int8 DepthwiseConv2D (depth multiplier 1) against the reference
 * kernel tl_depthwise_conv2d_int8, identical bytes required, at every int8 level this CPU has.
 *
 * The sweep: every channel count 1..70 (16-channel blocks, the 8-channel two-pixel block, the generic tail),
 * 3x3 windows (the unrolled path) and others (1x1, 5x5, 3x1, dilation 2), strides 1 and 2, SAME and VALID
 * padding, input zero points -128 / 127 / 0 / odd, full-range weights (-128 included), per-tensor and
 * per-channel multipliers (random, 2^31 - 1 with shift 0: saturation, 2^30 with shift -31: tiny outputs,
 * ties of the rounding divide), ReLU-style clamps, biases that are small, near the limit of the int32 sums
 * (the unfolded path) or saturating (the generic path), and row-range splits as the thread split makes them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/kernels_int8.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "tl_test.h"

static uint32_t g_rng = 12345u;
static uint32_t next_u32(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return g_rng;
}
static int8_t rand_i8(void) { return (int8_t)(uint8_t)((next_u32() >> 16) & 0xFFu); }

typedef struct dw_case {
  int32_t batch, in_h, in_w, ch, k_h, k_w, stride, dilation;
  int same;      /* SAME padding (TensorFlow's split: the smaller half on top / left), else VALID */
  int32_t zp;    /* input zero point */
  int scales;    /* 0 random per channel, 1 per tensor, 2 extreme (saturating, tiny, ties) per channel */
  int bias_kind; /* 0 none, 1 small, 2 near the int32 limit of the sums, 3 saturating */
  int clamp;     /* 1: ReLU6-like [out_zp, out_zp + 90] */
} dw_case;

static int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int same, int32_t *pad) {
  const int32_t span = (k - 1) * d + 1;
  if (!same) {
    *pad = 0;
    return in >= span ? (in - span) / s + 1 : 0;
  }
  const int32_t out = (in + s - 1) / s, total = (out - 1) * s + span - in;
  *pad = total > 0 ? total / 2 : 0;
  return out;
}

/* One case at level: 1 when the bytes (and the canary past them) match the reference. */
static int run_case(const dw_case *c, tl_i8_level level) {
  tl_conv_int8_params p;
  tl_conv_params *g = &p.geom;
  memset(&p, 0, sizeof p);
  g->batch = c->batch, g->in_h = c->in_h, g->in_w = c->in_w, g->in_c = c->ch, g->out_c = c->ch;
  g->k_h = c->k_h, g->k_w = c->k_w, g->stride_h = c->stride, g->stride_w = c->stride;
  g->dilation_h = c->dilation, g->dilation_w = c->dilation, g->depth_multiplier = 1;
  g->out_h = out_size(c->in_h, c->k_h, c->stride, c->dilation, c->same, &g->pad_top);
  g->out_w = out_size(c->in_w, c->k_w, c->stride, c->dilation, c->same, &g->pad_left);
  if (g->out_h <= 0 || g->out_w <= 0) return 1;
  const int32_t taps = c->k_h * c->k_w, ch = c->ch;
  int32_t *mult = (int32_t *)malloc((size_t)ch * sizeof(int32_t));
  int32_t *shift = (int32_t *)malloc((size_t)ch * sizeof(int32_t));
  for (int32_t k = 0; k < ch; k++) {
    mult[k] = (int32_t)(0x40000000u + (next_u32() >> 2) % 0x3FFFFFFFu);
    shift[k] = -6 - (int32_t)(next_u32() % 5u) - (taps > 9 ? 1 : 0);
    if (c->scales == 2) {
      const uint32_t r = k % 4u;
      if (r == 0) mult[k] = INT32_MAX, shift[k] = 0;  /* outputs saturate */
      if (r == 1) mult[k] = 0x40000000, shift[k] = -31; /* outputs near the zero point */
      if (r == 2) mult[k] = 0x40000000, shift[k] = -1;  /* x / 4: every rounding tie */
    }
  }
  p.input_zp = c->zp;
  p.out.channels = c->scales == 1 ? 1 : ch;
  p.out.multiplier = mult[0], p.out.shift = shift[0];
  p.out.multipliers = c->scales == 1 ? NULL : mult;
  p.out.shifts = c->scales == 1 ? NULL : shift;
  p.out.output_zp = (int32_t)(next_u32() % 41u) - 20;
  p.out.act_min = c->clamp ? p.out.output_zp : -128;
  p.out.act_max = c->clamp ? p.out.output_zp + 90 : 127;
  const int64_t nx = (int64_t)c->batch * c->in_h * c->in_w * ch, ny = (int64_t)c->batch * g->out_h * g->out_w * ch;
  int8_t *x = (int8_t *)malloc((size_t)nx), *w = (int8_t *)malloc((size_t)taps * ch);
  int32_t *bias = c->bias_kind ? (int32_t *)malloc((size_t)ch * sizeof(int32_t)) : NULL;
  for (int64_t i = 0; i < nx; i++) x[i] = rand_i8();
  for (int64_t i = 0; i < (int64_t)taps * ch; i++) w[i] = rand_i8();
  const int32_t near = INT32_MAX - taps * 255 * 128 - 3; /* within the unfolded sums' limit, past the fold's */
  for (int32_t k = 0; c->bias_kind && k < ch; k++) {
    bias[k] = (int32_t)(next_u32() % 40001u) - 20000;
    if (c->bias_kind == 2) bias[k] = k % 2 ? near - (int32_t)(next_u32() % 50u) : -near + (int32_t)(next_u32() % 50u);
    if (c->bias_kind == 3) bias[k] = k % 2 ? INT32_MAX : INT32_MIN;
    /* -near with every weight -128 and input zero point -128: the folded bias leaves its int32 range, so the
     * block takes the unfolded sums */
    if (c->bias_kind == 2 && k % 2 == 0)
      for (int32_t t = 0; t < taps; t++) w[(int64_t)t * ch + k] = -128;
  }
  int8_t *want = (int8_t *)malloc((size_t)ny + 16), *got = (int8_t *)malloc((size_t)ny + 16);
  int8_t *parts = (int8_t *)malloc((size_t)ny + 16);
  memset(want, 0x5A, (size_t)ny + 16), memset(got, 0x5A, (size_t)ny + 16), memset(parts, 0x5A, (size_t)ny + 16);
  void *packed = malloc(tl_depthwise_conv2d_int8_opt_packed_bytes(g));
  tl_depthwise_conv2d_int8(want, x, w, bias, &p);
  tl_depthwise_conv2d_int8_opt_pack(packed, w, bias, &p);
  tl_depthwise_conv2d_int8_opt(got, x, w, packed, &p, level);
  for (int32_t b = 0; b < c->batch; b++) /* row ranges of 3, as a thread split makes them */
    for (int32_t oy = 0; oy < g->out_h; oy += 3)
      tl_depthwise_conv2d_int8_opt_rows(parts, x, w, packed, &p, level, b, oy, oy + 3 < g->out_h ? oy + 3 : g->out_h);
  int bad = 0;
  for (int64_t i = 0; i < ny + 16; i++) {
    if (got[i] != want[i] || parts[i] != want[i]) {
      if (bad < 3)
        printf("  dw8 [%s] b=%d %dx%dx%d k=%dx%d s=%d d=%d same=%d zp=%d scales=%d bias=%d clamp=%d byte %lld: "
               "got %d rows %d want %d\n",
               tl_i8_level_name(level), c->batch, c->in_h, c->in_w, ch, c->k_h, c->k_w, c->stride, c->dilation,
               c->same, c->zp, c->scales, c->bias_kind, c->clamp, (long long)i, got[i], parts[i], want[i]);
      bad++;
    }
  }
  free(mult), free(shift), free(x), free(w), free(bias), free(want), free(got), free(parts), free(packed);
  return bad == 0;
}

static int g_cases;

static int sweep(tl_i8_level level) {
  static const int32_t zps[] = {-128, 127, 0, -5, 3};
  static const int32_t wins[][3] = {{3, 3, 1}, {3, 3, 1}, {3, 3, 1}, {5, 5, 1}, {1, 1, 1}, {3, 1, 1}, {3, 3, 2}};
  int failures = 0;
  for (int32_t ch = 1; ch <= 70; ch++)
    for (int v = 0; v < 4; v++) {
      const int32_t pick = (ch * 4 + v) % 7;
      dw_case c;
      c.batch = 1 + (v == 3);
      c.in_h = 5 + (ch + v) % 6;
      c.in_w = 4 + (ch * 3 + v) % 9;
      c.ch = ch;
      c.k_h = wins[pick][0], c.k_w = wins[pick][1], c.dilation = wins[pick][2];
      c.stride = 1 + (v % 2);
      c.same = v != 2;
      c.zp = zps[(ch + v) % 5];
      c.scales = (ch + v) % 3;
      c.bias_kind = v == 1 && ch % 3 == 0 ? 2 : (v == 3 && ch % 7 == 0 ? 3 : (ch + v) % 2);
      c.clamp = (ch + v) % 4 == 1;
      if (c.bias_kind == 2 && ch % 2 == 0) c.zp = -128;
      failures += !run_case(&c, level);
      g_cases++;
    }
  return failures;
}

/* Larger MobileNet-like shapes: the interior paths over many pixels. */
static int mobilenet_shapes(tl_i8_level level) {
  static const int32_t shapes[][4] = {
      {20, 20, 16, 1}, {17, 19, 48, 1}, {12, 13, 64, 2}, {21, 22, 8, 2}, {9, 9, 144, 1}};
  int failures = 0;
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int v = 0; v < 2; v++) {
      dw_case c = {1, shapes[i][0], shapes[i][1], shapes[i][2], 3, 3, shapes[i][3], 1, 1, v ? -128 : 17, v * 2,
                   1 + v, v};
      failures += !run_case(&c, level);
      g_cases++;
    }
  return failures;
}

TL_TEST(depthwise_int8_matches_reference_at_every_level) {
  const tl_cpu_features f = tl_cpu_features_detect();
  int failures = 0;
  for (int i = 0; i < TL_I8_LEVEL_COUNT; i++) {
    if (!tl_i8_level_supported((tl_i8_level)i, &f)) continue;
    printf("int8 level %s\n", tl_i8_level_name((tl_i8_level)i));
    failures += sweep((tl_i8_level)i) + mobilenet_shapes((tl_i8_level)i);
  }
  printf("cases %d\n", g_cases);
  TL_EXPECT_EQ(failures, 0);
}

int main(void) {
  TL_RUN(depthwise_int8_matches_reference_at_every_level);
  return tl_test_summary();
}
