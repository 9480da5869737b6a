/* conv_indirect_opt.c: the indirect path of the optimized float32 Conv2D (levels with its tile: AVX2), split
 * from conv_opt.c, whose drivers (tl_conv2d_f32_opt, tl_conv2d_f32_opt_part) choose it: every convolution but
 * the pointwise one reads its inputs in place through per-position tap pointers (no im2col copies), thin
 * images with windows in the padding through a zero-padded copy, and the first convolutions of a few input
 * channels take the output-row walk (conv_rows_opt.c). Declarations in opt_f32_internal.h. */
#include <stdint.h>
#include <string.h>

#include "../geometry.h"
#include "opt_f32_internal.h"

/* The indirect path (levels with its tile: AVX2): every convolution but the pointwise one, with at most
 * TL_CONV_IND_MAX_TAPS taps. */
#define TL_CONV_IND_MAX_TAPS 49
int tl_conv_is_indirect(const tl_conv_params *p, const tl_f32_kernels *ks) {
  return ks->conv_ind_tile != NULL && ks->conv_tile != NULL && ks->nr == 16 &&
         !tl_conv2d_f32_opt_is_pointwise(p) && (int64_t)p->k_h * p->k_w <= TL_CONV_IND_MAX_TAPS;
}

/* The indirect path's convolutions with few input channels (the first convolution of a model) take the
 * output-row walk over the same tiles (conv_rows_opt.c) when each output row has at least two tiles of
 * inside positions: the walk's tiles do not span rows, and on narrow outputs (DS-CNN's 25x5, 3 inside
 * columns) the indirect path's queues, which fill whole tiles across rows, are faster (13 vs 17 us). */
int tl_conv_is_rows(const tl_conv_params *p, const tl_f32_kernels *ks) {
  return tl_conv_is_indirect(p, ks) && p->in_c <= TL_CONV_ROWS_MAX_IN_C &&
         (int64_t)p->k_h * p->k_w <= TL_CONV_ROWS_MAX_TAPS &&
         tl_conv_inside_count(p->out_w, p->in_w, p->k_w, p->stride_w, p->dilation_w, p->pad_left) >=
             2 * TL_CONV_IND_MR;
}

/* What the groups of the indirect path share (tl_conv_ind_rows). */
typedef struct tl_conv_ind {
  const tl_conv_params *p;
  const tl_f32_kernels *ks;
  const float *xb, *packed, *zero;
  const int32_t *off; /* [k]: the taps' offsets in the input (the direct tile's table) */
  float *yb;
  int32_t taps, k, panel0, last;
} tl_conv_ind;

/* Output positions (oy[i], ox[i]) for i < n (at most TL_CONV_IND_MR), all with their windows inside the
 * input (inside) or all touching the padding: each panel's tile, stored in place when the positions are
 * consecutive, else through a [n, 16] buffer copied to each position's row. */
