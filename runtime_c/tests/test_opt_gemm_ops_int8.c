/* test_opt_gemm_ops_int8.c: int8 TransposeConv and BatchMatMul on the int8 GEMM's tiles (kernels/opt/
 * int8_gemm_ops.h) against their reference kernels (tl_transpose_conv_int8, tl_batch_matmul_int8), byte for
 * byte, at every int8 level this CPU supports (portable, AVX2, AVX-512 VNNI, NEON, dotprod).
 *
 * TransposeConv: geometries that reach every branch (out_c a multiple of the panel width: tiles added straight
 * into the ring; other out_c: the column block; out_c dividing 16 with one multiplier: the periodic bias;
 * rows and columns no tap reaches; kernels taller than two strides; several pixel blocks; a batch of 2), the
 * whole output and the output rows cut into three ranges (the thread split), random per-channel multipliers
 * (one above 1: the scalar requantization), extreme zero points and activation clamps, and that nothing
 * past the output is written. BatchMatMul: adj_x/adj_y, broadcast batches, tails of the tiles and panels,
 * multipliers above 1 (positive shifts) and tiny ones, extreme zero points. Prints each level tested
 * ("gemm8ops level avx2").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/batch_matmul.h"
#include "kernels/opt/int8_gemm_ops.h"
#include "kernels/transpose_conv.h"
#include "quant.h"
#include "tl_test.h"

static tl_i8_level g_level; /* the level under test (test-only state) */
static uint32_t g_rng = 12345u;

