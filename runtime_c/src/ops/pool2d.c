/* pool2d.c: MaxPool2D and AveragePool2D (x[n,h,w,c]) -> y[n,oh,ow,c] (Pool2DOptions, shared). float32 pools run
 * the optimized kernels (kernels/opt/, bit-identical) at the interpreter's level, split by output rows over
 * the threads when large enough; freestanding builds keep the reference AveragePool. int8: pool2d_int8.c.
 */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_AVGPOOL_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_AVGPOOL_OPT 1
#endif

/* Pool2DOptions, decoded (both pools); range-checked at load */
typedef struct tl_pool_options {
  int32_t padding; /* TL_PADDING_* */
  int32_t stride_h, stride_w;
  int32_t filter_h, filter_w;
  int32_t activation; /* TL_ACT_* */
} tl_pool_options;

typedef struct tl_pool_state {
  tl_pool_params p;
  int32_t isa;
} tl_pool_state;

static tl_status tl_decode_pool2d_options(tl_options_reader *r, void *options) {
  tl_pool_options *o = (tl_pool_options *)options; /* r->table 0 (no table): the fields read as their defaults */
  o->padding = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_POOL_PADDING, TL_PADDING_VALID);
  o->stride_h = tl_fb_get_i32(r->fb, r->table, TL_F_POOL_STRIDE_H, 1);
  o->stride_w = tl_fb_get_i32(r->fb, r->table, TL_F_POOL_STRIDE_W, 1);
  o->filter_h = tl_fb_get_i32(r->fb, r->table, TL_F_POOL_FILTER_H, 1);
  o->filter_w = tl_fb_get_i32(r->fb, r->table, TL_F_POOL_FILTER_W, 1);
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_POOL_ACTIVATION, 0);
  TL_ENSURE_OK(tl_options_check_activation(r, o->activation));
  TL_ENSURE_OK(tl_options_check_window(r, o->padding, o->stride_h, o->stride_w));
  TL_ENSURE_OK(tl_options_check_positive(r, "filter_h", o->filter_h));
  return tl_options_check_positive(r, "filter_w", o->filter_w);
}

static tl_status tl_prepare_pool2d(tl_op_ctx *ctx, tl_node *node, int max) {
  const tl_pool_options *o = (const tl_pool_options *)node->op->options;
  const tl_tensor_desc *x, *y;
  tl_pool_params p;
  tl_pool_state *s;
  int32_t oh, ow, pad_top, pad_left, total;
  char sx[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank == 4 && y->rank == 4, TL_ERROR_BAD_SHAPE, "input %s and output %s must have rank 4",
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  TL_ENSURE_OK(tl_op_window(ctx, x->dims[1], o->filter_h, o->stride_h, 1, o->padding, "height", TL_ERROR_BAD_OPTIONS, &oh, &pad_top, &total));
  TL_ENSURE_OK(tl_op_window(ctx, x->dims[2], o->filter_w, o->stride_w, 1, o->padding, "width", TL_ERROR_BAD_OPTIONS, &ow, &pad_left, &total));
  TL_OP_ENSURE(ctx, y->dims[0] == x->dims[0] && y->dims[1] == oh && y->dims[2] == ow && y->dims[3] == x->dims[3],
               TL_ERROR_BAD_SHAPE, "output shape %s differs from the computed [%d, %d, %d, %d]",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), x->dims[0], oh, ow, x->dims[3]);
  p.batch = x->dims[0];
  p.in_h = x->dims[1];
  p.in_w = x->dims[2];
  p.channels = x->dims[3];
  p.out_h = oh;
  p.out_w = ow;
  p.filter_h = o->filter_h;
  p.filter_w = o->filter_w;
  p.stride_h = o->stride_h;
  p.stride_w = o->stride_w;
  p.pad_top = pad_top;
  p.pad_left = pad_left;
  p.act = tl_op_activation(o->activation);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_pool2d_int8(ctx, node, &p, max, o->activation);
  s = (tl_pool_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->isa = max || TL_AVGPOOL_OPT ? ctx->interp->isa : TL_ISA_REFERENCE; /* no memory */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_max_pool2d(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_pool2d(ctx, node, 1); }
TL_OP_ENTRY tl_status tl_prepare_average_pool2d(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_pool2d(ctx, node, 0);
}

#if !defined(TL_FREESTANDING)
/* Threads: a float32 pool splits its output rows (over the batch) into one contiguous block per thread,
 * block u on thread u when none is late (threadpool.h), so each thread reads the rows the op before (split
 * by rows the same way) wrote on its core. Each output is the same max or sum-then-divide whatever the
 * split (bit-identical). Only pools of TL_POOL_THREAD_MIN_ITEMS window items per thread or more are split:
 * a 13x13x32 2x2 MaxPool (21632 items, ~3 us on one AVX2 core) is worth two; 5x5x64 (6400) is not. */
#define TL_POOL_THREAD_MIN_ITEMS 8192
typedef struct tl_pool_job {
  float *y;
  const float *x;
  const tl_pool_params *p;
  tl_isa isa;
  int max;
  int32_t parts, units; /* units: batch * out_h output rows */
} tl_pool_job;

static void tl_pool_task(void *arg, int32_t task, int32_t thread) {
  const tl_pool_job *j = (const tl_pool_job *)arg;
  const tl_pool_params *p = j->p;
  int32_t u0 = (int32_t)((int64_t)j->units * task / j->parts);
  const int32_t u1 = (int32_t)((int64_t)j->units * (task + 1) / j->parts);
  (void)thread;
  while (u0 < u1) { /* image u0 / out_h, rows [oy0, oy1) of it (kernels/geometry.h: a negative pad_top) */
    const int32_t b = u0 / p->out_h, oy0 = u0 % p->out_h;
    const int32_t oy1 = u1 - b * p->out_h < p->out_h ? u1 - b * p->out_h : p->out_h;
    tl_pool_params part = *p;
    float *y = j->y + ((int64_t)b * p->out_h + oy0) * p->out_w * p->channels;
    const float *x = j->x + (int64_t)b * p->in_h * p->in_w * p->channels;
    part.batch = 1;
    part.out_h = oy1 - oy0;
    part.pad_top = p->pad_top - oy0 * p->stride_h;
    if (j->max) {
      tl_max_pool2d_f32_opt(y, x, &part, j->isa);
    } else {
      tl_average_pool2d_f32_opt(y, x, &part, j->isa);
    }
    u0 += oy1 - oy0;
  }
}

/* Runs the optimized pool split over the pool's threads; 0 when it is too small to split (nothing done). */
static int tl_pool_threaded(tl_op_ctx *ctx, tl_node *node, const tl_pool_state *s, int max) {
  const tl_pool_params *p = &s->p;
  const int64_t units = (int64_t)p->batch * p->out_h;
  const int64_t items = units * p->out_w * p->channels * p->filter_h * p->filter_w;
  int64_t threads = tl_threadpool_threads(ctx->interp->pool);
  tl_pool_job j;
  if (threads > items / TL_POOL_THREAD_MIN_ITEMS) threads = items / TL_POOL_THREAD_MIN_ITEMS;
  if (threads > units) threads = units;
  if (threads <= 1 || units > INT32_MAX) return 0;
  j.y = (float *)tl_op_output_data(ctx, node, 0);
  j.x = (const float *)tl_op_input_data(ctx, node, 0);
  j.p = p;
  j.isa = (tl_isa)s->isa;
  j.max = max;
  j.parts = (int32_t)threads;
  j.units = (int32_t)units;
  tl_threadpool_run(ctx->interp->pool, j.parts, tl_pool_task, &j);
  return 1;
}
#else
static int tl_pool_threaded(tl_op_ctx *ctx, tl_node *node, const tl_pool_state *s, int max) {
  (void)ctx;
  (void)node;
  (void)s;
  (void)max;
  return 0;
}
#endif

TL_OP_ENTRY void tl_eval_max_pool2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_pool_state *s = (const tl_pool_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_max_pool2d_int8(ctx, node);
    return;
  }
  if (s->isa != TL_ISA_REFERENCE) {
    if (tl_pool_threaded(ctx, node, s, 1)) return;
    tl_max_pool2d_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                          &s->p, (tl_isa)s->isa);
    return;
  }
  tl_max_pool2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0), &s->p);
}