static void tl_conv_ind_group(const tl_conv_ind *g, int inside, const int32_t *oy, const int32_t *ox, int32_t n) {
  const tl_conv_params *p = g->p;
  const int32_t in_c = p->in_c, nr = g->ks->nr;
  const float *ind[TL_CONV_IND_MAX_TAPS * TL_CONV_IND_MR];
  const float *a[TL_CONV_IND_MR];
  float part[TL_CONV_IND_MR * 16];
  const int64_t first = (int64_t)oy[0] * p->out_w + ox[0];
  const int consecutive = (int64_t)oy[n - 1] * p->out_w + ox[n - 1] - first == n - 1;
  for (int32_t i = 0; i < n; i++) {
    const int64_t iy0 = tl_geo_start(oy[i], p->stride_h, p->pad_top);
    const int64_t ix0 = tl_geo_start(ox[i], p->stride_w, p->pad_left);
    if (inside) {
      a[i] = g->xb + (iy0 * p->in_w + ix0) * in_c;
      continue;
    }
    const float **slot = ind + i;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
      const int64_t iy = iy0 + (int64_t)ky * p->dilation_h;
      const int row_in = iy >= 0 && iy < p->in_h;
      const float *xr = g->xb + (row_in ? iy : 0) * p->in_w * in_c;
      for (int32_t kx = 0; kx < p->k_w; kx++, slot += TL_CONV_IND_MR) {
        const int64_t ix = ix0 + (int64_t)kx * p->dilation_w;
        *slot = row_in && ix >= 0 && ix < p->in_w ? xr + ix * in_c : g->zero;
      }
    }
  }
  for (int32_t jp = g->panel0; jp < g->last; jp++) {
    const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
    const float *panel = g->packed + (int64_t)jp * (g->k + 1) * nr;
    float *c = consecutive ? g->yb + first * p->out_c + (int64_t)jp * nr : part;
    const int64_t ldc = consecutive ? p->out_c : 16;
    if (inside) {
      g->ks->conv_tile(a, g->off, n, g->k, panel, c, ldc, cols, p->act);
    } else {
      g->ks->conv_ind_tile(ind, n, g->taps, in_c, panel, c, ldc, cols, p->act);
    }
    if (!consecutive) {
      for (int32_t i = 0; i < n; i++) {
        tl_copy_floats(g->yb + ((int64_t)oy[i] * p->out_w + ox[i]) * p->out_c + (int64_t)jp * nr, part + i * 16,
                       cols);
      }
    }
  }
}

/* The indirect path's own scratch: in_c zeros, one patch and the offset table (tl_conv_ind_rows). */
static int64_t tl_conv_ind_scratch_floats(const tl_conv_params *p) {
  return (int64_t)p->in_c + 2 * (int64_t)p->k_h * p->k_w * p->in_c;
}

/* The zero-padded image of a convolution on the indirect path: rows and columns as the output's windows
 * span them, (out - 1) * stride + (k - 1) * dilation + 1 (the padding on both sides, less what no window
 * reaches). */
static int64_t tl_conv_padded_dim(int32_t out, int32_t k, int32_t stride, int32_t dilation) {
  return (int64_t)(out - 1) * stride + (int64_t)(k - 1) * dilation + 1;
}

/* Thin inputs (DS-CNN's 49x10x1 under a 10x4 kernel) with windows in the padding take a zero-padded copy of
 * the image, made per call after the indirect path's scratch, where it fits in the smallest scratch the op
 * asks for (TL_CONV_MIN_BLOCK_ROWS positions: no other size is planned), and not on the row walk's
 * convolutions (conv_rows_opt.c). On the copy every window lies inside: one tap table for all positions and
 * tiles of consecutive positions (the VALID branch below), where the padded positions each took a table of
 * k_h * k_w pointers built per call (45% of DS-CNN's first convolution). The same bits: the padded positions'
 * tile (conv_ind_tile) read a row of zeros at each tap in the padding, the copy has the zeros in place, and
 * both tiles compute bias, one FMA per k in the weights' order, the clamp. */
static int tl_conv_is_padded(const tl_conv_params *p) {
  int32_t oy_lo, oy_hi, ox_lo, ox_hi;
  if (p->in_c > TL_CONV_ROWS_MAX_IN_C || p->pad_top < 0 || p->pad_left < 0 || p->out_h < 1 || p->out_w < 1) return 0;
  tl_conv_inside_ranges(p, &oy_lo, &oy_hi, &ox_lo, &ox_hi);
  if (oy_lo == 0 && ox_lo == 0 && oy_hi >= p->out_h && ox_hi >= p->out_w) return 0; /* nothing in the padding */
  const int64_t h = tl_conv_padded_dim(p->out_h, p->k_h, p->stride_h, p->dilation_h);
  const int64_t w = tl_conv_padded_dim(p->out_w, p->k_w, p->stride_w, p->dilation_w);
  if (h > INT32_MAX / 2 || w > INT32_MAX / 2) return 0;
  return tl_conv_ind_scratch_floats(p) + h * w * p->in_c <=
         (int64_t)tl_conv2d_f32_opt_scratch_floats(p, TL_CONV_MIN_BLOCK_ROWS);
}

