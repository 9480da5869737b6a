/* transpose_conv.c: TransposeConv (x[n, h, w, ic], w[oc, kh, kw, ic], bias[oc]?) -> y[n, oh, ow, oc]
 * (TransposeConvOptions: padding, strides, fused activation), the transpose of Conv2D (TFLite's
 * TRANSPOSE_CONV, whose output_shape input is the output tensor's static shape here), float32 and int8.
 *
 * prepare: ranks 4, channel counts, bias length; the output's spatial size must be one whose Conv2D (these
 * strides and padding, the schema's Padding rule) gives the input's: the padding comes from that Conv2D
 * (tl_op_window), as TFLite computes it. float32 with constant weights at an optimized level: GEMM then
 * col2im (kernels/opt/transpose_conv_opt.c) on weights packed at prepare, blocks of input pixels in the
 * scratch; otherwise the reference kernel. int8: TFLite's reference (per-channel weights, int32 bias; the
 * requantization of Conv2D, tl_op_prepare_channel_requant); with constant weights and bias at an optimized
 * level, int32 GEMM columns of the int8 GEMM's tiles, col2im in int32 and the requantization
 * (kernels/opt/transpose_conv_int8_opt.c: the reference's bytes), output rows split over threads, one scratch
 * block each.
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/int8_gemm_ops.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/transpose_conv.h"
#include "ops/ops_int8.h"

/* TransposeConvOptions, decoded */
typedef struct tl_transpose_conv_options {
  int32_t padding; /* TL_PADDING_* */
  int32_t stride_h, stride_w;
  int32_t activation; /* TL_ACT_* */
} tl_transpose_conv_options;

typedef struct tl_transpose_conv_state {
  tl_conv_int8_params q; /* q.geom: the geometry (float32 too) */
  float *packed;         /* float32 at a level: tl_transpose_conv_f32_opt_packed_floats, else NULL */
  void *packed8;         /* int8 at a level: tl_transpose_conv_int8_opt_packed_bytes, else NULL */
  int32_t isa;
  int32_t level;   /* int8: the tl_i8_level of packed8 */
  int32_t scratch; /* at a level: the scratch index of the column block (int8: one block per thread) */
  size_t scratch_bytes; /* int8: per thread */
} tl_transpose_conv_state;

static tl_status tl_decode_transpose_conv_options(tl_options_reader *r, void *options) {
  tl_transpose_conv_options *o = (tl_transpose_conv_options *)options;
  o->padding = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_TRANSPOSECONV_PADDING, TL_PADDING_SAME);
  o->stride_h = tl_fb_get_i32(r->fb, r->table, TL_F_TRANSPOSECONV_STRIDE_H, 1);
  o->stride_w = tl_fb_get_i32(r->fb, r->table, TL_F_TRANSPOSECONV_STRIDE_W, 1);
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_TRANSPOSECONV_ACTIVATION, 0);
  TL_ENSURE_OK(tl_options_check_activation(r, o->activation));
  return tl_options_check_window(r, o->padding, o->stride_h, o->stride_w);
}

