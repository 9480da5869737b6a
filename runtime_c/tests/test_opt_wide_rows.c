/* test_opt_wide_rows.c: the AVX2 row kernels for wide images against the reference kernels and against the
 * arithmetic they promise, at every level this CPU has:
 * - DepthwiseConv2D 3x3, depth multiplier 1 (depthwise_body.h: tl_dw3_wide, stride 2 for any channel count
 *   and stride 1 with 8 channels, besides tl_dw3_span): channels 1..70, output rows of 1..40 pixels, strides
 *   1 and 2, SAME and VALID, the three clamps, with and without bias, batches of 1 and 2, and the MobileNet
 *   V1/V2 layer shapes;
 * - Conv2D 3x3 over 3 input channels (conv_rows_avx2.c: tl_conv_rows_c3_avx2 under conv_rows_opt.c's row
 *   walk): 1..40 output channels (panels of 8 or fewer columns, and the wider ones that keep the direct tile), strides
 *   1..3, dilation 1 and 2, SAME and VALID, the clamps, with and without bias, and the MobileNet first layers.
 *
 * Checks: |opt - ref| <= 1e-5 * s + 1e-30 per element (s: the reference kernel on |x|, |w|, |bias|), nothing
 * written past the output, the threads' parts give the bytes of one call; and at the AVX2 level each output
 * equals, exactly, the chain the kernels document: the bias, then fmaf(x, w, acc) per tap in the weights'
 * order (Conv2D: every tap, a tap in the padding adding 0 * w; DepthwiseConv2D: the taps inside, for the
 * channels of full vectors), then the clamp.
 * Prints "level <name>" per level tested (tests/runtime/test_opt_wide_rows.py checks them).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/kernels.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "tl_test.h"
#define TL_TEST_RNG_SEED 4242u
#include "tl_test_floats.h"

#define REL_TOL 1e-5

static tl_isa g_isa = TL_ISA_PORTABLE; /* the level under test (test-only state) */

typedef struct shape {
  int32_t batch, in_h, in_w, in_c, out_c, stride, dilation, same, bias, act;
} shape;

/* 3x3 geometry: SAME (TensorFlow's split: the extra row and column at the bottom and right) or VALID; 0 when
 * VALID does not fit. */
static int geometry(tl_conv_params *p, const shape *s, int depthwise) {
  memset(p, 0, sizeof *p);
  p->batch = s->batch, p->in_h = s->in_h, p->in_w = s->in_w, p->in_c = s->in_c;
  p->out_c = depthwise ? s->in_c : s->out_c;
  p->k_h = 3, p->k_w = 3, p->stride_h = s->stride, p->stride_w = s->stride;
  p->dilation_h = s->dilation, p->dilation_w = s->dilation, p->depth_multiplier = 1;
  p->act = k_acts[s->act];
  const int32_t eff = 2 * s->dilation + 1;
  if (s->same) {
    p->out_h = (s->in_h + s->stride - 1) / s->stride;
    p->out_w = (s->in_w + s->stride - 1) / s->stride;
    const int32_t ph = (p->out_h - 1) * s->stride + eff - s->in_h, pw = (p->out_w - 1) * s->stride + eff - s->in_w;
    p->pad_top = ph > 0 ? ph / 2 : 0;
    p->pad_left = pw > 0 ? pw / 2 : 0;
    return 1;
  }
  if (s->in_h < eff || s->in_w < eff) return 0;
  p->out_h = (s->in_h - eff) / s->stride + 1;
  p->out_w = (s->in_w - eff) / s->stride + 1;
  return 1;
}

static float clamp(float v, tl_act_f32 act) {
  v = v < act.min ? act.min : v; /* max(lo, v) then min(hi, .), as the kernels */
  return v > act.max ? act.max : v;
}

/* The documented chain for output (b, oy, ox, oc): Conv2D (depthwise 0) over every tap, zero in the padding;
 * DepthwiseConv2D over the taps inside. */
