/* npy.c: .npy version 1.0 reader/writer for the tools (see npy.h for what is and is not accepted).
 *
 * Layout of a version 1.0 file: "\x93NUMPY", major 1, minor 0, uint16 little-endian header length, then an
 * ASCII Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (1, 784), } padded with
 * spaces and ended by '\n', then the raw array data (exactly element count x element size bytes).
 */
#include "npy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TL_NPY_MAGIC "\x93NUMPY"
#define TL_NPY_PREFIX 10 /* magic (6) + version (2) + header length (2) */

static void npy_error(char *err, size_t err_size, const char *fmt, ...) {
  va_list args;
  if (err == NULL || err_size == 0) return;
  va_start(args, fmt);
  vsnprintf(err, err_size, fmt, args);
  va_end(args);
}

static int host_is_little_endian(void) {
  const uint16_t probe = 1;
  unsigned char first;
  memcpy(&first, &probe, 1);
  return first == 1;
}

const char *tl_npy_descr(tl_dtype dtype) {
  switch (dtype) {
    case TL_FLOAT32: return "<f4";
    case TL_FLOAT16: return "<f2";
    case TL_INT8: return "|i1";
    case TL_UINT8: return "|u1";
    case TL_INT16: return "<i2";
    case TL_INT32: return "<i4";
    case TL_INT64: return "<i8";
    case TL_BOOL: return "|b1";
  }
  return NULL;
}

const char *tl_npy_dtype_name(tl_dtype dtype) {
  switch (dtype) {
    case TL_FLOAT32: return "float32";
    case TL_FLOAT16: return "float16";
    case TL_INT8: return "int8";
    case TL_UINT8: return "uint8";
    case TL_INT16: return "int16";
    case TL_INT32: return "int32";
    case TL_INT64: return "int64";
    case TL_BOOL: return "bool";
  }
  return "unknown";
}

/* Maps a descr such as "<f4" to a dtype; 1-byte types may use '|' or '<'. Returns 0 or -1. */
static int descr_to_dtype(const char *descr, tl_dtype *dtype) {
  static const tl_dtype all[] = {TL_FLOAT32, TL_FLOAT16, TL_INT8, TL_UINT8,
                                 TL_INT16,   TL_INT32,   TL_INT64, TL_BOOL};
  size_t i;
  for (i = 0; i < sizeof all / sizeof all[0]; i++) {
    const char *want = tl_npy_descr(all[i]);
    if (strcmp(descr, want) == 0 || (want[0] == '|' && descr[0] == '<' && strcmp(descr + 1, want + 1) == 0)) {
      *dtype = all[i];
      return 0;
    }
  }
  return -1;
}

static const char *skip_spaces(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  return p;
}

/* Finds the value that follows 'key': in the header dict; NULL if absent. */
static const char *find_key(const char *header, const char *end, const char *key) {
  size_t key_len = strlen(key);
  const char *p;
  for (p = header; p + key_len + 3 <= end; p++) {
    if ((*p == '\'' || *p == '"') && memcmp(p + 1, key, key_len) == 0 && p[key_len + 1] == *p) {
      const char *q = skip_spaces(p + key_len + 2, end);
      if (q < end && *q == ':') return skip_spaces(q + 1, end);
    }
  }
  return NULL;
}