static tl_status tl_transpose_conv_geometry(tl_op_ctx *ctx, tl_node *node, tl_conv_params *p) {
  const tl_transpose_conv_options *o = (const tl_transpose_conv_options *)node->op->options;
  const tl_tensor_desc *x = tl_op_input(ctx, node, 0), *w = tl_op_input(ctx, node, 1), *y = tl_op_output(ctx, node, 0);
  int32_t conv_h, conv_w, pad_top, pad_left, total;
  char sx[96], sw[96], sy[96];
  TL_OP_ENSURE(ctx, x->rank == 4 && w->rank == 4 && y->rank == 4, TL_ERROR_BAD_SHAPE,
               "input %s, weights %s and output %s must all have rank 4", tl_shape_str(x->dims, x->rank, sx, sizeof sx),
               tl_shape_str(w->dims, w->rank, sw, sizeof sw), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  TL_OP_ENSURE(ctx, w->dims[3] == x->dims[3] && w->dims[0] == y->dims[3] && y->dims[0] == x->dims[0],
               TL_ERROR_BAD_SHAPE, "weights %s are not [%d, kh, kw, %d] for input %s and output %s",
               tl_shape_str(w->dims, w->rank, sw, sizeof sw), y->dims[3], x->dims[3],
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  if (node->op->input_count == 3) {
    const tl_tensor_desc *b = tl_op_input(ctx, node, 2);
    TL_OP_ENSURE(ctx, b->rank == 1 && b->dims[0] == w->dims[0], TL_ERROR_BAD_SHAPE, "bias shape %s is not [%d]",
                 tl_shape_str(b->dims, b->rank, sw, sizeof sw), w->dims[0]);
  }
  /* the Conv2D from y's size back to x's: its output size must be x's, its padding is ours */
  TL_ENSURE_OK(tl_op_window(ctx, y->dims[1], w->dims[1], o->stride_h, 1, o->padding, "height", TL_ERROR_BAD_SHAPE,
                            &conv_h, &pad_top, &total));
  TL_ENSURE_OK(tl_op_window(ctx, y->dims[2], w->dims[2], o->stride_w, 1, o->padding, "width", TL_ERROR_BAD_SHAPE,
                            &conv_w, &pad_left, &total));
  TL_OP_ENSURE(ctx, conv_h == x->dims[1] && conv_w == x->dims[2], TL_ERROR_BAD_SHAPE,
               "output %s: its Conv2D with these strides and padding gives %d x %d, not the input %s",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), conv_h, conv_w,
               tl_shape_str(x->dims, x->rank, sx, sizeof sx));
  memset(p, 0, sizeof *p);
  p->batch = x->dims[0];
  p->in_h = x->dims[1];
  p->in_w = x->dims[2];
  p->in_c = x->dims[3];
  p->out_h = y->dims[1];
  p->out_w = y->dims[2];
  p->out_c = y->dims[3];
  p->k_h = w->dims[1];
  p->k_w = w->dims[2];
  p->stride_h = o->stride_h;
  p->stride_w = o->stride_w;
  p->dilation_h = p->dilation_w = 1;
  p->pad_top = pad_top;
  p->pad_left = pad_left;
  p->depth_multiplier = 1;
  p->act = tl_op_activation(o->activation);
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_transpose_conv(tl_op_ctx *ctx, tl_node *node) {
  const int32_t act = ((const tl_transpose_conv_options *)node->op->options)->activation;
  tl_transpose_conv_state st, *s;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 3, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  memset(&st, 0, sizeof st);
  TL_ENSURE_OK(tl_transpose_conv_geometry(ctx, node, &st.q.geom));
  st.isa = TL_ISA_REFERENCE;
  st.scratch = -1;
  if (tl_op_is_int8(ctx, node)) {
    TL_ENSURE_OK(tl_op_prepare_channel_requant(ctx, node, 0, st.q.geom.out_c, act, &st.q.input_zp, &st.q.out));
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel, as Conv2D */
    if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
        tl_op_constant_or_absent(ctx, node, 2) && tl_transpose_conv_int8_opt_ok(&st.q.geom)) {
      const tl_cpu_features f = tl_cpu_features_detect();
      const size_t threads = (size_t)tl_threadpool_threads(ctx->interp->pool);
      st.level = (int32_t)tl_i8_level_for((tl_isa)tl_op_opt_isa(ctx), &f);
      st.scratch_bytes = tl_transpose_conv_int8_opt_scratch_bytes(&st.q.geom);
      TL_OP_ENSURE(ctx, st.scratch_bytes <= SIZE_MAX / threads, TL_ERROR_LIMIT_EXCEEDED, "column scratch overflows");
      TL_ENSURE_OK(tl_op_request_scratch(ctx, st.scratch_bytes * threads, &st.scratch));
      st.packed8 = tl_op_persistent(ctx, tl_transpose_conv_int8_opt_packed_bytes(&st.q.geom, (tl_i8_level)st.level));
      st.isa = tl_op_opt_isa(ctx);
    }
#endif
  } else {
    TL_ENSURE_OK(tl_op_expand_float16(ctx, node));
    if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
        tl_op_constant_or_absent(ctx, node, 2)) {
      const tl_conv_params *g = &st.q.geom;
      const int64_t pixels = (int64_t)g->batch * g->in_h * g->in_w;
      const tl_isa isa = tl_gemm_level_for((tl_isa)tl_op_opt_isa(ctx), pixels < TL_TCONV_BLOCK_ROWS ? pixels :
                                           TL_TCONV_BLOCK_ROWS, g->k_h * g->k_w * g->out_c);
      size_t pbytes, sbytes;
      if (tl_mul_size(tl_transpose_conv_f32_opt_packed_floats(&st.q.geom, isa), sizeof(float), &pbytes) &&
          tl_mul_size(tl_transpose_conv_f32_opt_scratch_floats(&st.q.geom), sizeof(float), &sbytes)) {
        TL_ENSURE_OK(tl_op_request_scratch(ctx, sbytes, &st.scratch));
        st.packed = (float *)tl_op_persistent(ctx, pbytes);
        st.isa = (int32_t)isa;
      }
    }
  }
  s = (tl_transpose_conv_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL || (st.isa != TL_ISA_REFERENCE && st.packed == NULL && st.packed8 == NULL)) return tl_op_unplaced(ctx);
  *s = st;
  if (s->packed8 != NULL) {
    tl_transpose_conv_int8_opt_pack(s->packed8, (const int8_t *)tl_op_input_data(ctx, node, 1),
                                    node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL,
                                    &s->q, (tl_i8_level)s->level);
  }
  if (s->packed != NULL) {
    tl_transpose_conv_f32_opt_pack(s->packed, (const float *)tl_op_input_data(ctx, node, 1), &s->q.geom,
                                   (tl_isa)s->isa);
  }
  node->state = s;
  return TL_OK;
}

