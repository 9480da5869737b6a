/* gelu.c: Gelu, y = x Phi(x) elementwise (GeluOptions.approximate: the tanh form), same shape; float32 and
 * int8.
 *
 * prepare: one input, one output of its shape. int8: TFLite's 256-entry table (LUTPopulate of the float32
 * transform, kernels/gelu.h) built here into per-node memory and looked up per element (tl_lut_int8).
 * float32: the tanh form runs the optimized kernel (kernels/opt/gelu_opt.c: the reference's bits but where its
 * tanh rounds the other way) at the interpreter's level; the erf form and int8 run the reference kernels.
 */
#include "fb_schema.h"
#include "kernels/gelu.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "kernels/unary_math.h"
#include "ops/ops_int8.h"

/* GeluOptions, decoded */
typedef struct tl_gelu_options {
  int32_t approximate; /* 0 or 1 */
} tl_gelu_options;

#if defined(TL_FREESTANDING)
#define TL_GELU_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_GELU_OPT 1
#endif

typedef struct tl_gelu_state {
  int64_t n;         /* elements */
  int32_t isa;       /* float32 tanh form: the optimized kernel's level (TL_ISA_REFERENCE: the reference) */
  int8_t table[256]; /* int8 only */
} tl_gelu_state;

static tl_status tl_decode_gelu_options(tl_options_reader *r, void *options) {
  tl_gelu_options *o = (tl_gelu_options *)options;
  o->approximate = tl_fb_get_u8(r->fb, r->table, TL_F_GELU_APPROXIMATE, 0) != 0;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_gelu(tl_op_ctx *ctx, tl_node *node) {
  const tl_gelu_options *o = (const tl_gelu_options *)node->op->options;
  tl_gelu_state *s;
  float si = 0.0f, so = 0.0f;
  int32_t zi = 0, zo = 0;
  const int int8 = tl_op_is_int8(ctx, node);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  if (int8) {
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  }
  s = (tl_gelu_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = tl_op_input(ctx, node, 0)->elems;
  s->isa = TL_GELU_OPT && !int8 && o->approximate ? ctx->interp->isa : TL_ISA_REFERENCE;
  if (int8) tl_gelu_table_int8(s->table, o->approximate, si, zi, so, zo);
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_gelu(tl_op_ctx *ctx, tl_node *node) {
  const tl_gelu_state *s = (const tl_gelu_state *)node->state;
  if (tl_op_is_int8(ctx, node))
    tl_lut_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0), s->n,
                s->table);
  else if (TL_GELU_OPT && s->isa != TL_ISA_REFERENCE)
    tl_gelu_tanh_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                         s->n, (tl_isa)s->isa);
  else
    tl_gelu_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), s->n,
                ((const tl_gelu_options *)node->op->options)->approximate);
}

/* Work: output elements x weight / 16: float32 768 (erfc or tanh in double per element, as Elu's expm1f
 * and branch: measured below Elu's 35.9 ns), int8 96 (the table lookup of unary_math.c). */
TL_OP_ENTRY uint64_t tl_work_gelu(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 768, 96);
}

const tl_op_descriptor tl_op_gelu = {"Gelu", tl_decode_gelu_options, TL_OP_FN(GELU, tl_prepare_gelu),
                                     TL_OP_FN(GELU, tl_eval_gelu), TL_OP_FN(GELU, tl_work_gelu), TL_OPT_GELU, 1, 0,
                                     sizeof(tl_gelu_options)};
