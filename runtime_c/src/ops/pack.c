/* pack.c: Pack (x0, ..., x{n-1}) -> y and Unpack (x) -> y0, ..., y{n-1} along PackOptions.axis.
 *
 * Pack stacks 1 to 16 inputs of one shape along a new axis of y (axis in [-(r+1), r], r the inputs' rank):
 * in bytes it is the Concatenation of the inputs seen with a size-1 axis there, so it runs Concatenation's
 * kernel (kernels.h: tl_concat), and in int8 Concatenation's prepare: each input requantized to y's
 * parameters (a copy when they are equal, which TFLite's PACK requires). Unpack cuts x along an axis into its
 * dim (1 to 16) slices, each without that axis: Split's kernel (kernels/split.h) with pieces of 1; every
 * output shares x's dtype and quantization. */
#include "fb_schema.h"
#include "kernels/split.h"
#include "ops/ops_int8.h"

/* PackOptions, decoded (Pack and Unpack) */
typedef struct tl_pack_options {
  int32_t axis; /* negative: from the end; normalized at prepare */
} tl_pack_options;

static tl_status tl_decode_pack_options(tl_options_reader *r, void *options) {
  ((tl_pack_options *)options)->axis = tl_fb_get_i32(r->fb, r->table, TL_F_PACK_AXIS, 0);
  return TL_OK;
}

/* 1 when t is `whole` without axis `axis` (rank one less, the other dims equal). */
static int tl_pack_is_slice(const tl_tensor_desc *t, const tl_tensor_desc *whole, int32_t axis) {
  int32_t k;
  if (t->rank != whole->rank - 1) return 0;
  for (k = 0; k < t->rank; k++)
    if (t->dims[k] != whole->dims[k < axis ? k : k + 1]) return 0;
  return 1;
}

TL_OP_ENTRY tl_status tl_prepare_pack(tl_op_ctx *ctx, tl_node *node) {
  const tl_pack_options *o = (const tl_pack_options *)node->op->options;
  const tl_tensor_desc *x0, *y;
  tl_concat_params p;
  tl_concat_params *s;
  int32_t axis, k, i, n = node->op->input_count, int8;
  int64_t inner = 1;
  char sx[96], sy[96];

  TL_OP_ENSURE(ctx, n >= 1 && n <= TL_CONCAT_MAX_INPUTS, TL_ERROR_BAD_INPUT_COUNT, "expects 1 to %d inputs, has %d",
               TL_CONCAT_MAX_INPUTS, n);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, TL_CONCAT_MAX_INPUTS, 1));
  x0 = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, y->rank >= 1, TL_ERROR_BAD_SHAPE, "output is a scalar");
  TL_ENSURE_OK(tl_op_axis(ctx, o->axis, y->rank, "axis", &axis));
  int8 = x0->dtype == TL_INT8 && y->dtype == TL_INT8;
  TL_ENSURE_OK(int8 ? tl_op_check_int8_dtypes(ctx, node) : tl_op_check_same_dtype(ctx, x0, "input 0", y, "output"));
  TL_OP_ENSURE(ctx, y->dims[axis] == n, TL_ERROR_BAD_SHAPE, "output %s has %d along axis %d for %d inputs",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), y->dims[axis], axis, n);
  for (i = 0; i < n; i++) {
    const tl_tensor_desc *x = tl_op_input(ctx, node, i);
    if (!int8) TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "an input", y, "output"));
    TL_OP_ENSURE(ctx, tl_pack_is_slice(x, y, axis), TL_ERROR_BAD_SHAPE,
                 "input %d shape %s is not output %s without axis %d", i, tl_shape_str(x->dims, x->rank, sx, sizeof sx),
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), axis);
  }
  for (k = axis + 1; k < y->rank; k++) inner *= y->dims[k];
  p.num_inputs = n;
  p.outer = 1;
  for (k = 0; k < axis; k++) p.outer *= y->dims[k];
  for (i = 0; i < n; i++) p.inner_bytes[i] = inner * (int64_t)tl_dtype_size(y->dtype);
  if (int8) return tl_prepare_concatenation_int8(ctx, node, &p, TL_ACT_NONE);
  s = (tl_concat_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_pack(tl_op_ctx *ctx, tl_node *node) {
  const tl_concat_params *p = (const tl_concat_params *)node->state;
  const void *xs[TL_CONCAT_MAX_INPUTS];
  int32_t i;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_concatenation_int8(ctx, node);
    return;
  }
  for (i = 0; i < p->num_inputs; i++) xs[i] = tl_op_input_data(ctx, node, i);
  tl_concat(tl_op_output_data(ctx, node, 0), xs, p);
}

