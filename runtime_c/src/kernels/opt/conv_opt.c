/* conv_opt.c: optimized float32 Conv2D on the packed GEMM (see opt_kernels.h).
 *
 * At the AVX2 level every convolution but the pointwise one takes the indirect path (tl_conv_ind_rows in
 * conv_indirect_opt.c, no copies); the description below is that of the other levels.
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

/* Copies the receptive field of output position (oy, ox) into dst [k_h, k_w, in_c] (the weights' tap
 * order), zeros where a tap falls outside the input. Without column dilation, the k_w taps of one kernel row
 * that fall inside the input are one contiguous run of x: one copy per kernel row. */
void tl_conv_patch(float *dst, const float *xb, int32_t oy, int32_t ox, const tl_conv_params *p) {
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
int64_t tl_conv_inside_count(int32_t out, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t pad) {
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
      tl_conv_valid_windows(a, n, xb, &at, step, &oy, &ox, p);
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
