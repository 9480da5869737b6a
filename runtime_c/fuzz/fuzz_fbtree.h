/* fuzz_fbtree.h: a generic FlatBuffers tree for the structure-aware fuzzer (fuzz_fields.c); not library code.
 *
 * fz_decode reads a .tlm buffer into a tree that holds EVERY field of every table the schema declares (the
 * reflection table fuzz_schema.h, generated from schema/tensorlet.fbs), present or not: an absent scalar
 * holds its default, so a mutation can set fields the builder never writes (dilation, depth multiplier,
 * axis, ...). fz_encode writes a tree back as a valid FlatBuffer (front to back: each table's vtable just
 * before it, every child after its parent so that all uoffsets are positive; natural alignment, force_align
 * honoured). fz_mutate changes one scalar, vector element, vector length, sub-table or union type.
 *
 * Everything a tree owns is allocated through fz_tree_alloc and released at once by fz_tree_free.
 */
#ifndef TL_FUZZ_FBTREE_H
#define TL_FUZZ_FBTREE_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_schema.h"

#define FZ_MAX_DEPTH 8          /* tables nested deeper are not decoded (the schema has depth 3) */
#define FZ_MAX_NODES 100000     /* tables per tree (keeps one mutation cheap) */
#define FZ_MAX_VECTOR_GROWTH 64 /* a mutation appends to a vector only while it is shorter than this */

typedef struct fz_node fz_node;

/* One field of one table. */
typedef struct fz_val {
  uint8_t present;   /* written in the file (absent scalars hold their default and are not written) */
  int64_t i;         /* integer scalar, enum or union type (unsigned 64-bit values are stored bit-cast) */
  double f;          /* float scalar */
  uint32_t n;        /* elements of a vector, bytes of a string */
  int64_t *iv;       /* integer vector elements */
  double *fv;        /* float vector elements */
  uint8_t *s;        /* string bytes */
  fz_node **nodes;   /* elements of a table vector; a sub-table or a union value is nodes[0] (n == 1) */
  uint8_t **strs;    /* elements of a string vector */
  uint32_t *str_lens;
} fz_val;

struct fz_node {
  int32_t table; /* index into fz_tables */
  fz_val *v;     /* one per field of the table */
};

typedef struct fz_chunk {
  struct fz_chunk *next;
  double pad; /* keeps the payload after it aligned for any scalar */
} fz_chunk;

typedef struct fz_tree {
  fz_node *root;
  fz_chunk *chunks;
  size_t node_count;
  int failed; /* an allocation failed */
} fz_tree;

typedef struct fz_rng {
  uint64_t s;
} fz_rng;

