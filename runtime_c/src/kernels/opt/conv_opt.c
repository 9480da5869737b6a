/* conv_opt.c: optimized float32 Conv2D on the packed GEMM (see opt_kernels.h).
 *
 * At the AVX2 level every convolution but the pointwise one takes the indirect path (tl_conv_ind_rows, no
 * copies); the description below is that of the other levels.
 *
 * What this is: the convolution as C[positions, out_c] = patches[positions, k_h*k_w*in_c] * w^T, with the
 * OHWI weights (already [out_c, k_h*k_w*in_c]) packed once. A 1x1 stride-1 unpadded convolution's patches
 * are the input itself; otherwise blocks of output positions (as many as the scratch holds) are copied (im2col, zeros
 * where a tap falls outside the input) into the caller's scratch and multiplied. What this is not: the
 * specification (tl_conv2d_f32) or depthwise convolution.
 */
#include <stdint.h>
#include <string.h>

#include "../geometry.h"
#include "opt_f32_internal.h"

int tl_conv2d_f32_opt_is_pointwise(const tl_conv_params *p) {
  return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
         p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

static int64_t tl_conv_depth(const tl_conv_params *p) { return (int64_t)p->k_h * p->k_w * p->in_c; }

size_t tl_conv2d_f32_opt_packed_floats(const tl_conv_params *p, tl_isa isa) {
  return tl_gemm_packed_floats(isa, p->out_c, (int32_t)tl_conv_depth(p));
}

size_t tl_conv2d_f32_opt_scratch_floats(const tl_conv_params *p, int64_t rows) {
  if (tl_conv2d_f32_opt_is_pointwise(p)) return 0;
  const int64_t positions = (int64_t)p->out_h * p->out_w;
  if (rows > TL_CONV_BLOCK_ROWS) rows = TL_CONV_BLOCK_ROWS;
  if (rows > positions) rows = positions;
  return (size_t)(rows + 2) * (size_t)tl_conv_depth(p); /* + 2: the direct path's offset tables */
}

int64_t tl_conv2d_f32_opt_block_rows(const tl_conv_params *p, size_t floats) {
  const int64_t positions = (int64_t)p->out_h * p->out_w, depth = tl_conv_depth(p);
  int64_t rows = depth > 0 ? (int64_t)(floats / (size_t)depth) - 2 : 0;
  if (rows > TL_CONV_BLOCK_ROWS) rows = TL_CONV_BLOCK_ROWS;
  if (rows >= positions) return positions;
  return rows >= TL_GEMM_ROW_ALIGN ? rows / TL_GEMM_ROW_ALIGN * TL_GEMM_ROW_ALIGN : (rows > 0 ? rows : 1);
}

void tl_conv2d_f32_opt_pack(float *packed, const float *w, const float *bias, const tl_conv_params *p,
                            tl_isa isa) {
  tl_gemm_pack_f32(packed, w, bias, p->out_c, (int32_t)tl_conv_depth(p), isa);
}

/* Copies n floats; short runs (the taps of a few input channels) inline rather than through memcpy. */
static inline void tl_copy_floats(float *dst, const float *src, int64_t n) {
  switch (n) { /* constant sizes: the compiler turns each into one or two moves */
    case 1: memcpy(dst, src, 1 * sizeof(float)); return;
    case 2: memcpy(dst, src, 2 * sizeof(float)); return;
    case 3: memcpy(dst, src, 3 * sizeof(float)); return;
    case 4: memcpy(dst, src, 4 * sizeof(float)); return;
    case 6: memcpy(dst, src, 6 * sizeof(float)); return;
    case 8: memcpy(dst, src, 8 * sizeof(float)); return;
    case 9: memcpy(dst, src, 9 * sizeof(float)); return;
    case 12: memcpy(dst, src, 12 * sizeof(float)); return;
    case 16: memcpy(dst, src, 16 * sizeof(float)); return;
    default: break;
  }
  if (n >= 32) {
    memcpy(dst, src, (size_t)n * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

/* Copies the receptive field of output position (oy, ox) into dst [k_h, k_w, in_c] (the weights' tap
 * order), zeros where a tap falls outside the input. Without column dilation, the k_w taps of one kernel row
 * that fall inside the input are one contiguous run of x: one copy per kernel row. */
static void tl_conv_patch(float *dst, const float *xb, int32_t oy, int32_t ox, const tl_conv_params *p) {
  const int64_t in_c = p->in_c;
  const int64_t row_floats = (int64_t)p->k_w * in_c; /* one kernel row of a patch */
  const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
  const int64_t ix0 = tl_geo_start(ox, p->stride_w, p->pad_left);
  for (int32_t ky = 0; ky < p->k_h; ky++, dst += row_floats) {
    const int64_t iy = iy0 + (int64_t)ky * p->dilation_h;
    if (iy < 0 || iy >= p->in_h) {
      memset(dst, 0, (size_t)row_floats * sizeof(float));
      continue;
    }
    const float *src_row = xb + (int64_t)iy * p->in_w * in_c; /* [in_w, in_c] */
    if (p->dilation_w == 1) {
      const int32_t kx0 = ix0 < 0 ? -ix0 : 0; /* first and one past the last tap inside the input */
      const int32_t kx1 = p->in_w - ix0 < p->k_w ? p->in_w - ix0 : p->k_w;
      if (kx1 <= kx0) {
        memset(dst, 0, (size_t)row_floats * sizeof(float));
        continue;
      }
      for (int64_t i = 0; i < kx0 * in_c; i++) dst[i] = 0.0f;
      tl_copy_floats(dst + kx0 * in_c, src_row + (int64_t)(ix0 + kx0) * in_c, (int64_t)(kx1 - kx0) * in_c);
      for (int64_t i = kx1 * in_c; i < row_floats; i++) dst[i] = 0.0f;
      continue;
    }
    for (int32_t kx = 0; kx < p->k_w; kx++) {
      const int64_t ix = ix0 + (int64_t)kx * p->dilation_w;
      if (ix < 0 || ix >= p->in_w) {
        for (int64_t i = 0; i < in_c; i++) dst[kx * in_c + i] = 0.0f;
      } else {
        tl_copy_floats(dst + kx * in_c, src_row + (int64_t)ix * in_c, in_c);
      }
    }
  }
}

/* n patch rows of `run` floats each: dst rows `depth` apart, sources `step` apart (constant run sizes get
 * constant-size copies). */
static void tl_copy_runs(float *dst, int64_t depth, const float *src, int64_t step, int64_t run, int32_t n) {
  switch (run) {
    case 3:
      for (int32_t i = 0; i < n; i++, dst += depth, src += step) memcpy(dst, src, 3 * sizeof(float));
      return;
    case 9:
      for (int32_t i = 0; i < n; i++, dst += depth, src += step) memcpy(dst, src, 9 * sizeof(float));
      return;
    default:
      for (int32_t i = 0; i < n; i++, dst += depth, src += step) tl_copy_floats(dst, src, run);
      return;
  }
}

/* Copies the receptive fields of output positions [pos0, pos0 + rows) of one image into patches
 * [rows, k_h * k_w * in_c]. Positions go by runs within one output row; a run whose every kernel row is
 * inside the input horizontally (no column dilation) is copied kernel row by kernel row across the run,
 * the others position by position (tl_conv_patch). */
void tl_conv2d_f32_opt_im2col(float *patches, const float *xb, int64_t pos0, int64_t rows, const tl_conv_params *p) {
  const int64_t in_c = p->in_c, depth = tl_conv_depth(p);
  const int64_t row_floats = (int64_t)p->k_w * in_c;
  int32_t oy = (int32_t)(pos0 / p->out_w), ox = (int32_t)(pos0 % p->out_w);
  int64_t r = 0;
  while (r < rows) {
    const int32_t run = (int32_t)(p->out_w - ox < rows - r ? p->out_w - ox : rows - r);
    const int64_t ix_first = tl_geo_start(ox, p->stride_w, p->pad_left);
    const int64_t ix_last = tl_geo_start(ox + run - 1, p->stride_w, p->pad_left) + p->k_w - 1;
    float *dst = patches + r * depth;
    if (p->dilation_w == 1 && ix_first >= 0 && ix_last < p->in_w) {
      const int64_t iy0 = tl_geo_start(oy, p->stride_h, p->pad_top);
      for (int32_t ky = 0; ky < p->k_h; ky++) {
        const int64_t iy = iy0 + (int64_t)ky * p->dilation_h;
        float *d = dst + (int64_t)ky * row_floats;
        if (iy < 0 || iy >= p->in_h) {
          for (int32_t i = 0; i < run; i++) memset(d + i * depth, 0, (size_t)row_floats * sizeof(float));
        } else {
          const float *src = xb + ((int64_t)iy * p->in_w + ix_first) * in_c;
          tl_copy_runs(d, depth, src, (int64_t)p->stride_w * in_c, row_floats, run);
        }
      }
    } else {
      for (int32_t i = 0; i < run; i++) tl_conv_patch(dst + i * depth, xb, oy, ox + i, p);
    }
    r += run;
    ox += run;
    if (ox == p->out_w) {
      ox = 0;
      oy++;
    }
  }
}

/* How many output positions along one axis have their windows wholly inside the input. */
static int64_t tl_conv_inside_count(int32_t out, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t pad) {
  int32_t o0, o1;
  tl_geo_inside(out, in, stride, pad, (int64_t)(k - 1) * dilation, &o0, &o1);
  return o1 - o0;
}

/* The direct path (see opt_kernels.h): x86 levels, not pointwise, and at most a tenth of the positions with
 * taps in the padding. Padded positions break the position groups into short runs and copy their patches:
 * the MNIST demo's SAME convolutions (14% and 27% padded positions) ran 20% slower direct than through
 * im2col, while VALID convolutions and MobileNet's first (3% padded) gain from it. */
static int tl_conv_is_direct(const tl_conv_params *p, const tl_f32_kernels *ks) {
  int64_t positions, inside;
  if (ks->conv_tile == NULL || tl_conv2d_f32_opt_is_pointwise(p)) return 0;
  positions = (int64_t)p->out_h * p->out_w;
  inside = tl_conv_inside_count(p->out_h, p->in_h, p->k_h, p->stride_h, p->dilation_h, p->pad_top) *
           tl_conv_inside_count(p->out_w, p->in_w, p->k_w, p->stride_w, p->dilation_w, p->pad_left);
  return (positions - inside) * 10 <= positions;
}

int tl_conv2d_f32_opt_is_direct(const tl_conv_params *p, tl_isa isa) {
  return tl_conv_is_direct(p, tl_f32_kernels_for(isa));
}

/* Output positions [pos0, pos0 + rows) of one image (xb [in_h, in_w, in_c] -> yb [out_h * out_w, out_c]),
 * panels [panel0, panel1), by the direct path; scratch: tl_conv2d_f32_opt_scratch_floats(p, 1) floats at least.
 * Algorithm: groups of MR consecutive positions (a group may span two output rows), cut into runs of
 * positions whose windows all lie inside the input or all do not. An inside run's row r of A is the input
 * at the window's corner, read at the k offsets of the taps (ky, kx, ci) in the weights' order (a table at
 * the start of scratch); an outside run's patches are copied after the tables (tl_conv_patch, zeros where
 * a tap falls outside) and read at offsets 0 .. k - 1. Both go through the same tile, whose arithmetic per
 * output (bias, one FMA per tap in order, the clamp) does not depend on the other rows of the tile: every
 * cut of the positions (threads' parts included) gives the same bits. */
void tl_conv_tap_offsets(int32_t *off, const tl_conv_params *p) {
  for (int32_t ky = 0, kk = 0; ky < p->k_h; ky++)
    for (int32_t kx = 0; kx < p->k_w; kx++)
      for (int32_t ci = 0; ci < p->in_c; ci++, kk++) {
        /* below the input's element count whenever some window lies inside; unused (0) otherwise */
        const int64_t o = ((int64_t)ky * p->dilation_h * p->in_w + (int64_t)kx * p->dilation_w) * p->in_c + ci;
        off[kk] = o <= INT32_MAX ? (int32_t)o : 0;
      }
}

void tl_conv_inside_ranges(const tl_conv_params *p, int32_t *oy_lo, int32_t *oy_hi, int32_t *ox_lo, int32_t *ox_hi) {
  tl_geo_inside(p->out_h, p->in_h, p->stride_h, p->pad_top, (int64_t)(p->k_h - 1) * p->dilation_h, oy_lo, oy_hi);
  tl_geo_inside(p->out_w, p->in_w, p->stride_w, p->pad_left, (int64_t)(p->k_w - 1) * p->dilation_w, ox_lo, ox_hi);
}

static void tl_conv_direct_rows(float *yb, const float *xb, const float *packed, float *scratch,
                                const tl_conv_params *p, const tl_f32_kernels *ks, int64_t pos0, int64_t rows,
                                int32_t panel0, int32_t panel1) {
  const int32_t k = (int32_t)tl_conv_depth(p), nr = ks->nr;
  const int32_t mr = p->out_c <= 16 ? ks->conv_mr_narrow : ks->conv_mr; /* the tile's rows */
  const int32_t panels = (p->out_c + nr - 1) / nr, last = panel1 < panels ? panel1 : panels;
  /* output rows [oy_lo, oy_hi) and columns [ox_lo, ox_hi) have their windows inside the input */
  int32_t oy_lo, oy_hi, ox_lo, ox_hi;
  tl_conv_inside_ranges(p, &oy_lo, &oy_hi, &ox_lo, &ox_hi);
  const int64_t step = (int64_t)p->stride_w * p->in_c; /* input floats between neighbouring positions */
  int32_t *off = (int32_t *)(void *)scratch;        /* [k]: the taps' offsets in the input */
  int32_t *ident = (int32_t *)(void *)(scratch + k); /* [k]: 0 .. k - 1, for copied patches */
  float *patches = scratch + 2 * (int64_t)k;         /* [mr, k] */
  const float *a[12], *pa[12];
  int32_t in[12];
  tl_conv_tap_offsets(off, p);
  for (int32_t kk = 0; kk < k; kk++) ident[kk] = kk;
  int32_t oy = (int32_t)(pos0 / p->out_w), ox = (int32_t)(pos0 % p->out_w); /* the group's first position */
  /* where position (oy, ox)'s window starts in xb; only dereferenced for positions inside */
  int64_t at =
      (((int64_t)oy * p->stride_h - p->pad_top) * p->in_w + ((int64_t)ox * p->stride_w - p->pad_left)) * p->in_c;
  /* every window inside (VALID padding): no per-position test */
  const int32_t image_in = oy_lo == 0 && ox_lo == 0 && oy_hi >= p->out_h && ox_hi >= p->out_w;
  for (int64_t r = 0; r < rows; r += mr) {
    const int32_t n = (int32_t)(rows - r < mr ? rows - r : mr);
    int32_t all_in = 1;
    if (image_in) {
      for (int32_t i = 0; i < n; i++) {
        a[i] = xb + at;
        at += step;
        if (++ox == p->out_w) {
          ox = 0;
          oy++;
          at = (int64_t)oy * p->stride_h * p->in_w * p->in_c;
        }
      }
      for (int32_t jp = panel0; jp < last; jp++) {
        const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
        float *c = yb + (pos0 + r) * p->out_c + (int64_t)jp * nr;
        ks->conv_tile(a, off, n, k, packed + (int64_t)jp * (k + 1) * nr, c, p->out_c, cols, p->act);
      }
      continue;
    }
    for (int32_t i = 0; i < n; i++) {
      in[i] = (oy >= oy_lo) & (oy < oy_hi) & (ox >= ox_lo) & (ox < ox_hi);
      all_in &= in[i];
      a[i] = xb + (in[i] ? at : 0);
      at += step;
      if (++ox == p->out_w) {
        ox = 0;
        oy++;
        at = (((int64_t)oy * p->stride_h - p->pad_top) * p->in_w - p->pad_left) * p->in_c;
      }
    }
    for (int32_t i = 0, j; i < n; i = j) { /* runs [i, j) of equal in[] (one run when all are inside) */
      const float *const *rows_a = a + i;
      const int32_t *offsets = off;
      if (all_in) {
        j = n;
      } else {
        for (j = i + 1; j < n && in[j] == in[i]; j++) {
        }
      }
      if (!in[i]) {
        for (int32_t q = i; q < j; q++) {
          const int64_t pos = pos0 + r + q;
          tl_conv_patch(patches + (int64_t)(q - i) * k, xb, (int32_t)(pos / p->out_w), (int32_t)(pos % p->out_w), p);
          pa[q - i] = patches + (int64_t)(q - i) * k;
        }
        rows_a = pa;
        offsets = ident;
      }
      for (int32_t jp = panel0; jp < last; jp++) {
        const float *panel = packed + (int64_t)jp * (k + 1) * nr; /* [k + 1, nr] */
        const int32_t cols = p->out_c - jp * nr < nr ? p->out_c - jp * nr : nr;
        float *c = yb + (pos0 + r + i) * p->out_c + (int64_t)jp * nr;
        ks->conv_tile(rows_a, offsets, j - i, k, panel, c, p->out_c, cols, p->act);
      }
    }
  }
}

/* The indirect path (levels with its tile: AVX2): every convolution but the pointwise one, with at most
 * TL_CONV_IND_MAX_TAPS taps. */
#define TL_CONV_IND_MAX_TAPS 49
static int tl_conv_is_indirect(const tl_conv_params *p, const tl_f32_kernels *ks) {
  return ks->conv_ind_tile != NULL && ks->conv_tile != NULL && ks->nr == 16 &&
         !tl_conv2d_f32_opt_is_pointwise(p) && (int64_t)p->k_h * p->k_w <= TL_CONV_IND_MAX_TAPS;
}

/* The indirect path's convolutions with few input channels (the first convolution of a model) take the
 * output-row walk over the same tiles (conv_rows_opt.c) when each output row has at least two tiles of
 * inside positions: the walk's tiles do not span rows, and on narrow outputs (DS-CNN's 25x5, 3 inside
 * columns) the indirect path's queues, which fill whole tiles across rows, are faster (13 vs 17 us). */
static int tl_conv_is_rows(const tl_conv_params *p, const tl_f32_kernels *ks) {
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
  return (int64_t)p->in_c + 2 * tl_conv_depth(p);
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
static void tl_conv_ind_rows(float *yb, const float *xb, const float *packed, float *scratch, const tl_conv_params *p,
                             const tl_f32_kernels *ks, int64_t pos0, int64_t rows, int32_t panel0, int32_t panel1,
                             int direct) {
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
      for (int32_t i = 0; i < n; i++) {
        a[i] = xb + at;
        at += step;
        if (++ox == p->out_w) {
          ox = 0;
          oy++;
          at = (int64_t)oy * p->stride_h * p->in_w * in_c;
        }
      }
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

void tl_conv2d_f32_opt(float *y, const float *x, const float *packed, float *scratch, size_t scratch_floats,
                       const tl_conv_params *p, tl_isa isa) {
  const int64_t depth = tl_conv_depth(p);
  const int64_t positions = (int64_t)p->out_h * p->out_w, block = tl_conv2d_f32_opt_block_rows(p, scratch_floats);
  const tl_f32_kernels *ks = tl_f32_kernels_for(isa);
  tl_gemm_f32_args g;
  if (tl_conv_is_rows(p, ks)) {
    for (int32_t b = 0; b < p->batch; b++) {
      tl_conv_rows_f32(y + (int64_t)b * positions * p->out_c, x + (int64_t)b * p->in_h * p->in_w * p->in_c, packed,
                       scratch, p, ks, 0, positions, 0, INT32_MAX);
    }
    return;
  }
  if (tl_conv_is_indirect(p, ks)) {
    /* one call per image, unless the im2col blocks it replaces had a one-row tail before the last block */
    const int direct = tl_conv_is_direct(p, ks);
    const int64_t step = direct || block % TL_CONV_IND_MR == 0 ? positions : block;
    for (int32_t b = 0; b < p->batch; b++) {
      for (int64_t pos0 = 0; pos0 < positions; pos0 += step) {
        tl_conv_ind_rows(y + (int64_t)b * positions * p->out_c, x + (int64_t)b * p->in_h * p->in_w * p->in_c,
                         packed, scratch, p, ks, pos0, positions - pos0 < step ? positions - pos0 : step, 0,
                         INT32_MAX, direct);
      }
    }
    return;
  }
  if (tl_conv_is_direct(p, ks)) {
    for (int32_t b = 0; b < p->batch; b++) {
      tl_conv_direct_rows(y + (int64_t)b * positions * p->out_c, x + (int64_t)b * p->in_h * p->in_w * p->in_c,
                          packed, scratch, p, ks, 0, positions, 0, INT32_MAX);
    }
    return;
  }
  g.n = p->out_c;
  g.k = (int32_t)depth;
  g.b_packed = packed;
  g.ldc = p->out_c;
  g.act = p->act;
  if (tl_conv2d_f32_opt_is_pointwise(p)) {
    /* every image's positions are contiguous rows of in_c floats: one GEMM over the whole batch */
    g.m = (int32_t)(positions * p->batch);
    g.a = x;
    g.lda = p->in_c;
    g.c = y;
    ks->gemm(&g);
    return;
  }
  g.a = scratch;
  g.lda = depth;
  for (int32_t b = 0; b < p->batch; b++) {
    const float *xb = x + (int64_t)b * p->in_h * p->in_w * p->in_c; /* [in_h, in_w, in_c] */
    float *yb = y + (int64_t)b * positions * p->out_c;               /* [out_h * out_w, out_c] */
    for (int64_t pos0 = 0; pos0 < positions; pos0 += block) {
      const int64_t rows = positions - pos0 < block ? positions - pos0 : block;
      tl_conv2d_f32_opt_im2col(scratch, xb, pos0, rows, p);
      g.m = (int32_t)rows;
      g.c = yb + pos0 * p->out_c;
      ks->gemm(&g);
    }
  }
}

void tl_conv2d_f32_opt_part(float *y, const float *x, const float *packed, float *scratch, const tl_conv_params *p,
                            tl_isa isa, int32_t b, int64_t row0, int64_t rows, int32_t panel0, int32_t panel1) {
  const int64_t depth = tl_conv_depth(p);
  tl_gemm_f32_args g;
  g.m = (int32_t)rows;
  g.n = p->out_c;
  g.k = (int32_t)depth;
  g.b_packed = packed;
  g.ldc = p->out_c;
  g.act = p->act;
  if (tl_conv2d_f32_opt_is_pointwise(p)) {
    g.a = x + row0 * p->in_c;
    g.lda = p->in_c;
    g.c = y + row0 * p->out_c;
  } else {
    const int64_t positions = (int64_t)p->out_h * p->out_w;
    const float *xb = x + (int64_t)b * p->in_h * p->in_w * p->in_c; /* [in_h, in_w, in_c] */
    const tl_f32_kernels *ks = tl_f32_kernels_for(isa);
    if (tl_conv_is_rows(p, ks)) {
      tl_conv_rows_f32(y + (int64_t)b * positions * p->out_c, xb, packed, scratch, p, ks, row0, rows, panel0, panel1);
      return;
    }
    if (tl_conv_is_indirect(p, ks)) {
      tl_conv_ind_rows(y + (int64_t)b * positions * p->out_c, xb, packed, scratch, p, ks, row0, rows, panel0, panel1,
                       tl_conv_is_direct(p, ks));
      return;
    }
    if (tl_conv_is_direct(p, ks)) {
      tl_conv_direct_rows(y + (int64_t)b * positions * p->out_c, xb, packed, scratch, p, ks, row0, rows, panel0,
                          panel1);
      return;
    }
    tl_conv2d_f32_opt_im2col(scratch, xb, row0, rows, p);
    g.a = scratch;
    g.lda = depth;
    g.c = y + ((int64_t)b * positions + row0) * p->out_c;
  }
  tl_gemm_f32_part(&g, isa, 0, g.m, panel0, panel1);
}
