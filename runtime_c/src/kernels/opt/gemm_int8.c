/* gemm_int8.c: the packed int8 GEMM (every micro-kernel level), FullyConnected and Conv2D on it (see
 * opt_kernels_int8.h).
 *
 * What this is: weights packed into panels of NR output columns, groups of G consecutive depth values per
 * column ([ceil(k / 4) * 4 / G][NR][G] bytes per panel, zero-padded), and micro-kernels computing up to 4
 * rows x NR columns of raw int32 sums. Each level's code is compiled with a function attribute for its
 * instruction set and guarded by architecture macros, so the file builds everywhere (bare metal included)
 * and the dispatch only picks levels the CPU has. What this is not: the requantization (the reference
 * tl_requantize_channel_int8 is called on every output, so the result is the reference's by construction).
 */
#include "../geometry.h"
#include "opt_kernels_int8.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TL_I8_X86 1
#include <immintrin.h>
#define TL_I8_AVX2_ __attribute__((target("avx2")))
#define TL_I8_VNNI_ __attribute__((target("avx512f,avx512vnni,avx2")))
/* VNNI code that also needs AVX-512 BW / VL (every CPU with AVX-512 VNNI has them; checked at run time) */
#define TL_I8_VNNIBW_ __attribute__((target("avx512f,avx512vnni,avx512bw,avx512vl,avx2,bmi2")))
#endif
#if defined(__ARM_NEON) && (defined(__GNUC__) || defined(__clang__))
#define TL_I8_ARM 1
#include <arm_neon.h>
#if defined(__aarch64__)
#define TL_I8_DOTPROD 1
#if defined(__clang__)
#define TL_I8_SDOT_ __attribute__((target("dotprod")))
#else
#define TL_I8_SDOT_ __attribute__((target("arch=armv8.2-a+dotprod")))
#endif
#endif
#endif

#define TL_I8_INLINE static inline __attribute__((always_inline))
#define TL_I8_MR 4 /* rows per micro-tile */

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

static int32_t tl_i8_nr(tl_i8_level level) { return level == TL_I8_VNNI ? 16 : 8; }
static int32_t tl_i8_group(tl_i8_level level) { return level == TL_I8_AVX2 || level == TL_I8_NEON ? 2 : 4; }
static int32_t tl_i8_offset(tl_i8_level level) { return level == TL_I8_VNNI ? 128 : 0; }
static int64_t tl_i8_kp(int32_t k) { return ((int64_t)k + 3) / 4 * 4; }
static int64_t tl_i8_npad(tl_i8_level level, int32_t n) {
  const int64_t nr = tl_i8_nr(level);
  return ((int64_t)n + nr - 1) / nr * nr;
}

/* The packed data starts at the first 64-byte boundary of the caller's buffer (which has 64 bytes more), so
 * every 64-byte panel load stays within one cache line; the same base at pack and at run time. */
#define TL_I8_ALIGN 64
static const uint8_t *tl_i8_base(const void *packed) {
  const uintptr_t a = (uintptr_t)packed;
  return (const uint8_t *)packed + (TL_I8_ALIGN - a % TL_I8_ALIGN) % TL_I8_ALIGN;
}

/* Layout from the base: a 64-byte header (int32: 1 when every channel's requantization can run inline, see
 * tl_i8_inline_ok), the corrections (int64 [npad]), the panels. */
#define TL_I8_HEADER 64
size_t tl_gemm_int8_packed_bytes(tl_i8_level level, int32_t n, int32_t k) {
  const size_t npad = (size_t)tl_i8_npad(level, n);
  return TL_I8_ALIGN + TL_I8_HEADER + npad * sizeof(int64_t) + npad * (size_t)tl_i8_kp(k);
}

/* Every channel's shift in [-31, 0] and multiplier > 0: the inline (and vector) requantization applies. */
static int32_t tl_i8_inline_ok(const tl_requant_int8 *q) {
  for (int32_t c = 0; c < q->channels; c++) {
    const int32_t m = q->channels > 1 ? q->multipliers[c] : q->multiplier;
    const int32_t sh = q->channels > 1 ? q->shifts[c] : q->shift;
    if (sh > 0 || sh < -31 || m <= 0) return 0;
  }
  return 1;
}

/* Algorithm: per panel of NR columns, depth groups of G bytes per column; column sums give the corrections
 * bias - (input_zp + offset) * sum(w) (int64: exact for any k). */
/* Segments: the depth is k / seg runs of seg values, each packed at a multiple of segp >= seg (zero weights
 * between; segp = seg = k: the plain layout). The packed depth is (k / seg) * segp; header word 1 is segp. */
/* Interleaved (il, header word 2; the VNNI level's one-row product only, see tl_i8_gemv_vnni_q): within each block
 * of 4 panels (64 columns; the last block bp <= 4 panels) the panels' 64-byte groups of one depth step lie next
 * to each other (group g of panel p at block + (g * bp + p) * 64): one sequential stream per block instead of
 * bp. The block starts where the plain layout's does, so the size is the same. */
static void tl_gemm_int8_pack_il(void *packed, const int8_t *w, const int32_t *bias, int32_t n, int32_t k,
                                 int32_t seg, int32_t segp, int32_t input_zp, const tl_requant_int8 *q,
                                 tl_i8_level level, int32_t il) {
  const int32_t nr = tl_i8_nr(level), grp = tl_i8_group(level), kpk = k / seg * segp;
  const int64_t npad = tl_i8_npad(level, n), kp = tl_i8_kp(kpk), npanels = npad / nr;
  uint8_t *base = (uint8_t *)packed + (tl_i8_base(packed) - (const uint8_t *)packed);
  int64_t *corr = (int64_t *)(void *)(base + TL_I8_HEADER);
  int8_t *panels = (int8_t *)(corr + npad);
  const int32_t header[3] = {tl_i8_inline_ok(q), segp, il};
  memset(packed, 0, tl_gemm_int8_packed_bytes(level, n, kpk));
  memcpy(base, header, sizeof header);
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
    corr[j] = (bias ? (int64_t)bias[j] : 0) - ((int64_t)input_zp + tl_i8_offset(level)) * sum;
  }
}

static void tl_gemm_int8_pack(void *packed, const int8_t *w, const int32_t *bias, int32_t n, int32_t k,
                              int32_t seg, int32_t segp, int32_t input_zp, const tl_requant_int8 *q,
                              tl_i8_level level) {
  tl_gemm_int8_pack_il(packed, w, bias, n, k, seg, segp, input_zp, q, level, 0);
}

#if defined(TL_I8_X86) || defined(TL_I8_DOTPROD) /* the only users (a plain ARMv6 build has neither) */
/* x[0..avail) as the low bytes of a little-endian word, zeros above (the weights there are zero too). */
TL_I8_INLINE uint32_t tl_i8_load4(const int8_t *x, int32_t avail) {
  uint8_t b[4] = {0, 0, 0, 0};
  memcpy(b, x, (size_t)(avail < 4 ? avail : 4));
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}
#endif

#if defined(TL_I8_X86)
/* AVX-512 BW and VL, which the VNNI level's depthwise and im2col code also use (every CPU with AVX-512 VNNI
 * has them; this checks anyway). */
static int tl_i8_x86_bwvl(void) { return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"); }
#endif

/* ---- portable: NR 8, G 4 ---- */
static void tl_i8_tile_portable(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                int32_t *acc) {
  for (int32_t r = 0; r < rows; r++) {
    const int8_t *x = a + r * lda;
    int32_t s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int32_t g = 0; g * 4 < k; g++) {
      const int8_t *bg = b + (int64_t)g * 32; /* [8][4] */
      const int32_t avail = k - g * 4 < 4 ? k - g * 4 : 4;
      for (int32_t j = 0; j < 8; j++)
        for (int32_t e = 0; e < avail; e++) s[j] += (int32_t)x[g * 4 + e] * bg[j * 4 + e];
    }
    memcpy(acc + r * 16, s, sizeof s);
  }
}

#if defined(TL_I8_X86)
/* ---- AVX2: NR 8, G 2; each depth pair of 8 columns is 16 bytes, sign-extended to 16 int16 and multiplied
 * by the broadcast pair (x0, x1) with vpmaddwd: x0*w0 + x1*w1 per column, exact in int32 ---- */
TL_I8_AVX2_ TL_I8_INLINE void tl_i8_avx2_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                              const int8_t *b, int32_t *acc) {
  /* rows (1..4) is a constant in every instance: the accumulators are plain variables */
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
  const int32_t pairs = k / 2, blocks = k / 16;
  const int8_t *a0 = a, *a1 = a + (rows > 1 ? lda : 0), *a2 = a + (rows > 2 ? 2 * lda : 0);
  const int8_t *a3 = a + (rows > 3 ? 3 * lda : 0);
#define TL_I8_A2X4_(X) X(0) X(1) X(2) X(3)
  /* blocks of 8 pairs: each row's 16 bytes widened to int16 once, pair p broadcast by an in-lane shuffle */
  for (int32_t blk = 0; blk < blocks; blk++) {
    const int8_t *bb = b + (int64_t)blk * 128;
#define TL_I8_W_(r)                                                                                       \
    __m256i lo##r = _mm256_setzero_si256(), hi##r = lo##r;                                                \
    if (rows > (r)) {                                                                                     \
      const __m256i w_ = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(a##r + blk * 16))); \
      lo##r = _mm256_permute2x128_si256(w_, w_, 0x00);                                                    \
      hi##r = _mm256_permute2x128_si256(w_, w_, 0x11);                                                    \
    }
    TL_I8_A2X4_(TL_I8_W_)
#undef TL_I8_W_
#define TL_I8_P_(pi, src, imm)                                                                                 \
    {                                                                                                          \
      const __m256i bv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(bb + (pi) * 16))); \
      c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_shuffle_epi32(src##0, imm), bv));                     \
      if (rows > 1) c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_shuffle_epi32(src##1, imm), bv));       \
      if (rows > 2) c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(_mm256_shuffle_epi32(src##2, imm), bv));       \
      if (rows > 3) c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(_mm256_shuffle_epi32(src##3, imm), bv));       \
    }
    TL_I8_P_(0, lo, 0x00) TL_I8_P_(1, lo, 0x55) TL_I8_P_(2, lo, 0xAA) TL_I8_P_(3, lo, 0xFF)
    TL_I8_P_(4, hi, 0x00) TL_I8_P_(5, hi, 0x55) TL_I8_P_(6, hi, 0xAA) TL_I8_P_(7, hi, 0xFF)
#undef TL_I8_P_
  }
  for (int32_t g = blocks * 8; g < pairs; g++) { /* the remaining pairs, assembled from bytes */
    const __m256i bv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(b + (int64_t)g * 16)));
#define TL_I8_R_(r)                                                                                             \
    if (rows > (r)) {                                                                                           \
      const uint32_t pr = (uint32_t)(uint16_t)(int16_t)a##r[g * 2] | ((uint32_t)(uint16_t)(int16_t)a##r[g * 2 + 1] << 16); \
      c##r = _mm256_add_epi32(c##r, _mm256_madd_epi16(_mm256_set1_epi32((int32_t)pr), bv));                    \
    }
    TL_I8_A2X4_(TL_I8_R_)
#undef TL_I8_R_
  }
  if (k & 1) {
    const __m256i bv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(b + (int64_t)pairs * 16)));
#define TL_I8_O_(r)                                                                             \
    if (rows > (r)) {                                                                           \
      const uint32_t pr = (uint32_t)(uint16_t)(int16_t)a##r[k - 1];                             \
      c##r = _mm256_add_epi32(c##r, _mm256_madd_epi16(_mm256_set1_epi32((int32_t)pr), bv));     \
    }
    TL_I8_A2X4_(TL_I8_O_)
#undef TL_I8_O_
  }
#define TL_I8_S_(r) \
  if (rows > (r)) _mm256_storeu_si256((__m256i *)(void *)(acc + (r) * 16), c##r);
  TL_I8_A2X4_(TL_I8_S_)
#undef TL_I8_S_
#undef TL_I8_A2X4_
}

TL_I8_AVX2_ static void tl_i8_tile_avx2(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                        int32_t *acc) {
  switch (rows) {
    case 4:
      tl_i8_avx2_rows(4, a, lda, k, b, acc);
      return;
    case 3:
      tl_i8_avx2_rows(3, a, lda, k, b, acc);
      return;
    case 2:
      tl_i8_avx2_rows(2, a, lda, k, b, acc);
      return;
    default:
      tl_i8_avx2_rows(1, a, lda, k, b, acc);
      return;
  }
}

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
                                                       __m512i lo, __m512i hi) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i a = _mm512_min_epi64(_mm512_max_epi64(acc, _mm512_set1_epi64(INT32_MIN)),
                                     _mm512_set1_epi64(INT32_MAX));
  const __m512i ab = _mm512_mul_epi32(a, m);
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

/* One row of up to 16 outputs: raw [16] int32, corr [16] int64 (padded), columns j0 .. j0 + cols. */
TL_I8_VNNI_ static void tl_i8_requant_row_avx512(int8_t *y, const int32_t *raw, const int64_t *corr, int32_t j0,
                                                 int32_t cols, const tl_requant_int8 *q) {
  const __mmask16 live = (__mmask16)((1u << cols) - 1u);
  __m512i m32, s32;
  if (q->channels > 1) {
    m32 = _mm512_maskz_loadu_epi32(live, q->multipliers + j0);
    s32 = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_maskz_loadu_epi32(live, q->shifts + j0));
  } else {
    m32 = _mm512_set1_epi32(q->multiplier);
    s32 = _mm512_set1_epi32(-q->shift);
  }
  const __m512i r32 = _mm512_loadu_si512((const void *)raw);
  const __m512i zp = _mm512_set1_epi64(q->output_zp), lo = _mm512_set1_epi64(q->act_min);
  const __m512i hi = _mm512_set1_epi64(q->act_max);
  for (int h = 0; h < 2; h++) {
    const __m256i r_h = h ? _mm512_extracti64x4_epi64(r32, 1) : _mm512_castsi512_si256(r32);
    const __m256i m_h = h ? _mm512_extracti64x4_epi64(m32, 1) : _mm512_castsi512_si256(m32);
    const __m256i s_h = h ? _mm512_extracti64x4_epi64(s32, 1) : _mm512_castsi512_si256(s32);
    const __m512i acc = _mm512_add_epi64(_mm512_cvtepi32_epi64(r_h), _mm512_loadu_si512((const void *)(corr + 8 * h)));
    const __m512i v = tl_i8_requant8_avx512(acc, _mm512_cvtepi32_epi64(m_h), _mm512_cvtepi32_epi64(s_h), zp, lo, hi);
    _mm512_mask_cvtepi64_storeu_epi8(y + 8 * h, (__mmask8)(live >> (8 * h)), v);
  }
}


