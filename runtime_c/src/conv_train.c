/* conv_train.c: the trainer's float32 convolution entry points (see conv_train.h).
 *
 * What this is: argument checks, the scratch layout and the split over threads around the optimized Conv2D
 * (kernels/opt/conv_opt.c: im2col blocks through the packed GEMM), and the filter gradient: im2col blocks
 * (the same copy) times dy, summed into dw by an accumulating tile (AVX2+FMA where the CPU has it, plain C
 * otherwise); MaxPool2D's input gradient (plain C over channel runs). What this is not: a kernel the
 * interpreter runs.
 */
#include "conv_train.h"

#include <math.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/opt/opt_kernels.h"

/* Output positions per block of patches of the filter gradient (rows of the accumulating GEMM). */
#define TL_FILTER_GRAD_BLOCK_ROWS 256
/* Positions per call of the accumulating tile (see tl_filter_grad_task). */
#define TL_FILTER_GRAD_K_CHUNK 64

static tl_conv_params tl_train_params(const tl_conv2d_geometry *g) {
  tl_conv_params p;
  memset(&p, 0, sizeof p);
  p.batch = g->batch, p.in_h = g->in_h, p.in_w = g->in_w, p.in_c = g->in_c;
  p.out_h = g->out_h, p.out_w = g->out_w, p.out_c = g->out_c;
  p.k_h = g->k_h, p.k_w = g->k_w;
  p.stride_h = g->stride_h, p.stride_w = g->stride_w;
  p.dilation_h = g->dilation_h, p.dilation_w = g->dilation_w;
  p.pad_top = g->pad_top, p.pad_left = g->pad_left;
  p.depth_multiplier = 1;
  p.act.min = -INFINITY;
  p.act.max = INFINITY;
  return p;
}

/* One spatial axis: pad in [0, (k - 1) * dilation] and the last window starting inside the input. */
static int tl_train_axis_ok(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t dilation, int32_t pad) {
  return in >= 1 && out >= 1 && k >= 1 && stride >= 1 && dilation >= 1 && pad >= 0 &&
         (int64_t)pad <= (int64_t)(k - 1) * dilation && (int64_t)(out - 1) * stride - pad < in &&
         (int64_t)in + (int64_t)k * dilation < INT32_MAX;
}

static int tl_train_geometry_ok(const tl_conv2d_geometry *g) {
  return g != NULL && g->batch >= 1 && g->in_c >= 1 && g->out_c >= 1 &&
         tl_train_axis_ok(g->in_h, g->out_h, g->k_h, g->stride_h, g->dilation_h, g->pad_top) &&
         tl_train_axis_ok(g->in_w, g->out_w, g->k_w, g->stride_w, g->dilation_w, g->pad_left) &&
         (int64_t)g->k_h * g->k_w * g->in_c < INT32_MAX && (int64_t)g->batch * g->out_h * g->out_w < INT32_MAX &&
         (int64_t)g->batch * g->in_h * g->in_w < INT32_MAX;
}

static tl_isa tl_train_isa(const tl_conv2d_geometry *g) {
  const tl_cpu_features f = tl_cpu_features_detect();
  return tl_gemm_level_for(tl_isa_resolve(TL_ISA_AUTO, &f), (int64_t)g->batch * g->out_h * g->out_w, g->out_c);
}

static int32_t tl_train_threads(const tl_threadpool *pool) { return tl_threadpool_threads(pool); }

/* ---- forward ---------------------------------------------------------------------------------------- */
/* scratch: [packed weights][threads x one im2col block of TL_CONV_BLOCK_ROWS positions] */
size_t tl_conv2d_f32_nhwc_scratch_floats(const tl_conv2d_geometry *g, int32_t threads) {
  if (!tl_train_geometry_ok(g) || threads < 1) return 0;
  const tl_conv_params p = tl_train_params(g);
  const tl_isa isa = tl_train_isa(g);
  return tl_conv2d_f32_opt_packed_floats(&p, isa) +
         (size_t)threads * tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_BLOCK_ROWS);
}

