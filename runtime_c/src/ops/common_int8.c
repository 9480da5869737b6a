/* common_int8.c: helpers shared by the int8 op glue: dtype rules of int8 ops, per-tensor parameters,
 * multipliers with their range checks, and the per-node memory the int8 ops need.
 *
 * What this is: the checks every int8 prepare repeats, written once, with "op N (Name): ..." messages. What
 * this is not: any op's own quantization rules (ops/<family>_int8.c).
 */
#include <math.h>
#ifndef TL_FREESTANDING /* bare metal: snprintf is util.c's tl_snprintf (tl_internal.h) */
#include <stdio.h>
#endif
#include <string.h>

#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"

tl_status tl_op_check_int8_dtypes(tl_op_ctx *ctx, const tl_node *node) {
  int32_t k;
  for (k = 0; k < node->op->input_count; k++) {
    const tl_tensor_desc *t = tl_op_input(ctx, node, k);
    int bias = k == 2 && (ctx->desc->flags & TL_OP_FLAG_WEIGHTS) != 0;
    tl_dtype want = bias ? TL_INT32 : TL_INT8;
    TL_OP_ENSURE(ctx, t->dtype == want, TL_ERROR_UNSUPPORTED_DTYPE, "input %d (%s) is %s: an int8 op needs %s here",
                 k, t->name, tl_dtype_name(t->dtype), tl_dtype_name(want));
    TL_OP_ENSURE(ctx, t->quant_count > 0, TL_ERROR_BAD_QUANTIZATION, "input %d (%s) has no quantization parameters",
                 k, t->name);
  }
  for (k = 0; k < node->op->output_count; k++) {
    const tl_tensor_desc *t = tl_op_output(ctx, node, k);
    TL_OP_ENSURE(ctx, t->dtype == TL_INT8, TL_ERROR_UNSUPPORTED_DTYPE, "output %d (%s) is %s but input 0 is int8", k,
                 t->name, tl_dtype_name(t->dtype));
    TL_OP_ENSURE(ctx, t->quant_count == 1, TL_ERROR_BAD_QUANTIZATION,
                 "output %d (%s) has %d scales: int8 activations are quantized per tensor", k, t->name,
                 t->quant_count);
  }
  return TL_OK;
}

tl_status tl_op_int8_params(tl_op_ctx *ctx, const tl_tensor_desc *t, const char *what, float *scale,
                            int32_t *zero_point) {
  TL_OP_ENSURE(ctx, t->quant_count == 1, TL_ERROR_BAD_QUANTIZATION,
               "%s (%s) has %d scales: int8 activations are quantized per tensor", what, t->name, t->quant_count);
  *scale = t->scales[0];
  *zero_point = (int32_t)t->zero_points[0]; /* in [-128, 127]: checked at load */
  return TL_OK;
}

tl_status tl_op_multiplier(tl_op_ctx *ctx, double real, int32_t min_shift, int32_t max_shift, const char *what,
                           int32_t *multiplier, int32_t *shift) {
  int32_t m = 0, s = 0;
  TL_OP_ENSURE(ctx, tl_quantize_multiplier(real, &m, &s), TL_ERROR_BAD_QUANTIZATION,
               "%s multiplier %g is not finite and positive", what, real);
  TL_OP_ENSURE(ctx, s >= min_shift && s <= max_shift, TL_ERROR_BAD_QUANTIZATION,
               "%s multiplier %g needs shift %d, outside [%d, %d]", what, real, s, min_shift, max_shift);
  *multiplier = m;
  *shift = s;
  return TL_OK;
}

tl_status tl_op_input_multiplier(tl_op_ctx *ctx, double real, const char *what, int32_t *multiplier,
                                 int32_t *shift) {
  int32_t m = 0, s = 0;
  TL_OP_ENSURE(ctx, tl_quantize_multiplier(real, &m, &s), TL_ERROR_BAD_QUANTIZATION,
               "%s multiplier %g is not finite and positive", what, real);
  if (s < -31) m = s = 0; /* TFLite's flush to zero */
  TL_OP_ENSURE(ctx, s <= 0, TL_ERROR_BAD_QUANTIZATION, "%s multiplier %g needs shift %d, outside [-31, 0]", what,
               real, s);
  *multiplier = m;
  *shift = s;
  return TL_OK;
}

tl_status tl_op_requantize_params(tl_op_ctx *ctx, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                  int32_t lo, int32_t hi, const char *what, tl_requantize_int8_params *p) {
  memset(p, 0, sizeof *p);
  p->input_zp = in_zp;
  p->output_zp = out_zp;
  p->act_min = lo;
  p->act_max = hi;
  p->requant = !(in_scale == out_scale && in_zp == out_zp);
  if (p->requant)
    TL_ENSURE_OK(tl_op_multiplier(ctx, (double)in_scale / (double)out_scale, -31, 31, what, &p->multiplier, &p->shift));
  return TL_OK;
}

