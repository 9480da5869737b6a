/* binary_int8.c: int8 half of Add, Sub (TFLite's left-shift-20 scheme) and Mul (one multiplier).
 *
 * The float prepare (binary.c) resolved the broadcasting into rank-4 strides; this adds the multipliers:
 *   Add/Sub: twice_max = 2 max(s_a, s_b); a: s_a / twice_max, b: s_b / twice_max (shift in [-31, 0]);
 *            output: twice_max / (2^20 s_out) (shift in [-31, 31]).
 *   Mul:     s_a s_b / s_out (shift in [-31, 31]).
 * All in double from the float32 scales, as trainer/quantize.py prepare_add_sub / prepare_mul. The op-private
 * state is the tl_binary_int8_params.
 */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"

tl_status tl_prepare_binary_int8(tl_op_ctx *ctx, tl_node *node, const tl_binary_params *g, int mul, int32_t act) {
  tl_binary_int8_params q, *p = &q, *s;
  float sa, sb, so;
  memset(p, 0, sizeof *p);
  p->geom = *g;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input 0", &sa, &p->a_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "input 1", &sb, &p->b_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &p->output_zp));
  tl_activation_range_int8(act, so, p->output_zp, &p->act_min, &p->act_max);
  if (mul) {
    TL_ENSURE_OK(tl_op_multiplier(ctx, (double)sa * (double)sb / (double)so, -31, 31, "output", &p->out_multiplier,
                                  &p->out_shift));
  } else {
    double twice_max = 2.0 * ((double)sa > (double)sb ? (double)sa : (double)sb);
    p->left_shift = 20;
    TL_ENSURE_OK(tl_op_multiplier(ctx, (double)sa / twice_max, -31, 0, "input 0", &p->a_multiplier, &p->a_shift));
    TL_ENSURE_OK(tl_op_multiplier(ctx, (double)sb / twice_max, -31, 0, "input 1", &p->b_multiplier, &p->b_shift));
    TL_ENSURE_OK(tl_op_multiplier(ctx, twice_max / ((double)(1 << 20) * (double)so), -31, 31, "output",
                                  &p->out_multiplier, &p->out_shift));
  }
  s = (tl_binary_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = q;
  node->state = s;
  return TL_OK;
}

void tl_eval_add_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_add_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
              (const int8_t *)tl_op_input_data(ctx, node, 1), (const tl_binary_int8_params *)node->state);
}

void tl_eval_sub_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_sub_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
              (const int8_t *)tl_op_input_data(ctx, node, 1), (const tl_binary_int8_params *)node->state);
}

void tl_eval_mul_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_mul_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
              (const int8_t *)tl_op_input_data(ctx, node, 1), (const tl_binary_int8_params *)node->state);
}
