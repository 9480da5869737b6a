/* reduce_walk.h: the walk over a reduction's terms that Mean, Sum and ReduceMax share (kernels/mean.c,
 * pool2d_int8.c, reduce.c).
 *
 * What this is: the input's axes split into kept ones (they index y, in order) and reduced ones, with their
 * element strides in x, and the row-major odometer that steps over either list. For each output element, in
 * y's order, an odometer over the kept axes gives the input offset of its first term (`base`); a second
 * odometer over the reduced axes gives each term's offset from it:
 *
 *   tl_reduce_walk w;                       tl_reduce_walk_init(&w, p);
 *   int32_t kept_idx[TL_KMAX_RANK] = {0};  int64_t base = 0;
 *   for (o = 0; o < w.n_out; o++) {
 *     int32_t red_idx[TL_KMAX_RANK] = {0};  int64_t off = 0;
 *     for (r = 0; r < w.count; r++) { ... x[base + off] ...; tl_reduce_next(red_idx, w.red_dims, w.red_strides, w.n_red, &off); }
 *     tl_reduce_next(kept_idx, w.kept_dims, w.kept_strides, w.n_kept, &base);
 *   }
 *
 * What this is not: axis validation (prepare resolved negative and duplicate axes into p->reduce[]).
 */
#ifndef TL_KERNELS_REDUCE_WALK_H
#define TL_KERNELS_REDUCE_WALK_H

#include "kernels.h"

typedef struct tl_reduce_walk {
  int32_t n_kept, n_red;
  int32_t kept_dims[TL_KMAX_RANK], red_dims[TL_KMAX_RANK];      /* sizes of the kept / reduced axes */
  int64_t kept_strides[TL_KMAX_RANK], red_strides[TL_KMAX_RANK]; /* their element strides in x */
  int64_t n_out;                                                 /* output elements */
  int64_t count;                                                 /* terms per output element */
} tl_reduce_walk;

/* Walks the axes from the last (stride 1) to the first, filling both lists back to front. */
static inline void tl_reduce_walk_init(tl_reduce_walk *w, const tl_mean_params *p) {
  int32_t ki, ri;
  int64_t stride = 1;
  w->n_kept = w->n_red = 0;
  for (int32_t d = 0; d < p->rank; d++) {
    if (p->reduce[d]) w->n_red++; else w->n_kept++;
  }
  ki = w->n_kept;
  ri = w->n_red;
  w->n_out = 1;
  w->count = 1;
  for (int32_t d = p->rank - 1; d >= 0; d--) {
    if (p->reduce[d]) {
      ri--;
      w->red_dims[ri] = p->in_dims[d];
      w->red_strides[ri] = stride;
      w->count *= p->in_dims[d];
    } else {
      ki--;
      w->kept_dims[ki] = p->in_dims[d];
      w->kept_strides[ki] = stride;
      w->n_out *= p->in_dims[d];
    }
    stride *= p->in_dims[d];
  }
}

/* Steps a row-major odometer over dims[0..n) by one, keeping *offset = sum idx[d] * strides[d]. */
static inline void tl_reduce_next(int32_t *idx, const int32_t *dims, const int64_t *strides, int32_t n,
                                  int64_t *offset) {
  for (int32_t d = n - 1; d >= 0; d--) {
    idx[d]++;
    *offset += strides[d];
    if (idx[d] < dims[d]) return;
    *offset -= strides[d] * dims[d];
    idx[d] = 0;
  }
}

#endif /* TL_KERNELS_REDUCE_WALK_H */
