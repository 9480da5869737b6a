/* kernels_int8.h: int8 reference kernels (TFLite int8 scheme), pure functions over plain arrays.
 *
 * What this is: the specification of each int8 op's integer arithmetic. Like kernels.h: outputs first, then
 * inputs, then a params struct that prepare (ops/<op>_int8.c) filled and validated; no allocation, no
 * failure, no state, no floating point. The geometry reuses the float params structs of kernels.h (their
 * float `act` member is ignored here: int8 activations are the [act_min, act_max] clamps below).
 * trainer/quantize.py mirrors every kernel name for name (C `tl_<name>` is Python `<name>`).
 *
 * Conventions: real = scale * (q - zero_point). Accumulators are int64 and saturate to int32 before the
 * requantization (a model cannot overflow them into undefined behaviour). Requantization is
 *   y = clamp(tl_multiply_by_quantized_multiplier(acc, multiplier, shift) + output_zp, act_min, act_max).
 * Weights are symmetric (zero point 0) and per output channel or per tensor.
 */
#ifndef TL_KERNELS_INT8_H
#define TL_KERNELS_INT8_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* Requantization of an int32 accumulator to int8, per tensor (channels == 1: multiplier / shift) or per
 * output channel (channels > 1: multipliers[c] / shifts[c], arrays owned by the interpreter). */
typedef struct tl_requant_int8 {
  int32_t channels;
  int32_t multiplier;
  int32_t shift;
  const int32_t *multipliers; /* [channels] when channels > 1 */
  const int32_t *shifts;      /* [channels] when channels > 1 */
  int32_t output_zp;
  int32_t act_min, act_max;   /* fused activation as a clamp, within [-128, 127] */
  int32_t single_rounding;    /* 1: one rounding of the 64-bit product (TFLite's per-channel FullyConnected) */
} tl_requant_int8;

/* clamp(multiply_by_quantized_multiplier(sat_int32(acc), m, shift) + output_zp, act_min, act_max) with the
 * multiplier of channel c; with single_rounding, the product a * m rounded once to the nearest multiple of
 * 2^(31 - shift), ties away from zero: (a * m + 2^(30 - shift) - [a * m < 0]) >> (31 - shift). */
int8_t tl_requantize_channel_int8(int64_t acc, int32_t c, const tl_requant_int8 *q);

/* sum over i < n of (x[i] - zp) * w[i], exactly. Each term is at most 255 * 128 in magnitude, so for
 * n <= TL_DOT_INT8_INT32_MAX_N the sum is done in int32 (a loop compilers vectorize), else in int64. */
#define TL_DOT_INT8_INT32_MAX_N 65535
int64_t tl_dot_int8(const int8_t *x, const int8_t *w, int64_t n, int32_t zp);

/* ---- FullyConnected ----
 * y[b, o] = requant_o(bias[o] + sum_i (x[b, i] - input_zp) * w[o, i]) */
typedef struct tl_fc_int8_params {
  int32_t batch, in_depth, out_depth;
  int32_t input_zp;
  tl_requant_int8 out;
} tl_fc_int8_params;
void tl_fc_int8(int8_t *y,             /* [batch, out_depth] */
                const int8_t *x,       /* [batch, in_depth] */
                const int8_t *w,       /* [out_depth, in_depth] */
                const int32_t *bias,   /* [out_depth] or NULL */
                const tl_fc_int8_params *p);

/* ---- Conv2D and DepthwiseConv2D (geometry as in tl_conv_params; padded taps read the input zero point, so
 * they add nothing) ---- */
typedef struct tl_conv_int8_params {
  tl_conv_params geom;
  int32_t input_zp;
  tl_requant_int8 out;
  int32_t block_rows; /* optimized kernels only: output positions per im2col block (0: TL_CONV_INT8_BLOCK_ROWS) */
} tl_conv_int8_params;
void tl_conv2d_int8(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                    const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                    const int8_t *w,     /* [out_c, k_h, k_w, in_c] */
                    const int32_t *bias, /* [out_c] or NULL */
                    const tl_conv_int8_params *p);
void tl_depthwise_conv2d_int8(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                              const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                              const int8_t *w,     /* [1, k_h, k_w, out_c] */
                              const int32_t *bias, /* [out_c] or NULL */
                              const tl_conv_int8_params *p);

/* ---- Elementwise requantize + clamp (Relu, Relu6, Concatenation inputs) ----
 * requant == 0 (input and output parameters equal): y = clamp(x, act_min, act_max);
 * else y = clamp(mbqm(x - input_zp, multiplier, shift) + output_zp, act_min, act_max). */
