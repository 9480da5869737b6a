/* test_threads.c: the thread pool (threadpool.h) and the thread splits of the float32 GEMM and Conv2D.
 *
 * Pool: every task runs exactly once with a thread index in range, for task counts around 0, 1, the thread
 * count and the 65535-task job size, over many back-to-back jobs (the spin / sleep hand-offs), with pools of
 * 1, 2, 3 and 8 threads, and create / destroy in a loop; bad arguments are refused. Splits: at every kernel
 * level this CPU has, a GEMM cut by tl_gemm_split_plan into row blocks and panel chunks and run on a pool
 * (tl_gemm_f32_part), and a Conv2D cut into position blocks (and panel chunks where pointwise or direct) with
 * one scratch block per thread (tl_conv2d_f32_opt_part: im2col, or the direct path at AVX2 / AVX-512), give
 * exactly the bits of the one-call kernels (memcmp), over shapes with partial tiles, partial panels,
 * 16-column GEMMs, pointwise and padded convolutions and several images; the plan spreads the work evenly.
 * The interpreter's num_threads is checked for its range. Prints "threads: yes" when the build has threads (pytest reads it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels/opt/opt_kernels.h"
#include "test_models.h"
#include "threadpool.h"
#include "tl_test.h"

static uint32_t g_rng = 777u;

static float rand_float(void) {
  g_rng = g_rng * 1664525u + 1013904223u;
  return (float)((g_rng >> 8) & 0xFFFF) / 32768.0f - 1.0f; /* [-1, 1) */
}

static float *rand_array(int64_t n) {
  float *a = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; i++) a[i] = rand_float();
  return a;
}

/* ---- the pool ---- */

typedef struct count_job {
  int32_t *hits;    /* [n_tasks] */
  int32_t threads;
  int32_t bad_thread;
} count_job;

static void count_task(void *arg, int32_t task, int32_t thread) {
  count_job *j = (count_job *)arg;
  __atomic_add_fetch(&j->hits[task], 1, __ATOMIC_RELAXED);
  if (thread < 0 || thread >= j->threads) __atomic_store_n(&j->bad_thread, 1, __ATOMIC_RELAXED);
}

static void check_pool(int32_t num_threads) {
  static const int32_t counts[] = {0, 1, 2, 3, 7, 8, 9, 64, 1000, 65535, 65536, 70001};
  void *memory = NULL;
  tl_threadpool *pool = NULL;
  size_t bytes = tl_threadpool_bytes(num_threads);
  if (bytes > 0) memory = malloc(bytes);
  TL_EXPECT_EQ(tl_threadpool_create(memory, num_threads, &pool), TL_OK);
  TL_EXPECT_TRUE(tl_threadpool_threads(pool) >= 1 && tl_threadpool_threads(pool) <= num_threads);
  if (TL_HAVE_THREADS) TL_EXPECT_EQ(tl_threadpool_threads(pool), num_threads);
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    const int32_t n = counts[c];
    count_job j;
    j.hits = (int32_t *)calloc((size_t)(n > 0 ? n : 1), sizeof(int32_t));
    j.threads = tl_threadpool_threads(pool);
    j.bad_thread = 0;
    tl_threadpool_run(pool, n, count_task, &j);
    int32_t wrong = 0;
    for (int32_t t = 0; t < n; t++) wrong += j.hits[t] != 1;
    TL_EXPECT_EQ(wrong, 0);
    TL_EXPECT_EQ(j.bad_thread, 0);
    free(j.hits);
  }
  /* many small jobs back to back: the hand-off between spinning and sleeping */
  {
    int32_t hits[5] = {0, 0, 0, 0, 0};
    count_job j;
    j.hits = hits;
    j.threads = tl_threadpool_threads(pool);
    j.bad_thread = 0;
    for (int32_t r = 0; r < 20000; r++) tl_threadpool_run(pool, 5, count_task, &j);
    for (int32_t t = 0; t < 5; t++) TL_EXPECT_EQ(hits[t], 20000);
    TL_EXPECT_EQ(j.bad_thread, 0);
  }
  tl_threadpool_destroy(pool);
  free(memory);
}

