/* opt_kernels_int8.h: optimized int8 FullyConnected and Conv2D on a packed int8 GEMM with int32 accumulation.
 *
 * What this is: the fast counterparts of tl_fc_int8 and tl_conv2d_int8 (kernels_int8.h), bit-exact with
 * them. The weights are packed once (at prepare) into column panels, together with one int64 correction
 * per output column:
 *   corr[j] = bias[j] - (input_zp + offset) * sum_i w[j, i]
 * so that the reference accumulator bias[j] + sum_i (x[i] - input_zp) * w[j, i] equals
 *   raw[j] + corr[j],  raw[j] = sum_i (x[i] + offset) * w[j, i]  (exact int32, see TL_GEMM_INT8_MAX_K)
 * where offset is 128 for AVX-512 VNNI (vpdpbusd multiplies unsigned by signed bytes: x + 128 is x ^ 0x80)
 * and 0 elsewhere. The int64 sum then goes through the reference requantization
 * (tl_requantize_channel_int8), so the outputs are identical bytes.
 * Micro-kernel levels (tl_i8_level): portable C; AVX2 (_mm256_madd_epi16 on sign-extended int16, no
 * saturation); AVX-512 VNNI (vpdpbusd); NEON (vmull_s8 + vpadalq_s16); ARMv8.2 dotprod (sdot).
 * What this is not: the specification (kernels_int8.h) or any validation (ops/fully_connected_int8.c).
 *
 * Files: gemm_int8.c (levels, kernel sets, packing, the GEMM loop), one file per level's micro-kernels
 * (gemm_int8_portable.c, gemm_int8_avx2.c, gemm_int8_avx512.c + conv_int8_avx512.c, gemm_int8_neon.c), one per
 * op driver (fully_connected_int8_opt.c, conv2d_int8_opt.c, depthwise_conv2d_int8_opt.c), the private headers
 * gemm_int8_internal.h and gemm_int8_avx512.h. A level is mapped to code in one place, tl_i8_kernels_for; the
 * drivers call the kernel set's function pointers and never switch on the level.
 * Line budget of kernels/opt/: no file over 500 lines, the directory at most 4,850 lines (4,652 before the
 * int8 split; docs/runtime.md keeps the counts).
 */
#ifndef TL_OPT_KERNELS_INT8_H
#define TL_OPT_KERNELS_INT8_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_features.h"
#include "kernels/kernels_int8.h"
#include "kernels/squared_difference.h"

typedef enum tl_i8_level {
  TL_I8_PORTABLE = 0,
  TL_I8_AVX2 = 1,
  TL_I8_VNNI = 2, /* AVX-512F + AVX-512 VNNI */
  TL_I8_NEON = 3,
  TL_I8_SDOT = 4  /* aarch64 with the dotprod extension */
} tl_i8_level;
#define TL_I8_LEVEL_COUNT 5

/* Depths up to this keep raw in int32: |sum| <= ceil(k / 4) * 4 * 255 * 128 < 2^31. Deeper ops run the
 * reference kernel. */
#define TL_GEMM_INT8_MAX_K 65535

/* A level's micro-kernels (struct in gemm_int8_internal.h): picked once for a level on this CPU (the portable
 * set for a level this build has no code for; the packing follows the set, so pack and run agree). Every
 * entry point below that takes a level looks its set up once per call. */
typedef struct tl_i8_kernels tl_i8_kernels;
const tl_i8_kernels *tl_i8_kernels_for(tl_i8_level level);
tl_i8_level tl_i8_kernels_level(const tl_i8_kernels *ks);

int tl_i8_level_supported(tl_i8_level level, const tl_cpu_features *f);
/* The int8 micro-kernel for kernel level `isa` (not REFERENCE) on a CPU with features f: AVX512 -> VNNI
 * if present else AVX2; AVX2 -> AVX2; NEON -> SDOT if dotprod else NEON; PORTABLE -> portable. */
tl_i8_level tl_i8_level_for(tl_isa isa, const tl_cpu_features *f);
const char *tl_i8_level_name(tl_i8_level level);

/* Bytes of the packed weights and corrections of an [n, k] weight matrix (8-aligned start assumed). */
size_t tl_gemm_int8_packed_bytes(tl_i8_level level, int32_t n, int32_t k);

