/* conv_winograd.c: float32 3x3 stride-1 Conv2D by Winograd F(2x2, 3x3) (see conv_winograd.h).
 *
 * Layout of one block of n tiles in scratch: zeros [in_c] (the taps in the padding), then
 * V [n, 16, in_c] (each tile's 16 transformed input vectors next to each other), then M [n, 16, out_c]
 * (the 16 GEMM results of each tile next to each other). GEMM e (e = 4 * row + column of the 4x4 transform
 * domain) reads rows of V at e * in_c, lda 16 * in_c, and writes M at e * out_c, ldc 16 * out_c, so the
 * input transform writes and the output transform reads one tile's data contiguously.
 * Packed memory: bias [out_c rounded up to 16], then 16 packed GEMM weight matrices U_e [out_c, in_c] (with
 * zero bias rows: the bias goes in after the output transform), each tl_gemm_packed_floats(isa, out_c, in_c).
 *
 * Input transform (B^T d B), per channel, on the rows then the columns of the 4x4 window d:
 *   r0 = d0 - d2, r1 = d1 + d2, r2 = d2 - d1, r3 = d1 - d3.
 * Weight transform (G g G^T), in double: u0 = g0, u1 = (g0 + g1 + g2) / 2, u2 = (g0 - g1 + g2) / 2, u3 = g2.
 * Output transform (A^T m A): s0 = m0 + m1 + m2, s1 = m1 - m2 - m3, on the rows then the columns; then
 * + bias and the clamp (max(lo, v) then min(hi, v): a NaN passes as in the reference).
 * The AVX2 level runs the transforms 8 channels at a time; the channels past the last full vector (and
 * every channel on builds without x86 vectors) take the scalar code, with the same arithmetic.
 */
#include "conv_winograd.h"

#include <math.h>
#include <string.h>

#include "opt_f32_internal.h"

#define TL_WINO_BLOCK_FLOATS 2048 /* tiles per block: about this many floats per (in_c + out_c) channel pair */
#define TL_WINO_MAX_BLOCK 96

/* A level's vector transforms (8 channels per step; each returns the first channel left for the scalar code)
 * and whether the level runs Winograd at all, picked once per call by tl_f32_level_index. */
typedef struct tl_wino_kernels {
  int on;
  int32_t (*in)(float *v, const float *const *d, int64_t in_c);
  int32_t (*out)(float *const *y, const int *ok, const float *m, const float *bias, int64_t out_c, tl_act_f32 act);
} tl_wino_kernels;
static const tl_wino_kernels *tl_wino_kernels_for(tl_isa isa);

int tl_conv_winograd_selected(const tl_conv_params *p, tl_isa isa) {
  const int64_t tiles = (int64_t)((p->out_h + 1) / 2) * ((p->out_w + 1) / 2);
  return tl_wino_kernels_for(isa)->on && p->k_h == 3 && p->k_w == 3 && p->stride_h == 1 && p->stride_w == 1 &&
         p->dilation_h == 1 && p->dilation_w == 1 && p->in_c >= TL_WINO_MIN_CHANNELS &&
         p->out_c >= TL_WINO_MIN_CHANNELS && tiles >= TL_WINO_MIN_TILES && p->in_c <= 65536 && p->out_c <= 65536;
}

static size_t tl_wino_bias_floats(const tl_conv_params *p) { return ((size_t)p->out_c + 15) / 16 * 16; }

size_t tl_conv_winograd_packed_floats(const tl_conv_params *p, tl_isa isa) {
  return tl_wino_bias_floats(p) + 16 * tl_gemm_packed_floats(isa, p->out_c, p->in_c);
}

