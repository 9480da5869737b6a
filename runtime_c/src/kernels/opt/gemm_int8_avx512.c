/* gemm_int8_avx512.c: the AVX-512 VNNI int8 GEMM (NR 16, G 4) and the two VNNI kernel sets.
 *
 * What this is: vpdpbusd adds (x + 128) * w over 4 bytes per column into int32 (no saturation); the +128 is
 * removed by the packed correction. The generic tile (raw sums) and the paths that start the accumulators at
 * the int32 corrections and requantize in registers (tl_rq16): 4-row tiles of one panel, 8-row tiles of two
 * panels, and the one-row product over 4 panels. Compiled with function attributes for AVX-512F + VNNI (+ BW
 * and VL, which tl_i8_kernels_vnni_bw needs and tl_i8_x86_bwvl checks at run time). What this is not: used
 * off x86 (the file is empty there).
 */
#include "gemm_int8_internal.h"

#if defined(TL_I8_X86)
#include "gemm_int8_avx512.h"

int tl_i8_x86_bwvl(void) { return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"); }

/* ---- AVX-512 VNNI: NR 16, G 4; vpdpbusd adds (x + 128) * w over 4 bytes per column into int32 (no
 * saturation); the +128 is removed by the packed correction ---- */
TL_I8_VNNI_ TL_I8_INLINE void tl_i8_vnni_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                              const int8_t *b, int32_t *acc) {
  __m512i c[TL_I8_MR];
  const int32_t groups = k / 4;
  for (int32_t r = 0; r < rows; r++) c[r] = _mm512_setzero_si512();
  for (int32_t g = 0; g < groups; g++) {
    const __m512i bv = _mm512_loadu_si512((const void *)(b + (int64_t)g * 64));
    for (int32_t r = 0; r < rows; r++) {
      const uint32_t xu = tl_i8_load4(a + r * lda + g * 4, 4) ^ 0x80808080u;
      c[r] = _mm512_dpbusd_epi32(c[r], _mm512_set1_epi32((int32_t)xu), bv);
    }
  }
  if (k & 3) {
    const __m512i bv = _mm512_loadu_si512((const void *)(b + (int64_t)groups * 64));
    for (int32_t r = 0; r < rows; r++) {
      const uint32_t xu = tl_i8_load4(a + r * lda + groups * 4, k & 3) ^ 0x80808080u;
      c[r] = _mm512_dpbusd_epi32(c[r], _mm512_set1_epi32((int32_t)xu), bv);
    }
  }
  for (int32_t r = 0; r < rows; r++) _mm512_storeu_si512((void *)(acc + r * 16), c[r]);
}

/* 8 columns of tl_i8_requant in int64 lanes (the same steps; arithmetic shifts are the reference's floor
 * shifts, |t| >> 31 negated is its truncation). */
