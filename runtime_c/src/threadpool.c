/* threadpool.c: the pthreads thread pool of threadpool.h, or its single-threaded stand-in.
 *
 * What this is: workers that wait for a new job, claim its tasks (their own share first, then what is left
 * of the others'), and count the tasks they finish. What this is not: used in freestanding builds (there
 * every run is a plain loop on the caller's thread).
 *
 * Protocol (flags use __atomic builtins; sequentially consistent where a sleep decision depends on them).
 * The job is announced by `ticket` (generation (32 bits) | task count (16)); its tasks are dealt out in
 * `slots`, one per thread, each a 64-bit word: generation (32) | next task (16) | end (16). Thread u's slot
 * starts as the u-th contiguous share of the tasks: [n * u / T, n * (u + 1) / T).
 *   run:    store fn/arg/base, done = 0; store every slot (gen + 1, share); store the ticket (gen + 1, n):
 *           this publishes the job; if a worker sleeps, broadcast `wake` under the mutex; claim tasks like a
 *           worker; then wait until done == n (spin, then sleep on `done_cv` with caller_sleeping set).
 *   worker: wait until the ticket's generation differs from the last one seen (spin, then sleep on `wake`
 *           with `sleepers` counted); read fn/arg/base; claim tasks: first from the front of its own slot,
 *           then from the back of the others' (CAS on the slot, only while it still holds this generation
 *           and next < end); after each task done++ (the one that reaches n signals `done_cv` if the caller
 *           sleeps).
 * Why slots: a thread runs the same share of every job when nobody is late, so the rows an op writes on one
 * core are the rows the next op (split the same way) reads on that core, from its own L2, instead of from
 * the other core's (one shared ticket dealt tasks in arrival order: which core got which rows was chance).
 * A late thread's share is taken by the others from its back, one task at a time.
 * The caller waits for the tasks, not for the workers: a worker that is asleep or descheduled (more threads
 * than free cores) costs nothing, since the others then claim its tasks. A worker that read the fields of a
 * job that has ended cannot run them: its CAS needs that job's generation with next < end, and the caller
 * only rewrites the fields once every task of the job has been claimed and finished.
 * No lost wake-up: a sleeper increments `sleepers` and re-reads the ticket under the mutex before waiting;
 * run stores the ticket before reading `sleepers`, so one of the two sees the other (the same for
 * caller_sleeping and done).
 */
#include "threadpool.h"

#include <string.h>

#if TL_HAVE_THREADS

#include <pthread.h>

/* Pause-hinted polls before sleeping (a pause is ~10-150 cycles: some tens of microseconds in all). */
#define TL_POOL_SPIN 20000
/* Tasks per job (the 16-bit fields of the ticket); run cuts larger task counts into several jobs. */
#define TL_POOL_MAX_TASKS 0xffff

/* One thread's share of the job (see the protocol), alone in its cache line (128 bytes apart: the pool's
 * memory is only 16-byte aligned). */
typedef struct tl_slot {
  uint64_t range; /* atomic: generation << 32 | next << 16 | end */
  char pad[128 - sizeof(uint64_t)];
} tl_slot;

typedef struct tl_worker {
  tl_threadpool *pool;
  int32_t index; /* 1 .. threads - 1 */
  pthread_t thread;
} tl_worker;

struct tl_threadpool {
  int32_t threads;         /* the caller plus the workers started */
  uint32_t generation;     /* the caller's count of jobs (only run and destroy touch it) */
  /* the current job (see the protocol above) */
  tl_threadpool_fn fn;     /* atomic */
  void *arg;               /* atomic */
  int32_t base;            /* atomic: task index of the job's task 0 */
  uint64_t ticket;         /* atomic: generation << 32 | n */
  int32_t done;            /* atomic: tasks of the job finished */
  int32_t stop;            /* atomic: destroy asked the workers to exit */
  int32_t sleepers;        /* atomic: workers waiting (or about to) on `wake` */
  int32_t caller_sleeping; /* atomic */
  pthread_mutex_t mutex;
  pthread_cond_t wake;     /* a new ticket (or stop) */
  pthread_cond_t done_cv;  /* done reached n */
  tl_worker workers[TL_MAX_THREADS];
  tl_slot slots[TL_MAX_THREADS]; /* [threads]: the tasks of the current job, dealt out */
};

static inline void tl_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield" ::: "memory");
#endif
}

#define TL_TICKET_GEN(t) ((uint32_t)((t) >> 32))
#define TL_TICKET_N(t) ((int32_t)((t) & 0xffffu))
#define TL_SLOT_NEXT(t) ((int32_t)(((t) >> 16) & 0xffffu))
#define TL_SLOT_END(t) ((int32_t)((t) & 0xffffu))