static uint32_t rnd(void) { /* xorshift32 */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return g_rng;
}
static int32_t rnd_in(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static void fill_i8(int8_t *p, size_t n, int32_t lo, int32_t hi) {
  for (size_t i = 0; i < n; i++) p[i] = (int8_t)rnd_in(lo, hi);
}

#define GUARD 64

/* x, kernel, out_c, strides, SAME (1) or VALID (0), batch */
typedef struct tconv_case {
  int32_t in_h, in_w, in_c, k_h, k_w, out_c, stride_h, stride_w, same, batch;
} tconv_case;

static const tconv_case k_tconv[] = {
    {8, 8, 32, 3, 3, 16, 2, 2, 1, 1},  /* the autoencoder's: out_c 16 (straight into the ring) */
    {16, 16, 16, 3, 3, 1, 2, 2, 1, 1}, /* one channel: the periodic bias, two pixel blocks */
    {5, 19, 7, 4, 4, 37, 2, 2, 1, 2},  /* the column block, channel tails, a batch of 2 */
    {3, 4, 5, 2, 2, 3, 3, 3, 0, 1},    /* stride > kernel: rows and columns no tap reaches */
    {6, 6, 9, 3, 3, 4, 1, 1, 1, 1},    /* stride 1 */
    {4, 5, 3, 5, 3, 8, 2, 1, 0, 1},    /* k_h > 2 stride_h */
    {3, 3, 70, 2, 2, 32, 2, 2, 0, 1},  /* deep: past the depth blocks of the tiles */
    {2, 2, 1, 1, 1, 2, 1, 1, 0, 1},    /* 1x1, one input channel */
};

static tl_conv_params tconv_geom(const tconv_case *c) {
  tl_conv_params g;
  memset(&g, 0, sizeof g);
  g.batch = c->batch;
  g.in_h = c->in_h;
  g.in_w = c->in_w;
  g.in_c = c->in_c;
  g.k_h = c->k_h;
  g.k_w = c->k_w;
  g.out_c = c->out_c;
  g.stride_h = c->stride_h;
  g.stride_w = c->stride_w;
  g.dilation_h = g.dilation_w = 1;
  g.depth_multiplier = 1;
  if (c->same) { /* TFLite's SAME for the Conv2D from the output back to the input */
    const int32_t th = (c->in_h - 1) * c->stride_h + c->k_h - c->in_h * c->stride_h;
    const int32_t tw = (c->in_w - 1) * c->stride_w + c->k_w - c->in_w * c->stride_w;
    g.out_h = c->in_h * c->stride_h;
    g.out_w = c->in_w * c->stride_w;
    g.pad_top = th > 0 ? th / 2 : 0;
    g.pad_left = tw > 0 ? tw / 2 : 0;
  } else {
    g.out_h = (c->in_h - 1) * c->stride_h + c->k_h;
    g.out_w = (c->in_w - 1) * c->stride_w + c->k_w;
  }
  return g;
}

/* Per-channel requantization: multipliers of reals spread over 1e-8 .. 1e-2 (variant 1: one of them 1.5, a
 * positive shift, so the whole op takes the scalar requantization; variant 2: one multiplier, per tensor). */
static void make_requant(tl_requant_int8 *q, int32_t *ms, int32_t *ss, int32_t channels, int variant) {
  memset(q, 0, sizeof *q);
  for (int32_t c = 0; c < channels; c++) {
    static const double decades[4] = {1e-5, 1e-4, 1e-3, 1e-2};
    double real = (double)rnd_in(1, 1000) / 1000.0 * decades[rnd() % 4];
    if (variant == 1 && c == channels - 1) real = 1.5;
    TL_EXPECT_EQ(tl_quantize_multiplier(real, &ms[c], &ss[c]), 1);
  }
  q->channels = variant == 2 ? 1 : channels;
  q->multiplier = ms[0];
  q->shift = ss[0];
  q->multipliers = ms;
  q->shifts = ss;
  q->output_zp = rnd_in(-128, 127);
  q->act_min = variant == 0 ? -128 : rnd_in(-128, -10);
  q->act_max = variant == 0 ? 127 : rnd_in(10, 127);
}

static void check_tconv(const tconv_case *c, int variant) {
  tl_conv_int8_params q;
  const tl_conv_params g = tconv_geom(c);
  const size_t nx = (size_t)g.batch * g.in_h * g.in_w * g.in_c, nw = (size_t)g.out_c * g.k_h * g.k_w * g.in_c;
  const size_t ny = (size_t)g.batch * g.out_h * g.out_w * g.out_c;
  int8_t *x = (int8_t *)malloc(nx), *w = (int8_t *)malloc(nw), *want = (int8_t *)malloc(ny);
  int8_t *got = (int8_t *)malloc(ny + GUARD);
  int32_t *bias = (int32_t *)malloc((size_t)g.out_c * sizeof(int32_t));
  int32_t *ms = (int32_t *)malloc((size_t)g.out_c * sizeof(int32_t)), *ss = (int32_t *)malloc((size_t)g.out_c * sizeof(int32_t));
  void *packed = malloc(tl_transpose_conv_int8_opt_packed_bytes(&g, g_level));
  void *scratch = malloc(tl_transpose_conv_int8_opt_scratch_bytes(&g));
  memset(&q, 0, sizeof q);
  q.geom = g;
  q.input_zp = variant == 0 ? 127 : (variant == 1 ? -128 : rnd_in(-128, 127));
  make_requant(&q.out, ms, ss, g.out_c, variant);
  fill_i8(x, nx, -128, 127);
  fill_i8(w, nw, -127, 127);
  for (int32_t o = 0; o < g.out_c; o++) bias[o] = rnd_in(-(1 << 20), 1 << 20);
  TL_EXPECT_TRUE(tl_transpose_conv_int8_opt_ok(&g));
  tl_transpose_conv_int8(want, x, w, variant == 2 ? NULL : bias, &q);
  tl_transpose_conv_int8_opt_pack(packed, w, variant == 2 ? NULL : bias, &q, g_level);
  for (int split = 0; split < 2; split++) {
    memset(got, 0x5A, ny + GUARD);
    for (int32_t b = 0; b < g.batch; b++) {
      if (!split) {
        tl_transpose_conv_int8_opt_rows(got, x, packed, scratch, &q, g_level, b, 0, g.out_h);
        continue;
      }
      const int32_t r1 = g.out_h / 3, r2 = 2 * g.out_h / 3 + 1 < g.out_h ? 2 * g.out_h / 3 + 1 : g.out_h;
      tl_transpose_conv_int8_opt_rows(got, x, packed, scratch, &q, g_level, b, r1, r2); /* any order */
      tl_transpose_conv_int8_opt_rows(got, x, packed, scratch, &q, g_level, b, r2, g.out_h);
      tl_transpose_conv_int8_opt_rows(got, x, packed, scratch, &q, g_level, b, 0, r1);
    }
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < ny; i++)
      if (got[i] != want[i] && bad++ == 0) first = i;
    if (bad) TL_FAIL_("tconv %dx%dx%d k%dx%d oc %d variant %d split %d: %zu differ, first at %zu (%d, want %d)",
                      c->in_h, c->in_w, c->in_c, c->k_h, c->k_w, c->out_c, variant, split, bad, first, got[first],
                      want[first]);
    for (size_t i = ny; i < ny + GUARD; i++) TL_EXPECT_EQ(got[i], 0x5A);
  }
  free(x), free(w), free(want), free(got), free(bias), free(ms), free(ss), free(packed), free(scratch);
}

