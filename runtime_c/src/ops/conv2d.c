/* conv2d.c: Conv2D (x[n,h,w,c], w[oc,kh,kw,c], bias[oc]?) -> y[n,oh,ow,oc] (Conv2DOptions), and the geometry
 * it shares with DepthwiseConv2D (tl_op_conv_geometry).
 *
 * prepare checks ranks, channel counts, bias length, strides/dilations (tl_op_window) and that the file's
 * output dims equal the computed ones, then fills tl_conv_params. float32 with constant weights (float32, or
 * float16 expanded at prepare) runs the optimized kernels (kernels/opt/opt_kernels.h) on weights packed once
 * at prepare into the op's per-node memory; its im2col blocks (one per thread) are scratch in the arena
 * (tl_op_request_scratch). int8: conv2d_int8.c.
 */

#include "fb_schema.h"
#include "kernels/opt/conv_winograd.h"
#include "kernels/opt/opt_kernels.h"
#include "ops/conv_options.h"
#include "ops/ops_int8.h"

typedef struct tl_conv2d_state {
  tl_conv_params p;
  float *packed;          /* tl_conv2d_f32_opt_packed_floats, or NULL: the reference kernel */
  int32_t isa;            /* the GEMM level of packed */
  int32_t scratch;        /* scratch index of the im2col blocks (one per thread), -1: none (pointwise) */
  int32_t winograd;       /* 1: packed is Winograd F(2x2, 3x3)'s (kernels/opt/conv_winograd.h), then its
                           * per-thread buffers (per-node memory: the arena stays the one trainer/tlm/planner.py
                           * mirrors on every CPU, scratch unused) */
} tl_conv2d_state;

static tl_status tl_decode_conv2d_options(tl_options_reader *r, void *options) {
  tl_conv_options *o = (tl_conv_options *)options;
  o->depth_multiplier = 1; /* r->table 0 (no table): the fields read as their defaults */
  o->padding = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_CONV_PADDING, TL_PADDING_SAME);
  o->stride_h = tl_fb_get_i32(r->fb, r->table, TL_F_CONV_STRIDE_H, 1);
  o->stride_w = tl_fb_get_i32(r->fb, r->table, TL_F_CONV_STRIDE_W, 1);
  o->dilation_h = tl_fb_get_i32(r->fb, r->table, TL_F_CONV_DILATION_H, 1);
  o->dilation_w = tl_fb_get_i32(r->fb, r->table, TL_F_CONV_DILATION_W, 1);
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_CONV_ACTIVATION, 0);
  TL_ENSURE_OK(tl_options_check_activation(r, o->activation));
  TL_ENSURE_OK(tl_options_check_window(r, o->padding, o->stride_h, o->stride_w));
  TL_ENSURE_OK(tl_options_check_positive(r, "dilation_h", o->dilation_h));
  return tl_options_check_positive(r, "dilation_w", o->dilation_w);
}

