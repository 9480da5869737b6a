/* util.c: status and dtype names, the version string, error messages and checked size arithmetic.
 *
 * What this is: small leaf helpers used everywhere. What this is not: anything that reads a model.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tl_internal.h"

const char *tl_status_name(tl_status status) {
  switch (status) {
    case TL_OK: return "TL_OK";
    case TL_ERROR_NULL_ARGUMENT: return "TL_ERROR_NULL_ARGUMENT";
    case TL_ERROR_INVALID_ARGUMENT: return "TL_ERROR_INVALID_ARGUMENT";
    case TL_ERROR_BAD_STATE: return "TL_ERROR_BAD_STATE";
    case TL_ERROR_DTYPE_MISMATCH: return "TL_ERROR_DTYPE_MISMATCH";
    case TL_ERROR_SIZE_MISMATCH: return "TL_ERROR_SIZE_MISMATCH";
    case TL_ERROR_NOT_FOUND: return "TL_ERROR_NOT_FOUND";
    case TL_ERROR_BUSY: return "TL_ERROR_BUSY";
    case TL_ERROR_MISALIGNED: return "TL_ERROR_MISALIGNED";
    case TL_ERROR_TRUNCATED: return "TL_ERROR_TRUNCATED";
    case TL_ERROR_BAD_IDENTIFIER: return "TL_ERROR_BAD_IDENTIFIER";
    case TL_ERROR_BAD_STRUCTURE: return "TL_ERROR_BAD_STRUCTURE";
    case TL_ERROR_BAD_REFERENCE: return "TL_ERROR_BAD_REFERENCE";
    case TL_ERROR_BAD_GRAPH: return "TL_ERROR_BAD_GRAPH";
    case TL_ERROR_BAD_TENSOR: return "TL_ERROR_BAD_TENSOR";
    case TL_ERROR_BAD_QUANTIZATION: return "TL_ERROR_BAD_QUANTIZATION";
    case TL_ERROR_BAD_OPTIONS: return "TL_ERROR_BAD_OPTIONS";
    case TL_ERROR_BAD_SHAPE: return "TL_ERROR_BAD_SHAPE";
    case TL_ERROR_BAD_INPUT_COUNT: return "TL_ERROR_BAD_INPUT_COUNT";
    case TL_ERROR_UNSUPPORTED_VERSION: return "TL_ERROR_UNSUPPORTED_VERSION";
    case TL_ERROR_UNSUPPORTED_OP: return "TL_ERROR_UNSUPPORTED_OP";
    case TL_ERROR_UNSUPPORTED_DTYPE: return "TL_ERROR_UNSUPPORTED_DTYPE";
    case TL_ERROR_UNSUPPORTED_FEATURE: return "TL_ERROR_UNSUPPORTED_FEATURE";
    case TL_ERROR_OUT_OF_MEMORY: return "TL_ERROR_OUT_OF_MEMORY";
    case TL_ERROR_LIMIT_EXCEEDED: return "TL_ERROR_LIMIT_EXCEEDED";
    case TL_ERROR_ARENA_TOO_SMALL: return "TL_ERROR_ARENA_TOO_SMALL";
    case TL_ERROR_IO: return "TL_ERROR_IO";
  }
  return "TL_UNKNOWN_STATUS";
}

size_t tl_dtype_size(tl_dtype dtype) {
  switch (dtype) {
    case TL_FLOAT32: return 4;
    case TL_FLOAT16: return 2;
    case TL_INT8: return 1;
    case TL_UINT8: return 1;
    case TL_INT16: return 2;
    case TL_INT32: return 4;
    case TL_INT64: return 8;
    case TL_BOOL: return 1;
  }
  return 0;
}

const char *tl_dtype_name(int32_t dtype) {
  static const char *const names[] = {"float32", "float16", "int8", "uint8", "int16", "int32", "int64", "bool"};
  if (dtype < 0 || dtype > 7) return "unknown";
  return names[dtype];
}

const char *tl_version_string(void) { return "tensorlet 0.1.0 (schema 1)"; }

void tl_error_set(tl_errbuf *err, const char *fmt, ...) {
  va_list ap;
  if (err == NULL || err->buf == NULL || err->size == 0) return;
  va_start(ap, fmt);
  vsnprintf(err->buf, err->size, fmt, ap);
  va_end(ap);
}

int tl_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > (size_t)-1 / a) return 0;
  *out = a * b;
  return 1;
}

int tl_add_size(size_t a, size_t b, size_t *out) {
  if (b > (size_t)-1 - a) return 0;
  *out = a + b;
  return 1;
}

int tl_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
  if (a != 0 && b > UINT64_MAX / a) return 0;
  *out = a * b;
  return 1;
}

int tl_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
  if (b > UINT64_MAX - a) return 0;
  *out = a + b;
  return 1;
}

int tl_align_size(size_t a, size_t align, size_t *out) {
  size_t t;
  if (!tl_add_size(a, align - 1, &t)) return 0;
  *out = t & ~(align - 1);
  return 1;
}
