/* conv_rows_opt.c: float32 Conv2D with few input channels (the first convolution of image and audio models:
 * 3x3 stride 2 over RGB, 10x4 over one channel) on the indirect path's tiles, walked output row by output
 * row (tl_conv_rows_f32; conv_opt.c calls it at the AVX2 level when in_c <= TL_CONV_ROWS_MAX_IN_C).
 *
 * Why: with k = k_h * k_w * in_c of 9..40, one tile of six positions is only a few hundred FMAs, and the
 * indirect path's per-position sorting into queues (conv_opt.c, tl_conv_ind_rows) cost as much as the tile
 * itself (40% of MobileNet's first convolution). Here the inside positions of an output row are known from
 * the geometry, so they go to the direct tile in runs of six consecutive positions with no per-position
 * test, and only the few positions whose window touches the padding (the row's ends, the border rows) get
 * a table of tap pointers (zeros where a tap is in the padding) for the indirect tile.
 * What this is not: the tiles (gemm_avx2.c) or the choice of path (conv_opt.c).
 *
 * Same bits as tl_conv_ind_rows for every output: the same two tiles, whose arithmetic per output (bias,
 * one FMA per k in the weights' order, a zero tap adding 0 * w, the clamp) does not depend on the tile's
 * other rows; and every cut of the positions (the threads' parts) gives the same bits as one call.
 */
#include <stdint.h>
#include <string.h>

#include "../geometry.h"
#include "opt_f32_internal.h"

/* Positions [ox, ox + n) of output row oy (n <= TL_CONV_IND_MR), all with a tap in the padding: one table of
 * tap pointers (the input at the tap, or the zero row) and the indirect tile per panel, stored in place. */
static void tl_conv_rows_edge(float *yrow, const float *xb, const float *zero, const float *packed,
                              const tl_conv_params *p, const tl_f32_kernels *ks, int32_t oy, int32_t ox, int32_t n,
                              int32_t panel0, int32_t last) {
  const int32_t taps = p->k_h * p->k_w, k = taps * p->in_c, nr = ks->nr;
  const float *ind[TL_CONV_ROWS_MAX_TAPS * TL_CONV_IND_MR];
  const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
  for (int32_t i = 0; i < n; i++) {
    const int64_t ix0 = tl_geo_start(ox + i, p->stride_w, p->pad_left);
    const float **slot = ind + i;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
      const int64_t iy = iy0 + (int64_t)ky * p->dilation_h;
      const int row_in = iy >= 0 && iy < p->in_h;
      const float *xr = xb + (row_in ? iy : 0) * p->in_w * p->in_c;
      for (int32_t kx = 0; kx < p->k_w; kx++, slot += TL_CONV_IND_MR) {
        const int64_t ix = ix0 + (int64_t)kx * p->dilation_w;
        *slot = row_in && ix >= 0 && ix < p->in_w ? xr + ix * p->in_c : zero;
      }
    }
  }
  for (int32_t jp = panel0; jp < last; jp++) {
    const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
    ks->conv_ind_tile(ind, n, taps, p->in_c, packed + (int64_t)jp * (k + 1) * nr, yrow + (int64_t)ox * p->out_c + jp * nr,
                      p->out_c, cols, p->act);
  }
}

/* Positions [ox, ox + count) of output row oy, all with their windows inside: runs of up to TL_CONV_IND_MR
 * consecutive positions through the direct tile (row i of a run read at a[i] + off[0 .. k - 1]). */
