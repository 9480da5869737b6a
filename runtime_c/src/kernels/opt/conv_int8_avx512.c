/* conv_int8_avx512.c: the AVX-512 VNNI paths of int8 Conv2D and DepthwiseConv2D (the VNNI kernel sets'
 * im2col, conv_seg and dw_q; see struct tl_i8_kernels).
 *
 * What this is: Conv2D on the segmented packing reading the input rows in place (8-row tiles of one or two
 * panels, requantized in registers), the AVX-512 im2col of the other Conv2D, and DepthwiseConv2D 32 channels
 * per step with pairs of taps in vpdpwssd (16 channels in AVX2 where the BW/VL path does not apply). What this
 * is not: the op drivers (conv2d_int8_opt.c, depthwise_conv2d_int8_opt.c), which fall back to the generic
 * path when these return 0.
 */
#include "gemm_int8_internal.h"

#if defined(TL_I8_X86)
#include "../geometry.h"
#include "gemm_int8_avx512.h"

/* n bytes from src to dst, and up to 63 bytes of garbage after them (the caller writes them later or owns
 * them: TL_CONV_INT8_SCRATCH_SLACK): whole 64-byte stores, the source read with a masked load. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_copy_avx512(int8_t *dst, const int8_t *src, int64_t n) {
  if (n <= 16) { /* the short runs of few input channels: one 16-byte store */
    _mm_storeu_si128((__m128i *)(void *)dst, _mm_maskz_loadu_epi8((__mmask16)_bzhi_u32(0xFFFFu, (unsigned)n), src));
    return;
  }
  for (; n > 64; n -= 64, dst += 64, src += 64) _mm512_storeu_si512((void *)dst, _mm512_loadu_si512((const void *)src));
  _mm512_storeu_si512((void *)dst, _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)n), src));
}

TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_fill_avx512(int8_t *dst, __m512i v, int64_t n) {
  for (; n > 0; n -= 64, dst += 64) _mm512_storeu_si512((void *)dst, v);
}

/* tl_conv_int8_patch for `rows` consecutive output positions from pos0 into rows ld >= depth bytes apart (in
 * increasing order, so each copy's garbage tail is overwritten by the next one, or lies in [depth, ld) where
 * the packed weights are zero, or in the slack), with the moves above. Positions whose taps are all inside
 * copy k_h runs of k_w * in_c bytes; runs of at most 16 bytes are one 16-byte load when it stays within
 * the input (x_end). */
