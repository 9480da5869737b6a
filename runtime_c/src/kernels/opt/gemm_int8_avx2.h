/* gemm_int8_avx2.h: the AVX2 int8 pieces that gemm_int8_avx2.c and conv_int8_small_avx2.c share (private to
 * them): the widening load, the accumulate, the 8-lane requantization (tl_i8_rq8*), the stores of requantized
 * rows and the corrections as int32.
 *
 * What this is: static inline functions compiled for AVX2 with a function attribute, included only by files
 * that are themselves guarded by TL_I8_X86. What this is not: a kernel set or an API.
 */
#ifndef TL_GEMM_INT8_AVX2_H
#define TL_GEMM_INT8_AVX2_H

#include "gemm_int8_internal.h"

#if defined(TL_I8_X86)
#include <immintrin.h>
#define TL_I8_AVX2_ __attribute__((target("avx2")))

TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_avx2_w16(const int8_t *p) { /* 16 bytes as int16 */
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* s + p with s's register as the destination: gcc otherwise added into p's register and copied it back (one
 * vmovdqa per accumulator and step: dispatch slots the GEMM loops are bound by) or, in tl_i8_avx2_rows, formed
 * all the products of a block first and spilled them */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_acc(__m256i s, __m256i p) {
  __asm__("vpaddd %1, %0, %0" : "+x"(s) : "x"(p));
  return s;
}

/* ---- requantization of 8 int32 sums in 32-bit lanes (acc = raw + corr, exact: no saturation needed) ----
 * Same value as tl_i8_requant for shift in [-31, 0], m > 0. The reference's rounding doubling high multiply
 * (nudge 2^30, or 1 - 2^30 for a negative product, then division by 2^31 toward zero) equals
 * floor((a * m + 2^30) / 2^31) for every product (for a negative t = a * m + 1 - 2^30, toward zero is
 * ceil(t / 2^31) = floor((t + 2^31 - 1) / 2^31)), a value within int32: bits 31..62 of a * m + 2^30,
 * taken by a logical 64-bit shift of the even and the odd lanes' products. Then the rounding divide by
 * 2^right: floor shift, plus one where the remainder x & mask exceeds mask / 2 + [x < 0]. Single rounding:
 * (a * m + 2^(30 + right) - [a * m < 0]) >> (31 + right), again a value within int32 (an arithmetic 64-bit
 * shift, which AVX2 lacks: ((t ^ s) >> n) ^ s with s the sign mask). */
typedef struct tl_i8_rq8c {
  __m256i m, m_odd, right, mask, half, s_even, s_odd, up_even, up_odd, zp, lo, hi;
  __m256i zp16, lo8, hi8; /* the zero point as 16 int16, the clamp as 32 int8 (tl_i8_rq8_4rows) */
  int single;
} tl_i8_rq8c;

/* The constants of columns j0.. (cols <= 8; missing columns get multiplier 0). */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_rq8_init(tl_i8_rq8c *c, const tl_requant_int8 *q, int32_t j0, int32_t cols) {
  const __m256i one = _mm256_set1_epi32(1), low32 = _mm256_set1_epi64x(0xFFFFFFFF);
  if (q->channels > 1) {
    int32_t mb[8] = {0, 0, 0, 0, 0, 0, 0, 0}, sb[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (cols >= 8) {
      c->m = _mm256_loadu_si256((const __m256i *)(const void *)(q->multipliers + j0));
      c->right = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_loadu_si256((const __m256i *)(const void *)(q->shifts + j0)));
    } else {
      memcpy(mb, q->multipliers + j0, (size_t)cols * sizeof(int32_t));
      memcpy(sb, q->shifts + j0, (size_t)cols * sizeof(int32_t));
      c->m = _mm256_loadu_si256((const __m256i *)(const void *)mb);
      c->right = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_loadu_si256((const __m256i *)(const void *)sb));
    }
  } else {
    c->m = _mm256_set1_epi32(q->multiplier);
    c->right = _mm256_set1_epi32(-q->shift);
  }
  c->m_odd = _mm256_srli_epi64(c->m, 32);
  c->single = q->single_rounding;
  if (c->single) {
    c->s_even = _mm256_add_epi64(_mm256_and_si256(c->right, low32), _mm256_set1_epi64x(31));
    c->s_odd = _mm256_add_epi64(_mm256_srli_epi64(c->right, 32), _mm256_set1_epi64x(31));
    c->up_even = _mm256_sllv_epi64(_mm256_set1_epi64x(1), _mm256_sub_epi64(c->s_even, _mm256_set1_epi64x(1)));
    c->up_odd = _mm256_sllv_epi64(_mm256_set1_epi64x(1), _mm256_sub_epi64(c->s_odd, _mm256_set1_epi64x(1)));
    c->mask = c->half = _mm256_setzero_si256();
  } else {
    c->mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, c->right), one);
    c->half = _mm256_srli_epi32(c->mask, 1);
    c->s_even = c->s_odd = c->up_even = c->up_odd = _mm256_setzero_si256();
  }
  c->zp = _mm256_set1_epi32(q->output_zp);
  c->lo = _mm256_set1_epi32(q->act_min);
  c->hi = _mm256_set1_epi32(q->act_max);
  c->zp16 = _mm256_set1_epi16((int16_t)q->output_zp);
  c->lo8 = _mm256_set1_epi8((char)q->act_min);
  c->hi8 = _mm256_set1_epi8((char)q->act_max);
}

