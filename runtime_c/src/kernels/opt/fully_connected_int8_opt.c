/* fully_connected_int8_opt.c: FullyConnected on the packed int8 GEMM (see opt_kernels_int8.h).
 *
 * What this is: the op driver: y [batch, out_depth] = requant(x [batch, in_depth] . w^T + bias) as one GEMM of
 * batch rows, and the AVX2 level's one-row product (below). What this is not: the GEMM's micro-kernels
 * (gemm_int8_<level>.c) or validation (ops/fully_connected_int8.c).
 *
 * The AVX2 one-row product (batch 1, every weight in [-127, 127], as TFLite's quantization spec makes them):
 * the weights are packed in the portable level's panels (8 columns, groups of 4 depth values per column: 32
 * bytes per panel and group, offset 0), interleaved in blocks of 4 panels (tl_gemm_int8_pack's il: the 4
 * panels' 32-byte groups of one depth step side by side, so a block is one sequential stream of 128 bytes
 * per step instead of 4 streams), and prefetched TL_FC8_PF bytes ahead of the loads (the weights of a small
 * model called between other work come from L3: the int8 MLP alternating with LiteRT 6.7 -> 6.0 us per call,
 * 4.8 -> 4.5 in tl_bench's warm loop). Each group of 4 activations x is broadcast and
 * multiplied by the panels with vpmaddubsw(|x|, sign(w, x)) (unsigned |x| <= 128 times the signed w with x's
 * sign: exactly x * w, each pair of products within +-2 * 128 * 127 = 32,512, so the int16 sums never
 * saturate), then vpmaddwd by ones into int32 lanes: 32 multiply-adds per two multiplies, no widening of the
 * weights (the generic AVX2 tile widens every weight byte to int16, which bounds a one-row product where
 * each weight is used once). The raw sums are exact, so the outputs are the generic path's bytes. When the
 * pack found every raw + correction exact in int32 (header word 3), the requantization takes 8 columns per
 * step (tl_fc8_requant_avx2: no saturation, the clamp in 32-bit lanes; not inlined, which measured faster).
 * Header word TL_FC8_HEADER_SIGN of the pack (gemm_int8_internal.h's header has 16 words, 0..3 used) marks this layout.
 */
#include "gemm_int8_internal.h"

#define TL_FC8_HEADER_SIGN 4 /* 1: the AVX2 one-row layout (portable panels, interleaved), see above */
#define TL_FC8_PF 2048        /* prefetch distance in bytes (4096 ran the same) */

size_t tl_fc_int8_opt_packed_bytes(const tl_fc_int8_params *p, tl_i8_level level) {
  return tl_gemm_int8_packed_bytes(level, p->out_depth, p->in_depth);
}

#if defined(TL_I8_X86)
#include <immintrin.h>

#define TL_FC8_AVX2_ __attribute__((target("avx2")))

/* 1 when the AVX2 one-row product applies (decided at prepare, by the pack): the AVX2 kernel set, batch 1,
 * every weight of w above -128, and the portable layout of the AVX2 one's size (both 8 columns per panel). */
static int tl_fc8_sign_ok(const int8_t *w, const tl_fc_int8_params *p, const tl_i8_kernels *ks) {
  const int64_t count = (int64_t)p->out_depth * p->in_depth;
  if (ks != &tl_i8_kernels_avx2 || p->batch != 1 ||
      tl_gemm_int8_packed_bytes_k(&tl_i8_kernels_portable, p->out_depth, p->in_depth) !=
          tl_gemm_int8_packed_bytes_k(ks, p->out_depth, p->in_depth))
    return 0;
  for (int64_t i = 0; i < count; i++)
    if (w[i] == -128) return 0;
  return 1;
}

/* One panel's group (32 bytes at w): acc += x * w for the broadcast word xv (ax = |xv|), in int32 lanes. */
TL_FC8_AVX2_ TL_I8_INLINE __m256i tl_fc8_avx2_mac(__m256i acc, __m256i ax, __m256i xv, const int8_t *w) {
  const __m256i wv = _mm256_load_si256((const __m256i *)(const void *)w);
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(wv, xv)),
                                                 _mm256_set1_epi16(1)));
}

