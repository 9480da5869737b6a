/* fb_reader.h: a small, bounds-checked FlatBuffers reader and structural verifier.
 *
 * What this is: little-endian scalar reads through byte assembly (no unaligned or type-punned loads), table,
 * vector, string and union access, and tl_fb_verify(), which walks the whole buffer once, driven by a
 * schema description (fb_schema.c), before anything else reads it. What this is not: a check of meaning
 * (indices, dtypes, shapes: verify.c).
 *
 * Structural rules (like flatbuffers' Verifier), with the status each violation gets:
 *   - size < 8                                              -> TL_ERROR_TRUNCATED
 *   - file identifier is not "TLM1"                         -> TL_ERROR_BAD_IDENTIFIER
 *   - any object (table, vtable, vector, string) reaching past the end of the buffer -> TL_ERROR_TRUNCATED
 *   - root offset 0 or inside the header, misaligned tables/vectors/strings/scalars (relative to the buffer
 *     start), a vtable before the buffer start, odd or < 4 vtable size, table size < 4, field offsets inside
 *     the soffset or past the table, strings without their NUL, missing required fields, a union type without
 *     value, a value without type or an unknown union type, more than TL_FB_MAX_TRAILING bytes after the
 *     last object                                           -> TL_ERROR_BAD_STRUCTURE
 *   - nesting deeper than TL_FB_MAX_DEPTH, more than TL_MAX_TABLES table visits -> TL_ERROR_LIMIT_EXCEEDED
 * The walk is iterative (an explicit stack) and visits each table reference once, so its cost is linear in
 * the number of offsets in the file even when sub-objects are shared; scalar vectors and strings are checked
 * in O(1) each. After tl_fb_verify() succeeds, the accessors below never read outside the buffer for any
 * field the schema description covers.
 */
#ifndef TL_FB_READER_H
#define TL_FB_READER_H

#include <stddef.h>
#include <stdint.h>

#include "tl_internal.h"

typedef struct tl_fb {
  const uint8_t *buf;
  size_t size;
} tl_fb;

/* ---- schema description (consumed by the verifier) ---- */
typedef enum tl_fb_kind {
  TL_FB_NONE = 0,   /* unused field id */
  TL_FB_SCALAR,     /* size in bytes: 1, 2, 4, 8 */
  TL_FB_STRING,
  TL_FB_VEC_SCALAR, /* vector of scalars of `size` bytes */
  TL_FB_VEC_TABLE,  /* vector of tables of type `sub` */
  TL_FB_TABLE,      /* table of type `sub` */
  TL_FB_UNION_TYPE, /* u8 union tag; the value is the next field id */
  TL_FB_UNION       /* union value; `sub` is the union id */
} tl_fb_kind;

typedef struct tl_fb_field {
  const char *name;
  uint8_t kind;
  uint8_t size;
  uint8_t sub;
  uint8_t required;
} tl_fb_field_desc;

typedef struct tl_fb_table_desc {
  const char *name;
  int32_t field_count;
  const tl_fb_field_desc *fields;
} tl_fb_table_desc;

typedef struct tl_fb_union_desc {
  const char *name;
  int32_t member_count;        /* tags 1..member_count are valid */
  const uint8_t *member_types; /* table type of tag t at [t - 1] */
} tl_fb_union_desc;

typedef struct tl_fb_schema {
  const char *identifier; /* 4 chars */
  int32_t root_type;
  const tl_fb_table_desc *tables;
  const tl_fb_union_desc *unions;
} tl_fb_schema;

/* Verifies the whole buffer; returns the root table position in *root. */
tl_status tl_fb_verify(const tl_fb *fb, const tl_fb_schema *schema, size_t *root, tl_errbuf *err);

/* ---- raw little-endian reads (pos must be in bounds: callers verified it) ---- */
uint8_t tl_fb_u8(const tl_fb *fb, size_t pos);
uint16_t tl_fb_u16(const tl_fb *fb, size_t pos);
uint32_t tl_fb_u32(const tl_fb *fb, size_t pos);
uint64_t tl_fb_u64(const tl_fb *fb, size_t pos);
float tl_fb_f32(const tl_fb *fb, size_t pos);

/* ---- table access (table = position of a verified table, or 0: no table, every field absent) ----
 * Field position, or 0 when the field is absent. */
size_t tl_fb_field(const tl_fb *fb, size_t table, int32_t field_id);
uint8_t tl_fb_get_u8(const tl_fb *fb, size_t table, int32_t field_id, uint8_t dflt);
int32_t tl_fb_get_i32(const tl_fb *fb, size_t table, int32_t field_id, int32_t dflt);
uint32_t tl_fb_get_u32(const tl_fb *fb, size_t table, int32_t field_id, uint32_t dflt);
uint64_t tl_fb_get_u64(const tl_fb *fb, size_t table, int32_t field_id, uint64_t dflt);
float tl_fb_get_f32(const tl_fb *fb, size_t table, int32_t field_id, float dflt);
/* Sub-table position, or 0 when absent. */
size_t tl_fb_get_table(const tl_fb *fb, size_t table, int32_t field_id);
/* Vector: returns 1 and sets the position of element 0 and the length, or 0 when absent. */
int tl_fb_get_vector(const tl_fb *fb, size_t table, int32_t field_id, size_t *elems, uint32_t *len);
/* Element i of a vector of tables (elems from tl_fb_get_vector). */
size_t tl_fb_vector_table(const tl_fb *fb, size_t elems, uint32_t i);
/* String: NUL-terminated pointer into the buffer, or NULL when absent. */
const char *tl_fb_get_string(const tl_fb *fb, size_t table, int32_t field_id, uint32_t *len);

#endif /* TL_FB_READER_H */