typedef struct tl_requantize_int8_params {
  int32_t requant;
  int32_t input_zp;
  int32_t multiplier, shift;
  int32_t output_zp;
  int32_t act_min, act_max;
} tl_requantize_int8_params;
void tl_requantize_int8(int8_t *y, const int8_t *x, int64_t n, const tl_requantize_int8_params *p);
/* One value already centered on the input zero point (x - input_zp, or an average of such):
 * clamp((requant ? mbqm(centered, multiplier, shift) : centered) + output_zp, act_min, act_max). */
int8_t tl_requantize_centered_int8(int32_t centered, const tl_requantize_int8_params *p);

/* ---- MaxPool2D and AveragePool2D (windows clipped to the input, as the float kernels) ----
 * Max: clamp(max over the window, act_min, act_max) (input and output parameters are equal).
 * Average: shared parameters (requant == 0): clamp(round_half_away(sum x / count)) (TFLite's rule);
 * else avg = round_half_away(sum (x - input_zp) / count), then as tl_requantize_int8 on avg. */
typedef struct tl_pool_int8_params {
  tl_pool_params geom;
  tl_requantize_int8_params q;
} tl_pool_int8_params;
void tl_max_pool2d_int8(int8_t *y, const int8_t *x, const tl_pool_int8_params *p);     /* NHWC both */
void tl_average_pool2d_int8(int8_t *y, const int8_t *x, const tl_pool_int8_params *p); /* NHWC both */

/* ---- Mean over axes: clamp(mbqm(sat_int32(sum (x - input_zp)), multiplier, shift) + output_zp), the
 * multiplier that of s_in / (count * s_out) (TFLite's rule; count = product of the reduced dims) ---- */
typedef struct tl_mean_int8_params {
  tl_mean_params geom;
  tl_requantize_int8_params q; /* requant 1; act_min/act_max are -128/127 */
} tl_mean_int8_params;
void tl_mean_int8(int8_t *y, const int8_t *x, const tl_mean_int8_params *p);

/* ---- Broadcasting Add, Sub (TFLite's scheme: inputs shifted left by left_shift, each rescaled by a
 * multiplier <= 1/2 to the common scale 2 * max(scale_a, scale_b), summed, rescaled to the output) and Mul
 * (one multiplier scale_a * scale_b / scale_out on the product of the centered inputs) ---- */
typedef struct tl_binary_int8_params {
  tl_binary_params geom;
  int32_t a_zp, b_zp;
  int32_t left_shift;                /* Add/Sub */
  int32_t a_multiplier, a_shift;     /* Add/Sub */
  int32_t b_multiplier, b_shift;     /* Add/Sub */
  int32_t out_multiplier, out_shift; /* all three */
  int32_t output_zp;
  int32_t act_min, act_max;
} tl_binary_int8_params;
void tl_add_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p);
void tl_sub_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p);
void tl_mul_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p);

/* ---- Sigmoid and Tanh (fixed output parameters: 1/256, -128 and 1/128, 0) ----
 * x - input_zp is rescaled to Q4 by (input_multiplier, input_shift); |x - input_zp| >= input_radius
 * saturates; else the gemmlowp fixed-point logistic / tanh, rounded to 8 fractional (7 for tanh) bits. */
typedef struct tl_activation_int8_params {
  int32_t input_zp;
  int32_t input_multiplier, input_shift;
  int32_t input_radius;
} tl_activation_int8_params;
void tl_logistic_int8(int8_t *y, const int8_t *x, int64_t n, const tl_activation_int8_params *p);
void tl_tanh_int8(int8_t *y, const int8_t *x, int64_t n, const tl_activation_int8_params *p);

/* ---- Softmax over the last axis (output 1/256, -128) ----
 * TFLite's integer softmax: d = x - max(row) (d <= 0); terms with d < diff_min are 0; else
 * exp(d * beta * scale) in fixed point (d rescaled to Q5 by input_multiplier / input_shift), summed in Q12,
 * one reciprocal per row, output = round(exp / sum * 256) - 128. */
typedef struct tl_softmax_int8_params {
  int64_t outer;
  int32_t depth;
  int32_t input_multiplier, input_shift;
  int32_t diff_min;
} tl_softmax_int8_params;
void tl_softmax_int8(int8_t *y, const int8_t *x, const tl_softmax_int8_params *p);

/* ---- Concatenation with per-input requantization (tl_requantize_int8 on each input's slices) ---- */
typedef struct tl_concat_int8_params {
  tl_concat_params geom;                /* inner_bytes are element counts for int8 */
  const tl_requantize_int8_params *q;   /* [geom.num_inputs], owned by the interpreter */
} tl_concat_int8_params;
void tl_concat_int8(int8_t *y, const int8_t *const *xs, const tl_concat_int8_params *p);

#endif /* TL_KERNELS_INT8_H */