/* Requantization of 16 int32 lanes (accumulators within int32 already) with per-lane parameters, exactly
 * tl_i8_requant, in one rounding shift of the 64-bit product per lane. With m > 0 and right = r in [0, 31]:
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
  r->k_even = _mm512_add_epi64(k30, _mm512_maskz_sllv_epi64(pos_even, one, _mm512_add_epi64(r_even, _mm512_set1_epi64(30))));
  r->k_odd = _mm512_add_epi64(k30, _mm512_maskz_sllv_epi64(pos_odd, one, _mm512_add_epi64(r_odd, _mm512_set1_epi64(30))));
  r->n_even = _mm512_maskz_mov_epi64(pos_even, n31);
  r->n_odd = _mm512_maskz_mov_epi64(pos_odd, n31);
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
  const __m512i limit = _mm512_set1_epi64(-((int64_t)1 << 30));
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

/* tl_i8_vnni_rows with the accumulators starting at the int32 corrections and requantized in registers.
 * The rows are spelled out (c0 .. c3, rows >= r is dead code once `rows` is a constant) so the accumulators
 * stay in registers at -O2 too. */
#define TL_I8_X4_(X) X(0) X(1) X(2) X(3)
#define TL_I8_XU_(r, g, avail)                                                           \
  _mm512_xor_si512(_mm512_set1_epi32((int32_t)tl_i8_load4(a + (r) * lda + (g) * 4, avail)), \
                   _mm512_set1_epi32((int32_t)0x80808080u))
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
      c0 = _mm512_dpbusd_epi32(c0, TL_I8_XU_(0, g, 4), _mm512_loadu_si512((const void *)bg));
      s1 = _mm512_dpbusd_epi32(s1, TL_I8_XU_(0, g + 1, 4), _mm512_loadu_si512((const void *)(bg + 64)));
      s2 = _mm512_dpbusd_epi32(s2, TL_I8_XU_(0, g + 2, 4), _mm512_loadu_si512((const void *)(bg + 128)));
      s3 = _mm512_dpbusd_epi32(s3, TL_I8_XU_(0, g + 3, 4), _mm512_loadu_si512((const void *)(bg + 192)));
    }
    c0 = _mm512_add_epi32(_mm512_add_epi32(c0, s1), _mm512_add_epi32(s2, s3));
  }
  for (; g < groups; g++) {
    const __m512i bv = _mm512_loadu_si512((const void *)(b + (int64_t)g * 64));
#define TL_I8_STEP_(r) \
  if (rows > (r)) c##r = _mm512_dpbusd_epi32(c##r, TL_I8_XU_(r, g, 4), bv);
    TL_I8_X4_(TL_I8_STEP_)
#undef TL_I8_STEP_
  }
  if (k & 3) {
    const __m512i bv = _mm512_loadu_si512((const void *)(b + (int64_t)groups * 64));
#define TL_I8_TAIL_(r) \
  if (rows > (r)) c##r = _mm512_dpbusd_epi32(c##r, TL_I8_XU_(r, groups, k & 3), bv);
    TL_I8_X4_(TL_I8_TAIL_)
#undef TL_I8_TAIL_
  }
