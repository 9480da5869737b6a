/* gemm.c: packing of GEMM weight panels, the loop over tiles and dispatch to the level's driver (see
 * opt_kernels.h).
 *
 * What this is: the level-independent half of the packed GEMM. What this is not: a micro-kernel (those are
 * gemm_portable.c, gemm_avx2.c, gemm_avx512.c, gemm_neon.c).
 */
#include "opt_f32_internal.h"

#include <string.h>

/* The GEMM's set of each float level (REFERENCE and AUTO: the portable set), in tl_f32_level_index's order. */
const tl_f32_kernels *tl_f32_kernels_for(tl_isa isa) {
  static const tl_f32_kernels sets[] = {
      {TL_ISA_PORTABLE, 8, tl_gemm_f32_portable, NULL, 0, 0},
      {TL_ISA_NEON, 8, tl_gemm_f32_neon, NULL, 0, 0},
      {TL_ISA_AVX2, 16, tl_gemm_f32_avx2, tl_conv_tile_f32_avx2, 6, 6},
      {TL_ISA_AVX512, 32, tl_gemm_f32_avx512, tl_conv_tile_f32_avx512, 8, 12},
  };
  return &sets[tl_f32_level_index(isa)];
}

int32_t tl_gemm_nr(tl_isa isa) { return tl_f32_kernels_for(isa)->nr; }

tl_isa tl_gemm_level_for(tl_isa isa, int64_t m, int32_t n) {
  return isa == TL_ISA_AVX512 && n <= 16 && m < 12 ? TL_ISA_AVX2 : isa;
}

size_t tl_gemm_packed_floats(tl_isa isa, int32_t n, int32_t k) {
  const size_t nr = (size_t)tl_gemm_nr(isa);
  const size_t panels = ((size_t)n + nr - 1) / nr;
  return panels * ((size_t)k + 1) * nr;
}

void tl_gemm_pack_f32(float *packed, const float *w, const float *bias, int32_t n, int32_t k, tl_isa isa) {
  const int32_t nr = tl_gemm_nr(isa);
  memset(packed, 0, tl_gemm_packed_floats(isa, n, k) * sizeof(float));
  for (int32_t j0 = 0; j0 < n; j0 += nr) {
    float *panel = packed + ((int64_t)j0 / nr) * ((int64_t)k + 1) * nr; /* [k + 1, nr] */
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
    for (int32_t j = 0; j < cols; j++) {
      const float *wj = w + (int64_t)(j0 + j) * k; /* [k] */
      panel[j] = bias ? bias[j0 + j] : 0.0f;
      for (int32_t i = 0; i < k; i++) panel[(int64_t)(i + 1) * nr + j] = wj[i];
    }
  }
}

void tl_gemm_f32_tiles(const tl_gemm_f32_args *g, int32_t mr, int32_t nr, tl_gemm_tile_fn tile) {
  const int64_t panel_floats = ((int64_t)g->k + 1) * nr;
  for (int32_t n0 = 0; n0 < g->n; n0 += nr) {
    const float *panel = g->b_packed + (int64_t)(n0 / nr) * panel_floats; /* [k + 1, nr] */
    const int32_t cols = g->n - n0 < nr ? g->n - n0 : nr;
    for (int32_t m0 = 0; m0 < g->m; m0 += mr) {
      const int32_t rows = g->m - m0 < mr ? g->m - m0 : mr;
      tile(rows, cols, g->k, g->a + (int64_t)m0 * g->lda, g->lda, panel, g->c + (int64_t)m0 * g->ldc + n0, g->ldc,
           g->act);
    }
  }
}

void tl_gemm_copy_cols(float *c, int64_t ldc, const float *part, int32_t ld_part, int32_t rows, int32_t cols) {
  for (int32_t r = 0; r < rows; r++) memcpy(c + (int64_t)r * ldc, part + (int64_t)r * ld_part, cols * sizeof(float));
}

void tl_gemm_f32(const tl_gemm_f32_args *g, tl_isa isa) { tl_f32_kernels_for(isa)->gemm(g); }

void tl_gemm_f32_part(const tl_gemm_f32_args *g, tl_isa isa, int32_t row0, int32_t row1, int32_t panel0,
                      int32_t panel1) {
  const int32_t nr = tl_gemm_nr(isa);
  const int32_t col0 = panel0 * nr;
  const int32_t col1 = (int64_t)panel1 * nr < g->n ? panel1 * nr : g->n;
  tl_gemm_f32_args part = *g;
  if (row1 <= row0 || col1 <= col0) return;
  part.m = row1 - row0;
  part.n = col1 - col0;
  part.a = g->a + (int64_t)row0 * g->lda;
  part.b_packed = g->b_packed + (int64_t)panel0 * ((int64_t)g->k + 1) * nr;
  part.c = g->c + (int64_t)row0 * g->ldc + col0;
  tl_gemm_f32(&part, isa);
}

/* Algorithm: row blocks of about rows / (2 * threads) (two per thread, so the slowest thread waits less),
 * rounded up to TL_GEMM_ROW_ALIGN and capped at max_block. When that gives fewer row tasks than threads (a
 * short GEMM: batch-1 FullyConnected, the last layers of a CNN), the panels are cut into chunks as well, so
 * there are about `threads` tasks in all. */
void tl_gemm_split_plan(tl_gemm_split *s, int64_t rows, int32_t panels, int32_t threads, int32_t max_block) {
  int64_t block = (rows + 2 * (int64_t)threads - 1) / (2 * (int64_t)threads);
  int32_t chunks = 1;
  block = (block + TL_GEMM_ROW_ALIGN - 1) / TL_GEMM_ROW_ALIGN * TL_GEMM_ROW_ALIGN;
  if (block > max_block) block = max_block / TL_GEMM_ROW_ALIGN * TL_GEMM_ROW_ALIGN;
  if (block < TL_GEMM_ROW_ALIGN) block = TL_GEMM_ROW_ALIGN;
  s->block_rows = (int32_t)block;
  s->row_tasks = rows > 0 ? (int32_t)((rows + block - 1) / block) : 0;
  if (s->row_tasks < threads && panels > 1) {
    chunks = (threads + s->row_tasks - 1) / (s->row_tasks > 0 ? s->row_tasks : 1);
    if (chunks > panels) chunks = panels;
  }
  s->chunk_panels = panels > 0 ? (panels + chunks - 1) / chunks : 1;
  s->col_tasks = panels > 0 ? (panels + s->chunk_panels - 1) / s->chunk_panels : 1;
}

void tl_conv_tile_f32_scalar(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                             int32_t nr, float *c, int64_t ldc, int32_t cols, tl_act_f32 act) {
  for (int32_t r = 0; r < rows; r++) {
    for (int32_t j = 0; j < cols; j++) {
      float acc = panel[j];
      for (int32_t kk = 0; kk < k; kk++) acc += a[r][off[kk]] * panel[(int64_t)(kk + 1) * nr + j];
      acc = act.min > acc ? act.min : acc; /* max(lo, v) then min(hi, .), as the vector clamps */
      c[(int64_t)r * ldc + j] = act.max < acc ? act.max : acc;
    }
  }
}
