/* gelu_opt.c: the optimized float32 Gelu, tanh form (opt_kernels_elementwise.h): the entry point, which runs
 * the level's loop (tl_gelu_tanh_run of transcendental_body.h, compiled once per level in f32_<level>.c).
 *
 * Algorithm: the reference (kernels/gelu.c) computes inner = sqrt(2/pi) (x + 0.044715 x x x) in float32, t =
 * tanh(inner) in double (libm) rounded to float, and y = 0.5 x (1 + t) in float32. Here the float32 steps are the
 * same IEEE operations in the same order on float vectors (the build contracts nothing into an FMA: C99 without
 * extensions), so inner and y are the reference's bits given t. The tanh is transcendental_body.h's float32
 * tl_trf_tanh (an odd polynomial below 0.75, 1 - 2 / (e^(2|inner|) + 1) above), within 1.07 ulp of the exact value:
 * at most two floats from the reference's correctly rounded t (measured: the same float but for 0.2% of the floats
 * of [0, 12], then one float off). Bound: for |t| >= 1/2 two floats are 2^-23 and 1 + t moves by at most 2^-23, y
 * by |x| 2^-24 plus one rounding; below 1/2 the floats are closer and 1 + t moves by at most one float of 1 + t,
 * again at most |x| 2^-24 in y. So y is within |x| 2^-24 + 2 ulp of the reference's (test_opt_elementwise.c checks
 * this bound on a dense sweep and random bit patterns, and measures the tanh's error from libm's double tanh). A
 * NaN gives a NaN, +inf gives +inf, -inf NaN (0.5 x times 0), as in the reference. Levels: AVX-512, AVX2 and
 * AArch64 NEON (TL_VF_W floats at a time, four vectors in lock step, step by step: one vector's chain of some 40
 * dependent operations after the other kept too little independent work in flight; the same operations, so the
 * same bits at every one of them); the portable
 * level and ARMv7 NEON (no fused multiply-add guaranteed) run the reference kernel. The erf form has no optimized
 * kernel (the op runs the reference for it).
 */
#include "opt_f32_internal.h"

/* The Gelu kernels of each level, in tl_f32_level_index's order. */
static const tl_f32_gelu_kernels *const k_gelu_sets[TL_F32_LEVELS] = {&tl_f32_gelu_portable, &tl_f32_gelu_neon,
                                                                       &tl_f32_gelu_avx2, &tl_f32_gelu_avx512};

void tl_gelu_tanh_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_gelu_sets[tl_f32_level_index(isa)]->gelu_tanh(y, x, n);
}

void tl_gelu_tanh_core_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_gelu_sets[tl_f32_level_index(isa)]->tanh(y, x, n);
}