#define TL_I8_STORE_(r) \
  if (rows > (r)) _mm512_mask_cvtepi32_storeu_epi8(y + (r) * ldy, live, tl_rq16_apply(c##r, rq));
  TL_I8_X4_(TL_I8_STORE_)
#undef TL_I8_STORE_
}

/* Up to 8 rows x 1 or 2 panels (16 or 32 columns): 16 accumulators, each broadcast activation word (offset
 * to unsigned by the XOR) feeds `np` vpdpbusd. `rows` and `np` are constants in every instance, so the
 * accumulators are plain variables that stay in registers (c<row><panel>). */
#define TL_I8_X8_(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
/* c += dpbusd(x, w) in place: gcc's register allocation of _mm512_dpbusd_epi32 in this loop copies every
 * accumulator twice per use (16 extra moves per depth group). */
#define TL_I8_DPBUSD_(c, x, w) __asm__("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(x), "v"(w))
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_tile(const int32_t rows, const int32_t np, const int8_t *a, int64_t lda,
                                              int32_t k, const int8_t *b0, const int8_t *b1, int8_t *y, int64_t ldy,
                                              const __m512i *corr, const tl_rq16 *rq, const __mmask16 *live) {
  const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
  const int32_t groups = k / 4;
#define TL_I8_DECL_(r)                                                 \
  __m512i c##r##0 = corr[0], c##r##1 = np > 1 ? corr[1] : corr[0]; \
  const int8_t *a##r = a + (rows > (r) ? (r) : 0) * lda;
  TL_I8_X8_(TL_I8_DECL_)
#undef TL_I8_DECL_
#define TL_I8_T_(r)                                                                          \
  if (rows > (r)) {                                                                          \
    int32_t w_;                                                                              \
    memcpy(&w_, a##r + off, 4);                                                              \
    const __m512i x_ = _mm512_xor_si512(_mm512_set1_epi32(w_), flip);                        \
    TL_I8_DPBUSD_(c##r##0, x_, v0);                                          \
    if (np > 1) TL_I8_DPBUSD_(c##r##1, x_, v1);                              \
  }
  for (int32_t g = 0; g < groups; g++) {
    const int64_t off = (int64_t)g * 4;
    const __m512i v0 = _mm512_loadu_si512((const void *)(b0 + (int64_t)g * 64));
    const __m512i v1 = np > 1 ? _mm512_loadu_si512((const void *)(b1 + (int64_t)g * 64)) : v0;
    TL_I8_X8_(TL_I8_T_)
  }
#undef TL_I8_T_
  if (k & 3) { /* the last partial group: zero bytes past k (the packed weights there are zero too), read with
               * a masked load (a word assembled from bytes would stall on the store forwarding) */
    const __mmask16 tail = (__mmask16)((1u << (k & 3)) - 1u);
    const __m512i v0 = _mm512_loadu_si512((const void *)(b0 + (int64_t)groups * 64));
    const __m512i v1 = np > 1 ? _mm512_loadu_si512((const void *)(b1 + (int64_t)groups * 64)) : v0;
#define TL_I8_TT_(r)                                                                                      \
  if (rows > (r)) {                                                                                       \
    const __m512i x_ = _mm512_xor_si512(_mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(tail, a##r + groups * 4)), flip); \
    TL_I8_DPBUSD_(c##r##0, x_, v0);                                                       \
    if (np > 1) TL_I8_DPBUSD_(c##r##1, x_, v1);                                           \
  }
    TL_I8_X8_(TL_I8_TT_)
#undef TL_I8_TT_
  }
#define TL_I8_ST_(r)                                                                                     \
  if (rows > (r)) {                                                                                      \
    _mm512_mask_cvtepi32_storeu_epi8(y + (r) * ldy, live[0], tl_rq16_apply(c##r##0, &rq[0]));            \
    if (np > 1) _mm512_mask_cvtepi32_storeu_epi8(y + (r) * ldy + 16, live[1], tl_rq16_apply(c##r##1, &rq[1])); \
  }
  TL_I8_X8_(TL_I8_ST_)
#undef TL_I8_ST_
}

/* Blocks of 8 rows (and the remaining rows) of one or two panels. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_rows_np(const int32_t np, int8_t *y, int64_t ldy, const int8_t *a, int64_t lda,
                                           int32_t m, int32_t k, const int8_t *b0, const int8_t *b1,
                                           const __m512i *corr, const tl_rq16 *rq, const __mmask16 *live) {
  int32_t r0 = 0;
  for (; r0 + 8 <= m; r0 += 8) tl_i8_vnni_tile(8, np, a + r0 * lda, lda, k, b0, b1, y + r0 * ldy, ldy, corr, rq, live);
  a += r0 * lda;
  y += r0 * ldy;
  switch (m - r0) {
#define TL_I8_REM_(r)                                                \
  case r:                                                            \
    tl_i8_vnni_tile(r, np, a, lda, k, b0, b1, y, ldy, corr, rq, live); \
    break;
    TL_I8_REM_(1) TL_I8_REM_(2) TL_I8_REM_(3) TL_I8_REM_(4) TL_I8_REM_(5) TL_I8_REM_(6) TL_I8_REM_(7)
#undef TL_I8_REM_
    default:
      break;
  }
}

/* One row (a matrix-vector product) over np (1..4) panels: each broadcast activation word feeds np vpdpbusd,
 * two depth groups per step into separate accumulators (2 np chains against the vpdpbusd latency). Panel p's
 * group g at b + p * po + g * gs (plain layout: po the panel bytes, gs 64; interleaved: po 64, gs np * 64). */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_gemv(const int32_t np, const int8_t *a, int32_t k, const int8_t *b,
                                              int64_t po, int64_t gs, int8_t *y, const __m512i *corr,
                                              const tl_rq16 *rq, const __mmask16 *live) {
  const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
  const int32_t groups = k / 4;
  const int8_t *b0 = b, *b1 = b + po, *b2 = b + 2 * po, *b3 = b + 3 * po;
  __m512i c0 = corr[0], c1 = np > 1 ? corr[1] : corr[0], c2 = np > 2 ? corr[2] : corr[0];
  __m512i c3 = np > 3 ? corr[3] : corr[0];
  __m512i d0 = _mm512_setzero_si512(), d1 = d0, d2 = d0, d3 = d0;
  int32_t g = 0;
#define TL_I8_GV_(acc, x, bp, off) TL_I8_DPBUSD_(acc, x, _mm512_loadu_si512((const void *)((bp) + (off))))
  for (; g + 2 <= groups; g += 2) {
    int32_t w0, w1;
    memcpy(&w0, a + g * 4, 4);
    memcpy(&w1, a + g * 4 + 4, 4);
    const __m512i x0 = _mm512_xor_si512(_mm512_set1_epi32(w0), flip);
    const __m512i x1 = _mm512_xor_si512(_mm512_set1_epi32(w1), flip);
    const int64_t o = (int64_t)g * gs;
    TL_I8_GV_(c0, x0, b0, o);
    if (np > 1) TL_I8_GV_(c1, x0, b1, o);
    if (np > 2) TL_I8_GV_(c2, x0, b2, o);
    if (np > 3) TL_I8_GV_(c3, x0, b3, o);
    TL_I8_GV_(d0, x1, b0, o + gs);
    if (np > 1) TL_I8_GV_(d1, x1, b1, o + gs);
    if (np > 2) TL_I8_GV_(d2, x1, b2, o + gs);
    if (np > 3) TL_I8_GV_(d3, x1, b3, o + gs);
  }
  if (g < groups || (k & 3)) { /* one more group, whole or partial (masked load: zeros past k) */
    const __mmask16 bytes = (__mmask16)(g < groups ? 0xF : (1u << (k & 3)) - 1u);
    const __m512i x0 = _mm512_xor_si512(_mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(bytes, a + g * 4)), flip);
    const int64_t o = (int64_t)g * gs;
    TL_I8_GV_(c0, x0, b0, o);
    if (np > 1) TL_I8_GV_(c1, x0, b1, o);
    if (np > 2) TL_I8_GV_(c2, x0, b2, o);
    if (np > 3) TL_I8_GV_(c3, x0, b3, o);
    g++;
  }
  if (g < groups || (g == groups && (k & 3))) { /* the partial group after a whole one */
    const __mmask16 bytes = (__mmask16)((1u << (k & 3)) - 1u);
    const __m512i x0 = _mm512_xor_si512(_mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(bytes, a + g * 4)), flip);
    const int64_t o = (int64_t)g * gs;
    TL_I8_GV_(d0, x0, b0, o);
    if (np > 1) TL_I8_GV_(d1, x0, b1, o);
    if (np > 2) TL_I8_GV_(d2, x0, b2, o);
    if (np > 3) TL_I8_GV_(d3, x0, b3, o);
  }
#undef TL_I8_GV_
  _mm512_mask_cvtepi32_storeu_epi8(y, live[0], tl_rq16_apply(_mm512_add_epi32(c0, d0), &rq[0]));
  if (np > 1) _mm512_mask_cvtepi32_storeu_epi8(y + 16, live[1], tl_rq16_apply(_mm512_add_epi32(c1, d1), &rq[1]));
  if (np > 2) _mm512_mask_cvtepi32_storeu_epi8(y + 32, live[2], tl_rq16_apply(_mm512_add_epi32(c2, d2), &rq[2]));
  if (np > 3) _mm512_mask_cvtepi32_storeu_epi8(y + 48, live[3], tl_rq16_apply(_mm512_add_epi32(c3, d3), &rq[3]));
}

/* tl_i8_vnni_tile over a segmented depth: row r's kernel row ky is sg whole groups at ap[r] + ky * ks[r]
 * (the input in place, or an im2col row in the segmented layout), the packed weights contiguous. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_tile_seg(const int32_t rows, const int32_t np, const int8_t *const *ap,
                                                  const int64_t *ks, int32_t kh, int32_t sg, const int8_t *b0,
                                                  const int8_t *b1, int8_t *y, int64_t ldy, const __m512i *corr,
                                                  const tl_rq16 *rq, const __mmask16 *live) {
  const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
#define TL_I8_DECL_(r) __m512i c##r##0 = corr[0], c##r##1 = np > 1 ? corr[1] : corr[0];
  TL_I8_X8_(TL_I8_DECL_)
#undef TL_I8_DECL_
  for (int32_t ky = 0; ky < kh; ky++) {
#define TL_I8_PTR_(r) const int8_t *a##r = ap[rows > (r) ? (r) : 0] + ky * ks[rows > (r) ? (r) : 0];
    TL_I8_X8_(TL_I8_PTR_)
#undef TL_I8_PTR_
    const int8_t *w0 = b0 + (int64_t)ky * sg * 64, *w1 = b1 + (int64_t)ky * sg * 64;
    for (int32_t g = 0; g < sg; g++) {
      const int64_t off = (int64_t)g * 4;
      const __m512i v0 = _mm512_loadu_si512((const void *)(w0 + (int64_t)g * 64));
      const __m512i v1 = np > 1 ? _mm512_loadu_si512((const void *)(w1 + (int64_t)g * 64)) : v0;
#define TL_I8_T_(r)                                                   \
  if (rows > (r)) {                                                   \
    int32_t w_;                                                       \
    memcpy(&w_, a##r + off, 4);                                       \
    const __m512i x_ = _mm512_xor_si512(_mm512_set1_epi32(w_), flip); \
    TL_I8_DPBUSD_(c##r##0, x_, v0);                                   \
    if (np > 1) TL_I8_DPBUSD_(c##r##1, x_, v1);                       \
  }
      TL_I8_X8_(TL_I8_T_)
#undef TL_I8_T_
    }
  }
#define TL_I8_ST_(r)                                                                                      \
  if (rows > (r)) {                                                                                       \
    _mm512_mask_cvtepi32_storeu_epi8(y + (r) * ldy, live[0], tl_rq16_apply(c##r##0, &rq[0]));             \
    if (np > 1) _mm512_mask_cvtepi32_storeu_epi8(y + (r) * ldy + 16, live[1], tl_rq16_apply(c##r##1, &rq[1])); \
  }
  TL_I8_X8_(TL_I8_ST_)
#undef TL_I8_ST_
}

/* m rows (pointers ap, kernel-row strides ks) of one or two panels, 8-row tiles. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_vnni_rows_seg(const int32_t np, int8_t *y, int64_t ldy, const int8_t *const *ap,
                                                  const int64_t *ks, int32_t m, int32_t kh, int32_t sg,
                                                  const int8_t *b0, const int8_t *b1, const __m512i *corr,
                                                  const tl_rq16 *rq, const __mmask16 *live) {
  int32_t r0 = 0;
  for (; r0 + 8 <= m; r0 += 8)
    tl_i8_vnni_tile_seg(8, np, ap + r0, ks + r0, kh, sg, b0, b1, y + r0 * ldy, ldy, corr, rq, live);
  switch (m - r0) {
#define TL_I8_REM_(r)                                                                                   \
  case r:                                                                                               \
    tl_i8_vnni_tile_seg(r, np, ap + r0, ks + r0, kh, sg, b0, b1, y + r0 * ldy, ldy, corr, rq, live); \
    break;
    TL_I8_REM_(1) TL_I8_REM_(2) TL_I8_REM_(3) TL_I8_REM_(4) TL_I8_REM_(5) TL_I8_REM_(6) TL_I8_REM_(7)
#undef TL_I8_REM_
    default:
      break;
  }
}

/* corr (16 int64) as int32 lanes when |corr| + kp * 255 * 128 stays within int32 (returns 0 otherwise). */
TL_I8_VNNI_ static int tl_i8_corr32(__m512i *out, const int64_t *corr, int32_t k) {
  const int64_t bound = (int64_t)INT32_MAX - tl_i8_kp(k) * 255 * 128;
  const __m512i c0 = _mm512_loadu_si512((const void *)corr), c1 = _mm512_loadu_si512((const void *)(corr + 8));
  if (bound < 0 || _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(c0), _mm512_set1_epi64(bound)) ||
      _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(c1), _mm512_set1_epi64(bound)))
    return 0;
  *out = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(c0)), _mm512_cvtepi64_epi32(c1), 1);
  return 1;
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

/* The matrix-vector product over every column, 4 panels (64 columns) per pass; il: the interleaved layout
 * (jb a multiple of 64). Returns 0 (nothing written) when a correction is too large for the int32 lanes
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
    switch (np) {
      case 4:
        tl_i8_vnni_gemv(4, a, k, b, il ? 64 : panel_bytes, il ? 4 * 64 : 64, y + j0, c, rq, live);
        break;
      case 3:
        tl_i8_vnni_gemv(3, a, k, b, il ? 64 : panel_bytes, il ? 3 * 64 : 64, y + j0, c, rq, live);
        break;
      case 2:
        tl_i8_vnni_gemv(2, a, k, b, il ? 64 : panel_bytes, il ? 2 * 64 : 64, y + j0, c, rq, live);
        break;
      default:
        tl_i8_vnni_gemv(1, a, k, b, il ? 64 : panel_bytes, il ? 1 * 64 : 64, y + j0, c, rq, live);
        break;
    }
  }
  return 1;
}

/* One panel of 16 columns (j0 .. j0 + cols) for all m rows, requantized in registers. Applies (returns 1)
 * when the corrections are small enough that raw + corr stays within int32 (|raw| <= kp * 255 * 128);
 * else returns 0 and the caller takes the int64 path. */
TL_I8_VNNI_ static int tl_i8_panel_vnni_q(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m,
                                          int32_t k, const int8_t *panel, const int64_t *corr, int32_t j0,
                                          int32_t cols, const tl_requant_int8 *q) {
  const int64_t bound = (int64_t)INT32_MAX - tl_i8_kp(k) * 255 * 128;
  const __m512i c0 = _mm512_loadu_si512((const void *)corr), c1 = _mm512_loadu_si512((const void *)(corr + 8));
  const __mmask16 live = (__mmask16)((1u << cols) - 1u);
  tl_rq16 rq;
  if (bound < 0 || _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(c0), _mm512_set1_epi64(bound)) ||
      _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(c1), _mm512_set1_epi64(bound)))
    return 0;
  const __m512i corr32 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(c0)),
                                            _mm512_cvtepi64_epi32(c1), 1);
  tl_rq16_init(&rq, q, j0, live);
  int32_t r0 = 0;
  for (; r0 + TL_I8_MR <= m; r0 += TL_I8_MR)
    tl_i8_vnni_rows_q(TL_I8_MR, a + r0 * lda, lda, k, panel, y + r0 * ldy, ldy, corr32, &rq, live);
  for (; r0 < m; r0++) tl_i8_vnni_rows_q(1, a + r0 * lda, lda, k, panel, y + r0 * ldy, ldy, corr32, &rq, live);
  return 1;
}

TL_I8_VNNI_ static void tl_i8_tile_vnni(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                        int32_t *acc) {
  if (rows == TL_I8_MR) {
    tl_i8_vnni_rows(TL_I8_MR, a, lda, k, b, acc);
    return;
  }
  for (int32_t r = 0; r < rows; r++) tl_i8_vnni_rows(1, a + r * lda, lda, k, b, acc + r * 16);
}
#endif

#if defined(TL_I8_ARM)
/* ---- NEON: NR 8, G 2; vmull_s8 of 4 columns x 2 depths by the duplicated pair (x0, x1) gives 8 exact int16
 * products, vpadalq_s16 adds each column's pair into its int32 lane ---- */
TL_I8_INLINE void tl_i8_neon_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k, const int8_t *b,
                                  int32_t *acc) {
  int32x4_t c0[TL_I8_MR], c1[TL_I8_MR];
  const int32_t pairs = (k + 1) / 2;
  for (int32_t r = 0; r < rows; r++) c0[r] = c1[r] = vdupq_n_s32(0);
  for (int32_t g = 0; g < pairs; g++) {
    const int8x16_t bv = vld1q_s8(b + (int64_t)g * 16);
    for (int32_t r = 0; r < rows; r++) {
      const int8_t *x = a + r * lda + g * 2;
      const uint16_t pair = (uint16_t)((uint8_t)x[0] | (g * 2 + 1 < k ? (uint16_t)((uint8_t)x[1] << 8) : 0));
      const int8x8_t xd = vreinterpret_s8_u16(vdup_n_u16(pair));
      c0[r] = vpadalq_s16(c0[r], vmull_s8(vget_low_s8(bv), xd));
      c1[r] = vpadalq_s16(c1[r], vmull_s8(vget_high_s8(bv), xd));
    }
  }
  for (int32_t r = 0; r < rows; r++) {
    vst1q_s32(acc + r * 16, c0[r]);
    vst1q_s32(acc + r * 16 + 4, c1[r]);
  }
}

static void tl_i8_tile_neon(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                            int32_t *acc) {
  if (rows == TL_I8_MR) {
    tl_i8_neon_rows(TL_I8_MR, a, lda, k, b, acc);
    return;
  }
  for (int32_t r = 0; r < rows; r++) tl_i8_neon_rows(1, a + r * lda, lda, k, b, acc + r * 16);
}
#endif

#if defined(TL_I8_DOTPROD)
/* ---- ARMv8.2 dotprod: NR 8, G 4; sdot adds 4 byte products per column lane ---- */
TL_I8_SDOT_ TL_I8_INLINE void tl_i8_sdot_rows(const int32_t rows, const int8_t *a, int64_t lda, int32_t k,
                                              const int8_t *b, int32_t *acc) {
  int32x4_t c0[TL_I8_MR], c1[TL_I8_MR];
  const int32_t groups = (k + 3) / 4;
  for (int32_t r = 0; r < rows; r++) c0[r] = c1[r] = vdupq_n_s32(0);
  for (int32_t g = 0; g < groups; g++) {
    const int8x16_t b0 = vld1q_s8(b + (int64_t)g * 32), b1 = vld1q_s8(b + (int64_t)g * 32 + 16);
    const int32_t avail = k - g * 4 < 4 ? k - g * 4 : 4;
    for (int32_t r = 0; r < rows; r++) {
      const int8x16_t xq = vreinterpretq_s8_u32(vdupq_n_u32(tl_i8_load4(a + r * lda + g * 4, avail)));
      c0[r] = vdotq_s32(c0[r], b0, xq);
      c1[r] = vdotq_s32(c1[r], b1, xq);
    }
  }
  for (int32_t r = 0; r < rows; r++) {
    vst1q_s32(acc + r * 16, c0[r]);
    vst1q_s32(acc + r * 16 + 4, c1[r]);
  }
}

TL_I8_SDOT_ static void tl_i8_tile_sdot(const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                                        int32_t *acc) {
  if (rows == TL_I8_MR) {
    tl_i8_sdot_rows(TL_I8_MR, a, lda, k, b, acc);
    return;
  }
  for (int32_t r = 0; r < rows; r++) tl_i8_sdot_rows(1, a + r * lda, lda, k, b, acc + r * 16);
}
#endif

static void tl_i8_tile(tl_i8_level level, const int8_t *a, int64_t lda, int32_t rows, int32_t k, const int8_t *b,
                       int32_t *acc) {
  switch (level) {
#if defined(TL_I8_X86)
    case TL_I8_AVX2:
      tl_i8_tile_avx2(a, lda, rows, k, b, acc);
      return;
    case TL_I8_VNNI:
      tl_i8_tile_vnni(a, lda, rows, k, b, acc);
      return;
#endif
#if defined(TL_I8_ARM)
    case TL_I8_NEON:
      tl_i8_tile_neon(a, lda, rows, k, b, acc);
      return;
#endif
#if defined(TL_I8_DOTPROD)
    case TL_I8_SDOT:
      tl_i8_tile_sdot(a, lda, rows, k, b, acc);
      return;
#endif
    default:
      break;
  }
  tl_i8_tile_portable(a, lda, rows, k, b, acc);
}

/* tl_requantize_channel_int8 for shift <= 0 (every multiplier in (0, 1) that prepare accepts, but the
 * rounding edge), as inline code: the same steps as quant.c (saturate to int32; srdhm, where a == b ==
 * INT32_MIN cannot happen since m > 0; rounding divide by 2^right with the same floor, remainder and
 * threshold), so the result is identical. */
TL_I8_INLINE int8_t tl_i8_requant(int64_t acc, int32_t m, int32_t right, int32_t zp, int32_t lo, int32_t hi) {
  const int64_t a = acc > INT32_MAX ? INT32_MAX : (acc < INT32_MIN ? INT32_MIN : acc);
  const int64_t ab = a * m;
  const int64_t t = ab + (ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30));
  const int64_t x = t >= 0 ? t >> 31 : -((-t) >> 31); /* srdhm, in int32 range */
  const int64_t q = x >= 0 ? x >> right : -((-(x + 1)) >> right) - 1;
  const int64_t remainder = x - q * ((int64_t)1 << right);
  const int64_t threshold = ((((int64_t)1 << right) - 1) >> 1) + (x < 0 ? 1 : 0);
  int64_t v = q + (remainder > threshold ? 1 : 0) + zp;
  v = v < lo ? lo : v;
  return (int8_t)(v > hi ? hi : v);
}

/* One row of `cols` outputs from raw sums and corrections, with the requantization of columns j0.. */
static void tl_i8_requant_row(int8_t *y, const int32_t *raw, const int64_t *corr, int32_t j0, int32_t cols,
                              const tl_requant_int8 *q, int inline_requant) {
  const int per_channel = q->channels > 1;
  for (int32_t j = 0; j < cols; j++) {
    const int32_t m = per_channel ? q->multipliers[j0 + j] : q->multiplier;
    const int32_t s = per_channel ? q->shifts[j0 + j] : q->shift;
    if (!inline_requant)
      y[j] = tl_requantize_channel_int8((int64_t)raw[j] + corr[j], j0 + j, q);
    else
      y[j] = tl_i8_requant((int64_t)raw[j] + corr[j], m, -s, q->output_zp, q->act_min, q->act_max);
  }
}

#if defined(TL_I8_ARM) && defined(__aarch64__)
/* Two outputs of the one-shift requantization (see tl_rq16) in AArch64 NEON 64-bit lanes: a (int32, already
 * saturated), multiplier m and right shift r per lane; SSHL by a negative count is the arithmetic right shift. */
static int32x2_t tl_i8_requant2_a64(int32x2_t a, int32x2_t m, int32x2_t r) {
  const int64x2_t ab = vmull_s32(a, m), r64 = vmovl_s32(r);
  const uint64x2_t pos = vcgtq_s64(r64, vdupq_n_s64(0));
  const int64x2_t up = vshlq_s64(vdupq_n_s64(1), vaddq_s64(r64, vdupq_n_s64(30)));
  const int64x2_t k = vaddq_s64(vdupq_n_s64((int64_t)1 << 30), vreinterpretq_s64_u64(vandq_u64(pos, vreinterpretq_u64_s64(up))));
  const uint64x2_t below = vandq_u64(vcltq_s64(ab, vdupq_n_s64(-((int64_t)1 << 30))), pos);
  const int64x2_t n = vreinterpretq_s64_u64(vandq_u64(below, vdupq_n_u64((uint64_t)1 << 31)));
  const int64x2_t t = vsubq_s64(vaddq_s64(ab, k), n);
  return vmovn_s64(vshlq_s64(t, vnegq_s64(vaddq_s64(r64, vdupq_n_s64(31)))));
}

/* tl_i8_requant_row (inline requantization) with 4 outputs per step. */
static void tl_i8_requant_row_a64(int8_t *y, const int32_t *raw, const int64_t *corr, int32_t j0, int32_t cols,
                                  const tl_requant_int8 *q) {
  const int per_channel = q->channels > 1;
  const int32x4_t zp = vdupq_n_s32(q->output_zp), lo = vdupq_n_s32(q->act_min), hi = vdupq_n_s32(q->act_max);
  int32_t j = 0;
  for (; j + 4 <= cols; j += 4) {
    int32x4_t m, r;
    if (per_channel) {
      m = vld1q_s32(q->multipliers + j0 + j);
      r = vnegq_s32(vld1q_s32(q->shifts + j0 + j));
    } else {
      m = vdupq_n_s32(q->multiplier);
      r = vdupq_n_s32(-q->shift);
    }
    const int32x4_t r32 = vld1q_s32(raw + j);
    const int32x2_t a_lo = vqmovn_s64(vaddw_s32(vld1q_s64(corr + j), vget_low_s32(r32)));
    const int32x2_t a_hi = vqmovn_s64(vaddw_s32(vld1q_s64(corr + j + 2), vget_high_s32(r32)));
    int32x4_t v = vcombine_s32(tl_i8_requant2_a64(a_lo, vget_low_s32(m), vget_low_s32(r)),
                               tl_i8_requant2_a64(a_hi, vget_high_s32(m), vget_high_s32(r)));
    v = vminq_s32(vmaxq_s32(vaddq_s32(v, zp), lo), hi);
    const int16x4_t v16 = vmovn_s32(v);
    const int8x8_t v8 = vmovn_s16(vcombine_s16(v16, v16));
    vst1_lane_s32((int32_t *)(void *)(y + j), vreinterpret_s32_s8(v8), 0);
  }
  for (; j < cols; j++) {
    const int32_t m = per_channel ? q->multipliers[j0 + j] : q->multiplier;
    const int32_t sh = per_channel ? q->shifts[j0 + j] : q->shift;
    y[j] = tl_i8_requant((int64_t)raw[j] + corr[j], m, -sh, q->output_zp, q->act_min, q->act_max);
  }
}
#endif

#if defined(TL_I8_X86)
/* tl_i8_requant of 4 outputs in the 64-bit lanes of AVX2 (acc = raw + corr saturated to int32, then the
 * single rounding shift of tl_rq16; AVX2 has no 64-bit arithmetic shift: ((t ^ s) >> n) ^ s with s the sign
 * mask). Returns the 4 values (in [lo, hi]) in the low 32 bits of each lane. */
TL_I8_AVX2_ TL_I8_INLINE __m256i tl_i8_requant4_avx2(__m256i acc, __m256i m, __m256i right, __m256i zp, __m256i lo,
                                                    __m256i hi) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1);
  const __m256i i32min = _mm256_set1_epi64x(INT32_MIN), i32max = _mm256_set1_epi64x(INT32_MAX);
  const __m256i pos = _mm256_cmpgt_epi64(right, zero);
  const __m256i k = _mm256_add_epi64(_mm256_set1_epi64x((int64_t)1 << 30),
                                     _mm256_and_si256(pos, _mm256_sllv_epi64(one, _mm256_add_epi64(right, _mm256_set1_epi64x(30)))));
  __m256i a = _mm256_blendv_epi8(acc, i32max, _mm256_cmpgt_epi64(acc, i32max));
  a = _mm256_blendv_epi8(a, i32min, _mm256_cmpgt_epi64(i32min, a));
  const __m256i ab = _mm256_mul_epi32(a, m);
  const __m256i below = _mm256_cmpgt_epi64(_mm256_set1_epi64x(-((int64_t)1 << 30)), ab); /* a * m < -2^30 */
  const __m256i t = _mm256_sub_epi64(_mm256_add_epi64(ab, k),
                                     _mm256_and_si256(_mm256_and_si256(below, pos), _mm256_set1_epi64x((int64_t)1 << 31)));
  const __m256i sign = _mm256_cmpgt_epi64(zero, t);
  const __m256i sh = _mm256_add_epi64(right, _mm256_set1_epi64x(31));
  __m256i v = _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(t, sign), sh), sign);
  v = _mm256_add_epi64(v, zp);
  v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
  return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

