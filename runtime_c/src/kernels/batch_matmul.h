/* batch_matmul.h: reference kernels of BatchMatMul (float32 and int8): y[b] = op(a[b]) op(b[b]) per batch.
 *
 * What this is: the specification the op glue (ops/batch_matmul.c) and the optimized kernel
 * (kernels/opt/batch_matmul_opt.c) are checked against. What this is not: shape rules (prepare right-aligns the
 * batch dimensions of both inputs to 3, and turns every broadcast batch dim into a stride of 0).
 *
 * Layout: batch index (i0, i1, i2) of the output reads matrix a + i0 a_stride[0] + i1 a_stride[1] + i2 a_stride[2]
 * (element offsets; likewise b). Each a matrix is [m, k] row-major, or [k, m] with adj_x; each b matrix [k, n],
 * or [n, k] with adj_y; each output matrix [m, n], the output's batches dense in order.
 */
#ifndef TL_KERNELS_BATCH_MATMUL_H
#define TL_KERNELS_BATCH_MATMUL_H

#include <stdint.h>

#include "kernels.h"
#include "kernels_int8.h"

typedef struct tl_batch_matmul_params {
  int32_t batch[3];                 /* output batch dims, right-aligned (1 where absent) */
  int64_t a_stride[3], b_stride[3]; /* element offsets per batch index, 0 on a broadcast dim */
  int32_t m, n, k;
  int32_t adj_x, adj_y;
} tl_batch_matmul_params;

/* y[b][i, j] = sum_l A[b][i, l] B[b][l, j], summed in l order in float32. */
void tl_batch_matmul_f32(float *y, const float *a, const float *b, const tl_batch_matmul_params *p);

/* int8 (TFLite's reference BATCH_MATMUL): acc = sum_l (A - a_zp)(B - b_zp) exactly (int64, saturated to int32),
 * y = clamp(mbqm(acc, multiplier, shift) + out_zp, -128, 127); multiplier = (double)(float)(s_a s_b) / s_out. */
typedef struct tl_batch_matmul_int8_params {
  tl_batch_matmul_params geom;
  int32_t a_zp, b_zp, out_zp;
  int32_t multiplier, shift;
} tl_batch_matmul_int8_params;
void tl_batch_matmul_int8(int8_t *y, const int8_t *a, const int8_t *b, const tl_batch_matmul_int8_params *p);

#endif /* TL_KERNELS_BATCH_MATMUL_H */
