/* requantize_int8.c: int8 elementwise requantization with a clamp (Relu, Relu6, Concatenation inputs), and
 * the Sigmoid / Tanh kernels.
 *
 * What this is: the specification of these elementwise int8 kernels. What this is not: the choice of
 * parameters (ops/activation_int8.c computes multipliers, radii and clamps at prepare).
 */
#include "kernels_int8.h"
#include "quant.h"

int8_t tl_requantize_centered_int8(int32_t centered, const tl_requantize_int8_params *p) {
  int64_t v = p->requant ? tl_multiply_by_quantized_multiplier(centered, p->multiplier, p->shift) : centered;
  v += p->output_zp;
  if (v < p->act_min) v = p->act_min;
  if (v > p->act_max) v = p->act_max;
  return (int8_t)v;
}

void tl_requantize_int8(int8_t *y, const int8_t *x, int64_t n, const tl_requantize_int8_params *p) {
  for (int64_t i = 0; i < n; i++) y[i] = tl_requantize_centered_int8((int32_t)x[i] - p->input_zp, p);
}

/* Algorithm (both): c = x - input_zp; |c| >= radius saturates to the output's extreme; else c is rescaled to
 * a Q4 value, the fixed-point function gives a Q0 result r, and the output is round(r / 2^(31 - 8)) - 128
 * (logistic: 8 fractional bits, zero point -128) or round(r / 2^(31 - 7)) (tanh: 7 fractional bits). */
void tl_logistic_int8(int8_t *y, const int8_t *x, int64_t n, const tl_activation_int8_params *p) {
  for (int64_t i = 0; i < n; i++) {
    const int32_t c = (int32_t)x[i] - p->input_zp;
    int32_t v;
    if (c <= -p->input_radius) {
      v = -128;
    } else if (c >= p->input_radius) {
      v = 127;
    } else {
      int32_t q4 = tl_multiply_by_quantized_multiplier(c, p->input_multiplier, p->input_shift);
      v = tl_rounding_divide_by_pot(tl_logistic(q4, 4), 23) - 128;
      if (v > 127) v = 127;
    }
    y[i] = (int8_t)v;
  }
}

void tl_tanh_int8(int8_t *y, const int8_t *x, int64_t n, const tl_activation_int8_params *p) {
  for (int64_t i = 0; i < n; i++) {
    const int32_t c = (int32_t)x[i] - p->input_zp;
    int32_t v;
    if (c <= -p->input_radius) {
      v = -128;
    } else if (c >= p->input_radius) {
      v = 127;
    } else {
      int32_t q4 = tl_multiply_by_quantized_multiplier(c, p->input_multiplier, p->input_shift);
      v = tl_rounding_divide_by_pot(tl_tanh(q4, 4), 24);
      if (v > 127) v = 127;
      if (v < -128) v = -128;
    }
    y[i] = (int8_t)v;
  }
}
