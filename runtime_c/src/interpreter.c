/* interpreter.c: interpreter lifecycle (create, prepare, invoke, destroy) and input/output access.
 *
 * What this is: the state machine CREATED -> (prepare ok) PREPARED | (prepare failed) FAILED, the memory
 * layout, and the public accessors. What this is not: op semantics (ops/), the plan (planner.c).
 *
 * Memory layout, from a 16-byte aligned base (each block rounded up to 16 bytes):
 *   [tl_interpreter] [thread pool, when num_threads > 1] [resized only: model view and tensor table]
 *   [data: tensor_count pointers] [nodes: op_count tl_node]
 *   [per-node memory: what each op's prepare requested with tl_op_persistent (its op-private struct, int8
 *    per-channel multipliers, float16 weights as float32, packed weights, tables)]
 *   [arena; during prepare, the planner's scratch (the items: the tensors and the ops' scratch blocks, and
 *    their orders) in its place, so the caller memory is the rest plus max(arena, planner scratch)]
 * Prepare runs each op's prepare twice (ops/ops.h): a size pass that sums the per-node memory and counts the
 * scratch blocks (nothing written), then, with the tables laid out and the tensors collected for the plan, a
 * place pass that fills the per-node memory and adds the scratch blocks to the plan. The arena holds the
 * activations and the ops' scratch blocks (tl_op_request_scratch: im2col, one block per thread), each planned
 * as an item alive during its op only (planner.h); a block asked for as a range grows into the room the
 * activations leave at that op (planner step 7), never growing the arena. Once placed, the items' offsets
 * become the tensors' data pointers and the ops' scratch pointers, and the arena is zeroed over them.
 * create_with_arena carves all of it from the caller's memory and never calls tl_malloc; create mallocs the
 * struct, the pool, one block for the tables and one for the planner's scratch, which stays as the arena
 * where that fits in it, else is freed once a block for the arena is allocated (each aligned by
 * over-allocating 15 bytes). The
 * pool's worker threads (threadpool.h) start at create and are joined at destroy; their stacks are the OS's,
 * also with create_with_arena.
 * tl_interpreter_required_memory_bytes() is the caller memory this layout needs, plus 15 bytes so that any
 * base address works. When the caller's memory cannot even hold the tables, the plan cannot be computed, and
 * the reported requirement uses the sum of all activation and scratch sizes instead of the planned arena (an
 * upper bound, so the next try succeeds); after a successful prepare it is exact.
 *
 * Concurrency: invoke (and set_input/get_output) refuse with TL_ERROR_BUSY while another invoke runs on the
 * same interpreter. The flag is taken with an atomic exchange under GCC/clang; with other compilers it is a
 * volatile flag, which detects re-entrant calls but is not a guaranteed cross-thread lock. Either way the
 * contract is: one thread per interpreter; separate interpreters may share a model.
 */
#include <string.h>

#include "fb_schema.h"
#include "interpreter.h"
#include "ops/ops.h"
#include "planner.h"

#define TL_A16(x) (((x) + 15u) & ~(size_t)15u)

static int tl_busy_acquire(tl_interpreter *it) {
#if defined(__GNUC__)
  return __atomic_exchange_n(&it->busy, 1, __ATOMIC_ACQUIRE) == 0;
#else
  if (it->busy) return 0;
  it->busy = 1;
  return 1;
#endif
}

/* Always inlined: outlined (gcc -Os did once invoke_profiled called it too) it cost the Cortex-M4 core bytes. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void tl_busy_release(tl_interpreter *it) {
#if defined(__GNUC__)
  __atomic_store_n(&it->busy, 0, __ATOMIC_RELEASE);
#else
  it->busy = 0;
#endif
}

static int tl_alive(const tl_interpreter *it) { return it != NULL && it->magic == TL_INTERP_MAGIC; }

/* num_threads in [0, TL_MAX_THREADS], kernels a tl_kernels value (NULL options: the defaults) */
static int tl_options_valid(const tl_options *options) {
  return options == NULL || (options->num_threads >= 0 && options->num_threads <= TL_MAX_THREADS &&
                             (unsigned)options->kernels <= (unsigned)TL_KERNELS_AVX512);
}

#if TL_HAVE_THREADS
static void *tl_align16(void *p) { return (uint8_t *)p + (16u - ((uintptr_t)p % 16u)) % 16u; }
#endif

static void tl_interp_init(tl_interpreter *it, const tl_model *model, const tl_options *options) {
  memset(it, 0, sizeof *it);
  it->magic = TL_INTERP_MAGIC;
  it->model = model;
  it->source = model;
  it->preserve_all = options && options->preserve_all_tensors ? 1 : 0;
  it->release_inputs = options && options->release_inputs ? 1 : 0;
  it->max_arena_bytes = options && options->max_arena_bytes ? options->max_arena_bytes : TL_DEFAULT_MAX_ARENA;
  it->num_threads = options && options->num_threads > 0 ? options->num_threads : 1;
  it->max_work = options && options->max_work ? options->max_work : (uint64_t)TL_DEFAULT_MAX_WORK;
#if TL_HAVE_THREADS /* otherwise no pool: pool_bytes stays 0 (builds without threads keep no pool code) */
  it->pool_bytes = TL_A16(tl_threadpool_bytes(it->num_threads));
#endif
  it->isa = tl_op_opt_level(options ? options->kernels : TL_KERNELS_AUTO);
  it->state = TL_STATE_CREATED;
  it->err.buf = it->error;
  it->err.size = sizeof it->error;
}

