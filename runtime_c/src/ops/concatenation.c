/* concatenation.c: Concatenation along ConcatenationOptions.axis (negative counts from the end) with a fused
 * activation (float32: a clamp after the copy). Dtype-agnostic copies: inputs and output share the dtype and
 * quantization, except int8, whose inputs may differ in parameters (concatenation_int8.c requantizes). */
#include "fb_schema.h"
#include "ops/ops_int8.h"

/* ConcatenationOptions, decoded */
typedef struct tl_concat_options {
  int32_t axis;       /* negative: from the end; normalized at prepare */
  int32_t activation; /* TL_ACT_* */
} tl_concat_options;

typedef struct tl_concat_state {
  tl_concat_params p;
  int32_t act; /* TL_ACT_*: float32's fused clamp */
} tl_concat_state;

static tl_status tl_decode_concatenation_options(tl_options_reader *r, void *options) {
  tl_concat_options *o = (tl_concat_options *)options;
  o->axis = tl_fb_get_i32(r->fb, r->table, TL_F_CONCAT_AXIS, 0);
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_CONCAT_ACTIVATION, 0);
  return tl_options_check_activation(r, o->activation);
}

TL_OP_ENTRY tl_status tl_prepare_concatenation(tl_op_ctx *ctx, tl_node *node) {
  const tl_concat_options *o = (const tl_concat_options *)node->op->options;
  const tl_tensor_desc *x0, *y;
  tl_concat_params p;
  tl_concat_state *s;
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
  TL_ENSURE_OK(int8 ? tl_op_check_int8_dtypes(ctx, node) : tl_op_check_same_dtype(ctx, x0, "input 0", y, "output"));
  TL_OP_ENSURE(ctx, o->activation == TL_ACT_NONE || y->dtype == TL_FLOAT32 || int8, TL_ERROR_UNSUPPORTED_FEATURE,
               "fused activation on %s data", tl_dtype_name(y->dtype));
  esize = tl_dtype_size(y->dtype);
  for (k = axis + 1; k < x0->rank; k++) inner *= x0->dims[k];
  p.num_inputs = n;
  p.outer = 1;
  for (k = 0; k < axis; k++) p.outer *= x0->dims[k];
  for (i = 0; i < n; i++) {
    const tl_tensor_desc *x = tl_op_input(ctx, node, i);
    if (!int8) TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "an input", y, "output"));
    TL_OP_ENSURE(ctx, x->rank == x0->rank, TL_ERROR_BAD_OPTIONS, "input %d has rank %d, input 0 has rank %d", i, x->rank,
                 x0->rank);
    for (k = 0; k < x0->rank; k++) {
      TL_OP_ENSURE(ctx, k == axis || x->dims[k] == x0->dims[k], TL_ERROR_BAD_OPTIONS,
                   "input %d shape %s does not match input 0 shape %s outside axis %d", i,
                   tl_shape_str(x->dims, x->rank, sa, sizeof sa), tl_shape_str(x0->dims, x0->rank, sb, sizeof sb), axis);
    }
    sum += x->dims[axis];
    p.inner_bytes[i] = (int64_t)x->dims[axis] * inner * (int64_t)esize;
  }
  {
    int same = y->rank == x0->rank;
    for (k = 0; same && k < y->rank; k++) same = k == axis ? (int64_t)y->dims[k] == sum : y->dims[k] == x0->dims[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s does not match input 0 %s with %lld along axis %d",
                 tl_shape_str(y->dims, y->rank, sa, sizeof sa), tl_shape_str(x0->dims, x0->rank, sb, sizeof sb),
                 (long long)sum, axis);
  }
  if (int8) return tl_prepare_concatenation_int8(ctx, node, &p, o->activation);
  s = (tl_concat_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->act = o->activation; /* eval applies the fused clamp for float32 */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_concatenation(tl_op_ctx *ctx, tl_node *node) {
  const tl_concat_state *s = (const tl_concat_state *)node->state;
  const void *xs[TL_CONCAT_MAX_INPUTS];
  int32_t i;
  void *y = tl_op_output_data(ctx, node, 0);
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_concatenation_int8(ctx, node);
    return;
  }
  for (i = 0; i < s->p.num_inputs; i++) xs[i] = tl_op_input_data(ctx, node, i);
  tl_concat(y, xs, &s->p);
  if (s->act != TL_ACT_NONE) {
    /* fused activation, float32 only (prepare checked): clamp in place, NaN passes through */
    float *v = (float *)y;
    tl_act_f32 a = tl_op_activation(s->act);
    int64_t k, n = tl_op_output(ctx, node, 0)->elems;
    for (k = 0; k < n; k++) v[k] = v[k] < a.min ? a.min : (v[k] > a.max ? a.max : v[k]);
  }
}

/* Work: output elements x 96 / 16 (float32), 256 / 16 (int8). Measured ns per element (tl_bench, see
 * interpreter.h), float32 / int8: 4.4 / 13.6. */
TL_OP_ENTRY uint64_t tl_work_concatenation(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 96, 256);
}

const tl_op_descriptor tl_op_concatenation = {
    "Concatenation", tl_decode_concatenation_options, TL_OP_FN(CONCATENATION, tl_prepare_concatenation),
    TL_OP_FN(CONCATENATION, tl_eval_concatenation), TL_OP_FN(CONCATENATION, tl_work_concatenation),
    TL_OPT_CONCATENATION, 1, 0, sizeof(tl_concat_options)};
