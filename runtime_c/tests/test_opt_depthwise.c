/* test_opt_depthwise.c: the optimized float32 DepthwiseConv2D (tl_depthwise_conv2d_f32_opt, depthwise_opt.c
 * and depthwise_body.h) against the reference kernel (tl_depthwise_conv2d_f32) at every level this CPU has,
 * over a sweep of shapes: channels 1..70 (every remainder of the 4-, 8- and 16-float vectors), depth
 * multipliers 1..3, 3x3 kernels (the row kernel of the AVX2 level: groups of four, two and one pixels, the
 * border rows and columns) and others (1x1, 2x3, 5x5), strides 1, 2 and 3, SAME and VALID padding, dilation
 * 1 and 2, the three activation clamps, with and without bias, batches of 1 and 2, and NaN inputs.
 *
 * Tolerance: |opt - ref| <= 1e-5 * s + 1e-30 per element, where s is the reference kernel run on |x|, |w|,
 * |bias| (fused multiply-adds and another order of the sums may round differently), NaN where the
 * reference has NaN. Also checked: nothing written past the output, and the threads' split (row blocks run
 * as separate calls with pad_top shifted, depthwise_conv2d.c) gives the same bytes as one call.
 * Prints "level <name>" per level tested (tests/runtime/test_opt_depthwise.py checks them).
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
#define TL_TEST_RNG_SEED 2024u
#include "tl_test_floats.h"

#define REL_TOL 1e-5

static tl_isa g_isa = TL_ISA_PORTABLE; /* the level under test (test-only state) */

/* One case's geometry: SAME (TensorFlow's split, the extra row and column at the bottom and right) or VALID. */
typedef struct dw_shape {
  int32_t batch, in_h, in_w, in_c, dm, k_h, k_w, stride, dilation, same, bias, act, nan;
} dw_shape;

static int geometry(tl_conv_params *p, const dw_shape *s) {
  memset(p, 0, sizeof *p);
  p->batch = s->batch, p->in_h = s->in_h, p->in_w = s->in_w, p->in_c = s->in_c;
  p->depth_multiplier = s->dm, p->out_c = s->in_c * s->dm;
  p->k_h = s->k_h, p->k_w = s->k_w, p->stride_h = s->stride, p->stride_w = s->stride;
  p->dilation_h = s->dilation, p->dilation_w = s->dilation;
  p->act = k_acts[s->act];
  const int32_t eff_h = (s->k_h - 1) * s->dilation + 1, eff_w = (s->k_w - 1) * s->dilation + 1;
  if (s->same) {
    p->out_h = (s->in_h + s->stride - 1) / s->stride;
    p->out_w = (s->in_w + s->stride - 1) / s->stride;
    const int32_t ph = (p->out_h - 1) * s->stride + eff_h - s->in_h, pw = (p->out_w - 1) * s->stride + eff_w - s->in_w;
    p->pad_top = ph > 0 ? ph / 2 : 0;
    p->pad_left = pw > 0 ? pw / 2 : 0;
  } else {
    if (s->in_h < eff_h || s->in_w < eff_w) return 0;
    p->out_h = (s->in_h - eff_h) / s->stride + 1;
    p->out_w = (s->in_w - eff_w) / s->stride + 1;
  }
  return 1;
}

/* Runs one case at g_isa; returns 1 when it matches (0 and prints the first differences otherwise). A case
 * whose VALID window does not fit counts as a match. */
static int dw_case(const dw_shape *s) {
  tl_conv_params p;
  if (!geometry(&p, s)) return 1;
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * p.in_c, nw = (int64_t)p.k_h * p.k_w * p.out_c;
  const int64_t n_out = (int64_t)p.batch * p.out_h * p.out_w * p.out_c;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = s->bias ? rand_array(p.out_c) : NULL;
  if (s->nan) {
    for (int64_t i = 5; i < nx; i += 41) x[i] = NAN;
  }
  float *xa = abs_copy(x, nx), *wa = abs_copy(w, nw), *ba = bias ? abs_copy(bias, p.out_c) : NULL;
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out), *split = out_array(n_out);
  float *packed = (float *)malloc(tl_depthwise_conv2d_f32_opt_packed_floats(&p) * sizeof(float));
  tl_depthwise_conv2d_f32(want, x, w, bias, &p);
  tl_depthwise_conv2d_f32(scale, xa, wa, ba, &p_abs);
  tl_depthwise_conv2d_f32_opt_pack(packed, bias, &p);
  tl_depthwise_conv2d_f32_opt_pack_weights(packed, w, &p);
  tl_depthwise_conv2d_f32_opt(got, x, w, packed, &p, g_isa);
  /* the threads' split: blocks of 1..3 output rows per image, each its own call */
  const int32_t block = 1 + (s->in_c + s->in_w) % 3;
  for (int32_t b = 0; b < p.batch; b++) {
    for (int32_t oy0 = 0; oy0 < p.out_h; oy0 += block) {
      tl_conv_params part = p;
      part.batch = 1;
      part.out_h = p.out_h - oy0 < block ? p.out_h - oy0 : block;
      part.pad_top = p.pad_top - oy0 * p.stride_h;
      tl_depthwise_conv2d_f32_opt(split + ((int64_t)b * p.out_h + oy0) * p.out_w * p.out_c,
                                  x + (int64_t)b * p.in_h * p.in_w * p.in_c, w, packed, &part, g_isa);
    }
  }
  int64_t bad = 0;
  double max_diff = 0.0;
  for (int64_t i = 0; i < n_out; i++) {
    const double d = fabs((double)got[i] - (double)want[i]);
    const int nan_ok = want[i] != want[i] ? got[i] != got[i] : got[i] == got[i];
    if (!nan_ok || (want[i] == want[i] && !(d <= REL_TOL * (double)scale[i] + 1e-30))) {
      if (bad < 4) {
        printf("  element %lld: got %.9g want %.9g (scale %.3g)\n", (long long)i, (double)got[i], (double)want[i],
               (double)scale[i]);
      }
      bad++;
    }
    if (want[i] == want[i] && d > max_diff) max_diff = d;
  }
  for (int64_t i = n_out; i < n_out + TL_TEST_GUARD; i++) {
    if (got[i] != -12345.0f || split[i] != -12345.0f) {
      printf("  wrote past the output at %lld\n", (long long)i);
      bad++;
      break;
    }
  }
  const int split_same = memcmp(got, split, (size_t)n_out * sizeof(float)) == 0;
  if (bad || !split_same) {
    printf("  depthwise [%s] b=%d %dx%dx%d dm=%d k=%dx%d s=%d d=%d %s bias=%d act=%d nan=%d: %lld of %lld differ "
           "(max %.3g)%s\n",
           tl_isa_name(g_isa), s->batch, s->in_h, s->in_w, s->in_c, s->dm, s->k_h, s->k_w, s->stride, s->dilation,
           s->same ? "SAME" : "VALID", s->bias, s->act, s->nan, (long long)bad, (long long)n_out, max_diff,
           split_same ? "" : "; the row-block split differs from one call");
  }
  free(x), free(w), free(bias), free(xa), free(wa), free(ba);
  free(want), free(got), free(scale), free(split), free(packed);
  return bad == 0 && split_same;
}