TL_TEST(pool_runs_every_task_once) {
  check_pool(1);
  check_pool(2);
  check_pool(3);
  check_pool(8);
}

TL_TEST(pool_create_destroy_loop_and_bad_arguments) {
  tl_threadpool *pool = (tl_threadpool *)1;
  void *memory = malloc(tl_threadpool_bytes(4) + 1);
  for (int32_t i = 0; i < 200; i++) {
    int32_t hits[3] = {0, 0, 0};
    count_job j;
    j.hits = hits;
    j.threads = 4;
    j.bad_thread = 0;
    TL_EXPECT_EQ(tl_threadpool_create(memory, 4, &pool), TL_OK);
    if (i % 2) tl_threadpool_run(pool, 3, count_task, &j); /* half are destroyed without a job */
    tl_threadpool_destroy(pool);
    TL_EXPECT_EQ(hits[0] + hits[1] + hits[2], i % 2 ? 3 : 0);
  }
  TL_EXPECT_EQ(tl_threadpool_create(memory, 0, &pool), TL_ERROR_INVALID_ARGUMENT);
  TL_EXPECT_TRUE(pool == NULL);
  TL_EXPECT_EQ(tl_threadpool_create(memory, TL_MAX_THREADS + 1, &pool), TL_ERROR_INVALID_ARGUMENT);
  TL_EXPECT_EQ(tl_threadpool_create(memory, 2, NULL), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_threadpool_create(NULL, 1, &pool), TL_OK); /* one thread needs no memory */
  TL_EXPECT_TRUE(pool == NULL);
  TL_EXPECT_EQ(tl_threadpool_threads(NULL), 1);
  TL_EXPECT_EQ(tl_threadpool_bytes(1), 0);
  TL_EXPECT_EQ(tl_threadpool_bytes(0), 0);
  if (TL_HAVE_THREADS) {
    TL_EXPECT_EQ(tl_threadpool_create(NULL, 2, &pool), TL_ERROR_INVALID_ARGUMENT);
    TL_EXPECT_TRUE(tl_threadpool_bytes(2) > 0);
  } else {
    TL_EXPECT_EQ(tl_threadpool_bytes(2), 0);
  }
  free(memory);
}

/* ---- bit-exact splits ---- */

static tl_isa g_isa = TL_ISA_PORTABLE;
static tl_threadpool *g_pool = NULL; /* 3 threads (test-only state) */

typedef struct gemm_job {
  const tl_gemm_f32_args *g;
  tl_gemm_split split;
  int64_t rows;
} gemm_job;

static void gemm_task(void *arg, int32_t task, int32_t thread) {
  const gemm_job *j = (const gemm_job *)arg;
  const int32_t col = task % j->split.col_tasks;
  const int32_t row0 = task / j->split.col_tasks * j->split.block_rows;
  const int32_t row1 = j->g->m - row0 < j->split.block_rows ? j->g->m : row0 + j->split.block_rows;
  (void)thread;
  tl_gemm_f32_part(j->g, g_isa, row0, row1, col * j->split.chunk_panels, (col + 1) * j->split.chunk_panels);
}