static float fma_chain(const float *x, const float *w, const float *bias, const tl_conv_params *p, int depthwise,
                       int32_t b, int32_t oy, int32_t ox, int32_t oc) {
  float acc = bias ? bias[oc] : 0.0f;
  for (int32_t ky = 0; ky < 3; ky++)
    for (int32_t kx = 0; kx < 3; kx++) {
      const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
      const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
      const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
      const int64_t at = inside ? (((int64_t)b * p->in_h + iy) * p->in_w + ix) * p->in_c : 0;
      if (depthwise) {
        if (inside) acc = fmaf(x[at + oc], w[(ky * 3 + kx) * p->out_c + oc], acc);
        continue;
      }
      for (int32_t ci = 0; ci < p->in_c; ci++) {
        acc = fmaf(inside ? x[at + ci] : 0.0f, w[((int64_t)oc * 9 + ky * 3 + kx) * p->in_c + ci], acc);
      }
    }
  return clamp(acc, p->act);
}

/* Compares got with want (tolerance), the guard, parts (bytes) and, at AVX2, the exact chain. */
static int64_t check(const float *got, const float *want, const float *scale, const float *parts, const float *x,
                     const float *w, const float *bias, const tl_conv_params *p, int depthwise) {
  const int64_t n_out = (int64_t)p->batch * p->out_h * p->out_w * p->out_c;
  int64_t bad = 0;
  for (int64_t i = 0; i < n_out; i++) {
    const double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= REL_TOL * (double)scale[i] + 1e-30)) {
      if (bad < 4) printf("  element %lld: got %.9g want %.9g\n", (long long)i, (double)got[i], (double)want[i]);
      bad++;
    }
  }
  for (int64_t i = n_out; i < n_out + TL_TEST_GUARD; i++) {
    if (got[i] != -12345.0f || parts[i] != -12345.0f) {
      printf("  wrote past the output at %lld\n", (long long)i);
      bad++;
      break;
    }
  }
  if (memcmp(got, parts, (size_t)n_out * sizeof(float)) != 0) {
    printf("  the threads' parts differ from one call\n");
    bad++;
  }
  if (g_isa != TL_ISA_AVX2) return bad;
  const int32_t exact_c = depthwise ? p->out_c / 8 * 8 : p->out_c; /* depthwise: the full vectors' channels */
  for (int32_t b = 0; b < p->batch; b++)
    for (int32_t oy = 0; oy < p->out_h; oy++)
      for (int32_t ox = 0; ox < p->out_w; ox++)
        for (int32_t oc = 0; oc < exact_c; oc++) {
          const float v = fma_chain(x, w, bias, p, depthwise, b, oy, ox, oc);
          const float g = got[(((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc];
          if (g != v) {
            if (bad < 4) printf("  (%d,%d,%d,%d): got %.9g, the FMA chain %.9g\n", b, oy, ox, oc, (double)g, (double)v);
            bad++;
          }
        }
  return bad;
}

static int dw_case(const shape *s) {
  tl_conv_params p;
  if (!geometry(&p, s, 1)) return 1;
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * p.in_c, nw = 9 * (int64_t)p.out_c;
  const int64_t n_out = (int64_t)p.batch * p.out_h * p.out_w * p.out_c;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = s->bias ? rand_array(p.out_c) : NULL;
  float *xa = abs_copy(x, nx), *wa = abs_copy(w, nw), *ba = bias ? abs_copy(bias, p.out_c) : NULL;
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out), *parts = out_array(n_out);
  float *packed = (float *)malloc(tl_depthwise_conv2d_f32_opt_packed_floats(&p) * sizeof(float));
  tl_depthwise_conv2d_f32(want, x, w, bias, &p);
  tl_depthwise_conv2d_f32(scale, xa, wa, ba, &p_abs);
  tl_depthwise_conv2d_f32_opt_pack(packed, bias, &p);
  tl_depthwise_conv2d_f32_opt_pack_weights(packed, w, &p);
  tl_depthwise_conv2d_f32_opt(got, x, w, packed, &p, g_isa);
  /* the threads' split (depthwise_conv2d.c): blocks of 3 output rows per image, pad_top shifted */
  for (int32_t b = 0; b < p.batch; b++)
    for (int32_t oy0 = 0; oy0 < p.out_h; oy0 += 3) {
      tl_conv_params part = p;
      part.batch = 1;
      part.out_h = p.out_h - oy0 < 3 ? p.out_h - oy0 : 3;
      part.pad_top = p.pad_top - oy0 * p.stride_h;
      tl_depthwise_conv2d_f32_opt(parts + ((int64_t)b * p.out_h + oy0) * p.out_w * p.out_c,
                                  x + (int64_t)b * p.in_h * p.in_w * p.in_c, w, packed, &part, g_isa);
    }
  const int64_t bad = check(got, want, scale, parts, x, w, bias, &p, 1);
  if (bad) {
    printf("  depthwise [%s] b=%d %dx%dx%d s=%d d=%d %s bias=%d act=%d: %lld of %lld differ\n", tl_isa_name(g_isa),
           s->batch, s->in_h, s->in_w, s->in_c, s->stride, s->dilation, s->same ? "SAME" : "VALID", s->bias, s->act,
           (long long)bad, (long long)n_out);
  }
  free(x), free(w), free(bias), free(xa), free(wa), free(ba), free(want), free(got), free(scale), free(parts);
  free(packed);
  return bad == 0;
}

static int conv_case(const shape *s) {
  tl_conv_params p;
  if (!geometry(&p, s, 0)) return 1;
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t positions = (int64_t)p.out_h * p.out_w;
  const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * p.in_c, nw = (int64_t)p.out_c * 9 * p.in_c;
  const int64_t n_out = p.batch * positions * p.out_c;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = s->bias ? rand_array(p.out_c) : NULL;
  float *xa = abs_copy(x, nx), *wa = abs_copy(w, nw), *ba = bias ? abs_copy(bias, p.out_c) : NULL;
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out), *parts = out_array(n_out);
  float *packed = (float *)malloc(tl_conv2d_f32_opt_packed_floats(&p, g_isa) * sizeof(float));
  const size_t scratch_floats = tl_conv2d_f32_opt_scratch_floats(&p, positions);
  float *scratch = (float *)malloc((scratch_floats > 0 ? scratch_floats : 1) * sizeof(float));
  tl_conv2d_f32(want, x, w, bias, &p);
  tl_conv2d_f32(scale, xa, wa, ba, &p_abs);
  tl_conv2d_f32_opt_pack(packed, w, bias, &p, g_isa);
  tl_conv2d_f32_opt(got, x, packed, scratch, scratch_floats, &p, g_isa);
  /* the threads' parts: row blocks of TL_GEMM_ROW_ALIGN positions (a row block may start mid-row), one panel
   * at a time */
  const int64_t block = tl_conv2d_f32_opt_block_rows(&p, scratch_floats);
  const int64_t step = block >= TL_GEMM_ROW_ALIGN ? TL_GEMM_ROW_ALIGN : block;
  const int32_t nr = tl_f32_kernels_for(g_isa)->nr;
  for (int32_t b = 0; b < p.batch; b++)
    for (int64_t r = 0; r < positions; r += step)
      for (int32_t jp = 0; jp * nr < p.out_c; jp++) {
        tl_conv2d_f32_opt_part(parts, x, packed, scratch, &p, g_isa, b, r, positions - r < step ? positions - r : step,
                               jp, jp + 1);
      }
  const int64_t bad = check(got, want, scale, parts, x, w, bias, &p, 0);
  if (bad) {
    printf("  conv [%s] b=%d %dx%dx%d -> %d s=%d d=%d %s bias=%d act=%d: %lld of %lld differ\n", tl_isa_name(g_isa),
           s->batch, s->in_h, s->in_w, s->in_c, s->out_c, s->stride, s->dilation, s->same ? "SAME" : "VALID", s->bias,
           s->act, (long long)bad, (long long)n_out);
  }
  free(x), free(w), free(bias), free(xa), free(wa), free(ba);
  free(want), free(got), free(scale), free(parts), free(packed), free(scratch);
  return bad == 0;
}

