/* quantize.c: Quantize (float32 -> int8) and Dequantize (int8 -> float32), per-tensor parameters.
 *
 * Quantize: q = clamp(round_half_away(x / scale) + zero_point, -128, 127); NaN -> zero_point; the clamp
 * happens in float before the cast, so +-Inf and huge values saturate. Dequantize: x = scale * (q - zp).
 * Both loops are small enough to live here; they keep to the kernel rules (no allocation, no failure).
 */
#include <math.h>

#include "fb_schema.h"
#include "ops/ops.h"

static tl_status tl_prepare_qdq(tl_op_ctx *ctx, tl_node *node, tl_dtype in, tl_dtype out) {
  const tl_tensor_desc *x, *y, *q;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->dtype == in && y->dtype == out, TL_ERROR_UNSUPPORTED_DTYPE, "%s -> %s given, expected %s -> %s",
               tl_dtype_name(x->dtype), tl_dtype_name(y->dtype), tl_dtype_name(in), tl_dtype_name(out));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, y, "output", x, "input"));
  q = in == TL_INT8 ? x : y;
  TL_OP_ENSURE(ctx, q->quant_count == 1, TL_ERROR_UNSUPPORTED_FEATURE,
               "tensor %s has %d quantization scales: only per-tensor quantization is supported here", q->name,
               q->quant_count);
  node->params.simple.n = x->elems;
  node->params.simple.scale = q->scales[0];
  node->params.simple.zero_point = (int32_t)q->zero_points[0]; /* in [-128, 127]: checked at load */
  return TL_OK;
}

tl_status tl_prepare_quantize(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_qdq(ctx, node, TL_FLOAT32, TL_INT8); }
tl_status tl_prepare_dequantize(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_qdq(ctx, node, TL_INT8, TL_FLOAT32); }

void tl_eval_quantize(tl_op_ctx *ctx, tl_node *node) {
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);        /* [n] */
  const float *x = (const float *)tl_op_input_data(ctx, node, 0); /* [n] */
  int64_t i, n = node->params.simple.n;
  float scale = node->params.simple.scale;
  float zp = (float)node->params.simple.zero_point;
  for (i = 0; i < n; i++) {
    float v = x[i] / scale;
    if (v != v) {
      y[i] = (int8_t)node->params.simple.zero_point;
      continue;
    }
    v = roundf(v); /* half away from zero */
    v = v + zp;
    if (v < -128.0f) v = -128.0f;
    if (v > 127.0f) v = 127.0f;
    y[i] = (int8_t)v;
  }
}

void tl_eval_dequantize(tl_op_ctx *ctx, tl_node *node) {
  float *y = (float *)tl_op_output_data(ctx, node, 0);             /* [n] */
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0); /* [n] */
  int64_t i, n = node->params.simple.n;
  float scale = node->params.simple.scale;
  int32_t zp = node->params.simple.zero_point;
  for (i = 0; i < n; i++) y[i] = scale * (float)((int32_t)x[i] - zp);
}
