/* elementwise_opt.c: optimized float32 Add, Sub, Mul (with fused activation), Relu, Relu6, Sigmoid and Tanh
 * (see opt_kernels_elementwise.h).
 *
 * What this is: the reference formulas over flat runs of memory, 16 (AVX-512), 8 (AVX2) or 4 (NEON) floats
 * per vector, four vectors per iteration; the portable level is the same loop one float at a time, written
 * so that the compiler can vectorise it. Each element is one IEEE operation then the clamp
 * (max(lo, v) then min(hi, .), which is the reference's `v < lo ? lo : (v > hi ? hi : v)`, NaN and signed
 * zeros included), so the results are the reference's bits. Sigmoid and Tanh (at the end of the file) are
 * evaluated in double instead, within 2 ulp of the reference. What this is not: the specification
 * (binary.c, unary.c).
 *
 * Algorithm (binary ops): each input, read in y's order, is classified by its period L: element i of y
 * reads input element i % L. L is the product of the trailing dims on which the input is contiguous, and
 * exists when every leading dim is broadcast (stride 0) or 1; L == n (all of y) is a same-shape input,
 * L == 1 a scalar. With n = |y|: both L == n run one flat loop; one L == 1 runs a flat loop against a
 * broadcast scalar; otherwise, when one side has L == n, y is cut into rows of the other side's L and each
 * row runs the flat loop with that side's pointer back at its start. Any other broadcast whose last axis has
 * at least TL_EW_MIN_ROW elements runs the reference's loop over the three outer axes, each row of y a flat
 * loop (an input with stride 0 on the last axis is a scalar for that row); shorter rows run the reference.
 */
#include "opt_kernels_elementwise.h"

#include <math.h>

enum { TL_EW_ADD = 0, TL_EW_SUB = 1, TL_EW_MUL = 2 };
enum { TL_EW_VV = 0, TL_EW_VS = 1, TL_EW_SV = 2 }; /* vector-vector, vector-scalar, scalar-vector */

