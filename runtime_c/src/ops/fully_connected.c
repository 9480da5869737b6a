/* fully_connected.c: FullyConnected (x[..., in], w[out, in], bias[out]?) -> y[..., out] (FullyConnectedOptions).
 *
 * float32 with constant weights (float32, or float16 expanded at prepare) runs the optimized GEMM
 * (kernels/opt/opt_kernels.h) at the interpreter's level on weights packed once at prepare into the op's
 * per-node memory; otherwise the reference kernel. int8: fully_connected_int8.c.
 */
#include "cpu_caches.h"
#include "fb_schema.h"
#include "kernels/opt/opt_kernels.h"
#include "ops/ops_int8.h"

/* FullyConnectedOptions, decoded */
typedef struct tl_fc_options {
  int32_t activation; /* TL_ACT_* */
} tl_fc_options;

typedef struct tl_fc_state {
  tl_fc_params p;
  float *packed;   /* tl_fc_f32_opt_packed_floats(p, isa) floats, or NULL: the reference kernel */
  int32_t isa;     /* the GEMM level of packed */
  int32_t invokes; /* evals so far, mod 2 (the panel order alternates) */
  int32_t alternate; /* 1: the panel order alternates between evals (tl_fc_f32_alternate), 0: always ascending */
} tl_fc_state;

static tl_status tl_decode_fully_connected_options(tl_options_reader *r, void *options) {
  tl_fc_options *o = (tl_fc_options *)options;
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_ACT_ACTIVATION, 0);
  return tl_options_check_activation(r, o->activation);
}

