/* fully_connected.c: FullyConnected (x[..., in], w[out, in], bias[out]?) -> y[..., out]. */
#include "fb_schema.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"
#include "ops/opt_glue.h"
#include "kernels/opt/opt_kernels.h"

tl_status tl_prepare_fc(tl_op_ctx *ctx, tl_node *node) {
  const tl_tensor_desc *x, *w, *y;
  tl_fc_params *p = &node->params.fc;
  int32_t in, out, k;
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
  p->batch = (int32_t)(x->elems / in);
  p->in_depth = in;
  p->out_depth = out;
  p->act = tl_op_activation(node->op->opts.activation);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_fc_int8(ctx, node);
  tl_op_opt_prepare_fc(ctx, node); /* packs the weights when the optimized kernel applies */
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
  const int32_t col = j->descending ? j->split.col_tasks - 1 - task % j->split.col_tasks : task % j->split.col_tasks;
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

static void tl_fc_f32_opt_threaded(tl_op_ctx *ctx, tl_node *node, int32_t threads) {
  const tl_fc_params *p = &node->params.fc;
  const int32_t nr = tl_gemm_nr((tl_isa)node->opt_isa);
  tl_fc_job j;
  j.g.m = p->batch;
  j.g.n = p->out_depth;
  j.g.k = p->in_depth;
  j.g.a = (const float *)tl_op_input_data(ctx, node, 0);
  j.g.lda = p->in_depth;
  j.g.b_packed = (const float *)node->opt;
  j.g.c = (float *)tl_op_output_data(ctx, node, 0);
  j.g.ldc = p->out_depth;
  j.g.act = p->act;
  j.isa = (tl_isa)node->opt_isa;
  tl_gemm_split_plan(&j.split, p->batch, (p->out_depth + nr - 1) / nr, threads, INT32_MAX);
  node->invokes ^= 1;
  j.descending = !node->invokes; /* tasks are taken in order: a thread left alone alternates too */
  tl_threadpool_run(ctx->interp->pool, j.split.row_tasks * j.split.col_tasks, tl_fc_task, &j);
}

/* One thread: the weight panels in ascending order on one eval, descending on the next. Every output's
 * arithmetic is the same either way; the order matters for the cache: a model whose weights and activations
 * just exceed L2 evicts the panels read first, and streaming them in the same order every time would
 * miss on all of them (LRU), while alternating finds the last ones read still there. */
static void tl_fc_f32_opt_serpentine(tl_op_ctx *ctx, tl_node *node) {
  const tl_fc_params *p = &node->params.fc;
  const tl_isa isa = (tl_isa)node->opt_isa;
  const int32_t nr = tl_gemm_nr(isa), panels = (p->out_depth + nr - 1) / nr;
  tl_gemm_f32_args g;
  g.m = p->batch;
  g.n = p->out_depth;
  g.k = p->in_depth;
  g.a = (const float *)tl_op_input_data(ctx, node, 0);
  g.lda = p->in_depth;
  g.b_packed = (const float *)node->opt;
  g.c = (float *)tl_op_output_data(ctx, node, 0);
  g.ldc = p->out_depth;
  g.act = p->act;
  node->invokes ^= 1;
  if (node->invokes || panels == 1) {
    tl_gemm_f32(&g, isa);
    return;
  }
  for (int32_t j = panels - 1; j >= 0; j--) tl_gemm_f32_part(&g, isa, 0, g.m, j, j + 1);
}

void tl_eval_fc(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_fc_int8(ctx, node);
    return;
  }
  if (node->opt_isa != TL_ISA_REFERENCE) {
    const tl_fc_params *p = &node->params.fc;
    const int32_t threads = tl_op_threads(ctx, (int64_t)p->batch * p->in_depth * p->out_depth);
    if (threads > 1) {
      tl_fc_f32_opt_threaded(ctx, node, threads);
      return;
    }
    tl_fc_f32_opt_serpentine(ctx, node);
    return;
    tl_fc_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                  (const float *)node->opt, &node->params.fc, (tl_isa)node->opt_isa);
    return;
  }
  const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
  tl_fc_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
            (const float *)tl_op_input_data(ctx, node, 1), bias, &node->params.fc);
}
