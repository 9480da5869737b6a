/* transpose_conv.h: reference kernels of TransposeConv (float32 and int8), the transpose of Conv2D.
 *
 * What this is: the specification the op glue (ops/transpose_conv.c) and the optimized float kernel
 * (kernels/opt/transpose_conv_opt.c) are checked against. What this is not: shape rules (prepare).
 *
 * Geometry (tl_conv_params, dilations 1): in_* is the op's input x [batch, in_h, in_w, in_c], out_* its output
 * y [batch, out_h, out_w, out_c], weights w [out_c, k_h, k_w, in_c] (OHWI, TFLite's TRANSPOSE_CONV). Input
 * pixel (iy, ix) spreads over output rows iy*stride_h - pad_top + ky (likewise columns), for every tap: the
 * Conv2D of y with these strides and padding would read x's pixel there. Equivalently, output (oy, ox) sums
 * the taps with (oy + pad_top - ky) a multiple of stride_h whose quotient iy lies in [0, in_h) (the kernels
 * gather this way, so they need no accumulator buffer):
 *   y[b, oy, ox, oc] = act(bias[oc] + sum_{ky, kx, ic} x[b, iy, ix, ic] w[oc, ky, kx, ic])
 */
#ifndef TL_KERNELS_TRANSPOSE_CONV_H
#define TL_KERNELS_TRANSPOSE_CONV_H

#include <stdint.h>

#include "kernels.h"
#include "kernels_int8.h"

/* The sum in (ky, kx, ic) order in float32, then the bias, then the activation. */
void tl_transpose_conv_f32(float *y,          /* [batch, out_h, out_w, out_c] */
                           const float *x,    /* [batch, in_h, in_w, in_c] */
                           const float *w,    /* [out_c, k_h, k_w, in_c] */
                           const float *bias, /* [out_c] or NULL */
                           const tl_conv_params *p);

/* int8 (TFLite's reference TRANSPOSE_CONV, per-channel weights): acc = bias[oc] + sum (x - input_zp) w exactly,
 * y = requant_oc(acc) (tl_requantize_channel_int8: MultiplyByQuantizedMultiplier, per output channel). */
void tl_transpose_conv_int8(int8_t *y,           /* [batch, out_h, out_w, out_c] */
                            const int8_t *x,     /* [batch, in_h, in_w, in_c] */
                            const int8_t *w,     /* [out_c, k_h, k_w, in_c] */
                            const int32_t *bias, /* [out_c] or NULL */
                            const tl_conv_int8_params *p);

#endif /* TL_KERNELS_TRANSPOSE_CONV_H */
