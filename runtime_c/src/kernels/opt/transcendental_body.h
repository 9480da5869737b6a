/* transcendental_body.h: the float32 Sigmoid, Tanh, Gelu (tanh form) and Softmax kernels on one level's vectors
 * (included once by f32_avx2.c, f32_avx512.c and AArch64's f32_neon.c; no include guard): tl_sigmoid_run and
 * tl_tanh_run and Softmax's exponential on double vectors (tl_vd), Gelu (tl_gelu_tanh_run) on float vectors (tl_vf;
 * opt_f32_internal.h), and Gelu's float tanh as an array loop for the tests. Algorithm: elementwise_opt.c (Sigmoid,
 * Tanh), gelu_opt.c (Gelu) and softmax_opt.c (Softmax). Not the entry points. */

#define TL_TR_MAGIC 6755399441055744.0 /* 1.5 * 2^52: adding it rounds a double to an integer in the low bits */

/* e^t for t in [-700, 0] */
TL_V_INLINE tl_vd tl_tr_exp(tl_vd t) {
  const tl_vd k = tl_vd_fma(t, tl_vd_set1(1.4426950408889634), tl_vd_set1(TL_TR_MAGIC)); /* n in the low bits */
  const tl_vd n = tl_vd_sub(k, tl_vd_set1(TL_TR_MAGIC));
  const tl_vd r = tl_vd_fma(n, tl_vd_set1(-0.6931471805599453), t);
  tl_vd q = tl_vd_set1(1.0 / 3628800.0);
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 362880.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 40320.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 5040.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 720.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 120.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 24.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0 / 6.0));
  q = tl_vd_fma(q, r, tl_vd_set1(0.5));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0));
  return tl_vd_mul(q, tl_vd_scale(k));
}

TL_V_INLINE tl_vd tl_tr_sigmoid1(tl_vd x) {
  const tl_vd one = tl_vd_set1(1.0);
  const tl_vd e = tl_tr_exp(tl_vd_max(tl_vd_sub(tl_vd_set1(0.0), tl_vd_abs(x)), tl_vd_set1(-700.0)));
  return tl_vd_sel_nan(x, tl_vd_div(tl_vd_sel_lt(x, tl_vd_set1(0.0), e, one), tl_vd_add(one, e)));
}

TL_V_INLINE tl_vd tl_tr_tanh1(tl_vd x) {
  const tl_vd one = tl_vd_set1(1.0), a = tl_vd_abs(x), x2 = tl_vd_mul(x, x);
  const tl_vd e = tl_tr_exp(tl_vd_max(tl_vd_mul(a, tl_vd_set1(-2.0)), tl_vd_set1(-700.0)));
  const tl_vd big = tl_vd_copysign(tl_vd_div(tl_vd_sub(one, e), tl_vd_add(one, e)), x);
  tl_vd s = tl_vd_set1(-1382.0 / 155925.0);
  s = tl_vd_fma(s, x2, tl_vd_set1(62.0 / 2835.0));
  s = tl_vd_fma(s, x2, tl_vd_set1(-17.0 / 315.0));
  s = tl_vd_fma(s, x2, tl_vd_set1(2.0 / 15.0));
  s = tl_vd_fma(s, x2, tl_vd_set1(-1.0 / 3.0));
  s = tl_vd_mul(x, tl_vd_fma(s, x2, one));
  return tl_vd_sel_nan(x, tl_vd_sel_lt(a, tl_vd_set1(0.1), s, big));
}

/* f(v) for f 0 Sigmoid, 1 Tanh */
TL_V_INLINE tl_vd tl_tr_one(const int f, tl_vd v) { return f ? tl_tr_tanh1(v) : tl_tr_sigmoid1(v); }

/* y[0..n) = f(x[0..n)) (f as tl_tr_one's, a constant in each caller), TL_VD_W floats at a time; the last
 * partial vector goes through a zero-padded copy */
