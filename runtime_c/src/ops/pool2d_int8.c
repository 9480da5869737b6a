/* pool2d_int8.c: int8 half of MaxPool2D and AveragePool2D.
 *
 * MaxPool2D requires equal input and output parameters (a max does not requantize). AveragePool2D averages the
 * centered input and requantizes when the parameters differ (tl_op_requantize_params). Fused activations are
 * clamps of the output range.
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"
#include "quant.h"

typedef struct tl_pool8_state {
  tl_pool_int8_params p;
  int32_t isa;   /* the optimized kernel's level, or TL_ISA_REFERENCE */
  int32_t level; /* tl_i8_level */
} tl_pool8_state;

tl_status tl_prepare_pool2d_int8(tl_op_ctx *ctx, tl_node *node, const tl_pool_params *g, int max, int32_t act) {
  tl_pool_int8_params p;
  tl_pool8_state *s;
  float si, so;
  int32_t zi, zo, lo, hi;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  TL_OP_ENSURE(ctx, !max || (si == so && zi == zo), TL_ERROR_BAD_QUANTIZATION,
               "input (scale %g, zero point %d) and output (scale %g, zero point %d) must share their parameters",
               (double)si, zi, (double)so, zo);
  memset(&p, 0, sizeof p);
  p.geom = *g;
  tl_activation_range_int8(act, so, zo, &lo, &hi);
  TL_ENSURE_OK(tl_op_requantize_params(ctx, si, zi, so, zo, lo, hi, "input to output", &p.q));
  s = (tl_pool8_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->isa = TL_ISA_REFERENCE;
  s->level = 0;
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel (as the GEMM ops) */
  if (ctx->interp->isa != TL_ISA_REFERENCE &&
      (max || (int64_t)g->filter_h * g->filter_w <= TL_AVERAGE_POOL_INT8_MAX_WINDOW)) { /* no memory needed */
    const tl_cpu_features f = tl_cpu_features_detect();
    s->level = (int32_t)tl_i8_level_for((tl_isa)ctx->interp->isa, &f);
    s->isa = ctx->interp->isa;
  }
#endif
  node->state = s;
  return TL_OK;
}

void tl_eval_max_pool2d_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_pool8_state *s = (const tl_pool8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
#if !defined(TL_FREESTANDING)
  if (s->isa != TL_ISA_REFERENCE) {
    tl_max_pool2d_int8_opt(y, x, &s->p, (tl_i8_level)s->level);
    return;
  }
#endif
  tl_max_pool2d_int8(y, x, &s->p);
}

void tl_eval_average_pool2d_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_pool8_state *s = (const tl_pool8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
#if !defined(TL_FREESTANDING)
  if (s->isa != TL_ISA_REFERENCE) {
    tl_average_pool2d_int8_opt(y, x, &s->p, (tl_i8_level)s->level);
    return;
  }
#endif
  tl_average_pool2d_int8(y, x, &s->p);
}