TL_OP_ENTRY void tl_eval_average_pool2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_pool_state *s = (const tl_pool_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_average_pool2d_int8(ctx, node);
    return;
  }
  if (TL_AVGPOOL_OPT && s->isa != TL_ISA_REFERENCE) {
    if (tl_pool_threaded(ctx, node, s, 0)) return;
    tl_average_pool2d_f32_opt((float *)tl_op_output_data(ctx, node, 0),
                              (const float *)tl_op_input_data(ctx, node, 0), &s->p, (tl_isa)s->isa);
    return;
  }
  tl_average_pool2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                        &s->p);
}

/* Work: output elements x window. Measured ns per item (tl_bench, see interpreter.h), float32 / int8:
 *   MaxPool2D 2.3 / 0.57 (1x512x512x1 input, 48x48 window, and 1x128x128x4, 64x64; float32 with a 35x35
 *     window, 9.8e8 units: 0.68 s): weights 56 / 16;
 *   AveragePool2D 0.78 / 0.89 (same shapes; int8 with a 60x60 window: 0.65 s for 7.4e8 items): 24 / 24.
 * prepare proved the window positive. */
static uint64_t tl_work_pool2d(const tl_model *m, const tl_op_desc *op, uint32_t w_f32, uint32_t w_i8) {
  const int int8 = op->input_count > 0 && m->tensors[op->inputs[0]].dtype == TL_INT8;
  const uint64_t out = op->output_count > 0 ? (uint64_t)m->tensors[op->outputs[0]].elems : 0;
  const tl_pool_options *o = (const tl_pool_options *)op->options;
  return tl_op_work_units(tl_work_mul(out, tl_work_mul((uint64_t)(uint32_t)o->filter_h,
                                                       (uint64_t)(uint32_t)o->filter_w)),
                          int8 ? w_i8 : w_f32);
}
TL_OP_ENTRY uint64_t tl_work_max_pool2d(const tl_model *m, const tl_op_desc *op) {
  return tl_work_pool2d(m, op, 56, 16);
}
TL_OP_ENTRY uint64_t tl_work_average_pool2d(const tl_model *m, const tl_op_desc *op) {
  return tl_work_pool2d(m, op, 24, 24);
}

const tl_op_descriptor tl_op_max_pool2d = {
    "MaxPool2D", tl_decode_pool2d_options, TL_OP_FN(MAX_POOL2D, tl_prepare_max_pool2d),
    TL_OP_FN(MAX_POOL2D, tl_eval_max_pool2d), TL_OP_FN(MAX_POOL2D, tl_work_max_pool2d), TL_OPT_POOL2D, 1, 0,
    sizeof(tl_pool_options)};
const tl_op_descriptor tl_op_average_pool2d = {
    "AveragePool2D", tl_decode_pool2d_options, TL_OP_FN(AVERAGE_POOL2D, tl_prepare_average_pool2d),
    TL_OP_FN(AVERAGE_POOL2D, tl_eval_average_pool2d), TL_OP_FN(AVERAGE_POOL2D, tl_work_average_pool2d),
    TL_OPT_POOL2D, 1, 0, sizeof(tl_pool_options)};