tl_status tl_interpreter_create(const tl_model *model, const tl_options *options, tl_interpreter **out) {
  tl_interpreter *it;
  if (out == NULL) return TL_ERROR_NULL_ARGUMENT;
  *out = NULL;
  if (model == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_options_valid(options)) return TL_ERROR_INVALID_ARGUMENT;
  it = (tl_interpreter *)tl_malloc(sizeof(tl_interpreter));
  if (it == NULL) return TL_ERROR_OUT_OF_MEMORY;
  tl_interp_init(it, model, options);
  it->self_owned = 1;
#if TL_HAVE_THREADS
  if (it->pool_bytes > 0) {
    tl_status s;
    it->pool_block = tl_malloc(it->pool_bytes + 15u);
    s = it->pool_block ? tl_threadpool_create(tl_align16(it->pool_block), it->num_threads, &it->pool)
                       : TL_ERROR_OUT_OF_MEMORY;
    if (s != TL_OK) {
      tl_free(it->pool_block);
      tl_free(it);
      return s;
    }
  }
#endif
  *out = it;
  return TL_OK;
}

tl_status tl_interpreter_create_with_arena(const tl_model *model, const tl_options *options, void *memory,
                                           size_t memory_bytes, tl_interpreter **out) {
  uintptr_t base;
  size_t pad, need;
  tl_interpreter *it;
  if (out == NULL) return TL_ERROR_NULL_ARGUMENT;
  *out = NULL;
  if (model == NULL || memory == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_options_valid(options)) return TL_ERROR_INVALID_ARGUMENT;
  base = (uintptr_t)memory;
  pad = (size_t)((16u - (base % 16u)) % 16u);
  need = pad + TL_A16(sizeof(tl_interpreter));
#if TL_HAVE_THREADS
  need += TL_A16(tl_threadpool_bytes(options && options->num_threads > 1 ? options->num_threads : 1));
#endif
  if (memory_bytes < need) return TL_ERROR_ARENA_TOO_SMALL;
  it = (tl_interpreter *)(void *)((uint8_t *)memory + pad);
  tl_interp_init(it, model, options);
  it->caller_mem = (uint8_t *)memory;
  it->caller_mem_bytes = memory_bytes;
  it->caller_used = need;
#if TL_HAVE_THREADS
  if (it->pool_bytes > 0) {
    tl_status s = tl_threadpool_create((uint8_t *)it + TL_A16(sizeof(tl_interpreter)), it->num_threads, &it->pool);
    if (s != TL_OK) {
      it->magic = 0;
      return s;
    }
  }
#endif
  *out = it;
  return TL_OK;
}

static void tl_release_blocks(tl_interpreter *it) {
  tl_free(it->tables_block);
  tl_free(it->arena_block);
  tl_free(it->shapes_block);
  it->tables_block = NULL;
  it->arena_block = NULL;
  it->shapes_block = NULL;
  it->shapes = NULL;
  it->view = NULL;
  it->model = it->source;
  it->data = NULL;
  it->nodes = NULL;
  it->arena = NULL;
  it->arena_bytes = 0;
  it->work = 0;
}

void tl_interpreter_destroy(tl_interpreter *interp) {
  if (!tl_alive(interp)) return;
  interp->magic = 0;
#if TL_HAVE_THREADS
  tl_threadpool_destroy(interp->pool); /* joins the workers */
  interp->pool = NULL;
  tl_free(interp->pool_block);
  interp->pool_block = NULL;
#endif
  tl_release_blocks(interp);
  if (interp->self_owned) tl_free(interp);
}

/* Sum of aligned sizes of every non-constant tensor: an upper bound of any plan. */
static size_t tl_arena_upper_bound(const tl_model *m) {
  size_t sum = 0, a;
  int32_t i;
  for (i = 0; i < m->tensor_count; i++) {
    if (m->is_constant[i]) continue;
    if (!tl_align_size(m->tensors[i].bytes, TL_ARENA_ALIGNMENT, &a) || !tl_add_size(sum, a, &sum)) return (size_t)-1;
  }
  return sum;
}

/* Gives tensor t the interpreter's batch in place of the model's (elems and bytes scaled, within the caps;
 * size_t arithmetic: elems <= TL_MAX_TENSOR_BYTES fits it, and dims[0] == model_batch divides it). */
static tl_status tl_set_batch(tl_interpreter *it, tl_tensor_desc *t) {
  size_t elems, bytes;
  TL_ENSURE(&it->err, tl_mul_size((size_t)t->elems / (size_t)it->model_batch, (size_t)it->batch, &elems) &&
                          tl_mul_size(elems, tl_dtype_size(t->dtype), &bytes) && bytes <= TL_MAX_TENSOR_BYTES,
            TL_ERROR_LIMIT_EXCEEDED, "resize: tensor %s with batch %d is above the cap of %llu bytes", t->name,
            it->batch, (unsigned long long)TL_MAX_TENSOR_BYTES);
  t->dims[0] = it->batch;
  t->elems = (int64_t)elems;
  t->bytes = bytes;
  return TL_OK;
}

/* 1 when t (non-constant, leading dim the model's batch) can take the interpreter's batch. */
static int tl_batched_dim(const tl_interpreter *it, int32_t tensor) {
  const tl_tensor_desc *t = &it->source->tensors[tensor];
  return !it->source->is_constant[tensor] && t->rank > 0 && t->dims[0] == it->model_batch;
}

/* The resized tensor table (tl_interpreter_resize_input): the model's, then the batch carried from the graph
 * inputs along the ops in order (an output takes it when an input of its op has it); the ops' prepares check
 * the result. */
