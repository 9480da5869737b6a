/* test_geometry.c: the window geometry every conv and pool kernel shares (src/kernels/geometry.h).
 *
 * Each helper is checked against a brute-force scan over small values (every start, dilation, stride,
 * padding and size in a grid), and at the extremes of int32 (starts near INT32_MIN and INT32_MAX, dilations
 * and strides near INT32_MAX), where the kernels' old 32-bit tap ranges overflowed (ctest runs this under
 * ASan+UBSan too, so any overflow left in the helpers fails the run).
 */
#include <stdint.h>

#include "kernels/geometry.h"
#include "tl_test.h"

/* The taps [k0, k1) by brute force: j in [0, k_n) with 0 <= i0 + j * dil < in_n, assumed contiguous. */
static void taps_naive(int64_t i0, int32_t dil, int32_t k_n, int32_t in_n, int32_t *k0, int32_t *k1) {
  int32_t first = -1, last = -1;
  for (int32_t j = 0; j < k_n; j++) {
    const int64_t i = i0 + (int64_t)j * dil;
    if (i >= 0 && i < in_n) {
      if (first < 0) first = j;
      last = j;
    }
  }
  *k0 = first < 0 ? 0 : first;
  *k1 = first < 0 ? 0 : last + 1;
}

TL_TEST(test_taps_match_brute_force) {
  for (int32_t in_n = 0; in_n <= 7; in_n++)
    for (int32_t k_n = 0; k_n <= 6; k_n++)
      for (int32_t dil = 1; dil <= 5; dil++)
        for (int64_t i0 = -25; i0 <= 12; i0++) {
          int32_t k0, k1, w0, w1;
          tl_geo_taps(i0, dil, k_n, in_n, &k0, &k1);
          taps_naive(i0, dil, k_n, in_n, &w0, &w1);
          TL_EXPECT_TRUE(0 <= k0 && k0 <= k1 && k1 <= k_n);
          if (w0 == w1) {
            TL_EXPECT_EQ(k1 - k0, 0); /* empty: any k0 == k1 */
          } else {
            TL_EXPECT_EQ(k0, w0);
            TL_EXPECT_EQ(k1, w1);
          }
        }
}

TL_TEST(test_taps_at_int32_extremes) {
  int32_t k0, k1;
  /* the finding: SAME padding with dilation ~1.85e9 put the window start near -0.93e9, and
   * (-i0 + dil - 1) overflowed int32 */
  tl_geo_taps(-925000000, 1850000000, 2, 5, &k0, &k1);
  TL_EXPECT_EQ(k0, 1);
  TL_EXPECT_EQ(k1, 1); /* tap 1 lands at 925000000 >= 5: no tap inside */
  tl_geo_taps(-925000000, 1850000000, 3, 2000000000, &k0, &k1);
  TL_EXPECT_EQ(k0, 1);
  TL_EXPECT_EQ(k1, 2);
  tl_geo_taps(INT32_MIN, INT32_MAX, INT32_MAX, INT32_MAX, &k0, &k1);
  TL_EXPECT_EQ(k0, 2); /* INT32_MIN + INT32_MAX = -1 < 0; INT32_MIN + 2 * INT32_MAX = INT32_MAX - 1 */
  TL_EXPECT_EQ(k1, 3);
  tl_geo_taps(-(int64_t)INT32_MAX * INT32_MAX, 1, INT32_MAX, INT32_MAX, &k0, &k1); /* beyond uint32 */
  TL_EXPECT_EQ(k0, INT32_MAX);
  TL_EXPECT_EQ(k1, INT32_MAX);
  tl_geo_taps((int64_t)INT32_MAX * 3, 7, 5, INT32_MAX, &k0, &k1); /* starts past the input */
  TL_EXPECT_EQ(k1 - k0, 0);
  tl_geo_taps(INT32_MAX - 1, INT32_MAX, INT32_MAX, INT32_MAX, &k0, &k1);
  TL_EXPECT_EQ(k0, 0);
  TL_EXPECT_EQ(k1, 1);
  tl_geo_taps(-1, 1, INT32_MAX, INT32_MAX, &k0, &k1); /* dilation 1: no division */
  TL_EXPECT_EQ(k0, 1);
  TL_EXPECT_EQ(k1, INT32_MAX);
  tl_geo_taps(-6000000000LL, 2000000000, 4, 10, &k0, &k1); /* numerators above UINT32_MAX */
  TL_EXPECT_EQ(k0, 3);
  TL_EXPECT_EQ(k1, 4);
}