TL_V_INLINE void tl_tr_loop(const int f, float *y, const float *x, int64_t n) {
  int64_t i = 0;
  for (; i + 2 * TL_VD_W <= n; i += 2 * TL_VD_W) {
    const tl_vd v0 = tl_vd_loadf(x + i), v1 = tl_vd_loadf(x + i + TL_VD_W);
    tl_vd_storef(y + i, tl_tr_one(f, v0));
    tl_vd_storef(y + i + TL_VD_W, tl_tr_one(f, v1));
  }
  for (; i < n; i += TL_VD_W) {
    float in[TL_VD_W], out[TL_VD_W];
    const int64_t m = n - i < TL_VD_W ? n - i : TL_VD_W;
    for (int64_t j = 0; j < TL_VD_W; j++) in[j] = j < m ? x[i + j] : 0.0f;
    tl_vd_storef(out, tl_tr_one(f, tl_vd_loadf(in)));
    for (int64_t j = 0; j < m; j++) y[i + j] = out[j];
  }
}

TL_VF_FN static void tl_sigmoid_run(float *y, const float *x, int64_t n) { tl_tr_loop(0, y, x, n); }
TL_VF_FN static void tl_tanh_run(float *y, const float *x, int64_t n) { tl_tr_loop(1, y, x, n); }

/* ---- Gelu's tanh in float32 (TL_VF_W lanes), with a measured error bound ----
 *
 * Its e^t: n = round(t / ln 2) (the 1.5 * 2^23 trick), r = t - n ln 2 in two steps (ln 2 = hi + lo; t - n hi is
 * exact under the fused multiply-add: for |t| >= 0.5 t and n hi are multiples of 2^-24 and |r| < 0.36, for smaller
 * t n is 0 or +-1 and the result a multiple of 2^-25, so it has at most 24 bits), then e^r = 1 + r + r^2 Q(r), Q of
 * degree 4 fitted for relative error (3e-9 on |r| <= ln 2 / 2); the caller applies 2^n by the exponent bits. */

#define TL_TRF_MAGIC 12582912.0f /* 1.5 * 2^23: adding it rounds a float to an integer in the low bits */

/* e^r for t = n ln 2 + r: returns the polynomial's e^r and sets *k to n + TL_TRF_MAGIC (t within +-127 ln 2) */
TL_V_INLINE tl_vf tl_trf_exp_core(tl_vf t, tl_vf *k) {
  const tl_vf kk = tl_vf_fma(t, tl_vf_set1(1.44269502f), tl_vf_set1(TL_TRF_MAGIC));
  const tl_vf n = tl_vf_sub(kk, tl_vf_set1(TL_TRF_MAGIC));
  tl_vf r = tl_vf_fma(n, tl_vf_set1(-0.693147182f), t); /* exact: ln 2's float, 0x1.62e430p-1 */
  r = tl_vf_fma(n, tl_vf_set1(1.90465430e-9f), r);       /* ln 2 - that float, negated */
  tl_vf q = tl_vf_set1(0.00138145930f);
  q = tl_vf_fma(q, r, tl_vf_set1(0.00836870819f));
  q = tl_vf_fma(q, r, tl_vf_set1(0.0416683890f));
  q = tl_vf_fma(q, r, tl_vf_set1(0.166665211f));
  q = tl_vf_fma(q, r, tl_vf_set1(0.499999940f));
  *k = kk;
  return tl_vf_add(tl_vf_set1(1.0f), tl_vf_fma(tl_vf_mul(r, r), q, r));
}

/* tanh(x) in float32: |x| < 0.75: |x| + |x|^3 P(x^2), P of degree 6 fitted for relative error (8e-11); above,
 * 1 - 2 / (e^(2|x|) + 1) with 2|x| clamped to 20 (tanh rounds to 1 from |x| = 9.01); the sign of x; NaN stays
 * NaN. Over every float (checked once, exhaustively, against libm's double tanh) it is within 1.07 ulp of the
 * exact value and the correctly rounded float for 99.8% of those in [0, 12]; test_opt_elementwise.c checks
 * 1.1 ulp on a dense sweep. So it is within two floats of the reference Gelu's correctly rounded tanh, which
 * is what gelu_opt.c's bound needs, and usually the same float. */