tl_status tl_op_conv_geometry(tl_op_ctx *ctx, tl_node *node, int depthwise, tl_conv_params *p) {
  const tl_conv_options *o = (const tl_conv_options *)node->op->options;
  const tl_tensor_desc *x, *w, *y;
  int32_t oh, ow, pad_top, pad_left, total, oc;
  char sx[96], sw[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 3, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  x = tl_op_input(ctx, node, 0);
  w = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->rank == 4 && w->rank == 4 && y->rank == 4, TL_ERROR_BAD_SHAPE,
               "input %s, weights %s and output %s must all have rank 4", tl_shape_str(x->dims, x->rank, sx, sizeof sx),
               tl_shape_str(w->dims, w->rank, sw, sizeof sw), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  if (depthwise) {
    int64_t want = (int64_t)x->dims[3] * o->depth_multiplier;
    TL_OP_ENSURE(ctx, w->dims[0] == 1 && (int64_t)w->dims[3] == want, TL_ERROR_BAD_SHAPE,
                 "weights %s are not [1, kh, kw, %lld] for input %s and depth_multiplier %d",
                 tl_shape_str(w->dims, w->rank, sw, sizeof sw), (long long)want,
                 tl_shape_str(x->dims, x->rank, sx, sizeof sx), o->depth_multiplier);
    oc = w->dims[3];
  } else {
    TL_OP_ENSURE(ctx, w->dims[3] == x->dims[3], TL_ERROR_BAD_SHAPE, "weights %s do not match the %d input channels of %s",
                 tl_shape_str(w->dims, w->rank, sw, sizeof sw), x->dims[3], tl_shape_str(x->dims, x->rank, sx, sizeof sx));
    oc = w->dims[0];
  }
  if (node->op->input_count == 3) {
    const tl_tensor_desc *b = tl_op_input(ctx, node, 2);
    TL_OP_ENSURE(ctx, b->rank == 1 && b->dims[0] == oc, TL_ERROR_BAD_SHAPE, "bias shape %s is not [%d]",
                 tl_shape_str(b->dims, b->rank, sw, sizeof sw), oc);
  }
  TL_ENSURE_OK(tl_op_window(ctx, x->dims[1], w->dims[1], o->stride_h, o->dilation_h, o->padding, "height", TL_ERROR_BAD_SHAPE, &oh,
                            &pad_top, &total));
  TL_ENSURE_OK(tl_op_window(ctx, x->dims[2], w->dims[2], o->stride_w, o->dilation_w, o->padding, "width", TL_ERROR_BAD_SHAPE, &ow,
                            &pad_left, &total));
  TL_OP_ENSURE(ctx, y->dims[0] == x->dims[0] && y->dims[1] == oh && y->dims[2] == ow && y->dims[3] == oc,
               TL_ERROR_BAD_SHAPE, "output shape %s differs from the computed [%d, %d, %d, %d]",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), x->dims[0], oh, ow, oc);
  p->batch = x->dims[0];
  p->in_h = x->dims[1];
  p->in_w = x->dims[2];
  p->in_c = x->dims[3];
  p->out_h = oh;
  p->out_w = ow;
  p->out_c = oc;
  p->k_h = w->dims[1];
  p->k_w = w->dims[2];
  p->stride_h = o->stride_h;
  p->stride_w = o->stride_w;
  p->dilation_h = o->dilation_h;
  p->dilation_w = o->dilation_w;
  p->pad_top = pad_top;
  p->pad_left = pad_left;
  p->depth_multiplier = depthwise ? o->depth_multiplier : 1;
  p->act = tl_op_activation(o->activation);
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_conv2d(tl_op_ctx *ctx, tl_node *node) {
  tl_conv_params p;
  tl_conv2d_state *s;
  float *packed = NULL;
  tl_isa isa = TL_ISA_REFERENCE;
  int32_t scratch = -1, winograd = 0;
  TL_ENSURE_OK(tl_op_conv_geometry(ctx, node, 0, &p));
  if (tl_op_is_int8(ctx, node)) {
    return tl_prepare_conv2d_int8(ctx, node, &p, ((const tl_conv_options *)node->op->options)->activation);
  }
  TL_ENSURE_OK(tl_op_expand_float16(ctx, node));
  s = (tl_conv2d_state *)tl_op_persistent(ctx, sizeof *s);
  /* constant weights and bias: packed weights, and im2col scratch unless pointwise */
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
      tl_op_constant_or_absent(ctx, node, 2) && (int64_t)p.k_h * p.k_w * p.in_c < INT32_MAX) {
    const size_t threads = (size_t)tl_threadpool_threads(ctx->interp->pool); /* one scratch block each */
    size_t floats, bytes, sbytes = 0;
    isa = tl_gemm_level_for((tl_isa)tl_op_opt_isa(ctx), (int64_t)p.batch * p.out_h * p.out_w, p.out_c);
    winograd = tl_conv_winograd_selected(&p, isa);
    floats = winograd ? tl_conv_winograd_packed_floats(&p, isa) : tl_conv2d_f32_opt_packed_floats(&p, isa);
    /* im2col blocks: at least TL_CONV_MIN_BLOCK_ROWS rows, more where the arena has room */
    const size_t least = tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_MIN_BLOCK_ROWS);
    size_t most_bytes = 0;
    if (winograd) {
      /* packed weights, then a block of tiles per thread (floats is a multiple of 16); and the im2col block it
       * does not use, planned as on the other levels so the arena is the one trainer/tlm/planner.py writes */
      size_t wbytes = 0;
      if (tl_mul_size(tl_conv_winograd_scratch_floats(&p), threads * sizeof(float), &wbytes) &&
          tl_mul_size(floats, sizeof(float), &bytes) && bytes <= SIZE_MAX - wbytes &&
          tl_mul_size(least, threads * sizeof(float), &sbytes)) {
        packed = (float *)tl_op_persistent(ctx, bytes + wbytes);
        if (sbytes > 0) TL_ENSURE_OK(tl_op_request_scratch(ctx, sbytes, &scratch));
      } else {
        isa = TL_ISA_REFERENCE;
        winograd = 0;
      }
    } else if (floats > 0 && tl_mul_size(floats, sizeof(float), &bytes) &&
        tl_mul_size(least, threads * sizeof(float), &sbytes) &&
        tl_mul_size(tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_BLOCK_ROWS), threads * sizeof(float), &most_bytes)) {
      packed = (float *)tl_op_persistent(ctx, bytes);
      if (sbytes > 0) TL_ENSURE_OK(tl_op_request_scratch_range(ctx, sbytes, most_bytes, &scratch));
    } else {
      isa = TL_ISA_REFERENCE;
    }
  }
  if (s == NULL || (isa != TL_ISA_REFERENCE && packed == NULL)) return tl_op_unplaced(ctx);
  s->p = p;
  s->packed = packed;
  s->isa = (int32_t)isa;
  s->scratch = scratch;
  s->winograd = winograd;
  if (packed != NULL) {
    const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
    if (winograd) {
      tl_conv_winograd_pack(packed, (const float *)tl_op_input_data(ctx, node, 1), bias, &p, isa);
    } else {
      tl_conv2d_f32_opt_pack(packed, (const float *)tl_op_input_data(ctx, node, 1), bias, &p, isa);
    }
  }
  node->state = s;
  return TL_OK;
}

