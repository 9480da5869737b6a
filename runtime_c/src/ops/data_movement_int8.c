/* data_movement_int8.c: int8 glue of Concatenation: inputs whose parameters differ from the output's are
 * requantized (tl_op_requantize_params), the others copied; a fused activation is a clamp of the output range.
 * Reshape, Pad and Transpose need no int8 glue: they are dtype-agnostic and require equal parameters
 * (data_movement.c); Pad writes the output zero point.
 */
#ifndef TL_FREESTANDING /* bare metal: snprintf is util.c's tl_snprintf (tl_internal.h) */
#include <stdio.h>
#endif

#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"

tl_status tl_prepare_concat_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_concat_params g = node->params.concat;
  tl_concat_int8_params *p = &node->params.concat8;
  tl_requantize_int8_params *q = (tl_requantize_int8_params *)node->persist;
  float so;
  int32_t zo, lo, hi, i;
  char what[32];
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  tl_activation_range_int8(node->op->opts.activation, so, zo, &lo, &hi);
  TL_DCHECK(q != NULL); /* tl_op_persistent_bytes reserved one entry per input */
  for (i = 0; i < g.num_inputs; i++) {
    float si;
    int32_t zi;
    snprintf(what, sizeof what, "input %d", (int)i);
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, i), what, &si, &zi));
    TL_ENSURE_OK(tl_op_requantize_params(ctx, si, zi, so, zo, lo, hi, what, &q[i]));
  }
  p->geom = g;
  p->q = q;
  return TL_OK;
}

void tl_eval_concat_int8(tl_op_ctx *ctx, tl_node *node) {
  const int8_t *xs[TL_CONCAT_MAX_INPUTS];
  int32_t i;
  for (i = 0; i < node->params.concat8.geom.num_inputs; i++) xs[i] = (const int8_t *)tl_op_input_data(ctx, node, i);
  tl_concat_int8((int8_t *)tl_op_output_data(ctx, node, 0), xs, &node->params.concat8);
}
