/* test_opt_kernels.c: every optimized float32 kernel (kernels/opt/) against its reference kernel, at every
 * kernel level this CPU supports (portable, then NEON / AVX2 / AVX-512 where present), over shapes that hit
 * every remainder path (rows and columns of partial micro-tiles, partial im2col blocks, 1x1 fast path,
 * channels past the last full vector, depthwise 3x3 rows with the weights in registers and their edges),
 * with and without bias, with the activation clamps, and with NaN inputs.
 *
 * Tolerance: |opt - ref| <= 1e-5 * s + 1e-30 per element, where s is the same reference kernel run on |x|,
 * |w|, |bias| (the magnitude of the sum, so cancellation does not make the bound meaningless).
 * Prints the features found and each level tested ("level avx2"), which tests/runtime/test_opt_kernels.py checks.
 *
 * int8 (opt_kernels_int8.h): every int8 micro-kernel level the CPU has ("int8 level vnni") against
 * tl_fc_int8 / tl_conv2d_int8, identical bytes required, over depths and column counts around every group
 * and panel size, 1..9 rows, input zero points -128 / 0 / 127, full-range weights (-128 included), per-tensor
 * and per-channel multipliers, clamped activations, and biases that saturate the int32 accumulator; and the
 * int8 DepthwiseConv2D (depth multiplier 1) over channel blocks, tails, padding and dilation, and the int8
 * MaxPool2D over vectors, tails, clipped and empty windows.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/kernels.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "quant.h"
#include "tl_test.h"
#define TL_TEST_RNG_SEED 12345u
#include "tl_test_floats.h"

#define REL_TOL 1e-5

static tl_isa g_isa = TL_ISA_PORTABLE; /* the level under test (test-only state) */
static int check_close(const float *got, const float *want, const float *scale, int64_t n, const char *what) {
  int64_t bad = 0;
  double max_diff = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const double d = fabs((double)got[i] - (double)want[i]);
    const int both_nan = got[i] != got[i] && want[i] != want[i];
    const int ok = both_nan || d <= REL_TOL * (double)scale[i] + 1e-30;
    if (!ok) {
      if (bad < 5)
        printf("  %s [%s] element %lld: got %.9g want %.9g (scale %.3g)\n", what, tl_isa_name(g_isa),
               (long long)i, (double)got[i], (double)want[i], (double)scale[i]);
      bad++;
    }
    if (!both_nan && (d > max_diff || d != d)) max_diff = d;
  }
  for (int64_t i = n; i < n + TL_TEST_GUARD; i++) {
    if (got[i] != -12345.0f) {
      printf("  %s [%s]: wrote past the output at %lld\n", what, tl_isa_name(g_isa), (long long)i);
      bad++;
      break;
    }
  }
  if (bad) {
    printf("  %s [%s]: %lld of %lld elements differ, max abs diff %.9g\n", what, tl_isa_name(g_isa),
           (long long)bad, (long long)n, max_diff);
  }
  return bad == 0;
}


/* One FullyConnected case at level g_isa; returns 1 when it matches. */
static int fc_case(int32_t batch, int32_t in_depth, int32_t out_depth, int with_bias, int act, int nan_at) {
  tl_fc_params p = {batch, in_depth, out_depth, k_acts[act]};
  tl_fc_params p_abs = {batch, in_depth, out_depth, k_acts[0]};
  float *x = rand_array((int64_t)batch * in_depth);
  float *w = rand_array((int64_t)out_depth * in_depth);
  float *bias = with_bias ? rand_array(out_depth) : NULL;
  if (nan_at >= 0 && nan_at < batch * in_depth) x[nan_at] = NAN;
  float *xa = abs_copy(x, (int64_t)batch * in_depth), *wa = abs_copy(w, (int64_t)out_depth * in_depth);
  float *ba = bias ? abs_copy(bias, out_depth) : NULL;
  const int64_t n_out = (int64_t)batch * out_depth;
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out);
  float *packed = (float *)malloc(tl_fc_f32_opt_packed_floats(&p, g_isa) * sizeof(float));
  tl_fc_f32(want, x, w, bias, &p);
  tl_fc_f32(scale, xa, wa, ba, &p_abs);
  tl_fc_f32_opt_pack(packed, w, bias, &p, g_isa);
  tl_fc_f32_opt(got, x, packed, &p, g_isa);
  char what[128];
  snprintf(what, sizeof what, "fc b=%d in=%d out=%d bias=%d act=%d nan=%d", batch, in_depth, out_depth,
           with_bias, act, nan_at);
  const int ok = check_close(got, want, scale, n_out, what);
  free(x), free(w), free(bias), free(xa), free(wa), free(ba), free(want), free(got), free(scale), free(packed);
  return ok;
}

TL_TEST(fc_matches_reference_on_every_remainder) {
  static const int32_t batches[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17};
  static const int32_t ins[] = {1, 3, 16, 31, 100};
  static const int32_t outs[] = {1, 5, 8, 15, 16, 17, 31, 32, 33, 47, 64, 70};
  int failed = 0, cases = 0;
  for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++)
    for (size_t ii = 0; ii < sizeof ins / sizeof ins[0]; ii++)
      for (size_t oi = 0; oi < sizeof outs / sizeof outs[0]; oi++) {
        const int with_bias = (int)((bi + ii + oi) % 2);
        const int act = (int)((bi + oi) % 3);
        failed += !fc_case(batches[bi], ins[ii], outs[oi], with_bias, act, -1);
        cases++;
      }
  /* the MLP's layers */
  failed += !fc_case(1, 784, 256, 1, 1, -1);
  failed += !fc_case(3, 256, 10, 1, 0, -1);
  TL_EXPECT_EQ(failed, 0);
  TL_EXPECT_TRUE(cases > 600);
}

TL_TEST(fc_propagates_nan_like_reference) {
  int failed = 0;
  for (int act = 0; act < 3; act++) failed += !fc_case(3, 20, 37, 1, act, 25);
  TL_EXPECT_EQ(failed, 0);
}

/* One Conv2D case at level g_isa; returns 1 when it matches. Output size follows from the padding. */
/* pad before (top, left) and pad_total (before + after) along both axes */
static int conv_case_pads(int32_t batch, int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_c, int32_t k_h,
                          int32_t k_w, int32_t stride, int32_t dilation, int32_t pad, int32_t pad_total,
                          int with_bias, int act) {
  tl_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch, p.in_h = in_h, p.in_w = in_w, p.in_c = in_c, p.out_c = out_c;
  p.k_h = k_h, p.k_w = k_w, p.stride_h = stride, p.stride_w = stride;
  p.dilation_h = dilation, p.dilation_w = dilation, p.pad_top = pad, p.pad_left = pad;
  p.out_h = (in_h + pad_total - ((k_h - 1) * dilation + 1)) / stride + 1;
  p.out_w = (in_w + pad_total - ((k_w - 1) * dilation + 1)) / stride + 1;
  p.depth_multiplier = 1;
  p.act = k_acts[act];
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t nx = (int64_t)batch * in_h * in_w * in_c, nw = (int64_t)out_c * k_h * k_w * in_c;
  const int64_t n_out = (int64_t)batch * p.out_h * p.out_w * out_c;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = with_bias ? rand_array(out_c) : NULL;
  float *xa = abs_copy(x, nx), *wa = abs_copy(w, nw), *ba = bias ? abs_copy(bias, out_c) : NULL;
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out);
  float *packed = (float *)malloc(tl_conv2d_f32_opt_packed_floats(&p, g_isa) * sizeof(float));
  const size_t scratch_floats = tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_BLOCK_ROWS);
  const size_t least_floats = tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_MIN_BLOCK_ROWS);
  float *scratch = scratch_floats ? (float *)malloc(scratch_floats * sizeof(float)) : NULL;
  float *small = out_array(n_out);
  tl_conv2d_f32(want, x, w, bias, &p);
  tl_conv2d_f32(scale, xa, wa, ba, &p_abs);
  tl_conv2d_f32_opt_pack(packed, w, bias, &p, g_isa);
  tl_conv2d_f32_opt(got, x, packed, scratch, scratch_floats, &p, g_isa);
  /* the smallest scratch the op asks for (im2col blocks of TL_CONV_MIN_BLOCK_ROWS): the same bits */
  tl_conv2d_f32_opt(small, x, packed, scratch, least_floats, &p, g_isa);
  const int same_small = memcmp(small, got, (size_t)n_out * sizeof(float)) == 0;
  if (!same_small) printf("  conv with the smallest scratch differs\n");
  free(small);
  char what[160];
  snprintf(what, sizeof what, "conv b=%d %dx%dx%d->%d k=%dx%d s=%d d=%d pad=%d/%d bias=%d act=%d", batch, in_h,
           in_w, in_c, out_c, k_h, k_w, stride, dilation, pad, pad_total, with_bias, act);
  const int ok = check_close(got, want, scale, n_out, what) && same_small;
  free(x), free(w), free(bias), free(xa), free(wa), free(ba), free(want), free(got), free(scale);
  free(packed), free(scratch);
  return ok;
}

