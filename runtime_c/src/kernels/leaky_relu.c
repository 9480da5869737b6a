/* leaky_relu.c: reference kernels of LeakyRelu (leaky_relu.h). */
#include "leaky_relu.h"

#include "quant.h"

void tl_leaky_relu_f32(float *y, const float *x, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : x[i] * alpha;
}

void tl_leaky_relu_table_int8(int8_t *table, const tl_leaky_relu_quant *q) {
  for (int32_t v = -128; v <= 127; v++) {
    const int32_t c = v - q->in_zp;
    const int32_t r = c >= 0 ? tl_multiply_by_quantized_multiplier(c, q->identity_multiplier, q->identity_shift)
                             : tl_multiply_by_quantized_multiplier(c, q->alpha_multiplier, q->alpha_shift);
    const int32_t o = r + q->out_zp;
    table[v + 128] = (int8_t)(o < -128 ? -128 : o > 127 ? 127 : o);
  }
}