/* Runs task `task` of the job (fn, arg, base) and counts it done; the one that completes n tasks wakes a
 * sleeping caller. */
static void tl_pool_task(tl_threadpool *pool, tl_threadpool_fn fn, void *arg, int32_t task, int32_t n,
                         int32_t thread) {
  fn(arg, task, thread);
  if (__atomic_add_fetch(&pool->done, 1, __ATOMIC_SEQ_CST) == n &&
      __atomic_load_n(&pool->caller_sleeping, __ATOMIC_SEQ_CST)) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_signal(&pool->done_cv);
    pthread_mutex_unlock(&pool->mutex);
  }
}

/* Claims and runs tasks of job `gen` (n tasks) until none is left (or the job moved on): its own slot's from
 * the front, then the other slots' from the back. */
static void tl_pool_work(tl_threadpool *pool, uint32_t gen, int32_t n, int32_t thread) {
  const tl_threadpool_fn fn = __atomic_load_n(&pool->fn, __ATOMIC_RELAXED);
  void *arg = __atomic_load_n(&pool->arg, __ATOMIC_RELAXED);
  const int32_t base = __atomic_load_n(&pool->base, __ATOMIC_RELAXED);
  const int32_t threads = pool->threads; /* fixed after create */
  int32_t k;
  for (k = 0; k < threads; k++) {
    const int32_t u = (thread + k) % threads, own = k == 0;
    uint64_t *slot = &pool->slots[u].range;
    uint64_t t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    while (TL_TICKET_GEN(t) == gen && TL_SLOT_NEXT(t) < TL_SLOT_END(t)) {
      /* own: next + 1 takes task next; another's: end - 1 takes task end - 1 */
      const uint64_t claimed = own ? t + ((uint64_t)1 << 16) : t - 1;
      if (!__atomic_compare_exchange_n(slot, &t, claimed, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        continue; /* t now holds the slot's current value */
      tl_pool_task(pool, fn, arg, base + (own ? TL_SLOT_NEXT(t) : TL_SLOT_END(t) - 1), n, thread);
      t = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    }
  }
}

/* Returns the ticket once its generation differs from `seen`. */
static uint64_t tl_pool_wait_job(tl_threadpool *pool, uint32_t seen) {
  uint64_t t;
  int32_t i;
  for (i = 0; i < TL_POOL_SPIN; i++) {
    t = __atomic_load_n(&pool->ticket, __ATOMIC_ACQUIRE);
    if (TL_TICKET_GEN(t) != seen) return t;
    tl_cpu_relax();
  }
  pthread_mutex_lock(&pool->mutex);
  __atomic_add_fetch(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
  while (TL_TICKET_GEN(t = __atomic_load_n(&pool->ticket, __ATOMIC_SEQ_CST)) == seen) {
    pthread_cond_wait(&pool->wake, &pool->mutex);
  }
  __atomic_sub_fetch(&pool->sleepers, 1, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&pool->mutex);
  return t;
}

static void *tl_pool_worker(void *p) {
  tl_worker *w = (tl_worker *)p;
  tl_threadpool *pool = w->pool;
  uint32_t seen = 0; /* workers start before the first job (generation 0) */
  for (;;) {
    const uint64_t t = tl_pool_wait_job(pool, seen);
    seen = TL_TICKET_GEN(t);
    if (__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE)) return NULL;
    tl_pool_work(pool, seen, TL_TICKET_N(t), w->index);
  }
}

size_t tl_threadpool_bytes(int32_t num_threads) {
  return num_threads > 1 && num_threads <= TL_MAX_THREADS ? sizeof(tl_threadpool) : 0;
}

tl_status tl_threadpool_create(void *memory, int32_t num_threads, tl_threadpool **out) {
  tl_threadpool *pool;
  int32_t i;
  if (out == NULL) return TL_ERROR_NULL_ARGUMENT;
  *out = NULL;
  if (num_threads < 1 || num_threads > TL_MAX_THREADS) return TL_ERROR_INVALID_ARGUMENT;
  if (num_threads == 1) return TL_OK;
  if (memory == NULL) return TL_ERROR_INVALID_ARGUMENT;
  pool = (tl_threadpool *)memory;
  memset(pool, 0, sizeof *pool);
  pool->threads = 1;
  if (pthread_mutex_init(&pool->mutex, NULL) != 0) return TL_ERROR_OUT_OF_MEMORY;
  if (pthread_cond_init(&pool->wake, NULL) != 0) {
    pthread_mutex_destroy(&pool->mutex);
    return TL_ERROR_OUT_OF_MEMORY;
  }
  if (pthread_cond_init(&pool->done_cv, NULL) != 0) {
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    return TL_ERROR_OUT_OF_MEMORY;
  }
  for (i = 1; i < num_threads; i++) {
    tl_worker *w = &pool->workers[i];
    w->pool = pool;
    w->index = i;
    if (pthread_create(&w->thread, NULL, tl_pool_worker, w) != 0) break; /* keep the ones started */
    pool->threads = i + 1;
  }
  *out = pool;
  return TL_OK;
}

void tl_threadpool_destroy(tl_threadpool *pool) {
  int32_t i;
  if (pool == NULL) return;
  __atomic_store_n(&pool->stop, 1, __ATOMIC_SEQ_CST);
  pool->generation++;
  __atomic_store_n(&pool->ticket, (uint64_t)pool->generation << 32, __ATOMIC_SEQ_CST); /* no tasks */
  pthread_mutex_lock(&pool->mutex);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (i = 1; i < pool->threads; i++) pthread_join(pool->workers[i].thread, NULL);
  pthread_cond_destroy(&pool->done_cv);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  pool->threads = 0;
}

int32_t tl_threadpool_threads(const tl_threadpool *pool) {
  return pool != NULL && pool->threads > 1 ? pool->threads : 1;
}

/* One job of n <= TL_POOL_MAX_TASKS tasks numbered base .. base + n - 1. */
static void tl_pool_job(tl_threadpool *pool, int32_t base, int32_t n, tl_threadpool_fn fn, void *arg) {
  int32_t i;
  __atomic_store_n(&pool->fn, fn, __ATOMIC_RELAXED);
  __atomic_store_n(&pool->arg, arg, __ATOMIC_RELAXED);
  __atomic_store_n(&pool->base, base, __ATOMIC_RELAXED);
  __atomic_store_n(&pool->done, 0, __ATOMIC_RELAXED);
  pool->generation++;
  if (pool->generation == 0) pool->generation = 1; /* 0 is the workers' "no job seen yet" */
  for (i = 0; i < pool->threads; i++) { /* thread i's share: [n * i / T, n * (i + 1) / T) */
    const uint64_t start = (uint64_t)((int64_t)n * i / pool->threads);
    const uint64_t end = (uint64_t)((int64_t)n * (i + 1) / pool->threads);
    __atomic_store_n(&pool->slots[i].range, (uint64_t)pool->generation << 32 | start << 16 | end, __ATOMIC_RELAXED);
  }
  __atomic_store_n(&pool->ticket, (uint64_t)pool->generation << 32 | (uint64_t)n, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&pool->sleepers, __ATOMIC_SEQ_CST) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
  tl_pool_work(pool, pool->generation, n, 0);
  for (i = 0; i < TL_POOL_SPIN; i++) {
    if (__atomic_load_n(&pool->done, __ATOMIC_ACQUIRE) == n) return;
    tl_cpu_relax();
  }
  pthread_mutex_lock(&pool->mutex);
  __atomic_store_n(&pool->caller_sleeping, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&pool->done, __ATOMIC_SEQ_CST) != n) pthread_cond_wait(&pool->done_cv, &pool->mutex);
  __atomic_store_n(&pool->caller_sleeping, 0, __ATOMIC_SEQ_CST);
  pthread_mutex_unlock(&pool->mutex);
}

void tl_threadpool_run(tl_threadpool *pool, int32_t n_tasks, tl_threadpool_fn fn, void *arg) {
  int32_t i;
  if (pool == NULL || pool->threads <= 1 || n_tasks <= 1) {
    for (i = 0; i < n_tasks; i++) fn(arg, i, 0);
    return;
  }
  for (i = 0; i < n_tasks; i += TL_POOL_MAX_TASKS) {
    tl_pool_job(pool, i, n_tasks - i < TL_POOL_MAX_TASKS ? n_tasks - i : TL_POOL_MAX_TASKS, fn, arg);
  }
}

#else /* threads compiled out: a pool is never made and every run is a loop on the caller's thread */

size_t tl_threadpool_bytes(int32_t num_threads) {
  (void)num_threads;
  return 0;
}

tl_status tl_threadpool_create(void *memory, int32_t num_threads, tl_threadpool **out) {
  (void)memory;
  if (out == NULL) return TL_ERROR_NULL_ARGUMENT;
  *out = NULL;
  return num_threads < 1 || num_threads > TL_MAX_THREADS ? TL_ERROR_INVALID_ARGUMENT : TL_OK;
}

void tl_threadpool_destroy(tl_threadpool *pool) { (void)pool; }

int32_t tl_threadpool_threads(const tl_threadpool *pool) {
  (void)pool;
  return 1;
}

void tl_threadpool_run(tl_threadpool *pool, int32_t n_tasks, tl_threadpool_fn fn, void *arg) {
  int32_t i;
  (void)pool;
  for (i = 0; i < n_tasks; i++) fn(arg, i, 0);
}

#endif
