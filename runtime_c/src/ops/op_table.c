/* op_table.c: THE op table: one descriptor per op code, in schema OpCode order (schema/tensorlet.fbs).
 *
 * Adding an op (docs/adding_an_op.md): its code in the schema (and the generators' output), its descriptor in
 * its own file ops/<op>.c, and here its name in the declaration and one line in the table. Selective builds
 * (ops.h: TL_OP_BUILT) need nothing here: an op left out has no table entry (the verifier refuses a model that
 * uses it, "not in this build"), so a build pays for the ops it runs only.
 */
#include "fb_schema.h"
#include "ops/ops.h"

/* the descriptors, each defined in its op's file; TL_OP_REF(NAME, d) is &d, or NULL for an op a selective
 * build leaves out (ops.h: TL_OP_BUILT), so the linker drops its descriptor, name and options decoder too */
#define TL_OP_REF(NAME, d) TL_OP_PICK_(TL_OP_BUILT(NAME), &d)

extern const tl_op_descriptor tl_op_add, tl_op_sub, tl_op_mul, tl_op_fully_connected, tl_op_conv2d,
    tl_op_depthwise_conv2d, tl_op_max_pool2d, tl_op_average_pool2d, tl_op_mean, tl_op_relu, tl_op_relu6,
    tl_op_sigmoid, tl_op_tanh, tl_op_softmax, tl_op_reshape, tl_op_concatenation, tl_op_pad, tl_op_transpose,
    tl_op_quantize, tl_op_dequantize, tl_op_maximum,
    tl_op_minimum, tl_op_abs, tl_op_neg, tl_op_square, tl_op_sqrt, tl_op_rsqrt, tl_op_exp, tl_op_log,
    tl_op_squared_difference, tl_op_div, tl_op_elu, tl_op_leaky_relu,
    tl_op_batch_mat_mul, tl_op_hard_swish, tl_op_gelu, tl_op_split, tl_op_transpose_conv, tl_op_prelu,
    tl_op_strided_slice, tl_op_l2normalization, tl_op_pack, tl_op_unpack,
    tl_op_resize_bilinear, tl_op_resize_nearest_neighbor, tl_op_gather,
    tl_op_sum, tl_op_reduce_max, tl_op_arg_max, tl_op_arg_min;

static const tl_op_descriptor *const tl_ops[TL_OP_COUNT] = {
    TL_OP_REF(ADD, tl_op_add),
    TL_OP_REF(SUB, tl_op_sub),
    TL_OP_REF(MUL, tl_op_mul),
    TL_OP_REF(FULLY_CONNECTED, tl_op_fully_connected),
    TL_OP_REF(CONV2D, tl_op_conv2d),
    TL_OP_REF(DEPTHWISE_CONV2D, tl_op_depthwise_conv2d),
    TL_OP_REF(MAX_POOL2D, tl_op_max_pool2d),
    TL_OP_REF(AVERAGE_POOL2D, tl_op_average_pool2d),
    TL_OP_REF(MEAN, tl_op_mean),
    TL_OP_REF(RELU, tl_op_relu),
    TL_OP_REF(RELU6, tl_op_relu6),
    TL_OP_REF(SIGMOID, tl_op_sigmoid),
    TL_OP_REF(TANH, tl_op_tanh),
    TL_OP_REF(SOFTMAX, tl_op_softmax),
    TL_OP_REF(RESHAPE, tl_op_reshape),
    TL_OP_REF(CONCATENATION, tl_op_concatenation),
    TL_OP_REF(PAD, tl_op_pad),
    TL_OP_REF(TRANSPOSE, tl_op_transpose),
    TL_OP_REF(QUANTIZE, tl_op_quantize),
    TL_OP_REF(DEQUANTIZE, tl_op_dequantize),
    TL_OP_REF(MAXIMUM, tl_op_maximum),
    TL_OP_REF(MINIMUM, tl_op_minimum),
    TL_OP_REF(ABS, tl_op_abs),
    TL_OP_REF(NEG, tl_op_neg),
    TL_OP_REF(SQUARE, tl_op_square),
    TL_OP_REF(SQRT, tl_op_sqrt),
    TL_OP_REF(RSQRT, tl_op_rsqrt),
    TL_OP_REF(EXP, tl_op_exp),
    TL_OP_REF(LOG, tl_op_log),
    TL_OP_REF(SQUARED_DIFFERENCE, tl_op_squared_difference),
    TL_OP_REF(DIV, tl_op_div),
    TL_OP_REF(ELU, tl_op_elu),
    TL_OP_REF(LEAKY_RELU, tl_op_leaky_relu),
    TL_OP_REF(BATCH_MAT_MUL, tl_op_batch_mat_mul),
    TL_OP_REF(HARD_SWISH, tl_op_hard_swish),
    TL_OP_REF(GELU, tl_op_gelu),
    TL_OP_REF(SPLIT, tl_op_split),
    TL_OP_REF(TRANSPOSE_CONV, tl_op_transpose_conv),
    TL_OP_REF(PRELU, tl_op_prelu),
    TL_OP_REF(STRIDED_SLICE, tl_op_strided_slice),
    TL_OP_REF(L2NORMALIZATION, tl_op_l2normalization),
    TL_OP_REF(PACK, tl_op_pack),
    TL_OP_REF(UNPACK, tl_op_unpack),
    TL_OP_REF(RESIZE_BILINEAR, tl_op_resize_bilinear),
    TL_OP_REF(RESIZE_NEAREST_NEIGHBOR, tl_op_resize_nearest_neighbor),
    TL_OP_REF(GATHER, tl_op_gather),
    TL_OP_REF(SUM, tl_op_sum),
    TL_OP_REF(REDUCE_MAX, tl_op_reduce_max),
    TL_OP_REF(ARG_MAX, tl_op_arg_max),
    TL_OP_REF(ARG_MIN, tl_op_arg_min),
};

const tl_op_descriptor *tl_op_lookup(int32_t opcode) {
  if (opcode < 0 || opcode >= TL_OP_COUNT) return NULL;
  return tl_ops[opcode];
}

const char *tl_op_name(int32_t opcode) {
  const tl_op_descriptor *d = tl_op_lookup(opcode);
  return d ? d->name : "unknown";
}