/* tl_trf_tanh in two steps, so that a loop can run the first over a block before the second: the polynomial *s
 * (for |x| < 0.75) and the denominator e^(2|x|) + 1 (above), then the division, the choice and the sign */
TL_V_INLINE tl_vf tl_trf_tanh_parts(tl_vf x, tl_vf *s_out) {
  const tl_vf a = tl_vf_abs(x), a2 = tl_vf_mul(a, a);
  tl_vf s = tl_vf_set1(-0.000632812385f);
  s = tl_vf_fma(s, a2, tl_vf_set1(0.00296972319f));
  s = tl_vf_fma(s, a2, tl_vf_set1(-0.00859667175f));
  s = tl_vf_fma(s, a2, tl_vf_set1(0.0218043663f));
  s = tl_vf_fma(s, a2, tl_vf_set1(-0.0539595820f));
  s = tl_vf_fma(s, a2, tl_vf_set1(0.133332774f));
  s = tl_vf_fma(s, a2, tl_vf_set1(-0.333333313f));
  *s_out = tl_vf_fma(tl_vf_mul(a2, a), s, a);
  tl_vf k;
  const tl_vf e = tl_trf_exp_core(tl_vf_min(tl_vf_set1(20.0f), tl_vf_add(a, a)), &k); /* e^(2|x|) / 2^n */
  return tl_vf_add(tl_vf_mul(e, tl_vf_scale(k)), tl_vf_set1(1.0f));
}
TL_V_INLINE tl_vf tl_trf_tanh_finish(tl_vf x, tl_vf s, tl_vf den) {
  const tl_vf big = tl_vf_sub(tl_vf_set1(1.0f), tl_vf_div(tl_vf_set1(2.0f), den));
  return tl_vf_sel_nan(x, tl_vf_copysign(tl_vf_sel_lt(tl_vf_abs(x), tl_vf_set1(0.75f), s, big), x));
}
TL_V_INLINE tl_vf tl_trf_tanh(tl_vf x) {
  tl_vf s;
  const tl_vf den = tl_trf_tanh_parts(x, &s);
  return tl_trf_tanh_finish(x, s, den);
}

/* Gelu's tanh form: the reference's float32 steps (each one IEEE operation, as kernels/gelu.c writes them) on
 * float vectors, with tl_trf_tanh for the reference's correctly rounded tanh: inner, then y from inner's tanh */
TL_V_INLINE tl_vf tl_trf_gelu_inner(tl_vf v) {
  const float sqrt_2_over_pi = (float)(1.1283791670955126 * 0.7071067811865476); /* M_2_SQRTPI M_SQRT1_2 */
  const tl_vf cube = tl_vf_mul(tl_vf_mul(tl_vf_mul(tl_vf_set1(0.044715f), v), v), v);
  return tl_vf_mul(tl_vf_set1(sqrt_2_over_pi), tl_vf_add(v, cube));
}
TL_V_INLINE tl_vf tl_trf_gelu_out(tl_vf v, tl_vf t) {
  return tl_vf_mul(tl_vf_mul(tl_vf_set1(0.5f), v), tl_vf_add(tl_vf_set1(1.0f), t));
}
TL_V_INLINE tl_vf tl_trf_gelu_tanh(tl_vf v) { return tl_trf_gelu_out(v, tl_trf_tanh(tl_trf_gelu_inner(v))); }

/* Gelu of four vectors in lock step: each step of tl_trf_gelu_tanh (the same operations, so the same bits) on
 * the four before the next. Each vector is a chain of some 40 dependent operations; written one vector after
 * the other, the out-of-order window held too little independent work to keep the units busy. */
#define TL_G4_(S)                 \
  for (int j = 0; j < 4; j++) { \
    S;                            \
  }