/* ---- FullyConnected ---- */
size_t tl_fc_int8_opt_packed_bytes(const tl_fc_int8_params *p, tl_i8_level level);
void tl_fc_int8_opt_pack(void *packed,          /* tl_fc_int8_opt_packed_bytes(p, level) bytes, 8-aligned */
                         const int8_t *w,       /* [out_depth, in_depth] */
                         const int32_t *bias,   /* [out_depth] or NULL */
                         const tl_fc_int8_params *p, tl_i8_level level);
void tl_fc_int8_opt(int8_t *y,                  /* [batch, out_depth] */
                    const int8_t *x,            /* [batch, in_depth] */
                    const void *packed,         /* from tl_fc_int8_opt_pack with the same p and level */
                    const tl_fc_int8_params *p, tl_i8_level level);

/* Columns [j_begin, j_end) only (j_begin a multiple of TL_FC_INT8_COL_STEP; j_end clipped to out_depth): the
 * outputs of a split over threads, each computed as by tl_fc_int8_opt. */
#define TL_FC_INT8_COL_STEP 64
void tl_fc_int8_opt_cols(int8_t *y, const int8_t *x, const void *packed, const tl_fc_int8_params *p,
                         tl_i8_level level, int32_t j_begin, int32_t j_end);

/* ---- Conv2D (im2col in blocks of p->block_rows output positions, at most TL_CONV_INT8_BLOCK_ROWS; padded
 * taps are input_zp, so they add nothing, as in the reference; 1x1 stride-1 unpadded convolutions multiply the
 * input directly). The scratch is asked for as a range (ops.h, tl_op_request_scratch_range): blocks of
 * TL_CONV_INT8_MIN_BLOCK_ROWS rows at least, TL_CONV_INT8_BLOCK_ROWS where the activations leave room. */
#define TL_CONV_INT8_BLOCK_ROWS 128
#define TL_CONV_INT8_MIN_BLOCK_ROWS 24
#define TL_CONV_INT8_SCRATCH_SLACK 64 /* bytes after the im2col block: the tail of its last 64-byte store */
/* Packed depth upper bound of a Conv2D (kernel rows of k_w * in_c values padded to multiples of 4, as the VNNI
 * level packs them); the packed bytes and the scratch rows are counted with it. */
int32_t tl_conv_int8_depth_bound(int32_t k_h, int32_t k_w, int32_t in_c);
size_t tl_conv2d_int8_opt_packed_bytes(const tl_conv_int8_params *p, tl_i8_level level);
/* Scratch bytes for blocks of at most `rows` positions (0 when no scratch is needed), and the block rows that
 * `bytes` of scratch hold (at most TL_CONV_INT8_BLOCK_ROWS; at least 1 when bytes >= the 1-row size). */
size_t tl_conv2d_int8_opt_scratch_bytes(const tl_conv_params *g, int32_t rows);
int32_t tl_conv2d_int8_opt_block_rows(const tl_conv_params *g, size_t bytes);
void tl_conv2d_int8_opt_pack(void *packed, const int8_t *w, const int32_t *bias, const tl_conv_int8_params *p,
                             tl_i8_level level);
void tl_conv2d_int8_opt(int8_t *y,               /* [batch, out_h, out_w, out_c] */
                        const int8_t *x,         /* [batch, in_h, in_w, in_c] */
                        const void *packed,      /* from tl_conv2d_int8_opt_pack */
                        int8_t *scratch,         /* tl_conv2d_int8_opt_scratch_bytes(&p->geom, p->block_rows), or NULL */
                        const tl_conv_int8_params *p, tl_i8_level level);

/* Output rows [oy0, oy1) of image b only, each output computed as by tl_conv2d_int8_opt (a split over
 * threads; scratch: this thread's tl_conv2d_int8_opt_scratch_bytes). Only when splittable (not for a 1x1
 * stride-1 conv with padding, whose row ranges could take the pointwise path). */
int tl_conv2d_int8_opt_splittable(const tl_conv_int8_params *p);
void tl_conv2d_int8_opt_rows(int8_t *y, const int8_t *x, const void *packed, int8_t *scratch,
                             const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0, int32_t oy1);