/* The accumulators of the live panels (np: a constant 1..4 in every instance) += the products of the 4
 * activations xw (one little-endian word) with their group at b (panels pb bytes apart). Spelled out, not a
 * loop over an array: at -O2 (pyruntime's build) gcc kept such a loop rolled, with the sums on the stack. */
TL_FC8_AVX2_ TL_I8_INLINE void tl_fc8_avx2_group(const int32_t np, __m256i *a0, __m256i *a1, __m256i *a2,
                                                  __m256i *a3, uint32_t xw, const int8_t *b, int64_t pb) {
  const __m256i xv = _mm256_set1_epi32((int32_t)xw), ax = _mm256_abs_epi8(xv);
  *a0 = tl_fc8_avx2_mac(*a0, ax, xv, b);
  if (np > 1) *a1 = tl_fc8_avx2_mac(*a1, ax, xv, b + pb);
  if (np > 2) *a2 = tl_fc8_avx2_mac(*a2, ax, xv, b + 2 * pb);
  if (np > 3) *a3 = tl_fc8_avx2_mac(*a3, ax, xv, b + 3 * pb);
}

/* raw[0..8 * np) = the sums of x [k] with the np panels from b: group g of panel p at b + g * 32 * np + p * 32
 * (the interleaved layout: one sequential stream). */
TL_FC8_AVX2_ TL_I8_INLINE void tl_fc8_avx2_block(const int32_t np, int32_t *raw, const int8_t *x, int32_t k,
                                                  const int8_t *b) {
  const int64_t pb = 32, gs = 32 * (int64_t)np;
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  const int32_t full = k / 4;
  int32_t g = 0;
  for (; g + 2 <= full; g += 2) { /* two groups per step: the loads of the second overlap the first's sums */
    uint32_t x0, x1;
    memcpy(&x0, x + g * 4, 4);
    memcpy(&x1, x + g * 4 + 4, 4);
    for (int64_t o = 0; o < 2 * gs; o += 64) /* the lines of this step's two groups, TL_FC8_PF bytes on */
      _mm_prefetch((const char *)(b + (int64_t)g * gs + TL_FC8_PF + o), _MM_HINT_T0);
    tl_fc8_avx2_group(np, &a0, &a1, &a2, &a3, x0, b + (int64_t)g * gs, pb);
    tl_fc8_avx2_group(np, &a0, &a1, &a2, &a3, x1, b + (int64_t)g * gs + gs, pb);
  }
  for (; g < full; g++) {
    uint32_t x0;
    memcpy(&x0, x + g * 4, 4);
    tl_fc8_avx2_group(np, &a0, &a1, &a2, &a3, x0, b + (int64_t)g * gs, pb);
  }
  if (k % 4) tl_fc8_avx2_group(np, &a0, &a1, &a2, &a3, tl_i8_load4(x + full * 4, k % 4), b + (int64_t)full * gs, pb);
  _mm256_storeu_si256((__m256i *)(void *)raw, a0);
  if (np > 1) _mm256_storeu_si256((__m256i *)(void *)(raw + 8), a1);
  if (np > 2) _mm256_storeu_si256((__m256i *)(void *)(raw + 16), a2);
  if (np > 3) _mm256_storeu_si256((__m256i *)(void *)(raw + 24), a3);
}

/* Four outputs' floor(t / 2^s) for t in (-2^62, 2^63) and s in [31, 62], as 64-bit lanes: AVX2 has no
 * 64-bit arithmetic shift, so t + 2^62 (in [0, 2^64) as unsigned) is shifted logically and 2^62 >> s (an
 * integer) taken back off. */
TL_FC8_AVX2_ TL_I8_INLINE __m256i tl_fc8_floor_shift(__m256i t, __m256i s) {
  const __m256i bias = _mm256_set1_epi64x((int64_t)1 << 62);
  return _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_add_epi64(t, bias), s), _mm256_srlv_epi64(bias, s));
}

/* tl_i8_requant's value before the zero point for 4 columns: a (in the low 32 bits of each 64-bit lane) times
 * m, rounded as the reference (single: once, ties away from zero; else its saturating doubling high multiply
 * and rounding divide as one rounding shift, tl_i8_requant4_avx2's identity), right = -shift in [0, 31]. The
 * result lies within int32 (|a * m| < 2^62, shifted by at least 31). */
