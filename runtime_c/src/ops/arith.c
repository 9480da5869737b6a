/* arith.c: Add, Sub, Mul with numpy broadcasting (rank <= 4) and a fused activation.
 *
 * prepare right-aligns both input shapes to rank 4, checks that each dim pair is equal or has a 1, checks the
 * output shape equals the broadcast shape, and gives broadcast dims a stride of 0. float32 nodes run the
 * optimized kernels (kernels/opt/opt_kernels_elementwise.h, bit-identical) at the interpreter's level unless
 * their broadcast has rows too short for them (tl_binary_f32_opt_supported); freestanding builds keep the
 * reference kernels.
 */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_ARITH_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_ARITH_OPT 1
#endif

tl_status tl_prepare_binary(tl_op_ctx *ctx, tl_node *node) {
  const tl_tensor_desc *a, *b, *y;
  tl_binary_params *p = &node->params.binary;
  int32_t ad[4], bd[4], od[4], k, out_rank;
  int64_t as = 1, bs = 1;
  char sa[96], sb[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 2, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  a = tl_op_input(ctx, node, 0);
  b = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, a->rank <= 4 && b->rank <= 4, TL_ERROR_BAD_SHAPE, "input ranks %d and %d: at most 4 supported",
               a->rank, b->rank);
  out_rank = a->rank > b->rank ? a->rank : b->rank;
  for (k = 0; k < 4; k++) {
    int32_t ia = k - (4 - a->rank), ib = k - (4 - b->rank);
    ad[k] = ia >= 0 ? a->dims[ia] : 1;
    bd[k] = ib >= 0 ? b->dims[ib] : 1;
    TL_OP_ENSURE(ctx, ad[k] == bd[k] || ad[k] == 1 || bd[k] == 1, TL_ERROR_BAD_SHAPE,
                 "input shapes %s and %s do not broadcast", tl_shape_str(a->dims, a->rank, sa, sizeof sa),
                 tl_shape_str(b->dims, b->rank, sb, sizeof sb));
    od[k] = ad[k] == 1 ? bd[k] : ad[k];
  }
  {
    int same = y->rank == out_rank;
    for (k = 0; same && k < out_rank; k++) same = y->dims[k] == od[4 - out_rank + k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s is not the broadcast of %s and %s",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(a->dims, a->rank, sa, sizeof sa),
                 tl_shape_str(b->dims, b->rank, sb, sizeof sb));
  }
  for (k = 3; k >= 0; k--) {
    p->out_dims[k] = od[k];
    p->a_strides[k] = ad[k] == 1 ? 0 : as;
    p->b_strides[k] = bd[k] == 1 ? 0 : bs;
    as *= ad[k];
    bs *= bd[k];
  }
  p->act = tl_op_activation(node->op->opts.activation);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_binary_int8(ctx, node);
  if (TL_ARITH_OPT && tl_binary_f32_opt_supported(p)) node->opt_isa = ctx->interp->isa; /* no memory needed */
  return TL_OK;
}

#define TL_BINARY_EVAL(fn, kernel, opt_kernel)                                                       \
  void fn(tl_op_ctx *ctx, tl_node *node) {                                                           \
    float *y;                                                                                        \
    const float *a, *b;                                                                              \
    if (tl_op_is_int8(ctx, node)) {                                                                  \
      tl_eval_binary_int8(ctx, node);                                                                \
      return;                                                                                        \
    }                                                                                                \
    y = (float *)tl_op_output_data(ctx, node, 0);                                                    \
    a = (const float *)tl_op_input_data(ctx, node, 0);                                               \
    b = (const float *)tl_op_input_data(ctx, node, 1);                                               \
    if (TL_ARITH_OPT && node->opt_isa != TL_ISA_REFERENCE)                                           \
      opt_kernel(y, a, b, &node->params.binary, (tl_isa)node->opt_isa);                              \
    else                                                                                             \
      kernel(y, a, b, &node->params.binary);                                                         \
  }

TL_BINARY_EVAL(tl_eval_add, tl_add_f32, tl_add_f32_opt)
TL_BINARY_EVAL(tl_eval_sub, tl_sub_f32, tl_sub_f32_opt)
TL_BINARY_EVAL(tl_eval_mul, tl_mul_f32, tl_mul_f32_opt)
