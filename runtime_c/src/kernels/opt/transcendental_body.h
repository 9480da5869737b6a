/* transcendental_body.h: the float32 Sigmoid and Tanh kernels on one level's double vectors (included once by
 * f32_avx2.c, f32_avx512.c and AArch64's f32_neon.c; no include guard): tl_sigmoid_run and tl_tanh_run,
 * written on that file's tl_vd (opt_f32_internal.h). Algorithm: elementwise_opt.c. Not the entry points. */

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

/* y[0..n) = f(x[0..n)) (f: 0 Sigmoid, 1 Tanh, a constant in each caller), TL_VD_W floats at a time; the last
 * partial vector goes through a zero-padded copy */
TL_V_INLINE void tl_tr_loop(const int f, float *y, const float *x, int64_t n) {
  int64_t i = 0;
  for (; i + 2 * TL_VD_W <= n; i += 2 * TL_VD_W) {
    const tl_vd v0 = tl_vd_loadf(x + i), v1 = tl_vd_loadf(x + i + TL_VD_W);
    tl_vd_storef(y + i, f ? tl_tr_tanh1(v0) : tl_tr_sigmoid1(v0));
    tl_vd_storef(y + i + TL_VD_W, f ? tl_tr_tanh1(v1) : tl_tr_sigmoid1(v1));
  }
  for (; i < n; i += TL_VD_W) {
    float in[TL_VD_W], out[TL_VD_W];
    const int64_t m = n - i < TL_VD_W ? n - i : TL_VD_W;
    for (int64_t j = 0; j < TL_VD_W; j++) in[j] = j < m ? x[i + j] : 0.0f;
    tl_vd_storef(out, f ? tl_tr_tanh1(tl_vd_loadf(in)) : tl_tr_sigmoid1(tl_vd_loadf(in)));
    for (int64_t j = 0; j < m; j++) y[i + j] = out[j];
  }
}

TL_VF_FN static void tl_sigmoid_run(float *y, const float *x, int64_t n) { tl_tr_loop(0, y, x, n); }
TL_VF_FN static void tl_tanh_run(float *y, const float *x, int64_t n) { tl_tr_loop(1, y, x, n); }