TL_OP_ENTRY tl_status tl_prepare_fully_connected(tl_op_ctx *ctx, tl_node *node) {
  const tl_tensor_desc *x, *w, *y;
  tl_fc_params p;
  tl_fc_state *s;
  float *packed = NULL;
  int32_t in, out, k;
  tl_isa isa = TL_ISA_REFERENCE;
  const int32_t act = ((const tl_fc_options *)node->op->options)->activation;
  char sx[96], sw[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 3, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  w = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar");
  in = x->dims[x->rank - 1];
  TL_OP_ENSURE(ctx, w->rank == 2 && w->dims[1] == in, TL_ERROR_BAD_SHAPE, "weight shape %s is not [out, %d] for input %s",
               tl_shape_str(w->dims, w->rank, sw, sizeof sw), in, tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  out = w->dims[0];
  if (node->op->input_count == 3) {
    const tl_tensor_desc *b = tl_op_input(ctx, node, 2);
    TL_OP_ENSURE(ctx, b->rank == 1 && b->dims[0] == out, TL_ERROR_BAD_SHAPE, "bias shape %s is not [%d]",
                 tl_shape_str(b->dims, b->rank, sw, sizeof sw), out);
  }
  {
    int same = y->rank == x->rank && y->dims[y->rank - 1] == out;
    for (k = 0; same && k < x->rank - 1; k++) same = y->dims[k] == x->dims[k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s does not match input %s with %d units",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx), out);
  }
  p.batch = (int32_t)(x->elems / in);
  p.in_depth = in;
  p.out_depth = out;
  p.act = tl_op_activation(act);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_fully_connected_int8(ctx, node, &p, act);
  TL_ENSURE_OK(tl_op_expand_float16(ctx, node));
  s = (tl_fc_state *)tl_op_persistent(ctx, sizeof *s);
  /* constant weights and bias: the packed GEMM at the interpreter's level */
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
      tl_op_constant_or_absent(ctx, node, 2) && in > 0 && out > 0) {
    size_t floats = 0, bytes;
    isa = tl_gemm_level_for((tl_isa)tl_op_opt_isa(ctx), p.batch, p.out_depth);
    floats = tl_fc_f32_opt_packed_floats(&p, isa);
    if (floats > 0 && tl_mul_size(floats, sizeof(float), &bytes)) packed = (float *)tl_op_persistent(ctx, bytes);
    else isa = TL_ISA_REFERENCE;
  }
  if (s == NULL || (isa != TL_ISA_REFERENCE && packed == NULL)) return tl_op_unplaced(ctx);
  s->p = p;
  s->packed = packed;
  s->isa = (int32_t)isa;
  s->invokes = 0;
  s->alternate = 1;
  if (packed != NULL) {
    const tl_cpu_caches caches = tl_cpu_caches_detect(); /* cpuid or sysfs: once per node, at prepare */
    s->alternate = tl_fc_f32_alternate(tl_fc_f32_opt_packed_floats(&p, isa) * sizeof(float), &caches);
    const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
    tl_fc_f32_opt_pack(packed, (const float *)tl_op_input_data(ctx, node, 1), bias, &p, isa);
  }
  node->state = s;
  return TL_OK;
}

/* A float32 FullyConnected split over threads: task t is column chunk t % col_tasks of row block
 * t / col_tasks (tl_gemm_f32_part keeps every output's arithmetic). */
typedef struct tl_fc_job {
  tl_gemm_f32_args g;
  tl_isa isa;
  tl_gemm_split split;
  int32_t descending; /* this invoke walks the panels from the last (see tl_fc_f32_opt_serpentine) */
} tl_fc_job;

static void tl_fc_task(void *arg, int32_t task, int32_t thread) {
  const tl_fc_job *j = (const tl_fc_job *)arg;
  /* a task keeps its panel chunk on every invoke (only the walk inside it alternates): the pool runs task t
   * on the same thread each time when none is late (threadpool.h), so each core keeps rereading its own
   * chunk of the weights from its own cache (the 28x28 CNN's 1600x128 FullyConnected: 410 KB each on 2
   * threads, in a 512 KB L2) instead of the chunk the other core read last time */
  const int32_t col = task % j->split.col_tasks;
  const int32_t row0 = task / j->split.col_tasks * j->split.block_rows;
  const int32_t row1 = j->g.m - row0 < j->split.block_rows ? j->g.m : row0 + j->split.block_rows;
  (void)thread;
  if (!j->descending) {
    tl_gemm_f32_part(&j->g, j->isa, row0, row1, col * j->split.chunk_panels, (col + 1) * j->split.chunk_panels);
    return;
  }
  for (int32_t panel = (col + 1) * j->split.chunk_panels - 1; panel >= col * j->split.chunk_panels; panel--) {
    tl_gemm_f32_part(&j->g, j->isa, row0, row1, panel, panel + 1); /* past the last panel: nothing */
  }
}

static void tl_fc_gemm_args(tl_op_ctx *ctx, tl_node *node, const tl_fc_state *s, tl_gemm_f32_args *g) {
  g->m = s->p.batch;
  g->n = s->p.out_depth;
  g->k = s->p.in_depth;
  g->a = (const float *)tl_op_input_data(ctx, node, 0);
  g->lda = s->p.in_depth;
  g->b_packed = s->packed;
  g->c = (float *)tl_op_output_data(ctx, node, 0);
  g->ldc = s->p.out_depth;
  g->act = s->p.act;
}

static void tl_fc_f32_opt_threaded(tl_op_ctx *ctx, tl_node *node, tl_fc_state *s, int32_t threads) {
  const int32_t nr = tl_gemm_nr((tl_isa)s->isa);
  tl_fc_job j;
  tl_fc_gemm_args(ctx, node, s, &j.g);
  j.isa = (tl_isa)s->isa;
  tl_gemm_split_plan(&j.split, s->p.batch, (s->p.out_depth + nr - 1) / nr, threads, INT32_MAX);
  s->invokes ^= 1;
  j.descending = s->alternate && !s->invokes;
  tl_threadpool_run(ctx->interp->pool, j.split.row_tasks * j.split.col_tasks, tl_fc_task, &j);
}

/* One thread: the weight panels in ascending order on one eval, descending on the next, unless they fit in the
 * L1 data cache (s->alternate, chosen at prepare from the CPU's cache sizes: cpu_caches.h). Every output's
 * arithmetic is the same either way; the order matters for the cache: a model whose weights and activations
 * just exceed a cache level evicts the panels read first, and streaming them in the same order every time would
 * miss on all of them (LRU), while alternating finds the last ones read still there. Weights in L1 stay there
 * either way, and the descending pass's per-panel calls only cost. */
static void tl_fc_f32_opt_serpentine(tl_op_ctx *ctx, tl_node *node, tl_fc_state *s) {
  const tl_isa isa = (tl_isa)s->isa;
  const int32_t nr = tl_gemm_nr(isa), panels = (s->p.out_depth + nr - 1) / nr;
  tl_gemm_f32_args g;
  tl_fc_gemm_args(ctx, node, s, &g);
  s->invokes ^= 1;
  if (!s->alternate || s->invokes || panels == 1) {
    tl_gemm_f32(&g, isa);
    return;
  }
  for (int32_t j = panels - 1; j >= 0; j--) tl_gemm_f32_part(&g, isa, 0, g.m, j, j + 1);
}

TL_OP_ENTRY void tl_eval_fully_connected(tl_op_ctx *ctx, tl_node *node) {
  tl_fc_state *s = (tl_fc_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_fully_connected_int8(ctx, node);
    return;
  }
  if (s->isa != TL_ISA_REFERENCE) {
    const int32_t threads = tl_op_threads(ctx, (int64_t)s->p.batch * s->p.in_depth * s->p.out_depth);
    if (threads > 1) tl_fc_f32_opt_threaded(ctx, node, s, threads);
    else tl_fc_f32_opt_serpentine(ctx, node, s);
    return;
  }
  tl_fc_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
            (const float *)tl_op_input_data(ctx, node, 1),
            node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
}

/* Work: multiply-adds + outputs, x 32 / 16 (float32), 48 / 16 (int8). Measured ns per multiply-add (tl_bench,
 * see interpreter.h), float32 / int8: 1.5 / 2.4 (in 3 out 3, batch 4096; 1 input: 0.46 / 3.1; 2048x1024:
 * 0.10 / 0.05). */
TL_OP_ENTRY uint64_t tl_work_fully_connected(const tl_model *m, const tl_op_desc *op) {
  const tl_tensor_desc *w = op->input_count > 1 ? &m->tensors[op->inputs[1]] : NULL; /* w[out, in] */
  uint64_t per = w != NULL && w->rank >= 1 && w->dims[0] > 0 ? (uint64_t)w->elems / (uint64_t)w->dims[0] : 0;
  return tl_op_work_macs(m, op, per, 32, 48);
}

const tl_op_descriptor tl_op_fully_connected = {
    "FullyConnected", tl_decode_fully_connected_options, TL_OP_FN(FULLY_CONNECTED, tl_prepare_fully_connected),
    TL_OP_FN(FULLY_CONNECTED, tl_eval_fully_connected), TL_OP_FN(FULLY_CONNECTED, tl_work_fully_connected),
    TL_OPT_FULLY_CONNECTED, 1, TL_OP_FLAG_WEIGHTS, sizeof(tl_fc_options)};
