/* test_opt_conv_rows.c: float32 Conv2D with few input channels (1..4: a model's first convolution; at the AVX2
 * level conv_rows_opt.c) against the reference kernel (tl_conv2d_f32) at every level this CPU has: kernels
 * 3x3 (stride 1, 2 and 3), 10x4 and 5x5, SAME and VALID, dilation 1 and 2, output channels 1..70 (partial
 * panels and several panels), the three clamps, with and without bias, batches of 1 and 2, inputs narrower
 * than the kernel, and MobileNet's (128x128x3 -> 16, 3x3 stride 2 SAME) and DS-CNN's (49x10x1 -> 64, 10x4
 * stride 2 SAME) first layers.
 *
 * At the AVX2 level, the images with at least 12 output columns inside take the row walk, the narrower ones the
 * indirect path's queues (conv_opt.c, tl_conv_is_rows); the sweep has both.
 * Tolerance: |opt - ref| <= 1e-5 * s + 1e-30 per element, s the reference kernel run on |x|, |w|, |bias|.
 * Also checked: nothing written past the output, and the threads' parts (tl_conv2d_f32_opt_part over row
 * blocks of TL_GEMM_ROW_ALIGN positions, one panel at a time) give the same bytes as one call.
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
#include "tl_test.h"
#define TL_TEST_RNG_SEED 777u
#include "tl_test_floats.h"

#define REL_TOL 1e-5

static tl_isa g_isa = TL_ISA_PORTABLE; /* the level under test (test-only state) */

typedef struct conv_shape {
  int32_t batch, in_h, in_w, in_c, out_c, k_h, k_w, stride, dilation, same, bias, act;
} conv_shape;

/* SAME (TensorFlow's split: the extra row and column at the bottom and right) or VALID; 0 when VALID does
 * not fit. */
static int geometry(tl_conv_params *p, const conv_shape *s) {
  memset(p, 0, sizeof *p);
  p->batch = s->batch, p->in_h = s->in_h, p->in_w = s->in_w, p->in_c = s->in_c, p->out_c = s->out_c;
  p->k_h = s->k_h, p->k_w = s->k_w, p->stride_h = s->stride, p->stride_w = s->stride;
  p->dilation_h = s->dilation, p->dilation_w = s->dilation, p->depth_multiplier = 1;
  p->act = k_acts[s->act];
  const int32_t eff_h = (s->k_h - 1) * s->dilation + 1, eff_w = (s->k_w - 1) * s->dilation + 1;
  if (s->same) {
    p->out_h = (s->in_h + s->stride - 1) / s->stride;
    p->out_w = (s->in_w + s->stride - 1) / s->stride;
    const int32_t ph = (p->out_h - 1) * s->stride + eff_h - s->in_h, pw = (p->out_w - 1) * s->stride + eff_w - s->in_w;
    p->pad_top = ph > 0 ? ph / 2 : 0;
    p->pad_left = pw > 0 ? pw / 2 : 0;
    return 1;
  }
  if (s->in_h < eff_h || s->in_w < eff_w) return 0;
  p->out_h = (s->in_h - eff_h) / s->stride + 1;
  p->out_w = (s->in_w - eff_w) / s->stride + 1;
  return 1;
}