TL_I8_VNNIBW_ void tl_conv_int8_im2col_avx512(int8_t *dst, int64_t ld, const int8_t *xb, const int8_t *x_end,
                                              int64_t pos0, int32_t rows, int8_t zp, const tl_conv_params *g) {
  const int64_t in_c = g->in_c, row = (int64_t)g->k_w * in_c, x_row = (int64_t)g->in_w * in_c;
  const int32_t k_h = g->k_h, k_w = g->k_w, in_h = g->in_h, in_w = g->in_w, out_w = g->out_w;
  const int32_t dil_h = g->dilation_h, dil_w = g->dilation_w, s_h = g->stride_h, s_w = g->stride_w;
  const int64_t span_h = (int64_t)(k_h - 1) * dil_h; /* rows below iy0 that the taps reach */
  const __m512i zv = _mm512_set1_epi8((char)zp);
  const __mmask16 small = (__mmask16)_bzhi_u32(0xFFFFu, (unsigned)(row < 16 ? row : 16));
  int32_t oy = (int32_t)(pos0 / out_w), ox = (int32_t)(pos0 % out_w);
  for (int32_t r = 0; r < rows; r++, dst += ld) {
    const int64_t iy0 = tl_geo_start(oy, s_h, g->pad_top), ix0 = tl_geo_start(ox, s_w, g->pad_left);
    const int full_w = dil_w == 1 && ix0 >= 0 && ix0 + k_w <= in_w;
    if (++ox == out_w) ox = 0, oy++;
    if (full_w && iy0 >= 0 && iy0 + span_h < in_h) { /* every tap inside */
      const int8_t *src = xb + (int64_t)iy0 * x_row + (int64_t)ix0 * in_c;
      const int64_t step = (int64_t)dil_h * x_row;
      if (row <= 16) {
        for (int32_t ky = 0; ky < k_h; ky++, src += step) {
          const __m128i v = src + 16 <= x_end ? _mm_loadu_si128((const __m128i *)(const void *)src)
                                              : _mm_maskz_loadu_epi8(small, src);
          _mm_storeu_si128((__m128i *)(void *)(dst + ky * row), v);
        }
      } else {
        for (int32_t ky = 0; ky < k_h; ky++, src += step) tl_i8_copy_avx512(dst + ky * row, src, row);
      }
      continue;
    }
    int8_t *d = dst;
    for (int32_t ky = 0; ky < k_h; ky++, d += row) {
      const int64_t iy = iy0 + (int64_t)ky * dil_h;
      if (iy < 0 || iy >= in_h) {
        tl_i8_fill_avx512(d, zv, row);
        continue;
      }
      const int8_t *src = xb + (int64_t)iy * x_row; /* input row iy */
      if (full_w) {
        tl_i8_copy_avx512(d, src + (int64_t)ix0 * in_c, row);
        continue;
      }
      for (int32_t kx = 0; kx < k_w; kx++) {
        const int64_t ix = ix0 + (int64_t)kx * dil_w;
        if (ix < 0 || ix >= in_w)
          tl_i8_fill_avx512(d + kx * in_c, zv, in_c);
        else
          tl_i8_copy_avx512(d + kx * in_c, src + (int64_t)ix * in_c, in_c);
      }
    }
  }
}

/* tl_i8_vnni_tile over a segmented depth: row r's kernel row ky is sg whole groups at ap[r] + ky * ks[r]
 * (the input in place, or an im2col row in the segmented layout), the packed weights contiguous. `rows` and
 * `np` are constants in every instance (the accumulators c<row><panel> stay in registers). */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_tile_seg(const int32_t rows, const int32_t np, const int8_t *const *ap,
                                                    const int64_t *ks, int32_t kh, int32_t sg, const int8_t *b0,
                                                    const int8_t *b1, int8_t *y, int64_t ldy, const __m512i *corr,
                                                    const tl_rq16 *rq, const __mmask16 *live) {
  const __m512i i0 = corr[0], i1 = np > 1 ? corr[1] : corr[0];
  __m512i c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1;
  __m512i c40 = i0, c41 = i1, c50 = i0, c51 = i1, c60 = i0, c61 = i1, c70 = i0, c71 = i1;
  for (int32_t ky = 0; ky < kh; ky++) {
    const int8_t *a0 = ap[0] + ky * ks[0], *a1 = ap[rows > 1 ? 1 : 0] + ky * ks[rows > 1 ? 1 : 0];
    const int8_t *a2 = ap[rows > 2 ? 2 : 0] + ky * ks[rows > 2 ? 2 : 0];
    const int8_t *a3 = ap[rows > 3 ? 3 : 0] + ky * ks[rows > 3 ? 3 : 0];
    const int8_t *a4 = ap[rows > 4 ? 4 : 0] + ky * ks[rows > 4 ? 4 : 0];
    const int8_t *a5 = ap[rows > 5 ? 5 : 0] + ky * ks[rows > 5 ? 5 : 0];
    const int8_t *a6 = ap[rows > 6 ? 6 : 0] + ky * ks[rows > 6 ? 6 : 0];
    const int8_t *a7 = ap[rows > 7 ? 7 : 0] + ky * ks[rows > 7 ? 7 : 0];
    const int8_t *w0 = b0 + (int64_t)ky * sg * 64, *w1 = b1 + (int64_t)ky * sg * 64;
    for (int32_t g = 0; g < sg; g++) {
      const int64_t off = (int64_t)g * 4;
      const __m512i v0 = _mm512_loadu_si512((const void *)(w0 + (int64_t)g * 64));
      const __m512i v1 = np > 1 ? _mm512_loadu_si512((const void *)(w1 + (int64_t)g * 64)) : v0;
      tl_i8_vnni_dot(np, &c00, &c01, tl_i8_vnni_word(a0 + off), v0, v1);
      if (rows > 1) tl_i8_vnni_dot(np, &c10, &c11, tl_i8_vnni_word(a1 + off), v0, v1);
      if (rows > 2) tl_i8_vnni_dot(np, &c20, &c21, tl_i8_vnni_word(a2 + off), v0, v1);
      if (rows > 3) tl_i8_vnni_dot(np, &c30, &c31, tl_i8_vnni_word(a3 + off), v0, v1);
      if (rows > 4) tl_i8_vnni_dot(np, &c40, &c41, tl_i8_vnni_word(a4 + off), v0, v1);
      if (rows > 5) tl_i8_vnni_dot(np, &c50, &c51, tl_i8_vnni_word(a5 + off), v0, v1);
      if (rows > 6) tl_i8_vnni_dot(np, &c60, &c61, tl_i8_vnni_word(a6 + off), v0, v1);
      if (rows > 7) tl_i8_vnni_dot(np, &c70, &c71, tl_i8_vnni_word(a7 + off), v0, v1);
    }
  }
  tl_i8_vnni_store(np, y, c00, c01, rq, live);
  if (rows > 1) tl_i8_vnni_store(np, y + ldy, c10, c11, rq, live);
  if (rows > 2) tl_i8_vnni_store(np, y + 2 * ldy, c20, c21, rq, live);
  if (rows > 3) tl_i8_vnni_store(np, y + 3 * ldy, c30, c31, rq, live);
  if (rows > 4) tl_i8_vnni_store(np, y + 4 * ldy, c40, c41, rq, live);
  if (rows > 5) tl_i8_vnni_store(np, y + 5 * ldy, c50, c51, rq, live);
  if (rows > 6) tl_i8_vnni_store(np, y + 6 * ldy, c60, c61, rq, live);
  if (rows > 7) tl_i8_vnni_store(np, y + 7 * ldy, c70, c71, rq, live);
}