/* Work: output elements x 96 / 16 (float32), 256 / 16 (int8): Concatenation's weights (its kernels). */
TL_OP_ENTRY uint64_t tl_work_pack(const tl_model *m, const tl_op_desc *op) { return tl_op_work_outputs(m, op, 96, 256); }

const tl_op_descriptor tl_op_pack = {"Pack", tl_decode_pack_options, TL_OP_FN(PACK, tl_prepare_pack),
                                     TL_OP_FN(PACK, tl_eval_pack), TL_OP_FN(PACK, tl_work_pack), TL_OPT_PACK, 1, 0,
                                     sizeof(tl_pack_options)};

TL_OP_ENTRY tl_status tl_prepare_unpack(tl_op_ctx *ctx, tl_node *node) {
  const tl_pack_options *o = (const tl_pack_options *)node->op->options;
  const tl_tensor_desc *x;
  tl_split_params p, *s;
  int32_t axis, k, i, n = node->op->output_count;
  int64_t inner = 1;
  char sx[96], sy[96];

  TL_OP_ENSURE(ctx, n >= 1 && n <= TL_SPLIT_MAX_OUTPUTS, TL_ERROR_BAD_INPUT_COUNT, "expects 1 to %d outputs, has %d",
               TL_SPLIT_MAX_OUTPUTS, n);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, n));
  x = tl_op_input(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar");
  TL_ENSURE_OK(tl_op_axis(ctx, o->axis, x->rank, "axis", &axis));
  TL_OP_ENSURE(ctx, x->dims[axis] == n, TL_ERROR_BAD_SHAPE, "input %s has %d along axis %d for %d outputs",
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), x->dims[axis], axis, n);
  for (i = 0; i < n; i++) {
    const tl_tensor_desc *y = tl_op_output(ctx, node, i);
    TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "an output"));
    TL_OP_ENSURE(ctx, tl_pack_is_slice(y, x, axis), TL_ERROR_BAD_SHAPE,
                 "output %d shape %s is not input %s without axis %d", i, tl_shape_str(y->dims, y->rank, sy, sizeof sy),
                 tl_shape_str(x->dims, x->rank, sx, sizeof sx), axis);
  }
  for (k = axis + 1; k < x->rank; k++) inner *= x->dims[k];
  p.outer = 1;
  for (k = 0; k < axis; k++) p.outer *= x->dims[k];
  p.num_outputs = n;
  p.row_bytes = (int64_t)n * inner * (int64_t)tl_dtype_size(x->dtype);
  for (i = 0; i < n; i++) p.piece_bytes[i] = inner * (int64_t)tl_dtype_size(x->dtype);
  s = (tl_split_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_unpack(tl_op_ctx *ctx, tl_node *node) {
  const tl_split_params *p = (const tl_split_params *)node->state;
  void *ys[TL_SPLIT_MAX_OUTPUTS];
  int32_t i;
  for (i = 0; i < p->num_outputs; i++) ys[i] = tl_op_output_data(ctx, node, i);
  tl_split(ys, tl_op_input_data(ctx, node, 0), p);
}

/* Work: input elements x 96 / 16: Split's weight (its kernel). */
TL_OP_ENTRY uint64_t tl_work_unpack(const tl_model *m, const tl_op_desc *op) { return tl_op_work_inputs(m, op, 96, 96); }

const tl_op_descriptor tl_op_unpack = {"Unpack", tl_decode_pack_options, TL_OP_FN(UNPACK, tl_prepare_unpack),
                                       TL_OP_FN(UNPACK, tl_eval_unpack), TL_OP_FN(UNPACK, tl_work_unpack),
                                       TL_OPT_PACK, 1, 0, sizeof(tl_pack_options)};
