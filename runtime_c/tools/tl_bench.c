/* tl_bench: latency and memory of one .tlm model on this device (no Python needed).
 *
 *   tl_bench MODEL [--runs N] [--warmup W] [--zero] [--seed S] [--threads T] [--max-work N] [--profile]
 *
 * Fills every input with seeded pseudo-random values (floats uniform in [-1, 1), integers uniform over the
 * dtype, bools 0/1) or zeros (--zero), runs W untimed and N timed invokes, and prints one "key: value" line
 * each for the model size, arena bytes, caller memory needed, and min/median/p90/mean latency in
 * microseconds, plus the load + prepare time and the model's work units (tl_interpreter_work). --threads T
 * sets tl_options.num_threads (default 1), --max-work N tl_options.max_work (default 0: the default budget).
 * --profile then runs N more invokes through tl_interpreter_invoke_profiled and prints two tables, as
 * TFLite's benchmark_model --enable_op_profiling: every op (index, type, output shape, average microseconds,
 * % of the total, fastest run's microseconds) and every op type (ops, total microseconds, %, the sum of its
 * ops' fastest runs), each sorted by average time, slowest first.
 * Exit codes, as every tensorlet tool: 0 ok, 1 model or data error, 2 usage.
 */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 199309L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tensorlet.h"
#include "tool_common.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: tl_bench MODEL [--runs N] [--warmup W] [--zero] [--seed S] [--threads T] [--max-work N]\n"
          "                [--profile]\n"
          "  Times tl_interpreter_invoke on MODEL (.tlm) with random (or --zero) inputs.\n"
          "  --threads T: threads per invoke (tl_options.num_threads, 1..64).\n"
          "  --max-work N: the work budget (tl_options.max_work; 0: the default).\n"
          "  --profile: N more invokes timed per op; prints mean and fastest time per op and per op type.\n"
          "  Defaults: --runs 100 --warmup 10 --seed 1 --threads 1. Prints model/arena bytes and\n"
          "  min/median/p90/mean latency in microseconds.\n"
          "  Exit codes: 0 ok, 1 model or data error, 2 usage.\n");
}

static int parse_count(const char *text, long min, long max, long *value) {
  char *end = NULL;
  long v;
  if (text == NULL || *text == '\0') return -1;
  v = strtol(text, &end, 10);
  if (*end != '\0' || v < min || v > max) return -1;
  *value = v;
  return 0;
}