/* m rows (pointers ap, kernel-row strides ks) of one or two panels, 8-row tiles. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_rows_seg(const int32_t np, int8_t *y, int64_t ldy, const int8_t *const *ap,
                                                    const int64_t *ks, int32_t m, int32_t kh, int32_t sg,
                                                    const int8_t *b0, const int8_t *b1, const __m512i *corr,
                                                    const tl_rq16 *rq, const __mmask16 *live) {
  int32_t r0 = 0;
  for (; r0 + 8 <= m; r0 += 8)
    tl_i8_vnni_tile_seg(8, np, ap + r0, ks + r0, kh, sg, b0, b1, y + r0 * ldy, ldy, corr, rq, live);
  ap += r0;
  ks += r0;
  y += r0 * ldy;
  /* the remaining rows: each count its own instance */
  if (m - r0 == 1) tl_i8_vnni_tile_seg(1, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 2) tl_i8_vnni_tile_seg(2, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 3) tl_i8_vnni_tile_seg(3, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 4) tl_i8_vnni_tile_seg(4, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 5) tl_i8_vnni_tile_seg(5, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 6) tl_i8_vnni_tile_seg(6, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 7) tl_i8_vnni_tile_seg(7, np, ap, ks, kh, sg, b0, b1, y, ldy, corr, rq, live);
}

/* Conv2D on the segmented packing (tl_conv_int8_seg_mode): per block of positions, each row reads the input in
 * place when every tap is inside (and the last kernel row's whole groups end within the input), else an
 * im2col row in the segmented layout in scratch (exact copies: the zero point where a tap is outside). Returns
 * 0 (nothing written) when the requantization or a correction needs the general path. */