static int conv_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_c, int32_t k_h,
                     int32_t k_w, int32_t stride, int32_t dilation, int32_t pad, int with_bias, int act) {
  return conv_case_pads(batch, in_h, in_w, in_c, out_c, k_h, k_w, stride, dilation, pad, 2 * pad, with_bias, act);
}

TL_TEST(conv_matches_reference_on_every_path) {
  int failed = 0;
  static const int32_t in_cs[] = {1, 3, 8, 17};
  static const int32_t out_cs[] = {1, 7, 16, 33, 64};
  for (size_t ci = 0; ci < sizeof in_cs / sizeof in_cs[0]; ci++)
    for (size_t oi = 0; oi < sizeof out_cs / sizeof out_cs[0]; oi++) {
      const int act = (int)((ci + oi) % 3), bias = (int)((ci + oi) % 2);
      /* 3x3 SAME-like, 143 positions: one full and one partial im2col block */
      failed += !conv_case(1, 11, 13, in_cs[ci], out_cs[oi], 3, 3, 1, 1, 1, bias, act);
      /* pointwise fast path over a batch of 2 (rows not a multiple of any tile) */
      failed += !conv_case(2, 5, 7, in_cs[ci], out_cs[oi], 1, 1, 1, 1, 0, 1 - bias, act);
      /* strided, dilated, non-square kernels, padded and not */
      failed += !conv_case(2, 9, 8, in_cs[ci], out_cs[oi], 2, 3, 2, 1, 1, bias, (act + 1) % 3);
      failed += !conv_case(1, 10, 9, in_cs[ci], out_cs[oi], 3, 2, 1, 2, 0, 1 - bias, (act + 2) % 3);
      /* 1x1 with stride 2 (im2col path) and a 5x5 kernel larger than part of the input */
      failed += !conv_case(1, 7, 7, in_cs[ci], out_cs[oi], 1, 1, 2, 1, 0, bias, act);
      failed += !conv_case(1, 4, 6, in_cs[ci], out_cs[oi], 5, 5, 1, 1, 2, bias, act);
    }
  /* padded convolutions large enough for the x86 levels' direct path (at most a tenth of the positions touch
   * the padding; the small padded cases above go through im2col there): 42x40 SAME (9.5%), and padding only
   * at the bottom and right as SAME with stride 2 gives (64x64 -> 32x32: 3%) */
  static const int32_t dir_in[] = {1, 8}, dir_out[] = {7, 33};
  for (size_t ci = 0; ci < 2; ci++)
    for (size_t oi = 0; oi < 2; oi++) {
      failed += !conv_case(1, 42, 40, dir_in[ci], dir_out[oi], 3, 3, 1, 1, 1, (int)oi, (int)(ci + oi) % 3);
      failed += !conv_case_pads(1, 64, 64, dir_in[ci], dir_out[oi], 3, 3, 2, 1, 0, 1, (int)ci, (int)oi);
    }
  /* the CNN's layers */
  failed += !conv_case(1, 28, 28, 1, 32, 3, 3, 1, 1, 0, 1, 1);
  failed += !conv_case(1, 13, 13, 32, 64, 3, 3, 1, 1, 0, 1, 1);
  TL_EXPECT_EQ(failed, 0);
}

/* One DepthwiseConv2D case (depth_multiplier 1) at level g_isa; returns 1 when it matches. */
static int dw_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t ch, int32_t k_h, int32_t k_w, int32_t stride,
                   int32_t dilation, int32_t pad, int with_bias, int act) {
  tl_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch, p.in_h = in_h, p.in_w = in_w, p.in_c = ch, p.out_c = ch;
  p.k_h = k_h, p.k_w = k_w, p.stride_h = stride, p.stride_w = stride;
  p.dilation_h = dilation, p.dilation_w = dilation, p.pad_top = pad, p.pad_left = pad;
  p.out_h = (in_h + 2 * pad - ((k_h - 1) * dilation + 1)) / stride + 1;
  p.out_w = (in_w + 2 * pad - ((k_w - 1) * dilation + 1)) / stride + 1;
  p.depth_multiplier = 1;
  p.act = k_acts[act];
  tl_conv_params p_abs = p;
  p_abs.act = k_acts[0];
  const int64_t nx = (int64_t)batch * in_h * in_w * ch, nw = (int64_t)k_h * k_w * ch;
  const int64_t n_out = (int64_t)batch * p.out_h * p.out_w * ch;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = with_bias ? rand_array(ch) : NULL;
  float *xa = abs_copy(x, nx), *wa = abs_copy(w, nw), *ba = bias ? abs_copy(bias, ch) : NULL;
  float *want = out_array(n_out), *got = out_array(n_out), *scale = out_array(n_out);
  float *packed = (float *)malloc(tl_depthwise_conv2d_f32_opt_packed_floats(&p) * sizeof(float));
  tl_depthwise_conv2d_f32(want, x, w, bias, &p);
  tl_depthwise_conv2d_f32(scale, xa, wa, ba, &p_abs);
  tl_depthwise_conv2d_f32_opt_pack(packed, bias, &p);
  tl_depthwise_conv2d_f32_opt(got, x, w, packed, &p, g_isa);
  char what[160];
  snprintf(what, sizeof what, "depthwise b=%d %dx%dx%d k=%dx%d s=%d d=%d pad=%d bias=%d act=%d", batch, in_h,
           in_w, ch, k_h, k_w, stride, dilation, pad, with_bias, act);
  const int ok = check_close(got, want, scale, n_out, what);
  free(x), free(w), free(bias), free(xa), free(wa), free(ba), free(want), free(got), free(scale), free(packed);
  return ok;
}

TL_TEST(depthwise_matches_reference_on_every_path) {
  static const int32_t chs[] = {1, 3, 4, 8, 15, 16, 17, 33, 40, 83};
  int failed = 0;
  for (size_t ci = 0; ci < sizeof chs / sizeof chs[0]; ci++) {
    const int act = (int)(ci % 3), bias = (int)(ci % 2);
    failed += !dw_case(1, 9, 7, chs[ci], 3, 3, 1, 1, 1, bias, act);           /* SAME-like, borders */
    failed += !dw_case(2, 10, 11, chs[ci], 3, 3, 2, 1, 1, 1 - bias, act);     /* strided */
    failed += !dw_case(1, 8, 9, chs[ci], 3, 2, 1, 2, 2, bias, (act + 1) % 3); /* dilated, padded */
    failed += !dw_case(1, 12, 12, chs[ci], 9, 9, 1, 1, 4, 1, act);            /* large kernel */
    failed += !dw_case(1, 11, 12, chs[ci], 3, 3, 1, 2, 2, bias, act);         /* 3x3 fast rows, dilated */
    failed += !dw_case(1, 10, 13, chs[ci], 3, 3, 2, 2, 0, 1 - bias, act);     /* strided, dilated, unpadded */
    failed += !dw_case(1, 3, 3, chs[ci], 3, 3, 1, 1, 0, bias, act);           /* one pixel, all inside */
  }
  TL_EXPECT_EQ(failed, 0);
}

