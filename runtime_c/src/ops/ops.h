/* ops.h: the op descriptor, the context an op's prepare and eval work in, and the helpers shared by the op
 * files.
 *
 * What this is: the contract between the interpreter and one op. Each op's file (ops/<op>.c, with its int8
 * half in ops/<op>_int8.c) exports one `const tl_op_descriptor`; ops/op_table.c lists them in schema OpCode
 * order, one line each. The descriptor holds everything about the op: its name, the options table it takes
 * and that table's decoder/checker (run at load, verify.c), prepare, eval and its work cost. What this is not:
 * the arithmetic (kernels/) or the memory plan (planner.h).
 *
 * Prepare runs twice (interpreter.c): a size pass (ctx->sizing = 1) in which the op checks everything and
 * requests its memory, and nothing may be written, then a place pass that runs the same code again, gets the
 * memory it requested and fills it (params, packed weights, per-channel multipliers, float16 weights expanded,
 * lookup tables). Both passes must make the same requests in the same order. Eval only calls the kernels.
 */
#ifndef TL_OPS_H
#define TL_OPS_H

#include "cpu_features.h"
#include "interpreter.h"
#include "kernels/kernels.h"
#include "kernels/kernels_int8.h"

/* ---- selective builds ----
 * Compiled with -DTL_OPS_HEADER='"ops.h"' (written by `tensorlet ops MODEL --header`: `#define TL_WITH_OP_<NAME>
 * 1` for each op the model uses), TL_OP_FN(NAME, fn) is fn for a listed op and NULL for the others, and the
 * op table leaves the others out (ops/op_table.c, TL_OP_REF): the verifier refuses a model that uses one, and
 * nothing of it is referenced, so the linker drops its descriptor with its kernels. Without a header every op
 * is built. */
#ifdef TL_OPS_HEADER
#include TL_OPS_HEADER
#define TL_OP_BUILT(NAME) TL_OP_IS_ONE_(TL_WITH_OP_##NAME)
#else
#define TL_OP_BUILT(NAME) 1
#endif
#define TL_OP_PLACEHOLDER_1 0,
#define TL_OP_SECOND_(a, b, ...) b
#define TL_OP_IS_ONE_(x) TL_OP_IS_ONE__(x)
#define TL_OP_IS_ONE__(x) TL_OP_IS_ONE___(TL_OP_PLACEHOLDER_##x)
#define TL_OP_IS_ONE___(arg) TL_OP_SECOND_(arg 1, 0, 0)
#define TL_OP_PICK_0(fn) NULL
#define TL_OP_PICK_1(fn) fn
#define TL_OP_PICK_(on, fn) TL_OP_PICK__(on, fn)
#define TL_OP_PICK__(on, fn) TL_OP_PICK_##on(fn)
#define TL_OP_FN(NAME, fn) TL_OP_PICK_(TL_OP_BUILT(NAME), fn)

/* The entry points a descriptor names are static: TL_OP_ENTRY keeps the compiler quiet when a selective build
 * leaves them unreferenced (and drops them). */
#if defined(__GNUC__)
#define TL_OP_ENTRY static __attribute__((unused))
#else
#define TL_OP_ENTRY static
#endif

typedef struct tl_op_ctx {
  tl_interpreter *interp;
  const tl_model *model;
  const struct tl_op_descriptor *desc;
  int32_t op_index;
  const char *op_name;
  int32_t sizing;          /* prepare's size pass: memory requests are counted, nothing may be written */
  tl_node *node;
} tl_op_ctx;

typedef tl_status (*tl_op_prepare_fn)(tl_op_ctx *ctx, tl_node *node);
typedef void (*tl_op_eval_fn)(tl_op_ctx *ctx, tl_node *node);
/* Work units of op `op` whose prepare succeeded (interpreter.h: the work budget); saturates at UINT64_MAX. */
typedef uint64_t (*tl_op_work_fn)(const tl_model *model, const tl_op_desc *op);
/* Writes the op's own options struct `options` (options_bytes of it, 16-byte aligned, in the model's tables;
 * verify.c): its defaults, then, when the file has the table (r->table != 0), the table's fields, range-checked
 * (TL_ERROR_BAD_OPTIONS through the tl_options_* helpers). Prepare, eval and work read it back as
 * node->op->options (tl_op_desc.options). The struct is the op's: defined in its file (or a small header when
 * two op files share it, ops/conv_options.h), so an op with options edits no shared file for them. */
typedef tl_status (*tl_op_options_fn)(tl_options_reader *r, void *options);

/* flags */
#define TL_OP_FLAG_WEIGHTS 1u /* inputs 1 (weights) and 2 (bias): an int8 op takes an int32 bias as input 2, a
                                 float op constant float16 weights and bias (expanded at prepare) */
