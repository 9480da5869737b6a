/* mean.c: Mean over MeanOptions.axes (negative axes count from the end, each at most once; keep_dims keeps
 * reduced axes as 1). An empty axes list is rejected: the exporter always names the axes. A float32 Mean
 * over consecutive axes (H, W of NHWC: global average pooling) runs the optimized kernel
 * (kernels/opt/opt_kernels_elementwise.h, bit-identical) at the interpreter's level. int8: mean_int8.c. */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_MEAN_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_MEAN_OPT 1
#endif

typedef struct tl_mean_state {
  tl_mean_params p;
  int32_t isa;
} tl_mean_state;

/* MeanOptions, decoded */
typedef struct tl_mean_options {
  int32_t keep_dims;   /* 0 or 1 */
  int32_t int_count;   /* axes (0: absent; rejected at prepare) */
  const int32_t *ints; /* in the model's pool */
} tl_mean_options;

static tl_status tl_decode_mean_options(tl_options_reader *r, void *options) {
  tl_mean_options *o = (tl_mean_options *)options;
  o->keep_dims = tl_fb_get_u8(r->fb, r->table, TL_F_MEAN_KEEP_DIMS, 0) != 0;
  o->int_count = 0;
  o->ints = NULL;
  return tl_options_ints(r, TL_F_MEAN_AXES, "axes", &o->int_count, &o->ints);
}

TL_OP_ENTRY tl_status tl_prepare_mean(tl_op_ctx *ctx, tl_node *node) {
  const tl_mean_options *o = (const tl_mean_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  tl_mean_params p;
  tl_mean_state *s;
  int32_t k, n = 0, want[TL_MAX_RANK];
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, o->int_count > 0, TL_ERROR_BAD_OPTIONS, "axes is empty");
  memset(&p, 0, sizeof p);
  p.rank = x->rank;
  for (k = 0; k < o->int_count; k++) {
    int32_t axis;
    TL_ENSURE_OK(tl_op_axis(ctx, o->ints[k], x->rank, "axis", &axis));
    TL_OP_ENSURE(ctx, !p.reduce[axis], TL_ERROR_BAD_OPTIONS, "axis %d is listed twice", o->ints[k]);
    p.reduce[axis] = 1;
  }
  for (k = 0; k < x->rank; k++) {
    p.in_dims[k] = x->dims[k];
    if (!p.reduce[k]) want[n++] = x->dims[k];
    else if (o->keep_dims) want[n++] = 1;
  }
  {
    int same = y->rank == n;
    for (k = 0; same && k < n; k++) same = y->dims[k] == want[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s differs from the computed %s (input %s, keep_dims %d)",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(want, n, sx, sizeof sx),
                 tl_shape_str(x->dims, x->rank, sx, sizeof sx), o->keep_dims);
  }
  if (tl_op_is_int8(ctx, node)) return tl_prepare_mean_int8(ctx, node, &p);
  s = (tl_mean_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->isa = TL_MEAN_OPT && tl_mean_f32_opt_supported(&p) ? ctx->interp->isa : TL_ISA_REFERENCE; /* no memory */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_mean(tl_op_ctx *ctx, tl_node *node) {
  const tl_mean_state *s = (const tl_mean_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_mean_int8(ctx, node);
    return;
  }
  if (TL_MEAN_OPT && s->isa != TL_ISA_REFERENCE) {
    tl_mean_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), &s->p,
                    (tl_isa)s->isa);
    return;
  }
  tl_mean_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), &s->p);
}

/* Work: input elements x 64 / 16 (float32), 48 / 16 (int8). Measured ns per input element (tl_bench, see
 * interpreter.h), float32 / int8: 2.6 / 2.4. */
TL_OP_ENTRY uint64_t tl_work_mean(const tl_model *m, const tl_op_desc *op) { return tl_op_work_inputs(m, op, 64, 48); }

const tl_op_descriptor tl_op_mean = {"Mean", tl_decode_mean_options, TL_OP_FN(MEAN, tl_prepare_mean),
                                     TL_OP_FN(MEAN, tl_eval_mean), TL_OP_FN(MEAN, tl_work_mean), TL_OPT_MEAN, 1, 0,
                                     sizeof(tl_mean_options)};