typedef struct tl_train_conv_job { /* as ops/conv2d.c's job: task -> (image, row block, panel chunk) */
  float *y;
  const float *x;
  const float *packed;
  float *scratch; /* per thread: block_floats each */
  size_t block_floats;
  const tl_conv_params *p;
  tl_isa isa;
  int64_t rows; /* per image (pointwise: in all) */
  tl_gemm_split split;
} tl_train_conv_job;

static void tl_train_conv_task(void *arg, int32_t task, int32_t thread) {
  const tl_train_conv_job *j = (const tl_train_conv_job *)arg;
  const int32_t col = task % j->split.col_tasks, rest = task / j->split.col_tasks;
  const int64_t row0 = (int64_t)(rest % j->split.row_tasks) * j->split.block_rows;
  const int64_t rows = j->rows - row0 < j->split.block_rows ? j->rows - row0 : j->split.block_rows;
  tl_conv2d_f32_opt_part(j->y, j->x, j->packed, j->block_floats ? j->scratch + (size_t)thread * j->block_floats : NULL,
                         j->p, j->isa, rest / j->split.row_tasks, row0, rows, col * j->split.chunk_panels,
                         (col + 1) * j->split.chunk_panels);
}

tl_status tl_conv2d_f32_nhwc(float *y, const float *x, const float *w, float *scratch, size_t scratch_floats,
                             const tl_conv2d_geometry *g, tl_threadpool *pool) {
  return tl_conv2d_f32_nhwc_fused(y, x, w, NULL, 0, scratch, scratch_floats, g, pool);
}

/* The bias goes into the packed weights (the GEMM tile starts its sums from it) and ReLU is the tile's
 * activation clamp at the store: no extra pass over y. */
tl_status tl_conv2d_f32_nhwc_fused(float *y, const float *x, const float *w, const float *bias, int32_t relu,
                                   float *scratch, size_t scratch_floats, const tl_conv2d_geometry *g,
                                   tl_threadpool *pool) {
  if (y == NULL || x == NULL || w == NULL || g == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_train_geometry_ok(g)) return TL_ERROR_INVALID_ARGUMENT;
  const int32_t threads = tl_train_threads(pool);
  if (scratch == NULL || scratch_floats < tl_conv2d_f32_nhwc_scratch_floats(g, threads)) {
    return TL_ERROR_ARENA_TOO_SMALL;
  }
  tl_conv_params p = tl_train_params(g);
  const tl_isa isa = tl_train_isa(g);
  if (relu) p.act.min = 0.0f;
  const int pointwise = tl_conv2d_f32_opt_is_pointwise(&p);
  const int32_t nr = tl_gemm_nr(isa);
  const size_t packed_floats = tl_conv2d_f32_opt_packed_floats(&p, isa);
  tl_train_conv_job j;
  tl_conv2d_f32_opt_pack(scratch, w, bias, &p, isa);
  j.y = y;
  j.x = x;
  j.packed = scratch;
  j.scratch = scratch + packed_floats;
  j.block_floats = tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_BLOCK_ROWS);
  j.p = &p;
  j.isa = isa;
  j.rows = (int64_t)p.out_h * p.out_w * (pointwise ? p.batch : 1);
  /* im2col convolutions cut rows only (a column chunk would copy its patches again) */
  tl_gemm_split_plan(&j.split, j.rows, pointwise ? (p.out_c + nr - 1) / nr : 1, threads,
                     pointwise ? INT32_MAX : (int32_t)tl_conv2d_f32_opt_block_rows(&p, j.block_floats));
  if (!pointwise) j.split.chunk_panels = (p.out_c + nr - 1) / nr;
  tl_threadpool_run(pool, (pointwise ? 1 : p.batch) * j.split.row_tasks * j.split.col_tasks, tl_train_conv_task, &j);
  return TL_OK;
}

/* ---- filter gradient --------------------------------------------------------------------------------- */
/* c[m, n] += a[k, m]^T b[k, n] for a tile of rows (1..6) by 16 columns (cols of them stored), a rows lda apart
 * and b rows ldb apart: the patches' taps are the rows of the gradient, dy's channels its columns. */
