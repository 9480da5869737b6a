/* gemm_driver.h: the loop nest shared by every level's GEMM driver, as a macro (private to kernels/opt/).
 *
 * What this is: TL_GEMM_DRIVER(name, attrs, MR, NR, tile) defines `void name(const tl_gemm_f32_args *g)`
 * that walks C in tiles of MR rows by NR columns and calls `tile(rows, k, a, lda, panel, c, ldc, act)`
 * with `rows` a constant 1..MR (so the always-inline tile is specialised per row count and its unused
 * rows vanish). Partial column tiles go through a stack tile and are copied out. What this is not: the
 * arithmetic (the tile functions in each level's file).
 *
 * Algorithm: panels of B outermost (one panel, (k + 1) * NR floats, stays hot in cache while every row
 * block of A streams past it), then row blocks of MR.
 */
#ifndef TL_GEMM_DRIVER_H
#define TL_GEMM_DRIVER_H

#include <string.h>

#include "opt_kernels.h"

#define TL_GEMM_CASE_(tile, MR, r, k, a, lda, b, c, ldc, act) \
  case r:                                                     \
    if ((r) < (MR)) {                                         \
      tile((r) < (MR) ? (r) : (MR), k, a, lda, b, c, ldc, act); \
    } else {                                                  \
      tile(MR, k, a, lda, b, c, ldc, act);                    \
    }                                                         \
    break;

#define TL_GEMM_DRIVER(name, attrs, MR, NR, tile)                                                      \
  attrs static void name##_tile_rows(int32_t rows, int32_t k, const float *a, int64_t lda,              \
                                     const float *b, float *c, int64_t ldc, tl_act_f32 act) {           \
    switch (rows) {                                                                                     \
      TL_GEMM_CASE_(tile, MR, 1, k, a, lda, b, c, ldc, act)                                                 \
      TL_GEMM_CASE_(tile, MR, 2, k, a, lda, b, c, ldc, act)                                                 \
      TL_GEMM_CASE_(tile, MR, 3, k, a, lda, b, c, ldc, act)                                                 \
      TL_GEMM_CASE_(tile, MR, 4, k, a, lda, b, c, ldc, act)                                                 \
      TL_GEMM_CASE_(tile, MR, 5, k, a, lda, b, c, ldc, act)                                                 \
      TL_GEMM_CASE_(tile, MR, 6, k, a, lda, b, c, ldc, act)                                                 \
      TL_GEMM_CASE_(tile, MR, 7, k, a, lda, b, c, ldc, act)                                                 \
      default:                                                                                          \
        tile(MR, k, a, lda, b, c, ldc, act);                                                            \
        break;                                                                                          \
    }                                                                                                   \
  }                                                                                                     \
  attrs void name(const tl_gemm_f32_args *g) {                                                          \
    const int64_t panel_floats = ((int64_t)g->k + 1) * (NR);                                            \
    for (int32_t n0 = 0; n0 < g->n; n0 += (NR)) {                                                       \
      const float *panel = g->b_packed + (int64_t)(n0 / (NR)) * panel_floats; /* [k + 1, NR] */         \
      const int32_t cols = g->n - n0 < (NR) ? g->n - n0 : (NR);                                         \
      for (int32_t m0 = 0; m0 < g->m; m0 += (MR)) {                                                     \
        const int32_t rows = g->m - m0 < (MR) ? g->m - m0 : (MR);                                       \
        const float *a = g->a + (int64_t)m0 * g->lda;                                                   \
        float *c = g->c + (int64_t)m0 * g->ldc + n0;                                                    \
        if (cols == (NR)) {                                                                             \
          name##_tile_rows(rows, g->k, a, g->lda, panel, c, g->ldc, g->act);                            \
        } else {                                                                                        \
          float part[(MR) * (NR)]; /* [rows, NR]: the full tile, of which cols columns are kept */      \
          name##_tile_rows(rows, g->k, a, g->lda, panel, part, (NR), g->act);                           \
          for (int32_t r = 0; r < rows; r++) {                                                          \
            memcpy(c + (int64_t)r * g->ldc, part + (int64_t)r * (NR), (size_t)cols * sizeof(float));    \
          }                                                                                             \
        }                                                                                               \
      }                                                                                                 \
    }                                                                                                   \
  }

/* TL_CONV_TILE_DRIVER(name, attrs, MR, NR, itile) defines the tl_conv_tile_f32_<level> of opt_kernels.h:
 * one tile of `rows` (1..MR) output positions by one panel, whose A rows are read through pointers and a
 * table of offsets, `itile(rows, k, a, off, panel, c, ldc, act)` (rows again a constant per case). */
#define TL_ITILE_CASE_(itile, MR, r, k, a, off, b, c, ldc, act) \
  case r:                                                       \
    itile((r) < (MR) ? (r) : (MR), k, a, off, b, c, ldc, act);  \
    break;

#define TL_CONV_TILE_DRIVER(name, attrs, MR, NR, itile)                                                   \
  attrs void name(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,  \
                  float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {                                  \
    float part[(MR) * (NR)]; /* [rows, NR] when cols < NR */                                              \
    float *dst = cols == (NR) ? c : part;                                                                 \
    const int64_t ld = cols == (NR) ? ldc : (NR);                                                         \
    switch (rows) {                                                                                       \
      TL_ITILE_CASE_(itile, MR, 1, k, a, off, panel, dst, ld, act)                                        \
      TL_ITILE_CASE_(itile, MR, 2, k, a, off, panel, dst, ld, act)                                        \
      TL_ITILE_CASE_(itile, MR, 3, k, a, off, panel, dst, ld, act)                                        \
      TL_ITILE_CASE_(itile, MR, 4, k, a, off, panel, dst, ld, act)                                        \
      TL_ITILE_CASE_(itile, MR, 5, k, a, off, panel, dst, ld, act)                                        \
      TL_ITILE_CASE_(itile, MR, 6, k, a, off, panel, dst, ld, act)                                        \
      TL_ITILE_CASE_(itile, MR, 7, k, a, off, panel, dst, ld, act)                                        \
      default:                                                                                            \
        itile(MR, k, a, off, panel, dst, ld, act);                                                        \
        break;                                                                                            \
    }                                                                                                     \
    if (cols < (NR)) {                                                                                    \
      for (int32_t r = 0; r < rows; r++) {                                                                \
        memcpy(c + (int64_t)r * ldc, part + (int64_t)r * (NR), (size_t)cols * sizeof(float));            \
      }                                                                                                   \
    }                                                                                                     \
  }

#endif /* TL_GEMM_DRIVER_H */