TL_I8_VNNIBW_ int tl_conv_int8_seg_run(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                                              const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const tl_requant_int8 *q = &p->out;
  const int32_t n = g->out_c, seg = g->k_w * g->in_c, segp = (seg + 3) / 4 * 4, kh = g->k_h, sg = segp / 4;
  const int32_t kpk = kh * segp; /* packed depth */
  const int64_t in_c = g->in_c, x_row = (int64_t)g->in_w * in_c, ks_in = (int64_t)g->dilation_h * x_row;
  const int64_t positions = (int64_t)g->out_h * g->out_w, span_h = (int64_t)(kh - 1) * g->dilation_h;
  const int64_t block = p->block_rows > 0 && p->block_rows < TL_CONV_INT8_BLOCK_ROWS ? p->block_rows
                                                                                     : TL_CONV_INT8_BLOCK_ROWS;
  const uint8_t *base = tl_i8_base(packed);
  const int64_t *corr = (const int64_t *)(const void *)(base + TL_I8_HEADER);
  const int8_t *panels = (const int8_t *)(corr + tl_i8_npad(&tl_i8_kernels_vnni_bw, n));
  const int64_t panel_bytes = 16 * (int64_t)kpk;
  const int8_t *ap[TL_CONV_INT8_BLOCK_ROWS];
  int64_t ks[TL_CONV_INT8_BLOCK_ROWS];
  int32_t inline_ok;
  __m512i c[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  memcpy(&inline_ok, base, sizeof inline_ok);
  if (!inline_ok) return 0;
  for (int32_t j = 0; j < n; j += 16)
    if (!tl_i8_corr32(&c[0], corr + j, kpk)) return 0;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row, *x_end = xb + (int64_t)g->in_h * x_row;
    int8_t *yb = y + (int64_t)b * positions * n;
    for (int64_t pos0 = 0; pos0 < positions; pos0 += block) {
      const int32_t rows = (int32_t)(positions - pos0 < block ? positions - pos0 : block);
      int32_t oy = (int32_t)(pos0 / g->out_w), ox = (int32_t)(pos0 % g->out_w);
      for (int32_t r = 0; r < rows; r++) {
        const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top), ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        const int8_t *src = xb + (int64_t)iy0 * x_row + (int64_t)ix0 * in_c; /* used when inside */
        if (ix0 >= 0 && ix0 + g->k_w <= g->in_w && iy0 >= 0 && iy0 + span_h < g->in_h &&
            (x_end - src) - span_h * x_row >= segp) {
          ap[r] = src;
          ks[r] = ks_in;
        } else {
          ap[r] = scratch + (int64_t)r * kpk;
          ks[r] = segp;
          tl_conv_int8_seg_row(scratch + (int64_t)r * kpk, xb, iy0, ix0, (int8_t)p->input_zp, g);
        }
        if (++ox == g->out_w) ox = 0, oy++;
      }
      int8_t *yblk = yb + pos0 * n;
      for (int32_t j0 = 0; j0 < n; j0 += 32) {
        const int32_t cols0 = n - j0 < 16 ? n - j0 : 16, cols1 = n - j0 - 16 <= 0 ? 0 : (n - j0 - 16 < 16 ? n - j0 - 16 : 16);
        const int8_t *b0 = panels + (int64_t)(j0 / 16) * panel_bytes;
        tl_rq16 rq[2];
        __mmask16 live[2];
        tl_i8_corr32(&c[0], corr + j0, kpk);
        live[0] = (__mmask16)((1u << cols0) - 1u);
        tl_rq16_init(&rq[0], q, j0, live[0]);
        if (cols1 > 0) {
          tl_i8_corr32(&c[1], corr + j0 + 16, kpk);
          live[1] = (__mmask16)((1u << cols1) - 1u);
          tl_rq16_init(&rq[1], q, j0 + 16, live[1]);
          tl_i8_vnni_rows_seg(2, yblk + j0, n, ap, ks, rows, kh, sg, b0, b0 + panel_bytes, c, rq, live);
        } else {
          live[1] = 0;
          tl_i8_vnni_rows_seg(1, yblk + j0, n, ap, ks, rows, kh, sg, b0, b0, c, rq, live);
        }
      }
    }
  }
  return 1;
}