typedef void (*tl_acc_tile_fn)(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda, const float *b,
                               int64_t ldb, float *c, int64_t ldc);

static void tl_acc_tile_scalar(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda, const float *b,
                               int64_t ldb, float *c, int64_t ldc) {
  for (int32_t i = 0; i < rows; i++) {
    for (int32_t j = 0; j < cols; j++) {
      float acc = c[(int64_t)i * ldc + j];
      for (int32_t kk = 0; kk < k; kk++) acc += a[(int64_t)kk * lda + i] * b[(int64_t)kk * ldb + j];
      c[(int64_t)i * ldc + j] = acc;
    }
  }
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TL_TRAIN_AVX2_ __attribute__((target("avx2,fma")))
#define TL_TRAIN_ROWS6_(X) X(0) X(1) X(2) X(3) X(4) X(5)

/* Algorithm: as the GEMM's 6x16 tile (gemm_avx2.c) with the operands read the other way: up to 12 ymm
 * accumulators start at c; each step of k loads 16 values of b's row and broadcasts each of the row's `rows`
 * values of a into two FMAs. rows is a constant per call site (tl_acc_tile_avx2's switch), so each keeps only
 * its rows' registers. */
TL_TRAIN_AVX2_ static inline __attribute__((always_inline)) void tl_acc_tile_avx2_rows(
    const int32_t rows, const int masked, __m256i m0, __m256i m1, int32_t k, const float *a, int64_t lda,
    const float *b, int64_t ldb, float *c, int64_t ldc) {
#define TL_LOAD_(p, m) (masked ? _mm256_maskload_ps((p), (m)) : _mm256_loadu_ps(p))
#define TL_DECL_(i)                                        \
  __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = c##i##0; \
  if (rows > i) c##i##0 = TL_LOAD_(c + i * ldc, m0), c##i##1 = TL_LOAD_(c + i * ldc + 8, m1);
  TL_TRAIN_ROWS6_(TL_DECL_)
#undef TL_DECL_
  for (int32_t kk = 0; kk < k; kk++, a += lda, b += ldb) {
    const __m256 b0 = TL_LOAD_(b, m0), b1 = TL_LOAD_(b + 8, m1);
#define TL_STEP_(i)                                \
  if (rows > i) {                                  \
    const __m256 av = _mm256_broadcast_ss(a + i);  \
    c##i##0 = _mm256_fmadd_ps(av, b0, c##i##0);    \
    c##i##1 = _mm256_fmadd_ps(av, b1, c##i##1);    \
  }
    TL_TRAIN_ROWS6_(TL_STEP_)
#undef TL_STEP_
  }
#define TL_STORE_(i)                                                                          \
  if (rows > i && masked)                                                                     \
    _mm256_maskstore_ps(c + i * ldc, m0, c##i##0), _mm256_maskstore_ps(c + i * ldc + 8, m1, c##i##1); \
  if (rows > i && !masked) _mm256_storeu_ps(c + i * ldc, c##i##0), _mm256_storeu_ps(c + i * ldc + 8, c##i##1);
  TL_TRAIN_ROWS6_(TL_STORE_)
#undef TL_STORE_
#undef TL_LOAD_
}

/* Partial tiles (fewer than 16 columns) read and write their columns through masks (no byte past them). */
TL_TRAIN_AVX2_ static void tl_acc_tile_avx2(int32_t rows, int32_t cols, int32_t k, const float *a, int64_t lda,
                                            const float *b, int64_t ldb, float *c, int64_t ldc) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
#define TL_CASE_(r)                                                                          \
  case r:                                                                                    \
    if (cols == 16) tl_acc_tile_avx2_rows(r, 0, m0, m1, k, a, lda, b, ldb, c, ldc);          \
    else tl_acc_tile_avx2_rows(r, 1, m0, m1, k, a, lda, b, ldb, c, ldc);                     \
    break;
  switch (rows) {
    TL_CASE_(1) TL_CASE_(2) TL_CASE_(3) TL_CASE_(4) TL_CASE_(5)
    default: TL_CASE_(6)
  }
#undef TL_CASE_
}
#define TL_ACC_TILE_AVX2 tl_acc_tile_avx2
#else
#define TL_ACC_TILE_AVX2 tl_acc_tile_scalar
#endif

static size_t tl_filter_grad_block_rows(const tl_conv2d_geometry *g) {
  const int64_t positions = (int64_t)g->out_h * g->out_w;
  return (size_t)(positions < TL_FILTER_GRAD_BLOCK_ROWS ? positions : TL_FILTER_GRAD_BLOCK_ROWS);
}

/* per thread: [partial dw: k_h k_w in_c x out_c][a block of patches: block rows x k_h k_w in_c] */
static size_t tl_filter_grad_thread_floats(const tl_conv2d_geometry *g) {
  const size_t depth = (size_t)g->k_h * g->k_w * g->in_c;
  return depth * (size_t)g->out_c + tl_filter_grad_block_rows(g) * depth;
}

size_t tl_conv2d_f32_filter_grad_scratch_floats(const tl_conv2d_geometry *g, int32_t threads) {
  if (!tl_train_geometry_ok(g) || threads < 1) return 0;
  return (size_t)threads * tl_filter_grad_thread_floats(g);
}

typedef struct tl_filter_grad_job {
  const float *x, *dy;
  float *scratch; /* per thread: thread_floats each */
  size_t thread_floats;
  const tl_conv_params *p;
  tl_acc_tile_fn tile;
  int32_t tasks;
} tl_filter_grad_job;

/* Task t: images [t * batch / tasks, (t + 1) * batch / tasks), summed into thread t's partial (task == thread
 * slot: each task has its own partial whichever thread runs it). */
static void tl_filter_grad_task(void *arg, int32_t task, int32_t thread) {
  const tl_filter_grad_job *j = (const tl_filter_grad_job *)arg;
  const tl_conv_params *p = j->p;
  const int32_t depth = p->k_h * p->k_w * p->in_c, oc = p->out_c;
  const int64_t positions = (int64_t)p->out_h * p->out_w;
  const int64_t block = positions < TL_FILTER_GRAD_BLOCK_ROWS ? positions : TL_FILTER_GRAD_BLOCK_ROWS;
  float *dw = j->scratch + (size_t)task * j->thread_floats; /* [depth, oc] */
  float *patches = dw + (size_t)depth * oc;                 /* [block, depth] */
  const int32_t b0 = (int32_t)((int64_t)task * p->batch / j->tasks);
  const int32_t b1 = (int32_t)((int64_t)(task + 1) * p->batch / j->tasks);
  (void)thread;
  memset(dw, 0, (size_t)depth * oc * sizeof(float));
  for (int32_t b = b0; b < b1; b++) {
    const float *xb = j->x + (int64_t)b * p->in_h * p->in_w * p->in_c; /* [in_h, in_w, in_c] */
    const float *dyb = j->dy + (int64_t)b * positions * oc;           /* [positions, oc] */
    for (int64_t pos0 = 0; pos0 < positions; pos0 += block) {
      const int32_t rows = (int32_t)(positions - pos0 < block ? positions - pos0 : block);
      tl_conv2d_f32_opt_im2col(patches, xb, pos0, rows, p);
      /* k (positions) in chunks of TL_FILTER_GRAD_K_CHUNK: a chunk's 16-column stripe of dy and the cache
       * lines of the patches' columns a strip of 6 taps reads stay in L1 for the next strips */
      for (int32_t k0 = 0; k0 < rows; k0 += TL_FILTER_GRAD_K_CHUNK) {
        const int32_t kc = rows - k0 < TL_FILTER_GRAD_K_CHUNK ? rows - k0 : TL_FILTER_GRAD_K_CHUNK;
        const float *a = patches + (int64_t)k0 * depth, *bk = dyb + (pos0 + k0) * oc;
        for (int32_t n0 = 0; n0 < oc; n0 += 16) {
          const int32_t cols = oc - n0 < 16 ? oc - n0 : 16;
          for (int32_t m0 = 0; m0 < depth; m0 += 6) {
            const int32_t mrows = depth - m0 < 6 ? depth - m0 : 6;
            j->tile(mrows, cols, kc, a + m0, depth, bk + n0, oc, dw + (int64_t)m0 * oc + n0, oc);
          }
        }
      }
    }
  }
}

tl_status tl_conv2d_f32_filter_grad(float *dw, const float *x, const float *dy, float *scratch,
                                    size_t scratch_floats, const tl_conv2d_geometry *g, tl_threadpool *pool) {
  if (dw == NULL || x == NULL || dy == NULL || g == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_train_geometry_ok(g)) return TL_ERROR_INVALID_ARGUMENT;
  const int32_t threads = tl_train_threads(pool);
  if (scratch == NULL || scratch_floats < tl_conv2d_f32_filter_grad_scratch_floats(g, threads)) {
    return TL_ERROR_ARENA_TOO_SMALL;
  }
  const tl_conv_params p = tl_train_params(g);
  const size_t size = (size_t)g->k_h * g->k_w * g->in_c * (size_t)g->out_c;
  tl_filter_grad_job j;
  j.x = x;
  j.dy = dy;
  j.scratch = scratch;
  j.thread_floats = tl_filter_grad_thread_floats(g);
  j.p = &p;
  j.tile = tl_train_isa(g) >= TL_ISA_AVX2 ? TL_ACC_TILE_AVX2 : tl_acc_tile_scalar;
  j.tasks = threads < g->batch ? threads : g->batch;
  tl_threadpool_run(pool, j.tasks, tl_filter_grad_task, &j);
  memcpy(dw, scratch, size * sizeof(float));
  for (int32_t t = 1; t < j.tasks; t++) { /* the partials in task order */
    const float *part = scratch + (size_t)t * j.thread_floats;
    for (size_t i = 0; i < size; i++) dw[i] += part[i];
  }
  return TL_OK;
}

/* ---- MaxPool2D ----------------------------------------------------------------------------------------- */
typedef struct tl_max_pool_job {
  float *y;
  const float *x;
  const tl_conv2d_geometry *g;
  tl_isa isa;
  int32_t tasks;
} tl_max_pool_job;

static void tl_max_pool_task(void *arg, int32_t task, int32_t thread) {
  const tl_max_pool_job *j = (const tl_max_pool_job *)arg;
  const tl_conv2d_geometry *g = j->g;
  const int32_t b0 = (int32_t)((int64_t)task * g->batch / j->tasks);
  const int32_t b1 = (int32_t)((int64_t)(task + 1) * g->batch / j->tasks);
  tl_pool_params p;
  (void)thread;
  if (b1 <= b0) return;
  memset(&p, 0, sizeof p);
  p.batch = b1 - b0, p.in_h = g->in_h, p.in_w = g->in_w, p.channels = g->in_c;
  p.out_h = g->out_h, p.out_w = g->out_w, p.filter_h = g->k_h, p.filter_w = g->k_w;
  p.stride_h = g->stride_h, p.stride_w = g->stride_w, p.pad_top = g->pad_top, p.pad_left = g->pad_left;
  p.act.min = -INFINITY;
  p.act.max = INFINITY;
  tl_max_pool2d_f32_opt(j->y + (int64_t)b0 * g->out_h * g->out_w * g->in_c,
                        j->x + (int64_t)b0 * g->in_h * g->in_w * g->in_c, &p, j->isa);
}

tl_status tl_max_pool2d_f32_nhwc(float *y, const float *x, const tl_conv2d_geometry *g, tl_threadpool *pool) {
  tl_max_pool_job j;
  const tl_cpu_features f = tl_cpu_features_detect();
  if (y == NULL || x == NULL || g == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_train_geometry_ok(g) || g->out_c != g->in_c || g->dilation_h != 1 || g->dilation_w != 1) {
    return TL_ERROR_INVALID_ARGUMENT;
  }
  j.y = y;
  j.x = x;
  j.g = g;
  j.isa = tl_isa_resolve(TL_ISA_AUTO, &f);
  j.tasks = tl_train_threads(pool) < g->batch ? tl_train_threads(pool) : g->batch;
  tl_threadpool_run(pool, j.tasks, tl_max_pool_task, &j);
  return TL_OK;
}

/* ---- MaxPool2D's input gradient ---------------------------------------------------------------------- */
typedef struct tl_max_pool_grad_job {
  float *dx;
  const float *x, *y, *dy;
  const tl_conv2d_geometry *g;
  int32_t tasks;
  int32_t relu; /* mask each window's dy by its max > 0 (ReluGrad of the pooled ReLU output) */
} tl_max_pool_grad_job;

/* One tap of a window for n channels: the channels still missing their max (rem 1, else 0) that find it
 * here take it: dx = (or +=) h * dy with h the hit (0 * dy where it missed, as the numpy kernel's multiply).
 * Called with n a constant 8 (the compiler turns the loop into vector code) or the tail. */
static inline void tl_pool_grad_tap(float *restrict dxv, const float *restrict xv, const float *restrict yv,
                                    const float *restrict dyv, float *restrict rem, int32_t n, int assign) {
  float h[8];
  for (int32_t c = 0; c < n; c++) {
    h[c] = (float)(xv[c] == yv[c]) * rem[c];
    rem[c] -= h[c];
  }
  if (assign) {
    for (int32_t c = 0; c < n; c++) dxv[c] = h[c] * dyv[c];
  } else {
    for (int32_t c = 0; c < n; c++) dxv[c] += h[c] * dyv[c];
  }
}

/* Algorithm: per output position and run of 8 channels (then the tail), the window's taps in row-major
 * order, each channel taking the first tap equal to its max (rem[] flags; a tap in the padding, value -inf,
 * can take it and drops it). Windows that tile the input (stride == size, no padding, covering it) write dx
 * once; otherwise dx starts at zero and windows add. */
static void tl_max_pool_grad_task(void *arg, int32_t task, int32_t thread) {
  const tl_max_pool_grad_job *j = (const tl_max_pool_grad_job *)arg;
  const tl_conv2d_geometry *g = j->g;
  const int32_t in_c = g->in_c;
  const int64_t in_image = (int64_t)g->in_h * g->in_w * in_c, out_image = (int64_t)g->out_h * g->out_w * in_c;
  const int32_t b0 = (int32_t)((int64_t)task * g->batch / j->tasks);
  const int32_t b1 = (int32_t)((int64_t)(task + 1) * g->batch / j->tasks);
  const int tiled = g->stride_h == g->k_h && g->stride_w == g->k_w && g->pad_top == 0 && g->pad_left == 0 &&
                    (int64_t)g->out_h * g->k_h == g->in_h && (int64_t)g->out_w * g->k_w == g->in_w;
  float rem[8], masked[8];
  (void)thread;
  for (int32_t b = b0; b < b1; b++) {
    float *dxb = j->dx + b * in_image;
    const float *xb = j->x + b * in_image, *yb = j->y + b * out_image, *dyb = j->dy + b * out_image;
    if (!tiled) memset(dxb, 0, (size_t)in_image * sizeof(float));
    for (int32_t oy = 0; oy < g->out_h; oy++) {
      for (int32_t ox = 0; ox < g->out_w; ox++) {
        const int64_t at = ((int64_t)oy * g->out_w + ox) * in_c;
        const int64_t iy0 = (int64_t)oy * g->stride_h - g->pad_top, ix0 = (int64_t)ox * g->stride_w - g->pad_left;
        for (int32_t c0 = 0; c0 < in_c; c0 += 8) {
          const int32_t n = in_c - c0 < 8 ? in_c - c0 : 8;
          const float *yv = yb + at + c0, *dyv = dyb + at + c0; /* [n] */
          for (int32_t c = 0; c < 8; c++) rem[c] = 1.0f;
          if (j->relu && n == 8) { /* dy where max > 0, else 0: ReluGrad's g * (x > 0) on the element taking dy */
            for (int32_t c = 0; c < 8; c++) { /* (the load outside the select lets the compiler vectorize) */
              const float d = dyv[c];
              masked[c] = yv[c] > 0.0f ? d : 0.0f;
            }
            dyv = masked;
          } else if (j->relu) {
            for (int32_t c = 0; c < n; c++) masked[c] = yv[c] > 0.0f ? dyv[c] : 0.0f;
            dyv = masked;
          }
          for (int32_t ky = 0; ky < g->k_h; ky++) {
            const int64_t iy = iy0 + ky;
            for (int32_t kx = 0; kx < g->k_w; kx++) {
              const int64_t ix = ix0 + kx;
              if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w) {
                for (int32_t c = 0; c < n; c++) rem[c] = yv[c] == -INFINITY ? 0.0f : rem[c];
                continue;
              }
              const int64_t off = (iy * g->in_w + ix) * in_c + c0;
              if (n == 8 && tiled) tl_pool_grad_tap(dxb + off, xb + off, yv, dyv, rem, 8, 1);
              else if (n == 8) tl_pool_grad_tap(dxb + off, xb + off, yv, dyv, rem, 8, 0);
              else tl_pool_grad_tap(dxb + off, xb + off, yv, dyv, rem, n, tiled);
            }
          }
        }
      }
    }
  }
}

tl_status tl_max_pool2d_f32_grad(float *dx, const float *x, const float *y, const float *dy,
                                 const tl_conv2d_geometry *g, tl_threadpool *pool) {
  return tl_max_pool2d_f32_grad_relu(dx, NULL, x, y, dy, 0, g, pool);
}

/* db[c] = the sum over every window of dy * (max > 0): each window's (masked) dy lands on one element of dx
 * (or, from a tap in the padding, on none: the max is then -inf and masked), so this is dx's channel sum
 * read from the 1/(k_h k_w) smaller pooled arrays. Blocks of 64 positions sum in float, the blocks in double. */
static void tl_pool_grad_bias(float *db, const float *y, const float *dy, int64_t positions, int32_t channels) {
  for (int32_t c0 = 0; c0 < channels; c0 += 8) {
    const int32_t n = channels - c0 < 8 ? channels - c0 : 8;
    double total[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t r0 = 0; r0 < positions; r0 += 64) {
      const int64_t r1 = positions - r0 < 64 ? positions : r0 + 64;
      float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      if (n == 8) { /* a constant trip count and an unconditional load: vector code */
        for (int64_t r = r0; r < r1; r++) {
          const float *yv = y + r * channels + c0, *dyv = dy + r * channels + c0; /* [8] */
          for (int32_t c = 0; c < 8; c++) {
            const float d = dyv[c];
            part[c] += yv[c] > 0.0f ? d : 0.0f;
          }
        }
      } else {
        for (int64_t r = r0; r < r1; r++) {
          const float *yv = y + r * channels + c0, *dyv = dy + r * channels + c0; /* [n] */
          for (int32_t c = 0; c < n; c++) part[c] += yv[c] > 0.0f ? dyv[c] : 0.0f;
        }
      }
      for (int32_t c = 0; c < 8; c++) total[c] += part[c];
    }
    for (int32_t c = 0; c < n; c++) db[c0 + c] = (float)total[c];
  }
}

tl_status tl_max_pool2d_f32_grad_relu(float *dx, float *db, const float *x, const float *y, const float *dy,
                                      int32_t relu, const tl_conv2d_geometry *g, tl_threadpool *pool) {
  tl_max_pool_grad_job j;
  if (dx == NULL || x == NULL || y == NULL || dy == NULL || g == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (!tl_train_geometry_ok(g) || g->out_c != g->in_c || g->dilation_h != 1 || g->dilation_w != 1) {
    return TL_ERROR_INVALID_ARGUMENT;
  }
  if (db != NULL && !relu) return TL_ERROR_INVALID_ARGUMENT;
  j.dx = dx;
  j.x = x;
  j.y = y;
  j.dy = dy;
  j.g = g;
  j.relu = relu != 0;
  j.tasks = tl_train_threads(pool) < g->batch ? tl_train_threads(pool) : g->batch;
  tl_threadpool_run(pool, j.tasks, tl_max_pool_grad_task, &j);
  if (db != NULL) tl_pool_grad_bias(db, y, dy, (int64_t)g->batch * g->out_h * g->out_w, g->in_c);
  return TL_OK;
}

/* ---- Adam's update --------------------------------------------------------------------------------- */
typedef struct tl_adam_job {
  float *var, *m, *v;
  const float *g;
  int64_t n;
  float c1, c2, eps, lr; /* 1 - beta1, 1 - beta2, epsilon, lr_t */
  int32_t tasks;
} tl_adam_job;

/* One element, in the numpy kernel's order and float32 roundings (each operation its own statement, so no
 * compiler contracts a multiply and an add into an FMA). */
static inline void tl_adam_one(float *var, float *m, float *v, float g, float c1, float c2, float eps, float lr) {
  const float dm = (g - *m) * c1;
  *m += dm;
  const float sq = g * g;
  const float dv = (sq - *v) * c2;
  *v += dv;
  const float den = sqrtf(*v) + eps;
  const float q = *m / den;
  *var -= q * lr;
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
/* 8 elements at a time with the same operations (IEEE mul, sub, add, sqrt and div: the same bits). */
TL_TRAIN_AVX2_ static int64_t tl_adam_avx2(float *var, float *m, float *v, const float *g, int64_t n, float c1,
                                           float c2, float eps, float lr) {
  const __m256 vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2), veps = _mm256_set1_ps(eps);
  const __m256 vlr = _mm256_set1_ps(lr);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
    mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), vc1));
    vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), vc2));
    const __m256 q = _mm256_div_ps(mi, _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(var + i, _mm256_sub_ps(_mm256_loadu_ps(var + i), _mm256_mul_ps(q, vlr)));
  }
  return i;
}
#endif