TL_I8_VNNI_ TL_I8_INLINE __m512i tl_i8_requant8_avx512(__m512i acc, __m512i m, __m512i right, __m512i zp,
                                                       __m512i lo, __m512i hi, int single) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i a = _mm512_min_epi64(_mm512_max_epi64(acc, _mm512_set1_epi64(INT32_MIN)),
                                     _mm512_set1_epi64(INT32_MAX));
  const __m512i ab = _mm512_mul_epi32(a, m);
  if (single) { /* the reference's one rounding: (a * m + 2^(30+r) - [a * m < 0]) >> (31 + r) */
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i up = _mm512_sllv_epi64(one, _mm512_add_epi64(right, _mm512_set1_epi64(30)));
    const __m512i u = _mm512_mask_sub_epi64(_mm512_add_epi64(ab, up), _mm512_cmplt_epi64_mask(ab, zero),
                                            _mm512_add_epi64(ab, up), one);
    const __m512i w = _mm512_add_epi64(_mm512_srav_epi64(u, _mm512_add_epi64(right, _mm512_set1_epi64(31))), zp);
    return _mm512_min_epi64(_mm512_max_epi64(w, lo), hi);
  }
  const __mmask8 neg_ab = _mm512_cmplt_epi64_mask(ab, zero);
  const __m512i nudge_pos = _mm512_set1_epi64((int64_t)1 << 30), nudge_neg = _mm512_set1_epi64(1 - ((int64_t)1 << 30));
  const __m512i t = _mm512_add_epi64(ab, _mm512_mask_blend_epi64(neg_ab, nudge_pos, nudge_neg));
  const __mmask8 neg_t = _mm512_cmplt_epi64_mask(t, zero);
  const __m512i ut = _mm512_srli_epi64(_mm512_abs_epi64(t), 31);
  const __m512i x = _mm512_mask_sub_epi64(ut, neg_t, zero, ut);
  const __m512i q = _mm512_srav_epi64(x, right);
  const __m512i mask = _mm512_sub_epi64(_mm512_sllv_epi64(_mm512_set1_epi64(1), right), _mm512_set1_epi64(1));
  const __m512i remainder = _mm512_and_si512(x, mask);
  const __mmask8 neg_x = _mm512_cmplt_epi64_mask(x, zero);
  const __m512i threshold = _mm512_mask_add_epi64(_mm512_srli_epi64(mask, 1), neg_x, _mm512_srli_epi64(mask, 1),
                                                  _mm512_set1_epi64(1));
  const __mmask8 up = _mm512_cmpgt_epi64_mask(remainder, threshold);
  const __m512i v = _mm512_add_epi64(_mm512_mask_add_epi64(q, up, q, _mm512_set1_epi64(1)), zp);
  return _mm512_min_epi64(_mm512_max_epi64(v, lo), hi);
}

/* Rows of up to 16 outputs: raw [rows][16] int32, corr [16] int64 (padded), columns j0 .. j0 + cols. */
TL_I8_VNNI_ static void tl_i8_requant_rows_avx512(int8_t *y, int64_t ldy, const int32_t *raw, int32_t rows,
                                                  const int64_t *corr, int32_t j0, int32_t cols,
                                                  const tl_requant_int8 *q) {
  const __mmask16 live = (__mmask16)((1u << cols) - 1u);
  __m512i m32, s32;
  if (q->channels > 1) {
    m32 = _mm512_maskz_loadu_epi32(live, q->multipliers + j0);
    s32 = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_maskz_loadu_epi32(live, q->shifts + j0));
  } else {
    m32 = _mm512_set1_epi32(q->multiplier);
    s32 = _mm512_set1_epi32(-q->shift);
  }
  const __m512i zp = _mm512_set1_epi64(q->output_zp), lo = _mm512_set1_epi64(q->act_min);
  const __m512i hi = _mm512_set1_epi64(q->act_max);
  for (int32_t r = 0; r < rows; r++, y += ldy, raw += 16) {
    const __m512i r32 = _mm512_loadu_si512((const void *)raw);
    for (int h = 0; h < 2; h++) {
      const __m256i r_h = h ? _mm512_extracti64x4_epi64(r32, 1) : _mm512_castsi512_si256(r32);
      const __m256i m_h = h ? _mm512_extracti64x4_epi64(m32, 1) : _mm512_castsi512_si256(m32);
      const __m256i s_h = h ? _mm512_extracti64x4_epi64(s32, 1) : _mm512_castsi512_si256(s32);
      const __m512i acc = _mm512_add_epi64(_mm512_cvtepi32_epi64(r_h), _mm512_loadu_si512((const void *)(corr + 8 * h)));
      const __m512i v = tl_i8_requant8_avx512(acc, _mm512_cvtepi32_epi64(m_h), _mm512_cvtepi32_epi64(s_h), zp, lo, hi,
                                                   q->single_rounding);
      _mm512_mask_cvtepi64_storeu_epi8(y + 8 * h, (__mmask8)(live >> (8 * h)), v);
    }
  }
}

