/* tl_test.h: a tiny test harness for the C tests (no dependencies).
 *
 *   TL_TEST(name) { ... TL_EXPECT_EQ(a, b); TL_EXPECT_NEAR(x, y, tol); }
 *   int main(void) { TL_RUN(name); ...; return tl_test_summary(); }
 *
 * TL_EXPECT_* record a failure and continue; TL_EXPECT_ARRAY_NEAR prints the first differing elements and
 * the max difference. The summary prints "N passed, M failed" and returns non-zero on any failure.
 */
#ifndef TL_TEST_H
#define TL_TEST_H

#include <math.h>
#include <stdio.h>

static int tl_test_failures_ = 0;
static int tl_test_passed_ = 0;
static int tl_test_failed_ = 0;
static const char *tl_test_current_ = "";

#define TL_TEST(name) static void name(void)

#define TL_RUN(name)                                                    \
  do {                                                                  \
    int before_ = tl_test_failures_;                                    \
    tl_test_current_ = #name;                                           \
    name();                                                             \
    if (tl_test_failures_ == before_) {                                 \
      tl_test_passed_++;                                                \
    } else {                                                            \
      tl_test_failed_++;                                                \
      printf("FAILED %s\n", #name);                                     \
    }                                                                   \
  } while (0)

#define TL_FAIL_(fmt, ...)                                                                  \
  do {                                                                                      \
    tl_test_failures_++;                                                                    \
    printf("%s:%d: %s: " fmt "\n", __FILE__, __LINE__, tl_test_current_, __VA_ARGS__);     \
  } while (0)

#define TL_EXPECT_TRUE(cond)                                 \
  do {                                                       \
    if (!(cond)) TL_FAIL_("expected true: %s", #cond);       \
  } while (0)

#define TL_EXPECT_EQ(a, b)                                                                    \
  do {                                                                                        \
    long long a_ = (long long)(a), b_ = (long long)(b);                                       \
    if (a_ != b_) TL_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);                         \
  } while (0)

#define TL_EXPECT_NEAR(a, b, tol)                                                              \
  do {                                                                                         \
    double a_ = (double)(a), b_ = (double)(b);                                                 \
    if (!(fabs(a_ - b_) <= (double)(tol))) TL_FAIL_("%s ~ %s: %.9g vs %.9g (tol %.3g)", #a, #b, a_, b_, (double)(tol)); \
  } while (0)

/* Compares n floats; prints up to 5 differing elements and the max abs difference. */
#define TL_EXPECT_ARRAY_NEAR(got, want, n, tol) \
  tl_expect_array_near_((got), (want), (long)(n), (double)(tol), #got, __FILE__, __LINE__)

static void tl_expect_array_near_(const float *got, const float *want, long n, double tol, const char *what,
                                  const char *file, int line) {
  long bad = 0;
  double max_diff = 0.0;
  for (long i = 0; i < n; i++) {
    double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= tol)) {
      if (bad < 5) printf("%s:%d: %s: %s[%ld] = %.9g, want %.9g\n", file, line, tl_test_current_, what, i,
                          (double)got[i], (double)want[i]);
      bad++;
    }
    if (d > max_diff || d != d) max_diff = d;
  }
  if (bad) {
    tl_test_failures_++;
    printf("%s:%d: %s: %ld of %ld elements differ, max abs diff %.9g (tol %.3g)\n", file, line,
           tl_test_current_, bad, n, max_diff, tol);
  }
}

static int tl_test_summary(void) {
  printf("%d passed, %d failed\n", tl_test_passed_, tl_test_failed_);
  return tl_test_failed_ ? 1 : 0;
}

#endif /* TL_TEST_H */