static uint64_t fz_next(fz_rng *r) {
  /* splitmix64 */
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint32_t fz_below(fz_rng *r, uint32_t n) { return n == 0 ? 0 : (uint32_t)(fz_next(r) % n); }

static void *fz_tree_alloc(fz_tree *t, size_t bytes) {
  fz_chunk *c;
  if (bytes > ((size_t)1 << 30)) {
    t->failed = 1;
    return NULL;
  }
  c = (fz_chunk *)calloc(1, sizeof(fz_chunk) + bytes + 1);
  if (c == NULL) {
    t->failed = 1;
    return NULL;
  }
  c->next = t->chunks;
  t->chunks = c;
  return (void *)(c + 1);
}

static void fz_tree_free(fz_tree *t) {
  while (t->chunks != NULL) {
    fz_chunk *next = t->chunks->next;
    free(t->chunks);
    t->chunks = next;
  }
  t->root = NULL;
  t->node_count = 0;
}

static size_t fz_scalar_size(int scalar) {
  switch (scalar) {
    case FZ_BOOL: case FZ_I8: case FZ_U8: return 1;
    case FZ_I16: case FZ_U16: return 2;
    case FZ_I32: case FZ_U32: case FZ_F32: return 4;
    case FZ_I64: case FZ_U64: case FZ_F64: return 8;
    default: return 0;
  }
}

static int fz_is_float(int scalar) { return scalar == FZ_F32 || scalar == FZ_F64; }

static uint64_t fz_le(const uint8_t *p, size_t size) {
  uint64_t v = 0;
  size_t k;
  for (k = 0; k < size; k++) v |= (uint64_t)p[k] << (8 * k);
  return v;
}

/* Reads one scalar of kind `scalar` at p into *i or *f. */
static void fz_read_scalar(const uint8_t *p, int scalar, int64_t *i, double *f) {
  uint64_t raw = fz_le(p, fz_scalar_size(scalar));
  switch (scalar) {
    case FZ_BOOL: case FZ_U8: case FZ_U16: case FZ_U32: case FZ_U64: *i = (int64_t)raw; break;
    case FZ_I8: *i = (int8_t)(uint8_t)raw; break;
    case FZ_I16: *i = (int16_t)(uint16_t)raw; break;
    case FZ_I32: *i = (int32_t)(uint32_t)raw; break;
    case FZ_I64: *i = (int64_t)raw; break;
    case FZ_F32: {
      uint32_t bits = (uint32_t)raw;
      float x;
      memcpy(&x, &bits, 4);
      *f = x;
      break;
    }
    case FZ_F64: {
      double x;
      memcpy(&x, &raw, 8);
      *f = x;
      break;
    }
    default: break;
  }
}

/* Little-endian bytes of one scalar (integers wrap to the kind's width; doubles saturate to float). */
static void fz_scalar_bytes(int scalar, int64_t i, double f, uint8_t *out) {
  uint64_t raw = (uint64_t)i;
  size_t k, size = fz_scalar_size(scalar);
  if (scalar == FZ_F32) {
    float x;
    uint32_t bits;
    if (isnan(f)) x = (float)NAN;
    else if (f > FLT_MAX) x = (float)INFINITY;
    else if (f < -FLT_MAX) x = -(float)INFINITY;
    else x = (float)f;
    memcpy(&bits, &x, 4);
    raw = bits;
  } else if (scalar == FZ_F64) {
    memcpy(&raw, &f, 8);
  } else if (scalar == FZ_BOOL) {
    raw &= 0xff;
  }
  for (k = 0; k < size; k++) out[k] = (uint8_t)(raw >> (8 * k));
}

/* ---- decoding ---- */

typedef struct fz_reader {
  const uint8_t *p;
  size_t n;
  fz_tree *t;
} fz_reader;

static int fz_inside(const fz_reader *r, uint64_t pos, uint64_t len) { return pos <= r->n && len <= r->n - pos; }

static int fz_follow(const fz_reader *r, size_t field_pos, size_t *target) {
  uint64_t t;
  if (!fz_inside(r, field_pos, 4)) return 0;
  t = (uint64_t)field_pos + fz_le(r->p + field_pos, 4);
  if (!fz_inside(r, t, 4)) return 0;
  *target = (size_t)t;
  return 1;
}

static fz_node *fz_new_node(fz_tree *t, int32_t table) {
  const fz_table_desc *d = &fz_tables[table];
  fz_node *node;
  int32_t k;
  if (t->node_count >= FZ_MAX_NODES) {
    t->failed = 1;
    return NULL;
  }
  node = (fz_node *)fz_tree_alloc(t, sizeof(fz_node));
  if (node == NULL) return NULL;
  node->table = table;
  node->v = (fz_val *)fz_tree_alloc(t, sizeof(fz_val) * (size_t)(d->field_count > 0 ? d->field_count : 1));
  if (node->v == NULL) return NULL;
  for (k = 0; k < d->field_count; k++) {
    const fz_field_desc *f = &d->fields[k];
    if (f->kind == FZ_SCALAR) {
      if (fz_is_float(f->scalar)) node->v[k].f = f->def;
      else node->v[k].i = (int64_t)f->def;
    }
  }
  t->node_count++;
  return node;
}

static int fz_read_string(fz_reader *r, size_t pos, uint8_t **out, uint32_t *len) {
  uint64_t n = fz_le(r->p + pos, 4);
  if (!fz_inside(r, (uint64_t)pos + 4, n)) return 0;
  *out = (uint8_t *)fz_tree_alloc(r->t, (size_t)n + 1);
  if (*out == NULL) return 0;
  memcpy(*out, r->p + pos + 4, (size_t)n);
  *len = (uint32_t)n;
  return 1;
}

static int fz_read_table(fz_reader *r, size_t pos, int32_t table, int depth, fz_node **out);

static int fz_read_field(fz_reader *r, fz_node *node, int32_t k, size_t fpos, int depth) {
  const fz_field_desc *f = &fz_tables[node->table].fields[k];
  fz_val *v = &node->v[k];
  size_t target = 0;
  uint32_t j;
  v->present = 1;
  switch (f->kind) {
    case FZ_SCALAR:
    case FZ_UTYPE:
      if (!fz_inside(r, fpos, fz_scalar_size(f->scalar))) return 0;
      fz_read_scalar(r->p + fpos, f->scalar, &v->i, &v->f);
      return 1;
    case FZ_STRING:
      return fz_follow(r, fpos, &target) && fz_read_string(r, target, &v->s, &v->n);
    case FZ_TABLE:
      v->nodes = (fz_node **)fz_tree_alloc(r->t, sizeof(fz_node *));
      v->n = 1;
      return v->nodes != NULL && fz_follow(r, fpos, &target) &&
             fz_read_table(r, target, f->ref, depth + 1, &v->nodes[0]);
    case FZ_UNION: {
      int64_t type = node->v[k - 1].i;
      const fz_union_desc *u = &fz_unions[f->ref];
      if (type < 1 || type > u->member_count) return 0; /* a value of an unknown type cannot be decoded */
      v->nodes = (fz_node **)fz_tree_alloc(r->t, sizeof(fz_node *));
      v->n = 1;
      return v->nodes != NULL && fz_follow(r, fpos, &target) &&
             fz_read_table(r, target, u->members[type - 1], depth + 1, &v->nodes[0]);
    }
    case FZ_VEC_SCALAR: {
      size_t esize = fz_scalar_size(f->scalar);
      uint64_t len;
      if (!fz_follow(r, fpos, &target)) return 0;
      len = fz_le(r->p + target, 4);
      if (!fz_inside(r, (uint64_t)target + 4, len * esize)) return 0;
      v->n = (uint32_t)len;
      if (fz_is_float(f->scalar)) v->fv = (double *)fz_tree_alloc(r->t, sizeof(double) * (size_t)(len + 1));
      else v->iv = (int64_t *)fz_tree_alloc(r->t, sizeof(int64_t) * (size_t)(len + 1));
      if (v->fv == NULL && v->iv == NULL) return 0;
      for (j = 0; j < v->n; j++) {
        int64_t i = 0;
        double d = 0;
        fz_read_scalar(r->p + target + 4 + (size_t)j * esize, f->scalar, &i, &d);
        if (v->fv != NULL) v->fv[j] = d;
        else v->iv[j] = i;
      }
      return 1;
    }
    case FZ_VEC_TABLE:
    case FZ_VEC_STRING: {
      uint64_t len;
      if (!fz_follow(r, fpos, &target)) return 0;
      len = fz_le(r->p + target, 4);
      if (!fz_inside(r, (uint64_t)target + 4, len * 4)) return 0;
      v->n = (uint32_t)len;
      if (f->kind == FZ_VEC_TABLE) {
        v->nodes = (fz_node **)fz_tree_alloc(r->t, sizeof(fz_node *) * (size_t)(len + 1));
        if (v->nodes == NULL) return 0;
      } else {
        v->strs = (uint8_t **)fz_tree_alloc(r->t, sizeof(uint8_t *) * (size_t)(len + 1));
        v->str_lens = (uint32_t *)fz_tree_alloc(r->t, sizeof(uint32_t) * (size_t)(len + 1));
        if (v->strs == NULL || v->str_lens == NULL) return 0;
      }
      for (j = 0; j < v->n; j++) {
        size_t elem;
        if (!fz_follow(r, target + 4 + (size_t)j * 4, &elem)) return 0;
        if (f->kind == FZ_VEC_TABLE) {
          if (!fz_read_table(r, elem, f->ref, depth + 1, &v->nodes[j])) return 0;
        } else if (!fz_read_string(r, elem, &v->strs[j], &v->str_lens[j])) {
          return 0;
        }
      }
      return 1;
    }
    default:
      return 0;
  }
}

static int fz_read_table(fz_reader *r, size_t pos, int32_t table, int depth, fz_node **out) {
  const fz_table_desc *d = &fz_tables[table];
  fz_node *node;
  int64_t vt;
  uint32_t vsize;
  int32_t k;
  if (depth > FZ_MAX_DEPTH || !fz_inside(r, pos, 4)) return 0;
  vt = (int64_t)pos - (int64_t)(int32_t)(uint32_t)fz_le(r->p + pos, 4);
  if (vt < 0 || !fz_inside(r, (uint64_t)vt, 4)) return 0;
  vsize = (uint32_t)fz_le(r->p + vt, 2);
  if (!fz_inside(r, (uint64_t)vt, vsize)) return 0;
  node = fz_new_node(r->t, table);
  if (node == NULL) return 0;
  *out = node;
  for (k = 0; k < d->field_count; k++) {
    uint32_t slot = 4u + 2u * d->fields[k].slot;
    uint32_t off = slot + 2u <= vsize ? (uint32_t)fz_le(r->p + vt + slot, 2) : 0;
    if (off == 0) continue;
    if (!fz_read_field(r, node, k, pos + off, depth)) return 0;
  }
  return 1;
}

/* Decodes a whole buffer; returns 0 (and frees what it built) when the buffer is not a decodable model. */
static int fz_decode(const uint8_t *data, size_t size, fz_tree *t) {
  fz_reader r;
  size_t root;
  memset(t, 0, sizeof *t);
  r.p = data;
  r.n = size;
  r.t = t;
  if (size < 8 || !fz_follow(&r, 0, &root) || !fz_read_table(&r, root, FZ_ROOT_TABLE, 0, &t->root) || t->failed) {
    fz_tree_free(t);
    return 0;
  }
  return 1;
}

/* ---- encoding ---- */

typedef struct fz_buf {
  uint8_t *p;
  size_t n, cap, max;
  int failed;
} fz_buf;

static int fz_grow(fz_buf *b, size_t extra) {
  size_t need;
  uint8_t *p;
  if (b->failed) return 0;
  if (extra > b->max || b->n > b->max - extra) {
    b->failed = 1;
    return 0;
  }
  need = b->n + extra;
  if (need <= b->cap) return 1;
  if (need < 2 * b->cap) need = 2 * b->cap;
  if (need < 256) need = 256;
  p = (uint8_t *)realloc(b->p, need);
  if (p == NULL) {
    b->failed = 1;
    return 0;
  }
  memset(p + b->cap, 0, need - b->cap);
  b->p = p;
  b->cap = need;
  return 1;
}

/* Appends zero bytes until (n + phase) is a multiple of align. */
static void fz_pad(fz_buf *b, size_t align, size_t phase) {
  while (!b->failed && (b->n + phase) % align != 0) {
    if (fz_grow(b, 1)) b->p[b->n++] = 0;
  }
}

static size_t fz_put(fz_buf *b, const void *src, size_t len) {
  size_t pos = b->n;
  if (!fz_grow(b, len)) return 0;
  if (src != NULL) memcpy(b->p + b->n, src, len);
  else memset(b->p + b->n, 0, len);
  b->n += len;
  return pos;
}

static void fz_patch(fz_buf *b, size_t pos, uint64_t value, size_t size) {
  size_t k;
  if (b->failed) return;
  for (k = 0; k < size; k++) b->p[pos + k] = (uint8_t)(value >> (8 * k));
}

static void fz_put_u32(fz_buf *b, uint32_t value) {
  size_t pos = fz_put(b, NULL, 4);
  fz_patch(b, pos, value, 4);
}

/* Patches the uoffset at field_pos to point at target (always forward). */
static void fz_link(fz_buf *b, size_t field_pos, size_t target) {
  fz_patch(b, field_pos, (uint64_t)(target - field_pos), 4);
}

static size_t fz_write_table(fz_buf *b, const fz_node *node);

static size_t fz_write_string(fz_buf *b, const uint8_t *s, uint32_t len) {
  size_t pos;
  fz_pad(b, 4, 0);
  pos = b->n;
  fz_put_u32(b, len);
  fz_put(b, s, len);
  fz_put(b, NULL, 1);
  return pos;
}

static size_t fz_write_child(fz_buf *b, const fz_field_desc *f, const fz_val *v) {
  size_t pos = 0;
  uint32_t j;
  switch (f->kind) {
    case FZ_STRING:
      return fz_write_string(b, v->s, v->n);
    case FZ_TABLE:
    case FZ_UNION:
      return fz_write_table(b, v->nodes[0]);
    case FZ_VEC_SCALAR: {
      size_t esize = fz_scalar_size(f->scalar), align = esize > 4 ? esize : 4;
      if (f->align > align) align = f->align;
      fz_pad(b, align, 4);
      pos = b->n;
      fz_put_u32(b, v->n);
      for (j = 0; j < v->n && !b->failed; j++) {
        uint8_t bytes[8];
        fz_scalar_bytes(f->scalar, v->iv != NULL ? v->iv[j] : 0, v->fv != NULL ? v->fv[j] : 0.0, bytes);
        fz_put(b, bytes, esize);
      }
      return pos;
    }
    case FZ_VEC_TABLE:
    case FZ_VEC_STRING:
      fz_pad(b, 4, 0);
      pos = b->n;
      fz_put_u32(b, v->n);
      fz_put(b, NULL, (size_t)v->n * 4);
      for (j = 0; j < v->n && !b->failed; j++) {
        size_t child = f->kind == FZ_VEC_TABLE ? fz_write_table(b, v->nodes[j])
                                               : fz_write_string(b, v->strs[j], v->str_lens[j]);
        fz_link(b, pos + 4 + (size_t)j * 4, child);
      }
      return pos;
    default:
      return 0;
  }
}

static size_t fz_inline_size(const fz_field_desc *f) {
  return f->kind == FZ_SCALAR || f->kind == FZ_UTYPE ? fz_scalar_size(f->scalar) : 4;
}

static size_t fz_write_table(fz_buf *b, const fz_node *node) {
  const fz_table_desc *d = &fz_tables[node->table];
  size_t offsets[64];
  size_t size, cur = 4, vt, t, table_align = 4, vsize;
  int32_t k, slots = 0;
  if (d->field_count > 64) {
    b->failed = 1;
    return 0;
  }
  for (k = 0; k < d->field_count; k++) {
    const fz_field_desc *f = &d->fields[k];
    offsets[k] = 0;
    if (!node->v[k].present) continue;
    if (fz_inline_size(f) > table_align) table_align = fz_inline_size(f);
    if ((int32_t)f->slot + 1 > slots) slots = (int32_t)f->slot + 1;
  }
  /* largest fields first, each at its natural alignment (the table itself is table_align-aligned) */
  for (size = 8; size >= 1; size /= 2) {
    for (k = 0; k < d->field_count; k++) {
      if (!node->v[k].present || fz_inline_size(&d->fields[k]) != size) continue;
      cur = (cur + size - 1) / size * size;
      offsets[k] = cur;
      cur += size;
    }
  }
  cur = (cur + 3) / 4 * 4;
  vsize = 4 + 2 * (size_t)slots;
  fz_pad(b, 2, 0);
  vt = fz_put(b, NULL, vsize);
  fz_patch(b, vt, vsize, 2);
  fz_patch(b, vt + 2, cur, 2);
  for (k = 0; k < d->field_count; k++) {
    if (offsets[k] != 0) fz_patch(b, vt + 4 + 2 * (size_t)d->fields[k].slot, offsets[k], 2);
  }
  fz_pad(b, table_align, 0);
  t = fz_put(b, NULL, cur);
  fz_patch(b, t, (uint64_t)(uint32_t)(int32_t)(t - vt), 4);
  for (k = 0; k < d->field_count && !b->failed; k++) {
    const fz_field_desc *f = &d->fields[k];
    const fz_val *v = &node->v[k];
    if (offsets[k] == 0) continue;
    if (f->kind == FZ_SCALAR || f->kind == FZ_UTYPE) {
      uint8_t bytes[8];
      fz_scalar_bytes(f->scalar, v->i, v->f, bytes);
      memcpy(b->p + t + offsets[k], bytes, fz_scalar_size(f->scalar));
    }
  }
  for (k = 0; k < d->field_count && !b->failed; k++) {
    const fz_field_desc *f = &d->fields[k];
    if (offsets[k] == 0 || f->kind == FZ_SCALAR || f->kind == FZ_UTYPE) continue;
    fz_link(b, t + offsets[k], fz_write_child(b, f, &node->v[k]));
  }
  return t;
}

/* Encodes a tree; returns the byte count (0 when it would exceed max or memory ran out). *out is malloc'd. */
static size_t fz_encode(const fz_tree *t, size_t max, uint8_t **out) {
  fz_buf b;
  size_t root;
  memset(&b, 0, sizeof b);
  b.max = max;
  fz_put_u32(&b, 0);
  fz_put(&b, FZ_FILE_IDENTIFIER, 4);
  root = fz_write_table(&b, t->root);
  fz_patch(&b, 0, root, 4);
  if (b.failed) {
    free(b.p);
    *out = NULL;
    return 0;
  }
  *out = b.p;
  return b.n;
}

/* ---- mutation ---- */

typedef struct fz_target {
  fz_node *node;
  int32_t field;
  int32_t in_options; /* a field of an op's options table (the union's value) */
} fz_target;

typedef struct fz_targets {
  fz_target *items;
  size_t n, cap;
} fz_targets;

static void fz_add_target(fz_targets *ts, fz_node *node, int32_t field, int32_t in_options) {
  if (ts->n == ts->cap) {
    size_t cap = ts->cap ? 2 * ts->cap : 256;
    fz_target *items = (fz_target *)realloc(ts->items, cap * sizeof(fz_target));
    if (items == NULL) return;
    ts->items = items;
    ts->cap = cap;
  }
  ts->items[ts->n].node = node;
  ts->items[ts->n].field = field;
  ts->items[ts->n].in_options = in_options;
  ts->n++;
}

/* Every mutable field of every table: scalars and enums (present or not), union types, scalar vectors and
 * sub-tables (present or not). Strings are left alone. */
static void fz_collect(fz_node *node, fz_targets *ts, int32_t in_options) {
  const fz_table_desc *d = &fz_tables[node->table];
  int32_t k;
  uint32_t j;
  for (k = 0; k < d->field_count; k++) {
    const fz_field_desc *f = &d->fields[k];
    fz_val *v = &node->v[k];
    switch (f->kind) {
      case FZ_SCALAR: case FZ_UTYPE: case FZ_VEC_SCALAR:
        fz_add_target(ts, node, k, in_options);
        break;
      case FZ_TABLE:
        fz_add_target(ts, node, k, in_options);
        if (v->present) fz_collect(v->nodes[0], ts, in_options);
        break;
      case FZ_UNION:
        if (v->present) fz_collect(v->nodes[0], ts, 1);
        break;
      case FZ_VEC_TABLE:
        for (j = 0; j < v->n; j++) fz_collect(v->nodes[j], ts, in_options);
        break;
      default:
        break;
    }
  }
}

/* An interesting integer near or far from cur; enum_ref >= 0 adds in-range and just-out-of-range values. */
static int64_t fz_pick_int(fz_rng *r, int64_t cur, int enum_ref, int scalar) {
  if (enum_ref >= 0 && fz_below(r, 10) < 7) {
    const fz_enum_desc *e = &fz_enums[enum_ref];
    switch (fz_below(r, 6)) {
      case 0: return e->min - 1;
      case 1: return e->max + 1;
      default: return e->min + (int64_t)fz_below(r, (uint32_t)(e->max - e->min + 1));
    }
  }
  if (enum_ref < 0 && fz_below(r, 5) < 2) {
    /* plausible values: most of them still load, so the change reaches prepare and the kernels */
    switch (fz_below(r, 5)) {
      case 0: return (int64_t)((uint64_t)cur + 1u);
      case 1: return (int64_t)((uint64_t)cur - 1u);
      case 2: return (int64_t)((uint64_t)cur * 2u);
      default: return 1 + (int64_t)fz_below(r, 8);
    }
  }
  switch (fz_below(r, 26)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return -1;
    case 3: return (int64_t)((uint64_t)cur + 1u);
    case 4: return (int64_t)((uint64_t)cur - 1u);
    case 5: return INT32_MAX;
    case 6: return INT32_MIN;
    case 7: return ((int64_t)1 << 31) - 1 - (int64_t)fz_below(r, 16);
    case 8: return 1850000000 + (int64_t)fz_below(r, 100000000); /* dilations/strides near 2^31 */
    case 9: return (int64_t)1 << fz_below(r, 31);
    case 10: return -((int64_t)1 << fz_below(r, 31));
    case 11: return (int64_t)fz_below(r, 17);
    case 12: return (int64_t)((uint64_t)cur * 2u);
    case 13: return cur / 2;
    case 14: return (int64_t)(0u - (uint64_t)cur);
    case 15: return 65536 + (int64_t)fz_below(r, 3) - 1;
    case 16: return scalar == FZ_I64 || scalar == FZ_U64 ? INT64_MAX : (int64_t)UINT32_MAX;
    case 17: return scalar == FZ_I64 || scalar == FZ_U64 ? INT64_MIN : 128;
    case 18: return (int64_t)1 << 40;
    case 19: return (int64_t)(int32_t)(uint32_t)fz_next(r);
    case 20: return 255 + (int64_t)fz_below(r, 3) - 1;
    case 21: return -129 + (int64_t)fz_below(r, 3);
    case 22: return 1024 + (int64_t)fz_below(r, 3) - 1;
    case 23: return 2048;
    case 24: return (int64_t)((uint64_t)cur + fz_below(r, 9) - 4u);
    default: return (int64_t)fz_below(r, 8) + 2;
  }
}

static double fz_pick_float(fz_rng *r, double cur) {
  switch (fz_below(r, 20)) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return 1.0;
    case 3: return -1.0;
    case 4: return NAN;
    case 5: return INFINITY;
    case 6: return -INFINITY;
    case 7: return FLT_MIN;
    case 8: return 1e-45; /* the smallest float subnormal */
    case 9: return FLT_MAX;
    case 10: return 1e-30;
    case 11: return 1e30;
    case 12: return cur * 2;
    case 13: return cur / 2;
    case 14: return -cur;
    case 15: return cur * (1.0 + 1.0 / 8388608.0);
    case 16: return ldexp(1.0, (int)fz_below(r, 80) - 40);
    case 17: return (double)(int32_t)fz_below(r, 2001) / 250.0 - 4.0;
    case 18: return 1e-10;
    default: return 65504.0;
  }
}

