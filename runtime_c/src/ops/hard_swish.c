/* hard_swish.c: HardSwish, y = x relu6(x + 3) / 6 elementwise, same shape, no options; float32 and int8.
 *
 * prepare: one input, one output of its shape. int8: TFLite's two 16-bit multipliers (the output one,
 * (s_in / 128) / s_out, with its exponent <= 0 as TFLite requires, and the "reluish" one, (s_in / 128) /
 * (3 / 32768); products in float32 as TFLite) give a 256-entry table (kernels/hard_swish.h) built here into
 * per-node memory and looked up per element (tl_lut_int8). Out-of-range multipliers are
 * TL_ERROR_BAD_QUANTIZATION. float32 runs the optimized kernel (kernels/opt/elementwise_body.h: the reference's
 * bits) at the interpreter's level, the reference kernel at the reference level.
 */
#include "fb_schema.h"
#include "kernels/hard_swish.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "kernels/unary_math.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_HARD_SWISH_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_HARD_SWISH_OPT 1
#endif

typedef struct tl_hard_swish_state {
  int64_t n;         /* elements */
  int32_t isa;       /* float32: the optimized kernel's level (TL_ISA_REFERENCE: the reference) */
  int8_t table[256]; /* int8 only */
} tl_hard_swish_state;

static tl_status tl_prepare_hard_swish_quant(tl_op_ctx *ctx, tl_node *node, tl_hard_swish_quant *q) {
  float si, so, hires;
  int32_t m;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &q->in_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &q->out_zp));
  hires = (1.0f / 128.0f) * si;
  TL_ENSURE_OK(tl_op_multiplier(ctx, (double)(hires / so), -31, 0, "input scale / (128 x output scale)", &m,
                                &q->out_shift));
  q->out_multiplier = tl_downscale_multiplier16(m);
  TL_ENSURE_OK(tl_op_multiplier(ctx, (double)(hires / (3.0f / 32768.0f)), -31, 31,
                                "input scale x 256 / 3 (reluish)", &m, &q->reluish_shift));
  q->reluish_multiplier = tl_downscale_multiplier16(m);
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_hard_swish(tl_op_ctx *ctx, tl_node *node) {
  tl_hard_swish_state *s;
  tl_hard_swish_quant q;
  const int int8 = tl_op_is_int8(ctx, node);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  if (int8) TL_ENSURE_OK(tl_prepare_hard_swish_quant(ctx, node, &q));
  s = (tl_hard_swish_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = tl_op_input(ctx, node, 0)->elems;
  s->isa = TL_HARD_SWISH_OPT && !int8 ? ctx->interp->isa : TL_ISA_REFERENCE;
  if (int8) tl_hard_swish_table_int8(s->table, &q);
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_hard_swish(tl_op_ctx *ctx, tl_node *node) {
  const tl_hard_swish_state *s = (const tl_hard_swish_state *)node->state;
  if (tl_op_is_int8(ctx, node))
    tl_lut_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0), s->n,
                s->table);
  else if (TL_HARD_SWISH_OPT && s->isa != TL_ISA_REFERENCE)
    tl_hard_swish_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                          s->n, (tl_isa)s->isa);
  else
    tl_hard_swish_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), s->n);
}

/* Work: output elements x weight / 16: float32 64 (an add, two compares, two multiplies; measured below
 * Elu's and Exp's), int8 96 (the table lookup of unary_math.c, 1.6-2.7 ns per element). */
TL_OP_ENTRY uint64_t tl_work_hard_swish(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 64, 96);
}

const tl_op_descriptor tl_op_hard_swish = {"HardSwish", NULL, TL_OP_FN(HARD_SWISH, tl_prepare_hard_swish),
                                           TL_OP_FN(HARD_SWISH, tl_eval_hard_swish),
                                           TL_OP_FN(HARD_SWISH, tl_work_hard_swish), TL_OPT_NONE, 0, 0, 0};
