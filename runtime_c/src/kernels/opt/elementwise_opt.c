/* elementwise_opt.c: optimized float32 Add, Sub, Mul (with fused activation), SquaredDifference, Relu, Relu6,
 * HardSwish, Sigmoid and Tanh (see opt_kernels_elementwise.h).
 *
 * What this is: the broadcast analysis and the entry points, which run the level's loops (elementwise_body.h
 * and transcendental_body.h, compiled once per level in f32_<level>.c): the reference formulas over flat runs
 * of memory, 16 (AVX-512), 8 (AVX2) or 4 (NEON) floats per vector, four vectors per iteration; the portable
 * level is the same loop one float at a time, written so that the compiler can vectorise it. Each element is
 * one IEEE operation then the clamp (max(lo, v) then min(hi, .), the reference's `v < lo ? lo : (v > hi ? hi :
 * v)`, NaN and signed zeros included), so the results are the reference's bits. Sigmoid and Tanh (algorithm
 * at the end) are evaluated in double instead, within 2 ulp of the reference. What this is not: the
 * specification (binary.c, unary.c).
 *
 * Algorithm (binary ops): each input, read in y's order, is classified by its period L: element i of y
 * reads input element i % L. L is the product of the trailing dims on which the input is contiguous, and
 * exists when every leading dim is broadcast (stride 0) or 1; L == n (all of y) is a same-shape input,
 * L == 1 a scalar. With n = |y|: both L == n run one flat loop; one L == 1 runs a flat loop against a
 * broadcast scalar; otherwise, when one side has L == n, y is cut into rows of the other side's L and each
 * row runs the flat loop with that side's pointer back at its start. Any other broadcast whose last axis has
 * at least TL_EW_MIN_ROW elements runs the reference's loop over the three outer axes, each row of y a flat
 * loop (an input with stride 0 on the last axis is a scalar for that row); shorter rows run the reference.
 * The rows of one broadcast are one call of the level's kernel (its row loop inside, the op and the operands'
 * form constants there): a layer norm's [32, 64] - [32, 1] was 32 calls of 64 floats, each paying the
 * dispatch and the loop's setup (0.27 -> 0.17 us at one AVX2 core).
 */
#include "opt_f32_internal.h"

#include <math.h>

#include "../squared_difference.h"

/* The binary ops' kernels of each level (opt_f32_internal.h), in tl_f32_level_index's order. */
static const tl_f32_binary_kernels *const k_binary_sets[TL_F32_LEVELS] = {
    &tl_f32_binary_portable, &tl_f32_binary_neon, &tl_f32_binary_avx2, &tl_f32_binary_avx512};

/* The period L of an input with strides s over y's dims d (see the algorithm above), or 0 when it has none;
 * the int8 Add/Sub/Mul driver (binary_int8_opt.c) uses it too. */
int64_t tl_ew_period(const int32_t *d, const int64_t *s) {
  int64_t contiguous = 1;
  int k = 3;
  for (; k >= 0; k--) {
    if (d[k] == 1) continue;
    if (s[k] != contiguous) break;
    contiguous *= d[k];
  }
  for (; k >= 0; k--) {
    if (d[k] != 1 && s[k] != 0) return 0;
  }
  return contiguous;
}

static int64_t tl_ew_count(const tl_binary_params *p) {
  return (int64_t)p->out_dims[0] * p->out_dims[1] * p->out_dims[2] * p->out_dims[3];
}

#define TL_EW_MIN_ROW 4 /* shorter rows of a general broadcast: the reference loop */

int tl_binary_f32_opt_supported(const tl_binary_params *p) {
  const int64_t n = tl_ew_count(p);
  const int64_t la = tl_ew_period(p->out_dims, p->a_strides), lb = tl_ew_period(p->out_dims, p->b_strides);
  if (n <= 0 || p->out_dims[3] >= TL_EW_MIN_ROW) return 1;
  return (la == n && lb > 0) || (lb == n && la > 0);
}

/* A general broadcast, row by row along the last axis (its strides are 1 or 0: prepare's rule): one kernel call
 * per (i0, i1) runs the d[2] rows of d[3] floats. */
static void tl_ew_rows(float *y, const float *a, const float *b, const tl_binary_params *p,
                       const tl_f32_binary_kernels *ks, int op) {
  const int32_t *d = p->out_dims;
  const int64_t *as = p->a_strides, *bs = p->b_strides;
  const int form = as[3] != 0 && bs[3] != 0 ? TL_EW_VV : (as[3] != 0 ? TL_EW_VS : TL_EW_SV);
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++, y += (int64_t)d[2] * d[3]) {
      const float *ar = a + i0 * as[0] + i1 * as[1];
      const float *br = b + i0 * bs[0] + i1 * bs[1];
      ks->binary(op, form, y, ar, br, d[2], d[3], as[2], bs[2], p->act.min, p->act.max);
    }
  }
}

