/* activation.c: Relu, Relu6, Sigmoid, Tanh: elementwise, same shape, no options. float32 Relu, Relu6
 * (bit-identical), Sigmoid and Tanh (within 2 ulp of libm) run the optimized kernels
 * (kernels/opt/opt_kernels_elementwise.h) at the interpreter's level. int8: activation_int8.c. */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_ACT_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_ACT_OPT 1
#endif

typedef struct tl_unary_state {
  int64_t n; /* elements */
  int32_t isa;
} tl_unary_state;

/* int8: Relu, Relu6 are clamps (kind TL_ACT_*), Sigmoid and Tanh have a fixed output (scale, zero point) */
static tl_status tl_prepare_unary(tl_op_ctx *ctx, tl_node *node, int32_t kind, float out_scale, int32_t out_zp) {
  tl_unary_state *s;
  int64_t n;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", tl_op_input(ctx, node, 0), "input"));
  n = tl_op_input(ctx, node, 0)->elems;
  if (tl_op_is_int8(ctx, node))
    return kind != TL_ACT_NONE ? tl_prepare_clamp_int8(ctx, node, n, kind)
                               : tl_prepare_logistic_int8(ctx, node, n, out_scale, out_zp);
  s = (tl_unary_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = n;
  s->isa = TL_ACT_OPT ? ctx->interp->isa : TL_ISA_REFERENCE; /* no memory needed */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_relu(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary(ctx, node, TL_ACT_RELU, 0.0f, 0);
}
TL_OP_ENTRY tl_status tl_prepare_relu6(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary(ctx, node, TL_ACT_RELU6, 0.0f, 0);
}
TL_OP_ENTRY tl_status tl_prepare_sigmoid(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary(ctx, node, TL_ACT_NONE, 1.0f / 256.0f, -128);
}
TL_OP_ENTRY tl_status tl_prepare_tanh(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_unary(ctx, node, TL_ACT_NONE, 1.0f / 128.0f, 0);
}

typedef void (*tl_unary_f32_fn)(float *y, const float *x, int64_t n);
typedef void (*tl_unary_f32_opt_fn)(float *y, const float *x, int64_t n, tl_isa isa);

/* the optimized kernel when prepare chose one */
static void tl_eval_unary(tl_op_ctx *ctx, tl_node *node, tl_unary_f32_fn kernel, tl_unary_f32_opt_fn opt) {
  const tl_unary_state *s = (const tl_unary_state *)node->state;
  float *y = (float *)tl_op_output_data(ctx, node, 0);
  const float *x = (const float *)tl_op_input_data(ctx, node, 0);
  if (TL_ACT_OPT && s->isa != TL_ISA_REFERENCE)
    opt(y, x, s->n, (tl_isa)s->isa);
  else
    kernel(y, x, s->n);
}

TL_OP_ENTRY void tl_eval_relu(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_clamp_int8(ctx, node);
  else tl_eval_unary(ctx, node, tl_relu_f32, tl_relu_f32_opt);
}
TL_OP_ENTRY void tl_eval_relu6(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_clamp_int8(ctx, node);
  else tl_eval_unary(ctx, node, tl_relu6_f32, tl_relu6_f32_opt);
}
TL_OP_ENTRY void tl_eval_sigmoid(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_sigmoid_int8(ctx, node);
  else tl_eval_unary(ctx, node, tl_sigmoid_f32, tl_sigmoid_f32_opt);
}
TL_OP_ENTRY void tl_eval_tanh(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_tanh_int8(ctx, node);
  else tl_eval_unary(ctx, node, tl_tanh_f32, tl_tanh_f32_opt);
}

/* Work: elements. Measured ns per element (tl_bench, see interpreter.h), float32 / int8: Relu, Relu6 0.95 / 4.4
 * (weights 24 / 96); Sigmoid 2.7 / 119, Tanh 3.5 / 121 (weights 64 / 4096). */
TL_OP_ENTRY uint64_t tl_work_clamp(const tl_model *m, const tl_op_desc *op) { return tl_op_work_outputs(m, op, 24, 96); }
TL_OP_ENTRY uint64_t tl_work_logistic(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 64, 4096);
}

const tl_op_descriptor tl_op_relu = {"Relu", NULL, TL_OP_FN(RELU, tl_prepare_relu), TL_OP_FN(RELU, tl_eval_relu),
                                     TL_OP_FN(RELU, tl_work_clamp), TL_OPT_NONE, 0, 0, 0};
const tl_op_descriptor tl_op_relu6 = {"Relu6", NULL, TL_OP_FN(RELU6, tl_prepare_relu6), TL_OP_FN(RELU6, tl_eval_relu6),
                                      TL_OP_FN(RELU6, tl_work_clamp), TL_OPT_NONE, 0, 0, 0};
const tl_op_descriptor tl_op_sigmoid = {"Sigmoid", NULL, TL_OP_FN(SIGMOID, tl_prepare_sigmoid),
                                        TL_OP_FN(SIGMOID, tl_eval_sigmoid), TL_OP_FN(SIGMOID, tl_work_logistic),
                                        TL_OPT_NONE, 0, 0, 0};
const tl_op_descriptor tl_op_tanh = {"Tanh", NULL, TL_OP_FN(TANH, tl_prepare_tanh), TL_OP_FN(TANH, tl_eval_tanh),
                                     TL_OP_FN(TANH, tl_work_logistic), TL_OPT_NONE, 0, 0, 0};