/* A float32 Conv2D split over threads (tl_conv2d_f32_opt_part): task t is column chunk t % col_tasks of row
 * block (t / col_tasks) % row_tasks of image t / (col_tasks * row_tasks) (pointwise: one "image" of all
 * batch * out_h * out_w rows). */
typedef struct tl_conv_job {
  float *y;
  const float *x;
  const float *packed;
  float *scratch;        /* per thread: scratch_floats each */
  size_t scratch_floats;
  const tl_conv_params *p;
  tl_isa isa;
  int64_t rows;          /* per image (pointwise: in all) */
  tl_gemm_split split;
} tl_conv_job;

static void tl_conv_task(void *arg, int32_t task, int32_t thread) {
  const tl_conv_job *j = (const tl_conv_job *)arg;
  const int32_t col = task % j->split.col_tasks;
  const int32_t rest = task / j->split.col_tasks;
  const int64_t row0 = (int64_t)(rest % j->split.row_tasks) * j->split.block_rows;
  const int64_t rows = j->rows - row0 < j->split.block_rows ? j->rows - row0 : j->split.block_rows;
  tl_conv2d_f32_opt_part(j->y, j->x, j->packed, j->scratch ? j->scratch + (size_t)thread * j->scratch_floats : NULL,
                         j->p, j->isa, rest / j->split.row_tasks, row0, rows, col * j->split.chunk_panels,
                         (col + 1) * j->split.chunk_panels);
}

static void tl_conv2d_f32_opt_threaded(tl_op_ctx *ctx, tl_node *node, const tl_conv2d_state *s, float *scratch,
                                       size_t scratch_floats, int32_t threads) {
  const tl_conv_params *p = &s->p;
  const int pointwise = tl_conv2d_f32_opt_is_pointwise(p);
  const int32_t nr = tl_gemm_nr((tl_isa)s->isa);
  const int32_t images = pointwise ? 1 : p->batch, panels = (p->out_c + nr - 1) / nr;
  const int whole_rows = !pointwise && !tl_conv2d_f32_opt_is_direct(p, (tl_isa)s->isa);
  tl_conv_job j;
  j.y = (float *)tl_op_output_data(ctx, node, 0);
  j.x = (const float *)tl_op_input_data(ctx, node, 0);
  j.packed = s->packed;
  j.scratch = scratch;
  j.scratch_floats = scratch_floats;
  j.p = p;
  j.isa = (tl_isa)s->isa;
  j.rows = (int64_t)p->out_h * p->out_w * (pointwise ? p->batch : 1);
  /* im2col convolutions cut rows only (a column chunk would copy its patches again); pointwise and direct
   * ones read their input in place, so rows and panels */
  tl_gemm_split_plan(&j.split, j.rows, whole_rows ? 1 : panels, threads,
                     pointwise ? INT32_MAX : (int32_t)tl_conv2d_f32_opt_block_rows(p, scratch_floats));
  if (whole_rows) j.split.chunk_panels = panels;
  tl_threadpool_run(ctx->interp->pool, images * j.split.row_tasks * j.split.col_tasks, tl_conv_task, &j);
}

/* Winograd over threads: task t is tile chunk t % chunks of image t / chunks, in the thread's own scratch.
 * Chunks are multiples of TL_GEMM_ROW_ALIGN tiles, so any thread count gives the same bits
 * (conv_winograd.h). This split is Winograd's own; the im2col/direct split below is unchanged. */
typedef struct tl_wino_job {
  float *y;
  const float *x;
  const tl_conv2d_state *s;
  float *scratch;
  size_t scratch_floats; /* per thread */
  int32_t chunk, chunks; /* tiles per task, tasks per image */
} tl_wino_job;