static void tl_ew_binary(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa, int op) {
  const int64_t n = tl_ew_count(p);
  const int64_t la = tl_ew_period(p->out_dims, p->a_strides), lb = tl_ew_period(p->out_dims, p->b_strides);
  const float lo = p->act.min, hi = p->act.max;
  const tl_f32_binary_kernels *ks = k_binary_sets[tl_f32_level_index(isa)];
  if (n <= 0) return;
  if (la == n && lb == n) {
    ks->binary(op, TL_EW_VV, y, a, b, 1, n, 0, 0, lo, hi);
  } else if (la == n && lb == 1) {
    ks->binary(op, TL_EW_VS, y, a, b, 1, n, 0, 0, lo, hi);
  } else if (la == 1 && lb == n) {
    ks->binary(op, TL_EW_SV, y, a, b, 1, n, 0, 0, lo, hi);
  } else if (la == n && lb > 0) { /* b repeats every lb elements: rows of lb */
    ks->binary(op, TL_EW_VV, y, a, b, n / lb, lb, lb, 0, lo, hi);
  } else if (lb == n && la > 0) {
    ks->binary(op, TL_EW_VV, y, a, b, n / la, la, 0, la, lo, hi);
  } else if (p->out_dims[3] >= TL_EW_MIN_ROW) {
    tl_ew_rows(y, a, b, p, ks, op);
  } else if (op == TL_EW_ADD) {
    tl_add_f32(y, a, b, p);
  } else if (op == TL_EW_SUB) {
    tl_sub_f32(y, a, b, p);
  } else if (op == TL_EW_MUL) {
    tl_mul_f32(y, a, b, p);
  } else {
    tl_squared_difference_f32(y, a, b, p);
  }
}

void tl_add_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa) {
  tl_ew_binary(y, a, b, p, isa, TL_EW_ADD);
}

void tl_sub_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa) {
  tl_ew_binary(y, a, b, p, isa, TL_EW_SUB);
}

void tl_mul_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa) {
  tl_ew_binary(y, a, b, p, isa, TL_EW_MUL);
}

void tl_squared_difference_f32_opt(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa) {
  tl_ew_binary(y, a, b, p, isa, TL_EW_SQDIFF); /* p->act: the identity clamp [-inf, inf] (prepare's) */
}

/* The clamp's (Relu, Relu6) and Sigmoid's and Tanh's kernels of each level, in tl_f32_level_index's order. */
static const tl_f32_clamp_kernels *const k_clamp_sets[TL_F32_LEVELS] = {&tl_f32_clamp_portable, &tl_f32_clamp_neon,
                                                                         &tl_f32_clamp_avx2, &tl_f32_clamp_avx512};
static const tl_f32_tr_kernels *const k_tr_sets[TL_F32_LEVELS] = {&tl_f32_tr_portable, &tl_f32_tr_neon,
                                                                   &tl_f32_tr_avx2, &tl_f32_tr_avx512};

/* relu(x) = x < 0 ? 0 : x is the clamp to [0, +inf]; relu6 the clamp to [0, 6]. */
void tl_relu_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_clamp_sets[tl_f32_level_index(isa)]->clamp(y, x, n, 0.0f, (float)INFINITY);
}

void tl_relu6_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_clamp_sets[tl_f32_level_index(isa)]->clamp(y, x, n, 0.0f, 6.0f);
}

/* The HardSwish kernels of each level, in tl_f32_level_index's order. */
static const tl_f32_hard_swish_kernels *const k_hard_swish_sets[TL_F32_LEVELS] = {
    &tl_f32_hard_swish_portable, &tl_f32_hard_swish_neon, &tl_f32_hard_swish_avx2, &tl_f32_hard_swish_avx512};

/* HardSwish: the reference's add, clamp, multiply and division per element (elementwise_body.h). */
void tl_hard_swish_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_hard_swish_sets[tl_f32_level_index(isa)]->hard_swish(y, x, n);
}

/* ---- Sigmoid and Tanh ----
 * Algorithm: each float is widened to double and the formula evaluated there, then rounded to float once:
 * e^t for t = -|x| (Sigmoid) or -2|x| (Tanh), clamped to [-700, 0], is 2^n * p(r) with n = round(t / ln 2),
 * r = t - n ln 2 (|r| <= 0.35) and p the Taylor polynomial of degree 10 (truncation below 3e-13 relative);
 * 2^n is built in the exponent bits. Sigmoid is 1 / (1 + e) for x >= 0 and e / (1 + e) below (the
 * reference's two forms); Tanh is sign(x) (1 - e) / (1 + e) for |x| >= 0.1 and its Taylor series to x^11
 * below (error below 4e-15 relative, where 1 - e would cancel). The double result is within about 1e-12
 * of the exact value, so the float is the correctly rounded one but in rare near-halfway cases; libm's
 * expf / tanhf (the reference) are within about 1 ulp too: the two differ by at most 2 ulp
 * (test_opt_elementwise.c measures it). A NaN gives the input NaN. Levels: AVX-512, AVX2 and AArch64 NEON;
 * the portable level and ARMv7 NEON (no double lanes) run the reference kernels. */
void tl_sigmoid_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_tr_sets[tl_f32_level_index(isa)]->sigmoid(y, x, n);
}

void tl_tanh_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  k_tr_sets[tl_f32_level_index(isa)]->tanh(y, x, n);
}