#define TL_OP_FLAG_VIEW 2u    /* output 0 holds input 0's bytes unchanged (Reshape): the planner may give both one
                                 place in the arena (planner.h step 2b), and eval then finds them at one address */

typedef struct tl_op_descriptor {
  const char *name;                /* "Conv2D" */
  tl_op_options_fn decode_options; /* NULL: no options table (options_bytes 0) */
  tl_op_prepare_fn prepare;        /* never NULL in the table (a left-out op has no entry) */
  tl_op_eval_fn eval;
  tl_op_work_fn work;
  uint8_t options_type;            /* expected OpOptions tag (TL_OPT_NONE: no options allowed) */
  uint8_t options_required;        /* 1: the options table must be present */
  uint8_t flags;                   /* TL_OP_FLAG_* */
  uint16_t options_bytes;          /* sizeof the op's options struct that decode_options writes; 0: none */
} tl_op_descriptor;

/* The op's descriptor (ops/op_table.c), NULL for an unknown op code. */
const tl_op_descriptor *tl_op_lookup(int32_t opcode);

/* ---- memory (the two passes) ----
 * tl_op_persistent: `bytes` of per-node memory (16-byte aligned, lives as long as the prepared interpreter).
 * Size pass: counts the request and returns NULL. Place pass: the block; the op points node->state at its
 * op-private struct (one of its blocks), which eval reads. Returns NULL in the place pass only if the op asks for more than in the
 * size pass (a bug; tl_op_unplaced then fails the prepare).
 * tl_op_request_scratch: `bytes` of temporary memory valid during this op's eval only (im2col blocks): the
 * planner places it in the arena with the lifetime of this op, so ops that do not run at the same time share
 * it. *index is what eval passes to tl_op_scratch. At most TL_OP_MAX_SCRATCH per op.
 * tl_op_request_scratch_range: at least min_bytes, and up to max_bytes where the activations leave room at this
 * op (planner.h step 7: the arena is planned with min_bytes and never grows for the rest); eval reads what it
 * got with tl_op_scratch_bytes (>= min_bytes, <= max_bytes, 16-byte multiples but for min_bytes itself) and
 * sizes its blocks by it (im2col rows). */
void *tl_op_persistent(tl_op_ctx *ctx, size_t bytes);
tl_status tl_op_request_scratch(tl_op_ctx *ctx, size_t bytes, int32_t *index);
tl_status tl_op_request_scratch_range(tl_op_ctx *ctx, size_t min_bytes, size_t max_bytes, int32_t *index);
static inline void *tl_op_scratch(const tl_node *node, int32_t index) { return node->scratch[index]; }
static inline size_t tl_op_scratch_bytes(const tl_node *node, int32_t index) { return node->scratch_bytes[index]; }
/* After the requests: TL_OK in the size pass (prepare returns there), else an internal error. */
tl_status tl_op_unplaced(tl_op_ctx *ctx);

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

/* ---- options helpers (verify.c): "op N (Name): ..." errors, TL_ERROR_BAD_OPTIONS ---- */
/* Int vector `field` into the model's pool: *count and *ints set when the table has it, untouched otherwise. */
tl_status tl_options_ints(tl_options_reader *r, int32_t field, const char *what, int32_t *count,
                          const int32_t **ints);
tl_status tl_options_check_activation(tl_options_reader *r, int32_t act);
tl_status tl_options_check_positive(tl_options_reader *r, const char *what, int32_t v);
/* padding known, strides positive (Conv2D, DepthwiseConv2D, pools) */
tl_status tl_options_check_window(tl_options_reader *r, int32_t padding, int32_t stride_h, int32_t stride_w);

/* ---- work (interpreter.h): TL_WORK_PER_OP + count x weight / 16, rounded up; saturates ---- */
uint64_t tl_op_work_units(uint64_t count, uint32_t weight);
uint64_t tl_work_mul(uint64_t a, uint64_t b);
/* count = output elements; the weight of float32 or int8 input 0 */
uint64_t tl_op_work_outputs(const tl_model *m, const tl_op_desc *op, uint32_t w_f32, uint32_t w_i8);
/* count = input 0's elements */
uint64_t tl_op_work_inputs(const tl_model *m, const tl_op_desc *op, uint32_t w_f32, uint32_t w_i8);
/* count = outputs x (per + 1), per = multiply-adds per output (FullyConnected, convolutions) */
uint64_t tl_op_work_macs(const tl_model *m, const tl_op_desc *op, uint64_t per, uint32_t w_f32, uint32_t w_i8);

