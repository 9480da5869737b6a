/* pool_opt.c: optimized float32 MaxPool2D (see opt_kernels.h), AveragePool2D and Mean over consecutive axes
 * (see opt_kernels_elementwise.h).
 *
 * What this is: the entry points, which run the level's kernels (pool_body.h and mean_body.h, compiled once
 * per level in f32_<level>.c): the reference formulas with the channels vectorised (AVX-512: 16, AVX2: 8,
 * NEON: 4 per vector; the portable pools and the channels past the last full vector go one at a time, the
 * portable Mean works on blocks of 4 in a plain C array that the compiler can vectorise). Max is
 * exact, so MaxPool's results are bit-identical to tl_max_pool2d_f32, NaNs included; AveragePool adds the
 * window's pixels in the reference's order and divides once, and Mean sums in double in the reference's
 * order, so they are bit-identical too (but see opt_kernels_elementwise.h for ARMv7 NEON and subnormals).
 * What this is not: the specification.
 *
 * Algorithm (pools): for each output pixel, clip the window to the input (an empty window gives 0, then
 * the activation); per block of channels, MaxPool starts from the window's first pixel and takes v when
 * v > acc or v is NaN (the reference's rule: a NaN wins), AveragePool starts from 0 and adds the pixels in
 * row-major order then divides by their count; then the clamp (max(lo, v), min(hi, .): a NaN passes
 * through).
 * Algorithm (Mean): with the reduced axes consecutive, x is [outer, reduced, inner] and y [outer, inner];
 * per block of inner values, each is summed over the reduced index in double (four blocks at once: four
 * independent chains), divided by the count in double and rounded to float once, as the reference does. With
 * inner == 1 (the last axis reduced) four rows are summed at once instead, each in its order (mean_body.h).
 */
#include "opt_f32_internal.h"

#include <math.h>

/* The pools' and Mean's kernels of each level (opt_f32_internal.h), in tl_f32_level_index's order. */
static const tl_f32_pool_kernels *const k_max_pool_sets[TL_F32_LEVELS] = {
    &tl_f32_max_pool_portable, &tl_f32_max_pool_neon, &tl_f32_max_pool_avx2, &tl_f32_max_pool_avx512};
static const tl_f32_pool_kernels *const k_avg_pool_sets[TL_F32_LEVELS] = {
    &tl_f32_avg_pool_portable, &tl_f32_avg_pool_neon, &tl_f32_avg_pool_avx2, &tl_f32_avg_pool_avx512};
static const tl_f32_mean_kernels *const k_mean_sets[TL_F32_LEVELS] = {&tl_f32_mean_portable, &tl_f32_mean_neon,
                                                                       &tl_f32_mean_avx2, &tl_f32_mean_avx512};

void tl_max_pool2d_f32_opt(float *y, const float *x, const tl_pool_params *p, tl_isa isa) {
  k_max_pool_sets[tl_f32_level_index(isa)]->pool(y, x, p);
}

void tl_average_pool2d_f32_opt(float *y, const float *x, const tl_pool_params *p, tl_isa isa) {
  k_avg_pool_sets[tl_f32_level_index(isa)]->pool(y, x, p);
}

/* ---- Mean over consecutive axes ---- */

/* [outer, reduced, inner] of p when its reduced axes are one run (kept axes of size 1 inside it allowed). */
static int tl_mean_view(const tl_mean_params *p, int64_t *outer, int64_t *reduced, int64_t *inner) {
  int32_t first = -1, last = -1;
  *outer = *reduced = *inner = 1;
  for (int32_t d = 0; d < p->rank; d++) {
    if (!p->reduce[d]) continue;
    if (first < 0) first = d;
    last = d;
  }
  if (first < 0) return 0;
  for (int32_t d = 0; d < p->rank; d++) {
    if (d < first) *outer *= p->in_dims[d];
    else if (d > last) *inner *= p->in_dims[d];
    else if (p->reduce[d]) *reduced *= p->in_dims[d];
    else if (p->in_dims[d] != 1) return 0;
  }
  return 1;
}

int tl_mean_f32_opt_supported(const tl_mean_params *p) {
  int64_t outer, reduced, inner;
  return tl_mean_view(p, &outer, &reduced, &inner);
}

void tl_mean_f32_opt(float *y, const float *x, const tl_mean_params *p, tl_isa isa) {
  int64_t outer, reduced, inner;
  if (!tl_mean_view(p, &outer, &reduced, &inner)) {
    tl_mean_f32(y, x, p);
    return;
  }
  if (reduced == 0) { /* numpy's mean of nothing, as the reference */
    for (int64_t i = 0; i < outer * inner; i++) y[i] = NAN;
    return;
  }
  k_mean_sets[tl_f32_level_index(isa)]->mean(y, x, outer, reduced, inner);
}
