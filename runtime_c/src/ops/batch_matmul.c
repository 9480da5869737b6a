/* batch_matmul.c: BatchMatMul (a[..., m, k], b[..., k, n]) -> y[..., m, n] (BatchMatMulOptions: adj_x reads a
 * as [..., k, m], adj_y b as [..., n, k]), ranks 2 to 4, the batch dimensions broadcast (numpy's rule), float32
 * and int8.
 *
 * prepare: both inputs rank 2..4, equal inner dimensions, the output's shape the broadcast batch dims then
 * [m, n]; the batch dims are right-aligned to 3 with an element stride each (0 where an input's dim is 1).
 * float32 at an optimized level: each batch's b is packed into GEMM panels in the scratch (one block per pool
 * thread, batches split over the threads; kernels/opt/batch_matmul_opt.c); the reference kernel otherwise.
 * int8: TFLite's reference BATCH_MATMUL: per-tensor inputs and output, one multiplier
 * (double)(float)(s_a s_b) / s_out (kernels/batch_matmul.h); at an optimized level each batch's B packed into
 * the int8 GEMM's panels in the scratch, its tiles and both zero points' corrections (kernels/opt/
 * batch_matmul_int8_opt.c: the reference's bytes), batches split over the threads as in float32.
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/batch_matmul.h"
#include "kernels/opt/int8_gemm_ops.h"
#include "kernels/opt/opt_kernels.h"
#include "ops/ops_int8.h"

/* BatchMatMulOptions, decoded */
typedef struct tl_batch_matmul_options {
  int32_t adj_x, adj_y;
} tl_batch_matmul_options;

typedef struct tl_batch_matmul_state {
  tl_batch_matmul_int8_params q; /* q.geom: the geometry (float32 too) */
  int32_t isa;                   /* the level (float32: of the GEMM); TL_ISA_REFERENCE: the reference kernel */
  int32_t level;                 /* int8 at a level: the tl_i8_level */
  int32_t scratch;               /* at a level: scratch index (per thread: scratch_floats, int8 scratch_bytes), -1: none */
  size_t scratch_floats, scratch_bytes;
} tl_batch_matmul_state;

static tl_status tl_decode_batch_matmul_options(tl_options_reader *r, void *options) {
  tl_batch_matmul_options *o = (tl_batch_matmul_options *)options;
  o->adj_x = tl_fb_get_u8(r->fb, r->table, TL_F_BATCHMATMUL_ADJ_X, 0) != 0;
  o->adj_y = tl_fb_get_u8(r->fb, r->table, TL_F_BATCHMATMUL_ADJ_Y, 0) != 0;
  return TL_OK;
}

/* The geometry of a, b and y (shapes as the file comment says). */
static tl_status tl_batch_matmul_geometry(tl_op_ctx *ctx, tl_node *node, tl_batch_matmul_params *p) {
  const tl_batch_matmul_options *o = (const tl_batch_matmul_options *)node->op->options;
  const tl_tensor_desc *a = tl_op_input(ctx, node, 0), *b = tl_op_input(ctx, node, 1), *y = tl_op_output(ctx, node, 0);
  int32_t k2, rank;
  int64_t a_size, b_size;
  char sa[96], sb[96], sy[96];
  TL_OP_ENSURE(ctx, a->rank >= 2 && a->rank <= 4 && b->rank >= 2 && b->rank <= 4, TL_ERROR_BAD_SHAPE,
               "input shapes %s and %s: ranks must be 2 to 4", tl_shape_str(a->dims, a->rank, sa, sizeof sa),
               tl_shape_str(b->dims, b->rank, sb, sizeof sb));
  p->adj_x = o->adj_x;
  p->adj_y = o->adj_y;
  p->m = a->dims[a->rank - (o->adj_x ? 1 : 2)];
  p->k = a->dims[a->rank - (o->adj_x ? 2 : 1)];
  k2 = b->dims[b->rank - (o->adj_y ? 1 : 2)];
  p->n = b->dims[b->rank - (o->adj_y ? 2 : 1)];
  TL_OP_ENSURE(ctx, p->k == k2, TL_ERROR_BAD_SHAPE, "inner dimensions differ: %s and %s (adj_x %d, adj_y %d)",
               tl_shape_str(a->dims, a->rank, sa, sizeof sa), tl_shape_str(b->dims, b->rank, sb, sizeof sb),
               o->adj_x, o->adj_y);
  rank = a->rank > b->rank ? a->rank : b->rank;
  TL_OP_ENSURE(ctx, y->rank == rank && y->dims[rank - 2] == p->m && y->dims[rank - 1] == p->n, TL_ERROR_BAD_SHAPE,
               "output shape %s is not [..., %d, %d] of rank %d", tl_shape_str(y->dims, y->rank, sy, sizeof sy), p->m,
               p->n, rank);
  a_size = (int64_t)p->m * p->k;
  b_size = (int64_t)p->k * p->n;
  for (int32_t d = 2; d >= 0; d--) { /* batch dim d of 3, right-aligned: input dim (rank - 2) - (3 - d) */
    const int32_t ia = a->rank - 5 + d, ib = b->rank - 5 + d, iy = rank - 5 + d;
    const int32_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1, dy = iy >= 0 ? y->dims[iy] : 1;
    TL_OP_ENSURE(ctx, (da == db || da == 1 || db == 1) && dy == (da > db ? da : db), TL_ERROR_BAD_SHAPE,
                 "batch dimensions of %s and %s do not broadcast to the output %s",
                 tl_shape_str(a->dims, a->rank, sa, sizeof sa), tl_shape_str(b->dims, b->rank, sb, sizeof sb),
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy));
    p->batch[d] = dy;
    p->a_stride[d] = da == 1 ? 0 : a_size;
    p->b_stride[d] = db == 1 ? 0 : b_size;
    a_size *= da;
    b_size *= db;
  }
  return TL_OK;
}

