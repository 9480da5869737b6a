/* softmax_int8.c: int8 reference kernel of Softmax over the last axis (TFLite's integer softmax), and of
 * Concatenation with per-input requantization.
 *
 * What this is: the specification of these int8 kernels. What this is not: the beta / scale multiplier or
 * the diff_min radius (ops/softmax_int8.c computes them at prepare).
 */
#include "kernels_int8.h"
#include "quant.h"

/* Algorithm per row: max; for each term d = x - max >= diff_min, e = exp(Q5(d)) in Q0 (Q5(d) is d rescaled by
 * the beta multiplier); sum = sum of e / 2^12 (Q12); 1/sum = mantissa / 2^bits (one reciprocal per row);
 * y = round(e * mantissa / 2^(31 + bits - 8)) - 128, clamped. Terms below diff_min give -128. At most 4095
 * terms per row (prepare), so the Q12 sum cannot overflow. */
void tl_softmax_int8(int8_t *y, const int8_t *x, const tl_softmax_int8_params *p) {
  for (int64_t r = 0; r < p->outer; r++) {
    const int8_t *xr = x + r * p->depth; /* [depth] */
    int8_t *yr = y + r * p->depth;       /* [depth] */
    int32_t max = -128, sum = 0, bits = 0, mantissa;
    for (int32_t c = 0; c < p->depth; c++) if (xr[c] > max) max = xr[c];
    for (int32_t c = 0; c < p->depth; c++) {
      int32_t d = (int32_t)xr[c] - max;
      if (d >= p->diff_min) {
        int32_t q5 = tl_multiply_by_quantized_multiplier(d, p->input_multiplier, p->input_shift);
        sum += tl_rounding_divide_by_pot(tl_exp_on_negative_values(q5, 5), 12);
      }
    }
    mantissa = tl_get_reciprocal(sum, 12, &bits);
    for (int32_t c = 0; c < p->depth; c++) {
      int32_t d = (int32_t)xr[c] - max, v = -128;
      if (d >= p->diff_min) {
        int32_t q5 = tl_multiply_by_quantized_multiplier(d, p->input_multiplier, p->input_shift);
        int32_t e = tl_exp_on_negative_values(q5, 5);
        v = tl_rounding_divide_by_pot(tl_srdhm(mantissa, e), bits + 31 - 8) - 128;
        if (v > 127) v = 127;
        if (v < -128) v = -128;
      }
      yr[c] = (int8_t)v;
    }
  }
}

/* Algorithm: the copy loop of tl_concat, each slice passed through its input's requantization. */
void tl_concat_int8(int8_t *y, const int8_t *const *xs, const tl_concat_int8_params *p) {
  int8_t *dst = y;
  for (int64_t o = 0; o < p->geom.outer; o++) {
    for (int32_t i = 0; i < p->geom.num_inputs; i++) {
      const int64_t n = p->geom.inner_bytes[i];
      if (n == 0) continue;
      tl_requantize_int8(dst, xs[i] + o * n, n, &p->q[i]);
      dst += n;
    }
  }
}
