/* op_table.c: THE op registration table, indexed by op code (schema OpCode order).
 *
 * Adding an op: append its code to the schema, a row here, and a prepare/eval pair in its family's file.
 *
 * Selective builds: compiled with -DTL_OPS_HEADER='"ops.h"' (the header `tensorlet ops MODEL --header`
 * writes, defining TL_WITH_OP_<NAME> for each op the model uses, NAME as in the TL_OP_<NAME> op codes), only
 * the listed ops keep their prepare/eval functions, so the linker drops every other kernel. A compiled-out op
 * still verifies at load (its options are checked as usual) and fails at prepare with TL_ERROR_UNSUPPORTED_OP
 * naming it as compiled out.
 */
#include "fb_schema.h"
#include "ops/ops.h"

#ifdef TL_OPS_HEADER
#include TL_OPS_HEADER
#define TL_SELECTIVE 1
#else
#define TL_SELECTIVE 0
#endif

#if TL_SELECTIVE
static tl_status tl_prepare_compiled_out(tl_op_ctx *ctx, tl_node *node) {
  (void)node;
  tl_op_error(ctx, "compiled out of this build (selective build without this op)");
  return TL_ERROR_UNSUPPORTED_OP;
}

static void tl_eval_compiled_out(tl_op_ctx *ctx, tl_node *node) {
  (void)ctx;
  (void)node;
}
#endif