/* Grows or replaces a scalar vector's storage to hold n elements (copying the old ones). */
static int fz_vec_resize(fz_tree *t, const fz_field_desc *f, fz_val *v, uint32_t n) {
  uint32_t keep = v->n < n ? v->n : n;
  if (fz_is_float(f->scalar)) {
    double *fv = (double *)fz_tree_alloc(t, sizeof(double) * ((size_t)n + 1));
    if (fv == NULL) return 0;
    if (keep) memcpy(fv, v->fv, sizeof(double) * keep);
    v->fv = fv;
  } else {
    int64_t *iv = (int64_t *)fz_tree_alloc(t, sizeof(int64_t) * ((size_t)n + 1));
    if (iv == NULL) return 0;
    if (keep) memcpy(iv, v->iv, sizeof(int64_t) * keep);
    v->iv = iv;
  }
  v->n = n;
  return 1;
}

static void fz_mutate_element(fz_rng *r, const fz_field_desc *f, fz_val *v, uint32_t j) {
  if (fz_is_float(f->scalar)) {
    v->fv[j] = fz_pick_float(r, v->fv[j]);
  } else if (f->scalar == FZ_U8 && fz_below(r, 2) == 0) {
    v->iv[j] = (int64_t)fz_below(r, 256);
  } else {
    v->iv[j] = fz_pick_int(r, v->iv[j], f->ref, f->scalar);
  }
}