static void check_gemm_split(int32_t m, int32_t n, int32_t k, int32_t threads, int32_t max_block) {
  const int32_t nr = tl_gemm_nr(g_isa);
  float *a = rand_array((int64_t)m * k), *w = rand_array((int64_t)n * k), *bias = rand_array(n);
  float *packed = (float *)malloc(tl_gemm_packed_floats(g_isa, n, k) * sizeof(float));
  float *whole = (float *)calloc((size_t)m * n + 1, sizeof(float));
  float *split = (float *)calloc((size_t)m * n + 1, sizeof(float));
  tl_gemm_f32_args g;
  gemm_job j;
  tl_gemm_pack_f32(packed, w, bias, n, k, g_isa);
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.lda = k;
  g.b_packed = packed;
  g.ldc = n;
  g.act.min = -0.5f;
  g.act.max = 3.0f;
  g.c = whole;
  tl_gemm_f32(&g, g_isa);
  g.c = split;
  j.g = &g;
  j.rows = m;
  tl_gemm_split_plan(&j.split, m, (n + nr - 1) / nr, threads, max_block);
  TL_EXPECT_TRUE(j.split.block_rows % TL_GEMM_ROW_ALIGN == 0 &&
                 j.split.block_rows <= (max_block > TL_GEMM_ROW_ALIGN ? max_block : TL_GEMM_ROW_ALIGN));
  TL_EXPECT_TRUE((int64_t)j.split.row_tasks * j.split.block_rows >= m);
  TL_EXPECT_TRUE((int64_t)j.split.col_tasks * j.split.chunk_panels * nr >= n);
  tl_threadpool_run(g_pool, j.split.row_tasks * j.split.col_tasks, gemm_task, &j);
  if (memcmp(whole, split, (size_t)m * n * sizeof(float)) != 0) {
    printf("gemm split differs: m %d n %d k %d threads %d level %s\n", m, n, k, threads, tl_isa_name(g_isa));
    TL_EXPECT_ARRAY_NEAR(split, whole, (int64_t)m * n, 0.0);
  }
  free(a);
  free(w);
  free(bias);
  free(packed);
  free(whole);
  free(split);
}

TL_TEST(gemm_splits_are_bit_exact) {
  static const int32_t ms[] = {1, 2, 5, 9, 23, 24, 25, 41, 49, 97, 200}; /* 9, 41: one-row tails of 8-row tiles only */
  static const int32_t ns[] = {1, 7, 16, 33, 64, 100};
  static const int32_t ks[] = {1, 9, 37};
  for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
    for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
      for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++)
        for (int32_t t = 2; t <= 4; t++) check_gemm_split(ms[a], ns[b], ks[c], t, t == 3 ? 48 : INT32_MAX);
}

/* Finish time of a plan's tasks (rows x panels each) claimed in task order by whichever of `threads` equal
 * threads is free first: the pool's schedule on an idle machine. */
static int64_t plan_finish(const tl_gemm_split *s, int64_t rows, int32_t panels, int32_t threads) {
  int64_t free_at[8] = {0}, finish = 0;
  for (int32_t t = 0; t < s->row_tasks * s->col_tasks; t++) {
    const int64_t r0 = (int64_t)(t / s->col_tasks) * s->block_rows, p0 = (int64_t)(t % s->col_tasks) * s->chunk_panels;
    const int64_t r = rows - r0 < s->block_rows ? rows - r0 : s->block_rows;
    const int64_t p = panels - p0 < s->chunk_panels ? panels - p0 : s->chunk_panels;
    int32_t first = 0;
    for (int32_t th = 1; th < threads; th++)
      if (free_at[th] < free_at[first]) first = th;
    free_at[first] += r * p;
    if (free_at[first] > finish) finish = free_at[first];
  }
  return finish;
}

/* The plan deals the work out evenly: the GEMMs of the benchmark models (MobileNetV1-0.5 at 128: pointwise
 * 64..4096 rows by 4..32 AVX2 panels; the CNN; a batch-1 FullyConnected of 1000 outputs) finish within 3%
 * of total / threads on 2 and 4 threads (the old plan's row blocks of 24, 24 and 16 rows for 64 rows left
 * one of 2 threads 40 rows: 80%), and an im2col GEMM (whole rows, blocks of at most 192 rows) within 6%. */
