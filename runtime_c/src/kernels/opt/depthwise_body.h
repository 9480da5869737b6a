/* depthwise_body.h: the float32 DepthwiseConv2D kernels on one level's vectors (included once by each
 * f32_<level>.c; no include guard): tl_dw_run (depth multiplier 1) and tl_dw_mult_run (> 1), written on that
 * file's tl_vf (opt_f32_internal.h), and, where the level file defines TL_DW_3X3_ROWS, tl_dw3x3_run (3x3
 * kernels with depth multiplier 1). Algorithm: depthwise_opt.c. Not the entry point or the packing. */

#if defined(TL_DW_3X3_ROWS)
/* One output pixel of a 3x3 kernel, every channel block: the taps (ky, kx) in [ky0, ky1) x [kx0, kx1) (those
 * inside the input), x0 at tap (ky0, kx0), rows x_dy and columns x_dx apart; in tap order into one
 * accumulator started at the bias, clamped at the store. */
TL_V_INLINE void tl_dw3_pixel(float *yp, const float *x0, int64_t x_dy, int64_t x_dx, const float *w,
                              const float *bias, int64_t ch, int64_t vec_end, int32_t ky0, int32_t ky1,
                              int32_t kx0, int32_t kx1, tl_vf lo, tl_vf hi) {
  for (int64_t c = 0; c < vec_end; c += TL_VF_W) {
    tl_vf a = tl_vf_load(bias + c);
    for (int32_t ky = ky0; ky < ky1; ky++) {
      const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w + (3 * ky + kx0) * ch + c;
      for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += ch) a = tl_vf_fma(tl_vf_load(xr), tl_vf_load(wr), a);
    }
    tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, a)));
  }
}

/* n (1..4) neighbouring output pixels of one output row, every channel block: the kernel rows in `rows` and
 * columns in `cols` (bit k set: row / column k inside; the others are skipped, as in the reference), x0 at
 * (row 0, column 0) of the first pixel's window (rows x_dy apart, columns ch apart, pixels sw columns apart;
 * what is outside is never read). Per channel block: n accumulators of the same arithmetic as tl_dw3_pixel
 * (bias, then the taps inside in order), each weight vector loaded once for the n pixels; with n, sw, rows
 * and cols constants the input columns the pixels share are loaded once (stride 1: 6 columns per row for
 * four pixels, not 12). */
TL_V_INLINE void tl_dw3_block(float *yp, const float *x0, int64_t x_dy, const float *w, const float *bias,
                              int64_t ch, int64_t vec_end, int n, int32_t sw, int rows, int cols, tl_vf lo,
                              tl_vf hi) {
  for (int64_t c = 0; c < vec_end; c += TL_VF_W) {
    tl_vf a0 = tl_vf_load(bias + c), a1 = a0, a2 = a0, a3 = a0;
    for (int ky = 0; ky < 3; ky++) {
      if (!((rows >> ky) & 1)) continue;
      const float *xr = x0 + ky * x_dy + c;
      for (int kx = 0; kx < 3; kx++) {
        if (!((cols >> kx) & 1)) continue;
        const tl_vf wk = tl_vf_load(w + (3 * ky + kx) * ch + c);
        a0 = tl_vf_fma(tl_vf_load(xr + (int64_t)kx * ch), wk, a0);
        if (n > 1) a1 = tl_vf_fma(tl_vf_load(xr + (int64_t)(sw + kx) * ch), wk, a1);
        if (n > 2) a2 = tl_vf_fma(tl_vf_load(xr + (int64_t)(2 * sw + kx) * ch), wk, a2);
        if (n > 3) a3 = tl_vf_fma(tl_vf_load(xr + (int64_t)(3 * sw + kx) * ch), wk, a3);
      }
    }
    tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, a0)));
    if (n > 1) tl_vf_store(yp + ch + c, tl_vf_min(hi, tl_vf_max(lo, a1)));
    if (n > 2) tl_vf_store(yp + 2 * ch + c, tl_vf_min(hi, tl_vf_max(lo, a2)));
    if (n > 3) tl_vf_store(yp + 3 * ch + c, tl_vf_min(hi, tl_vf_max(lo, a3)));
  }
}