TL_I8_VNNI_ static void tl_i8_tile_vnni(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                        int32_t *acc) {
  if (rows == TL_I8_MR) {
    tl_i8_vnni_rows(TL_I8_MR, a, lda, k, b, acc);
    return;
  }
  for (int32_t r = 0; r < rows; r++) tl_i8_vnni_rows(1, a + r * lda, lda, k, b, acc + r * 16);
}

/* The avail (1..4) activation bytes at p as tl_i8_vnni_word (zeros above). */
TL_I8_VNNI_ TL_I8_INLINE __m512i tl_i8_vnni_xu(const int8_t *p, int32_t avail) {
  return _mm512_xor_si512(_mm512_set1_epi32((int32_t)tl_i8_load4(p, avail)), _mm512_set1_epi32((int32_t)0x80808080u));
}

/* tl_i8_vnni_rows with the accumulators starting at the int32 corrections and requantized in registers.
 * The rows are spelled out (c0 .. c3, rows > r is dead code once `rows` is a constant) so the accumulators
 * stay in registers at -O2 too. */
TL_I8_VNNI_ TL_I8_INLINE void tl_i8_vnni_rows_q(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                                const int8_t *b, int8_t *y, int64_t ldy, __m512i corr32,
                                                const tl_rq16 *rq, __mmask16 live) {
  __m512i c0 = corr32, c1 = corr32, c2 = corr32, c3 = corr32;
  const int32_t groups = k / 4;
  int32_t g = 0;
  if (rows == 1) {
    /* one row (a matrix-vector product): four independent chains over the depth groups, so the vpdpbusd
     * latency does not bound the loop */
    __m512i s1 = _mm512_setzero_si512(), s2 = s1, s3 = s1;
    for (; g + 4 <= groups; g += 4) {
      const int8_t *bg = b + (int64_t)g * 64;
      c0 = _mm512_dpbusd_epi32(c0, tl_i8_vnni_xu(a + g * 4, 4), _mm512_loadu_si512((const void *)bg));
      s1 = _mm512_dpbusd_epi32(s1, tl_i8_vnni_xu(a + (g + 1) * 4, 4), _mm512_loadu_si512((const void *)(bg + 64)));
      s2 = _mm512_dpbusd_epi32(s2, tl_i8_vnni_xu(a + (g + 2) * 4, 4), _mm512_loadu_si512((const void *)(bg + 128)));
      s3 = _mm512_dpbusd_epi32(s3, tl_i8_vnni_xu(a + (g + 3) * 4, 4), _mm512_loadu_si512((const void *)(bg + 192)));
    }
    c0 = _mm512_add_epi32(_mm512_add_epi32(c0, s1), _mm512_add_epi32(s2, s3));
  }
  for (; g < groups; g++) {
    const __m512i bv = _mm512_loadu_si512((const void *)(b + (int64_t)g * 64));
    c0 = _mm512_dpbusd_epi32(c0, tl_i8_vnni_xu(a + g * 4, 4), bv);
    if (rows > 1) c1 = _mm512_dpbusd_epi32(c1, tl_i8_vnni_xu(a + lda + g * 4, 4), bv);
    if (rows > 2) c2 = _mm512_dpbusd_epi32(c2, tl_i8_vnni_xu(a + 2 * lda + g * 4, 4), bv);
    if (rows > 3) c3 = _mm512_dpbusd_epi32(c3, tl_i8_vnni_xu(a + 3 * lda + g * 4, 4), bv);
  }
  if (k & 3) { /* the partial last group */
    const __m512i bv = _mm512_loadu_si512((const void *)(b + (int64_t)groups * 64));
    c0 = _mm512_dpbusd_epi32(c0, tl_i8_vnni_xu(a + groups * 4, k & 3), bv);
    if (rows > 1) c1 = _mm512_dpbusd_epi32(c1, tl_i8_vnni_xu(a + lda + groups * 4, k & 3), bv);
    if (rows > 2) c2 = _mm512_dpbusd_epi32(c2, tl_i8_vnni_xu(a + 2 * lda + groups * 4, k & 3), bv);
    if (rows > 3) c3 = _mm512_dpbusd_epi32(c3, tl_i8_vnni_xu(a + 3 * lda + groups * 4, k & 3), bv);
  }
  _mm512_mask_cvtepi32_storeu_epi8(y, live, tl_rq16_apply(c0, rq));
  if (rows > 1) _mm512_mask_cvtepi32_storeu_epi8(y + ldy, live, tl_rq16_apply(c1, rq));
  if (rows > 2) _mm512_mask_cvtepi32_storeu_epi8(y + 2 * ldy, live, tl_rq16_apply(c2, rq));
  if (rows > 3) _mm512_mask_cvtepi32_storeu_epi8(y + 3 * ldy, live, tl_rq16_apply(c3, rq));
}