static inline float tl_ew_clamp(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
static inline float tl_ew_max1(float lo, float v) { return v < lo ? lo : v; } /* the clamp when hi is +inf */
#define TL_EW_MAX1(lo, v) tl_ew_max1(lo, v)

/* Defines `attrs static void prefix_<op>_<form>(y, a, b, n, lo, hi)` for the three ops and three forms, and
 * `attrs static void prefix_clamp(y, x, n, lo, hi)`, with vectors of VW floats. */
#define TL_EW_FORM(fn, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, OPV, OP, LA, LB, SA, SB)                  \
  attrs static void fn(float *y, const float *a, const float *b, int64_t n, float lo_s, float hi_s) {         \
    const VEC lo = SET1(lo_s), hi = SET1(hi_s);                                                               \
    int64_t i = 0;                                                                                            \
    (void)a, (void)b;                                                                                         \
    if ((VW) == 1 && hi_s == (float)INFINITY) { /* portable: fewer selects (SSE2 has no blend) */            \
      if (lo_s == -(float)INFINITY) {                                                                         \
        for (; i < n; i++) y[i] = SA(i) OP SB(i);                                                             \
      } else {                                                                                                \
        for (; i < n; i++) y[i] = TL_EW_MAX1(lo_s, SA(i) OP SB(i));                                           \
      }                                                                                                       \
      return;                                                                                                 \
    }                                                                                                         \
    for (; (VW) > 1 && i + 4 * (VW) <= n; i += 4 * (VW)) { /* portable: the plain loop below vectorises */    \
      const VEC v0 = OPV(LA(i), LB(i)), v1 = OPV(LA(i + (VW)), LB(i + (VW)));                                 \
      const VEC v2 = OPV(LA(i + 2 * (VW)), LB(i + 2 * (VW))), v3 = OPV(LA(i + 3 * (VW)), LB(i + 3 * (VW)));   \
      STORE(y + i, MINV(hi, MAXV(lo, v0)));                                                                   \
      STORE(y + i + (VW), MINV(hi, MAXV(lo, v1)));                                                            \
      STORE(y + i + 2 * (VW), MINV(hi, MAXV(lo, v2)));                                                        \
      STORE(y + i + 3 * (VW), MINV(hi, MAXV(lo, v3)));                                                        \
    }                                                                                                         \
    for (; i + (VW) <= n; i += (VW)) STORE(y + i, MINV(hi, MAXV(lo, OPV(LA(i), LB(i)))));                     \
    for (; i < n; i++) y[i] = tl_ew_clamp(SA(i) OP SB(i), lo_s, hi_s);                                        \
  }

#define TL_EW_DEFINE(prefix, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, ADDV, SUBV, MULV)                   \
  /* operands: LA/LB vector loads, SA/SB scalars; the scalar side of a broadcast is a[0] / b[0] */            \
  TL_EW_DEFINE_OP(prefix##_add, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, ADDV, +)                       \
  TL_EW_DEFINE_OP(prefix##_sub, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, SUBV, -)                       \
  TL_EW_DEFINE_OP(prefix##_mul, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, MULV, *)                       \
  attrs static void prefix##_clamp(float *y, const float *x, int64_t n, float lo_s, float hi_s) {            \
    const VEC lo = SET1(lo_s), hi = SET1(hi_s);                                                               \
    int64_t i = 0;                                                                                            \
    if ((VW) == 1 && hi_s == (float)INFINITY) { /* portable Relu: one select */                               \
      for (; i < n; i++) y[i] = TL_EW_MAX1(lo_s, x[i]);                                                       \
      return;                                                                                                 \
    }                                                                                                         \
    for (; (VW) > 1 && i + 4 * (VW) <= n; i += 4 * (VW)) {                                                    \
      const VEC v0 = LOAD(x + i), v1 = LOAD(x + i + (VW)), v2 = LOAD(x + i + 2 * (VW));                       \
      const VEC v3 = LOAD(x + i + 3 * (VW));                                                                  \
      STORE(y + i, MINV(hi, MAXV(lo, v0)));                                                                   \
      STORE(y + i + (VW), MINV(hi, MAXV(lo, v1)));                                                            \
      STORE(y + i + 2 * (VW), MINV(hi, MAXV(lo, v2)));                                                        \
      STORE(y + i + 3 * (VW), MINV(hi, MAXV(lo, v3)));                                                        \
    }                                                                                                         \
    for (; i + (VW) <= n; i += (VW)) STORE(y + i, MINV(hi, MAXV(lo, LOAD(x + i))));                           \
    for (; i < n; i++) y[i] = tl_ew_clamp(x[i], lo_s, hi_s);                                                  \
  }                                                                                                           \
  attrs static void prefix##_run(int op, int form, float *y, const float *a, const float *b, int64_t n,      \
                                 float lo, float hi) {                                                        \
    switch (op * 3 + form) {                                                                                  \
      case TL_EW_ADD * 3 + TL_EW_VV: prefix##_add_vv(y, a, b, n, lo, hi); return;                             \
      case TL_EW_ADD * 3 + TL_EW_VS: prefix##_add_vs(y, a, b, n, lo, hi); return;                             \
      case TL_EW_ADD * 3 + TL_EW_SV: prefix##_add_sv(y, a, b, n, lo, hi); return;                             \
      case TL_EW_SUB * 3 + TL_EW_VV: prefix##_sub_vv(y, a, b, n, lo, hi); return;                             \
      case TL_EW_SUB * 3 + TL_EW_VS: prefix##_sub_vs(y, a, b, n, lo, hi); return;                             \
      case TL_EW_SUB * 3 + TL_EW_SV: prefix##_sub_sv(y, a, b, n, lo, hi); return;                             \
      case TL_EW_MUL * 3 + TL_EW_VV: prefix##_mul_vv(y, a, b, n, lo, hi); return;                             \
      case TL_EW_MUL * 3 + TL_EW_VS: prefix##_mul_vs(y, a, b, n, lo, hi); return;                             \
      default: prefix##_mul_sv(y, a, b, n, lo, hi); return;                                                   \
    }                                                                                                         \
  }

/* The three forms of one op. The scalar side is loaded once (SET1 of a[0] / b[0]) by the *_vs / *_sv loops
 * through the LA/LB macros below, which the compiler hoists out of the loop. */
#define TL_EW_DEFINE_OP(p, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, OPV, OP)                              \
  TL_EW_FORM(p##_vv, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, OPV, OP, TL_EW_LV_##VEC, TL_EW_LVB_##VEC,  \
             TL_EW_SA_V, TL_EW_SB_V)                                                                          \
  TL_EW_FORM(p##_vs, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, OPV, OP, TL_EW_LV_##VEC, TL_EW_LSB_##VEC, \
             TL_EW_SA_V, TL_EW_SB_S)                                                                          \
  TL_EW_FORM(p##_sv, attrs, VW, VEC, LOAD, STORE, SET1, MAXV, MINV, OPV, OP, TL_EW_LSA_##VEC, TL_EW_LVB_##VEC, \
             TL_EW_SA_S, TL_EW_SB_V)

/* scalar operands of the tail loops */
#define TL_EW_SA_V(i) a[i]
#define TL_EW_SB_V(i) b[i]
#define TL_EW_SA_S(i) a[0]
#define TL_EW_SB_S(i) b[0]

/* portable: one float at a time */
#define TL_EW_LV_float(i) a[i]
#define TL_EW_LVB_float(i) b[i]
#define TL_EW_LSA_float(i) a[0]
#define TL_EW_LSB_float(i) b[0]
#define TL_S_LOAD(ptr) (*(ptr))
#define TL_S_STORE(ptr, v) (*(ptr) = (v))
#define TL_S_SET1(v) (v)
#define TL_S_MAX(lo, v) ((v) < (lo) ? (lo) : (v))
#define TL_S_MIN(hi, v) ((v) > (hi) ? (hi) : (v))
#define TL_S_ADD(x, y) ((x) + (y))
#define TL_S_SUB(x, y) ((x) - (y))
#define TL_S_MUL(x, y) ((x) * (y))
TL_EW_DEFINE(tl_ew_portable, , 1, float, TL_S_LOAD, TL_S_STORE, TL_S_SET1, TL_S_MAX, TL_S_MIN, TL_S_ADD, TL_S_SUB,
             TL_S_MUL)

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TL_EW_LV___m512(i) _mm512_loadu_ps(a + (i))
#define TL_EW_LVB___m512(i) _mm512_loadu_ps(b + (i))
#define TL_EW_LSA___m512(i) _mm512_set1_ps(a[0])
#define TL_EW_LSB___m512(i) _mm512_set1_ps(b[0])
#define TL_EW_LV___m256(i) _mm256_loadu_ps(a + (i))
#define TL_EW_LVB___m256(i) _mm256_loadu_ps(b + (i))
#define TL_EW_LSA___m256(i) _mm256_set1_ps(a[0])
#define TL_EW_LSB___m256(i) _mm256_set1_ps(b[0])
TL_EW_DEFINE(tl_ew_avx512, __attribute__((target("avx512f,avx2,fma"))), 16, __m512, _mm512_loadu_ps,
             _mm512_storeu_ps, _mm512_set1_ps, _mm512_max_ps, _mm512_min_ps, _mm512_add_ps, _mm512_sub_ps,
             _mm512_mul_ps)
TL_EW_DEFINE(tl_ew_avx2, __attribute__((target("avx2,fma"))), 8, __m256, _mm256_loadu_ps, _mm256_storeu_ps,
             _mm256_set1_ps, _mm256_max_ps, _mm256_min_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps)
#define TL_EW_X86 1
#endif

#if defined(__aarch64__) || (defined(__arm__) && defined(__ARM_NEON))
#include <arm_neon.h>
#define TL_EW_LV_float32x4_t(i) vld1q_f32(a + (i))
#define TL_EW_LVB_float32x4_t(i) vld1q_f32(b + (i))
#define TL_EW_LSA_float32x4_t(i) vdupq_n_f32(a[0])
#define TL_EW_LSB_float32x4_t(i) vdupq_n_f32(b[0])
#define TL_N_MAX(lo, v) vbslq_f32(vcltq_f32(v, lo), lo, v)
#define TL_N_MIN(hi, v) vbslq_f32(vcgtq_f32(v, hi), hi, v)
TL_EW_DEFINE(tl_ew_neon, , 4, float32x4_t, vld1q_f32, vst1q_f32, vdupq_n_f32, TL_N_MAX, TL_N_MIN, vaddq_f32,
             vsubq_f32, vmulq_f32)
#define TL_EW_NEON 1
#endif

static void tl_ew_run(tl_isa isa, int op, int form, float *y, const float *a, const float *b, int64_t n, float lo,
                      float hi) {
  switch (isa) {
#if defined(TL_EW_X86)
    case TL_ISA_AVX512:
      tl_ew_avx512_run(op, form, y, a, b, n, lo, hi);
      return;
    case TL_ISA_AVX2:
      tl_ew_avx2_run(op, form, y, a, b, n, lo, hi);
      return;
#endif
#if defined(TL_EW_NEON)
    case TL_ISA_NEON:
      tl_ew_neon_run(op, form, y, a, b, n, lo, hi);
      return;
#endif
    default:
      tl_ew_portable_run(op, form, y, a, b, n, lo, hi);
      return;
  }
}

/* The period L of an input with strides s over y's dims d (see the algorithm above), or 0 when it has none. */
static int64_t tl_ew_period(const int32_t *d, const int64_t *s) {
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

/* A general broadcast, row by row along the last axis (its strides are 1 or 0: prepare's rule). */
static void tl_ew_rows(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa, int op) {
  const int32_t *d = p->out_dims;
  const int64_t *as = p->a_strides, *bs = p->b_strides;
  const int form = as[3] != 0 && bs[3] != 0 ? TL_EW_VV : (as[3] != 0 ? TL_EW_VS : TL_EW_SV);
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++, y += d[3]) {
        const float *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const float *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        tl_ew_run(isa, op, form, y, ar, br, d[3], p->act.min, p->act.max);
      }
    }
  }
}

