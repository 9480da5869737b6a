/* batch_matmul_int8_opt.c: int8 BatchMatMul on the int8 GEMM's tile micro-kernels (see int8_gemm_ops.h).
 *
 * What this is: per output batch, B (an activation: attention's K^T and V) packed into the level's panels in
 * the scratch, with corr[j] = -(a_zp + offset) * sum_l B[l, j]; A's rows read in place (adj_x: transposed into
 * the scratch first, since the tiles read rows). The reference's exact sum splits as
 *   sum_l (a - a_zp)(b - b_zp) = [sum_l (a + offset) b] + corr[j] + rc[i],  rc[i] = -b_zp sum_l (a[i, l] - a_zp)
 * the bracket being the tile's raw int32; raw + rc[i] stays in int32 for k <= TL_BMM_INT8_MAX_K, + corr[j] is
 * added in int64 by the requantization, which saturates to int32 and rounds as the reference does (the
 * level's inline requantization where every shift is <= 0, else tl_requantize_channel_int8), so the bytes are
 * the reference's. What this is not: the specification (tl_batch_matmul_int8 in kernels/batch_matmul.c).
 */
#include <string.h>

#include "gemm_int8_internal.h"
#include "int8_gemm_ops.h"

#define TL_BMM8_WIDEST_NR 16 /* the widest level's panel (AVX-512 VNNI): the scratch is sized for it */

int tl_batch_matmul_int8_opt_ok(const tl_batch_matmul_params *p) {
  return p->m > 0 && p->n > 0 && p->k > 0 && p->k <= TL_BMM_INT8_MAX_K;
}

static int64_t tl_bmm8_npad(int32_t n) { return ((int64_t)n + TL_BMM8_WIDEST_NR - 1) / TL_BMM8_WIDEST_NR * TL_BMM8_WIDEST_NR; }

size_t tl_batch_matmul_int8_opt_scratch_bytes(const tl_batch_matmul_params *p) {
  const size_t npad = (size_t)tl_bmm8_npad(p->n), m = (size_t)p->m, k = (size_t)p->k;
  return TL_I8_ALIGN + npad * (size_t)tl_i8_kp(p->k) + npad * sizeof(int64_t) + m * sizeof(int32_t) +
         (p->adj_x ? m * k : 0);
}

void tl_batch_matmul_int8_opt_batch(int8_t *y, const int8_t *a, const int8_t *b, void *scratch,
                                    const tl_batch_matmul_int8_params *q, tl_i8_level level, int64_t index) {
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const tl_batch_matmul_params *p = &q->geom;
  const int32_t m = p->m, n = p->n, k = p->k, nr = ks->nr;
  const int32_t i2 = (int32_t)(index % p->batch[2]);
  const int32_t i1 = (int32_t)(index / p->batch[2] % p->batch[1]);
  const int32_t i0 = (int32_t)(index / p->batch[2] / p->batch[1]);
  const int8_t *ab = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2]; /* [m, k] or [k, m] */
  const int8_t *bb = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2]; /* [k, n] or [n, k] */
  const int64_t npad = tl_bmm8_npad(n), kp = tl_i8_kp(k);
  int8_t *panels = (int8_t *)scratch + (TL_I8_ALIGN - (uintptr_t)scratch % TL_I8_ALIGN) % TL_I8_ALIGN;
  int64_t *corr = (int64_t *)(void *)(panels + npad * kp); /* [npad] */
  int32_t *rc = (int32_t *)(corr + npad);                  /* [m] */
  int8_t *yb = y + index * m * n;
  int32_t acc[TL_I8_MR * 16];
  tl_requant_int8 rq;
  int32_t inline_requant;
  memset(&rq, 0, sizeof rq);
  rq.channels = 1;
  rq.multiplier = q->multiplier;
  rq.shift = q->shift;
  rq.output_zp = q->out_zp;
  rq.act_min = -128;
  rq.act_max = 127;
  inline_requant = tl_i8_inline_ok(&rq);
  /* B's element (l, j) as the packed matrix's (j, l) */
  const tl_i8p_strides st = {n, 0, p->adj_y ? k : 1, p->adj_y ? 1 : n};
  tl_i8p_pack(panels, corr, bb, &st, n, k, q->a_zp, ks);
  if (p->adj_x) {
    int8_t *at = (int8_t *)(rc + m); /* [m, k] */
    for (int32_t l = 0; l < k; l++)
      for (int32_t i = 0; i < m; i++) at[(int64_t)i * k + l] = ab[(int64_t)l * m + i];
    ab = at;
  }
  for (int32_t i = 0; i < m; i++) { /* |rc| <= 128 * 255 * k: int32 */
    const int8_t *ai = ab + (int64_t)i * k;
    int32_t s = 0;
    for (int32_t l = 0; l < k; l++) s += ai[l];
    rc[i] = -q->b_zp * (s - q->a_zp * k);
  }
  for (int32_t j0 = 0; j0 < n; j0 += nr) {
    const int8_t *panel = panels + (int64_t)j0 * kp;
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
    for (int32_t r0 = 0; r0 < m; r0 += TL_I8_MR) {
      const int32_t rows = m - r0 < TL_I8_MR ? m - r0 : TL_I8_MR;
      ks->tile(ab + (int64_t)r0 * k, k, rows, k, panel, acc);
      for (int32_t r = 0; r < rows; r++)
        for (int32_t j = 0; j < cols; j++) acc[r * 16 + j] += rc[r0 + r];
      tl_i8_requant_rows(ks, yb + (int64_t)r0 * n + j0, n, acc, rows, corr + j0, j0, cols, &rq, inline_requant);
    }
  }
}