/* One MaxPool2D case at level g_isa (bit-exact, NaNs included); returns 1 when it matches. */
static int mp_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t ch, int32_t f, int32_t stride, int32_t pad,
                   int act, int with_nan) {
  tl_pool_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch, p.in_h = in_h, p.in_w = in_w, p.channels = ch;
  p.filter_h = f, p.filter_w = f, p.stride_h = stride, p.stride_w = stride, p.pad_top = pad, p.pad_left = pad;
  p.out_h = (in_h + 2 * pad - f) / stride + 1;
  p.out_w = (in_w + 2 * pad - f) / stride + 1;
  p.act = k_acts[act];
  const int64_t nx = (int64_t)batch * in_h * in_w * ch, n_out = (int64_t)batch * p.out_h * p.out_w * ch;
  float *x = rand_array(nx);
  if (with_nan) {
    for (int64_t i = 0; i < nx; i += 37) x[i] = NAN;
  }
  float *want = out_array(n_out), *got = out_array(n_out), *zero = out_array(n_out);
  for (int64_t i = 0; i < n_out; i++) zero[i] = 0.0f;
  tl_max_pool2d_f32(want, x, &p);
  tl_max_pool2d_f32_opt(got, x, &p, g_isa);
  char what[128];
  snprintf(what, sizeof what, "maxpool b=%d %dx%dx%d f=%d s=%d pad=%d act=%d nan=%d", batch, in_h, in_w, ch, f,
           stride, pad, act, with_nan);
  const int ok = check_close(got, want, zero, n_out, what);
  free(x), free(want), free(got), free(zero);
  return ok;
}

TL_TEST(max_pool_matches_reference_bit_exactly) {
  static const int32_t chs[] = {1, 3, 4, 8, 16, 17, 33, 64};
  int failed = 0;
  for (size_t ci = 0; ci < sizeof chs / sizeof chs[0]; ci++) {
    failed += !mp_case(1, 26, 26, chs[ci], 2, 2, 0, (int)(ci % 3), 0);
    failed += !mp_case(2, 9, 7, chs[ci], 3, 2, 1, 1, 1); /* clipped windows, NaNs */
    failed += !mp_case(1, 5, 6, chs[ci], 3, 1, 2, 2, 1); /* padding larger than a window's overlap */
  }
  TL_EXPECT_EQ(failed, 0);
}

TL_TEST(packing_is_zero_padded_with_bias_row) {
  const int32_t n = 5, k = 3;
  const int32_t nr = tl_gemm_nr(g_isa);
  float w[15], bias[5];
  for (int i = 0; i < 15; i++) w[i] = (float)(i + 1);
  for (int i = 0; i < 5; i++) bias[i] = (float)(100 + i);
  TL_EXPECT_EQ(tl_gemm_packed_floats(g_isa, n, k), (size_t)(k + 1) * (size_t)nr);
  float packed[4 * 32];
  tl_gemm_pack_f32(packed, w, bias, n, k, g_isa);
  TL_EXPECT_NEAR(packed[0], 100.0f, 0);
  TL_EXPECT_NEAR(packed[4], 104.0f, 0);
  TL_EXPECT_NEAR(packed[nr + 1], w[1 * k + 0], 0);     /* row 1 = k index 0, column 1 */
  TL_EXPECT_NEAR(packed[3 * nr + 4], w[4 * k + 2], 0); /* row 3 = k index 2, column 4 */
  TL_EXPECT_NEAR(packed[3 * nr + 5], 0.0f, 0);         /* past n: zero */
}

TL_TEST(isa_resolution_and_names) {
  const tl_cpu_features none = {0, 0, 0, 0, 0};
  const tl_cpu_features all = {1, 1, 0, 0, 0};
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_REFERENCE, &all), TL_ISA_REFERENCE);
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AUTO, &none), TL_ISA_PORTABLE);
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AUTO, &all), TL_ISA_AVX512);
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AVX2, &all), TL_ISA_AVX2);
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AVX512, &none), TL_ISA_PORTABLE);
  TL_EXPECT_EQ(tl_isa_resolve((tl_isa)99, &none), TL_ISA_PORTABLE);
  const tl_cpu_features avx2_only = {1, 0, 0, 0, 0};
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AVX512, &avx2_only), TL_ISA_AVX2);
  const tl_cpu_features neon = {0, 0, 1, 0, 0};
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AUTO, &neon), TL_ISA_NEON);
  TL_EXPECT_EQ(tl_isa_resolve(TL_ISA_AVX2, &neon), TL_ISA_NEON);
  for (int i = TL_ISA_REFERENCE; i <= TL_ISA_AUTO; i++) TL_EXPECT_EQ(tl_isa_parse(tl_isa_name((tl_isa)i)), i);
  TL_EXPECT_EQ(tl_isa_parse("no-such-level"), TL_ISA_AUTO);
  TL_EXPECT_EQ(tl_isa_parse(NULL), TL_ISA_AUTO);
  const tl_cpu_features f = tl_cpu_features_detect();
  TL_EXPECT_TRUE(tl_isa_supported(tl_isa_resolve(TL_ISA_AUTO, &f), &f));
#if defined(__aarch64__)
  TL_EXPECT_TRUE(f.neon);
#endif
}

/* ---- int8 ---- */
static tl_i8_level g_i8 = TL_I8_PORTABLE; /* the int8 level under test (test-only state) */

static int8_t rand_i8(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return (int8_t)(uint8_t)((g_rng >> 16) & 0xFFu); /* full range, -128 included */
}

static int8_t *rand_i8_array(int64_t n) {
  int8_t *a = (int8_t *)malloc((size_t)(n > 0 ? n : 1));
  for (int64_t i = 0; i < n; i++) a[i] = rand_i8();
  return a;
}

/* Requantization parameters: per tensor (channels 1) or per channel, multipliers in [2^30, 2^31), shifts
 * that spread typical accumulators of magnitude `mag` over tens of output steps (large ones clamp). */
static void rand_requant(tl_requant_int8 *q, int32_t *mult, int32_t *shift, int32_t channels, int64_t mag,
                         int32_t out_zp, int32_t lo, int32_t hi) {
  int32_t bits = 0;
  while (((int64_t)1 << bits) < mag) bits++;
  memset(q, 0, sizeof *q);
  mult[0] = shift[0] = 0;
  for (int32_t c = 0; c < channels; c++) {
    g_rng = g_rng * 1664525u + 1013904223u;
    mult[c] = (int32_t)(0x40000000u + (g_rng >> 2) % 0x3FFFFFFFu);
    shift[c] = 7 - bits - (int32_t)(g_rng % 3u); /* negative: a right shift */
    /* odd channel counts: the rounding edge, a left shift, on some channels (the general requantization path);
     * even counts keep every shift <= 0 (the inline and vector paths) */
    if (channels % 2 == 1 && c % 11 == 10) mult[c] = 0x40000000, shift[c] = 1;
  }
  q->channels = channels;
  q->multiplier = mult[0];
  q->shift = shift[0];
  q->multipliers = channels > 1 ? mult : NULL;
  q->shifts = channels > 1 ? shift : NULL;
  q->output_zp = out_zp;
  q->act_min = lo;
  q->act_max = hi;
}

static int32_t *rand_bias(int32_t n, int saturate) {
  int32_t *b = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  for (int32_t i = 0; i < n; i++) {
    g_rng = g_rng * 1664525u + 1013904223u;
    b[i] = (int32_t)(g_rng % 20001u) - 10000;
    if (saturate) b[i] = (i & 1) ? INT32_MAX - (int32_t)(g_rng % 7u) : INT32_MIN + (int32_t)(g_rng % 7u);
  }
  return b;
}

static int64_t g_i8_outputs, g_i8_distinct; /* spread of the reference outputs: the cases are not trivial */