TL_TEST(gemm_split_plan_balances_the_work) {
  static const int64_t rows[] = {1, 16, 64, 256, 1024, 4096, 196, 784};
  static const int32_t panels[] = {4, 8, 16, 32, 63};
  for (int32_t threads = 2; threads <= 4; threads += 2) {
    for (size_t a = 0; a < sizeof rows / sizeof rows[0]; a++) {
      for (size_t b = 0; b < sizeof panels / sizeof panels[0]; b++) {
        tl_gemm_split s;
        const int64_t total = rows[a] * panels[b];
        tl_gemm_split_plan(&s, rows[a], panels[b], threads, INT32_MAX);
        TL_EXPECT_TRUE(s.row_tasks * s.col_tasks >= threads && s.row_tasks * s.col_tasks <= 4 * threads);
        if ((double)plan_finish(&s, rows[a], panels[b], threads) > 1.03 * (double)total / threads) {
          printf("plan uneven: rows %lld panels %d threads %d: %d x %d rows, %d x %d panels\n", (long long)rows[a],
                 panels[b], threads, s.row_tasks, s.block_rows, s.col_tasks, s.chunk_panels);
          TL_EXPECT_TRUE(0);
        }
      }
    }
    {
      tl_gemm_split s; /* im2col: one panel range (whole rows), blocks of at most 192 rows */
      tl_gemm_split_plan(&s, 4096, 1, threads, 192);
      TL_EXPECT_TRUE(s.col_tasks == 1 && s.block_rows <= 192 && s.block_rows % TL_GEMM_ROW_ALIGN == 0);
      TL_EXPECT_TRUE((double)plan_finish(&s, 4096, 1, threads) <= 1.06 * 4096.0 / threads);
    }
  }
}

typedef struct conv_job {
  float *y;
  const float *x;
  const float *packed;
  float *scratch;
  size_t scratch_floats;
  const tl_conv_params *p;
  int64_t rows;
  tl_gemm_split split;
} conv_job;

static void conv_task(void *arg, int32_t task, int32_t thread) {
  const conv_job *j = (const conv_job *)arg;
  const int32_t col = task % j->split.col_tasks;
  const int32_t rest = task / j->split.col_tasks;
  const int64_t row0 = (int64_t)(rest % j->split.row_tasks) * j->split.block_rows;
  const int64_t rows = j->rows - row0 < j->split.block_rows ? j->rows - row0 : j->split.block_rows;
  tl_conv2d_f32_opt_part(j->y, j->x, j->packed, j->scratch + (size_t)thread * j->scratch_floats, j->p, g_isa,
                         rest / j->split.row_tasks, row0, rows, col * j->split.chunk_panels,
                         (col + 1) * j->split.chunk_panels);
}

static void check_conv_split(int32_t batch, int32_t in_hw, int32_t in_c, int32_t out_c, int32_t k, int32_t stride,
                             int32_t pad) {
  tl_conv_params p;
  const int32_t threads = tl_threadpool_threads(g_pool), nr = tl_gemm_nr(g_isa);
  memset(&p, 0, sizeof p);
  p.batch = batch;
  p.in_h = p.in_w = in_hw;
  p.in_c = in_c;
  p.out_c = out_c;
  p.k_h = p.k_w = k;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = pad;
  p.out_h = p.out_w = (in_hw + 2 * pad - k) / stride + 1;
  p.depth_multiplier = 1;
  p.act.min = 0.0f;
  p.act.max = 6.0f;
  {
    const int64_t xn = (int64_t)batch * in_hw * in_hw * in_c, yn = (int64_t)batch * p.out_h * p.out_w * out_c;
    const int pointwise = tl_conv2d_f32_opt_is_pointwise(&p);
    float *x = rand_array(xn), *w = rand_array((int64_t)out_c * k * k * in_c), *bias = rand_array(out_c);
    float *packed = (float *)malloc(tl_conv2d_f32_opt_packed_floats(&p, g_isa) * sizeof(float));
    const size_t sf = tl_conv2d_f32_opt_scratch_floats(&p, TL_CONV_BLOCK_ROWS);
    float *scratch = (float *)malloc((sf * (size_t)threads + 1) * sizeof(float));
    float *whole = (float *)calloc((size_t)yn, sizeof(float)), *split = (float *)calloc((size_t)yn, sizeof(float));
    conv_job j;
    tl_conv2d_f32_opt_pack(packed, w, bias, &p, g_isa);
    tl_conv2d_f32_opt(whole, x, packed, scratch, sf, &p, g_isa);
    j.y = split;
    j.x = x;
    j.packed = packed;
    j.scratch = scratch;
    j.scratch_floats = sf;
    j.p = &p;
    j.rows = (int64_t)p.out_h * p.out_w * (pointwise ? batch : 1);
    /* as ops/conv2d.c: im2col whole rows; pointwise and direct also panel chunks */
    const int whole_rows = !pointwise && !tl_conv2d_f32_opt_is_direct(&p, g_isa);
    tl_gemm_split_plan(&j.split, j.rows, whole_rows ? 1 : (out_c + nr - 1) / nr, threads,
                       pointwise ? INT32_MAX : (int32_t)tl_conv2d_f32_opt_block_rows(&p, sf));
    if (whole_rows) j.split.chunk_panels = (out_c + nr - 1) / nr;
    tl_threadpool_run(g_pool, (pointwise ? 1 : batch) * j.split.row_tasks * j.split.col_tasks, conv_task, &j);
    if (memcmp(whole, split, (size_t)yn * sizeof(float)) != 0) {
      printf("conv split differs: batch %d in %d c %d out_c %d k %d stride %d pad %d level %s\n", batch, in_hw,
             in_c, out_c, k, stride, pad, tl_isa_name(g_isa));
      TL_EXPECT_ARRAY_NEAR(split, whole, yn, 0.0);
    }
    free(x);
    free(w);
    free(bias);
    free(packed);
    free(scratch);
    free(whole);
    free(split);
  }
}

