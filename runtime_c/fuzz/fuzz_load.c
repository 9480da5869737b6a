/* fuzz_load: libFuzzer target, raw bytes -> load -> create -> prepare -> invoke (zero inputs).
 *
 * Built by CMake with -DTL_BUILD_FUZZ=ON -DTL_SANITIZE=ON and clang (-fsanitize=fuzzer,address,undefined).
 * Run with a seed corpus of valid models: ./fuzz_load -max_total_time=60 -rss_limit_mb=1024 corpus/
 * Every input is a model a stranger could send: the runtime must reject it or run it, never crash, leak or
 * read out of bounds. The arena is capped so that mutated dims cannot make one input take seconds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tensorlet.h"

#define FUZZ_ARENA_CAP ((size_t)8 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_options options;
  char err[256];
  int32_t i;

  if (tl_model_load(data, size, &model, err, sizeof err) != TL_OK) return 0;
  memset(&options, 0, sizeof options);
  options.max_arena_bytes = FUZZ_ARENA_CAP;
  if (tl_interpreter_create(model, &options, &interp) == TL_OK && tl_interpreter_prepare(interp) == TL_OK) {
    for (i = 0; i < tl_interpreter_input_count(interp); i++) {
      tl_tensor_info info;
      void *ptr = NULL;
      if (tl_interpreter_input_info(interp, i, &info) == TL_OK && tl_interpreter_input_data(interp, i, &ptr) == TL_OK &&
          ptr != NULL) {
        memset(ptr, 0, info.bytes);
      }
    }
    (void)tl_interpreter_invoke(interp);
  }
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return 0;
}
