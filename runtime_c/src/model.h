/* model.h: the verified, decoded model (internal).
 *
 * What this is: what tl_model_load builds after the structural and semantic checks passed: one descriptor
 * per tensor and op, with every value already range-checked, so that prepare and invoke never read the
 * FlatBuffer again. What this is not: per-interpreter state (interpreter.h).
 */
#ifndef TL_MODEL_H
#define TL_MODEL_H

#include "fb_reader.h"
#include "tl_internal.h"

typedef struct tl_tensor_desc {
  const char *name;        /* never NULL; points into the model bytes or "" */
  tl_dtype dtype;
  int32_t rank;
  int32_t dims[TL_MAX_RANK];
  int64_t elems;           /* product of dims (1 for a scalar) */
  size_t bytes;            /* elems x dtype size, <= TL_MAX_TENSOR_BYTES */
  const uint8_t *data;     /* constant data (16-byte aligned inside the model), or NULL */
  int32_t quant_count;     /* 0: no quantization */
  int32_t quant_axis;
  const float *scales;     /* quant_count entries, copied out of the file */
  const int64_t *zero_points;
} tl_tensor_desc;

/* What an op's options decoder reads (tl_op_descriptor.decode_options, ops/ops.h): the options table of op
 * `op` (0: the file has none; the decoder then writes its defaults); the helpers of ops.h (tl_options_*) copy
 * int vectors into the model's pool and write errors. */
typedef struct tl_options_reader {
  const tl_fb *fb;
  size_t table;
  int32_t op;
  const char *name;
  tl_errbuf *err;
  struct tl_decoder *decoder;
} tl_options_reader;

typedef struct tl_op_desc {
  int32_t opcode;
  int32_t input_count;
  int32_t output_count;
  const int32_t *inputs;   /* tensor indices, all in range */
  const int32_t *outputs;
  int32_t options_type;    /* OpOptions tag from the file */
  const void *options;     /* the op's own decoded options struct (its descriptor's options_bytes; defaults
                              when the file has no table), range-checked at load; NULL: the op has none */
} tl_op_desc;

struct tl_model {
  void *owned;             /* the allocation holding the copied bytes (copy mode), or NULL */
  tl_fb fb;                /* the bytes (16-byte aligned) */
  uint32_t version;
  int32_t tensor_count;
  int32_t op_count;
  int32_t input_count;
  int32_t output_count;
  tl_tensor_desc *tensors;
  tl_op_desc *ops;
  const int32_t *inputs;   /* graph inputs */
  const int32_t *outputs;  /* graph outputs */
  int32_t *int_pool;       /* storage for all int32 arrays above */
  float *scale_pool;
  int64_t *zp_pool;
  uint8_t *is_constant;    /* per tensor */
  void *options_pool;      /* the ops' options structs (tl_op_desc.options point into it; 16-byte slots) */
  uint64_t planned_arena_bytes;
  /* tl_model_load_static: the struct and its tables live in caller memory (pool); nothing is malloc'd */
  uint8_t *pool;           /* 16-byte aligned start of the caller's memory after this struct, or NULL */
  size_t pool_bytes;
  size_t pool_used;        /* bytes handed out (16-byte aligned pieces) */
  size_t pool_need;        /* bytes requested, including requests that did not fit */
};

/* 1 when tensor t is one of the model's graph inputs (tl_model_is_output: outputs) */
static inline int tl_model_is_input(const tl_model *m, int32_t t) {
  int32_t k;
  for (k = 0; k < m->input_count; k++) {
    if (m->inputs[k] == t) return 1;
  }
  return 0;
}
static inline int tl_model_is_output(const tl_model *m, int32_t t) {
  int32_t k;
  for (k = 0; k < m->output_count; k++) {
    if (m->outputs[k] == t) return 1;
  }
  return 0;
}

/* verify.c: decodes and checks everything (semantic rules, docs/security.md section 3). The model's bytes and fb must be
 * set and structurally verified (root = root table). Allocates the descriptor arrays into `model`;
 * tl_model_free_tables releases them. */
tl_status tl_model_decode(tl_model *model, size_t root, tl_errbuf *err);
void tl_model_free_tables(tl_model *model);

/* model.c: allocation of the model's tables: tl_malloc, or the caller's pool for tl_model_load_static (bump
 * allocation, 16-byte aligned; release is then a no-op). */
void *tl_model_alloc(tl_model *model, size_t bytes);
void tl_model_release(tl_model *model, void *ptr);

const char *tl_op_name(int32_t opcode); /* "Conv2D"; "unknown" for an unknown code */

#endif /* TL_MODEL_H */