/* ---- DepthwiseConv2D with depth_multiplier 1 (in_c == out_c): channels vectorized (AVX-512 VNNI 32 per step
 * with pairs of taps in vpdpwssd on int16, AVX2 16 per step with int16 products, NEON 16 with vmlal_s16,
 * portable C), taps outside the input skipped as in the reference (VNNI: read as the zero point, whose
 * products the folded bias removes); the packed data is the bias as int64 (zeros without one), padded to 16
 * channels, then the VNNI blocks (folded bias and int16 weight pairs). Kernels with more than
 * TL_DW_INT8_MAX_TAPS taps keep the int32 sums exact only up to that many: the glue runs the reference. */
#define TL_DW_INT8_MAX_TAPS 65535
size_t tl_depthwise_int8_opt_bytes(int32_t k_h, int32_t k_w, int32_t channels);
size_t tl_depthwise_conv2d_int8_opt_packed_bytes(const tl_conv_params *g);
void tl_depthwise_conv2d_int8_opt_pack(void *packed,          /* tl_depthwise_conv2d_int8_opt_packed_bytes, 8-aligned */
                                       const int8_t *w,       /* [1, k_h, k_w, out_c] */
                                       const int32_t *bias,   /* [out_c] or NULL */
                                       const tl_conv_int8_params *p);
void tl_depthwise_conv2d_int8_opt(int8_t *y,               /* [batch, out_h, out_w, out_c] */
                                  const int8_t *x,         /* [batch, in_h, in_w, in_c] */
                                  const int8_t *w,         /* [1, k_h, k_w, out_c], used in place (not VNNI) */
                                  const void *packed,      /* from tl_depthwise_conv2d_int8_opt_pack */
                                  const tl_conv_int8_params *p, tl_i8_level level);

/* Output rows [oy0, oy1) of image b only, each output computed as by tl_depthwise_conv2d_int8_opt. */
void tl_depthwise_conv2d_int8_opt_rows(int8_t *y, const int8_t *x, const int8_t *w, const void *packed,
                                       const tl_conv_int8_params *p, tl_i8_level level, int32_t b, int32_t oy0,
                                       int32_t oy1);

/* ---- MaxPool2D: tl_max_pool2d_int8 with the channels vectorized (identical bytes) ---- */
void tl_max_pool2d_int8_opt(int8_t *y, const int8_t *x, const tl_pool_int8_params *p, tl_i8_level level);
/* Mean over consecutive axes (pool_int8_opt.c), the reference's bytes: returns 0 (nothing written) for other
 * axes, and then the caller runs tl_mean_int8. */
int tl_mean_int8_opt(int8_t *y, const int8_t *x, const tl_mean_int8_params *p, tl_i8_level level);
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
void tl_mean_int8_avx2(int8_t *y, const int8_t *x, int64_t outer, int64_t reduced, int64_t inner,
                       const tl_requantize_int8_params *q); /* gemm_int8_avx2.c; shift in [-31, 0], m > 0 */
#endif

/* ---- AveragePool2D: tl_average_pool2d_int8 with the window summed per block of contiguous channels
 * (identical bytes) for windows of at most TL_AVERAGE_POOL_INT8_MAX_WINDOW elements (int32 sums) ---- */
#define TL_AVERAGE_POOL_INT8_MAX_WINDOW (1 << 22)
void tl_average_pool2d_int8_opt(int8_t *y, const int8_t *x, const tl_pool_int8_params *p, tl_i8_level level);

/* ---- Softmax: tl_softmax_int8 with the exponentials of the 256 possible x - max tabulated at prepare
 * (softmax_int8_opt.c; identical bytes) ---- */
size_t tl_softmax_int8_opt_bytes(void); /* the table */
void tl_softmax_int8_opt_prepare(void *table, const tl_softmax_int8_params *p); /* table: 4-aligned */
void tl_softmax_int8_opt(int8_t *y, const int8_t *x, const void *table, const tl_softmax_int8_params *p);

/* SquaredDifference (squared_difference_int8_opt.c), the reference's bytes: tables (512 int32: each input's
 * rescale by int8 value) filled once at prepare, then any broadcast of p->geom. */
void tl_squared_difference_int8_tables(int32_t *tables, const tl_squared_difference_int8_params *p);
void tl_squared_difference_int8_opt(int8_t *y, const int8_t *a, const int8_t *b,
                                    const tl_squared_difference_int8_params *p, const int32_t *tables);

#endif /* TL_OPT_KERNELS_INT8_H */
