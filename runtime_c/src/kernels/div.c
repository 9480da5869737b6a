/* div.c: reference kernels of Div (div.h).
 *
 * Algorithm: the 4-D loop of binary.c: y contiguous, a and b addressed through their element strides (0 on a
 * broadcast dim, so the same element is reread); the row offsets of the three outer dims are summed once per
 * row.
 */
#include "div.h"

#include "quant.h"

void tl_div_f32(float *y, const float *a, const float *b, const tl_binary_params *p) {
  const int32_t *d = p->out_dims;
  const int64_t *as = p->a_strides, *bs = p->b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const float *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const float *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) y[yi++] = ar[i3 * as[3]] / br[i3 * bs[3]];
      }
    }
  }
}

/* TFLite's CountLeadingSignBits: the bits below the sign bit equal to it (31 for 0 and -1) */
static int32_t tl_leading_sign_bits(int32_t x) {
  uint32_t v = x >= 0 ? (uint32_t)x : ~(uint32_t)x;
  int32_t bits = 0;
  while (v != 0) {
    v >>= 1;
    bits++;
  }
  return 31 - bits;
}

static int8_t tl_div_one(int32_t a, int32_t b, const tl_div_int8_params *p) {
  int32_t x1 = a - p->a_zp, x2 = b - p->b_zp, r, h, inv, q, v;
  if (x2 == 0) return (int8_t)(x1 > 0 ? 127 : x1 < 0 ? -128 : p->out_zp);
  if (x2 < 0) {
    x1 = -x1;
    x2 = -x2;
  }
  inv = tl_get_reciprocal(x2, 31, &r);
  h = tl_leading_sign_bits(x1);
  q = tl_srdhm((int32_t)((int64_t)x1 * ((int64_t)1 << h)), inv); /* x1 * 2^h fits: h is x1's headroom */
  v = tl_rounding_divide_by_pot(tl_srdhm(q, p->multiplier), -(p->shift - r - h)) + p->out_zp;
  return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

void tl_div_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_div_int8_params *p) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *as = p->geom.a_strides, *bs = p->geom.b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const int8_t *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const int8_t *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) y[yi++] = tl_div_one(ar[i3 * as[3]], br[i3 * bs[3]], p);
      }
    }
  }
}
