/* conv2d_int8.c: int8 half of Conv2D.
 *
 * The float prepare (conv2d.c) checked shapes and computed the geometry; this adds the quantization
 * (tl_op_prepare_channel_requant: weights per output channel on axis 0) and, with constant weights, packs
 * them with the zero-point corrections for the optimized kernels (kernels/opt/opt_kernels_int8.h); their
 * im2col blocks (one per thread) are scratch in the arena.
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/dsp_int8.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"

typedef struct tl_conv8_state {
  tl_conv_int8_params p;
  void *packed;         /* tl_conv2d_int8_opt_packed_bytes, or NULL: the reference kernel */
  int32_t level;        /* tl_i8_level of packed */
  int32_t scratch;      /* scratch index of the im2col blocks (one per thread), -1: none */
} tl_conv8_state;

tl_status tl_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node, const tl_conv_params *g, int32_t act) {
  tl_conv_int8_params p;
  tl_conv8_state *s;
  void *packed = NULL;
  int32_t level = 0, scratch = -1;
  memset(&p, 0, sizeof p);
  p.geom = *g;
  TL_ENSURE_OK(tl_op_prepare_channel_requant(ctx, node, 0, g->out_c, act, &p.input_zp, &p.out));
  s = (tl_conv8_state *)tl_op_persistent(ctx, sizeof *s);
#if !defined(TL_FREESTANDING) /* microcontrollers: the reference kernel (keeps the core small) */
  {
    const int64_t k = (int64_t)g->k_h * g->k_w * g->in_c;
    if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_op_constant_or_absent(ctx, node, 1) &&
        tl_op_constant_or_absent(ctx, node, 2) && k > 0 && k <= TL_GEMM_INT8_MAX_K &&
        tl_conv_int8_depth_bound(g->k_h, g->k_w, g->in_c) <= TL_GEMM_INT8_MAX_K) {
      const tl_cpu_features f = tl_cpu_features_detect();
      const size_t threads = (size_t)tl_threadpool_threads(ctx->interp->pool); /* one scratch block each */
      level = (int32_t)tl_i8_level_for((tl_isa)tl_op_opt_isa(ctx), &f);
      /* im2col blocks: at least TL_CONV_INT8_MIN_BLOCK_ROWS rows, more where the arena has room */
      const size_t least = tl_conv2d_int8_opt_scratch_bytes(g, TL_CONV_INT8_MIN_BLOCK_ROWS);
      const size_t most = tl_conv2d_int8_opt_scratch_bytes(g, TL_CONV_INT8_BLOCK_ROWS);
      TL_OP_ENSURE(ctx, most <= SIZE_MAX / threads, TL_ERROR_LIMIT_EXCEEDED, "im2col scratch overflows");
      packed = tl_op_persistent(ctx, tl_conv2d_int8_opt_packed_bytes(&p, (tl_i8_level)level));
      if (packed == NULL && !ctx->sizing) return tl_op_unplaced(ctx);
      if (least > 0) TL_ENSURE_OK(tl_op_request_scratch_range(ctx, least * threads, most * threads, &scratch));
    }
  }
#endif
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->packed = packed;
  s->level = level;
  s->scratch = scratch;
  if (packed != NULL) {
    const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
    tl_conv2d_int8_opt_pack(packed, (const int8_t *)tl_op_input_data(ctx, node, 1), bias, &s->p, (tl_i8_level)level);
  }
  node->state = s;
  return TL_OK;
}

#if !defined(TL_FREESTANDING)
/* Units are output rows over the batch (image u / out_h, row u % out_h); a task walks its rows image by image. */
typedef struct tl_conv8_job {
  tl_op_units u;
  const tl_conv8_state *s;
  tl_conv_int8_params p; /* s->p with the block rows of this plan's scratch */
  size_t scratch_bytes;  /* per thread */
  int8_t *y;
  const int8_t *x;
  int8_t *scratch;
} tl_conv8_job;

static void tl_conv8_task(void *arg, int32_t task, int32_t thread) {
  const tl_conv8_job *j = (const tl_conv8_job *)arg;
  const tl_conv_int8_params *p = &j->p;
  const int32_t out_h = p->geom.out_h;
  int32_t u0, u1;
  tl_op_unit_range(&j->u, task, &u0, &u1);
  while (u0 < u1) {
    const int32_t b = u0 / out_h, oy0 = u0 % out_h, oy1 = u1 - b * out_h < out_h ? u1 - b * out_h : out_h;
    tl_conv2d_int8_opt_rows(j->y, j->x, j->s->packed, j->scratch ? j->scratch + (size_t)thread * j->scratch_bytes : NULL,
                            p, (tl_i8_level)j->s->level, b, oy0, oy1);
    u0 += oy1 - oy0;
  }
}
#endif

void tl_eval_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_conv8_state *s = (const tl_conv8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
#if !defined(TL_FREESTANDING)
  if (s->packed != NULL) {
    const tl_conv_params *g = &s->p.geom;
    int8_t *scratch = s->scratch >= 0 ? (int8_t *)tl_op_scratch(node, s->scratch) : NULL;
    tl_conv8_job j;
    j.s = s;
    j.y = y;
    j.x = x;
    j.scratch = scratch;
    j.p = s->p;
    /* what the plan gave (>= the request): blocks as large as each thread's share holds */
    j.scratch_bytes = scratch ? tl_op_scratch_bytes(node, s->scratch) / (size_t)tl_threadpool_threads(ctx->interp->pool) : 0;
    j.p.block_rows = scratch ? tl_conv2d_int8_opt_block_rows(g, j.scratch_bytes) : 0;
    if (tl_conv2d_int8_opt_splittable(&s->p) &&
        tl_op_run_units(ctx, (int64_t)g->batch * g->out_h * g->out_w * g->out_c * g->k_h * g->k_w * g->in_c,
                        g->batch * g->out_h, &j.u, tl_conv8_task, &j))
      return;
    tl_conv2d_int8_opt(y, x, s->packed, scratch, &j.p, (tl_i8_level)s->level);
    return;
  }
#endif
#if TL_INT8_DSP /* Cortex-M4/M7: dual 16-bit multiply-accumulates, the reference results */
  tl_conv2d_int8_dsp(y, x, (const int8_t *)tl_op_input_data(ctx, node, 1),
                     node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
#else
  tl_conv2d_int8(y, x, (const int8_t *)tl_op_input_data(ctx, node, 1),
                 node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL, &s->p);
#endif
}
