/* minimum.c: Minimum, y = min(a, b) with numpy broadcasting (rank <= 4), float32 and int8; no options.
 *
 * prepare: the broadcast of Add (tl_op_broadcast: two inputs, one output, ranks <= 4, dims equal or 1, the
 * output shape their broadcast). int8: each input's scale and zero point may differ from the output's; each
 * input is requantized to the output (tl_op_requantize_params, clamped to [-128, 127]) before the min, so
 * with equal parameters everywhere it is the min of the raw values (TFLite's MINIMUM). The op-private state
 * is the kernel's params (kernels/minimum.h).
 */
#include "fb_schema.h"
#include "kernels/minimum.h"
#include "ops/ops_int8.h"

static tl_status tl_prepare_minimum_int8(tl_op_ctx *ctx, tl_node *node, const tl_binary_params *g) {
  tl_minimum_int8_params p, *s;
  float sa, sb, so;
  int32_t za, zb, zo;
  p.geom = *g;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input 0", &sa, &za));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "input 1", &sb, &zb));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  TL_ENSURE_OK(tl_op_requantize_params(ctx, sa, za, so, zo, -128, 127, "input 0", &p.a));
  TL_ENSURE_OK(tl_op_requantize_params(ctx, sb, zb, so, zo, -128, 127, "input 1", &p.b));
  s = (tl_minimum_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_minimum(tl_op_ctx *ctx, tl_node *node) {
  tl_binary_params p, *s;
  TL_ENSURE_OK(tl_op_broadcast(ctx, node, &p));
  if (tl_op_is_int8(ctx, node)) return tl_prepare_minimum_int8(ctx, node, &p);
  s = (tl_binary_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_minimum(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) {
    tl_minimum_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                    (const int8_t *)tl_op_input_data(ctx, node, 1), (const tl_minimum_int8_params *)node->state);
  } else {
    tl_minimum_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                   (const float *)tl_op_input_data(ctx, node, 1), (const tl_binary_params *)node->state);
  }
}

/* Work: output elements x 224 / 16 (float32), 768 / 16 (int8). Measured ns per output element (tl_bench,
 * see interpreter.h; median invoke) on 4M-element outputs, float32 / int8:
 * same shapes 0.65-0.72 / 31.6-32.9; a broadcast last axis 0.55-0.6 / 25-30; a last axis of 1 (a row per
 * element, the slowest) 9.8-10.3 / 22-23. The weights are the slowest with ~1.4x to spare. */
TL_OP_ENTRY uint64_t tl_work_minimum(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 224, 768);
}

const tl_op_descriptor tl_op_minimum = {"Minimum", NULL, TL_OP_FN(MINIMUM, tl_prepare_minimum),
                                        TL_OP_FN(MINIMUM, tl_eval_minimum), TL_OP_FN(MINIMUM, tl_work_minimum),
                                        TL_OPT_NONE, 0, 0, 0};
