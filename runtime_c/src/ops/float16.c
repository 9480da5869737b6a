/* float16.c: float16 weights (the converter's float16 mode): constant FLOAT16 weights and biases of
 * FullyConnected, Conv2D and DepthwiseConv2D are expanded to float32 once, at prepare, into the node's
 * per-node memory, and the interpreter's data pointer of the tensor is redirected there, so the float32
 * kernels run unchanged (the file is half the size; the memory in use is that of the float model).
 *
 * What this is not: float16 arithmetic (there is none) or float16 activations (rejected by the dtype check).
 */
#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"

#define TL_A16(x) (((x) + 15u) & ~(size_t)15u)

static int tl_takes_float16(int32_t opcode, int32_t k) {
  return k >= 1 && (opcode == TL_OP_FULLY_CONNECTED || opcode == TL_OP_CONV2D || opcode == TL_OP_DEPTHWISE_CONV2D);
}

int tl_op_float16_input_ok(const tl_op_ctx *ctx, const tl_node *node, int32_t k) {
  const tl_tensor_desc *t = tl_op_input(ctx, node, k);
  return t->dtype == TL_FLOAT16 && t->data != NULL && tl_takes_float16(node->op->opcode, k);
}

size_t tl_op_float16_bytes(const tl_model *model, int32_t op) {
  const tl_op_desc *d = &model->ops[op];
  uint64_t bytes = 0;
  int32_t k;
  for (k = 0; k < d->input_count; k++) {
    const tl_tensor_desc *t = &model->tensors[d->inputs[k]];
    /* elems < 2^31 and at most 3 inputs qualify: the uint64 sum cannot overflow */
    if (t->dtype == TL_FLOAT16 && t->data != NULL && tl_takes_float16(d->opcode, k))
      bytes += ((uint64_t)t->elems * sizeof(float) + 15u) & ~(uint64_t)15u;
  }
  /* above what size_t can hold (32-bit builds): a huge aligned value that the caller's checked sums reject */
  return bytes > (uint64_t)(SIZE_MAX / 2) ? (SIZE_MAX / 2) & ~(size_t)15 : (size_t)bytes;
}

void tl_op_expand_float16(void **data, const tl_model *model, int32_t op, uint8_t *block) {
  const tl_op_desc *d = &model->ops[op];
  int32_t k;
  for (k = 0; k < d->input_count; k++) {
    const tl_tensor_desc *t = &model->tensors[d->inputs[k]];
    if (t->dtype == TL_FLOAT16 && t->data != NULL && tl_takes_float16(d->opcode, k)) {
      float *out = (float *)(void *)block;                 /* [elems], 16-byte aligned */
      const uint8_t *in = t->data;                         /* [elems] little-endian float16 */
      int64_t i;
      for (i = 0; i < t->elems; i++) out[i] = tl_half_to_float((uint16_t)(in[2 * i] | (in[2 * i + 1] << 8)));
      data[d->inputs[k]] = out;
      block += TL_A16((size_t)t->elems * sizeof(float));
    }
  }
}
