/* pad.c: Pad by PadOptions.paddings ((before, after) per dim), writing zero, or the output zero point when
 * quantized (the real value 0). Dtype-agnostic: input and output share the dtype and quantization. */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops.h"

typedef struct tl_pad_state {
  tl_pad_params p;
  uint8_t pad_value[8]; /* the value written into the border (p.pad_value points here) */
} tl_pad_state;

/* PadOptions, decoded */
typedef struct tl_pad_options {
  int32_t int_count;   /* paddings: (before, after) per dim (0: absent) */
  const int32_t *ints; /* in the model's pool */
} tl_pad_options;

static tl_status tl_decode_pad_options(tl_options_reader *r, void *options) {
  tl_pad_options *o = (tl_pad_options *)options;
  o->int_count = 0;
  o->ints = NULL;
  return tl_options_ints(r, TL_F_PAD_PADDINGS, "paddings", &o->int_count, &o->ints);
}

TL_OP_ENTRY tl_status tl_prepare_pad(tl_op_ctx *ctx, tl_node *node) {
  const tl_pad_options *o = (const tl_pad_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  tl_pad_state st, *s;
  int32_t k;
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, o->int_count == 2 * x->rank, TL_ERROR_BAD_OPTIONS, "paddings has %d entries, expected 2 x rank %d",
               o->int_count, x->rank);
  TL_OP_ENSURE(ctx, y->rank == x->rank, TL_ERROR_BAD_SHAPE, "output %s and input %s differ in rank",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  memset(&st, 0, sizeof st);
  st.p.rank = x->rank;
  for (k = 0; k < x->rank; k++) {
    int32_t before = o->ints[2 * k], after = o->ints[2 * k + 1];
    int64_t out;
    TL_OP_ENSURE(ctx, before >= 0 && after >= 0, TL_ERROR_BAD_OPTIONS, "paddings for dim %d are (%d, %d)", k, before, after);
    out = (int64_t)x->dims[k] + before + after;
    TL_OP_ENSURE(ctx, out <= INT32_MAX, TL_ERROR_BAD_OPTIONS, "paddings for dim %d (%d, %d) are too large", k, before,
                 after);
    TL_OP_ENSURE(ctx, out == y->dims[k], TL_ERROR_BAD_SHAPE, "output %s differs from input %s padded by the paddings",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
    st.p.in_dims[k] = x->dims[k];
    st.p.before[k] = before;
    st.p.after[k] = after;
  }
  st.p.elem_size = (int32_t)tl_dtype_size(x->dtype);
  if (y->quant_count > 0 && (y->dtype == TL_INT8 || y->dtype == TL_UINT8)) {
    st.pad_value[0] = (uint8_t)(int8_t)y->zero_points[0]; /* the zero point is the real value 0 */
    if (y->dtype == TL_UINT8) st.pad_value[0] = (uint8_t)y->zero_points[0];
  }
  s = (tl_pad_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = st;
  s->p.pad_value = s->pad_value;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_pad(tl_op_ctx *ctx, tl_node *node) {
  tl_pad(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), &((const tl_pad_state *)node->state)->p);
}

/* Work: output elements x 96 / 16 (float32), 256 / 16 (int8). Measured ns per element (tl_bench, see
 * interpreter.h), float32 / int8: 4.1 / 10.4. */
TL_OP_ENTRY uint64_t tl_work_pad(const tl_model *m, const tl_op_desc *op) { return tl_op_work_outputs(m, op, 96, 256); }

const tl_op_descriptor tl_op_pad = {"Pad", tl_decode_pad_options, TL_OP_FN(PAD, tl_prepare_pad), TL_OP_FN(PAD, tl_eval_pad),
                                    TL_OP_FN(PAD, tl_work_pad), TL_OPT_PAD, 1, 0, sizeof(tl_pad_options)};
