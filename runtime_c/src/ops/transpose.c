/* transpose.c: Transpose by TransposeOptions.perm (output dim k is input dim perm[k]). Dtype-agnostic: input
 * and output share the dtype and quantization. Above the reference level it runs the optimized kernel
 * (kernels/opt/transpose_opt.h: runs of the input copied whole, the reference's bytes). */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/transpose_opt.h"
#include "ops/ops.h"

#if defined(TL_FREESTANDING)
#define TL_TRANSPOSE_OPT 0 /* microcontrollers: the reference kernel (the optimized one is not linked) */
#else
#define TL_TRANSPOSE_OPT 1
#endif

typedef struct tl_transpose_state {
  tl_transpose_params p;
  int32_t opt; /* 1: the optimized kernel */
} tl_transpose_state;

/* TransposeOptions, decoded */
typedef struct tl_transpose_options {
  int32_t int_count;   /* perm (0: absent) */
  const int32_t *ints; /* in the model's pool */
} tl_transpose_options;

static tl_status tl_decode_transpose_options(tl_options_reader *r, void *options) {
  tl_transpose_options *o = (tl_transpose_options *)options;
  o->int_count = 0;
  o->ints = NULL;
  return tl_options_ints(r, TL_F_TRANSPOSE_PERM, "perm", &o->int_count, &o->ints);
}

TL_OP_ENTRY tl_status tl_prepare_transpose(tl_op_ctx *ctx, tl_node *node) {
  const tl_transpose_options *o = (const tl_transpose_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  tl_transpose_params p;
  tl_transpose_state *s;
  uint8_t seen[TL_MAX_RANK] = {0};
  int32_t k;
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, o->int_count == x->rank, TL_ERROR_BAD_OPTIONS, "perm has %d entries for rank %d", o->int_count, x->rank);
  TL_OP_ENSURE(ctx, y->rank == x->rank, TL_ERROR_BAD_SHAPE, "output %s and input %s differ in rank",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  memset(&p, 0, sizeof p);
  p.rank = x->rank;
  for (k = 0; k < x->rank; k++) {
    int32_t d = o->ints[k];
    TL_OP_ENSURE(ctx, d >= 0 && d < x->rank, TL_ERROR_BAD_OPTIONS, "perm entry %d is %d, out of range for rank %d", k, d,
                 x->rank);
    TL_OP_ENSURE(ctx, !seen[d], TL_ERROR_BAD_OPTIONS, "perm lists dim %d twice", d);
    seen[d] = 1;
    TL_OP_ENSURE(ctx, y->dims[k] == x->dims[d], TL_ERROR_BAD_SHAPE, "output %s is not input %s permuted",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx));
    p.in_dims[k] = x->dims[k];
    p.perm[k] = d;
  }
  p.elem_size = (int32_t)tl_dtype_size(x->dtype);
  s = (tl_transpose_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->opt = TL_TRANSPOSE_OPT && ctx->interp->isa != TL_ISA_REFERENCE;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_transpose(tl_op_ctx *ctx, tl_node *node) {
  const tl_transpose_state *s = (const tl_transpose_state *)node->state;
  if (TL_TRANSPOSE_OPT && s->opt)
    tl_transpose_opt(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), &s->p);
  else
    tl_transpose(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), &s->p);
}

/* Work: output elements x 384 / 16. Measured ns per element (tl_bench, see interpreter.h), float32 / int8:
 * 19.4 / 14.8 (rank 4 and 6). */
TL_OP_ENTRY uint64_t tl_work_transpose(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 384, 384);
}

const tl_op_descriptor tl_op_transpose = {
    "Transpose", tl_decode_transpose_options, TL_OP_FN(TRANSPOSE, tl_prepare_transpose),
    TL_OP_FN(TRANSPOSE, tl_eval_transpose), TL_OP_FN(TRANSPOSE, tl_work_transpose), TL_OPT_TRANSPOSE, 1, 0,
    sizeof(tl_transpose_options)};
