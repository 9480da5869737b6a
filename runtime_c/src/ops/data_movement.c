/* data_movement.c: Reshape, Concatenation, Pad, Transpose: dtype-agnostic (element size in bytes), so they
 * run on float32 and int8 alike. Inputs and outputs must share the dtype; quantized ones must share the
 * per-tensor scale and zero point (these ops do not requantize).
 */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"

static tl_status tl_same_dtype(tl_op_ctx *ctx, const tl_tensor_desc *a, const char *a_what, const tl_tensor_desc *b,
                               const char *b_what) {
  TL_OP_ENSURE(ctx, a->dtype == b->dtype, TL_ERROR_BAD_SHAPE, "%s is %s but %s is %s", a_what, tl_dtype_name(a->dtype),
               b_what, tl_dtype_name(b->dtype));
  TL_OP_ENSURE(ctx, tl_dtype_size(a->dtype) > 0, TL_ERROR_UNSUPPORTED_DTYPE, "dtype %s", tl_dtype_name(a->dtype));
  if (a->quant_count > 0 || b->quant_count > 0) {
    TL_OP_ENSURE(ctx, a->quant_count == 1 && b->quant_count == 1 && a->scales[0] == b->scales[0] &&
                          a->zero_points[0] == b->zero_points[0],
                 TL_ERROR_BAD_QUANTIZATION, "%s and %s must share one per-tensor scale and zero point", a_what, b_what);
  }
  return TL_OK;
}

/* ---- Reshape ---- */