int tl_npy_parse(const unsigned char *file, size_t file_size, tl_npy_array *out, char *err, size_t err_size) {
  size_t header_len, data_offset, count = 1, elem;
  const char *header, *end, *p;
  char descr[16];
  size_t descr_len = 0;
  tl_dtype dtype;
  int32_t rank = 0;
  int32_t dims[TL_MAX_RANK];

  if (out == NULL || (file == NULL && file_size > 0)) {
    npy_error(err, err_size, "npy: NULL argument");
    return -1;
  }
  memset(out, 0, sizeof *out);
  if (file_size < TL_NPY_PREFIX || memcmp(file, TL_NPY_MAGIC, 6) != 0) {
    npy_error(err, err_size, "not a .npy file (missing \\x93NUMPY magic)");
    return -1;
  }
  if (file[6] != 1 || file[7] != 0) {
    npy_error(err, err_size, ".npy format version %d.%d is not supported (only 1.0)", file[6], file[7]);
    return -1;
  }
  header_len = (size_t)file[8] | ((size_t)file[9] << 8);
  if (header_len > file_size - TL_NPY_PREFIX) {
    npy_error(err, err_size, ".npy header length %zu exceeds the file size %zu", header_len, file_size);
    return -1;
  }
  header = (const char *)file + TL_NPY_PREFIX;
  end = header + header_len;
  data_offset = TL_NPY_PREFIX + header_len;

  p = find_key(header, end, "descr");
  if (p == NULL || p >= end || (*p != '\'' && *p != '"')) {
    npy_error(err, err_size, ".npy header has no 'descr' string");
    return -1;
  }
  {
    char quote = *p++;
    while (p < end && *p != quote) {
      if (descr_len + 1 >= sizeof descr) {
        npy_error(err, err_size, ".npy descr is too long (structured dtypes are not supported)");
        return -1;
      }
      descr[descr_len++] = *p++;
    }
    descr[descr_len] = '\0';
    if (p >= end) {
      npy_error(err, err_size, ".npy descr string is not terminated");
      return -1;
    }
  }
  if (descr_to_dtype(descr, &dtype) != 0) {
    npy_error(err, err_size, ".npy dtype '%s' is not supported (want little-endian %s)", descr,
              "f4, f2, i1, u1, i2, i4, i8 or b1");
    return -1;
  }
  if (tl_dtype_size(dtype) > 1 && !host_is_little_endian()) {
    npy_error(err, err_size, ".npy: big-endian hosts are not supported");
    return -1;
  }

  p = find_key(header, end, "fortran_order");
  if (p == NULL) {
    npy_error(err, err_size, ".npy header has no 'fortran_order'");
    return -1;
  }
  if ((size_t)(end - p) >= 5 && memcmp(p, "False", 5) == 0) {
    /* C order: fine */
  } else if ((size_t)(end - p) >= 4 && memcmp(p, "True", 4) == 0) {
    npy_error(err, err_size, ".npy array is in Fortran order; save a C-contiguous array");
    return -1;
  } else {
    npy_error(err, err_size, ".npy 'fortran_order' is neither True nor False");
    return -1;
  }

  p = find_key(header, end, "shape");
  if (p == NULL || p >= end || *p != '(') {
    npy_error(err, err_size, ".npy header has no 'shape' tuple");
    return -1;
  }
  p++;
  for (;;) {
    unsigned long long value = 0;
    int digits = 0;
    p = skip_spaces(p, end);
    if (p < end && *p == ')') break;
    while (p < end && *p >= '0' && *p <= '9') {
      value = value * 10u + (unsigned long long)(*p - '0');
      if (value > (unsigned long long)INT32_MAX) {
        npy_error(err, err_size, ".npy dim is larger than INT32_MAX");
        return -1;
      }
      digits++;
      p++;
    }
    if (digits == 0) {
      npy_error(err, err_size, ".npy shape is not a tuple of non-negative integers");
      return -1;
    }
    if (rank >= TL_MAX_RANK) {
      npy_error(err, err_size, ".npy rank is above %d", TL_MAX_RANK);
      return -1;
    }
    dims[rank++] = (int32_t)value;
    p = skip_spaces(p, end);
    if (p < end && *p == ',') {
      p++;
    } else if (!(p < end && *p == ')')) {
      npy_error(err, err_size, ".npy shape tuple is malformed");
      return -1;
    }
  }

  elem = tl_dtype_size(dtype);
  {
    int32_t i;
    for (i = 0; i < rank; i++) {
      if (dims[i] != 0 && count > SIZE_MAX / (size_t)dims[i]) {
        npy_error(err, err_size, ".npy element count overflows");
        return -1;
      }
      count *= (size_t)dims[i];
    }
  }
  if (count > SIZE_MAX / elem) {
    npy_error(err, err_size, ".npy byte size overflows");
    return -1;
  }
  if (file_size - data_offset != count * elem) {
    npy_error(err, err_size, ".npy data is %zu bytes, the header declares %zu", file_size - data_offset,
              count * elem);
    return -1;
  }
  out->data = malloc(count * elem > 0 ? count * elem : 1);
  if (out->data == NULL) {
    npy_error(err, err_size, ".npy: out of memory (%zu bytes)", count * elem);
    return -1;
  }
  if (count * elem > 0) memcpy(out->data, file + data_offset, count * elem);
  out->dtype = dtype;
  out->rank = rank;
  if (rank > 0) memcpy(out->dims, dims, (size_t)rank * sizeof dims[0]);
  out->bytes = count * elem;
  return 0;
}