/* One panel of 16 columns (j0 .. j0 + cols) for all m rows, requantized in registers. Applies (returns 1)
 * when the corrections are small enough that raw + corr stays within int32 (|raw| <= kp * 255 * 128);
 * else returns 0 and the caller takes the int64 path. */
TL_I8_VNNI_ static int tl_i8_panel_vnni_q(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m,
                                          int32_t k, const int8_t *panel, const int64_t *corr, int32_t j0,
                                          int32_t cols, const tl_requant_int8 *q) {
  const __mmask16 live = (__mmask16)((1u << cols) - 1u);
  __m512i corr32;
  tl_rq16 rq;
  if (!tl_i8_corr32(&corr32, corr, k)) return 0;
  tl_rq16_init(&rq, q, j0, live);
  int32_t r0 = 0;
  for (; r0 + TL_I8_MR <= m; r0 += TL_I8_MR)
    tl_i8_vnni_rows_q(TL_I8_MR, a + r0 * lda, lda, k, panel, y + r0 * ldy, ldy, corr32, &rq, live);
  for (; r0 < m; r0++) tl_i8_vnni_rows_q(1, a + r0 * lda, lda, k, panel, y + r0 * ldy, ldy, corr32, &rq, live);
  return 1;
}

/* The partial last group (k & 3 bytes at p, zeros above: the packed weights there are zero too) as
 * tl_i8_vnni_word, read with a masked load (a word assembled from bytes would stall on the store forwarding). */
TL_I8_VNNIBW_ TL_I8_INLINE __m512i tl_i8_vnni_part(const int8_t *p, __mmask16 bytes) {
  return _mm512_xor_si512(_mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(bytes, p)),
                          _mm512_set1_epi32((int32_t)0x80808080u));
}