/* `count` neighbouring pixels whose three columns are inside: blocks of four, then two, then one. */
TL_V_INLINE void tl_dw3_span(float *yp, const float *x0, int64_t x_dy, const float *w, const float *bias,
                             int64_t ch, int64_t vec_end, int32_t count, int32_t sw, int rows, tl_vf lo, tl_vf hi) {
  for (; count >= 4; count -= 4, yp += 4 * ch, x0 += 4 * (int64_t)sw * ch) {
    tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 4, sw, rows, 7, lo, hi);
  }
  if (count >= 2) {
    tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 2, sw, rows, 7, lo, hi);
    count -= 2, yp += 2 * ch, x0 += 2 * (int64_t)sw * ch;
  }
  if (count == 1) tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, sw, rows, 7, lo, hi);
}

#include "depthwise_wide_body.h" /* tl_dw3_wide: the inside rows at stride 2, and at stride 1 with 8 channels */

/* The inside pixels of one output row (stride 1 or 2, columns undilated) for the row sets of the image's
 * inside (7) and top and bottom borders (6, 3); returns 0 (nothing done) for other row sets. Wide inside rows
 * at stride 2, or at stride 1 with one channel vector, go to tl_dw3_wide. */
TL_VF_FN static int tl_dw3_inside(float *yp, const float *x0, int64_t x_dy, const float *w, const float *bias,
                                  int64_t ch, int64_t vec_end, int32_t count, int32_t sw, int rows, tl_vf lo,
                                  tl_vf hi) {
  if (rows == 7 && count >= TL_DW3_WIDE_MIN && (sw == 2 || vec_end == TL_VF_W)) {
    return tl_dw3_wide(yp, x0, x_dy, w, bias, ch, vec_end, count, sw, rows, lo, hi);
  }
  switch (rows * 4 + sw) {
    case 7 * 4 + 1: tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 1, 7, lo, hi); return 1;
    case 7 * 4 + 2: tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 2, 7, lo, hi); return 1;
    case 6 * 4 + 1: tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 1, 6, lo, hi); return 1;
    case 6 * 4 + 2: tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 2, 6, lo, hi); return 1;
    case 3 * 4 + 1: tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 1, 3, lo, hi); return 1;
    case 3 * 4 + 2: tl_dw3_span(yp, x0, x_dy, w, bias, ch, vec_end, count, 2, 3, lo, hi); return 1;
    default: return 0;
  }
}

/* One pixel at the left (cols 6) or right (cols 3) border of the rows above; x0 at (row 0, column 0) of its
 * window. Returns 0 (nothing done) for other sets. */
TL_VF_FN static int tl_dw3_edge(float *yp, const float *x0, int64_t x_dy, const float *w, const float *bias,
                                int64_t ch, int64_t vec_end, int rows, int cols, tl_vf lo, tl_vf hi) {
  switch (rows * 8 + cols) {
    case 7 * 8 + 6: tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, 1, 7, 6, lo, hi); return 1;
    case 7 * 8 + 3: tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, 1, 7, 3, lo, hi); return 1;
    case 6 * 8 + 6: tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, 1, 6, 6, lo, hi); return 1;
    case 6 * 8 + 3: tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, 1, 6, 3, lo, hi); return 1;
    case 3 * 8 + 6: tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, 1, 3, 6, lo, hi); return 1;
    case 3 * 8 + 3: tl_dw3_block(yp, x0, x_dy, w, bias, ch, vec_end, 1, 1, 3, 3, lo, hi); return 1;
    default: return 0;
  }
}

#include "depthwise_narrow_body.h" /* tl_dw3_narrow: stride 1 on images at most 6 wide */

/* 3x3 kernels, depth multiplier 1 (weights [3, 3, c] in place, bias [c]). XNNPACK's idea of the channel
 * vector as the unit, with every tap of a pixel FMA'd into one accumulator held in a register and the clamp
 * once at the store, written per output row: the pixels whose three columns are inside go by groups of four
 * (tl_dw3_four: stride 1 and 2, undilated; the kernel rows in the padding skipped, specialised for the rows
 * of a border), the others (the row's ends, the last < 4, dilated kernels) one by one (tl_dw3_pixel, only the
 * taps inside). Every output is bias + the products of its taps inside the input in tap order, by fused
 * multiply-adds, whichever path it takes; the path depends on the pixel's position in the image only, so
 * the threads' row blocks (pad_top shifted) give the same bits as one call. Channels past the last full
 * vector: one at a time, the reference's order and roundings. */