/* Writes the zero-padded copy of image xb (tl_conv_is_padded) to dst and *q = p on it (no padding). */
static const float *tl_conv_pad_image(float *dst, const float *xb, const tl_conv_params *p, tl_conv_params *q) {
  const int32_t h = (int32_t)tl_conv_padded_dim(p->out_h, p->k_h, p->stride_h, p->dilation_h);
  const int32_t w = (int32_t)tl_conv_padded_dim(p->out_w, p->k_w, p->stride_w, p->dilation_w);
  const int64_t in_c = p->in_c, row = (int64_t)w * in_c;
  /* the input's first rows and columns that land in the copy (windows may stop short of the input's end) */
  const int32_t rows = p->in_h < h - p->pad_top ? p->in_h : (h - p->pad_top > 0 ? h - p->pad_top : 0);
  const int32_t cols = p->in_w < w - p->pad_left ? p->in_w : (w - p->pad_left > 0 ? w - p->pad_left : 0);
  memset(dst, 0, (size_t)h * (size_t)row * sizeof(float));
  for (int32_t iy = 0; iy < rows && cols > 0; iy++) {
    memcpy(dst + ((int64_t)(iy + p->pad_top) * w + p->pad_left) * in_c, xb + (int64_t)iy * p->in_w * in_c,
           (size_t)cols * (size_t)in_c * sizeof(float));
  }
  *q = *p;
  q->in_h = h;
  q->in_w = w;
  q->pad_top = 0;
  q->pad_left = 0;
  return dst;
}

/* Output positions [pos0, pos0 + rows) of one image, panels [panel0, panel1), by the indirect path; scratch:
 * in_c + 2 * k_h * k_w * in_c floats at least (zeros, one patch, the offset table), then the zero-padded image
 * where tl_conv_is_padded (which holds only when the smallest planned scratch has room for it). Thin images
 * with the padded copy run all positions as the VALID branch below. Algorithm (XNNPACK's
 * indirect convolution, with the indirection built per group instead of at prepare, so the input may move
 * between invokes): the positions are sorted, in order, into two queues of up to TL_CONV_IND_MR: those whose
 * windows lie inside the input and those touching the padding. A full queue (and, at the end, each rest)
 * is one tile's rows. Inside rows read the input in place at one table of the k taps' offsets (the direct
 * tile: a flat loop over k); padding rows get a table of one pointer per (tap, row): the input at that tap,
 * or a row of in_c zeros (the start of scratch) where it falls in the padding, and the tile reads each tap's
 * in_c channels there. No patch is copied (SAME convolutions no longer go through im2col), and the edge
 * positions of every output row no longer slow the inside ones down. Same bits as the im2col and direct
 * paths it replaces: each output's arithmetic in these tiles (bias, one FMA per k in the weights' order, the
 * clamp) does not depend on the tile's other rows, a zero tap adds 0 * w as the copied zeros did, and the
 * one exception keeps its path: when a convolution that went through im2col (not direct) had a one-row last
 * tile (rows % 6 == 1), that position still goes through the GEMM's one-row tile (k in four partial chains). */
