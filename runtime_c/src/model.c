/* model.c: loading a .tlm model (copy, no-copy, file) and the model accessors.
 *
 * What this is: the single load path (docs/security.md, section 3): bytes (copied into a 16-byte aligned allocation,
 * or the caller's aligned bytes) -> structural check (fb_reader.c) -> semantic check and decoding (verify.c).
 * No flag skips a check. What this is not: interpreter state; file reading is compiled out with TL_NO_STDIO.
 */
#include <string.h>
#if !defined(TL_NO_STDIO) && !defined(TL_FREESTANDING)
#include <stdio.h>
#endif

#include "fb_schema.h"
#include "model.h"

static tl_status tl_model_finish(tl_model *m, tl_errbuf *err) {
  size_t root = 0;
  TL_ENSURE_OK(tl_fb_verify(&m->fb, &tl_model_schema, &root, err));
  return tl_model_decode(m, root, err);
}

void *tl_model_alloc(tl_model *m, size_t bytes) {
  size_t need;
  void *p;
  if (m->pool == NULL) return tl_malloc(bytes);
  if (!tl_align_size(bytes, 16u, &need) || !tl_add_size(m->pool_need, need, &m->pool_need)) {
    m->pool_need = (size_t)-1;
    return NULL;
  }
  if (need > m->pool_bytes - m->pool_used) return NULL;
  p = m->pool + m->pool_used;
  m->pool_used += need;
  return p;
}

void tl_model_release(tl_model *m, void *ptr) {
  if (m->pool == NULL) tl_free(ptr);
}

/* The one load path. mode: TL_LOAD_COPY copies `data`; TL_LOAD_NOCOPY uses it in place (16-byte aligned);
 * TL_LOAD_ADOPT takes ownership of `owned` (a tl_malloc block in which `data` is the aligned start), freeing
 * it on failure. */
enum { TL_LOAD_COPY, TL_LOAD_NOCOPY, TL_LOAD_ADOPT };

static tl_status tl_model_load_impl(const void *data, size_t size, int mode, void *owned, tl_model **out_model,
                                    char *errbuf, size_t err_size) {
  tl_errbuf err;
  tl_model *m;
  tl_status s;
  err.buf = errbuf;
  err.size = err_size;
  if (errbuf && err_size) errbuf[0] = '\0';
  if (out_model != NULL) *out_model = NULL;
  if (out_model == NULL || (data == NULL && size != 0)) {
    if (mode == TL_LOAD_ADOPT) tl_free(owned);
    tl_error_set(&err, "load: %s is NULL", out_model == NULL ? "out_model" : "data");
    return TL_ERROR_NULL_ARGUMENT;
  }
  s = size < 8 ? TL_ERROR_TRUNCATED
      : (uint64_t)size > TL_MAX_MODEL_BYTES ? TL_ERROR_LIMIT_EXCEEDED
      : mode == TL_LOAD_NOCOPY && ((uintptr_t)data % 16u) != 0 ? TL_ERROR_MISALIGNED
                                                                : TL_OK;
  m = s == TL_OK ? (tl_model *)tl_malloc(sizeof(tl_model)) : NULL;
  if (s == TL_OK && m == NULL) s = TL_ERROR_OUT_OF_MEMORY;
  if (s != TL_OK) {
    if (mode == TL_LOAD_ADOPT) tl_free(owned);
    if (s == TL_ERROR_TRUNCATED) {
      tl_error_set(&err, "load: %llu bytes is too short for a model (needs at least 8)", (unsigned long long)size);
    } else if (s == TL_ERROR_LIMIT_EXCEEDED) {
      tl_error_set(&err, "load: %llu bytes is above the model size cap", (unsigned long long)size);
    } else if (s == TL_ERROR_MISALIGNED) {
      tl_error_set(&err, "load: no-copy model bytes at %p are not 16-byte aligned", data);
    } else {
      tl_error_set(&err, "load: out of memory");
    }
    return s;
  }
  memset(m, 0, sizeof *m);
  if (mode == TL_LOAD_COPY) {
    /* over-allocate by 15 so the copy starts 16-byte aligned whatever malloc's alignment is */
    uint8_t *raw = (uint8_t *)tl_malloc(size + 15u);
    uint8_t *aligned;
    if (raw == NULL) {
      tl_free(m);
      tl_error_set(&err, "load: out of memory copying %llu bytes", (unsigned long long)size);
      return TL_ERROR_OUT_OF_MEMORY;
    }
    aligned = raw + ((16u - ((uintptr_t)raw % 16u)) % 16u);
    memcpy(aligned, data, size);
    m->owned = raw;
    m->fb.buf = aligned;
  } else {
    m->owned = mode == TL_LOAD_ADOPT ? owned : NULL;
    m->fb.buf = (const uint8_t *)data;
  }
  m->fb.size = size;
  s = tl_model_finish(m, &err);
  if (s != TL_OK) {
    tl_model_destroy(m);
    return s;
  }
  *out_model = m;
  return TL_OK;
}

