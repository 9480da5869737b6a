/* test_mutate: prefix truncation and seeded random mutation of valid models; nothing may crash.
 *
 *   test_mutate [--seed S] [--count N] [--truncate] [--only I] [--verbose] MODEL.tlm...
 *
 * Every model given must load, prepare and invoke cleanly. --truncate then loads every proper prefix of
 * every model (copy and no-copy) and requires TL_ERROR_TRUNCATED: a prefix of a valid file is only ever
 * "too short for what it declares". --count N applies N seeded mutations (bit flips; bytes set to 0x00,
 * 0xff, 0x7f or 0x80; overwrites of 1-8 random bytes; u32 fields set to boundary values; copies of a chunk
 * within a file; splices of one file's prefix with another's suffix) and runs each result through load ->
 * create -> prepare -> invoke (zero inputs); any status is fine, but every rejection must be a known status
 * with a message. Run under ASan+UBSan (tests/runtime/test_malformed.py) so that any out-of-bounds access, overflow or
 * leak aborts. Mutation I depends only on (seed, I): --only I --verbose reproduces one.
 * Not a ctest test (it needs model files).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"

#define MAX_MODELS 256 /* the seeds of tests/runtime/test_malformed.py: one valid model per op family and more */
#define MUTATION_ARENA_CAP ((size_t)8 << 20) /* keep mutated models from planning huge arenas */

typedef struct blob {
  unsigned char *data;
  size_t size;
} blob;

typedef struct tally {
  long by_status[500];
  long invoked;
  long failures;
} tally;

static uint64_t rng_next(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(uint64_t *state, size_t n) { return n ? (size_t)(rng_next(state) % n) : 0; }

static int read_file(const char *path, blob *out) {
  FILE *f = fopen(path, "rb");
  long n;
  if (f == NULL) return -1;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return -1;
  }
  out->data = (unsigned char *)malloc((size_t)n + 1);
  out->size = (size_t)n;
  if (out->data == NULL || (n > 0 && fread(out->data, 1, (size_t)n, f) != (size_t)n)) {
    fclose(f);
    return -1;
  }
  fclose(f);
  return 0;
}

/* Runs load -> create -> prepare -> invoke. nocopy: load from a 16-byte aligned copy without copying.
 * Returns the first failing status; *invoked is set when invoke ran. msg receives the error message. */
static tl_status run_model(const unsigned char *data, size_t size, int nocopy, int *invoked, char *msg,
                           size_t msg_size) {
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_options options;
  unsigned char *raw = NULL;
  tl_status status;
  int32_t i;

  *invoked = 0;
  msg[0] = '\0';
  if (nocopy) {
    unsigned char *aligned;
    raw = (unsigned char *)malloc(size + 16);
    if (raw == NULL) return TL_ERROR_OUT_OF_MEMORY;
    aligned = (unsigned char *)(((uintptr_t)raw + 15u) & ~(uintptr_t)15u);
    if (size > 0) memcpy(aligned, data, size);
    status = tl_model_load_nocopy(aligned, size, &model, msg, msg_size);
  } else {
    /* an exact-size heap copy, so that an over-read of the caller's bytes is caught by ASan */
    raw = (unsigned char *)malloc(size ? size : 1);
    if (raw == NULL) return TL_ERROR_OUT_OF_MEMORY;
    if (size > 0) memcpy(raw, data, size);
    status = tl_model_load(raw, size, &model, msg, msg_size);
  }
  if (status != TL_OK) goto done;
  memset(&options, 0, sizeof options);
  options.max_arena_bytes = MUTATION_ARENA_CAP;
  status = tl_interpreter_create(model, &options, &interp);
  if (status != TL_OK) goto done;
  status = tl_interpreter_prepare(interp);
  if (status != TL_OK) {
    snprintf(msg, msg_size, "%s", tl_interpreter_error(interp));
    goto done;
  }
  for (i = 0; i < tl_interpreter_input_count(interp); i++) {
    tl_tensor_info info;
    void *ptr = NULL;
    if (tl_interpreter_input_info(interp, i, &info) == TL_OK && tl_interpreter_input_data(interp, i, &ptr) == TL_OK &&
        ptr != NULL) {
      memset(ptr, 0, info.bytes);
    }
  }
  *invoked = 1;
  status = tl_interpreter_invoke(interp);
  if (status != TL_OK) snprintf(msg, msg_size, "%s", tl_interpreter_error(interp));
  /* a second invoke must succeed too (no state carried over) */
  if (status == TL_OK) status = tl_interpreter_invoke(interp);
done:
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  free(raw);
  return status;
}

