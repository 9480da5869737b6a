/* l2_normalization.c: reference kernels of L2Normalization (l2_normalization.h). */
#include "l2_normalization.h"

#include <math.h>

#include "quant.h"
#include "unary_math.h"

void tl_l2_normalization_f32(float *y, const float *x, int64_t outer, int64_t depth) {
  for (int64_t i = 0; i < outer; i++) {
    const float *xr = x + i * depth;
    float *yr = y + i * depth;
    float sum = 0.0f, norm;
    for (int64_t c = 0; c < depth; c++) sum += xr[c] * xr[c];
    norm = sqrtf(sum);
    if (!(norm > 1e-6f) && norm == norm) norm = 1e-6f; /* max(norm, 1e-6); a NaN norm stays NaN */
    for (int64_t c = 0; c < depth; c++) yr[c] = xr[c] / norm;
  }
}

void tl_l2_normalization_int8(int8_t *y, const int8_t *x, int64_t outer, int64_t depth, int32_t in_zp) {
  for (int64_t i = 0; i < outer; i++) {
    const int8_t *xr = x + i * depth;
    int8_t *yr = y + i * depth;
    int32_t acc = 0, m, s;
    for (int64_t c = 0; c < depth; c++) {
      const int32_t v = (int32_t)xr[c] - in_zp;
      acc += v * v; /* <= 65025 x 33025 < 2^31 (prepare bounds depth) */
    }
    tl_inv_sqrt_multiplier(acc, &m, &s);
    for (int64_t c = 0; c < depth; c++) {
      const int32_t o = tl_multiply_by_quantized_multiplier((int32_t)xr[c] - in_zp, m, s + 7);
      yr[c] = (int8_t)(o < -128 ? -128 : o > 127 ? 127 : o);
    }
  }
}
