/* binary_int8.c: int8 reference kernels of the broadcasting binary ops Add, Sub and Mul (TFLite's scheme).
 *
 * What this is: the specification of the int8 binary ops. What this is not: broadcasting rules (prepare
 * right-aligned both shapes to rank 4, strides 0 on broadcast dims, as for the float kernels) or the
 * multipliers (ops/binary_int8.c).
 */
#include "kernels_int8.h"
#include "quant.h"

typedef enum tl_binary_int8_op { TL_BIN8_ADD, TL_BIN8_SUB, TL_BIN8_MUL } tl_binary_int8_op;

/* Add/Sub: a' = mbqm((a - a_zp) * 2^left_shift, a_multiplier, a_shift), likewise b', then
 * raw = mbqm(a' +- b', out_multiplier, out_shift). Mul: raw = mbqm((a - a_zp) * (b - b_zp), out_multiplier,
 * out_shift). y = clamp(raw + output_zp, act_min, act_max). */
static int8_t tl_binary_int8_value(int32_t a, int32_t b, const tl_binary_int8_params *p, tl_binary_int8_op op) {
  int32_t ca = a - p->a_zp, cb = b - p->b_zp, raw;
  int64_t v;
  if (op == TL_BIN8_MUL) {
    raw = tl_multiply_by_quantized_multiplier(ca * cb, p->out_multiplier, p->out_shift);
  } else {
    int32_t sa = tl_multiply_by_quantized_multiplier(ca * (1 << p->left_shift), p->a_multiplier, p->a_shift);
    int32_t sb = tl_multiply_by_quantized_multiplier(cb * (1 << p->left_shift), p->b_multiplier, p->b_shift);
    raw = tl_multiply_by_quantized_multiplier(op == TL_BIN8_ADD ? sa + sb : sa - sb, p->out_multiplier,
                                              p->out_shift);
  }
  v = (int64_t)raw + p->output_zp;
  if (v < p->act_min) v = p->act_min;
  if (v > p->act_max) v = p->act_max;
  return (int8_t)v;
}

/* Algorithm: the 4-D loop of binary.c: y contiguous, a and b through their element strides. */
static void tl_binary_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                           tl_binary_int8_op op) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *as = p->geom.a_strides;
  const int64_t *bs = p->geom.b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const int8_t *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2]; /* row of a, element stride as[3] */
        const int8_t *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2]; /* row of b, element stride bs[3] */
        for (int32_t i3 = 0; i3 < d[3]; i3++) y[yi++] = tl_binary_int8_value(ar[i3 * as[3]], br[i3 * bs[3]], p, op);
      }
    }
  }
}

void tl_add_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p) {
  tl_binary_int8(y, a, b, p, TL_BIN8_ADD);
}

void tl_sub_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p) {
  tl_binary_int8(y, a, b, p, TL_BIN8_SUB);
}

void tl_mul_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p) {
  tl_binary_int8(y, a, b, p, TL_BIN8_MUL);
}