/* Resizes the constant data of tensor node to its shape's element count times its dtype's size (new bytes are
 * random), so that a changed weight shape (a 3-tap kernel made 2 taps wide) still loads. */
static void fz_fit_buffer(fz_tree *t, fz_rng *r, fz_node *tensor) {
  static const uint32_t dtype_size[] = {4, 2, 1, 1, 2, 4, 8, 1};
  fz_val *bufs = &t->root->v[FZ_F_Model_buffers];
  fz_val *shape = &tensor->v[FZ_F_Tensor_shape];
  int64_t b = tensor->v[FZ_F_Tensor_buffer].i, dtype = tensor->v[FZ_F_Tensor_dtype].i;
  uint64_t bytes;
  uint32_t j, old;
  fz_val *data;
  if (b <= 0 || b >= (int64_t)bufs->n || dtype < 0 || dtype > 7) return;
  bytes = dtype_size[dtype];
  for (j = 0; j < shape->n; j++) {
    if (shape->iv[j] < 1 || shape->iv[j] > (1 << 20)) return;
    bytes *= (uint64_t)shape->iv[j];
    if (bytes > ((uint64_t)1 << 20)) return;
  }
  data = &bufs->nodes[b]->v[FZ_F_Buffer_data];
  old = data->n;
  if (!fz_vec_resize(t, &fz_tables[FZ_TABLE_Buffer].fields[FZ_F_Buffer_data], data, (uint32_t)bytes)) return;
  for (j = old; j < data->n; j++) data->iv[j] = old ? data->iv[j % old] : (int64_t)fz_below(r, 256);
  data->present = 1;
}

