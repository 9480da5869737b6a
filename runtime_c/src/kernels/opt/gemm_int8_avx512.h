/* gemm_int8_avx512.h: the inline pieces the AVX-512 VNNI files share (private to gemm_int8_avx512.c and
 * conv_int8_avx512.c): the target attributes, the in-register requantization of 16 lanes (tl_rq16), the
 * corrections as int32 lanes and the accumulate step.
 *
 * What this is: code for AVX-512F + VNNI (and BW/VL where marked), included only inside `#if defined(TL_I8_X86)`.
 * What this is not: selected here (tl_i8_kernels_for picks the VNNI kernel sets).
 */
#ifndef TL_GEMM_INT8_AVX512_H
#define TL_GEMM_INT8_AVX512_H

#include <immintrin.h>

#include "gemm_int8_internal.h"

#define TL_I8_VNNI_ __attribute__((target("avx512f,avx512vnni,avx2")))
/* VNNI code that also needs AVX-512 BW / VL (every CPU with AVX-512 VNNI has them; checked at run time) */
#define TL_I8_VNNIBW_ __attribute__((target("avx512f,avx512vnni,avx512bw,avx512vl,avx2,bmi2")))


/* Requantization of 16 int32 lanes (accumulators within int32 already) with per-lane parameters, exactly
 * tl_i8_requant, in one rounding shift of the 64-bit product per lane (single rounding: that is the rule
 * itself, (a * m + 2^(30+r) - [a * m < 0]) >> (31 + r)). With m > 0 and right = r in [0, 31]:
 * srdhm(a, m) = floor(P / 2^31), P = a * m + 2^30 (the reference's nudge 1 - 2^30 and truncation toward zero
 * give the same for a * m < 0), and the rounding divide of x by 2^r (floor q, up when the remainder exceeds
 * (2^r - 1) / 2 plus 1 for x < 0) is floor((x + 2^(r-1) - [x < 0]) / 2^r) for r >= 1 (x itself for r = 0).
 * Nested floors of divisions by powers of two combine, so the result is
 *   (a * m + 2^30 + [r >= 1] (2^(30+r) - [P < 0] 2^31)) >> (31 + r)
 * (arithmetic shift; |terms| < 2^63), and P < 0 is a * m < -2^30. The even and odd lanes are done in int64
 * (vpmuldq) and meet again in one permute. */
typedef struct tl_rq16 {
  __m512i m_even, m_odd;   /* multipliers (in the low half of each 64-bit lane) */
  __m512i k_even, k_odd;   /* 2^30 + [r >= 1] 2^(30+r) */
  __m512i n_even, n_odd;   /* [r >= 1] 2^31, taken off when a * m < -2^30 */
  __m512i sh_even, sh_odd; /* 31 + r */
  __m512i limit;           /* n is taken off below it: -2^30; single rounding: 0 */
  __m512i zp, lo, hi;
} tl_rq16;

/* From per-lane multipliers m and shifts s (all lanes, or per-tensor broadcasts). */
TL_I8_VNNI_ TL_I8_INLINE void tl_rq16_init_ms(tl_rq16 *r, __m512i m, __m512i s, const tl_requant_int8 *q) {
  const __m512i right = _mm512_sub_epi32(_mm512_setzero_si512(), s);
  const __m512i r_even = _mm512_and_si512(right, _mm512_set1_epi64(0xFFFFFFFF)), r_odd = _mm512_srli_epi64(right, 32);
  const __m512i one = _mm512_set1_epi64(1), k30 = _mm512_set1_epi64((int64_t)1 << 30);
  const __m512i n31 = _mm512_set1_epi64((int64_t)1 << 31), zero = _mm512_setzero_si512();
  const __mmask8 pos_even = _mm512_cmpgt_epi64_mask(r_even, zero), pos_odd = _mm512_cmpgt_epi64_mask(r_odd, zero);
  r->m_even = m;
  r->m_odd = _mm512_srli_epi64(m, 32);
  if (q->single_rounding) { /* the reference's one rounding: 2^(30+r), less 1 when a * m < 0 */
    r->k_even = _mm512_sllv_epi64(one, _mm512_add_epi64(r_even, _mm512_set1_epi64(30)));
    r->k_odd = _mm512_sllv_epi64(one, _mm512_add_epi64(r_odd, _mm512_set1_epi64(30)));
    r->n_even = r->n_odd = one;
    r->limit = zero;
  } else {
    r->k_even = _mm512_add_epi64(k30, _mm512_maskz_sllv_epi64(pos_even, one, _mm512_add_epi64(r_even, _mm512_set1_epi64(30))));
    r->k_odd = _mm512_add_epi64(k30, _mm512_maskz_sllv_epi64(pos_odd, one, _mm512_add_epi64(r_odd, _mm512_set1_epi64(30))));
    r->n_even = _mm512_maskz_mov_epi64(pos_even, n31);
    r->n_odd = _mm512_maskz_mov_epi64(pos_odd, n31);
    r->limit = _mm512_set1_epi64(-((int64_t)1 << 30));
  }
  r->sh_even = _mm512_add_epi64(r_even, _mm512_set1_epi64(31));
  r->sh_odd = _mm512_add_epi64(r_odd, _mm512_set1_epi64(31));
  r->zp = _mm512_set1_epi32(q->output_zp);
  r->lo = _mm512_set1_epi32(q->act_min);
  r->hi = _mm512_set1_epi32(q->act_max);
}

