/* softmax.c: Softmax over the last axis (SoftmaxOptions.beta). float32 runs the optimized kernel
 * (kernels/opt/softmax_opt.c: the reference's bits but where an exponential rounds the other way) at the
 * interpreter's level, its rows split over the pool's threads from 8192 elements, the reference kernel at the
 * reference level; int8: softmax_int8.c. */
#include <math.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_SOFTMAX_OPT 0 /* microcontrollers: the reference kernel (the optimized ones are not linked) */
#else
#define TL_SOFTMAX_OPT 1
#endif

typedef struct tl_softmax_state {
  tl_softmax_params p;
  int32_t isa; /* float32: the optimized kernel's level (TL_ISA_REFERENCE: the reference) */
} tl_softmax_state;

/* SoftmaxOptions, decoded */
typedef struct tl_softmax_options {
  float beta; /* finite, > 0 */
} tl_softmax_options;

static tl_status tl_decode_softmax_options(tl_options_reader *r, void *options) {
  tl_softmax_options *o = (tl_softmax_options *)options;
  o->beta = tl_fb_get_f32(r->fb, r->table, TL_F_SOFTMAX_BETA, 1.0f);
  TL_ENSURE(r->err, isfinite(o->beta) && o->beta > 0.0f, TL_ERROR_BAD_OPTIONS, "op %d (%s): beta is %g", r->op,
            r->name, (double)o->beta);
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_softmax(tl_op_ctx *ctx, tl_node *node) {
  const tl_tensor_desc *x;
  tl_softmax_params p;
  tl_softmax_state *s;
  float beta = ((const tl_softmax_options *)node->op->options)->beta;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, tl_op_output(ctx, node, 0), "output", x, "input"));
  TL_OP_ENSURE(ctx, x->rank >= 1, TL_ERROR_BAD_SHAPE, "input is a scalar (softmax needs an axis)");
  TL_OP_ENSURE(ctx, beta > 0.0f && beta <= 3.4e38f, TL_ERROR_BAD_OPTIONS, "beta is %g", (double)beta);
  p.depth = x->dims[x->rank - 1];
  p.outer = x->elems / p.depth;
  p.beta = beta;
  if (tl_op_is_int8(ctx, node)) return tl_prepare_softmax_int8(ctx, node, &p);
  s = (tl_softmax_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->isa = TL_SOFTMAX_OPT ? ctx->interp->isa : TL_ISA_REFERENCE;
  node->state = s;
  return TL_OK;
}

#if TL_SOFTMAX_OPT
/* float32 rows split over threads: task t runs rows [t rows_per_task, (t + 1) rows_per_task) (a multiple of 8,
 * the kernels' row group; each row's bits do not depend on the split) */
typedef struct tl_softmax_job {
  float *y;
  const float *x;
  const tl_softmax_state *s;
  int64_t rows_per_task;
} tl_softmax_job;

static void tl_softmax_task(void *arg, int32_t task, int32_t thread) {
  const tl_softmax_job *j = (const tl_softmax_job *)arg;
  const int64_t r0 = (int64_t)task * j->rows_per_task, depth = j->s->p.depth;
  tl_softmax_params p = j->s->p;
  (void)thread;
  if (r0 >= p.outer) return;
  p.outer = p.outer - r0 < j->rows_per_task ? p.outer - r0 : j->rows_per_task;
  tl_softmax_f32_opt(j->y + r0 * depth, j->x + r0 * depth, &p, (tl_isa)j->s->isa);
}

/* A float32 element costs about as much as 8 multiply-adds of a GEMM (tl_op_threads' unit): the attention's
 * [4, 32, 32] (4096 elements, a few microseconds) stays on one thread; from 8192 elements (and 16 rows) the
 * rows split. */
#define TL_SOFTMAX_ELEM_MACS 8

/* The optimized kernel on the rows, split over the pool's threads when there is enough work. */
static void tl_softmax_opt_run(tl_op_ctx *ctx, float *y, const float *x, const tl_softmax_state *s) {
  const int32_t threads = tl_op_threads(ctx, s->p.outer * s->p.depth * TL_SOFTMAX_ELEM_MACS);
  if (threads > 1 && s->p.outer >= 16) {
    tl_softmax_job j;
    j.y = y, j.x = x, j.s = s;
    j.rows_per_task = (s->p.outer + threads - 1) / threads;
    j.rows_per_task = (j.rows_per_task + 7) / 8 * 8;
    tl_threadpool_run(ctx->interp->pool, (int32_t)((s->p.outer + j.rows_per_task - 1) / j.rows_per_task),
                      tl_softmax_task, &j);
    return;
  }
  tl_softmax_f32_opt(y, x, &s->p, (tl_isa)s->isa);
}
#endif

TL_OP_ENTRY void tl_eval_softmax(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_softmax_int8(ctx, node);
    return;
  }
  const tl_softmax_state *s = (const tl_softmax_state *)node->state;
  float *y = (float *)tl_op_output_data(ctx, node, 0);
  const float *x = (const float *)tl_op_input_data(ctx, node, 0);
#if TL_SOFTMAX_OPT
  if (s->isa != TL_ISA_REFERENCE) {
    tl_softmax_opt_run(ctx, y, x, s);
    return;
  }
#endif
  tl_softmax_f32(y, x, &s->p);
}

/* Work: input elements x 256 / 16 (float32), 768 / 16 (int8). Measured ns per input element (tl_bench, see
 * interpreter.h), float32 / int8: 12.8 / 34 (rows of 2; rows of 1024: 7.7 / 6.4). */
TL_OP_ENTRY uint64_t tl_work_softmax(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_inputs(m, op, 256, 768);
}

const tl_op_descriptor tl_op_softmax = {"Softmax", tl_decode_softmax_options, TL_OP_FN(SOFTMAX, tl_prepare_softmax),
                                        TL_OP_FN(SOFTMAX, tl_eval_softmax), TL_OP_FN(SOFTMAX, tl_work_softmax),
                                        TL_OPT_SOFTMAX, 1, 0, sizeof(tl_softmax_options)};