/* ---- helpers shared by the op files (ops/common.c) ---- */
const tl_tensor_desc *tl_op_input(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
const tl_tensor_desc *tl_op_output(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
void *tl_op_data(const tl_op_ctx *ctx, int32_t tensor);
void *tl_op_input_data(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
void *tl_op_output_data(const tl_op_ctx *ctx, const tl_node *node, int32_t i);
/* Input count within [min_in, max_in], output count exactly n_out (TL_ERROR_BAD_INPUT_COUNT). */
tl_status tl_op_check_counts(tl_op_ctx *ctx, const tl_node *node, int32_t min_in, int32_t max_in, int32_t n_out);
/* Every input and output is float32 (constant float16 weights of TL_OP_FLAG_WEIGHTS ops too); or input 0 is
 * int8 and the op follows the int8 dtype rules (tl_op_check_int8_dtypes in ops_int8.h; the op's prepare then
 * ends with its int8 prepare). */
tl_status tl_op_check_float(tl_op_ctx *ctx, const tl_node *node);
/* Shapes equal, else TL_ERROR_BAD_SHAPE naming both. */
tl_status tl_op_check_same_shape(tl_op_ctx *ctx, const tl_tensor_desc *a, const char *a_what,
                                 const tl_tensor_desc *b, const char *b_what);
/* Same dtype, of a known size, and when quantized one shared per-tensor scale and zero point (ops that move
 * bytes and do not requantize). */
tl_status tl_op_check_same_dtype(tl_op_ctx *ctx, const tl_tensor_desc *a, const char *a_what,
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

/* ---- float16 weights (ops/float16.c) ----
 * Constant FLOAT16 weights and bias of TL_OP_FLAG_WEIGHTS ops are expanded to float32 at prepare into the
 * op's per-node memory, and the interpreter's data pointer of the tensor is redirected there, so the float32
 * kernels run unchanged. */
int tl_op_float16_input_ok(const tl_op_ctx *ctx, const tl_node *node, int32_t k);
/* Requests (size pass) or fills (place pass) the float32 copies; call before reading the weights. */
tl_status tl_op_expand_float16(tl_op_ctx *ctx, tl_node *node);

/* ---- threads (threadpool.h) ----
 * An op splits its work over the interpreter's pool only when it has at least TL_THREAD_MIN_MACS
 * multiply-adds per thread: below that, waking a worker costs about as much as it saves. */
#define TL_THREAD_MIN_MACS 32768
static inline int32_t tl_op_threads(const tl_op_ctx *ctx, int64_t macs) {
  const int32_t threads = tl_threadpool_threads(ctx->interp->pool);
  if (threads <= 1) return 1;
  return macs / threads >= TL_THREAD_MIN_MACS ? threads : (macs >= 2 * TL_THREAD_MIN_MACS ? 2 : 1);
}

/* The level an interpreter created with tl_options.kernels == `kernels` (TL_KERNELS_*) runs the optimized
 * kernels at on this CPU (kernels/opt/). Freestanding builds (microcontrollers) default to the reference
 * kernels: packing would copy the weights from flash into RAM. */
int32_t tl_op_opt_level(int32_t kernels);
/* The interpreter's level when an op may take the optimized kernels (packed weights), else 0. */
static inline int32_t tl_op_opt_isa(const tl_op_ctx *ctx) {
  const int32_t isa = ctx->interp->isa;
  return isa == TL_ISA_AUTO ? TL_ISA_REFERENCE : isa;
}
/* Input k is a constant (weights or bias) or absent (k >= input count). */
static inline int tl_op_constant_or_absent(const tl_op_ctx *ctx, const tl_node *node, int32_t k) {
  return k >= node->op->input_count || ctx->model->is_constant[node->op->inputs[k]];
}

/* ---- the broadcast of two inputs (ops/binary.c; Add, Sub, Mul, Maximum) ----
 * Two inputs and one output, float32 (or int8 by the dtype rules), ranks <= 4, each dim pair equal or one of
 * them 1, the output shape their broadcast: p gets the output dims right-aligned to rank 4 and each input's
 * element strides (0 on a broadcast dim); p->act is no activation. */
tl_status tl_op_broadcast(tl_op_ctx *ctx, tl_node *node, tl_binary_params *p);

/* ---- the geometry Conv2D and DepthwiseConv2D share (ops/conv2d.c; their options: ops/conv_options.h) ---- */
tl_status tl_op_conv_geometry(tl_op_ctx *ctx, tl_node *node, int depthwise, tl_conv_params *p);
/* 1 when the op runs int8: it has an input 0 and that input is int8. */
int tl_op_is_int8(const tl_op_ctx *ctx, const tl_node *node);

#endif /* TL_OPS_H */
