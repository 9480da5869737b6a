/* prelu.c: reference kernels of PRelu (prelu.h).
 *
 * Algorithm: the 4-D loop of binary.c: y contiguous, x and alpha addressed through their element strides (0
 * on a broadcast dim); the row offsets of the three outer dims are summed once per row.
 */
#include "prelu.h"

#include "quant.h"

void tl_prelu_f32(float *y, const float *x, const float *alpha, const tl_binary_params *p) {
  const int32_t *d = p->out_dims;
  const int64_t *xs = p->a_strides, *as = p->b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const float *xr = x + i0 * xs[0] + i1 * xs[1] + i2 * xs[2];
        const float *ar = alpha + i0 * as[0] + i1 * as[1] + i2 * as[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) {
          const float v = xr[i3 * xs[3]];
          y[yi++] = v >= 0.0f ? v : v * ar[i3 * as[3]];
        }
      }
    }
  }
}

void tl_prelu_int8(int8_t *y, const int8_t *x, const int8_t *alpha, const tl_prelu_int8_params *p) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *xs = p->geom.a_strides, *as = p->geom.b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const int8_t *xr = x + i0 * xs[0] + i1 * xs[1] + i2 * xs[2];
        const int8_t *ar = alpha + i0 * as[0] + i1 * as[1] + i2 * as[2];
        for (int32_t i3 = 0; i3 < d[3]; i3++) {
          const int32_t v = (int32_t)xr[i3 * xs[3]] - p->x_zp; /* |v| <= 255, |v a| <= 65025 */
          const int32_t r =
              v >= 0 ? tl_multiply_by_quantized_multiplier(v, p->identity_multiplier, p->identity_shift)
                     : tl_multiply_by_quantized_multiplier(v * ((int32_t)ar[i3 * as[3]] - p->alpha_zp),
                                                           p->alpha_multiplier, p->alpha_shift);
          const int32_t o = r + p->out_zp;
          y[yi++] = (int8_t)(o < -128 ? -128 : o > 127 ? 127 : o);
        }
      }
    }
  }
}
