/* transpose_conv_int8_opt.c: int8 TransposeConv as int32 GEMM columns, col2im in int32, then the per-channel
 * requantization (see int8_gemm_ops.h).
 *
 * What this is: the weights packed once as the [k_h k_w out_c, in_c] matrix (rows in (ky, kx, oc) order) with
 * the input zero point's corrections, so each input pixel's exact sums sum_ic (x - input_zp) w[oc, ky, kx, ic]
 * for every tap come out of the tiles as int32 columns. Input rows are taken in order; input row iy reaches
 * output rows iy stride_h - pad_top + [0, k_h), so once it is added every output row below
 * (iy + 1) stride_h - pad_top is final: a ring of k_h int32 output rows holds the rows being summed, each
 * zeroed when first reached and requantized (bias added in int64, then the reference's rounding per output
 * channel) when final. Every sum is the reference's exact accumulator (|sum| <= k_h k_w in_c 255 128 < 2^31),
 * so the bytes are the reference's; only products the transposed convolution needs are computed (a Conv2D on
 * a zero-inserted input would do stride_h stride_w times as many). What this is not: the specification
 * (tl_transpose_conv_int8 in kernels/transpose_conv.c).
 */
#include <string.h>

#include "gemm_int8_internal.h"
#include "int8_gemm_ops.h"

int tl_transpose_conv_int8_opt_ok(const tl_conv_params *p) {
  const int64_t depth = (int64_t)p->k_h * p->k_w * p->in_c, n = (int64_t)p->k_h * p->k_w * p->out_c;
  return p->in_c > 0 && p->out_c > 0 && p->in_w > 0 && p->out_w > 0 && depth <= TL_GEMM_INT8_MAX_K &&
         n <= INT32_MAX / 16;
}

/* ---- packed: from the first 64-byte boundary, a 64-byte header (int32 word 0: the inline requantization is
 * exact), the panels, their corrections (int64 [npad]), the bias (int64 [out_c], then 16 zeros: the vector
 * requantizations read 16), the bias repeated over 16 channels (bias[j % out_c], when out_c divides 16), and
 * the corrections again as int32 (each is -(input_zp + offset) times a sum of in_c weights: in int32 range). */
typedef struct tl_tconv8_packed {
  int32_t inline_requant;
  const int8_t *panels;
  const int64_t *corr, *bias, *rep16;
  const int32_t *corr32;
} tl_tconv8_packed;

static size_t tl_tconv8_layout(const tl_conv_params *p, const tl_i8_kernels *ks, const void *packed,
                               tl_tconv8_packed *l) {
  const int32_t n = p->k_h * p->k_w * p->out_c;
  const size_t panel_bytes = tl_i8p_panel_bytes(ks, n, p->in_c), npad = (size_t)tl_i8_npad(ks, n);
  if (l != NULL) {
    const uint8_t *base = tl_i8_base(packed);
    memcpy(&l->inline_requant, base, sizeof l->inline_requant);
    l->panels = (const int8_t *)(base + TL_I8_HEADER);
    l->corr = (const int64_t *)(const void *)(base + TL_I8_HEADER + panel_bytes);
    l->bias = l->corr + npad;
    l->rep16 = l->bias + p->out_c + 16;
    l->corr32 = (const int32_t *)(const void *)(l->rep16 + 16);
  }
  return TL_I8_ALIGN + TL_I8_HEADER + panel_bytes + (npad + (size_t)p->out_c + 32) * sizeof(int64_t) +
         npad * sizeof(int32_t);
}

size_t tl_transpose_conv_int8_opt_packed_bytes(const tl_conv_params *p, tl_i8_level level) {
  return tl_tconv8_layout(p, tl_i8_kernels_for(level), NULL, NULL);
}

void tl_transpose_conv_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_conv_int8_params *q,
                                     tl_i8_level level) {
  const tl_conv_params *p = &q->geom;
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const int32_t oc = p->out_c, taps = p->k_h * p->k_w, n = taps * oc, k = p->in_c;
  uint8_t *base = (uint8_t *)packed + (tl_i8_base(packed) - (const uint8_t *)packed);
  const size_t panel_bytes = tl_i8p_panel_bytes(ks, n, k), npad = (size_t)tl_i8_npad(ks, n);
  int64_t *corr = (int64_t *)(void *)(base + TL_I8_HEADER + panel_bytes), *b64 = corr + npad, *rep = b64 + oc + 16;
  const int32_t header = tl_i8_inline_ok(&q->out);
  memset(packed, 0, tl_transpose_conv_int8_opt_packed_bytes(p, level));
  memcpy(base, &header, sizeof header);
  /* GEMM row j = (tap, c) is w[c, tap, 0..in_c) */
  const tl_i8p_strides st = {oc, k, (int64_t)taps * k, 1};
  tl_i8p_pack((int8_t *)(base + TL_I8_HEADER), corr, w, &st, n, k, q->input_zp, ks);
  for (size_t j = 0; j < npad; j++) ((int32_t *)(void *)(rep + 16))[j] = (int32_t)corr[j];
  for (int32_t c = 0; c < oc; c++) b64[c] = bias != NULL ? bias[c] : 0;
  if (16 % oc == 0)
    for (int32_t j = 0; j < 16; j++) rep[j] = b64[j % oc];
}

