/* conv2d_int8_opt.c: Conv2D on the packed int8 GEMM (see opt_kernels_int8.h).
 *
 * What this is: the op driver: im2col in blocks of p->block_rows output positions (padded taps are
 * input_zp, so they add nothing, as in the reference), 1x1 stride-1 unpadded convolutions multiplying the
 * input directly, and the segmented packing of levels that read the input in place (struct
 * tl_i8_kernels.conv_seg). What this is not: a micro-kernel (gemm_int8_<level>.c, conv_int8_avx512.c).
 */
#include "../geometry.h"
#include "gemm_int8_internal.h"

static int tl_conv_int8_pointwise(const tl_conv_params *g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

static int32_t tl_conv_int8_depth(const tl_conv_params *g) { return g->k_h * g->k_w * g->in_c; }

/* Levels with conv_seg pack Conv2D (dilation_w 1, not pointwise) in segments of k_w * in_c bytes padded to
 * whole depth groups, one per kernel row, so the micro-kernel reads the input rows in place; the same
 * predicate at pack and at run time. */
static int tl_conv_int8_seg_mode(const tl_conv_params *g, const tl_i8_kernels *ks) {
  return ks->conv_seg != NULL && g->dilation_w == 1 && !tl_conv_int8_pointwise(g);
}

int32_t tl_conv_int8_depth_bound(int32_t k_h, int32_t k_w, int32_t in_c) {
  return k_h * ((k_w * in_c + 3) / 4 * 4);
}

size_t tl_conv2d_int8_opt_packed_bytes(const tl_conv_int8_params *p, tl_i8_level level) {
  return tl_gemm_int8_packed_bytes(level, p->geom.out_c, tl_conv_int8_depth_bound(p->geom.k_h, p->geom.k_w, p->geom.in_c));
}

size_t tl_conv2d_int8_opt_scratch_bytes(const tl_conv_params *g, int32_t rows) {
  const int64_t positions = (int64_t)g->out_h * g->out_w;
  if (tl_conv_int8_pointwise(g)) return 0;
  if (rows > TL_CONV_INT8_BLOCK_ROWS) rows = TL_CONV_INT8_BLOCK_ROWS;
  return (size_t)(positions < rows ? positions : rows) * (size_t)tl_conv_int8_depth_bound(g->k_h, g->k_w, g->in_c) +
         TL_CONV_INT8_SCRATCH_SLACK;
}

int32_t tl_conv2d_int8_opt_block_rows(const tl_conv_params *g, size_t bytes) {
  const size_t row = (size_t)tl_conv_int8_depth_bound(g->k_h, g->k_w, g->in_c);
  const size_t rows = bytes > TL_CONV_INT8_SCRATCH_SLACK && row > 0 ? (bytes - TL_CONV_INT8_SCRATCH_SLACK) / row : 0;
  return rows < TL_CONV_INT8_BLOCK_ROWS ? (int32_t)rows : TL_CONV_INT8_BLOCK_ROWS;
}

/* Output positions per im2col block (p->block_rows, 0: the most). */
static int32_t tl_conv_int8_rows(const tl_conv_int8_params *p) {
  return p->block_rows > 0 && p->block_rows < TL_CONV_INT8_BLOCK_ROWS ? p->block_rows : TL_CONV_INT8_BLOCK_ROWS;
}

void tl_conv2d_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_conv_int8_params *p,
                             tl_i8_level level) {
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const tl_conv_params *g = &p->geom;
  const int32_t depth = tl_conv_int8_depth(g), seg = g->k_w * g->in_c;
  if (tl_conv_int8_seg_mode(g, ks))
    tl_gemm_int8_pack(packed, w, bias, g->out_c, depth, seg, (seg + 3) / 4 * 4, p->input_zp, &p->out, ks, 0);
  else
    tl_gemm_int8_pack(packed, w, bias, g->out_c, depth, depth, depth, p->input_zp, &p->out, ks, 0);
}

/* The receptive field of output position (oy, ox) into dst [k_h, k_w, in_c], input_zp where a tap falls
 * outside the input (that term is (zp - zp) * w = 0, as the reference's skipped tap). */
static void tl_conv_int8_patch(int8_t *dst, const int8_t *xb, int32_t oy, int32_t ox, int8_t zp,
                               const tl_conv_params *g) {
  const int64_t in_c = g->in_c, row = (int64_t)g->k_w * in_c;
  const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top), ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
  for (int32_t ky = 0; ky < g->k_h; ky++, dst += row) {
    const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) {
      memset(dst, zp, (size_t)row);
      continue;
    }
    const int8_t *src = xb + iy * g->in_w * in_c; /* input row iy */
    if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) {
      memcpy(dst, src + (int64_t)ix0 * in_c, (size_t)row);
      continue;
    }
    for (int32_t kx = 0; kx < g->k_w; kx++) {
      const int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
      if (ix < 0 || ix >= g->in_w)
        memset(dst + kx * in_c, zp, (size_t)in_c);
      else
        memcpy(dst + kx * in_c, src + (int64_t)ix * in_c, (size_t)in_c);
    }
  }
}

/* The im2col row of the position with tap (0, 0) at input (iy0, ix0) in the segmented layout (kernel row ky
 * at ky * segp; the zero point where a tap is outside and in the padding). */
