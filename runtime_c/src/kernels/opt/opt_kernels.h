/* opt_kernels.h: optimized float32 kernels (packed GEMM, FullyConnected, Conv2D, DepthwiseConv2D, MaxPool2D).
 *
 * What this is: the fast counterparts of tl_fc_f32 and tl_conv2d_f32 (kernels.h). Each takes the reference
 * kernel's arguments, except that the weights and the bias come pre-packed (once, at prepare) into GEMM
 * panels, plus a scratch buffer where the algorithm needs one and the kernel level (tl_isa) chosen at
 * prepare. Like the reference kernels they do not allocate, fail or keep state; the caller owns every
 * buffer (the interpreter's memory), sized by the *_floats functions below.
 * What this is not: shape validation (prepare's job) or the reference semantics (kernels.h is the spec;
 * results match it within float rounding: the order of the additions differs and FMA rounds once).
 *
 * Packed layout ("B panels"): the [n, k] weight matrix is cut into ceil(n / nr) panels of nr output
 * columns; panel j is (k + 1) rows of nr floats: row 0 is the bias (zeros without one), row 1 + i holds
 * w[j*nr + 0 .. j*nr + nr - 1, i]; columns past n are zero. nr depends on the level (tl_gemm_nr).
 */
#ifndef TL_OPT_KERNELS_H
#define TL_OPT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "../../cpu_features.h"
#include "../batch_matmul.h"
#include "../kernels.h"

/* C[m, n] = act(A[m, k] * B + bias) with B packed as above. */
typedef struct tl_gemm_f32_args {
  int32_t m, n, k;
  const float *a;        /* [m, k], rows lda floats apart */
  int64_t lda;
  const float *b_packed; /* panels as above */
  float *c;              /* [m, n], rows ldc floats apart */
  int64_t ldc;
  tl_act_f32 act;
} tl_gemm_f32_args;

/* Panel width of a level (REFERENCE and AUTO give the portable width). */
int32_t tl_gemm_nr(tl_isa isa);
/* Floats of the packed weights of an [n, k] matrix at this level. */
size_t tl_gemm_packed_floats(tl_isa isa, int32_t n, int32_t k);
/* Packs w [n, k] (row-major) and bias [n] (or NULL) for `isa`. */
void tl_gemm_pack_f32(float *packed, const float *w, const float *bias, int32_t n, int32_t k, tl_isa isa);
/* The level to run an [m, n] GEMM at on a CPU where `isa` is the best: `isa`, but for AVX-512 with at most
 * 16 columns and fewer than 12 rows (a batch-1 FullyConnected), where the AVX2 tiles read half the bytes (the
 * AVX-512 panels are 32 wide; many rows of 16 columns run on AVX-512's 12x16 tiles). Pack and run with the
 * returned level. */
tl_isa tl_gemm_level_for(tl_isa isa, int64_t m, int32_t n);
/* Runs the GEMM with the micro-kernel of `isa` (which the CPU must support; see tl_isa_resolve). */
void tl_gemm_f32(const tl_gemm_f32_args *g, tl_isa isa);

/* ---- splitting a GEMM over threads without changing any output's arithmetic ----
 * Row ranges start at multiples of TL_GEMM_ROW_ALIGN, a multiple of every micro-kernel's row count (4, 6,
 * 8, 12), so a part is cut into the same row tiles as the whole GEMM; column ranges are whole panels. Each
 * output is then summed in the same order whatever the split: 1 and N threads give identical bits. */
#define TL_GEMM_ROW_ALIGN 24
/* Rows [row0, row1) and panels [panel0, panel1) of g (row0 a multiple of TL_GEMM_ROW_ALIGN; panel1 may pass
 * the last panel). */
void tl_gemm_f32_part(const tl_gemm_f32_args *g, tl_isa isa, int32_t row0, int32_t row1, int32_t panel0,
                      int32_t panel1);
/* How to cut `rows` rows (blocks of at most max_block rows, a multiple of TL_GEMM_ROW_ALIGN) by `panels`
 * panels into tasks for `threads` threads (task t: panel chunk t % col_tasks of row block t / col_tasks):
 * the 2-D grid of row blocks x panel chunks, `threads` to 4 x `threads` tasks, whose work is dealt out most
 * evenly (gemm.c). panels = 1 keeps whole rows (im2col blocks are not copied twice). */