int tl_npy_read(const char *path, tl_npy_array *out, char *err, size_t err_size) {
  FILE *f;
  long size;
  unsigned char *buffer;
  int rc;
  if (path == NULL || out == NULL) {
    npy_error(err, err_size, "npy: NULL argument");
    return -1;
  }
  memset(out, 0, sizeof *out);
  f = fopen(path, "rb");
  if (f == NULL) {
    npy_error(err, err_size, "cannot open %s", path);
    return -1;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    npy_error(err, err_size, "cannot read %s", path);
    return -1;
  }
  buffer = (unsigned char *)malloc(size > 0 ? (size_t)size : 1);
  if (buffer == NULL) {
    fclose(f);
    npy_error(err, err_size, "%s: out of memory", path);
    return -1;
  }
  if (size > 0 && fread(buffer, 1, (size_t)size, f) != (size_t)size) {
    free(buffer);
    fclose(f);
    npy_error(err, err_size, "cannot read %s", path);
    return -1;
  }
  fclose(f);
  rc = tl_npy_parse(buffer, (size_t)size, out, err, err_size);
  free(buffer);
  if (rc != 0 && err != NULL && err_size > 0) {
    char inner[256];
    snprintf(inner, sizeof inner, "%s", err);
    npy_error(err, err_size, "%s: %s", path, inner);
  }
  return rc;
}

int tl_npy_write(const char *path, tl_dtype dtype, int32_t rank, const int32_t *dims, const void *data,
                 size_t bytes, char *err, size_t err_size) {
  char header[512];
  int len;
  int32_t i;
  size_t total, count = 1;
  FILE *f;
  const char *descr = tl_npy_descr(dtype);
  unsigned char prefix[TL_NPY_PREFIX];

  if (path == NULL || (rank > 0 && dims == NULL) || (data == NULL && bytes > 0)) {
    npy_error(err, err_size, "npy: NULL argument");
    return -1;
  }
  if (descr == NULL || rank < 0 || rank > TL_MAX_RANK) {
    npy_error(err, err_size, "npy: cannot write dtype %d rank %d", (int)dtype, (int)rank);
    return -1;
  }
  if (tl_dtype_size(dtype) > 1 && !host_is_little_endian()) {
    npy_error(err, err_size, "npy: big-endian hosts are not supported");
    return -1;
  }
  for (i = 0; i < rank; i++) {
    if (dims[i] < 0) {
      npy_error(err, err_size, "npy: negative dim");
      return -1;
    }
    count *= (size_t)dims[i];
  }
  if (count * tl_dtype_size(dtype) != bytes) {
    npy_error(err, err_size, "npy: %zu data bytes do not match the shape", bytes);
    return -1;
  }
  len = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (i = 0; i < rank; i++) {
    len += snprintf(header + len, sizeof header - (size_t)len, "%s%d", i ? ", " : "", (int)dims[i]);
  }
  len += snprintf(header + len, sizeof header - (size_t)len, "%s), }", rank == 1 ? "," : "");
  /* Pad with spaces and a final '\n' so that the data starts at a multiple of 64 bytes. */
  total = TL_NPY_PREFIX + (size_t)len + 1;
  while (total % 64 != 0) {
    header[len++] = ' ';
    total++;
  }
  header[len++] = '\n';
  memcpy(prefix, TL_NPY_MAGIC, 6);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix[8] = (unsigned char)(len & 0xff);
  prefix[9] = (unsigned char)((len >> 8) & 0xff);

  f = fopen(path, "wb");
  if (f == NULL) {
    npy_error(err, err_size, "cannot create %s", path);
    return -1;
  }
  if (fwrite(prefix, 1, sizeof prefix, f) != sizeof prefix || fwrite(header, 1, (size_t)len, f) != (size_t)len ||
      (bytes > 0 && fwrite(data, 1, bytes, f) != bytes)) {
    fclose(f);
    npy_error(err, err_size, "cannot write %s", path);
    return -1;
  }
  if (fclose(f) != 0) {
    npy_error(err, err_size, "cannot write %s", path);
    return -1;
  }
  return 0;
}

void tl_npy_free(tl_npy_array *array) {
  if (array == NULL) return;
  free(array->data);
  array->data = NULL;
}