TL_VF_FN static void tl_dw3x3_run(float *y, const float *x, const float *w, const float *bias,
                                  const tl_conv_params *p) {
  const int64_t ch = p->in_c, x_row = (int64_t)p->in_w * ch;
  const int64_t vec_end = (ch / TL_VF_W) * TL_VF_W;
  const int32_t sw = p->stride_w, dil_w = p->dilation_w;
  const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)dil_w * ch;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
  int32_t in_lo, in_hi; /* output columns whose three input columns are inside */
  tl_geo_inside(p->out_w, p->in_w, sw, p->pad_left, 2 * (int64_t)dil_w, &in_lo, &in_hi);
  const int grouped = dil_w == 1 && (sw == 1 || sw == 2); /* tl_dw3_inside and tl_dw3_edge */
  if (tl_dw3_narrow(y, x, w, bias, p)) return;
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
      float *yrow = y + ((int64_t)b * p->out_h + oy) * p->out_w * ch;
      int32_t ky0, ky1;
      tl_geo_taps(iy0, p->dilation_h, 3, p->in_h, &ky0, &ky1);
      const int rows = ((1 << ky1) - 1) & ~((1 << ky0) - 1); /* bit ky: kernel row ky inside */
      int32_t n_in = 0; /* the inside pixels [in_lo, in_lo + n_in) done by tl_dw3_inside */
      if (grouped && vec_end > 0 && in_hi > in_lo && ky1 > ky0) {
        /* row 0, column 0 of the first inside pixel's window; the rows outside are never read */
        const float *x0 = xb + (iy0 * p->in_w + tl_geo_start(in_lo, sw, p->pad_left)) * ch;
        if (tl_dw3_inside(yrow + (int64_t)in_lo * ch, x0, x_dy, w, bias, ch, vec_end, in_hi - in_lo, sw, rows, lo, hi)) {
          n_in = in_hi - in_lo;
        }
      }
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        if (ox == in_lo && n_in > 0) ox += n_in; /* done above */
        if (ox >= p->out_w) break;
        const int64_t ix0 = tl_geo_start(ox, sw, p->pad_left);
        int32_t kx0, kx1;
        tl_geo_taps(ix0, dil_w, 3, p->in_w, &kx0, &kx1);
        float *yp = yrow + (int64_t)ox * ch;
        const int cols = ((1 << kx1) - 1) & ~((1 << kx0) - 1); /* bit kx: kernel column kx inside */
        if (ky1 > ky0 && kx1 > kx0) {
          const float *x0 = xb + (iy0 + (int64_t)ky0 * p->dilation_h) * x_row + (ix0 + (int64_t)kx0 * dil_w) * ch;
          /* the same pixel from its window's corner, for tl_dw3_edge (the rows and columns outside unread) */
          const float *xc = x0 - (int64_t)ky0 * x_dy - (int64_t)kx0 * x_dx;
          if (!(grouped && tl_dw3_edge(yp, xc, x_dy, w, bias, ch, vec_end, rows, cols, lo, hi))) {
            tl_dw3_pixel(yp, x0, x_dy, x_dx, w, bias, ch, vec_end, ky0, ky1, kx0, kx1, lo, hi);
          }
        } else {
          tl_dw3_pixel(yp, xb, x_dy, x_dx, w, bias, ch, vec_end, 0, 0, 0, 0, lo, hi); /* no tap: the bias */
        }
        for (int64_t c = vec_end; c < ch; c++) {
          float acc = bias[c];
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const float *xr = xb + (iy0 + (int64_t)ky * p->dilation_h) * x_row + c;
            for (int32_t kx = kx0; kx < kx1; kx++) acc += xr[(ix0 + (int64_t)kx * dil_w) * ch] * w[(3 * ky + kx) * ch + c];
          }
          yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
        }
      }
      if (vec_end < ch && n_in > 0) { /* the inside pixels' last channels */
        for (int32_t ox = in_lo; ox < in_lo + n_in; ox++) {
          const int64_t ix0 = tl_geo_start(ox, sw, p->pad_left);
          float *yp = yrow + (int64_t)ox * ch;
          for (int64_t c = vec_end; c < ch; c++) {
            float acc = bias[c];
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const float *xr = xb + (iy0 + (int64_t)ky * p->dilation_h) * x_row + c;
              for (int32_t kx = 0; kx < 3; kx++) acc += xr[(ix0 + kx) * ch] * w[(3 * ky + kx) * ch + c];
            }
            yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
          }
        }
      }
    }
  }
}
#endif

