/* fb_reader.c: bounds-checked FlatBuffers access and the schema-driven structural verifier.
 *
 * What this is: see fb_reader.h for the rules and the status of each violation. What this is not: the
 * tensorlet schema itself (fb_schema.c) or any semantic check (verify.c).
 */
#include <string.h>

#include "fb_reader.h"

#define TL_FB_STACK 64 /* explicit walk stack; the schema needs far fewer frames */

uint8_t tl_fb_u8(const tl_fb *fb, size_t pos) { return fb->buf[pos]; }

uint16_t tl_fb_u16(const tl_fb *fb, size_t pos) {
  const uint8_t *p = fb->buf + pos;
  return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t tl_fb_u32(const tl_fb *fb, size_t pos) {
  const uint8_t *p = fb->buf + pos;
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint64_t tl_fb_u64(const tl_fb *fb, size_t pos) {
  return (uint64_t)tl_fb_u32(fb, pos) | ((uint64_t)tl_fb_u32(fb, pos + 4) << 32);
}

float tl_fb_f32(const tl_fb *fb, size_t pos) {
  uint32_t bits = tl_fb_u32(fb, pos);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

size_t tl_fb_field(const tl_fb *fb, size_t table, int32_t field_id) {
  int64_t soff;
  size_t vtable, slot = 4u + 2u * (size_t)field_id;
  uint16_t vsize, off;
  if (table == 0) return 0; /* no table (a table never starts at 0, the root offset): every field absent */
  soff = (int32_t)tl_fb_u32(fb, table);
  vtable = (size_t)((int64_t)table - soff);
  vsize = tl_fb_u16(fb, vtable);
  if (field_id < 0 || slot + 2u > vsize) return 0;
  off = tl_fb_u16(fb, vtable + slot);
  return off ? table + off : 0;
}

uint8_t tl_fb_get_u8(const tl_fb *fb, size_t table, int32_t field_id, uint8_t dflt) {
  size_t p = tl_fb_field(fb, table, field_id);
  return p ? tl_fb_u8(fb, p) : dflt;
}

int32_t tl_fb_get_i32(const tl_fb *fb, size_t table, int32_t field_id, int32_t dflt) {
  size_t p = tl_fb_field(fb, table, field_id);
  return p ? (int32_t)tl_fb_u32(fb, p) : dflt;
}

uint32_t tl_fb_get_u32(const tl_fb *fb, size_t table, int32_t field_id, uint32_t dflt) {
  size_t p = tl_fb_field(fb, table, field_id);
  return p ? tl_fb_u32(fb, p) : dflt;
}

uint64_t tl_fb_get_u64(const tl_fb *fb, size_t table, int32_t field_id, uint64_t dflt) {
  size_t p = tl_fb_field(fb, table, field_id);
  return p ? tl_fb_u64(fb, p) : dflt;
}

float tl_fb_get_f32(const tl_fb *fb, size_t table, int32_t field_id, float dflt) {
  size_t p = tl_fb_field(fb, table, field_id);
  return p ? tl_fb_f32(fb, p) : dflt;
}

static size_t tl_fb_deref(const tl_fb *fb, size_t pos) { return pos + tl_fb_u32(fb, pos); }

size_t tl_fb_get_table(const tl_fb *fb, size_t table, int32_t field_id) {
  size_t p = tl_fb_field(fb, table, field_id);
  return p ? tl_fb_deref(fb, p) : 0;
}

int tl_fb_get_vector(const tl_fb *fb, size_t table, int32_t field_id, size_t *elems, uint32_t *len) {
  size_t p = tl_fb_field(fb, table, field_id);
  size_t v;
  if (!p) {
    *elems = 0;
    *len = 0;
    return 0;
  }
  v = tl_fb_deref(fb, p);
  *len = tl_fb_u32(fb, v);
  *elems = v + 4;
  return 1;
}

size_t tl_fb_vector_table(const tl_fb *fb, size_t elems, uint32_t i) {
  return tl_fb_deref(fb, elems + 4u * (size_t)i);
}

const char *tl_fb_get_string(const tl_fb *fb, size_t table, int32_t field_id, uint32_t *len) {
  size_t p = tl_fb_field(fb, table, field_id);
  size_t s;
  if (!p) {
    if (len) *len = 0;
    return NULL;
  }
  s = tl_fb_deref(fb, p);
  if (len) *len = tl_fb_u32(fb, s);
  return (const char *)(fb->buf + s + 4);
}

/* ---- structural verification ---- */

typedef struct tl_fb_frame {
  size_t pos;     /* table position, or position of element 0 of a vector of tables */
  uint32_t index; /* vector frames: next element */
  uint32_t len;   /* vector frames: element count */
  int32_t type;   /* table type */
  int32_t depth;
  int32_t is_vector;
} tl_fb_frame;

typedef struct tl_fb_walk {
  const tl_fb *fb;
  const tl_fb_schema *schema;
  tl_errbuf *err;
  tl_fb_frame stack[TL_FB_STACK];
  int32_t top;
  uint32_t tables_seen;
  uint64_t max_end; /* end of the furthest object seen */
} tl_fb_walk;

static void tl_fb_seen(tl_fb_walk *w, uint64_t end) {
  if (end > w->max_end) w->max_end = end;
}

/* Checks [pos, pos + n) lies inside the buffer, in 64-bit arithmetic. */
static int tl_fb_inside(const tl_fb_walk *w, uint64_t pos, uint64_t n) {
  return pos <= (uint64_t)w->fb->size && n <= (uint64_t)w->fb->size - pos;
}

static tl_status tl_fb_push(tl_fb_walk *w, tl_fb_frame f) {
  TL_ENSURE(w->err, f.depth <= TL_FB_MAX_DEPTH, TL_ERROR_LIMIT_EXCEEDED,
            "structure: tables nested deeper than %d", TL_FB_MAX_DEPTH);
  TL_ENSURE(w->err, w->top < TL_FB_STACK, TL_ERROR_LIMIT_EXCEEDED, "structure: walk stack exhausted");
  w->stack[w->top++] = f;
  return TL_OK;
}

/* Follows the uoffset at field_pos; checks the target's alignment (4) and that its 4-byte length or soffset
 * header lies inside. */
static tl_status tl_fb_target(tl_fb_walk *w, size_t field_pos, const char *what, size_t *target) {
  uint64_t t = (uint64_t)field_pos + tl_fb_u32(w->fb, field_pos);
  TL_ENSURE(w->err, tl_fb_inside(w, t, 4), TL_ERROR_TRUNCATED, "structure: %s at offset %llu is past the end",
            what, (unsigned long long)t);
  TL_ENSURE(w->err, t % 4 == 0, TL_ERROR_BAD_STRUCTURE, "structure: %s at offset %llu is misaligned", what,
            (unsigned long long)t);
  *target = (size_t)t;
  return TL_OK;
}

static tl_status tl_fb_check_vector(tl_fb_walk *w, size_t v, uint32_t elem_size, const char *what) {
  uint64_t len = tl_fb_u32(w->fb, v);
  uint64_t bytes = len * elem_size; /* < 2^35, no overflow in 64 bits */
  TL_ENSURE(w->err, tl_fb_inside(w, (uint64_t)v + 4, bytes), TL_ERROR_TRUNCATED,
            "structure: vector %s (%llu elements of %u bytes at offset %llu) runs past the end of the %llu-byte "
            "buffer", what, (unsigned long long)len, (unsigned)elem_size, (unsigned long long)v,
            (unsigned long long)w->fb->size);
  TL_ENSURE(w->err, elem_size <= 4 || ((uint64_t)v + 4) % elem_size == 0, TL_ERROR_BAD_STRUCTURE,
            "structure: vector %s elements at offset %llu are not %u-byte aligned", what,
            (unsigned long long)v + 4, (unsigned)elem_size);
  tl_fb_seen(w, (uint64_t)v + 4 + bytes);
  return TL_OK;
}

static tl_status tl_fb_check_string(tl_fb_walk *w, size_t s, const char *what) {
  uint64_t len = tl_fb_u32(w->fb, s);
  TL_ENSURE(w->err, tl_fb_inside(w, (uint64_t)s + 4, len + 1), TL_ERROR_TRUNCATED,
            "structure: string %s (%llu bytes at offset %llu) runs past the end", what, (unsigned long long)len,
            (unsigned long long)s);
  TL_ENSURE(w->err, w->fb->buf[s + 4 + (size_t)len] == 0, TL_ERROR_BAD_STRUCTURE,
            "structure: string %s at offset %llu is not NUL-terminated", what, (unsigned long long)s);
  tl_fb_seen(w, (uint64_t)s + 5 + len);
  return TL_OK;
}

/* Verifies one table's header and vtable, then its fields; pushes sub-tables. */
static tl_status tl_fb_check_table(tl_fb_walk *w, size_t t, int32_t type, int32_t depth) {
  const tl_fb *fb = w->fb;
  const tl_fb_table_desc *d = &w->schema->tables[type];
  int64_t vt;
  uint16_t vsize, tsize;
  int32_t id;

  TL_ENSURE(w->err, ++w->tables_seen <= TL_MAX_TABLES, TL_ERROR_LIMIT_EXCEEDED,
            "structure: more than %u table visits (shared sub-objects?)", (unsigned)TL_MAX_TABLES);
  TL_ENSURE(w->err, t % 4 == 0, TL_ERROR_BAD_STRUCTURE, "structure: table %s at offset %llu is misaligned",
            d->name, (unsigned long long)t);
  TL_ENSURE(w->err, tl_fb_inside(w, t, 4), TL_ERROR_TRUNCATED, "structure: table %s at offset %llu is past the end",
            d->name, (unsigned long long)t);
  vt = (int64_t)t - (int64_t)(int32_t)tl_fb_u32(fb, t);
  TL_ENSURE(w->err, vt >= 0, TL_ERROR_BAD_STRUCTURE, "structure: vtable of table %s at offset %llu is before the "
            "buffer start", d->name, (unsigned long long)t);
  TL_ENSURE(w->err, tl_fb_inside(w, (uint64_t)vt, 4), TL_ERROR_TRUNCATED,
            "structure: vtable of table %s at offset %llu is past the end", d->name, (unsigned long long)t);
  TL_ENSURE(w->err, vt % 2 == 0, TL_ERROR_BAD_STRUCTURE, "structure: vtable of table %s is misaligned", d->name);
  vsize = tl_fb_u16(fb, (size_t)vt);
  tsize = tl_fb_u16(fb, (size_t)vt + 2);
  TL_ENSURE(w->err, vsize >= 4 && vsize % 2 == 0, TL_ERROR_BAD_STRUCTURE,
            "structure: vtable of table %s at offset %llu has bad size %u", d->name, (unsigned long long)t,
            (unsigned)vsize);
  TL_ENSURE(w->err, tl_fb_inside(w, (uint64_t)vt, vsize), TL_ERROR_TRUNCATED,
            "structure: vtable of table %s (%u bytes) runs past the end", d->name, (unsigned)vsize);
  TL_ENSURE(w->err, tsize >= 4, TL_ERROR_BAD_STRUCTURE, "structure: table %s has bad size %u", d->name,
            (unsigned)tsize);
  TL_ENSURE(w->err, tl_fb_inside(w, t, tsize), TL_ERROR_TRUNCATED,
            "structure: table %s (%u bytes at offset %llu) runs past the end", d->name, (unsigned)tsize,
            (unsigned long long)t);
  tl_fb_seen(w, (uint64_t)vt + vsize);
  tl_fb_seen(w, (uint64_t)t + tsize);

  for (id = 0; id < d->field_count; id++) {
    const tl_fb_field_desc *f = &d->fields[id];
    size_t slot = 4u + 2u * (size_t)id;
    uint16_t off = slot + 2u <= vsize ? tl_fb_u16(fb, (size_t)vt + slot) : 0;
    size_t fpos = t + off;
    uint32_t need = f->kind == TL_FB_SCALAR ? f->size : f->kind == TL_FB_UNION_TYPE ? 1u : 4u;
    size_t target;

    if (f->kind == TL_FB_NONE) continue;
    if (off == 0) {
      TL_ENSURE(w->err, !f->required, TL_ERROR_BAD_STRUCTURE, "structure: table %s: required field %s missing",
                d->name, f->name);
      if (f->kind == TL_FB_UNION_TYPE) {
        uint16_t voff = slot + 4u <= vsize ? tl_fb_u16(fb, (size_t)vt + slot + 2) : 0;
        TL_ENSURE(w->err, voff == 0, TL_ERROR_BAD_STRUCTURE, "structure: table %s: union %s has a value but no "
                  "type", d->name, d->fields[id + 1].name);
      }
      continue;
    }
    TL_ENSURE(w->err, off >= 4 && (uint32_t)off + need <= tsize, TL_ERROR_BAD_STRUCTURE,
              "structure: table %s: field %s offset %u is outside the %u-byte table", d->name, f->name,
              (unsigned)off, (unsigned)tsize);
    TL_ENSURE(w->err, fpos % need == 0, TL_ERROR_BAD_STRUCTURE,
              "structure: table %s: field %s at offset %llu is misaligned", d->name, f->name,
              (unsigned long long)fpos);
    switch (f->kind) {
      case TL_FB_SCALAR:
        break;
      case TL_FB_STRING:
        TL_ENSURE_OK(tl_fb_target(w, fpos, f->name, &target));
        TL_ENSURE_OK(tl_fb_check_string(w, target, f->name));
        break;
      case TL_FB_VEC_SCALAR:
        TL_ENSURE_OK(tl_fb_target(w, fpos, f->name, &target));
        TL_ENSURE_OK(tl_fb_check_vector(w, target, f->size, f->name));
        break;
      case TL_FB_VEC_TABLE: {
        tl_fb_frame fr;
        TL_ENSURE_OK(tl_fb_target(w, fpos, f->name, &target));
        TL_ENSURE_OK(tl_fb_check_vector(w, target, 4, f->name));
        fr.pos = target + 4;
        fr.index = 0;
        fr.len = tl_fb_u32(fb, target);
        fr.type = f->sub;
        fr.depth = depth + 1;
        fr.is_vector = 1;
        if (fr.len > 0) TL_ENSURE_OK(tl_fb_push(w, fr));
        break;
      }
      case TL_FB_TABLE: {
        tl_fb_frame fr;
        TL_ENSURE_OK(tl_fb_target(w, fpos, f->name, &target));
        fr.pos = target;
        fr.index = fr.len = 0;
        fr.type = f->sub;
        fr.depth = depth + 1;
        fr.is_vector = 0;
        TL_ENSURE_OK(tl_fb_push(w, fr));
        break;
      }
      case TL_FB_UNION_TYPE: {
        const tl_fb_field_desc *vf = &d->fields[id + 1];
        const tl_fb_union_desc *u = &w->schema->unions[vf->sub];
        uint8_t tag = tl_fb_u8(fb, fpos);
        uint16_t voff = slot + 4u <= vsize ? tl_fb_u16(fb, (size_t)vt + slot + 2) : 0;
        tl_fb_frame fr;
        TL_ENSURE(w->err, tag <= u->member_count, TL_ERROR_BAD_STRUCTURE,
                  "structure: table %s: unknown %s type %u", d->name, u->name, (unsigned)tag);
        TL_ENSURE(w->err, tag == 0 || voff != 0, TL_ERROR_BAD_STRUCTURE,
                  "structure: table %s: union %s has type %u but no value", d->name, vf->name, (unsigned)tag);
        TL_ENSURE(w->err, tag != 0 || voff == 0, TL_ERROR_BAD_STRUCTURE,
                  "structure: table %s: union %s has a value but type NONE", d->name, vf->name);
        if (tag == 0) break;
        TL_ENSURE(w->err, voff >= 4 && (uint32_t)voff + 4u <= tsize && (t + voff) % 4 == 0, TL_ERROR_BAD_STRUCTURE,
                  "structure: table %s: union %s value offset %u is bad", d->name, vf->name, (unsigned)voff);
        TL_ENSURE_OK(tl_fb_target(w, t + voff, vf->name, &target));
        fr.pos = target;
        fr.index = fr.len = 0;
        fr.type = u->member_types[tag - 1];
        fr.depth = depth + 1;
        fr.is_vector = 0;
        TL_ENSURE_OK(tl_fb_push(w, fr));
        id++; /* the value field was handled with its type */
        break;
      }
      case TL_FB_UNION:
        /* reached only when the type field is absent: the value must be absent too (checked above) */
        break;
      default:
        break;
    }
  }
  return TL_OK;
}

tl_status tl_fb_verify(const tl_fb *fb, const tl_fb_schema *schema, size_t *root, tl_errbuf *err) {
  tl_fb_walk w;
  tl_fb_frame fr;
  uint32_t r;

  TL_ENSURE(err, fb->buf != NULL && fb->size >= 8, TL_ERROR_TRUNCATED,
            "structure: %llu bytes is too short for a model (needs at least 8)", (unsigned long long)fb->size);
  TL_ENSURE(err, (uint64_t)fb->size <= TL_MAX_MODEL_BYTES, TL_ERROR_LIMIT_EXCEEDED,
            "structure: %llu bytes is above the model size cap", (unsigned long long)fb->size);
  TL_ENSURE(err, memcmp(fb->buf + 4, schema->identifier, 4) == 0, TL_ERROR_BAD_IDENTIFIER,
            "structure: file identifier is not \"%s\"", schema->identifier);
  r = tl_fb_u32(fb, 0);
  TL_ENSURE(err, r >= 8, TL_ERROR_BAD_STRUCTURE, "structure: root offset %u points into the header", (unsigned)r);

  memset(&w, 0, sizeof w);
  w.fb = fb;
  w.schema = schema;
  w.err = err;
  w.max_end = 8;
  fr.pos = r;
  fr.index = fr.len = 0;
  fr.type = schema->root_type;
  fr.depth = 1;
  fr.is_vector = 0;
  TL_ENSURE(err, (uint64_t)r + 4 <= fb->size, TL_ERROR_TRUNCATED, "structure: root offset %u is past the end",
            (unsigned)r);
  TL_ENSURE_OK(tl_fb_push(&w, fr));

  /* Depth-first walk with an explicit stack. A vector frame hands out one element per visit and stays on the
   * stack until its elements are exhausted, so the stack depth is bounded by the schema's nesting. */
  while (w.top > 0) {
    tl_fb_frame *top = &w.stack[w.top - 1];
    if (top->is_vector) {
      size_t t;
      int32_t type = top->type, depth = top->depth;
      TL_ENSURE_OK(tl_fb_target(&w, top->pos + 4u * (size_t)top->index, w.schema->tables[type].name, &t));
      if (++top->index >= top->len) w.top--;
      TL_ENSURE_OK(tl_fb_check_table(&w, t, type, depth));
    } else {
      tl_fb_frame f = *top;
      w.top--;
      TL_ENSURE_OK(tl_fb_check_table(&w, f.pos, f.type, f.depth));
    }
  }
  TL_ENSURE(err, (uint64_t)fb->size - w.max_end <= TL_FB_MAX_TRAILING, TL_ERROR_BAD_STRUCTURE,
            "structure: %llu bytes of trailing data after the last object", (unsigned long long)(fb->size - w.max_end));
  *root = r;
  return TL_OK;
}