/* tl_i8_requant_row (inline requantization) with 4 outputs per step. */
TL_I8_AVX2_ static void tl_i8_requant_row_avx2(int8_t *y, const int32_t *raw, const int64_t *corr, int32_t j0,
                                               int32_t cols, const tl_requant_int8 *q) {
  const int per_channel = q->channels > 1;
  const __m256i zp = _mm256_set1_epi64x(q->output_zp), lo = _mm256_set1_epi64x(q->act_min);
  const __m256i hi = _mm256_set1_epi64x(q->act_max), gather = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  int32_t j = 0;
  for (; j + 4 <= cols; j += 4) {
    __m256i m, right;
    if (per_channel) {
      m = _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(q->multipliers + j0 + j)));
      right = _mm256_sub_epi64(_mm256_setzero_si256(),
                               _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(q->shifts + j0 + j))));
    } else {
      m = _mm256_set1_epi64x(q->multiplier);
      right = _mm256_set1_epi64x(-(int64_t)q->shift);
    }
    const __m256i acc = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(const void *)(raw + j))),
                                         _mm256_loadu_si256((const __m256i *)(const void *)(corr + j)));
    const __m128i v32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(tl_i8_requant4_avx2(acc, m, right, zp, lo, hi), gather));
    const int32_t bytes = _mm_cvtsi128_si32(_mm_packs_epi16(_mm_packs_epi32(v32, v32), _mm_setzero_si128()));
    memcpy(y + j, &bytes, 4);
  }
  for (; j < cols; j++) {
    const int32_t m = per_channel ? q->multipliers[j0 + j] : q->multiplier;
    const int32_t sh = per_channel ? q->shifts[j0 + j] : q->shift;
    y[j] = tl_i8_requant((int64_t)raw[j] + corr[j], m, -sh, q->output_zp, q->act_min, q->act_max);
  }
}
#endif

/* Algorithm: y[r, j] = requant_j(raw[r, j] + corr[j]) for m rows of a (lda apart) and the n packed columns;
 * tiles of 4 rows x NR columns, the rows innermost so a panel stays in L1 across the rows. */