static void tl_conv_rows_inside(float *yrow, const float *xb, const int32_t *off, const float *packed,
                                const tl_conv_params *p, const tl_f32_kernels *ks, int32_t oy, int32_t ox,
                                int32_t count, int32_t panel0, int32_t last) {
  const int32_t k = p->k_h * p->k_w * p->in_c, nr = ks->nr;
  const int64_t step = (int64_t)p->stride_w * p->in_c; /* input floats between neighbouring positions */
  const float *at = xb + (tl_geo_start(oy, p->stride_h, p->pad_top) * p->in_w +
                          tl_geo_start(ox, p->stride_w, p->pad_left)) * p->in_c;
  const float *a[TL_CONV_IND_MR];
  if (ks->conv_ind_tile == tl_conv_ind_tile_f32_avx2 && p->in_c == 3 && p->k_h == 3 && p->k_w == 3 &&
      p->dilation_w == 1) { /* the RGB 3x3 convolution: the whole run per panel (conv_rows_avx2.c) */
    const int64_t x_dy = (int64_t)p->dilation_h * p->in_w * p->in_c;
    int32_t jp = panel0;
    for (; jp < last; jp++) {
      const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
      if (!tl_conv_rows_c3_avx2(yrow + (int64_t)ox * p->out_c + jp * nr, at, x_dy, p->stride_w, count,
                                packed + (int64_t)jp * (k + 1) * nr, p->out_c, cols, p->act)) {
        break;
      }
    }
    if (jp == last) return;
    panel0 = jp; /* the panels it does not take: the direct tile below */
  }
  for (int32_t done = 0; done < count; done += TL_CONV_IND_MR) {
    const int32_t n = count - done < TL_CONV_IND_MR ? count - done : TL_CONV_IND_MR;
    for (int32_t i = 0; i < n; i++, at += step) a[i] = at;
    for (int32_t jp = panel0; jp < last; jp++) {
      const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
      ks->conv_tile(a, off, n, k, packed + (int64_t)jp * (k + 1) * nr, yrow + (int64_t)(ox + done) * p->out_c + jp * nr,
                    p->out_c, cols, p->act);
    }
  }
}

/* Positions [ox, ox + count) of output row oy with a tap in the padding, in runs of TL_CONV_IND_MR. */
static void tl_conv_rows_edges(float *yrow, const float *xb, const float *zero, const float *packed,
                               const tl_conv_params *p, const tl_f32_kernels *ks, int32_t oy, int32_t ox,
                               int32_t count, int32_t panel0, int32_t last) {
  for (int32_t done = 0; done < count; done += TL_CONV_IND_MR) {
    const int32_t n = count - done < TL_CONV_IND_MR ? count - done : TL_CONV_IND_MR;
    tl_conv_rows_edge(yrow, xb, zero, packed, p, ks, oy, ox + done, n, panel0, last);
  }
}

void tl_conv_rows_f32(float *yb, const float *xb, const float *packed, float *scratch, const tl_conv_params *p,
                      const tl_f32_kernels *ks, int64_t pos0, int64_t rows, int32_t panel0, int32_t panel1) {
  const int32_t in_c = p->in_c, nr = ks->nr;
  const int32_t panels = (p->out_c + nr - 1) / nr, last = panel1 < panels ? panel1 : panels;
  float *zero = scratch; /* [in_c] zeros, then the taps' offsets [k] */
  int32_t *off = (int32_t *)(void *)(scratch + in_c);
  int32_t oy_lo, oy_hi, ox_lo, ox_hi; /* output rows and columns whose windows are inside the input */
  if (last <= panel0 || rows <= 0) return;
  memset(zero, 0, (size_t)in_c * sizeof(float));
  tl_conv_inside_ranges(p, &oy_lo, &oy_hi, &ox_lo, &ox_hi);
  tl_conv_tap_offsets(off, p);
  int32_t oy = (int32_t)(pos0 / p->out_w), ox = (int32_t)(pos0 % p->out_w);
  for (int64_t left = rows; left > 0; oy++, ox = 0) {
    /* this output row's part: columns [ox, end) */
    const int32_t end = (int64_t)(p->out_w - ox) < left ? p->out_w : ox + (int32_t)left;
    float *yrow = yb + (int64_t)oy * p->out_w * p->out_c;
    left -= end - ox;
    if (oy < oy_lo || oy >= oy_hi || ox_hi <= ox_lo) {
      tl_conv_rows_edges(yrow, xb, zero, packed, p, ks, oy, ox, end - ox, panel0, last);
      continue;
    }
    const int32_t in0 = ox > ox_lo ? ox : ox_lo, in1 = end < ox_hi ? end : ox_hi; /* inside: [in0, in1) */
    if (in1 <= in0) {
      tl_conv_rows_edges(yrow, xb, zero, packed, p, ks, oy, ox, end - ox, panel0, last);
      continue;
    }
    tl_conv_rows_edges(yrow, xb, zero, packed, p, ks, oy, ox, in0 - ox, panel0, last);
    tl_conv_rows_inside(yrow, xb, off, packed, p, ks, oy, in0, in1 - in0, panel0, last);
    tl_conv_rows_edges(yrow, xb, zero, packed, p, ks, oy, in1, end - in1, panel0, last);
  }
}