static tl_status tl_resize_shapes(tl_interpreter *it, tl_tensor_desc *shapes) {
  const tl_model *m = it->source;
  uint8_t changed;
  int32_t i, k;
  memcpy(shapes, m->tensors, (size_t)m->tensor_count * sizeof *shapes);
  for (k = 0; k < m->input_count; k++) {
    if (tl_batched_dim(it, m->inputs[k]) && shapes[m->inputs[k]].dims[0] != it->batch)
      TL_ENSURE_OK(tl_set_batch(it, &shapes[m->inputs[k]]));
  }
  for (i = 0; i < m->op_count; i++) {
    const tl_op_desc *op = &m->ops[i];
    changed = 0;
    for (k = 0; k < op->input_count; k++) {
      int32_t t = op->inputs[k];
      if (tl_batched_dim(it, t) && shapes[t].dims[0] == it->batch) changed = 1;
    }
    for (k = 0; changed && k < op->output_count; k++) {
      int32_t t = op->outputs[k];
      if (tl_batched_dim(it, t) && shapes[t].dims[0] != it->batch) TL_ENSURE_OK(tl_set_batch(it, &shapes[t]));
    }
  }
  *it->view = *m;
  it->view->tensors = shapes;
  it->model = it->view;
  return TL_OK;
}

static void tl_ctx_init(tl_op_ctx *ctx, tl_interpreter *it, int32_t i, const tl_op_descriptor *d, tl_node *node,
                        int32_t sizing) {
  ctx->interp = it;
  ctx->model = it->model;
  ctx->desc = d;
  ctx->op_index = i;
  ctx->op_name = d->name;
  ctx->sizing = sizing;
  ctx->node = node;
  memset(node, 0, sizeof *node);
  node->op = &it->model->ops[i];
  node->desc = d;
}

/* The size pass (ops/ops.h): every op's prepare checks the op and requests its memory; nothing is written.
 * Sums the per-node memory (*persist), the scratch blocks (*scratch_items) and their aligned bytes. */
static tl_status tl_size_ops(tl_interpreter *it, size_t *persist, int32_t *scratch_items, size_t *scratch_sum) {
  const tl_model *m = it->model;
  int32_t i, k;
  for (i = 0; i < m->op_count; i++) {
    const tl_op_descriptor *d = tl_op_lookup(m->ops[i].opcode);
    tl_op_ctx ctx;
    tl_node node;
    TL_ENSURE(&it->err, d != NULL, TL_ERROR_UNSUPPORTED_OP, "op %d: unknown op code %d", i, m->ops[i].opcode);
    tl_ctx_init(&ctx, it, i, d, &node, 1);
    if (d->prepare == NULL) { /* a selective build without this op (ops.h: TL_OP_FN) */
      tl_op_error(&ctx, "compiled out of this build (selective build without this op)");
      return TL_ERROR_UNSUPPORTED_OP;
    }
    it->persist_need = 0;
    TL_ENSURE_OK(d->prepare(&ctx, &node));
    TL_ENSURE(&it->err, it->persist_need != SIZE_MAX && tl_add_size(*persist, it->persist_need, persist),
              TL_ERROR_LIMIT_EXCEEDED, "prepare: per-op parameters overflow size_t");
    for (k = 0; k < node.scratch_count; k++) {
      size_t a;
      TL_ENSURE(&it->err, tl_align_size(node.scratch_bytes[k], TL_ARENA_ALIGNMENT, &a) && tl_add_size(*scratch_sum, a, scratch_sum),
                TL_ERROR_LIMIT_EXCEEDED, "prepare: op %d scratch overflows size_t", i);
    }
    *scratch_items += node.scratch_count;
  }
  return TL_OK;
}

/* The place pass: the same prepares again, now given the per-node memory [persist, persist + bytes) to fill.
 * Each op's scratch blocks are appended to the plan items from *n on (one item each, alive during its op only;
 * tensor index past the tensors: the planner's ties), and the ops' work is counted, then checked against the
 * budget (interpreter.h) before the plan, naming the costliest op. */
static tl_status tl_place_ops(tl_interpreter *it, uint8_t *persist, size_t bytes, tl_plan_item *items, int32_t *n) {
  const tl_model *m = it->model;
  const int32_t n_tensors = *n;
  int32_t i, k, top = 0;
  uint64_t top_work = 0;
  it->persist_next = persist;
  it->persist_end = persist + bytes;
  for (i = 0; i < m->op_count; i++) {
    const tl_op_descriptor *d = tl_op_lookup(m->ops[i].opcode); /* the size pass proved it and its prepare */
    tl_op_ctx ctx;
    tl_node *node = &it->nodes[i];
    uint64_t work;
    tl_ctx_init(&ctx, it, i, d, node, 0);
    TL_ENSURE_OK(d->prepare(&ctx, node));
    for (k = 0; k < node->scratch_count; k++, (*n)++) {
      tl_plan_item *sc = &items[*n];
      sc->tensor = m->tensor_count + (*n - n_tensors);
      sc->first = sc->last = i;
      sc->offset = 0;
      (void)tl_align_size(node->scratch_bytes[k], TL_ARENA_ALIGNMENT, &sc->size); /* checked: size pass */
      sc->max_size = it->scratch_max[k] / TL_ARENA_ALIGNMENT * TL_ARENA_ALIGNMENT;
    }
    work = d->work(m, node->op);
    if (i == 0 || work > top_work) {
      top = i;
      top_work = work;
    }
    it->work = it->work > UINT64_MAX - work ? UINT64_MAX : it->work + work;
  }
  TL_ENSURE(&it->err, it->work <= it->max_work, TL_ERROR_LIMIT_EXCEEDED,
            "model work %g exceeds the budget %g (op %d (%s): %g); raise tl_options.max_work",
            (double)it->work, (double)it->max_work, top, m->op_count > 0 ? tl_op_name(m->ops[top].opcode) : "",
            (double)top_work);
  return TL_OK;
}