/* Applies one random mutation in place; may change *size (splice). buf has room for cap bytes. */
static void mutate_once(unsigned char *buf, size_t *size, size_t cap, const blob *models, int n_models,
                        uint64_t *rng) {
  static const unsigned char bytes[] = {0x00, 0xff, 0x7f, 0x80};
  size_t n = *size, pos;
  if (n == 0) return;
  pos = rng_below(rng, n);
  switch (rng_below(rng, 6)) {
    case 0: /* bit flip */
      buf[pos] ^= (unsigned char)(1u << rng_below(rng, 8));
      break;
    case 1: /* interesting byte */
      buf[pos] = bytes[rng_below(rng, sizeof bytes)];
      break;
    case 2: { /* overwrite 1-8 random bytes */
      size_t k, len = 1 + rng_below(rng, 8);
      for (k = 0; k < len && pos + k < n; k++) buf[pos + k] = (unsigned char)rng_next(rng);
      break;
    }
    case 3: { /* an aligned u32 set to a boundary value */
      uint32_t values[8];
      uint32_t v;
      values[0] = 0;
      values[1] = 1;
      values[2] = 0x7fffffffu;
      values[3] = 0x80000000u;
      values[4] = 0xffffffffu;
      values[5] = (uint32_t)n;
      values[6] = (uint32_t)(n - 4);
      values[7] = (uint32_t)rng_below(rng, 64);
      v = values[rng_below(rng, 8)];
      pos &= ~(size_t)3;
      if (pos + 4 <= n) {
        buf[pos] = (unsigned char)v;
        buf[pos + 1] = (unsigned char)(v >> 8);
        buf[pos + 2] = (unsigned char)(v >> 16);
        buf[pos + 3] = (unsigned char)(v >> 24);
      }
      break;
    }
    case 4: { /* copy a chunk within the file */
      size_t from = rng_below(rng, n), len = 1 + rng_below(rng, 64);
      if (from + len > n) len = n - from;
      if (pos + len > n) len = n - pos;
      memmove(buf + pos, buf + from, len);
      break;
    }
    default: { /* splice: this file's prefix + another file's suffix */
      const blob *other = &models[rng_below(rng, (size_t)n_models)];
      size_t from = rng_below(rng, other->size + 1), tail = other->size - from;
      if (pos + tail > cap) tail = cap - pos;
      memcpy(buf + pos, other->data + from, tail);
      *size = pos + tail;
      break;
    }
  }
}

