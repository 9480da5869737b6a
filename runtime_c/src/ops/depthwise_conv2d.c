/* depthwise_conv2d.c: DepthwiseConv2D (x[n,h,w,c], w[1,kh,kw,c*m], bias[c*m]?) -> y[n,oh,ow,c*m]
 * (DepthwiseConv2DOptions). The geometry is Conv2D's (tl_op_conv_geometry, conv2d.c). float32 with constant
 * weights runs the optimized kernels (kernels/opt/opt_kernels_elementwise.h): depth_multiplier 1 packs only
 * the bias (the weights are read in place); > 1 packs the bias and the weights multiplier-major, into the op's
 * per-node memory. int8: depthwise_conv2d_int8.c.
 */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/conv_options.h"
#include "ops/ops_int8.h"

typedef struct tl_dw_state {
  tl_conv_params p;
  float *packed; /* tl_depthwise_conv2d_f32_opt_packed_floats, or NULL: the reference kernel */
  int32_t isa;
} tl_dw_state;

static tl_status tl_decode_depthwise_conv2d_options(tl_options_reader *r, void *options) {
  tl_conv_options *o = (tl_conv_options *)options; /* r->table 0 (no table): the fields read as their defaults */
  o->padding = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_DW_PADDING, TL_PADDING_SAME);
  o->stride_h = tl_fb_get_i32(r->fb, r->table, TL_F_DW_STRIDE_H, 1);
  o->stride_w = tl_fb_get_i32(r->fb, r->table, TL_F_DW_STRIDE_W, 1);
  o->dilation_h = tl_fb_get_i32(r->fb, r->table, TL_F_DW_DILATION_H, 1);
  o->dilation_w = tl_fb_get_i32(r->fb, r->table, TL_F_DW_DILATION_W, 1);
  o->depth_multiplier = tl_fb_get_i32(r->fb, r->table, TL_F_DW_DEPTH_MULTIPLIER, 1);
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_DW_ACTIVATION, 0);
  TL_ENSURE_OK(tl_options_check_activation(r, o->activation));
  TL_ENSURE_OK(tl_options_check_window(r, o->padding, o->stride_h, o->stride_w));
  TL_ENSURE_OK(tl_options_check_positive(r, "dilation_h", o->dilation_h));
  TL_ENSURE_OK(tl_options_check_positive(r, "dilation_w", o->dilation_w));
  return tl_options_check_positive(r, "depth_multiplier", o->depth_multiplier);
}

TL_OP_ENTRY tl_status tl_prepare_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node) {
  tl_conv_params p;
  tl_dw_state *s;
  float *packed = NULL;
  TL_ENSURE_OK(tl_op_conv_geometry(ctx, node, 1, &p));
  if (tl_op_is_int8(ctx, node)) {
    return tl_prepare_depthwise_conv2d_int8(ctx, node, &p,
                                            ((const tl_conv_options *)node->op->options)->activation);
  }
  TL_ENSURE_OK(tl_op_expand_float16(ctx, node));
  s = (tl_dw_state *)tl_op_persistent(ctx, sizeof *s);
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
      tl_op_constant_or_absent(ctx, node, 2) && p.depth_multiplier >= 1 &&
      (int64_t)p.in_c * p.depth_multiplier == p.out_c) {
    size_t bytes;
    if (tl_mul_size(tl_depthwise_conv2d_f32_opt_packed_floats(&p), sizeof(float), &bytes)) {
      packed = (float *)tl_op_persistent(ctx, bytes);
      if (packed == NULL && !ctx->sizing) return tl_op_unplaced(ctx);
    }
  }
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->packed = packed;
  s->isa = packed != NULL ? tl_op_opt_isa(ctx) : TL_ISA_REFERENCE;
  if (packed != NULL) {
    const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
    tl_depthwise_conv2d_f32_opt_pack(packed, bias, &p);
    tl_depthwise_conv2d_f32_opt_pack_weights(packed, (const float *)tl_op_input_data(ctx, node, 1), &p);
  }
  node->state = s;
  return TL_OK;
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

TL_OP_ENTRY void tl_eval_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_dw_state *s = (const tl_dw_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    tl_eval_depthwise_conv2d_int8(ctx, node);
    return;
  }
  if (s->isa != TL_ISA_REFERENCE) {
    const tl_conv_params *p = &s->p;
    const int32_t threads =
        tl_op_threads(ctx, (int64_t)p->batch * p->out_h * p->out_w * p->out_c * p->k_h * p->k_w);
    if (threads > 1 && (p->out_h > 1 || p->batch > 1)) {
      tl_dw_job j;
      j.y = (float *)tl_op_output_data(ctx, node, 0);
      j.x = (const float *)tl_op_input_data(ctx, node, 0);
      j.w = (const float *)tl_op_input_data(ctx, node, 1);
      j.packed = s->packed;
      j.p = p;
      j.isa = (tl_isa)s->isa;
      j.block_rows = (p->out_h + 2 * threads - 1) / (2 * threads); /* about two blocks per thread */
      if (p->batch > 1 && p->batch >= threads) j.block_rows = p->out_h; /* whole images */
      j.blocks = (p->out_h + j.block_rows - 1) / j.block_rows;
      tl_threadpool_run(ctx->interp->pool, p->batch * j.blocks, tl_dw_task, &j);
      return;
    }
    tl_depthwise_conv2d_f32_opt((float *)tl_op_output_data(ctx, node, 0),
                                (const float *)tl_op_input_data(ctx, node, 0),
                                (const float *)tl_op_input_data(ctx, node, 1), s->packed, p, (tl_isa)s->isa);
    return;
  }
  tl_depthwise_conv2d_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                          (const float *)tl_op_input_data(ctx, node, 1),
                          node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
}

/* Work: multiply-adds + outputs, x 24 / 16 (float32), 48 / 16 (int8). Measured ns per multiply-add (tl_bench,
 * see interpreter.h), float32 / int8: 0.97 / 1.5 (31x31 and 15x15 kernels; 3x3 on 112x112x32: 0.10 / 0.29). */
TL_OP_ENTRY uint64_t tl_work_depthwise_conv2d(const tl_model *m, const tl_op_desc *op) {
  const tl_tensor_desc *w = op->input_count > 1 ? &m->tensors[op->inputs[1]] : NULL; /* w[1, kh, kw, oc] */
  uint64_t per = w != NULL && w->rank == 4 && w->dims[3] > 0 ? (uint64_t)w->elems / (uint64_t)w->dims[3] : 0;
  return tl_op_work_macs(m, op, per, 24, 48);
}

const tl_op_descriptor tl_op_depthwise_conv2d = {
    "DepthwiseConv2D", tl_decode_depthwise_conv2d_options, TL_OP_FN(DEPTHWISE_CONV2D, tl_prepare_depthwise_conv2d),
    TL_OP_FN(DEPTHWISE_CONV2D, tl_eval_depthwise_conv2d), TL_OP_FN(DEPTHWISE_CONV2D, tl_work_depthwise_conv2d),
    TL_OPT_DEPTHWISE_CONV2D, 1, TL_OP_FLAG_WEIGHTS, sizeof(tl_conv_options)};