/* The 8 rescaled values of the exact int32 sums a, before the zero point and the clamp. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_rq8_raw(__m256i a, const tl_i8_rq8c *c) {
  const __m256i pe = _mm256_mul_epi32(a, c->m), po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), c->m_odd);
  __m256i v;
  if (c->single) {
    const __m256i zero = _mm256_setzero_si256();
    const __m256i te = _mm256_add_epi64(_mm256_add_epi64(pe, c->up_even), _mm256_cmpgt_epi64(zero, pe));
    const __m256i to = _mm256_add_epi64(_mm256_add_epi64(po, c->up_odd), _mm256_cmpgt_epi64(zero, po));
    const __m256i se = _mm256_cmpgt_epi64(zero, te), so = _mm256_cmpgt_epi64(zero, to); /* sign masks */
    const __m256i ve = _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(te, se), c->s_even), se);
    const __m256i vo = _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(to, so), c->s_odd), so);
    v = _mm256_blend_epi32(ve, _mm256_slli_epi64(vo, 32), 0xAA);
  } else {
    const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i x = _mm256_blend_epi32(_mm256_srli_epi64(_mm256_add_epi64(pe, nudge), 31),
                                         _mm256_slli_epi64(_mm256_add_epi64(po, nudge), 1), 0xAA);
    const __m256i threshold = _mm256_sub_epi32(c->half, _mm256_srai_epi32(x, 31));
    v = _mm256_sub_epi32(_mm256_srav_epi32(x, c->right),
                         _mm256_cmpgt_epi32(_mm256_and_si256(x, c->mask), threshold));
  }
  return v;
}

/* The 8 outputs (in [act_min, act_max]) of the exact int32 sums a. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_rq8(__m256i a, const tl_i8_rq8c *c) {
  const __m256i v = _mm256_add_epi32(tl_i8_rq8_raw(a, c), c->zp);
  return _mm256_min_epi32(_mm256_max_epi32(v, c->lo), c->hi);
}

/* The outputs of four vectors of sums as 32 bytes in the order [r0 0-3, r1 0-3, r2 0-3, r3 0-3 | r0 4-7, ...]:
 * the zero point and the clamp applied after the saturating packs. Exact: where v + zp is within int8 |v| <=
 * 255 packs unchanged; elsewhere every saturation keeps v + zp beyond the same int8 end, and act_min >= -128,
 * act_max <= 127 clamp it as clamp(v + zp, act_min, act_max) does. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_rq8_4rows(__m256i a0, __m256i a1, __m256i a2, __m256i a3, const tl_i8_rq8c *c) {
  const __m256i w01 = _mm256_adds_epi16(_mm256_packs_epi32(tl_i8_rq8_raw(a0, c), tl_i8_rq8_raw(a1, c)), c->zp16);
  const __m256i w23 = _mm256_adds_epi16(_mm256_packs_epi32(tl_i8_rq8_raw(a2, c), tl_i8_rq8_raw(a3, c)), c->zp16);
  return _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(w01, w23), c->lo8), c->hi8);
}

/* The 8 int32 values (within int8) as bytes at y (cols <= 8 of them). */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_store8(int8_t *y, __m256i v, int32_t cols) {
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i b = _mm_packs_epi16(w, w);
  if (cols >= 8) {
    _mm_storel_epi64((__m128i *)(void *)y, b);
  } else {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i *)(void *)tmp, b);
    memcpy(y, tmp, (size_t)cols);
  }
}

