/* ops_int8.h: int8 prepare/eval glue (TFLite int8 scheme), called by the per-op files when an op's input 0
 * is int8.
 *
 * What this is: the quantization half of each op's prepare (parameter checks, multipliers, clamps, computed
 * once in double precision exactly as trainer/quantize.py does) and the int8 evals. The float prepare of the
 * op has already checked counts, dtypes (tl_op_check_float accepts int8 ops through tl_op_check_int8_dtypes)
 * and shapes, and filled the float geometry params, which the int8 prepare copies into the int8 params.
 * What this is not: the arithmetic (kernels/<op>_int8.c) or shape rules (the per-op files).
 *
 * Every rejection is TL_ERROR_BAD_QUANTIZATION (scales, zero points, per-channel counts and axes, multipliers
 * or shifts out of range, bias scale mismatch), TL_ERROR_UNSUPPORTED_DTYPE (an int8 op with another dtype)
 * or TL_ERROR_UNSUPPORTED_FEATURE, with a message naming the op, the tensor and the field.
 */
#ifndef TL_OPS_INT8_H
#define TL_OPS_INT8_H

#include "ops/ops.h"

/* 1 when the op runs int8: it has an input 0 and that input is int8. */
int tl_op_is_int8(const tl_op_ctx *ctx, const tl_node *node);
/* Inputs int8 (bias of FullyConnected / Conv2D / DepthwiseConv2D: int32), outputs int8, each with
 * quantization parameters; activations (everything but weights and bias) per tensor. */
tl_status tl_op_check_int8_dtypes(tl_op_ctx *ctx, const tl_node *node);
/* Bytes of per-node memory op `op` needs from prepare on, computed before any check (callers reserve them
 * in node->persist, 16-byte aligned): int8 per-channel multipliers and shifts, per-input requantization of
 * Concatenation, then float32 copies of float16 weights (ops/float16.c). Huge (never overflowing when
 * rounded to 16) for float16 weights that cannot fit in size_t. */
size_t tl_op_persistent_bytes(const tl_model *model, int32_t op);
/* Fills what prepare of every op can rely on in node->persist: expands float16 weights to float32 and points
 * data[tensor] at the copy. Call after node->persist is set, before the op's prepare. */
void tl_op_prepare_persistent(void **data, const tl_model *model, int32_t op, tl_node *node);

/* ---- float16 weights (ops/float16.c) ---- */
/* 1 when input k is a constant FLOAT16 weight or bias of FullyConnected / Conv2D / DepthwiseConv2D. */
int tl_op_float16_input_ok(const tl_op_ctx *ctx, const tl_node *node, int32_t k);
size_t tl_op_float16_bytes(const tl_model *model, int32_t op);
void tl_op_expand_float16(void **data, const tl_model *model, int32_t op, uint8_t *block);

tl_status tl_prepare_fc_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_fc_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node); /* Conv2D and DepthwiseConv2D */
void tl_eval_conv2d_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_binary_int8(tl_op_ctx *ctx, tl_node *node); /* Add, Sub, Mul */
void tl_eval_binary_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_pool2d_int8(tl_op_ctx *ctx, tl_node *node); /* MaxPool2D, AveragePool2D */
void tl_eval_pool2d_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_mean_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_mean_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_unary_int8(tl_op_ctx *ctx, tl_node *node); /* Relu, Relu6, Sigmoid, Tanh */
void tl_eval_unary_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_softmax_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_softmax_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_concat_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_concat_int8(tl_op_ctx *ctx, tl_node *node);

/* ---- helpers shared by the int8 glue (ops/common_int8.c) ---- */
/* The per-tensor scale and zero point of an int8 activation tensor (count 1, else BAD_QUANTIZATION). */
tl_status tl_op_int8_params(tl_op_ctx *ctx, const tl_tensor_desc *t, const char *what, float *scale,
                            int32_t *zero_point);
/* (multiplier, shift) of real = num * mul / den (in double), shift within [min_shift, max_shift] and real
 * finite and positive, else BAD_QUANTIZATION naming `what`. */
tl_status tl_op_multiplier(tl_op_ctx *ctx, double real, int32_t min_shift, int32_t max_shift, const char *what,
                           int32_t *multiplier, int32_t *shift);
/* Weights, bias and per-channel (or per-tensor) requantization of FullyConnected / Conv2D / DepthwiseConv2D:
 * input 0 activations, input 1 weights quantized on `axis` with `channels` output channels, input 2 bias. */
tl_status tl_op_prepare_channel_requant(tl_op_ctx *ctx, tl_node *node, int32_t axis, int32_t channels,
                                        int32_t *input_zp, tl_requant_int8 *q);
/* Elementwise requantization from (in_scale, in_zp) to (out_scale, out_zp), clamped to [lo, hi]. */
tl_status tl_op_requantize_params(tl_op_ctx *ctx, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                  int32_t lo, int32_t hi, const char *what, tl_requantize_int8_params *p);

#endif /* TL_OPS_INT8_H */
