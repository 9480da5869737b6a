/* batch_matmul_opt.c: optimized float32 BatchMatMul on the packed GEMM (see opt_kernels.h).
 *
 * What this is: each output matrix y[b] = A[b] B[b] as one GEMM of the level (m rows, k deep, n columns).
 * B[b] is an activation (attention's K^T and V), so it is packed into the level's panels per batch, into
 * the caller's scratch: O(k n) copies for O(m k n) multiply-adds; [k, n] rows copy nr floats at a time,
 * an adj_y [n, k] matrix is packed as a weight matrix is. An adj_x A[b] ([k, m]) is transposed into the
 * scratch first, since the micro-kernels read rows of A. What this is not: the specification
 * (tl_batch_matmul_f32): results match it within float rounding (FMA, another order of the k products).
 */
#include <math.h>
#include <string.h>

#include "opt_kernels.h"

/* x86-64 always has SSE: tl_bmm_pack_nk transposes 4 x 4 blocks in registers there (the same floats moved) */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TL_BMM_SSE 1
#else
#define TL_BMM_SSE 0
#endif

/* B's panels at the widest level (AVX-512: 32 columns), which holds every level's (8, 16 and 32 divide 32): the
 * arena a model needs does not depend on the CPU (trainer/tlm/planner.py mirrors this size). */
size_t tl_batch_matmul_f32_opt_scratch_floats(const tl_batch_matmul_params *p) {
  const size_t packed = tl_gemm_packed_floats(TL_ISA_AVX512, p->n, p->k);
  return packed + (p->adj_x ? (size_t)p->m * (size_t)p->k : 0);
}

/* B [k, n] (row-major) into panels of nr columns: row 0 of each panel (the bias) is zeros. */
static void tl_bmm_pack_kn(float *packed, const float *b, int32_t n, int32_t k, int32_t nr) {
  if (n == nr) { /* one full panel: the bias row, then B's rows as they are */
    memset(packed, 0, (size_t)nr * sizeof(float));
    memcpy(packed + nr, b, (size_t)k * (size_t)n * sizeof(float));
    return;
  }
  for (int32_t j0 = 0; j0 < n; j0 += nr) {
    float *panel = packed + ((int64_t)j0 / nr) * ((int64_t)k + 1) * nr; /* [k + 1, nr] */
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
    memset(panel, 0, (size_t)nr * sizeof(float));
    for (int32_t i = 0; i < k; i++) {
      float *row = panel + (int64_t)(i + 1) * nr;
      memcpy(row, b + (int64_t)i * n + j0, (size_t)cols * sizeof(float));
      if (cols < nr) memset(row + cols, 0, (size_t)(nr - cols) * sizeof(float));
    }
  }
}

/* B [n, k] (adj_y, row-major) into panels of nr columns: B transposed, row 0 of each panel (the bias) zeros. Row
 * j of B is column j of its panel: four of its floats at a time go to four panel rows, so the reads are
 * sequential and each panel row is written left to right (tl_gemm_pack_f32, a weight matrix's packing at
 * prepare, writes one float per panel row per step after clearing the whole block: several times slower at
 * attention's 32 x 16 per batch and head). On x86-64, 4 x 4 blocks go through SSE registers (four 16-byte loads,
 * the transpose, four 16-byte stores: four heads' K^T packed in about 0.3 us instead of 0.7 at one core). */
static void tl_bmm_pack_nk(float *packed, const float *b, int32_t n, int32_t k, int32_t nr) {
  for (int32_t j0 = 0; j0 < n; j0 += nr) {
    float *panel = packed + ((int64_t)j0 / nr) * ((int64_t)k + 1) * nr; /* [k + 1, nr] */
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
    int32_t i = 0;
    memset(panel, 0, (size_t)nr * sizeof(float));
    for (; i + 4 <= k; i += 4) {
      float *r0 = panel + (int64_t)(i + 1) * nr, *r1 = r0 + nr, *r2 = r1 + nr, *r3 = r2 + nr;
      int32_t j = 0;
#if TL_BMM_SSE
      for (; j + 4 <= cols; j += 4) { /* a 4 x 4 block: four loads, the transpose in registers, four stores */
        const float *bj = b + (int64_t)(j0 + j) * k + i; /* [4, k] */
        __m128 c0 = _mm_loadu_ps(bj), c1 = _mm_loadu_ps(bj + k), c2 = _mm_loadu_ps(bj + 2 * k);
        __m128 c3 = _mm_loadu_ps(bj + 3 * k);
        _MM_TRANSPOSE4_PS(c0, c1, c2, c3);
        _mm_storeu_ps(r0 + j, c0);
        _mm_storeu_ps(r1 + j, c1);
        _mm_storeu_ps(r2 + j, c2);
        _mm_storeu_ps(r3 + j, c3);
      }
#endif
      for (; j < cols; j++) {
        const float *bj = b + (int64_t)(j0 + j) * k + i; /* [4] */
        r0[j] = bj[0], r1[j] = bj[1], r2[j] = bj[2], r3[j] = bj[3];
      }
    }
    for (; i < k; i++) {
      float *row = panel + (int64_t)(i + 1) * nr;
      for (int32_t j = 0; j < cols; j++) row[j] = b[(int64_t)(j0 + j) * k + i];
    }
    if (cols < nr) {
      for (i = 0; i < k; i++) memset(panel + (int64_t)(i + 1) * nr + cols, 0, (size_t)(nr - cols) * sizeof(float));
    }
  }
}

void tl_batch_matmul_f32_opt_batch(float *y, const float *a, const float *b, float *scratch,
                                   const tl_batch_matmul_params *p, tl_isa isa, int64_t index) {
  const int32_t i2 = (int32_t)(index % p->batch[2]);
  const int32_t i1 = (int32_t)(index / p->batch[2] % p->batch[1]);
  const int32_t i0 = (int32_t)(index / p->batch[2] / p->batch[1]);
  const float *ab = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2]; /* [m, k] or [k, m] */
  const float *bb = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2]; /* [k, n] or [n, k] */
  float *packed = scratch; /* tl_gemm_packed_floats(isa, n, k) */
  tl_gemm_f32_args g;
  if (p->adj_y) tl_bmm_pack_nk(packed, bb, p->n, p->k, tl_gemm_nr(isa));
  else tl_bmm_pack_kn(packed, bb, p->n, p->k, tl_gemm_nr(isa));
  if (p->adj_x) {
    float *at = scratch + tl_gemm_packed_floats(TL_ISA_AVX512, p->n, p->k); /* [m, k] */
    for (int32_t l = 0; l < p->k; l++) {
      for (int32_t i = 0; i < p->m; i++) at[(int64_t)i * p->k + l] = ab[(int64_t)l * p->m + i];
    }
    ab = at;
  }
  g.m = p->m;
  g.n = p->n;
  g.k = p->k;
  g.a = ab;
  g.lda = p->k;
  g.b_packed = packed;
  g.c = y + index * p->m * p->n;
  g.ldc = p->n;
  g.act.min = -INFINITY;
  g.act.max = INFINITY;
  tl_gemm_f32(&g, isa);
}

void tl_batch_matmul_f32_opt(float *y, const float *a, const float *b, float *scratch,
                             const tl_batch_matmul_params *p, tl_isa isa) {
  const int64_t batches = (int64_t)p->batch[0] * p->batch[1] * p->batch[2];
  for (int64_t index = 0; index < batches; index++) tl_batch_matmul_f32_opt_batch(y, a, b, scratch, p, isa, index);
}
