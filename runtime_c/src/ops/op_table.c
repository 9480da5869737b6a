/* op_table.c: THE op registration table, indexed by op code (schema OpCode order).
 *
 * Adding an op: append its code to the schema, a row here, and a prepare/eval pair in its family's file.
 */
#include "fb_schema.h"
#include "ops/ops.h"

static const tl_op_registration tl_ops[TL_OP_COUNT] = {
    /* name                options                    required prepare                     eval */
    {"Add", TL_OPT_ARITHMETIC, 1, tl_prepare_binary, tl_eval_add},
    {"Sub", TL_OPT_ARITHMETIC, 1, tl_prepare_binary, tl_eval_sub},
    {"Mul", TL_OPT_ARITHMETIC, 1, tl_prepare_binary, tl_eval_mul},
    {"FullyConnected", TL_OPT_FULLY_CONNECTED, 1, tl_prepare_fc, tl_eval_fc},
    {"Conv2D", TL_OPT_CONV2D, 1, tl_prepare_conv2d, tl_eval_conv2d},
    {"DepthwiseConv2D", TL_OPT_DEPTHWISE_CONV2D, 1, tl_prepare_depthwise_conv2d, tl_eval_depthwise_conv2d},
    {"MaxPool2D", TL_OPT_POOL2D, 1, tl_prepare_pool2d, tl_eval_max_pool2d},
    {"AveragePool2D", TL_OPT_POOL2D, 1, tl_prepare_pool2d, tl_eval_average_pool2d},
    {"Mean", TL_OPT_MEAN, 1, tl_prepare_mean, tl_eval_mean},
    {"Relu", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_relu},
    {"Relu6", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_relu6},
    {"Sigmoid", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_sigmoid},
    {"Tanh", TL_OPT_NONE, 0, tl_prepare_unary, tl_eval_tanh},
    {"Softmax", TL_OPT_SOFTMAX, 1, tl_prepare_softmax, tl_eval_softmax},
    {"Reshape", TL_OPT_RESHAPE, 0, tl_prepare_reshape, tl_eval_reshape},
    {"Concatenation", TL_OPT_CONCATENATION, 1, tl_prepare_concat, tl_eval_concat},
    {"Pad", TL_OPT_PAD, 1, tl_prepare_pad, tl_eval_pad},
    {"Transpose", TL_OPT_TRANSPOSE, 1, tl_prepare_transpose, tl_eval_transpose},
    {"Quantize", TL_OPT_NONE, 0, tl_prepare_quantize, tl_eval_quantize},
    {"Dequantize", TL_OPT_NONE, 0, tl_prepare_dequantize, tl_eval_dequantize},
};

const tl_op_registration *tl_op_lookup(int32_t opcode) {
  if (opcode < 0 || opcode >= TL_OP_COUNT) return NULL;
  return &tl_ops[opcode];
}

const char *tl_op_name(int32_t opcode) {
  const tl_op_registration *r = tl_op_lookup(opcode);
  return r ? r->name : "unknown";
}