static tl_status tl_prepare_impl(tl_interpreter *it) {
  const tl_model *m = it->source;
  size_t shapes_bytes = 0, used0, data_bytes, nodes_bytes, plan_bytes, persist_bytes = 0, scratch_sum = 0, tables_bytes, head, required;
  uint8_t *tables, *plan_mem;
  void *spare = NULL;
  tl_plan_item *items;
  int32_t *order;
  int32_t n = 0, n_tensors, scratch_items = 0, item_cap, i, k;
  size_t arena_bytes = 0;
  uint64_t pairs = 0, tensor_pairs, max_pairs;

  tl_release_blocks(it);
  it->required_bytes = 0;
  if (it->batch > 0) { /* resized: the interpreter's model view and tensor table, before anything reads a shape */
    shapes_bytes = TL_A16(sizeof(tl_model)) +
                   TL_A16((size_t)(it->source->tensor_count > 0 ? it->source->tensor_count : 1) * sizeof(tl_tensor_desc));
    if (it->caller_mem) {
      TL_ENSURE(&it->err, it->caller_mem_bytes - it->caller_used >= shapes_bytes, TL_ERROR_ARENA_TOO_SMALL,
                "prepare: caller memory of %llu bytes is too small for the resized tensor table (%llu bytes more)",
                (unsigned long long)it->caller_mem_bytes, (unsigned long long)shapes_bytes);
      it->view = (tl_model *)(void *)(it->caller_mem + it->caller_used);
    } else {
      it->shapes_block = tl_malloc(shapes_bytes);
      TL_ENSURE(&it->err, it->shapes_block != NULL, TL_ERROR_OUT_OF_MEMORY, "prepare: out of memory (%llu bytes)",
                (unsigned long long)shapes_bytes);
      it->view = (tl_model *)it->shapes_block;
    }
    it->shapes = (tl_tensor_desc *)(void *)((uint8_t *)it->view + TL_A16(sizeof(tl_model)));
    TL_ENSURE_OK(tl_resize_shapes(it, it->shapes));
    m = it->model;
  }
  used0 = it->caller_used + shapes_bytes;
  TL_ENSURE_OK(tl_size_ops(it, &persist_bytes, &scratch_items, &scratch_sum));
  /* counts are capped at load (TL_MAX_TENSORS, TL_MAX_OPS; at most TL_OP_MAX_SCRATCH per op), so these cannot
   * overflow */
  item_cap = scratch_items; /* the items the plan may hold: non-constant tensors and scratch blocks */
  for (i = 0; i < m->tensor_count; i++) item_cap += m->is_constant[i] ? 0 : 1;
  data_bytes = TL_A16((size_t)(m->tensor_count > 0 ? m->tensor_count : 1) * sizeof(void *));
  nodes_bytes = TL_A16((size_t)(m->op_count > 0 ? m->op_count : 1) * sizeof(tl_node));
  plan_bytes = TL_A16(tl_plan_scratch_bytes(m->tensor_count, item_cap));
  tables_bytes = data_bytes + nodes_bytes;
  TL_ENSURE(&it->err, tl_add_size(tables_bytes, persist_bytes, &tables_bytes) &&
                          tl_add_size(TL_A16(sizeof(tl_interpreter)) + it->pool_bytes + shapes_bytes, tables_bytes, &head),
            TL_ERROR_LIMIT_EXCEEDED, "prepare: interpreter tables overflow size_t");

  /* The planner's scratch (plan_bytes: the items and their orders) is needed during prepare only: it lies
   * where the arena will be, so the caller memory needs head + max(arena, plan_bytes). */
  if (it->caller_mem) {
    if (it->caller_mem_bytes - used0 < tables_bytes || it->caller_mem_bytes - used0 - tables_bytes < plan_bytes) {
      size_t ub = tl_arena_upper_bound(m);
      if (!tl_add_size(ub, scratch_sum, &ub) || !tl_add_size(head, ub > plan_bytes ? ub : plan_bytes, &required) ||
          !tl_add_size(required, 15u, &required))
        required = (size_t)-1;
      it->required_bytes = required;
      tl_error_set(&it->err, "prepare: caller memory of %llu bytes is too small: needs at most %llu bytes",
                   (unsigned long long)it->caller_mem_bytes, (unsigned long long)required);
      return TL_ERROR_ARENA_TOO_SMALL;
    }
    tables = it->caller_mem + used0;
    plan_mem = tables + tables_bytes;
  } else {
    it->tables_block = tl_malloc(tables_bytes + 15u);
    TL_ENSURE(&it->err, it->tables_block != NULL, TL_ERROR_OUT_OF_MEMORY, "prepare: out of memory (%llu bytes)",
              (unsigned long long)tables_bytes);
    tables = (uint8_t *)it->tables_block;
    tables += (16u - ((uintptr_t)tables % 16u)) % 16u;
    /* the planner's scratch: a block that becomes the arena where that is no larger (else replaced below),
     * so the malloc'd memory stays within the caller-memory layout's requirement */
    it->arena_block = tl_malloc(plan_bytes + 15u);
    TL_ENSURE(&it->err, it->arena_block != NULL, TL_ERROR_OUT_OF_MEMORY, "prepare: out of memory (%llu bytes)",
              (unsigned long long)plan_bytes);
    plan_mem = (uint8_t *)it->arena_block + (16u - ((uintptr_t)it->arena_block % 16u)) % 16u;
  }
  it->data = (void **)(void *)tables;
  it->nodes = (tl_node *)(void *)(tables + data_bytes);
  items = (tl_plan_item *)(void *)plan_mem;
  order = (int32_t *)(void *)((uint8_t *)items + (size_t)(item_cap > 0 ? item_cap : 1) * sizeof(tl_plan_item));
  for (i = 0; i < m->tensor_count; i++) it->data[i] = (void *)(uintptr_t)m->tensors[i].data;

  TL_ENSURE_OK(tl_plan_collect(m, it->release_inputs, items, &n, &it->err));
  n_tensors = n;
  if (it->preserve_all) { /* tl_options.preserve_all_tensors: every tensor alive from the first op to the last */
    for (i = 0; i < n_tensors; i++) {
      items[i].first = 0;
      items[i].last = m->op_count > 0 ? m->op_count - 1 : 0;
    }
  }
  /* fills the per-node memory, appends the scratch items, checks the ops' work */
  TL_ENSURE_OK(tl_place_ops(it, tables + data_bytes + nodes_bytes, persist_bytes, items, &n));
  /* the plan's share: what the ops left of the budget (planner.h counts the pairs before any placement); the
   * budget counts pairs of tensors; the scratch blocks add at most one pair per item each */
  max_pairs = (it->max_work - it->work) / TL_WORK_PER_PLAN_PAIR;
  tensor_pairs = tl_plan_overlap_pairs(items, n_tensors, order);
  if (tensor_pairs > max_pairs) {
    tl_error_set(&it->err,
                 "model work exceeds the budget %g: ops %g, plan %g (%llu pairs of tensors alive at the "
                 "same time); raise tl_options.max_work",
                 (double)it->max_work, (double)it->work, (double)tensor_pairs * TL_WORK_PER_PLAN_PAIR,
                 (unsigned long long)tensor_pairs);
    return TL_ERROR_LIMIT_EXCEEDED;
  }
  TL_ENSURE_OK(tl_plan_place(items, n, order, tensor_pairs + (uint64_t)(n - n_tensors) * (uint64_t)n, &pairs,
                             &arena_bytes, &it->err));
  it->work += tensor_pairs * TL_WORK_PER_PLAN_PAIR; /* <= max_work: checked above */
  TL_ENSURE(&it->err, tl_add_size(head, arena_bytes > plan_bytes ? arena_bytes : plan_bytes, &required) &&
                          tl_add_size(required, 15u, &required),
            TL_ERROR_LIMIT_EXCEEDED, "prepare: planned arena of %llu bytes overflows", (unsigned long long)arena_bytes);
  it->required_bytes = required;
  TL_ENSURE(&it->err, arena_bytes <= it->max_arena_bytes, TL_ERROR_LIMIT_EXCEEDED,
            "prepare: planned arena of %llu bytes is above the cap of %llu bytes", (unsigned long long)arena_bytes,
            (unsigned long long)it->max_arena_bytes);
  if (it->caller_mem) {
    size_t used = used0 + tables_bytes;
    TL_ENSURE(&it->err, it->caller_mem_bytes - used >= arena_bytes, TL_ERROR_ARENA_TOO_SMALL,
              "prepare: caller memory of %llu bytes is too small: needs %llu bytes (arena %llu)",
              (unsigned long long)it->caller_mem_bytes, (unsigned long long)required,
              (unsigned long long)arena_bytes);
    it->arena = arena_bytes ? it->caller_mem + used : NULL; /* where the items are: read them before zeroing */
  } else {
    if (arena_bytes == 0 || arena_bytes > plan_bytes) { /* the planner's block is not the arena: freed below */
      void *block = NULL;
      if (arena_bytes > 0) {
        block = tl_malloc(arena_bytes + 15u);
        TL_ENSURE(&it->err, block != NULL, TL_ERROR_OUT_OF_MEMORY, "prepare: out of memory for a %llu-byte arena",
                  (unsigned long long)arena_bytes);
      }
      spare = it->arena_block;
      it->arena_block = block;
    }
    it->arena = it->arena_block ? (uint8_t *)it->arena_block + (16u - ((uintptr_t)it->arena_block % 16u)) % 16u
                                : NULL; /* possibly where the items are: read them before zeroing */
  }
  it->arena_bytes = arena_bytes;
  for (i = 0; i < n_tensors; i++) it->data[items[i].tensor] = it->arena + items[i].offset;
  for (i = 0; i < m->op_count; i++) { /* views (planner.h step 2b), in op order: a chain's source is set first */
    const int32_t src = tl_plan_view_source(m, i);
    if (src >= 0) it->data[m->ops[i].outputs[0]] = it->data[src];
  }
  n = n_tensors;
  for (i = 0; i < m->op_count; i++) {
    for (k = 0; k < it->nodes[i].scratch_count; k++, n++) {
      it->nodes[i].scratch[k] = it->arena + items[n].offset;
      it->nodes[i].scratch_bytes[k] = items[n].size; /* at least the request: step 7 only grows it */
    }
  }
  tl_free(spare);
  if (arena_bytes > 0) memset(it->arena, 0, arena_bytes); /* outputs read before the first invoke are zeros */
  return TL_OK;
}

