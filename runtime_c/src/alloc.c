/* alloc.c: the runtime's only calls to malloc and free.
 *
 * Both functions are weak symbols under GCC/clang (build with -DTL_NO_WEAK_ALLOC to disable), so a test
 * executable can define its own tl_malloc/tl_free to count allocations or inject failures. Interpreters
 * created with tl_interpreter_create_with_arena never call either.
 */
#include <stdlib.h>

#include "tl_internal.h"

#if defined(__GNUC__) && !defined(TL_NO_WEAK_ALLOC)
#define TL_WEAK __attribute__((weak))
#else
#define TL_WEAK
#endif

TL_WEAK void *tl_malloc(size_t bytes) {
  if (bytes == 0) return NULL;
  return malloc(bytes);
}

TL_WEAK void tl_free(void *ptr) { free(ptr); }