void tl_conv_winograd_pack(float *packed, const float *w, const float *bias, const tl_conv_params *p, tl_isa isa) {
  const int32_t nr = tl_gemm_nr(isa), in_c = p->in_c, out_c = p->out_c;
  const size_t one = tl_gemm_packed_floats(isa, out_c, in_c);
  const int64_t panel_floats = ((int64_t)in_c + 1) * nr;
  float *u = packed + tl_wino_bias_floats(p);
  memset(packed, 0, tl_conv_winograd_packed_floats(p, isa) * sizeof(float));
  for (int32_t o = 0; o < out_c; o++) packed[o] = bias ? bias[o] : 0.0f;
  for (int32_t o = 0; o < out_c; o++) {
    const int64_t at = (int64_t)(o / nr) * panel_floats + o % nr; /* column o of its panel, row 0 */
    for (int32_t c = 0; c < in_c; c++) {
      double g[3][3], t[4][3];
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) g[ky][kx] = w[(((int64_t)o * 3 + ky) * 3 + kx) * in_c + c];
      for (int kx = 0; kx < 3; kx++) { /* G g */
        t[0][kx] = g[0][kx];
        t[1][kx] = 0.5 * (g[0][kx] + g[1][kx] + g[2][kx]);
        t[2][kx] = 0.5 * (g[0][kx] - g[1][kx] + g[2][kx]);
        t[3][kx] = g[2][kx];
      }
      for (int i = 0; i < 4; i++) { /* (G g) G^T: element e = 4 * i + j goes to U_e[o, c] */
        const double r[4] = {t[i][0], 0.5 * (t[i][0] + t[i][1] + t[i][2]), 0.5 * (t[i][0] - t[i][1] + t[i][2]),
                             t[i][2]};
        for (int j = 0; j < 4; j++) u[(size_t)(4 * i + j) * one + (size_t)(at + ((int64_t)c + 1) * nr)] = (float)r[j];
      }
    }
  }
}

static int32_t tl_wino_tiles(const tl_conv_params *p) { return ((p->out_h + 1) / 2) * ((p->out_w + 1) / 2); }

int32_t tl_conv_winograd_block_tiles(const tl_conv_params *p) {
  const int32_t tiles = tl_wino_tiles(p);
  int32_t n = TL_WINO_BLOCK_FLOATS / (p->in_c + p->out_c) / TL_GEMM_ROW_ALIGN * TL_GEMM_ROW_ALIGN;
  if (n < TL_GEMM_ROW_ALIGN) n = TL_GEMM_ROW_ALIGN;
  if (n > TL_WINO_MAX_BLOCK) n = TL_WINO_MAX_BLOCK;
  return tiles < n ? tiles : n;
}

int32_t tl_conv_winograd_blocks(const tl_conv_params *p) {
  const int32_t n = tl_conv_winograd_block_tiles(p);
  return (tl_wino_tiles(p) + n - 1) / n;
}

size_t tl_conv_winograd_scratch_floats(const tl_conv_params *p) {
  return ((size_t)p->in_c + 15) / 16 * 16 +
         (size_t)tl_conv_winograd_block_tiles(p) * 16 * ((size_t)p->in_c + (size_t)p->out_c);
}

/* ---- transforms: scalar (any channel range) ---- */

static void tl_wino_in_scalar(float *v, const float *const *d, int64_t in_c, int32_t c0) {
  for (int64_t c = c0; c < in_c; c++) {
    float t[4][4];
    for (int j = 0; j < 4; j++) { /* rows: B^T d */
      const float d0 = d[j][c], d1 = d[4 + j][c], d2 = d[8 + j][c], d3 = d[12 + j][c];
      t[0][j] = d0 - d2;
      t[1][j] = d1 + d2;
      t[2][j] = d2 - d1;
      t[3][j] = d1 - d3;
    }
    for (int i = 0; i < 4; i++) { /* columns: (B^T d) B */
      v[(4 * i + 0) * in_c + c] = t[i][0] - t[i][2];
      v[(4 * i + 1) * in_c + c] = t[i][1] + t[i][2];
      v[(4 * i + 2) * in_c + c] = t[i][2] - t[i][1];
      v[(4 * i + 3) * in_c + c] = t[i][1] - t[i][3];
    }
  }
}

static inline float tl_wino_clamp(float v, tl_act_f32 act) {
  v = act.min > v ? act.min : v; /* max(lo, v), min(hi, v): NaN passes */
  return act.max < v ? act.max : v;
}

/* y[q] for the tile's outputs q = 2 * row + column that exist (ok[q]), each at its own pointer. */
static void tl_wino_out_scalar(float *const *y, const int *ok, const float *m, const float *bias, int64_t out_c,
                               int32_t c0, tl_act_f32 act) {
  for (int64_t c = c0; c < out_c; c++) {
    float s[2][4];
    for (int j = 0; j < 4; j++) { /* rows: A^T m */
      const float m0 = m[j * out_c + c], m1 = m[(4 + j) * out_c + c], m2 = m[(8 + j) * out_c + c],
                  m3 = m[(12 + j) * out_c + c];
      s[0][j] = m0 + m1 + m2;
      s[1][j] = m1 - m2 - m3;
    }
    for (int i = 0; i < 2; i++) { /* columns: (A^T m) A */
      const float a = s[i][0] + s[i][1] + s[i][2], b = s[i][1] - s[i][2] - s[i][3];
      if (ok[2 * i]) y[2 * i][c] = tl_wino_clamp(a + bias[c], act);
      if (ok[2 * i + 1]) y[2 * i + 1][c] = tl_wino_clamp(b + bias[c], act);
    }
  }
}

