/* unary_math.c: Abs, Neg, Square, Sqrt, Rsqrt, Exp, Log, Elu: y = f(x) elementwise, same shape, no options;
 * float32 and int8.
 *
 * prepare: one input, one output of its shape (float32, or int8 with per-tensor parameters). int8: the op's
 * 256-entry table is built here (kernels/unary_math.h: TFLite's arithmetic for each op) into per-node memory;
 * eval looks every element up (tl_lut_int8). Abs (scales that differ) and Rsqrt need a multiplier whose shift
 * must fit the kernel's range (TL_ERROR_BAD_QUANTIZATION otherwise). New ops: reference kernels only, at every
 * kernel level (the optimized float layer has no kernels for them).
 */
#include <math.h>

#include "fb_schema.h"
#include "kernels/unary_math.h"
#include "ops/ops_int8.h"

typedef void (*tl_unary_table_fn)(int8_t *table, const tl_unary_quant *q);
typedef void (*tl_unary_kernel_fn)(float *y, const float *x, int64_t n);

typedef enum tl_unary_multiplier {
  TL_UNARY_NO_MULTIPLIER,
  TL_UNARY_ABS_MULTIPLIER,  /* s_in / s_out, when they differ */
  TL_UNARY_RSQRT_MULTIPLIER /* 1 / (sqrtf(s_in) s_out) */
} tl_unary_multiplier;

typedef struct tl_unary_math_state {
  int64_t n;          /* elements */
  int8_t table[256];  /* int8 only: table[q + 128] */
} tl_unary_math_state;

static tl_status tl_prepare_unary_math(tl_op_ctx *ctx, tl_node *node, tl_unary_table_fn build,
                                       tl_unary_multiplier mult) {
  tl_unary_math_state *s;
  tl_unary_quant q = {0.0f, 0.0f, 0, 0, 0, 0};
  const int int8 = tl_op_is_int8(ctx, node);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  if (int8) {
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &q.in_scale, &q.in_zp));
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &q.out_scale, &q.out_zp));
    if (mult == TL_UNARY_ABS_MULTIPLIER && q.in_scale != q.out_scale)
      TL_ENSURE_OK(tl_op_multiplier(ctx, (double)(q.in_scale / q.out_scale), -31, 31, "input / output scale",
                                    &q.multiplier, &q.shift));
    if (mult == TL_UNARY_RSQRT_MULTIPLIER) /* the kernel shifts by shift - 20, which must stay >= -31 */
      TL_ENSURE_OK(tl_op_multiplier(ctx, 1.0 / (double)(sqrtf(q.in_scale) * q.out_scale), -11, 31,
                                    "1 / (sqrt(input scale) x output scale)", &q.multiplier, &q.shift));
  }
  s = (tl_unary_math_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = tl_op_input(ctx, node, 0)->elems;
  if (int8) build(s->table, &q);
  node->state = s;
  return TL_OK;
}

static void tl_eval_unary_math(tl_op_ctx *ctx, tl_node *node, tl_unary_kernel_fn kernel) {
  const tl_unary_math_state *s = (const tl_unary_math_state *)node->state;
  if (tl_op_is_int8(ctx, node))
    tl_lut_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0), s->n,
                s->table);
  else
    kernel((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), s->n);
}

/* The entry points of each op (one descriptor per op, so a selective build keeps only the ops it lists).
 * Work: output elements x weight / 16. Measured ns per element (pyruntime, median of 5 invokes on 4M
 * elements, x86_64, reference kernels), float32 / int8: Abs 0.60 / 1.63, Neg 0.40 / 1.70, Square 0.81 / 1.68,
 * Sqrt 4.45 / 1.63, Rsqrt 7.04 / 1.59, Exp 7.36-9.0 / 2.5-3.5, Log 6.98 / 1.62, Elu (inputs uniform in
 * [-3, 3]: expm1f and a mispredicted branch) 35.9 / 2.7; int8 is the same table lookup for every op.
 * Weights: float32 32 (Abs, Neg, Square), 192 (Sqrt, Rsqrt, Exp, Log), 768 (Elu); int8 96: >= 1.3x over
 * the slowest. */

