/* depthwise_narrow_body.h: the float32 3x3 DepthwiseConv2D on narrow images (included by depthwise_body.h
 * where the level file defines TL_DW_3X3_ROWS, before tl_dw3x3_run, which calls tl_dw3_narrow first; no include
 * guard). What this is: stride 1, undilated, depth multiplier 1, SAME columns (pad_left 1, out_w == in_w) on
 * images at most TL_DW3N_MAX_W wide: DS-CNN's [25, 5, 64], where 2 of every 5 pixels touch a column border
 * and the row kernel's per-pixel edge handling took most of the time. Not other shapes (tl_dw3x3_run).
 *
 * Algorithm: per output row and channel vector, the whole row at once: one accumulator per output pixel
 * (started at the bias), each input column of a kernel row loaded once and FMA'd into the (up to three)
 * outputs that read it, the kernel row's three weight vectors loaded once. The width is a compile-time
 * constant in each of the TL_DW3N_MAX_W copies (tl_dw3n_width), so which taps each column has (the first
 * pixel has no left tap, the last no right tap) costs nothing at run time; the kernel rows in the padding
 * (top and bottom rows) are skipped per row. Every output is the bias plus the products of its taps inside
 * the input, in tap order (row by row, left to right), by fused multiply-adds, clamped once at the store:
 * the same arithmetic as tl_dw3x3_run's paths, so the same bits. Channels past the last full vector: one at
 * a time, the reference's order and roundings. */

#define TL_DW3N_MAX_W 6 /* 6 accumulators, 6 input columns and 3 weights: 15 of AVX2's 16 registers */

/* Output pixel o's taps in the current kernel row: columns o - 1, o, o + 1 (xm, xc, xp) where inside. */
#define TL_DW3N_ACC(o, xm, xc, xp)                                   \
  if (width > (o)) {                                                 \
    if ((o) > 0) a##o = tl_vf_fma(xm, w0, a##o);                     \
    a##o = tl_vf_fma(xc, w1, a##o);                                  \
    if ((o) + 1 < width) a##o = tl_vf_fma(xp, w2, a##o);             \
  }
#define TL_DW3N_STORE(o) \
  if (width > (o)) tl_vf_store(yp + (o) * ch, tl_vf_min(hi, tl_vf_max(lo, a##o)))

/* The image at width `width` (a constant where inlined). */
TL_V_INLINE void tl_dw3n_width(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p,
                               const int width) {
  const int64_t ch = p->in_c, x_row = (int64_t)width * ch;
  const int64_t vec_end = (ch / TL_VF_W) * TL_VF_W;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, 1, p->pad_top);
      float *yrow = y + ((int64_t)b * p->out_h + oy) * x_row;
      int32_t ky0, ky1;
      tl_geo_taps(iy0, 1, 3, p->in_h, &ky0, &ky1);
      for (int64_t c = 0; c < vec_end; c += TL_VF_W) {
        float *yp = yrow + c;
        tl_vf a0 = tl_vf_load(bias + c), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        for (int32_t ky = ky0; ky < ky1; ky++) {
          const float *xr = xb + (iy0 + ky) * x_row + c, *wr = w + 3 * (int64_t)ky * ch + c;
          const tl_vf w0 = tl_vf_load(wr), w1 = tl_vf_load(wr + ch), w2 = tl_vf_load(wr + 2 * ch);
          const tl_vf x0 = tl_vf_load(xr);
          const tl_vf x1 = width > 1 ? tl_vf_load(xr + ch) : x0, x2 = width > 2 ? tl_vf_load(xr + 2 * ch) : x0;
          const tl_vf x3 = width > 3 ? tl_vf_load(xr + 3 * ch) : x0, x4 = width > 4 ? tl_vf_load(xr + 4 * ch) : x0;
          const tl_vf x5 = width > 5 ? tl_vf_load(xr + 5 * ch) : x0;
          TL_DW3N_ACC(0, x0, x0, x1)
          TL_DW3N_ACC(1, x0, x1, x2)
          TL_DW3N_ACC(2, x1, x2, x3)
          TL_DW3N_ACC(3, x2, x3, x4)
          TL_DW3N_ACC(4, x3, x4, x5)
          TL_DW3N_ACC(5, x4, x5, x5)
        }
        TL_DW3N_STORE(0);
        TL_DW3N_STORE(1);
        TL_DW3N_STORE(2);
        TL_DW3N_STORE(3);
        TL_DW3N_STORE(4);
        TL_DW3N_STORE(5);
      }
      for (int32_t ox = 0; ox < width; ox++) { /* the last channels */
        const int32_t kx0 = ox == 0, kx1 = ox + 1 < width ? 3 : 2;
        float *yp = yrow + (int64_t)ox * ch;
        for (int64_t c = vec_end; c < ch; c++) {
          float acc = bias[c];
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const float *xr = xb + (iy0 + ky) * x_row + (int64_t)(ox - 1) * ch + c;
            for (int32_t kx = kx0; kx < kx1; kx++) acc += xr[kx * ch] * w[(3 * ky + kx) * ch + c];
          }
          yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
        }
      }
    }
  }
}
#undef TL_DW3N_ACC
#undef TL_DW3N_STORE

/* Runs the narrow-image kernel where it applies (see the top); returns 0 (nothing done) otherwise. */
TL_VF_FN static int tl_dw3_narrow(float *y, const float *x, const float *w, const float *bias,
                                  const tl_conv_params *p) {
  if (p->k_h != 3 || p->k_w != 3 || p->depth_multiplier != 1 || p->stride_h != 1 || p->stride_w != 1 ||
      p->dilation_h != 1 || p->dilation_w != 1 || p->pad_left != 1 || p->out_w != p->in_w ||
      p->in_c < TL_VF_W || p->in_w > TL_DW3N_MAX_W) {
    return 0;
  }
  switch (p->in_w) {
    case 1: tl_dw3n_width(y, x, w, bias, p, 1); return 1;
    case 2: tl_dw3n_width(y, x, w, bias, p, 2); return 1;
    case 3: tl_dw3n_width(y, x, w, bias, p, 3); return 1;
    case 4: tl_dw3n_width(y, x, w, bias, p, 4); return 1;
    case 5: tl_dw3n_width(y, x, w, bias, p, 5); return 1;
    case 6: tl_dw3n_width(y, x, w, bias, p, 6); return 1;
    default: return 0;
  }
}
