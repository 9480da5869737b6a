/* binary_int8_avx2.c: AVX2 int8 Add, Sub and Mul, 32 elements per step (binary_int8_opt.h).
 *
 * Per 8 lanes of int32: sign-extend 8 bytes, subtract the zero point; Add/Sub rescale each input with two
 * vpmulld (the split product of the header) and the rounding right shift; the output multiply as two vpmuldq
 * (even lanes, then odd lanes moved down), + 2^30, bits 31..62 of each 64-bit sum put back in their lane (a
 * logical shift is enough: only the low 32 bits of the floor quotient are kept, and it fits); the rounding
 * right shift: floor shift, + 1 where the remainder passes (mask >> 1) + (x < 0); + zero point, clamp. Four
 * such vectors pack with saturation (exact: already clamped) into 32 bytes, a dword permute restores the order.
 * The tail (< 32) runs the portable set. Not used off x86 (the file is empty there).
 */
#include "binary_int8_opt.h"
#include "opt_f32_internal.h"

#if defined(TL_F32_X86)
#include <immintrin.h>

#define TL_BA_FN __attribute__((target("avx2")))
#define TL_BA_INLINE static inline __attribute__((always_inline, target("avx2")))

/* the parameters of one call, as vectors */
typedef struct tl_ba_consts {
  __m256i a_zp, b_zp, a_hi, a_lo, b_hi, b_lo, a_mask, b_mask, round11;
  __m128i a_right, b_right, out_left, out_right;
  __m256i out_m, out_mask, round30, out_zp, act_min, act_max;
} tl_ba_consts;

TL_BA_INLINE __m256i tl_ba_load(const int8_t *x) { return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)x)); }

/* round(x / 2^e), ties away from zero, mask = 2^e - 1 */
TL_BA_INLINE __m256i tl_ba_rdbp(__m256i x, __m128i e, __m256i mask) {
  const __m256i q = _mm256_sra_epi32(x, e), rem = _mm256_and_si256(x, mask);
  const __m256i thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_cmpgt_epi32(_mm256_setzero_si256(), x));
  return _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
}

/* mbqm(c 2^20, m, -right) with m = 2^16 hi + lo */
TL_BA_INLINE __m256i tl_ba_rescale(__m256i c, __m256i hi, __m256i lo, __m128i right, __m256i mask, __m256i r11) {
  const __m256i h = _mm256_slli_epi32(_mm256_mullo_epi32(c, hi), 5);
  const __m256i l = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(c, lo), r11), 11);
  return tl_ba_rdbp(_mm256_add_epi32(h, l), right, mask);
}

/* the output stage of 8 lanes */
TL_BA_INLINE __m256i tl_ba_output(__m256i x, const tl_ba_consts *k) {
  const __m256i xs = _mm256_sll_epi32(x, k->out_left);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(xs, k->out_m), k->round30);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(xs, 32), k->out_m), k->round30);
  const __m256i v = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xaa);
  const __m256i r = _mm256_add_epi32(tl_ba_rdbp(v, k->out_right, k->out_mask), k->out_zp);
  return _mm256_min_epi32(_mm256_max_epi32(r, k->act_min), k->act_max);
}

TL_BA_INLINE __m256i tl_ba_mask(int32_t e) { return _mm256_set1_epi32((int32_t)(((int64_t)1 << e) - 1)); }

static TL_BA_FN void tl_ba_consts_init(tl_ba_consts *k, const tl_binary_int8_params *p) {
  const int32_t out_left = p->out_shift > 0 ? p->out_shift : 0, out_right = p->out_shift > 0 ? 0 : -p->out_shift;
  k->a_zp = _mm256_set1_epi32(p->a_zp);
  k->b_zp = _mm256_set1_epi32(p->b_zp);
  k->a_hi = _mm256_set1_epi32(p->a_multiplier >> 16);
  k->a_lo = _mm256_set1_epi32(p->a_multiplier & 0xffff);
  k->b_hi = _mm256_set1_epi32(p->b_multiplier >> 16);
  k->b_lo = _mm256_set1_epi32(p->b_multiplier & 0xffff);
  k->a_right = _mm_cvtsi32_si128(-p->a_shift);
  k->b_right = _mm_cvtsi32_si128(-p->b_shift);
  k->a_mask = tl_ba_mask(-p->a_shift);
  k->b_mask = tl_ba_mask(-p->b_shift);
  k->round11 = _mm256_set1_epi32(1024);
  k->out_left = _mm_cvtsi32_si128(out_left);
  k->out_right = _mm_cvtsi32_si128(out_right);
  k->out_mask = tl_ba_mask(out_right);
  k->out_m = _mm256_set1_epi32(p->out_multiplier);
  k->round30 = _mm256_set1_epi64x((int64_t)1 << 30);
  k->out_zp = _mm256_set1_epi32(p->output_zp);
  k->act_min = _mm256_set1_epi32(p->act_min);
  k->act_max = _mm256_set1_epi32(p->act_max);
}