void tl_conv_int8_seg_row(int8_t *d, const int8_t *xb, int64_t iy0, int64_t ix0, int8_t zp, const tl_conv_params *g) {
  const int64_t in_c = g->in_c, x_row = (int64_t)g->in_w * in_c;
  const int32_t segp = (g->k_w * g->in_c + 3) / 4 * 4;
  memset(d, zp, (size_t)g->k_h * (size_t)segp);
  for (int32_t ky = 0; ky < g->k_h; ky++) {
    const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) continue;
    for (int32_t kx = 0; kx < g->k_w; kx++) {
      const int64_t ix = ix0 + kx;
      if (ix >= 0 && ix < g->in_w)
        memcpy(d + (int64_t)ky * segp + kx * in_c, xb + (int64_t)iy * x_row + ix * in_c, (size_t)in_c);
    }
  }
}


/* The segmented packing through tl_gemm_int8_run (every requantization): whole im2col blocks in that layout. */
static void tl_conv_int8_seg_general(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                                     const tl_conv_int8_params *p, const tl_i8_kernels *ks) {
  const tl_conv_params *g = &p->geom;
  const int32_t kpk = tl_conv_int8_depth_bound(g->k_h, g->k_w, g->in_c);
  const int64_t positions = (int64_t)g->out_h * g->out_w, block = tl_conv_int8_rows(p);
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
    int8_t *yb = y + (int64_t)b * positions * g->out_c;
    for (int64_t pos0 = 0; pos0 < positions; pos0 += block) {
      const int32_t rows = (int32_t)(positions - pos0 < block ? positions - pos0 : block);
      for (int32_t r = 0; r < rows; r++) {
        const int32_t oy = (int32_t)((pos0 + r) / g->out_w), ox = (int32_t)((pos0 + r) % g->out_w);
        tl_conv_int8_seg_row(scratch + (int64_t)r * kpk, xb, tl_geo_start(oy, g->stride_h, g->pad_top),
                             tl_geo_start(ox, g->stride_w, g->pad_left), (int8_t)p->input_zp, g);
      }
      tl_gemm_int8_run(yb + pos0 * g->out_c, g->out_c, scratch, kpk, rows, packed, g->out_c, kpk, &p->out, ks, 0,
                       g->out_c);
    }
  }
}

void tl_conv2d_int8_opt(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                        const tl_conv_int8_params *p, tl_i8_level level) {
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const tl_conv_params *g = &p->geom;
  const int32_t depth = tl_conv_int8_depth(g), n = g->out_c;
  const int64_t positions = (int64_t)g->out_h * g->out_w, block = tl_conv_int8_rows(p);
  if (tl_conv_int8_pointwise(g)) {
    tl_gemm_int8_run(y, n, x, g->in_c, (int32_t)(positions * g->batch), packed, n, depth, &p->out, ks, 0, n);
    return;
  }
  if (tl_conv_int8_seg_mode(g, ks)) { /* packed in segments: the input in place (or the general path) */
    if (ks->conv_seg(y, x, packed, scratch, p)) return;
    tl_conv_int8_seg_general(y, x, packed, scratch, p, ks);
    return;
  }
  if (ks->conv_small != NULL && ks->conv_small(y, x, packed, p)) return; /* few values per kernel row */
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
    int8_t *yb = y + (int64_t)b * positions * n;
    for (int64_t pos0 = 0; pos0 < positions; pos0 += block) {
      const int32_t rows = (int32_t)(positions - pos0 < block ? positions - pos0 : block);
      if (ks->im2col != NULL) { /* rows kp apart: whole depth groups, the bytes past depth meet zero weights */
        const int32_t kp = (int32_t)tl_i8_kp(depth);
        ks->im2col(scratch, kp, xb, xb + (int64_t)g->in_h * g->in_w * g->in_c, pos0, rows, (int8_t)p->input_zp, g);
        tl_gemm_int8_run(yb + pos0 * n, n, scratch, kp, rows, packed, n, kp, &p->out, ks, 0, n);
        continue;
      }
      for (int32_t r = 0; r < rows; r++) {
        const int64_t pos = pos0 + r;
        tl_conv_int8_patch(scratch + (int64_t)r * depth, xb, (int32_t)(pos / g->out_w), (int32_t)(pos % g->out_w),
                           (int8_t)p->input_zp, g);
      }
      tl_gemm_int8_run(yb + pos0 * n, n, scratch, depth, rows, packed, n, depth, &p->out, ks, 0, n);
    }
  }
}

/* Output rows [oy0, oy1) of image b: the same conv on a sub-geometry (one image, out_h = oy1 - oy0, the
 * padding above moved by oy0 strides; pointwise: the matching input rows), so each output is computed as in
 * the whole call. */
int tl_conv2d_int8_opt_splittable(const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom; /* a sub-geometry never turns pointwise (its packing would differ) */
  return tl_conv_int8_pointwise(g) || !(g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1);
}

void tl_conv2d_int8_opt_rows(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                             const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0, int32_t oy1) {
  const tl_conv_params *g = &p->geom;
  tl_conv_int8_params s = *p;
  const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
  s.geom.batch = 1;
  s.geom.out_h = oy1 - oy0;
  if (tl_conv_int8_pointwise(g)) {
    s.geom.in_h = s.geom.out_h;
    xb += (int64_t)oy0 * g->in_w * g->in_c;
  } else {
    s.geom.pad_top = (int32_t)-tl_geo_start(oy0, g->stride_h, g->pad_top); /* fits: oy0 * stride_h < in_h + pad_top */
  }
  tl_conv2d_int8_opt(y + ((int64_t)b * g->out_h + oy0) * g->out_w * g->out_c, xb, packed, scratch, &s, level);
}
