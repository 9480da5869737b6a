/* fuzz_load: libFuzzer target, raw bytes -> load -> create -> prepare -> invoke (zero inputs).
 *
 * Built by CMake with -DTL_BUILD_FUZZ=ON -DTL_SANITIZE=ON and clang (-fsanitize=fuzzer,address,undefined).
 * Run with a seed corpus of valid models: ./fuzz_load -max_total_time=60 -rss_limit_mb=1024 corpus/
 * Every input is a model a stranger could send: the runtime must reject it or run it, never crash, leak or
 * read out of bounds. The arena is capped so that mutated dims cannot make one input take seconds.
 *
 * Memory: this target replaces the runtime's weak tl_malloc/tl_free with counting ones. After a successful
 * prepare the interpreter may hold no more than tl_interpreter_required_memory_bytes() declares (plus the
 * alignment slack of its three blocks), and invoke allocates nothing; either breach traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"

#define FUZZ_ARENA_CAP ((size_t)8 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void *tl_malloc(size_t bytes);
void tl_free(void *ptr);

/* bytes the runtime holds through tl_malloc (each block carries its size in a 16-byte header) */
static size_t fuzz_live_bytes;

void *tl_malloc(size_t bytes) {
  size_t *block;
  if (bytes == 0 || bytes > SIZE_MAX - 16u) return NULL;
  block = (size_t *)malloc(bytes + 16u);
  if (block == NULL) return NULL;
  block[0] = bytes;
  fuzz_live_bytes += bytes;
  return (unsigned char *)block + 16;
}

void tl_free(void *ptr) {
  size_t *block;
  if (ptr == NULL) return;
  block = (size_t *)(void *)((unsigned char *)ptr - 16);
  fuzz_live_bytes -= block[0];
  free(block);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_options options;
  char err[256];
  int32_t i;
  size_t model_bytes, prepared_bytes;

  if (tl_model_load(data, size, &model, err, sizeof err) != TL_OK) return 0;
  model_bytes = fuzz_live_bytes;
  memset(&options, 0, sizeof options);
  options.max_arena_bytes = FUZZ_ARENA_CAP;
  if (tl_interpreter_create(model, &options, &interp) == TL_OK && tl_interpreter_prepare(interp) == TL_OK) {
    /* the interpreter's blocks: its struct, the thread pool, the tables and the arena, each + 15 to align */
    prepared_bytes = fuzz_live_bytes;
    if (prepared_bytes - model_bytes > tl_interpreter_required_memory_bytes(interp) + 64u) __builtin_trap();
    for (i = 0; i < tl_interpreter_input_count(interp); i++) {
      tl_tensor_info info;
      void *ptr = NULL;
      if (tl_interpreter_input_info(interp, i, &info) == TL_OK && tl_interpreter_input_data(interp, i, &ptr) == TL_OK &&
          ptr != NULL) {
        memset(ptr, 0, info.bytes);
      }
    }
    (void)tl_interpreter_invoke(interp);
    if (fuzz_live_bytes != prepared_bytes) __builtin_trap(); /* invoke allocated or freed */
  }
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return 0;
}
