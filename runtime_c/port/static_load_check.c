/* static_load_check.c: host check of the bare-metal paths, built with -DTL_FREESTANDING together with the
 * library sources (tests/build/test_cortex_m.py).
 *
 * Checks: tl_model_load_static refuses too little memory with TL_ERROR_ARENA_TOO_SMALL naming the bytes it
 * needs, succeeds with exactly that at any base address, refuses misaligned model bytes; a static model plus a
 * create_with_arena interpreter never calls tl_malloc and gives the same outputs as the malloc path; the
 * library's own formatter (util.c) formats what the messages use. Prints "ok" and returns 0, or names the
 * first failed check and returns 1. Usage: static_load_check MODEL.tlm (one int8 or float32 input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorlet.h"
#include "tl_internal.h"

static long tl_check_mallocs;

/* counts every allocation of the library (overrides alloc.c's weak stubs) */
void *tl_malloc(size_t bytes) {
  tl_check_mallocs++;
  return bytes ? malloc(bytes) : NULL;
}

void tl_free(void *ptr) { free(ptr); }

#define CHECK(cond)                                         \
  do {                                                      \
    if (!(cond)) {                                          \
      printf("check failed line %d: %s\n", __LINE__, #cond); \
      return 1;                                             \
    }                                                       \
  } while (0)

static int tl_check_formatter(void) {
  char b[64];
  CHECK(tl_snprintf(b, sizeof b, "%d|%u|%lld|%llu|%s|%ld|%lu", -42, 7u, -5000000000LL, 18446744073709551615ULL,
                    "x", -3L, 9UL) > 0);
  CHECK(strcmp(b, "-42|7|-5000000000|18446744073709551615|x|-3|9") == 0);
  tl_snprintf(b, sizeof b, "%g %g %g %g %g", 0.5, 1e-7, 123456.0, -2.0, 1e30);
  CHECK(strcmp(b, "0.5 1e-07 123456 -2 1e+30") == 0);
  CHECK(tl_snprintf(b, 4, "%s", "abcdef") == 6 && strcmp(b, "abc") == 0);
  tl_snprintf(b, sizeof b, "%zu %% %c", (size_t)12, 'q');
  CHECK(strcmp(b, "12 % q") == 0);
  return 0;
}

int main(int argc, char **argv) {
  static unsigned char memory[1 << 16], interp_mem[1 << 20], file[1 << 20];
  unsigned char *model_bytes = file + (16u - ((uintptr_t)file % 16u)) % 16u;
  unsigned char in[1 << 14], out_heap[1 << 12], out_static[1 << 12];
  char err[256];
  const char *needs;
  tl_model *heap = NULL, *stat = NULL;
  tl_interpreter *ih = NULL, *is = NULL;
  tl_tensor_info info, oinfo;
  size_t size, need, k;
  FILE *f;
  if (tl_check_formatter() != 0) return 1;
  if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) return 1;
  size = fread(model_bytes, 1, sizeof file - 16u, f);
  fclose(f);

  CHECK(tl_model_load_static(model_bytes, size, memory, 64, &stat, err, sizeof err) == TL_ERROR_ARENA_TOO_SMALL);
  CHECK(tl_model_load_static(model_bytes, size, memory, 512, &stat, err, sizeof err) == TL_ERROR_ARENA_TOO_SMALL);
  CHECK(stat == NULL && (needs = strstr(err, "needs ")) != NULL);
  need = (size_t)strtoul(needs + 6, NULL, 10);
  CHECK(need > 512 && need < sizeof memory);
  CHECK(tl_model_load_static(model_bytes + 1, size - 1, memory, sizeof memory, &stat, err, sizeof err) ==
        TL_ERROR_MISALIGNED);
  tl_check_mallocs = 0;
  CHECK(tl_model_load_static(model_bytes, size, memory + 1, need, &stat, err, sizeof err) == TL_OK);
  CHECK(tl_model_memory_bytes(stat) <= need && tl_model_memory_bytes(stat) + 16u > need);
  CHECK(tl_interpreter_create_with_arena(stat, NULL, interp_mem, sizeof interp_mem, &is) == TL_OK);
  CHECK(tl_interpreter_prepare(is) == TL_OK);
  CHECK(tl_interpreter_input_info(is, 0, &info) == TL_OK && info.bytes <= sizeof in);
  CHECK(tl_interpreter_output_info(is, 0, &oinfo) == TL_OK && oinfo.bytes <= sizeof out_static);
  for (k = 0; k < info.bytes; k++) in[k] = (unsigned char)(k * 7u);
  if (info.dtype == TL_FLOAT32) {
    for (k = 0; k + 4 <= info.bytes; k += 4) {
      float v = (float)(k % 97u) / 97.0f;
      memcpy(in + k, &v, 4);
    }
  }
  CHECK(tl_interpreter_set_input(is, 0, in, info.bytes, info.dtype) == TL_OK);
  CHECK(tl_interpreter_invoke(is) == TL_OK);
  CHECK(tl_interpreter_get_output(is, 0, out_static, oinfo.bytes, oinfo.dtype) == TL_OK);
  CHECK(tl_check_mallocs == 0);

  CHECK(tl_model_load(model_bytes, size, &heap, err, sizeof err) == TL_OK);
  CHECK(tl_check_mallocs > 0 && tl_model_memory_bytes(heap) == 0);
  CHECK(tl_interpreter_create(heap, NULL, &ih) == TL_OK && tl_interpreter_prepare(ih) == TL_OK);
  CHECK(tl_interpreter_set_input(ih, 0, in, info.bytes, info.dtype) == TL_OK);
  CHECK(tl_interpreter_invoke(ih) == TL_OK);
  CHECK(tl_interpreter_get_output(ih, 0, out_heap, oinfo.bytes, oinfo.dtype) == TL_OK);
  CHECK(memcmp(out_heap, out_static, oinfo.bytes) == 0);
  tl_interpreter_destroy(ih);
  tl_model_destroy(heap);
  tl_interpreter_destroy(is);
  tl_model_destroy(stat);
  tl_model_destroy(stat); /* releases nothing: the memory is the caller's (a second destroy is harmless) */
  printf("ok need=%lu\n", (unsigned long)need);
  return 0;
}
