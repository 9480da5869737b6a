/* npy.h: a tiny reader/writer for NumPy .npy files, used by the command-line tools (not by the library).
 *
 * Only what numpy writes for a plain array is accepted: format version 1.0, little-endian (or byte-sized)
 * dtypes that map to a tl_dtype ('<f4', '<f2', '|i1', '|u1', '<i2', '<i4', '<i8', '|b1'), C order, rank
 * <= TL_MAX_RANK. Everything else is refused with a message naming what was found. Not a general parser:
 * no object arrays, no structured dtypes, no Fortran order, no version 2.0/3.0 headers.
 */
#ifndef TL_NPY_H
#define TL_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "tensorlet.h"

typedef struct tl_npy_array {
  tl_dtype dtype;
  int32_t rank;
  int32_t dims[TL_MAX_RANK];
  size_t bytes;  /* element count x element size */
  void *data;    /* malloc'ed, `bytes` long (non-NULL even when bytes == 0) */
} tl_npy_array;

/* Reads `path` into `out` (zeroed first). Returns 0, or -1 with a message in err. */
int tl_npy_read(const char *path, tl_npy_array *out, char *err, size_t err_size);
/* Parses an in-memory .npy image; same rules as tl_npy_read. */
int tl_npy_parse(const unsigned char *file, size_t file_size, tl_npy_array *out, char *err, size_t err_size);
/* Writes a version 1.0 .npy file. Returns 0, or -1 with a message in err. */
int tl_npy_write(const char *path, tl_dtype dtype, int32_t rank, const int32_t *dims, const void *data,
                 size_t bytes, char *err, size_t err_size);
void tl_npy_free(tl_npy_array *array); /* frees data; NULL-safe */

/* The .npy descr string of a dtype ("<f4"), or NULL for an unknown dtype. */
const char *tl_npy_descr(tl_dtype dtype);
/* A short lower-case dtype name ("float32", "int8", ...), "unknown" otherwise. */
const char *tl_npy_dtype_name(tl_dtype dtype);

#endif /* TL_NPY_H */
