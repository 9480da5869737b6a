/* quantize.c: Quantize (float32 -> int8) and Dequantize (int8 -> float32), per-tensor parameters.
 *
 * Quantize: q = clamp(round_half_away(x / scale) + zero_point, -128, 127); NaN -> zero_point; the clamp
 * happens in float before the cast, so +-Inf and huge values saturate. Dequantize: x = scale * (q - zp).
 * Both loops are small enough to live here; they keep to the kernel rules (no allocation, no failure).
 */
#include <math.h>

#include "fb_schema.h"
#include "ops/ops.h"

typedef struct tl_qdq_state {
  int64_t n; /* elements */
  float scale;
  int32_t zero_point;
} tl_qdq_state;

static tl_status tl_prepare_qdq(tl_op_ctx *ctx, tl_node *node, tl_dtype in, tl_dtype out) {
  const tl_tensor_desc *x, *y, *q;
  tl_qdq_state *s;
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
  s = (tl_qdq_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = x->elems;
  s->scale = q->scales[0];
  s->zero_point = (int32_t)q->zero_points[0]; /* in [-128, 127]: checked at load */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_quantize(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_qdq(ctx, node, TL_FLOAT32, TL_INT8);
}
TL_OP_ENTRY tl_status tl_prepare_dequantize(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_qdq(ctx, node, TL_INT8, TL_FLOAT32);
}

TL_OP_ENTRY void tl_eval_quantize(tl_op_ctx *ctx, tl_node *node) {
  const tl_qdq_state *s = (const tl_qdq_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);        /* [n] */
  const float *x = (const float *)tl_op_input_data(ctx, node, 0); /* [n] */
  int64_t i, n = s->n;
  float scale = s->scale;
  float zp = (float)s->zero_point;
  for (i = 0; i < n; i++) {
    float v = x[i] / scale;
    if (v != v) {
      y[i] = (int8_t)s->zero_point;
      continue;
    }
    v = roundf(v); /* half away from zero */
    v = v + zp;
    if (v < -128.0f) v = -128.0f;
    if (v > 127.0f) v = 127.0f;
    y[i] = (int8_t)v;
  }
}

TL_OP_ENTRY void tl_eval_dequantize(tl_op_ctx *ctx, tl_node *node) {
  const tl_qdq_state *s = (const tl_qdq_state *)node->state;
  float *y = (float *)tl_op_output_data(ctx, node, 0);             /* [n] */
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0); /* [n] */
  int64_t i, n = s->n;
  float scale = s->scale;
  int32_t zp = s->zero_point;
  for (i = 0; i < n; i++) y[i] = scale * (float)((int32_t)x[i] - zp);
}

/* Work: elements. Measured ns per element (tl_bench, see interpreter.h): Quantize (float32 input) 5.9, weight
 * 96 / 16; Dequantize (int8 input) 0.36, weight 16 / 16. */
TL_OP_ENTRY uint64_t tl_work_quantize(const tl_model *m, const tl_op_desc *op) { return tl_op_work_outputs(m, op, 96, 96); }
TL_OP_ENTRY uint64_t tl_work_dequantize(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 16, 16);
}

const tl_op_descriptor tl_op_quantize = {"Quantize", NULL, TL_OP_FN(QUANTIZE, tl_prepare_quantize),
                                         TL_OP_FN(QUANTIZE, tl_eval_quantize), TL_OP_FN(QUANTIZE, tl_work_quantize),
                                         TL_OPT_NONE, 0, 0, 0};
const tl_op_descriptor tl_op_dequantize = {"Dequantize", NULL, TL_OP_FN(DEQUANTIZE, tl_prepare_dequantize),
                                           TL_OP_FN(DEQUANTIZE, tl_eval_dequantize),
                                           TL_OP_FN(DEQUANTIZE, tl_work_dequantize), TL_OPT_NONE, 0, 0, 0};
