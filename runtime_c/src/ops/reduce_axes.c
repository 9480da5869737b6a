/* reduce_axes.c: the MeanOptions decoder and the axis rules Mean, Sum and ReduceMax share (reduce_axes.h). */
#include <string.h>

#include "fb_schema.h"
#include "ops/reduce_axes.h"

tl_status tl_decode_reduce_options(tl_options_reader *r, void *options) {
  tl_reduce_options *o = (tl_reduce_options *)options;
  o->keep_dims = tl_fb_get_u8(r->fb, r->table, TL_F_MEAN_KEEP_DIMS, 0) != 0;
  o->int_count = 0;
  o->ints = NULL;
  return tl_options_ints(r, TL_F_MEAN_AXES, "axes", &o->int_count, &o->ints);
}

tl_status tl_op_reduce_geometry(tl_op_ctx *ctx, tl_node *node, tl_mean_params *p) {
  const tl_reduce_options *o = (const tl_reduce_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  int32_t k, n = 0, want[TL_MAX_RANK];
  char sx[96], sy[96], sw[96];

  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, o->int_count > 0, TL_ERROR_BAD_OPTIONS, "axes is empty");
  memset(p, 0, sizeof *p);
  p->rank = x->rank;
  for (k = 0; k < o->int_count; k++) {
    int32_t axis;
    TL_ENSURE_OK(tl_op_axis(ctx, o->ints[k], x->rank, "axis", &axis));
    TL_OP_ENSURE(ctx, !p->reduce[axis], TL_ERROR_BAD_OPTIONS, "axis %d is listed twice", o->ints[k]);
    p->reduce[axis] = 1;
  }
  for (k = 0; k < x->rank; k++) {
    p->in_dims[k] = x->dims[k];
    if (!p->reduce[k]) want[n++] = x->dims[k];
    else if (o->keep_dims) want[n++] = 1;
  }
  {
    int same = y->rank == n;
    for (k = 0; same && k < n; k++) same = y->dims[k] == want[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s differs from the computed %s (input %s, keep_dims %d)",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(want, n, sw, sizeof sw),
                 tl_shape_str(x->dims, x->rank, sx, sizeof sx), o->keep_dims);
  }
  return TL_OK;
}
