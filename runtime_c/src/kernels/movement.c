/* movement.c: reference kernels of the data-movement ops Concatenation, Pad and Transpose.
 *
 * What this is: the specification the optimized kernels are tested against. They move whole elements of
 * elem_size bytes (1, 2, 4 or 8: int8, float16, float32/int32, int64) and never look at their values, so one
 * kernel serves every dtype.
 * What this is not: shape validation (prepare proved the dims, pads and permutation) or fast code.
 */
#include <string.h>

#include "kernels.h"

/* Concatenation: y is `outer` blocks; block o is input 0's block o, then input 1's block o, and so on, where
 * input i's block is inner_bytes[i] contiguous bytes (its slab of the axis and everything after it). */
void tl_concat(void *y,                 /* [outer, sum of inner_bytes] bytes */
               const void *const *xs,   /* num_inputs pointers; xs[i] is [outer, inner_bytes[i]] bytes */
               const tl_concat_params *p) {
  unsigned char *dst = (unsigned char *)y;
  for (int64_t o = 0; o < p->outer; o++) {
    for (int32_t i = 0; i < p->num_inputs; i++) {
      const size_t n = (size_t)p->inner_bytes[i];
      if (n == 0) continue; /* an empty input may have no buffer at all (NULL) */
      memcpy(dst, (const unsigned char *)xs[i] + (size_t)o * n, n);
      dst += n;
    }
  }
}

/* Pad: output dim d is before[d] + in_dims[d] + after[d].
 * Algorithm: fill all of y with the pad value, then copy each input row (the last axis, contiguous in both
 * x and y) to its place in y. An odometer over the input's leading axes keeps the row's y offset, in
 * elements: sum over d of (idx[d] + before[d]) * y_stride[d], plus before[rank - 1]. A NULL pad_value means
 * zero bytes. */
void tl_pad(void *y,       /* [before[d] + in_dims[d] + after[d] for each d] elements of elem_size bytes */
            const void *x, /* [in_dims] elements of elem_size bytes */
            const tl_pad_params *p) {
  const size_t es = (size_t)p->elem_size;
  const int32_t rank = p->rank;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  if (rank == 0) { /* a scalar has nothing to pad */
    memcpy(yb, xb, es);
    return;
  }
  int32_t out_dims[TL_KMAX_RANK];
  int64_t y_strides[TL_KMAX_RANK]; /* element strides of y */
  int64_t n_out = 1;
  for (int32_t d = rank - 1; d >= 0; d--) {
    out_dims[d] = p->before[d] + p->in_dims[d] + p->after[d];
    y_strides[d] = n_out;
    n_out *= out_dims[d];
  }
  for (int64_t i = 0; i < n_out; i++) {
    if (p->pad_value) {
      memcpy(yb + (size_t)i * es, p->pad_value, es);
    } else {
      memset(yb + (size_t)i * es, 0, es);
    }
  }

  int64_t n_rows = 1; /* input rows: product of all dims but the last */
  int64_t y_off = p->before[rank - 1];
  for (int32_t d = 0; d < rank - 1; d++) {
    n_rows *= p->in_dims[d];
    y_off += (int64_t)p->before[d] * y_strides[d];
  }
  const size_t row_bytes = (size_t)p->in_dims[rank - 1] * es;
  if (row_bytes == 0) return; /* an empty input (possibly with a NULL buffer) leaves only padding */
  int32_t idx[TL_KMAX_RANK] = {0};
  for (int64_t r = 0; r < n_rows; r++) {
    memcpy(yb + (size_t)y_off * es, xb + (size_t)r * row_bytes, row_bytes);
    /* Next row: step the odometer over axes 0 .. rank-2. */
    for (int32_t d = rank - 2; d >= 0; d--) {
      idx[d]++;
      y_off += y_strides[d];
      if (idx[d] < p->in_dims[d]) break;
      y_off -= (int64_t)p->in_dims[d] * y_strides[d];
      idx[d] = 0;
    }
  }
}

/* Transpose: y[i_0, ..., i_{r-1}] = x[j] with j[perm[d]] = i_d, i.e. output axis d is input axis perm[d].
 * Algorithm: walk y in order with an odometer over the output dims (in_dims[perm[d]]) whose steps are the
 * input strides of the permuted axes, so the input offset of each output element is kept incrementally. */
void tl_transpose(void *y,       /* [in_dims[perm[0]], ..., in_dims[perm[rank - 1]]] elements of elem_size */
                  const void *x, /* [in_dims] elements of elem_size bytes */
                  const tl_transpose_params *p) {
  const size_t es = (size_t)p->elem_size;
  const int32_t rank = p->rank;
  int64_t x_strides[TL_KMAX_RANK]; /* element strides of x */
  int64_t n = 1;
  for (int32_t d = rank - 1; d >= 0; d--) {
    x_strides[d] = n;
    n *= p->in_dims[d];
  }
  int32_t dims[TL_KMAX_RANK];      /* output dims */
  int64_t steps[TL_KMAX_RANK];     /* x stride of each output axis */
  for (int32_t d = 0; d < rank; d++) {
    dims[d] = p->in_dims[p->perm[d]];
    steps[d] = x_strides[p->perm[d]];
  }
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  int32_t idx[TL_KMAX_RANK] = {0};
  int64_t x_off = 0;
  for (int64_t i = 0; i < n; i++) {
    memcpy(yb + (size_t)i * es, xb + (size_t)x_off * es, es);
    for (int32_t d = rank - 1; d >= 0; d--) {
      idx[d]++;
      x_off += steps[d];
      if (idx[d] < dims[d]) break;
      x_off -= (int64_t)dims[d] * steps[d];
      idx[d] = 0;
    }
  }
}
