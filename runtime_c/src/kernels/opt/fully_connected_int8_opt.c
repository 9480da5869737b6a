/* fully_connected_int8_opt.c: FullyConnected on the packed int8 GEMM (see opt_kernels_int8.h).
 *
 * What this is: the op driver: y [batch, out_depth] = requant(x [batch, in_depth] . w^T + bias) as one GEMM of
 * batch rows. What this is not: a micro-kernel (gemm_int8_<level>.c) or validation (ops/fully_connected_int8.c).
 */
#include "gemm_int8_internal.h"

size_t tl_fc_int8_opt_packed_bytes(const tl_fc_int8_params *p, tl_i8_level level) {
  return tl_gemm_int8_packed_bytes(level, p->out_depth, p->in_depth);
}

void tl_fc_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_fc_int8_params *p,
                         tl_i8_level level) {
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const int32_t n = p->out_depth, k = p->in_depth;
  tl_gemm_int8_pack(packed, w, bias, n, k, k, k, p->input_zp, &p->out, ks, 0);
  /* One row on a level with a one-row product in registers (VNNI): when every correction fits its int32
   * lanes, that product always applies, so its interleaved layout can replace the plain one. */
  if (ks->gemv_q != NULL && p->batch == 1 && tl_i8_inline_ok(&p->out)) {
    const int64_t *corr = tl_i8_corr(packed);
    const int64_t bound = (int64_t)INT32_MAX - tl_i8_kp(k) * 255 * 128;
    int32_t fits = bound >= 0;
    for (int32_t j = 0; j < n && fits; j++) fits = corr[j] <= bound && corr[j] >= -bound;
    if (fits) tl_gemm_int8_pack(packed, w, bias, n, k, k, k, p->input_zp, &p->out, ks, 1);
  }
}

void tl_fc_int8_opt(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p, tl_i8_level level) {
  tl_gemm_int8_run(y, p->out_depth, x, p->in_depth, p->batch, packed, p->out_depth, p->in_depth, &p->out,
                   tl_i8_kernels_for(level), 0, p->out_depth);
}

void tl_fc_int8_opt_cols(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p,
                         tl_i8_level level, int32_t j_begin, int32_t j_end) {
  tl_gemm_int8_run(y, p->out_depth, x, p->in_depth, p->batch, packed, p->out_depth, p->in_depth, &p->out,
                   tl_i8_kernels_for(level), j_begin, j_end < p->out_depth ? j_end : p->out_depth);
}
