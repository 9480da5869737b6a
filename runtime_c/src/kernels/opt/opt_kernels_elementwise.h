/* opt_kernels_elementwise.h: optimized float32 elementwise ops, AveragePool2D, Mean and the DepthwiseConv2D
 * depth-multiplier weights.
 *
 * What this is: the fast counterparts of tl_add_f32 / tl_sub_f32 / tl_mul_f32, tl_relu_f32 / tl_relu6_f32,
 * tl_hard_swish_f32, tl_sigmoid_f32 / tl_tanh_f32, tl_gelu_f32 (tanh form), tl_softmax_f32,
 * tl_average_pool2d_f32 and tl_mean_f32 (kernels.h, hard_swish.h, gelu.h), each with the reference kernel's
 * arguments plus the kernel level (tl_isa)
 * chosen at prepare. Like the reference kernels they do not allocate, fail or keep state. All but Sigmoid,
 * Tanh, Gelu and Softmax give the reference kernel's bits (one IEEE operation per element, the same summation
 * order; Mean sums in double like the reference) with one exception: ARMv7 NEON flushes subnormal inputs and
 * results to zero (AArch64 and x86 do not), so on armv7 the NEON level differs from the reference where a
 * subnormal is involved. Sigmoid and Tanh are evaluated in double and rounded once: within 1 ulp of the exact
 * value, within 2 ulp of the reference (libm's float functions, themselves up to 2 ulp off). Gelu and Softmax
 * repeat the reference's float operations exactly and evaluate only its tanh / exp in double: their bits but
 * where that one value rounds the other way (see each).
 * What this is not: the specification (kernels.h).
 */
#ifndef TL_OPT_KERNELS_ELEMENTWISE_H
#define TL_OPT_KERNELS_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

#include "../../cpu_features.h"
#include "../kernels.h"

/* ---- Add / Sub / Mul with a fused activation ----
 * Flat loops when each input, read in y's order, is either all of y's shape or a repetition of a block of
 * its trailing dims: same shapes, a scalar (a [1] or all-ones shape) on either side, and a "last-axis
 * vector" such as a bias [C] against [N, H, W, C] (either side). Other broadcasts run row by row along the
 * last axis when it has at least 4 elements (e.g. [N, 1, 1, C] * [N, H, W, C], or a per-pixel scalar
 * [N, H, W, 1]), else the reference loop (tl_binary_f32_opt_supported is 0 only then). */
int tl_binary_f32_opt_supported(const tl_binary_params *p); /* non-zero: one of the fast patterns */
void tl_add_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa);
void tl_sub_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa);
void tl_mul_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa);
/* SquaredDifference (no activation), the same patterns: y = (a - b) * (a - b), the reference's bits */
void tl_squared_difference_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa);

/* ---- Relu, Relu6 over n elements ---- */
void tl_relu_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);
void tl_relu6_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);

/* ---- HardSwish over n elements (the reference's bits) ---- */
void tl_hard_swish_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);

/* ---- Sigmoid, Tanh over n elements: evaluated in double, within 2 ulp of the reference (libm), not
 * bit-identical; AVX-512, AVX2 and AArch64 NEON (other levels run the reference kernels) ---- */
void tl_sigmoid_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);
void tl_tanh_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);

/* ---- Gelu, tanh form (approximate), over n elements: the reference's float32 steps with a float32 tanh
 * (gelu_opt.c) within 1.07 ulp of the exact tanh (the reference's is correctly rounded), so within
 * |x| 2^-24 + 2 ulp of the reference; AVX-512, AVX2 and AArch64 NEON (other levels run the reference kernel).
 * tl_gelu_tanh_core_f32_opt is that tanh on its own, for the tests ---- */
void tl_gelu_tanh_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);
void tl_gelu_tanh_core_f32_opt(float *y, const float *x, int64_t n, tl_isa isa);

/* ---- Softmax over the last axis (beta > 0): the reference's steps with exp in double (softmax_opt.c): the
 * reference's bits but where an exponential rounds the other way (rarely), then within 2 ulp; AVX-512, AVX2
 * and AArch64 NEON (other levels run the reference kernel) ---- */
void tl_softmax_f32_opt(float *y, const float *x, const tl_softmax_params *p, tl_isa isa);

/* ---- AveragePool2D (NHWC both), channels vectorised ---- */
void tl_average_pool2d_f32_opt(float *y, const float *x, const tl_pool_params *p, tl_isa isa);

/* ---- Mean whose reduced axes are consecutive (e.g. H, W of NHWC: global average pooling) ----
 * The input is viewed as [outer, reduced, inner]; the inner values are vectorised, each summed in double in
 * the reference's order. */
int tl_mean_f32_opt_supported(const tl_mean_params *p); /* non-zero: the reduced axes are one run */
void tl_mean_f32_opt(float *y, const float *x, const tl_mean_params *p, tl_isa isa);

/* ---- DepthwiseConv2D with depth_multiplier > 1 (tl_depthwise_conv2d_f32_opt in opt_kernels.h runs it) ----
 * The packed block (tl_depthwise_conv2d_f32_opt_packed_floats(p) floats) is then, multiplier-major,
 * bias'[m][ic] = bias[ic * dm + m] followed by w'[m][ky][kx][ic] = w[0, ky, kx, ic * dm + m]:
 * tl_depthwise_conv2d_f32_opt_pack fills the bias part, this function the weights part. Does nothing when
 * depth_multiplier is 1 (the weights are then read in place). */
void tl_depthwise_conv2d_f32_opt_pack_weights(float *packed,  /* tl_depthwise_conv2d_f32_opt_packed_floats */
                                              const float *w, /* [1, k_h, k_w, out_c] */
                                              const tl_conv_params *p);

#endif /* TL_OPT_KERNELS_ELEMENTWISE_H */
