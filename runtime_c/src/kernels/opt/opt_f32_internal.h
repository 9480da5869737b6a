/* opt_f32_internal.h: what the float32 files of kernels/opt/ share (private to them; not an API for the op glue).
 *
 * One kernel set per op family (depthwise, MaxPool, AveragePool, Mean, Add/Sub/Mul, Relu/Relu6, HardSwish,
 * Sigmoid/Tanh, Gelu, Softmax; a build with one op links that op's kernels only), defined by each level's file (f32_portable.c,
 * f32_avx2.c, f32_avx512.c, f32_neon.c) and picked by the op driver once per call from the level chosen at
 * prepare: the family's table of four sets indexed by tl_f32_level_index. A level's file holds its vector
 * type and operations (`tl_vf`: TL_VF_W floats; `tl_vd`: TL_VD_W doubles) as always-inline functions, then
 * the kernel bodies written once on them as plain static functions (depthwise_body.h, pool_body.h,
 * mean_body.h, elementwise_body.h, transcendental_body.h), the vector width a compile-time constant of each
 * file. Also here: the GEMM's level-independent loop (gemm.c).
 */
#ifndef TL_OPT_F32_INTERNAL_H
#define TL_OPT_F32_INTERNAL_H

#include <string.h>

#include "opt_kernels.h"
#include "opt_kernels_elementwise.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TL_F32_X86 1
#endif
#if defined(__aarch64__) || (defined(__arm__) && defined(__ARM_NEON))
#define TL_F32_NEON 1
#endif

/* Index of a level's set in every family's table: 0 portable (and REFERENCE, AUTO), 1 NEON, 2 AVX2, 3 AVX-512. */
#define TL_F32_LEVELS 4
static inline int tl_f32_level_index(tl_isa isa) {
  return isa >= TL_ISA_NEON && isa <= TL_ISA_AVX512 ? (int)isa - (int)TL_ISA_NEON + 1 : 0;
}

/* Add/Sub/Mul (op) and the broadcast form of the operands (form; the scalar side is a[0] or b[0]). */
enum { TL_EW_ADD = 0, TL_EW_SUB = 1, TL_EW_MUL = 2, TL_EW_SQDIFF = 3 }; /* SQDIFF: (a - b) * (a - b) */
enum { TL_EW_VV = 0, TL_EW_VS = 1, TL_EW_SV = 2 }; /* vector-vector, vector-scalar, scalar-vector */
/* The period of an input with element strides s over y's rank-4 dims d: element i of y reads element i % L
 * (elementwise_opt.c), or 0 when it has none. */
int64_t tl_ew_period(const int32_t *d, const int64_t *s);

typedef struct tl_f32_dw_kernels {
  /* depth multiplier 1: weights [1, k_h, k_w, c] in place, bias [c] */
  void (*dw)(float *y, const float *x, const float *w, const float *bias, const tl_conv_params *p);
  /* depth multiplier > 1: packed = bias' then w' (opt_kernels_elementwise.h) */
  void (*dw_mult)(float *y, const float *x, const float *packed, const tl_conv_params *p);
} tl_f32_dw_kernels;
typedef struct tl_f32_pool_kernels { /* MaxPool2D, and AveragePool2D with the same signature */
  void (*pool)(float *y, const float *x, const tl_pool_params *p);
} tl_f32_pool_kernels;
typedef struct tl_f32_mean_kernels { /* y[outer, inner] = mean of x[outer, reduced, inner] over reduced (>= 1) */
  void (*mean)(float *y, const float *x, int64_t outer, int64_t reduced, int64_t inner);
} tl_f32_mean_kernels;
typedef struct tl_f32_binary_kernels { /* rows of y[0..n) = clamp(a op b, lo, hi) in the given form, y dense, a and
                                        * b advancing a_step and b_step floats per row (elementwise_body.h) */
  void (*binary)(int op, int form, float *y, const float *a, const float *b, int64_t rows, int64_t n, int64_t a_step,
                 int64_t b_step, float lo, float hi);
} tl_f32_binary_kernels;
typedef struct tl_f32_clamp_kernels { /* y[0..n) = clamp(x, lo, hi) */
  void (*clamp)(float *y, const float *x, int64_t n, float lo, float hi);
} tl_f32_clamp_kernels;
typedef struct tl_f32_hard_swish_kernels { /* y[0..n) = HardSwish(x[0..n)), the reference's bits */
  void (*hard_swish)(float *y, const float *x, int64_t n);
} tl_f32_hard_swish_kernels;
typedef struct tl_f32_tr_kernels {
  void (*sigmoid)(float *y, const float *x, int64_t n);
  void (*tanh)(float *y, const float *x, int64_t n);
} tl_f32_tr_kernels;
typedef struct tl_f32_gelu_kernels { /* y[0..n) = Gelu's tanh form of x[0..n) (gelu_opt.c) */
  void (*gelu_tanh)(float *y, const float *x, int64_t n);
  void (*tanh)(float *y, const float *x, int64_t n); /* the tanh gelu_tanh uses (for the tests) */
} tl_f32_gelu_kernels;
typedef struct tl_f32_softmax_kernels { /* tl_softmax_f32's contract (softmax_opt.c) */
  void (*softmax)(float *y, const float *x, const tl_softmax_params *p);
} tl_f32_softmax_kernels;

