/* depthwise_wide_body.h: the AVX2 level's 3x3 depthwise kernel for the inside of wide output rows
 * (tl_dw3_wide), included by depthwise_body.h inside its TL_DW_3X3_ROWS part (no include guard; written on
 * the including level's tl_vf). tl_dw3_inside gives it the inside pixels of a row whose three kernel rows are
 * inside, at least TL_DW3_WIDE_MIN of them, at stride 2 (any channel count) or at stride 1 with one channel
 * vector (8 channels); other rows go to tl_dw3_span as before. Not the narrow images
 * (depthwise_narrow_body.h) or the borders.
 */

/* ---- wide rows (tl_dw3_wide): eight accumulators per call ----
 * np (1..8) neighbouring pixels, sw columns apart, by nv (1 or 2) channel vectors from channel c (np * nv <= 8),
 * all nine taps inside: each output is the bias, then its nine taps in order by fused multiply-adds, then the
 * clamp: tl_dw3_block's arithmetic, so the same bits. Two ways through the taps: tl_dw3w_taps (tap by tap, each
 * weight vector loaded once for the np pixels, each input vector loaded per use) and tl_dw3w_cols (a kernel
 * row's input columns left to right, each loaded once and FMA'd into every pixel whose window holds it). */
#define TL_DW3W_P8_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define TL_DW3W_J10_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9)
#define TL_DW3W_DECL_(i) tl_vf a##i##0 = b0, a##i##1 = b1;
#define TL_DW3W_STORE_(i)                                                                           \
  if (np > i) {                                                                                     \
    tl_vf_store(yp + i * ch + c, tl_vf_min(hi, tl_vf_max(lo, a##i##0)));                            \
    if (nv > 1) tl_vf_store(yp + i * ch + c + TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, a##i##1)));      \
  }
TL_V_INLINE void tl_dw3w_taps(const int np, const int nv, const int sw, float *yp, const float *x0, int64_t x_dy,
                              const float *w, const float *bias, int64_t ch, int64_t c, tl_vf lo, tl_vf hi) {
  const tl_vf b0 = tl_vf_load(bias + c), b1 = nv > 1 ? tl_vf_load(bias + c + TL_VF_W) : b0;
  TL_DW3W_P8_(TL_DW3W_DECL_)
  for (int ky = 0; ky < 3; ky++) {
    const float *xr = x0 + ky * x_dy + c, *wr = w + 3 * ky * ch + c;
#define TL_TAP_(i)                                                                                      \
  if (np > i) {                                                                                         \
    a##i##0 = tl_vf_fma(tl_vf_load(xr + (int64_t)(i * sw + kx) * ch), wk0, a##i##0);                     \
    if (nv > 1) a##i##1 = tl_vf_fma(tl_vf_load(xr + (int64_t)(i * sw + kx) * ch + TL_VF_W), wk1, a##i##1); \
  }
#define TL_KX_(kx_)                                                       \
  {                                                                       \
    const int kx = kx_;                                                   \
    const tl_vf wk0 = tl_vf_load(wr + kx * ch);                           \
    const tl_vf wk1 = nv > 1 ? tl_vf_load(wr + kx * ch + TL_VF_W) : wk0;  \
    TL_DW3W_P8_(TL_TAP_)                                                  \
  }
    TL_KX_(0) TL_KX_(1) TL_KX_(2)
#undef TL_KX_
#undef TL_TAP_
  }
  TL_DW3W_P8_(TL_DW3W_STORE_)
}

/* one channel vector (nv 1), stride sw, np pixels: columns 0 .. (np - 1) * sw + 2 of each kernel row (at most
 * TL_DW3W_J10_'s ten: np 8 at stride 1) */
TL_V_INLINE void tl_dw3w_cols(const int np, const int sw, float *yp, const float *x0, int64_t x_dy, const float *w,
                              const float *bias, int64_t ch, int64_t c, tl_vf lo, tl_vf hi) {
  const int nv = 1;
  const tl_vf b0 = tl_vf_load(bias + c), b1 = b0;
  TL_DW3W_P8_(TL_DW3W_DECL_)
  (void)b1;
  for (int ky = 0; ky < 3; ky++) {
    const float *xr = x0 + ky * x_dy + c, *wr = w + 3 * ky * ch + c;
    const tl_vf w0 = tl_vf_load(wr), w1 = tl_vf_load(wr + ch), w2 = tl_vf_load(wr + 2 * ch);
#define TL_TAP_(i)                                                                                          \
  if (np > i && j - i * sw >= 0 && j - i * sw < 3) {                                                        \
    a##i##0 = tl_vf_fma(xv, j - i * sw == 0 ? w0 : j - i * sw == 1 ? w1 : w2, a##i##0);                     \
  }
#define TL_COL_(j_)                                       \
  if (j_ < (np - 1) * sw + 3) {                           \
    const int j = j_;                                     \
    const tl_vf xv = tl_vf_load(xr + (int64_t)j * ch);    \
    TL_DW3W_P8_(TL_TAP_)                                  \
  }
    TL_DW3W_J10_(TL_COL_)
#undef TL_COL_
#undef TL_TAP_
  }
  TL_DW3W_P8_(TL_DW3W_STORE_)
}
#undef TL_DW3W_STORE_
#undef TL_DW3W_DECL_
#undef TL_DW3W_J10_
#undef TL_DW3W_P8_

/* The main blocks as calls of their own (measured: inlined into the loops over pixels and channels they ran
 * slower, the compiler keeping every column's address live across the channel loop). */
TL_VF_FN __attribute__((noinline)) static void tl_dw3w_s2_4x2(float *yp, const float *x0, int64_t x_dy,
                                                               const float *w, const float *bias, int64_t ch,
                                                               int64_t c, tl_vf lo, tl_vf hi) {
  tl_dw3w_taps(4, 2, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi);
}
TL_VF_FN __attribute__((noinline)) static void tl_dw3w_s2_4x1(float *yp, const float *x0, int64_t x_dy,
                                                               const float *w, const float *bias, int64_t ch,
                                                               int64_t c, tl_vf lo, tl_vf hi) {
  tl_dw3w_taps(4, 1, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi);
}
TL_VF_FN __attribute__((noinline)) static void tl_dw3w_s1_8x1(float *yp, const float *x0, int64_t x_dy,
                                                               const float *w, const float *bias, int64_t ch,
                                                               int64_t c, tl_vf lo, tl_vf hi) {
  tl_dw3w_cols(8, 1, yp, x0, x_dy, w, bias, ch, c, lo, hi);
}

/* count pixels at stride 2, every full channel vector: four pixels by two vectors (the last odd vector by
 * one), the last < 4 pixels by tl_dw3w_taps with fewer pixels. */
TL_V_INLINE void tl_dw3w_span_s2(float *yp, const float *x0, int64_t x_dy, const float *w, const float *bias,
                                 int64_t ch, int64_t vec_end, int32_t count, tl_vf lo, tl_vf hi) {
  for (; count > 0; count -= 4, yp += 4 * ch, x0 += 8 * ch) {
    int64_t c = 0;
    if (count >= 4) {
      for (; c + 2 * TL_VF_W <= vec_end; c += 2 * TL_VF_W) tl_dw3w_s2_4x2(yp, x0, x_dy, w, bias, ch, c, lo, hi);
      if (c < vec_end) tl_dw3w_s2_4x1(yp, x0, x_dy, w, bias, ch, c, lo, hi);
      continue;
    }
    for (; c + 2 * TL_VF_W <= vec_end; c += 2 * TL_VF_W) {
      switch (count) {
        case 3: tl_dw3w_taps(3, 2, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi); break;
        case 2: tl_dw3w_taps(2, 2, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi); break;
        default: tl_dw3w_taps(1, 2, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi); break;
      }
    }
    if (c < vec_end) {
      switch (count) {
        case 3: tl_dw3w_taps(3, 1, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi); break;
        case 2: tl_dw3w_taps(2, 1, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi); break;
        default: tl_dw3w_taps(1, 1, 2, yp, x0, x_dy, w, bias, ch, c, lo, hi); break;
      }
    }
  }
}

/* The inside pixels of an output row whose three kernel rows are inside (rows 7), at least TL_DW3_WIDE_MIN of
 * them: stride 2 (any channel count), or stride 1 with one channel vector (eight pixels at a time; the last
 * < 8 by tl_dw3_span). Returns 0 (nothing done) otherwise: tl_dw3_inside then. Measured per layer (AVX2,
 * Zen 3): stride 2 about 10% faster than tl_dw3_span, stride 1 with 8 channels about 15%; stride 1 with more
 * channels is slower this way (tl_dw3_span's four pixels share their columns' loads), so it keeps tl_dw3_span. */
#define TL_DW3_WIDE_MIN 8
/* (a call of its own: inlined, it made tl_dw3x3_run too large for tl_dw3_inside to be inlined there) */
TL_VF_FN __attribute__((noinline)) static int tl_dw3_wide(float *yp, const float *x0, int64_t x_dy, const float *w,
                                                         const float *bias, int64_t ch, int64_t vec_end,
                                                         int32_t count, int32_t sw, int rows, tl_vf lo, tl_vf hi) {
  if (rows != 7 || count < TL_DW3_WIDE_MIN || vec_end == 0) return 0;
  if (sw == 2) {
    tl_dw3w_span_s2(yp, x0, x_dy, w, bias, ch, vec_end, count, lo, hi);
    return 1;
  }
  if (sw == 1 && vec_end == TL_VF_W) {
    for (; count >= 8; count -= 8, yp += 8 * ch, x0 += 8 * ch) tl_dw3w_s1_8x1(yp, x0, x_dy, w, bias, ch, 0, lo, hi);
    if (count > 0) tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 1, 7, lo, hi);
    return 1;
  }
  return 0;
}
