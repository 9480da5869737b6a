/* strided_slice.c: StridedSlice (x, begin, end, strides) -> y with StridedSliceOptions' masks, TFLite's
 * STRIDED_SLICE rules. begin, end and strides are constant INT32 vectors with one entry per axis of x, read
 * at prepare and resolved into a start, step and count per axis (kernels/strided_slice.h):
 *   stride s != 0; a negative begin or end counts from the end (+ dim);
 *   s > 0: start = begin_mask ? 0 : clamp(begin, 0, dim), stop = end_mask ? dim : clamp(end, 0, dim),
 *          count = ceil((stop - start) / s);
 *   s < 0: start = begin_mask ? dim - 1 : clamp(begin, -1, dim - 1), stop = end_mask ? -1 : clamp(end, -1,
 *          dim - 1), count = ceil((start - stop) / -s);
 *   shrink_axis_mask: begin (after + dim) must lie in [0, dim); count 1, and y has no such axis.
 * An empty slice (count <= 0) is refused: tensors have no zero dims. y's shape must be the counts without
 * the shrunk axes; it shares x's dtype and quantization (the op moves values). */
#include <string.h>

#include "fb_schema.h"
#include "kernels/strided_slice.h"
#include "ops/ops.h"

/* StridedSliceOptions, decoded */
typedef struct tl_strided_slice_options {
  int32_t begin_mask, end_mask, shrink_axis_mask;
} tl_strided_slice_options;

static tl_status tl_decode_strided_slice_options(tl_options_reader *r, void *options) {
  tl_strided_slice_options *o = (tl_strided_slice_options *)options;
  o->begin_mask = tl_fb_get_i32(r->fb, r->table, TL_F_STRIDEDSLICE_BEGIN_MASK, 0);
  o->end_mask = tl_fb_get_i32(r->fb, r->table, TL_F_STRIDEDSLICE_END_MASK, 0);
  o->shrink_axis_mask = tl_fb_get_i32(r->fb, r->table, TL_F_STRIDEDSLICE_SHRINK_AXIS_MASK, 0);
  return TL_OK;
}

static const char *const tl_slice_vectors[3] = {"begin", "end", "strides"};

/* Input k (1: begin, 2: end, 3: strides) is a constant INT32 vector of length rank; *v gets its values. */
static tl_status tl_slice_vector(tl_op_ctx *ctx, tl_node *node, int32_t k, int32_t rank, int32_t *v) {
  const tl_tensor_desc *t = tl_op_input(ctx, node, k);
  const char *what = tl_slice_vectors[k - 1];
  TL_OP_ENSURE(ctx, t->dtype == TL_INT32, TL_ERROR_UNSUPPORTED_DTYPE, "%s (input %d) is %s, expected int32", what, k,
               tl_dtype_name(t->dtype));
  TL_OP_ENSURE(ctx, tl_op_constant_or_absent(ctx, node, k), TL_ERROR_UNSUPPORTED_FEATURE,
               "%s (input %d) is not a constant", what, k);
  TL_OP_ENSURE(ctx, t->rank == 1 && t->dims[0] == rank, TL_ERROR_BAD_SHAPE,
               "%s (input %d) must be a vector of %d entries (the input's rank)", what, k, rank);
  /* the model's constant data: the interpreter's data table is not set in prepare's size pass */
  memcpy(v, t->data, (size_t)rank * sizeof *v);
  return TL_OK;
}

static int64_t tl_clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

