/* test_geometry_models: runs models with extreme window geometry at every kernel level and thread count.
 *
 *   test_geometry_models DIR LEVELS [-v]
 *
 * DIR/manifest.txt has one line per case: "<name> <STATUS>[|<STATUS>...]"; the model is DIR/<name>.tlm.
 * LEVELS is a comma-separated list of tl_kernels names ("reference,portable,avx2,avx512"). Each case goes
 * load -> create (tl_options.kernels = level, num_threads 1 and 2) -> prepare -> invoke, with every input
 * filled by a fixed pattern (float: multiples of 0.5 in [-1, 1]; int8: a byte ramp). The first non-OK status
 * must be one of the STATUS names, the same at every level and thread count, and a rejection must come with
 * a message; when the case runs, every output must be byte-identical to the reference kernels' output at
 * one thread (tests/runtime/test_hardening_geometry.py writes models whose float sums are exact in any order).
 * Prints "REJECT <name> <STATUS>: <message>" once per rejected case, one line per mismatch and "N cases,
 * M mismatches, R runs"; exits 1 on a mismatch. Not a ctest test (TL_DRIVER_TESTS in CMakeLists.txt):
 * tests/runtime/test_hardening_geometry.py runs it natively, under ASan+UBSan and on armhf under qemu.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"

#define MAX_OUTPUTS 8

typedef struct run_result {
  tl_status status;
  const char *phase;
  char message[512];
  int32_t n_out;
  unsigned char *out[MAX_OUTPUTS]; /* malloc'd copies of the outputs when status is TL_OK */
  size_t out_bytes[MAX_OUTPUTS];
} run_result;

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  unsigned char *data;
  long n;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  data = (unsigned char *)malloc((size_t)n + 1); /* +1: never malloc(0) */
  if (data == NULL || (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n)) {
    free(data);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return data;
}

static void free_result(run_result *r) {
  for (int32_t i = 0; i < r->n_out; i++) free(r->out[i]);
  r->n_out = 0;
}

/* Fixed inputs: float elements (i % 5 - 2) * 0.5, int8 bytes (i * 37) mod 256, other dtypes zero. */
static void fill_input(void *ptr, const tl_tensor_info *info) {
  if (info->dtype == TL_FLOAT32) {
    float *f = (float *)ptr;
    for (size_t i = 0; i < info->bytes / sizeof(float); i++) f[i] = (float)((int)(i % 5) - 2) * 0.5f;
  } else if (info->dtype == TL_INT8) {
    unsigned char *b = (unsigned char *)ptr;
    for (size_t i = 0; i < info->bytes; i++) b[i] = (unsigned char)(i * 37u);
  } else {
    memset(ptr, 0, info->bytes);
  }
}

static void run_once(const unsigned char *data, size_t size, int32_t kernels, int32_t threads, run_result *res) {
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_options options;
  memset(res, 0, sizeof *res);
  res->phase = "load";
  res->status = tl_model_load(data, size, &model, res->message, sizeof res->message);
  if (res->status != TL_OK) goto done;
  memset(&options, 0, sizeof options);
  options.kernels = kernels;
  options.num_threads = threads;
  res->phase = "create";
  res->status = tl_interpreter_create(model, &options, &interp);
  if (res->status != TL_OK) goto done;
  res->phase = "prepare";
  res->status = tl_interpreter_prepare(interp);
  if (res->status != TL_OK) {
    snprintf(res->message, sizeof res->message, "%s", tl_interpreter_error(interp));
    goto done;
  }
  res->phase = "invoke";
  for (int32_t i = 0; i < tl_interpreter_input_count(interp); i++) {
    tl_tensor_info info;
    void *ptr = NULL;
    if (tl_interpreter_input_info(interp, i, &info) == TL_OK && tl_interpreter_input_data(interp, i, &ptr) == TL_OK &&
        ptr != NULL)
      fill_input(ptr, &info);
  }
  res->status = tl_interpreter_invoke(interp);
  if (res->status != TL_OK) {
    snprintf(res->message, sizeof res->message, "%s", tl_interpreter_error(interp));
    goto done;
  }
  for (int32_t i = 0; i < tl_interpreter_output_count(interp) && i < MAX_OUTPUTS; i++) {
    tl_tensor_info info;
    const void *ptr = NULL;
    if (tl_interpreter_output_info(interp, i, &info) != TL_OK || tl_interpreter_output_data(interp, i, &ptr) != TL_OK)
      continue;
    res->out[i] = (unsigned char *)malloc(info.bytes + 1);
    if (res->out[i] != NULL && ptr != NULL) memcpy(res->out[i], ptr, info.bytes);
    res->out_bytes[i] = info.bytes;
    res->n_out = i + 1;
  }
done:
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
}

