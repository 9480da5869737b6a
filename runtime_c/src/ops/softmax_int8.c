/* softmax_int8.c: int8 half of Softmax: output scale exactly 1/256, zero point -128 (others are rejected);
 * rescales beta * scale to Q5 (min(beta * input_scale * 2^26, 2^31 - 1)); the radius comes from the
 * unclamped shift, as in trainer/quantize.py prepare_softmax. The optimized kernels use an exponential table
 * built at prepare into the op's per-node memory. */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"
#include "quant.h"

typedef struct tl_softmax8_state {
  tl_softmax_int8_params p;
  void *table; /* tl_softmax_int8_opt_bytes(), or NULL: the reference kernel */
} tl_softmax8_state;

tl_status tl_prepare_softmax_int8(tl_op_ctx *ctx, tl_node *node, const tl_softmax_params *g) {
  tl_softmax_int8_params p;
  tl_softmax8_state *s;
  void *table = NULL;
  float si, so;
  int32_t zi, zo, m = 0, sh = 0;
  double real;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  TL_ENSURE_OK(tl_op_check_fixed_output(ctx, so, zo, 1.0f / 256.0f, -128));
  TL_OP_ENSURE(ctx, g->depth <= 4095, TL_ERROR_UNSUPPORTED_FEATURE,
               "int8 softmax over %d values: at most 4095 (the fixed-point sum would overflow)", g->depth);
  real = (double)g->beta * (double)si * 67108864.0;
  if (real > 2147483647.0) real = 2147483647.0;
  if (!tl_quantize_multiplier(real, &m, &sh)) m = 0; /* beta and scale are positive and finite: unreachable */
  sh = sh < -31 ? -31 : (sh > 31 ? 31 : sh);
  memset(&p, 0, sizeof p);
  p.outer = g->outer;
  p.depth = g->depth;
  p.input_multiplier = m;
  p.input_shift = sh;
  p.diff_min = -tl_input_radius(5, sh);
  s = (tl_softmax8_state *)tl_op_persistent(ctx, sizeof *s);
#if !defined(TL_FREESTANDING)
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE) { /* the optimized kernels' table */
    table = tl_op_persistent(ctx, tl_softmax_int8_opt_bytes());
    if (table == NULL && !ctx->sizing) return tl_op_unplaced(ctx);
  }
#endif
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->table = table;
#if !defined(TL_FREESTANDING)
  if (table != NULL) tl_softmax_int8_opt_prepare(table, &s->p);
#endif
  node->state = s;
  return TL_OK;
}

void tl_eval_softmax_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_softmax8_state *s = (const tl_softmax8_state *)node->state;
#if !defined(TL_FREESTANDING)
  if (s->table != NULL) {
    tl_softmax_int8_opt((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                        s->table, &s->p);
    return;
  }
#endif
  tl_softmax_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0), &s->p);
}