typedef struct tl_gemm_split {
  int32_t block_rows;  /* rows per row task (a multiple of TL_GEMM_ROW_ALIGN) */
  int32_t row_tasks;   /* ceil(rows / block_rows) */
  int32_t chunk_panels; /* panels per column task */
  int32_t col_tasks;   /* ceil(panels / chunk_panels) */
} tl_gemm_split;
void tl_gemm_split_plan(tl_gemm_split *s, int64_t rows, int32_t panels, int32_t threads, int32_t max_block);

/* One tile of the direct convolution (conv_opt.c): rows (1..MR of the level: 8 for AVX-512, 12 for AVX-512
 * with cols <= 16, 6 for AVX2)
 * output positions by one panel (nr columns, of which the first `cols` are stored), with row r's k patch
 * values at a[r][off[0 .. k - 1]]; the arithmetic of the level's multi-row GEMM tile (bias, then one FMA per k
 * in order, then the clamp). The scalar one (the x86 levels' stand-in on other CPUs, where the direct path is
 * not chosen) takes the panel width and may round each product and sum separately. */
void tl_conv_tile_f32_avx512(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                             float *c, int64_t ldc, int32_t cols, tl_act_f32 act);
void tl_conv_tile_f32_avx2(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                           float *c, int64_t ldc, int32_t cols, tl_act_f32 act);
void tl_conv_tile_f32_scalar(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                             int32_t nr, float *c, int64_t ldc, int32_t cols, tl_act_f32 act);

/* The AVX-512 GEMM of more than 16 columns and its direct-convolution tile of more than 16 (the calls above
 * pick them or the 16-column ones). */
void tl_gemm_f32_avx512_wide(const tl_gemm_f32_args *g);
void tl_conv_tile_f32_avx512_wide(const float *const *a, const int32_t *off, int32_t rows, int32_t k,
                                  const float *panel, float *c, int64_t ldc, int32_t cols, tl_act_f32 act);

/* Per-level drivers (each compiles to a stub on architectures without that level; never call those). */
void tl_gemm_f32_portable(const tl_gemm_f32_args *g);
void tl_gemm_f32_avx2(const tl_gemm_f32_args *g);
void tl_gemm_f32_avx512(const tl_gemm_f32_args *g);
void tl_gemm_f32_neon(const tl_gemm_f32_args *g);

/* A float level's kernels, picked once (tl_f32_kernels_for; REFERENCE and AUTO give the portable set): the
 * GEMM driver, its panel width, and the direct-convolution tile (AVX2, AVX-512; NULL: Conv2D through im2col)
 * with its rows for more than 16 output channels and for at most 16. */
typedef struct tl_f32_kernels {
  tl_isa isa;
  int32_t nr;
  void (*gemm)(const tl_gemm_f32_args *g);
  void (*conv_tile)(const float *const *a, const int32_t *off, int32_t rows, int32_t k, const float *panel,
                    float *c, int64_t ldc, int32_t cols, tl_act_f32 act);
  int32_t conv_mr, conv_mr_narrow;
  /* the indirect convolution's tile (AVX2; conv_opt.c), NULL: none */
  void (*conv_ind_tile)(const float *const *ind, int32_t rows, int32_t taps, int32_t in_c, const float *panel,
                        float *c, int64_t ldc, int32_t cols, tl_act_f32 act);
} tl_f32_kernels;
const tl_f32_kernels *tl_f32_kernels_for(tl_isa isa);

/* ---- FullyConnected: tl_fc_f32 with packed weights and bias ---- */
size_t tl_fc_f32_opt_packed_floats(const tl_fc_params *p, tl_isa isa);
void tl_fc_f32_opt_pack(float *packed,     /* tl_fc_f32_opt_packed_floats(p, isa) floats */
                        const float *w,    /* [out_depth, in_depth] */
                        const float *bias, /* [out_depth] or NULL */
                        const tl_fc_params *p, tl_isa isa);
void tl_fc_f32_opt(float *y,              /* [batch, out_depth] */
                   const float *x,        /* [batch, in_depth] */
                   const float *packed,   /* from tl_fc_f32_opt_pack with the same p and isa */
                   const tl_fc_params *p, tl_isa isa);

