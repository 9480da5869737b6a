/* gemm_int8.c: the level-independent half of the packed int8 GEMM: the levels and their kernel sets, the
 * packing, and the loop over panels and row tiles (see opt_kernels_int8.h).
 *
 * What this is: weights packed into panels of NR output columns, groups of G consecutive depth values per
 * column ([ceil(k / 4) * 4 / G][NR][G] bytes per panel, zero-padded), multiplied by the level's micro-kernels
 * (gemm_int8_portable.c, gemm_int8_avx2.c, gemm_int8_avx512.c, gemm_int8_neon.c), each compiled with a
 * function attribute for its instruction set and guarded by architecture macros, so every file builds
 * everywhere (bare metal included) and tl_i8_kernels_for only picks levels the CPU has. What this is not: the
 * requantization's definition (every output is the reference tl_requantize_channel_int8's by construction).
 */
#include "gemm_int8_internal.h"

int tl_i8_level_supported(tl_i8_level level, const tl_cpu_features *f) {
  switch (level) {
    case TL_I8_PORTABLE:
      return 1;
    case TL_I8_AVX2:
      return f->avx2_fma != 0;
    case TL_I8_VNNI:
      return f->avx512f != 0 && f->avx512vnni != 0;
    case TL_I8_NEON:
      return f->neon != 0;
    case TL_I8_SDOT:
#if defined(TL_I8_DOTPROD)
      return f->neon != 0 && f->dotprod != 0;
#else
      return 0;
#endif
  }
  return 0;
}

tl_i8_level tl_i8_level_for(tl_isa isa, const tl_cpu_features *f) {
  switch (isa) {
    case TL_ISA_AVX512:
      if (tl_i8_level_supported(TL_I8_VNNI, f)) return TL_I8_VNNI;
      return tl_i8_level_supported(TL_I8_AVX2, f) ? TL_I8_AVX2 : TL_I8_PORTABLE;
    case TL_ISA_AVX2:
      return tl_i8_level_supported(TL_I8_AVX2, f) ? TL_I8_AVX2 : TL_I8_PORTABLE;
    case TL_ISA_NEON:
      if (tl_i8_level_supported(TL_I8_SDOT, f)) return TL_I8_SDOT;
      return tl_i8_level_supported(TL_I8_NEON, f) ? TL_I8_NEON : TL_I8_PORTABLE;
    case TL_ISA_REFERENCE:
    case TL_ISA_PORTABLE:
    case TL_ISA_AUTO:
      return TL_I8_PORTABLE;
  }
  return TL_I8_PORTABLE;
}

const char *tl_i8_level_name(tl_i8_level level) {
  static const char *const names[TL_I8_LEVEL_COUNT] = {"portable", "avx2", "vnni", "neon", "sdot"};
  return (unsigned)level < TL_I8_LEVEL_COUNT ? names[level] : "unknown";
}

/* The one place that maps a level to code: a level this build has no code for gets the portable set (its own
 * packing, so pack and run agree). */
const tl_i8_kernels *tl_i8_kernels_for(tl_i8_level level) {
  switch (level) {
#if defined(TL_I8_X86)
    case TL_I8_AVX2:
      return &tl_i8_kernels_avx2;
    case TL_I8_VNNI:
      return tl_i8_x86_bwvl() ? &tl_i8_kernels_vnni_bw : &tl_i8_kernels_vnni;
#endif
#if defined(TL_I8_ARM)
    case TL_I8_NEON:
      return &tl_i8_kernels_neon;
#endif
#if defined(TL_I8_DOTPROD)
    case TL_I8_SDOT:
      return &tl_i8_kernels_sdot;
#endif
    default:
      return &tl_i8_kernels_portable;
  }
}

tl_i8_level tl_i8_kernels_level(const tl_i8_kernels *ks) { return ks->level; }

size_t tl_gemm_int8_packed_bytes_k(const tl_i8_kernels *ks, int32_t n, int32_t k) {
  const size_t npad = (size_t)tl_i8_npad(ks, n);
  return TL_I8_ALIGN + TL_I8_HEADER + npad * sizeof(int64_t) + npad * (size_t)tl_i8_kp(k);
}