/* Depth multiplier 1: the weights [k_h, k_w, c] in place, the bias [c] packed (zeros without one). */
TL_VF_FN static void tl_dw_run(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p) {
  const int64_t ch = p->in_c;
  const int64_t x_row = (int64_t)p->in_w * ch;
  const int64_t vec_end = (ch / TL_VF_W) * TL_VF_W;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
#if defined(TL_DW_3X3_ROWS)
  if (p->k_h == 3 && p->k_w == 3) {
    tl_dw3x3_run(y, x, w, bias, p);
    return;
  }
#endif
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
      int32_t ky0, ky1;
      tl_geo_taps(iy0, p->dilation_h, p->k_h, p->in_h, &ky0, &ky1);
      /* 3x3 kernels on rows with all three kernel rows inside: the pixels whose three columns are inside too
       * run with the nine weight vectors of a channel block held in registers */
      int32_t in_lo = 0, in_hi = 0; /* those pixels: [in_lo, in_hi) */
      if (p->k_h == 3 && p->k_w == 3 && ky0 == 0 && ky1 == 3) {
        tl_geo_inside(p->out_w, p->in_w, p->stride_w, p->pad_left, 2 * (int64_t)p->dilation_w, &in_lo, &in_hi);
        const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)p->dilation_w * ch;
        const float *xrow = xb + (int64_t)iy0 * x_row;
        float *yrow = y + ((int64_t)b * p->out_h + oy) * p->out_w * ch;
        for (int64_t c = 0; c < vec_end; c += TL_VF_W) {
          const float *wc = w + c; /* tap t's weights at wc + t * ch */
          const tl_vf w00 = tl_vf_load(wc), w01 = tl_vf_load(wc + ch), w02 = tl_vf_load(wc + 2 * ch);
          const tl_vf w10 = tl_vf_load(wc + 3 * ch), w11 = tl_vf_load(wc + 4 * ch), w12 = tl_vf_load(wc + 5 * ch);
          const tl_vf w20 = tl_vf_load(wc + 6 * ch), w21 = tl_vf_load(wc + 7 * ch), w22 = tl_vf_load(wc + 8 * ch);
          const tl_vf bv = tl_vf_load(bias + c);
          for (int32_t ox = in_lo; ox < in_hi; ox++) {
            const float *r0 = xrow + tl_geo_start(ox, p->stride_w, p->pad_left) * ch + c;
            const float *r1 = r0 + x_dy, *r2 = r1 + x_dy;
            tl_vf a0 = tl_vf_fma(tl_vf_load(r0), w00, bv), a1 = tl_vf_fma(tl_vf_load(r1), w10, tl_vf_set1(0.0f));
            tl_vf a2 = tl_vf_fma(tl_vf_load(r2), w20, tl_vf_set1(0.0f));
            a0 = tl_vf_fma(tl_vf_load(r0 + x_dx), w01, a0);
            a1 = tl_vf_fma(tl_vf_load(r1 + x_dx), w11, a1);
            a2 = tl_vf_fma(tl_vf_load(r2 + x_dx), w21, a2);
            a0 = tl_vf_fma(tl_vf_load(r0 + 2 * x_dx), w02, a0);
            a1 = tl_vf_fma(tl_vf_load(r1 + 2 * x_dx), w12, a1);
            a2 = tl_vf_fma(tl_vf_load(r2 + 2 * x_dx), w22, a2);
            tl_vf_store(yrow + (int64_t)ox * ch + c, tl_vf_min(hi, tl_vf_max(lo, tl_vf_add(a0, tl_vf_add(a1, a2)))));
          }
        }
        for (int32_t ox = in_lo; ox < in_hi; ox++) {
          const float *r0 = xrow + tl_geo_start(ox, p->stride_w, p->pad_left) * ch;
          for (int64_t c = vec_end; c < ch; c++) {
            float acc = bias[c];
            for (int32_t t = 0; t < 9; t++) acc += r0[(t / 3) * x_dy + (t % 3) * x_dx + c] * w[t * ch + c];
            yrow[(int64_t)ox * ch + c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
          }
        }
      }
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        if (ox == in_lo && in_hi > in_lo) ox = in_hi; /* done above */
        if (ox >= p->out_w) break;
        const int64_t ix0 = tl_geo_start(ox, p->stride_w, p->pad_left);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * ch;
        int32_t kx0, kx1;
        tl_geo_taps(ix0, p->dilation_w, p->k_w, p->in_w, &kx0, &kx1);
        /* x and w at tap (ky0, kx0), and the strides between taps */
        const int any_tap = ky1 > ky0 && kx1 > kx0; /* else x0 is never read: keep it inside x */
        const float *x0 =
            any_tap ? xb + (iy0 + (int64_t)ky0 * p->dilation_h) * x_row + (ix0 + (int64_t)kx0 * p->dilation_w) * ch
                    : xb;
        const float *w0 = w + ((int64_t)ky0 * p->k_w + kx0) * ch;
        const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)p->dilation_w * ch;
        const int64_t w_dy = (int64_t)p->k_w * ch;
        int64_t c = 0;
        /* four channel blocks at once: four independent FMA chains */
        for (; c + 4 * TL_VF_W <= vec_end; c += 4 * TL_VF_W) {
          tl_vf a0 = tl_vf_load(bias + c), a1 = tl_vf_load(bias + c + TL_VF_W);
          tl_vf a2 = tl_vf_load(bias + c + 2 * TL_VF_W), a3 = tl_vf_load(bias + c + 3 * TL_VF_W);
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w0 + (ky - ky0) * w_dy + c;
            for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += ch) {
              a0 = tl_vf_fma(tl_vf_load(xr), tl_vf_load(wr), a0);
              a1 = tl_vf_fma(tl_vf_load(xr + TL_VF_W), tl_vf_load(wr + TL_VF_W), a1);
              a2 = tl_vf_fma(tl_vf_load(xr + 2 * TL_VF_W), tl_vf_load(wr + 2 * TL_VF_W), a2);
              a3 = tl_vf_fma(tl_vf_load(xr + 3 * TL_VF_W), tl_vf_load(wr + 3 * TL_VF_W), a3);
            }
          }
          tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, a0)));
          tl_vf_store(yp + c + TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, a1)));
          tl_vf_store(yp + c + 2 * TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, a2)));
          tl_vf_store(yp + c + 3 * TL_VF_W, tl_vf_min(hi, tl_vf_max(lo, a3)));
        }
        /* one block: three accumulators take the kernel columns in turn (three chains, summed at the end) */
        for (; c < vec_end; c += TL_VF_W) {
          tl_vf acc = tl_vf_load(bias + c), acc1 = tl_vf_set1(0.0f), acc2 = tl_vf_set1(0.0f);
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w0 + (ky - ky0) * w_dy + c;
            int32_t kx = kx0;
            for (; kx + 3 <= kx1; kx += 3, xr += 3 * x_dx, wr += 3 * ch) {
              acc = tl_vf_fma(tl_vf_load(xr), tl_vf_load(wr), acc);
              acc1 = tl_vf_fma(tl_vf_load(xr + x_dx), tl_vf_load(wr + ch), acc1);
              acc2 = tl_vf_fma(tl_vf_load(xr + 2 * x_dx), tl_vf_load(wr + 2 * ch), acc2);
            }
            for (; kx < kx1; kx++, xr += x_dx, wr += ch) acc = tl_vf_fma(tl_vf_load(xr), tl_vf_load(wr), acc);
          }
          acc = tl_vf_add(acc, tl_vf_add(acc1, acc2));
          tl_vf_store(yp + c, tl_vf_min(hi, tl_vf_max(lo, acc)));
        }
        for (; c < ch; c++) {
          float acc = bias[c];
          for (int32_t ky = ky0; ky < ky1; ky++) {
            const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = w0 + (ky - ky0) * w_dy + c;
            for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += ch) acc += *xr * *wr;
          }
          yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
        }
      }
    }
  }
}

