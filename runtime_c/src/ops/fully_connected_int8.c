/* fully_connected_int8.c: int8 half of FullyConnected.
 *
 * The float prepare (fully_connected.c) checked shapes and computed the geometry; this adds the quantization
 * (tl_op_prepare_channel_requant: weights per output channel on axis 0) and, with constant weights, packs
 * them with the zero-point corrections for the optimized kernels (kernels/opt/opt_kernels_int8.h).
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/dsp_int8.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"

typedef struct tl_fc8_state {
  tl_fc_int8_params p;
  void *packed;  /* tl_fc_int8_opt_packed_bytes, or NULL: the reference kernel */
  int32_t level; /* tl_i8_level of packed */
} tl_fc8_state;

tl_status tl_prepare_fully_connected_int8(tl_op_ctx *ctx, tl_node *node, const tl_fc_params *g, int32_t act) {
  tl_fc_int8_params p;
  tl_fc8_state *s;
  void *packed = NULL;
  int32_t level = 0;
  memset(&p, 0, sizeof p);
  p.batch = g->batch;
  p.in_depth = g->in_depth;
  p.out_depth = g->out_depth;
  TL_ENSURE_OK(tl_op_prepare_channel_requant(ctx, node, 0, g->out_depth, act, &p.input_zp, &p.out));
  p.out.single_rounding = p.out.channels > 1; /* TFLite's per-channel FullyConnected rounds once */
  s = (tl_fc8_state *)tl_op_persistent(ctx, sizeof *s);
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel (keeps the core small) */
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
      tl_op_constant_or_absent(ctx, node, 2) && p.in_depth > 0 && p.in_depth <= TL_GEMM_INT8_MAX_K &&
      p.out_depth > 0) {
    const tl_cpu_features f = tl_cpu_features_detect();
    level = (int32_t)tl_i8_level_for((tl_isa)tl_op_opt_isa(ctx), &f);
    packed = tl_op_persistent(ctx, tl_fc_int8_opt_packed_bytes(&p, (tl_i8_level)level));
    if (packed == NULL && !ctx->sizing) return tl_op_unplaced(ctx);
  }
#endif
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->packed = packed;
  s->level = level;
  if (packed != NULL) {
    const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
    tl_fc_int8_opt_pack(packed, (const int8_t *)tl_op_input_data(ctx, node, 1), bias, &s->p, (tl_i8_level)level);
  }
  node->state = s;
  return TL_OK;
}

#if !defined(TL_FREESTANDING)
typedef struct tl_fc8_job {
  tl_op_units u;
  const tl_fc8_state *s;
  int8_t *y;
  const int8_t *x;
} tl_fc8_job;

static void tl_fc8_task(void *arg, int32_t task, int32_t thread) {
  const tl_fc8_job *j = (const tl_fc8_job *)arg;
  int32_t u0, u1;
  (void)thread;
  tl_op_unit_range(&j->u, task, &u0, &u1);
  if (u1 > u0)
    tl_fc_int8_opt_cols(j->y, j->x, j->s->packed, &j->s->p, (tl_i8_level)j->s->level, u0 * TL_FC_INT8_COL_STEP,
                        u1 * TL_FC_INT8_COL_STEP);
}
#endif

void tl_eval_fully_connected_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_fc8_state *s = (const tl_fc8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
#if !defined(TL_FREESTANDING)
  if (s->packed != NULL) {
    const tl_fc_int8_params *p = &s->p;
    const int32_t steps = (p->out_depth + TL_FC_INT8_COL_STEP - 1) / TL_FC_INT8_COL_STEP;
    tl_fc8_job j;
    j.s = s;
    j.y = y;
    j.x = x;
    if (tl_op_run_units(ctx, (int64_t)p->batch * p->in_depth * p->out_depth, steps, &j.u, tl_fc8_task, &j)) return;
    tl_fc_int8_opt(y, x, s->packed, p, (tl_i8_level)s->level);
    return;
  }
#endif
#if TL_INT8_DSP /* Cortex-M4/M7: dual 16-bit multiply-accumulates, the reference results */
  tl_fc_int8_dsp(y, x, (const int8_t *)tl_op_input_data(ctx, node, 1),
                 node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
#else
  tl_fc_int8(y, x, (const int8_t *)tl_op_input_data(ctx, node, 1),
             node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
#endif
}
