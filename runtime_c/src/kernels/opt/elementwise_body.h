/* elementwise_body.h: the float32 Add/Sub/Mul/SquaredDifference, clamp (Relu, Relu6) and HardSwish loops on one
 * level's vectors (included once by f32_portable.c, f32_avx2.c, f32_avx512.c, f32_neon.c; no include guard):
 * tl_binary_run, tl_clamp_run and tl_hard_swish_run, written on that file's tl_vf (opt_f32_internal.h): four
 * vectors per iteration, then one, then one float at a time (TL_VF_W == 1, the portable level: plain loops for the
 * compiler's vectoriser). Not the broadcast analysis or the entry points (elementwise_opt.c). */

static inline float tl_ew_op1(const int op, float a, float b) {
  const float d = a - b; /* SquaredDifference: the reference's two IEEE operations */
  return op == TL_EW_ADD ? a + b : (op == TL_EW_SUB ? d : (op == TL_EW_MUL ? a * b : d * d));
}
static inline float tl_ew_clamp1(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
static inline float tl_ew_max1(float lo, float v) { return v < lo ? lo : v; } /* the clamp when hi is +inf */
/* operand i of a side: p[0] when that side is the broadcast scalar */
static inline float tl_ew_at(const int scalar, const float *p, int64_t i) { return scalar ? p[0] : p[i]; }
TL_V_INLINE tl_vf tl_ew_atv(const int scalar, const float *p, int64_t i) {
  return scalar ? tl_vf_set1(p[0]) : tl_vf_load(p + i);
}
TL_V_INLINE tl_vf tl_ew_opv(const int op, const int form, const float *a, const float *b, int64_t i) {
  const tl_vf av = tl_ew_atv(form == TL_EW_SV, a, i), bv = tl_ew_atv(form == TL_EW_VS, b, i);
  const tl_vf d = tl_vf_sub(av, bv);
  return op == TL_EW_ADD   ? tl_vf_add(av, bv)
         : op == TL_EW_SUB ? d
         : op == TL_EW_MUL ? tl_vf_mul(av, bv)
                           : tl_vf_mul(d, d); /* SquaredDifference */
}

/* y[0..n) = clamp(a[i] op b[i]), a[0] standing for every a[i] in the form SV and b[0] for b[i] in VS; op and
 * form are constants in each instance (tl_binary_run's cases), so the scalar side is one broadcast outside the
 * loop. */
TL_V_INLINE void tl_ew_loop(const int op, const int form, const int clamp, float *y, const float *a, const float *b,
                            int64_t n, float lo_s, float hi_s) {
  const tl_vf lo = tl_vf_set1(lo_s), hi = tl_vf_set1(hi_s);
  const int sa = form == TL_EW_SV, sb = form == TL_EW_VS;
  int64_t i = 0;
  if (TL_VF_W == 1 && hi_s == (float)INFINITY) { /* portable: fewer selects (SSE2 has no blend) */
    if (lo_s == -(float)INFINITY) {
      for (; i < n; i++) y[i] = tl_ew_op1(op, tl_ew_at(sa, a, i), tl_ew_at(sb, b, i));
    } else {
      for (; i < n; i++) y[i] = tl_ew_max1(lo_s, tl_ew_op1(op, tl_ew_at(sa, a, i), tl_ew_at(sb, b, i)));
    }
    return;
  }
  if (TL_VF_W > 1 && !clamp) { /* no activation: the clamp to [-inf, inf] is the identity, NaN included */
    for (; i + 4 * TL_VF_W <= n; i += 4 * TL_VF_W) {
      const tl_vf v0 = tl_ew_opv(op, form, a, b, i), v1 = tl_ew_opv(op, form, a, b, i + TL_VF_W);
      const tl_vf v2 = tl_ew_opv(op, form, a, b, i + 2 * TL_VF_W), v3 = tl_ew_opv(op, form, a, b, i + 3 * TL_VF_W);
      tl_vf_store(y + i, v0);
      tl_vf_store(y + i + TL_VF_W, v1);
      tl_vf_store(y + i + 2 * TL_VF_W, v2);
      tl_vf_store(y + i + 3 * TL_VF_W, v3);
    }
  }
  for (; TL_VF_W > 1 && i + 4 * TL_VF_W <= n; i += 4 * TL_VF_W) { /* portable: the plain loop below vectorises */
    const tl_vf v0 = tl_ew_opv(op, form, a, b, i), v1 = tl_ew_opv(op, form, a, b, i + TL_VF_W);
    const tl_vf v2 = tl_ew_opv(op, form, a, b, i + 2 * TL_VF_W), v3 = tl_ew_opv(op, form, a, b, i + 3 * TL_VF_W);
    tl_vf_store(y + i, tl_vf_min(hi, tl_vf_max(lo, v0)));
    tl_vf_store(y + i + TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, v1)));
    tl_vf_store(y + i + 2 * TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, v2)));
    tl_vf_store(y + i + 3 * TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, v3)));
  }
  for (; i + TL_VF_W <= n; i += TL_VF_W) {
    tl_vf_store(y + i, tl_vf_min(hi, tl_vf_max(lo, tl_ew_opv(op, form, a, b, i))));
  }
  for (; i < n; i++) y[i] = tl_ew_clamp1(tl_ew_op1(op, tl_ew_at(sa, a, i), tl_ew_at(sb, b, i)), lo_s, hi_s);
}

