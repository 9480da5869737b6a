/* test_opt_fma_order.c: the AVX2 level's float32 3x3 DepthwiseConv2D (depthwise_body.h, with the narrow-image
 * kernel of depthwise_narrow_body.h) and its Conv2D on few input channels (conv_opt.c: the indirect path, its
 * zero-padded copy of thin images, the row walk of conv_rows_opt.c) against a scalar oracle of the arithmetic
 * their comments promise, bit for bit:
 * - depthwise: each output is the bias, then one fmaf per tap inside the input in tap order (the taps in the
 *   padding skipped), clamped (max with the low bound, then min with the high one, a NaN passing through);
 *   channels past the last full vector of 8 take the same order in plain multiply-adds (or fused ones, where
 *   the compiler contracts them: both are accepted there);
 * - convolution: the bias, then one fmaf per k = (ky, kx, ci) in the weights' order, a tap in the padding
 *   adding fmaf(0, w, acc), clamped; except where the GEMM's one-row tile takes a last position (out_h *
 *   out_w % 6 == 1 on convolutions off the direct path: four partial chains), checked within 1e-5 instead.
 * Shapes: widths 1..9 and heights 1..7 (every narrow-image width, and the wider ones of the row kernel),
 * channels 1..70, strides 1 and 2, SAME and VALID, the three clamps, with and without bias, batches 1 and 2,
 * NaN inputs; convolutions with 1..4 input channels, kernels 10x4, 3x3, 5x5 and 1x3, output channels 1..70,
 * images that fit the padded copy and that do not. Also checked: the threads' row blocks (depthwise:
 * pad_top shifted; convolution: tl_conv2d_f32_opt_part) give the bytes of one call, nothing is written past
 * the output. Prints "avx2: N cases" or "avx2: not on this CPU" (then nothing is checked here: the other
 * levels are swept against the reference by test_opt_depthwise and test_opt_conv_rows).
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

typedef struct shape {
  int32_t batch, in_h, in_w, in_c, out_c, k_h, k_w, stride, same, bias, act, nan;
} shape;

/* SAME (TensorFlow's split) or VALID; 0 when a VALID window does not fit. out_c: Conv2D's (depthwise: in_c). */
static int geometry(tl_conv_params *p, const shape *s, int depthwise) {
  memset(p, 0, sizeof *p);
  p->batch = s->batch, p->in_h = s->in_h, p->in_w = s->in_w, p->in_c = s->in_c;
  p->out_c = depthwise ? s->in_c : s->out_c;
  p->k_h = s->k_h, p->k_w = s->k_w, p->stride_h = s->stride, p->stride_w = s->stride;
  p->dilation_h = 1, p->dilation_w = 1, p->depth_multiplier = 1;
  p->act = k_acts[s->act];
  if (s->same) {
    p->out_h = (s->in_h + s->stride - 1) / s->stride;
    p->out_w = (s->in_w + s->stride - 1) / s->stride;
    const int32_t ph = (p->out_h - 1) * s->stride + s->k_h - s->in_h;
    const int32_t pw = (p->out_w - 1) * s->stride + s->k_w - s->in_w;
    p->pad_top = ph > 0 ? ph / 2 : 0;
    p->pad_left = pw > 0 ? pw / 2 : 0;
    return 1;
  }
  if (s->in_h < s->k_h || s->in_w < s->k_w) return 0;
  p->out_h = (s->in_h - s->k_h) / s->stride + 1;
  p->out_w = (s->in_w - s->k_w) / s->stride + 1;
  return 1;
}

static float clamp(float v, tl_act_f32 act) {
  if (v != v) return v;
  v = act.min > v ? act.min : v;
  return v > act.max ? act.max : v;
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (a != a && b != b); }

static int check_guard(const float *a, int64_t n) {
  for (int64_t i = n; i < n + TL_TEST_GUARD; i++) {
    if (a[i] != -12345.0f) return 0;
  }
  return 1;
}

static void fill_nan(float *x, int64_t n, int nan) {
  for (int64_t i = 3; nan && i < n; i += 37) x[i] = NAN;
}

