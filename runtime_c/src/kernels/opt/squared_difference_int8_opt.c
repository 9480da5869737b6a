/* squared_difference_int8_opt.c: optimized int8 SquaredDifference (opt_kernels_int8.h), the reference's bytes.
 *
 * What this is: tl_squared_difference_int8 (kernels/squared_difference.h) with its two input rescales read
 * from tables and its output requantization written out inline. What this is not: the specification or the
 * multipliers (ops/squared_difference.c).
 *
 * Algorithm: an input's rescale a' = mbqm((a - a_zp) 2^7, a_multiplier, a_shift) depends on the int8 a alone,
 * so prepare tabulates it for the 256 values of each input (tl_squared_difference_int8_tables, with the
 * reference's own function). Per element: d = a' - b' (|d| < 2^15), x = d^2 in [0, 2^30), then the reference's
 * mbqm(x, out_multiplier, out_shift) with out_shift in [-31, 0] (prepare's range): no left shift; srdhm of
 * x >= 0 and a positive multiplier is floor((x m + 2^30) / 2^31) (the product is non-negative, so the
 * truncating division is the floor and its nudge is 2^30; x is never INT32_MIN); the rounding right shift by
 * r = -out_shift of that non-negative v is (v >> r) + ((v & mask) > mask / 2) with mask = 2^r - 1 (its
 * threshold for v >= 0). Then + out_zp and the clamp. The reference's 4-D walk over the broadcast (element
 * strides, 0 on a broadcast dim), its innermost loop specialised for unit and zero strides.
 * The reference called three out-of-line multiplications per element: 164 us for the tiny transformer's four
 * layer norms' [1, 32, 64] - [1, 32, 1] (8,192 elements) at one AVX2 core.
 */
#include "opt_kernels_int8.h"

#include "../../quant.h"

void tl_squared_difference_int8_tables(int32_t *tables, const tl_squared_difference_int8_params *p) {
  for (int32_t q = -128; q <= 127; q++) {
    tables[q + 128] = tl_multiply_by_quantized_multiplier((q - p->a_zp) * 128, p->a_multiplier, p->a_shift);
    tables[256 + q + 128] = tl_multiply_by_quantized_multiplier((q - p->b_zp) * 128, p->b_multiplier, p->b_shift);
  }
}

/* The output step's constants (see the algorithm). */
typedef struct tl_sqd_out {
  int64_t multiplier;
  int32_t right, mask, half, zp;
} tl_sqd_out;

static inline int8_t tl_sqd_one(int32_t d, const tl_sqd_out *o) {
  const int32_t v = (int32_t)(((int64_t)(d * d) * o->multiplier + ((int64_t)1 << 30)) >> 31);
  const int32_t r = (v >> o->right) + ((v & o->mask) > o->half ? 1 : 0) + o->zp;
  return (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
}

/* y[0..n) from a[i * as] and b[i * bs] (strides 0 or 1 in the specialised cases) through the tables */
static void tl_sqd_row(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int32_t n,
                       const int32_t *ta, const int32_t *tb, const tl_sqd_out *o) {
  if (as == 1 && bs == 0) {
    const int32_t sb = tb[b[0]];
    for (int32_t i = 0; i < n; i++) y[i] = tl_sqd_one(ta[a[i]] - sb, o);
  } else if (as == 1 && bs == 1) {
    for (int32_t i = 0; i < n; i++) y[i] = tl_sqd_one(ta[a[i]] - tb[b[i]], o);
  } else if (as == 0 && bs == 1) {
    const int32_t sa = ta[a[0]];
    for (int32_t i = 0; i < n; i++) y[i] = tl_sqd_one(sa - tb[b[i]], o);
  } else {
    for (int32_t i = 0; i < n; i++) y[i] = tl_sqd_one(ta[a[i * as]] - tb[b[i * bs]], o);
  }
}

void tl_squared_difference_int8_opt(int8_t *y, const int8_t *a, const int8_t *b,
                                    const tl_squared_difference_int8_params *p, const int32_t *tables) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *as = p->geom.a_strides, *bs = p->geom.b_strides;
  const int32_t *ta = tables + 128, *tb = tables + 256 + 128; /* indexed by the int8 value */
  tl_sqd_out o;
  o.multiplier = p->out_multiplier;
  o.right = -p->out_shift;
  o.mask = (int32_t)(((uint32_t)1 << o.right) - 1u);
  o.half = o.mask >> 1;
  o.zp = p->out_zp;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++, y += d[3]) {
        tl_sqd_row(y, a + i0 * as[0] + i1 * as[1] + i2 * as[2], as[3], b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2],
                   bs[3], d[3], ta, tb, &o);
      }
    }
  }
}