/* ---- Conv2D: tl_conv2d_f32 with packed weights and bias, and im2col scratch ----
 * 1x1 stride-1 unpadded convolutions multiply the input directly (no scratch). At the AVX2 level, the others
 * read the input in place through per-group tap pointers (conv_opt.c, the indirect path). At the AVX-512
 * level, the other convolutions with at most a tenth of their positions touching the padding read each
 * position's patch in place through a table of k offsets (the direct path: runs of positions whose windows
 * lie inside the input; the other positions' patches, padding zeros included, are copied into the scratch
 * and go through the same tile). Otherwise, blocks of output positions' receptive fields are copied (im2col)
 * into the scratch and multiplied. */
/* Output positions per im2col block: at most TL_CONV_BLOCK_ROWS, small enough that a block of patches stays in
 * L2 for typical k_h*k_w*in_c, and a multiple of TL_GEMM_ROW_ALIGN unless it covers the image. The scratch
 * for blocks of `rows` positions is (min(out_h * out_w, rows) + 2) * k_h * k_w * in_c floats unless the
 * convolution is pointwise (the extra rows: the direct path's offsets; the direct path's tile rows, at most
 * 12, fit in any block). The op asks for it as a range (ops.h, tl_op_request_scratch_range): blocks of
 * TL_CONV_MIN_BLOCK_ROWS at least, TL_CONV_BLOCK_ROWS where the activations leave room. */
#define TL_CONV_BLOCK_ROWS 96
#define TL_CONV_MIN_BLOCK_ROWS 24
size_t tl_conv2d_f32_opt_packed_floats(const tl_conv_params *p, tl_isa isa);
size_t tl_conv2d_f32_opt_scratch_floats(const tl_conv_params *p, int64_t rows); /* 0: no scratch needed */
/* The block rows `floats` of scratch hold (at most TL_CONV_BLOCK_ROWS, a multiple of TL_GEMM_ROW_ALIGN below
 * the image's positions; >= 1 when floats >= the scratch for TL_CONV_MIN_BLOCK_ROWS). */
int64_t tl_conv2d_f32_opt_block_rows(const tl_conv_params *p, size_t floats);
void tl_conv2d_f32_opt_pack(float *packed,     /* tl_conv2d_f32_opt_packed_floats(p, isa) floats */
                            const float *w,    /* [out_c, k_h, k_w, in_c] */
                            const float *bias, /* [out_c] or NULL */
                            const tl_conv_params *p, tl_isa isa);
void tl_conv2d_f32_opt(float *y,            /* [batch, out_h, out_w, out_c] */
                       const float *x,      /* [batch, in_h, in_w, in_c] */
                       const float *packed, /* from tl_conv2d_f32_opt_pack with the same p and isa */
                       float *scratch,      /* scratch_floats floats (tl_conv2d_f32_opt_scratch_floats), or NULL */
                       size_t scratch_floats, const tl_conv_params *p, tl_isa isa);

/* The patches of output positions [pos0, pos0 + rows) of one image xb [in_h, in_w, in_c] (positions counted
 * row-major over out_h x out_w) into patches [rows, k_h * k_w * in_c] (taps in the weights' order, zeros
 * where a tap falls outside the input): the im2col copy of tl_conv2d_f32_opt (also used by the trainer's
 * filter gradient, conv_train.c). */
void tl_conv2d_f32_opt_im2col(float *patches, const float *xb, int64_t pos0, int64_t rows, const tl_conv_params *p);
/* 1 when tl_conv2d_f32_opt multiplies the input directly (1x1, stride 1, no padding: no scratch). */
int tl_conv2d_f32_opt_is_pointwise(const tl_conv_params *p);
/* Whether `isa` runs this (not pointwise) convolution by the direct path, which reads the patches in place:
 * a thread's part may then take a chunk of panels without copying its patches again. */
int tl_conv2d_f32_opt_is_direct(const tl_conv_params *p, tl_isa isa);
/* One part of tl_conv2d_f32_opt, with the same results as the whole call, for threads (see
 * tl_gemm_f32_part): output rows [row0, row0 + rows) by panels [panel0, panel1). Pointwise: rows of the
 * whole [batch * out_h * out_w, out_c] output (b is ignored). Otherwise: output positions of image b, at most
 * tl_conv2d_f32_opt_block_rows of them, copied into `scratch` (the calling thread's own). row0 is a multiple of
 * TL_GEMM_ROW_ALIGN. */