/* 3x3, depth multiplier 1 (MobileNet's and DS-CNN's): every channel count 1..70 over widths that leave each
 * remainder of the groups of four pixels, strides 1 and 2, SAME and VALID. */
TL_TEST(depthwise_3x3_every_channel_count) {
  static const int32_t widths[] = {1, 2, 3, 5, 6, 7, 8, 11};
  int failed = 0, cases = 0;
  for (int32_t c = 1; c <= 70; c++) {
    const int32_t in_w = widths[c % 8], in_h = 3 + c % 5;
    for (int32_t stride = 1; stride <= 2; stride++)
      for (int32_t same = 0; same <= 1; same++) {
        const dw_shape s = {1, in_h, in_w + stride, c, 1, 3, 3, stride, 1, same, (c + same) % 2, (c + stride) % 3, 0};
        failed += !dw_case(&s);
        cases++;
      }
  }
  printf("  3x3 channel sweep: %d cases\n", cases);
  TL_EXPECT_EQ(failed, 0);
}

/* Every kernel path: dilation, strides 1..3, other kernels, depth multipliers 2 and 3, batches, NaN inputs,
 * images narrower and shorter than the kernel, the MobileNet and DS-CNN layer shapes. */
TL_TEST(depthwise_every_path) {
  static const int32_t chs[] = {1, 4, 7, 8, 9, 16, 17, 24, 33, 64};
  static const int32_t kernels[][2] = {{3, 3}, {1, 1}, {2, 3}, {5, 5}};
  int failed = 0, cases = 0;
  for (size_t ci = 0; ci < sizeof chs / sizeof chs[0]; ci++)
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++)
      for (int32_t dm = 1; dm <= 3; dm++)
        for (int32_t stride = 1; stride <= 3; stride++)
          for (int32_t dil = 1; dil <= 2; dil++) {
            const int v = (int)(ci + ki + (size_t)dm + (size_t)stride + (size_t)dil);
            const dw_shape s = {1 + v % 2, 4 + v % 7, 5 + (v * 3) % 9, chs[ci], dm, kernels[ki][0], kernels[ki][1],
                                stride, dil, v % 2, (v / 2) % 2, v % 3, v % 5 == 0};
            failed += !dw_case(&s);
            cases++;
          }
  /* images smaller than the kernel (SAME: every window clipped, rows and columns with no tap inside) */
  for (int32_t c = 1; c <= 17; c += 8)
    for (int32_t h = 1; h <= 2; h++)
      for (int32_t w = 1; w <= 5; w += 2) {
        const dw_shape s = {1, h, w, c, 1, 3, 3, 1, 1 + (w == 5), 1, 1, c % 3, 0};
        failed += !dw_case(&s);
        cases++;
      }
  /* the model layers: MobileNetV1-0.5 at 128 (stride 1 and 2), MobileNetV2, DS-CNN */
  static const dw_shape layers[] = {
      {1, 64, 64, 16, 1, 3, 3, 1, 1, 1, 1, 2, 0}, {1, 64, 64, 32, 1, 3, 3, 2, 1, 1, 1, 1, 0},
      {1, 8, 8, 256, 1, 3, 3, 1, 1, 1, 1, 1, 1}, {1, 24, 24, 48, 1, 3, 3, 2, 1, 1, 0, 1, 0},
      {1, 25, 5, 64, 1, 3, 3, 1, 1, 1, 1, 1, 0}, {2, 7, 9, 40, 1, 3, 3, 1, 1, 1, 1, 0, 1},
  };
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    failed += !dw_case(&layers[i]);
    cases++;
  }
  printf("  path sweep: %d cases\n", cases);
  TL_EXPECT_EQ(failed, 0);
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    printf("level %s\n", tl_isa_name(g_isa));
    TL_RUN(depthwise_3x3_every_channel_count);
    TL_RUN(depthwise_every_path);
  }
  return tl_test_summary();
}