TL_FC8_AVX2_ TL_I8_INLINE __m256i tl_fc8_rq4(__m256i a, __m256i m, __m256i right, int single) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1);
  const __m256i ab = _mm256_mul_epi32(a, m);
  const __m256i up = _mm256_sllv_epi64(one, _mm256_add_epi64(right, _mm256_set1_epi64x(30))); /* 2^(30+r) */
  const __m256i s = _mm256_add_epi64(right, _mm256_set1_epi64x(31));
  __m256i t;
  if (single) {
    t = _mm256_add_epi64(_mm256_add_epi64(ab, up), _mm256_cmpgt_epi64(zero, ab)); /* - [ab < 0] */
  } else {
    const __m256i pos = _mm256_cmpgt_epi64(right, zero);
    const __m256i k = _mm256_add_epi64(_mm256_set1_epi64x((int64_t)1 << 30), _mm256_and_si256(pos, up));
    const __m256i below = _mm256_cmpgt_epi64(_mm256_set1_epi64x(-((int64_t)1 << 30)), ab);
    t = _mm256_sub_epi64(_mm256_add_epi64(ab, k),
                         _mm256_and_si256(_mm256_and_si256(below, pos), _mm256_set1_epi64x((int64_t)1 << 31)));
  }
  return tl_fc8_floor_shift(t, s);
}

/* y[0..cols) = requant(raw + corr) of columns j0.., 8 per step, when the pack found every raw + corr exact in
 * int32 (header word 3): no saturation to int32, the 8 results gathered into 32-bit lanes (each within int32)
 * and clamped there to [act_min - zp, act_max - zp] before the zero point is added. Same values as
 * tl_i8_requant_rows_avx2, with half the instructions per output. */
TL_FC8_AVX2_ __attribute__((noinline)) static void tl_fc8_requant_avx2(int8_t *y, const int32_t *raw,
                                                                       const int64_t *corr, int32_t j0, int32_t cols,
                                                                       const tl_requant_int8 *q) {
  const int per_channel = q->channels > 1, single = q->single_rounding != 0;
  const __m256i zp = _mm256_set1_epi32(q->output_zp), order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i lo = _mm256_set1_epi32(q->act_min - q->output_zp), hi = _mm256_set1_epi32(q->act_max - q->output_zp);
  int32_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m256i r8 = _mm256_loadu_si256((const __m256i *)(const void *)(raw + j));
    const __m256i a0 = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(r8)),
                                        _mm256_loadu_si256((const __m256i *)(const void *)(corr + j)));
    const __m256i a1 = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(r8, 1)),
                                        _mm256_loadu_si256((const __m256i *)(const void *)(corr + j + 4)));
    __m256i m0, m1, r0, r1;
    if (per_channel) {
      const __m256i m8 = _mm256_loadu_si256((const __m256i *)(const void *)(q->multipliers + j0 + j));
      const __m256i r8s = _mm256_sub_epi32(_mm256_setzero_si256(),
                                           _mm256_loadu_si256((const __m256i *)(const void *)(q->shifts + j0 + j)));
      m0 = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(m8));
      m1 = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(m8, 1));
      r0 = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(r8s));
      r1 = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(r8s, 1));
    } else {
      m0 = m1 = _mm256_set1_epi64x(q->multiplier);
      r0 = r1 = _mm256_set1_epi64x(-(int64_t)q->shift);
    }
    const __m256i v0 = tl_fc8_rq4(a0, m0, r0, single), v1 = tl_fc8_rq4(a1, m1, r1, single);
    /* the low dwords of v0's and v1's lanes, in column order */
    __m256i v = _mm256_permutevar8x32_epi32(_mm256_blend_epi32(v0, _mm256_slli_epi64(v1, 32), 0xAA), order);
    v = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v, lo), hi), zp);
    const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)(void *)(y + j), _mm_packs_epi16(h, h));
  }
  tl_i8_requant_tail(y, raw, corr, j0, j, cols, q);
}

