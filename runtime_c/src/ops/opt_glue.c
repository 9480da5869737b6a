/* opt_glue.c: per-node memory and weight packing for the optimized float32 FullyConnected and Conv2D
 * (see opt_glue.h). What this is not: the kernels (kernels/opt/) or shape checks (ops/fully_connected.c,
 * ops/conv.c).
 */
#include "ops/opt_glue.h"

#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "tensorlet.h"

tl_isa tl_op_opt_level(int32_t kernels) {
  tl_cpu_features f = tl_cpu_features_detect();
  switch (kernels) {
    case TL_KERNELS_REFERENCE:
      return TL_ISA_REFERENCE;
    case TL_KERNELS_PORTABLE:
      return tl_isa_resolve(TL_ISA_PORTABLE, &f);
    case TL_KERNELS_NEON:
      return tl_isa_resolve(TL_ISA_NEON, &f);
    case TL_KERNELS_AVX2:
      return tl_isa_resolve(TL_ISA_AVX2, &f);
    case TL_KERNELS_AVX512:
      return tl_isa_resolve(TL_ISA_AVX512, &f);
    default:
#if defined(TL_FREESTANDING)
      return TL_ISA_REFERENCE;
#else
      return tl_isa_resolve(TL_ISA_AUTO, &f);
#endif
  }
}

/* Float32 (or float16-expanded) constant weights, and a constant bias if any: the optimized path applies. */
static int tl_opt_candidate(const tl_model *model, const tl_op_desc *d, int32_t weight_rank) {
  const tl_tensor_desc *x, *w;
  if (d->input_count < 2 || d->input_count > 3 || d->output_count != 1) return 0;
  x = &model->tensors[d->inputs[0]];
  w = &model->tensors[d->inputs[1]];
  if (x->dtype != TL_FLOAT32 || (w->dtype != TL_FLOAT32 && w->dtype != TL_FLOAT16)) return 0;
  if (w->rank != weight_rank || !model->is_constant[d->inputs[1]]) return 0;
  if (d->input_count == 3 && !model->is_constant[d->inputs[2]]) return 0;
  return 1;
}

/* packed floats (+ scratch floats) as bytes, 0 on overflow (the op then runs its reference kernel) */
static size_t tl_opt_total_bytes(tl_isa isa, int32_t n, int64_t k, size_t scratch_floats) {
  size_t panels, floats, bytes;
  const size_t nr = (size_t)tl_gemm_nr(isa);
  if (n <= 0 || k <= 0 || k >= INT32_MAX) return 0;
  panels = ((size_t)n + nr - 1) / nr;
  if (!tl_mul_size(panels * nr, (size_t)k + 1, &floats) || !tl_add_size(floats, scratch_floats, &floats) ||
      !tl_mul_size(floats, sizeof(float), &bytes))
    return 0;
  return bytes;
}

#if !defined(TL_FREESTANDING)
/* int8 FullyConnected / Conv2D with constant int8 weights (and int32 bias): packed bytes + im2col scratch.
 * Not in freestanding builds (microcontrollers run the int8 reference kernels; this keeps the core small). */
