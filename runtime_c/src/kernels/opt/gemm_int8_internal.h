/* gemm_int8_internal.h: what the int8 files of kernels/opt/ share (private to them): the kernel set, the packed
 * layout, the scalar requantization.
 *
 * What this is: struct tl_i8_kernels (one constant per level, defined in that level's file and picked by
 * tl_i8_kernels_for), the layout helpers of the packed weights, and the declarations of the level-independent
 * pieces the op drivers use. What this is not: an API for the op glue (opt_kernels_int8.h is).
 */
#ifndef TL_GEMM_INT8_INTERNAL_H
#define TL_GEMM_INT8_INTERNAL_H

#include <string.h>

#include "opt_kernels_int8.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TL_I8_X86 1
#endif
#if defined(__ARM_NEON) && (defined(__GNUC__) || defined(__clang__))
#define TL_I8_ARM 1
#if defined(__aarch64__)
#define TL_I8_DOTPROD 1
#endif
#endif

#define TL_I8_INLINE static inline __attribute__((always_inline))
#define TL_I8_MR 4 /* rows per micro-tile of tl_i8_kernels.tile */
#define TL_I8_ROWS_Q_ROWS 96 /* rows per call of tl_i8_kernels.rows_q, at most */
#define TL_I8_ROWS_Q_A16 8192 /* and at most this many int16 of rows * depth (rounded up to pairs) */

/* sums[0..cols) for channels c0.. of one depthwise output pixel: taps (ky, kx) in [ky0, ky1) x [kx0, kx1). */
typedef struct tl_dw8_pixel {
  const int8_t *x; /* input image at channel c0 */
  int64_t x_off;   /* offset of the pixel's tap (0, 0) (may be outside: only taps inside are added) */
  const int8_t *w; /* weights at tap (0, 0), channel c0 */
  int64_t x_dy, x_dx, w_dy, w_dx;
  int32_t ky0, ky1, kx0, kx1;
  int32_t zp;
} tl_dw8_pixel;

/* One level's micro-kernels, chosen once per call of an op driver (tl_i8_kernels_for). The first six fields
 * every level has (dw_sums16 NULL: the depthwise driver's plain loop); the rest are the AVX-512 VNNI level's
 * whole-tile paths (NULL elsewhere), each returning 0
 * (nothing written) where it does not apply, and then the op takes the generic tile path. */
struct tl_i8_kernels {
  tl_i8_level level;
  int32_t nr;     /* columns per panel */
  int32_t group;  /* consecutive depth values per column in a panel */
  int32_t offset; /* added to every activation by the micro-kernel (VNNI: 128), removed by the corrections */
  /* raw int32 sums of rows (1..TL_I8_MR) rows of a (lda apart) by one panel b, depth k, acc rows 16 apart */
  void (*tile)(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b, int32_t *acc);
  /* y[r * ldy + 0..cols) = requant(raw[r * 16 + ..] + corr) of columns j0.. for rows r, for requantizations
   * with every shift in [-31, 0] */
  void (*requant_rows)(int8_t *y, int64_t ldy, const int32_t *raw, int32_t rows, const int64_t *corr, int32_t j0,
                       int32_t cols, const tl_requant_int8 *q);
  /* 16 channels of tl_dw8_pixel */
  void (*dw_sums16)(int32_t *sums, const tl_dw8_pixel *t);
  /* one row over the columns [jb, je), requantized in registers (il: the interleaved packing, which FC with
   * batch 1 uses on this level) */
  int (*gemv_q)(int8_t *y, const int8_t *a, int32_t n, int32_t k, const int8_t *panels, const int64_t *corr,
                const tl_requant_int8 *q, int32_t jb, int32_t je, int32_t il);
  /* m rows of the panels from column j0 (<= je), requantized in registers: returns the columns done (0, one or
   * two panels) */
  int32_t (*panels_q)(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m, int32_t k,
                      const int8_t *panel, int64_t panel_bytes, const int64_t *corr, int32_t j0, int32_t je,
                      int32_t n, const tl_requant_int8 *q);
  /* tl_conv_int8_patch of rows positions from pos0, rows ld bytes apart (may write up to 63 bytes past each) */
  void (*im2col)(int8_t *dst, int64_t ld, const int8_t *xb, const int8_t *x_end, int64_t pos0, int32_t rows,
                 int8_t zp, const tl_conv_params *g);
  /* Conv2D packed in kernel-row segments (conv2d_int8_opt.c): non-NULL means the level packs that way */
  int (*conv_seg)(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch, const tl_conv_int8_params *p);
  /* depthwise: the leading channels done in registers (returns how many: a multiple of 8, or all) */
  int32_t (*dw_q)(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias, const tl_conv_int8_params *p);
  /* products and requantization in one (AVX2): rows (1..TL_I8_ROWS_Q_ROWS) rows of a against the panels of columns
   * [jb, je) (panel_bytes apart), corr the whole correction array, only for packs whose header word 3 (fits32)
   * is set: returns 0 (nothing written) where it does not apply */
  int (*rows_q)(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *panels,
                int64_t panel_bytes, const int64_t *corr, int32_t jb, int32_t je, int32_t n, const tl_requant_int8 *q);
  /* Conv2D (plain packing) with few values per kernel row, direct from the input (AVX2: conv_int8_small_avx2.c):
   * returns 0 (nothing written) where it does not apply, and then the im2col path runs */
  int (*conv_small)(int8_t *y, const int8_t *x, const void *packed, const tl_conv_int8_params *p);
};

