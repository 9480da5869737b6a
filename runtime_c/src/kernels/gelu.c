/* gelu.c: reference kernels of Gelu (gelu.h). */
#include "gelu.h"

#include <math.h>

static float tl_gelu_one(float x, int approximate) {
  if (approximate) {
    const float sqrt_2_over_pi = (float)(1.1283791670955126 * 0.7071067811865476); /* M_2_SQRTPI M_SQRT1_2 */
    const float inner = sqrt_2_over_pi * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + (float)tanh((double)inner));
  }
  return 0.5f * x * (float)erfc((double)(x * -(float)0.7071067811865476));
}

void tl_gelu_f32(float *y, const float *x, int64_t n, int approximate) {
  for (int64_t i = 0; i < n; i++) y[i] = tl_gelu_one(x[i], approximate);
}

void tl_gelu_table_int8(int8_t *table, int approximate, float in_scale, int32_t in_zp, float out_scale,
                        int32_t out_zp) {
  const float inverse = 1.0f / out_scale;
  for (int32_t v = -128; v <= 127; v++) {
    const float t = tl_gelu_one(in_scale * (float)(v - in_zp), approximate);
    float r = roundf(t * inverse) + (float)out_zp; /* NaN only if the scales overflow: read as 0 */
    if (r != r) r = 0.0f;
    table[v + 128] = (int8_t)(r < -128.0f ? -128 : r > 127.0f ? 127 : (int32_t)r);
  }
}