static size_t tl_opt_int8_bytes(const tl_model *model, const tl_op_desc *d, tl_isa isa, int32_t threads) {
  const tl_tensor_desc *x, *w, *y;
  tl_cpu_features f;
  tl_i8_level level;
  int64_t k;
  size_t bytes, scratch = 0;
  if (d->opcode == TL_OP_SOFTMAX && d->input_count == 1 && d->output_count == 1 &&
      model->tensors[d->outputs[0]].dtype == TL_INT8)
    return tl_softmax_int8_opt_bytes(); /* the exponential table */
  if (d->input_count < 2 || d->input_count > 3 || d->output_count != 1) return 0;
  x = &model->tensors[d->inputs[0]];
  w = &model->tensors[d->inputs[1]];
  y = &model->tensors[d->outputs[0]];
  if (x->dtype != TL_INT8 || w->dtype != TL_INT8 || !model->is_constant[d->inputs[1]]) return 0;
  if (d->input_count == 3 && !model->is_constant[d->inputs[2]]) return 0;
  if (d->opcode == TL_OP_FULLY_CONNECTED && w->rank == 2) {
    k = w->dims[1];
  } else if (d->opcode == TL_OP_CONV2D && w->rank == 4 && y->rank == 4) {
    k = (int64_t)w->dims[1] * w->dims[2] * w->dims[3];
    if (k > 0 && k <= TL_GEMM_INT8_MAX_K) k = tl_conv_int8_depth_bound(w->dims[1], w->dims[2], w->dims[3]);
    if (!(w->dims[1] == 1 && w->dims[2] == 1 && d->opts.stride_h == 1 && d->opts.stride_w == 1)) {
      const int64_t positions = (int64_t)y->dims[1] * y->dims[2];
      const int64_t rows = positions < TL_CONV_INT8_BLOCK_ROWS ? positions : TL_CONV_INT8_BLOCK_ROWS;
      if (rows <= 0 || k <= 0 || k > TL_GEMM_INT8_MAX_K) return 0;
      scratch = (size_t)rows * (size_t)k + TL_CONV_INT8_SCRATCH_SLACK; /* k: tl_conv_int8_depth_bound */
      if (threads > 1 && scratch > SIZE_MAX / (size_t)threads) return 0;
      scratch *= (size_t)(threads > 1 ? threads : 1); /* one block per thread */
    }
  } else if (d->opcode == TL_OP_DEPTHWISE_CONV2D && d->opts.depth_multiplier == 1 && w->rank == 4) {
    if (w->dims[3] <= 0 || (int64_t)w->dims[1] * w->dims[2] > TL_DW_INT8_MAX_TAPS) return 0;
    return tl_depthwise_int8_opt_bytes(w->dims[1], w->dims[2], w->dims[3]); /* bias, VNNI weight pairs */
  } else {
    return 0;
  }
  if (w->dims[0] <= 0 || k <= 0 || k > TL_GEMM_INT8_MAX_K) return 0;
  f = tl_cpu_features_detect();
  level = tl_i8_level_for(isa, &f);
  /* n < 2^31 and k < 2^16: the packed size cannot overflow a 64-bit size_t; check it on 32-bit ones */
  if ((size_t)w->dims[0] > (SIZE_MAX - scratch) / ((size_t)k + 3 + 16 + sizeof(int64_t)) / 2) return 0;
  bytes = tl_gemm_int8_packed_bytes(level, w->dims[0], (int32_t)k);
  return bytes + scratch;
}
#endif