static int check_same_bytes(const int8_t *got, const int8_t *want, int64_t n, const char *what) {
  int64_t bad = 0;
  uint8_t seen[256];
  memset(seen, 0, sizeof seen);
  for (int64_t i = 0; i < n; i++) seen[(uint8_t)want[i]] = 1;
  for (int i = 0; i < 256; i++) g_i8_distinct += seen[i];
  g_i8_outputs += n;
  for (int64_t i = 0; i < n + 16; i++) {
    if (got[i] != want[i]) {
      if (bad < 5) printf("  %s [int8 %s] byte %lld: got %d want %d\n", what, tl_i8_level_name(g_i8), (long long)i,
                          got[i], want[i]);
      bad++;
    }
  }
  return bad == 0;
}

static int8_t *i8_out(int64_t n) {
  int8_t *a = (int8_t *)malloc((size_t)n + 16);
  memset(a, 0x5A, (size_t)n + 16); /* canary after n bytes, compared too */
  return a;
}

static int fc8_case(int32_t batch, int32_t in_depth, int32_t out_depth, int32_t zp, int per_channel, int bias_kind,
                    int clamp) {
  tl_fc_int8_params p;
  int32_t *mult = (int32_t *)malloc((size_t)out_depth * sizeof(int32_t));
  int32_t *shift = (int32_t *)malloc((size_t)out_depth * sizeof(int32_t));
  memset(&p, 0, sizeof p);
  p.batch = batch, p.in_depth = in_depth, p.out_depth = out_depth, p.input_zp = zp;
  rand_requant(&p.out, mult, shift, per_channel ? out_depth : 1, (int64_t)(sqrt((double)in_depth) * 5000.0) + 1,
               zp / 3, clamp ? -20 : -128, clamp ? 30 : 127);
  p.out.single_rounding = per_channel; /* as the op prepares it */
  int8_t *x = rand_i8_array((int64_t)batch * in_depth), *w = rand_i8_array((int64_t)out_depth * in_depth);
  int32_t *bias = bias_kind ? rand_bias(out_depth, bias_kind == 2) : NULL;
  int8_t *want = i8_out((int64_t)batch * out_depth), *got = i8_out((int64_t)batch * out_depth);
  void *packed = malloc(tl_fc_int8_opt_packed_bytes(&p, g_i8));
  tl_fc_int8(want, x, w, bias, &p);
  tl_fc_int8_opt_pack(packed, w, bias, &p, g_i8);
  tl_fc_int8_opt(got, x, packed, &p, g_i8);
  char what[160];
  snprintf(what, sizeof what, "fc8 b=%d %d->%d zp=%d pc=%d bias=%d clamp=%d", batch, in_depth, out_depth, zp,
           per_channel, bias_kind, clamp);
  int ok = check_same_bytes(got, want, (int64_t)batch * out_depth, what);
  memset(got, 0x55, (size_t)batch * out_depth); /* again, column range by column range (a thread split) */
  for (int32_t j = 0; j < out_depth; j += TL_FC_INT8_COL_STEP)
    tl_fc_int8_opt_cols(got, x, packed, &p, g_i8, j, j + TL_FC_INT8_COL_STEP);
  ok &= check_same_bytes(got, want, (int64_t)batch * out_depth, "fc8 by column ranges");
  free(mult), free(shift), free(x), free(w), free(bias), free(want), free(got), free(packed);
  return ok;
}

TL_TEST(fc_int8_bit_exact_on_every_remainder) {
  static const int32_t batches[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 17}; /* every remainder of the 8-row tiles */
  static const int32_t depths[] = {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 64, 131};
  static const int32_t outs[] = {1, 7, 8, 9, 16, 17, 33, 64, 130}; /* 130: two 4-panel passes and a tail */
  static const int32_t zps[] = {-128, 0, 127, 5};
  int failures = 0, cases = 0;
  g_i8_outputs = g_i8_distinct = 0;
  for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++)
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++)
      for (size_t o = 0; o < sizeof outs / sizeof outs[0]; o++) {
        const int v = (int)(b + d + o);
        failures += !fc8_case(batches[b], depths[d], outs[o], zps[v % 4], v & 1, v % 3, (v / 3) & 1);
        cases++;
      }
  /* the deepest int32-exact depth, and saturating biases with extreme zero points */
  failures += !fc8_case(2, TL_GEMM_INT8_MAX_K, 3, -128, 1, 1, 0);
  failures += !fc8_case(2, 4001, 17, 127, 0, 2, 0);
  failures += !fc8_case(5, 33, 19, -128, 1, 2, 1);
  TL_EXPECT_EQ(failures, 0);
  TL_EXPECT_TRUE(cases > 0);
  /* on average well over 8 distinct output values per case: the outputs are not all clamped or equal */
  TL_EXPECT_TRUE(g_i8_distinct > 8 * (cases + 3));
  printf("  int8 fc cases %d, outputs %lld, distinct values per case %.1f\n", cases + 3, (long long)g_i8_outputs,
         (double)g_i8_distinct / (cases + 3));
  g_i8_outputs = g_i8_distinct = 0;
}

/* One row (batch 1): the VNNI level packs it in its interleaved layout (4 panels' groups side by side; the last
 * block of 1..4 panels), read by the one-row product over every column and over column ranges. Every column
 * count 1..130 (blocks of 1..4 panels, partial panels) at odd and whole-group depths; then the layout itself:
 * at the VNNI level a batch-1 pack differs from a batch-2 one (the plain layout), at the other levels it is the
 * same; and a depth whose corrections exceed the int32 lanes (the plain layout and the int64 path). */
TL_TEST(fc_int8_one_row_every_width) {
  static const int32_t depths[] = {1, 3, 4, 17, 131};
  int failures = 0, cases = 0;
  for (int32_t n = 1; n <= 130; n++)
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
      const int v = (int)(n + d);
      failures += !fc8_case(1, depths[d], n, v % 5 == 0 ? -128 : (v % 5 == 1 ? 127 : v % 37 - 18), v & 1, v % 3,
                            (v / 3) & 1);
      cases++;
    }
  failures += !fc8_case(1, TL_GEMM_INT8_MAX_K, 70, 127, 1, 2, 0);
  failures += !fc8_case(1, 784, 256, -128, 0, 1, 0);
  TL_EXPECT_EQ(failures, 0);
  TL_EXPECT_EQ(cases, 130 * 5);
  /* the layout: the same weights packed for batch 1 and batch 2 */
  tl_fc_int8_params p;
  int32_t mult[130], shift[130];
  memset(&p, 0, sizeof p);
  p.batch = 1, p.in_depth = 17, p.out_depth = 130, p.input_zp = 3;
  rand_requant(&p.out, mult, shift, 130, 20000, 0, -128, 127);
  int8_t *w = rand_i8_array(130 * 17);
  const size_t bytes = tl_fc_int8_opt_packed_bytes(&p, g_i8);
  uint8_t *buf = (uint8_t *)malloc(2 * bytes + 128); /* both packs 64-aligned: the same offset to their data */
  uint8_t *one = buf + (64 - (uintptr_t)buf % 64) % 64, *two = one + (bytes + 63) / 64 * 64;
  tl_fc_int8_opt_pack(one, w, NULL, &p, g_i8);
  p.batch = 2;
  TL_EXPECT_EQ(tl_fc_int8_opt_packed_bytes(&p, g_i8), bytes);
  tl_fc_int8_opt_pack(two, w, NULL, &p, g_i8);
#if defined(__x86_64__) || defined(__i386__)
  const int il = g_i8 == TL_I8_VNNI && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  const int il = 0;
#endif
  TL_EXPECT_EQ(memcmp(one, two, bytes) != 0, il);
  free(w), free(buf);
}

/* The vector requantization at every right shift 0..31: per-channel shifts around r, biases of about
 * 2^(r + 8) (so the outputs spread over the int8 range at every shift, accumulators up to near +-2^31), depth
 * 3 (a masked tail group), 9 rows (an 8-row tile and a 1-row one) and 1 row (the matrix-vector path). */