/* Depth multiplier > 1: packed = bias'[dm][in_c] then w'[dm][taps][in_c]. */
TL_VF_FN static void tl_dw_mult_run(float *y, const float *x, const float *packed, const tl_conv_params *p) {
  const int32_t dm = p->depth_multiplier;
  const int64_t in_c = p->in_c, out_c = p->out_c, taps = (int64_t)p->k_h * p->k_w;
  const int64_t x_row = (int64_t)p->in_w * in_c;
  const int64_t vec_end = (in_c / TL_VF_W) * TL_VF_W;
  const float *bias = packed, *wp = packed + out_c;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
  float tmp0[TL_VF_W], tmp1[TL_VF_W];
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
      int32_t ky0, ky1;
      tl_geo_taps(iy0, p->dilation_h, p->k_h, p->in_h, &ky0, &ky1);
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, p->stride_w, p->pad_left);
        float *yp = y + (((int64_t)b * p->out_h + oy) * p->out_w + ox) * out_c;
        int32_t kx0, kx1;
        tl_geo_taps(ix0, p->dilation_w, p->k_w, p->in_w, &kx0, &kx1);
        const int any_tap = ky1 > ky0 && kx1 > kx0; /* else x0 is never read: keep it inside x */
        const float *x0 =
            any_tap ? xb + (iy0 + (int64_t)ky0 * p->dilation_h) * x_row + (ix0 + (int64_t)kx0 * p->dilation_w) * in_c
                    : xb;
        const int64_t x_dy = (int64_t)p->dilation_h * x_row, x_dx = (int64_t)p->dilation_w * in_c;
        const int64_t w0 = ((int64_t)ky0 * p->k_w + kx0) * in_c; /* tap (ky0, kx0) in one w'[m] */
        const int64_t w_dy = (int64_t)p->k_w * in_c;
        int64_t c = 0;
        for (; c < vec_end; c += TL_VF_W) {
          int32_t m = 0;
          for (; m + 2 <= dm; m += 2) { /* two multipliers: two independent chains */
            const float *wm0 = wp + (int64_t)m * taps * in_c + w0 + c, *wm1 = wm0 + taps * in_c;
            tl_vf a0 = tl_vf_load(bias + (int64_t)m * in_c + c), a1 = tl_vf_load(bias + (int64_t)(m + 1) * in_c + c);
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const float *xr = x0 + (ky - ky0) * x_dy + c;
              const float *wr0 = wm0 + (ky - ky0) * w_dy, *wr1 = wm1 + (ky - ky0) * w_dy;
              for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr0 += in_c, wr1 += in_c) {
                const tl_vf xv = tl_vf_load(xr);
                a0 = tl_vf_fma(xv, tl_vf_load(wr0), a0);
                a1 = tl_vf_fma(xv, tl_vf_load(wr1), a1);
              }
            }
            a0 = tl_vf_min(hi, tl_vf_max(lo, a0));
            a1 = tl_vf_min(hi, tl_vf_max(lo, a1));
            if (dm == 2) { /* the block's outputs are contiguous: two interleaved vector stores */
              tl_vf_zip2(yp + c * 2, a0, a1);
              continue;
            }
            tl_vf_store(tmp0, a0);
            tl_vf_store(tmp1, a1);
            for (int32_t j = 0; j < TL_VF_W; j++) {
              yp[(c + j) * dm + m] = tmp0[j];
              yp[(c + j) * dm + m + 1] = tmp1[j];
            }
          }
          for (; m < dm; m++) {
            const float *wm = wp + (int64_t)m * taps * in_c + w0 + c;
            tl_vf acc = tl_vf_load(bias + (int64_t)m * in_c + c);
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = wm + (ky - ky0) * w_dy;
              for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += in_c) {
                acc = tl_vf_fma(tl_vf_load(xr), tl_vf_load(wr), acc);
              }
            }
            tl_vf_store(tmp0, tl_vf_min(hi, tl_vf_max(lo, acc)));
            for (int32_t j = 0; j < TL_VF_W; j++) yp[(c + j) * dm + m] = tmp0[j];
          }
        }
        for (; c < in_c; c++) {
          for (int32_t m = 0; m < dm; m++) {
            const float *wm = wp + (int64_t)m * taps * in_c + w0 + c;
            float acc = bias[(int64_t)m * in_c + c];
            for (int32_t ky = ky0; ky < ky1; ky++) {
              const float *xr = x0 + (ky - ky0) * x_dy + c, *wr = wm + (ky - ky0) * w_dy;
              for (int32_t kx = kx0; kx < kx1; kx++, xr += x_dx, wr += in_c) acc += *xr * *wr;
            }
            yp[c * dm + m] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
          }
        }
      }
    }
  }
}