/* each level's sets (f32_<level>.c) */
extern const tl_f32_dw_kernels tl_f32_dw_portable, tl_f32_dw_neon, tl_f32_dw_avx2, tl_f32_dw_avx512;
extern const tl_f32_pool_kernels tl_f32_max_pool_portable, tl_f32_max_pool_neon, tl_f32_max_pool_avx2,
    tl_f32_max_pool_avx512, tl_f32_avg_pool_portable, tl_f32_avg_pool_neon, tl_f32_avg_pool_avx2,
    tl_f32_avg_pool_avx512;
extern const tl_f32_mean_kernels tl_f32_mean_portable, tl_f32_mean_neon, tl_f32_mean_avx2, tl_f32_mean_avx512;
extern const tl_f32_binary_kernels tl_f32_binary_portable, tl_f32_binary_neon, tl_f32_binary_avx2,
    tl_f32_binary_avx512;
extern const tl_f32_clamp_kernels tl_f32_clamp_portable, tl_f32_clamp_neon, tl_f32_clamp_avx2, tl_f32_clamp_avx512;
extern const tl_f32_hard_swish_kernels tl_f32_hard_swish_portable, tl_f32_hard_swish_neon, tl_f32_hard_swish_avx2,
    tl_f32_hard_swish_avx512;
extern const tl_f32_tr_kernels tl_f32_tr_portable, tl_f32_tr_neon, tl_f32_tr_avx2, tl_f32_tr_avx512;
extern const tl_f32_gelu_kernels tl_f32_gelu_portable, tl_f32_gelu_neon, tl_f32_gelu_avx2, tl_f32_gelu_avx512;
extern const tl_f32_softmax_kernels tl_f32_softmax_portable, tl_f32_softmax_neon, tl_f32_softmax_avx2,
    tl_f32_softmax_avx512;

/* A level this build has no code for runs the portable set (ARMv7 NEON, without double lanes: the portable
 * Mean and the reference Sigmoid and Tanh), so every table entry exists on every build. */
