/* mean_int8.c: int8 half of Mean: averages the centered input and requantizes when the input and output
 * parameters differ (tl_op_requantize_params). */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops_int8.h"

tl_status tl_prepare_mean_int8(tl_op_ctx *ctx, tl_node *node, const tl_mean_params *g) {
  tl_mean_int8_params p, *s;
  float si, so;
  int32_t zi, zo;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  memset(&p, 0, sizeof p);
  p.geom = *g;
  TL_ENSURE_OK(tl_op_requantize_params(ctx, si, zi, so, zo, -128, 127, "input to output", &p.q));
  s = (tl_mean_int8_params *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

void tl_eval_mean_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_mean_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
               (const tl_mean_int8_params *)node->state);
}
