/* pool_int8.c: int8 glue of MaxPool2D, AveragePool2D and Mean.
 *
 * MaxPool2D requires equal input and output parameters (a max does not requantize). AveragePool2D and Mean
 * average the centered input and requantize when the parameters differ (tl_op_requantize_params). Fused
 * activations of the pools are clamps of the output range.
 */
#include <string.h>

#include "fb_schema.h"
#include "cpu_features.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"
#include "quant.h"

tl_status tl_prepare_pool2d_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_pool_params g = node->params.pool;
  tl_pool_int8_params *p = &node->params.pool8;
  float si, so;
  int32_t zi, zo, lo, hi;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  TL_OP_ENSURE(ctx, node->op->opcode != TL_OP_MAX_POOL2D || (si == so && zi == zo), TL_ERROR_BAD_QUANTIZATION,
               "input (scale %g, zero point %d) and output (scale %g, zero point %d) must share their parameters",
               (double)si, zi, (double)so, zo);
  memset(p, 0, sizeof *p);
  p->geom = g;
  tl_activation_range_int8(node->op->opts.activation, so, zo, &lo, &hi);
  node->opt_isa = TL_ISA_REFERENCE;
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel (as the GEMM ops) */
  if (node->op->opcode == TL_OP_MAX_POOL2D && ctx->interp->isa != TL_ISA_REFERENCE) { /* no memory needed */
    const tl_cpu_features f = tl_cpu_features_detect();
    node->opt_i8 = (int32_t)tl_i8_level_for((tl_isa)ctx->interp->isa, &f);
    node->opt_isa = ctx->interp->isa;
  }
#endif
  return tl_op_requantize_params(ctx, si, zi, so, zo, lo, hi, "input to output", &p->q);
}

void tl_eval_pool2d_int8(tl_op_ctx *ctx, tl_node *node) {
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
  if (node->op->opcode == TL_OP_MAX_POOL2D && node->opt_isa != TL_ISA_REFERENCE)
    tl_max_pool2d_int8_opt(y, x, &node->params.pool8, (tl_i8_level)node->opt_i8);
  else if (node->op->opcode == TL_OP_MAX_POOL2D)
    tl_max_pool2d_int8(y, x, &node->params.pool8);
  else
    tl_average_pool2d_int8(y, x, &node->params.pool8);
}

tl_status tl_prepare_mean_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_mean_params g = node->params.mean;
  tl_mean_int8_params *p = &node->params.mean8;
  float si, so;
  int32_t zi, zo;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  memset(p, 0, sizeof *p);
  p->geom = g;
  return tl_op_requantize_params(ctx, si, zi, so, zo, -128, 127, "input to output", &p->q);
}

void tl_eval_mean_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_mean_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
               &node->params.mean8);
}