TL_TEST(conv_splits_are_bit_exact) {
  check_conv_split(1, 28, 1, 32, 3, 1, 0);  /* the CNN's first layer: 676 positions, k = 9 */
  check_conv_split(1, 13, 32, 64, 3, 1, 0); /* its second: 121 positions */
  check_conv_split(2, 11, 3, 17, 3, 2, 1);  /* images, stride, padding, a partial panel */
  check_conv_split(1, 5, 8, 40, 1, 1, 0);   /* pointwise: 25 rows, split by panels too */
  check_conv_split(3, 7, 16, 24, 1, 1, 0);  /* pointwise over images: 147 rows across image borders */
  check_conv_split(1, 4, 64, 70, 1, 1, 0);  /* pointwise, 16 rows, many panels */
  check_conv_split(1, 20, 5, 9, 5, 1, 2);   /* 5x5 SAME */
  check_conv_split(1, 16, 3, 16, 3, 2, 1);  /* a MobileNet-like first layer: 16 columns, padded edges */
  check_conv_split(1, 9, 2, 40, 3, 1, 1);   /* a full and a 8-column panel, padded edges */
  check_conv_split(2, 10, 8, 72, 3, 1, 0);  /* VALID (direct on x86) over images: 64 rows, panel chunks */
}

/* ---- the interpreter's num_threads ---- */

