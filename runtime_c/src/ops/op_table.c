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

/* ---- work (the budget of tl_options.max_work; interpreter.h) ---- */

/* A selective build with no op at all (the core of the size report) prepares no op, so it counts no op work:
 * that keeps the weights and the counting below out of the smallest firmware. */
#if TL_SELECTIVE && !(defined(TL_WITH_OP_ADD) || defined(TL_WITH_OP_SUB) || defined(TL_WITH_OP_MUL) ||  \
    defined(TL_WITH_OP_FULLY_CONNECTED) || defined(TL_WITH_OP_CONV2D) ||  \
    defined(TL_WITH_OP_DEPTHWISE_CONV2D) || defined(TL_WITH_OP_MAX_POOL2D) ||  \
    defined(TL_WITH_OP_AVERAGE_POOL2D) || defined(TL_WITH_OP_MEAN) || defined(TL_WITH_OP_RELU) ||  \
    defined(TL_WITH_OP_RELU6) || defined(TL_WITH_OP_SIGMOID) || defined(TL_WITH_OP_TANH) ||  \
    defined(TL_WITH_OP_SOFTMAX) || defined(TL_WITH_OP_RESHAPE) || defined(TL_WITH_OP_CONCATENATION) ||  \
    defined(TL_WITH_OP_PAD) || defined(TL_WITH_OP_TRANSPOSE) || defined(TL_WITH_OP_QUANTIZE) ||  \
    defined(TL_WITH_OP_DEQUANTIZE))
#define TL_NO_OPS 1
#else
#define TL_NO_OPS 0
#endif

#if TL_NO_OPS
uint64_t tl_op_work(const tl_model *m, int32_t op) {
  (void)m;
  (void)op;
  return TL_WORK_PER_OP;
}
#else

static uint64_t tl_work_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

static uint64_t tl_work_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* Weights in work units (about a nanosecond each) per 16 counted items (multiply-adds, window elements,
 * elements), for float32 then int8 input. Each is at least the slowest measured time per item of the op kind
 * with ~1.3x or more to spare. Measured: CPU time of tl_bench (Release build, default kernels: AVX2, one
 * thread) with 5 invokes minus 1 invoke, so load and input filling cancel out, on the 2-core AMD EPYC, Dec
 * 2026 (the machine was shared; wall times were up to 3x these). ns per item, float32 / int8:
 *   MaxPool2D 2.3 / 0.57 (1x512x512x1 input, 48x48 window, and 1x128x128x4, 64x64; float32 with a 35x35
 *     window, 9.8e8 units: 0.68 s);
 *   AveragePool2D 0.78 / 0.89 (same shapes; int8 with a 60x60 window: 0.65 s for 7.4e8 items);
 *   Conv2D 0.38 / 0.57 per multiply-add (1 channel, 15x15 kernel; 1x1 kernel 64->64: 0.03 / 0.09);
 *   DepthwiseConv2D 0.97 / 1.5 (31x31 and 15x15 kernels; 3x3 on 112x112x32: 0.10 / 0.29);
 *   FullyConnected 1.5 / 2.4 (in 3 out 3, batch 4096; 1 input: 0.46 / 3.1; 2048x1024: 0.10 / 0.05);
 *   Add / Mul 0.6-3.8 / 8.8-38; Relu, Relu6 0.95 / 4.4; Sigmoid 2.7 / 119; Tanh 3.5 / 121;
 *   Softmax 12.8 / 34 (rows of 2; rows of 1024: 7.7 / 6.4); Mean 2.6 / 2.4; Reshape 0.44;
 *   Concatenation 4.4 / 13.6; Pad 4.1 / 10.4; Transpose 19.4 / 14.8 (rank 4 and 6); Quantize 5.9;
 *   Dequantize 0.36.
 * Per op (TL_WORK_PER_OP, interpreter.h): a 65,535-op chain of Relu loads and prepares in 127 ms (2 us per op)
 * and invokes in 1.7 ms. */
static const uint16_t tl_work_weight[TL_OP_COUNT][2] = {
    {80, 768},    /* Add: output elements */
    {80, 768},    /* Sub */
    {80, 768},    /* Mul */
    {32, 48},     /* FullyConnected: multiply-adds + outputs */
    {8, 16},      /* Conv2D: multiply-adds + outputs */
    {24, 48},     /* DepthwiseConv2D: multiply-adds + outputs */
    {56, 16},     /* MaxPool2D: output elements x window */
    {24, 24},     /* AveragePool2D */
    {64, 48},     /* Mean: input elements */
    {24, 96},     /* Relu: elements */
    {24, 96},     /* Relu6 */
    {64, 4096},   /* Sigmoid */
    {64, 4096},   /* Tanh */
    {256, 768},   /* Softmax: input elements */
    {16, 16},     /* Reshape: output elements */
    {96, 256},    /* Concatenation */
    {96, 256},    /* Pad */
    {384, 384},   /* Transpose */
    {96, 96},     /* Quantize (float32 input) */
    {16, 16},     /* Dequantize (int8 input) */
};

uint64_t tl_op_work(const tl_model *m, int32_t op) {
  const tl_op_desc *d = &m->ops[op];
  const tl_tensor_desc *x = d->input_count > 0 ? &m->tensors[d->inputs[0]] : NULL;
  const tl_tensor_desc *w = d->input_count > 1 ? &m->tensors[d->inputs[1]] : NULL;
  const tl_tensor_desc *y = d->output_count > 0 ? &m->tensors[d->outputs[0]] : NULL;
  uint64_t out = y ? (uint64_t)y->elems : 0, count = out, per = 0;
  int int8 = x != NULL && x->dtype == TL_INT8;
  if (d->opcode < 0 || d->opcode >= TL_OP_COUNT) return TL_WORK_PER_OP;
  switch (d->opcode) {
    case TL_OP_FULLY_CONNECTED: /* w[out, in] */
    case TL_OP_CONV2D:          /* w[oc, kh, kw, c] */
      if (w != NULL && w->rank >= 1 && w->dims[0] > 0) per = (uint64_t)w->elems / (uint64_t)w->dims[0];
      count = tl_work_mul(out, per + 1u);
      break;
    case TL_OP_DEPTHWISE_CONV2D: /* w[1, kh, kw, oc] */
      if (w != NULL && w->rank == 4 && w->dims[3] > 0) per = (uint64_t)w->elems / (uint64_t)w->dims[3];
      count = tl_work_mul(out, per + 1u);
      break;
    case TL_OP_MAX_POOL2D:
    case TL_OP_AVERAGE_POOL2D: /* prepare proved the window positive */
      count = tl_work_mul(out, tl_work_mul((uint64_t)(uint32_t)d->opts.filter_h, (uint64_t)(uint32_t)d->opts.filter_w));
      break;
    case TL_OP_MEAN:
    case TL_OP_SOFTMAX:
      count = x ? (uint64_t)x->elems : 0;
      break;
    default:
      break;
  }
  /* units = count x weight / 16, rounded up, plus the fixed cost of an op; saturates */
  count = tl_work_mul(count, tl_work_weight[d->opcode][int8]);
  if (count == UINT64_MAX) return UINT64_MAX;
  return tl_work_add(TL_WORK_PER_OP, count / 16u + (count % 16u != 0));
}
#endif /* TL_NO_OPS */