/* Algorithm: the TFLite conv/FC rules. Weights: zero points 0, one scale or one per output channel on `axis`.
 * Bias: the same count of scales, each within a relative 1e-6 of input_scale * weight_scale[c], zero points 0.
 * Each channel's real multiplier input_scale * weight_scale[c] / output_scale (double) must be in (0, 1) with a
 * shift >= -31. Per-channel multipliers and shifts go to per-node memory (tl_op_persistent, multipliers
 * first): requested in the size pass, written in the place pass. */
tl_status tl_op_prepare_channel_requant(tl_op_ctx *ctx, tl_node *node, int32_t axis, int32_t channels,
                                        int32_t act, int32_t *input_zp, tl_requant_int8 *q) {
  const tl_tensor_desc *x = tl_op_input(ctx, node, 0), *w = tl_op_input(ctx, node, 1);
  const tl_tensor_desc *y = tl_op_output(ctx, node, 0);
  const tl_tensor_desc *b = node->op->input_count == 3 ? tl_op_input(ctx, node, 2) : NULL;
  float s_in, s_out;
  int32_t zp_out, c, n = w->quant_count;
  int32_t *multipliers = NULL, *shifts;
  char what[64];

  TL_ENSURE_OK(tl_op_int8_params(ctx, x, "input", &s_in, input_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, y, "output", &s_out, &zp_out));
  TL_OP_ENSURE(ctx, n == 1 || (n == channels && w->quant_axis == axis), TL_ERROR_BAD_QUANTIZATION,
               "weight (%s) has %d scales on axis %d: expected 1, or %d on axis %d (output channels)", w->name, n,
               w->quant_axis, channels, axis);
  for (c = 0; c < n; c++)
    TL_OP_ENSURE(ctx, w->zero_points[c] == 0, TL_ERROR_BAD_QUANTIZATION,
                 "weight (%s) zero point %d is %lld: weights are symmetric (zero point 0)", w->name, c,
                 (long long)w->zero_points[c]);
  if (b) {
    TL_OP_ENSURE(ctx, b->quant_count == n, TL_ERROR_BAD_QUANTIZATION,
                 "bias (%s) has %d scales but the weight has %d", b->name, b->quant_count, n);
    for (c = 0; c < n; c++) {
      double want = (double)s_in * (double)w->scales[c], got = (double)b->scales[c];
      double tol = 1e-6 * (want < got ? want : got);
      TL_OP_ENSURE(ctx, b->zero_points[c] == 0, TL_ERROR_BAD_QUANTIZATION, "bias (%s) zero point %d is %lld, not 0",
                   b->name, c, (long long)b->zero_points[c]);
      TL_OP_ENSURE(ctx, fabs(got - want) <= tol, TL_ERROR_BAD_QUANTIZATION,
                   "bias (%s) scale %d is %g, expected input scale x weight scale = %g", b->name, c, got, want);
    }
  }
  if (n > 1) {
    multipliers = (int32_t *)tl_op_persistent(ctx, 2u * sizeof(int32_t) * (size_t)n);
    if (multipliers == NULL && !ctx->sizing) return tl_op_unplaced(ctx);
  }
  memset(q, 0, sizeof *q);
  q->channels = n;
  q->output_zp = zp_out;
  tl_activation_range_int8(act, s_out, zp_out, &q->act_min, &q->act_max);
  if (n > 1) {
    shifts = multipliers != NULL ? multipliers + n : NULL; /* size pass: checked, not written */
    q->multipliers = multipliers;
    q->shifts = shifts;
  } else {
    multipliers = &q->multiplier;
    shifts = &q->shift;
  }
  for (c = 0; c < n; c++) {
    double real = (double)s_in * (double)w->scales[c] / (double)s_out;
    int32_t m = 0, sh = 0;
    snprintf(what, sizeof what, "channel %d effective", c);
    TL_OP_ENSURE(ctx, real > 0.0 && real < 1.0, TL_ERROR_BAD_QUANTIZATION,
                 "channel %d effective multiplier input scale x weight scale / output scale = %g: must be in (0, 1)",
                 c, real);
    TL_ENSURE_OK(tl_op_multiplier(ctx, real, -31, 31, what, &m, &sh));
    if (multipliers != NULL) {
      multipliers[c] = m;
      shifts[c] = sh;
    }
  }
  return TL_OK;
}

int tl_op_run_units(tl_op_ctx *ctx, int64_t macs, int32_t units, tl_op_units *u, tl_threadpool_fn fn, void *job) {
  const int32_t threads = tl_op_threads(ctx, macs);
  if (threads <= 1 || units <= 1) return 0;
  u->parts = threads < units ? threads : units;
  u->units = units;
  tl_threadpool_run(ctx->interp->pool, u->parts, fn, job);
  return 1;
}