tl_status tl_interpreter_prepare(tl_interpreter *interp) {
  tl_status s;
  if (!tl_alive(interp)) return interp ? TL_ERROR_BAD_STATE : TL_ERROR_NULL_ARGUMENT;
  if (!tl_busy_acquire(interp)) return TL_ERROR_BUSY;
  interp->error[0] = '\0';
  s = tl_prepare_impl(interp);
  interp->state = s == TL_OK ? TL_STATE_PREPARED : TL_STATE_FAILED;
  if (s != TL_OK) {
    size_t keep = interp->required_bytes;
    tl_release_blocks(interp);
    interp->required_bytes = keep;
  }
  tl_busy_release(interp);
  return s;
}

size_t tl_interpreter_arena_bytes(const tl_interpreter *interp) {
  return tl_alive(interp) && interp->state == TL_STATE_PREPARED ? interp->arena_bytes : 0;
}

size_t tl_interpreter_required_memory_bytes(const tl_interpreter *interp) {
  return tl_alive(interp) ? interp->required_bytes : 0;
}

uint64_t tl_interpreter_work(const tl_interpreter *interp) {
  return tl_alive(interp) && interp->state == TL_STATE_PREPARED ? interp->work : 0;
}

const char *tl_interpreter_error(const tl_interpreter *interp) { return tl_alive(interp) ? interp->error : ""; }