static int requant_shift_case(int32_t r, int32_t batch, int32_t single) {
  enum { K = 3, N = 37 };
  tl_fc_int8_params p;
  int32_t mult[N], shift[N], bias[N];
  memset(&p, 0, sizeof p);
  p.batch = batch, p.in_depth = K, p.out_depth = N, p.input_zp = (int32_t)(r * 5 % 64) - 32;
  for (int32_t c = 0; c < N; c++) {
    const int32_t rc = c % 4 == 3 ? (r + c) % 32 : r; /* some channels at other shifts */
    const int64_t mag = rc + 8 >= 31 ? (int64_t)INT32_MAX - 200000 : ((int64_t)1 << (rc + 8));
    g_rng = g_rng * 1664525u + 1013904223u;
    mult[c] = (int32_t)(0x40000000u + (g_rng >> 2) % 0x3FFFFFFFu);
    if (c == 5) mult[c] = 0x40000000; /* the smallest multiplier */
    if (c == 6) mult[c] = INT32_MAX;
    shift[c] = -rc;
    g_rng = g_rng * 1664525u + 1013904223u;
    bias[c] = (int32_t)((int64_t)(g_rng % (2 * (uint64_t)mag + 1)) - mag);
  }
  p.out.channels = N, p.out.multipliers = mult, p.out.shifts = shift, p.out.multiplier = mult[0];
  p.out.shift = shift[0], p.out.output_zp = (r * 37) % 200 - 100, p.out.act_min = -128, p.out.act_max = 127;
  p.out.single_rounding = single;
  int8_t *x = rand_i8_array((int64_t)batch * K), *w = rand_i8_array((int64_t)N * K);
  int8_t *want = i8_out((int64_t)batch * N), *got = i8_out((int64_t)batch * N);
  void *packed = malloc(tl_fc_int8_opt_packed_bytes(&p, g_i8));
  for (int32_t i = 0; i < N * K; i++) w[i] = (int8_t)(w[i] % 2); /* small sums: unclamped outputs at r = 0 */
  tl_fc_int8(want, x, w, bias, &p);
  tl_fc_int8_opt_pack(packed, w, bias, &p, g_i8);
  tl_fc_int8_opt(got, x, packed, &p, g_i8);
  char what[80];
  snprintf(what, sizeof what, "requant r=%d batch=%d single=%d", r, batch, single);
  const int ok = check_same_bytes(got, want, (int64_t)batch * N, what);
  free(x), free(w), free(want), free(got), free(packed);
  return ok;
}

TL_TEST(requant_int8_every_shift) {
  int failures = 0;
  for (int32_t r = 0; r < 32; r++)
    for (int rep = 0; rep < 6; rep++) failures += !requant_shift_case(r, rep % 2 ? 1 : 17, rep >= 3);
  TL_EXPECT_EQ(failures, 0);
}

static int g_conv8_extreme; /* 1: conv8_case sets per-channel scale ends (saturating, tiny, rounding ties) */

static int conv8_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_c, int32_t k_h,
                      int32_t k_w, int32_t stride, int32_t dilation, int32_t pad, int32_t zp, int per_channel,
                      int bias_kind) {
  tl_conv_int8_params p;
  tl_conv_params *g = &p.geom;
  int32_t *mult = (int32_t *)malloc((size_t)out_c * sizeof(int32_t));
  int32_t *shift = (int32_t *)malloc((size_t)out_c * sizeof(int32_t));
  memset(&p, 0, sizeof p);
  g->batch = batch, g->in_h = in_h, g->in_w = in_w, g->in_c = in_c, g->out_c = out_c;
  g->k_h = k_h, g->k_w = k_w, g->stride_h = stride, g->stride_w = stride;
  g->dilation_h = dilation, g->dilation_w = dilation, g->pad_top = pad, g->pad_left = pad;
  g->out_h = (in_h + 2 * pad - ((k_h - 1) * dilation + 1)) / stride + 1;
  g->out_w = (in_w + 2 * pad - ((k_w - 1) * dilation + 1)) / stride + 1;
  g->depth_multiplier = 1;
  p.input_zp = zp;
  rand_requant(&p.out, mult, shift, per_channel ? out_c : 1, (int64_t)(sqrt((double)k_h * k_w * in_c) * 5000.0) + 1,
               -zp / 2, -128, 127);
  for (int32_t c = 0; c < out_c && g_conv8_extreme && per_channel; c++) {
    if (c % 4 == 0) mult[c] = INT32_MAX, shift[c] = 0;         /* outputs saturate */
    if (c % 4 == 1) mult[c] = 0x40000000, shift[c] = -31;      /* outputs near the zero point */
    if (c % 4 == 2) mult[c] = 0x40000000, shift[c] = -1 - c % 9; /* x / 4 ... x / 2^10: rounding ties */
  }
  const int64_t nx = (int64_t)batch * in_h * in_w * in_c, nw = (int64_t)out_c * k_h * k_w * in_c;
  const int64_t n_out = (int64_t)batch * g->out_h * g->out_w * out_c;
  int8_t *x = rand_i8_array(nx), *w = rand_i8_array(nw);
  int32_t *bias = bias_kind ? rand_bias(out_c, bias_kind == 2) : NULL;
  int8_t *want = i8_out(n_out), *got = i8_out(n_out);
  void *packed = malloc(tl_conv2d_int8_opt_packed_bytes(&p, g_i8));
  const size_t scratch_bytes = tl_conv2d_int8_opt_scratch_bytes(g, TL_CONV_INT8_BLOCK_ROWS);
  int8_t *scratch = scratch_bytes ? (int8_t *)malloc(scratch_bytes) : NULL;
  tl_conv2d_int8(want, x, w, bias, &p);
  tl_conv2d_int8_opt_pack(packed, w, bias, &p, g_i8);
  tl_conv2d_int8_opt(got, x, packed, scratch, &p, g_i8);
  int split_ok = 1;
  { /* the smallest scratch the op asks for (im2col blocks of TL_CONV_INT8_MIN_BLOCK_ROWS): the same bytes */
    int8_t *small = i8_out(n_out);
    tl_conv_int8_params q = p;
    q.block_rows = tl_conv2d_int8_opt_block_rows(g, tl_conv2d_int8_opt_scratch_bytes(g, TL_CONV_INT8_MIN_BLOCK_ROWS));
    tl_conv2d_int8_opt(small, x, packed, scratch, &q, g_i8);
    split_ok = check_same_bytes(small, want, n_out, "conv8 with the smallest scratch");
    free(small);
  }
  if (tl_conv2d_int8_opt_splittable(&p)) { /* again, in ranges of output rows (a thread split) */
    int8_t *parts = i8_out(n_out);
    for (int32_t b = 0; b < batch; b++)
      for (int32_t oy = 0; oy < g->out_h; oy += 3)
        tl_conv2d_int8_opt_rows(parts, x, packed, scratch, &p, g_i8, b, oy, oy + 3 < g->out_h ? oy + 3 : g->out_h);
    split_ok = check_same_bytes(parts, want, n_out, "conv8 by row ranges") && split_ok;
    free(parts);
  }
  char what[160];
  snprintf(what, sizeof what, "conv8 b=%d %dx%dx%d->%d k=%dx%d s=%d d=%d pad=%d zp=%d pc=%d bias=%d", batch, in_h,
           in_w, in_c, out_c, k_h, k_w, stride, dilation, pad, zp, per_channel, bias_kind);
  const int ok = check_same_bytes(got, want, n_out, what) && split_ok;
  free(mult), free(shift), free(x), free(w), free(bias), free(want), free(got), free(packed), free(scratch);
  return ok;
}