/* TL_ROW_<NAME>: the op's row, or its compiled-out row in a selective build that does not list it */
#if !TL_SELECTIVE || defined(TL_WITH_OP_ADD)
#define TL_ROW_ADD {"Add", TL_OPT_ARITHMETIC, 1, tl_prepare_binary, tl_eval_add}
#else
#define TL_ROW_ADD {"Add", TL_OPT_ARITHMETIC, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_SUB)
#define TL_ROW_SUB {"Sub", TL_OPT_ARITHMETIC, 1, tl_prepare_binary, tl_eval_sub}
#else
#define TL_ROW_SUB {"Sub", TL_OPT_ARITHMETIC, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_MUL)
#define TL_ROW_MUL {"Mul", TL_OPT_ARITHMETIC, 1, tl_prepare_binary, tl_eval_mul}
#else
#define TL_ROW_MUL {"Mul", TL_OPT_ARITHMETIC, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_FULLY_CONNECTED)
#define TL_ROW_FULLY_CONNECTED {"FullyConnected", TL_OPT_FULLY_CONNECTED, 1, tl_prepare_fc, tl_eval_fc}
#else
#define TL_ROW_FULLY_CONNECTED {"FullyConnected", TL_OPT_FULLY_CONNECTED, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_CONV2D)
#define TL_ROW_CONV2D {"Conv2D", TL_OPT_CONV2D, 1, tl_prepare_conv2d, tl_eval_conv2d}
#else
#define TL_ROW_CONV2D {"Conv2D", TL_OPT_CONV2D, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_DEPTHWISE_CONV2D)
#define TL_ROW_DEPTHWISE_CONV2D {"DepthwiseConv2D", TL_OPT_DEPTHWISE_CONV2D, 1, tl_prepare_depthwise_conv2d, tl_eval_depthwise_conv2d}
#else
#define TL_ROW_DEPTHWISE_CONV2D {"DepthwiseConv2D", TL_OPT_DEPTHWISE_CONV2D, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_MAX_POOL2D)
#define TL_ROW_MAX_POOL2D {"MaxPool2D", TL_OPT_POOL2D, 1, tl_prepare_pool2d, tl_eval_max_pool2d}
#else
#define TL_ROW_MAX_POOL2D {"MaxPool2D", TL_OPT_POOL2D, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_AVERAGE_POOL2D)
#define TL_ROW_AVERAGE_POOL2D {"AveragePool2D", TL_OPT_POOL2D, 1, tl_prepare_pool2d, tl_eval_average_pool2d}
#else
#define TL_ROW_AVERAGE_POOL2D {"AveragePool2D", TL_OPT_POOL2D, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_MEAN)
#define TL_ROW_MEAN {"Mean", TL_OPT_MEAN, 1, tl_prepare_mean, tl_eval_mean}
#else
#define TL_ROW_MEAN {"Mean", TL_OPT_MEAN, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_RELU)
#define TL_ROW_RELU {"Relu", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_relu}
#else
#define TL_ROW_RELU {"Relu", TL_OPT_NONE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_RELU6)
#define TL_ROW_RELU6 {"Relu6", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_relu6}
#else
#define TL_ROW_RELU6 {"Relu6", TL_OPT_NONE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_SIGMOID)
#define TL_ROW_SIGMOID {"Sigmoid", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_sigmoid}
#else
#define TL_ROW_SIGMOID {"Sigmoid", TL_OPT_NONE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_TANH)
#define TL_ROW_TANH {"Tanh", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_tanh}
#else
#define TL_ROW_TANH {"Tanh", TL_OPT_NONE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_SOFTMAX)
#define TL_ROW_SOFTMAX {"Softmax", TL_OPT_SOFTMAX, 1, tl_prepare_softmax, tl_eval_softmax}
#else
#define TL_ROW_SOFTMAX {"Softmax", TL_OPT_SOFTMAX, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_RESHAPE)
#define TL_ROW_RESHAPE {"Reshape", TL_OPT_RESHAPE, 0, tl_prepare_reshape, tl_eval_reshape}
#else
#define TL_ROW_RESHAPE {"Reshape", TL_OPT_RESHAPE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_CONCATENATION)
#define TL_ROW_CONCATENATION {"Concatenation", TL_OPT_CONCATENATION, 1, tl_prepare_concat, tl_eval_concat}
#else
#define TL_ROW_CONCATENATION {"Concatenation", TL_OPT_CONCATENATION, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_PAD)
#define TL_ROW_PAD {"Pad", TL_OPT_PAD, 1, tl_prepare_pad, tl_eval_pad}
#else
#define TL_ROW_PAD {"Pad", TL_OPT_PAD, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_TRANSPOSE)
#define TL_ROW_TRANSPOSE {"Transpose", TL_OPT_TRANSPOSE, 1, tl_prepare_transpose, tl_eval_transpose}
#else
#define TL_ROW_TRANSPOSE {"Transpose", TL_OPT_TRANSPOSE, 1, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_QUANTIZE)
#define TL_ROW_QUANTIZE {"Quantize", TL_OPT_NONE, 0, tl_prepare_quantize, tl_eval_quantize}
#else
#define TL_ROW_QUANTIZE {"Quantize", TL_OPT_NONE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif
#if !TL_SELECTIVE || defined(TL_WITH_OP_DEQUANTIZE)
#define TL_ROW_DEQUANTIZE {"Dequantize", TL_OPT_NONE, 0, tl_prepare_dequantize, tl_eval_dequantize}
#else
#define TL_ROW_DEQUANTIZE {"Dequantize", TL_OPT_NONE, 0, tl_prepare_compiled_out, tl_eval_compiled_out}
#endif

static const tl_op_registration tl_ops[TL_OP_COUNT] = {
    TL_ROW_ADD,
    TL_ROW_SUB,
    TL_ROW_MUL,
    TL_ROW_FULLY_CONNECTED,
    TL_ROW_CONV2D,
    TL_ROW_DEPTHWISE_CONV2D,
    TL_ROW_MAX_POOL2D,
    TL_ROW_AVERAGE_POOL2D,
    TL_ROW_MEAN,
    TL_ROW_RELU,
    TL_ROW_RELU6,
    TL_ROW_SIGMOID,
    TL_ROW_TANH,
    TL_ROW_SOFTMAX,
    TL_ROW_RESHAPE,
    TL_ROW_CONCATENATION,
    TL_ROW_PAD,
    TL_ROW_TRANSPOSE,
    TL_ROW_QUANTIZE,
    TL_ROW_DEQUANTIZE,
};

const tl_op_registration *tl_op_lookup(int32_t opcode) {
  if (opcode < 0 || opcode >= TL_OP_COUNT) return NULL;
  return &tl_ops[opcode];
}

const char *tl_op_name(int32_t opcode) {
  const tl_op_registration *r = tl_op_lookup(opcode);
  return r ? r->name : "unknown";
}