/* ---- transforms: AVX2, 8 channels per step; returns the first channel left for the scalar code ---- */
#if defined(TL_F32_X86)
#include <immintrin.h>
#define TL_WINO_AVX2 __attribute__((target("avx2,fma")))

TL_WINO_AVX2 static int32_t tl_wino_in_avx2(float *v, const float *const *d, int64_t in_c) {
  int32_t c = 0;
  for (; c + 8 <= in_c; c += 8) {
    __m256 t[4][4];
    for (int j = 0; j < 4; j++) {
      const __m256 d0 = _mm256_loadu_ps(d[j] + c), d1 = _mm256_loadu_ps(d[4 + j] + c);
      const __m256 d2 = _mm256_loadu_ps(d[8 + j] + c), d3 = _mm256_loadu_ps(d[12 + j] + c);
      t[0][j] = _mm256_sub_ps(d0, d2);
      t[1][j] = _mm256_add_ps(d1, d2);
      t[2][j] = _mm256_sub_ps(d2, d1);
      t[3][j] = _mm256_sub_ps(d1, d3);
    }
    for (int i = 0; i < 4; i++) {
      _mm256_storeu_ps(v + (4 * i + 0) * in_c + c, _mm256_sub_ps(t[i][0], t[i][2]));
      _mm256_storeu_ps(v + (4 * i + 1) * in_c + c, _mm256_add_ps(t[i][1], t[i][2]));
      _mm256_storeu_ps(v + (4 * i + 2) * in_c + c, _mm256_sub_ps(t[i][2], t[i][1]));
      _mm256_storeu_ps(v + (4 * i + 3) * in_c + c, _mm256_sub_ps(t[i][1], t[i][3]));
    }
  }
  return c;
}

TL_WINO_AVX2 static int32_t tl_wino_out_avx2(float *const *y, const int *ok, const float *m, const float *bias,
                                             int64_t out_c, tl_act_f32 act) {
  const __m256 lo = _mm256_set1_ps(act.min), hi = _mm256_set1_ps(act.max);
  int32_t c = 0;
  for (; c + 8 <= out_c; c += 8) {
    __m256 s[2][4];
    const __m256 bv = _mm256_loadu_ps(bias + c);
    for (int j = 0; j < 4; j++) {
      const __m256 m0 = _mm256_loadu_ps(m + j * out_c + c), m1 = _mm256_loadu_ps(m + (4 + j) * out_c + c);
      const __m256 m2 = _mm256_loadu_ps(m + (8 + j) * out_c + c), m3 = _mm256_loadu_ps(m + (12 + j) * out_c + c);
      s[0][j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
      s[1][j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    for (int i = 0; i < 2; i++) {
      const __m256 a = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[i][0], s[i][1]), s[i][2]), bv);
      const __m256 b = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[i][1], s[i][2]), s[i][3]), bv);
      if (ok[2 * i]) _mm256_storeu_ps(y[2 * i] + c, _mm256_min_ps(hi, _mm256_max_ps(lo, a)));
      if (ok[2 * i + 1]) _mm256_storeu_ps(y[2 * i + 1] + c, _mm256_min_ps(hi, _mm256_max_ps(lo, b)));
    }
  }
  return c;
}
#endif

/* Winograd runs at the AVX2 level only; the other levels' entries keep their own convolution kernels (the
 * scalar transforms still serve any level the kernel is called at directly, as in the tests). */
static const tl_wino_kernels *tl_wino_kernels_for(tl_isa isa) {
  static const tl_wino_kernels sets[TL_F32_LEVELS] = {
      {0, NULL, NULL}, /* portable */
      {0, NULL, NULL}, /* NEON */
#if defined(TL_F32_X86)
      {1, tl_wino_in_avx2, tl_wino_out_avx2},
#else
      {0, NULL, NULL},
#endif
      {0, NULL, NULL}, /* AVX-512: its direct-convolution tiles */
  };
  return &sets[tl_f32_level_index(isa)];
}

static void tl_wino_in(float *v, const float *const *d, int64_t in_c, const tl_wino_kernels *k) {
  const int32_t c0 = k->in ? k->in(v, d, in_c) : 0;
  if (c0 < in_c) tl_wino_in_scalar(v, d, in_c, c0);
}