#if !defined(TL_F32_X86)
#define tl_f32_dw_avx2 tl_f32_dw_portable
#define tl_f32_dw_avx512 tl_f32_dw_portable
#define tl_f32_max_pool_avx2 tl_f32_max_pool_portable
#define tl_f32_max_pool_avx512 tl_f32_max_pool_portable
#define tl_f32_avg_pool_avx2 tl_f32_avg_pool_portable
#define tl_f32_avg_pool_avx512 tl_f32_avg_pool_portable
#define tl_f32_mean_avx2 tl_f32_mean_portable
#define tl_f32_mean_avx512 tl_f32_mean_portable
#define tl_f32_binary_avx2 tl_f32_binary_portable
#define tl_f32_binary_avx512 tl_f32_binary_portable
#define tl_f32_clamp_avx2 tl_f32_clamp_portable
#define tl_f32_clamp_avx512 tl_f32_clamp_portable
#define tl_f32_hard_swish_avx2 tl_f32_hard_swish_portable
#define tl_f32_hard_swish_avx512 tl_f32_hard_swish_portable
#define tl_f32_tr_avx2 tl_f32_tr_portable
#define tl_f32_tr_avx512 tl_f32_tr_portable
#define tl_f32_gelu_avx2 tl_f32_gelu_portable
#define tl_f32_gelu_avx512 tl_f32_gelu_portable
#define tl_f32_softmax_avx2 tl_f32_softmax_portable
#define tl_f32_softmax_avx512 tl_f32_softmax_portable
#endif
#if !defined(TL_F32_NEON)
#define tl_f32_dw_neon tl_f32_dw_portable
#define tl_f32_max_pool_neon tl_f32_max_pool_portable
#define tl_f32_avg_pool_neon tl_f32_avg_pool_portable
#define tl_f32_binary_neon tl_f32_binary_portable
#define tl_f32_clamp_neon tl_f32_clamp_portable
#define tl_f32_hard_swish_neon tl_f32_hard_swish_portable
#endif
#if !defined(TL_F32_NEON) || !defined(__aarch64__)
#define tl_f32_mean_neon tl_f32_mean_portable
#define tl_f32_tr_neon tl_f32_tr_portable
#define tl_f32_gelu_neon tl_f32_gelu_portable
#define tl_f32_softmax_neon tl_f32_softmax_portable
#endif

/* ---- the GEMM's loop (gemm.c) ----
 * A level's tiles: rows (1..its MR) rows of A by one panel, of which the first cols (1..its NR) columns are
 * stored. tl_gemm_f32_tiles walks C panel by panel (one panel, (k + 1) * nr floats, stays hot in cache while
 * every row block of A streams past it), then in row blocks of mr. */
typedef void (*tl_gemm_tile_fn)(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda, const float *b,
                                float *c, int64_t ldc, tl_act_f32 act);
void tl_gemm_f32_tiles(const tl_gemm_f32_args *g, int32_t mr, int32_t nr, tl_gemm_tile_fn tile);
/* c[r][0..cols) = part[r][0..cols) for rows r (part rows ld_part apart): the kept columns of a partial tile. */
void tl_gemm_copy_cols(float *c, int64_t ldc, const float *part, int32_t ld_part, int32_t rows, int32_t cols);

/* The indirect convolution tile (AVX2: tl_f32_kernels.conv_ind_tile; conv_opt.c): rows (1..TL_CONV_IND_MR)
 * output positions by one panel of 16 columns (cols kept), row i's tap t at ind[t * TL_CONV_IND_MR + i]. */
#define TL_CONV_IND_MR 6
void tl_conv_ind_tile_f32_avx2(const float *const *ind, int32_t rows, int32_t taps, int32_t in_c, const float *panel,
                               float *c, int64_t ldc, int32_t cols, tl_act_f32 act);

/* What the direct, indirect and row paths share (conv_opt.c): off[k_h * k_w * in_c] gets each tap's offset
 * in the input from its window's start (0 where it would leave int32: then no window lies inside); [*_lo,
 * *_hi) are the output rows and columns whose windows lie inside the input. */
void tl_conv_tap_offsets(int32_t *off, const tl_conv_params *p);
void tl_conv_inside_ranges(const tl_conv_params *p, int32_t *oy_lo, int32_t *oy_hi, int32_t *ox_lo, int32_t *ox_hi);

/* Shared by conv_opt.c and conv_indirect_opt.c: the receptive field of output position (oy, ox) copied into
 * dst [k_h, k_w, in_c] (zeros where a tap falls outside the input); how many output positions along one axis
 * have their windows wholly inside the input. */
void tl_conv_patch(float *dst, const float *xb, int32_t oy, int32_t ox, const tl_conv_params *p);
int64_t tl_conv_inside_count(int32_t out, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t pad);