static void tl_ew_binary(float *y, const float *a, const float *b, const tl_binary_params *p, tl_isa isa, int op) {
  const int64_t n = tl_ew_count(p);
  const int64_t la = tl_ew_period(p->out_dims, p->a_strides), lb = tl_ew_period(p->out_dims, p->b_strides);
  const float lo = p->act.min, hi = p->act.max;
  if (n <= 0) return;
  if (la == n && lb == n) {
    tl_ew_run(isa, op, TL_EW_VV, y, a, b, n, lo, hi);
  } else if (la == n && lb == 1) {
    tl_ew_run(isa, op, TL_EW_VS, y, a, b, n, lo, hi);
  } else if (la == 1 && lb == n) {
    tl_ew_run(isa, op, TL_EW_SV, y, a, b, n, lo, hi);
  } else if (la == n && lb > 0) { /* b repeats every lb elements: rows of lb */
    for (int64_t r = 0; r < n; r += lb) tl_ew_run(isa, op, TL_EW_VV, y + r, a + r, b, lb, lo, hi);
  } else if (lb == n && la > 0) {
    for (int64_t r = 0; r < n; r += la) tl_ew_run(isa, op, TL_EW_VV, y + r, a, b + r, la, lo, hi);
  } else if (p->out_dims[3] >= TL_EW_MIN_ROW) {
    tl_ew_rows(y, a, b, p, isa, op);
  } else if (op == TL_EW_ADD) {
    tl_add_f32(y, a, b, p);
  } else if (op == TL_EW_SUB) {
    tl_sub_f32(y, a, b, p);
  } else {
    tl_mul_f32(y, a, b, p);
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

static void tl_ew_clamp_run(float *y, const float *x, int64_t n, float lo, float hi, tl_isa isa) {
  switch (isa) {
#if defined(TL_EW_X86)
    case TL_ISA_AVX512:
      tl_ew_avx512_clamp(y, x, n, lo, hi);
      return;
    case TL_ISA_AVX2:
      tl_ew_avx2_clamp(y, x, n, lo, hi);
      return;
#endif
#if defined(TL_EW_NEON)
    case TL_ISA_NEON:
      tl_ew_neon_clamp(y, x, n, lo, hi);
      return;
#endif
    default:
      tl_ew_portable_clamp(y, x, n, lo, hi);
      return;
  }
}

/* relu(x) = x < 0 ? 0 : x is the clamp to [0, +inf]; relu6 the clamp to [0, 6]. */
void tl_relu_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  tl_ew_clamp_run(y, x, n, 0.0f, (float)INFINITY, isa);
}

void tl_relu6_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) { tl_ew_clamp_run(y, x, n, 0.0f, 6.0f, isa); }

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
#define TL_TR_MAGIC 6755399441055744.0 /* 1.5 * 2^52: adding it rounds a double to an integer in the low bits */
#define TL_TR_DEFINE(prefix, attrs, DW, DV, LOADF, STOREF, SET1, FMA, MUL, ADD, SUB, DIV, MAX, ABS, SEL_LT, SEL_NAN, \
                     COPYSIGN, SCALE)                                                                         \
  attrs static inline DV prefix##_exp(DV t) { /* e^t for t in [-700, 0] */                                  \
    const DV k = FMA(t, SET1(1.4426950408889634), SET1(TL_TR_MAGIC)); /* n in the low bits */                \
    const DV n = SUB(k, SET1(TL_TR_MAGIC));                                                                   \
    const DV r = FMA(n, SET1(-0.6931471805599453), t);                                                        \
    DV q = SET1(1.0 / 3628800.0);                                                                             \
    q = FMA(q, r, SET1(1.0 / 362880.0));                                                                      \
    q = FMA(q, r, SET1(1.0 / 40320.0));                                                                       \
    q = FMA(q, r, SET1(1.0 / 5040.0));                                                                        \
    q = FMA(q, r, SET1(1.0 / 720.0));                                                                         \
    q = FMA(q, r, SET1(1.0 / 120.0));                                                                         \
    q = FMA(q, r, SET1(1.0 / 24.0));                                                                          \
    q = FMA(q, r, SET1(1.0 / 6.0));                                                                           \
    q = FMA(q, r, SET1(0.5));                                                                                 \
    q = FMA(q, r, SET1(1.0));                                                                                 \
    q = FMA(q, r, SET1(1.0));                                                                                 \
    return MUL(q, SCALE(k));                                                                                  \
  }                                                                                                           \
  attrs static inline DV prefix##_sigmoid1(DV x) {                                                           \
    const DV one = SET1(1.0);                                                                                 \
    const DV e = prefix##_exp(MAX(SUB(SET1(0.0), ABS(x)), SET1(-700.0)));                                     \
    return SEL_NAN(x, DIV(SEL_LT(x, SET1(0.0), e, one), ADD(one, e)));                                        \
  }                                                                                                           \
  attrs static inline DV prefix##_tanh1(DV x) {                                                              \
    const DV one = SET1(1.0), a = ABS(x), x2 = MUL(x, x);                                                     \
    const DV e = prefix##_exp(MAX(MUL(a, SET1(-2.0)), SET1(-700.0)));                                         \
    const DV big = COPYSIGN(DIV(SUB(one, e), ADD(one, e)), x);                                                \
    DV s = SET1(-1382.0 / 155925.0);                                                                          \
    s = FMA(s, x2, SET1(62.0 / 2835.0));                                                                      \
    s = FMA(s, x2, SET1(-17.0 / 315.0));                                                                      \
    s = FMA(s, x2, SET1(2.0 / 15.0));                                                                         \
    s = FMA(s, x2, SET1(-1.0 / 3.0));                                                                         \
    s = MUL(x, FMA(s, x2, one));                                                                              \
    return SEL_NAN(x, SEL_LT(a, SET1(0.1), s, big));                                                          \
  }                                                                                                           \
  TL_TR_LOOP(prefix##_sigmoid, prefix##_sigmoid1, attrs, DW, LOADF, STOREF)                                   \
  TL_TR_LOOP(prefix##_tanh, prefix##_tanh1, attrs, DW, LOADF, STOREF)

/* y[0..n) = f(x[0..n)), DW floats at a time; the last partial vector goes through a zero-padded copy */
#define TL_TR_LOOP(name, f, attrs, DW, LOADF, STOREF)                                                         \
  attrs static void name(float *y, const float *x, int64_t n) {                                              \
    int64_t i = 0;                                                                                            \
    for (; i + 2 * (DW) <= n; i += 2 * (DW)) {                                                                \
      STOREF(y + i, f(LOADF(x + i)));                                                                         \
      STOREF(y + i + (DW), f(LOADF(x + i + (DW))));                                                           \
    }                                                                                                         \
    for (; i < n; i += (DW)) {                                                                                \
      float in[DW], out[DW];                                                                                  \
      const int64_t m = n - i < (DW) ? n - i : (DW);                                                          \
      for (int64_t j = 0; j < (DW); j++) in[j] = j < m ? x[i + j] : 0.0f;                                     \
      STOREF(out, f(LOADF(in)));                                                                              \
      for (int64_t j = 0; j < m; j++) y[i + j] = out[j];                                                      \
    }                                                                                                         \
  }

#if defined(TL_EW_X86)
#define TL_AVX512_ATTR __attribute__((target("avx512f,avx2,fma")))
#define TL_TR512_LOAD(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define TL_TR512_STORE(p, v) _mm256_storeu_ps(p, _mm512_cvtpd_ps(v))
#define TL_TR512_ABS(x) _mm512_castsi512_pd(_mm512_and_epi64(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MAX)))
#define TL_TR512_SEL_LT(a, b, p, q) _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, _CMP_LT_OQ), q, p)
#define TL_TR512_SEL_NAN(x, v) _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), v, x)
#define TL_TR512_COPYSIGN(v, x)                                                                               \
  _mm512_castsi512_pd(_mm512_or_epi64(_mm512_castpd_si512(v),                                                 \
                                      _mm512_and_epi64(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MIN))))
#define TL_TR512_SCALE(k) \
  _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(_mm512_castpd_si512(k), _mm512_set1_epi64(1023)), 52))