/* Up to 8 rows x 1 or 2 panels (16 or 32 columns): 16 accumulators, each broadcast activation word feeds `np`
 * vpdpbusd. `rows` and `np` are constants in every instance, so the accumulators are plain variables that stay
 * in registers (c<row><panel>). */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_tile(const int32_t rows, const int32_t np, const int8_t *a, int64_t lda,
                                                int32_t k, const int8_t *b0, const int8_t *b1, int8_t *y, int64_t ldy,
                                                const __m512i *corr, const tl_rq16 *rq, const __mmask16 *live) {
  const int32_t groups = k / 4;
  const __m512i i0 = corr[0], i1 = np > 1 ? corr[1] : corr[0];
  __m512i c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1;
  __m512i c40 = i0, c41 = i1, c50 = i0, c51 = i1, c60 = i0, c61 = i1, c70 = i0, c71 = i1;
  const int8_t *a0 = a, *a1 = a + (rows > 1 ? 1 : 0) * lda, *a2 = a + (rows > 2 ? 2 : 0) * lda;
  const int8_t *a3 = a + (rows > 3 ? 3 : 0) * lda, *a4 = a + (rows > 4 ? 4 : 0) * lda;
  const int8_t *a5 = a + (rows > 5 ? 5 : 0) * lda, *a6 = a + (rows > 6 ? 6 : 0) * lda;
  const int8_t *a7 = a + (rows > 7 ? 7 : 0) * lda;
  for (int32_t g = 0; g < groups; g++) {
    const int64_t off = (int64_t)g * 4;
    const __m512i v0 = _mm512_loadu_si512((const void *)(b0 + (int64_t)g * 64));
    const __m512i v1 = np > 1 ? _mm512_loadu_si512((const void *)(b1 + (int64_t)g * 64)) : v0;
    tl_i8_vnni_dot(np, &c00, &c01, tl_i8_vnni_word(a0 + off), v0, v1);
    if (rows > 1) tl_i8_vnni_dot(np, &c10, &c11, tl_i8_vnni_word(a1 + off), v0, v1);
    if (rows > 2) tl_i8_vnni_dot(np, &c20, &c21, tl_i8_vnni_word(a2 + off), v0, v1);
    if (rows > 3) tl_i8_vnni_dot(np, &c30, &c31, tl_i8_vnni_word(a3 + off), v0, v1);
    if (rows > 4) tl_i8_vnni_dot(np, &c40, &c41, tl_i8_vnni_word(a4 + off), v0, v1);
    if (rows > 5) tl_i8_vnni_dot(np, &c50, &c51, tl_i8_vnni_word(a5 + off), v0, v1);
    if (rows > 6) tl_i8_vnni_dot(np, &c60, &c61, tl_i8_vnni_word(a6 + off), v0, v1);
    if (rows > 7) tl_i8_vnni_dot(np, &c70, &c71, tl_i8_vnni_word(a7 + off), v0, v1);
  }
  if (k & 3) {
    const __mmask16 tail = (__mmask16)((1u << (k & 3)) - 1u);
    const int64_t off = (int64_t)groups * 4;
    const __m512i v0 = _mm512_loadu_si512((const void *)(b0 + (int64_t)groups * 64));
    const __m512i v1 = np > 1 ? _mm512_loadu_si512((const void *)(b1 + (int64_t)groups * 64)) : v0;
    tl_i8_vnni_dot(np, &c00, &c01, tl_i8_vnni_part(a0 + off, tail), v0, v1);
    if (rows > 1) tl_i8_vnni_dot(np, &c10, &c11, tl_i8_vnni_part(a1 + off, tail), v0, v1);
    if (rows > 2) tl_i8_vnni_dot(np, &c20, &c21, tl_i8_vnni_part(a2 + off, tail), v0, v1);
    if (rows > 3) tl_i8_vnni_dot(np, &c30, &c31, tl_i8_vnni_part(a3 + off, tail), v0, v1);
    if (rows > 4) tl_i8_vnni_dot(np, &c40, &c41, tl_i8_vnni_part(a4 + off, tail), v0, v1);
    if (rows > 5) tl_i8_vnni_dot(np, &c50, &c51, tl_i8_vnni_part(a5 + off, tail), v0, v1);
    if (rows > 6) tl_i8_vnni_dot(np, &c60, &c61, tl_i8_vnni_part(a6 + off, tail), v0, v1);
    if (rows > 7) tl_i8_vnni_dot(np, &c70, &c71, tl_i8_vnni_part(a7 + off, tail), v0, v1);
  }
  tl_i8_vnni_store(np, y, c00, c01, rq, live);
  if (rows > 1) tl_i8_vnni_store(np, y + ldy, c10, c11, rq, live);
  if (rows > 2) tl_i8_vnni_store(np, y + 2 * ldy, c20, c21, rq, live);
  if (rows > 3) tl_i8_vnni_store(np, y + 3 * ldy, c30, c31, rq, live);
  if (rows > 4) tl_i8_vnni_store(np, y + 4 * ldy, c40, c41, rq, live);
  if (rows > 5) tl_i8_vnni_store(np, y + 5 * ldy, c50, c51, rq, live);
  if (rows > 6) tl_i8_vnni_store(np, y + 6 * ldy, c60, c61, rq, live);
  if (rows > 7) tl_i8_vnni_store(np, y + 7 * ldy, c70, c71, rq, live);
}