/* Rows 1..4 of 8-column sums a0..a3 requantized and stored at y (rows ldy apart, cols <= 8 kept); four full rows
 * packed together first, then one 8-byte store each. */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_rq8_store_rows(int8_t *y, int64_t ldy, int32_t rows, int32_t cols, __m256i a0,
                                                   __m256i a1, __m256i a2, __m256i a3, const tl_i8_rq8c *c) {
  if (rows == 4 && cols == 8) {
    const __m256i bytes = _mm256_permutevar8x32_epi32(tl_i8_rq8_4rows(a0, a1, a2, a3, c),
                                                      _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    const __m128i lo = _mm256_castsi256_si128(bytes), hi = _mm256_extracti128_si256(bytes, 1);
    _mm_storel_epi64((__m128i *)(void *)y, lo);
    _mm_storel_epi64((__m128i *)(void *)(y + ldy), _mm_unpackhi_epi64(lo, lo));
    _mm_storel_epi64((__m128i *)(void *)(y + 2 * ldy), hi);
    _mm_storel_epi64((__m128i *)(void *)(y + 3 * ldy), _mm_unpackhi_epi64(hi, hi));
    return;
  }
  tl_i8_store8(y, tl_i8_rq8(a0, c), cols);
  if (rows > 1) tl_i8_store8(y + ldy, tl_i8_rq8(a1, c), cols);
  if (rows > 2) tl_i8_store8(y + 2 * ldy, tl_i8_rq8(a2, c), cols);
  if (rows > 3) tl_i8_store8(y + 3 * ldy, tl_i8_rq8(a3, c), cols);
}

/* corr[0..8) (int64 within int32) as 8 int32. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_corr8(const int64_t *corr) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m256i c0 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(const void *)corr), idx);
  const __m256i c1 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(corr + 4)), idx);
  return _mm256_blend_epi32(c0, c1, 0xF0);
}

/* The int16 pair at p (4 bytes) in every 32-bit lane. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_bcast_pair(const int16_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_pair_w16(__m256i s, __m256i t, const tl_i8_rq8c *c0, const tl_i8_rq8c *c1) {
  return _mm256_adds_epi16(_mm256_packs_epi32(tl_i8_rq8_raw(s, c0), tl_i8_rq8_raw(t, c1)), c0->zp16);
}
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_pair_store(int8_t *y, int64_t ldy, int two, __m256i w0, __m256i w1, int32_t cols,
                                               const tl_i8_rq8c *c) {
  const __m256i b = _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(w0, w1), c->lo8), c->hi8);
  const __m256i v = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  if (cols == 16) {
    _mm_storeu_si128((__m128i *)(void *)y, _mm256_castsi256_si128(v));
    if (two) _mm_storeu_si128((__m128i *)(void *)(y + ldy), _mm256_extracti128_si256(v, 1));
  } else {
    int8_t tmp[32];
    _mm256_storeu_si256((__m256i *)(void *)tmp, v);
    memcpy(y, tmp, (size_t)cols);
    if (two) memcpy(y + ldy, tmp + 16, (size_t)cols);
  }
}
#endif
#endif /* TL_GEMM_INT8_AVX2_H */
