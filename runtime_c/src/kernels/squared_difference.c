/* squared_difference.c: reference kernels of SquaredDifference (squared_difference.h).
 *
 * Algorithm: the 4-D loop of binary.c: y contiguous, a and b addressed through their element strides (0 on a
 * broadcast dim, so the same element is reread); the row offsets of the three outer dims are summed once per
 * row.
 */
#include "squared_difference.h"

#include "quant.h"

void tl_squared_difference_f32(float *y, const float *a, const float *b, const tl_binary_params *p) {
  const int32_t *d = p->out_dims;
  const int64_t *as = p->a_strides, *bs = p->b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const float *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const float *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) {
          const float diff = ar[i3 * as[3]] - br[i3 * bs[3]];
          y[yi++] = diff * diff;
        }
      }
    }
  }
}

static int8_t tl_squared_difference_one(int32_t a, int32_t b, const tl_squared_difference_int8_params *p) {
  const int32_t sa = tl_multiply_by_quantized_multiplier((a - p->a_zp) * 128, p->a_multiplier, p->a_shift);
  const int32_t sb = tl_multiply_by_quantized_multiplier((b - p->b_zp) * 128, p->b_multiplier, p->b_shift);
  const int32_t diff = sa - sb; /* |diff| < 2^15 */
  const int32_t v = tl_multiply_by_quantized_multiplier(diff * diff, p->out_multiplier, p->out_shift) + p->out_zp;
  return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

void tl_squared_difference_int8(int8_t *y, const int8_t *a, const int8_t *b,
                                const tl_squared_difference_int8_params *p) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *as = p->geom.a_strides, *bs = p->geom.b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const int8_t *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const int8_t *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) y[yi++] = tl_squared_difference_one(ar[i3 * as[3]], br[i3 * bs[3]], p);
      }
    }
  }
}
