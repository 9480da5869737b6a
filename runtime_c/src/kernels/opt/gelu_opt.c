/* gelu_opt.c: the optimized float32 Gelu, tanh form (opt_kernels_elementwise.h): the entry point, which runs
 * the level's loop (tl_gelu_tanh_run of transcendental_body.h, compiled once per level in f32_<level>.c).
 *
 * Algorithm: the reference (kernels/gelu.c) computes inner = sqrt(2/pi) (x + 0.044715 x x x) in float32,
 * t = tanh(inner) in double (libm) rounded to float, and y = 0.5 x (1 + t) in float32. Here the float32 steps
 * are the same IEEE operations in the same order on float vectors (the build contracts nothing into an FMA:
 * C99 without extensions), so inner and y are the reference's bits given t. The tanh is
 * transcendental_body.h's (e^(-2|inner|) as 2^n p(r), or the Taylor series below 0.1) in double, within about
 * 1e-12 of the exact value, rounded to float: the reference's t but in rare near-halfway cases, where it is
 * one float away. 1 + t cancels for inner near -1 (x below about -2), so such a t shows up in y as at most
 * |x| 2^-24 plus one rounding (test_opt_elementwise.c checks this bound and how often y differs). A NaN gives a
 * NaN, +inf gives +inf, -inf NaN (0.5 x times 0), as in the reference. Levels: AVX-512, AVX2 and AArch64 NEON
 * (TL_VF_W floats, two double vectors, at a time); the portable level and ARMv7 NEON (no double lanes) run the
 * reference kernel. The erf form has no optimized kernel (the op runs the reference for it).
 */
#include "opt_f32_internal.h"

/* The Gelu kernels of each level, in tl_f32_level_index's order. */
static const tl_f32_gelu_kernels *const k_gelu_sets[TL_F32_LEVELS] = {&tl_f32_gelu_portable, &tl_f32_gelu_neon,
                                                                       &tl_f32_gelu_avx2, &tl_f32_gelu_avx512};

void tl_gelu_tanh_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_gelu_sets[tl_f32_level_index(isa)]->gelu_tanh(y, x, n);
}
