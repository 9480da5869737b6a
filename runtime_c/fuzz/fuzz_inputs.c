/* fuzz_inputs: libFuzzer target, one valid model (TL_FUZZ_MODEL=path) run on fuzzed input values.
 *
 * The model is loaded and prepared once; each fuzz input is spread over the graph inputs (cycled when
 * shorter, so NaN, Inf, huge and denormal floats all occur) and invoked. A prepared valid model must invoke
 * successfully on any input values, and sanitizers catch any UB on the way (for example a float -> int8
 * conversion that is not clamped before the cast). An invoke error aborts, which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's one model and interpreter (libFuzzer calls the target in one process). */
static tl_model *fuzz_model = NULL;
static tl_interpreter *fuzz_interp = NULL;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *path = getenv("TL_FUZZ_MODEL");
  char err[256];
  (void)argc;
  (void)argv;
  if (path == NULL) {
    fprintf(stderr, "fuzz_inputs: set TL_FUZZ_MODEL to a valid .tlm file\n");
    exit(2);
  }
  if (tl_model_load_file(path, &fuzz_model, err, sizeof err) != TL_OK) {
    fprintf(stderr, "fuzz_inputs: cannot load %s: %s\n", path, err);
    exit(2);
  }
  if (tl_interpreter_create(fuzz_model, NULL, &fuzz_interp) != TL_OK || tl_interpreter_prepare(fuzz_interp) != TL_OK) {
    fprintf(stderr, "fuzz_inputs: cannot prepare %s: %s\n", path, tl_interpreter_error(fuzz_interp));
    exit(2);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int32_t i;
  tl_status status;
  if (size == 0) return 0;
  for (i = 0; i < tl_interpreter_input_count(fuzz_interp); i++) {
    tl_tensor_info info;
    void *ptr = NULL;
    size_t k;
    if (tl_interpreter_input_info(fuzz_interp, i, &info) != TL_OK ||
        tl_interpreter_input_data(fuzz_interp, i, &ptr) != TL_OK || ptr == NULL) {
      abort();
    }
    for (k = 0; k < info.bytes; k++) ((uint8_t *)ptr)[k] = data[k % size];
  }
  status = tl_interpreter_invoke(fuzz_interp);
  if (status != TL_OK) {
    fprintf(stderr, "fuzz_inputs: invoke failed: %s: %s\n", tl_status_name(status), tl_interpreter_error(fuzz_interp));
    abort();
  }
  return 0;
}
