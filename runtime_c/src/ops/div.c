/* div.c: Div, y = a / b with numpy broadcasting (rank <= 4), float32 and int8; no options (no fused
 * activation).
 *
 * prepare: the broadcast of Add (tl_op_broadcast). int8: TFLite's DIV parameters: one multiplier
 * s_a / (s_b s_out) (the product in float32, as TFLite). The op-private state is the kernel's params
 * (kernels/div.h). Reference kernels at every kernel level.
 */
#include "fb_schema.h"
#include "kernels/div.h"
#include "ops/ops_int8.h"

static tl_status tl_prepare_div_int8(tl_op_ctx *ctx, tl_node *node, const tl_binary_params *g) {
  tl_div_int8_params p, *s;
  float sa, sb, so;
  p.geom = *g;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input 0", &sa, &p.a_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "input 1", &sb, &p.b_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &p.out_zp));
  TL_ENSURE_OK(tl_op_multiplier(ctx, (double)sa / (double)(float)(sb * so), -31, 31,
                                "input 0 scale / (input 1 scale x output scale)", &p.multiplier, &p.shift));
  s = (tl_div_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_div(tl_op_ctx *ctx, tl_node *node) {
  tl_binary_params p, *s;
  TL_ENSURE_OK(tl_op_broadcast(ctx, node, &p));
  if (tl_op_is_int8(ctx, node)) return tl_prepare_div_int8(ctx, node, &p);
  s = (tl_binary_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_div(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_div_int8((int8_t *)tl_op_output_data(ctx, node, 0),
                               (const int8_t *)tl_op_input_data(ctx, node, 0),
                               (const int8_t *)tl_op_input_data(ctx, node, 1),
                               (const tl_div_int8_params *)node->state);
  } else {
    tl_div_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                              (const float *)tl_op_input_data(ctx, node, 1), (const tl_binary_params *)node->state);
  }
}

/* Work: output elements x weight / 16: float32 224 (Maximum's loop, a division instead of a max), int8 2048
 * (a reciprocal by 3 Newton-Raphson steps, a sign-bit count and 3 fixed-point multiplications per element:
 * about twice SquaredDifference's arithmetic). */
TL_OP_ENTRY uint64_t tl_work_div(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 224, 2048);
}

const tl_op_descriptor tl_op_div = {
    "Div", NULL, TL_OP_FN(DIV, tl_prepare_div),
    TL_OP_FN(DIV, tl_eval_div), TL_OP_FN(DIV, tl_work_div),
    TL_OPT_NONE, 0, 0, 0};
