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

/* ---- threads: each op's outputs are split (columns of FullyConnected, output rows of the convolutions),
 * never a sum, so every thread count gives the same bytes ---- */
typedef struct tl_i8_job {
  tl_node *node;
  int8_t *y;
  const int8_t *x, *w;
  int32_t parts, units; /* task t takes units [units * t / parts, units * (t + 1) / parts) */
  size_t scratch_bytes; /* Conv2D: per thread */
} tl_i8_job;

static void tl_i8_range(const tl_i8_job *j, int32_t task, int32_t *u0, int32_t *u1) {
  *u0 = (int32_t)((int64_t)j->units * task / j->parts);
  *u1 = (int32_t)((int64_t)j->units * (task + 1) / j->parts);
}

static void tl_fc8_task(void *arg, int32_t task, int32_t thread) {
  const tl_i8_job *j = (const tl_i8_job *)arg;
  int32_t u0, u1;
  (void)thread;
  tl_i8_range(j, task, &u0, &u1);
  if (u1 > u0)
    tl_fc_int8_opt_cols(j->y, j->x, j->node->opt, &j->node->params.fc8, (tl_i8_level)j->node->opt_i8,
                        u0 * TL_FC_INT8_COL_STEP, u1 * TL_FC_INT8_COL_STEP);
}

/* Units are output rows over the batch (image u / out_h, row u % out_h); a task walks its rows image by image. */
static void tl_conv8_task(void *arg, int32_t task, int32_t thread) {
  const tl_i8_job *j = (const tl_i8_job *)arg;
  const tl_conv_int8_params *p = &j->node->params.conv8;
  const int32_t out_h = p->geom.out_h;
  int32_t u0, u1;
  tl_i8_range(j, task, &u0, &u1);
  while (u0 < u1) {
    const int32_t b = u0 / out_h, oy0 = u0 % out_h, oy1 = u1 - b * out_h < out_h ? u1 - b * out_h : out_h;
    if (j->node->op->opcode == TL_OP_DEPTHWISE_CONV2D)
      tl_depthwise_conv2d_int8_opt_rows(j->y, j->x, j->w, j->node->opt, p, (tl_i8_level)j->node->opt_i8, b, oy0, oy1);
    else
      tl_conv2d_int8_opt_rows(j->y, j->x, j->node->opt,
                              (int8_t *)(void *)j->node->opt_scratch + (size_t)thread * j->scratch_bytes, p,
                              (tl_i8_level)j->node->opt_i8, b, oy0, oy1);
    u0 += oy1 - oy0;
  }
}

static int tl_i8_split(tl_op_ctx *ctx, tl_node *node, int64_t macs, int32_t units, tl_threadpool_fn fn) {
  tl_i8_job j;
  const int32_t threads = tl_op_threads(ctx, macs);
  if (threads <= 1 || units <= 1) return 0;
  j.node = node;
  j.y = (int8_t *)tl_op_output_data(ctx, node, 0);
  j.x = (const int8_t *)tl_op_input_data(ctx, node, 0);
  j.w = (const int8_t *)tl_op_input_data(ctx, node, 1);
  j.parts = threads < units ? threads : units;
  j.units = units;
  j.scratch_bytes = node->op->opcode == TL_OP_CONV2D ? tl_conv2d_int8_opt_scratch_bytes(&node->params.conv8.geom) : 0;
  tl_threadpool_run(ctx->interp->pool, j.parts, fn, &j);
  return 1;
}

void tl_eval_fc_int8(tl_op_ctx *ctx, tl_node *node) {
  const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
  if (node->opt_isa != TL_ISA_REFERENCE) {
    const tl_fc_int8_params *p = &node->params.fc8;
    const int32_t steps = (p->out_depth + TL_FC_INT8_COL_STEP - 1) / TL_FC_INT8_COL_STEP;
    if (tl_i8_split(ctx, node, (int64_t)p->batch * p->in_depth * p->out_depth, steps, tl_fc8_task)) return;
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

static int64_t tl_conv8_macs(const tl_conv_params *g, int64_t depth) {
  return (int64_t)g->batch * g->out_h * g->out_w * g->out_c * depth;
}

void tl_eval_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  if (node->opt_isa != TL_ISA_REFERENCE) {
    const tl_conv_params *g = &node->params.conv8.geom;
    if (tl_conv2d_int8_opt_splittable(&node->params.conv8) &&
        tl_i8_split(ctx, node, tl_conv8_macs(g, (int64_t)g->k_h * g->k_w * g->in_c), g->batch * g->out_h,
                    tl_conv8_task))
      return;
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
    const tl_conv_params *g = &node->params.conv8.geom;
    if (tl_i8_split(ctx, node, tl_conv8_macs(g, (int64_t)g->k_h * g->k_w), g->batch * g->out_h, tl_conv8_task))
      return;
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
