/* fully_connected_int8.c: int8 glue of FullyConnected and Conv2D / DepthwiseConv2D.
 *
 * The float prepare (fully_connected.c, conv.c) checked shapes and filled the geometry; these functions copy
 * it and add the quantization (tl_op_prepare_channel_requant): weights per output channel on axis 0
 * (FullyConnected, Conv2D) or axis 3 (DepthwiseConv2D).
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"
#include "ops/opt_glue.h"

tl_status tl_prepare_fc_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_fc_params g = node->params.fc;
  tl_fc_int8_params *p = &node->params.fc8;
  memset(p, 0, sizeof *p);
  p->batch = g.batch;
  p->in_depth = g.in_depth;
  p->out_depth = g.out_depth;
  TL_ENSURE_OK(tl_op_prepare_channel_requant(ctx, node, 0, g.out_depth, &p->input_zp, &p->out));
  tl_op_opt_prepare_fc_int8(ctx, node); /* packs the weights when the optimized kernel applies */
  return TL_OK;
}

void tl_eval_fc_int8(tl_op_ctx *ctx, tl_node *node) {
  const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
  if (node->opt_isa != TL_ISA_REFERENCE) {
    tl_fc_int8_opt((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                   node->opt, &node->params.fc8, (tl_i8_level)node->opt_i8);
    return;
  }
  tl_fc_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
             (const int8_t *)tl_op_input_data(ctx, node, 1), bias, &node->params.fc8);
}

tl_status tl_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_conv_params g = node->params.conv;
  tl_conv_int8_params *p = &node->params.conv8;
  int32_t axis = node->op->opcode == TL_OP_DEPTHWISE_CONV2D ? 3 : 0;
  memset(p, 0, sizeof *p);
  p->geom = g;
  TL_ENSURE_OK(tl_op_prepare_channel_requant(ctx, node, axis, g.out_c, &p->input_zp, &p->out));
  if (axis == 0)
    tl_op_opt_prepare_conv2d_int8(ctx, node); /* Conv2D: packs the weights when it applies */
  else
    tl_op_opt_prepare_depthwise_int8(ctx, node); /* DepthwiseConv2D: packs the bias when it applies */
  return TL_OK;
}

static const int32_t *tl_conv_bias_int8(tl_op_ctx *ctx, tl_node *node) {
  return node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
}

void tl_eval_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  if (node->opt_isa != TL_ISA_REFERENCE) {
    tl_conv2d_int8_opt((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                       node->opt, (int8_t *)(void *)node->opt_scratch, &node->params.conv8,
                       (tl_i8_level)node->opt_i8);
    return;
  }
  tl_conv2d_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                 (const int8_t *)tl_op_input_data(ctx, node, 1), tl_conv_bias_int8(ctx, node), &node->params.conv8);
}

void tl_eval_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  if (node->opt_isa != TL_ISA_REFERENCE) {
    tl_depthwise_conv2d_int8_opt((int8_t *)tl_op_output_data(ctx, node, 0),
                                 (const int8_t *)tl_op_input_data(ctx, node, 0),
                                 (const int8_t *)tl_op_input_data(ctx, node, 1), node->opt, &node->params.conv8,
                                 (tl_i8_level)node->opt_i8);
    return;
  }
  tl_depthwise_conv2d_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                           (const int8_t *)tl_op_input_data(ctx, node, 1), tl_conv_bias_int8(ctx, node),
                           &node->params.conv8);
}