/* Every channel count 1..70 at strides 1 and 2 on wide rows (8..40 output pixels: the groups of eight and
 * four and every shorter tail), SAME and VALID; then the model layers. */
TL_TEST(depthwise_wide_rows) {
  int failed = 0, cases = 0;
  for (int32_t c = 1; c <= 70; c++)
    for (int32_t stride = 1; stride <= 2; stride++)
      for (int32_t same = 0; same <= 1; same++) {
        const int v = c + stride + same;
        const int32_t out_w = 8 + (c * 7 + stride) % 33; /* 8..40 */
        const shape s = {1 + (v % 7 == 0), 3 + v % 4, out_w * stride + 2 * (1 - same), c, c, stride, 1, same, v % 2,
                         v % 3};
        failed += !dw_case(&s);
        cases++;
      }
  static const shape layers[] = {
      {1, 64, 64, 32, 32, 2, 1, 1, 1, 2},  {1, 32, 32, 64, 64, 2, 1, 1, 1, 2}, {1, 16, 16, 128, 128, 2, 1, 1, 1, 2},
      {1, 48, 48, 48, 48, 2, 1, 1, 1, 2},  {1, 48, 48, 8, 8, 1, 1, 1, 1, 2},   {1, 24, 24, 48, 48, 1, 1, 1, 0, 1},
      {2, 19, 37, 24, 24, 2, 1, 0, 1, 0},  {1, 12, 50, 8, 8, 1, 2, 1, 1, 1},
  };
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    failed += !dw_case(&layers[i]);
    cases++;
  }
  printf("  depthwise wide rows: %d cases\n", cases);
  TL_EXPECT_EQ(failed, 0);
}

