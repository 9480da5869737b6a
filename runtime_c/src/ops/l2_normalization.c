/* l2_normalization.c: L2Normalization, y = x / max(||x||, 1e-6) over the last axis, same shape, no options;
 * float32 and int8.
 *
 * prepare: one input, one output of its shape, rank 1 to 4. int8: the output must be at scale 1/128, zero
 * point 0 (TFLite's fixed output; TL_ERROR_BAD_QUANTIZATION otherwise), and the last axis at most 33,025
 * long, so the int32 sum of squares cannot overflow (TL_ERROR_BAD_SHAPE). Reference kernels at every
 * kernel level.
 */
#include "fb_schema.h"
#include "kernels/l2_normalization.h"
#include "ops/ops_int8.h"

#define TL_L2_MAX_INT8_DEPTH 33025 /* 255^2 x 33025 < 2^31 */

typedef struct tl_l2_normalization_state {
  int64_t outer, depth;
  int32_t in_zp; /* int8 only */
} tl_l2_normalization_state;

TL_OP_ENTRY tl_status tl_prepare_l2_normalization(tl_op_ctx *ctx, tl_node *node) {
  tl_l2_normalization_state p, *s;
  const tl_tensor_desc *x;
  float si = 0.0f, so = 0.0f;
  int32_t zo = 0;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", x, "input"));
  TL_OP_ENSURE(ctx, x->rank >= 1 && x->rank <= 4, TL_ERROR_BAD_SHAPE, "input has rank %d (1 to 4)", (int)x->rank);
  p.depth = x->dims[x->rank - 1];
  p.outer = p.depth > 0 ? x->elems / p.depth : 0;
  p.in_zp = 0;
  if (tl_op_is_int8(ctx, node)) {
    TL_ENSURE_OK(tl_op_int8_params(ctx, x, "input", &si, &p.in_zp));
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
    TL_OP_ENSURE(ctx, so == 1.0f / 128.0f && zo == 0, TL_ERROR_BAD_QUANTIZATION,
                 "output scale %g and zero point %d: int8 L2Normalization's are 1/128 and 0", (double)so, (int)zo);
    TL_OP_ENSURE(ctx, p.depth <= TL_L2_MAX_INT8_DEPTH, TL_ERROR_BAD_SHAPE,
                 "last axis of %lld values: int8 takes at most %d", (long long)p.depth, TL_L2_MAX_INT8_DEPTH);
  }
  s = (tl_l2_normalization_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_l2_normalization(tl_op_ctx *ctx, tl_node *node) {
  const tl_l2_normalization_state *s = (const tl_l2_normalization_state *)node->state;
  if (tl_op_is_int8(ctx, node))
    tl_l2_normalization_int8((int8_t *)tl_op_output_data(ctx, node, 0),
                             (const int8_t *)tl_op_input_data(ctx, node, 0), s->outer, s->depth, s->in_zp);
  else
    tl_l2_normalization_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                            s->outer, s->depth);
}

/* Work: output elements x weight / 16: float32 64 (a multiply-add and a division per element, two passes),
 * int8 128 (a square-add and a requantization per element, plus one inverse square root per row). */
TL_OP_ENTRY uint64_t tl_work_l2_normalization(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 64, 128);
}

const tl_op_descriptor tl_op_l2normalization = {
    "L2Normalization", NULL, TL_OP_FN(L2NORMALIZATION, tl_prepare_l2_normalization),
    TL_OP_FN(L2NORMALIZATION, tl_eval_l2_normalization), TL_OP_FN(L2NORMALIZATION, tl_work_l2_normalization),
    TL_OPT_NONE, 0, 0, 0};