/* One full block of 16 channels (c0 ..) over every output pixel: AVX2 sums as tl_dw8_sums16_avx2, started
 * at the bias in int32 and requantized in registers. Applies (returns 1) when |bias| + taps * 32640 stays
 * within int32 for these channels. */
TL_I8_VNNI_ static int tl_dw8_block_vnni(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias,
                                         int32_t c0, const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int64_t ch = g->in_c, x_row = (int64_t)g->in_w * ch;
  const int64_t x_dy = (int64_t)g->dilation_h * x_row, x_dx = (int64_t)g->dilation_w * ch, w_dy = (int64_t)g->k_w * ch;
  const int64_t bound = (int64_t)INT32_MAX - (int64_t)g->k_h * g->k_w * 32640;
  const __m512i b0 = _mm512_loadu_si512((const void *)(bias + c0));
  const __m512i b1 = _mm512_loadu_si512((const void *)(bias + c0 + 8));
  const __m256i zp = _mm256_set1_epi16((int16_t)p->input_zp);
  tl_rq16 rq;
  if (bound < 0 || _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(b0), _mm512_set1_epi64(bound)) ||
      _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(b1), _mm512_set1_epi64(bound)))
    return 0;
  const __m512i bias32 =
      _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(b0)), _mm512_cvtepi64_epi32(b1), 1);
  tl_rq16_init(&rq, &p->out, c0, (__mmask16)0xFFFF);
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row + c0;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      int32_t ky0, ky1;
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
      int8_t *yrow = y + ((int64_t)b * g->out_h + oy) * g->out_w * ch + c0;
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        const int64_t x_off = (int64_t)iy0 * x_row + (int64_t)ix0 * ch;
        int32_t kx0, kx1;
        tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
        __m256i lo = _mm256_setzero_si256(), hi = lo;
        for (int32_t ky = ky0; ky < ky1; ky++)
          for (int32_t kx = kx0; kx < kx1; kx++) {
            const int8_t *xp = xb + (x_off + ky * x_dy + kx * x_dx), *wp = w + c0 + ky * w_dy + kx * ch;
            const __m256i xv = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)xp)), zp);
            const __m256i pr = _mm256_mullo_epi16(xv, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wp)));
            lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(pr)));
            hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(pr, 1)));
          }
        const __m512i acc = _mm512_add_epi32(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), bias32);
        _mm_storeu_si128((__m128i *)(yrow + (int64_t)ox * ch), _mm512_cvtepi32_epi8(tl_rq16_apply(acc, &rq)));
      }
    }
  }
  return 1;
}

/* ---- DepthwiseConv2D, AVX-512 VNNI: 32 channels per step, pairs of taps ----
 * Each tap's 32 input bytes are loaded once (zp where the tap is outside the input or past the channels) and
 * sign-extended to int16; two taps interleaved (vpunpcklwd / vpunpckhwd) meet the packed weight pairs in
 * vpdpwssd, whose int32 lanes start at the folded bias (exact: |x * w| <= 16384). The lane order of the two
 * accumulators is undone by vpackssdw after the requantization (values already in [-128, 127]). */
typedef struct tl_dw8v {
  const int8_t *xb;   /* batch image at channel c0 */
  const uint8_t *blk; /* the channel block's packed data */
  int64_t x_row, ch, x_dy, x_dx;
  __mmask32 live;
  __m256i zp8;
  tl_rq16 rq[2];
} tl_dw8v;

/* Output pixel with its tap (0, 0) at input (iy0, ix0); taps (ky, kx) inside when ky in [ky0, ky1) and kx in
 * [kx0, kx1) (all of them when `full`). kh, kw: the kernel (constants in the 3x3 instance). */