/* int8 at a level: units are output rows over the batch (image u / out_h, row u % out_h). */
typedef struct tl_tconv8_job {
  tl_op_units u;
  const tl_transpose_conv_state *s;
  int8_t *y, *scratch;
  const int8_t *x;
} tl_tconv8_job;

static void tl_tconv8_task(void *arg, int32_t task, int32_t thread) {
  const tl_tconv8_job *j = (const tl_tconv8_job *)arg;
  const int32_t out_h = j->s->q.geom.out_h;
  int32_t u0, u1;
  tl_op_unit_range(&j->u, task, &u0, &u1);
  while (u0 < u1) {
    const int32_t b = u0 / out_h, oy0 = u0 % out_h, oy1 = u1 - b * out_h < out_h ? u1 - b * out_h : out_h;
    tl_transpose_conv_int8_opt_rows(j->y, j->x, j->s->packed8, j->scratch + (size_t)thread * j->s->scratch_bytes,
                                    &j->s->q, (tl_i8_level)j->s->level, b, oy0, oy1);
    u0 += oy1 - oy0;
  }
}

static void tl_eval_transpose_conv_int8_opt(tl_op_ctx *ctx, tl_node *node, const tl_transpose_conv_state *s) {
  const tl_conv_params *g = &s->q.geom;
  tl_tconv8_job j;
  j.s = s;
  j.y = (int8_t *)tl_op_output_data(ctx, node, 0);
  j.x = (const int8_t *)tl_op_input_data(ctx, node, 0);
  j.scratch = (int8_t *)tl_op_scratch(node, s->scratch);
  if (tl_op_run_units(ctx, (int64_t)g->batch * g->in_h * g->in_w * g->k_h * g->k_w * g->in_c * g->out_c,
                      g->batch * g->out_h, &j.u, tl_tconv8_task, &j))
    return;
  for (int32_t b = 0; b < g->batch; b++)
    tl_transpose_conv_int8_opt_rows(j.y, j.x, s->packed8, j.scratch, &s->q, (tl_i8_level)s->level, b, 0, g->out_h);
}

TL_OP_ENTRY void tl_eval_transpose_conv(tl_op_ctx *ctx, tl_node *node) {
  const tl_transpose_conv_state *s = (const tl_transpose_conv_state *)node->state;
  const int has_bias = node->op->input_count == 3;
  if (tl_op_is_int8(ctx, node) && s->packed8 != NULL) {
    tl_eval_transpose_conv_int8_opt(ctx, node, s);
  } else if (tl_op_is_int8(ctx, node)) {
    tl_transpose_conv_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                           (const int8_t *)tl_op_input_data(ctx, node, 1),
                           has_bias ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL, &s->q);
  } else if (s->isa != TL_ISA_REFERENCE) {
    tl_transpose_conv_f32_opt((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                              s->packed, has_bias ? (const float *)tl_op_input_data(ctx, node, 2) : NULL,
                              (float *)tl_op_scratch(node, s->scratch), &s->q.geom, (tl_isa)s->isa);
  } else {
    tl_transpose_conv_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                          (const float *)tl_op_input_data(ctx, node, 1),
                          has_bias ? (const float *)tl_op_input_data(ctx, node, 2) : NULL, &s->q.geom);
  }
}

/* Work: input pixels x k_h x k_w x in_c x out_c multiply-adds (every tap of every input pixel, the padding's
 * included: an upper bound) + outputs, x 32 / 16 (float32), 48 / 16 (int8): Conv2D's weights. */
TL_OP_ENTRY uint64_t tl_work_transpose_conv(const tl_model *m, const tl_op_desc *op) {
  const tl_tensor_desc *x = op->input_count > 0 ? &m->tensors[op->inputs[0]] : NULL;
  const tl_tensor_desc *w = op->input_count > 1 ? &m->tensors[op->inputs[1]] : NULL;
  const tl_tensor_desc *y = op->output_count > 0 ? &m->tensors[op->outputs[0]] : NULL;
  uint64_t per = 0;
  if (x != NULL && w != NULL && y != NULL && y->elems > 0 && w->rank == 4 && w->dims[3] > 0) {
    const uint64_t macs = tl_work_mul((uint64_t)x->elems, (uint64_t)(w->elems / w->dims[3]));
    per = (macs + (uint64_t)y->elems - 1u) / (uint64_t)y->elems; /* per output, rounded up */
  }
  return tl_op_work_macs(m, op, per, 32, 48);
}

const tl_op_descriptor tl_op_transpose_conv = {
    "TransposeConv", tl_decode_transpose_conv_options, TL_OP_FN(TRANSPOSE_CONV, tl_prepare_transpose_conv),
    TL_OP_FN(TRANSPOSE_CONV, tl_eval_transpose_conv), TL_OP_FN(TRANSPOSE_CONV, tl_work_transpose_conv),
    TL_OPT_TRANSPOSE_CONV, 1, TL_OP_FLAG_WEIGHTS, sizeof(tl_transpose_conv_options)};