TL_TEST(interpreter_num_threads_range_and_results) {
  char err[256];
  tl_model *m = NULL;
  tl_options opt;
  float want[sizeof tm_mlp_probs / sizeof tm_mlp_probs[0]], got[sizeof want / sizeof want[0]];
  TL_EXPECT_EQ(tl_model_load(tm_mlp, sizeof tm_mlp, &m, err, sizeof err), TL_OK);
  if (m == NULL) return;
  memset(&opt, 0, sizeof opt);
  for (int32_t threads = 0; threads <= 4; threads++) {
    tl_interpreter *it = NULL;
    opt.num_threads = threads;
    TL_EXPECT_EQ(tl_interpreter_create(m, &opt, &it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_prepare(it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_set_input(it, 0, tm_mlp_x, sizeof tm_mlp_x, TL_FLOAT32), TL_OK);
    for (int32_t r = 0; r < 3; r++) TL_EXPECT_EQ(tl_interpreter_invoke(it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_get_output(it, 0, threads == 0 ? want : got, sizeof got, TL_FLOAT32), TL_OK);
    if (threads > 0) TL_EXPECT_EQ(memcmp(want, got, sizeof got), 0);
    tl_interpreter_destroy(it);
  }
  {
    tl_interpreter *it = (tl_interpreter *)1;
    opt.num_threads = TL_MAX_THREADS + 1;
    TL_EXPECT_EQ(tl_interpreter_create(m, &opt, &it), TL_ERROR_INVALID_ARGUMENT);
    TL_EXPECT_TRUE(it == NULL);
    opt.num_threads = -2;
    TL_EXPECT_EQ(tl_interpreter_create(m, &opt, &it), TL_ERROR_INVALID_ARGUMENT);
    opt.num_threads = TL_MAX_THREADS; /* the largest allowed */
    TL_EXPECT_EQ(tl_interpreter_create(m, &opt, &it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_prepare(it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_invoke(it), TL_OK);
    tl_interpreter_destroy(it);
  }
  /* caller memory: the pool is carved from it and counted in the requirement */
  {
    tl_interpreter *it = NULL;
    size_t need1, need2;
    static uint8_t memory[1 << 16];
    opt.num_threads = 1;
    TL_EXPECT_EQ(tl_interpreter_create_with_arena(m, &opt, memory, sizeof memory, &it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_prepare(it), TL_OK);
    need1 = tl_interpreter_required_memory_bytes(it);
    tl_interpreter_destroy(it);
    opt.num_threads = 2;
    TL_EXPECT_EQ(tl_interpreter_create_with_arena(m, &opt, memory, sizeof memory, &it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_prepare(it), TL_OK);
    need2 = tl_interpreter_required_memory_bytes(it);
    TL_EXPECT_EQ(tl_interpreter_set_input(it, 0, tm_mlp_x, sizeof tm_mlp_x, TL_FLOAT32), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_invoke(it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_get_output(it, 0, got, sizeof got, TL_FLOAT32), TL_OK);
    TL_EXPECT_EQ(memcmp(want, got, sizeof got), 0);
    tl_interpreter_destroy(it);
    TL_EXPECT_TRUE(need2 >= need1 + (TL_HAVE_THREADS ? tl_threadpool_bytes(2) : 0));
    /* exactly the requirement works; a byte less does not */
    TL_EXPECT_EQ(tl_interpreter_create_with_arena(m, &opt, memory, need2, &it), TL_OK);
    TL_EXPECT_EQ(tl_interpreter_prepare(it), TL_OK);
    tl_interpreter_destroy(it);
    /* a base 1 past a 16-byte boundary needs all 15 padding bytes the requirement includes */
    TL_EXPECT_EQ(tl_interpreter_create_with_arena(m, &opt, memory + (17u - (uintptr_t)memory % 16u) % 16u, need2 - 1,
                                                  &it) == TL_OK &&
                     tl_interpreter_prepare(it) == TL_OK,
                 0);
    tl_interpreter_destroy(it);
  }
  tl_model_destroy(m);
}

int main(void) {
  tl_cpu_features f = tl_cpu_features_detect();
  static const tl_isa levels[] = {TL_ISA_PORTABLE, TL_ISA_NEON, TL_ISA_AVX2, TL_ISA_AVX512};
  void *memory = malloc(tl_threadpool_bytes(3) + 1);
  printf("threads: %s\n", TL_HAVE_THREADS ? "yes" : "no");
  TL_RUN(pool_runs_every_task_once);
  TL_RUN(pool_create_destroy_loop_and_bad_arguments);
  TL_RUN(gemm_split_plan_balances_the_work);
  TL_EXPECT_EQ(tl_threadpool_create(memory, 3, &g_pool), TL_OK);
  for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
    if (!tl_isa_supported(levels[i], &f)) continue;
    g_isa = levels[i];
    printf("level %s\n", tl_isa_name(g_isa));
    TL_RUN(gemm_splits_are_bit_exact);
    TL_RUN(conv_splits_are_bit_exact);
  }
  tl_threadpool_destroy(g_pool);
  free(memory);
  TL_RUN(interpreter_num_threads_range_and_results);
  return tl_test_summary();
}
