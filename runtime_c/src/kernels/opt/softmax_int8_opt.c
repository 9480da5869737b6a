/* softmax_int8_opt.c: int8 Softmax with its exponentials looked up (see opt_kernels_int8.h).
 *
 * What this is: tl_softmax_int8 (kernels/softmax_int8.c) with the same arithmetic, reorganized. In a row,
 * each term's exponential depends only on d = x - max, one of 256 values: prepare tabulates e(d) and its Q12
 * share rounding_divide_by_pot(e(d), 12) (both 0 for d below diff_min, whose output is -128 either way:
 * e = 0 gives 0 - 128 too). Per row, the output of each d that occurs is computed once when the row has
 * more terms than distinct values. Identical bytes by construction. What this is not: the parameters
 * (ops/activation_int8.c computes them at prepare).
 */
#include "opt_kernels_int8.h"

#include "quant.h"
#include "quant_inline.h"

#define TL_SM8_VALUES 256 /* d = x - max in [-255, 0] */

size_t tl_softmax_int8_opt_bytes(void) { return 2 * TL_SM8_VALUES * sizeof(int32_t); }

void tl_softmax_int8_opt_prepare(void *table, const tl_softmax_int8_params *p) {
  int32_t *e = (int32_t *)table, *share = e + TL_SM8_VALUES; /* [256] each, index -d */
  for (int32_t i = 0; i < TL_SM8_VALUES; i++) {
    const int32_t d = -i;
    e[i] = 0;
    if (d >= p->diff_min)
      e[i] = tl_exp_on_negative_values(tl_multiply_by_quantized_multiplier(d, p->input_multiplier, p->input_shift), 5);
    share[i] = tl_rounding_divide_by_pot(e[i], 12);
  }
}

/* The reference's output for exponential e, reciprocal mantissa / 2^bits (the primitives inlined: as calls
 * they were most of the time, 51 us for the tiny transformer's two [4, 32, 32] at one AVX2 core) */
static inline int8_t tl_sm8_out(int32_t e, int32_t mantissa, int32_t bits) {
  int32_t v = tl_rounding_divide_by_pot_inline(tl_srdhm_inline(mantissa, e), bits + 31 - 8) - 128;
  if (v > 127) v = 127;
  if (v < -128) v = -128;
  return (int8_t)v;
}

void tl_softmax_int8_opt(int8_t *y, const int8_t *x, const void *table, const tl_softmax_int8_params *p) {
  const int32_t *e = (const int32_t *)table, *share = e + TL_SM8_VALUES;
  int8_t out[TL_SM8_VALUES];
  for (int64_t r = 0; r < p->outer; r++) {
    const int8_t *xr = x + r * p->depth; /* [depth] */
    int8_t *yr = y + r * p->depth;       /* [depth] */
    int32_t max = -128, min = 127, sum = 0, bits = 0, mantissa;
    for (int32_t c = 0; c < p->depth; c++) {
      max = xr[c] > max ? xr[c] : max;
      min = xr[c] < min ? xr[c] : min;
    }
    for (int32_t c = 0; c < p->depth; c++) sum += share[max - xr[c]];
    mantissa = tl_get_reciprocal(sum, 12, &bits);
    if (p->depth > max - min + 1) { /* more terms than distinct values: each output once */
      for (int32_t i = 0; i <= max - min; i++) out[i] = tl_sm8_out(e[i], mantissa, bits);
      for (int32_t c = 0; c < p->depth; c++) yr[c] = out[max - xr[c]];
    } else {
      for (int32_t c = 0; c < p->depth; c++) yr[c] = tl_sm8_out(e[max - xr[c]], mantissa, bits);
    }
  }
}
