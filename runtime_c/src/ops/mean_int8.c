/* mean_int8.c: int8 half of Mean: TFLite's reference rule (reference_ops::QuantizedMeanOrSum): the centered
 * sum requantized once, with the multiplier of s_in / s_out with 1 / count folded in (tl_mean_multiplier).
 * Above the reference level, a Mean over consecutive axes runs the optimized kernel (pool_int8_opt.c, the
 * same bytes; no memory). */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"
#include "quant.h"

/* M0, s0 of real (QuantizeMultiplier: a shift below -31 gives 0, above 30 the largest multiplier), then
 * k = min(floor(log2 count), 32, 31 + s0), M = (M0 << k) / count, shift s0 - k (>= -31, <= 30). */
static void tl_mean_multiplier(double real, int64_t count, int32_t *m, int32_t *s) {
  int32_t m0 = 0, s0 = 0, k = 0;
  if (!tl_quantize_multiplier(real, &m0, &s0) || s0 < -31) m0 = 0, s0 = 0;
  if (s0 > 30) m0 = INT32_MAX, s0 = 30;
  while (k < 32 && ((int64_t)1 << (k + 1)) <= count) k++;
  if (k > 31 + s0) k = 31 + s0;
  *m = count > 0 ? (int32_t)(((int64_t)m0 << k) / count) : 0;
  *s = s0 - k;
}

tl_status tl_prepare_mean_int8(tl_op_ctx *ctx, tl_node *node, const tl_mean_params *g) {
  tl_mean_int8_params p, *s;
  float si, so;
  int32_t zi, zo;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  memset(&p, 0, sizeof p);
  p.geom = *g;
  int64_t count = 1;
  for (int32_t d = 0; d < g->rank; d++)
    if (g->reduce[d]) count *= g->in_dims[d];
  p.q.requant = 1;
  p.q.input_zp = zi;
  p.q.output_zp = zo;
  p.q.act_min = -128;
  p.q.act_max = 127;
  tl_mean_multiplier((double)si / (double)so, count, &p.q.multiplier, &p.q.shift);
  s = (tl_mean_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

void tl_eval_mean_int8(tl_op_ctx *ctx, tl_node *node) {
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
  const tl_mean_int8_params *p = (const tl_mean_int8_params *)node->state;
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel (the optimized ones are not linked) */
  const tl_isa isa = (tl_isa)ctx->interp->isa; /* resolved against the CPU at create */
  if (isa != TL_ISA_REFERENCE &&
      tl_mean_int8_opt(y, x, p, isa == TL_ISA_AVX2 || isa == TL_ISA_AVX512 ? TL_I8_AVX2 : TL_I8_PORTABLE))
    return;
#endif
  tl_mean_int8(y, x, p);
}