TL_I8_VNNI_ TL_I8_INLINE void tl_rq16_init(tl_rq16 *r, const tl_requant_int8 *q, int32_t j0, __mmask16 live) {
  if (q->channels > 1)
    tl_rq16_init_ms(r, _mm512_maskz_loadu_epi32(live, q->multipliers + j0), _mm512_maskz_loadu_epi32(live, q->shifts + j0),
                    q);
  else
    tl_rq16_init_ms(r, _mm512_set1_epi32(q->multiplier), _mm512_set1_epi32(q->shift), q);
}

TL_I8_VNNI_ TL_I8_INLINE __m512i tl_rq16_apply(__m512i acc, const tl_rq16 *r) {
  const __m512i limit = r->limit;
  const __m512i ab_e = _mm512_mul_epi32(acc, r->m_even);
  const __m512i ab_o = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), r->m_odd);
  const __m512i t_e = _mm512_add_epi64(ab_e, r->k_even), t_o = _mm512_add_epi64(ab_o, r->k_odd);
  const __m512i u_e = _mm512_mask_sub_epi64(t_e, _mm512_cmplt_epi64_mask(ab_e, limit), t_e, r->n_even);
  const __m512i u_o = _mm512_mask_sub_epi64(t_o, _mm512_cmplt_epi64_mask(ab_o, limit), t_o, r->n_odd);
  const __m512i q_e = _mm512_srav_epi64(u_e, r->sh_even), q_o = _mm512_srav_epi64(u_o, r->sh_odd);
  const __m512i idx = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  const __m512i v = _mm512_add_epi32(_mm512_permutex2var_epi32(q_e, idx, q_o), r->zp);
  return _mm512_min_epi32(_mm512_max_epi32(v, r->lo), r->hi);
}

/* corr (16 int64) as int32 lanes when |corr| + kp * 255 * 128 stays within int32 (returns 0 otherwise). */
TL_I8_VNNI_ TL_I8_INLINE int tl_i8_corr32(__m512i *out, const int64_t *corr, int32_t k) {
  const int64_t bound = (int64_t)INT32_MAX - tl_i8_kp(k) * 255 * 128;
  const __m512i c0 = _mm512_loadu_si512((const void *)corr), c1 = _mm512_loadu_si512((const void *)(corr + 8));
  if (bound < 0 || _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(c0), _mm512_set1_epi64(bound)) ||
      _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(c1), _mm512_set1_epi64(bound)))
    return 0;
  *out = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(c0)), _mm512_cvtepi64_epi32(c1), 1);
  return 1;
}

/* c + dpbusd(x, w) in place: gcc's register allocation of _mm512_dpbusd_epi32 in the tile loops copies every
 * accumulator twice per use (16 extra moves per depth group). */
TL_I8_VNNI_ TL_I8_INLINE __m512i tl_i8_dpbusd(__m512i c, __m512i x, __m512i w) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(x), "v"(w));
  return c;
}

/* Row r's sums of one or two panels (np: a constant) += activation word x (offset to unsigned) times v0, v1. */
TL_I8_VNNI_ TL_I8_INLINE void tl_i8_vnni_dot(const int32_t np, __m512i *c0, __m512i *c1, __m512i x, __m512i v0,
                                             __m512i v1) {
  *c0 = tl_i8_dpbusd(*c0, x, v0);
  if (np > 1) *c1 = tl_i8_dpbusd(*c1, x, v1);
}

/* The 4 activation bytes at p broadcast, XOR 0x80 (x + 128 as unsigned bytes). */
TL_I8_VNNI_ TL_I8_INLINE __m512i tl_i8_vnni_word(const int8_t *p) {
  int32_t w;
  memcpy(&w, p, 4);
  return _mm512_xor_si512(_mm512_set1_epi32(w), _mm512_set1_epi32((int32_t)0x80808080u));
}

/* Row r's one or two panels requantized and stored (live: the columns kept). */
TL_I8_VNNI_ TL_I8_INLINE void tl_i8_vnni_store(const int32_t np, int8_t *y, __m512i c0, __m512i c1, const tl_rq16 *rq,
                                               const __mmask16 *live) {
  _mm512_mask_cvtepi32_storeu_epi8(y, live[0], tl_rq16_apply(c0, &rq[0]));
  if (np > 1) _mm512_mask_cvtepi32_storeu_epi8(y + 16, live[1], tl_rq16_apply(c1, &rq[1]));
}

/* conv_int8_avx512.c: the VNNI levels' Conv2D and DepthwiseConv2D paths (see struct tl_i8_kernels) */
void tl_conv_int8_im2col_avx512(int8_t *dst, int64_t ld, const int8_t *xb, const int8_t *x_end, int64_t pos0,
                                int32_t rows, int8_t zp, const tl_conv_params *g);
int tl_conv_int8_seg_run(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch, const tl_conv_int8_params *p);
int32_t tl_dw8_q_vnni(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias, const tl_conv_int8_params *p);
int32_t tl_dw8_q_vnni_bw(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias,
                         const tl_conv_int8_params *p);

#endif /* TL_GEMM_INT8_AVX512_H */
