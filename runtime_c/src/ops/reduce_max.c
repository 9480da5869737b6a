/* reduce_max.c: ReduceMax over MeanOptions.axes (Mean's axis rules: ops/reduce_axes.c), float32 and int8.
 *
 * int8: y shares x's scale and zero point (TFLite's REDUCE_MAX requires it; the max of the raw values is then
 * the max of the reals). The op-private state is the kernels' geometry (kernels/reduce.h).
 */
#include "fb_schema.h"
#include "kernels/reduce.h"
#include "ops/ops_int8.h"
#include "ops/reduce_axes.h"

TL_OP_ENTRY tl_status tl_prepare_reduce_max(tl_op_ctx *ctx, tl_node *node) {
  tl_mean_params p, *s;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_reduce_geometry(ctx, node, &p));
  if (tl_op_is_int8(ctx, node))
    TL_ENSURE_OK(tl_op_check_same_dtype(ctx, tl_op_input(ctx, node, 0), "input", tl_op_output(ctx, node, 0),
                                        "output"));
  s = (tl_mean_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_reduce_max(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_reduce_max_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                       (const tl_mean_params *)node->state);
  } else {
    tl_reduce_max_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                      (const tl_mean_params *)node->state);
  }
}

/* Work: Mean's weights (the same walk over the input), input elements x 64 / 16 (float32), 48 / 16 (int8). */
TL_OP_ENTRY uint64_t tl_work_reduce_max(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_inputs(m, op, 64, 48);
}

const tl_op_descriptor tl_op_reduce_max = {"ReduceMax", tl_decode_reduce_options,
                                           TL_OP_FN(REDUCE_MAX, tl_prepare_reduce_max),
                                           TL_OP_FN(REDUCE_MAX, tl_eval_reduce_max),
                                           TL_OP_FN(REDUCE_MAX, tl_work_reduce_max), TL_OPT_MEAN, 1, 0,
                                           sizeof(tl_reduce_options)};
