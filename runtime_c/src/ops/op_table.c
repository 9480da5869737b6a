/* op_table.c: THE op table: one descriptor per op code, in schema OpCode order (schema/tensorlet.fbs).
 *
 * Adding an op (docs/adding_an_op.md): its code in the schema (and the generators' output), its descriptor in
 * its own file ops/<op>.c, and here its name in the declaration and one line in the table. Selective builds
 * (ops.h: TL_OP_FN) need nothing here: a compiled-out op's descriptor keeps its name and options decoder, with
 * no prepare.
 */
#include "fb_schema.h"
#include "ops/ops.h"

/* the descriptors, each defined in its op's file */
extern const tl_op_descriptor tl_op_add, tl_op_sub, tl_op_mul, tl_op_fully_connected, tl_op_conv2d,
    tl_op_depthwise_conv2d, tl_op_max_pool2d, tl_op_average_pool2d, tl_op_mean, tl_op_relu, tl_op_relu6,
    tl_op_sigmoid, tl_op_tanh, tl_op_softmax, tl_op_reshape, tl_op_concatenation, tl_op_pad, tl_op_transpose,
    tl_op_quantize, tl_op_dequantize, tl_op_maximum,
    tl_op_minimum, tl_op_abs, tl_op_neg, tl_op_square, tl_op_sqrt, tl_op_rsqrt, tl_op_exp, tl_op_log,
    tl_op_squared_difference, tl_op_div, tl_op_elu, tl_op_leaky_relu;

static const tl_op_descriptor *const tl_ops[TL_OP_COUNT] = {
    &tl_op_add,
    &tl_op_sub,
    &tl_op_mul,
    &tl_op_fully_connected,
    &tl_op_conv2d,
    &tl_op_depthwise_conv2d,
    &tl_op_max_pool2d,
    &tl_op_average_pool2d,
    &tl_op_mean,
    &tl_op_relu,
    &tl_op_relu6,
    &tl_op_sigmoid,
    &tl_op_tanh,
    &tl_op_softmax,
    &tl_op_reshape,
    &tl_op_concatenation,
    &tl_op_pad,
    &tl_op_transpose,
    &tl_op_quantize,
    &tl_op_dequantize,
    &tl_op_maximum,
    &tl_op_minimum,
    &tl_op_abs,
    &tl_op_neg,
    &tl_op_square,
    &tl_op_sqrt,
    &tl_op_rsqrt,
    &tl_op_exp,
    &tl_op_log,
    &tl_op_squared_difference,
    &tl_op_div,
    &tl_op_elu,
    &tl_op_leaky_relu,
};

const tl_op_descriptor *tl_op_lookup(int32_t opcode) {
  if (opcode < 0 || opcode >= TL_OP_COUNT) return NULL;
  return tl_ops[opcode];
}

const char *tl_op_name(int32_t opcode) {
  const tl_op_descriptor *d = tl_op_lookup(opcode);
  return d ? d->name : "unknown";
}