TL_TEST(conv_int8_bit_exact_on_every_path) {
  int failures = 0;
  failures += !conv8_case(1, 5, 5, 3, 8, 3, 3, 1, 1, 1, -128, 1, 1);   /* padded taps read the zero point */
  failures += !conv8_case(2, 6, 7, 5, 17, 3, 3, 2, 1, 1, 127, 0, 1);   /* stride 2, columns past a panel */
  failures += !conv8_case(1, 13, 13, 2, 9, 3, 3, 1, 1, 1, 3, 1, 0);    /* 169 positions: two im2col blocks */
  failures += !conv8_case(1, 9, 9, 4, 7, 3, 3, 1, 2, 2, -7, 1, 1);     /* dilation */
  failures += !conv8_case(2, 4, 5, 19, 33, 1, 1, 1, 1, 0, -128, 1, 1); /* pointwise: the input is the matrix */
  failures += !conv8_case(1, 5, 5, 16, 16, 1, 1, 2, 1, 0, 127, 0, 2);  /* 1x1 stride 2 via im2col, saturation */
  failures += !conv8_case(1, 6, 6, 1, 32, 5, 5, 1, 1, 2, 0, 1, 1);     /* in_c 1: depth 25 */
  failures += !conv8_case(1, 3, 3, 3, 5, 3, 3, 1, 1, 3, 9, 0, 1);      /* pad wider than the input */
  failures += !conv8_case(1, 8, 8, 32, 64, 3, 3, 1, 1, 1, -3, 1, 1);   /* CNN-like */
  failures += !conv8_case(1, 11, 10, 3, 8, 3, 3, 2, 1, 0, 5, 1, 1);   /* first conv of 3 channels: short runs at x_end */
  failures += !conv8_case(1, 7, 9, 8, 48, 1, 1, 1, 1, 0, -9, 1, 1);    /* pointwise depth 8: 16-row groups, a tail of 15 */
  failures += !conv8_case(1, 5, 7, 12, 13, 1, 1, 1, 1, 0, 4, 0, 1);    /* pointwise depth 12: 8 + 4 widened */
  failures += !conv8_case(1, 3, 6, 21, 24, 1, 1, 1, 1, 0, -1, 1, 2);   /* pointwise depth 21: the overlapping last 16 */
  failures += !conv8_case(1, 3, 3, 600, 9, 1, 1, 1, 1, 0, 2, 1, 1);    /* depth 600: 4-row groups */
  TL_EXPECT_EQ(failures, 0);
}

/* Convolutions with few values per kernel row (k_w * in_c <= 16 and output rows of 16 pixels or more: the AVX2
 * level's direct kernel, from the input rows widened per output row; images 44..80 wide, so every stride gives
 * such rows): in_c 1..5, 1x1 stride 2 up to 10x4 and 7x2 windows, strides 1..3, padding 0..3
 * (wider than the kernel too), output columns 1..40 (one panel, two, a partial second), zero points at the int8
 * ends, ReLU clamps, biases small, absent or saturating (then the im2col path runs), per-tensor and
 * per-channel scales with their ends; the row-range split and the smallest scratch as in conv8_case. */
TL_TEST(conv_int8_few_values_per_kernel_row) {
  static const int32_t kernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {10, 4}, {7, 2}, {2, 3}};
  static const int32_t outs[] = {1, 5, 8, 9, 16, 24, 40};
  int failures = 0, cases = 0;
  for (int32_t in_c = 1; in_c <= 5; in_c++)
    for (size_t kk = 0; kk < sizeof kernels / sizeof kernels[0]; kk++)
      for (int32_t stride = 1; stride <= 3; stride++) {
        const int32_t k_h = kernels[kk][0], k_w = kernels[kk][1], v = in_c * 7 + (int32_t)kk * 3 + stride;
        if (k_w * in_c > 16 || (k_h == 1 && stride == 1)) continue; /* the other paths (other tests) */
        const int32_t pad = v % 4, out_c = outs[v % 7], zp = v % 3 == 0 ? -128 : (v % 3 == 1 ? 127 : v % 11 - 5);
        g_conv8_extreme = v % 2;
        failures += !conv8_case(1 + v % 2, 10 + v % 13, 44 + v % 17 + (v % 4 == 0 ? 0 : 20), in_c, out_c, k_h, k_w,
                                stride, 1, pad, zp,
                                v % 5 != 0, v % 6 == 5 ? 2 : v % 3);
        cases++;
      }
  g_conv8_extreme = 0;
  failures += !conv8_case(1, 96, 96, 3, 8, 3, 3, 2, 1, 0, -128, 1, 1); /* MobileNetV2's first conv */
  failures += !conv8_case(1, 49, 10, 1, 64, 10, 4, 2, 1, 1, 5, 1, 1);  /* DS-CNN's first conv */
  TL_EXPECT_EQ(failures, 0);
  TL_EXPECT_TRUE(cases > 60);
}

/* A pointwise (1x1, stride 1) Conv2D of m positions, depth k, n output channels: the input is the GEMM's
 * matrix (at the AVX2 level the dense rows are widened as one run and the columns go by two panels, a last
 * partial pair or single panel). Per-channel shifts spread over [shift_lo, shift_hi] with the multipliers'
 * ends 2^30 and 2^31 - 1 on some channels; bias_mag scales the biases (up to the int32 ends: saturation and
 * packs whose corrections leave the int32 lanes). */
static int pw8_case(int32_t m, int32_t k, int32_t n, int32_t zp, int32_t shift_lo, int32_t shift_hi,
                    int64_t bias_mag, int32_t out_zp, int32_t lo, int32_t hi) {
  tl_conv_int8_params p;
  tl_conv_params *g = &p.geom;
  int32_t *mult = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  int32_t *shift = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  int32_t *bias = (int32_t *)malloc((size_t)n * sizeof(int32_t));
  memset(&p, 0, sizeof p);
  g->batch = 1, g->in_h = 1, g->in_w = m, g->in_c = k, g->out_c = n, g->out_h = 1, g->out_w = m;
  g->k_h = g->k_w = g->stride_h = g->stride_w = g->dilation_h = g->dilation_w = g->depth_multiplier = 1;
  p.input_zp = zp;
  for (int32_t c = 0; c < n; c++) {
    g_rng = g_rng * 1664525u + 1013904223u;
    mult[c] = c % 7 == 3 ? 0x40000000 : (c % 7 == 5 ? INT32_MAX : (int32_t)(0x40000000u + (g_rng >> 2) % 0x3FFFFFFFu));
    shift[c] = shift_lo + (int32_t)((uint32_t)(c * 13 + k) % (uint32_t)(shift_hi - shift_lo + 1));
    g_rng = g_rng * 1664525u + 1013904223u;
    bias[c] = (int32_t)((int64_t)(g_rng % (2 * (uint64_t)bias_mag + 1)) - bias_mag);
  }
  p.out.channels = n, p.out.multipliers = n > 1 ? mult : NULL, p.out.shifts = n > 1 ? shift : NULL;
  p.out.multiplier = mult[0], p.out.shift = shift[0], p.out.output_zp = out_zp;
  p.out.act_min = lo, p.out.act_max = hi;
  int8_t *x = rand_i8_array((int64_t)m * k), *w = rand_i8_array((int64_t)n * k);
  int8_t *want = i8_out((int64_t)m * n), *got = i8_out((int64_t)m * n);
  void *packed = malloc(tl_conv2d_int8_opt_packed_bytes(&p, g_i8));
  tl_conv2d_int8(want, x, w, bias, &p);
  tl_conv2d_int8_opt_pack(packed, w, bias, &p, g_i8);
  tl_conv2d_int8_opt(got, x, packed, NULL, &p, g_i8);
  char what[160];
  snprintf(what, sizeof what, "pw8 m=%d k=%d n=%d zp=%d shifts [%d, %d] bias %lld out_zp=%d clamp [%d, %d]", m, k, n,
           zp, shift_lo, shift_hi, (long long)bias_mag, out_zp, lo, hi);
  const int ok = check_same_bytes(got, want, (int64_t)m * n, what);
  free(mult), free(shift), free(bias), free(x), free(w), free(want), free(got), free(packed);
  return ok;
}