static void tl_wino_task(void *arg, int32_t task, int32_t thread) {
  const tl_wino_job *j = (const tl_wino_job *)arg;
  tl_conv_winograd_f32_tiles(j->y, j->x, j->s->packed, j->scratch + (size_t)thread * j->scratch_floats, &j->s->p,
                             (tl_isa)j->s->isa, task / j->chunks, task % j->chunks * j->chunk, j->chunk);
}

static void tl_eval_conv2d_winograd(tl_op_ctx *ctx, tl_node *node, const tl_conv2d_state *s) {
  const tl_conv_params *p = &s->p;
  const int32_t threads = tl_op_threads(ctx, (int64_t)p->batch * p->out_h * p->out_w * p->out_c * 9 * p->in_c);
  const int32_t tiles = tl_conv_winograd_tiles(p), most = tl_conv_winograd_block_tiles(p);
  tl_wino_job j;
  j.y = (float *)tl_op_output_data(ctx, node, 0);
  j.x = (const float *)tl_op_input_data(ctx, node, 0);
  j.s = s;
  j.scratch = s->packed + tl_conv_winograd_packed_floats(p, (tl_isa)s->isa);
  j.scratch_floats = tl_conv_winograd_scratch_floats(p);
  if (threads > 1) {
    /* an image's tiles in about `threads` chunks (more when a block holds fewer), TL_GEMM_ROW_ALIGN-aligned */
    int32_t chunk = (tiles + threads - 1) / threads;
    chunk = (chunk + TL_GEMM_ROW_ALIGN - 1) / TL_GEMM_ROW_ALIGN * TL_GEMM_ROW_ALIGN;
    if (chunk > most) chunk = most / TL_GEMM_ROW_ALIGN * TL_GEMM_ROW_ALIGN;
    j.chunk = chunk > 0 ? chunk : most;
    j.chunks = (tiles + j.chunk - 1) / j.chunk;
    if ((int64_t)p->batch * j.chunks > 1) {
      tl_threadpool_run(ctx->interp->pool, p->batch * j.chunks, tl_wino_task, &j);
      return;
    }
  }
  tl_conv_winograd_f32(j.y, j.x, s->packed, j.scratch, p, (tl_isa)s->isa);
}

TL_OP_ENTRY void tl_eval_conv2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_conv2d_state *s = (const tl_conv2d_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_conv2d_int8(ctx, node);
    return;
  }
  if (s->winograd) {
    tl_eval_conv2d_winograd(ctx, node, s);
    return;
  }
  if (s->isa != TL_ISA_REFERENCE) {
    const tl_conv_params *p = &s->p;
    float *scratch = s->scratch >= 0 ? (float *)tl_op_scratch(node, s->scratch) : NULL;
    /* what the plan gave (>= the request), per pool thread: blocks as large as that holds */
    const size_t scratch_floats =
        scratch ? tl_op_scratch_bytes(node, s->scratch) / sizeof(float) / (size_t)tl_threadpool_threads(ctx->interp->pool)
                : 0;
    const int32_t threads = tl_op_threads(ctx, (int64_t)p->batch * p->out_h * p->out_w * p->out_c * p->k_h *
                                                   p->k_w * p->in_c);
    if (threads > 1) {
      tl_conv2d_f32_opt_threaded(ctx, node, s, scratch, scratch_floats, threads);
      return;
    }
    tl_conv2d_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                      s->packed, scratch, scratch_floats, p, (tl_isa)s->isa);
    return;
  }
  tl_conv2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                (const float *)tl_op_input_data(ctx, node, 1),
                node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
}

/* Work: multiply-adds + outputs, x 8 / 16 (float32), 16 / 16 (int8). Measured ns per multiply-add (tl_bench,
 * see interpreter.h), float32 / int8: 0.38 / 0.57 (1 channel, 15x15 kernel; 1x1 kernel 64->64: 0.03 / 0.09). */
TL_OP_ENTRY uint64_t tl_work_conv2d(const tl_model *m, const tl_op_desc *op) {
  const tl_tensor_desc *w = op->input_count > 1 ? &m->tensors[op->inputs[1]] : NULL; /* w[oc, kh, kw, c] */
  uint64_t per = w != NULL && w->rank >= 1 && w->dims[0] > 0 ? (uint64_t)w->elems / (uint64_t)w->dims[0] : 0;
  return tl_op_work_macs(m, op, per, 8, 16);
}

const tl_op_descriptor tl_op_conv2d = {"Conv2D", tl_decode_conv2d_options, TL_OP_FN(CONV2D, tl_prepare_conv2d),
                                       TL_OP_FN(CONV2D, tl_eval_conv2d), TL_OP_FN(CONV2D, tl_work_conv2d),
                                       TL_OPT_CONV2D, 1, TL_OP_FLAG_WEIGHTS, sizeof(tl_conv_options)};
