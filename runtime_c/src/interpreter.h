/* interpreter.h: interpreter state (internal), shared by interpreter.c and the op glue in ops/.
 *
 * What this is: the struct behind tl_interpreter and the per-node storage of kernel params. What this is
 * not: the memory plan (planner.h) or op semantics (ops/).
 */
#ifndef TL_INTERPRETER_H
#define TL_INTERPRETER_H

#include "kernels/kernels.h"
#include "kernels/kernels_int8.h"
#include "model.h"
#include "threadpool.h"
#include "tl_internal.h"

/* Kernel params filled by an op's prepare and read by its eval. */
typedef union tl_node_params {
  tl_fc_params fc;
  tl_conv_params conv;
  tl_pool_params pool;
  tl_binary_params binary;
  tl_softmax_params softmax;
  tl_mean_params mean;
  tl_concat_params concat;
  tl_pad_params pad;
  tl_transpose_params transpose;
  struct {
    int64_t n;           /* elements */
    float scale;         /* Quantize / Dequantize */
    int32_t zero_point;
    size_t bytes;        /* Reshape copy */
    tl_act_f32 act;      /* Concatenation's fused activation */
    int32_t act_kind;    /* TL_ACT_* */
  } simple;
  /* int8 ops (ops/<family>_int8.c) */
  tl_fc_int8_params fc8;
  tl_conv_int8_params conv8;
  tl_pool_int8_params pool8;
  tl_mean_int8_params mean8;
  tl_binary_int8_params binary8;
  tl_softmax_int8_params softmax8;
  tl_concat_int8_params concat8;
  struct {
    int64_t n;                      /* elements */
    tl_requantize_int8_params q;    /* Relu, Relu6 */
    tl_activation_int8_params act;  /* Sigmoid, Tanh */
  } elementwise8;
} tl_node_params;

typedef struct tl_node {
  const tl_op_desc *op;
  tl_node_params params;
  uint8_t pad_value[8];  /* Pad: the value written into the border (zero or the zero point) */
  void *persist;         /* tl_op_persistent_bytes() bytes in the interpreter's tables (16-aligned), or NULL */
  /* optimized float kernels (ops/opt_glue.h): packed weights then scratch, tl_op_opt_bytes() bytes */
  void *opt;
  size_t opt_bytes;
  float *opt_scratch;    /* Conv2D's im2col scratch inside opt */
  int32_t opt_isa;       /* tl_isa the op runs at; TL_ISA_REFERENCE (0): the reference kernel */
  int32_t opt_i8;        /* int8 ops with opt_isa set: the tl_i8_level of kernels/opt/opt_kernels_int8.h */
  int32_t invokes;       /* float FullyConnected: its evals so far, mod 2 (the panel order alternates) */
  uint64_t work;         /* tl_op_work(): this op's share of the work budget (tl_options.max_work) */
} tl_node;

enum { TL_STATE_CREATED = 0, TL_STATE_PREPARED = 1, TL_STATE_FAILED = 2 };

struct tl_interpreter {
  uint32_t magic;          /* TL_INTERP_MAGIC while alive; cleared by destroy */
  const tl_model *model;
  size_t max_arena_bytes;
  int32_t num_threads;     /* tl_options.num_threads, at least 1 */
  tl_threadpool *pool;     /* started at create (NULL: one thread), joined at destroy */
  size_t pool_bytes;       /* tl_threadpool_bytes, 16-aligned: after this struct in caller memory, else malloc'd */
  void *pool_block;        /* malloc'd pool memory (create), or NULL */
  int32_t isa;             /* tl_isa of the optimized kernels (ops/opt_glue.h), chosen at create */
  int32_t state;
  int32_t self_owned;      /* 1: this struct was malloc'd by tl_interpreter_create */
  volatile int32_t busy;   /* invoke in progress (see tl_interpreter_invoke) */
  /* caller memory (create_with_arena), or NULL */
  uint8_t *caller_mem;
  size_t caller_mem_bytes;
  size_t caller_used;      /* bytes of caller memory holding this struct (aligned) */
  /* malloc'd blocks (create) */
  void *tables_block;
  void *arena_block;
  /* prepared state */
  void **data;             /* per tensor: constant data, arena address, or NULL */
  tl_node *nodes;          /* per op */
  uint8_t *arena;
  size_t arena_bytes;
  size_t required_bytes;
  uint64_t max_work;       /* tl_options.max_work, or TL_DEFAULT_MAX_WORK */
  uint64_t work;           /* prepared total: the ops' work plus the plan's (tl_interpreter_work) */
  char error[TL_ERROR_LEN];
  tl_errbuf err;
};

/* ---- the work budget (tl_options.max_work, TL_DEFAULT_MAX_WORK in tensorlet.h) ----
 * prepare charges each op TL_WORK_PER_OP plus count x weight / 16 units, count being what its time grows
 * with: multiply-adds (FullyConnected, Conv2D, DepthwiseConv2D), output elements x window (pools), input
 * elements (Mean, Softmax) or output elements (everything else); FullyConnected and the convolutions also
 * count each output once more (its fixed cost). The weights make one unit at least one nanosecond of one invoke
 * on the slowest path of that op kind with the default kernels (the measurements are in ops/op_table.c), so
 * the budget bounds the time of prepare + one invoke. The plan charges
 * TL_WORK_PER_PLAN_PAIR per pair of planned tensors alive at the same time (planner.h). */
#define TL_WORK_PER_OP 2048u       /* ~2 us: load, verify and prepare of one op, and its dispatch */
#define TL_WORK_PER_PLAN_PAIR 512u /* measured 200-450 ns per pair (planner.c, 4K-64K tensors) */

/* Work units of op `op` of a model whose prepare succeeded (ops/op_table.c); saturates at UINT64_MAX. */
uint64_t tl_op_work(const tl_model *model, int32_t op);

#define TL_INTERP_MAGIC 0x544c4950u /* "TLIP" */

#endif /* TL_INTERPRETER_H */