/* A VALID convolution's next n output positions from (*oy, *ox), whose window starts at xb + *at: a[i] gets
 * each window's start; step is the input floats between neighbouring positions of a row (direct and indirect
 * paths). */
static inline void tl_conv_valid_windows(const float **a, int32_t n, const float *xb, int64_t *at, int64_t step,
                                         int32_t *oy, int32_t *ox, const tl_conv_params *p) {
  for (int32_t i = 0; i < n; i++) {
    a[i] = xb + *at;
    *at += step;
    if (++*ox == p->out_w) {
      *ox = 0;
      ++*oy;
      *at = (int64_t)*oy * p->stride_h * p->in_w * p->in_c;
    }
  }
}

/* The indirect path (conv_indirect_opt.c): whether p takes it on kernel set ks, whether it takes the row walk
 * instead (few input channels), and output positions [pos0, pos0 + rows) of one image, panels [panel0,
 * panel1), scratch as tl_conv2d_f32_opt_scratch_floats plans it; direct: whether the convolution would be on
 * the direct path without this one (it keeps that path's one-row tail, see the definition). */
int tl_conv_is_indirect(const tl_conv_params *p, const tl_f32_kernels *ks);
int tl_conv_is_rows(const tl_conv_params *p, const tl_f32_kernels *ks);
void tl_conv_ind_rows(float *yb, const float *xb, const float *packed, float *scratch, const tl_conv_params *p,
                      const tl_f32_kernels *ks, int64_t pos0, int64_t rows, int32_t panel0, int32_t panel1, int direct);

/* Copies n floats; short runs (the taps of a few input channels) inline rather than through memcpy. */
static inline void tl_copy_floats(float *dst, const float *src, int64_t n) {
  switch (n) { /* constant sizes: the compiler turns each into one or two moves */
    case 1: memcpy(dst, src, 1 * sizeof(float)); return;
    case 2: memcpy(dst, src, 2 * sizeof(float)); return;
    case 3: memcpy(dst, src, 3 * sizeof(float)); return;
    case 4: memcpy(dst, src, 4 * sizeof(float)); return;
    case 6: memcpy(dst, src, 6 * sizeof(float)); return;
    case 8: memcpy(dst, src, 8 * sizeof(float)); return;
    case 9: memcpy(dst, src, 9 * sizeof(float)); return;
    case 12: memcpy(dst, src, 12 * sizeof(float)); return;
    case 16: memcpy(dst, src, 16 * sizeof(float)); return;
    default: break;
  }
  if (n >= 32) {
    memcpy(dst, src, (size_t)n * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

/* Conv2D with few input channels (at most TL_CONV_ROWS_MAX_IN_C, at most TL_CONV_ROWS_MAX_TAPS taps) on the
 * level's direct and indirect tiles (AVX2), output row by output row (conv_rows_opt.c): positions [pos0,
 * pos0 + rows) of one image, panels [panel0, panel1); scratch: in_c + k_h * k_w * in_c floats at least. */
#define TL_CONV_ROWS_MAX_IN_C 4
#define TL_CONV_ROWS_MAX_TAPS 49
void tl_conv_rows_f32(float *yb, const float *xb, const float *packed, float *scratch, const tl_conv_params *p,
                      const tl_f32_kernels *ks, int64_t pos0, int64_t rows, int32_t panel0, int32_t panel1);
/* AVX2: count output positions of one row of a 3x3 kernel over 3 input channels (columns undilated), all with
 * their windows inside: x0 the first one's window start, rows x_dy floats apart, positions sw (1 or 2)
 * columns apart; the panel's first cols (1..8) columns stored at y, positions ldy floats apart. The direct
 * tile's bits (conv_rows_avx2.c); returns 0 (nothing done) for other sw or cols, and off x86. */
int tl_conv_rows_c3_avx2(float *y, const float *x0, int64_t x_dy, int32_t sw, int32_t count, const float *panel,
                         int64_t ldy, int32_t cols, tl_act_f32 act);

#endif /* TL_OPT_F32_INTERNAL_H */