TL_TEST(transpose_conv_every_geometry) {
  for (size_t i = 0; i < sizeof k_tconv / sizeof k_tconv[0]; i++)
    for (int variant = 0; variant < 3; variant++) check_tconv(&k_tconv[i], variant);
}

/* a dims (rank 4, right-aligned batch), b dims, adj_x, adj_y */
typedef struct bmm_case {
  int32_t a_batch[3], b_batch[3], m, k, n, adj_x, adj_y;
} bmm_case;

static const bmm_case k_bmm[] = {
    {{1, 1, 4}, {1, 1, 4}, 32, 16, 32, 0, 1},   /* attention's Q K^T */
    {{1, 1, 4}, {1, 1, 4}, 32, 32, 16, 0, 0},   /* P V */
    {{1, 2, 3}, {1, 2, 3}, 37, 19, 45, 0, 0},   /* every tail */
    {{1, 1, 3}, {1, 1, 1}, 13, 29, 40, 1, 0},   /* adj_x, b broadcast */
    {{2, 1, 1}, {1, 3, 1}, 19, 37, 23, 1, 1},   /* both adjoint, batches broadcast both ways */
    {{1, 1, 1}, {1, 1, 1}, 1, 70, 33, 0, 0},    /* one row */
    {{1, 1, 2}, {1, 1, 2}, 5, 300, 17, 0, 1},   /* deep */
};