void tl_conv2d_f32_opt_part(float *y, const float *x, const float *packed, float *scratch, const tl_conv_params *p,
                            tl_isa isa, int32_t b, int64_t row0, int64_t rows, int32_t panel0, int32_t panel1);

/* ---- DepthwiseConv2D with depth_multiplier == 1: tl_depthwise_conv2d_f32 with a packed bias ----
 * The weights [1, k_h, k_w, out_c] are used in place (already channel-contiguous). */
size_t tl_depthwise_conv2d_f32_opt_packed_floats(const tl_conv_params *p);
void tl_depthwise_conv2d_f32_opt_pack(float *packed,     /* out_c floats */
                                      const float *bias, /* [out_c] or NULL */
                                      const tl_conv_params *p);
void tl_depthwise_conv2d_f32_opt(float *y,            /* [batch, out_h, out_w, out_c] */
                                 const float *x,      /* [batch, in_h, in_w, in_c] */
                                 const float *w,      /* [1, k_h, k_w, out_c] */
                                 const float *packed, /* from tl_depthwise_conv2d_f32_opt_pack */
                                 const tl_conv_params *p, tl_isa isa);

/* ---- BatchMatMul: tl_batch_matmul_f32 with each batch's B packed into the scratch (batch_matmul_opt.c) ----
 * The scratch of one batch: tl_batch_matmul_f32_opt_scratch_floats floats (B's panels at the widest level, so
 * the same on every CPU, and the transposed A with adj_x); a thread running batches of its own needs one each. */
size_t tl_batch_matmul_f32_opt_scratch_floats(const tl_batch_matmul_params *p);
/* Output batch `index` (row-major over p->batch) of y. */
void tl_batch_matmul_f32_opt_batch(float *y, const float *a, const float *b, float *scratch,
                                   const tl_batch_matmul_params *p, tl_isa isa, int64_t index);
void tl_batch_matmul_f32_opt(float *y,       /* [batches, m, n] */
                             const float *a, /* as tl_batch_matmul_f32 */
                             const float *b, float *scratch, const tl_batch_matmul_params *p, tl_isa isa);
/* int8: int8_gemm_ops.h */

/* ---- TransposeConv: GEMM into columns, then col2im (transpose_conv_opt.c) ----
 * The weights [out_c, k_h, k_w, in_c] are packed once as the [k_h k_w out_c, in_c] matrix (rows in (ky, kx, oc)
 * order); blocks of TL_TCONV_BLOCK_ROWS input pixels go through the GEMM into the scratch (the column block:
 * tl_transpose_conv_f32_opt_scratch_floats, the same on every CPU; trainer/tlm/planner.py mirrors it). */
#define TL_TCONV_BLOCK_ROWS 96
size_t tl_transpose_conv_f32_opt_packed_floats(const tl_conv_params *p, tl_isa isa);
size_t tl_transpose_conv_f32_opt_scratch_floats(const tl_conv_params *p);
void tl_transpose_conv_f32_opt_pack(float *packed,  /* tl_transpose_conv_f32_opt_packed_floats(p, isa) floats */
                                    const float *w, /* [out_c, k_h, k_w, in_c] */
                                    const tl_conv_params *p, tl_isa isa);
void tl_transpose_conv_f32_opt(float *y,            /* [batch, out_h, out_w, out_c] */
                               const float *x,      /* [batch, in_h, in_w, in_c] */
                               const float *packed, /* from tl_transpose_conv_f32_opt_pack with the same p and isa */
                               const float *bias,   /* [out_c] or NULL */
                               float *cols,         /* tl_transpose_conv_f32_opt_scratch_floats(p) floats */
                               const tl_conv_params *p, tl_isa isa);

/* ---- MaxPool2D: tl_max_pool2d_f32 at a level (bit-identical to it) ---- */
void tl_max_pool2d_f32_opt(float *y, const float *x, const tl_pool_params *p, tl_isa isa); /* NHWC both */

#endif /* TL_OPT_KERNELS_H */