/* 3x3 over 3 channels: output channels 1..40 (the new kernel for panels of 1..8 columns, the direct tile for
 * the wider ones), strides 1..3, dilation 1 and 2, SAME and VALID; then the model layers. */
TL_TEST(conv_rgb_wide_rows) {
  int failed = 0, cases = 0;
  for (int32_t oc = 1; oc <= 40; oc++)
    for (int32_t stride = 1; stride <= 3; stride++)
      for (int32_t same = 0; same <= 1; same++) {
        const int v = oc + stride + same;
        const int32_t dil = 1 + (v % 5 == 0), out_w = 12 + (oc * 5 + stride) % 29; /* 12..40 */
        const shape s = {1 + (v % 6 == 0), 4 + v % 5, out_w * stride + 2 * dil * (1 - same), 3, oc, stride, dil, same,
                         v % 2, v % 3};
        failed += !conv_case(&s);
        cases++;
      }
  static const shape layers[] = {
      {1, 128, 128, 3, 16, 2, 1, 1, 1, 2}, {1, 96, 96, 3, 8, 2, 1, 1, 1, 2}, {1, 96, 96, 3, 16, 2, 1, 1, 0, 1},
      {1, 40, 64, 3, 32, 1, 1, 1, 1, 0},
  };
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    failed += !conv_case(&layers[i]);
    cases++;
  }
  printf("  conv rgb wide rows: %d cases\n", cases);
  TL_EXPECT_EQ(failed, 0);
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    printf("level %s\n", tl_isa_name(g_isa));
    TL_RUN(depthwise_wide_rows);
    TL_RUN(conv_rgb_wide_rows);
  }
  return tl_test_summary();
}