size_t tl_op_opt_bytes(const tl_model *model, int32_t op, tl_isa isa, int32_t threads) {
  const tl_op_desc *d = &model->ops[op];
  if (isa == TL_ISA_REFERENCE || isa == TL_ISA_AUTO) return 0;
#if !defined(TL_FREESTANDING)
  if (d->input_count >= 1 && model->tensors[d->inputs[0]].dtype == TL_INT8) return tl_opt_int8_bytes(model, d, isa, threads);
#endif
  if (d->opcode == TL_OP_FULLY_CONNECTED && tl_opt_candidate(model, d, 2)) {
    const tl_tensor_desc *w = &model->tensors[d->inputs[1]];
    /* only whether the batch (elems / in) is below 12 matters to the level: no division */
    const int64_t m = model->tensors[d->inputs[0]].elems < 12 * (int64_t)w->dims[1] ? 1 : 12;
    return tl_opt_total_bytes(tl_gemm_level_for(isa, m, w->dims[0]), w->dims[0], w->dims[1], 0);
  }
  if (d->opcode == TL_OP_CONV2D && tl_opt_candidate(model, d, 4)) {
    const tl_tensor_desc *w = &model->tensors[d->inputs[1]], *y = &model->tensors[d->outputs[0]];
    const int64_t k = (int64_t)w->dims[1] * w->dims[2] * w->dims[3];
    const int pointwise = w->dims[1] == 1 && w->dims[2] == 1 && d->opts.stride_h == 1 && d->opts.stride_w == 1;
    size_t scratch = 0;
    if (y->rank != 4 || k >= INT32_MAX) return 0;
    if (!pointwise) { /* tl_conv2d_f32_opt_scratch_floats for these shapes */
      const int64_t positions = (int64_t)y->dims[1] * y->dims[2];
      const int64_t rows = positions < TL_CONV_BLOCK_ROWS ? positions : TL_CONV_BLOCK_ROWS;
      if (rows <= 0 || !tl_mul_size((size_t)rows + 2, (size_t)k, &scratch) ||
          !tl_mul_size(scratch, (size_t)(threads > 1 ? threads : 1), &scratch)) /* one block per thread */
        return 0;
    }
    return tl_opt_total_bytes(tl_gemm_level_for(isa, (int64_t)y->dims[0] * y->dims[1] * y->dims[2], w->dims[0]),
                              w->dims[0], k, scratch);
  }
  if (d->opcode == TL_OP_DEPTHWISE_CONV2D && tl_opt_candidate(model, d, 4)) {
    const tl_tensor_desc *w = &model->tensors[d->inputs[1]];
    size_t floats = (size_t)w->dims[3], taps, bytes; /* the packed bias; depth_multiplier > 1: the weights too */
    if (w->dims[3] <= 0 || w->dims[1] <= 0 || w->dims[2] <= 0) return 0;
    if (d->opts.depth_multiplier != 1 &&
        (!tl_mul_size((size_t)w->dims[1], (size_t)w->dims[2], &taps) || !tl_add_size(taps, 1u, &taps) ||
         !tl_mul_size(taps, (size_t)w->dims[3], &floats)))
      return 0;
    return tl_mul_size(floats, sizeof(float), &bytes) ? bytes : 0;
  }
  return 0;
}

void tl_op_opt_prepare_fc(tl_op_ctx *ctx, tl_node *node) {
  const tl_fc_params *p = &node->params.fc;
  const tl_isa isa = tl_gemm_level_for((tl_isa)ctx->interp->isa, p->batch, p->out_depth);
  const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
  node->opt_isa = TL_ISA_REFERENCE;
  if (node->opt == NULL || tl_fc_f32_opt_packed_floats(p, isa) * sizeof(float) > node->opt_bytes) return;
  tl_fc_f32_opt_pack((float *)node->opt, (const float *)tl_op_input_data(ctx, node, 1), bias, p, isa);
  node->opt_isa = (int32_t)isa;
}

void tl_op_opt_prepare_conv2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_conv_params *p = &node->params.conv;
  const tl_isa isa = tl_gemm_level_for((tl_isa)ctx->interp->isa, (int64_t)p->batch * p->out_h * p->out_w, p->out_c);
  const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
  const size_t packed = tl_conv2d_f32_opt_packed_floats(p, isa);
  const size_t threads = (size_t)tl_threadpool_threads(ctx->interp->pool); /* one scratch block each */
  node->opt_isa = TL_ISA_REFERENCE;
  if (node->opt == NULL || (packed + threads * tl_conv2d_f32_opt_scratch_floats(p)) * sizeof(float) > node->opt_bytes)
    return;
  tl_conv2d_f32_opt_pack((float *)node->opt, (const float *)tl_op_input_data(ctx, node, 1), bias, p, isa);
  node->opt_scratch = (float *)node->opt + packed;
  node->opt_isa = (int32_t)isa;
}

int32_t tl_kernels_from_name(const char *name) {
  static const char *const names[] = {"auto", "reference", "portable", "neon", "avx2", "avx512"};
  int32_t i;
  if (name == NULL || name[0] == '\0') return TL_KERNELS_AUTO;
  for (i = 0; i < (int32_t)(sizeof names / sizeof names[0]); i++) {
    if (strcmp(name, names[i]) == 0) return i;
  }
  return -1;
}