tl_status tl_model_load_static(const void *data, size_t size, void *memory, size_t memory_bytes,
                               tl_model **out_model, char *errbuf, size_t err_size) {
  tl_errbuf err;
  tl_model *m;
  size_t pad, head, need;
  tl_status s;
  err.buf = errbuf;
  err.size = err_size;
  if (errbuf && err_size) errbuf[0] = '\0';
  if (out_model != NULL) *out_model = NULL;
  TL_ENSURE(&err, out_model != NULL && memory != NULL && (data != NULL || size == 0), TL_ERROR_NULL_ARGUMENT,
            "load: %s is NULL", out_model == NULL ? "out_model" : memory == NULL ? "memory" : "data");
  TL_ENSURE(&err, size >= 8, TL_ERROR_TRUNCATED, "load: %lu bytes is too short for a model (needs at least 8)",
            (unsigned long)size);
  TL_ENSURE(&err, (uint64_t)size <= TL_MAX_MODEL_BYTES, TL_ERROR_LIMIT_EXCEEDED,
            "load: %lu bytes is above the model size cap", (unsigned long)size);
  TL_ENSURE(&err, ((uintptr_t)data % 16u) == 0, TL_ERROR_MISALIGNED,
            "load: no-copy model bytes at %p are not 16-byte aligned", data);
  pad = (16u - ((uintptr_t)memory % 16u)) % 16u;
  head = pad + ((sizeof(tl_model) + 15u) & ~(size_t)15u);
  TL_ENSURE(&err, memory_bytes >= head, TL_ERROR_ARENA_TOO_SMALL,
            "load: memory of %lu bytes is too small for the model (needs at least %lu)",
            (unsigned long)memory_bytes, (unsigned long)(head + 15u));
  m = (tl_model *)(void *)((uint8_t *)memory + pad);
  memset(m, 0, sizeof *m);
  m->pool = (uint8_t *)memory + head;
  m->pool_bytes = memory_bytes - head;
  m->fb.buf = (const uint8_t *)data;
  m->fb.size = size;
  s = tl_model_finish(m, &err);
  if (s == TL_ERROR_OUT_OF_MEMORY && m->pool_need > m->pool_bytes) {
    need = m->pool_need > (size_t)-1 - head - 15u ? (size_t)-1 : m->pool_need + head + 15u;
    tl_error_set(&err, "load: memory of %lu bytes is too small for the model's tables (needs %lu)",
                 (unsigned long)memory_bytes, (unsigned long)need);
    s = TL_ERROR_ARENA_TOO_SMALL;
  }
  if (s != TL_OK) return s;
  *out_model = m;
  return TL_OK;
}

size_t tl_model_memory_bytes(const tl_model *model) {
  if (model == NULL || model->pool == NULL) return 0;
  return ((sizeof(tl_model) + 15u) & ~(size_t)15u) + model->pool_used + 15u;
}

tl_status tl_model_load(const void *data, size_t size, tl_model **out_model, char *err, size_t err_size) {
  return tl_model_load_impl(data, size, TL_LOAD_COPY, NULL, out_model, err, err_size);
}

tl_status tl_model_load_nocopy(const void *data, size_t size, tl_model **out_model, char *err, size_t err_size) {
  return tl_model_load_impl(data, size, TL_LOAD_NOCOPY, NULL, out_model, err, err_size);
}

#ifndef TL_NO_STDIO
tl_status tl_model_load_file(const char *path, tl_model **out_model, char *errbuf, size_t err_size) {
  tl_errbuf err;
  FILE *f;
  long len;
  void *buf;
  uint8_t *aligned;
  size_t got;
  err.buf = errbuf;
  err.size = err_size;
  if (errbuf && err_size) errbuf[0] = '\0';
  TL_ENSURE(&err, out_model != NULL && path != NULL, TL_ERROR_NULL_ARGUMENT, "load: path or out_model is NULL");
  *out_model = NULL;
  f = fopen(path, "rb");
  TL_ENSURE(&err, f != NULL, TL_ERROR_IO, "load: cannot open %s", path);
  if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    tl_error_set(&err, "load: cannot read %s", path);
    return TL_ERROR_IO;
  }
  if ((uint64_t)len > TL_MAX_MODEL_BYTES) {
    fclose(f);
    tl_error_set(&err, "load: %s is %ld bytes, above the model size cap", path, len);
    return TL_ERROR_LIMIT_EXCEEDED;
  }
  /* read straight into a 16-byte aligned block that the model then owns (no second copy) */
  buf = tl_malloc((size_t)len + 16u);
  if (buf == NULL) {
    fclose(f);
    tl_error_set(&err, "load: out of memory reading %s", path);
    return TL_ERROR_OUT_OF_MEMORY;
  }
  aligned = (uint8_t *)buf + ((16u - ((uintptr_t)buf % 16u)) % 16u);
  got = len > 0 ? fread(aligned, 1, (size_t)len, f) : 0;
  fclose(f);
  if (got != (size_t)len) {
    tl_free(buf);
    tl_error_set(&err, "load: short read from %s", path);
    return TL_ERROR_IO;
  }
  return tl_model_load_impl(aligned, (size_t)len, TL_LOAD_ADOPT, buf, out_model, errbuf, err_size);
}
#endif

void tl_model_destroy(tl_model *model) {
  if (model == NULL) return;
  tl_model_free_tables(model);
  if (model->pool != NULL) return; /* tl_model_load_static: everything is the caller's memory */
  tl_free(model->owned);
  tl_free(model);
}

int32_t tl_model_tensor_count(const tl_model *model) { return model ? model->tensor_count : 0; }
int32_t tl_model_op_count(const tl_model *model) { return model ? model->op_count : 0; }
uint64_t tl_model_planned_arena_bytes(const tl_model *model) { return model ? model->planned_arena_bytes : 0; }
size_t tl_model_size_bytes(const tl_model *model) { return model ? model->fb.size : 0; }