TL_OP_ENTRY tl_status tl_prepare_strided_slice(tl_op_ctx *ctx, tl_node *node) {
  const tl_strided_slice_options *o = (const tl_strided_slice_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  tl_strided_slice_params p, *s;
  int32_t begin[TL_KMAX_RANK], end[TL_KMAX_RANK], strides[TL_KMAX_RANK], shape[TL_KMAX_RANK];
  int32_t k, r, out_rank = 0, same;
  char sx[96], sy[96], sz[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 4, 4, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  r = x->rank;
  TL_OP_ENSURE(ctx, r >= 1 && r <= TL_KMAX_RANK, TL_ERROR_BAD_SHAPE, "input has rank %d (1 to %d)", r, TL_KMAX_RANK);
  TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "output"));
  for (k = 1; k <= 3; k++) TL_ENSURE_OK(tl_slice_vector(ctx, node, k, r, k == 1 ? begin : k == 2 ? end : strides));
  TL_OP_ENSURE(ctx, ((o->begin_mask | o->end_mask | o->shrink_axis_mask) & ~((1 << r) - 1)) == 0,
               TL_ERROR_BAD_OPTIONS, "masks %d / %d / %d have bits at or above the rank %d", o->begin_mask,
               o->end_mask, o->shrink_axis_mask, r);
  memset(&p, 0, sizeof p);
  p.rank = r;
  p.elem_size = (int32_t)tl_dtype_size(x->dtype);
  for (k = 0; k < r; k++) {
    const int64_t dim = x->dims[k], st = strides[k];
    int64_t b = begin[k], e = end[k], n;
    p.in_dims[k] = x->dims[k];
    TL_OP_ENSURE(ctx, st != 0, TL_ERROR_BAD_OPTIONS, "strides entry %d is 0", k);
    if (o->shrink_axis_mask & (1 << k)) {
      if (b < 0) b += dim;
      TL_OP_ENSURE(ctx, b >= 0 && b < dim, TL_ERROR_BAD_OPTIONS,
                   "begin entry %d is %d, out of range for the shrunk axis of size %lld", k, begin[k], (long long)dim);
      p.start[k] = (int32_t)b;
      p.step[k] = 1;
      p.count[k] = 1;
      continue;
    }
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      b = (o->begin_mask & (1 << k)) ? 0 : tl_clamp64(b, 0, dim);
      e = (o->end_mask & (1 << k)) ? dim : tl_clamp64(e, 0, dim);
      n = e > b ? (e - b + st - 1) / st : 0;
    } else {
      b = (o->begin_mask & (1 << k)) ? dim - 1 : tl_clamp64(b, -1, dim - 1);
      e = (o->end_mask & (1 << k)) ? -1 : tl_clamp64(e, -1, dim - 1);
      n = b > e ? (b - e - st - 1) / -st : 0;
    }
    TL_OP_ENSURE(ctx, n >= 1, TL_ERROR_BAD_SHAPE, "axis %d: begin %d, end %d, stride %d select no element of %lld",
                 k, begin[k], end[k], strides[k], (long long)dim);
    p.start[k] = (int32_t)b;
    p.step[k] = strides[k];
    p.count[k] = (int32_t)n;
    shape[out_rank++] = (int32_t)n;
  }
  same = y->rank == out_rank;
  for (k = 0; same && k < out_rank; k++) same = y->dims[k] == shape[k];
  TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output %s but the slice of %s is %s",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx),
               tl_shape_str(shape, out_rank, sz, sizeof sz));
  s = (tl_strided_slice_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_strided_slice(tl_op_ctx *ctx, tl_node *node) {
  tl_strided_slice(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0),
                   (const tl_strided_slice_params *)node->state);
}

/* Work: output elements x 384 / 16, Transpose's weight (the same odometer and one memcpy per element). */
TL_OP_ENTRY uint64_t tl_work_strided_slice(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 384, 384);
}

const tl_op_descriptor tl_op_strided_slice = {
    "StridedSlice", tl_decode_strided_slice_options, TL_OP_FN(STRIDED_SLICE, tl_prepare_strided_slice),
    TL_OP_FN(STRIDED_SLICE, tl_eval_strided_slice), TL_OP_FN(STRIDED_SLICE, tl_work_strided_slice),
    TL_OPT_STRIDED_SLICE, 1, 0, sizeof(tl_strided_slice_options)};
