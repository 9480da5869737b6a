/* split.c: Split along SplitOptions.axis (negative counts from the end) into 1 to 16 outputs. The outputs'
 * shapes are authoritative: each equals the input's outside the axis, and their sizes along the axis add up
 * to the input's (TFLite's SPLIT gives equal pieces, SPLIT_V any). Dtype-agnostic copies: every output
 * shares the input's dtype and quantization (an int8 Split moves values, it never requantizes). */
#include "fb_schema.h"
#include "kernels/split.h"
#include "ops/ops.h"

/* SplitOptions, decoded */
typedef struct tl_split_options {
  int32_t axis; /* negative: from the end; normalized at prepare */
} tl_split_options;

static tl_status tl_decode_split_options(tl_options_reader *r, void *options) {
  tl_split_options *o = (tl_split_options *)options;
  o->axis = tl_fb_get_i32(r->fb, r->table, TL_F_SPLIT_AXIS, 0);
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_split(tl_op_ctx *ctx, tl_node *node) {
  const tl_split_options *o = (const tl_split_options *)node->op->options;
  const tl_tensor_desc *x;
  tl_split_params p, *s;
  int32_t axis, k, i, n = node->op->output_count;
  int64_t inner = 1, sum = 0;
  char sx[96], sy[96];

  TL_OP_ENSURE(ctx, n >= 1 && n <= TL_SPLIT_MAX_OUTPUTS, TL_ERROR_BAD_INPUT_COUNT, "expects 1 to %d outputs, has %d",
               TL_SPLIT_MAX_OUTPUTS, n);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, n));
  x = tl_op_input(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar");
  TL_ENSURE_OK(tl_op_axis(ctx, o->axis, x->rank, "axis", &axis));
  for (k = axis + 1; k < x->rank; k++) inner *= x->dims[k];
  p.outer = 1;
  for (k = 0; k < axis; k++) p.outer *= x->dims[k];
  p.num_outputs = n;
  for (i = 0; i < n; i++) {
    const tl_tensor_desc *y = tl_op_output(ctx, node, i);
    int same;
    TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "an output"));
    same = y->rank == x->rank;
    for (k = 0; same && k < x->rank; k++) same = k == axis || y->dims[k] == x->dims[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output %d shape %s is not input %s cut along axis %d", i,
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx), axis);
    sum += y->dims[axis];
    p.piece_bytes[i] = (int64_t)y->dims[axis] * inner * (int64_t)tl_dtype_size(x->dtype);
  }
  TL_OP_ENSURE(ctx, sum == x->dims[axis], TL_ERROR_BAD_SHAPE,
               "the outputs have %lld along axis %d, the input %s has %d", (long long)sum, axis,
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), x->dims[axis]);
  p.row_bytes = (int64_t)x->dims[axis] * inner * (int64_t)tl_dtype_size(x->dtype);
  s = (tl_split_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_split(tl_op_ctx *ctx, tl_node *node) {
  const tl_split_params *p = (const tl_split_params *)node->state;
  void *ys[TL_SPLIT_MAX_OUTPUTS];
  int32_t i;
  for (i = 0; i < p->num_outputs; i++) ys[i] = tl_op_output_data(ctx, node, i);
  tl_split(ys, tl_op_input_data(ctx, node, 0), p);
}

/* Work: input elements x 96 / 16, float32 and int8: Concatenation's float32 weight (the same loop of one
 * memcpy per row and piece, the inverse direction; its slowest shape has one element per piece). */
TL_OP_ENTRY uint64_t tl_work_split(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_inputs(m, op, 96, 96);
}

const tl_op_descriptor tl_op_split = {"Split", tl_decode_split_options, TL_OP_FN(SPLIT, tl_prepare_split),
                                      TL_OP_FN(SPLIT, tl_eval_split), TL_OP_FN(SPLIT, tl_work_split), TL_OPT_SPLIT,
                                      1, 0, sizeof(tl_split_options)};
