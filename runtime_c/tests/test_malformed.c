/* test_malformed: runs the malformed-model corpus written by tests/malformed_cases.py.
 *
 *   test_malformed DIR [-v]
 *
 * DIR/manifest.txt has one line per case: "<name> <STATUS>[|<STATUS>...] <mode>"; the model is DIR/<name>.tlm.
 * Each case goes load -> create -> prepare (and, when that succeeds, invoke with zero inputs); the first
 * non-OK status must be one of the accepted names, and every rejection at load or prepare must come with a
 * message. Modes: "copy" (tl_model_load), "nocopy_misaligned" (tl_model_load_nocopy on a pointer one byte
 * past 16-byte alignment), "cap4096" (tl_options.max_arena_bytes = 4096).
 * Prints one line per mismatch (name, expected, got, phase, message) and a summary; exits 1 on any mismatch.
 * Not a ctest test: tests/runtime/test_malformed.py generates the corpus and runs this driver (native, ASan, armhf).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"

#define LINE_MAX_LEN 1024

typedef struct case_result {
  tl_status status;
  const char *phase;
  char message[512];
} case_result;

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

/* Runs one case; fills res with the first failing status (or TL_OK) and where it happened. */
static void run_case(const unsigned char *data, size_t size, const char *mode, case_result *res) {
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_options options;
  unsigned char *raw = NULL;
  const tl_options *opts = NULL;
  int32_t i;

  res->message[0] = '\0';
  res->phase = "load";
  if (strcmp(mode, "nocopy_misaligned") == 0) {
    uintptr_t p;
    raw = (unsigned char *)malloc(size + 32);
    if (raw == NULL) {
      res->status = TL_ERROR_OUT_OF_MEMORY;
      return;
    }
    p = ((uintptr_t)raw + 15u) & ~(uintptr_t)15u;
    memcpy((unsigned char *)p + 1, data, size);
    res->status = tl_model_load_nocopy((unsigned char *)p + 1, size, &model, res->message, sizeof res->message);
  } else {
    res->status = tl_model_load(data, size, &model, res->message, sizeof res->message);
  }
  if (res->status != TL_OK) goto done;
  if (strcmp(mode, "cap4096") == 0) {
    memset(&options, 0, sizeof options);
    options.max_arena_bytes = 4096;
    opts = &options;
  }
  res->phase = "create";
  res->status = tl_interpreter_create(model, opts, &interp);
  if (res->status != TL_OK) goto done;
  res->phase = "prepare";
  res->status = tl_interpreter_prepare(interp);
  if (res->status != TL_OK) {
    snprintf(res->message, sizeof res->message, "%s", tl_interpreter_error(interp));
    goto done;
  }
  res->phase = "invoke";
  for (i = 0; i < tl_interpreter_input_count(interp); i++) {
    tl_tensor_info info;
    void *ptr = NULL;
    if (tl_interpreter_input_info(interp, i, &info) == TL_OK && tl_interpreter_input_data(interp, i, &ptr) == TL_OK &&
        ptr != NULL) {
      memset(ptr, 0, info.bytes);
    }
  }
  res->status = tl_interpreter_invoke(interp);
  if (res->status != TL_OK) snprintf(res->message, sizeof res->message, "%s", tl_interpreter_error(interp));
done:
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  free(raw);
}

static int status_accepted(const char *got, const char *expected_list) {
  const char *p = expected_list;
  size_t len = strlen(got);
  while (*p) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == len && strncmp(p, got, n) == 0) return 1;
    if (!bar) break;
    p = bar + 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  char path[4096], line[LINE_MAX_LEN];
  FILE *manifest;
  int verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
  int total = 0, bad = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: test_malformed DIR [-v]\n");
    return 2;
  }
  snprintf(path, sizeof path, "%s/manifest.txt", argv[1]);
  manifest = fopen(path, "r");
  if (manifest == NULL) {
    fprintf(stderr, "test_malformed: cannot open %s\n", path);
    return 2;
  }
  while (fgets(line, sizeof line, manifest) != NULL) {
    char name[256], expected[512], mode[64];
    unsigned char *data;
    size_t size = 0;
    case_result res;
    const char *got;
    int ok;
    if (sscanf(line, "%255s %511s %63s", name, expected, mode) != 3) continue;
    snprintf(path, sizeof path, "%s/%s.tlm", argv[1], name);
    data = read_file(path, &size);
    if (data == NULL) {
      printf("MISSING %s (%s)\n", name, path);
      bad++;
      total++;
      continue;
    }
    run_case(data, size, mode, &res);
    free(data);
    got = tl_status_name(res.status);
    ok = status_accepted(got, expected);
    /* A rejection at load or prepare must say what is wrong. */
    if (ok && res.status != TL_OK && res.message[0] == '\0' && strcmp(res.phase, "create") != 0) {
      printf("NO-MESSAGE %s: %s at %s has an empty error message\n", name, got, res.phase);
      ok = 0;
    }
    if (!ok) {
      printf("MISMATCH %s: expected %s, got %s at %s: %s\n", name, expected, got, res.phase, res.message);
      bad++;
    } else if (verbose) {
      printf("ok %s: %s at %s: %s\n", name, got, res.phase, res.message);
    }
    total++;
  }
  fclose(manifest);
  printf("%d cases, %d mismatches\n", total, bad);
  return (bad == 0 && total > 0) ? 0 : 1;
}