TL_V_INLINE void tl_trf_gelu_tanh4(float *y, const float *x) {
  const float sqrt_2_over_pi = (float)(1.1283791670955126 * 0.7071067811865476); /* M_2_SQRTPI M_SQRT1_2 */
  tl_vf v[4], u[4], a[4], a2[4], s[4], e[4], k[4], r[4], q[4];
  TL_G4_(v[j] = tl_vf_load(x + j * TL_VF_W))
  TL_G4_(u[j] = tl_vf_mul(tl_vf_set1(0.044715f), v[j]))
  TL_G4_(u[j] = tl_vf_mul(u[j], v[j]))
  TL_G4_(u[j] = tl_vf_mul(u[j], v[j]))
  TL_G4_(u[j] = tl_vf_add(v[j], u[j]))
  TL_G4_(u[j] = tl_vf_mul(tl_vf_set1(sqrt_2_over_pi), u[j])) /* inner */
  TL_G4_(a[j] = tl_vf_abs(u[j]))
  TL_G4_(a2[j] = tl_vf_mul(a[j], a[j]))
  /* e^(2|inner|) / 2^n (tl_trf_exp_core) */
  TL_G4_(e[j] = tl_vf_min(tl_vf_set1(20.0f), tl_vf_add(a[j], a[j])))
  TL_G4_(k[j] = tl_vf_fma(e[j], tl_vf_set1(1.44269502f), tl_vf_set1(TL_TRF_MAGIC)))
  TL_G4_(r[j] = tl_vf_sub(k[j], tl_vf_set1(TL_TRF_MAGIC)))
  TL_G4_(r[j] = tl_vf_fma(r[j], tl_vf_set1(-0.693147182f), e[j]))
  TL_G4_(r[j] = tl_vf_fma(tl_vf_sub(k[j], tl_vf_set1(TL_TRF_MAGIC)), tl_vf_set1(1.90465430e-9f), r[j]))
  TL_G4_(q[j] = tl_vf_fma(tl_vf_set1(0.00138145930f), r[j], tl_vf_set1(0.00836870819f)))
  TL_G4_(s[j] = tl_vf_fma(tl_vf_set1(-0.000632812385f), a2[j], tl_vf_set1(0.00296972319f)))
  TL_G4_(q[j] = tl_vf_fma(q[j], r[j], tl_vf_set1(0.0416683890f)))
  TL_G4_(s[j] = tl_vf_fma(s[j], a2[j], tl_vf_set1(-0.00859667175f)))
  TL_G4_(q[j] = tl_vf_fma(q[j], r[j], tl_vf_set1(0.166665211f)))
  TL_G4_(s[j] = tl_vf_fma(s[j], a2[j], tl_vf_set1(0.0218043663f)))
  TL_G4_(q[j] = tl_vf_fma(q[j], r[j], tl_vf_set1(0.499999940f)))
  TL_G4_(s[j] = tl_vf_fma(s[j], a2[j], tl_vf_set1(-0.0539595820f)))
  TL_G4_(e[j] = tl_vf_add(tl_vf_set1(1.0f), tl_vf_fma(tl_vf_mul(r[j], r[j]), q[j], r[j])))
  TL_G4_(s[j] = tl_vf_fma(s[j], a2[j], tl_vf_set1(0.133332774f)))
  TL_G4_(e[j] = tl_vf_add(tl_vf_mul(e[j], tl_vf_scale(k[j])), tl_vf_set1(1.0f)))
  TL_G4_(s[j] = tl_vf_fma(s[j], a2[j], tl_vf_set1(-0.333333313f)))
  TL_G4_(e[j] = tl_vf_sub(tl_vf_set1(1.0f), tl_vf_div(tl_vf_set1(2.0f), e[j]))) /* tanh for |inner| >= 0.75 */
  TL_G4_(s[j] = tl_vf_fma(tl_vf_mul(a2[j], a[j]), s[j], a[j]))                 /* tanh for |inner| < 0.75 */
  TL_G4_(s[j] = tl_vf_sel_nan(u[j], tl_vf_copysign(tl_vf_sel_lt(a[j], tl_vf_set1(0.75f), s[j], e[j]), u[j])))
  TL_G4_(tl_vf_store(y + j * TL_VF_W, tl_trf_gelu_out(v[j], s[j])))
}
#undef TL_G4_

/* y[0..n) = Gelu (tanh form) of x[0..n): four vectors at a time in lock step (tl_trf_gelu_tanh4: at one AVX2 core
 * 4096 floats in 3.3 us where one vector after the other took 4.6), then one, the last partial vector through a
 * zero-padded copy. */