/* Blocks of 8 rows (and the remaining rows) of one or two panels. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_rows_np(const int32_t np, int8_t *y, int64_t ldy, const int8_t *a,
                                                   int64_t lda, int32_t m, int32_t k, const int8_t *b0,
                                                   const int8_t *b1, const __m512i *corr, const tl_rq16 *rq,
                                                   const __mmask16 *live) {
  int32_t r0 = 0;
  for (; r0 + 8 <= m; r0 += 8) tl_i8_vnni_tile(8, np, a + r0 * lda, lda, k, b0, b1, y + r0 * ldy, ldy, corr, rq, live);
  a += r0 * lda;
  y += r0 * ldy;
  /* the remaining rows: each count its own instance */
  if (m - r0 == 1) tl_i8_vnni_tile(1, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 2) tl_i8_vnni_tile(2, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 3) tl_i8_vnni_tile(3, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 4) tl_i8_vnni_tile(4, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 5) tl_i8_vnni_tile(5, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 6) tl_i8_vnni_tile(6, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
  if (m - r0 == 7) tl_i8_vnni_tile(7, np, a, lda, k, b0, b1, y, ldy, corr, rq, live);
}

/* Two panels (columns j0 .. j0 + 16 + cols1; cols1 0: one panel) for all m rows. Returns 0 (nothing
 * written) when a correction is too large. */
