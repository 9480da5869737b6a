/* depthwise_narrow_body.h: the float32 3x3 DepthwiseConv2D on narrow images (included by depthwise_body.h
 * where the level file defines TL_DW_3X3_ROWS, before tl_dw3x3_run, which calls tl_dw3_narrow first; no include
 * guard). What this is: stride 1, undilated, depth multiplier 1, SAME columns (pad_left 1, out_w == in_w) on
 * images at most TL_DW3N_MAX_W wide: DS-CNN's [25, 5, 64], where 2 of every 5 pixels touch a column border
 * and the row kernel's per-pixel edge handling took most of the time. Not other shapes (tl_dw3x3_run).
 *
 * Algorithm: per channel vector, the whole output row at once: one accumulator per output pixel (started at
 * the bias); per kernel row, its three weight vectors loaded once and each input column loaded once and
 * FMA'd into the (up to three) pixels that read it. Interior rows go two at a time (two sets of accumulators:
 * twice the independent FMA chains to hide their latency, the weights shared). The width is a compile-time
 * constant in each of the TL_DW3N_MAX_W copies (tl_dw3n_width), so which taps each column has (the first
 * pixel has no left tap, the last no right tap) costs nothing at run time; the kernel rows in the padding
 * (top and bottom rows) are skipped per row. Every output is the bias plus the products of its taps inside
 * the input, in tap order (row by row, left to right), by fused multiply-adds, clamped once at the store:
 * the same arithmetic as tl_dw3x3_run's paths, so the same bits (tests/test_opt_fma_order.c). Channels past
 * the last full vector: one at a time, the reference's order and roundings. */

#define TL_DW3N_MAX_W 6 /* wider images: the row kernel (8 wide: 20% slower here, measured on MobileNet's 8x8x256) */

/* One kernel row (weights w0, w1, w2; input row xr) into the accumulators a[0 .. width): input column ix
 * goes to the pixel on its right as its left tap (w0), to its own pixel as the middle one, to the pixel on
 * its left as the right one; as ix ascends, each pixel gets its taps in order. With width a constant the loop
 * unrolls and a[] stays in registers. */
TL_V_INLINE void tl_dw3n_krow(tl_vf *a, const float *xr, int64_t ch, const int width, tl_vf w0, tl_vf w1, tl_vf w2) {
  for (int ix = 0; ix < width; ix++) {
    const tl_vf xv = tl_vf_load(xr + ix * ch);
    if (ix + 1 < width) a[ix + 1] = tl_vf_fma(xv, w0, a[ix + 1]);
    a[ix] = tl_vf_fma(xv, w1, a[ix]);
    if (ix > 0) a[ix - 1] = tl_vf_fma(xv, w2, a[ix - 1]);
  }
}

/* The accumulators a[0 .. width), clamped, to the pixels at yp (ch floats apart). */
TL_V_INLINE void tl_dw3n_store(float *yp, const tl_vf *a, int64_t ch, const int width, tl_vf lo, tl_vf hi) {
  for (int o = 0; o < width; o++) tl_vf_store(yp + o * ch, tl_vf_min(hi, tl_vf_max(lo, a[o])));
}

/* One channel vector of `pair` (1 or 2) neighbouring output rows with every kernel row inside when pair is 2
 * (kernel rows [ky0, ky1) of the first otherwise); xr at the first row's kernel row 0 input row. */
TL_V_INLINE void tl_dw3n_rows(float *yp, const float *xr, int64_t x_row, const float *w, const float *bias, int64_t ch,
                              int32_t ky0, int32_t ky1, const int width, const int pair, tl_vf lo, tl_vf hi) {
  tl_vf a[TL_DW3N_MAX_W], b[TL_DW3N_MAX_W];
  for (int o = 0; o < width; o++) a[o] = b[o] = tl_vf_load(bias);
  for (int32_t ky = ky0; ky < ky1; ky++) {
    const float *wr = w + 3 * (int64_t)ky * ch, *x0 = xr + ky * x_row;
    const tl_vf w0 = tl_vf_load(wr), w1 = tl_vf_load(wr + ch), w2 = tl_vf_load(wr + 2 * ch);
    tl_dw3n_krow(a, x0, ch, width, w0, w1, w2);
    if (pair == 2) tl_dw3n_krow(b, x0 + x_row, ch, width, w0, w1, w2);
  }
  tl_dw3n_store(yp, a, ch, width, lo, hi);
  if (pair == 2) tl_dw3n_store(yp + x_row, b, ch, width, lo, hi);
}

/* The image at width `width` (a constant where inlined): interior output rows two at a time (twice the
 * independent FMA chains, the weights loaded once for both), the others one at a time. */
TL_V_INLINE void tl_dw3n_width(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p,
                               const int width) {
  const int64_t ch = p->in_c, x_row = (int64_t)width * ch;
  const int64_t vec_end = (ch / TL_VF_W) * TL_VF_W;
  const tl_vf lo = tl_vf_set1(p->act.min), hi = tl_vf_set1(p->act.max);
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * x_row;
    for (int32_t oy = 0, pair; oy < p->out_h; oy += pair) {
      const int64_t iy0 = tl_geo_start(oy, 1, p->pad_top);
      float *yrow = y + ((int64_t)b * p->out_h + oy) * x_row;
      int32_t ky0, ky1;
      tl_geo_taps(iy0, 1, 3, p->in_h, &ky0, &ky1);
      /* two rows when this one and the next have all three kernel rows inside */
      pair = oy + 1 < p->out_h && ky0 == 0 && ky1 == 3 && iy0 + 4 <= p->in_h ? 2 : 1;
      const float *xr = xb + iy0 * x_row; /* kernel row 0's input row; only rows [ky0, ky1) are read */
      for (int64_t c = 0; c < vec_end; c += TL_VF_W) {
        if (pair == 2) {
          tl_dw3n_rows(yrow + c, xr + c, x_row, w + c, bias + c, ch, 0, 3, width, 2, lo, hi);
        } else {
          tl_dw3n_rows(yrow + c, xr + c, x_row, w + c, bias + c, ch, ky0, ky1, width, 1, lo, hi);
        }
      }
      for (int32_t r = 0; r < pair; r++) { /* the last channels */
        for (int32_t ox = 0; ox < width; ox++) {
          const int32_t kx0 = ox == 0, kx1 = ox + 1 < width ? 3 : 2;
          float *yp = yrow + r * x_row + (int64_t)ox * ch;
          int32_t r0, r1;
          tl_geo_taps(iy0 + r, 1, 3, p->in_h, &r0, &r1);
          for (int64_t c = vec_end; c < ch; c++) {
            float acc = bias[c];
            for (int32_t ky = r0; ky < r1; ky++) {
              const float *xq = xb + (iy0 + r + ky) * x_row + (int64_t)(ox - 1) * ch + c;
              for (int32_t kx = kx0; kx < kx1; kx++) acc += xq[kx * ch] * w[(3 * ky + kx) * ch + c];
            }
            yp[c] = acc < p->act.min ? p->act.min : (acc > p->act.max ? p->act.max : acc);
          }
        }
      }
    }
  }
}

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
