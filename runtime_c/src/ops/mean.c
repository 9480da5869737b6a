/* mean.c: Mean over MeanOptions.axes (the axis rules it shares with Sum and ReduceMax: ops/reduce_axes.c). A
 * float32 Mean over consecutive axes (H, W of NHWC: global average pooling) runs the optimized kernel
 * (kernels/opt/opt_kernels_elementwise.h, bit-identical) at the interpreter's level. int8: mean_int8.c. */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops_int8.h"
#include "ops/reduce_axes.h"

#if defined(TL_FREESTANDING)
#define TL_MEAN_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_MEAN_OPT 1
#endif

typedef struct tl_mean_state {
  tl_mean_params p;
  int32_t isa;
} tl_mean_state;

TL_OP_ENTRY tl_status tl_prepare_mean(tl_op_ctx *ctx, tl_node *node) {
  tl_mean_params p;
  tl_mean_state *s;

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_reduce_geometry(ctx, node, &p));
  if (tl_op_is_int8(ctx, node)) return tl_prepare_mean_int8(ctx, node, &p);
  s = (tl_mean_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->isa = TL_MEAN_OPT && tl_mean_f32_opt_supported(&p) ? ctx->interp->isa : TL_ISA_REFERENCE; /* no memory */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_mean(tl_op_ctx *ctx, tl_node *node) {
  const tl_mean_state *s = (const tl_mean_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_mean_int8(ctx, node);
    return;
  }
  if (TL_MEAN_OPT && s->isa != TL_ISA_REFERENCE) {
    tl_mean_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), &s->p,
                    (tl_isa)s->isa);
    return;
  }
  tl_mean_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), &s->p);
}

/* Work: input elements x 64 / 16 (float32), 48 / 16 (int8). Measured ns per input element (tl_bench, see
 * interpreter.h), float32 / int8: 2.6 / 2.4. */
TL_OP_ENTRY uint64_t tl_work_mean(const tl_model *m, const tl_op_desc *op) { return tl_op_work_inputs(m, op, 64, 48); }

const tl_op_descriptor tl_op_mean = {"Mean", tl_decode_reduce_options, TL_OP_FN(MEAN, tl_prepare_mean),
                                     TL_OP_FN(MEAN, tl_eval_mean), TL_OP_FN(MEAN, tl_work_mean), TL_OPT_MEAN, 1, 0,
                                     sizeof(tl_reduce_options)};
