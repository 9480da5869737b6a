/* ops.h: the op registration table and the context op glue works in.
 *
 * What this is: one row per op code {name, expected options, prepare, eval}. prepare(ctx, node) checks input
 * and output counts, dtypes, shapes and option values against the op's contract (schema/tensorlet.fbs) and
 * fills node->params; eval(ctx, node) only calls the kernel. What this is not: the arithmetic (kernels/).
 */
#ifndef TL_OPS_H
#define TL_OPS_H

#include "interpreter.h"

typedef struct tl_op_ctx {
  tl_interpreter *interp;
  const tl_model *model;
  int32_t op_index;
  const char *op_name;
} tl_op_ctx;

typedef tl_status (*tl_op_prepare_fn)(tl_op_ctx *ctx, tl_node *node);
typedef void (*tl_op_eval_fn)(tl_op_ctx *ctx, tl_node *node);

typedef struct tl_op_registration {
  const char *name;
  int32_t options_type;     /* expected OpOptions tag (TL_OPT_NONE: no options allowed) */
  int32_t options_required; /* 1: the options table must be present */
  tl_op_prepare_fn prepare;
  tl_op_eval_fn eval;
} tl_op_registration;

/* NULL for an unknown op code. */
const tl_op_registration *tl_op_lookup(int32_t opcode);

/* Error for the current op: prefixes "op N (Name): ". */
void tl_op_error(tl_op_ctx *ctx, const char *fmt, ...) TL_PRINTF_LIKE(2, 3);
#ifdef TL_TERSE_ERRORS /* tl_internal.h: messages compiled out; the error names the op only */
void tl_op_error_terse(tl_op_ctx *ctx);
#define tl_op_error(ctx, ...) (tl_op_error_terse(ctx), (void)sizeof(tl_terse_args(__VA_ARGS__)))
#endif
#define TL_OP_ENSURE(ctx, cond, status, ...) \
  do {                                       \
    if (!(cond)) {                           \
      tl_op_error((ctx), __VA_ARGS__);       \
      return (status);                       \
    }                                        \
  } while (0)

/* ---- helpers shared by the op files (ops/common.c) ---- */
const tl_tensor_desc *tl_op_input(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
const tl_tensor_desc *tl_op_output(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
void *tl_op_data(const tl_op_ctx *ctx, int32_t tensor);
void *tl_op_input_data(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
void *tl_op_output_data(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
/* Input count within [min_in, max_in], output count exactly n_out (TL_ERROR_BAD_INPUT_COUNT). */
tl_status tl_op_check_counts(tl_op_ctx *ctx, const tl_node *node, int32_t min_in, int32_t max_in, int32_t n_out);
/* Every input and output is float32; or input 0 is int8 and the op follows the int8 dtype rules
 * (tl_op_check_int8_dtypes in ops_int8.h; the op's prepare then ends with its int8 prepare). */
tl_status tl_op_check_float(tl_op_ctx *ctx, const tl_node *node);
/* Shapes equal, else TL_ERROR_BAD_SHAPE naming both. */
tl_status tl_op_check_same_shape(tl_op_ctx *ctx, const tl_tensor_desc *a, const char *a_what,
                                 const tl_tensor_desc *b, const char *b_what);
/* "[1, 28, 28, 1]" into buf. */
const char *tl_shape_str(const int32_t *dims, int32_t rank, char *buf, size_t size);
tl_act_f32 tl_op_activation(int32_t act);
/* Normalizes axis in [-rank, rank) to [0, rank); TL_ERROR_BAD_OPTIONS otherwise. */
tl_status tl_op_axis(tl_op_ctx *ctx, int32_t axis, int32_t rank, const char *what, int32_t *out);

/* Output size of a sliding window along one spatial dim (schema Padding rules):
 *   eff_k = (k - 1) * dilation + 1
 *   SAME:  out = ceil(in / stride), pad_total = max((out - 1) * stride + eff_k - in, 0), pad_before = pad_total / 2
 *   VALID: out = ceil((in - eff_k + 1) / stride), no padding; out <= 0 (window larger than the input) returns
 *          too_large: TL_ERROR_BAD_SHAPE for conv kernels (weights' shape), TL_ERROR_BAD_OPTIONS for pool windows.
 * Bounds (TL_ERROR_BAD_OPTIONS, naming the field: "dilation_w 1850000000 with kernel 2 and input 5 spans beyond
 * int32"): in + eff_k + dilation <= INT32_MAX and pad_before + stride <= INT32_MAX. With (out - 1) * stride <
 * in + pad_before (true by construction) they make every window start, tap position, tap-range numerator and
 * first-inside division of the kernels fit in int32: the invariant kernels/geometry.h documents. */
tl_status tl_op_window(tl_op_ctx *ctx, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t padding,
                       const char *what, tl_status too_large, int32_t *out, int32_t *pad_before,
                       int32_t *pad_total);

/* ---- threads (threadpool.h) ----
 * An op splits its work over the interpreter's pool only when it has at least TL_THREAD_MIN_MACS
 * multiply-adds per thread: below that, waking a worker costs about as much as it saves. */
#define TL_THREAD_MIN_MACS 32768
static inline int32_t tl_op_threads(const tl_op_ctx *ctx, int64_t macs) {
  const int32_t threads = tl_threadpool_threads(ctx->interp->pool);
  if (threads <= 1) return 1;
  return macs / threads >= TL_THREAD_MIN_MACS ? threads : (macs >= 2 * TL_THREAD_MIN_MACS ? 2 : 1);
}

/* ---- per-op entry points (one file per family) ---- */
tl_status tl_prepare_binary(tl_op_ctx *ctx, tl_node *node);
void tl_eval_add(tl_op_ctx *ctx, tl_node *node);
void tl_eval_sub(tl_op_ctx *ctx, tl_node *node);
void tl_eval_mul(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_fc(tl_op_ctx *ctx, tl_node *node);
void tl_eval_fc(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_conv2d(tl_op_ctx *ctx, tl_node *node);
void tl_eval_conv2d(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node);
void tl_eval_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_pool2d(tl_op_ctx *ctx, tl_node *node);
void tl_eval_max_pool2d(tl_op_ctx *ctx, tl_node *node);
void tl_eval_average_pool2d(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_mean(tl_op_ctx *ctx, tl_node *node);
void tl_eval_mean(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_unary(tl_op_ctx *ctx, tl_node *node);
void tl_eval_relu(tl_op_ctx *ctx, tl_node *node);
void tl_eval_relu6(tl_op_ctx *ctx, tl_node *node);
void tl_eval_sigmoid(tl_op_ctx *ctx, tl_node *node);
void tl_eval_tanh(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_softmax(tl_op_ctx *ctx, tl_node *node);
void tl_eval_softmax(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_reshape(tl_op_ctx *ctx, tl_node *node);
void tl_eval_reshape(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_concat(tl_op_ctx *ctx, tl_node *node);
void tl_eval_concat(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_pad(tl_op_ctx *ctx, tl_node *node);
void tl_eval_pad(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_transpose(tl_op_ctx *ctx, tl_node *node);
void tl_eval_transpose(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_quantize(tl_op_ctx *ctx, tl_node *node);
void tl_eval_quantize(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_dequantize(tl_op_ctx *ctx, tl_node *node);
void tl_eval_dequantize(tl_op_ctx *ctx, tl_node *node);

#endif /* TL_OPS_H */
