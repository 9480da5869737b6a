/* prelu.c: PRelu, y = x >= 0 ? x : alpha x with alpha broadcast against x (numpy rules, rank <= 4), float32
 * and int8; no options.
 *
 * prepare: the broadcast of Add (tl_op_broadcast: two inputs, one output, ranks <= 4, dims equal or 1, the
 * output shape their broadcast), and the output has x's shape: alpha broadcasts into x (TFLite's int8 PRELU
 * requires it; TL_ERROR_BAD_SHAPE otherwise). int8: x, alpha and the output per tensor; TFLite's two multipliers
 * (s_x / s_out and s_x s_alpha / s_out, float32 products), shifts within [-31, 31]
 * (TL_ERROR_BAD_QUANTIZATION otherwise). The op-private state is the kernel's params (kernels/prelu.h).
 */
#include "fb_schema.h"
#include "kernels/prelu.h"
#include "ops/ops_int8.h"

static tl_status tl_prepare_prelu_int8(tl_op_ctx *ctx, tl_node *node, const tl_binary_params *g) {
  tl_prelu_int8_params p, *s;
  float sx, sa, so;
  p.geom = *g;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &sx, &p.x_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "alpha", &sa, &p.alpha_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &p.out_zp));
  TL_ENSURE_OK(tl_op_multiplier(ctx, (double)(sx / so), -31, 31, "input / output scale", &p.identity_multiplier,
                                &p.identity_shift));
  TL_ENSURE_OK(tl_op_multiplier(ctx, (double)(sx * sa / so), -31, 31, "input x alpha / output scale",
                                &p.alpha_multiplier, &p.alpha_shift));
  s = (tl_prelu_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_prelu(tl_op_ctx *ctx, tl_node *node) {
  tl_binary_params p, *s;
  TL_ENSURE_OK(tl_op_broadcast(ctx, node, &p));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  if (tl_op_is_int8(ctx, node)) return tl_prepare_prelu_int8(ctx, node, &p);
  s = (tl_binary_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_prelu(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node))
    tl_prelu_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                  (const int8_t *)tl_op_input_data(ctx, node, 1), (const tl_prelu_int8_params *)node->state);
  else
    tl_prelu_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                 (const float *)tl_op_input_data(ctx, node, 1), (const tl_binary_params *)node->state);
}

/* Work: output elements x weight / 16, Maximum's (the same 4-D broadcast loop, a compare and a multiply or
 * one requantization per element): 224 (float32), 768 (int8). */
TL_OP_ENTRY uint64_t tl_work_prelu(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 224, 768);
}

const tl_op_descriptor tl_op_prelu = {"PRelu", NULL, TL_OP_FN(PRELU, tl_prepare_prelu),
                                      TL_OP_FN(PRELU, tl_eval_prelu), TL_OP_FN(PRELU, tl_work_prelu),
                                      TL_OPT_NONE, 0, 0, 0};