static void tl_gemm_int8_run_cols(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m,
                                  const void *packed, int32_t n, int32_t k, const tl_requant_int8 *q,
                                  tl_i8_level level, int32_t jb, int32_t je) {
  const int32_t nr = tl_i8_nr(level);
  const int64_t kp = tl_i8_kp(k);
  const uint8_t *base = tl_i8_base(packed);
  const int64_t *corr = (const int64_t *)(const void *)(base + TL_I8_HEADER);
  const int8_t *panels = (const int8_t *)(corr + tl_i8_npad(level, n));
  int32_t acc[TL_I8_MR * 16];
  int32_t inline_requant; /* tl_i8_inline_ok(q), from the pack */
#if defined(TL_I8_X86)
  const int bwvl = level == TL_I8_VNNI && tl_i8_x86_bwvl();
#endif
  memcpy(&inline_requant, base, sizeof inline_requant);
#if defined(TL_I8_X86)
  int32_t il; /* the interleaved layout (header word 2): only this one-row path reads it */
  memcpy(&il, base + 2 * sizeof(int32_t), sizeof il);
  if (level == TL_I8_VNNI && inline_requant && m == 1 && bwvl &&
      tl_i8_gemv_vnni_q(y, a, n, k, panels, corr, q, jb, je, il))
    return;
#endif
  for (int32_t j0 = jb; j0 < je; j0 += nr) {
    const int8_t *panel = panels + (int64_t)(j0 / nr) * nr * kp;
    const int32_t cols = n - j0 < nr ? n - j0 : nr;
#if defined(TL_I8_X86)
    if (level == TL_I8_VNNI && inline_requant && m > 1 && bwvl) { /* two panels at once, 8-row tiles */
      const int32_t cols1 = je - j0 - nr <= 0 ? 0 : (je - j0 - nr < nr ? je - j0 - nr : nr);
      if (tl_i8_panel2_vnni_q(y + j0, ldy, a, lda, m, k, panel, panel + (int64_t)nr * kp, corr + j0, j0, cols,
                              cols1, q)) {
        if (cols1 > 0) j0 += nr;
        continue;
      }
    }
    if (level == TL_I8_VNNI && inline_requant &&
        tl_i8_panel_vnni_q(y + j0, ldy, a, lda, m, k, panel, corr + j0, j0, cols, q))
      continue;
#endif
    for (int32_t r0 = 0; r0 < m; r0 += TL_I8_MR) {
      const int32_t rows = m - r0 < TL_I8_MR ? m - r0 : TL_I8_MR;
      tl_i8_tile(level, a + r0 * lda, lda, rows, k, panel, acc);
      for (int32_t r = 0; r < rows; r++) {
        int8_t *yr = y + (r0 + r) * ldy + j0;
#if defined(TL_I8_X86)
        if (level == TL_I8_VNNI && inline_requant) {
          tl_i8_requant_row_avx512(yr, acc + r * 16, corr + j0, j0, cols, q);
          continue;
        }
#endif
#if defined(TL_I8_X86)
        if (level == TL_I8_AVX2 && inline_requant) {
          tl_i8_requant_row_avx2(yr, acc + r * 16, corr + j0, j0, cols, q);
          continue;
        }
#endif
#if defined(TL_I8_ARM) && defined(__aarch64__)
        if ((level == TL_I8_NEON || level == TL_I8_SDOT) && inline_requant) {
          tl_i8_requant_row_a64(yr, acc + r * 16, corr + j0, j0, cols, q);
          continue;
        }
#endif
        tl_i8_requant_row(yr, acc + r * 16, corr + j0, j0, cols, q, inline_requant);
      }
    }
  }
}

/* Every column. */
static void tl_gemm_int8_run(int8_t *y, int64_t ldy, const int8_t *a, int64_t lda, int32_t m, const void *packed,
                             int32_t n, int32_t k, const tl_requant_int8 *q, tl_i8_level level) {
  tl_gemm_int8_run_cols(y, ldy, a, lda, m, packed, n, k, q, level, 0, n);
}

/* ---- FullyConnected ---- */
size_t tl_fc_int8_opt_packed_bytes(const tl_fc_int8_params *p, tl_i8_level level) {
  return tl_gemm_int8_packed_bytes(level, p->out_depth, p->in_depth);
}

void tl_fc_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_fc_int8_params *p,
                         tl_i8_level level) {
  const int32_t n = p->out_depth, k = p->in_depth;
  tl_gemm_int8_pack(packed, w, bias, n, k, k, k, p->input_zp, &p->out, level);
#if defined(TL_I8_X86)
  /* One row on the VNNI level whose corrections fit the int32 lanes: the one-row product always applies, so
   * its interleaved layout can replace the plain one. */
  if (level == TL_I8_VNNI && p->batch == 1 && tl_i8_inline_ok(&p->out) && tl_i8_x86_bwvl()) {
    const int64_t *corr = (const int64_t *)(const void *)(tl_i8_base(packed) + TL_I8_HEADER);
    const int64_t bound = (int64_t)INT32_MAX - tl_i8_kp(k) * 255 * 128;
    int32_t fits = bound >= 0;
    for (int32_t j = 0; j < n && fits; j++) fits = corr[j] <= bound && corr[j] >= -bound;
    if (fits) tl_gemm_int8_pack_il(packed, w, bias, n, k, k, k, p->input_zp, &p->out, level, 1);
  }
#endif
}

void tl_fc_int8_opt(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p, tl_i8_level level) {
  tl_gemm_int8_run(y, p->out_depth, x, p->in_depth, p->batch, packed, p->out_depth, p->in_depth, &p->out, level);
}

void tl_fc_int8_opt_cols(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p,
                         tl_i8_level level, int32_t j_begin, int32_t j_end) {
  tl_gemm_int8_run_cols(y, p->out_depth, x, p->in_depth, p->batch, packed, p->out_depth, p->in_depth, &p->out, level,
                        j_begin, j_end < p->out_depth ? j_end : p->out_depth);
}

/* ---- Conv2D ---- */
static int tl_conv_int8_pointwise(const tl_conv_params *g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

static int32_t tl_conv_int8_depth(const tl_conv_params *g) { return g->k_h * g->k_w * g->in_c; }

/* The VNNI level packs Conv2D (dilation_w 1, not pointwise) in segments of k_w * in_c bytes padded to whole
 * depth groups, one per kernel row, so the micro-kernel reads the input rows in place (tl_conv_int8_seg_run);
 * the same predicate at pack and at run time. */
static int tl_conv_int8_seg_mode(const tl_conv_params *g, tl_i8_level level) {
  if (level != TL_I8_VNNI || g->dilation_w != 1 || tl_conv_int8_pointwise(g)) return 0;
#if defined(TL_I8_X86)
  return tl_i8_x86_bwvl();
#else
  return 0;
#endif
}

int32_t tl_conv_int8_depth_bound(int32_t k_h, int32_t k_w, int32_t in_c) {
  return k_h * ((k_w * in_c + 3) / 4 * 4);
}

size_t tl_conv2d_int8_opt_packed_bytes(const tl_conv_int8_params *p, tl_i8_level level) {
  return tl_gemm_int8_packed_bytes(level, p->geom.out_c, tl_conv_int8_depth_bound(p->geom.k_h, p->geom.k_w, p->geom.in_c));
}

size_t tl_conv2d_int8_opt_scratch_bytes(const tl_conv_params *g) {
  const int64_t positions = (int64_t)g->out_h * g->out_w;
  if (tl_conv_int8_pointwise(g)) return 0;
  return (size_t)(positions < TL_CONV_INT8_BLOCK_ROWS ? positions : TL_CONV_INT8_BLOCK_ROWS) *
             (size_t)tl_conv_int8_depth_bound(g->k_h, g->k_w, g->in_c) +
         TL_CONV_INT8_SCRATCH_SLACK;
}

void tl_conv2d_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_conv_int8_params *p,
                             tl_i8_level level) {
  const tl_conv_params *g = &p->geom;
  const int32_t depth = tl_conv_int8_depth(g), seg = g->k_w * g->in_c;
  if (tl_conv_int8_seg_mode(g, level))
    tl_gemm_int8_pack(packed, w, bias, g->out_c, depth, seg, (seg + 3) / 4 * 4, p->input_zp, &p->out, level);
  else
    tl_gemm_int8_pack(packed, w, bias, g->out_c, depth, depth, depth, p->input_zp, &p->out, level);
}

/* The receptive field of output position (oy, ox) into dst [k_h, k_w, in_c], input_zp where a tap falls
 * outside the input (that term is (zp - zp) * w = 0, as the reference's skipped tap). */
static void tl_conv_int8_patch(int8_t *dst, const int8_t *xb, int32_t oy, int32_t ox, int8_t zp,
                               const tl_conv_params *g) {
  const int64_t in_c = g->in_c, row = (int64_t)g->k_w * in_c;
  const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top), ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
  for (int32_t ky = 0; ky < g->k_h; ky++, dst += row) {
    const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) {
      memset(dst, zp, (size_t)row);
      continue;
    }
    const int8_t *src = xb + iy * g->in_w * in_c; /* input row iy */
    if (g->dilation_w == 1 && ix0 >= 0 && ix0 + g->k_w <= g->in_w) {
      memcpy(dst, src + (int64_t)ix0 * in_c, (size_t)row);
      continue;
    }
    for (int32_t kx = 0; kx < g->k_w; kx++) {
      const int64_t ix = ix0 + (int64_t)kx * g->dilation_w;
      if (ix < 0 || ix >= g->in_w)
        memset(dst + kx * in_c, zp, (size_t)in_c);
      else
        memcpy(dst + kx * in_c, src + (int64_t)ix * in_c, (size_t)in_c);
    }
  }
}

#if defined(TL_I8_X86)
/* n bytes from src to dst, and up to 63 bytes of garbage after them (the caller writes them later or owns
 * them: TL_CONV_INT8_SCRATCH_SLACK): whole 64-byte stores, the source read with a masked load. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_copy_avx512(int8_t *dst, const int8_t *src, int64_t n) {
  if (n <= 16) { /* the short runs of few input channels: one 16-byte store */
    _mm_storeu_si128((__m128i *)(void *)dst, _mm_maskz_loadu_epi8((__mmask16)_bzhi_u32(0xFFFFu, (unsigned)n), src));
    return;
  }
  for (; n > 64; n -= 64, dst += 64, src += 64) _mm512_storeu_si512((void *)dst, _mm512_loadu_si512((const void *)src));
  _mm512_storeu_si512((void *)dst, _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)n), src));
}

TL_I8_VNNIBW_ TL_I8_INLINE void tl_i8_fill_avx512(int8_t *dst, __m512i v, int64_t n) {
  for (; n > 0; n -= 64, dst += 64) _mm512_storeu_si512((void *)dst, v);
}

/* tl_conv_int8_patch for `rows` consecutive output positions from pos0 into rows ld >= depth bytes apart (in
 * increasing order, so each copy's garbage tail is overwritten by the next one, or lies in [depth, ld) where
 * the packed weights are zero, or in the slack), with the moves above. Positions whose taps are all inside
 * copy k_h runs of k_w * in_c bytes; runs of at most 16 bytes are one 16-byte load when it stays within
 * the input (x_end). */
TL_I8_VNNIBW_ static void tl_conv_int8_im2col_avx512(int8_t *dst, int64_t ld, const int8_t *xb, const int8_t *x_end,
                                                     int64_t pos0, int32_t rows, int8_t zp, const tl_conv_params *g) {
  const int64_t in_c = g->in_c, row = (int64_t)g->k_w * in_c, x_row = (int64_t)g->in_w * in_c;
  const int32_t k_h = g->k_h, k_w = g->k_w, in_h = g->in_h, in_w = g->in_w, out_w = g->out_w;
  const int32_t dil_h = g->dilation_h, dil_w = g->dilation_w, s_h = g->stride_h, s_w = g->stride_w;
  const int64_t span_h = (int64_t)(k_h - 1) * dil_h; /* rows below iy0 that the taps reach */
  const __m512i zv = _mm512_set1_epi8((char)zp);
  const __mmask16 small = (__mmask16)_bzhi_u32(0xFFFFu, (unsigned)(row < 16 ? row : 16));
  int32_t oy = (int32_t)(pos0 / out_w), ox = (int32_t)(pos0 % out_w);
  for (int32_t r = 0; r < rows; r++, dst += ld) {
    const int64_t iy0 = tl_geo_start(oy, s_h, g->pad_top), ix0 = tl_geo_start(ox, s_w, g->pad_left);
    const int full_w = dil_w == 1 && ix0 >= 0 && ix0 + k_w <= in_w;
    if (++ox == out_w) ox = 0, oy++;
    if (full_w && iy0 >= 0 && iy0 + span_h < in_h) { /* every tap inside */
      const int8_t *src = xb + (int64_t)iy0 * x_row + (int64_t)ix0 * in_c;
      const int64_t step = (int64_t)dil_h * x_row;
      if (row <= 16) {
        for (int32_t ky = 0; ky < k_h; ky++, src += step) {
          const __m128i v = src + 16 <= x_end ? _mm_loadu_si128((const __m128i *)(const void *)src)
                                              : _mm_maskz_loadu_epi8(small, src);
          _mm_storeu_si128((__m128i *)(void *)(dst + ky * row), v);
        }
      } else {
        for (int32_t ky = 0; ky < k_h; ky++, src += step) tl_i8_copy_avx512(dst + ky * row, src, row);
      }
      continue;
    }
    int8_t *d = dst;
    for (int32_t ky = 0; ky < k_h; ky++, d += row) {
      const int64_t iy = iy0 + (int64_t)ky * dil_h;
      if (iy < 0 || iy >= in_h) {
        tl_i8_fill_avx512(d, zv, row);
        continue;
      }
      const int8_t *src = xb + (int64_t)iy * x_row; /* input row iy */
      if (full_w) {
        tl_i8_copy_avx512(d, src + (int64_t)ix0 * in_c, row);
        continue;
      }
      for (int32_t kx = 0; kx < k_w; kx++) {
        const int64_t ix = ix0 + (int64_t)kx * dil_w;
        if (ix < 0 || ix >= in_w)
          tl_i8_fill_avx512(d + kx * in_c, zv, in_c);
        else
          tl_i8_copy_avx512(d + kx * in_c, src + (int64_t)ix * in_c, in_c);
      }
    }
  }
}
#endif

