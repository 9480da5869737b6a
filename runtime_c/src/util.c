/* util.c: status and dtype names, the version string, error messages and checked size arithmetic.
 *
 * What this is: small leaf helpers used everywhere. What this is not: anything that reads a model.
 */
#include <stdarg.h>
#include <string.h>
#ifndef TL_FREESTANDING
#include <stdio.h>
#endif

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

#ifdef TL_FREESTANDING
/* ---- a small formatter for bare metal (no stdio): what the runtime's messages use ----
 * %s %c %d %i %u %x %p %g %% with the length modifiers l, ll, z (no widths or precision; "% 16u" style
 * flags are skipped). %g prints up to 6 significant digits from single-precision arithmetic, so messages
 * may differ from printf's in the last digit. Always NUL-terminates (size > 0); returns the full length. */
typedef struct tl_out {
  char *buf;
  size_t size, len;
} tl_out;

static void tl_put(tl_out *o, char c) {
  if (o->len + 1 < o->size) o->buf[o->len] = c;
  o->len++;
}

static void tl_put_str(tl_out *o, const char *s) {
  if (s == NULL) s = "(null)";
  while (*s) tl_put(o, *s++);
}

static void tl_put_u64(tl_out *o, uint64_t v, unsigned base) {
  char tmp[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v != 0);
  while (n > 0) tl_put(o, tmp[--n]);
}

static void tl_put_g(tl_out *o, float x) {
  int exp10 = 0, k, digits[6], last;
  uint32_t m;
  if (x != x) {
    tl_put_str(o, "nan");
    return;
  }
  if (x < 0) {
    tl_put(o, '-');
    x = -x;
  }
  if (x > 3.4e38f) {
    tl_put_str(o, "inf");
    return;
  }
  if (x == 0) {
    tl_put(o, '0');
    return;
  }
  while (x >= 10.0f) {
    x /= 10.0f;
    exp10++;
  }
  while (x < 1.0f) {
    x *= 10.0f;
    exp10--;
  }
  m = (uint32_t)(x * 100000.0f + 0.5f); /* 6 significant digits */
  if (m >= 1000000u) {
    m /= 10u;
    exp10++;
  }
  for (k = 5; k >= 0; k--) {
    digits[k] = (int)(m % 10u);
    m /= 10u;
  }
  for (last = 5; last > 0 && digits[last] == 0; last--) continue;
  if (exp10 >= -4 && exp10 < 6) {
    if (exp10 < 0) {
      tl_put_str(o, "0.");
      for (k = -1; k > exp10; k--) tl_put(o, '0');
      for (k = 0; k <= last; k++) tl_put(o, (char)('0' + digits[k]));
    } else {
      for (k = 0; k <= exp10; k++) tl_put(o, (char)('0' + digits[k]));
      if (last > exp10) tl_put(o, '.');
      for (k = exp10 + 1; k <= last; k++) tl_put(o, (char)('0' + digits[k]));
    }
    return;
  }
  tl_put(o, (char)('0' + digits[0]));
  if (last > 0) tl_put(o, '.');
  for (k = 1; k <= last; k++) tl_put(o, (char)('0' + digits[k]));
  tl_put(o, 'e');
  tl_put(o, exp10 < 0 ? '-' : '+');
  if (exp10 < 0) exp10 = -exp10;
  if (exp10 < 10) tl_put(o, '0');
  tl_put_u64(o, (uint64_t)exp10, 10);
}

int tl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  tl_out o;
  o.buf = buf;
  o.size = size;
  o.len = 0;
  for (; *fmt; fmt++) {
    int lng = 0, sz = 0;
    if (*fmt != '%') {
      tl_put(&o, *fmt);
      continue;
    }
    fmt++;
    while (*fmt == ' ' || *fmt == '-' || *fmt == '+' || *fmt == '#' || (*fmt >= '0' && *fmt <= '9')) fmt++;
    while (*fmt == 'l') {
      lng++;
      fmt++;
    }
    if (*fmt == 'z') {
      sz = 1;
      fmt++;
    }
    switch (*fmt) {
      case 'd':
      case 'i': {
        int64_t v = lng >= 2 ? (int64_t)va_arg(ap, long long) : lng ? (int64_t)va_arg(ap, long) : (int64_t)va_arg(ap, int);
        if (v < 0) {
          tl_put(&o, '-');
          tl_put_u64(&o, (uint64_t)0 - (uint64_t)v, 10);
        } else {
          tl_put_u64(&o, (uint64_t)v, 10);
        }
        break;
      }
      case 'u':
      case 'x': {
        uint64_t v = lng >= 2 ? (uint64_t)va_arg(ap, unsigned long long)
                     : lng    ? (uint64_t)va_arg(ap, unsigned long)
                     : sz     ? (uint64_t)va_arg(ap, size_t)
                              : (uint64_t)va_arg(ap, unsigned);
        tl_put_u64(&o, v, *fmt == 'x' ? 16u : 10u);
        break;
      }
      case 'p':
        tl_put_str(&o, "0x");
        tl_put_u64(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16u);
        break;
      case 'g':
      case 'f':
      case 'e': tl_put_g(&o, (float)va_arg(ap, double)); break;
      case 's': tl_put_str(&o, va_arg(ap, const char *)); break;
      case 'c': tl_put(&o, (char)va_arg(ap, int)); break;
      case '%': tl_put(&o, '%'); break;
      case '\0': fmt--; break;
      default: tl_put(&o, '%'); tl_put(&o, *fmt); break;
    }
  }
  if (size > 0) buf[o.len < size ? o.len : size - 1] = '\0';
  return o.len > 0x7fffffffu ? 0x7fffffff : (int)o.len;
}

int tl_snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = tl_vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
#endif

#ifdef TL_TERSE_ERRORS
void tl_error_terse(tl_errbuf *err) {
  static const char msg[] = "error (details compiled out: TL_TERSE_ERRORS)";
  size_t n = sizeof msg;
  if (err == NULL || err->buf == NULL || err->size == 0) return;
  if (n > err->size) n = err->size;
  memcpy(err->buf, msg, n - 1);
  err->buf[n - 1] = '\0';
}
#else
void tl_error_set(tl_errbuf *err, const char *fmt, ...) {
  va_list ap;
  if (err == NULL || err->buf == NULL || err->size == 0) return;
  va_start(ap, fmt);
  vsnprintf(err->buf, err->size, fmt, ap);
  va_end(ap);
}
#endif

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
