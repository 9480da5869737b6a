/* fully_connected_opt.c: optimized float32 FullyConnected on the packed GEMM (see opt_kernels.h).
 *
 * What this is: y = act(x * w^T + bias) as one GEMM with m = batch, k = in_depth, n = out_depth, the
 * weights and bias packed once by tl_fc_f32_opt_pack. What this is not: the specification (tl_fc_f32).
 */
#include "opt_kernels.h"

size_t tl_fc_f32_opt_packed_floats(const tl_fc_params *p, tl_isa isa) {
  return tl_gemm_packed_floats(isa, p->out_depth, p->in_depth);
}

void tl_fc_f32_opt_pack(float *packed, const float *w, const float *bias, const tl_fc_params *p, tl_isa isa) {
  tl_gemm_pack_f32(packed, w, bias, p->out_depth, p->in_depth, isa);
}

void tl_fc_f32_opt(float *y, const float *x, const float *packed, const tl_fc_params *p, tl_isa isa) {
  tl_gemm_f32_args g;
  g.m = p->batch;
  g.n = p->out_depth;
  g.k = p->in_depth;
  g.a = x;
  g.lda = p->in_depth;
  g.b_packed = packed;
  g.c = y;
  g.ldc = p->out_depth;
  g.act = p->act;
  tl_gemm_f32(&g, isa);
}