/* Applies one mutation; returns a short description in what (for TL_FUZZ_DUMP). */
static int fz_mutate_one(fz_tree *t, fz_rng *r, char *what, size_t what_size) {
  fz_targets ts;
  fz_target tg;
  const fz_field_desc *f;
  fz_val *v;
  const char *table;
  memset(&ts, 0, sizeof ts);
  fz_collect(t->root, &ts, 0);
  if (ts.n == 0) {
    free(ts.items);
    return 0;
  }
  tg = ts.items[fz_below(r, (uint32_t)ts.n)];
  if (fz_below(r, 5) < 2) {
    /* two times in five, an op option (where the kernels' geometry comes from), if the model has any */
    size_t j, options = 0, pick;
    for (j = 0; j < ts.n; j++) options += (size_t)ts.items[j].in_options;
    pick = options ? fz_below(r, (uint32_t)options) + 1 : 0;
    for (j = 0; j < ts.n && pick > 0; j++) {
      if (ts.items[j].in_options && --pick == 0) tg = ts.items[j];
    }
  }
  free(ts.items);
  table = fz_tables[tg.node->table].name;
  f = &fz_tables[tg.node->table].fields[tg.field];
  v = &tg.node->v[tg.field];
  switch (f->kind) {
    case FZ_SCALAR:
      v->present = 1;
      if (fz_is_float(f->scalar)) v->f = fz_pick_float(r, v->f);
      else v->i = fz_pick_int(r, v->i, f->ref, f->scalar);
      snprintf(what, what_size, "%s.%s = %lld / %g", table, f->name, (long long)v->i, v->f);
      return 1;
    case FZ_UTYPE: {
      const fz_union_desc *u = &fz_unions[f->ref];
      fz_val *value = &tg.node->v[tg.field + 1];
      int64_t type = (int64_t)fz_below(r, (uint32_t)u->member_count + 2);
      if (type >= 1 && type <= u->member_count) {
        if (!(value->present && value->nodes[0]->table == u->members[type - 1])) {
          value->nodes = (fz_node **)fz_tree_alloc(t, sizeof(fz_node *));
          if (value->nodes == NULL) return 0;
          value->nodes[0] = fz_new_node(t, u->members[type - 1]);
          if (value->nodes[0] == NULL) return 0;
          value->n = 1;
        }
        value->present = 1;
        v->present = 1;
      } else if (type == 0) {
        value->present = 0;
        v->present = fz_below(r, 2) == 0; /* type NONE, written or not */
      } else {
        v->present = 1; /* an unknown type with the old value (if any) */
      }
      v->i = type;
      snprintf(what, what_size, "%s.%s = %lld", table, f->name, (long long)type);
      return 1;
    }
    case FZ_TABLE:
      if (v->present) {
        if (fz_below(r, 4) != 0) return 0; /* mostly the fields below mutate; sometimes the table goes */
        v->present = 0;
        snprintf(what, what_size, "%s.%s removed", table, f->name);
        return 1;
      }
      v->nodes = (fz_node **)fz_tree_alloc(t, sizeof(fz_node *));
      if (v->nodes == NULL) return 0;
      v->nodes[0] = fz_new_node(t, f->ref);
      if (v->nodes[0] == NULL) return 0;
      v->n = 1;
      v->present = 1;
      snprintf(what, what_size, "%s.%s added (all defaults)", table, f->name);
      return 1;
    case FZ_VEC_SCALAR: {
      uint32_t choice = fz_below(r, 10);
      if (!v->present || v->n == 0 || choice == 0) {
        /* append one element (creating the vector when absent) */
        if (v->n >= FZ_MAX_VECTOR_GROWTH && f->scalar != FZ_U8) return 0;
        if (!fz_vec_resize(t, f, v, v->n + 1)) return 0;
        if (v->n > 1 && fz_below(r, 2) == 0) {
          if (v->fv != NULL) v->fv[v->n - 1] = v->fv[v->n - 2];
          else v->iv[v->n - 1] = v->iv[v->n - 2];
        } else {
          if (v->fv != NULL) v->fv[v->n - 1] = 1.0;
          else v->iv[v->n - 1] = 1;
          fz_mutate_element(r, f, v, v->n - 1);
        }
        v->present = 1;
        snprintf(what, what_size, "%s.%s appended (now %u)", table, f->name, (unsigned)v->n);
        return 1;
      }
      if (choice == 1) {
        v->n--;
        snprintf(what, what_size, "%s.%s shortened (now %u)", table, f->name, (unsigned)v->n);
        return 1;
      }
      {
        uint32_t j = fz_below(r, v->n);
        fz_mutate_element(r, f, v, j);
        if (tg.node->table == FZ_TABLE_Tensor && tg.field == FZ_F_Tensor_shape && fz_below(r, 4) != 0) {
          fz_fit_buffer(t, r, tg.node); /* mostly keep a constant's data the length its new shape needs */
        }
        snprintf(what, what_size, "%s.%s[%u] = %lld / %g", table, f->name, (unsigned)j,
                 (long long)(v->iv != NULL ? v->iv[j] : 0), v->fv != NULL ? v->fv[j] : 0.0);
      }
      return 1;
    }
    default:
      return 0;
  }
}

#endif /* TL_FUZZ_FBTREE_H */
