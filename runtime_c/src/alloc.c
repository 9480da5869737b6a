/* alloc.c: the runtime's only calls to malloc and free.
 *
 * Both functions are weak symbols under GCC/clang (build with -DTL_NO_WEAK_ALLOC to disable), so a test
 * executable can define its own tl_malloc/tl_free to count allocations or inject failures. Interpreters
 * created with tl_interpreter_create_with_arena and models from tl_model_load_static never call either; with
 * -DTL_NO_MALLOC (bare metal) there is no heap at all and both are stubs.
 */
#if !defined(TL_NO_MALLOC) && !defined(TL_FREESTANDING)
#include <stdlib.h>
#endif

#include "tl_internal.h"

#if defined(__GNUC__) && !defined(TL_NO_WEAK_ALLOC)
#define TL_WEAK __attribute__((weak))
#else
#define TL_WEAK
#endif

#if defined(TL_NO_MALLOC) || defined(TL_FREESTANDING)
/* Bare-metal builds: no heap. Every allocation fails cleanly (TL_ERROR_OUT_OF_MEMORY); use
 * tl_model_load_static and tl_interpreter_create_with_arena, which never allocate. */
TL_WEAK void *tl_malloc(size_t bytes) {
  (void)bytes;
  return NULL;
}

TL_WEAK void tl_free(void *ptr) { (void)ptr; }
#else
TL_WEAK void *tl_malloc(size_t bytes) {
  if (bytes == 0) return NULL;
  return malloc(bytes);
}

TL_WEAK void tl_free(void *ptr) { free(ptr); }
#endif