#if defined(TL_I8_X86)
/* The im2col row of the position with tap (0, 0) at input (iy0, ix0) in the segmented layout (kernel row ky
 * at ky * segp; the zero point where a tap is outside and in the padding). */
static void tl_conv_int8_seg_row(int8_t *d, const int8_t *xb, int64_t iy0, int64_t ix0, int8_t zp,
                                 const tl_conv_params *g) {
  const int64_t in_c = g->in_c, x_row = (int64_t)g->in_w * in_c;
  const int32_t segp = (g->k_w * g->in_c + 3) / 4 * 4;
  memset(d, zp, (size_t)g->k_h * (size_t)segp);
  for (int32_t ky = 0; ky < g->k_h; ky++) {
    const int64_t iy = iy0 + (int64_t)ky * g->dilation_h;
    if (iy < 0 || iy >= g->in_h) continue;
    for (int32_t kx = 0; kx < g->k_w; kx++) {
      const int64_t ix = ix0 + kx;
      if (ix >= 0 && ix < g->in_w)
        memcpy(d + (int64_t)ky * segp + kx * in_c, xb + (int64_t)iy * x_row + ix * in_c, (size_t)in_c);
    }
  }
}

/* The segmented packing through tl_gemm_int8_run (every requantization): whole im2col blocks in that layout. */
static void tl_conv_int8_seg_general(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                                     const tl_conv_int8_params *p, tl_i8_level level) {
  const tl_conv_params *g = &p->geom;
  const int32_t kpk = tl_conv_int8_depth_bound(g->k_h, g->k_w, g->in_c);
  const int64_t positions = (int64_t)g->out_h * g->out_w;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
    int8_t *yb = y + (int64_t)b * positions * g->out_c;
    for (int64_t pos0 = 0; pos0 < positions; pos0 += TL_CONV_INT8_BLOCK_ROWS) {
      const int32_t rows =
          (int32_t)(positions - pos0 < TL_CONV_INT8_BLOCK_ROWS ? positions - pos0 : TL_CONV_INT8_BLOCK_ROWS);
      for (int32_t r = 0; r < rows; r++) {
        const int32_t oy = (int32_t)((pos0 + r) / g->out_w), ox = (int32_t)((pos0 + r) % g->out_w);
        tl_conv_int8_seg_row(scratch + (int64_t)r * kpk, xb, tl_geo_start(oy, g->stride_h, g->pad_top),
                             tl_geo_start(ox, g->stride_w, g->pad_left), (int8_t)p->input_zp, g);
      }
      tl_gemm_int8_run(yb + pos0 * g->out_c, g->out_c, scratch, kpk, rows, packed, g->out_c, kpk, &p->out, level);
    }
  }
}
#endif

#if defined(TL_I8_X86)
/* Conv2D on the segmented packing (tl_conv_int8_seg_mode): per block of positions, each row reads the input in
 * place when every tap is inside (and the last kernel row's whole groups end within the input), else an
 * im2col row in the segmented layout in scratch (exact copies: the zero point where a tap is outside). Returns
 * 0 (nothing written) when the requantization or a correction needs the general path. */
TL_I8_VNNIBW_ static int tl_conv_int8_seg_run(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                                              const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const tl_requant_int8 *q = &p->out;
  const int32_t n = g->out_c, seg = g->k_w * g->in_c, segp = (seg + 3) / 4 * 4, kh = g->k_h, sg = segp / 4;
  const int32_t kpk = kh * segp; /* packed depth */
  const int64_t in_c = g->in_c, x_row = (int64_t)g->in_w * in_c, ks_in = (int64_t)g->dilation_h * x_row;
  const int64_t positions = (int64_t)g->out_h * g->out_w, span_h = (int64_t)(kh - 1) * g->dilation_h;
  const uint8_t *base = tl_i8_base(packed);
  const int64_t *corr = (const int64_t *)(const void *)(base + TL_I8_HEADER);
  const int8_t *panels = (const int8_t *)(corr + tl_i8_npad(TL_I8_VNNI, n));
  const int64_t panel_bytes = 16 * (int64_t)kpk;
  const int8_t *ap[TL_CONV_INT8_BLOCK_ROWS];
  int64_t ks[TL_CONV_INT8_BLOCK_ROWS];
  int32_t inline_ok;
  __m512i c[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  memcpy(&inline_ok, base, sizeof inline_ok);
  if (!inline_ok) return 0;
  for (int32_t j = 0; j < n; j += 16)
    if (!tl_i8_corr32(&c[0], corr + j, kpk)) return 0;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row, *x_end = xb + (int64_t)g->in_h * x_row;
    int8_t *yb = y + (int64_t)b * positions * n;
    for (int64_t pos0 = 0; pos0 < positions; pos0 += TL_CONV_INT8_BLOCK_ROWS) {
      const int32_t rows =
          (int32_t)(positions - pos0 < TL_CONV_INT8_BLOCK_ROWS ? positions - pos0 : TL_CONV_INT8_BLOCK_ROWS);
      int32_t oy = (int32_t)(pos0 / g->out_w), ox = (int32_t)(pos0 % g->out_w);
      for (int32_t r = 0; r < rows; r++) {
        const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top), ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        const int8_t *src = xb + (int64_t)iy0 * x_row + (int64_t)ix0 * in_c; /* used when inside */
        if (ix0 >= 0 && ix0 + g->k_w <= g->in_w && iy0 >= 0 && iy0 + span_h < g->in_h &&
            (x_end - src) - span_h * x_row >= segp) {
          ap[r] = src;
          ks[r] = ks_in;
        } else {
          ap[r] = scratch + (int64_t)r * kpk;
          ks[r] = segp;
          tl_conv_int8_seg_row(scratch + (int64_t)r * kpk, xb, iy0, ix0, (int8_t)p->input_zp, g);
        }
        if (++ox == g->out_w) ox = 0, oy++;
      }
      int8_t *yblk = yb + pos0 * n;
      for (int32_t j0 = 0; j0 < n; j0 += 32) {
        const int32_t cols0 = n - j0 < 16 ? n - j0 : 16, cols1 = n - j0 - 16 <= 0 ? 0 : (n - j0 - 16 < 16 ? n - j0 - 16 : 16);
        const int8_t *b0 = panels + (int64_t)(j0 / 16) * panel_bytes;
        tl_rq16 rq[2];
        __mmask16 live[2];
        tl_i8_corr32(&c[0], corr + j0, kpk);
        live[0] = (__mmask16)((1u << cols0) - 1u);
        tl_rq16_init(&rq[0], q, j0, live[0]);
        if (cols1 > 0) {
          tl_i8_corr32(&c[1], corr + j0 + 16, kpk);
          live[1] = (__mmask16)((1u << cols1) - 1u);
          tl_rq16_init(&rq[1], q, j0 + 16, live[1]);
          tl_i8_vnni_rows_seg(2, yblk + j0, n, ap, ks, rows, kh, sg, b0, b0 + panel_bytes, c, rq, live);
        } else {
          live[1] = 0;
          tl_i8_vnni_rows_seg(1, yblk + j0, n, ap, ks, rows, kh, sg, b0, b0, c, rq, live);
        }
      }
    }
  }
  return 1;
}
#endif

void tl_conv2d_int8_opt(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                        const tl_conv_int8_params *p, tl_i8_level level) {
  const tl_conv_params *g = &p->geom;
  const int32_t depth = tl_conv_int8_depth(g);
  const int64_t positions = (int64_t)g->out_h * g->out_w;
  if (tl_conv_int8_pointwise(g)) {
    tl_gemm_int8_run(y, g->out_c, x, g->in_c, (int32_t)(positions * g->batch), packed, g->out_c, depth, &p->out,
                     level);
    return;
  }
#if defined(TL_I8_X86)
  const int bwvl = level == TL_I8_VNNI && tl_i8_x86_bwvl();
  if (tl_conv_int8_seg_mode(g, level)) { /* packed in segments: the input in place (or the general path) */
    if (tl_conv_int8_seg_run(y, x, packed, scratch, p)) return;
    tl_conv_int8_seg_general(y, x, packed, scratch, p, level);
    return;
  }
#endif
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
    int8_t *yb = y + (int64_t)b * positions * g->out_c;
    for (int64_t pos0 = 0; pos0 < positions; pos0 += TL_CONV_INT8_BLOCK_ROWS) {
      const int32_t rows =
          (int32_t)(positions - pos0 < TL_CONV_INT8_BLOCK_ROWS ? positions - pos0 : TL_CONV_INT8_BLOCK_ROWS);
#if defined(TL_I8_X86)
      if (bwvl) { /* rows kp apart: whole depth groups, the bytes past depth meet zero weights */
        const int64_t kp = tl_i8_kp(depth);
        tl_conv_int8_im2col_avx512(scratch, kp, xb, xb + (int64_t)g->in_h * g->in_w * g->in_c, pos0, rows,
                                   (int8_t)p->input_zp, g);
        tl_gemm_int8_run(yb + pos0 * g->out_c, g->out_c, scratch, kp, rows, packed, g->out_c, (int32_t)kp, &p->out,
                         level);
        continue;
      }
#endif
      for (int32_t r = 0; r < rows; r++) {
        const int64_t pos = pos0 + r;
        tl_conv_int8_patch(scratch + (int64_t)r * depth, xb, (int32_t)(pos / g->out_w), (int32_t)(pos % g->out_w),
                           (int8_t)p->input_zp, g);
      }
      tl_gemm_int8_run(yb + pos0 * g->out_c, g->out_c, scratch, depth, rows, packed, g->out_c, depth, &p->out,
                       level);
    }
  }
}

/* Output rows [oy0, oy1) of image b: the same conv on a sub-geometry (one image, out_h = oy1 - oy0, the
 * padding above moved by oy0 strides; pointwise: the matching input rows), so each output is computed as in
 * the whole call. */
int tl_conv2d_int8_opt_splittable(const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom; /* a sub-geometry never turns pointwise (its packing would differ) */
  return tl_conv_int8_pointwise(g) || !(g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1);
}

void tl_conv2d_int8_opt_rows(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                             const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0, int32_t oy1) {
  const tl_conv_params *g = &p->geom;
  tl_conv_int8_params s = *p;
  const int8_t *xb = x + (int64_t)b * g->in_h * g->in_w * g->in_c;
  s.geom.batch = 1;
  s.geom.out_h = oy1 - oy0;
  if (tl_conv_int8_pointwise(g)) {
    s.geom.in_h = s.geom.out_h;
    xb += (int64_t)oy0 * g->in_w * g->in_c;
  } else {
    s.geom.pad_top = (int32_t)-tl_geo_start(oy0, g->stride_h, g->pad_top); /* fits: oy0 * stride_h < in_h + pad_top */
  }
  tl_conv2d_int8_opt(y + ((int64_t)b * g->out_h + oy0) * g->out_w * g->out_c, xb, packed, scratch, &s, level);
}

/* ---- DepthwiseConv2D, depth multiplier 1 ----
 * Per output pixel and block of 16 channels: sum over the taps inside the input of (x - input_zp) * w, each
 * product exact in int16 (|x - zp| <= 255, |w| <= 128: at most 32640), summed in int32 (exact for at most
 * TL_DW_INT8_MAX_TAPS taps); the bias is added in int64 by the requantization, as in the reference. */
/* The VNNI section after the int64 bias: per block of 32 channels a 64-byte header (int32 1 when the folded
 * bias fits, see tl_dw8_vnni_pack), the folded bias in the two lane orders (2 x 16 int32), then per pair of
 * taps two vectors of 16 (w_a, w_b) int16 pairs in the lane orders of vpunpcklwd / vpunpckhwd. */
#define TL_DW8_VB 32
static size_t tl_dw8_vnni_block_bytes(int32_t taps) { return 64 + 128 + (size_t)((taps + 1) / 2) * 128; }

size_t tl_depthwise_int8_opt_bytes(int32_t k_h, int32_t k_w, int32_t ch) {
  const size_t blocks = (size_t)(((int64_t)ch + TL_DW8_VB - 1) / TL_DW8_VB);
  return TL_I8_ALIGN + (size_t)(((int64_t)ch + 15) / 16 * 16) * sizeof(int64_t) +
         blocks * tl_dw8_vnni_block_bytes(k_h * k_w);
}

size_t tl_depthwise_conv2d_int8_opt_packed_bytes(const tl_conv_params *g) {
  return tl_depthwise_int8_opt_bytes(g->k_h, g->k_w, g->out_c);
}

/* Lane l (0..15) of the vpunpcklwd (half 0) / vpunpckhwd (half 1) order holds channel 8 (l / 4) + 4 half + l % 4. */
static int32_t tl_dw8_lane_channel(int32_t l, int32_t half) { return 8 * (l / 4) + 4 * half + l % 4; }