/* Tap (ky, kx) of the pixel whose tap (0, 0) is at offset base: 32 channels sign-extended to int16, the zero
 * point where the tap is outside the input (inside: `full`, or ky in [ky0, ky1) and kx in [kx0, kx1)) or past
 * the channels. */
TL_I8_VNNIBW_ TL_I8_INLINE __m512i tl_dw8v_tap(const tl_dw8v *d, int64_t base, int32_t ky, int32_t kx, const int full,
                                               int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1) {
  const int inside = full || (ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1);
  const int64_t off = inside ? base + ky * d->x_dy + kx * d->x_dx : 0;
  return _mm512_cvtepi8_epi16(_mm256_mask_loadu_epi8(d->zp8, inside ? d->live : 0, d->xb + off));
}

/* Two taps' vectors into the accumulators with weight pair q. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_pair(__m512i *acc0, __m512i *acc1, __m512i xa, __m512i xb, const int8_t *wv,
                                             int32_t q) {
  *acc0 = _mm512_dpwssd_epi32(*acc0, _mm512_unpacklo_epi16(xa, xb), _mm512_loadu_si512((const void *)(wv + q * 128)));
  *acc1 = _mm512_dpwssd_epi32(*acc1, _mm512_unpackhi_epi16(xa, xb),
                              _mm512_loadu_si512((const void *)(wv + q * 128 + 64)));
}

TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_store(int8_t *yp, const tl_dw8v *d, __m512i acc0, __m512i acc1) {
  const __m512i v = _mm512_packs_epi32(tl_rq16_apply(acc0, &d->rq[0]), tl_rq16_apply(acc1, &d->rq[1]));
  _mm256_mask_storeu_epi8(yp, d->live, _mm512_cvtepi16_epi8(v));
}

/* Output pixel with its tap (0, 0) at input (iy0, ix0); taps (ky, kx) inside when ky in [ky0, ky1) and kx in
 * [kx0, kx1) (all of them when `full`). Any kernel size (the 3x3 one is spelled out: -O2 does not unroll
 * this loop). */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_pixel(int8_t *yp, const tl_dw8v *d, int64_t iy0, int64_t ix0, int32_t ky0,
                                            int32_t ky1, int32_t kx0, int32_t kx1, const int full, const int three,
                                            int32_t kh, int32_t kw) {
  const int8_t *wv = (const int8_t *)(d->blk + 192);
  __m512i acc0 = _mm512_loadu_si512((const void *)(d->blk + 64));
  __m512i acc1 = _mm512_loadu_si512((const void *)(d->blk + 128));
  const int64_t base = (int64_t)iy0 * d->x_row + (int64_t)ix0 * d->ch;
  if (three) {
    tl_dw8v_pair(&acc0, &acc1, tl_dw8v_tap(d, base, 0, 0, full, ky0, ky1, kx0, kx1),
                 tl_dw8v_tap(d, base, 0, 1, full, ky0, ky1, kx0, kx1), wv, 0);
    tl_dw8v_pair(&acc0, &acc1, tl_dw8v_tap(d, base, 0, 2, full, ky0, ky1, kx0, kx1),
                 tl_dw8v_tap(d, base, 1, 0, full, ky0, ky1, kx0, kx1), wv, 1);
    tl_dw8v_pair(&acc0, &acc1, tl_dw8v_tap(d, base, 1, 1, full, ky0, ky1, kx0, kx1),
                 tl_dw8v_tap(d, base, 1, 2, full, ky0, ky1, kx0, kx1), wv, 2);
    tl_dw8v_pair(&acc0, &acc1, tl_dw8v_tap(d, base, 2, 0, full, ky0, ky1, kx0, kx1),
                 tl_dw8v_tap(d, base, 2, 1, full, ky0, ky1, kx0, kx1), wv, 3);
    tl_dw8v_pair(&acc0, &acc1, tl_dw8v_tap(d, base, 2, 2, full, ky0, ky1, kx0, kx1), _mm512_setzero_si512(), wv,
                 4);
  } else {
    const int32_t taps = kh * kw;
    int32_t ky = 0, kx = 0; /* of tap t */
    for (int32_t t = 0; t < taps; t += 2) {
      const __m512i xa = tl_dw8v_tap(d, base, ky, kx, full, ky0, ky1, kx0, kx1);
      __m512i xb = _mm512_setzero_si512();
      if (++kx == kw) kx = 0, ky++;
      if (t + 1 < taps) {
        xb = tl_dw8v_tap(d, base, ky, kx, full, ky0, ky1, kx0, kx1);
        if (++kx == kw) kx = 0, ky++;
      }
      tl_dw8v_pair(&acc0, &acc1, xa, xb, wv, t / 2);
    }
  }
  tl_dw8v_store(yp, d, acc0, acc1);
}