TL_TEST(test_start) {
  TL_EXPECT_EQ(tl_geo_start(3, 2, 1), 5);
  TL_EXPECT_EQ(tl_geo_start(0, INT32_MAX, INT32_MAX), -(int64_t)INT32_MAX);
  TL_EXPECT_EQ(tl_geo_start(INT32_MAX, INT32_MAX, INT32_MIN), (int64_t)INT32_MAX * INT32_MAX - INT32_MIN);
}

TL_TEST(test_clip) {
  for (int32_t in_n = 0; in_n <= 6; in_n++)
    for (int32_t len = 0; len <= 7; len++)
      for (int64_t start = -10; start <= 10; start++) {
        int32_t lo, hi, n = 0, first = -1;
        tl_geo_clip(start, len, in_n, &lo, &hi);
        for (int64_t i = start; i < start + len; i++)
          if (i >= 0 && i < in_n) {
            if (first < 0) first = (int32_t)i;
            n++;
          }
        TL_EXPECT_TRUE(0 <= lo && lo <= hi && hi <= in_n);
        TL_EXPECT_EQ(hi - lo, n);
        if (n > 0) TL_EXPECT_EQ(lo, first);
      }
  int32_t lo, hi;
  tl_geo_clip(-(int64_t)INT32_MAX * 2, INT32_MAX, INT32_MAX, &lo, &hi);
  TL_EXPECT_EQ(hi - lo, 0);
  tl_geo_clip((int64_t)INT32_MAX - 1, INT32_MAX, INT32_MAX, &lo, &hi); /* the end overflows int32 */
  TL_EXPECT_EQ(lo, INT32_MAX - 1);
  TL_EXPECT_EQ(hi, INT32_MAX);
}

TL_TEST(test_inside) {
  for (int32_t in_n = 1; in_n <= 7; in_n++)
    for (int32_t out_n = 1; out_n <= 7; out_n++)
      for (int32_t stride = 1; stride <= 4; stride++)
        for (int32_t pad = -3; pad <= 6; pad++)
          for (int64_t span = 0; span <= 8; span++) {
            int32_t o0, o1, w0 = -1, w1 = -1;
            tl_geo_inside(out_n, in_n, stride, pad, span, &o0, &o1);
            for (int32_t o = 0; o < out_n; o++) {
              const int64_t s = tl_geo_start(o, stride, pad);
              if (s >= 0 && s + span < in_n) {
                if (w0 < 0) w0 = o;
                w1 = o + 1;
              }
            }
            TL_EXPECT_TRUE(0 <= o0 && o0 <= o1 && o1 <= out_n);
            if (w0 < 0) {
              TL_EXPECT_EQ(o1 - o0, 0);
            } else {
              TL_EXPECT_EQ(o0, w0);
              TL_EXPECT_EQ(o1, w1);
            }
          }
  int32_t o0, o1;
  /* the 3x3 path's (pad_left + stride_w - 1) / stride_w overflowed with stride ~INT32_MAX */
  tl_geo_inside(1, 5, INT32_MAX, 3, 2, &o0, &o1);
  TL_EXPECT_EQ(o1 - o0, 0);
  tl_geo_inside(3, 5, INT32_MAX, 0, 2, &o0, &o1);
  TL_EXPECT_EQ(o0, 0);
  TL_EXPECT_EQ(o1, 1);
  tl_geo_inside(INT32_MAX, INT32_MAX, 1, INT32_MAX, 2 * (int64_t)INT32_MAX, &o0, &o1);
  TL_EXPECT_EQ(o1 - o0, 0);
}

TL_TEST(test_div) {
  TL_EXPECT_EQ(tl_geo_div(0, 7), 0);
  TL_EXPECT_EQ(tl_geo_div(UINT32_MAX, 2), UINT32_MAX / 2);
  TL_EXPECT_EQ(tl_geo_div((int64_t)UINT32_MAX + 1, 2), ((int64_t)UINT32_MAX + 1) / 2);
  TL_EXPECT_EQ(tl_geo_ceil_div(0, 3), 0);
  TL_EXPECT_EQ(tl_geo_ceil_div(7, 3), 3);
  TL_EXPECT_EQ(tl_geo_ceil_div(6, 3), 2);
  TL_EXPECT_EQ(tl_geo_ceil_div(INT32_MAX, INT32_MAX), 1);
  TL_EXPECT_EQ(tl_geo_ceil_div((int64_t)INT32_MAX * 2 + 1, INT32_MAX), 3);
}

int main(void) {
  TL_RUN(test_taps_match_brute_force);
  TL_RUN(test_taps_at_int32_extremes);
  TL_RUN(test_start);
  TL_RUN(test_clip);
  TL_RUN(test_inside);
  TL_RUN(test_div);
  return tl_test_summary();
}