/* One depthwise case; returns 1 when every output has the oracle's bits and the split gives one call's. */
static int dw_case(const shape *s) {
  tl_conv_params p;
  if (!geometry(&p, s, 1)) return 1;
  const int64_t ch = p.in_c, vec_end = ch / 8 * 8;
  const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * ch, nw = 9 * ch;
  const int64_t n_out = (int64_t)p.batch * p.out_h * p.out_w * ch;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = rand_array(ch);
  float *got = out_array(n_out), *split = out_array(n_out);
  float *packed = (float *)malloc(tl_depthwise_conv2d_f32_opt_packed_floats(&p) * sizeof(float));
  int64_t bad = 0;
  fill_nan(x, nx, s->nan);
  tl_depthwise_conv2d_f32_opt_pack(packed, s->bias ? bias : NULL, &p);
  tl_depthwise_conv2d_f32_opt(got, x, w, packed, &p, TL_ISA_AVX2);
  const int32_t block = 1 + (int32_t)(ch + p.in_w) % 3; /* the threads' row blocks */
  for (int32_t b = 0; b < p.batch; b++) {
    for (int32_t oy0 = 0; oy0 < p.out_h; oy0 += block) {
      tl_conv_params part = p;
      part.batch = 1;
      part.out_h = p.out_h - oy0 < block ? p.out_h - oy0 : block;
      part.pad_top = p.pad_top - oy0 * p.stride_h;
      tl_depthwise_conv2d_f32_opt(split + ((int64_t)b * p.out_h + oy0) * p.out_w * ch,
                                  x + (int64_t)b * p.in_h * p.in_w * ch, w, packed, &part, TL_ISA_AVX2);
    }
  }
  for (int32_t b = 0; b < p.batch; b++)
    for (int32_t oy = 0; oy < p.out_h; oy++)
      for (int32_t ox = 0; ox < p.out_w; ox++)
        for (int64_t c = 0; c < ch; c++) {
          float fused = s->bias ? bias[c] : 0.0f, plain = fused;
          for (int32_t ky = 0; ky < 3; ky++)
            for (int32_t kx = 0; kx < 3; kx++) {
              const int64_t iy = (int64_t)oy * p.stride_h - p.pad_top + ky;
              const int64_t ix = (int64_t)ox * p.stride_w - p.pad_left + kx;
              if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
              const float xv = x[(((int64_t)b * p.in_h + iy) * p.in_w + ix) * ch + c], wv = w[(3 * ky + kx) * ch + c];
              fused = fmaf(xv, wv, fused);
              plain = plain + xv * wv;
            }
          const int64_t i = (((int64_t)b * p.out_h + oy) * p.out_w + ox) * ch + c;
          const int ok =
              same_bits(got[i], clamp(fused, p.act)) || (c >= vec_end && same_bits(got[i], clamp(plain, p.act)));
          if (!ok && bad++ < 3) {
            printf("  element %lld: got %.9g want %.9g\n", (long long)i, (double)got[i], (double)clamp(fused, p.act));
          }
        }
  const int split_same = memcmp(got, split, (size_t)n_out * sizeof(float)) == 0;
  const int guard = check_guard(got, n_out) && check_guard(split, n_out);
  if (bad || !split_same || !guard) {
    printf("  depthwise b=%d %dx%dx%d s=%d %s bias=%d act=%d nan=%d: %lld differ%s%s\n", s->batch, s->in_h, s->in_w,
           s->in_c, s->stride, s->same ? "SAME" : "VALID", s->bias, s->act, s->nan, (long long)bad,
           split_same ? "" : "; the row-block split differs", guard ? "" : "; wrote past the output");
  }
  free(x), free(w), free(bias), free(got), free(split), free(packed);
  return bad == 0 && split_same && guard;
}