TL_TEST(pointwise_int8_every_depth) {
  static const int32_t ns[] = {1, 8, 9, 15, 16, 17, 24, 40};
  static const int32_t ms[] = {1, 3, 4, 6, 16, 97, 190};
  int failures = 0, cases = 0;
  for (int32_t k = 1; k <= 70; k++)
    for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++) {
      const int v = (int)(k + j);
      const int32_t zp = v % 3 == 0 ? -128 : (v % 3 == 1 ? 127 : v % 19 - 9);
      failures += !pw8_case(ms[v % 7], k, ns[j], zp, -(int32_t)(6 + k / 10), -(int32_t)(4 + k / 10), 20000,
                            v % 5 - 2, v % 4 == 0 ? -10 : -128, 127);
      cases++;
    }
  /* every right shift 0..31 (the inline requantization), left shifts too (the reference's), the int32 ends */
  for (int32_t t = 0; t < 8; t++) {
    failures += !pw8_case(37 + t, 8 + 9 * t, 17 + t, t % 2 ? 127 : -128, -31, 0, (int64_t)1 << (8 + 3 * t), 0, -128,
                          127);
    failures += !pw8_case(21, 5 + 7 * t, 33, t % 2 ? -128 : 127, -31, 30, 1000, -3, -128, 127);
    failures += !pw8_case(19, 3 + 11 * t, 18, 7, -12, -1, INT32_MAX, 5, -128, 127); /* saturating biases */
  }
  TL_EXPECT_EQ(failures, 0);
  TL_EXPECT_EQ(cases, 70 * 8);
}

static int dw8_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t ch, int32_t k_h, int32_t k_w, int32_t stride,
                    int32_t dilation, int32_t pad, int32_t zp, int per_channel, int bias_kind) {
  tl_conv_int8_params p;
  tl_conv_params *g = &p.geom;
  int32_t *mult = (int32_t *)malloc((size_t)ch * sizeof(int32_t));
  int32_t *shift = (int32_t *)malloc((size_t)ch * sizeof(int32_t));
  memset(&p, 0, sizeof p);
  g->batch = batch, g->in_h = in_h, g->in_w = in_w, g->in_c = ch, g->out_c = ch;
  g->k_h = k_h, g->k_w = k_w, g->stride_h = stride, g->stride_w = stride;
  g->dilation_h = dilation, g->dilation_w = dilation, g->pad_top = pad, g->pad_left = pad;
  g->out_h = (in_h + 2 * pad - ((k_h - 1) * dilation + 1)) / stride + 1;
  g->out_w = (in_w + 2 * pad - ((k_w - 1) * dilation + 1)) / stride + 1;
  g->depth_multiplier = 1;
  p.input_zp = zp;
  rand_requant(&p.out, mult, shift, per_channel ? ch : 1, (int64_t)(sqrt((double)k_h * k_w) * 5000.0) + 1, zp / 4,
               zp % 2 ? zp / 4 : -128, 127); /* odd zero points: a ReLU clamp */
  const int64_t nx = (int64_t)batch * in_h * in_w * ch, n_out = (int64_t)batch * g->out_h * g->out_w * ch;
  int8_t *x = rand_i8_array(nx), *w = rand_i8_array((int64_t)k_h * k_w * ch);
  int32_t *bias = bias_kind ? rand_bias(ch, bias_kind == 2) : NULL;
  int8_t *want = i8_out(n_out), *got = i8_out(n_out);
  void *packed = malloc(tl_depthwise_conv2d_int8_opt_packed_bytes(g));
  tl_depthwise_conv2d_int8(want, x, w, bias, &p);
  tl_depthwise_conv2d_int8_opt_pack(packed, w, bias, &p);
  tl_depthwise_conv2d_int8_opt(got, x, w, packed, &p, g_i8);
  int8_t *parts = i8_out(n_out); /* again, in ranges of output rows (a thread split) */
  for (int32_t b = 0; b < batch; b++)
    for (int32_t oy = 0; oy < g->out_h; oy += 2)
      tl_depthwise_conv2d_int8_opt_rows(parts, x, w, packed, &p, g_i8, b, oy, oy + 2 < g->out_h ? oy + 2 : g->out_h);
  const int split_ok = check_same_bytes(parts, want, n_out, "dw8 by row ranges");
  free(parts);
  char what[160];
  snprintf(what, sizeof what, "dw8 b=%d %dx%dx%d k=%dx%d s=%d d=%d pad=%d zp=%d pc=%d bias=%d", batch, in_h, in_w,
           ch, k_h, k_w, stride, dilation, pad, zp, per_channel, bias_kind);
  const int ok = check_same_bytes(got, want, n_out, what) && split_ok;
  free(mult), free(shift), free(x), free(w), free(bias), free(want), free(got), free(packed);
  return ok;
}

TL_TEST(depthwise_int8_bit_exact_on_every_path) {
  int failures = 0;
  failures += !dw8_case(1, 7, 7, 16, 3, 3, 1, 1, 1, -128, 1, 1);  /* one full channel block, padded edges */
  failures += !dw8_case(2, 8, 9, 33, 3, 3, 2, 1, 1, 127, 1, 1);   /* two blocks and a 1-channel tail */
  failures += !dw8_case(1, 6, 6, 15, 3, 3, 1, 1, 0, 0, 0, 0);     /* only a tail, valid padding */
  failures += !dw8_case(1, 9, 9, 17, 5, 5, 1, 2, 4, 3, 1, 2);     /* dilation, wide padding, saturation */
  failures += !dw8_case(1, 4, 4, 64, 3, 3, 1, 1, 1, -5, 1, 1);    /* MobileNet-like */
  failures += !dw8_case(1, 3, 3, 1, 5, 5, 1, 1, 3, 9, 0, 1);      /* one channel, padding wider than input */
  failures += !dw8_case(2, 17, 15, 48, 3, 3, 1, 1, 1, -100, 1, 1); /* many outputs: every rounding case */
  failures += !dw8_case(1, 6, 10, 16, 3, 3, 1, 1, 1, 7, 0, 1);   /* 16 channels: pixel pairs, per-tensor */
  failures += !dw8_case(2, 5, 9, 16, 3, 3, 1, 1, 0, -9, 1, 2);   /* 16 channels, valid padding, odd width */
  failures += !dw8_case(1, 9, 8, 16, 3, 3, 2, 1, 1, 3, 1, 1);    /* 16 channels, stride 2 (no pairs) */
  failures += !dw8_case(2, 7, 6, 24, 3, 3, 1, 1, 1, -7, 1, 1);    /* a block of 16 and one of 8 (AVX2 tail8) */
  failures += !dw8_case(1, 8, 9, 45, 3, 3, 2, 1, 1, 9, 1, 2);     /* 32 + 8 + 5: both tails, saturation */
  failures += !dw8_case(1, 6, 7, 8, 5, 5, 1, 2, 4, -2, 0, 1);     /* 8 channels only, dilation, 25 taps */
  failures += !dw8_case(1, 10, 11, 8, 3, 3, 1, 1, 1, -3, 1, 1);  /* 8 channels: tail8 pixel pairs, odd row */
  failures += !dw8_case(2, 9, 12, 40, 3, 3, 2, 1, 1, 5, 0, 1);    /* 32 + 8, stride 2: pairs of strided pixels */
  failures += !dw8_case(1, 8, 9, 8, 3, 3, 1, 1, 0, 11, 1, 2);    /* 8 channels, valid padding, saturation */
  TL_EXPECT_EQ(failures, 0);
}

static int mp8_case(int32_t batch, int32_t in_h, int32_t in_w, int32_t ch, int32_t f, int32_t stride, int32_t pad,
                    int clamp) {
  tl_pool_int8_params p;
  memset(&p, 0, sizeof p);
  p.geom.batch = batch, p.geom.in_h = in_h, p.geom.in_w = in_w, p.geom.channels = ch;
  p.geom.filter_h = f, p.geom.filter_w = f, p.geom.stride_h = stride, p.geom.stride_w = stride;
  p.geom.pad_top = pad, p.geom.pad_left = pad;
  p.geom.out_h = (in_h + 2 * pad - f) / stride + 1;
  p.geom.out_w = (in_w + 2 * pad - f) / stride + 1;
  p.q.act_min = clamp ? -20 : -128;
  p.q.act_max = clamp ? 30 : 127;
  const int64_t n_out = (int64_t)batch * p.geom.out_h * p.geom.out_w * ch;
  int8_t *x = rand_i8_array((int64_t)batch * in_h * in_w * ch), *want = i8_out(n_out), *got = i8_out(n_out);
  tl_max_pool2d_int8(want, x, &p);
  tl_max_pool2d_int8_opt(got, x, &p, g_i8);
  char what[128];
  snprintf(what, sizeof what, "maxpool8 b=%d %dx%dx%d f=%d s=%d pad=%d clamp=%d", batch, in_h, in_w, ch, f, stride,
           pad, clamp);
  const int ok = check_same_bytes(got, want, n_out, what);
  free(x), free(want), free(got);
  return ok;
}