TL_VF_FN static void tl_gelu_tanh_run(float *y, const float *x, int64_t n) {
  int64_t i = 0;
  for (; i + 4 * TL_VF_W <= n; i += 4 * TL_VF_W) tl_trf_gelu_tanh4(y + i, x + i);
  for (; i + TL_VF_W <= n; i += TL_VF_W) tl_vf_store(y + i, tl_trf_gelu_tanh(tl_vf_load(x + i)));
  if (i < n) {
    float in[TL_VF_W], out[TL_VF_W];
    const int64_t m = n - i;
    for (int64_t j = 0; j < TL_VF_W; j++) in[j] = j < m ? x[i + j] : 0.0f;
    tl_vf_store(out, tl_trf_gelu_tanh(tl_vf_load(in)));
    for (int64_t j = 0; j < m; j++) y[i + j] = out[j];
  }
}

/* The float32 tanh of Gelu on an array, for test_opt_elementwise.c's sweep; the last partial vector through a
 * zero-padded copy */
TL_VF_FN static void tl_trf_tanh_run(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i += TL_VF_W) {
    float in[TL_VF_W], out[TL_VF_W];
    const int64_t m = n - i < TL_VF_W ? n - i : TL_VF_W;
    for (int64_t j = 0; j < TL_VF_W; j++) in[j] = j < m ? x[i + j] : 0.0f;
    tl_vf_store(out, tl_trf_tanh(tl_vf_load(in)));
    for (int64_t j = 0; j < m; j++) y[i + j] = out[j];
  }
}

/* Softmax's exponent t = beta (x - ref) of a row by the reference's float32 steps (two IEEE operations on float
 * vectors), clamped to [-700, 0] for tl_tr_exp (t <= 0 already; max(-700, t) keeps a NaN, see tl_vf_max) and
 * stored in t[0..n); the last partial vector through a copy padded with ref (t = 0) */
TL_V_INLINE tl_vf tl_tr_softmax_t1(tl_vf x, tl_vf ref, tl_vf beta) {
  return tl_vf_max(tl_vf_set1(-700.0f), tl_vf_mul(beta, tl_vf_sub(x, ref)));
}
TL_V_INLINE void tl_tr_softmax_t(float *t, const float *x, int64_t n, float ref_s, float beta_s) {
  const tl_vf ref = tl_vf_set1(ref_s), beta = tl_vf_set1(beta_s);
  int64_t i = 0;
  for (; i + TL_VF_W <= n; i += TL_VF_W) tl_vf_store(t + i, tl_tr_softmax_t1(tl_vf_load(x + i), ref, beta));
  if (i < n) {
    float in[TL_VF_W], out[TL_VF_W];
    for (int64_t j = 0; j < TL_VF_W; j++) in[j] = i + j < n ? x[i + j] : ref_s;
    tl_vf_store(out, tl_tr_softmax_t1(tl_vf_load(in), ref, beta));
    for (int64_t j = 0; i + j < n; j++) t[i + j] = out[j];
  }
}

/* e = exp(t) of one double vector, t in [-700, 0] or NaN (which the polynomial carries through): tl_tr_exp's
 * reduction (n = round(t / ln 2), r = t - n ln 2, |r| <= ln 2 / 2) with e^r = 1 + r + r^2 Q(r), Q of degree 6
 * fitted for relative error (Lawson's iteration on Chebyshev nodes, checked on 2 million points of |r| <= ln 2 /
 * 2 in long double: 1.36e-12 relative, about 2^-16 of a float's half ulp), eight multiply-adds where tl_tr_exp's
 * Taylor polynomial of degree 10 takes ten; its error is two orders below libm's expf's own before its rounding
 * (glibc: 1.69 * 2^-34), so the float it rounds to differs from the reference's about as often as before
 * (measured on 3.1 million elements of [32]-rows: 2804 differ where 2779 did, the same 17 by 3 ulp and 3 by 4). */