extern const tl_i8_kernels tl_i8_kernels_portable;
#if defined(TL_I8_X86)
extern const tl_i8_kernels tl_i8_kernels_avx2, tl_i8_kernels_vnni, tl_i8_kernels_vnni_bw;
int tl_i8_x86_bwvl(void); /* AVX-512 BW and VL at run time (every CPU with AVX-512 VNNI has them) */
void tl_dw8_sums16_avx2(int32_t *sums, const tl_dw8_pixel *t); /* also the VNNI levels' (depthwise_int8_avx2.c) */
int32_t tl_dw8_q_avx2(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias, const tl_conv_int8_params *p);
int tl_conv_int8_small_avx2(int8_t *y, const int8_t *x, const void *packed, const tl_conv_int8_params *p);
/* depthwise_int8_pairs_avx2.c: the 8 channels from c0, the folded bias start[0..8) fitting int32 (channel order) */
int tl_dw8_pairs_avx2(int8_t *y, const int8_t *x, const int8_t *w, const int32_t *start, int32_t c0,
                      const tl_conv_int8_params *p);
#endif
#if defined(TL_I8_ARM)
extern const tl_i8_kernels tl_i8_kernels_neon;
#endif
#if defined(TL_I8_DOTPROD)
extern const tl_i8_kernels tl_i8_kernels_sdot;
#endif

/* ---- packed layout: from the first 64-byte boundary of the caller's buffer (which has 64 bytes more, so
 * every 64-byte panel load stays within one cache line), a 64-byte header (int32 words: 0 inline
 * requantization ok, 1 segment stride, 2 interleaved, 3 fits32: inline requantization ok and every
 * raw + corr within int32, see tl_gemm_int8_pack), the corrections (int64 [npad]), the panels ---- */
#define TL_I8_ALIGN 64
#define TL_I8_HEADER 64
static inline const uint8_t *tl_i8_base(const void *packed) {
  const uintptr_t a = (uintptr_t)packed;
  return (const uint8_t *)packed + (TL_I8_ALIGN - a % TL_I8_ALIGN) % TL_I8_ALIGN;
}
static inline int64_t tl_i8_kp(int32_t k) { return ((int64_t)k + 3) / 4 * 4; }
static inline int64_t tl_i8_npad(const tl_i8_kernels *ks, int32_t n) {
  return ((int64_t)n + ks->nr - 1) / ks->nr * ks->nr;
}
static inline const int64_t *tl_i8_corr(const void *packed) {
  return (const int64_t *)(const void *)(tl_i8_base(packed) + TL_I8_HEADER);
}
static inline int32_t tl_i8_header(const void *packed, int word) {
  int32_t v;
  memcpy(&v, tl_i8_base(packed) + word * sizeof(int32_t), sizeof v);
  return v;
}

/* x[0..avail) as the low bytes of a little-endian word, zeros above (the weights there are zero too). */
TL_I8_INLINE uint32_t tl_i8_load4(const int8_t *x, int32_t avail) {
  uint8_t b[4] = {0, 0, 0, 0};
  memcpy(b, x, (size_t)(avail < 4 ? avail : 4));
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* tl_requantize_channel_int8 for shift <= 0 (every multiplier in (0, 1) that prepare accepts, but the
 * rounding edge), as inline code: single: the reference's one rounding; else the same steps as quant.c (saturate to int32; srdhm, where a == b ==
 * INT32_MIN cannot happen since m > 0; rounding divide by 2^right with the same floor, remainder and
 * threshold), so the result is identical. */