static tl_status tl_prepare_batch_matmul_int8(tl_op_ctx *ctx, tl_node *node, tl_batch_matmul_int8_params *q) {
  float sa, sb, so;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input 0", &sa, &q->a_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "input 1", &sb, &q->b_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &q->out_zp));
  return tl_op_multiplier(ctx, (double)(sa * sb) / (double)so, -31, 30,
                          "input 0 scale x input 1 scale / output scale", &q->multiplier, &q->shift);
}

TL_OP_ENTRY tl_status tl_prepare_batch_matmul(tl_op_ctx *ctx, tl_node *node) {
  tl_batch_matmul_state st, *s;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 2, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  memset(&st, 0, sizeof st);
  TL_ENSURE_OK(tl_batch_matmul_geometry(ctx, node, &st.q.geom));
  st.isa = TL_ISA_REFERENCE;
  st.scratch = -1;
  if (tl_op_is_int8(ctx, node)) {
    TL_ENSURE_OK(tl_prepare_batch_matmul_int8(ctx, node, &st.q));
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel, as Conv2D */
    if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_batch_matmul_int8_opt_ok(&st.q.geom)) {
      const tl_cpu_features f = tl_cpu_features_detect();
      const size_t threads = (size_t)tl_threadpool_threads(ctx->interp->pool); /* one scratch block each */
      st.scratch_bytes = tl_batch_matmul_int8_opt_scratch_bytes(&st.q.geom);
      TL_OP_ENSURE(ctx, st.scratch_bytes <= SIZE_MAX / threads, TL_ERROR_LIMIT_EXCEEDED, "scratch overflows");
      TL_ENSURE_OK(tl_op_request_scratch(ctx, st.scratch_bytes * threads, &st.scratch));
      st.level = (int32_t)tl_i8_level_for((tl_isa)tl_op_opt_isa(ctx), &f);
      st.isa = tl_op_opt_isa(ctx);
    }
#endif
  } else if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE) {
    const tl_isa isa = tl_gemm_level_for((tl_isa)tl_op_opt_isa(ctx), st.q.geom.m, st.q.geom.n);
    const size_t threads = (size_t)tl_threadpool_threads(ctx->interp->pool); /* one scratch block each */
    const size_t floats = tl_batch_matmul_f32_opt_scratch_floats(&st.q.geom);
    size_t bytes;
    if (tl_mul_size(floats, threads * sizeof(float), &bytes)) {
      TL_ENSURE_OK(tl_op_request_scratch(ctx, bytes, &st.scratch));
      st.isa = (int32_t)isa;
      st.scratch_floats = floats;
    }
  }
  s = (tl_batch_matmul_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = st;
  node->state = s;
  return TL_OK;
}

/* float32 batches split over threads: task t runs batch t with the scratch block of its thread. */
typedef struct tl_batch_matmul_job {
  float *y;
  const float *a, *b;
  float *scratch;
  int8_t *y8, *scratch8; /* int8: y8 non-NULL */
  const int8_t *a8, *b8;
  const tl_batch_matmul_state *s;
} tl_batch_matmul_job;