static void tl_wino_out(float *const *y, const int *ok, const float *m, const float *bias, int64_t out_c,
                        tl_act_f32 act, const tl_wino_kernels *k) {
  const int32_t c0 = k->out ? k->out(y, ok, m, bias, out_c, act) : 0;
  if (c0 < out_c) tl_wino_out_scalar(y, ok, m, bias, out_c, c0, act);
}

int32_t tl_conv_winograd_tiles(const tl_conv_params *p) { return tl_wino_tiles(p); }

void tl_conv_winograd_f32_tiles(float *y, const float *x, const float *packed, float *scratch,
                                const tl_conv_params *p, tl_isa isa, int32_t b, int32_t t0, int32_t count) {
  const int64_t in_c = p->in_c, out_c = p->out_c;
  const int32_t tiles_w = (p->out_w + 1) / 2, tiles = tl_wino_tiles(p);
  const int32_t per = tl_conv_winograd_block_tiles(p);
  int32_t n = tiles - t0 < count ? tiles - t0 : count;
  const size_t one = tl_gemm_packed_floats(isa, p->out_c, p->in_c);
  const float *xb = x + (int64_t)b * p->in_h * p->in_w * in_c;
  float *yb = y + (int64_t)b * p->out_h * p->out_w * out_c;
  float *zero = scratch, *v = scratch + (in_c + 15) / 16 * 16, *m = v + (int64_t)per * 16 * in_c;
  const tl_f32_kernels *ks = tl_f32_kernels_for(isa);
  const tl_wino_kernels *wk = tl_wino_kernels_for(isa);
  tl_gemm_f32_args g;
  if (n > per) n = per;
  if (n <= 0) return;
  memset(zero, 0, (size_t)in_c * sizeof(float));
  for (int32_t t = 0; t < n; t++) { /* input transform */
    const int32_t ty = (t0 + t) / tiles_w, tx = (t0 + t) % tiles_w;
    const int64_t iy0 = 2 * (int64_t)ty - p->pad_top, ix0 = 2 * (int64_t)tx - p->pad_left;
    const float *d[16];
    if (iy0 >= 0 && iy0 + 4 <= p->in_h && ix0 >= 0 && ix0 + 4 <= p->in_w) { /* the window inside the input */
      const float *at = xb + (iy0 * p->in_w + ix0) * in_c;
      for (int i = 0; i < 4; i++, at += (int64_t)p->in_w * in_c)
        for (int j = 0; j < 4; j++) d[4 * i + j] = at + j * in_c;
    } else {
      for (int i = 0; i < 4; i++) {
        const int64_t iy = iy0 + i;
        for (int j = 0; j < 4; j++) {
          const int64_t ix = ix0 + j;
          d[4 * i + j] =
              iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w ? xb + (iy * p->in_w + ix) * in_c : zero;
        }
      }
    }
    tl_wino_in(v + (int64_t)t * 16 * in_c, d, in_c, wk);
  }
  g.m = n; /* the 16 GEMMs */
  g.n = p->out_c;
  g.k = p->in_c;
  g.lda = 16 * in_c;
  g.ldc = 16 * out_c;
  g.act.min = -INFINITY;
  g.act.max = INFINITY;
  for (int e = 0; e < 16; e++) {
    g.a = v + e * in_c;
    g.b_packed = packed + tl_wino_bias_floats(p) + (size_t)e * one;
    g.c = m + e * out_c;
    ks->gemm(&g);
  }
  for (int32_t t = 0; t < n; t++) { /* output transform, bias, clamp */
    const int32_t ty = (t0 + t) / tiles_w, tx = (t0 + t) % tiles_w;
    const int32_t oy = 2 * ty, ox = 2 * tx;
    int ok[4];
    float *yq[4];
    for (int q = 0; q < 4; q++) {
      const int32_t yy = oy + q / 2, xx = ox + q % 2;
      ok[q] = yy < p->out_h && xx < p->out_w;
      yq[q] = yb + ((int64_t)(ok[q] ? yy : oy) * p->out_w + (ok[q] ? xx : ox)) * out_c;
    }
    tl_wino_out(yq, ok, m + (int64_t)t * 16 * out_c, packed, out_c, p->act, wk);
  }
}

void tl_conv_winograd_f32(float *y, const float *x, const float *packed, float *scratch, const tl_conv_params *p,
                          tl_isa isa) {
  const int32_t per = tl_conv_winograd_block_tiles(p), tiles = tl_wino_tiles(p);
  for (int32_t b = 0; b < p->batch; b++)
    for (int32_t t0 = 0; t0 < tiles; t0 += per) tl_conv_winograd_f32_tiles(y, x, packed, scratch, p, isa, b, t0, per);
}
