/* softmax_opt.c: the optimized float32 Softmax (opt_kernels_elementwise.h): the entry point, which runs the
 * level's row loop (tl_softmax_run of transcendental_body.h, compiled once per level in f32_<level>.c).
 *
 * Algorithm: the reference's (kernels/softmax.c) steps in its order, per row: the maximum (ref) by a strict >,
 * t = beta (x - ref) in float32, e = exp(t), the sum of the e in float32 from the first to the last, then
 * y = e / sum. Here the maximum is taken in vectors (with a NaN in the row it may or may not be NaN: the row
 * is NaN either way, since the NaN's term makes the sum NaN; without NaN it is the same maximum up to a zero's
 * sign, which no x - ref sees), t is the same two IEEE float operations on float vectors (no FMA: the build is C99
 * without extensions), e^t is computed in double (transcendental_body.h's 2^n p(r), t clamped to [-700, 0], p of
 * degree 8 fitted for relative error, four vectors in lock step; within 1.4e-12 of the exact value) and rounded
 * to float: the correctly rounded float but in rare
 * near-halfway cases, where libm's expf (the reference, itself within 1 ulp) may round the other way. The sums
 * are the reference's additions in its order, eight rows at a time (interleaved so that their latencies
 * overlap), and the division the same IEEE division, so y is the reference's bits but where an e differs
 * (test_opt_elementwise.c measures it: within 2 ulp). A NaN input makes its row NaN as in the reference.
 * Levels: AVX-512, AVX2 and AArch64 NEON; the portable level and ARMv7 NEON run the reference kernel.
 */
#include "opt_f32_internal.h"

/* The Softmax kernels of each level, in tl_f32_level_index's order. */
static const tl_f32_softmax_kernels *const k_softmax_sets[TL_F32_LEVELS] = {
    &tl_f32_softmax_portable, &tl_f32_softmax_neon, &tl_f32_softmax_avx2, &tl_f32_softmax_avx512};

void tl_softmax_f32_opt(float *y, const float *x, const tl_softmax_params *p, tl_isa isa) {
  k_softmax_sets[tl_f32_level_index(isa)]->softmax(y, x, p);
}