#define TL_TR_SE0 0.5000000000124344
#define TL_TR_SE1 0.16666666784634485
#define TL_TR_SE2 0.04166666572449507
#define TL_TR_SE3 0.00833328173814331
#define TL_TR_SE4 0.0013889024089001577
#define TL_TR_SE5 0.00019908989985199755
#define TL_TR_SE6 2.4778808956527022e-05
TL_V_INLINE tl_vd tl_tr_softmax_exp1(tl_vd t) {
  const tl_vd k = tl_vd_fma(t, tl_vd_set1(1.4426950408889634), tl_vd_set1(TL_TR_MAGIC)); /* n in the low bits */
  const tl_vd n = tl_vd_sub(k, tl_vd_set1(TL_TR_MAGIC));
  const tl_vd r = tl_vd_fma(n, tl_vd_set1(-0.6931471805599453), t);
  tl_vd q = tl_vd_set1(TL_TR_SE6);
  q = tl_vd_fma(q, r, tl_vd_set1(TL_TR_SE5));
  q = tl_vd_fma(q, r, tl_vd_set1(TL_TR_SE4));
  q = tl_vd_fma(q, r, tl_vd_set1(TL_TR_SE3));
  q = tl_vd_fma(q, r, tl_vd_set1(TL_TR_SE2));
  q = tl_vd_fma(q, r, tl_vd_set1(TL_TR_SE1));
  q = tl_vd_fma(q, r, tl_vd_set1(TL_TR_SE0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0));
  q = tl_vd_fma(q, r, tl_vd_set1(1.0));
  return tl_vd_mul(q, tl_vd_scale(k));
}

/* e[0..4 TL_VD_W) = exp(e[...]) in place: tl_tr_softmax_exp1 on four vectors in lock step, each step on the four
 * before the next (the same operations: the same bits), so that four independent chains reach the units */
#define TL_E4_(S)                 \
  for (int j = 0; j < 4; j++) { \
    S;                            \
  }
TL_V_INLINE void tl_tr_softmax_exp4(float *e) {
  tl_vd t[4], k[4], r[4], q[4];
  TL_E4_(t[j] = tl_vd_loadf(e + j * TL_VD_W))
  TL_E4_(k[j] = tl_vd_fma(t[j], tl_vd_set1(1.4426950408889634), tl_vd_set1(TL_TR_MAGIC)))
  TL_E4_(r[j] = tl_vd_fma(tl_vd_sub(k[j], tl_vd_set1(TL_TR_MAGIC)), tl_vd_set1(-0.6931471805599453), t[j]))
  TL_E4_(q[j] = tl_vd_fma(tl_vd_set1(TL_TR_SE6), r[j], tl_vd_set1(TL_TR_SE5)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(TL_TR_SE4)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(TL_TR_SE3)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(TL_TR_SE2)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(TL_TR_SE1)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(TL_TR_SE0)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(1.0)))
  TL_E4_(q[j] = tl_vd_fma(q[j], r[j], tl_vd_set1(1.0)))
  TL_E4_(tl_vd_storef(e + j * TL_VD_W, tl_vd_mul(q[j], tl_vd_scale(k[j]))))
}
#undef TL_E4_

/* e[0..n) = exp(e[0..n)) in place, each exponential in double (tl_tr_softmax_exp1) rounded to float: the
 * correctly rounded float but in rare near-halfway cases (a float32 exponential, within 1 ulp, differs from expf in
 * a few percent of its inputs, which can move y by 3 ulp: beyond test_opt_elementwise.c's 2). Four double vectors
 * per iteration in lock step (tl_tr_softmax_exp4): each is a chain of a dozen dependent multiply-adds, so one
 * alone leaves the FMA units idle most of the time; the last partial vector goes through a zero-padded copy. */
TL_V_INLINE void tl_tr_softmax_exp(float *e, int64_t n) {
  int64_t i = 0;
  for (; i + 4 * TL_VD_W <= n; i += 4 * TL_VD_W) tl_tr_softmax_exp4(e + i);
  for (; i < n; i += TL_VD_W) {
    float buf[TL_VD_W];
    const int64_t m = n - i < TL_VD_W ? n - i : TL_VD_W;
    for (int64_t j = 0; j < TL_VD_W; j++) buf[j] = j < m ? e[i + j] : 0.0f;
    tl_vd_storef(buf, tl_tr_softmax_exp1(tl_vd_loadf(buf)));
    for (int64_t j = 0; j < m; j++) e[i + j] = buf[j];
  }
}