static int conv_case(const conv_shape *s) {
  tl_conv_params p;
  if (!geometry(&p, s)) return 1;
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t positions = (int64_t)p.out_h * p.out_w;
  const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * p.in_c, nw = (int64_t)p.out_c * p.k_h * p.k_w * p.in_c;
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
  /* the threads' parts: row blocks of TL_GEMM_ROW_ALIGN positions (up to the block the scratch holds), one
   * panel at a time */
  const int64_t block = tl_conv2d_f32_opt_block_rows(&p, scratch_floats);
  const int64_t step = block >= TL_GEMM_ROW_ALIGN ? TL_GEMM_ROW_ALIGN : block;
  const int32_t nr = tl_f32_kernels_for(g_isa)->nr; /* the level's panel width */
  for (int32_t b = 0; b < p.batch; b++)
    for (int64_t r = 0; r < positions; r += step)
      for (int32_t jp = 0; jp * nr < p.out_c; jp++) {
        tl_conv2d_f32_opt_part(parts, x, packed, scratch, &p, g_isa, b, r, positions - r < step ? positions - r : step,
                               jp, jp + 1);
      }
  int64_t bad = 0;
  for (int64_t i = 0; i < n_out; i++) {
    const double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= REL_TOL * (double)scale[i] + 1e-30)) {
      if (bad < 4) {
        printf("  element %lld: got %.9g want %.9g (scale %.3g)\n", (long long)i, (double)got[i], (double)want[i],
               (double)scale[i]);
      }
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
  const int parts_same = memcmp(got, parts, (size_t)n_out * sizeof(float)) == 0;
  if (bad || !parts_same) {
    printf("  conv [%s] b=%d %dx%dx%d -> %d k=%dx%d s=%d d=%d %s bias=%d act=%d: %lld of %lld differ%s\n",
           tl_isa_name(g_isa), s->batch, s->in_h, s->in_w, s->in_c, s->out_c, s->k_h, s->k_w, s->stride, s->dilation,
           s->same ? "SAME" : "VALID", s->bias, s->act, (long long)bad, (long long)n_out,
           parts_same ? "" : "; the threads' parts differ from one call");
  }
  free(x), free(w), free(bias), free(xa), free(wa), free(ba);
  free(want), free(got), free(scale), free(parts), free(packed), free(scratch);
  return bad == 0 && parts_same;
}

TL_TEST(conv_few_input_channels_every_path) {
  static const int32_t kernels[][3] = {{3, 3, 1}, {3, 3, 2}, {3, 3, 3}, {10, 4, 2}, {5, 5, 1}, {1, 1, 2}};
  static const int32_t outs[] = {1, 5, 16, 17, 33, 64, 70};
  int failed = 0, cases = 0;
  for (int32_t in_c = 1; in_c <= 5; in_c++) /* 5: just past the row walk's limit */
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++)
      for (size_t oi = 0; oi < sizeof outs / sizeof outs[0]; oi++)
        for (int32_t same = 0; same <= 1; same++) {
          const int v = in_c + (int)ki + (int)oi + same;
          /* odd v: wide enough for the AVX2 row walk (two tiles of inside columns), even: the queues */
          const int32_t in_w = v % 2 ? 27 + (v * 7) % 13 : 6 + (v * 3) % 11;
          const conv_shape s = {1 + v % 2,      7 + (v * 5) % 13, in_w,             in_c, outs[oi],
                                kernels[ki][0], kernels[ki][1],   kernels[ki][2],   1 + (v % 4 == 0),
                                same,           v % 2,            v % 3};
          failed += !conv_case(&s);
          cases++;
        }
  /* images smaller than the kernel */
  for (int32_t in_c = 1; in_c <= 3; in_c += 2) {
    const conv_shape s = {1, 2, 3, in_c, 16, 3, 3, 1, 1, 1, 1, 1};
    failed += !conv_case(&s);
    cases++;
  }
  /* the models' first layers */
  static const conv_shape layers[] = {
      {1, 128, 128, 3, 16, 3, 3, 2, 1, 1, 1, 1},
      {1, 96, 96, 3, 16, 3, 3, 2, 1, 1, 1, 1},
      {1, 49, 10, 1, 64, 10, 4, 2, 1, 1, 1, 1},
      {1, 32, 32, 3, 16, 3, 3, 1, 1, 1, 1, 1},
  };
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
    failed += !conv_case(&layers[i]);
    cases++;
  }
  printf("  few input channels: %d cases\n", cases);
  TL_EXPECT_EQ(failed, 0);
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    printf("level %s\n", tl_isa_name(g_isa));
    TL_RUN(conv_few_input_channels_every_path);
  }
  return tl_test_summary();
}
