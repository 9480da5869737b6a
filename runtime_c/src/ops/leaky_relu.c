/* leaky_relu.c: LeakyRelu, y = x > 0 ? x : alpha x elementwise (LeakyReluOptions.alpha), same shape, float32
 * and int8.
 *
 * prepare: one input, one output of its shape. int8: TFLite's two multipliers (identity s_in / s_out, alpha
 * s_in alpha / s_out, the products in float32 as TFLite) give a 256-entry table (kernels/leaky_relu.h) built
 * here into per-node memory and looked up per element (tl_lut_int8). alpha must be finite (load) and >= 0 in
 * int8 (TL_ERROR_BAD_OPTIONS). Reference kernels at every kernel level.
 */
#include <math.h>

#include "fb_schema.h"
#include "kernels/leaky_relu.h"
#include "kernels/unary_math.h"
#include "ops/ops_int8.h"

/* LeakyReluOptions, decoded */
typedef struct tl_leaky_relu_options {
  float alpha; /* finite */
} tl_leaky_relu_options;

typedef struct tl_leaky_relu_state {
  int64_t n;         /* elements */
  int8_t table[256]; /* int8 only */
} tl_leaky_relu_state;

static tl_status tl_decode_leaky_relu_options(tl_options_reader *r, void *options) {
  tl_leaky_relu_options *o = (tl_leaky_relu_options *)options;
  o->alpha = tl_fb_get_f32(r->fb, r->table, TL_F_LEAKYRELU_ALPHA, 0.2f);
  TL_ENSURE(r->err, isfinite(o->alpha), TL_ERROR_BAD_OPTIONS, "op %d (%s): alpha is %g", r->op, r->name,
            (double)o->alpha);
  return TL_OK;
}

static tl_status tl_prepare_leaky_relu_quant(tl_op_ctx *ctx, tl_node *node, float alpha, tl_leaky_relu_quant *q) {
  float si, so;
  TL_OP_ENSURE(ctx, alpha >= 0.0f, TL_ERROR_BAD_OPTIONS, "int8 alpha is %g: must be >= 0", (double)alpha);
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &q->in_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &q->out_zp));
  TL_ENSURE_OK(tl_op_multiplier(ctx, (double)(si / so), -31, 31, "identity", &q->identity_multiplier,
                                &q->identity_shift));
  q->alpha_multiplier = q->alpha_shift = 0;
  if (alpha > 0.0f)
    TL_ENSURE_OK(tl_op_multiplier(ctx, (double)((si * alpha) / so), -31, 31, "alpha", &q->alpha_multiplier,
                                  &q->alpha_shift));
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_leaky_relu(tl_op_ctx *ctx, tl_node *node) {
  const tl_leaky_relu_options *o = (const tl_leaky_relu_options *)node->op->options;
  tl_leaky_relu_state *s;
  tl_leaky_relu_quant q;
  const int int8 = tl_op_is_int8(ctx, node);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  if (int8) TL_ENSURE_OK(tl_prepare_leaky_relu_quant(ctx, node, o->alpha, &q));
  s = (tl_leaky_relu_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = tl_op_input(ctx, node, 0)->elems;
  if (int8) tl_leaky_relu_table_int8(s->table, &q);
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_leaky_relu(tl_op_ctx *ctx, tl_node *node) {
  const tl_leaky_relu_state *s = (const tl_leaky_relu_state *)node->state;
  if (tl_op_is_int8(ctx, node))
    tl_lut_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0), s->n,
                s->table);
  else
    tl_leaky_relu_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), s->n,
                      ((const tl_leaky_relu_options *)node->op->options)->alpha);
}

/* Work: output elements x weight / 16: float32 32 (a compare and a multiply: Relu's cost), int8 96 (the
 * table lookup of unary_math.c, measured 1.6-2.7 ns per element). */
TL_OP_ENTRY uint64_t tl_work_leaky_relu(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 32, 96);
}

const tl_op_descriptor tl_op_leaky_relu = {"LeakyRelu", tl_decode_leaky_relu_options,
                                           TL_OP_FN(LEAKY_RELU, tl_prepare_leaky_relu),
                                           TL_OP_FN(LEAKY_RELU, tl_eval_leaky_relu),
                                           TL_OP_FN(LEAKY_RELU, tl_work_leaky_relu),
                                           TL_OPT_LEAKY_RELU, 1, 0, sizeof(tl_leaky_relu_options)};
