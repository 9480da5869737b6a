/* leaky_relu.h: reference kernels of LeakyRelu (float32 and int8).
 *
 * What this is: the float32 kernel and the builder of the int8 table (looked up by tl_lut_int8 of
 * unary_math.h), TFLite's arithmetic. What this is not: option or parameter checks (ops/leaky_relu.c).
 */
#ifndef TL_KERNELS_LEAKY_RELU_H
#define TL_KERNELS_LEAKY_RELU_H

#include <stdint.h>

/* y = x > 0 ? x : alpha * x (NaN stays NaN) */
void tl_leaky_relu_f32(float *y, const float *x, int64_t n, float alpha);

/* int8 (TFLite's QuantizeLeakyRelu): v = q - in_zp; y = clamp(out_zp + mbqm(v, identity) for v >= 0, else
 * out_zp + mbqm(v, alpha)); identity = s_in / s_out, alpha = s_in alpha / s_out (float32 products, as TFLite);
 * an alpha multiplier of 0 (alpha 0) gives out_zp below the zero point. */
typedef struct tl_leaky_relu_quant {
  int32_t in_zp, out_zp;
  int32_t identity_multiplier, identity_shift;
  int32_t alpha_multiplier, alpha_shift; /* both 0 for alpha 0 */
} tl_leaky_relu_quant;
void tl_leaky_relu_table_int8(int8_t *table /* [256] */, const tl_leaky_relu_quant *q);

#endif /* TL_KERNELS_LEAKY_RELU_H */
