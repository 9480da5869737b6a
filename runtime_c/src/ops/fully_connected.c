/* fully_connected.c: FullyConnected (x[..., in], w[out, in], bias[out]?) -> y[..., out]. */
#include "fb_schema.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"
#include "ops/opt_glue.h"
#include "kernels/opt/opt_kernels.h"

tl_status tl_prepare_fc(tl_op_ctx *ctx, tl_node *node) {
  const tl_tensor_desc *x, *w, *y;
  tl_fc_params *p = &node->params.fc;
  int32_t in, out, k;
  char sx[96], sw[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 3, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  w = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar");
  in = x->dims[x->rank - 1];
  TL_OP_ENSURE(ctx, w->rank == 2 && w->dims[1] == in, TL_ERROR_BAD_SHAPE, "weight shape %s is not [out, %d] for input %s",
               tl_shape_str(w->dims, w->rank, sw, sizeof sw), in, tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  out = w->dims[0];
  if (node->op->input_count == 3) {
    const tl_tensor_desc *b = tl_op_input(ctx, node, 2);
    TL_OP_ENSURE(ctx, b->rank == 1 && b->dims[0] == out, TL_ERROR_BAD_SHAPE, "bias shape %s is not [%d]",
                 tl_shape_str(b->dims, b->rank, sw, sizeof sw), out);
  }
  {
    int same = y->rank == x->rank && y->dims[y->rank - 1] == out;
    for (k = 0; same && k < x->rank - 1; k++) same = y->dims[k] == x->dims[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s does not match input %s with %d units",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx), out);
  }
  p->batch = (int32_t)(x->elems / in);
  p->in_depth = in;
  p->out_depth = out;
  p->act = tl_op_activation(node->op->opts.activation);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_fc_int8(ctx, node);
  tl_op_opt_prepare_fc(ctx, node); /* packs the weights when the optimized kernel applies */
  return TL_OK;
}

void tl_eval_fc(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_fc_int8(ctx, node);
    return;
  }
  if (node->opt_isa != TL_ISA_REFERENCE) {
    tl_fc_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                  (const float *)node->opt, &node->params.fc, (tl_isa)node->opt_isa);
    return;
  }
  const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
  tl_fc_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
            (const float *)tl_op_input_data(ctx, node, 1), bias, &node->params.fc);
}
