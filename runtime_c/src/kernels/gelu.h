/* gelu.h: reference kernels of Gelu (float32 and int8).
 *
 * What this is: the float32 kernel, TFLite's GELU transform in float32 arithmetic (exact: 0.5f x erfc(x
 * -sqrt(1/2)); approximate: 0.5f x (1 + tanh(sqrt(2/pi) (x + 0.044715f x x x)))), the inner erfc / tanh computed
 * in double and rounded to float so every platform gives the same bits; and the builder of the int8 table
 * (TFLite's LUTPopulate of that transform), looked up by tl_lut_int8 of unary_math.h.
 * trainer/runtime_ops/gelu.py mirrors both byte for byte. What this is not: option checks (ops/gelu.c).
 */
#ifndef TL_KERNELS_GELU_H
#define TL_KERNELS_GELU_H

#include <stdint.h>

/* y[n] = gelu(x[n]) (NaN gives NaN) */
void tl_gelu_f32(float *y, const float *x, int64_t n, int approximate);

/* table[q + 128] = clamp(round_half_away(gelu(s_in (q - in_zp)) * (1 / s_out)) + out_zp), in float32 */
void tl_gelu_table_int8(int8_t *table /* [256] */, int approximate, float in_scale, int32_t in_zp, float out_scale,
                        int32_t out_zp);

#endif /* TL_KERNELS_GELU_H */