/* Invoke's entry checks: takes the busy flag and returns TL_OK, or an error with the flag released. */
static tl_status tl_invoke_begin(tl_interpreter *interp) {
  if (!tl_alive(interp)) return interp ? TL_ERROR_BAD_STATE : TL_ERROR_NULL_ARGUMENT;
  if (!tl_busy_acquire(interp)) {
    tl_error_set(&interp->err, "invoke: the interpreter is already running");
    return TL_ERROR_BUSY;
  }
  if (interp->state != TL_STATE_PREPARED) {
    tl_error_set(&interp->err, "invoke: %s", interp->state == TL_STATE_FAILED ? "the last prepare failed"
                                                                              : "call tl_interpreter_prepare first");
    tl_busy_release(interp);
    return TL_ERROR_BAD_STATE;
  }
  return TL_OK;
}

static void tl_eval_node(tl_interpreter *interp, int32_t i) {
  tl_node *node = &interp->nodes[i];
  const tl_op_descriptor *d = node->desc; /* prepare proved the op code */
  tl_op_ctx ctx;
  ctx.interp = interp;
  ctx.model = interp->model;
  ctx.desc = d;
  ctx.op_index = i;
  ctx.op_name = d->name;
  ctx.sizing = 0;
  ctx.node = node;
  d->eval(&ctx, node);
}

/* invoke spells out tl_invoke_begin and tl_eval_node rather than calling them: calls would cost the Cortex-M4
 * core 24 bytes (tests/build/test_size.py), and only the profiled twin below needs them as functions. */
tl_status tl_interpreter_invoke(tl_interpreter *interp) {
  const tl_model *m;
  int32_t i;
  if (!tl_alive(interp)) return interp ? TL_ERROR_BAD_STATE : TL_ERROR_NULL_ARGUMENT;
  if (!tl_busy_acquire(interp)) {
    tl_error_set(&interp->err, "invoke: the interpreter is already running");
    return TL_ERROR_BUSY;
  }
  if (interp->state != TL_STATE_PREPARED) {
    tl_error_set(&interp->err, "invoke: %s", interp->state == TL_STATE_FAILED ? "the last prepare failed"
                                                                              : "call tl_interpreter_prepare first");
    tl_busy_release(interp);
    return TL_ERROR_BAD_STATE;
  }
  m = interp->model;
  for (i = 0; i < m->op_count; i++) {
    tl_node *node = &interp->nodes[i];
    const tl_op_descriptor *d = node->desc; /* prepare proved the op code */
    tl_op_ctx ctx;
    ctx.interp = interp;
    ctx.model = m;
    ctx.desc = d;
    ctx.op_index = i;
    ctx.op_name = d->name;
    ctx.sizing = 0;
    ctx.node = node;
    d->eval(&ctx, node);
  }
  tl_busy_release(interp);
  return TL_OK;
}

/* The profiled twin of invoke: one clock read between ops (the op's time includes one clock call), so the
 * per-op ticks add up to the time of the loop. A separate function, so that invoke itself reads no clock and
 * a program that never profiles links none of this (--gc-sections). */
tl_status tl_interpreter_invoke_profiled(tl_interpreter *interp, tl_clock_fn clock, void *clock_user,
                                         tl_op_profile *ops, int32_t op_count) {
  int32_t i;
  uint64_t t0, t1;
  if (clock == NULL || (ops == NULL && op_count != 0)) return TL_ERROR_NULL_ARGUMENT;
  TL_ENSURE_OK(tl_invoke_begin(interp));
  if (op_count != interp->model->op_count) {
    tl_error_set(&interp->err, "invoke_profiled: %d profile entries given, the model has %d ops", (int)op_count,
                 (int)interp->model->op_count);
    tl_busy_release(interp);
    return TL_ERROR_INVALID_ARGUMENT;
  }
  t0 = clock(clock_user);
  for (i = 0; i < op_count; i++) {
    const tl_op_desc *op = interp->nodes[i].op;
    tl_eval_node(interp, i);
    t1 = clock(clock_user);
    ops[i].type = interp->nodes[i].desc->name;
    ops[i].output = op->output_count > 0 ? op->outputs[0] : -1;
    ops[i].ticks += t1 - t0;
    t0 = t1;
  }
  tl_busy_release(interp);
  return TL_OK;
}

/* ---- inputs and outputs ---- */

int32_t tl_interpreter_input_count(const tl_interpreter *interp) {
  return tl_alive(interp) ? interp->model->input_count : 0;
}

int32_t tl_interpreter_output_count(const tl_interpreter *interp) {
  return tl_alive(interp) ? interp->model->output_count : 0;
}

