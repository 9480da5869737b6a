/* quantize.h: reference kernels of Quantize (float32 -> int8) and Dequantize (int8 -> float32), per tensor.
 *
 *   Quantize:   y = clamp(round_half_away(x / scale) + zero_point, -128, 127), in float until the cast;
 *               NaN -> zero_point, +-Inf and huge values saturate to 127 / -128.
 *   Dequantize: y = scale * (float)(x - zero_point).
 * The optimized kernels (kernels/opt/quantize_opt.h) have the same signatures and give identical bits.
 */
#ifndef TL_KERNELS_QUANTIZE_H
#define TL_KERNELS_QUANTIZE_H

#include <stdint.h>

typedef struct tl_qdq_params {
  float scale;        /* > 0 (checked at load) */
  int32_t zero_point; /* in [-128, 127] */
} tl_qdq_params;

void tl_quantize_f32_int8(int8_t *y,       /* [n] */
                          const float *x,  /* [n] */
                          int64_t n, const tl_qdq_params *p);
void tl_dequantize_int8_f32(float *y,        /* [n] */
                            const int8_t *x, /* [n] */
                            int64_t n, const tl_qdq_params *p);

#endif /* TL_KERNELS_QUANTIZE_H */