/* 1 when name is one of the '|'-separated names in list. */
static int status_in(const char *name, const char *list) {
  const size_t len = strlen(name);
  for (const char *p = list; *p != '\0';) {
    const char *bar = strchr(p, '|');
    const size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == len && strncmp(p, name, n) == 0) return 1;
    if (bar == NULL) break;
    p = bar + 1;
  }
  return 0;
}

/* 1 when got's status is one of want's and equals the reference run's, and its outputs equal ref's. */
static int check_run(const char *name, const char *level, int32_t threads, const char *want, const run_result *ref,
                     const run_result *got) {
  const char *got_name = tl_status_name(got->status);
  if (!status_in(got_name, want) || got->status != ref->status) {
    printf("MISMATCH %s [%s, %d threads]: expected %s, got %s at %s: %s\n", name, level, threads, want, got_name,
           got->phase, got->message);
    return 0;
  }
  if (got->status != TL_OK) {
    if (got->message[0] == '\0') {
      printf("NO-MESSAGE %s [%s, %d threads]: %s at %s\n", name, level, threads, got_name, got->phase);
      return 0;
    }
    return 1;
  }
  if (got->n_out != ref->n_out) {
    printf("MISMATCH %s [%s, %d threads]: %d outputs, reference %d\n", name, level, threads, got->n_out, ref->n_out);
    return 0;
  }
  for (int32_t i = 0; i < got->n_out; i++) {
    if (got->out_bytes[i] != ref->out_bytes[i] || got->out[i] == NULL || ref->out[i] == NULL ||
        memcmp(got->out[i], ref->out[i], got->out_bytes[i]) != 0) {
      size_t at = 0;
      while (at < got->out_bytes[i] && at < ref->out_bytes[i] && got->out[i] && ref->out[i] &&
             got->out[i][at] == ref->out[i][at])
        at++;
      printf("MISMATCH %s [%s, %d threads]: output %d differs from the reference kernels' (first at byte %zu)\n", name,
             level, threads, i, at);
      return 0;
    }
  }
  return 1;
}

int main(int argc, char **argv) {
  char path[4096], line[1024], levels[256];
  FILE *manifest;
  int verbose = argc > 3 && strcmp(argv[3], "-v") == 0;
  int total = 0, bad = 0, runs = 0;
  const char *level_names[8];
  int32_t level_ids[8], n_levels = 0;

  if (argc < 3) {
    fprintf(stderr, "usage: test_geometry_models DIR LEVELS [-v]\n");
    return 2;
  }
  snprintf(levels, sizeof levels, "%s", argv[2]);
  for (char *tok = strtok(levels, ","); tok != NULL && n_levels < 8; tok = strtok(NULL, ",")) {
    const int32_t id = tl_kernels_from_name(tok);
    if (id <= 0) {
      fprintf(stderr, "test_geometry_models: unknown kernel level %s\n", tok);
      return 2;
    }
    level_names[n_levels] = tok;
    level_ids[n_levels++] = id;
  }
  snprintf(path, sizeof path, "%s/manifest.txt", argv[1]);
  manifest = fopen(path, "r");
  if (manifest == NULL) {
    fprintf(stderr, "test_geometry_models: cannot open %s\n", path);
    return 2;
  }
  while (fgets(line, sizeof line, manifest) != NULL) {
    char name[256], want[256];
    unsigned char *data;
    size_t size = 0;
    run_result ref;
    int ok = 1;
    if (sscanf(line, "%255s %255s", name, want) != 2) continue;
    snprintf(path, sizeof path, "%s/%s.tlm", argv[1], name);
    data = read_file(path, &size);
    total++;
    if (data == NULL) {
      printf("MISSING %s (%s)\n", name, path);
      bad++;
      continue;
    }
    run_once(data, size, TL_KERNELS_REFERENCE, 1, &ref);
    runs++;
    ok = check_run(name, "reference", 1, want, &ref, &ref);
    if (ok && ref.status != TL_OK) printf("REJECT %s %s: %s\n", name, tl_status_name(ref.status), ref.message);
    /* every level runs even after a mismatch: a kernel that reads out of bounds must crash this run */
    for (int32_t l = 0; l < n_levels; l++) {
      for (int32_t threads = 1; threads <= 2; threads++) {
        run_result got;
        if (level_ids[l] == TL_KERNELS_REFERENCE && threads == 1) continue;
        if (verbose) printf("run %s [%s, %d threads]\n", name, level_names[l], threads);
        fflush(stdout);
        run_once(data, size, level_ids[l], threads, &got);
        runs++;
        ok &= check_run(name, level_names[l], threads, want, &ref, &got);
        free_result(&got);
      }
    }
    if (ok && verbose) printf("ok %s: %s\n", name, want);
    bad += !ok;
    free_result(&ref);
    free(data);
  }
  fclose(manifest);
  printf("%d cases, %d mismatches, %d runs\n", total, bad, runs);
  return (bad == 0 && total > 0) ? 0 : 1;
}
