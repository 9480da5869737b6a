/* ops_int8.h: helpers of the int8 halves of the ops (TFLite int8 scheme): ops/<op>_int8.c.
 *
 * What this is: the quantization checks every int8 prepare repeats (parameter checks, multipliers, clamps,
 * computed once in double precision exactly as trainer/quantize.py does). The float prepare of an op has
 * already checked counts, dtypes (tl_op_check_float accepts int8 ops through tl_op_check_int8_dtypes) and
 * shapes, and computed the float geometry, which its int8 prepare embeds in its int8 params. What this is not:
 * the arithmetic (kernels/<op>_int8.c) or shape rules (the op files).
 *
 * Every rejection is TL_ERROR_BAD_QUANTIZATION (scales, zero points, per-channel counts and axes, multipliers
 * or shifts out of range, bias scale mismatch), TL_ERROR_UNSUPPORTED_DTYPE (an int8 op with another dtype)
 * or TL_ERROR_UNSUPPORTED_FEATURE, with a message naming the op, the tensor and the field.
 */
#ifndef TL_OPS_INT8_H
#define TL_OPS_INT8_H

#include "ops/ops.h"

/* Inputs int8 (bias of TL_OP_FLAG_WEIGHTS ops: int32), outputs int8, each with quantization parameters;
 * activations (everything but weights and bias) per tensor. */
tl_status tl_op_check_int8_dtypes(tl_op_ctx *ctx, const tl_node *node);
/* The per-tensor scale and zero point of an int8 activation tensor (count 1, else BAD_QUANTIZATION). */
tl_status tl_op_int8_params(tl_op_ctx *ctx, const tl_tensor_desc *t, const char *what, float *scale,
                            int32_t *zero_point);
/* (multiplier, shift) of real = num * mul / den (in double), shift within [min_shift, max_shift] and real
 * finite and positive, else BAD_QUANTIZATION naming `what`. */
tl_status tl_op_multiplier(tl_op_ctx *ctx, double real, int32_t min_shift, int32_t max_shift, const char *what,
                           int32_t *multiplier, int32_t *shift);
/* An Add/Sub/SquaredDifference input's multiplier real = scale / (2 max scale), in (0, 1/2]: shift within
 * [-31, 0]; one needing a shift below -31 is flushed to (0, 0), as TFLite's QuantizeMultiplier does (that input
 * is then below the output's resolution: a layer norm's epsilon 1e-12 added to a variance). */
tl_status tl_op_input_multiplier(tl_op_ctx *ctx, double real, const char *what, int32_t *multiplier,
                                 int32_t *shift);
/* Weights, bias and per-channel (or per-tensor) requantization of FullyConnected / Conv2D / DepthwiseConv2D:
 * input 0 activations, input 1 weights quantized on `axis` with `channels` output channels, input 2 bias.
 * `act` is the op's fused activation (TL_ACT_*, from its options) that the output range clamps to.
 * Per-channel multipliers are per-node memory (tl_op_persistent): in the size pass q->multipliers is NULL. */
tl_status tl_op_prepare_channel_requant(tl_op_ctx *ctx, tl_node *node, int32_t axis, int32_t channels,
                                        int32_t act, int32_t *input_zp, tl_requant_int8 *q);
/* Elementwise requantization from (in_scale, in_zp) to (out_scale, out_zp), clamped to [lo, hi]. */
tl_status tl_op_requantize_params(tl_op_ctx *ctx, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                  int32_t lo, int32_t hi, const char *what, tl_requantize_int8_params *p);

/* Output scale and zero point equal (want_scale, want_zp), else BAD_QUANTIZATION (Sigmoid, Tanh, Softmax). */
tl_status tl_op_check_fixed_output(tl_op_ctx *ctx, float scale, int32_t zp, float want_scale, int32_t want_zp);

/* ---- threads: an op's outputs are split (columns of FullyConnected, output rows of the convolutions), never
 * a sum, so every thread count gives the same bytes. Task t of `parts` takes units [units * t / parts,
 * units * (t + 1) / parts). tl_op_run_units runs fn(job, task, thread) over the pool and returns 1, or returns
 * 0 (nothing run) when the op is too small for threads or has one unit. ---- */
typedef struct tl_op_units {
  int32_t parts, units;
} tl_op_units;
static inline void tl_op_unit_range(const tl_op_units *u, int32_t task, int32_t *u0, int32_t *u1) {
  *u0 = (int32_t)((int64_t)u->units * task / u->parts);
  *u1 = (int32_t)((int64_t)u->units * (task + 1) / u->parts);
}
int tl_op_run_units(tl_op_ctx *ctx, int64_t macs, int32_t units, tl_op_units *u, tl_threadpool_fn fn, void *job);

/* ---- the int8 halves (ops/<op>_int8.c), called by the op's prepare and eval when input 0 is int8; `act`:
 * the op's fused activation (TL_ACT_*, from its options struct) ---- */
tl_status tl_prepare_fully_connected_int8(tl_op_ctx *ctx, tl_node *node, const tl_fc_params *g, int32_t act);
void tl_eval_fully_connected_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node, const tl_conv_params *g, int32_t act);
void tl_eval_conv2d_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node, const tl_conv_params *g,
                                           int32_t act);
void tl_eval_depthwise_conv2d_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_binary_int8(tl_op_ctx *ctx, tl_node *node, const tl_binary_params *g, int mul, int32_t act);
void tl_eval_add_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_sub_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_mul_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_pool2d_int8(tl_op_ctx *ctx, tl_node *node, const tl_pool_params *g, int max, int32_t act);
void tl_eval_max_pool2d_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_average_pool2d_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_mean_int8(tl_op_ctx *ctx, tl_node *node, const tl_mean_params *g);
void tl_eval_mean_int8(tl_op_ctx *ctx, tl_node *node);
/* Relu, Relu6: kind TL_ACT_RELU / TL_ACT_RELU6; Sigmoid, Tanh: the fixed output (scale, zero point) */
tl_status tl_prepare_clamp_int8(tl_op_ctx *ctx, tl_node *node, int64_t n, int32_t kind);
void tl_eval_clamp_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_logistic_int8(tl_op_ctx *ctx, tl_node *node, int64_t n, float out_scale, int32_t out_zp);
void tl_eval_sigmoid_int8(tl_op_ctx *ctx, tl_node *node);
void tl_eval_tanh_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_softmax_int8(tl_op_ctx *ctx, tl_node *node, const tl_softmax_params *g);
void tl_eval_softmax_int8(tl_op_ctx *ctx, tl_node *node);
tl_status tl_prepare_concatenation_int8(tl_op_ctx *ctx, tl_node *node, const tl_concat_params *g, int32_t act);
void tl_eval_concatenation_int8(tl_op_ctx *ctx, tl_node *node);

#endif /* TL_OPS_INT8_H */