/* y[jb..je) of the one-row product, in blocks of 4 panels (32 columns), requantized by tl_fc8_requant_avx2
 * when the pack allows (fits32), else by the AVX2 set's rows. */
TL_FC8_AVX2_ static void tl_fc8_gemv_avx2(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p,
                                          int32_t jb, int32_t je) {
  const tl_i8_kernels *ks = &tl_i8_kernels_portable; /* the layout */
  const int64_t kp = tl_i8_kp(p->in_depth), panel_bytes = 8 * kp;
  const int64_t *corr = tl_i8_corr(packed);
  const int8_t *panels = (const int8_t *)(corr + tl_i8_npad(ks, p->out_depth));
  const int32_t inline_requant = tl_i8_header(packed, 0), fits32 = tl_i8_header(packed, 3);
  int32_t raw[32];
  for (int32_t j0 = jb; j0 < je; j0 += 32) {
    const int32_t cols = je - j0 < 32 ? je - j0 : 32;
    const int8_t *b = panels + (int64_t)(j0 / 8) * panel_bytes;
    switch ((cols + 7) / 8) {
      case 1: tl_fc8_avx2_block(1, raw, x, p->in_depth, b); break;
      case 2: tl_fc8_avx2_block(2, raw, x, p->in_depth, b); break;
      case 3: tl_fc8_avx2_block(3, raw, x, p->in_depth, b); break;
      default: tl_fc8_avx2_block(4, raw, x, p->in_depth, b); break;
    }
    if (fits32)
      tl_fc8_requant_avx2(y + j0, raw, corr + j0, j0, cols, &p->out);
    else
      tl_i8_requant_rows(&tl_i8_kernels_avx2, y + j0, 0, raw, 1, corr + j0, j0, cols, &p->out, inline_requant);
  }
}
#endif

void tl_fc_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_fc_int8_params *p,
                         tl_i8_level level) {
  const tl_i8_kernels *ks = tl_i8_kernels_for(level);
  const int32_t n = p->out_depth, k = p->in_depth;
#if defined(TL_I8_X86)
  if (tl_fc8_sign_ok(w, p, ks)) {
    const int32_t one = 1;
    tl_gemm_int8_pack(packed, w, bias, n, k, k, k, p->input_zp, &p->out, &tl_i8_kernels_portable, 1);
    memcpy((uint8_t *)packed + (tl_i8_base(packed) - (const uint8_t *)packed) + TL_FC8_HEADER_SIGN * 4, &one, 4);
    return;
  }
#endif
  tl_gemm_int8_pack(packed, w, bias, n, k, k, k, p->input_zp, &p->out, ks, 0);
  /* One row on a level with a one-row product in registers (VNNI): when every correction fits its int32
   * lanes, that product always applies, so its interleaved layout can replace the plain one. */
  if (ks->gemv_q != NULL && p->batch == 1 && tl_i8_inline_ok(&p->out)) {
    const int64_t *corr = tl_i8_corr(packed);
    const int64_t bound = (int64_t)INT32_MAX - tl_i8_kp(k) * 255 * 128;
    int32_t fits = bound >= 0;
    for (int32_t j = 0; j < n && fits; j++) fits = corr[j] <= bound && corr[j] >= -bound;
    if (fits) tl_gemm_int8_pack(packed, w, bias, n, k, k, k, p->input_zp, &p->out, ks, 1);
  }
}

void tl_fc_int8_opt_cols(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p,
                         tl_i8_level level, int32_t j_begin, int32_t j_end) {
  const int32_t je = j_end < p->out_depth ? j_end : p->out_depth;
#if defined(TL_I8_X86) /* the pack set the mark only at the AVX2 level */
  if (tl_i8_header(packed, TL_FC8_HEADER_SIGN)) {
    tl_fc8_gemv_avx2(y, x, packed, p, j_begin, je);
    return;
  }
#endif
  tl_gemm_int8_run(y, p->out_depth, x, p->in_depth, p->batch, packed, p->out_depth, p->in_depth, &p->out,
                   tl_i8_kernels_for(level), j_begin, je);
}

void tl_fc_int8_opt(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p, tl_i8_level level) {
  tl_fc_int8_opt_cols(y, x, packed, p, level, 0, p->out_depth);
}
