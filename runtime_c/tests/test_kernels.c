/* test_kernels.c: unit tests of the float32 reference kernels (src/kernels/).
 *
 * What this is: one test per kernel family with small cases whose expected values are written inline,
 * computed by hand or by the numpy lines kept in the comments (the helpers they use are at the bottom of
 * this comment), followed by larger seeded-random cases that compare each kernel with a second, naive
 * implementation written here with a different loop order (scatter instead of gather, flat index
 * unravelling instead of odometers, double accumulators) to catch indexing bugs.
 * What this is not: a test of prepare (shape inference, SAME/VALID resolution): the params structs here are
 * filled by hand, exactly as prepare would.
 *
 * numpy helpers used by the comments (f32 = np.float32):
 *   def conv(x, w, b, s, d, pt, pb, pl, pr):  # x NHWC, w OHWI; explicit zero padding, strided slices
 *       xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0))); O, KH, KW, _ = w.shape
 *       oh = (xp.shape[1] - (KH - 1) * d[0] - 1) // s[0] + 1; ow = (xp.shape[2] - (KW - 1) * d[1] - 1) // s[1] + 1
 *       y = sum(xp[:, ky*d[0]: ky*d[0] + (oh-1)*s[0] + 1: s[0], kx*d[1]: kx*d[1] + (ow-1)*s[1] + 1: s[1], :]
 *               @ w[:, ky, kx, :].T for ky in range(KH) for kx in range(KW))
 *       return y + (0 if b is None else b)
 *   def dw(x, w, b, dm, s, d, pt, pb, pl, pr):  # as a conv whose weights are zero off the channel diagonal
 *       C = x.shape[3]; wc = np.zeros((C * dm, w.shape[1], w.shape[2], C), f32)
 *       for oc in range(C * dm): wc[oc, :, :, oc // dm] = w[0, :, :, oc]
 *       return conv(x, wc, b, s, d, pt, pb, pl, pr)
 *   def pool(x, k, s, pt, pb, pl, pr, kind):  # NaN padding marks positions outside the input
 *       xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=np.nan)
 *       oh = (xp.shape[1] - k[0]) // s[0] + 1; ow = (xp.shape[2] - k[1]) // s[1] + 1
 *       f = np.nanmax if kind == "max" else np.nanmean
 *       return np.array([[f(xp[:, i*s[0]: i*s[0] + k[0], j*s[1]: j*s[1] + k[1], :], axis=(1, 2))
 *                         for j in range(ow)] for i in range(oh)]).transpose(2, 0, 1, 3)
 *   def sm(x, beta=1.0):  # in float64
 *       z = beta * x.astype(np.float64); e = np.exp(z - z.max(-1, keepdims=True)); return e / e.sum(-1, keepdims=True)
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "tl_test.h"

#define COUNT(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

static tl_act_f32 act_none(void) {
  tl_act_f32 a = {-INFINITY, INFINITY};
  return a;
}

static tl_act_f32 act_range(float lo, float hi) {
  tl_act_f32 a = {lo, hi};
  return a;
}

static void expect_bytes_eq_(const void *got, const void *want, size_t n, const char *what, int line) {
  const unsigned char *g = (const unsigned char *)got, *w = (const unsigned char *)want;
  for (size_t i = 0; i < n; i++) {
    if (g[i] != w[i]) {
      TL_FAIL_("line %d: %s: byte %lu is 0x%02x, want 0x%02x", line, what, (unsigned long)i, g[i], w[i]);
      return;
    }
  }
}
#define EXPECT_BYTES_EQ(got, want, n) expect_bytes_eq_((got), (want), (size_t)(n), #got, __LINE__)

/* ---------------------------------------------------------------------------------------------------- */
/* FullyConnected                                                                                        */

