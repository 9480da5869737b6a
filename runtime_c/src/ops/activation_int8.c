/* activation_int8.c: int8 glue of Relu, Relu6, Sigmoid, Tanh and Softmax.
 *
 * Relu / Relu6: clamps of the output range (relu: at the output zero point; relu6: also at
 * zero_point + round(6 / scale)), with a requantization when input and output parameters differ.
 * Sigmoid / Softmax: output scale exactly 1/256, zero point -128; Tanh: 1/128, 0 (other outputs are rejected).
 * Sigmoid / Tanh rescale the input to Q4 (real multiplier input_scale * 2^27); Softmax rescales beta * scale to
 * Q5 (min(beta * input_scale * 2^26, 2^31 - 1)); the radii come from the unclamped shifts, as in
 * trainer/quantize.py prepare_activation / prepare_softmax.
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/opt/opt_kernels_int8.h"
#include "ops/ops_int8.h"
#include "quant.h"

static tl_status tl_check_fixed_output(tl_op_ctx *ctx, float scale, int32_t zp, float want_scale, int32_t want_zp) {
  TL_OP_ENSURE(ctx, scale == want_scale && zp == want_zp, TL_ERROR_BAD_QUANTIZATION,
               "output scale %g and zero point %d: an int8 %s output must have scale %g and zero point %d",
               (double)scale, zp, ctx->op_name, (double)want_scale, want_zp);
  return TL_OK;
}

tl_status tl_prepare_unary_int8(tl_op_ctx *ctx, tl_node *node) {
  int64_t n = node->params.simple.n;
  float si, so;
  int32_t zi, zo, op = node->op->opcode;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  if (op == TL_OP_RELU || op == TL_OP_RELU6) {
    int32_t lo, hi;
    tl_activation_range_int8(op == TL_OP_RELU ? TL_ACT_RELU : TL_ACT_RELU6, so, zo, &lo, &hi);
    node->params.elementwise8.n = n;
    return tl_op_requantize_params(ctx, si, zi, so, zo, lo, hi, "input to output", &node->params.elementwise8.q);
  } else {
    tl_activation_int8_params *p = &node->params.elementwise8.act;
    int32_t m = 0, s = 0, r;
    if (op == TL_OP_SIGMOID) TL_ENSURE_OK(tl_check_fixed_output(ctx, so, zo, 1.0f / 256.0f, -128));
    else TL_ENSURE_OK(tl_check_fixed_output(ctx, so, zo, 1.0f / 128.0f, 0));
    /* scale is normal and positive, so the real multiplier is finite and positive */
    if (!tl_quantize_multiplier((double)si * 134217728.0, &m, &s)) m = 0;
    r = tl_input_radius(4, s);
    node->params.elementwise8.n = n;
    p->input_zp = zi;
    p->input_multiplier = m;
    p->input_shift = s < -31 ? -31 : (s > 31 ? 31 : s);
    p->input_radius = r < 1 ? 1 : r;
    return TL_OK;
  }
}

void tl_eval_unary_int8(tl_op_ctx *ctx, tl_node *node) {
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
  int64_t n = node->params.elementwise8.n;
  switch (node->op->opcode) {
    case TL_OP_SIGMOID: tl_logistic_int8(y, x, n, &node->params.elementwise8.act); break;
    case TL_OP_TANH: tl_tanh_int8(y, x, n, &node->params.elementwise8.act); break;
    default: tl_requantize_int8(y, x, n, &node->params.elementwise8.q); break;
  }
}

tl_status tl_prepare_softmax_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_softmax_params g = node->params.softmax;
  tl_softmax_int8_params *p = &node->params.softmax8;
  float si, so;
  int32_t zi, zo, m = 0, s = 0;
  double real;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  TL_ENSURE_OK(tl_check_fixed_output(ctx, so, zo, 1.0f / 256.0f, -128));
  TL_OP_ENSURE(ctx, g.depth <= 4095, TL_ERROR_UNSUPPORTED_FEATURE,
               "int8 softmax over %d values: at most 4095 (the fixed-point sum would overflow)", g.depth);
  real = (double)g.beta * (double)si * 67108864.0;
  if (real > 2147483647.0) real = 2147483647.0;
  if (!tl_quantize_multiplier(real, &m, &s)) m = 0; /* beta and scale are positive and finite: unreachable */
  s = s < -31 ? -31 : (s > 31 ? 31 : s);
  memset(p, 0, sizeof *p);
  p->outer = g.outer;
  p->depth = g.depth;
  p->input_multiplier = m;
  p->input_shift = s;
  p->diff_min = -tl_input_radius(5, s);
  node->opt_isa = TL_ISA_REFERENCE;
#if !defined(TL_FREESTANDING)
  if (node->opt != NULL && node->opt_bytes >= tl_softmax_int8_opt_bytes()) { /* the optimized kernels' table */
    tl_softmax_int8_opt_prepare(node->opt, p);
    node->opt_isa = ctx->interp->isa;
  }
#endif
  return TL_OK;
}

void tl_eval_softmax_int8(tl_op_ctx *ctx, tl_node *node) {
#if !defined(TL_FREESTANDING)
  if (node->opt_isa != TL_ISA_REFERENCE) {
    tl_softmax_int8_opt((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                        node->opt, &node->params.softmax8);
    return;
  }
#endif
  tl_softmax_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                  &node->params.softmax8);
}
