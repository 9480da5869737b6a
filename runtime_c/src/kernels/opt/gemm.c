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
      {TL_ISA_PORTABLE, 8, tl_gemm_f32_portable, NULL, 0, 0, NULL},
      {TL_ISA_NEON, 8, tl_gemm_f32_neon, NULL, 0, 0, NULL},
      {TL_ISA_AVX2, 16, tl_gemm_f32_avx2, tl_conv_tile_f32_avx2, 6, 6, tl_conv_ind_tile_f32_avx2},
      {TL_ISA_AVX512, 32, tl_gemm_f32_avx512, tl_conv_tile_f32_avx512, 8, 12, NULL},
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
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  /* AVX-512 picks its 12-row kernel for at most 16 columns: a last chunk of <= 16 columns of a wider GEMM
   * keeps the whole GEMM's 8-row tiles (else its one-row tail, summed in four partial sums, could fall on
   * other rows than in the whole GEMM) */
  if (isa == TL_ISA_AVX512 && g->n > 16 && part.n <= 16) {
    tl_gemm_f32_avx512_wide(&part);
    return;
  }
#endif
  tl_gemm_f32(&part, isa);
}

/* Algorithm: a task is a block of row tiles (TL_GEMM_ROW_ALIGN rows each, capped at max_block) by a chunk of
 * panels; threads claim the tasks in order (row block-major). The plan tries row block counts and panel chunk
 * counts that give between `threads` and 4 x `threads` tasks (more only where max_block forces them) and keeps
 * the one whose estimated finish is earliest: tasks dealt round-robin to the threads (what in-order claiming
 * does with equal tasks), each costing its rows x panels plus a fixed overhead (TL_SPLIT_TASK_COST, the
 * hand-off and the re-read of a block's rows per chunk), plus 1/32 of a thread's share when a thread gets
 * fewer than two tasks (a thread descheduled in the middle of its only task holds the op up; with two, the
 * others can take its second). So the last tile is not left to one thread: 64 rows by 16 panels on 2 threads
 * become 4 chunks of 4 panels (each thread half the work) rather than row blocks of 24, 24 and 16 rows (one
 * thread 40 rows). Ties keep fewer tasks. Cost: O(candidates x tasks), a few hundred steps at 2 threads; the
 * candidate counts are thinned geometrically past 16 so many threads stay cheap. */
#define TL_SPLIT_TASK_COST 6 /* rows x panels */

/* Next candidate count after v (every count up to 16, then about 1/8 more each step). */
static int64_t tl_split_next(int64_t v) { return v < 16 ? v + 1 : v + v / 8; }

/* Round-robin finish estimate of the row-block-major grid: nb blocks (the last last_rows rows, the others
 * block rows) by nc chunks (the last last_panels panels, the others chunk panels). */
static int64_t tl_split_estimate(int64_t nb, int64_t block, int64_t last_rows, int64_t nc, int64_t chunk,
                                 int64_t last_panels, int32_t threads) {
  int64_t worst = 0, t;
  const int64_t n = nb * nc;
  for (int32_t th = 0; th < threads && th < n; th++) {
    int64_t sum = 0;
    for (t = th; t < n; t += threads) {
      const int64_t r = t / nc == nb - 1 ? last_rows : block, c = t % nc == nc - 1 ? last_panels : chunk;
      sum += r * c + TL_SPLIT_TASK_COST;
    }
    if (sum > worst) worst = sum;
  }
  return worst;
}

void tl_gemm_split_plan(tl_gemm_split *s, int64_t rows, int32_t panels, int32_t threads, int32_t max_block) {
  const int64_t tiles = rows > 0 ? (rows + TL_GEMM_ROW_ALIGN - 1) / TL_GEMM_ROW_ALIGN : 0;
  const int64_t max_tiles = max_block / TL_GEMM_ROW_ALIGN > 0 ? max_block / TL_GEMM_ROW_ALIGN : 1;
  const int64_t most = 4 * (int64_t)(threads > 1 ? threads : 1);
  const int64_t least_blocks = tiles > 0 ? (tiles + max_tiles - 1) / max_tiles : 0;
  const int64_t p = panels > 0 ? panels : 1;
  int64_t best = -1, best_tasks = 0, best_block = 1, best_chunk = p;
  if (tiles == 0 || threads <= 1) {
    best_block = tiles < max_tiles ? (tiles > 0 ? tiles : 1) : max_tiles;
  } else {
    for (int64_t want_nb = least_blocks; want_nb <= tiles; want_nb = tl_split_next(want_nb)) {
      const int64_t bt = (tiles + want_nb - 1) / want_nb, nb = (tiles + bt - 1) / bt;
      const int64_t block = bt * TL_GEMM_ROW_ALIGN, last_rows = rows - (nb - 1) * block;
      if (nb > most && nb >= least_blocks + threads) break;
      for (int64_t want_nc = 1; want_nc <= p; want_nc = tl_split_next(want_nc)) {
        const int64_t chunk = (p + want_nc - 1) / want_nc, nc = (p + chunk - 1) / chunk, tasks = nb * nc;
        int64_t est;
        if (tasks > most && nc > 1) break;
        est = tl_split_estimate(nb, block, last_rows, nc, chunk, p - (nc - 1) * chunk, threads);
        if (tasks < 2 * (int64_t)threads) est += rows * p / threads / 32;
        if (best < 0 || est < best || (est == best && tasks < best_tasks)) {
          best = est;
          best_tasks = tasks;
          best_block = bt;
          best_chunk = chunk;
        }
      }
    }
  }
  s->block_rows = (int32_t)(best_block * TL_GEMM_ROW_ALIGN);
  s->row_tasks = (int32_t)(tiles > 0 ? (tiles + best_block - 1) / best_block : 0);
  s->chunk_panels = (int32_t)best_chunk;
  s->col_tasks = (int32_t)((p + best_chunk - 1) / best_chunk);
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