static int check_status(tl_status status, const char *msg, const char *what, long index) {
  const char *name = tl_status_name(status);
  if (strcmp(name, "TL_UNKNOWN_STATUS") == 0) {
    printf("FAIL %s %ld: unknown status %d\n", what, index, (int)status);
    return 1;
  }
  if (status != TL_OK && msg[0] == '\0' && status != TL_ERROR_OUT_OF_MEMORY) {
    printf("FAIL %s %ld: %s without a message\n", what, index, name);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  blob models[MAX_MODELS];
  int n_models = 0, truncate = 0, verbose = 0, i, m;
  long count = 0, only = -1, k;
  uint64_t seed = 1;
  tally t;
  char msg[512];
  size_t max_size = 0;
  unsigned char *work;

  memset(&t, 0, sizeof t);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      count = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--truncate") == 0) {
      truncate = 1;
    } else if (strcmp(argv[i], "--verbose") == 0) {
      verbose = 1;
    } else if (argv[i][0] == '-' || n_models >= MAX_MODELS) {
      fprintf(stderr, "usage: test_mutate [--seed S] [--count N] [--truncate] [--only I] [--verbose] MODEL...\n");
      return 2;
    } else {
      if (read_file(argv[i], &models[n_models]) != 0) {
        fprintf(stderr, "test_mutate: cannot read %s\n", argv[i]);
        return 2;
      }
      if (models[n_models].size > max_size) max_size = models[n_models].size;
      n_models++;
    }
  }
  if (n_models == 0) {
    fprintf(stderr, "test_mutate: no models given\n");
    return 2;
  }

  for (m = 0; m < n_models; m++) {
    int invoked;
    int nocopy;
    for (nocopy = 0; nocopy < 2; nocopy++) {
      tl_status s = run_model(models[m].data, models[m].size, nocopy, &invoked, msg, sizeof msg);
      if (s != TL_OK) {
        printf("FAIL base model %d (%s) does not run: %s: %s\n", m, nocopy ? "nocopy" : "copy", tl_status_name(s),
               msg);
        t.failures++;
      }
    }
  }

  if (truncate) {
    long prefixes = 0;
    for (m = 0; m < n_models; m++) {
      size_t n;
      for (n = 0; n < models[m].size; n++) {
        int nocopy, invoked;
        for (nocopy = 0; nocopy < 2; nocopy++) {
          tl_status s = run_model(models[m].data, n, nocopy, &invoked, msg, sizeof msg);
          prefixes++;
          if (s != TL_ERROR_TRUNCATED || msg[0] == '\0') {
            if (t.failures < 20) {
              printf("FAIL model %d prefix of %zu bytes (%s): %s: %s\n", m, n, nocopy ? "nocopy" : "copy",
                     tl_status_name(s), msg);
            }
            t.failures++;
          }
        }
      }
    }
    printf("truncation: %ld prefixes checked\n", prefixes);
  }

  work = (unsigned char *)malloc(max_size + 1);
  if (work == NULL) return 2;
  for (k = (only >= 0 ? only : 0); k < (only >= 0 ? only + 1 : count); k++) {
    uint64_t rng = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)k * 0xD1B54A32D192ED03ULL);
    const blob *base;
    size_t size;
    int rounds, r, invoked;
    tl_status s;
    if (rng == 0) rng = 1;
    rng_next(&rng);
    base = &models[rng_below(&rng, (size_t)n_models)];
    memcpy(work, base->data, base->size);
    size = base->size;
    rounds = 1 + (int)rng_below(&rng, 3);
    for (r = 0; r < rounds; r++) mutate_once(work, &size, max_size, models, n_models, &rng);
    if (verbose) {
      printf("mutation %ld: base %d, %zu bytes\n", k, (int)(base - models), size);
      fflush(stdout);
    }
    s = run_model(work, size, (int)(k & 1), &invoked, msg, sizeof msg);
    if (verbose) printf("  -> %s%s: %s\n", tl_status_name(s), invoked ? " (invoked)" : "", msg);
    t.failures += check_status(s, msg, "mutation", k);
    if ((int)s >= 0 && (int)s < 500) t.by_status[(int)s]++;
    t.invoked += invoked;
  }
  free(work);
  if (count > 0 || only >= 0) {
    printf("mutations: %ld run, %ld reached invoke; statuses:", (only >= 0 ? 1 : count), t.invoked);
    for (i = 0; i < 500; i++) {
      if (t.by_status[i]) printf(" %s=%ld", tl_status_name((tl_status)i), t.by_status[i]);
    }
    printf("\n");
  }
  for (m = 0; m < n_models; m++) free(models[m].data);
  printf("%ld failures\n", t.failures);
  return t.failures ? 1 : 0;
}