/* ---- scratch (int32 words): the ring of k_h output rows (out_w out_c each) and 16 more (the vector
 * requantizations read 16), then the columns of a block of input pixels ([block][k_h k_w out_c]) ---- */
static int32_t tl_tconv8_block(const tl_conv_params *p) {
  return p->in_w < TL_TCONV_INT8_BLOCK ? p->in_w : TL_TCONV_INT8_BLOCK;
}

size_t tl_transpose_conv_int8_opt_scratch_bytes(const tl_conv_params *p) {
  const size_t row = (size_t)p->out_w * (size_t)p->out_c, n = (size_t)p->k_h * p->k_w * p->out_c;
  return ((size_t)p->k_h * row + 16 + (size_t)tl_tconv8_block(p) * n) * sizeof(int32_t);
}

/* The output rows of one call: those below `flushed` are written, those below `zeroed` started (ring slot
 * oy % k_h). */
typedef struct tl_tconv8_rows {
  const tl_conv_int8_params *q;
  const tl_i8_kernels *ks;
  const tl_tconv8_packed *l;
  int32_t *ring;
  int8_t *y; /* image b's output */
  int32_t zeroed, flushed;
} tl_tconv8_rows;

static int32_t *tl_tconv8_slot(const tl_tconv8_rows *r, int32_t oy) {
  return r->ring + (int64_t)(oy % r->q->geom.k_h) * r->q->geom.out_w * r->q->geom.out_c;
}

/* Start the rows below `upto` (their slots' previous rows are written: upto <= flushed + k_h). */
static void tl_tconv8_zero_to(tl_tconv8_rows *r, int32_t upto) {
  for (; r->zeroed < upto; r->zeroed++)
    memset(tl_tconv8_slot(r, r->zeroed), 0, (size_t)r->q->geom.out_w * r->q->geom.out_c * sizeof(int32_t));
}

/* Requantize and write the rows below `upto` (a row never reached is the bias alone). */
static void tl_tconv8_flush_to(tl_tconv8_rows *r, int32_t upto) {
  const tl_conv_params *p = &r->q->geom;
  const int32_t oc = p->out_c, len = p->out_w * oc;
  for (; r->flushed < upto; r->flushed++) {
    const int32_t oy = r->flushed;
    const int32_t *acc = tl_tconv8_slot(r, oy);
    int8_t *y = r->y + (int64_t)oy * len;
    if (oy >= r->zeroed) { /* never reached: its slot's previous row (oy - k_h) is written */
      memset(tl_tconv8_slot(r, oy), 0, (size_t)len * sizeof(int32_t));
      r->zeroed = oy + 1;
    }
    if (r->q->out.channels == 1 && 16 % oc == 0) { /* one multiplier, the bias periodic in 16 */
      for (int32_t j = 0; j < len; j += 16)
        tl_i8_requant_rows(r->ks, y + j, 0, acc + j, 1, r->l->rep16, 0, len - j < 16 ? len - j : 16, &r->q->out,
                           r->l->inline_requant);
      continue;
    }
    for (int32_t ox = 0; ox < p->out_w; ox++)
      for (int32_t c0 = 0; c0 < oc; c0 += 16)
        tl_i8_requant_rows(r->ks, y + ox * oc + c0, 0, acc + ox * oc + c0, 1, r->l->bias + c0, c0,
                           oc - c0 < 16 ? oc - c0 : 16, &r->q->out, r->l->inline_requant);
  }
}

/* col2im of `rows` input pixels (ix0.. of input row iy, columns cols [rows][n]) into the output rows
 * base + [ky_lo, ky_hi). */
static void tl_tconv8_col2im(const tl_tconv8_rows *r, const int32_t *cols, int32_t rows, int32_t ix0, int32_t base,
                             int32_t ky_lo, int32_t ky_hi) {
  const tl_conv_params *p = &r->q->geom;
  const int32_t oc = p->out_c, n = p->k_h * p->k_w * oc;
  for (int32_t i = 0; i < rows; i++) {
    const int32_t ox0 = (ix0 + i) * p->stride_w - p->pad_left;
    for (int32_t ky = ky_lo; ky < ky_hi; ky++) {
      int32_t *dst_row = tl_tconv8_slot(r, base + ky);
      const int32_t kx_lo = ox0 < 0 ? -ox0 : 0, kx_hi = p->out_w - ox0 < p->k_w ? p->out_w - ox0 : p->k_w;
      for (int32_t kx = kx_lo; kx < kx_hi; kx++) {
        const int32_t *src = cols + (int64_t)i * n + (int64_t)(ky * p->k_w + kx) * oc; /* [out_c] */
        int32_t *dst = dst_row + (int64_t)(ox0 + kx) * oc;                             /* [out_c] */
        for (int32_t c = 0; c < oc; c++) dst[c] += src[c];
      }
    }
  }
}

