/* sum.c: Sum over MeanOptions.axes (Mean's axis rules: ops/reduce_axes.c), float32 and int8.
 *
 * int8: TFLite's SUM with differing input and output parameters (kernels/reduce.h: the raw sum rescaled in
 * float32 by s_in / s_out, the zero point's share subtracted as a float32 bias). tensorlet applies it with
 * equal parameters too, where TFLite's SUM adds the raw values in int8 instead (wrapping, the zero point
 * counted once per term); the TFLite exporter refuses that case. The op-private state is the kernel's params.
 */
#include "fb_schema.h"
#include "kernels/reduce.h"
#include "ops/ops_int8.h"
#include "ops/reduce_axes.h"

static tl_status tl_prepare_sum_int8(tl_op_ctx *ctx, tl_node *node, const tl_mean_params *g) {
  tl_sum_int8_params p, *s;
  float si, so;
  int32_t zi, zo;
  int64_t count = 1;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  for (int32_t d = 0; d < g->rank; d++)
    if (g->reduce[d]) count *= g->in_dims[d];
  p.geom = *g;
  p.scale = si / so; /* float32 division, as TFLite */
  TL_OP_ENSURE(ctx, p.scale == p.scale && p.scale < 3.0e38f, TL_ERROR_BAD_QUANTIZATION,
               "input scale / output scale %g / %g is not a finite float32", (double)si, (double)so);
  p.bias = (float)(-zi) * p.scale;
  p.bias = p.bias * (float)count;
  TL_OP_ENSURE(ctx, p.bias - p.bias == 0.0f, TL_ERROR_BAD_QUANTIZATION,
               "the input zero point's share of the sum, %d x %g x %lld, is not a finite float32", (int)-zi,
               (double)p.scale, (long long)count);
  p.output_zp = zo;
  s = (tl_sum_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_sum(tl_op_ctx *ctx, tl_node *node) {
  tl_mean_params p, *s;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  TL_ENSURE_OK(tl_op_reduce_geometry(ctx, node, &p));
  if (tl_op_is_int8(ctx, node)) return tl_prepare_sum_int8(ctx, node, &p);
  s = (tl_mean_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_sum(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_sum_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                (const tl_sum_int8_params *)node->state);
  } else {
    tl_sum_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
               (const tl_mean_params *)node->state);
  }
}

/* Work: Mean's weights (the same walk over the input), input elements x 64 / 16 (float32), 48 / 16 (int8). */
TL_OP_ENTRY uint64_t tl_work_sum(const tl_model *m, const tl_op_desc *op) { return tl_op_work_inputs(m, op, 64, 48); }

const tl_op_descriptor tl_op_sum = {"Sum", tl_decode_reduce_options, TL_OP_FN(SUM, tl_prepare_sum),
                                    TL_OP_FN(SUM, tl_eval_sum), TL_OP_FN(SUM, tl_work_sum), TL_OPT_MEAN, 1, 0,
                                    sizeof(tl_reduce_options)};