size_t tl_gemm_int8_packed_bytes(tl_i8_level level, int32_t n, int32_t k) {
  return tl_gemm_int8_packed_bytes_k(tl_i8_kernels_for(level), n, k);
}

/* A loop without an early exit, so that compilers vectorize it (the depthwise drivers call it per invoke). */
int32_t tl_i8_inline_ok(const tl_requant_int8 *q) {
  if (q->channels < 1) return 1;
  if (q->channels == 1) return q->shift <= 0 && q->shift >= -31 && q->multiplier > 0;
  int32_t bad = 0;
  for (int32_t c = 0; c < q->channels; c++)
    bad |= (q->shifts[c] > 0) | (q->shifts[c] < -31) | (q->multipliers[c] <= 0);
  return !bad;
}

void tl_i8_requant_rows_scalar(int8_t *y, int64_t ldy, const int32_t *raw, int32_t rows, const int64_t *corr,
                               int32_t j0, int32_t cols, const tl_requant_int8 *q) {
  for (int32_t r = 0; r < rows; r++) tl_i8_requant_tail(y + r * ldy, raw + r * 16, corr, j0, 0, cols, q);
}

/* Algorithm: per panel of NR columns, depth groups of G bytes per column; column sums give the corrections
 * bias - (input_zp + offset) * sum(w) (int64: exact for any k).
 * Segments: the depth is k / seg runs of seg values, each packed at a multiple of segp >= seg (zero weights
 * between; segp = seg = k: the plain layout). The packed depth is (k / seg) * segp; header word 1 is segp.
 * Interleaved (il, header word 2; the VNNI level's one-row product only, see its gemv_q): within each block
 * of 4 panels (64 columns; the last block bp <= 4 panels) the panels' 64-byte groups of one depth step lie
 * next to each other (group g of panel p at block + (g * bp + p) * 64): one sequential stream per block
 * instead of bp. The block starts where the plain layout's does, so the size is the same. */
void tl_gemm_int8_pack(void *packed, const int8_t *w, const int32_t *bias, int32_t n, int32_t k, int32_t seg,
                       int32_t segp, int32_t input_zp, const tl_requant_int8 *q, const tl_i8_kernels *ks, int32_t il) {
  const int32_t nr = ks->nr, grp = ks->group, kpk = k / seg * segp;
  const int64_t npad = tl_i8_npad(ks, n), kp = tl_i8_kp(kpk), npanels = npad / nr;
  uint8_t *base = (uint8_t *)packed + (tl_i8_base(packed) - (const uint8_t *)packed);
  int64_t *corr = (int64_t *)(void *)(base + TL_I8_HEADER);
  int8_t *panels = (int8_t *)(corr + npad);
  int32_t header[4] = {tl_i8_inline_ok(q), segp, il, 0};
  memset(packed, 0, tl_gemm_int8_packed_bytes_k(ks, n, kpk));
  for (int32_t j = 0; j < n; j++) {
    const int8_t *wj = w + (int64_t)j * k; /* [k] */
    const int64_t pj = j / nr, blk = pj / 4, bp = npanels - 4 * blk < 4 ? npanels - 4 * blk : 4;
    int8_t *panel = panels + pj * nr * kp;
    int64_t sum = 0;
    for (int32_t i0 = 0; i0 < k; i0++) {
      const int32_t i = i0 / seg * segp + i0 % seg;
      if (il)
        panels[blk * 4 * nr * kp + (((int64_t)(i / grp) * bp + pj % 4) * nr + j % nr) * grp + i % grp] = wj[i0];
      else
        panel[((int64_t)(i / grp) * nr + j % nr) * grp + i % grp] = wj[i0];
      sum += wj[i0];
    }
    corr[j] = (bias ? (int64_t)bias[j] : 0) - ((int64_t)input_zp + ks->offset) * sum;
  }
  /* fits32: each raw sum is at most kp * 255 * 128 in magnitude (activation plus offset in [-128, 255]), so
   * with |corr| <= INT32_MAX - that, raw + corr is exact in int32 and never saturates */
  const int64_t bound = (int64_t)INT32_MAX - kp * 255 * 128;
  header[3] = header[0] && bound >= 0;
  for (int32_t j = 0; j < n && header[3]; j++) header[3] = corr[j] <= bound && corr[j] >= -bound;
  memcpy(base, header, sizeof header);
}