static void tl_batch_matmul_task(void *arg, int32_t task, int32_t thread) {
  const tl_batch_matmul_job *j = (const tl_batch_matmul_job *)arg;
  if (j->y8 != NULL) {
    tl_batch_matmul_int8_opt_batch(j->y8, j->a8, j->b8, j->scratch8 + (size_t)thread * j->s->scratch_bytes, &j->s->q,
                                   (tl_i8_level)j->s->level, task);
    return;
  }
  tl_batch_matmul_f32_opt_batch(j->y, j->a, j->b, j->scratch + (size_t)thread * j->s->scratch_floats, &j->s->q.geom,
                                (tl_isa)j->s->isa, task);
}

TL_OP_ENTRY void tl_eval_batch_matmul(tl_op_ctx *ctx, tl_node *node) {
  const tl_batch_matmul_state *s = (const tl_batch_matmul_state *)node->state;
  const tl_batch_matmul_params *p = &s->q.geom;
  const int64_t batches = (int64_t)p->batch[0] * p->batch[1] * p->batch[2];
  tl_batch_matmul_job j;
  j.s = s;
  j.y8 = NULL;
  if (tl_op_is_int8(ctx, node)) {
    j.y8 = (int8_t *)tl_op_output_data(ctx, node, 0);
    j.a8 = (const int8_t *)tl_op_input_data(ctx, node, 0);
    j.b8 = (const int8_t *)tl_op_input_data(ctx, node, 1);
    if (s->isa == TL_ISA_REFERENCE) {
      tl_batch_matmul_int8(j.y8, j.a8, j.b8, &s->q);
      return;
    }
    j.scratch8 = (int8_t *)tl_op_scratch(node, s->scratch);
    if (batches > 1 && tl_op_threads(ctx, batches * p->m * p->n * p->k) > 1) {
      tl_threadpool_run(ctx->interp->pool, (int32_t)batches, tl_batch_matmul_task, &j);
      return;
    }
    for (int64_t index = 0; index < batches; index++)
      tl_batch_matmul_int8_opt_batch(j.y8, j.a8, j.b8, j.scratch8, &s->q, (tl_i8_level)s->level, index);
    return;
  }
  j.y = (float *)tl_op_output_data(ctx, node, 0);
  j.a = (const float *)tl_op_input_data(ctx, node, 0);
  j.b = (const float *)tl_op_input_data(ctx, node, 1);
  if (s->isa == TL_ISA_REFERENCE) {
    tl_batch_matmul_f32(j.y, j.a, j.b, p);
    return;
  }
  j.scratch = (float *)tl_op_scratch(node, s->scratch);
  if (batches > 1 && tl_op_threads(ctx, batches * p->m * p->n * p->k) > 1) {
    tl_threadpool_run(ctx->interp->pool, (int32_t)batches, tl_batch_matmul_task, &j);
    return;
  }
  tl_batch_matmul_f32_opt(j.y, j.a, j.b, j.scratch, p, (tl_isa)s->isa);
}

/* Work: multiply-adds + outputs, x 32 / 16 (float32), 48 / 16 (int8): FullyConnected's weights (the same
 * GEMM in float32; the int8 reference kernel's inner loop is FullyConnected's reference dot product with a
 * second zero point). */
TL_OP_ENTRY uint64_t tl_work_batch_matmul(const tl_model *m, const tl_op_desc *op) {
  const tl_batch_matmul_options *o = (const tl_batch_matmul_options *)op->options;
  const tl_tensor_desc *a = op->input_count > 0 ? &m->tensors[op->inputs[0]] : NULL;
  const uint64_t k = a != NULL && a->rank >= 2 ? (uint64_t)a->dims[a->rank - (o->adj_x ? 2 : 1)] : 0;
  return tl_op_work_macs(m, op, k, 32, 48);
}

const tl_op_descriptor tl_op_batch_mat_mul = {
    "BatchMatMul", tl_decode_batch_matmul_options, TL_OP_FN(BATCH_MAT_MUL, tl_prepare_batch_matmul),
    TL_OP_FN(BATCH_MAT_MUL, tl_eval_batch_matmul), TL_OP_FN(BATCH_MAT_MUL, tl_work_batch_matmul),
    TL_OPT_BATCH_MAT_MUL, 1, 0, sizeof(tl_batch_matmul_options)};