/* Every output pixel of one block of channels; interior pixels take the unmasked-tap path. dp (16 channels,
 * stride 1: NULL otherwise): the same block with all 32 lanes live, lanes 16..31 being the next pixel's 16
 * channels (its taps are the 16 bytes after this pixel's), used for pairs of pixels whose taps are all inside
 * horizontally. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_image(int8_t *yb, const tl_dw8v *d, const tl_dw8v *dp, const tl_conv_params *g,
                                            int32_t ox_lo, int32_t ox_hi, const int three) {
  const int32_t kh = g->k_h, kw = g->k_w, out_w = g->out_w, s_w = g->stride_w, pad_left = g->pad_left;
  for (int32_t oy = 0; oy < g->out_h; oy++) {
    const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
    int32_t ky0, ky1;
    tl_geo_taps(iy0, g->dilation_h, kh, g->in_h, &ky0, &ky1);
    int8_t *yrow = yb + (int64_t)oy * out_w * d->ch;
    const int row_full = ky0 == 0 && ky1 == kh;
    for (int32_t ox = 0; ox < out_w;) {
      const int64_t ix0 = tl_geo_start(ox, s_w, pad_left);
      int8_t *yp = yrow + (int64_t)ox * d->ch;
      if (dp != NULL && ox >= ox_lo && ox + 1 < ox_hi) {
        if (row_full)
          tl_dw8v_pixel(yp, dp, iy0, ix0, 0, kh, 0, kw, 1, three, kh, kw);
        else
          tl_dw8v_pixel(yp, dp, iy0, ix0, ky0, ky1, 0, kw, 0, three, kh, kw);
        ox += 2;
        continue;
      }
      if (row_full && ox >= ox_lo && ox < ox_hi) {
        tl_dw8v_pixel(yp, d, iy0, ix0, 0, kh, 0, kw, 1, three, kh, kw);
      } else {
        int32_t kx0, kx1;
        tl_geo_taps(ix0, g->dilation_w, kw, g->in_w, &kx0, &kx1);
        tl_dw8v_pixel(yp, d, iy0, ix0, ky0, ky1, kx0, kx1, 0, three, kh, kw);
      }
      ox++;
    }
  }
}

/* Channels [0, done) through the VNNI blocks whose folded bias fits; returns done (a multiple of 32, or ch). */
TL_I8_VNNIBW_ static int32_t tl_dw8_vnni(int8_t *y, const int8_t *x, const uint8_t *vnni, const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const tl_requant_int8 *q = &p->out;
  const int32_t ch = g->in_c;
  const size_t block_bytes = tl_dw8_vnni_block_bytes(g->k_h * g->k_w);
  const __m512i idx0 = _mm512_set_epi32(27, 26, 25, 24, 19, 18, 17, 16, 11, 10, 9, 8, 3, 2, 1, 0);
  const __m512i idx1 = _mm512_add_epi32(idx0, _mm512_set1_epi32(4));
  int32_t ox_lo = 0, ox_hi = 0; /* output columns whose taps are all inside horizontally */
  const int pair = ch == 16 && g->stride_w == 1 && g->dilation_w == 1; /* two pixels per vector */
  tl_dw8v d, dp;
  for (int32_t ox = 0; ox < g->out_w; ox++) {
    const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
    int32_t kx0, kx1;
    tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
    if (kx0 == 0 && kx1 == g->k_w) {
      if (ox_hi == 0) ox_lo = ox;
      ox_hi = ox + 1;
    }
  }
  d.x_row = (int64_t)g->in_w * ch;
  d.ch = ch;
  d.x_dy = (int64_t)g->dilation_h * d.x_row;
  d.x_dx = (int64_t)g->dilation_w * ch;
  d.zp8 = _mm256_set1_epi8((char)p->input_zp);
  int32_t c0 = 0;
  for (; c0 < ch; c0 += TL_DW8_VB) {
    const uint8_t *blk = vnni + (size_t)(c0 / TL_DW8_VB) * block_bytes;
    const int32_t cols = ch - c0 < TL_DW8_VB ? ch - c0 : TL_DW8_VB;
    int32_t ok;
    memcpy(&ok, blk, sizeof ok);
    if (!ok) break;
    d.blk = blk;
    d.live = cols == 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << cols) - 1u);
    if (q->channels > 1) {
      const __mmask16 l0 = (__mmask16)d.live, l1 = (__mmask16)(d.live >> 16);
      const __m512i m0 = _mm512_maskz_loadu_epi32(l0, q->multipliers + c0);
      const __m512i s0 = _mm512_maskz_loadu_epi32(l0, q->shifts + c0);
      const __m512i m1 = pair ? m0 : _mm512_maskz_loadu_epi32(l1, q->multipliers + c0 + 16);
      const __m512i s1 = pair ? s0 : _mm512_maskz_loadu_epi32(l1, q->shifts + c0 + 16);
      tl_rq16_init_ms(&d.rq[0], _mm512_permutex2var_epi32(m0, idx0, m1), _mm512_permutex2var_epi32(s0, idx0, s1), q);
      tl_rq16_init_ms(&d.rq[1], _mm512_permutex2var_epi32(m0, idx1, m1), _mm512_permutex2var_epi32(s0, idx1, s1), q);
    } else {
      tl_rq16_init_ms(&d.rq[0], _mm512_set1_epi32(q->multiplier), _mm512_set1_epi32(q->shift), q);
      d.rq[1] = d.rq[0];
    }
    for (int32_t b = 0; b < g->batch; b++) {
      int8_t *yb = y + (int64_t)b * g->out_h * g->out_w * ch + c0;
      d.xb = x + (int64_t)b * g->in_h * d.x_row + c0;
      if (pair) {
        dp = d;
        dp.live = (__mmask32)0xFFFFFFFFu;
      }
      if (g->k_h == 3 && g->k_w == 3)
        tl_dw8v_image(yb, &d, pair ? &dp : NULL, g, ox_lo, ox_hi, 1);
      else
        tl_dw8v_image(yb, &d, pair ? &dp : NULL, g, ox_lo, ox_hi, 0);
    }
  }
  return c0 < ch ? c0 : ch;
}

/* struct tl_i8_kernels.dw_q: blocks of 16 channels in AVX2 sums (VNNI without BW/VL); with BW/VL the 32-channel
 * blocks first. */
int32_t tl_dw8_q_vnni(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias, const tl_conv_int8_params *p) {
  int32_t c0 = 0;
  while (c0 + 16 <= p->geom.in_c && tl_dw8_block_vnni(y, x, w, bias, c0, p)) c0 += 16;
  return c0;
}

int32_t tl_dw8_q_vnni_bw(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias,
                         const tl_conv_int8_params *p) {
  const size_t bias_bytes = (size_t)(((int64_t)p->geom.in_c + 15) / 16 * 16) * sizeof(int64_t);
  int32_t c0 = tl_dw8_vnni(y, x, (const uint8_t *)bias + bias_bytes, p);
  while (c0 + 16 <= p->geom.in_c && tl_dw8_block_vnni(y, x, w, bias, c0, p)) c0 += 16;
  return c0;
}
#endif
