/* concatenation_int8.c: int8 half of Concatenation: inputs whose parameters differ from the output's are
 * requantized (tl_op_requantize_params, one entry per input in the op's per-node memory), the others copied;
 * a fused activation is a clamp of the output range.
 */
#ifndef TL_FREESTANDING /* bare metal: snprintf is util.c's tl_snprintf (tl_internal.h) */
#include <stdio.h>
#endif

#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"

tl_status tl_prepare_concatenation_int8(tl_op_ctx *ctx, tl_node *node, const tl_concat_params *g, int32_t act) {
  tl_concat_int8_params *s = (tl_concat_int8_params *)tl_op_persistent(ctx, sizeof *s);
  tl_requantize_int8_params *q =
      (tl_requantize_int8_params *)tl_op_persistent(ctx, (size_t)g->num_inputs * sizeof(tl_requantize_int8_params));
  float so;
  int32_t zo, lo, hi, i;
  char what[32];
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  tl_activation_range_int8(act, so, zo, &lo, &hi);
  for (i = 0; i < g->num_inputs; i++) {
    tl_requantize_int8_params qi;
    float si;
    int32_t zi;
    snprintf(what, sizeof what, "input %d", (int)i);
    TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, i), what, &si, &zi));
    TL_ENSURE_OK(tl_op_requantize_params(ctx, si, zi, so, zo, lo, hi, what, &qi));
    if (q != NULL) q[i] = qi;
  }
  if (s == NULL || q == NULL) return tl_op_unplaced(ctx);
  s->geom = *g;
  s->q = q;
  node->state = s;
  return TL_OK;
}

void tl_eval_concatenation_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_concat_int8_params *s = (const tl_concat_int8_params *)node->state;
  const int8_t *xs[TL_CONCAT_MAX_INPUTS];
  int32_t i;
  for (i = 0; i < s->geom.num_inputs; i++) xs[i] = (const int8_t *)tl_op_input_data(ctx, node, i);
  tl_concat_int8((int8_t *)tl_op_output_data(ctx, node, 0), xs, s);
}
