/* float16.c: float16 weights (the converter's float16 mode): constant FLOAT16 weights and biases of the ops
 * whose descriptor has TL_OP_FLAG_WEIGHTS (FullyConnected, Conv2D, DepthwiseConv2D) are expanded to float32
 * once, at prepare, into the op's per-node memory (tl_op_persistent), and the interpreter's data pointer of
 * the tensor is redirected there, so the float32 kernels run unchanged (the file is half the size; the memory
 * in use is that of the float model).
 *
 * What this is not: float16 arithmetic (there is none) or float16 activations (rejected by the dtype check).
 */
#include "ops/ops.h"
#include "quant.h"

int tl_op_float16_input_ok(const tl_op_ctx *ctx, const tl_node *node, int32_t k) {
  const tl_tensor_desc *t = tl_op_input(ctx, node, k);
  return t->dtype == TL_FLOAT16 && t->data != NULL && k >= 1 && (ctx->desc->flags & TL_OP_FLAG_WEIGHTS) != 0;
}

tl_status tl_op_expand_float16(tl_op_ctx *ctx, tl_node *node) {
  int32_t k;
  for (k = 1; k < node->op->input_count; k++) {
    const tl_tensor_desc *t = tl_op_input(ctx, node, k);
    float *out;
    if (!tl_op_float16_input_ok(ctx, node, k)) continue;
    out = (float *)tl_op_persistent(ctx, (size_t)t->elems * sizeof(float)); /* elems < 2^31: no overflow */
    if (out == NULL) {
      TL_ENSURE_OK(tl_op_unplaced(ctx));
      continue;
    }
    {
      const uint8_t *in = t->data; /* [elems] little-endian float16 */
      int64_t i;
      for (i = 0; i < t->elems; i++) out[i] = tl_half_to_float((uint16_t)(in[2 * i] | (in[2 * i + 1] << 8)));
      ctx->interp->data[node->op->inputs[k]] = out;
    }
  }
  return TL_OK;
}
