/* int8_gemm_ops.h: int8 BatchMatMul and TransposeConv on the packed int8 GEMM's micro-kernels, bit-exact with
 * their reference kernels (kernels/batch_matmul.h, kernels/transpose_conv.h).
 *
 * What this is: the op glue's entry points (ops/batch_matmul.c, ops/transpose_conv.c) and the two helpers both
 * drivers share (int8_panels.c): a strided packing of any [n, k] matrix into the level's panels (the layout
 * of tl_gemm_int8_pack: panels of nr columns, groups of `group` depth bytes per column, zero-padded to a depth
 * of a multiple of 4), with the int32 zero-point corrections of each column, and the exact int32 products of
 * rows of activations by those panels through the level's tile micro-kernel. Unlike FullyConnected/Conv2D,
 * neither op can requantize straight out of the GEMM: BatchMatMul has a second zero point (a per-row
 * correction, b_zp * sum_l (a - a_zp)), TransposeConv adds the columns of several input pixels (col2im) before
 * requantizing. What this is not: the GEMM itself (gemm_int8*.c, whose internals this uses read-only).
 */
#ifndef TL_INT8_GEMM_OPS_H
#define TL_INT8_GEMM_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/batch_matmul.h"
#include "opt_kernels_int8.h"

/* ---- BatchMatMul (batch_matmul_int8_opt.c) ----
 * Each batch's B (an activation) is packed into the level's panels in the scratch with its column sums, A's
 * row sums are taken once per batch, and the tile sums plus both corrections are requantized as the reference
 * does (one multiplier). Depths up to TL_BMM_INT8_MAX_K keep raw sum + row correction in int32 (each at most
 * 32768 x 255 x 128 in magnitude); deeper products run the reference kernel. */
#define TL_BMM_INT8_MAX_K 32767
int tl_batch_matmul_int8_opt_ok(const tl_batch_matmul_params *p);
/* Scratch of one batch (one per thread): B's panels at the widest level (16 columns, so the same on every
 * CPU; trainer/tlm/planner.py mirrors it), their corrections, A's row corrections, and A transposed with
 * adj_x. */
size_t tl_batch_matmul_int8_opt_scratch_bytes(const tl_batch_matmul_params *p);
/* Output batch `index` (row-major over p->batch) of y. */
void tl_batch_matmul_int8_opt_batch(int8_t *y, const int8_t *a, const int8_t *b, void *scratch,
                                    const tl_batch_matmul_int8_params *q, tl_i8_level level, int64_t index);

/* ---- TransposeConv (transpose_conv_int8_opt.c) ----
 * The weights [out_c, k_h, k_w, in_c] packed once as the [k_h k_w out_c, in_c] matrix (rows in (ky, kx, oc)
 * order) with the bias as int64; per input row, blocks of up to TL_TCONV_INT8_BLOCK pixels go through the
 * tiles into int32 columns (scratch), which col2im adds into a ring of k_h int32 output rows (scratch); an
 * output row no later input row reaches is requantized per channel and written. The int32 sums stay exact
 * for k_h k_w in_c <= TL_GEMM_INT8_MAX_K (tl_transpose_conv_int8_opt_ok; else the reference kernel). */
#define TL_TCONV_INT8_BLOCK 16
int tl_transpose_conv_int8_opt_ok(const tl_conv_params *p);
size_t tl_transpose_conv_int8_opt_packed_bytes(const tl_conv_params *p, tl_i8_level level);
void tl_transpose_conv_int8_opt_pack(void *packed,        /* tl_transpose_conv_int8_opt_packed_bytes, 8-aligned */
                                     const int8_t *w,     /* [out_c, k_h, k_w, in_c] */
                                     const int32_t *bias, /* [out_c] or NULL */
                                     const tl_conv_int8_params *p, tl_i8_level level);
/* Scratch of one thread (the same on every CPU; trainer/tlm/planner.py mirrors it). */
size_t tl_transpose_conv_int8_opt_scratch_bytes(const tl_conv_params *p);
/* Output rows [oy0, oy1) of image b (a split over threads: every range gives the reference's bytes). */
void tl_transpose_conv_int8_opt_rows(int8_t *y,            /* [batch, out_h, out_w, out_c] */
                                     const int8_t *x,      /* [batch, in_h, in_w, in_c] */
                                     const void *packed,   /* from tl_transpose_conv_int8_opt_pack */
                                     void *scratch,        /* tl_transpose_conv_int8_opt_scratch_bytes, 4-aligned */
                                     const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0,
                                     int32_t oy1);

/* ---- shared panels (int8_panels.c; private to the two drivers) ----
 * tl_i8p_pack: the [n, k] matrix whose element (j, i) is m[(j / d) s_hi + (j % d) s_lo + i si] (BatchMatMul's B:
 * d = n; TransposeConv's (tap, oc) rows: d = out_c) into the panels of level set ks
 * (tl_i8p_panel_bytes(ks, n, k) bytes, 64-aligned), and corr[j] = -(zp + ks->offset) * sum_i m(j, i) for j < n
 * (0 above, up to the padded column count), so that tile sum + corr[j] = sum_i (x[i] - zp) m(j, i). */
typedef struct tl_i8p_strides {
  int64_t d, s_hi, s_lo, si;
} tl_i8p_strides;
int32_t tl_i8p_nr(const tl_i8_kernels *ks);
size_t tl_i8p_panel_bytes(const tl_i8_kernels *ks, int32_t n, int32_t k);
void tl_i8p_pack(int8_t *panels, int64_t *corr, const int8_t *m, const tl_i8p_strides *s, int32_t n, int32_t k,
                 int32_t zp, const tl_i8_kernels *ks);
/* c[r * ldc + j] = tile sum + corr[j] for rows r < rows of a (lda apart) and columns [jb, je) (jb a multiple of
 * the level's nr): the exact int32 sums sum_i (a[r, i] - zp) m(j, i), for k <= TL_GEMM_INT8_MAX_K (corr: the
 * pack's corrections as int32, in range for such k). */
void tl_i8p_gemm_cols(int32_t *c, int64_t ldc, const int8_t *a, int64_t lda, int32_t rows, const int8_t *panels,
                      const int32_t *corr, int32_t k, int32_t jb, int32_t je, const tl_i8_kernels *ks);

#endif /* TL_INT8_GEMM_OPS_H */
