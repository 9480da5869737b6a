/* activation.c: Relu, Relu6, Sigmoid, Tanh (elementwise, same shape) and Softmax over the last axis.
 * float32 Relu, Relu6 (bit-identical), Sigmoid and Tanh (within 2 ulp of libm) run the optimized kernels
 * (kernels/opt/opt_kernels_elementwise.h) at the interpreter's level; Softmax stays on the reference kernel. */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_ACT_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_ACT_OPT 1
#endif

tl_status tl_prepare_unary(tl_op_ctx *ctx, tl_node *node) {
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  node->params.simple.n = tl_op_input(ctx, node, 0)->elems;
  if (tl_op_is_int8(ctx, node)) return tl_prepare_unary_int8(ctx, node);
  if (TL_ACT_OPT) node->opt_isa = ctx->interp->isa; /* Relu, Relu6, Sigmoid, Tanh: no memory needed */
  return TL_OK;
}

/* the optimized kernel when prepare chose one */
#define TL_UNARY_EVAL(fn, kernel, opt_kernel)                                                        \
  void fn(tl_op_ctx *ctx, tl_node *node) {                                                           \
    float *y;                                                                                        \
    const float *x;                                                                                  \
    if (tl_op_is_int8(ctx, node)) {                                                                  \
      tl_eval_unary_int8(ctx, node);                                                                 \
      return;                                                                                        \
    }                                                                                                \
    y = (float *)tl_op_output_data(ctx, node, 0);                                                    \
    x = (const float *)tl_op_input_data(ctx, node, 0);                                               \
    if (TL_ACT_OPT && node->opt_isa != TL_ISA_REFERENCE)                                             \
      opt_kernel(y, x, node->params.simple.n, (tl_isa)node->opt_isa);                                \
    else                                                                                             \
      kernel(y, x, node->params.simple.n);                                                           \
  }

TL_UNARY_EVAL(tl_eval_relu, tl_relu_f32, tl_relu_f32_opt)
TL_UNARY_EVAL(tl_eval_relu6, tl_relu6_f32, tl_relu6_f32_opt)
TL_UNARY_EVAL(tl_eval_sigmoid, tl_sigmoid_f32, tl_sigmoid_f32_opt)
TL_UNARY_EVAL(tl_eval_tanh, tl_tanh_f32, tl_tanh_f32_opt)

tl_status tl_prepare_softmax(tl_op_ctx *ctx, tl_node *node) {
  const tl_tensor_desc *x;
  tl_softmax_params *p = &node->params.softmax;
  float beta = node->op->opts.beta;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", x, "input"));
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar (softmax needs an axis)");
  TL_OP_ENSURE(ctx, beta > 0.0f && beta <= 3.4e38f, TL_ERROR_BAD_OPTIONS, "beta is %g", (double)beta);
  p->depth = x->dims[x->rank - 1];
  p->outer = x->elems / p->depth;
  p->beta = beta;
  return tl_op_is_int8(ctx, node) ? tl_prepare_softmax_int8(ctx, node) : TL_OK;
}

void tl_eval_softmax(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_softmax_int8(ctx, node);
    return;
  }
  tl_softmax_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                 &node->params.softmax);
}