/* One few-input-channel convolution case, likewise. */
static int conv_case(const shape *s) {
  tl_conv_params p;
  if (!geometry(&p, s, 0)) return 1;
  const int64_t positions = (int64_t)p.out_h * p.out_w, k = (int64_t)p.k_h * p.k_w * p.in_c;
  const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * p.in_c, nw = p.out_c * k;
  const int64_t n_out = p.batch * positions * p.out_c;
  float *x = rand_array(nx), *w = rand_array(nw), *bias = rand_array(p.out_c);
  float *got = out_array(n_out), *parts = out_array(n_out);
  float *packed = (float *)malloc(tl_conv2d_f32_opt_packed_floats(&p, TL_ISA_AVX2) * sizeof(float));
  /* the smallest scratch the op plans (its block of positions), as at one thread */
  const size_t scratch_floats = tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_MIN_BLOCK_ROWS);
  float *scratch = (float *)malloc((scratch_floats > 0 ? scratch_floats : 1) * sizeof(float));
  const int one_row_tail = positions % 6 == 1 && !tl_conv2d_f32_opt_is_direct(&p, TL_ISA_AVX2);
  int64_t bad = 0;
  fill_nan(x, nx, s->nan);
  tl_conv2d_f32_opt_pack(packed, w, s->bias ? bias : NULL, &p, TL_ISA_AVX2);
  tl_conv2d_f32_opt(got, x, packed, scratch, scratch_floats, &p, TL_ISA_AVX2);
  const int64_t block = tl_conv2d_f32_opt_block_rows(&p, scratch_floats);
  for (int32_t b = 0; b < p.batch; b++) { /* the threads' parts: the op's blocks, one panel of 16 at a time */
    for (int64_t r = 0; r < positions; r += block)
      for (int32_t panel = 0; panel * 16 < p.out_c; panel++) {
        const int64_t rows = positions - r < block ? positions - r : block;
        tl_conv2d_f32_opt_part(parts, x, packed, scratch, &p, TL_ISA_AVX2, b, r, rows, panel, panel + 1);
      }
  }
  for (int32_t b = 0; b < p.batch; b++)
    for (int64_t pos = 0; pos < positions; pos++)
      for (int32_t oc = 0; oc < p.out_c; oc++) {
        const int32_t oy = (int32_t)(pos / p.out_w), ox = (int32_t)(pos % p.out_w);
        float acc = s->bias ? bias[oc] : 0.0f;
        double ref = acc, mag = fabsf(acc);
        for (int32_t ky = 0; ky < p.k_h; ky++)
          for (int32_t kx = 0; kx < p.k_w; kx++)
            for (int32_t ci = 0; ci < p.in_c; ci++) {
              const int64_t iy = (int64_t)oy * p.stride_h - p.pad_top + ky;
              const int64_t ix = (int64_t)ox * p.stride_w - p.pad_left + kx;
              const int in = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
              const float xv = in ? x[(((int64_t)b * p.in_h + iy) * p.in_w + ix) * p.in_c + ci] : 0.0f;
              const float wv = w[((int64_t)oc * p.k_h * p.k_w + (int64_t)ky * p.k_w + kx) * p.in_c + ci];
              acc = fmaf(xv, wv, acc);
              ref += (double)xv * wv;
              mag += fabs((double)xv * wv);
            }
        const int64_t i = ((int64_t)b * positions + pos) * p.out_c + oc;
        const float want = clamp(acc, p.act);
        int ok = same_bits(got[i], want);
        if (!ok && one_row_tail && pos == positions - 1) { /* the GEMM's one-row tile: another order */
          const float r = clamp((float)ref, p.act);
          ok = (r != r && got[i] != got[i]) || fabs((double)got[i] - r) <= 1e-5 * mag + 1e-30;
        }
        if (!ok && bad++ < 3) {
          printf("  element %lld: got %.9g want %.9g\n", (long long)i, (double)got[i], (double)want);
        }
      }
  const int parts_same = memcmp(got, parts, (size_t)n_out * sizeof(float)) == 0;
  const int guard = check_guard(got, n_out) && check_guard(parts, n_out);
  if (bad || !parts_same || !guard) {
    printf("  conv b=%d %dx%dx%d -> %d k=%dx%d s=%d %s bias=%d act=%d nan=%d: %lld differ%s%s\n", s->batch, s->in_h,
           s->in_w, s->in_c, s->out_c, s->k_h, s->k_w, s->stride, s->same ? "SAME" : "VALID", s->bias, s->act, s->nan,
           (long long)bad, parts_same ? "" : "; the threads' parts differ", guard ? "" : "; wrote past the output");
  }
  free(x), free(w), free(bias), free(got), free(parts), free(packed), free(scratch);
  return bad == 0 && parts_same && guard;
}

