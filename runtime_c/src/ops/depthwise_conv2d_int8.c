/* depthwise_conv2d_int8.c: int8 half of DepthwiseConv2D.
 *
 * The float prepare (depthwise_conv2d.c) checked shapes and computed the geometry; this adds the quantization
 * (tl_op_prepare_channel_requant: weights per output channel on axis 3) and, with depth_multiplier 1 and
 * constant weights, packs the bias for the optimized kernels (the weights are read in place).
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/dsp_int8.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"

typedef struct tl_dw8_state {
  tl_conv_int8_params p;
  void *packed;  /* tl_depthwise_conv2d_int8_opt_packed_bytes, or NULL: the reference kernel */
  int32_t level; /* tl_i8_level */
} tl_dw8_state;

tl_status tl_prepare_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node, const tl_conv_params *g,
                                           int32_t act) {
  tl_conv_int8_params p;
  tl_dw8_state *s;
  void *packed = NULL;
  int32_t level = 0;
  memset(&p, 0, sizeof p);
  p.geom = *g;
  TL_ENSURE_OK(tl_op_prepare_channel_requant(ctx, node, 3, g->out_c, act, &p.input_zp, &p.out));
  s = (tl_dw8_state *)tl_op_persistent(ctx, sizeof *s);
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel (keeps the core small) */
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
      tl_op_constant_or_absent(ctx, node, 2) && g->depth_multiplier == 1 && g->in_c == g->out_c &&
      (int64_t)g->k_h * g->k_w <= TL_DW_INT8_MAX_TAPS) {
    const tl_cpu_features f = tl_cpu_features_detect();
    level = (int32_t)tl_i8_level_for((tl_isa)tl_op_opt_isa(ctx), &f);
    packed = tl_op_persistent(ctx, tl_depthwise_conv2d_int8_opt_packed_bytes(g));
    if (packed == NULL && !ctx->sizing) return tl_op_unplaced(ctx);
  }
#endif
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->packed = packed;
  s->level = level;
  if (packed != NULL) {
    const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
    tl_depthwise_conv2d_int8_opt_pack(packed, (const int8_t *)tl_op_input_data(ctx, node, 1), bias, &s->p);
  }
  node->state = s;
  return TL_OK;
}

#if !defined(TL_FREESTANDING)
/* Units are output rows over the batch (image u / out_h, row u % out_h); a task walks its rows image by image. */
typedef struct tl_dw8_job {
  tl_op_units u;
  const tl_dw8_state *s;
  int8_t *y;
  const int8_t *x, *w;
} tl_dw8_job;

static void tl_dw8_task(void *arg, int32_t task, int32_t thread) {
  const tl_dw8_job *j = (const tl_dw8_job *)arg;
  const tl_conv_int8_params *p = &j->s->p;
  const int32_t out_h = p->geom.out_h;
  int32_t u0, u1;
  (void)thread;
  tl_op_unit_range(&j->u, task, &u0, &u1);
  while (u0 < u1) {
    const int32_t b = u0 / out_h, oy0 = u0 % out_h, oy1 = u1 - b * out_h < out_h ? u1 - b * out_h : out_h;
    tl_depthwise_conv2d_int8_opt_rows(j->y, j->x, j->w, j->s->packed, p, (tl_i8_level)j->s->level, b, oy0, oy1);
    u0 += oy1 - oy0;
  }
}
#endif

void tl_eval_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_dw8_state *s = (const tl_dw8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
  const int8_t *w = (const int8_t *)tl_op_input_data(ctx, node, 1);
#if !defined(TL_FREESTANDING)
  if (s->packed != NULL) {
    const tl_conv_params *g = &s->p.geom;
    tl_dw8_job j;
    j.s = s;
    j.y = y;
    j.x = x;
    j.w = w;
    if (tl_op_run_units(ctx, (int64_t)g->batch * g->out_h * g->out_w * g->out_c * g->k_h * g->k_w,
                        g->batch * g->out_h, &j.u, tl_dw8_task, &j))
      return;
    tl_depthwise_conv2d_int8_opt(y, x, w, s->packed, &s->p, (tl_i8_level)s->level);
    return;
  }
#endif
#if TL_INT8_DSP /* Cortex-M4/M7: dual 16-bit multiply-accumulates, the reference results */
  tl_depthwise_conv2d_int8_dsp(y, x, w, node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL,
                               &s->p);
#else
  tl_depthwise_conv2d_int8(y, x, w, node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL,
                           &s->p);
#endif
}