/* The tile's rows (16 apart) plus the corrections added into an output pixel's nr channels, nr a constant. */
static inline void tl_tconv8_add(int32_t *restrict dst, const int32_t *restrict acc, const int32_t *restrict corr,
                                 const int32_t nr) {
  for (int32_t j = 0; j < nr; j++) dst[j] += acc[j] + corr[j];
}

/* out_c a multiple of nr: each panel is nr channels of one tap, so its tiles are added straight into the ring
 * (no column block): `rows` input pixels from ix0 of input row a, tap rows [ky_lo, ky_hi). */
static void tl_tconv8_direct(const tl_tconv8_rows *r, const int8_t *a, int32_t rows, int32_t ix0, int32_t base,
                             int32_t ky_lo, int32_t ky_hi) {
  const tl_conv_params *p = &r->q->geom;
  const int32_t oc = p->out_c, kw = p->k_w, k = p->in_c, nr = r->ks->nr;
  const int64_t kp = tl_i8_kp(k);
  int32_t acc[TL_I8_MR * 16];
  for (int32_t j0 = ky_lo * kw * oc; j0 < ky_hi * kw * oc; j0 += nr) {
    const int32_t tap = j0 / oc, kx = tap % kw;
    int32_t *dst_row = tl_tconv8_slot(r, base + tap / kw) + j0 % oc;
    const int32_t *corr = r->l->corr32 + j0;
    for (int32_t r0 = 0; r0 < rows; r0 += TL_I8_MR) {
      const int32_t rr = rows - r0 < TL_I8_MR ? rows - r0 : TL_I8_MR;
      r->ks->tile(a + (int64_t)r0 * k, k, rr, k, r->l->panels + (int64_t)j0 * kp, acc);
      for (int32_t i = 0; i < rr; i++) {
        const int32_t ox = (ix0 + r0 + i) * p->stride_w - p->pad_left + kx;
        if (ox < 0 || ox >= p->out_w) continue;
        if (nr == 8) tl_tconv8_add(dst_row + (int64_t)ox * oc, acc + i * 16, corr, 8); /* constant widths */
        else if (nr == 16) tl_tconv8_add(dst_row + (int64_t)ox * oc, acc + i * 16, corr, 16);
        else tl_tconv8_add(dst_row + (int64_t)ox * oc, acc + i * 16, corr, nr);
      }
    }
  }
}

void tl_transpose_conv_int8_opt_rows(int8_t *y, const int8_t *x, const void *packed, void *scratch,
                                     const tl_conv_int8_params *q, tl_i8_level level, int32_t b, int32_t oy0,
                                     int32_t oy1) {
  const tl_conv_params *p = &q->geom;
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const int32_t k = p->in_c, kh = p->k_h, row_taps = p->k_w * p->out_c, nr = tl_i8p_nr(ks), blk = tl_tconv8_block(p);
  const int32_t n = kh * row_taps;
  tl_tconv8_packed l;
  tl_tconv8_rows r;
  int32_t *cols;
  tl_tconv8_layout(p, ks, packed, &l);
  r.q = q;
  r.ks = ks;
  r.l = &l;
  r.ring = (int32_t *)scratch;
  r.y = y + (int64_t)b * p->out_h * p->out_w * p->out_c;
  r.zeroed = r.flushed = oy0;
  cols = r.ring + (int64_t)kh * p->out_w * p->out_c + 16;
  for (int32_t iy = 0; iy < p->in_h; iy++) {
    const int32_t base = iy * p->stride_h - p->pad_top; /* output row of tap row 0 */
    const int32_t lo = base > oy0 ? base : oy0, hi = base + kh < oy1 ? base + kh : oy1;
    if (lo >= hi) continue;
    tl_tconv8_flush_to(&r, lo); /* no later input row reaches the rows below base */
    tl_tconv8_zero_to(&r, hi);
    /* only the GEMM columns of the tap rows that land in [oy0, oy1) */
    const int32_t jb = (lo - base) * row_taps / nr * nr, je = (hi - base) * row_taps;
    for (int32_t ix0 = 0; ix0 < p->in_w; ix0 += blk) {
      const int32_t rows = p->in_w - ix0 < blk ? p->in_w - ix0 : blk;
      const int8_t *a = x + (((int64_t)b * p->in_h + iy) * p->in_w + ix0) * k;
      if (p->out_c % nr == 0) {
        tl_tconv8_direct(&r, a, rows, ix0, base, lo - base, hi - base);
        continue;
      }
      tl_i8p_gemm_cols(cols, n, a, k, rows, l.panels, l.corr32, k, jb, je < n ? je : n, ks);
      tl_tconv8_col2im(&r, cols, rows, ix0, base, lo - base, hi - base);
    }
  }
  tl_tconv8_flush_to(&r, oy1);
}