tl_status tl_prepare_reshape(tl_op_ctx *ctx, tl_node *node) {
  const tl_op_options *o = &node->op->opts;
  const tl_tensor_desc *x, *y;
  char sx[96], sy[96];
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_ENSURE_OK(tl_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, x->elems == y->elems, TL_ERROR_BAD_SHAPE, "input %s and output %s differ in element count",
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  if (o->int_count >= 0 && o->present && o->ints != NULL) {
    int32_t k, infer = -1, shape[TL_MAX_OPTION_INTS];
    int64_t known = 1;
    int same;
    TL_OP_ENSURE(ctx, o->int_count <= TL_MAX_RANK, TL_ERROR_BAD_OPTIONS, "new_shape has rank %d (cap %d)", o->int_count,
                 TL_MAX_RANK);
    for (k = 0; k < o->int_count; k++) {
      int32_t d = o->ints[k];
      shape[k] = d;
      if (d == -1) {
        TL_OP_ENSURE(ctx, infer < 0, TL_ERROR_BAD_OPTIONS, "new_shape has two -1 entries (%d and %d)", infer, k);
        infer = k;
        continue;
      }
      TL_OP_ENSURE(ctx, d >= 1, TL_ERROR_BAD_OPTIONS, "new_shape entry %d is %d", k, d);
      known *= d;
      TL_OP_ENSURE(ctx, known <= x->elems, TL_ERROR_BAD_OPTIONS, "new_shape %s has more elements than the input %s",
                   tl_shape_str(o->ints, o->int_count, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
    }
    if (infer >= 0) {
      TL_OP_ENSURE(ctx, x->elems % known == 0, TL_ERROR_BAD_OPTIONS, "new_shape %s cannot hold the %lld input elements",
                   tl_shape_str(o->ints, o->int_count, sy, sizeof sy), (long long)x->elems);
      shape[infer] = (int32_t)(x->elems / known);
      known = x->elems;
    }
    TL_OP_ENSURE(ctx, known == x->elems, TL_ERROR_BAD_OPTIONS, "new_shape %s has %lld elements, input %s has %lld",
                 tl_shape_str(o->ints, o->int_count, sy, sizeof sy), (long long)known,
                 tl_shape_str(x->dims, x->rank, sx, sizeof sx), (long long)x->elems);
    same = y->rank == o->int_count;
    for (k = 0; same && k < y->rank; k++) same = y->dims[k] == shape[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_OPTIONS, "new_shape resolves to %s but the output is %s",
                 tl_shape_str(shape, o->int_count, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  }
  node->params.simple.bytes = x->bytes;
  return TL_OK;
}

void tl_eval_reshape(tl_op_ctx *ctx, tl_node *node) {
  /* input and output never overlap: both are alive at this op, so the planner keeps them apart */
  memcpy(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), node->params.simple.bytes);
}

/* ---- Concatenation ---- */

tl_status tl_prepare_concat(tl_op_ctx *ctx, tl_node *node) {
  const tl_op_options *o = &node->op->opts;
  const tl_tensor_desc *x0, *y;
  tl_concat_params *p = &node->params.concat;
  int32_t axis, k, i, n = node->op->input_count, int8;
  int64_t sum = 0, inner = 1;
  size_t esize;
  char sa[96], sb[96];

  TL_OP_ENSURE(ctx, n >= 1, TL_ERROR_BAD_INPUT_COUNT, "expects at least 1 input, has 0");
  TL_OP_ENSURE(ctx, n <= TL_CONCAT_MAX_INPUTS, TL_ERROR_BAD_INPUT_COUNT, "%d inputs (at most %d)", n, TL_CONCAT_MAX_INPUTS);
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, TL_CONCAT_MAX_INPUTS, 1));
  x0 = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x0->rank >= 1, TL_ERROR_BAD_SHAPE, "input 0 is a scalar");
  TL_ENSURE_OK(tl_op_axis(ctx, o->axis, x0->rank, "axis", &axis));
  /* int8: inputs may differ in parameters (the int8 prepare requantizes them) and a fused activation clamps */
  int8 = x0->dtype == TL_INT8 && y->dtype == TL_INT8;
  TL_ENSURE_OK(int8 ? tl_op_check_int8_dtypes(ctx, node) : tl_same_dtype(ctx, x0, "input 0", y, "output"));
  TL_OP_ENSURE(ctx, o->activation == TL_ACT_NONE || y->dtype == TL_FLOAT32 || int8, TL_ERROR_UNSUPPORTED_FEATURE,
               "fused activation on %s data", tl_dtype_name(y->dtype));
  esize = tl_dtype_size(y->dtype);
  for (k = axis + 1; k < x0->rank; k++) inner *= x0->dims[k];
  p->num_inputs = n;
  p->outer = 1;
  for (k = 0; k < axis; k++) p->outer *= x0->dims[k];
  for (i = 0; i < n; i++) {
    const tl_tensor_desc *x = tl_op_input(ctx, node, i);
    if (!int8) TL_ENSURE_OK(tl_same_dtype(ctx, x, "an input", y, "output"));
    TL_OP_ENSURE(ctx, x->rank == x0->rank, TL_ERROR_BAD_OPTIONS, "input %d has rank %d, input 0 has rank %d", i, x->rank,
                 x0->rank);
    for (k = 0; k < x0->rank; k++) {
      TL_OP_ENSURE(ctx, k == axis || x->dims[k] == x0->dims[k], TL_ERROR_BAD_OPTIONS,
                   "input %d shape %s does not match input 0 shape %s outside axis %d", i,
                   tl_shape_str(x->dims, x->rank, sa, sizeof sa), tl_shape_str(x0->dims, x0->rank, sb, sizeof sb), axis);
    }
    sum += x->dims[axis];
    p->inner_bytes[i] = (int64_t)x->dims[axis] * inner * (int64_t)esize;
  }
  {
    int same = y->rank == x0->rank;
    for (k = 0; same && k < y->rank; k++) same = k == axis ? (int64_t)y->dims[k] == sum : y->dims[k] == x0->dims[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s does not match input 0 %s with %lld along axis %d",
                 tl_shape_str(y->dims, y->rank, sa, sizeof sa), tl_shape_str(x0->dims, x0->rank, sb, sizeof sb),
                 (long long)sum, axis);
  }
  node->pad_value[0] = (uint8_t)o->activation; /* eval applies the fused clamp for float32 */
  return int8 ? tl_prepare_concat_int8(ctx, node) : TL_OK;
}

void tl_eval_concat(tl_op_ctx *ctx, tl_node *node) {
  const void *xs[TL_CONCAT_MAX_INPUTS];
  int32_t i, act = node->pad_value[0];
  void *y = tl_op_output_data(ctx, node, 0);
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_concat_int8(ctx, node);
    return;
  }
  for (i = 0; i < node->params.concat.num_inputs; i++) xs[i] = tl_op_input_data(ctx, node, i);
  tl_concat(y, xs, &node->params.concat);
  if (act != TL_ACT_NONE) {
    /* fused activation, float32 only (prepare checked): clamp in place, NaN passes through */
    float *v = (float *)y;
    tl_act_f32 a = tl_op_activation(act);
    int64_t k, n = tl_op_output(ctx, node, 0)->elems;
    for (k = 0; k < n; k++) v[k] = v[k] < a.min ? a.min : (v[k] > a.max ? a.max : v[k]);
  }
}