void tl_conv_ind_rows(float *yb, const float *xb, const float *packed, float *scratch, const tl_conv_params *p,
                      const tl_f32_kernels *ks, int64_t pos0, int64_t rows, int32_t panel0, int32_t panel1, int direct) {
  tl_conv_params padded; /* p on the zero-padded copy of the image, where it is made (tl_conv_pad_image) */
  if (tl_conv_is_padded(p)) {
    xb = tl_conv_pad_image(scratch + tl_conv_ind_scratch_floats(p), xb, p, &padded);
    p = &padded;
  }
  const int32_t taps = p->k_h * p->k_w, in_c = p->in_c, k = taps * in_c, nr = ks->nr;
  const int32_t panels = (p->out_c + nr - 1) / nr, last = panel1 < panels ? panel1 : panels;
  float *zero = scratch, *patch = scratch + in_c; /* [in_c] zeros, then one patch [k] */
  int32_t *off = (int32_t *)(void *)(scratch + in_c + k);
  int32_t qy[2][TL_CONV_IND_MR], qx[2][TL_CONV_IND_MR], qn[2] = {0, 0}; /* the queues: [0] inside, [1] not */
  int32_t oy_lo, oy_hi, ox_lo, ox_hi; /* output rows and columns whose windows are inside the input */
  int32_t oy = (int32_t)(pos0 / p->out_w), ox = (int32_t)(pos0 % p->out_w);
  tl_conv_ind g;
  if (last <= panel0 || rows <= 0) return;
  memset(zero, 0, (size_t)in_c * sizeof(float));
  tl_conv_inside_ranges(p, &oy_lo, &oy_hi, &ox_lo, &ox_hi);
  tl_conv_tap_offsets(off, p);
  if (!direct && rows % TL_CONV_IND_MR == 1) { /* the im2col path's one-row last tile */
    const int64_t pos = pos0 + rows - 1;
    tl_gemm_f32_args one;
    tl_conv_patch(patch, xb, (int32_t)(pos / p->out_w), (int32_t)(pos % p->out_w), p);
    one.m = 1;
    one.n = p->out_c;
    one.k = k;
    one.a = patch;
    one.lda = k;
    one.b_packed = packed;
    one.c = yb + pos * p->out_c;
    one.ldc = p->out_c;
    one.act = p->act;
    tl_gemm_f32_part(&one, ks->isa, 0, 1, panel0, panel1);
    rows--;
  }
  if (oy_lo == 0 && ox_lo == 0 && oy_hi >= p->out_h && ox_hi >= p->out_w) {
    /* every window inside (VALID padding): consecutive groups, no per-position test */
    const int64_t step = (int64_t)p->stride_w * in_c; /* input floats between neighbouring positions */
    const float *a[TL_CONV_IND_MR];
    int64_t at = ((int64_t)oy * p->stride_h * p->in_w + (int64_t)ox * p->stride_w) * in_c;
    for (int64_t r = 0; r < rows; r += TL_CONV_IND_MR) {
      const int32_t n = (int32_t)(rows - r < TL_CONV_IND_MR ? rows - r : TL_CONV_IND_MR);
      tl_conv_valid_windows(a, n, xb, &at, step, &oy, &ox, p);
      for (int32_t jp = panel0; jp < last; jp++) {
        const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
        ks->conv_tile(a, off, n, k, packed + (int64_t)jp * (k + 1) * nr, yb + (pos0 + r) * p->out_c + (int64_t)jp * nr,
                      p->out_c, cols, p->act);
      }
    }
    return;
  }
  g.p = p;
  g.ks = ks;
  g.xb = xb;
  g.packed = packed;
  g.zero = zero;
  g.off = off;
  g.yb = yb;
  g.taps = taps;
  g.k = k;
  g.panel0 = panel0;
  g.last = last;
  for (int64_t r = 0; r < rows; r++) {
    const int q = !((oy >= oy_lo) & (oy < oy_hi) & (ox >= ox_lo) & (ox < ox_hi));
    qy[q][qn[q]] = oy;
    qx[q][qn[q]] = ox;
    if (++qn[q] == TL_CONV_IND_MR) {
      tl_conv_ind_group(&g, !q, qy[q], qx[q], TL_CONV_IND_MR);
      qn[q] = 0;
    }
    if (++ox == p->out_w) {
      ox = 0;
      oy++;
    }
  }
  for (int q = 0; q < 2; q++) {
    if (qn[q] > 0) tl_conv_ind_group(&g, !q, qy[q], qx[q], qn[q]);
  }
}