void tl_op_opt_prepare_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node) {
  const tl_conv_params *p = &node->params.conv;
  const float *bias = node->op->input_count == 3 ? (const float *)tl_op_input_data(ctx, node, 2) : NULL;
  node->opt_isa = TL_ISA_REFERENCE;
  if (node->opt == NULL || p->depth_multiplier < 1 || (int64_t)p->in_c * p->depth_multiplier != p->out_c ||
      tl_depthwise_conv2d_f32_opt_packed_floats(p) * sizeof(float) > node->opt_bytes)
    return;
  tl_depthwise_conv2d_f32_opt_pack((float *)node->opt, bias, p);
  tl_depthwise_conv2d_f32_opt_pack_weights((float *)node->opt, (const float *)tl_op_input_data(ctx, node, 1), p);
  node->opt_isa = ctx->interp->isa;
}

void tl_op_opt_prepare_fc_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_fc_int8_params *p = &node->params.fc8;
  const tl_cpu_features f = tl_cpu_features_detect();
  const tl_i8_level level = tl_i8_level_for((tl_isa)ctx->interp->isa, &f);
  const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
  node->opt_isa = TL_ISA_REFERENCE;
  if (node->opt == NULL || p->in_depth > TL_GEMM_INT8_MAX_K || tl_fc_int8_opt_packed_bytes(p, level) > node->opt_bytes)
    return;
  tl_fc_int8_opt_pack(node->opt, (const int8_t *)tl_op_input_data(ctx, node, 1), bias, p, level);
  node->opt_i8 = (int32_t)level;
  node->opt_isa = ctx->interp->isa;
}

void tl_op_opt_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_conv_int8_params *p = &node->params.conv8;
  const tl_cpu_features f = tl_cpu_features_detect();
  const tl_i8_level level = tl_i8_level_for((tl_isa)ctx->interp->isa, &f);
  const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
  const int64_t k = (int64_t)p->geom.k_h * p->geom.k_w * p->geom.in_c;
  size_t packed, threads;
  node->opt_isa = TL_ISA_REFERENCE;
  if (node->opt == NULL || node->op->opcode != TL_OP_CONV2D || k <= 0 || k > TL_GEMM_INT8_MAX_K) return;
  packed = tl_conv2d_int8_opt_packed_bytes(p, level);
  threads = (size_t)tl_threadpool_threads(ctx->interp->pool); /* one scratch block each */
  if (packed > node->opt_bytes || tl_conv2d_int8_opt_scratch_bytes(&p->geom) > (node->opt_bytes - packed) / threads)
    return;
  tl_conv2d_int8_opt_pack(node->opt, (const int8_t *)tl_op_input_data(ctx, node, 1), bias, p, level);
  node->opt_scratch = (float *)(void *)((uint8_t *)node->opt + packed); /* int8 bytes; see tl_eval_conv2d_int8 */
  node->opt_i8 = (int32_t)level;
  node->opt_isa = ctx->interp->isa;
}

void tl_op_opt_prepare_depthwise_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_conv_int8_params *p = &node->params.conv8;
  const tl_cpu_features f = tl_cpu_features_detect();
  const int32_t *bias = node->op->input_count == 3 ? (const int32_t *)tl_op_input_data(ctx, node, 2) : NULL;
  node->opt_isa = TL_ISA_REFERENCE;
  if (node->opt == NULL || p->geom.depth_multiplier != 1 || p->geom.in_c != p->geom.out_c ||
      (int64_t)p->geom.k_h * p->geom.k_w > TL_DW_INT8_MAX_TAPS ||
      tl_depthwise_conv2d_int8_opt_packed_bytes(&p->geom) > node->opt_bytes)
    return;
  tl_depthwise_conv2d_int8_opt_pack(node->opt, (const int8_t *)tl_op_input_data(ctx, node, 1), bias, p);
  node->opt_i8 = (int32_t)tl_i8_level_for((tl_isa)ctx->interp->isa, &f);
  node->opt_isa = ctx->interp->isa;
}
