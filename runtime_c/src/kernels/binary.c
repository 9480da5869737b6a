/* binary.c: float32 reference kernels of the broadcasting binary ops Add, Sub and Mul, with fused activation.
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: broadcasting rules or shape validation (prepare right-aligned both shapes to rank 4 and
 * turned every broadcast dim into a stride of 0) or fast code.
 */
#include "kernels.h"

typedef enum binary_op { BINARY_ADD, BINARY_SUB, BINARY_MUL } binary_op;

static float clamp_act(float v, tl_act_f32 act) {
  /* Comparisons (not fminf/fmaxf) so that a NaN propagates instead of being clamped away. */
  return v < act.min ? act.min : (v > act.max ? act.max : v);
}

static float apply(binary_op op, float a, float b) {
  switch (op) {
    case BINARY_ADD: return a + b;
    case BINARY_SUB: return a - b;
    case BINARY_MUL: return a * b;
  }
  return 0.0f; /* unreachable: op is one of the three above */
}

/* Algorithm: a 4-D loop over out_dims; y is contiguous, a and b are addressed through their element strides
 * (0 on a broadcast dim, so the same element is reread). The offsets of the three outer dims are summed once
 * per row, outside the innermost loop. */
static void binary_f32(float *y,       /* [out_dims] */
                       const float *a, /* out_dims, broadcast through a_strides */
                       const float *b, /* out_dims, broadcast through b_strides */
                       const tl_binary_params *p, binary_op op) {
  const int32_t *d = p->out_dims;
  const int64_t *as = p->a_strides;
  const int64_t *bs = p->b_strides;
  int64_t yi = 0;
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++) {
        const float *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2]; /* row of a, element stride as[3] */
        const float *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2]; /* row of b, element stride bs[3] */
        for (int32_t i3 = 0; i3 < d[3]; i3++) {
          y[yi++] = clamp_act(apply(op, ar[i3 * as[3]], br[i3 * bs[3]]), p->act);
        }
      }
    }
  }
}

void tl_add_f32(float *y,       /* [out_dims] */
                const float *a, /* out_dims, broadcast through a_strides */
                const float *b, /* out_dims, broadcast through b_strides */
                const tl_binary_params *p) {
  binary_f32(y, a, b, p, BINARY_ADD);
}

void tl_sub_f32(float *y,       /* [out_dims] */
                const float *a, /* out_dims, broadcast through a_strides */
                const float *b, /* out_dims, broadcast through b_strides */
                const tl_binary_params *p) {
  binary_f32(y, a, b, p, BINARY_SUB);
}

void tl_mul_f32(float *y,       /* [out_dims] */
                const float *a, /* out_dims, broadcast through a_strides */
                const float *b, /* out_dims, broadcast through b_strides */
                const tl_binary_params *p) {
  binary_f32(y, a, b, p, BINARY_MUL);
}
