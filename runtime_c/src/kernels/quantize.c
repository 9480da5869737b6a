/* quantize.c: reference kernels of Quantize and Dequantize (quantize.h), one element at a time.
 *
 * What this is: the specification the optimized kernels (kernels/opt/quantize_*.c) are tested against. The
 * order of the float operations is part of it: divide (not multiply by a reciprocal), round half away from
 * zero, add the zero point in float, clamp in float, cast. What this is not: validation (ops/quantize.c).
 */
#include <math.h>

#include "quantize.h"

void tl_quantize_f32_int8(int8_t *y, const float *x, int64_t n, const tl_qdq_params *p) {
  const float scale = p->scale, zp = (float)p->zero_point;
  for (int64_t i = 0; i < n; i++) {
    float v = x[i] / scale;
    if (v != v) { /* NaN */
      y[i] = (int8_t)p->zero_point;
      continue;
    }
    v = roundf(v) + zp; /* half away from zero */
    if (v < -128.0f) v = -128.0f;
    if (v > 127.0f) v = 127.0f;
    y[i] = (int8_t)v;
  }
}

void tl_dequantize_int8_f32(float *y, const int8_t *x, int64_t n, const tl_qdq_params *p) {
  const float scale = p->scale;
  const int32_t zp = p->zero_point;
  for (int64_t i = 0; i < n; i++) y[i] = scale * (float)((int32_t)x[i] - zp);
}