/* ---- Pad ---- */

tl_status tl_prepare_pad(tl_op_ctx *ctx, tl_node *node) {
  const tl_op_options *o = &node->op->opts;
  const tl_tensor_desc *x, *y;
  tl_pad_params *p = &node->params.pad;
  int32_t k;
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_ENSURE_OK(tl_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, o->int_count == 2 * x->rank, TL_ERROR_BAD_OPTIONS, "paddings has %d entries, expected 2 x rank %d",
               o->int_count, x->rank);
  TL_OP_ENSURE(ctx, y->rank == x->rank, TL_ERROR_BAD_SHAPE, "output %s and input %s differ in rank",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  memset(p, 0, sizeof *p);
  p->rank = x->rank;
  for (k = 0; k < x->rank; k++) {
    int32_t before = o->ints[2 * k], after = o->ints[2 * k + 1];
    int64_t out;
    TL_OP_ENSURE(ctx, before >= 0 && after >= 0, TL_ERROR_BAD_OPTIONS, "paddings for dim %d are (%d, %d)", k, before, after);
    out = (int64_t)x->dims[k] + before + after;
    TL_OP_ENSURE(ctx, out <= INT32_MAX, TL_ERROR_BAD_OPTIONS, "paddings for dim %d (%d, %d) are too large", k, before,
                 after);
    TL_OP_ENSURE(ctx, out == y->dims[k], TL_ERROR_BAD_SHAPE, "output %s differs from input %s padded by the paddings",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
    p->in_dims[k] = x->dims[k];
    p->before[k] = before;
    p->after[k] = after;
  }
  p->elem_size = (int32_t)tl_dtype_size(x->dtype);
  memset(node->pad_value, 0, sizeof node->pad_value);
  if (y->quant_count > 0 && (y->dtype == TL_INT8 || y->dtype == TL_UINT8)) {
    node->pad_value[0] = (uint8_t)(int8_t)y->zero_points[0]; /* the zero point is the real value 0 */
    if (y->dtype == TL_UINT8) node->pad_value[0] = (uint8_t)y->zero_points[0];
  }
  p->pad_value = node->pad_value;
  return TL_OK;
}

void tl_eval_pad(tl_op_ctx *ctx, tl_node *node) {
  tl_pad(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), &node->params.pad);
}

/* ---- Transpose ---- */

tl_status tl_prepare_transpose(tl_op_ctx *ctx, tl_node *node) {
  const tl_op_options *o = &node->op->opts;
  const tl_tensor_desc *x, *y;
  tl_transpose_params *p = &node->params.transpose;
  uint8_t seen[TL_MAX_RANK] = {0};
  int32_t k;
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_ENSURE_OK(tl_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, o->int_count == x->rank, TL_ERROR_BAD_OPTIONS, "perm has %d entries for rank %d", o->int_count, x->rank);
  TL_OP_ENSURE(ctx, y->rank == x->rank, TL_ERROR_BAD_SHAPE, "output %s and input %s differ in rank",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  memset(p, 0, sizeof *p);
  p->rank = x->rank;
  for (k = 0; k < x->rank; k++) {
    int32_t d = o->ints[k];
    TL_OP_ENSURE(ctx, d >= 0 && d < x->rank, TL_ERROR_BAD_OPTIONS, "perm entry %d is %d, out of range for rank %d", k, d,
                 x->rank);
    TL_OP_ENSURE(ctx, !seen[d], TL_ERROR_BAD_OPTIONS, "perm lists dim %d twice", d);
    seen[d] = 1;
    TL_OP_ENSURE(ctx, y->dims[k] == x->dims[d], TL_ERROR_BAD_SHAPE, "output %s is not input %s permuted",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
    p->in_dims[k] = x->dims[k];
    p->perm[k] = d;
  }
  p->elem_size = (int32_t)tl_dtype_size(x->dtype);
  return TL_OK;
}

void tl_eval_transpose(tl_op_ctx *ctx, tl_node *node) {
  tl_transpose(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), &node->params.transpose);
}
