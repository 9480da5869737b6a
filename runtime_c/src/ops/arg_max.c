/* arg_max.c: ArgMax and ArgMin along SplitOptions.axis (negative counts from the end): y holds, for every
 * position of x outside the axis, the index of the largest (smallest) value along it, the first on ties.
 *
 * prepare: one input, one output; x float32 or int8 (its quantization is not needed: the scale is positive,
 * so raw int8 values order as the reals), rank >= 1; y INT32 or INT64 without quantization (TFLite's
 * output_type), shaped as x without the axis. The op-private state is the kernel's params
 * (kernels/arg_max.h).
 */
#include "fb_schema.h"
#include "kernels/arg_max.h"
#include "ops/ops.h"

/* SplitOptions, decoded */
typedef struct tl_arg_options {
  int32_t axis; /* negative: from the end; normalized at prepare */
} tl_arg_options;

static tl_status tl_decode_arg_options(tl_options_reader *r, void *options) {
  ((tl_arg_options *)options)->axis = tl_fb_get_i32(r->fb, r->table, TL_F_SPLIT_AXIS, 0);
  return TL_OK;
}

static tl_status tl_prepare_arg(tl_op_ctx *ctx, tl_node *node, int32_t is_min) {
  const tl_arg_options *o = (const tl_arg_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  tl_arg_params p, *s;
  int32_t axis, k, n = 0, want[TL_MAX_RANK];
  char sx[96], sy[96], sw[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->dtype == TL_FLOAT32 || x->dtype == TL_INT8, TL_ERROR_UNSUPPORTED_DTYPE,
               "input 0 (%s) is %s, expected float32 or int8", x->name, tl_dtype_name(x->dtype));
  TL_OP_ENSURE(ctx, y->dtype == TL_INT32 || y->dtype == TL_INT64, TL_ERROR_UNSUPPORTED_DTYPE,
               "output 0 (%s) is %s, expected int32 or int64 indices", y->name, tl_dtype_name(y->dtype));
  TL_OP_ENSURE(ctx, y->quant_count == 0, TL_ERROR_BAD_QUANTIZATION, "output 0 (%s) holds indices: no quantization",
               y->name);
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar");
  TL_ENSURE_OK(tl_op_axis(ctx, o->axis, x->rank, "axis", &axis));
  p.outer = 1;
  p.inner = 1;
  for (k = 0; k < x->rank; k++) {
    if (k < axis) p.outer *= x->dims[k];
    if (k > axis) p.inner *= x->dims[k];
    if (k != axis) want[n++] = x->dims[k];
  }
  {
    int same = y->rank == n;
    for (k = 0; same && k < n; k++) same = y->dims[k] == want[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s differs from the computed %s (input %s, axis %d)",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(want, n, sw, sizeof sw),
                 tl_shape_str(x->dims, x->rank, sx, sizeof sx), o->axis);
  }
  p.n = x->dims[axis];
  p.is_min = is_min;
  p.out_int64 = y->dtype == TL_INT64;
  s = (tl_arg_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_arg_max(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_arg(ctx, node, 0); }
TL_OP_ENTRY tl_status tl_prepare_arg_min(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_arg(ctx, node, 1); }

TL_OP_ENTRY void tl_eval_arg(tl_op_ctx *ctx, tl_node *node) {
  void *y = tl_op_output_data(ctx, node, 0);
  if (tl_op_is_int8(ctx, node))
    tl_arg_int8(y, (const int8_t *)tl_op_input_data(ctx, node, 0), (const tl_arg_params *)node->state);
  else
    tl_arg_f32(y, (const float *)tl_op_input_data(ctx, node, 0), (const tl_arg_params *)node->state);
}

/* Work: Mean's weights (one pass over the input), input elements x 64 / 16 (float32), 48 / 16 (int8). */
TL_OP_ENTRY uint64_t tl_work_arg(const tl_model *m, const tl_op_desc *op) { return tl_op_work_inputs(m, op, 64, 48); }

const tl_op_descriptor tl_op_arg_max = {"ArgMax", tl_decode_arg_options, TL_OP_FN(ARG_MAX, tl_prepare_arg_max),
                                        TL_OP_FN(ARG_MAX, tl_eval_arg), TL_OP_FN(ARG_MAX, tl_work_arg),
                                        TL_OPT_SPLIT, 1, 0, sizeof(tl_arg_options)};
const tl_op_descriptor tl_op_arg_min = {"ArgMin", tl_decode_arg_options, TL_OP_FN(ARG_MIN, tl_prepare_arg_min),
                                        TL_OP_FN(ARG_MIN, tl_eval_arg), TL_OP_FN(ARG_MIN, tl_work_arg),
                                        TL_OPT_SPLIT, 1, 0, sizeof(tl_arg_options)};
