/* minimum.c: reference kernels of Minimum (minimum.h).
 *
 * Algorithm: the 4-D loop of binary.c: y contiguous, a and b addressed through their element strides (0 on a
 * broadcast dim, so the same element is reread); the row offsets of the three outer dims are summed once per
 * row.
 */
#include "minimum.h"

/* numpy's rule: a when a < b or a is NaN, else b (a NaN in either input propagates; min(-0, +0) is +0 and
 * min(+0, -0) is -0, as in numpy) */
static float tl_min_f32(float a, float b) { return a < b || a != a ? a : b; }

void tl_minimum_f32(float *y, const float *a, const float *b, const tl_binary_params *p) {
  const int32_t *d = p->out_dims;
  const int64_t *as = p->a_strides, *bs = p->b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const float *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const float *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) y[yi++] = tl_min_f32(ar[i3 * as[3]], br[i3 * bs[3]]);
      }
    }
  }
}

void tl_minimum_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_minimum_int8_params *p) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *as = p->geom.a_strides, *bs = p->geom.b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const int8_t *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const int8_t *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) {
          const int8_t va = tl_requantize_centered_int8((int32_t)ar[i3 * as[3]] - p->a.input_zp, &p->a);
          const int8_t vb = tl_requantize_centered_int8((int32_t)br[i3 * bs[3]] - p->b.input_zp, &p->b);
          y[yi++] = va < vb ? va : vb;
        }
      }
    }
  }
}