/* Eight rows' running float sums in the reference's order, interleaved (the additions of one row stay in order;
 * the eight chains overlap in the pipeline: an addition's latency is 3-4 cycles, so four chains left the adder
 * idle half the time) */
TL_V_INLINE void tl_tr_sum8(float *sums, const float *y, int64_t depth) {
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f, s7 = 0.0f;
  for (int64_t i = 0; i < depth; i++) {
    s0 += y[i];
    s1 += y[depth + i];
    s2 += y[2 * depth + i];
    s3 += y[3 * depth + i];
    s4 += y[4 * depth + i];
    s5 += y[5 * depth + i];
    s6 += y[6 * depth + i];
    s7 += y[7 * depth + i];
  }
  sums[0] = s0, sums[1] = s1, sums[2] = s2, sums[3] = s3, sums[4] = s4, sums[5] = s5, sums[6] = s6, sums[7] = s7;
}

/* The maximum of x[0..n) (n >= 1), TL_VF_W lanes at a time. With a NaN in x the result may or may not be NaN
 * (the reference skips a NaN after x[0]), which changes nothing: that NaN's term makes the row's sum and so the
 * whole row NaN either way. Without NaN it is the reference's maximum (a zero's sign may differ, which no
 * x - max sees). */
TL_V_INLINE float tl_tr_row_max(const float *x, int64_t n) {
  float lanes[TL_VF_W], m = x[0];
  int64_t i = 0;
  if (n >= TL_VF_W) {
    tl_vf acc = tl_vf_load(x);
    for (i = TL_VF_W; i + TL_VF_W <= n; i += TL_VF_W) acc = tl_vf_max(acc, tl_vf_load(x + i));
    tl_vf_store(lanes, acc);
    for (int j = 0; j < TL_VF_W; j++) m = lanes[j] > m ? lanes[j] : m;
  }
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

/* Softmax over rows of depth floats (tl_softmax_params; beta > 0), in groups of up to eight rows: per row the
 * maximum (tl_tr_row_max) and t (tl_tr_softmax_t) into y; the exponentials of the whole group in place
 * (tl_tr_softmax_exp: the group's rows are contiguous, so short rows still fill four-vector iterations); the rows'
 * float sums in the reference's order (tl_tr_sum8); then y / sum TL_VF_W at a time (the same IEEE division). */
TL_VF_FN static void tl_softmax_run(float *y, const float *x, const tl_softmax_params *p) {
  const int64_t depth = p->depth;
  if (depth <= 0) return;
  for (int64_t r0 = 0; r0 < p->outer; r0 += 8) {
    const int64_t rows = p->outer - r0 < 8 ? p->outer - r0 : 8;
    float sums[8];
    for (int64_t r = r0; r < r0 + rows; r++) {
      const float *xr = x + r * depth; /* [depth] */
      float *yr = y + r * depth;       /* [depth] */
      tl_tr_softmax_t(yr, xr, depth, tl_tr_row_max(xr, depth), p->beta);
    }
    tl_tr_softmax_exp(y + r0 * depth, rows * depth); /* the group's rows are contiguous */
    if (rows == 8) {
      tl_tr_sum8(sums, y + r0 * depth, depth);
    } else {
      for (int64_t r = 0; r < rows; r++) {
        const float *yr = y + (r0 + r) * depth;
        sums[r] = 0.0f;
        for (int64_t i = 0; i < depth; i++) sums[r] += yr[i];
      }
    }
    for (int64_t r = 0; r < rows; r++) {
      float *yr = y + (r0 + r) * depth;
      const tl_vf vsum = tl_vf_set1(sums[r]);
      int64_t i = 0;
      for (; i + TL_VF_W <= depth; i += TL_VF_W) tl_vf_store(yr + i, tl_vf_div(tl_vf_load(yr + i), vsum));
      for (; i < depth; i++) yr[i] /= sums[r];
    }
  }
}
