/* fully_connected_int8.c: int8 glue of FullyConnected and Conv2D / DepthwiseConv2D.
 *
 * The float prepare (fully_connected.c, conv.c) checked shapes and filled the geometry; these functions copy
 * it and add the quantization (tl_op_prepare_channel_requant): weights per output channel on axis 0
 * (FullyConnected, Conv2D) or axis 3 (DepthwiseConv2D).
 */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops_int8.h"

tl_status tl_prepare_fc_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_fc_params g = node->params.fc;
  tl_fc_int8_params *p = &node->params.fc8;
  memset(p, 0, sizeof *p);
  p->batch = g.batch;
  p->in_depth = g.in_depth;
  p->out_depth = g.out_depth;
  return tl_op_prepare_channel_requant(ctx, node, 0, g.out_depth, &p->input_zp, &p->out);
}

void tl_eval_fc_int8(tl_op_ctx *ctx, tl_node *node) {
  const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
  tl_fc_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
             (const int8_t *)tl_op_input_data(ctx, node, 1), bias, &node->params.fc8);
}

tl_status tl_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_conv_params g = node->params.conv;
  tl_conv_int8_params *p = &node->params.conv8;
  int32_t axis = node->op->opcode == TL_OP_DEPTHWISE_CONV2D ? 3 : 0;
  memset(p, 0, sizeof *p);
  p->geom = g;
  return tl_op_prepare_channel_requant(ctx, node, axis, g.out_c, &p->input_zp, &p->out);
}

static const int32_t *tl_conv_bias_int8(tl_op_ctx *ctx, tl_node *node) {
  return node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
}

void tl_eval_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_conv2d_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                 (const int8_t *)tl_op_input_data(ctx, node, 1), tl_conv_bias_int8(ctx, node), &node->params.conv8);
}

void tl_eval_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_depthwise_conv2d_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                           (const int8_t *)tl_op_input_data(ctx, node, 1), tl_conv_bias_int8(ctx, node),
                           &node->params.conv8);
}