static tl_status tl_io_tensor(const tl_interpreter *it, int is_input, int32_t index, int32_t *tensor) {
  int32_t count;
  if (it == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_alive(it)) return TL_ERROR_BAD_STATE;
  count = is_input ? it->model->input_count : it->model->output_count;
  if (index < 0 || index >= count) {
    tl_error_set((tl_errbuf *)&it->err, "%s index %d is out of range [0, %d)", is_input ? "input" : "output", index,
                 count);
    return TL_ERROR_INVALID_ARGUMENT;
  }
  *tensor = is_input ? it->model->inputs[index] : it->model->outputs[index];
  return TL_OK;
}

/* The public description of tensor t (the interpreter's shapes). */
static tl_status tl_fill_info(const tl_tensor_desc *t, tl_tensor_info *info) {
  int32_t k;
  memset(info, 0, sizeof *info);
  info->name = t->name;
  info->dtype = t->dtype;
  info->rank = t->rank;
  for (k = 0; k < t->rank; k++) info->dims[k] = t->dims[k];
  info->bytes = t->bytes;
  info->quant_count = t->quant_count;
  info->quant_axis = t->quant_axis;
  info->scales = t->scales;
  info->zero_points = t->zero_points;
  return TL_OK;
}

static tl_status tl_info(const tl_interpreter *it, int is_input, int32_t index, tl_tensor_info *info) {
  int32_t tensor = 0;
  if (info == NULL) return TL_ERROR_NULL_ARGUMENT;
  TL_ENSURE_OK(tl_io_tensor(it, is_input, index, &tensor));
  return tl_fill_info(&it->model->tensors[tensor], info);
}

tl_status tl_interpreter_input_info(const tl_interpreter *interp, int32_t index, tl_tensor_info *info) {
  return tl_info(interp, 1, index, info);
}

tl_status tl_interpreter_output_info(const tl_interpreter *interp, int32_t index, tl_tensor_info *info) {
  return tl_info(interp, 0, index, info);
}

static tl_status tl_find(const tl_interpreter *it, int is_input, const char *name, int32_t *index) {
  int32_t k, count;
  const int32_t *list;
  if (it == NULL || name == NULL || index == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_alive(it)) return TL_ERROR_BAD_STATE;
  count = is_input ? it->model->input_count : it->model->output_count;
  list = is_input ? it->model->inputs : it->model->outputs;
  for (k = 0; k < count; k++) {
    if (strcmp(it->model->tensors[list[k]].name, name) == 0) {
      *index = k;
      return TL_OK;
    }
  }
  tl_error_set((tl_errbuf *)&it->err, "no %s named '%s'", is_input ? "input" : "output", name);
  return TL_ERROR_NOT_FOUND;
}

tl_status tl_interpreter_input_index(const tl_interpreter *interp, const char *name, int32_t *index) {
  return tl_find(interp, 1, name, index);
}

tl_status tl_interpreter_output_index(const tl_interpreter *interp, const char *name, int32_t *index) {
  return tl_find(interp, 0, name, index);
}

/* Shared checks for data access: alive, prepared, not running, index in range. */
static tl_status tl_io_begin(tl_interpreter *it, int is_input, int32_t index, int32_t *tensor) {
  TL_ENSURE_OK(tl_io_tensor(it, is_input, index, tensor));
  TL_ENSURE(&it->err, it->state == TL_STATE_PREPARED, TL_ERROR_BAD_STATE,
            "%s %d: the interpreter is not prepared", is_input ? "input" : "output", index);
  TL_ENSURE(&it->err, !it->busy, TL_ERROR_BUSY, "%s %d: the interpreter is running", is_input ? "input" : "output",
            index);
  return TL_OK;
}

static tl_status tl_check_copy(tl_interpreter *it, int is_input, int32_t index, int32_t tensor, const void *data,
                               size_t bytes, tl_dtype dtype) {
  const tl_tensor_desc *t = &it->model->tensors[tensor];
  const char *what = is_input ? "input" : "output";
  TL_ENSURE(&it->err, data != NULL, TL_ERROR_NULL_ARGUMENT, "%s %d: data is NULL", what, index);
  TL_ENSURE(&it->err, dtype == t->dtype, TL_ERROR_DTYPE_MISMATCH, "%s %d (%s): dtype %s given, tensor is %s", what,
            index, t->name, tl_dtype_name((int32_t)dtype), tl_dtype_name(t->dtype));
  TL_ENSURE(&it->err, bytes == t->bytes, TL_ERROR_SIZE_MISMATCH, "%s %d (%s): %llu bytes given, tensor has %llu",
            what, index, t->name, (unsigned long long)bytes, (unsigned long long)t->bytes);
  return TL_OK;
}

tl_status tl_interpreter_set_input(tl_interpreter *interp, int32_t index, const void *data, size_t bytes,
                                   tl_dtype dtype) {
  int32_t t = 0;
  TL_ENSURE_OK(tl_io_begin(interp, 1, index, &t));
  TL_ENSURE_OK(tl_check_copy(interp, 1, index, t, data, bytes, dtype));
  memcpy(interp->data[t], data, bytes);
  return TL_OK;
}

tl_status tl_interpreter_get_output(tl_interpreter *interp, int32_t index, void *data, size_t bytes,
                                    tl_dtype dtype) {
  int32_t t = 0;
  TL_ENSURE_OK(tl_io_begin(interp, 0, index, &t));
  TL_ENSURE_OK(tl_check_copy(interp, 0, index, t, data, bytes, dtype));
  memcpy(data, interp->data[t], bytes);
  return TL_OK;
}

