/* interpreter.h: interpreter state (internal), shared by interpreter.c and the op glue in ops/.
 *
 * What this is: the struct behind tl_interpreter and the per-node storage of kernel params. What this is
 * not: the memory plan (planner.h) or op semantics (ops/).
 */
#ifndef TL_INTERPRETER_H
#define TL_INTERPRETER_H

#include "model.h"
#include "threadpool.h"
#include "tl_internal.h"

#define TL_OP_MAX_SCRATCH 2 /* scratch blocks one op may request (tl_op_request_scratch, ops/ops.h) */

/* Per-op state of a prepared interpreter. What an op keeps between prepare and eval (params, packed weights,
 * tables) is in its op-private struct, node->state, which its prepare requested (tl_op_persistent). */
typedef struct tl_node {
  const tl_op_desc *op;
  const struct tl_op_descriptor *desc;
  void *state;                             /* its op-private struct (a tl_op_persistent block), or NULL */
  void *scratch[TL_OP_MAX_SCRATCH];        /* in the arena, valid during this op's eval */
  size_t scratch_bytes[TL_OP_MAX_SCRATCH]; /* requested (the minimum), then granted by the plan */
  int32_t scratch_count;
} tl_node; /* prepare-only values (the most each scratch block can use, the op's work) are not kept here */

enum { TL_STATE_CREATED = 0, TL_STATE_PREPARED = 1, TL_STATE_FAILED = 2 };

struct tl_interpreter {
  uint32_t magic;          /* TL_INTERP_MAGIC while alive; cleared by destroy */
  const tl_model *model;   /* what prepare, the ops and the accessors read: source, or &view when resized */
  const tl_model *source;  /* the model of tl_interpreter_create */
  /* tl_interpreter_resize_input: batch 0 runs the model's shapes; otherwise prepare copies the tensor table
   * into `shapes` (caller memory, or shapes_block, after `view` there), gives inputs and the tensors
   * computed from them `batch` in place of model_batch, and points `model` at `view`, a copy of *source with
   * those tensors (kept out of this struct: it costs memory only when resized) */
  int32_t batch;
  int32_t model_batch;
  tl_model *view;
  tl_tensor_desc *shapes;
  void *shapes_block;
  int32_t preserve_all;    /* tl_options.preserve_all_tensors */
  int32_t release_inputs;  /* tl_options.release_inputs (planner.h step 2) */
  size_t max_arena_bytes;
  int32_t num_threads;     /* tl_options.num_threads, at least 1 */
  tl_threadpool *pool;     /* started at create (NULL: one thread), joined at destroy */
  size_t pool_bytes;       /* tl_threadpool_bytes, 16-aligned: after this struct in caller memory, else malloc'd */
  void *pool_block;        /* malloc'd pool memory (create), or NULL */
  int32_t isa;             /* tl_isa of the optimized kernels (tl_op_opt_level, ops/ops.h), chosen at create */
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
  uint8_t *persist_next;   /* place pass: the next free byte of the per-node memory */
  uint8_t *persist_end;
  size_t persist_need;     /* size pass: bytes requested so far (SIZE_MAX: overflow) */
  size_t scratch_max[TL_OP_MAX_SCRATCH]; /* the op being prepared: the most each scratch block can use */
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
 * on the slowest path of that op kind with the default kernels (the weights and their measurements are in
 * each op's work function, ops/<op>.c, its descriptor's `work`), so the budget bounds the time of prepare +
 * one invoke. How the weights were measured: time per counted item from tl_bench (Release build, default
 * kernels: AVX2, one thread), as the CPU time of 5 invokes minus that of 1 (or the median invoke of large
 * models), so load and input filling cancel out, on the 2-core AMD EPYC development VM, Dec 2026; each weight
 * is the slowest measured shape of its op with ~1.3x or more to spare. The plan charges TL_WORK_PER_PLAN_PAIR
 * per pair of planned tensors alive at the same time (planner.h). */
#define TL_WORK_PER_OP 2048u       /* ~2 us: load, verify and prepare of one op, and its dispatch */
#define TL_WORK_PER_PLAN_PAIR 512u /* measured 200-450 ns per pair (planner.c, 4K-64K tensors) */

#define TL_INTERP_MAGIC 0x544c4950u /* "TLIP" */

#endif /* TL_INTERPRETER_H */