TL_TEST(max_pool_int8_bit_exact) {
  int failures = 0;
  failures += !mp8_case(1, 8, 8, 32, 2, 2, 0, 0);  /* one full AVX2 vector */
  failures += !mp8_case(2, 7, 9, 70, 3, 2, 1, 1);  /* vectors, a tail, clipped windows, clamp */
  failures += !mp8_case(1, 5, 5, 17, 2, 1, 0, 1);  /* a NEON vector and a tail */
  failures += !mp8_case(1, 3, 3, 33, 2, 2, 2, 0);  /* pad >= filter: empty windows keep -128 */
  failures += !mp8_case(1, 6, 6, 1, 3, 3, 0, 0);   /* one channel */
  TL_EXPECT_EQ(failures, 0);
}

/* Softmax: the table path (rows with more terms than distinct values) and the direct one, over beta * scale
 * multipliers from tiny (most terms below diff_min) to saturated, as prepare computes them. */
static int sm8_case(int64_t outer, int32_t depth, double beta_scale, int spread) {
  tl_softmax_int8_params p;
  int32_t m = 0, s = 0;
  double real = beta_scale * 67108864.0;
  memset(&p, 0, sizeof p);
  if (real > 2147483647.0) real = 2147483647.0;
  TL_EXPECT_TRUE(tl_quantize_multiplier(real, &m, &s));
  s = s < -31 ? -31 : (s > 31 ? 31 : s);
  p.outer = outer, p.depth = depth, p.input_multiplier = m, p.input_shift = s;
  p.diff_min = -tl_input_radius(5, s);
  const int64_t n = outer * depth;
  int8_t *x = rand_i8_array(n), *want = i8_out(n), *got = i8_out(n);
  for (int64_t i = 0; i < n; i++) x[i] = (int8_t)(x[i] / spread); /* spread > 1: fewer distinct values */
  void *table = malloc(tl_softmax_int8_opt_bytes());
  tl_softmax_int8(want, x, &p);
  tl_softmax_int8_opt_prepare(table, &p);
  tl_softmax_int8_opt(got, x, table, &p);
  char what[120];
  snprintf(what, sizeof what, "softmax8 %lldx%d beta*scale=%g spread=%d", (long long)outer, depth, beta_scale, spread);
  const int ok = check_same_bytes(got, want, n, what);
  free(x), free(want), free(got), free(table);
  return ok;
}

TL_TEST(softmax_int8_bit_exact) {
  static const double scales[] = {1e-4, 0.01, 0.05, 0.1, 0.25, 1.0, 3.0, 1e3};
  static const int32_t depths[] = {1, 2, 10, 255, 256, 1000, 4095};
  int failures = 0;
  for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++)
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++)
      failures += !sm8_case(depths[d] > 300 ? 2 : 5, depths[d], scales[i], (int)(i + d) % 3 == 0 ? 16 : 1);
  TL_EXPECT_EQ(failures, 0);
}

TL_TEST(int8_levels_resolve) {
  tl_cpu_features none, all;
  memset(&none, 0, sizeof none);
  memset(&all, 1, sizeof all);
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_AVX512, &none), TL_I8_PORTABLE);
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_AVX512, &all), TL_I8_VNNI);
  all.avx512vnni = 0;
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_AVX512, &all), TL_I8_AVX2);
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_AVX2, &all), TL_I8_AVX2);
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_PORTABLE, &all), TL_I8_PORTABLE);
#if defined(__aarch64__)
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_NEON, &all), TL_I8_SDOT);
#endif
  all.dotprod = 0;
  TL_EXPECT_EQ(tl_i8_level_for(TL_ISA_NEON, &all), TL_I8_NEON);
  TL_EXPECT_EQ(tl_i8_level_supported(TL_I8_PORTABLE, &none), 1);
  TL_EXPECT_EQ(tl_i8_level_supported(TL_I8_VNNI, &none), 0);
}

/* The kernel sets: every level maps to its own set where this build has code for it, else to the portable one
 * (whose packing the pack and run entry points then both use); the float sets agree with tl_gemm_nr. */
TL_TEST(kernel_sets_chosen_once) {
  for (int l = 0; l < TL_I8_LEVEL_COUNT; l++) {
    const tl_i8_kernels *ks = tl_i8_kernels_for((tl_i8_level)l);
    TL_EXPECT_EQ(tl_i8_kernels_level(ks) == (tl_i8_level)l || tl_i8_kernels_level(ks) == TL_I8_PORTABLE, 1);
    TL_EXPECT_EQ(tl_i8_kernels_for((tl_i8_level)l) == ks, 1);
  }
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for((tl_i8_level)99)), TL_I8_PORTABLE);
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for(TL_I8_AVX2)), TL_I8_AVX2);
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for(TL_I8_VNNI)), TL_I8_VNNI);
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for(TL_I8_NEON)), TL_I8_PORTABLE);
#endif
#if defined(__aarch64__)
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for(TL_I8_SDOT)), TL_I8_SDOT);
#endif
#if defined(__ARM_NEON)
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for(TL_I8_NEON)), TL_I8_NEON);
  TL_EXPECT_EQ(tl_i8_kernels_level(tl_i8_kernels_for(TL_I8_AVX2)), TL_I8_PORTABLE);
#endif
  for (int i = TL_ISA_REFERENCE; i <= TL_ISA_AUTO; i++) {
    const tl_f32_kernels *fk = tl_f32_kernels_for((tl_isa)i);
    TL_EXPECT_EQ(fk->nr, tl_gemm_nr((tl_isa)i));
    TL_EXPECT_EQ(fk->isa == (tl_isa)i || fk->isa == TL_ISA_PORTABLE, 1);
    TL_EXPECT_EQ(fk->conv_tile != NULL, i == TL_ISA_AVX2 || i == TL_ISA_AVX512);
  }
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  printf("features: avx2_fma=%d avx512f=%d avx512vnni=%d neon=%d dotprod=%d\n", f.avx2_fma, f.avx512f,
         f.avx512vnni, f.neon, f.dotprod);
  printf("best level: %s\n", tl_isa_name(tl_isa_resolve(TL_ISA_AUTO, &f)));
  TL_RUN(isa_resolution_and_names);
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    printf("level %s\n", tl_isa_name(g_isa));
    TL_RUN(packing_is_zero_padded_with_bias_row);
    TL_RUN(fc_matches_reference_on_every_remainder);
    TL_RUN(fc_propagates_nan_like_reference);
    TL_RUN(conv_matches_reference_on_every_path);
    TL_RUN(depthwise_matches_reference_on_every_path);
    TL_RUN(max_pool_matches_reference_bit_exactly);
  }
  TL_RUN(int8_levels_resolve);
  TL_RUN(kernel_sets_chosen_once);
  for (int i = 0; i < TL_I8_LEVEL_COUNT; i++) {
    if (!tl_i8_level_supported((tl_i8_level)i, &f)) continue;
    g_i8 = (tl_i8_level)i;
    printf("int8 level %s\n", tl_i8_level_name(g_i8));
    TL_RUN(fc_int8_bit_exact_on_every_remainder);
    TL_RUN(fc_int8_one_row_every_width);
    TL_RUN(conv_int8_bit_exact_on_every_path);
    TL_RUN(conv_int8_few_values_per_kernel_row);
    TL_RUN(pointwise_int8_every_depth);
    TL_RUN(depthwise_int8_bit_exact_on_every_path);
    TL_RUN(max_pool_int8_bit_exact);
    TL_RUN(softmax_int8_bit_exact);
    TL_RUN(requant_int8_every_shift);
  }
  return tl_test_summary();
}