/* Algorithm: y[r, j] = requant_j(raw[r, j] + corr[j]) for m rows of a (lda apart) and the packed columns
 * [jb, je) of n; the level's register-requantized paths first where it has them (rows_q: as many rows as
 * TL_I8_ROWS_Q_A16 int16 hold, by 4, at most TL_I8_ROWS_Q_ROWS, across a block of panels of at most
 * TL_I8_ROWS_Q_BYTES, which stays in L2), else tiles of 4 rows x NR columns, the rows innermost so a panel
 * stays in L1 across the rows. */
#define TL_I8_ROWS_Q_BYTES (128 * 1024)
void tl_gemm_int8_run(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m, const void *packed,
                      int32_t n, int32_t k, const tl_requant_int8 *q, const tl_i8_kernels *ks, int32_t jb, int32_t je) {
  const int32_t nr = ks->nr;
  const int64_t kp = tl_i8_kp(k);
  const int64_t *corr = tl_i8_corr(packed);
  const int8_t *panels = (const int8_t *)(corr + tl_i8_npad(ks, n));
  const int32_t inline_requant = tl_i8_header(packed, 0); /* tl_i8_inline_ok(q), from the pack */
  const int32_t fits32 = tl_i8_header(packed, 3);
  int32_t acc[TL_I8_MR * 16];
  if (inline_requant && m == 1 && ks->gemv_q != NULL &&
      ks->gemv_q(y, a, n, k, panels, corr, q, jb, je, tl_i8_header(packed, 2)))
    return;
  if (fits32 && ks->rows_q != NULL) { /* blocks of panels within TL_I8_ROWS_Q_BYTES, groups of rows across each */
    const int32_t per = (int32_t)(TL_I8_ROWS_Q_BYTES / (nr * kp) > 0 ? TL_I8_ROWS_Q_BYTES / (nr * kp) : 1) * nr;
    const int64_t ld16 = k < 1 ? 2 : ((int64_t)k + 1) / 2 * 2, fit = TL_I8_ROWS_Q_A16 / ld16 / 4 * 4; /* by 4 */
    const int32_t step = fit < TL_I8_MR ? TL_I8_MR : (fit > TL_I8_ROWS_Q_ROWS ? TL_I8_ROWS_Q_ROWS : (int32_t)fit);
    int ok = 1;
    for (int32_t c0 = jb; c0 < je && ok; c0 += per)
      for (int32_t r0 = 0; r0 < m && ok; r0 += step)
        ok = ks->rows_q(y + r0 * ldy, ldy, a + r0 * lda, lda, m - r0 < step ? m - r0 : step, k, panels,
                        nr * kp, corr, c0, je - c0 < per ? je : c0 + per, n, q);
    if (ok) return;
  }
  for (int32_t j0 = jb; j0 < je; j0 += nr) {
    const int8_t *panel = panels + (int64_t)(j0 / nr) * nr * kp;
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
    if (inline_requant && ks->panels_q != NULL) {
      const int32_t done = ks->panels_q(y + j0, ldy, a, lda, m, k, panel, nr * kp, corr + j0, j0, je, n, q);
      if (done > 0) {
        j0 += done - nr;
        continue;
      }
    }
    for (int32_t r0 = 0; r0 < m; r0 += TL_I8_MR) {
      const int32_t rows = m - r0 < TL_I8_MR ? m - r0 : TL_I8_MR;
      ks->tile(a + r0 * lda, lda, rows, k, panel, acc);
      tl_i8_requant_rows(ks, y + r0 * ldy + j0, ldy, acc, rows, corr + j0, j0, cols, q, inline_requant);
    }
  }
}