static int g_cases = 0;

/* 3x3 depthwise: widths 1..9 at every height 1..7 and channel count 1..70 in turn, strides 1 and 2. */
TL_TEST(depthwise_3x3_fma_order) {
  int failed = 0;
  for (int32_t c = 1; c <= 70; c++)
    for (int32_t in_w = 1; in_w <= 9; in_w++)
      for (int32_t stride = 1; stride <= 2; stride++) {
        const int32_t v = c + in_w + stride;
        const shape s = {1 + (v % 7 == 0), 1 + v % 7, in_w, c, c, 3, 3, stride, (v / 2) % 4 != 0, v % 3 != 0,
                         v % 3, v % 11 == 0};
        failed += !dw_case(&s);
        g_cases++;
      }
  /* DS-CNN's layer, MobileNet's narrow ones */
  static const shape layers[] = {{1, 25, 5, 64, 64, 3, 3, 1, 1, 1, 1, 0}, {1, 4, 4, 512, 512, 3, 3, 1, 1, 1, 2, 0},
                                 {2, 8, 8, 40, 40, 3, 3, 1, 1, 0, 1, 1}, {1, 6, 6, 24, 24, 3, 3, 1, 0, 1, 0, 0}};
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) failed += !dw_case(&layers[i]), g_cases++;
  TL_EXPECT_EQ(failed, 0);
}

/* Convolutions on 1..4 input channels: DS-CNN's first (49x10x1, 10x4 stride 2 SAME) and its neighbours. */
TL_TEST(conv_few_channels_fma_order) {
  static const int32_t kernels[][2] = {{10, 4}, {3, 3}, {5, 5}, {1, 3}};
  int failed = 0;
  for (int32_t oc = 1; oc <= 70; oc += 3)
    for (size_t ki = 0; ki < sizeof kernels / sizeof kernels[0]; ki++)
      for (int32_t stride = 1; stride <= 2; stride++) {
        const int32_t v = oc + (int32_t)ki + stride;
        const int32_t in_h = kernels[ki][0] + v % 9 + (v % 5 == 0 ? 30 : 0), in_w = 1 + v % 10;
        const shape s = {1 + (v % 6 == 0), in_h, in_w, 1 + v % 4, oc, kernels[ki][0], kernels[ki][1], stride,
                         v % 4 != 0, v % 3 != 0, v % 3, v % 13 == 0};
        failed += !conv_case(&s);
        g_cases++;
      }
  static const shape layers[] = {{1, 49, 10, 1, 64, 10, 4, 2, 1, 1, 1, 0}, {2, 49, 10, 1, 64, 10, 4, 2, 1, 1, 0, 1},
                                 {1, 49, 10, 1, 64, 10, 4, 1, 1, 1, 2, 0}, {1, 20, 9, 3, 16, 3, 3, 2, 1, 1, 1, 0},
                                 {1, 40, 40, 3, 16, 3, 3, 2, 1, 1, 1, 0}, {1, 12, 7, 2, 33, 5, 5, 1, 1, 0, 0, 0}};
  for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) failed += !conv_case(&layers[i]), g_cases++;
  TL_EXPECT_EQ(failed, 0);
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  if (!tl_isa_supported(TL_ISA_AVX2, &f)) {
    printf("avx2: not on this CPU\n");
    return tl_test_summary();
  }
  TL_RUN(depthwise_3x3_fma_order);
  TL_RUN(conv_few_channels_fma_order);
  printf("avx2: %d cases\n", g_cases);
  return tl_test_summary();
}