static void tl_adam_task(void *arg, int32_t task, int32_t thread) {
  const tl_adam_job *j = (const tl_adam_job *)arg;
  const int64_t i0 = j->n * task / j->tasks / 16 * 16;
  const int64_t i1 = task + 1 == j->tasks ? j->n : j->n * (task + 1) / j->tasks / 16 * 16;
  int64_t i = 0;
  (void)thread;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  const tl_cpu_features f = tl_cpu_features_detect();
  if (tl_isa_resolve(TL_ISA_AUTO, &f) >= TL_ISA_AVX2) {
    i = tl_adam_avx2(j->var + i0, j->m + i0, j->v + i0, j->g + i0, i1 - i0, j->c1, j->c2, j->eps, j->lr);
  }
#endif
  for (i += i0; i < i1; i++) tl_adam_one(j->var + i, j->m + i, j->v + i, j->g[i], j->c1, j->c2, j->eps, j->lr);
}

tl_status tl_train_adam_f32(float *var, float *m, float *v, const float *g, int64_t n, float one_minus_beta1,
                            float one_minus_beta2, float epsilon, float lr_t, tl_threadpool *pool) {
  tl_adam_job j;
  if (var == NULL || m == NULL || v == NULL || g == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (n < 0) return TL_ERROR_INVALID_ARGUMENT;
  j.var = var, j.m = m, j.v = v, j.g = g, j.n = n;
  j.c1 = one_minus_beta1, j.c2 = one_minus_beta2, j.eps = epsilon, j.lr = lr_t;
  /* threads for arrays of 64k floats and more (a smaller update is cheaper than waking a thread) */
  j.tasks = n >= 65536 ? tl_train_threads(pool) : 1;
  if (j.tasks > 1) tl_threadpool_run(pool, j.tasks, tl_adam_task, &j);
  else tl_adam_task(&j, 0, 0);
  return TL_OK;
}