TL_I8_VNNIBW_ static int tl_i8_panel2_vnni_q(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m,
                                             int32_t k, const int8_t *panel0, const int8_t *panel1,
                                             const int64_t *corr, int32_t j0, int32_t cols0, int32_t cols1,
                                             const tl_requant_int8 *q) {
  __m512i c[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  tl_rq16 rq[2];
  __mmask16 live[2] = {0, 0};
  if (!tl_i8_corr32(&c[0], corr, k) || (cols1 > 0 && !tl_i8_corr32(&c[1], corr + 16, k))) return 0;
  live[0] = (__mmask16)((1u << cols0) - 1u);
  tl_rq16_init(&rq[0], q, j0, live[0]);
  if (cols1 > 0) {
    live[1] = (__mmask16)((1u << cols1) - 1u);
    tl_rq16_init(&rq[1], q, j0 + 16, live[1]);
    tl_i8_vnni_rows_np(2, y, ldy, a, lda, m, k, panel0, panel1, c, rq, live);
  } else {
    tl_i8_vnni_rows_np(1, y, ldy, a, lda, m, k, panel0, panel0, c, rq, live);
  }
  return 1;
}

/* c + dpbusd(x, the 64 bytes at p) */
TL_I8_VNNIBW_ TL_I8_INLINE __m512i tl_i8_vnni_gv(__m512i c, __m512i x, const int8_t *p) {
  return tl_i8_dpbusd(c, x, _mm512_loadu_si512((const void *)p));
}

/* One row (a matrix-vector product) over np (1..4) panels: each broadcast activation word feeds np vpdpbusd,
 * two depth groups per step into separate accumulators (2 np chains against the vpdpbusd latency). Panel p's
 * group g at b + p * po + g * gs (plain layout: po the panel bytes, gs 64; interleaved: po 64, gs np * 64). */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_gemv(const int32_t np, const int8_t *a, int32_t k, const int8_t *b,
                                                int64_t po, int64_t gs, int8_t *y, const __m512i *corr,
                                                const tl_rq16 *rq, const __mmask16 *live) {
  const int32_t groups = k / 4;
  const int8_t *b0 = b, *b1 = b + po, *b2 = b + 2 * po, *b3 = b + 3 * po;
  __m512i c0 = corr[0], c1 = np > 1 ? corr[1] : corr[0], c2 = np > 2 ? corr[2] : corr[0];
  __m512i c3 = np > 3 ? corr[3] : corr[0];
  __m512i d0 = _mm512_setzero_si512(), d1 = d0, d2 = d0, d3 = d0;
  int32_t g = 0;
  for (; g + 2 <= groups; g += 2) {
    const __m512i x0 = tl_i8_vnni_word(a + g * 4), x1 = tl_i8_vnni_word(a + g * 4 + 4);
    const int64_t o = (int64_t)g * gs;
    c0 = tl_i8_vnni_gv(c0, x0, b0 + o);
    if (np > 1) c1 = tl_i8_vnni_gv(c1, x0, b1 + o);
    if (np > 2) c2 = tl_i8_vnni_gv(c2, x0, b2 + o);
    if (np > 3) c3 = tl_i8_vnni_gv(c3, x0, b3 + o);
    d0 = tl_i8_vnni_gv(d0, x1, b0 + o + gs);
    if (np > 1) d1 = tl_i8_vnni_gv(d1, x1, b1 + o + gs);
    if (np > 2) d2 = tl_i8_vnni_gv(d2, x1, b2 + o + gs);
    if (np > 3) d3 = tl_i8_vnni_gv(d3, x1, b3 + o + gs);
  }
  if (g < groups || (k & 3)) { /* one more group, whole or partial (masked load: zeros past k) */
    const __m512i x0 = tl_i8_vnni_part(a + g * 4, (__mmask16)(g < groups ? 0xF : (1u << (k & 3)) - 1u));
    const int64_t o = (int64_t)g * gs;
    c0 = tl_i8_vnni_gv(c0, x0, b0 + o);
    if (np > 1) c1 = tl_i8_vnni_gv(c1, x0, b1 + o);
    if (np > 2) c2 = tl_i8_vnni_gv(c2, x0, b2 + o);
    if (np > 3) c3 = tl_i8_vnni_gv(c3, x0, b3 + o);
    g++;
  }
  if (g < groups || (g == groups && (k & 3))) { /* the partial group after a whole one */
    const __m512i x0 = tl_i8_vnni_part(a + g * 4, (__mmask16)((1u << (k & 3)) - 1u));
    const int64_t o = (int64_t)g * gs;
    d0 = tl_i8_vnni_gv(d0, x0, b0 + o);
    if (np > 1) d1 = tl_i8_vnni_gv(d1, x0, b1 + o);
    if (np > 2) d2 = tl_i8_vnni_gv(d2, x0, b2 + o);
    if (np > 3) d3 = tl_i8_vnni_gv(d3, x0, b3 + o);
  }
  _mm512_mask_cvtepi32_storeu_epi8(y, live[0], tl_rq16_apply(_mm512_add_epi32(c0, d0), &rq[0]));
  if (np > 1) _mm512_mask_cvtepi32_storeu_epi8(y + 16, live[1], tl_rq16_apply(_mm512_add_epi32(c1, d1), &rq[1]));
  if (np > 2) _mm512_mask_cvtepi32_storeu_epi8(y + 32, live[2], tl_rq16_apply(_mm512_add_epi32(c2, d2), &rq[2]));
  if (np > 3) _mm512_mask_cvtepi32_storeu_epi8(y + 48, live[3], tl_rq16_apply(_mm512_add_epi32(c3, d3), &rq[3]));
}

/* The matrix-vector product over the columns [jb, je), 4 panels (64 columns) per pass; il: the interleaved
 * layout (jb a multiple of 64). Returns 0 (nothing written) when a correction is too large for the int32 lanes
 * (never for the interleaved layout: its pack checked). */
TL_I8_VNNIBW_ static int tl_i8_gemv_vnni_q(int8_t *y, const int8_t *a, int32_t n, int32_t k, const int8_t *panels,
                                           const int64_t *corr, const tl_requant_int8 *q, int32_t jb, int32_t je,
                                           int32_t il) {
  const int64_t panel_bytes = 16 * tl_i8_kp(k);
  __m512i c[4];
  tl_rq16 rq[4];
  __mmask16 live[4];
  for (int32_t j = jb; j < je; j += 16)
    if (!tl_i8_corr32(&c[0], corr + j, k)) return 0;
  for (int32_t j0 = jb; j0 < je; j0 += 64) {
    const int32_t np = n - j0 >= 64 ? 4 : (n - j0 + 15) / 16;
    for (int32_t p = 0; p < np; p++) {
      const int32_t cols = n - j0 - 16 * p < 16 ? n - j0 - 16 * p : 16;
      live[p] = (__mmask16)((1u << cols) - 1u);
      tl_i8_corr32(&c[p], corr + j0 + 16 * p, k);
      tl_rq16_init(&rq[p], q, j0 + 16 * p, live[p]);
    }
    const int8_t *b = panels + (int64_t)(j0 / 16) * panel_bytes;
    const int64_t po = il ? 64 : panel_bytes; /* np: a constant in each instance */
    if (np == 4) tl_i8_vnni_gemv(4, a, k, b, po, il ? 4 * 64 : 64, y + j0, c, rq, live);
    if (np == 3) tl_i8_vnni_gemv(3, a, k, b, po, il ? 3 * 64 : 64, y + j0, c, rq, live);
    if (np == 2) tl_i8_vnni_gemv(2, a, k, b, po, il ? 2 * 64 : 64, y + j0, c, rq, live);
    if (np == 1) tl_i8_vnni_gemv(1, a, k, b, po, 64, y + j0, c, rq, live);
  }
  return 1;
}

/* struct tl_i8_kernels.panels_q: without BW/VL one panel of 4-row tiles; with them, for several rows, two
 * panels of 8-row tiles first. */
TL_I8_VNNI_ static int32_t tl_i8_panels_vnni(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m,
                                             int32_t k, const int8_t *panel, int64_t panel_bytes, const int64_t *corr,
                                             int32_t j0, int32_t je, int32_t n, const tl_requant_int8 *q) {
  (void)panel_bytes;
  (void)je;
  return tl_i8_panel_vnni_q(y, ldy, a, lda, m, k, panel, corr, j0, n - j0 < 16 ? n - j0 : 16, q) ? 16 : 0;
}

TL_I8_VNNIBW_ static int32_t tl_i8_panels_vnni_bw(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m,
                                                  int32_t k, const int8_t *panel, int64_t panel_bytes,
                                                  const int64_t *corr, int32_t j0, int32_t je, int32_t n,
                                                  const tl_requant_int8 *q) {
  const int32_t cols = n - j0 < 16 ? n - j0 : 16;
  if (m > 1) {
    const int32_t cols1 = je - j0 - 16 <= 0 ? 0 : (je - j0 - 16 < 16 ? je - j0 - 16 : 16);
    if (tl_i8_panel2_vnni_q(y, ldy, a, lda, m, k, panel, panel + panel_bytes, corr, j0, cols, cols1, q))
      return cols1 > 0 ? 32 : 16;
  }
  return tl_i8_panel_vnni_q(y, ldy, a, lda, m, k, panel, corr, j0, cols, q) ? 16 : 0;
}

const tl_i8_kernels tl_i8_kernels_vnni = {
    TL_I8_VNNI, 16, 4, 128, tl_i8_tile_vnni, tl_i8_requant_rows_avx512, tl_dw8_sums16_avx2, NULL, tl_i8_panels_vnni,
    NULL,       NULL, tl_dw8_q_vnni, NULL, NULL};
const tl_i8_kernels tl_i8_kernels_vnni_bw = {
    TL_I8_VNNI,         16, 4, 128, tl_i8_tile_vnni, tl_i8_requant_rows_avx512, tl_dw8_sums16_avx2, tl_i8_gemv_vnni_q,
    tl_i8_panels_vnni_bw, tl_conv_int8_im2col_avx512, tl_conv_int8_seg_run, tl_dw8_q_vnni_bw, NULL, NULL};
#endif
