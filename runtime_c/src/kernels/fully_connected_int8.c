/* fully_connected_int8.c: int8 reference kernel of FullyConnected, and the shared requantization step.
 *
 * What this is: the specification the optimized int8 kernels are tested against. What this is not: the
 * multiplier computation or any validation (ops/fully_connected_int8.c).
 */
#include "kernels_int8.h"
#include "quant.h"

/* round(a * m / 2^(31 - s)), ties away from zero, for s in [-31, 30]: |a * m| < 2^62, and the floor shift
 * of a negative value is written without a right shift of a negative number. */
static int64_t tl_single_rounding_multiply(int32_t a, int32_t m, int32_t s) {
  const int32_t total = 31 - s;
  const int64_t p = (int64_t)a * m;
  const int64_t t = p + ((int64_t)1 << (total - 1)) - (p < 0 ? 1 : 0);
  return t >= 0 ? t >> total : -((-(t + 1)) >> total) - 1;
}

int8_t tl_requantize_channel_int8(int64_t acc, int32_t c, const tl_requant_int8 *q) {
  int32_t m = q->channels > 1 ? q->multipliers[c] : q->multiplier;
  int32_t s = q->channels > 1 ? q->shifts[c] : q->shift;
  int32_t a = acc > INT32_MAX ? INT32_MAX : (acc < INT32_MIN ? INT32_MIN : (int32_t)acc);
  int64_t v = (q->single_rounding ? tl_single_rounding_multiply(a, m, s)
                                  : (int64_t)tl_multiply_by_quantized_multiplier(a, m, s)) + q->output_zp;
  if (v < q->act_min) v = q->act_min;
  if (v > q->act_max) v = q->act_max;
  return (int8_t)v;
}

int64_t tl_dot_int8(const int8_t *x, const int8_t *w, int64_t n, int32_t zp) {
  if (n <= TL_DOT_INT8_INT32_MAX_N) { /* |sum| <= 65535 * 255 * 128 < 2^31 */
    int32_t acc = 0;
    for (int32_t i = 0; i < (int32_t)n; i++) acc += ((int32_t)x[i] - zp) * (int32_t)w[i];
    return acc;
  } else {
    int64_t acc = 0;
    for (int64_t i = 0; i < n; i++) acc += (int64_t)((int32_t)x[i] - zp) * w[i];
    return acc;
  }
}

/* Algorithm: one exact dot product per output element over the contiguous input row and weight row. */
void tl_fc_int8(int8_t *y,           /* [batch, out_depth] */
                const int8_t *x,     /* [batch, in_depth] */
                const int8_t *w,     /* [out_depth, in_depth] */
                const int32_t *bias, /* [out_depth] or NULL */
                const tl_fc_int8_params *p) {
  for (int32_t b = 0; b < p->batch; b++) {
    const int8_t *xb = x + (int64_t)b * p->in_depth; /* [in_depth] */
    for (int32_t o = 0; o < p->out_depth; o++) {
      const int8_t *wo = w + (int64_t)o * p->in_depth; /* [in_depth] */
      int64_t acc = (bias ? bias[o] : 0) + tl_dot_int8(xb, wo, p->in_depth, p->input_zp);
      y[(int64_t)b * p->out_depth + o] = tl_requantize_channel_int8(acc, o, &p->out);
    }
  }
}