tl_status tl_interpreter_input_data(tl_interpreter *interp, int32_t index, void **data) {
  int32_t t = 0;
  if (data == NULL) return TL_ERROR_NULL_ARGUMENT;
  *data = NULL;
  TL_ENSURE_OK(tl_io_begin(interp, 1, index, &t));
  *data = interp->data[t];
  return TL_OK;
}

tl_status tl_interpreter_output_data(tl_interpreter *interp, int32_t index, const void **data) {
  int32_t t = 0;
  if (data == NULL) return TL_ERROR_NULL_ARGUMENT;
  *data = NULL;
  TL_ENSURE_OK(tl_io_begin(interp, 0, index, &t));
  *data = interp->data[t];
  return TL_OK;
}

/* ---- resizing and every tensor ---- */

tl_status tl_interpreter_resize_input(tl_interpreter *interp, int32_t index, const int32_t *dims, int32_t rank) {
  const tl_tensor_desc *t;
  int32_t tensor = 0, k, batch;
  char want[96], got[96];
  if (dims == NULL && rank > 0) return TL_ERROR_NULL_ARGUMENT;
  TL_ENSURE_OK(tl_io_tensor(interp, 1, index, &tensor));
  TL_ENSURE(&interp->err, !interp->busy, TL_ERROR_BUSY, "resize: the interpreter is running");
  t = &interp->source->tensors[tensor];
  TL_ENSURE(&interp->err, rank == t->rank && rank > 0 && rank <= TL_MAX_RANK, TL_ERROR_UNSUPPORTED_FEATURE,
            "resize: input %d (%s) has rank %d; only its batch (dim 0) can change, got rank %d", index, t->name,
            t->rank, rank);
  for (k = 1; k < rank; k++) {
    TL_ENSURE(&interp->err, dims[k] == t->dims[k], TL_ERROR_UNSUPPORTED_FEATURE,
              "resize: input %d (%s) is %s; only its batch (dim 0) can change, got %s", index, t->name,
              tl_shape_str(t->dims, t->rank, want, sizeof want), tl_shape_str(dims, rank, got, sizeof got));
  }
  batch = dims[0];
  TL_ENSURE(&interp->err, batch >= 1, TL_ERROR_INVALID_ARGUMENT, "resize: input %d (%s): batch %d is not positive",
            index, t->name, batch);
  TL_ENSURE(&interp->err, interp->batch == 0 || interp->model_batch == t->dims[0], TL_ERROR_UNSUPPORTED_FEATURE,
            "resize: input %d (%s) has batch %d in the model, another resized input %d", index, t->name, t->dims[0],
            interp->model_batch);
  if (interp->batch == (batch == t->dims[0] ? 0 : batch)) return TL_OK; /* no change: the plan stands */
  tl_release_blocks(interp);
  interp->state = TL_STATE_CREATED;
  interp->model_batch = t->dims[0];
  interp->batch = batch == t->dims[0] ? 0 : batch;
  return TL_OK;
}

int32_t tl_interpreter_input_tensor(const tl_interpreter *interp, int32_t index) {
  if (!tl_alive(interp) || index < 0 || index >= interp->source->input_count) return -1;
  return interp->source->inputs[index];
}

int32_t tl_interpreter_output_tensor(const tl_interpreter *interp, int32_t index) {
  if (!tl_alive(interp) || index < 0 || index >= interp->source->output_count) return -1;
  return interp->source->outputs[index];
}

static tl_status tl_tensor_check(const tl_interpreter *it, int32_t tensor) {
  if (it == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_alive(it)) return TL_ERROR_BAD_STATE;
  TL_ENSURE((tl_errbuf *)&it->err, tensor >= 0 && tensor < it->source->tensor_count, TL_ERROR_INVALID_ARGUMENT,
            "tensor index %d is out of range [0, %d)", tensor, it->source->tensor_count);
  return TL_OK;
}

tl_status tl_interpreter_tensor_info(const tl_interpreter *interp, int32_t tensor, tl_tensor_info *info) {
  if (info == NULL) return TL_ERROR_NULL_ARGUMENT;
  TL_ENSURE_OK(tl_tensor_check(interp, tensor));
  return tl_fill_info(&interp->model->tensors[tensor], info);
}

/* 1 when tensor is a graph input or output (its arena bytes are its own for the whole invoke). */
static int tl_is_graph_io(const tl_model *m, int32_t tensor) {
  return tl_model_is_input(m, tensor) || tl_model_is_output(m, tensor);
}

tl_status tl_interpreter_tensor_data(tl_interpreter *interp, int32_t tensor, void **data) {
  const tl_model *m;
  if (data == NULL) return TL_ERROR_NULL_ARGUMENT;
  *data = NULL;
  TL_ENSURE_OK(tl_tensor_check(interp, tensor));
  m = interp->model;
  TL_ENSURE(&interp->err, interp->state == TL_STATE_PREPARED, TL_ERROR_BAD_STATE,
            "tensor %d (%s): the interpreter is not prepared", tensor, m->tensors[tensor].name);
  TL_ENSURE(&interp->err, !interp->busy, TL_ERROR_BUSY, "tensor %d (%s): the interpreter is running", tensor,
            m->tensors[tensor].name);
  TL_ENSURE(&interp->err, interp->preserve_all || m->is_constant[tensor] || tl_is_graph_io(m, tensor),
            TL_ERROR_BAD_STATE,
            "tensor %d (%s) is an intermediate whose memory later ops reuse; create the interpreter with "
            "tl_options.preserve_all_tensors = 1 to read it",
            tensor, m->tensors[tensor].name);
  *data = interp->data[tensor];
  return TL_OK;
}