/* xorshift64*: a small deterministic generator kept in a local state variable. */
static uint64_t next_random(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static void fill_random(void *data, const tl_tensor_info *info, uint64_t *state) {
  size_t elem = tl_dtype_size(info->dtype), n = elem ? info->bytes / elem : 0, i;
  unsigned char *p = (unsigned char *)data;
  for (i = 0; i < n; i++) {
    uint64_t r = next_random(state);
    switch (info->dtype) {
      case TL_FLOAT32: {
        float v = (float)((double)(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
        memcpy(p + 4 * i, &v, 4);
        break;
      }
      case TL_FLOAT16: {
        /* a half in [-1, 1): sign, exponent 0..14, random mantissa */
        uint16_t h = (uint16_t)(((r >> 63) << 15) | (((r >> 20) % 15u) << 10) | (r & 0x3ffu));
        memcpy(p + 2 * i, &h, 2);
        break;
      }
      case TL_BOOL: p[i] = (unsigned char)(r >> 63); break;
      default: memcpy(p + elem * i, &r, elem); break; /* integers: any bit pattern is valid */
    }
  }
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

/* Rows of the profile tables: an op (index >= 0) or an op type (index -1, count ops). */
typedef struct bench_row {
  const char *type;
  int32_t index, output, count;
  uint64_t ns;     /* summed over the runs */
  uint64_t min_ns; /* the op's fastest run (an op type: the sum of its ops' fastest) */
} bench_row;

static int compare_row(const void *a, const void *b) {
  const bench_row *x = (const bench_row *)a, *y = (const bench_row *)b;
  if (x->ns != y->ns) return x->ns < y->ns ? 1 : -1; /* slowest first */
  return (x->index > y->index) - (x->index < y->index);
}

/* Runs `runs` profiled invokes and prints the per-op and per-op-type tables; 0 or an exit code. Each run
 * is profiled into a cleared table, so that besides the average every op also gets its fastest run: on a
 * shared machine the minima show where the time goes when the averages are inflated by other load. */
static int print_profile(tl_interpreter *interp, int32_t op_count, long runs) {
  tl_op_profile *ops = (tl_op_profile *)calloc((size_t)op_count + 1, sizeof *ops);
  bench_row *rows = (bench_row *)calloc((size_t)op_count + 1, sizeof *rows);
  bench_row *types = (bench_row *)calloc((size_t)op_count + 1, sizeof *types);
  int32_t i, k, ntypes = 0;
  uint64_t total = 0, total_min = 0;
  long r;
  int rc = 0;
  if (ops == NULL || rows == NULL || types == NULL) {
    fprintf(stderr, "tl_bench: out of memory\n");
    rc = EXIT_DATA;
    goto done;
  }
  for (r = 0; r < runs; r++) {
    tl_status status;
    for (i = 0; i < op_count; i++) ops[i].ticks = 0;
    status = tl_interpreter_invoke_profiled(interp, tl_clock_monotonic_ns, NULL, ops, op_count);
    if (status != TL_OK) {
      fprintf(stderr, "tl_bench: profiled invoke failed: %s: %s\n", tl_status_name(status),
              tl_interpreter_error(interp));
      rc = EXIT_DATA;
      goto done;
    }
    for (i = 0; i < op_count; i++) {
      rows[i].ns += ops[i].ticks;
      if (r == 0 || ops[i].ticks < rows[i].min_ns) rows[i].min_ns = ops[i].ticks;
    }
  }
  for (i = 0; i < op_count; i++) {
    rows[i].type = ops[i].type;
    rows[i].index = i;
    rows[i].output = ops[i].output;
    rows[i].count = 1;
    total += rows[i].ns;
    total_min += rows[i].min_ns;
    for (k = 0; k < ntypes && strcmp(types[k].type, ops[i].type) != 0; k++) {
    }
    if (k == ntypes) {
      types[ntypes].type = ops[i].type;
      types[ntypes].index = ntypes;
      ntypes++;
    }
    types[k].count++;
    types[k].ns += rows[i].ns;
    types[k].min_ns += rows[i].min_ns;
  }
  if (total == 0) total = 1;
  qsort(rows, (size_t)op_count, sizeof *rows, compare_row);
  qsort(types, (size_t)ntypes, sizeof *types, compare_row);
  printf("profile_runs: %ld\n", runs);
  printf("profile_total_us: %.2f\n", (double)total / 1e3 / (double)runs);
  printf("profile_total_min_us: %.2f\n", (double)total_min / 1e3);
  printf("profile per op (slowest first):\n");
  printf("  %5s  %-22s  %-20s  %10s  %6s  %10s\n", "index", "type", "output shape", "avg_us", "%", "min_us");
  for (i = 0; i < op_count; i++) {
    char shape[64] = "-";
    tl_tensor_info info;
    if (rows[i].output >= 0 && tl_interpreter_tensor_info(interp, rows[i].output, &info) == TL_OK) {
      size_t used = 0;
      shape[used++] = '[';
      for (k = 0; k < info.rank && used + 13 < sizeof shape; k++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, k ? ",%d" : "%d", (int)info.dims[k]);
      snprintf(shape + used, sizeof shape - used, "]");
    }
    printf("  %5d  %-22s  %-20s  %10.2f  %6.2f  %10.2f\n", (int)rows[i].index, rows[i].type, shape,
           (double)rows[i].ns / 1e3 / (double)runs, 100.0 * (double)rows[i].ns / (double)total,
           (double)rows[i].min_ns / 1e3);
  }
  printf("profile per op type (slowest first):\n");
  printf("  %-22s  %5s  %10s  %6s  %10s\n", "type", "count", "total_us", "%", "min_us");
  for (k = 0; k < ntypes; k++)
    printf("  %-22s  %5d  %10.2f  %6.2f  %10.2f\n", types[k].type, (int)types[k].count,
           (double)types[k].ns / 1e3 / (double)runs, 100.0 * (double)types[k].ns / (double)total,
           (double)types[k].min_ns / 1e3);
done:
  free(ops);
  free(rows);
  free(types);
  return rc;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *model_path = NULL;
  long runs = 100, warmup = 10, seed = 1;
  int zero = 0, profile = 0, i, rc = EXIT_OK;
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_status status;
  double *times = NULL, sum = 0.0, prepare_us;
  uint64_t state;
  int32_t k, threads = 1;
  uint64_t max_work = 0;

  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return EXIT_OK;
    } else if (strcmp(arg, "--zero") == 0) {
      zero = 1;
    } else if (strcmp(arg, "--profile") == 0) {
      profile = 1;
    } else if (strcmp(arg, "--threads") == 0) {
      if (i + 1 >= argc || tl_tool_parse_threads("tl_bench", argv[i + 1], &threads) != 0) {
        usage(stderr);
        return EXIT_USAGE;
      }
      i++;
    } else if (strcmp(arg, "--max-work") == 0) {
      if (i + 1 >= argc || tl_tool_parse_max_work("tl_bench", argv[i + 1], &max_work) != 0) {
        usage(stderr);
        return EXIT_USAGE;
      }
      i++;
    } else if (strcmp(arg, "--runs") == 0 || strcmp(arg, "--warmup") == 0 || strcmp(arg, "--seed") == 0) {
      long *target = arg[2] == 'r' ? &runs : (arg[2] == 'w' ? &warmup : &seed);
      long min = arg[2] == 'r' ? 1 : 0;
      if (i + 1 >= argc || parse_count(argv[i + 1], min, 100000000L, target) != 0) {
        fprintf(stderr, "tl_bench: %s needs an integer >= %ld\n", arg, min);
        usage(stderr);
        return EXIT_USAGE;
      }
      i++;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      fprintf(stderr, "tl_bench: unknown option %s\n", arg);
      usage(stderr);
      return EXIT_USAGE;
    } else if (model_path == NULL) {
      model_path = arg;
    } else {
      fprintf(stderr, "tl_bench: more than one model given (%s)\n", arg);
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (model_path == NULL) {
    usage(stderr);
    return EXIT_USAGE;
  }

  prepare_us = now_us();
  if (tl_tool_open("tl_bench", model_path, threads, max_work, &model, &interp) != 0) return EXIT_DATA;
  prepare_us = now_us() - prepare_us;
  state = 0x9E3779B97F4A7C15ULL ^ (uint64_t)seed;
  if (state == 0) state = 1;
  for (k = 0; k < tl_interpreter_input_count(interp); k++) {
    void *data = NULL;
    tl_tensor_info info;
    if (tl_interpreter_input_info(interp, k, &info) != TL_OK || tl_interpreter_input_data(interp, k, &data) != TL_OK ||
        data == NULL) {
      fprintf(stderr, "tl_bench: cannot access input %d: %s\n", (int)k, tl_interpreter_error(interp));
      rc = EXIT_DATA;
      goto done;
    }
    if (zero) {
      memset(data, 0, info.bytes);
    } else {
      fill_random(data, &info, &state);
    }
  }
  times = (double *)malloc((size_t)runs * sizeof *times);
  if (times == NULL) {
    fprintf(stderr, "tl_bench: out of memory\n");
    rc = EXIT_DATA;
    goto done;
  }
  for (i = 0; i < warmup + runs; i++) {
    double start = now_us();
    status = tl_interpreter_invoke(interp);
    if (status != TL_OK) {
      fprintf(stderr, "tl_bench: invoke failed: %s: %s\n", tl_status_name(status), tl_interpreter_error(interp));
      rc = EXIT_DATA;
      goto done;
    }
    if (i >= warmup) {
      times[i - warmup] = now_us() - start;
      sum += times[i - warmup];
    }
  }
  qsort(times, (size_t)runs, sizeof *times, compare_double);
  printf("model: %s\n", model_path);
  printf("model_bytes: %zu\n", tl_model_size_bytes(model));
  printf("arena_bytes: %zu\n", tl_interpreter_arena_bytes(interp));
  printf("required_memory_bytes: %zu\n", tl_interpreter_required_memory_bytes(interp));
  printf("inputs: %s\n", zero ? "zero" : "random");
  printf("work: %llu\n", (unsigned long long)tl_interpreter_work(interp));
  printf("load_prepare_us: %.2f\n", prepare_us);
  printf("threads: %d\n", (int)threads);
  printf("runs: %ld\n", runs);
  printf("warmup: %ld\n", warmup);
  printf("min_us: %.2f\n", times[0]);
  printf("median_us: %.2f\n", runs % 2 ? times[runs / 2] : 0.5 * (times[runs / 2 - 1] + times[runs / 2]));
  /* p90: nearest-rank definition, the smallest sample with at least 90% of samples at or below it */
  printf("p90_us: %.2f\n", times[(runs * 9 + 9) / 10 - 1]);
  printf("mean_us: %.2f\n", sum / (double)runs);
  if (profile) rc = print_profile(interp, tl_model_op_count(model), runs);
done:
  free(times);
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return rc;
}
