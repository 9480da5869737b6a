/* pool.c: MaxPool2D and AveragePool2D (x[n,h,w,c]) -> y[n,oh,ow,c]. float32 pools run the optimized kernels
 * (kernels/opt/, bit-identical) at the interpreter's level; freestanding builds keep the reference AveragePool.
 */
#include "fb_schema.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"
#include "cpu_features.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_elementwise.h"

#if defined(TL_FREESTANDING)
#define TL_AVGPOOL_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_AVGPOOL_OPT 1
#endif

tl_status tl_prepare_pool2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_op_options *o = &node->op->opts;
  const tl_tensor_desc *x, *y;
  tl_pool_params *p = &node->params.pool;
  int32_t oh, ow, pad_top, pad_left, total;
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank == 4 && y->rank == 4, TL_ERROR_BAD_SHAPE, "input %s and output %s must have rank 4",
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  TL_ENSURE_OK(tl_op_window(ctx, x->dims[1], o->filter_h, o->stride_h, 1, o->padding, "height", TL_ERROR_BAD_OPTIONS, &oh, &pad_top, &total));
  TL_ENSURE_OK(tl_op_window(ctx, x->dims[2], o->filter_w, o->stride_w, 1, o->padding, "width", TL_ERROR_BAD_OPTIONS, &ow, &pad_left, &total));
  TL_OP_ENSURE(ctx, y->dims[0] == x->dims[0] && y->dims[1] == oh && y->dims[2] == ow && y->dims[3] == x->dims[3],
               TL_ERROR_BAD_SHAPE, "output shape %s differs from the computed [%d, %d, %d, %d]",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), x->dims[0], oh, ow, x->dims[3]);
  p->batch = x->dims[0];
  p->in_h = x->dims[1];
  p->in_w = x->dims[2];
  p->channels = x->dims[3];
  p->out_h = oh;
  p->out_w = ow;
  p->filter_h = o->filter_h;
  p->filter_w = o->filter_w;
  p->stride_h = o->stride_h;
  p->stride_w = o->stride_w;
  p->pad_top = pad_top;
  p->pad_left = pad_left;
  p->act = tl_op_activation(o->activation);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_pool2d_int8(ctx, node);
  if (node->op->opcode == TL_OP_MAX_POOL2D || TL_AVGPOOL_OPT) node->opt_isa = ctx->interp->isa; /* no memory */
  return TL_OK;
}

void tl_eval_max_pool2d(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_pool2d_int8(ctx, node);
    return;
  }
  if (node->opt_isa != TL_ISA_REFERENCE) {
    tl_max_pool2d_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                          &node->params.pool, (tl_isa)node->opt_isa);
    return;
  }
  tl_max_pool2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                    &node->params.pool);
}

void tl_eval_average_pool2d(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_pool2d_int8(ctx, node);
    return;
  }
  if (TL_AVGPOOL_OPT && node->opt_isa != TL_ISA_REFERENCE) {
    tl_average_pool2d_f32_opt((float *)tl_op_output_data(ctx, node, 0),
                              (const float *)tl_op_input_data(ctx, node, 0), &node->params.pool,
                              (tl_isa)node->opt_isa);
    return;
  }
  tl_average_pool2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                        &node->params.pool);
}