TL_I8_INLINE int8_t tl_i8_requant(int64_t acc, int32_t m, int32_t right, int32_t zp, int32_t lo, int32_t hi,
                                  int32_t single) {
  const int64_t a = acc > INT32_MAX ? INT32_MAX : (acc < INT32_MIN ? INT32_MIN : acc);
  const int64_t ab = a * m;
  if (single) { /* the reference's single rounding: ties away from zero, shift 31 + right */
    const int64_t u = ab + ((int64_t)1 << (30 + right)) - (ab < 0 ? 1 : 0);
    int64_t w = (u >= 0 ? u >> (31 + right) : -((-(u + 1)) >> (31 + right)) - 1) + zp;
    w = w < lo ? lo : w;
    return (int8_t)(w > hi ? hi : w);
  }
  const int64_t t = ab + (ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30));
  const int64_t x = t >= 0 ? t >> 31 : -((-t) >> 31); /* srdhm, in int32 range */
  const int64_t q = x >= 0 ? x >> right : -((-(x + 1)) >> right) - 1;
  const int64_t remainder = x - q * ((int64_t)1 << right);
  const int64_t threshold = ((((int64_t)1 << right) - 1) >> 1) + (x < 0 ? 1 : 0);
  int64_t v = q + (remainder > threshold ? 1 : 0) + zp;
  v = v < lo ? lo : v;
  return (int8_t)(v > hi ? hi : v);
}

/* Columns j0 + [from, cols) of one row with tl_i8_requant (the vector rows' tails). */
static inline void tl_i8_requant_tail(int8_t *y, const int32_t *raw, const int64_t *corr, int32_t j0, int32_t from,
                                      int32_t cols, const tl_requant_int8 *q) {
  for (int32_t j = from; j < cols; j++) {
    const int32_t m = q->channels > 1 ? q->multipliers[j0 + j] : q->multiplier;
    const int32_t sh = q->channels > 1 ? q->shifts[j0 + j] : q->shift;
    y[j] = tl_i8_requant((int64_t)raw[j] + corr[j], m, -sh, q->output_zp, q->act_min, q->act_max,
                         q->single_rounding);
  }
}

/* Rows of outputs (raw rows 16 apart): the level's inline requantization when the pack allowed it, else the
 * reference's. */
static inline void tl_i8_requant_rows(const tl_i8_kernels *ks, int8_t *y, int64_t ldy, const int32_t *raw,
                                      int32_t rows, const int64_t *corr, int32_t j0, int32_t cols,
                                      const tl_requant_int8 *q, int32_t inline_requant) {
  if (inline_requant) {
    ks->requant_rows(y, ldy, raw, rows, corr, j0, cols, q);
    return;
  }
  for (int32_t r = 0; r < rows; r++)
    for (int32_t j = 0; j < cols; j++)
      y[r * ldy + j] = tl_requantize_channel_int8((int64_t)raw[r * 16 + j] + corr[j], j0 + j, q);
}

/* gemm_int8.c */
int32_t tl_i8_inline_ok(const tl_requant_int8 *q); /* every shift in [-31, 0], multiplier > 0 */
void tl_i8_requant_rows_scalar(int8_t *y, int64_t ldy, const int32_t *raw, int32_t rows, const int64_t *corr,
                               int32_t j0, int32_t cols, const tl_requant_int8 *q);
size_t tl_gemm_int8_packed_bytes_k(const tl_i8_kernels *ks, int32_t n, int32_t k);
void tl_gemm_int8_pack(void *packed, const int8_t *w, const int32_t *bias, int32_t n, int32_t k, int32_t seg,
                       int32_t segp, int32_t input_zp, const tl_requant_int8 *q, const tl_i8_kernels *ks, int32_t il);
void tl_gemm_int8_run(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m, const void *packed,
                      int32_t n, int32_t k, const tl_requant_int8 *q, const tl_i8_kernels *ks, int32_t jb, int32_t je);
/* conv2d_int8_opt.c: the im2col row of the segmented packing (tap (0, 0) at input (iy0, ix0)) */
void tl_conv_int8_seg_row(int8_t *d, const int8_t *xb, int64_t iy0, int64_t ix0, int8_t zp, const tl_conv_params *g);
/* depthwise_conv2d_int8_opt.c: bytes of one VNNI block of 32 channels */
#define TL_DW8_VB 32
size_t tl_dw8_vnni_block_bytes(int32_t taps);

#endif /* TL_GEMM_INT8_INTERNAL_H */
