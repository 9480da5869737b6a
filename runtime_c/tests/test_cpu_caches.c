/* test_cpu_caches.c: the cache sizes the runtime detects (cpu_caches.h) and the batch-1 FullyConnected's
 * traversal rule as a pure function of (weights bytes, cache sizes).
 *
 * The rule is checked for three machines (this project's AMD EPYC: 32 KB L1d, 512 KB L2; an Intel Xeon with
 * 48 KB L1d and 2 MB L2; the 32 KB / 256 KB default) with weights in L1, in L2 and beyond L2, and at the L1
 * boundary. The detection prints "caches: l1d=N l2=N source=S" for tests/runtime/test_cpu_caches.py, which
 * compares it with the OS's view; here only its sanity (positive, L1d at most L2).
 */
#include <stdio.h>

#include "cpu_caches.h"
#include "tl_test.h"

static const tl_cpu_caches k_epyc = {32 * 1024, 512 * 1024, TL_CACHES_CPUID};
static const tl_cpu_caches k_xeon = {48 * 1024, 2048 * 1024, TL_CACHES_CPUID};
static const tl_cpu_caches k_default = {TL_CACHES_DEFAULT_L1D, TL_CACHES_DEFAULT_L2, TL_CACHES_DEFAULT};

/* packed weights of an FC with `in` inputs and `out` outputs (panels of 16, one bias row): (in + 1) * out */
static size_t fc_bytes(size_t in, size_t out) { return (in + 1) * out * sizeof(float); }

TL_TEST(l1_resident_weights_run_ascending) {
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(64, 64), &k_epyc), 0);   /* 16.6 KB */
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(100, 10), &k_epyc), 0);  /* 4 KB: an MLP head */
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(160, 64), &k_xeon), 0);  /* 41 KB: in a 48 KB L1 */
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(160, 64), &k_epyc), 1);  /* not in a 32 KB one */
  TL_EXPECT_EQ(tl_fc_f32_alternate(32 * 1024, &k_default), 0);       /* exactly L1 */
  TL_EXPECT_EQ(tl_fc_f32_alternate(32 * 1024 + 1, &k_default), 1);
}

TL_TEST(l2_resident_weights_alternate) {
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(256, 256), &k_epyc), 1);  /* 257 KB */
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(784, 256), &k_xeon), 1);  /* 804 KB: the MLP's first layer */
}

TL_TEST(beyond_l2_weights_alternate) {
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(1024, 1024), &k_epyc), 1); /* 4 MB */
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(2048, 1024), &k_xeon), 1); /* 8 MB */
  TL_EXPECT_EQ(tl_fc_f32_alternate(fc_bytes(1024, 1024), &k_default), 1);
}

TL_TEST(detection_is_sane) {
  const tl_cpu_caches c = tl_cpu_caches_detect();
  printf("caches: l1d=%lld l2=%lld source=%d\n", (long long)c.l1d_bytes, (long long)c.l2_bytes, (int)c.source);
  TL_EXPECT_TRUE(c.l1d_bytes >= 4096 && c.l1d_bytes <= c.l2_bytes);
  TL_EXPECT_TRUE(c.source >= TL_CACHES_DEFAULT && c.source <= TL_CACHES_SYSFS);
}

int main(void) {
  TL_RUN(l1_resident_weights_run_ascending);
  TL_RUN(l2_resident_weights_alternate);
  TL_RUN(beyond_l2_weights_alternate);
  TL_RUN(detection_is_sane);
  return tl_test_summary();
}
