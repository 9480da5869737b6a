/* threadpool.h: a small fixed-size thread pool for splitting one kernel call over several cores.
 *
 * What this is: `num_threads - 1` worker threads created once (tl_threadpool_create, at interpreter create)
 * and joined once (tl_threadpool_destroy, at interpreter destroy); tl_threadpool_run hands them one job of
 * `n_tasks` independent tasks, works on the tasks itself too, and returns when every task is done. No
 * allocation happens in run, so ops may call it in invoke. What this is not: a scheduler (one job at a time
 * per pool; ops call run one after the other from the thread that invokes) or a general work queue.
 *
 * Threads exist only in hosted POSIX builds (pthreads: Linux, Android, macOS, BSD) with GCC or clang (the
 * pool's flags use __atomic builtins). TL_FREESTANDING, -DTL_NO_THREADS (CMake option TL_NO_THREADS) and
 * other platforms (Windows) compile the pool out: TL_HAVE_THREADS is 0, create makes a pool of one thread,
 * and run calls every task on the caller's thread, in task order. tl_options.num_threads > 1 is then
 * accepted and runs single-threaded; results are the same either way.
 *
 * Waiting: a worker that finishes a job spins (with a CPU pause hint) for a short while watching for the
 * next one before it sleeps on a condition variable, and the caller spins for the job's end before it
 * sleeps; so the jobs of one invoke, microseconds apart, do not pay a sleep/wake-up each.
 *
 * Usage:
 *   static void scale_rows(void *arg, int32_t task, int32_t thread) { ... rows of task ...; }
 *   tl_threadpool_run(pool, n_row_blocks, scale_rows, &args);   // pool may be NULL: runs inline
 * `thread` is in [0, tl_threadpool_threads(pool)): the caller is thread 0; it indexes per-thread scratch.
 * Tasks must not depend on which thread runs them, or in what order, for their results.
 */
#ifndef TL_THREADPOOL_H
#define TL_THREADPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "tensorlet.h"

#if !defined(TL_FREESTANDING) && !defined(TL_NO_THREADS) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__unix__) || defined(__APPLE__))
#define TL_HAVE_THREADS 1
#else
#define TL_HAVE_THREADS 0
#endif

typedef struct tl_threadpool tl_threadpool;

/* One task of a job. `arg` is run's arg; `task` in [0, n_tasks); `thread` in [0, threads). */
typedef void (*tl_threadpool_fn)(void *arg, int32_t task, int32_t thread);

/* Bytes of memory a pool of `num_threads` threads (caller included) occupies; 0 when it needs none (one
 * thread, or threads compiled out). num_threads must be in [1, TL_MAX_THREADS]. */
size_t tl_threadpool_bytes(int32_t num_threads);

/* Starts num_threads - 1 workers in `memory` (tl_threadpool_bytes(num_threads) bytes, 16-byte aligned, owned
 * by the caller until destroy). Sets *out to NULL (a one-thread pool: run works inline) when
 * tl_threadpool_bytes is 0. If the OS refuses a thread, the pool keeps the ones it started (possibly none):
 * tl_threadpool_threads says how many run. Returns TL_OK, or TL_ERROR_INVALID_ARGUMENT for num_threads
 * outside [1, TL_MAX_THREADS] or memory NULL when bytes are needed. */
tl_status tl_threadpool_create(void *memory, int32_t num_threads, tl_threadpool **out);

/* Stops and joins the workers. NULL is a no-op. The memory may be reused afterwards. */
void tl_threadpool_destroy(tl_threadpool *pool);

/* Threads that take part in a run, the caller included (1 for NULL). */
int32_t tl_threadpool_threads(const tl_threadpool *pool);

/* Runs fn(arg, task, thread) for every task in [0, n_tasks) and returns when all are done. The caller's
 * thread works too. NULL pool or n_tasks <= 1: runs the tasks inline, in order. Not re-entrant: fn must not
 * call run on the same pool, and only one thread at a time may call run on a pool. */
void tl_threadpool_run(tl_threadpool *pool, int32_t n_tasks, tl_threadpool_fn fn, void *arg);

#endif /* TL_THREADPOOL_H */