TL_TEST(test_fc) {
  /* y = x @ w.T + b: x [2, 3], w [2, 3] */
  const float x[] = {1, 2, 3, -1, 0.5f, 2};
  const float w[] = {1, 0, -1, 2, 1, 0.25f};
  const float bias[] = {0.5f, -1};
  float y[4];
  tl_fc_params p = {2, 3, 2, act_none()};
  tl_fc_f32(y, x, w, bias, &p);
  const float want[] = {1 - 3 + 0.5f, 2 + 2 + 0.75f - 1, -1 - 2 + 0.5f, -2 + 0.5f + 0.5f - 1};
  TL_EXPECT_ARRAY_NEAR(y, want, 4, 1e-6);

  /* No bias, relu clamp [0, inf). */
  p.act = act_range(0.0f, INFINITY);
  tl_fc_f32(y, x, w, NULL, &p);
  const float want_relu[] = {0, 4.75f, 0, 0};
  TL_EXPECT_ARRAY_NEAR(y, want_relu, 4, 1e-6);

  /* in_depth 1, out_depth 1, batch 3: a scale and shift, clamped to [-1, 1]. */
  const float x1[] = {0.25f, 4, -9};
  const float w1[] = {2};
  const float b1[] = {0.25f};
  float y1[3];
  tl_fc_params p1 = {3, 1, 1, act_range(-1.0f, 1.0f)};
  tl_fc_f32(y1, x1, w1, b1, &p1);
  const float want1[] = {0.75f, 1, -1};
  TL_EXPECT_ARRAY_NEAR(y1, want1, 3, 0);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Conv2D                                                                                                */

static tl_conv_params conv_params(int32_t batch, int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h,
                                  int32_t out_w, int32_t out_c, int32_t k_h, int32_t k_w, int32_t stride,
                                  int32_t dilation, int32_t pad_top, int32_t pad_left) {
  tl_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = batch;
  p.in_h = in_h;
  p.in_w = in_w;
  p.in_c = in_c;
  p.out_h = out_h;
  p.out_w = out_w;
  p.out_c = out_c;
  p.k_h = k_h;
  p.k_w = k_w;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = dilation;
  p.pad_top = pad_top;
  p.pad_left = pad_left;
  p.depth_multiplier = 1;
  p.act = act_none();
  return p;
}

static void iota(float *x, int64_t n, float start) {
  for (int64_t i = 0; i < n; i++) x[i] = start + (float)i;
}

TL_TEST(test_conv2d) {
  float x[50], y[32];

  /* 1x1 kernel, bias: x = np.arange(1, 9).reshape(1, 2, 2, 2); w = [1, 0, 0, 1, 1, -1] as [3, 1, 1, 2]
   * conv(x, w, [0.5, 0, 10], (1, 1), (1, 1), 0, 0, 0, 0) */
  {
    const float w[] = {1, 0, 0, 1, 1, -1};
    const float bias[] = {0.5f, 0, 10};
    const float want[] = {1.5f, 2, 9, 3.5f, 4, 9, 5.5f, 6, 9, 7.5f, 8, 9};
    tl_conv_params p = conv_params(1, 2, 2, 2, 2, 2, 3, 1, 1, 1, 1, 0, 0);
    iota(x, 8, 1);
    tl_conv2d_f32(y, x, w, bias, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 12, 0);
  }
  /* 3x3 of ones, SAME, stride 1 on 3x3 (pad 1 all round): neighbourhood sums of 1..9. */
  {
    float w[9];
    for (int i = 0; i < 9; i++) w[i] = 1;
    const float want[] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    tl_conv_params p = conv_params(1, 3, 3, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1);
    iota(x, 9, 1);
    tl_conv2d_f32(y, x, w, NULL, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 9, 0);
  }
  /* 4x4 kernel, stride 2, SAME on odd 5x5: out 3x3, pad total 3 -> top/left 1, bottom/right 2 (asymmetric).
   * conv(np.arange(1, 26).reshape(1, 5, 5, 1), np.arange(1, 17).reshape(1, 4, 4, 1), None, (2, 2), (1, 1),
   *      1, 2, 1, 2) */
  {
    float w[16];
    const float want[] = {819, 1246, 623, 1874, 2596, 1222, 619, 806, 329};
    tl_conv_params p = conv_params(1, 5, 5, 1, 3, 3, 1, 4, 4, 2, 1, 1, 1);
    iota(x, 25, 1);
    iota(w, 16, 1);
    tl_conv2d_f32(y, x, w, NULL, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 9, 0);
  }
  /* Dilation 2, 2x2 kernel, VALID on 5x5, 2 -> 2 channels, bias:
   * x = np.arange(50).reshape(1, 5, 5, 2) % 7 - 3; w = [1, 2, -1, 0, 0, 1, 3, -2, 1, 1, 1, 1, -1, 0, 2, 1]
   * as [2, 2, 2, 2]; conv(x, w, [1, -1], (1, 1), (2, 2), 0, 0, 0, 0) */
  {
    const float w[] = {1, 2, -1, 0, 0, 1, 3, -2, 1, 1, 1, 1, -1, 0, 2, 1};
    const float bias[] = {1, -1};
    const float want[] = {-12, -5, -4, 7, 4, -9, 21, -1, 8, -3, -12, -5, -2, -4, -8, 8, 21, -1};
    tl_conv_params p = conv_params(1, 5, 5, 2, 3, 3, 2, 2, 2, 1, 2, 0, 0);
    for (int i = 0; i < 50; i++) x[i] = (float)(i % 7 - 3);
    tl_conv2d_f32(y, x, w, bias, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 18, 0);

    /* Same with a relu6 clamp. */
    float want6[18];
    for (int i = 0; i < 18; i++) want6[i] = want[i] < 0 ? 0 : (want[i] > 6 ? 6 : want[i]);
    p.act = act_range(0, 6);
    tl_conv2d_f32(y, x, w, bias, &p);
    TL_EXPECT_ARRAY_NEAR(y, want6, 18, 0);
  }
  /* Batch 2 of 1x1 pixels through a 3x3 SAME kernel: only the centre tap reads the input. */
  {
    const float w[] = {9, 9, 9, 9, 2, 9, 9, 9, 9};
    const float xb[] = {3, -4};
    const float want[] = {6, -8};
    tl_conv_params p = conv_params(2, 1, 1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1);
    tl_conv2d_f32(y, xb, w, NULL, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 2, 0);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* DepthwiseConv2D                                                                                       */

TL_TEST(test_depthwise_conv2d) {
  float x[25], y[36];
  /* Depth multiplier 2, 2x2 kernel, SAME stride 1 on 3x3x2 (pad only bottom/right), bias:
   * x = np.arange(18).reshape(1, 3, 3, 2) - 5; w = [1, 0, 2, -1, 0, 1, 1, 1, 1, 2, 0, 0, -1, 1, 1, 3] as
   * [1, 2, 2, 4]; dw(x, w, [0, 1, 2, 3], 2, (1, 1), (1, 1), 0, 1, 0, 1) */
  {
    const float w[] = {1, 0, 2, -1, 0, 1, 1, 1, 1, 2, 0, 0, -1, 1, 1, 3};
    const float bias[] = {0, 1, 2, 3};
    const float want[] = {-7, 3, -4, 17, -5, 11, 4, 23, 4, 11, 2, 3, -1, 27, 20, 35, 1, 35,
                          28, 41, 16, 23, 14, -3, 7, 10, 28, 5, 9, 12, 34, 5, 11, 1, 26, -9};
    tl_conv_params p = conv_params(1, 3, 3, 2, 3, 3, 4, 2, 2, 1, 1, 0, 0);
    p.depth_multiplier = 2;
    iota(x, 18, -5);
    tl_depthwise_conv2d_f32(y, x, w, bias, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 36, 0);

    /* Clamped to [-2, 20]. */
    float want_c[36];
    for (int i = 0; i < 36; i++) want_c[i] = want[i] < -2 ? -2 : (want[i] > 20 ? 20 : want[i]);
    p.act = act_range(-2, 20);
    tl_depthwise_conv2d_f32(y, x, w, bias, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_c, 36, 0);
  }
  /* Stride 2 and dilation 2 with a 3x3 kernel, SAME on 5x5 (effective kernel 5, pad 2 all round):
   * dw(np.arange(1, 26).reshape(1, 5, 5, 1), [1, 0, -1, 2, 1, 0, 0, 1, 1] as [1, 3, 3, 1], None, 1,
   *    (2, 2), (2, 2), 2, 2, 2, 2) */
  {
    const float w[] = {1, 0, -1, 2, 1, 0, 0, 1, 1};
    const float want[] = {25, 33, 26, 52, 79, 69, 8, 61, 84};
    tl_conv_params p = conv_params(1, 5, 5, 1, 3, 3, 1, 3, 3, 2, 2, 2, 2);
    iota(x, 25, 1);
    tl_depthwise_conv2d_f32(y, x, w, NULL, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 9, 0);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* MaxPool2D, AveragePool2D                                                                              */

static tl_pool_params pool_params(int32_t in_h, int32_t in_w, int32_t ch, int32_t out_h, int32_t out_w,
                                  int32_t f, int32_t stride, int32_t pad_top, int32_t pad_left) {
  tl_pool_params p;
  memset(&p, 0, sizeof p);
  p.batch = 1;
  p.in_h = in_h;
  p.in_w = in_w;
  p.channels = ch;
  p.out_h = out_h;
  p.out_w = out_w;
  p.filter_h = p.filter_w = f;
  p.stride_h = p.stride_w = stride;
  p.pad_top = pad_top;
  p.pad_left = pad_left;
  p.act = act_none();
  return p;
}

TL_TEST(test_pool) {
  float y[18];
  /* 2x2 stride 2 VALID on 4x4. */
  {
    const float x[] = {1, 5, 2, 0, -3, 4, 8, 7, 6, -1, 9, 3, 2, 2, -5, 10};
    const float want_max[] = {5, 8, 6, 10};
    const float want_avg[] = {1.75f, 4.25f, 2.25f, 4.25f};
    tl_pool_params p = pool_params(4, 4, 1, 2, 2, 2, 2, 0, 0);
    tl_max_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_max, 4, 0);
    tl_average_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_avg, 4, 0);
  }
  /* 3x3 stride 2 SAME on 5x5x2 (pad 1 all round): corner windows cover 4 inputs, edges 6, the centre 9.
   * x = (np.arange(50).reshape(1, 5, 5, 2) * 3) % 11; pool(x, (3, 3), (2, 2), 1, 1, 1, 1, kind) */
  {
    float x[50];
    for (int i = 0; i < 50; i++) x[i] = (float)((i * 3) % 11);
    const float want_avg[] = {4.25f,      4.5f,       5,          6.1666665f, 5.75f,      6,
                              4.3333335f, 3.6666667f, 4.7777777f, 4.1111112f, 5.8333335f, 5.1666665f,
                              6.25f,      3.75f,      5.1666665f, 4.5f,       5,          5.25f};
    const float want_max[] = {8, 9, 9, 10, 10, 10, 8, 8, 9, 9, 10, 10, 10, 8, 9, 9, 9, 9};
    tl_pool_params p = pool_params(5, 5, 2, 3, 3, 3, 2, 1, 1);
    tl_average_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_avg, 18, 1e-6);
    tl_max_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_max, 18, 0);
  }
  /* 2x2 stride 1 SAME on 3x3 (pad only bottom/right): the last row/column windows are clipped, then the
   * results are clamped to [0, 6]. pool(x, (2, 2), (1, 1), 0, 1, 0, 1, kind), before the clamp:
   * avg {-2.25, 1.5, 6, 1.25, 0, 0.5, 6, 2.5, -2}, max {2, 9, 9, 7, 7, 3, 7, 7, -2} */
  {
    const float x[] = {-4, 2, 9, 1, -8, 3, 5, 7, -2};
    const float want_avg[] = {0, 1.5f, 6, 1.25f, 0, 0.5f, 6, 2.5f, 0};
    const float want_max[] = {2, 6, 6, 6, 6, 3, 6, 6, 0};
    tl_pool_params p = pool_params(3, 3, 1, 3, 3, 2, 1, 0, 0);
    p.act = act_range(0, 6);
    tl_average_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_avg, 9, 0);
    tl_max_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_max, 9, 0);
  }
  /* Max ignores the padding even when every input is negative (padding is not a zero). */
  {
    const float x[] = {-5, -6, -7, -8};
    const float want[] = {-5, -6, -7, -8};
    tl_pool_params p = pool_params(2, 2, 1, 2, 2, 3, 1, 1, 1);
    tl_max_pool2d_f32(y, x, &p);
    const float want_max[] = {-5, -5, -5, -5};
    TL_EXPECT_ARRAY_NEAR(y, want_max, 4, 0);
    /* 1x1 window, stride 1: identity for both pools. */
    p = pool_params(2, 2, 1, 2, 2, 1, 1, 0, 0);
    tl_max_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 4, 0);
    tl_average_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 4, 0);
  }
  /* A NaN anywhere in a window makes that window's max (and average) NaN, first position or not, even
   * through a clamp; windows without it are unaffected. 1x3 input, window 2, stride 1, VALID. */
  {
    const float xa[] = {NAN, 1, 2}, xb[] = {1, NAN, 2}, xc[] = {1, 2, NAN};
    tl_pool_params p = pool_params(1, 3, 1, 1, 2, 2, 1, 0, 0);
    p.filter_h = 1;
    p.act = act_range(0, 6);
    tl_max_pool2d_f32(y, xa, &p);
    TL_EXPECT_TRUE(y[0] != y[0] && y[1] == 2);
    tl_max_pool2d_f32(y, xb, &p);
    TL_EXPECT_TRUE(y[0] != y[0] && y[1] != y[1]);
    tl_max_pool2d_f32(y, xc, &p);
    TL_EXPECT_TRUE(y[0] == 2 && y[1] != y[1]);
    tl_average_pool2d_f32(y, xc, &p);
    TL_EXPECT_TRUE(y[0] == 1.5f && y[1] != y[1]);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Add, Sub, Mul                                                                                         */

/* Fills p's strides as prepare does: shapes right-aligned to rank 4, stride 0 where an input's dim is 1. */
static void binary_params(tl_binary_params *p, const int32_t a_dims[4], const int32_t b_dims[4],
                          tl_act_f32 act) {
  int64_t as = 1, bs = 1;
  for (int d = 3; d >= 0; d--) {
    p->out_dims[d] = a_dims[d] > b_dims[d] ? a_dims[d] : b_dims[d];
    p->a_strides[d] = a_dims[d] == 1 ? 0 : as;
    p->b_strides[d] = b_dims[d] == 1 ? 0 : bs;
    as *= a_dims[d];
    bs *= b_dims[d];
  }
  p->act = act;
}

TL_TEST(test_binary) {
  float y[24];
  /* Broadcasting in every dim: a [2, 1, 3, 1] = 1..6, b [1, 2, 1, 2] = [1, 2, 3, 4] -> [2, 2, 3, 2].
   * a + b, a - b, a * b, b - a in numpy. */
  {
    float a[6];
    const float b[] = {1, 2, 3, 4};
    const int32_t ad[4] = {2, 1, 3, 1}, bd[4] = {1, 2, 1, 2};
    iota(a, 6, 1);
    const float want_add[] = {2, 3, 3, 4, 4, 5, 4, 5, 5, 6, 6, 7, 5, 6, 6, 7, 7, 8, 7, 8, 8, 9, 9, 10};
    const float want_sub[] = {0, -1, 1, 0, 2, 1, -2, -3, -1, -2, 0, -1, 3, 2, 4, 3, 5, 4, 1, 0, 2, 1, 3, 2};
    const float want_mul[] = {1, 2, 2, 4, 3, 6, 3, 4, 6, 8, 9, 12, 4, 8, 5, 10, 6, 12, 12, 16, 15, 20, 18, 24};
    const float want_rsub[] = {0, 1, -1, 0, -2, -1, 2, 3, 1, 2, 0, 1,
                               -3, -2, -4, -3, -5, -4, -1, 0, -2, -1, -3, -2};
    tl_binary_params p;
    binary_params(&p, ad, bd, act_none());
    tl_add_f32(y, a, b, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_add, 24, 0);
    tl_sub_f32(y, a, b, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_sub, 24, 0);
    tl_mul_f32(y, a, b, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_mul, 24, 0);
    tl_binary_params q;
    binary_params(&q, bd, ad, act_none());
    tl_sub_f32(y, b, a, &q);
    TL_EXPECT_ARRAY_NEAR(y, want_rsub, 24, 0);

    /* With a clamp to [2, 5]. */
    float want_c[24];
    for (int i = 0; i < 24; i++) want_c[i] = want_add[i] < 2 ? 2 : (want_add[i] > 5 ? 5 : want_add[i]);
    binary_params(&p, ad, bd, act_range(2, 5));
    tl_add_f32(y, a, b, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_c, 24, 0);

    /* The clamp lets a NaN through rather than turning it into a bound. */
    const float nan_b[] = {NAN, 1, 2, 3};
    tl_mul_f32(y, a, nan_b, &p);
    TL_EXPECT_TRUE(y[0] != y[0] && y[1] == 2 && y[2] != y[2] && y[3] == 2 && y[23] == 5);
  }
  /* Rank 1: [4] - scalar. */
  {
    const float a[] = {1, 2, 3, 4}, s[] = {2.5f};
    const int32_t ad[4] = {1, 1, 1, 4}, sd[4] = {1, 1, 1, 1};
    const float want[] = {-1.5f, -0.5f, 0.5f, 1.5f};
    tl_binary_params p;
    binary_params(&p, ad, sd, act_none());
    tl_sub_f32(y, a, s, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 4, 0);
  }
  /* Rank 2: [2, 3] * [3] (row vector) and [2, 3] + [2, 1] (column vector). */
  {
    const float a[] = {1, 2, 3, 4, 5, 6}, row[] = {10, 0, -1}, col[] = {100, 200};
    const int32_t ad[4] = {1, 1, 2, 3}, rd[4] = {1, 1, 1, 3}, cd[4] = {1, 1, 2, 1};
    const float want_mul[] = {10, 0, -3, 40, 0, -6};
    const float want_add[] = {101, 102, 103, 204, 205, 206};
    tl_binary_params p;
    binary_params(&p, ad, rd, act_none());
    tl_mul_f32(y, a, row, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_mul, 6, 0);
    binary_params(&p, ad, cd, act_none());
    tl_add_f32(y, a, col, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_add, 6, 0);
  }
  /* Rank 3 with both inputs broadcasting: [2, 1, 2] + [1, 3, 1] -> [2, 3, 2]; same shapes (no broadcast). */
  {
    const float a[] = {1, 2, 3, 4}, b[] = {10, 20, 30};
    const int32_t ad[4] = {1, 2, 1, 2}, bd[4] = {1, 1, 3, 1};
    const float want[] = {11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34};
    tl_binary_params p;
    binary_params(&p, ad, bd, act_none());
    tl_add_f32(y, a, b, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 12, 0);
    const int32_t sd[4] = {1, 1, 2, 2};
    const float want_sq[] = {1, 4, 9, 16};
    binary_params(&p, sd, sd, act_none());
    tl_mul_f32(y, a, a, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_sq, 4, 0);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Relu, Relu6, Sigmoid, Tanh                                                                            */

TL_TEST(test_unary) {
  const float x[] = {-3, -0.5f, 0, 0.5f, 5.5f, 6, 7, 1e30f};
  float y[8];
  const float want_relu[] = {0, 0, 0, 0.5f, 5.5f, 6, 7, 1e30f};
  const float want_relu6[] = {0, 0, 0, 0.5f, 5.5f, 6, 6, 6};
  tl_relu_f32(y, x, 8);
  TL_EXPECT_ARRAY_NEAR(y, want_relu, 8, 0);
  tl_relu6_f32(y, x, 8);
  TL_EXPECT_ARRAY_NEAR(y, want_relu6, 8, 0);

  /* 1 / (1 + np.exp(-x)) and np.tanh(x) in float64 for x = [1, 2, 3, 0.5, 10, -4]. */
  const float xs[] = {1, 2, 3, 0.5f, 10, -4};
  const float want_sig[] = {0.7310586f, 0.88079709f, 0.95257413f, 0.62245935f, 0.99995458f, 0.01798621f};
  const float want_tanh[] = {0.76159418f, 0.96402758f, 0.99505478f, 0.46211717f, 1, -0.99932933f};
  tl_sigmoid_f32(y, xs, 6);
  TL_EXPECT_ARRAY_NEAR(y, want_sig, 6, 2e-7);
  tl_tanh_f32(y, xs, 6);
  TL_EXPECT_ARRAY_NEAR(y, want_tanh, 6, 2e-7);

  /* Large magnitudes: no overflow, no NaN. sigmoid(-100) = 3.72e-44 is a float32 subnormal. */
  const float big[] = {100, -100, 1e30f, -1e30f, INFINITY, -INFINITY, 0};
  float s[7];
  tl_sigmoid_f32(s, big, 7);
  TL_EXPECT_EQ(s[0], 1);
  TL_EXPECT_TRUE(s[1] >= 0 && s[1] < 1e-40f);
  TL_EXPECT_EQ(s[2] == 1.0f, 1);
  TL_EXPECT_EQ(s[3] == 0.0f, 1);
  TL_EXPECT_EQ(s[4] == 1.0f, 1);
  TL_EXPECT_EQ(s[5] == 0.0f, 1);
  TL_EXPECT_EQ(s[6] == 0.5f, 1);
  tl_tanh_f32(s, big, 7);
  const float want_tanh_big[] = {1, -1, 1, -1, 1, -1, 0};
  TL_EXPECT_ARRAY_NEAR(s, want_tanh_big, 7, 0);

  /* NaN goes through every activation (as in numpy), it is not clamped into range. */
  const float nan_in[] = {NAN};
  float o[1];
  tl_relu_f32(o, nan_in, 1);
  TL_EXPECT_TRUE(o[0] != o[0]);
  tl_relu6_f32(o, nan_in, 1);
  TL_EXPECT_TRUE(o[0] != o[0]);
  tl_sigmoid_f32(o, nan_in, 1);
  TL_EXPECT_TRUE(o[0] != o[0]);
  tl_tanh_f32(o, nan_in, 1);
  TL_EXPECT_TRUE(o[0] != o[0]);

  /* n = 0 touches nothing. */
  o[0] = 42;
  tl_relu_f32(o, x, 0);
  tl_sigmoid_f32(o, x, 0);
  TL_EXPECT_EQ(o[0], 42);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Softmax                                                                                               */

TL_TEST(test_softmax) {
  float y[9];
  /* sm(np.array([[1, 2, 3], [0, 0, 0], [-1, 5, 2]])) */
  {
    const float x[] = {1, 2, 3, 0, 0, 0, -1, 5, 2};
    const float want[] = {0.090030573f, 0.24472848f, 0.66524094f, 0.33333334f, 0.33333334f,
                          0.33333334f,  0.0023556331f, 0.9503302f, 0.047314156f};
    tl_softmax_params p = {3, 3, 1.0f};
    tl_softmax_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 9, 1e-7);
  }
  /* beta: sm([[1, 2, 3]], 2.0) and sm([[1, 2, 3]], -0.5); values near 1000: sm([[1000, 1001, 999]]). */
  {
    const float x[] = {1, 2, 3};
    const float want2[] = {0.015876239f, 0.11731043f, 0.86681336f};
    const float want_neg[] = {0.5064804f, 0.30719587f, 0.18632372f};
    tl_softmax_params p = {1, 3, 2.0f};
    tl_softmax_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want2, 3, 1e-7);
    p.beta = -0.5f;
    tl_softmax_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_neg, 3, 1e-7);
    const float xk[] = {1000, 1001, 999};
    const float want_k[] = {0.24472848f, 0.66524094f, 0.090030573f};
    p.beta = 1.0f;
    tl_softmax_f32(y, xk, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_k, 3, 1e-7);
  }
  /* Huge inputs: no inf - inf, no 0 / 0. Rows: {1e30, -1e30}, {1e30, 1e30}, {-1e30, -1e30}, {3e38, -3e38}
   * (the difference overflows to -inf), and beta 0 over {3e38, -3e38} (uniform, not 0 * inf). */
  {
    const float x[] = {1e30f, -1e30f, 1e30f, 1e30f, -1e30f, -1e30f, 3e38f, -3e38f};
    const float want[] = {1, 0, 0.5f, 0.5f, 0.5f, 0.5f, 1, 0};
    tl_softmax_params p = {4, 2, 1.0f};
    tl_softmax_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 8, 0);
    p.beta = -1.0f;
    tl_softmax_f32(y, x, &p);
    const float want_neg[] = {0, 1, 0.5f, 0.5f, 0.5f, 0.5f, 0, 1};
    TL_EXPECT_ARRAY_NEAR(y, want_neg, 8, 0);
    tl_softmax_params p0 = {1, 2, 0.0f};
    tl_softmax_f32(y, x + 6, &p0);
    const float want0[] = {0.5f, 0.5f};
    TL_EXPECT_ARRAY_NEAR(y, want0, 2, 0);
  }
  /* depth 1: always 1. */
  {
    const float x[] = {-7, 1e30f};
    const float want[] = {1, 1};
    tl_softmax_params p = {2, 1, 1.0f};
    tl_softmax_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 2, 0);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Mean                                                                                                  */

static tl_mean_params mean_params(int32_t rank, const int32_t *dims, const uint8_t *reduce) {
  tl_mean_params p;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  for (int32_t d = 0; d < rank; d++) {
    p.in_dims[d] = dims[d];
    p.reduce[d] = reduce[d];
  }
  return p;
}

TL_TEST(test_mean) {
  float y[8];
  /* x = np.arange(24).reshape(2, 3, 4) ** 2 / 8 */
  float x[48];
  for (int i = 0; i < 24; i++) x[i] = (float)(i * i) / 8.0f;
  const int32_t dims[] = {2, 3, 4};
  {
    const uint8_t r[] = {0, 1, 0}; /* x.mean(axis=1) */
    const float want[] = {3.3333333f, 4.4583335f, 5.8333335f, 7.4583335f,
                          33.333332f, 37.458332f, 41.833332f, 46.458332f};
    tl_mean_params p = mean_params(3, dims, r);
    tl_mean_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 8, 2e-6);
  }
  {
    const uint8_t r[] = {1, 0, 1}; /* x.mean(axis=(0, 2)) */
    const float want[] = {11.6875f, 21.1875f, 34.6875f};
    tl_mean_params p = mean_params(3, dims, r);
    tl_mean_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 3, 0);
  }
  {
    const uint8_t r[] = {0, 0, 1}; /* x.mean(axis=2) */
    const float want[] = {0.4375f, 3.9375f, 11.4375f, 22.9375f, 38.4375f, 57.9375f};
    tl_mean_params p = mean_params(3, dims, r);
    tl_mean_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 6, 0);
  }
  {
    const uint8_t r[] = {1, 1, 1}; /* x.mean() */
    const float want[] = {22.520834f};
    tl_mean_params p = mean_params(3, dims, r);
    tl_mean_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 1, 2e-6);
  }
  {
    const uint8_t r[] = {0, 0, 0}; /* nothing reduced: a copy */
    tl_mean_params p = mean_params(3, dims, r);
    float z[24];
    tl_mean_f32(z, x, &p);
    TL_EXPECT_ARRAY_NEAR(z, x, 24, 0);
  }
  /* Rank 4 global average pooling: (np.arange(48).reshape(2, 2, 3, 4) - 20).mean(axis=(1, 2)) */
  {
    iota(x, 48, -20);
    const int32_t d4[] = {2, 2, 3, 4};
    const uint8_t r[] = {0, 1, 1, 0};
    const float want[] = {-10, -9, -8, -7, 14, 15, 16, 17};
    tl_mean_params p = mean_params(4, d4, r);
    tl_mean_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want, 8, 0);
  }
  /* Rank 1 and rank 0. */
  {
    const float v[] = {1, 2, 4, 8};
    const int32_t d1[] = {4};
    const uint8_t r[] = {1};
    tl_mean_params p = mean_params(1, d1, r);
    tl_mean_f32(y, v, &p);
    TL_EXPECT_NEAR(y[0], 3.75, 0);
    p = mean_params(0, d1, r);
    tl_mean_f32(y, v + 3, &p);
    TL_EXPECT_NEAR(y[0], 8, 0);
  }
  /* An empty reduction gives NaN (numpy: mean of nothing); an empty output writes nothing. */
  {
    const int32_t d0[] = {2, 0};
    const uint8_t r[] = {0, 1};
    tl_mean_params p = mean_params(2, d0, r);
    tl_mean_f32(y, x, &p);
    TL_EXPECT_TRUE(y[0] != y[0] && y[1] != y[1]);
    const uint8_t r2[] = {1, 0};
    p = mean_params(2, d0, r2);
    y[0] = 42;
    tl_mean_f32(y, x, &p);
    TL_EXPECT_EQ(y[0], 42);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Concatenation, Pad, Transpose                                                                         */

TL_TEST(test_concat) {
  float y[24];
  /* Axis 0: [1, 2] ++ [2, 2]. */
  {
    const float a[] = {1, 2}, b[] = {3, 4, 5, 6};
    const void *xs[] = {a, b};
    tl_concat_params p;
    memset(&p, 0, sizeof p);
    p.num_inputs = 2;
    p.outer = 1;
    p.inner_bytes[0] = 2 * sizeof(float);
    p.inner_bytes[1] = 4 * sizeof(float);
    tl_concat(y, xs, &p);
    const float want[] = {1, 2, 3, 4, 5, 6};
    TL_EXPECT_ARRAY_NEAR(y, want, 6, 0);
  }
  /* Axis 1: [2, 1, 2] ++ [2, 3, 2] -> [2, 4, 2]. */
  {
    const float a[] = {1, 2, 3, 4};
    float b[12];
    iota(b, 12, 10);
    const void *xs[] = {a, b};
    tl_concat_params p;
    memset(&p, 0, sizeof p);
    p.num_inputs = 2;
    p.outer = 2;
    p.inner_bytes[0] = 1 * 2 * sizeof(float);
    p.inner_bytes[1] = 3 * 2 * sizeof(float);
    tl_concat(y, xs, &p);
    const float want[] = {1, 2, 10, 11, 12, 13, 14, 15, 3, 4, 16, 17, 18, 19, 20, 21};
    TL_EXPECT_ARRAY_NEAR(y, want, 16, 0);
  }
  /* Last axis, three inputs: [2, 2, 1] ++ [2, 2, 2] ++ [2, 2, 3] -> [2, 2, 6]. */
  {
    float a[4], b[8], c[12];
    iota(a, 4, 1);
    iota(b, 8, 10);
    iota(c, 12, 100);
    const void *xs[] = {a, b, c};
    tl_concat_params p;
    memset(&p, 0, sizeof p);
    p.num_inputs = 3;
    p.outer = 4;
    p.inner_bytes[0] = 1 * sizeof(float);
    p.inner_bytes[1] = 2 * sizeof(float);
    p.inner_bytes[2] = 3 * sizeof(float);
    tl_concat(y, xs, &p);
    const float want[] = {1, 10, 11, 100, 101, 102, 2, 12, 13, 103, 104, 105,
                          3, 14, 15, 106, 107, 108, 4, 16, 17, 109, 110, 111};
    TL_EXPECT_ARRAY_NEAR(y, want, 24, 0);
  }
  /* int8 along the last axis of [2, 1] ++ [2, 2], with an empty third input [2, 0]. */
  {
    const int8_t a[] = {-1, -2}, b[] = {3, 4, 5, 6};
    int8_t out[6];
    const void *xs[] = {a, b, NULL}; /* an empty tensor may have no buffer */
    tl_concat_params p;
    memset(&p, 0, sizeof p);
    p.num_inputs = 3;
    p.outer = 2;
    p.inner_bytes[0] = 1;
    p.inner_bytes[1] = 2;
    p.inner_bytes[2] = 0;
    tl_concat(out, xs, &p);
    const int8_t want[] = {-1, 3, 4, -2, 5, 6};
    EXPECT_BYTES_EQ(out, want, sizeof want);
  }
}

static tl_pad_params pad_params(int32_t rank, const int32_t *dims, const int32_t *before, const int32_t *after,
                                int32_t elem_size, const void *pad_value) {
  tl_pad_params p;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  for (int32_t d = 0; d < rank; d++) {
    p.in_dims[d] = dims[d];
    p.before[d] = before[d];
    p.after[d] = after[d];
  }
  p.elem_size = elem_size;
  p.pad_value = pad_value;
  return p;
}

TL_TEST(test_pad) {
  /* int8 [2, 3], before {1, 0}, after {0, 2}, pad value 7 -> [3, 5]. */
  {
    const int8_t x[] = {1, 2, 3, 4, 5, 6}, pv = 7;
    int8_t y[15];
    const int32_t dims[] = {2, 3}, before[] = {1, 0}, after[] = {0, 2};
    tl_pad_params p = pad_params(2, dims, before, after, 1, &pv);
    tl_pad(y, x, &p);
    const int8_t want[] = {7, 7, 7, 7, 7, 1, 2, 3, 7, 7, 4, 5, 6, 7, 7};
    EXPECT_BYTES_EQ(y, want, sizeof want);
  }
  /* float [1, 2, 1], before {1, 0, 1}, after {0, 1, 1}, pad value -1.5 -> [2, 3, 3]. */
  {
    const float x[] = {1, 2}, pv = -1.5f, q = -1.5f;
    float y[18];
    const int32_t dims[] = {1, 2, 1}, before[] = {1, 0, 1}, after[] = {0, 1, 1};
    tl_pad_params p = pad_params(3, dims, before, after, 4, &pv);
    tl_pad(y, x, &p);
    const float want[] = {q, q, q, q, q, q, q, q, q, q, 1, q, q, 2, q, q, q, q};
    TL_EXPECT_ARRAY_NEAR(y, want, 18, 0);
  }
  /* uint16 rank 1: [3], before 2, after 1, pad 0xABCD. */
  {
    const uint16_t x[] = {1, 2, 3}, pv = 0xABCD;
    uint16_t y[6];
    const int32_t dims[] = {3}, before[] = {2}, after[] = {1};
    tl_pad_params p = pad_params(1, dims, before, after, 2, &pv);
    tl_pad(y, x, &p);
    const uint16_t want[] = {0xABCD, 0xABCD, 1, 2, 3, 0xABCD};
    EXPECT_BYTES_EQ(y, want, sizeof want);
  }
  /* int64 rank 4 [1, 1, 2, 1], pad {0, 1, 0, 1} before and {1, 0, 1, 0} after with a NULL pad value (zero)
   * -> [2, 2, 3, 2]. */
  {
    const int64_t x[] = {-5, 0x123456789LL};
    int64_t y[24];
    const int32_t dims[] = {1, 1, 2, 1}, before[] = {0, 1, 0, 1}, after[] = {1, 0, 1, 0};
    tl_pad_params p = pad_params(4, dims, before, after, 8, NULL);
    for (int i = 0; i < 24; i++) y[i] = 99;
    tl_pad(y, x, &p);
    int64_t want[24] = {0};
    want[(0 * 2 + 1) * 6 + 0 * 2 + 1] = -5;
    want[(0 * 2 + 1) * 6 + 1 * 2 + 1] = 0x123456789LL;
    EXPECT_BYTES_EQ(y, want, sizeof want);
  }
  /* An empty input [0, 2] padded to [2, 2] is all pad; a rank-0 scalar is copied. */
  {
    const float x[] = {3.5f}, pv = 9;
    float y[4];
    const int32_t dims[] = {0, 2}, before[] = {1, 0}, after[] = {1, 0};
    tl_pad_params p = pad_params(2, dims, before, after, 4, &pv);
    tl_pad(y, NULL, &p); /* an empty tensor may have no buffer */
    const float want[] = {9, 9, 9, 9};
    TL_EXPECT_ARRAY_NEAR(y, want, 4, 0);
    p = pad_params(0, dims, before, after, 4, &pv);
    tl_pad(y, x, &p);
    TL_EXPECT_NEAR(y[0], 3.5, 0);
  }
}

static tl_transpose_params transpose_params(int32_t rank, const int32_t *dims, const int32_t *perm,
                                            int32_t elem_size) {
  tl_transpose_params p;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  for (int32_t d = 0; d < rank; d++) {
    p.in_dims[d] = dims[d];
    p.perm[d] = perm[d];
  }
  p.elem_size = elem_size;
  return p;
}

TL_TEST(test_transpose) {
  /* Rank 4: np.arange(24).reshape(2, 3, 2, 2).transpose(2, 0, 3, 1), for every element size. */
  const int32_t dims[] = {2, 3, 2, 2}, perm[] = {2, 0, 3, 1};
  const int want[] = {0, 4, 8, 1, 5, 9, 12, 16, 20, 13, 17, 21, 2, 6, 10, 3, 7, 11, 14, 18, 22, 15, 19, 23};
  {
    float x[24], y[24], w[24];
    for (int i = 0; i < 24; i++) {
      x[i] = (float)i;
      w[i] = (float)want[i];
    }
    tl_transpose_params p = transpose_params(4, dims, perm, 4);
    tl_transpose(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, w, 24, 0);
  }
  {
    int8_t x[24], y[24], w[24];
    uint16_t x2[24], y2[24], w2[24];
    int64_t x8[24], y8[24], w8[24];
    for (int i = 0; i < 24; i++) {
      x[i] = (int8_t)(i - 12);
      w[i] = (int8_t)(want[i] - 12);
      x2[i] = (uint16_t)(1000 * i + 7);
      w2[i] = (uint16_t)(1000 * want[i] + 7);
      x8[i] = -(int64_t)i * 0x100000001LL;
      w8[i] = -(int64_t)want[i] * 0x100000001LL;
    }
    tl_transpose_params p = transpose_params(4, dims, perm, 1);
    tl_transpose(y, x, &p);
    EXPECT_BYTES_EQ(y, w, sizeof w);
    p.elem_size = 2;
    tl_transpose(y2, x2, &p);
    EXPECT_BYTES_EQ(y2, w2, sizeof w2);
    p.elem_size = 8;
    tl_transpose(y8, x8, &p);
    EXPECT_BYTES_EQ(y8, w8, sizeof w8);
  }
  /* Rank 2 [2, 3] -> [3, 2]; identity permutation of rank 3; rank 1. */
  {
    const float x[] = {1, 2, 3, 4, 5, 6};
    float y[6];
    const int32_t d2[] = {2, 3}, p2[] = {1, 0};
    tl_transpose_params p = transpose_params(2, d2, p2, 4);
    tl_transpose(y, x, &p);
    const float want2[] = {1, 4, 2, 5, 3, 6};
    TL_EXPECT_ARRAY_NEAR(y, want2, 6, 0);
    const int32_t d3[] = {1, 2, 3}, p3[] = {0, 1, 2};
    p = transpose_params(3, d3, p3, 4);
    tl_transpose(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, x, 6, 0);
    const int32_t d1[] = {6}, p1[] = {0};
    p = transpose_params(1, d1, p1, 4);
    tl_transpose(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, x, 6, 0);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Seeded random cases against naive second implementations                                              */

/* A 32-bit LCG: deterministic across compilers and targets. */
static uint32_t rng_next(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8; /* the low bits of an LCG are weak */
}
static int32_t rng_int(uint32_t *s, int32_t lo, int32_t hi) { /* uniform in [lo, hi] */
  return lo + (int32_t)(rng_next(s) % (uint32_t)(hi - lo + 1));
}
static float rng_float(uint32_t *s) { /* uniform in [-1, 1) */
  return (float)(rng_next(s) & 0xFFFF) / 32768.0f - 1.0f;
}
static void rng_fill(uint32_t *s, float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = rng_float(s);
}

static float clamp_ref(double v, tl_act_f32 act) {
  return (float)(v < act.min ? act.min : (v > act.max ? act.max : v));
}

/* A random activation: mostly none, sometimes a narrow clamp so that both sides of it are exercised. */
static tl_act_f32 rng_act(uint32_t *s) {
  switch (rng_int(s, 0, 3)) {
    case 0: return act_range(-0.5f, 0.5f);
    case 1: return act_range(0.0f, INFINITY);
    default: return act_none();
  }
}

/* Resolves SAME (1) or VALID (0) for one axis as prepare does; returns 0 if VALID does not fit. */
static int resolve_padding(int same, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t *out,
                           int32_t *pad_before) {
  const int32_t eff = (k - 1) * dilation + 1;
  if (same) {
    *out = (in + stride - 1) / stride;
    const int32_t total = (*out - 1) * stride + eff - in;
    *pad_before = total > 0 ? total / 2 : 0;
    return 1;
  }
  if (in < eff) return 0;
  *out = (in - eff) / stride + 1;
  *pad_before = 0;
  return 1;
}

#define RAND_MAX_ELEMS 4096

/* Naive Conv2D / DepthwiseConv2D by scattering: every input element, through every tap, adds into the
 * output positions that read it (oy*stride - pad + ky*dilation == iy). Sums in double. */
static void naive_conv(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p,
                       int depthwise) {
  static const int64_t max = RAND_MAX_ELEMS;
  double acc[RAND_MAX_ELEMS];
  const int64_t n_out = (int64_t)p->batch * p->out_h * p->out_w * p->out_c;
  if (n_out > max) return;
  for (int64_t i = 0; i < n_out; i++) acc[i] = 0.0;
  for (int32_t b = 0; b < p->batch; b++)
    for (int32_t iy = 0; iy < p->in_h; iy++)
      for (int32_t ix = 0; ix < p->in_w; ix++)
        for (int32_t ic = 0; ic < p->in_c; ic++) {
          const double xv = x[((b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic];
          for (int32_t ky = 0; ky < p->k_h; ky++)
            for (int32_t kx = 0; kx < p->k_w; kx++) {
              const int32_t ny = iy + p->pad_top - ky * p->dilation_h;
              const int32_t nx = ix + p->pad_left - kx * p->dilation_w;
              if (ny < 0 || nx < 0 || ny % p->stride_h || nx % p->stride_w) continue;
              const int32_t oy = ny / p->stride_h, ox = nx / p->stride_w;
              if (oy >= p->out_h || ox >= p->out_w) continue;
              double *o = acc + ((b * p->out_h + oy) * p->out_w + ox) * p->out_c;
              if (depthwise) {
                for (int32_t m = 0; m < p->depth_multiplier; m++) {
                  const int32_t oc = ic * p->depth_multiplier + m;
                  o[oc] += xv * w[(ky * p->k_w + kx) * p->out_c + oc];
                }
              } else {
                for (int32_t oc = 0; oc < p->out_c; oc++)
                  o[oc] += xv * w[((oc * p->k_h + ky) * p->k_w + kx) * p->in_c + ic];
              }
            }
        }
  for (int64_t i = 0; i < n_out; i++) y[i] = clamp_ref(acc[i] + (bias ? bias[i % p->out_c] : 0.0), p->act);
}

/* A random Conv2D (depthwise = 0) or DepthwiseConv2D geometry that fits the buffers. */
static tl_conv_params rng_conv_params(uint32_t *s, int depthwise) {
  for (;;) {
    const int32_t k_h = rng_int(s, 1, 4), k_w = rng_int(s, 1, 4);
    const int32_t stride = rng_int(s, 1, 3), dilation = rng_int(s, 1, 3);
    tl_conv_params p = conv_params(rng_int(s, 1, 2), rng_int(s, 1, 9), rng_int(s, 1, 9), rng_int(s, 1, 5), 0, 0,
                                   0, k_h, k_w, stride, dilation, 0, 0);
    p.stride_w = rng_int(s, 1, 3); /* strides and dilations may differ between the axes */
    p.dilation_w = rng_int(s, 1, 3);
    p.depth_multiplier = depthwise ? rng_int(s, 1, 3) : 1;
    p.out_c = depthwise ? p.in_c * p.depth_multiplier : rng_int(s, 1, 5);
    const int same = rng_int(s, 0, 1);
    if (!resolve_padding(same, p.in_h, k_h, p.stride_h, p.dilation_h, &p.out_h, &p.pad_top)) continue;
    if (!resolve_padding(same, p.in_w, k_w, p.stride_w, p.dilation_w, &p.out_w, &p.pad_left)) continue;
    p.act = rng_act(s);
    return p;
  }
}

TL_TEST(test_random_conv) {
  uint32_t s = 12345;
  float x[RAND_MAX_ELEMS], w[RAND_MAX_ELEMS], bias[32], y[RAND_MAX_ELEMS], want[RAND_MAX_ELEMS];
  for (int t = 0; t < 300; t++) {
    const int depthwise = t % 2;
    tl_conv_params p = rng_conv_params(&s, depthwise);
    const int64_t nx = (int64_t)p.batch * p.in_h * p.in_w * p.in_c;
    const int64_t nw = (int64_t)p.out_c * p.k_h * p.k_w * (depthwise ? 1 : p.in_c);
    const int64_t ny = (int64_t)p.batch * p.out_h * p.out_w * p.out_c;
    TL_EXPECT_TRUE(nx <= RAND_MAX_ELEMS && nw <= RAND_MAX_ELEMS && ny <= RAND_MAX_ELEMS && p.out_c <= 32);
    rng_fill(&s, x, nx);
    rng_fill(&s, w, nw);
    rng_fill(&s, bias, p.out_c);
    const float *b = rng_int(&s, 0, 3) ? bias : NULL;
    if (depthwise) {
      tl_depthwise_conv2d_f32(y, x, w, b, &p);
    } else {
      tl_conv2d_f32(y, x, w, b, &p);
    }
    naive_conv(want, x, w, b, &p, depthwise);
    TL_EXPECT_ARRAY_NEAR(y, want, ny, 1e-5);
  }
}

TL_TEST(test_random_fc) {
  uint32_t s = 777;
  float x[RAND_MAX_ELEMS], w[RAND_MAX_ELEMS], bias[16], y[64], want[64];
  for (int t = 0; t < 100; t++) {
    tl_fc_params p = {rng_int(&s, 1, 4), rng_int(&s, 1, 100), rng_int(&s, 1, 16), rng_act(&s)};
    rng_fill(&s, x, (int64_t)p.batch * p.in_depth);
    rng_fill(&s, w, (int64_t)p.out_depth * p.in_depth);
    rng_fill(&s, bias, p.out_depth);
    const float *b = t % 3 ? bias : NULL;
    tl_fc_f32(y, x, w, b, &p);
    /* Naive: i outermost, double accumulators. */
    double acc[64] = {0};
    for (int32_t i = 0; i < p.in_depth; i++)
      for (int32_t bb = 0; bb < p.batch; bb++)
        for (int32_t o = 0; o < p.out_depth; o++)
          acc[bb * p.out_depth + o] += (double)x[bb * p.in_depth + i] * w[o * p.in_depth + i];
    for (int32_t i = 0; i < p.batch * p.out_depth; i++)
      want[i] = clamp_ref(acc[i] + (b ? b[i % p.out_depth] : 0.0), p.act);
    TL_EXPECT_ARRAY_NEAR(y, want, p.batch * p.out_depth, 1e-5);
  }
}

TL_TEST(test_random_pool) {
  uint32_t s = 4242;
  float x[RAND_MAX_ELEMS], y[RAND_MAX_ELEMS], want_max[RAND_MAX_ELEMS], want_avg[RAND_MAX_ELEMS];
  for (int t = 0; t < 200; t++) {
    tl_pool_params p;
    int same;
    do {
      p = pool_params(rng_int(&s, 1, 9), rng_int(&s, 1, 9), rng_int(&s, 1, 4), 0, 0, 1, 1, 0, 0);
      p.batch = rng_int(&s, 1, 2);
      p.filter_h = rng_int(&s, 1, 4);
      p.filter_w = rng_int(&s, 1, 4);
      p.stride_h = rng_int(&s, 1, 3);
      p.stride_w = rng_int(&s, 1, 3);
      same = rng_int(&s, 0, 1);
    } while (!resolve_padding(same, p.in_h, p.filter_h, p.stride_h, 1, &p.out_h, &p.pad_top) ||
             !resolve_padding(same, p.in_w, p.filter_w, p.stride_w, 1, &p.out_w, &p.pad_left));
    p.act = rng_act(&s);
    rng_fill(&s, x, (int64_t)p.batch * p.in_h * p.in_w * p.channels);
    /* Naive: one output element at a time, every tap of the full window bounds-checked. */
    int64_t n = 0;
    for (int32_t b = 0; b < p.batch; b++)
      for (int32_t oy = 0; oy < p.out_h; oy++)
        for (int32_t ox = 0; ox < p.out_w; ox++)
          for (int32_t c = 0; c < p.channels; c++, n++) {
            double sum = 0.0, mx = -INFINITY;
            int count = 0;
            for (int32_t fy = 0; fy < p.filter_h; fy++)
              for (int32_t fx = 0; fx < p.filter_w; fx++) {
                const int32_t iy = oy * p.stride_h - p.pad_top + fy, ix = ox * p.stride_w - p.pad_left + fx;
                if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
                const double v = x[((b * p.in_h + iy) * p.in_w + ix) * p.channels + c];
                sum += v;
                mx = v > mx ? v : mx;
                count++;
              }
            want_avg[n] = clamp_ref(sum / count, p.act);
            want_max[n] = clamp_ref(mx, p.act);
          }
    tl_max_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_max, n, 0);
    tl_average_pool2d_f32(y, x, &p);
    TL_EXPECT_ARRAY_NEAR(y, want_avg, n, 1e-6);
  }
}

TL_TEST(test_random_binary) {
  uint32_t s = 99;
  float a[256], b[256], y[256], want[256];
  for (int t = 0; t < 200; t++) {
    /* Random rank 1-4 shapes, right-aligned to 4; each dim of each input is either the full size or 1. */
    int32_t ad[4] = {1, 1, 1, 1}, bd[4] = {1, 1, 1, 1}, od[4];
    const int rank = rng_int(&s, 1, 4);
    for (int d = 4 - rank; d < 4; d++) {
      const int32_t n = rng_int(&s, 1, 4);
      const int32_t which = rng_int(&s, 0, 3); /* 0: both full, 1: a broadcasts, 2: b broadcasts, 3: both */
      ad[d] = which == 1 || which == 3 ? 1 : n;
      bd[d] = which == 2 || which == 3 ? 1 : n;
    }
    tl_binary_params p;
    binary_params(&p, ad, bd, rng_act(&s));
    for (int d = 0; d < 4; d++) od[d] = p.out_dims[d];
    const int64_t n = (int64_t)od[0] * od[1] * od[2] * od[3];
    rng_fill(&s, a, (int64_t)ad[0] * ad[1] * ad[2] * ad[3]);
    rng_fill(&s, b, (int64_t)bd[0] * bd[1] * bd[2] * bd[3]);
    const int op = t % 3;
    if (op == 0) tl_add_f32(y, a, b, &p);
    if (op == 1) tl_sub_f32(y, a, b, &p);
    if (op == 2) tl_mul_f32(y, a, b, &p);
    /* Naive: unravel each flat output index, then index each input with its own dims (min with dim - 1). */
    for (int64_t i = 0; i < n; i++) {
      int64_t rest = i, ai = 0, bi = 0, idx[4];
      for (int d = 3; d >= 0; d--) {
        idx[d] = rest % od[d];
        rest /= od[d];
      }
      for (int d = 0; d < 4; d++) {
        ai = ai * ad[d] + (idx[d] < ad[d] ? idx[d] : 0);
        bi = bi * bd[d] + (idx[d] < bd[d] ? idx[d] : 0);
      }
      const float r = op == 0 ? a[ai] + b[bi] : op == 1 ? a[ai] - b[bi] : a[ai] * b[bi];
      want[i] = clamp_ref(r, p.act);
    }
    TL_EXPECT_ARRAY_NEAR(y, want, n, 0);
  }
}

TL_TEST(test_random_softmax) {
  uint32_t s = 31337;
  float x[512], y[512];
  const float betas[] = {1.0f, 0.5f, 2.0f, -1.0f};
  for (int t = 0; t < 50; t++) {
    tl_softmax_params p = {rng_int(&s, 1, 8), rng_int(&s, 1, 40), betas[t % 4]};
    const float scale = (float)rng_int(&s, 1, 60);
    for (int64_t i = 0; i < p.outer * p.depth; i++) x[i] = scale * rng_float(&s);
    tl_softmax_f32(y, x, &p);
    for (int64_t r = 0; r < p.outer; r++) {
      /* Naive, in double: the max of beta * x is subtracted instead. */
      const float *xr = x + r * p.depth;
      double m = -INFINITY, sum = 0.0, got_sum = 0.0;
      for (int32_t i = 0; i < p.depth; i++) m = (double)p.beta * xr[i] > m ? (double)p.beta * xr[i] : m;
      for (int32_t i = 0; i < p.depth; i++) sum += exp((double)p.beta * xr[i] - m);
      float want[40];
      for (int32_t i = 0; i < p.depth; i++) {
        want[i] = (float)(exp((double)p.beta * xr[i] - m) / sum);
        got_sum += y[r * p.depth + i];
      }
      TL_EXPECT_ARRAY_NEAR(y + r * p.depth, want, p.depth, 1e-6);
      TL_EXPECT_NEAR(got_sum, 1.0, 1e-5);
    }
  }
}

TL_TEST(test_random_mean) {
  uint32_t s = 2024;
  float x[RAND_MAX_ELEMS], y[RAND_MAX_ELEMS], want[RAND_MAX_ELEMS];
  double acc[RAND_MAX_ELEMS];
  for (int t = 0; t < 100; t++) {
    int32_t dims[TL_KMAX_RANK];
    uint8_t reduce[TL_KMAX_RANK];
    const int32_t rank = rng_int(&s, 1, TL_KMAX_RANK);
    int64_t n = 1;
    for (int32_t d = 0; d < rank; d++) {
      dims[d] = rng_int(&s, 1, 4);
      reduce[d] = (uint8_t)rng_int(&s, 0, 1);
      n *= dims[d];
    }
    tl_mean_params p = mean_params(rank, dims, reduce);
    rng_fill(&s, x, n);
    tl_mean_f32(y, x, &p);
    /* Naive: walk x in order, unravel each index and drop the reduced coordinates to find its output. */
    int64_t n_out = 1, count = 1;
    for (int32_t d = 0; d < rank; d++) {
      if (reduce[d]) count *= dims[d]; else n_out *= dims[d];
    }
    for (int64_t o = 0; o < n_out; o++) acc[o] = 0.0;
    for (int64_t i = 0; i < n; i++) {
      int64_t idx[TL_KMAX_RANK], rest = i, o = 0;
      for (int32_t d = rank - 1; d >= 0; d--) {
        idx[d] = rest % dims[d];
        rest /= dims[d];
      }
      for (int32_t d = 0; d < rank; d++) {
        if (!reduce[d]) o = o * dims[d] + idx[d];
      }
      acc[o] += x[i];
    }
    for (int64_t o = 0; o < n_out; o++) want[o] = (float)(acc[o] / (double)count);
    TL_EXPECT_ARRAY_NEAR(y, want, n_out, 1e-6);
  }
}

static void rng_bytes(uint32_t *s, unsigned char *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = (unsigned char)rng_next(s);
}

static void unravel(int64_t i, int32_t rank, const int32_t *dims, int64_t *idx) {
  for (int32_t d = rank - 1; d >= 0; d--) {
    idx[d] = i % dims[d];
    i /= dims[d];
  }
}

TL_TEST(test_random_movement) {
  uint32_t s = 5;
  static const int32_t sizes[] = {1, 2, 4, 8};
  unsigned char x[8 * 1024], y[8 * 4096], want[8 * 4096];
  for (int t = 0; t < 100; t++) {
    const int32_t es = sizes[t % 4];
    const int32_t rank = rng_int(&s, 1, TL_KMAX_RANK);
    int32_t dims[TL_KMAX_RANK];
    int64_t n = 1;
    for (int32_t d = 0; d < rank; d++) {
      dims[d] = rng_int(&s, 1, 3);
      n *= dims[d];
    }
    rng_bytes(&s, x, sizeof x); /* all of it: the concat views below may read past the first n elements */

    /* Transpose with a random permutation (Fisher-Yates). Naive: scatter each input element. */
    int32_t perm[TL_KMAX_RANK], out_dims[TL_KMAX_RANK];
    for (int32_t d = 0; d < rank; d++) perm[d] = d;
    for (int32_t d = rank - 1; d > 0; d--) {
      const int32_t j = rng_int(&s, 0, d), tmp = perm[d];
      perm[d] = perm[j];
      perm[j] = tmp;
    }
    for (int32_t d = 0; d < rank; d++) out_dims[d] = dims[perm[d]];
    tl_transpose_params tp = transpose_params(rank, dims, perm, es);
    tl_transpose(y, x, &tp);
    for (int64_t i = 0; i < n; i++) {
      int64_t idx[TL_KMAX_RANK], o = 0;
      unravel(i, rank, dims, idx);
      for (int32_t d = 0; d < rank; d++) o = o * out_dims[d] + idx[perm[d]];
      memcpy(want + o * es, x + i * es, (size_t)es);
    }
    EXPECT_BYTES_EQ(y, want, n * es);

    /* Pad with random pads 0-2 per side. Naive: gather each output element, in the input or the pad. */
    int32_t before[TL_KMAX_RANK], after[TL_KMAX_RANK], pdims[TL_KMAX_RANK];
    int64_t n_pad;
    do { /* redraw until the output fits the buffers */
      n_pad = 1;
      for (int32_t d = 0; d < rank; d++) {
        before[d] = rng_int(&s, 0, 2);
        after[d] = rng_int(&s, 0, 2);
        pdims[d] = before[d] + dims[d] + after[d];
        n_pad *= pdims[d];
      }
    } while (n_pad > 4096);
    unsigned char pv[8];
    rng_bytes(&s, pv, sizeof pv);
    tl_pad_params pp = pad_params(rank, dims, before, after, es, pv);
    tl_pad(y, x, &pp);
    for (int64_t o = 0; o < n_pad; o++) {
      int64_t idx[TL_KMAX_RANK], i = 0;
      int inside = 1;
      unravel(o, rank, pdims, idx);
      for (int32_t d = 0; d < rank; d++) {
        const int64_t j = idx[d] - before[d];
        inside = inside && j >= 0 && j < dims[d];
        i = i * dims[d] + j;
      }
      memcpy(want + o * es, inside ? x + i * es : pv, (size_t)es);
    }
    EXPECT_BYTES_EQ(y, want, n_pad * es);

    /* Concat 1-4 slices of x along a random axis, each with its own axis size (0-3): slice k is the first
     * elements of x viewed with that shape. Naive: gather each output element from its input. */
    const int32_t axis = rng_int(&s, 0, rank - 1), num = rng_int(&s, 1, 4);
    int32_t axis_sizes[4], cdims[TL_KMAX_RANK];
    const void *xs[4];
    tl_concat_params cp;
    memset(&cp, 0, sizeof cp);
    cp.num_inputs = num;
    cp.outer = 1;
    int64_t inner = es; /* bytes per step along the axis */
    for (int32_t d = 0; d < axis; d++) cp.outer *= dims[d];
    for (int32_t d = axis + 1; d < rank; d++) inner *= dims[d];
    int32_t total = 0;
    for (int32_t k = 0; k < num; k++) {
      axis_sizes[k] = rng_int(&s, 0, 3);
      total += axis_sizes[k];
      cp.inner_bytes[k] = axis_sizes[k] * inner;
      xs[k] = x + k * es; /* overlapping views of x: the kernel only reads them */
    }
    for (int32_t d = 0; d < rank; d++) cdims[d] = d == axis ? total : dims[d];
    tl_concat(y, xs, &cp);
    int64_t n_cat = cp.outer * total * (inner / es);
    for (int64_t o = 0; o < n_cat; o++) {
      int64_t idx[TL_KMAX_RANK];
      unravel(o, rank, cdims, idx);
      int32_t k = 0;
      int64_t a = idx[axis];
      while (a >= axis_sizes[k]) a -= axis_sizes[k++];
      /* Flat element index in input k, whose shape is dims with axis_sizes[k] on the axis. */
      int64_t i = 0;
      for (int32_t d = 0; d < rank; d++) i = i * (d == axis ? axis_sizes[k] : dims[d]) + (d == axis ? a : idx[d]);
      memcpy(want + o * es, (const unsigned char *)xs[k] + i * es, (size_t)es);
    }
    EXPECT_BYTES_EQ(y, want, n_cat * es);
  }
}

int main(void) {
  TL_RUN(test_fc);
  TL_RUN(test_conv2d);
  TL_RUN(test_depthwise_conv2d);
  TL_RUN(test_pool);
  TL_RUN(test_binary);
  TL_RUN(test_unary);
  TL_RUN(test_softmax);
  TL_RUN(test_mean);
  TL_RUN(test_concat);
  TL_RUN(test_pad);
  TL_RUN(test_transpose);
  TL_RUN(test_random_fc);
  TL_RUN(test_random_conv);
  TL_RUN(test_random_pool);
  TL_RUN(test_random_binary);
  TL_RUN(test_random_softmax);
  TL_RUN(test_random_mean);
  TL_RUN(test_random_movement);
  return tl_test_summary();
}
