/* tool_common.c: see tool_common.h. */
#include "tool_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tl_tool_parse_threads(const char *tool, const char *text, int32_t *num_threads) {
  char *end = NULL;
  long v;
  if (text != NULL && *text != '\0') {
    v = strtol(text, &end, 10);
    if (*end == '\0' && v >= 1 && v <= TL_MAX_THREADS) {
      *num_threads = (int32_t)v;
      return 0;
    }
  }
  fprintf(stderr, "%s: --threads needs an integer in [1, %d]\n", tool, TL_MAX_THREADS);
  return -1;
}

int tl_tool_parse_max_work(const char *tool, const char *text, uint64_t *max_work) {
  char *end = NULL;
  unsigned long long v;
  if (text != NULL && *text >= '0' && *text <= '9') {
    errno = 0;
    v = strtoull(text, &end, 10);
    if (*end == '\0' && errno == 0 && v <= UINT64_MAX) {
      *max_work = (uint64_t)v;
      return 0;
    }
  }
  fprintf(stderr, "%s: --max-work needs a non-negative integer (0: the default %llu)\n", tool,
          (unsigned long long)TL_DEFAULT_MAX_WORK);
  return -1;
}

int tl_tool_open(const char *tool, const char *path, int32_t num_threads, uint64_t max_work, tl_model **model,
                 tl_interpreter **interp) {
  char err[512];
  tl_status status;
  tl_options options;
  *model = NULL;
  *interp = NULL;
  err[0] = '\0';
  status = tl_model_load_file(path, model, err, sizeof err);
  if (status != TL_OK) {
    fprintf(stderr, "%s: cannot load %s: %s: %s\n", tool, path, tl_status_name(status), err);
    return -1;
  }
  memset(&options, 0, sizeof options); /* fields a tool does not set keep their defaults */
  options.max_work = max_work;
  options.num_threads = num_threads;
  options.kernels = tl_kernels_from_name(getenv("TENSORLET_KERNELS"));
  if (options.kernels < 0) {
    fprintf(stderr, "%s: TENSORLET_KERNELS must be auto, reference, portable, neon, avx2 or avx512\n", tool);
    tl_model_destroy(*model);
    *model = NULL;
    return -1;
  }
  status = tl_interpreter_create(*model, &options, interp);
  if (status != TL_OK) {
    fprintf(stderr, "%s: cannot create an interpreter: %s%s\n", tool, tl_status_name(status),
            status == TL_ERROR_INVALID_ARGUMENT ? " (num_threads or TENSORLET_KERNELS out of range)" : "");
    tl_model_destroy(*model);
    *model = NULL;
    return -1;
  }
  status = tl_interpreter_prepare(*interp);
  if (status != TL_OK) {
    fprintf(stderr, "%s: prepare failed: %s: %s\n", tool, tl_status_name(status), tl_interpreter_error(*interp));
    tl_interpreter_destroy(*interp);
    tl_model_destroy(*model);
    *interp = NULL;
    *model = NULL;
    return -1;
  }
  return 0;
}