TL_TR_DEFINE(tl_tr_avx512, TL_AVX512_ATTR, 8, __m512d, TL_TR512_LOAD, TL_TR512_STORE, _mm512_set1_pd, _mm512_fmadd_pd,
             _mm512_mul_pd, _mm512_add_pd, _mm512_sub_pd, _mm512_div_pd, _mm512_max_pd, TL_TR512_ABS, TL_TR512_SEL_LT,
             TL_TR512_SEL_NAN, TL_TR512_COPYSIGN, TL_TR512_SCALE)

#define TL_AVX2_ATTR __attribute__((target("avx2,fma")))
#define TL_TR256_LOAD(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define TL_TR256_STORE(p, v) _mm_storeu_ps(p, _mm256_cvtpd_ps(v))
#define TL_TR256_ABS(x) _mm256_andnot_pd(_mm256_set1_pd(-0.0), x)
#define TL_TR256_SEL_LT(a, b, p, q) _mm256_blendv_pd(q, p, _mm256_cmp_pd(a, b, _CMP_LT_OQ))
#define TL_TR256_SEL_NAN(x, v) _mm256_blendv_pd(v, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q))
#define TL_TR256_COPYSIGN(v, x) _mm256_or_pd(v, _mm256_and_pd(x, _mm256_set1_pd(-0.0)))
#define TL_TR256_SCALE(k) \
  _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_castpd_si256(k), _mm256_set1_epi64x(1023)), 52))