/* rows rows of n: y[r n + i] = clamp(a_r[i] op b_r[i]) with a_r = a + r a_step and b_r = b + r b_step (a
 * broadcast side's step is 0, or 1 for a scalar per row in the forms SV and VS); op and form constants. One call
 * runs a whole broadcast (a layer norm's x - mean[r] or x * gamma), not one per row. */
TL_V_INLINE void tl_ew_rows_loop(const int op, const int form, float *y, const float *a, const float *b,
                                 int64_t rows, int64_t n, int64_t a_step, int64_t b_step, float lo, float hi) {
  if (lo == -(float)INFINITY && hi == (float)INFINITY) { /* no activation (a residual Add, a layer norm's ops) */
    for (int64_t r = 0; r < rows; r++, y += n, a += a_step, b += b_step) tl_ew_loop(op, form, 0, y, a, b, n, lo, hi);
  } else {
    for (int64_t r = 0; r < rows; r++, y += n, a += a_step, b += b_step) tl_ew_loop(op, form, 1, y, a, b, n, lo, hi);
  }
}

TL_VF_FN static void tl_binary_run(int op, int form, float *y, const float *a, const float *b, int64_t rows,
                                   int64_t n, int64_t a_step, int64_t b_step, float lo, float hi) {
#define TL_EW_CASE_(OP, FORM) \
  case OP * 3 + FORM: tl_ew_rows_loop(OP, FORM, y, a, b, rows, n, a_step, b_step, lo, hi); return;
  switch (op * 3 + form) {
    TL_EW_CASE_(TL_EW_ADD, TL_EW_VV)
    TL_EW_CASE_(TL_EW_ADD, TL_EW_VS)
    TL_EW_CASE_(TL_EW_ADD, TL_EW_SV)
    TL_EW_CASE_(TL_EW_SUB, TL_EW_VV)
    TL_EW_CASE_(TL_EW_SUB, TL_EW_VS)
    TL_EW_CASE_(TL_EW_SUB, TL_EW_SV)
    TL_EW_CASE_(TL_EW_MUL, TL_EW_VV)
    TL_EW_CASE_(TL_EW_MUL, TL_EW_VS)
    TL_EW_CASE_(TL_EW_MUL, TL_EW_SV)
    TL_EW_CASE_(TL_EW_SQDIFF, TL_EW_VV)
    TL_EW_CASE_(TL_EW_SQDIFF, TL_EW_VS)
    default: tl_ew_rows_loop(TL_EW_SQDIFF, TL_EW_SV, y, a, b, rows, n, a_step, b_step, lo, hi); return;
  }
#undef TL_EW_CASE_
}

TL_VF_FN static void tl_clamp_run(float *y, const float *x, int64_t n, float lo_s, float hi_s) {
  const tl_vf lo = tl_vf_set1(lo_s), hi = tl_vf_set1(hi_s);
  int64_t i = 0;
  if (TL_VF_W == 1 && hi_s == (float)INFINITY) { /* portable Relu: one select */
    for (; i < n; i++) y[i] = tl_ew_max1(lo_s, x[i]);
    return;
  }
  for (; TL_VF_W > 1 && i + 4 * TL_VF_W <= n; i += 4 * TL_VF_W) {
    const tl_vf v0 = tl_vf_load(x + i), v1 = tl_vf_load(x + i + TL_VF_W), v2 = tl_vf_load(x + i + 2 * TL_VF_W);
    const tl_vf v3 = tl_vf_load(x + i + 3 * TL_VF_W);
    tl_vf_store(y + i, tl_vf_min(hi, tl_vf_max(lo, v0)));
    tl_vf_store(y + i + TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, v1)));
    tl_vf_store(y + i + 2 * TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, v2)));
    tl_vf_store(y + i + 3 * TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, v3)));
  }
  for (; i + TL_VF_W <= n; i += TL_VF_W) tl_vf_store(y + i, tl_vf_min(hi, tl_vf_max(lo, tl_vf_load(x + i))));
  for (; i < n; i++) y[i] = tl_ew_clamp1(x[i], lo_s, hi_s);
}

/* HardSwish, the reference's operations (kernels/hard_swish.c): r = x + 3, c = r > 0 ? min(r, 6) : 0 (a NaN r
 * gives 0), y = x c / 6 (a division, as the reference). tl_vf_max(r, 0) is 0 for a NaN r and +0 for r = -0 at
 * every level, as the reference's r > 0 test. */
TL_V_INLINE tl_vf tl_hard_swish1(tl_vf v) {
  const tl_vf c = tl_vf_min(tl_vf_set1(6.0f), tl_vf_max(tl_vf_add(v, tl_vf_set1(3.0f)), tl_vf_set1(0.0f)));
  return tl_vf_div(tl_vf_mul(v, c), tl_vf_set1(6.0f));
}

TL_VF_FN static void tl_hard_swish_run(float *y, const float *x, int64_t n) {
  int64_t i = 0;
  for (; TL_VF_W > 1 && i + 2 * TL_VF_W <= n; i += 2 * TL_VF_W) {
    const tl_vf v0 = tl_vf_load(x + i), v1 = tl_vf_load(x + i + TL_VF_W);
    tl_vf_store(y + i, tl_hard_swish1(v0));
    tl_vf_store(y + i + TL_VF_W, tl_hard_swish1(v1));
  }
  for (; i + TL_VF_W <= n; i += TL_VF_W) tl_vf_store(y + i, tl_hard_swish1(tl_vf_load(x + i)));
  for (; i < n; i++) {
    const float r = x[i] + 3.0f, c = r > 0.0f ? (r < 6.0f ? r : 6.0f) : 0.0f;
    y[i] = x[i] * c / 6.0f;
  }
}