/* Algorithm: folded[c] = bias[c] - input_zp * sum_t w[t, c], so that sum over the taps inside the input of
 * (x - zp) * w equals folded + sum over all taps of x' * w with x' = zp where a tap is outside. The block's
 * flag says whether |folded| + taps * 128 * 128 stays within int32 for its channels. */
static void tl_dw8_vnni_pack(uint8_t *dst, const int8_t *w, const int32_t *bias, const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int32_t ch = g->out_c, taps = g->k_h * g->k_w, pairs = (taps + 1) / 2;
  const size_t block_bytes = tl_dw8_vnni_block_bytes(taps);
  for (int32_t c0 = 0; c0 < ch; c0 += TL_DW8_VB, dst += block_bytes) {
    int32_t ok = 1;
    int32_t *folded = (int32_t *)(void *)(dst + 64);
    int16_t *wv = (int16_t *)(void *)(dst + 192);
    for (int32_t half = 0; half < 2; half++)
      for (int32_t l = 0; l < 16; l++) {
        /* 16 channels: lanes 16..31 repeat them (two adjacent pixels per vector, see tl_dw8v_image) */
        const int32_t c = c0 + tl_dw8_lane_channel(l, half) - (ch == 16 && tl_dw8_lane_channel(l, half) >= 16 ? 16 : 0);
        int64_t f = 0;
        if (c < ch) {
          int64_t sum = 0;
          for (int32_t t = 0; t < taps; t++) sum += w[(int64_t)t * ch + c];
          f = (bias ? (int64_t)bias[c] : 0) - (int64_t)p->input_zp * sum;
          if ((f < 0 ? -f : f) > (int64_t)INT32_MAX - (int64_t)taps * 16384) ok = 0;
        }
        folded[half * 16 + l] = ok ? (int32_t)f : 0;
        for (int32_t q = 0; q < pairs; q++)
          for (int32_t e = 0; e < 2; e++) {
            const int32_t t = 2 * q + e;
            wv[((int64_t)q * 2 + half) * 32 + 2 * l + e] = (int16_t)(c < ch && t < taps ? w[(int64_t)t * ch + c] : 0);
          }
      }
    memcpy(dst, &ok, sizeof ok);
  }
}

void tl_depthwise_conv2d_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias,
                                       const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  uint8_t *base = (uint8_t *)packed + (tl_i8_base(packed) - (const uint8_t *)packed);
  int64_t *b = (int64_t *)(void *)base;
  const size_t bias_bytes = (size_t)(((int64_t)g->out_c + 15) / 16 * 16) * sizeof(int64_t);
  memset(packed, 0, tl_depthwise_conv2d_int8_opt_packed_bytes(g));
  for (int32_t c = 0; c < g->out_c; c++) b[c] = bias ? bias[c] : 0;
  tl_dw8_vnni_pack(base + bias_bytes, w, bias, p);
}

/* sums[0..cols) for channels c0.. of one output pixel: taps (ky, kx) in [ky0, ky1) x [kx0, kx1). */
typedef struct tl_dw8_pixel {
  const int8_t *x;  /* input image at channel c0 */
  int64_t x_off;    /* offset of the pixel's tap (0, 0) (may be outside: only taps inside are added) */
  const int8_t *w;  /* weights at tap (0, 0), channel c0 */
  int64_t x_dy, x_dx, w_dy, w_dx;
  int32_t ky0, ky1, kx0, kx1;
  int32_t zp;
} tl_dw8_pixel;

static void tl_dw8_sums_portable(int32_t *sums, int32_t cols, const tl_dw8_pixel *t) {
  for (int32_t c = 0; c < cols; c++) sums[c] = 0;
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      for (int32_t c = 0; c < cols; c++) sums[c] += ((int32_t)xp[c] - t->zp) * wp[c];
    }
}

#if defined(TL_I8_X86)
TL_I8_AVX2_ static void tl_dw8_sums16_avx2(int32_t *sums, const tl_dw8_pixel *t) {
  __m256i lo = _mm256_setzero_si256(), hi = lo;
  const __m256i zp = _mm256_set1_epi16((int16_t)t->zp);
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      const __m256i xv = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)xp)), zp);
      const __m256i pr = _mm256_mullo_epi16(xv, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wp)));
      lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(pr)));
      hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(pr, 1)));
    }
  _mm256_storeu_si256((__m256i *)sums, lo);
  _mm256_storeu_si256((__m256i *)(sums + 8), hi);
}
#endif

#if defined(TL_I8_ARM)
static void tl_dw8_sums16_neon(int32_t *sums, const tl_dw8_pixel *t) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
  const int16x8_t zp = vdupq_n_s16((int16_t)t->zp);
  for (int32_t ky = t->ky0; ky < t->ky1; ky++)
    for (int32_t kx = t->kx0; kx < t->kx1; kx++) {
      const int8_t *xp = t->x + (t->x_off + ky * t->x_dy + kx * t->x_dx), *wp = t->w + ky * t->w_dy + kx * t->w_dx;
      const int8x16_t xv = vld1q_s8(xp), wv = vld1q_s8(wp);
      const int16x8_t x0 = vsubq_s16(vmovl_s8(vget_low_s8(xv)), zp), x1 = vsubq_s16(vmovl_s8(vget_high_s8(xv)), zp);
      const int16x8_t w0 = vmovl_s8(vget_low_s8(wv)), w1 = vmovl_s8(vget_high_s8(wv));
      a0 = vmlal_s16(a0, vget_low_s16(x0), vget_low_s16(w0));
      a1 = vmlal_s16(a1, vget_high_s16(x0), vget_high_s16(w0));
      a2 = vmlal_s16(a2, vget_low_s16(x1), vget_low_s16(w1));
      a3 = vmlal_s16(a3, vget_high_s16(x1), vget_high_s16(w1));
    }
  vst1q_s32(sums, a0);
  vst1q_s32(sums + 4, a1);
  vst1q_s32(sums + 8, a2);
  vst1q_s32(sums + 12, a3);
}
#endif

static void tl_dw8_sums(int32_t *sums, int32_t cols, const tl_dw8_pixel *t, tl_i8_level level) {
  if (cols == 16) {
    switch (level) {
#if defined(TL_I8_X86)
      case TL_I8_AVX2:
      case TL_I8_VNNI:
        tl_dw8_sums16_avx2(sums, t);
        return;
#endif
#if defined(TL_I8_ARM)
      case TL_I8_NEON:
      case TL_I8_SDOT:
        tl_dw8_sums16_neon(sums, t);
        return;
#endif
      default:
        break;
    }
  }
  tl_dw8_sums_portable(sums, cols, t);
}

#if defined(TL_I8_X86)
/* One full block of 16 channels (c0 ..) over every output pixel: AVX2 sums as tl_dw8_sums16_avx2, started
 * at the bias in int32 and requantized in registers. Applies (returns 1) when |bias| + taps * 32640 stays
 * within int32 for these channels. */
TL_I8_VNNI_ static int tl_dw8_block_vnni(int8_t *y, const int8_t *x, const int8_t *w, const int64_t *bias,
                                         int32_t c0, const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const int64_t ch = g->in_c, x_row = (int64_t)g->in_w * ch;
  const int64_t x_dy = (int64_t)g->dilation_h * x_row, x_dx = (int64_t)g->dilation_w * ch, w_dy = (int64_t)g->k_w * ch;
  const int64_t bound = (int64_t)INT32_MAX - (int64_t)g->k_h * g->k_w * 32640;
  const __m512i b0 = _mm512_loadu_si512((const void *)(bias + c0));
  const __m512i b1 = _mm512_loadu_si512((const void *)(bias + c0 + 8));
  const __m256i zp = _mm256_set1_epi16((int16_t)p->input_zp);
  tl_rq16 rq;
  if (bound < 0 || _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(b0), _mm512_set1_epi64(bound)) ||
      _mm512_cmpgt_epi64_mask(_mm512_abs_epi64(b1), _mm512_set1_epi64(bound)))
    return 0;
  const __m512i bias32 =
      _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(b0)), _mm512_cvtepi64_epi32(b1), 1);
  tl_rq16_init(&rq, &p->out, c0, (__mmask16)0xFFFF);
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row + c0;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      int32_t ky0, ky1;
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
      int8_t *yrow = y + ((int64_t)b * g->out_h + oy) * g->out_w * ch + c0;
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        const int64_t x_off = (int64_t)iy0 * x_row + (int64_t)ix0 * ch;
        int32_t kx0, kx1;
        tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
        __m256i lo = _mm256_setzero_si256(), hi = lo;
        for (int32_t ky = ky0; ky < ky1; ky++)
          for (int32_t kx = kx0; kx < kx1; kx++) {
            const int8_t *xp = xb + (x_off + ky * x_dy + kx * x_dx), *wp = w + c0 + ky * w_dy + kx * ch;
            const __m256i xv = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)xp)), zp);
            const __m256i pr = _mm256_mullo_epi16(xv, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)wp)));
            lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(pr)));
            hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(pr, 1)));
          }
        const __m512i acc = _mm512_add_epi32(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), bias32);
        _mm_storeu_si128((__m128i *)(yrow + (int64_t)ox * ch), _mm512_cvtepi32_epi8(tl_rq16_apply(acc, &rq)));
      }
    }
  }
  return 1;
}
#endif

#if defined(TL_I8_X86)
/* ---- DepthwiseConv2D, AVX-512 VNNI: 32 channels per step, pairs of taps ----
 * Each tap's 32 input bytes are loaded once (zp where the tap is outside the input or past the channels) and
 * sign-extended to int16; two taps interleaved (vpunpcklwd / vpunpckhwd) meet the packed weight pairs in
 * vpdpwssd, whose int32 lanes start at the folded bias (exact: |x * w| <= 16384). The lane order of the two
 * accumulators is undone by vpackssdw after the requantization (values already in [-128, 127]). */
typedef struct tl_dw8v {
  const int8_t *xb;   /* batch image at channel c0 */
  const uint8_t *blk; /* the channel block's packed data */
  int64_t x_row, ch, x_dy, x_dx;
  __mmask32 live;
  __m256i zp8;
  tl_rq16 rq[2];
} tl_dw8v;

/* Output pixel with its tap (0, 0) at input (iy0, ix0); taps (ky, kx) inside when ky in [ky0, ky1) and kx in
 * [kx0, kx1) (all of them when `full`). kh, kw: the kernel (constants in the 3x3 instance). */
/* Tap (ky, kx) of the pixel whose tap (0, 0) is at offset base: 32 channels sign-extended to int16, the zero
 * point where the tap is outside the input (`inside` 0) or past the channels. */
TL_I8_VNNIBW_ TL_I8_INLINE __m512i tl_dw8v_tap(const tl_dw8v *d, int64_t base, int32_t ky, int32_t kx, int inside) {
  const int64_t off = inside ? base + ky * d->x_dy + kx * d->x_dx : 0;
  return _mm512_cvtepi8_epi16(_mm256_mask_loadu_epi8(d->zp8, inside ? d->live : 0, d->xb + off));
}

