/* conv.c: Conv2D (x[n,h,w,c], w[oc,kh,kw,c], bias[oc]?) and DepthwiseConv2D (w[1,kh,kw,c*m]) glue.
 *
 * prepare checks ranks, channel counts, bias length, strides/dilations (tl_op_window) and that the file's
 * output dims equal the computed ones, then fills tl_conv_params.
 */
#include "fb_schema.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"
#include "ops/opt_glue.h"
#include "kernels/opt/opt_kernels.h"

static tl_status tl_prepare_conv_common(tl_op_ctx *ctx, tl_node *node, int depthwise) {
  const tl_op_options *o = &node->op->opts;
  const tl_tensor_desc *x, *w, *y;
  tl_conv_params *p = &node->params.conv;
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
  return tl_op_is_int8(ctx, node) ? tl_prepare_conv2d_int8(ctx, node) : TL_OK;
}

tl_status tl_prepare_conv2d(tl_op_ctx *ctx, tl_node *node) {
  TL_ENSURE_OK(tl_prepare_conv_common(ctx, node, 0));
  if (!tl_op_is_int8(ctx, node)) tl_op_opt_prepare_conv2d(ctx, node); /* packs the weights when it applies */
  return TL_OK;
}
tl_status tl_prepare_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node) {
  TL_ENSURE_OK(tl_prepare_conv_common(ctx, node, 1));
  if (!tl_op_is_int8(ctx, node)) tl_op_opt_prepare_depthwise_conv2d(ctx, node); /* packs the bias */
  return TL_OK;
}

static const float *tl_conv_bias(tl_op_ctx *ctx, tl_node *node) {
  return node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
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
  tl_conv2d_f32_opt_part(j->y, j->x, j->packed, j->scratch + (size_t)thread * j->scratch_floats, j->p, j->isa,
                         rest / j->split.row_tasks, row0, rows, col * j->split.chunk_panels,
                         (col + 1) * j->split.chunk_panels);
}

static void tl_conv2d_f32_opt_threaded(tl_op_ctx *ctx, tl_node *node, int32_t threads) {
  const tl_conv_params *p = &node->params.conv;
  const int pointwise = tl_conv2d_f32_opt_is_pointwise(p);
  const int32_t nr = tl_gemm_nr((tl_isa)node->opt_isa);
  const int32_t images = pointwise ? 1 : p->batch;
  tl_conv_job j;
  j.y = (float *)tl_op_output_data(ctx, node, 0);
  j.x = (const float *)tl_op_input_data(ctx, node, 0);
  j.packed = (const float *)node->opt;
  j.scratch = node->opt_scratch;
  j.scratch_floats = tl_conv2d_f32_opt_scratch_floats(p);
  j.p = p;
  j.isa = (tl_isa)node->opt_isa;
  j.rows = (int64_t)p->out_h * p->out_w * (pointwise ? p->batch : 1);
  /* im2col convolutions cut rows only (a column chunk would copy its patches again) */
  tl_gemm_split_plan(&j.split, j.rows, pointwise ? (p->out_c + nr - 1) / nr : 1, threads,
                     pointwise ? INT32_MAX : TL_CONV_BLOCK_ROWS);
  if (!pointwise) j.split.chunk_panels = (p->out_c + nr - 1) / nr;
  tl_threadpool_run(ctx->interp->pool, images * j.split.row_tasks * j.split.col_tasks, tl_conv_task, &j);
}

void tl_eval_conv2d(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_conv2d_int8(ctx, node);
    return;
  }
  if (node->opt_isa != TL_ISA_REFERENCE) {
    const tl_conv_params *p = &node->params.conv;
    const int32_t threads = tl_op_threads(ctx, (int64_t)p->batch * p->out_h * p->out_w * p->out_c * p->k_h *
                                                   p->k_w * p->in_c);
    if (threads > 1) {
      tl_conv2d_f32_opt_threaded(ctx, node, threads);
      return;
    }
    tl_conv2d_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                      (const float *)node->opt, node->opt_scratch, &node->params.conv, (tl_isa)node->opt_isa);
    return;
  }
  tl_conv2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                (const float *)tl_op_input_data(ctx, node, 1), tl_conv_bias(ctx, node), &node->params.conv);
}

/* A float32 DepthwiseConv2D split over threads by output rows: task t is row block t % blocks of image
 * t / blocks. The kernel computes each output row on its own from iy0 = oy * stride_h - pad_top (taps outside
 * the input skipped), so rows [oy0, oy0 + n) of image b are the same call on one image with out_h = n and
 * pad_top - oy0 * stride_h (negative past the top border): the same arithmetic per output as one call. */
typedef struct tl_dw_job {
  float *y;
  const float *x;
  const float *w;
  const float *packed;
  const tl_conv_params *p;
  tl_isa isa;
  int32_t block_rows;
  int32_t blocks; /* per image */
} tl_dw_job;

static void tl_dw_task(void *arg, int32_t task, int32_t thread) {
  const tl_dw_job *j = (const tl_dw_job *)arg;
  const tl_conv_params *p = j->p;
  const int32_t b = task / j->blocks, oy0 = task % j->blocks * j->block_rows;
  tl_conv_params part = *p;
  (void)thread;
  part.batch = 1;
  part.out_h = p->out_h - oy0 < j->block_rows ? p->out_h - oy0 : j->block_rows;
  part.pad_top = p->pad_top - oy0 * p->stride_h;
  tl_depthwise_conv2d_f32_opt(j->y + ((int64_t)b * p->out_h + oy0) * p->out_w * p->out_c,
                              j->x + (int64_t)b * p->in_h * p->in_w * p->in_c, j->w, j->packed, &part, j->isa);
}

void tl_eval_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_depthwise_conv2d_int8(ctx, node);
    return;
  }
  if (node->opt_isa != TL_ISA_REFERENCE) {
    const tl_conv_params *p = &node->params.conv;
    const int32_t threads =
        tl_op_threads(ctx, (int64_t)p->batch * p->out_h * p->out_w * p->out_c * p->k_h * p->k_w);
    if (threads > 1 && (p->out_h > 1 || p->batch > 1)) {
      tl_dw_job j;
      j.y = (float *)tl_op_output_data(ctx, node, 0);
      j.x = (const float *)tl_op_input_data(ctx, node, 0);
      j.w = (const float *)tl_op_input_data(ctx, node, 1);
      j.packed = (const float *)node->opt;
      j.p = p;
      j.isa = (tl_isa)node->opt_isa;
      j.block_rows = (p->out_h + 2 * threads - 1) / (2 * threads); /* about two blocks per thread */
      if (p->batch > 1 && p->batch >= threads) j.block_rows = p->out_h; /* whole images */
      j.blocks = (p->out_h + j.block_rows - 1) / j.block_rows;
      tl_threadpool_run(ctx->interp->pool, p->batch * j.blocks, tl_dw_task, &j);
      return;
    }
    tl_depthwise_conv2d_f32_opt((float *)tl_op_output_data(ctx, node, 0),
                                (const float *)tl_op_input_data(ctx, node, 0),
                                (const float *)tl_op_input_data(ctx, node, 1), (const float *)node->opt,
                                &node->params.conv, (tl_isa)node->opt_isa);
    return;
  }
  tl_depthwise_conv2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                          (const float *)tl_op_input_data(ctx, node, 1), tl_conv_bias(ctx, node), &node->params.conv);
}