/* 8 outputs of op (0 add, 1 sub, 2 mul) from 8 bytes of each input. ah / bh (constants per instance): that
 * input's multiplier is 2^30 with shift 0 (the real multiplier 1/2 that prepare gives the input of the larger
 * scale, and both for equal scales), whose rescale is exactly c * 2^19: the rounding doubling high multiply of
 * c * 2^20 by 2^30 is floor((c * 2^50 + 2^30) / 2^31) = c * 2^19 (c * 2^19 is an integer and the nudge adds
 * less than one), and the rounding divide by 2^0 changes nothing. */
TL_BA_INLINE __m256i tl_ba_8(const int op, const int ah, const int bh, const int8_t *a, const int8_t *b,
                             const tl_ba_consts *k) {
  const __m256i ca = _mm256_sub_epi32(tl_ba_load(a), k->a_zp), cb = _mm256_sub_epi32(tl_ba_load(b), k->b_zp);
  __m256i x;
  if (op == TL_EW_MUL) {
    x = _mm256_mullo_epi32(ca, cb);
  } else {
    const __m256i sa = ah ? _mm256_slli_epi32(ca, 19)
                          : tl_ba_rescale(ca, k->a_hi, k->a_lo, k->a_right, k->a_mask, k->round11);
    const __m256i sb = bh ? _mm256_slli_epi32(cb, 19)
                          : tl_ba_rescale(cb, k->b_hi, k->b_lo, k->b_right, k->b_mask, k->round11);
    x = op == TL_EW_ADD ? _mm256_add_epi32(sa, sb) : _mm256_sub_epi32(sa, sb);
  }
  return tl_ba_output(x, k);
}

/* The whole vectors of 32 elements: returns the elements done. */
TL_BA_INLINE int64_t tl_ba_loop(const int op, const int ah, const int bh, int8_t *y, const int8_t *a, int64_t as,
                                const int8_t *b, int64_t bs, int64_t n, const tl_ba_consts *k) {
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const int8_t *ai = a + i * as, *bi = b + i * bs;
    const __m256i v0 = tl_ba_8(op, ah, bh, ai, bi, k), v1 = tl_ba_8(op, ah, bh, ai + 8 * as, bi + 8 * bs, k);
    const __m256i v2 = tl_ba_8(op, ah, bh, ai + 16 * as, bi + 16 * bs, k);
    const __m256i v3 = tl_ba_8(op, ah, bh, ai + 24 * as, bi + 24 * bs, k);
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(v0, v1), _mm256_packs_epi32(v2, v3));
    _mm256_storeu_si256((__m256i *)(y + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  return i;
}

TL_BA_INLINE void tl_ba_run(const int op, int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs,
                            int64_t n, const tl_binary_int8_params *p) {
  tl_ba_consts k;
  int64_t i;
  tl_ba_consts_init(&k, p);
  const int ah = op != TL_EW_MUL && p->a_multiplier == (1 << 30) && p->a_shift == 0;
  const int bh = op != TL_EW_MUL && p->b_multiplier == (1 << 30) && p->b_shift == 0;
  if (ah && bh)
    i = tl_ba_loop(op, 1, 1, y, a, as, b, bs, n, &k);
  else if (ah)
    i = tl_ba_loop(op, 1, 0, y, a, as, b, bs, n, &k);
  else if (bh)
    i = tl_ba_loop(op, 0, 1, y, a, as, b, bs, n, &k);
  else
    i = tl_ba_loop(op, 0, 0, y, a, as, b, bs, n, &k);
  if (i < n) {
    const tl_i8_binary_run_fn tail = op == TL_EW_ADD ? tl_i8_binary_portable.add
                                                     : (op == TL_EW_SUB ? tl_i8_binary_portable.sub
                                                                        : tl_i8_binary_portable.mul);
    tail(y + i, a + i * as, as, b + i * bs, bs, n - i, p);
  }
}

static TL_BA_FN void tl_ba_add(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                               const tl_binary_int8_params *p) {
  tl_ba_run(TL_EW_ADD, y, a, as, b, bs, n, p);
}

static TL_BA_FN void tl_ba_sub(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                               const tl_binary_int8_params *p) {
  tl_ba_run(TL_EW_SUB, y, a, as, b, bs, n, p);
}

static TL_BA_FN void tl_ba_mul(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                               const tl_binary_int8_params *p) {
  tl_ba_run(TL_EW_MUL, y, a, as, b, bs, n, p);
}

const tl_i8_binary_kernels tl_i8_binary_avx2 = {tl_ba_add, tl_ba_sub, tl_ba_mul};
#endif