TL_OP_ENTRY tl_status tl_prepare_abs(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_abs_table_int8, TL_UNARY_ABS_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_abs(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_abs_f32); }
TL_OP_ENTRY uint64_t tl_work_abs(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 32, 96);
}
const tl_op_descriptor tl_op_abs = {"Abs", NULL, TL_OP_FN(ABS, tl_prepare_abs),
  TL_OP_FN(ABS, tl_eval_abs), TL_OP_FN(ABS, tl_work_abs), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_neg(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_neg_table_int8, TL_UNARY_NO_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_neg(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_neg_f32); }
TL_OP_ENTRY uint64_t tl_work_neg(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 32, 96);
}
const tl_op_descriptor tl_op_neg = {"Neg", NULL, TL_OP_FN(NEG, tl_prepare_neg),
  TL_OP_FN(NEG, tl_eval_neg), TL_OP_FN(NEG, tl_work_neg), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_square(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_square_table_int8, TL_UNARY_NO_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_square(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_square_f32); }
TL_OP_ENTRY uint64_t tl_work_square(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 32, 96);
}
const tl_op_descriptor tl_op_square = {"Square", NULL, TL_OP_FN(SQUARE, tl_prepare_square),
  TL_OP_FN(SQUARE, tl_eval_square), TL_OP_FN(SQUARE, tl_work_square), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_sqrt(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_sqrt_table_int8, TL_UNARY_NO_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_sqrt(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_sqrt_f32); }
TL_OP_ENTRY uint64_t tl_work_sqrt(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 192, 96);
}
const tl_op_descriptor tl_op_sqrt = {"Sqrt", NULL, TL_OP_FN(SQRT, tl_prepare_sqrt),
  TL_OP_FN(SQRT, tl_eval_sqrt), TL_OP_FN(SQRT, tl_work_sqrt), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_rsqrt(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_rsqrt_table_int8, TL_UNARY_RSQRT_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_rsqrt(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_rsqrt_f32); }
TL_OP_ENTRY uint64_t tl_work_rsqrt(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 192, 96);
}
const tl_op_descriptor tl_op_rsqrt = {"Rsqrt", NULL, TL_OP_FN(RSQRT, tl_prepare_rsqrt),
  TL_OP_FN(RSQRT, tl_eval_rsqrt), TL_OP_FN(RSQRT, tl_work_rsqrt), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_exp(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_exp_table_int8, TL_UNARY_NO_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_exp(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_exp_f32); }
TL_OP_ENTRY uint64_t tl_work_exp(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 192, 96);
}
const tl_op_descriptor tl_op_exp = {"Exp", NULL, TL_OP_FN(EXP, tl_prepare_exp),
  TL_OP_FN(EXP, tl_eval_exp), TL_OP_FN(EXP, tl_work_exp), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_log(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_log_table_int8, TL_UNARY_NO_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_log(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_log_f32); }
TL_OP_ENTRY uint64_t tl_work_log(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 192, 96);
}
const tl_op_descriptor tl_op_log = {"Log", NULL, TL_OP_FN(LOG, tl_prepare_log),
  TL_OP_FN(LOG, tl_eval_log), TL_OP_FN(LOG, tl_work_log), TL_OPT_NONE, 0, 0, 0};

TL_OP_ENTRY tl_status tl_prepare_elu(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary_math(ctx, node, tl_elu_table_int8, TL_UNARY_NO_MULTIPLIER);
}
TL_OP_ENTRY void tl_eval_elu(tl_op_ctx *ctx, tl_node *node) { tl_eval_unary_math(ctx, node, tl_elu_f32); }
TL_OP_ENTRY uint64_t tl_work_elu(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 768, 96);
}
const tl_op_descriptor tl_op_elu = {"Elu", NULL, TL_OP_FN(ELU, tl_prepare_elu),
  TL_OP_FN(ELU, tl_eval_elu), TL_OP_FN(ELU, tl_work_elu), TL_OPT_NONE, 0, 0, 0};
