/* int8_panels.c: the strided packing and the int32 column products that int8 BatchMatMul and TransposeConv share
 * (see int8_gemm_ops.h).
 *
 * What this is: the panel layout of gemm_int8.c's tl_gemm_int8_pack (panel p of nr columns at p * nr * kp
 * bytes, depth group g of column c at (g * nr + c) * group, kp the depth rounded up to 4, zeros past n and k)
 * written from a matrix with any element strides, so an activation ([k, n] or [n, k]) or a weight tensor whose
 * GEMM rows are not contiguous packs without a transposed copy; and the loop of the level's tile micro-kernel
 * over panels and 4-row tiles that stores the exact sums instead of requantizing them. What this is not: a
 * level switch (the kernel set comes from the caller) or a requantization.
 */
#include "gemm_int8_internal.h"
#include "int8_gemm_ops.h"

int32_t tl_i8p_nr(const tl_i8_kernels *ks) { return ks->nr; }

size_t tl_i8p_panel_bytes(const tl_i8_kernels *ks, int32_t n, int32_t k) {
  return (size_t)tl_i8_npad(ks, n) * (size_t)tl_i8_kp(k);
}

/* Algorithm: per panel and column, each depth group's `group` bytes (zeros outside the matrix); the column
 * sums in int64 (exact for any k) give the corrections. */
void tl_i8p_pack(int8_t *panels, int64_t *corr, const int8_t *m, const tl_i8p_strides *s, int32_t n, int32_t k,
                 int32_t zp, const tl_i8_kernels *ks) {
  const int32_t nr = ks->nr, grp = ks->group;
  const int64_t kp = tl_i8_kp(k), npad = tl_i8_npad(ks, n);
  for (int64_t j0 = 0; j0 < npad; j0 += nr) {
    int8_t *panel = panels + j0 * kp; /* [kp / grp][nr][grp] */
    for (int32_t c = 0; c < nr; c++) {
      const int64_t j = j0 + c;
      int8_t *dst = panel + (int64_t)c * grp;
      const int8_t *row;
      int64_t sum = 0;
      if (j >= n) {
        for (int64_t i0 = 0; i0 < kp; i0 += grp) memset(dst + i0 * nr, 0, (size_t)grp);
        corr[j] = 0;
        continue;
      }
      row = m + (j / s->d) * s->s_hi + (j % s->d) * s->s_lo;
      for (int64_t i0 = 0; i0 < kp; i0 += grp) {
        int8_t *d = dst + i0 * nr;
        for (int32_t e = 0; e < grp; e++) {
          const int64_t i = i0 + e;
          const int8_t v = i < k ? row[i * s->si] : 0;
          d[e] = v;
          sum += v;
        }
      }
      corr[j] = -((int64_t)zp + ks->offset) * sum;
    }
  }
}

/* Algorithm: panels outermost (one stays in L1 across the rows), tiles of TL_I8_MR rows; each exact sum is
 * the tile's raw int32 plus the column's correction, both and the sum in int32 range by the caller's depth
 * bound. */
void tl_i8p_gemm_cols(int32_t *c, int64_t ldc, const int8_t *a, int64_t lda, int32_t rows, const int8_t *panels,
                      const int32_t *corr, int32_t k, int32_t jb, int32_t je, const tl_i8_kernels *ks) {
  const int32_t nr = ks->nr;
  const int64_t kp = tl_i8_kp(k);
  int32_t acc[TL_I8_MR * 16];
  for (int32_t j0 = jb; j0 < je; j0 += nr) {
    const int8_t *panel = panels + (int64_t)j0 * kp;
    const int32_t cols = je - j0 < nr ? je - j0 : nr;
    for (int32_t r0 = 0; r0 < rows; r0 += TL_I8_MR) {
      const int32_t rr = rows - r0 < TL_I8_MR ? rows - r0 : TL_I8_MR;
      ks->tile(a + r0 * lda, lda, rr, k, panel, acc);
      for (int32_t r = 0; r < rr; r++) {
        int32_t *dst = c + (r0 + r) * ldc + j0;
        for (int32_t j = 0; j < cols; j++) dst[j] = acc[r * 16 + j] + corr[j0 + j];
      }
    }
  }
}
