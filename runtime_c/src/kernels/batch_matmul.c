/* batch_matmul.c: reference BatchMatMul kernels (see batch_matmul.h). */
#include "batch_matmul.h"

#include "quant.h"

/* Element (i, l) of a batch's A and (l, j) of its B, through the adjoint flags. */
static int64_t tl_bmm_a_at(const tl_batch_matmul_params *p, int32_t i, int32_t l) {
  return p->adj_x ? (int64_t)l * p->m + i : (int64_t)i * p->k + l;
}
static int64_t tl_bmm_b_at(const tl_batch_matmul_params *p, int32_t l, int32_t j) {
  return p->adj_y ? (int64_t)j * p->k + l : (int64_t)l * p->n + j;
}

void tl_batch_matmul_f32(float *y, const float *a, const float *b, const tl_batch_matmul_params *p) {
  for (int32_t i0 = 0; i0 < p->batch[0]; i0++) {
    for (int32_t i1 = 0; i1 < p->batch[1]; i1++) {
      for (int32_t i2 = 0; i2 < p->batch[2]; i2++) {
        const float *ab = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2]; /* [m, k] */
        const float *bb = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2]; /* [k, n] */
        for (int32_t i = 0; i < p->m; i++) {
          for (int32_t j = 0; j < p->n; j++) {
            float acc = 0.0f;
            for (int32_t l = 0; l < p->k; l++) acc += ab[tl_bmm_a_at(p, i, l)] * bb[tl_bmm_b_at(p, l, j)];
            *y++ = acc;
          }
        }
      }
    }
  }
}

void tl_batch_matmul_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_batch_matmul_int8_params *q) {
  const tl_batch_matmul_params *p = &q->geom;
  for (int32_t i0 = 0; i0 < p->batch[0]; i0++) {
    for (int32_t i1 = 0; i1 < p->batch[1]; i1++) {
      for (int32_t i2 = 0; i2 < p->batch[2]; i2++) {
        const int8_t *ab = a + i0 * p->a_stride[0] + i1 * p->a_stride[1] + i2 * p->a_stride[2]; /* [m, k] */
        const int8_t *bb = b + i0 * p->b_stride[0] + i1 * p->b_stride[1] + i2 * p->b_stride[2]; /* [k, n] */
        for (int32_t i = 0; i < p->m; i++) {
          for (int32_t j = 0; j < p->n; j++) {
            int64_t acc = 0;
            int32_t v;
            for (int32_t l = 0; l < p->k; l++) {
              acc += (int64_t)(ab[tl_bmm_a_at(p, i, l)] - q->a_zp) * (bb[tl_bmm_b_at(p, l, j)] - q->b_zp);
            }
            acc = acc > INT32_MAX ? INT32_MAX : (acc < INT32_MIN ? INT32_MIN : acc);
            v = tl_multiply_by_quantized_multiplier((int32_t)acc, q->multiplier, q->shift) + q->out_zp;
            *y++ = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
          }
        }
      }
    }
  }
}
