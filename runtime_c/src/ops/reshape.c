/* reshape.c: Reshape (ReshapeOptions, optional): the bytes in the output shape, where the planner put the output
 * on the input's bytes (TL_OP_FLAG_VIEW, planner.h step 2b: nothing to copy), else a copy; dtype-agnostic, so
 * it runs on float32 and int8 alike (input and output must share the dtype and quantization). The output
 * shape is authoritative; new_shape, when given, must resolve to it (one -1 entry may be inferred; in a
 * resized interpreter a leading entry equal to the model's batch stands for the new batch). */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops.h"

/* ReshapeOptions (optional), decoded */
typedef struct tl_reshape_options {
  int32_t int_count;   /* new_shape's length; -1: no table or no new_shape */
  const int32_t *ints; /* in the model's pool */
} tl_reshape_options;

static tl_status tl_decode_reshape_options(tl_options_reader *r, void *options) {
  tl_reshape_options *o = (tl_reshape_options *)options;
  o->int_count = -1; /* no new_shape: the output shape alone is authoritative */
  o->ints = NULL;
  return tl_options_ints(r, TL_F_RESHAPE_NEW_SHAPE, "new_shape", &o->int_count, &o->ints);
}

TL_OP_ENTRY tl_status tl_prepare_reshape(tl_op_ctx *ctx, tl_node *node) {
  const tl_reshape_options *o = (const tl_reshape_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  size_t *s;
  char sx[96], sy[96];
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, x->elems == y->elems, TL_ERROR_BAD_SHAPE, "input %s and output %s differ in element count",
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  if (o->int_count >= 0 && o->ints != NULL) {
    int32_t k, infer = -1, shape[TL_MAX_OPTION_INTS];
    int64_t known = 1;
    int same;
    TL_OP_ENSURE(ctx, o->int_count <= TL_MAX_RANK, TL_ERROR_BAD_OPTIONS, "new_shape has rank %d (cap %d)", o->int_count,
                 TL_MAX_RANK);
    for (k = 0; k < o->int_count; k++) {
      int32_t d = o->ints[k];
      /* a resized interpreter (tl_interpreter_resize_input): the model's batch in new_shape is the new batch */
      if (k == 0 && ctx->interp->batch > 0 && d == ctx->interp->model_batch && x->rank > 0 &&
          x->dims[0] == ctx->interp->batch)
        d = ctx->interp->batch;
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
  s = (size_t *)tl_op_persistent(ctx, sizeof *s); /* the bytes to copy */
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = x->bytes;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_reshape(tl_op_ctx *ctx, tl_node *node) {
  /* the planner gives input and output one place when the output is an intermediate (planner.h step 2b:
   * nothing to do then); else they never overlap: both are alive at this op, so it keeps them apart */
  void *y = tl_op_output_data(ctx, node, 0);
  const void *x = tl_op_input_data(ctx, node, 0);
  if (y != x) memcpy(y, x, *(const size_t *)node->state);
}

/* Work: output elements x 16 / 16. Measured 0.44 ns per element (tl_bench, see interpreter.h). */
TL_OP_ENTRY uint64_t tl_work_reshape(const tl_model *m, const tl_op_desc *op) { return tl_op_work_outputs(m, op, 16, 16); }

const tl_op_descriptor tl_op_reshape = {"Reshape", tl_decode_reshape_options, TL_OP_FN(RESHAPE, tl_prepare_reshape),
                                        TL_OP_FN(RESHAPE, tl_eval_reshape), TL_OP_FN(RESHAPE, tl_work_reshape),
                                        TL_OPT_RESHAPE, 0, TL_OP_FLAG_VIEW, sizeof(tl_reshape_options)};
