/* gather.c: Gather (params, indices) -> y, TFLite's GATHER with batch_dims 0: y = params[..., indices, ...]
 * along GatherOptions.axis (negative counts from the end). params: float32 or int8 of rank 1 to 4; indices:
 * INT32 of any shape (a scalar too), not quantized; y's shape is params' with the axis replaced by indices'
 * shape (rank <= 6), and y shares params' dtype and quantization (the op moves values).
 * Indices: constant ones are checked at prepare (each in [0, dim) of the axis, else TL_ERROR_BAD_OPTIONS).
 * Indices computed at run time (a graph input: token ids) cannot be refused, since eval cannot fail: an index
 * outside [0, dim) gives a row of zeros (int8: the zero point, the real value 0), as TensorFlow's GPU kernel
 * does; TFLite's kernel returns an error from Invoke instead. Nothing outside params is ever read. */
#include "fb_schema.h"
#include "kernels/gather.h"
#include "ops/ops.h"

/* GatherOptions, decoded (the axis is checked against params' rank at prepare) */
typedef struct tl_gather_options {
  int32_t axis;
} tl_gather_options;

static tl_status tl_decode_gather_options(tl_options_reader *r, void *options) {
  ((tl_gather_options *)options)->axis = tl_fb_get_i32(r->fb, r->table, TL_F_GATHER_AXIS, 0);
  return TL_OK;
}

/* Constant indices: every entry in [0, dim). Read from the model's constant data (the interpreter's data
 * table is not set in prepare's size pass). */
static tl_status tl_gather_check_indices(tl_op_ctx *ctx, const tl_tensor_desc *t, int32_t axis, int32_t dim) {
  const int32_t *v = (const int32_t *)(const void *)t->data;
  int64_t j;
  for (j = 0; j < t->elems; j++) {
    TL_OP_ENSURE(ctx, v[j] >= 0 && v[j] < dim, TL_ERROR_BAD_OPTIONS,
                 "indices (input 1) entry %lld is %d, out of range [0, %d) of params' axis %d", (long long)j,
                 v[j], dim, axis);
  }
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_gather(tl_op_ctx *ctx, tl_node *node) {
  const tl_gather_options *o = (const tl_gather_options *)node->op->options;
  const tl_tensor_desc *x, *ix, *y;
  tl_gather_params p, *s;
  int32_t shape[TL_MAX_RANK];
  int32_t k, axis, out_rank = 0, same;
  int64_t inner = 1;
  char sx[96], si[96], sy[96], sz[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 2, 1));
  x = tl_op_input(ctx, node, 0);
  ix = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->dtype == TL_FLOAT32 || x->dtype == TL_INT8, TL_ERROR_UNSUPPORTED_DTYPE,
               "params (input 0) is %s, expected float32 or int8", tl_dtype_name(x->dtype));
  TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "params", y, "output"));
  TL_OP_ENSURE(ctx, ix->dtype == TL_INT32, TL_ERROR_UNSUPPORTED_DTYPE,
               "indices (input 1) are %s, expected int32 (cast other integer indices to int32)",
               tl_dtype_name(ix->dtype));
  TL_OP_ENSURE(ctx, ix->quant_count == 0, TL_ERROR_BAD_QUANTIZATION, "indices (input 1) must not be quantized");
  TL_OP_ENSURE(ctx, x->rank >= 1 && x->rank <= 4, TL_ERROR_BAD_SHAPE, "params has rank %d (1 to 4)", x->rank);
  TL_ENSURE_OK(tl_op_axis(ctx, o->axis, x->rank, "axis", &axis));
  TL_OP_ENSURE(ctx, x->rank - 1 + ix->rank <= TL_MAX_RANK, TL_ERROR_BAD_SHAPE,
               "params of rank %d and indices of rank %d give an output of rank %d (at most %d)", x->rank, ix->rank,
               x->rank - 1 + ix->rank, TL_MAX_RANK);
  for (k = 0; k < axis; k++) shape[out_rank++] = x->dims[k];
  for (k = 0; k < ix->rank; k++) shape[out_rank++] = ix->dims[k];
  for (k = axis + 1; k < x->rank; k++) shape[out_rank++] = x->dims[k];
  same = y->rank == out_rank;
  for (k = 0; same && k < out_rank; k++) same = y->dims[k] == shape[k];
  TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output %s but params %s gathered with indices %s along axis %d is %s",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx),
               tl_shape_str(ix->dims, ix->rank, si, sizeof si), axis, tl_shape_str(shape, out_rank, sz, sizeof sz));
  if (tl_op_constant_or_absent(ctx, node, 1)) TL_ENSURE_OK(tl_gather_check_indices(ctx, ix, axis, x->dims[axis]));
  p.outer = 1;
  for (k = 0; k < axis; k++) p.outer *= x->dims[k];
  for (k = axis + 1; k < x->rank; k++) inner *= x->dims[k];
  p.axis_dim = x->dims[axis];
  p.index_count = ix->elems;
  p.row_bytes = (size_t)inner * tl_dtype_size(x->dtype);
  p.fill = x->dtype == TL_INT8 ? (uint8_t)(int8_t)x->zero_points[0] : 0;
  s = (tl_gather_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_gather(tl_op_ctx *ctx, tl_node *node) {
  tl_gather(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0),
            (const int32_t *)tl_op_input_data(ctx, node, 1), (const tl_gather_params *)node->state);
}

/* Work: output elements x 384 / 16, StridedSlice's weight (an upper bound: Gather copies whole rows). */
TL_OP_ENTRY uint64_t tl_work_gather(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 384, 384);
}

const tl_op_descriptor tl_op_gather = {"Gather", tl_decode_gather_options, TL_OP_FN(GATHER, tl_prepare_gather),
                                       TL_OP_FN(GATHER, tl_eval_gather), TL_OP_FN(GATHER, tl_work_gather),
                                       TL_OPT_GATHER, 1, 0, sizeof(tl_gather_options)};