static void check_bmm(const bmm_case *c, int variant) {
  tl_batch_matmul_int8_params q;
  tl_batch_matmul_params *p = &q.geom;
  int64_t a_size = (int64_t)c->m * c->k, b_size = (int64_t)c->k * c->n;
  memset(&q, 0, sizeof q);
  p->m = c->m;
  p->k = c->k;
  p->n = c->n;
  p->adj_x = c->adj_x;
  p->adj_y = c->adj_y;
  for (int d = 2; d >= 0; d--) {
    const int32_t da = c->a_batch[d], db = c->b_batch[d];
    p->batch[d] = da > db ? da : db;
    p->a_stride[d] = da == 1 ? 0 : a_size;
    p->b_stride[d] = db == 1 ? 0 : b_size;
    a_size *= da;
    b_size *= db;
  }
  const int64_t batches = (int64_t)p->batch[0] * p->batch[1] * p->batch[2];
  const size_t ny = (size_t)(batches * c->m * c->n);
  int8_t *a = (int8_t *)malloc((size_t)a_size), *b = (int8_t *)malloc((size_t)b_size);
  int8_t *want = (int8_t *)malloc(ny), *got = (int8_t *)malloc(ny + GUARD);
  void *scratch = malloc(tl_batch_matmul_int8_opt_scratch_bytes(p));
  const double reals[3] = {3e-4, 1.7, 2e-9}; /* shift -11, shift 1 (the scalar requantization), shift -28 */
  q.a_zp = variant == 0 ? -128 : rnd_in(-128, 127);
  q.b_zp = variant == 0 ? 127 : rnd_in(-128, 127);
  q.out_zp = rnd_in(-128, 127);
  TL_EXPECT_EQ(tl_quantize_multiplier(reals[variant], &q.multiplier, &q.shift), 1);
  fill_i8(a, (size_t)a_size, variant == 1 ? -3 : -128, variant == 1 ? 3 : 127);
  fill_i8(b, (size_t)b_size, variant == 1 ? -3 : -128, variant == 1 ? 3 : 127);
  if (variant == 1) q.a_zp = q.b_zp = 0;
  TL_EXPECT_TRUE(tl_batch_matmul_int8_opt_ok(p));
  tl_batch_matmul_int8(want, a, b, &q);
  memset(got, 0x5A, ny + GUARD);
  for (int64_t index = batches - 1; index >= 0; index--) /* any order */
    tl_batch_matmul_int8_opt_batch(got, a, b, scratch, &q, g_level, index);
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < ny; i++)
    if (got[i] != want[i] && bad++ == 0) first = i;
  if (bad) TL_FAIL_("bmm m %d k %d n %d adj %d%d variant %d: %zu differ, first at %zu (%d, want %d)", c->m, c->k,
                    c->n, c->adj_x, c->adj_y, variant, bad, first, got[first], want[first]);
  for (size_t i = ny; i < ny + GUARD; i++) TL_EXPECT_EQ(got[i], 0x5A);
  free(a), free(b), free(want), free(got), free(scratch);
}

TL_TEST(batch_matmul_every_geometry) {
  for (size_t i = 0; i < sizeof k_bmm / sizeof k_bmm[0]; i++)
    for (int variant = 0; variant < 3; variant++) check_bmm(&k_bmm[i], variant);
}

TL_TEST(admission_rules) {
  tl_conv_params g = tconv_geom(&k_tconv[0]);
  tl_batch_matmul_params p;
  g.in_c = 65535 / 9 + 1; /* k_h k_w in_c past TL_GEMM_INT8_MAX_K: the reference kernel */
  TL_EXPECT_TRUE(!tl_transpose_conv_int8_opt_ok(&g));
  g.in_c = 65535 / 9;
  TL_EXPECT_TRUE(tl_transpose_conv_int8_opt_ok(&g));
  memset(&p, 0, sizeof p);
  p.m = p.n = 1;
  p.k = TL_BMM_INT8_MAX_K + 1;
  TL_EXPECT_TRUE(!tl_batch_matmul_int8_opt_ok(&p));
  p.k = TL_BMM_INT8_MAX_K;
  TL_EXPECT_TRUE(tl_batch_matmul_int8_opt_ok(&p));
}

int main(void) {
  const tl_cpu_features f = tl_cpu_features_detect();
  printf("features: avx2_fma=%d avx512f=%d avx512vnni=%d neon=%d dotprod=%d\n", f.avx2_fma, f.avx512f,
         f.avx512vnni, f.neon, f.dotprod);
  for (int level = 0; level < TL_I8_LEVEL_COUNT; level++) {
    if (!tl_i8_level_supported((tl_i8_level)level, &f)) continue;
    g_level = (tl_i8_level)level;
    printf("gemm8ops level %s\n", tl_i8_level_name(g_level));
    TL_RUN(transpose_conv_every_geometry);
    TL_RUN(batch_matmul_every_geometry);
    TL_RUN(admission_rules);
  }
  return tl_test_summary();
}