/* Two taps' vectors into the accumulators with weight pair q. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_pair(__m512i *acc0, __m512i *acc1, __m512i xa, __m512i xb, const int8_t *wv,
                                             int32_t q) {
  *acc0 = _mm512_dpwssd_epi32(*acc0, _mm512_unpacklo_epi16(xa, xb), _mm512_loadu_si512((const void *)(wv + q * 128)));
  *acc1 = _mm512_dpwssd_epi32(*acc1, _mm512_unpackhi_epi16(xa, xb),
                              _mm512_loadu_si512((const void *)(wv + q * 128 + 64)));
}

TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_store(int8_t *yp, const tl_dw8v *d, __m512i acc0, __m512i acc1) {
  const __m512i v = _mm512_packs_epi32(tl_rq16_apply(acc0, &d->rq[0]), tl_rq16_apply(acc1, &d->rq[1]));
  _mm256_mask_storeu_epi8(yp, d->live, _mm512_cvtepi16_epi8(v));
}

/* Output pixel with its tap (0, 0) at input (iy0, ix0); taps (ky, kx) inside when ky in [ky0, ky1) and kx in
 * [kx0, kx1) (all of them when `full`). Any kernel size (the 3x3 one is spelled out: -O2 does not unroll
 * this loop). */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_pixel(int8_t *yp, const tl_dw8v *d, int64_t iy0, int64_t ix0, int32_t ky0,
                                            int32_t ky1, int32_t kx0, int32_t kx1, const int full, const int three,
                                            int32_t kh, int32_t kw) {
  const int8_t *wv = (const int8_t *)(d->blk + 192);
  __m512i acc0 = _mm512_loadu_si512((const void *)(d->blk + 64));
  __m512i acc1 = _mm512_loadu_si512((const void *)(d->blk + 128));
  const int64_t base = (int64_t)iy0 * d->x_row + (int64_t)ix0 * d->ch;
#define TL_DW8_IN_(ky, kx) (full || ((ky) >= ky0 && (ky) < ky1 && (kx) >= kx0 && (kx) < kx1))
#define TL_DW8_TAP_(ky, kx) tl_dw8v_tap(d, base, ky, kx, TL_DW8_IN_(ky, kx))
  if (three) {
    tl_dw8v_pair(&acc0, &acc1, TL_DW8_TAP_(0, 0), TL_DW8_TAP_(0, 1), wv, 0);
    tl_dw8v_pair(&acc0, &acc1, TL_DW8_TAP_(0, 2), TL_DW8_TAP_(1, 0), wv, 1);
    tl_dw8v_pair(&acc0, &acc1, TL_DW8_TAP_(1, 1), TL_DW8_TAP_(1, 2), wv, 2);
    tl_dw8v_pair(&acc0, &acc1, TL_DW8_TAP_(2, 0), TL_DW8_TAP_(2, 1), wv, 3);
    tl_dw8v_pair(&acc0, &acc1, TL_DW8_TAP_(2, 2), _mm512_setzero_si512(), wv, 4);
  } else {
    const int32_t taps = kh * kw;
    int32_t ky = 0, kx = 0; /* of tap t */
    for (int32_t t = 0; t < taps; t += 2) {
      const __m512i xa = TL_DW8_TAP_(ky, kx);
      __m512i xb = _mm512_setzero_si512();
      if (++kx == kw) kx = 0, ky++;
      if (t + 1 < taps) {
        xb = TL_DW8_TAP_(ky, kx);
        if (++kx == kw) kx = 0, ky++;
      }
      tl_dw8v_pair(&acc0, &acc1, xa, xb, wv, t / 2);
    }
  }
#undef TL_DW8_TAP_
#undef TL_DW8_IN_
  tl_dw8v_store(yp, d, acc0, acc1);
}

/* Every output pixel of one block of channels; interior pixels take the unmasked-tap path. */
/* Every output pixel of one block of channels; interior pixels take the unmasked-tap path. dp (16 channels,
 * stride 1: NULL otherwise): the same block with all 32 lanes live, lanes 16..31 being the next pixel's 16
 * channels (its taps are the 16 bytes after this pixel's), used for pairs of pixels whose taps are all inside
 * horizontally. */
TL_I8_VNNIBW_ TL_I8_INLINE void tl_dw8v_image(int8_t *yb, const tl_dw8v *d, const tl_dw8v *dp, const tl_conv_params *g,
                                            int32_t ox_lo, int32_t ox_hi, const int three) {
  const int32_t kh = g->k_h, kw = g->k_w, out_w = g->out_w, s_w = g->stride_w, pad_left = g->pad_left;
  for (int32_t oy = 0; oy < g->out_h; oy++) {
    const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
    int32_t ky0, ky1;
    tl_geo_taps(iy0, g->dilation_h, kh, g->in_h, &ky0, &ky1);
    int8_t *yrow = yb + (int64_t)oy * out_w * d->ch;
    const int row_full = ky0 == 0 && ky1 == kh;
    for (int32_t ox = 0; ox < out_w;) {
      const int64_t ix0 = tl_geo_start(ox, s_w, pad_left);
      int8_t *yp = yrow + (int64_t)ox * d->ch;
      if (dp != NULL && ox >= ox_lo && ox + 1 < ox_hi) {
        if (row_full)
          tl_dw8v_pixel(yp, dp, iy0, ix0, 0, kh, 0, kw, 1, three, kh, kw);
        else
          tl_dw8v_pixel(yp, dp, iy0, ix0, ky0, ky1, 0, kw, 0, three, kh, kw);
        ox += 2;
        continue;
      }
      if (row_full && ox >= ox_lo && ox < ox_hi) {
        tl_dw8v_pixel(yp, d, iy0, ix0, 0, kh, 0, kw, 1, three, kh, kw);
      } else {
        int32_t kx0, kx1;
        tl_geo_taps(ix0, g->dilation_w, kw, g->in_w, &kx0, &kx1);
        tl_dw8v_pixel(yp, d, iy0, ix0, ky0, ky1, kx0, kx1, 0, three, kh, kw);
      }
      ox++;
    }
  }
}

/* Channels [0, done) through the VNNI blocks whose folded bias fits; returns done (a multiple of 32, or ch). */
TL_I8_VNNIBW_ static int32_t tl_dw8_vnni(int8_t *y, const int8_t *x, const uint8_t *vnni, const tl_conv_int8_params *p) {
  const tl_conv_params *g = &p->geom;
  const tl_requant_int8 *q = &p->out;
  const int32_t ch = g->in_c;
  const size_t block_bytes = tl_dw8_vnni_block_bytes(g->k_h * g->k_w);
  const __m512i idx0 = _mm512_set_epi32(27, 26, 25, 24, 19, 18, 17, 16, 11, 10, 9, 8, 3, 2, 1, 0);
  const __m512i idx1 = _mm512_add_epi32(idx0, _mm512_set1_epi32(4));
  int32_t ox_lo = 0, ox_hi = 0; /* output columns whose taps are all inside horizontally */
  const int pair = ch == 16 && g->stride_w == 1 && g->dilation_w == 1; /* two pixels per vector */
  tl_dw8v d, dp;
  for (int32_t ox = 0; ox < g->out_w; ox++) {
    const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
    int32_t kx0, kx1;
    tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
    if (kx0 == 0 && kx1 == g->k_w) {
      if (ox_hi == 0) ox_lo = ox;
      ox_hi = ox + 1;
    }
  }
  d.x_row = (int64_t)g->in_w * ch;
  d.ch = ch;
  d.x_dy = (int64_t)g->dilation_h * d.x_row;
  d.x_dx = (int64_t)g->dilation_w * ch;
  d.zp8 = _mm256_set1_epi8((char)p->input_zp);
  int32_t c0 = 0;
  for (; c0 < ch; c0 += TL_DW8_VB) {
    const uint8_t *blk = vnni + (size_t)(c0 / TL_DW8_VB) * block_bytes;
    const int32_t cols = ch - c0 < TL_DW8_VB ? ch - c0 : TL_DW8_VB;
    int32_t ok;
    memcpy(&ok, blk, sizeof ok);
    if (!ok) break;
    d.blk = blk;
    d.live = cols == 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << cols) - 1u);
    if (q->channels > 1) {
      const __mmask16 l0 = (__mmask16)d.live, l1 = (__mmask16)(d.live >> 16);
      const __m512i m0 = _mm512_maskz_loadu_epi32(l0, q->multipliers + c0);
      const __m512i s0 = _mm512_maskz_loadu_epi32(l0, q->shifts + c0);
      const __m512i m1 = pair ? m0 : _mm512_maskz_loadu_epi32(l1, q->multipliers + c0 + 16);
      const __m512i s1 = pair ? s0 : _mm512_maskz_loadu_epi32(l1, q->shifts + c0 + 16);
      tl_rq16_init_ms(&d.rq[0], _mm512_permutex2var_epi32(m0, idx0, m1), _mm512_permutex2var_epi32(s0, idx0, s1), q);
      tl_rq16_init_ms(&d.rq[1], _mm512_permutex2var_epi32(m0, idx1, m1), _mm512_permutex2var_epi32(s0, idx1, s1), q);
    } else {
      tl_rq16_init_ms(&d.rq[0], _mm512_set1_epi32(q->multiplier), _mm512_set1_epi32(q->shift), q);
      d.rq[1] = d.rq[0];
    }
    for (int32_t b = 0; b < g->batch; b++) {
      int8_t *yb = y + (int64_t)b * g->out_h * g->out_w * ch + c0;
      d.xb = x + (int64_t)b * g->in_h * d.x_row + c0;
      if (pair) {
        dp = d;
        dp.live = (__mmask32)0xFFFFFFFFu;
      }
      if (g->k_h == 3 && g->k_w == 3)
        tl_dw8v_image(yb, &d, pair ? &dp : NULL, g, ox_lo, ox_hi, 1);
      else
        tl_dw8v_image(yb, &d, pair ? &dp : NULL, g, ox_lo, ox_hi, 0);
    }
  }
  return c0 < ch ? c0 : ch;
}
#endif

void tl_depthwise_conv2d_int8_opt_rows(int8_t *y, const int8_t *x, const int8_t *w, const void *packed,
                                       const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0,
                                       int32_t oy1) {
  const tl_conv_params *g = &p->geom;
  tl_conv_int8_params s = *p;
  s.geom.batch = 1;
  s.geom.out_h = oy1 - oy0;
  s.geom.pad_top = (int32_t)-tl_geo_start(oy0, g->stride_h, g->pad_top); /* fits: oy0 * stride_h < in_h + pad_top */
  tl_depthwise_conv2d_int8_opt(y + ((int64_t)b * g->out_h + oy0) * g->out_w * g->out_c,
                               x + (int64_t)b * g->in_h * g->in_w * g->in_c, w, packed, &s, level);
}

void tl_depthwise_conv2d_int8_opt(int8_t *y, const int8_t *x, const int8_t *w, const void *packed,
                                  const tl_conv_int8_params *p, tl_i8_level level) {
  const tl_conv_params *g = &p->geom;
  const int64_t ch = g->in_c, x_row = (int64_t)g->in_w * ch;
  const int64_t *bias = (const int64_t *)(const void *)tl_i8_base(packed);
  const tl_requant_int8 *q = &p->out;
  int inline_requant = 1;
  int32_t sums[16];
  tl_dw8_pixel t;
  for (int32_t c = 0; c < q->channels; c++) {
    const int32_t m = q->channels > 1 ? q->multipliers[c] : q->multiplier;
    const int32_t sh = q->channels > 1 ? q->shifts[c] : q->shift;
    if (sh > 0 || sh < -31 || m <= 0) inline_requant = 0;
  }
  t.x_dy = (int64_t)g->dilation_h * x_row;
  t.x_dx = (int64_t)g->dilation_w * ch;
  t.w_dy = (int64_t)g->k_w * ch;
  t.w_dx = ch;
  t.zp = p->input_zp;
  int32_t c_start = 0; /* channels before c_start are done */
#if defined(TL_I8_X86)
  if (level == TL_I8_VNNI && inline_requant) {
    const size_t bias_bytes = (size_t)((ch + 15) / 16 * 16) * sizeof(int64_t);
    int32_t c0 = tl_i8_x86_bwvl() ? tl_dw8_vnni(y, x, (const uint8_t *)bias + bias_bytes, p) : 0;
    while (c0 + 16 <= ch && tl_dw8_block_vnni(y, x, w, bias, c0, p)) c0 += 16;
    c_start = c0;
  }
#endif
  if (c_start == ch) return;
  for (int32_t b = 0; b < g->batch; b++) {
    const int8_t *xb = x + (int64_t)b * g->in_h * x_row;
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      const int64_t iy0 = tl_geo_start(oy, g->stride_h, g->pad_top);
      tl_geo_taps(iy0, g->dilation_h, g->k_h, g->in_h, &t.ky0, &t.ky1);
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t ix0 = tl_geo_start(ox, g->stride_w, g->pad_left);
        int8_t *yp = y + (((int64_t)b * g->out_h + oy) * g->out_w + ox) * ch;
        tl_geo_taps(ix0, g->dilation_w, g->k_w, g->in_w, &t.kx0, &t.kx1);
        for (int32_t c0 = c_start; c0 < ch; c0 += 16) {
          const int32_t cols = ch - c0 < 16 ? (int32_t)(ch - c0) : 16;
          t.x = xb + c0;
          t.x_off = (int64_t)iy0 * x_row + (int64_t)ix0 * ch;
          t.w = w + c0;
          tl_dw8_sums(sums, cols, &t, level);
#if defined(TL_I8_X86)
          if (level == TL_I8_VNNI && inline_requant) {
            tl_i8_requant_row_avx512(yp + c0, sums, bias + c0, c0, cols, q);
            continue;
          }
#endif
#if defined(TL_I8_X86)
          if (level == TL_I8_AVX2 && inline_requant) {
            tl_i8_requant_row_avx2(yp + c0, sums, bias + c0, c0, cols, q);
            continue;
          }
#endif
#if defined(TL_I8_ARM) && defined(__aarch64__)
          if ((level == TL_I8_NEON || level == TL_I8_SDOT) && inline_requant) {
            tl_i8_requant_row_a64(yp + c0, sums, bias + c0, c0, cols, q);
            continue;
          }
#endif
          tl_i8_requant_row(yp + c0, sums, bias + c0, c0, cols, q, inline_requant);
        }
      }
    }
  }
}