TL_TR_DEFINE(tl_tr_avx2, TL_AVX2_ATTR, 4, __m256d, TL_TR256_LOAD, TL_TR256_STORE, _mm256_set1_pd, _mm256_fmadd_pd,
             _mm256_mul_pd, _mm256_add_pd, _mm256_sub_pd, _mm256_div_pd, _mm256_max_pd, TL_TR256_ABS, TL_TR256_SEL_LT,
             TL_TR256_SEL_NAN, TL_TR256_COPYSIGN, TL_TR256_SCALE)
#define TL_TR_X86 1
#endif

#if defined(TL_EW_NEON) && defined(__aarch64__)
#define TL_TRN_LOAD(p) vcvt_f64_f32(vld1_f32(p))
#define TL_TRN_STORE(p, v) vst1_f32(p, vcvt_f32_f64(v))
#define TL_TRN_FMA(a, b, c) vfmaq_f64(c, a, b)
#define TL_TRN_SEL_LT(a, b, p, q) vbslq_f64(vcltq_f64(a, b), p, q)
#define TL_TRN_SEL_NAN(x, v) vbslq_f64(vceqq_f64(x, x), v, x)
#define TL_TRN_COPYSIGN(v, x) vbslq_f64(vdupq_n_u64(UINT64_C(1) << 63), x, v)
#define TL_TRN_SCALE(k) vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(vreinterpretq_s64_f64(k), vdupq_n_s64(1023)), 52))
TL_TR_DEFINE(tl_tr_neon, , 2, float64x2_t, TL_TRN_LOAD, TL_TRN_STORE, vdupq_n_f64, TL_TRN_FMA, vmulq_f64, vaddq_f64,
             vsubq_f64, vdivq_f64, vmaxq_f64, vabsq_f64, TL_TRN_SEL_LT, TL_TRN_SEL_NAN, TL_TRN_COPYSIGN, TL_TRN_SCALE)
#define TL_TR_NEON 1
#endif

void tl_sigmoid_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  switch (isa) {
#if defined(TL_TR_X86)
    case TL_ISA_AVX512:
      tl_tr_avx512_sigmoid(y, x, n);
      return;
    case TL_ISA_AVX2:
      tl_tr_avx2_sigmoid(y, x, n);
      return;
#endif
#if defined(TL_TR_NEON)
    case TL_ISA_NEON:
      tl_tr_neon_sigmoid(y, x, n);
      return;
#endif
    default:
      tl_sigmoid_f32(y, x, n);
      return;
  }
}

void tl_tanh_f32_opt(float *y, const float *x, int64_t n, tl_isa isa) {
  switch (isa) {
#if defined(TL_TR_X86)
    case TL_ISA_AVX512:
      tl_tr_avx512_tanh(y, x, n);
      return;
    case TL_ISA_AVX2:
      tl_tr_avx2_tanh(y, x, n);
      return;
#endif
#if defined(TL_TR_NEON)
    case TL_ISA_NEON:
      tl_tr_neon_tanh(y, x, n);
      return;
#endif
    default:
      tl_tanh_f32(y, x, n);
      return;
  }
}
