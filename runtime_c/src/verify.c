/* verify.c: semantic verification of a structurally valid model, decoding it into tl_model's descriptors.
 *
 * What this is: every rule of docs/security.md (phase 2) that the schema can violate without looking at op
 * semantics, each with its own tl_status and a message naming what and where:
 *   version (0 or newer -> UNSUPPORTED_VERSION); counts vs caps (LIMIT_EXCEEDED); tensors: dtype enum
 *   (UNSUPPORTED_DTYPE), rank cap (LIMIT_EXCEEDED), dims >= 1 (BAD_TENSOR), element/byte counts in checked
 *   64-bit arithmetic with caps (LIMIT_EXCEEDED), buffer index (BAD_REFERENCE), constant data length and
 *   alignment (BAD_TENSOR), quantization (BAD_QUANTIZATION), name length (LIMIT_EXCEEDED);
 *   ops: op code (UNSUPPORTED_OP), tensor indices (BAD_REFERENCE), options type (BAD_OPTIONS), enum and
 *   shape-free option values (BAD_OPTIONS); graph: inputs/outputs in range (BAD_REFERENCE) and listed once,
 *   inputs not constant, topological order, single writer, no writes to constants/graph inputs/own inputs,
 *   every output produced (BAD_GRAPH); int8/uint8 tensors used by ops carry quantization; metadata strings.
 * What this is not: op-specific shape and option checks that need shapes (ops/, at prepare), FlatBuffers
 * structure (fb_reader.c, run before this). All walks are loops over vectors: no recursion.
 */
#include <math.h>
#include <string.h>

#include "fb_schema.h"
#include "model.h"
#include "ops/ops.h"

typedef struct tl_decoder {
  tl_model *m;
  const tl_fb *fb;
  tl_errbuf *err;
  size_t int_used, int_cap;
  size_t quant_used, quant_cap;
  uint8_t *options;     /* the ops' options structs (one block, options_used bytes handed out) */
  size_t options_used;
} tl_decoder;

enum { TL_PRODUCER_NONE = 0, TL_PRODUCER_CONSTANT, TL_PRODUCER_INPUT, TL_PRODUCER_OP };

static void *tl_calloc_array(tl_model *m, size_t count, size_t elem) {
  size_t bytes;
  void *p;
  if (count == 0) count = 1;
  if (!tl_mul_size(count, elem, &bytes)) return NULL;
  p = tl_model_alloc(m, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void tl_model_free_tables(tl_model *m) {
  tl_model_release(m, m->tensors);
  tl_model_release(m, m->ops);
  tl_model_release(m, m->int_pool);
  tl_model_release(m, m->scale_pool);
  tl_model_release(m, m->zp_pool);
  tl_model_release(m, m->is_constant);
  tl_model_release(m, m->options_pool);
  m->tensors = NULL;
  m->ops = NULL;
  m->int_pool = NULL;
  m->scale_pool = NULL;
  m->zp_pool = NULL;
  m->is_constant = NULL;
  m->options_pool = NULL;
}

/* Copies an int32 vector into the pool (the caller counted the pool's capacity). */
static const int32_t *tl_copy_ints(tl_decoder *d, size_t elems, uint32_t len) {
  int32_t *dst = d->m->int_pool + d->int_used;
  uint32_t i;
  TL_DCHECK(d->int_used + len <= d->int_cap);
  for (i = 0; i < len; i++) dst[i] = (int32_t)tl_fb_u32(d->fb, elems + 4u * i);
  d->int_used += len;
  return dst;
}

static const char *tl_tensor_label(const tl_model *m, int32_t t) {
  if (t < 0 || t >= m->tensor_count || m->tensors == NULL || m->tensors[t].name == NULL) return "";
  return m->tensors[t].name;
}

/* ---- tensors ---- */

static tl_status tl_decode_quant(tl_decoder *d, int32_t i, tl_tensor_desc *t, size_t qt) {
  const tl_fb *fb = d->fb;
  size_t se, ze;
  uint32_t sn, zn, k;
  int32_t axis;
  int64_t lo = 0, hi = 0;
  int check_range = 1;
  float *scales;
  int64_t *zps;

  tl_fb_get_vector(fb, qt, TL_F_QUANT_SCALE, &se, &sn);
  tl_fb_get_vector(fb, qt, TL_F_QUANT_ZERO_POINT, &ze, &zn);
  axis = tl_fb_get_i32(fb, qt, TL_F_QUANT_DIM, 0);
  if (sn == 0 && zn == 0) return TL_OK; /* an empty Quantization table means "not quantized" */
  TL_ENSURE(d->err, sn == zn, TL_ERROR_BAD_QUANTIZATION,
            "tensor %d (%s): %u scales but %u zero points", i, t->name, (unsigned)sn, (unsigned)zn);
  if (sn > 1) {
    TL_ENSURE(d->err, axis >= 0 && axis < t->rank, TL_ERROR_BAD_QUANTIZATION,
              "tensor %d (%s): quantized_dimension %d is out of range for rank %d", i, t->name, axis, t->rank);
    TL_ENSURE(d->err, (int64_t)sn == t->dims[axis], TL_ERROR_BAD_QUANTIZATION,
              "tensor %d (%s): %u scales but dim %d is %d", i, t->name, (unsigned)sn, axis, t->dims[axis]);
  } else {
    TL_ENSURE(d->err, axis >= 0 && (axis < t->rank || axis == 0), TL_ERROR_BAD_QUANTIZATION,
              "tensor %d (%s): quantized_dimension %d is out of range for rank %d", i, t->name, axis, t->rank);
  }
  TL_ENSURE(d->err, (uint64_t)d->quant_used + sn <= d->quant_cap, TL_ERROR_LIMIT_EXCEEDED,
            "tensor %d (%s): quantization parameters exceed the total cap", i, t->name);
  switch (t->dtype) {
    case TL_INT8: lo = -128; hi = 127; break;
    case TL_UINT8: lo = 0; hi = 255; break;
    case TL_INT16: lo = -32768; hi = 32767; break;
    case TL_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
    case TL_BOOL: lo = 0; hi = 1; break;
    default: check_range = 0; break;
  }
  scales = d->m->scale_pool + d->quant_used;
  zps = d->m->zp_pool + d->quant_used;
  for (k = 0; k < sn; k++) {
    float s = tl_fb_f32(fb, se + 4u * k);
    int64_t z = (int64_t)tl_fb_u64(fb, ze + 8u * k);
    TL_ENSURE(d->err, isfinite(s) && s > 0.0f && isnormal(s), TL_ERROR_BAD_QUANTIZATION,
              "tensor %d (%s): scale %u is %g (must be finite, positive and normal)", i, t->name, (unsigned)k,
              (double)s);
    TL_ENSURE(d->err, !check_range || (z >= lo && z <= hi), TL_ERROR_BAD_QUANTIZATION,
              "tensor %d (%s): zero point %u is %lld, outside the %s range", i, t->name, (unsigned)k,
              (long long)z, tl_dtype_name(t->dtype));
    scales[k] = s;
    zps[k] = z;
  }
  d->quant_used += sn;
  t->quant_count = (int32_t)sn;
  t->quant_axis = axis;
  t->scales = scales;
  t->zero_points = zps;
  return TL_OK;
}

static tl_status tl_decode_tensor(tl_decoder *d, int32_t i, size_t tt, size_t buffers, uint32_t buffer_count) {
  const tl_fb *fb = d->fb;
  tl_tensor_desc *t = &d->m->tensors[i];
  uint32_t name_len, rank, k, bi;
  const char *name = tl_fb_get_string(fb, tt, TL_F_TENSOR_NAME, &name_len);
  int32_t dtype = (int8_t)tl_fb_get_u8(fb, tt, TL_F_TENSOR_DTYPE, 0);
  size_t shape;
  uint64_t elems = 1, bytes;
  size_t qt;

  TL_ENSURE(d->err, name_len <= TL_MAX_NAME_LEN, TL_ERROR_LIMIT_EXCEEDED,
            "tensor %d: name is %u bytes (cap %d)", i, (unsigned)name_len, TL_MAX_NAME_LEN);
  t->name = name ? name : "";
  TL_ENSURE(d->err, dtype >= 0 && dtype <= TL_BOOL, TL_ERROR_UNSUPPORTED_DTYPE, "tensor %d (%s): unknown dtype %d",
            i, t->name, dtype);
  t->dtype = (tl_dtype)dtype;
  tl_fb_get_vector(fb, tt, TL_F_TENSOR_SHAPE, &shape, &rank);
  TL_ENSURE(d->err, rank <= TL_MAX_RANK, TL_ERROR_LIMIT_EXCEEDED, "tensor %d (%s): rank %u is above the cap %d", i,
            t->name, (unsigned)rank, TL_MAX_RANK);
  t->rank = (int32_t)rank;
  for (k = 0; k < rank; k++) {
    int32_t dim = (int32_t)tl_fb_u32(fb, shape + 4u * k);
    TL_ENSURE(d->err, dim >= 1, TL_ERROR_BAD_TENSOR, "tensor %d (%s): dim %u is %d", i, t->name, (unsigned)k, dim);
    t->dims[k] = dim;
    TL_ENSURE(d->err, tl_mul_u64(elems, (uint64_t)dim, &elems) && elems <= (uint64_t)TL_MAX_TENSOR_ELEMS,
              TL_ERROR_LIMIT_EXCEEDED,
              "tensor %d (%s): element count exceeds %lld", i, t->name, (long long)TL_MAX_TENSOR_ELEMS);
  }
  TL_ENSURE(d->err, tl_mul_u64(elems, tl_dtype_size(t->dtype), &bytes) && bytes <= TL_MAX_TENSOR_BYTES &&
                        bytes <= (uint64_t)(size_t)-1,
            TL_ERROR_LIMIT_EXCEEDED, "tensor %d (%s): %llu elements of %s exceed the byte cap", i, t->name,
            (unsigned long long)elems, tl_dtype_name(t->dtype));
  t->elems = (int64_t)elems;
  t->bytes = (size_t)bytes;

  bi = tl_fb_get_u32(fb, tt, TL_F_TENSOR_BUFFER, 0);
  if (bi != 0) {
    size_t bt, de;
    uint32_t dn;
    TL_ENSURE(d->err, bi < buffer_count, TL_ERROR_BAD_REFERENCE,
              "tensor %d (%s): buffer index %u is out of range [0, %u)", i, t->name, (unsigned)bi,
              (unsigned)buffer_count);
    bt = tl_fb_vector_table(fb, buffers, bi);
    tl_fb_get_vector(fb, bt, TL_F_BUFFER_DATA, &de, &dn);
    TL_ENSURE(d->err, (uint64_t)dn == bytes, TL_ERROR_BAD_TENSOR,
              "tensor %d (%s): constant data is %u bytes, expected %llu", i, t->name, (unsigned)dn,
              (unsigned long long)bytes);
    TL_ENSURE(d->err, de % 16 == 0, TL_ERROR_BAD_TENSOR,
              "tensor %d (%s): constant data at offset %llu is not 16-byte aligned", i, t->name,
              (unsigned long long)de);
    t->data = fb->buf + de;
    d->m->is_constant[i] = 1;
  }

  qt = tl_fb_get_table(fb, tt, TL_F_TENSOR_QUANT);
  if (qt) TL_ENSURE_OK(tl_decode_quant(d, i, t, qt));
  return TL_OK;
}

/* ---- operators ---- */

/* ---- helpers of the per-op options decoders (tl_op_descriptor.decode_options, next to each op) ---- */

tl_status tl_options_ints(tl_options_reader *r, int32_t field, const char *what, int32_t *count,
                          const int32_t **ints) {
  size_t e;
  uint32_t n;
  if (!tl_fb_get_vector(r->fb, r->table, field, &e, &n)) return TL_OK;
  TL_ENSURE(r->err, n <= TL_MAX_OPTION_INTS, TL_ERROR_BAD_OPTIONS, "op %d (%s): %s has %u entries (cap %d)", r->op,
            r->name, what, (unsigned)n, TL_MAX_OPTION_INTS);
  *count = (int32_t)n;
  *ints = tl_copy_ints(r->decoder, e, n);
  return TL_OK;
}

tl_status tl_options_check_activation(tl_options_reader *r, int32_t act) {
  TL_ENSURE(r->err, act >= 0 && act < TL_ACT_COUNT, TL_ERROR_BAD_OPTIONS, "op %d (%s): unknown activation %d", r->op,
            r->name, act);
  return TL_OK;
}

tl_status tl_options_check_positive(tl_options_reader *r, const char *what, int32_t v) {
  TL_ENSURE(r->err, v > 0, TL_ERROR_BAD_OPTIONS, "op %d (%s): %s is %d", r->op, r->name, what, v);
  return TL_OK;
}

tl_status tl_options_check_window(tl_options_reader *r, int32_t padding, int32_t stride_h, int32_t stride_w) {
  TL_ENSURE(r->err, padding >= 0 && padding < TL_PADDING_COUNT, TL_ERROR_BAD_OPTIONS,
            "op %d (%s): unknown padding %d", r->op, r->name, padding);
  TL_ENSURE_OK(tl_options_check_positive(r, "stride_h", stride_h));
  return tl_options_check_positive(r, "stride_w", stride_w);
}

/* The bytes of an op's options struct in the options block: its descriptor's options_bytes rounded up to 16
 * (0 for an unknown op code or an op without options). */
static size_t tl_options_slot(const tl_op_descriptor *desc) {
  return desc != NULL && desc->decode_options != NULL ? ((size_t)desc->options_bytes + 15u) & ~(size_t)15u : 0;
}

/* The op's own decoder writes its options struct (a slot of the options block): its defaults, then the file's
 * table when present (ot != 0). */
static tl_status tl_decode_options(tl_decoder *d, int32_t i, const tl_op_descriptor *desc, size_t ot,
                                   const void **options) {
  tl_options_reader r;
  void *o;
  const size_t slot = tl_options_slot(desc);
  if (slot == 0) return TL_OK;
  o = d->options + d->options_used;
  d->options_used += slot;
  r.fb = d->fb;
  r.table = ot;
  r.op = i;
  r.name = desc->name;
  r.err = d->err;
  r.decoder = d;
  *options = o;
  return desc->decode_options(&r, o);
}

static tl_status tl_decode_indices(tl_decoder *d, int32_t i, const char *name, size_t e, uint32_t n,
                                   const char *what, const int32_t **out) {
  const int32_t *v = tl_copy_ints(d, e, n);
  uint32_t k;
  for (k = 0; k < n; k++) {
    TL_ENSURE(d->err, v[k] >= 0 && v[k] < d->m->tensor_count, TL_ERROR_BAD_REFERENCE,
              "op %d (%s): %s %u is tensor %d, out of range [0, %d)", i, name, what, (unsigned)k, v[k],
              d->m->tensor_count);
  }
  *out = v;
  return TL_OK;
}

static tl_status tl_decode_op(tl_decoder *d, int32_t i, size_t ot) {
  const tl_fb *fb = d->fb;
  tl_op_desc *op = &d->m->ops[i];
  const tl_op_descriptor *reg;
  size_t ie, oe, opt;
  uint32_t in_n, out_n;
  int32_t tag;

  op->opcode = tl_fb_get_i32(fb, ot, TL_F_OP_OPCODE, 0);
  reg = tl_op_lookup(op->opcode);
  /* a known code without a descriptor: a selective build without that op (ops/op_table.c, TL_OP_REF) */
  TL_ENSURE(d->err, reg != NULL, TL_ERROR_UNSUPPORTED_OP,
            op->opcode >= 0 && op->opcode < TL_OP_COUNT ? "op %d: op code %d is not in this build (a selective "
                                                          "build without it)"
                                                        : "op %d: unknown op code %d",
            i, op->opcode);
  tl_fb_get_vector(fb, ot, TL_F_OP_INPUTS, &ie, &in_n);
  tl_fb_get_vector(fb, ot, TL_F_OP_OUTPUTS, &oe, &out_n);
  TL_ENSURE(d->err, in_n <= TL_MAX_OP_INPUTS, TL_ERROR_LIMIT_EXCEEDED, "op %d (%s): %u inputs (cap %d)", i,
            reg->name, (unsigned)in_n, TL_MAX_OP_INPUTS);
  TL_ENSURE(d->err, out_n <= TL_MAX_OP_OUTPUTS, TL_ERROR_LIMIT_EXCEEDED, "op %d (%s): %u outputs (cap %d)", i,
            reg->name, (unsigned)out_n, TL_MAX_OP_OUTPUTS);
  op->input_count = (int32_t)in_n;
  op->output_count = (int32_t)out_n;
  TL_ENSURE_OK(tl_decode_indices(d, i, reg->name, ie, in_n, "input", &op->inputs));
  TL_ENSURE_OK(tl_decode_indices(d, i, reg->name, oe, out_n, "output", &op->outputs));

  tag = tl_fb_get_u8(fb, ot, TL_F_OP_OPTIONS_TYPE, TL_OPT_NONE);
  opt = tag != TL_OPT_NONE ? tl_fb_get_table(fb, ot, TL_F_OP_OPTIONS) : 0;
  op->options_type = tag;
  TL_ENSURE(d->err, tag == TL_OPT_NONE || tag == reg->options_type, TL_ERROR_BAD_OPTIONS,
            "op %d (%s): options are %s, expected %s", i, reg->name, tl_opt_name(tag),
            tl_opt_name(reg->options_type));
  TL_ENSURE(d->err, tag != TL_OPT_NONE || !reg->options_required, TL_ERROR_BAD_OPTIONS,
            "op %d (%s): required %s missing", i, reg->name, tl_opt_name(reg->options_type));
  return tl_decode_options(d, i, reg, opt, &op->options);
}

/* ---- graph ---- */

static tl_status tl_decode_graph_io(tl_decoder *d, size_t e, uint32_t n, const char *what, uint8_t *seen,
                                    const int32_t **out) {
  tl_model *m = d->m;
  const int32_t *v = tl_copy_ints(d, e, n);
  uint32_t k;
  for (k = 0; k < n; k++) {
    TL_ENSURE(d->err, v[k] >= 0 && v[k] < m->tensor_count, TL_ERROR_BAD_REFERENCE,
              "graph %s %u is tensor %d, out of range [0, %d)", what, (unsigned)k, v[k], m->tensor_count);
    TL_ENSURE(d->err, !seen[v[k]], TL_ERROR_BAD_GRAPH, "graph %s %u: tensor %d (%s) is listed twice", what,
              (unsigned)k, v[k], tl_tensor_label(m, v[k]));
    TL_ENSURE(d->err, !m->is_constant[v[k]], TL_ERROR_BAD_GRAPH, "graph %s %u: tensor %d (%s) is a constant",
              what, (unsigned)k, v[k], tl_tensor_label(m, v[k]));
    seen[v[k]] = 1;
  }
  *out = v;
  return TL_OK;
}

/* Walks the ops in file order, tracking who produced each tensor: proves topological order (so cycles and
 * self-loops cannot load), a single writer per tensor, and that nothing writes constants or graph inputs. */
static tl_status tl_check_graph(tl_decoder *d, uint8_t *producer) {
  tl_model *m = d->m;
  int32_t i, k, j;
  for (i = 0; i < m->tensor_count; i++) producer[i] = m->is_constant[i] ? TL_PRODUCER_CONSTANT : TL_PRODUCER_NONE;
  for (k = 0; k < m->input_count; k++) producer[m->inputs[k]] = TL_PRODUCER_INPUT;
  for (i = 0; i < m->op_count; i++) {
    const tl_op_desc *op = &m->ops[i];
    const char *name = tl_op_name(op->opcode);
    for (k = 0; k < op->input_count; k++) {
      int32_t t = op->inputs[k];
      TL_ENSURE(d->err, producer[t] != TL_PRODUCER_NONE, TL_ERROR_BAD_GRAPH,
                "op %d (%s): input %d (tensor %d '%s') is not produced before use (ops must be in execution "
                "order)", i, name, k, t, tl_tensor_label(m, t));
    }
    for (k = 0; k < op->output_count; k++) {
      int32_t t = op->outputs[k];
      for (j = 0; j < op->input_count; j++) {
        TL_ENSURE(d->err, op->inputs[j] != t, TL_ERROR_BAD_GRAPH, "op %d (%s): output %d (tensor %d '%s') is also "
                  "its input %d", i, name, k, t, tl_tensor_label(m, t), j);
      }
      TL_ENSURE(d->err, producer[t] != TL_PRODUCER_CONSTANT, TL_ERROR_BAD_GRAPH,
                "op %d (%s): output %d writes constant tensor %d '%s'", i, name, k, t, tl_tensor_label(m, t));
      TL_ENSURE(d->err, producer[t] != TL_PRODUCER_INPUT, TL_ERROR_BAD_GRAPH,
                "op %d (%s): output %d writes graph input tensor %d '%s'", i, name, k, t, tl_tensor_label(m, t));
      TL_ENSURE(d->err, producer[t] == TL_PRODUCER_NONE, TL_ERROR_BAD_GRAPH,
                "op %d (%s): output %d: tensor %d '%s' is written twice", i, name, k, t, tl_tensor_label(m, t));
      producer[t] = TL_PRODUCER_OP;
    }
    for (k = 0; k < op->input_count + op->output_count; k++) {
      int32_t t = k < op->input_count ? op->inputs[k] : op->outputs[k - op->input_count];
      const tl_tensor_desc *td = &m->tensors[t];
      TL_ENSURE(d->err, !(td->dtype == TL_INT8 || td->dtype == TL_UINT8) || td->quant_count > 0,
                TL_ERROR_BAD_QUANTIZATION, "op %d (%s): %s tensor %d (%s) has no quantization parameters", i, name,
                tl_dtype_name(td->dtype), t, td->name);
    }
  }
  for (k = 0; k < m->output_count; k++) {
    int32_t t = m->outputs[k];
    TL_ENSURE(d->err, producer[t] == TL_PRODUCER_INPUT || producer[t] == TL_PRODUCER_OP, TL_ERROR_BAD_GRAPH,
              "graph output %d: tensor %d '%s' is never produced", k, t, tl_tensor_label(m, t));
  }
  return TL_OK;
}

/* ---- metadata ---- */

static tl_status tl_check_meta_string(tl_decoder *d, size_t table, int32_t field, const char *what) {
  uint32_t len = 0;
  tl_fb_get_string(d->fb, table, field, &len);
  TL_ENSURE(d->err, len <= TL_MAX_META_STRING_LEN, TL_ERROR_LIMIT_EXCEEDED, "metadata: %s is %u bytes (cap %d)",
            what, (unsigned)len, TL_MAX_META_STRING_LEN);
  return TL_OK;
}

static tl_status tl_decode_metadata(tl_decoder *d, size_t root) {
  size_t mt = tl_fb_get_table(d->fb, root, TL_F_MODEL_METADATA);
  size_t ee;
  uint32_t en, k;
  if (!mt) return TL_OK;
  TL_ENSURE_OK(tl_check_meta_string(d, mt, TL_F_META_PRODUCER, "producer"));
  TL_ENSURE_OK(tl_check_meta_string(d, mt, TL_F_META_DESCRIPTION, "description"));
  d->m->planned_arena_bytes = tl_fb_get_u64(d->fb, mt, TL_F_META_ARENA_BYTES, 0);
  tl_fb_get_vector(d->fb, mt, TL_F_META_ENTRIES, &ee, &en);
  TL_ENSURE(d->err, en <= TL_MAX_META_ENTRIES, TL_ERROR_LIMIT_EXCEEDED, "metadata: %u entries (cap %d)",
            (unsigned)en, TL_MAX_META_ENTRIES);
  for (k = 0; k < en; k++) {
    size_t kv = tl_fb_vector_table(d->fb, ee, k);
    TL_ENSURE_OK(tl_check_meta_string(d, kv, TL_F_KV_KEY, "entry key"));
    TL_ENSURE_OK(tl_check_meta_string(d, kv, TL_F_KV_VALUE, "entry value"));
  }
  return TL_OK;
}

/* ---- entry point ---- */

static tl_status tl_model_decode_impl(tl_decoder *d, size_t root, uint8_t **producer) {
  tl_model *m = d->m;
  const tl_fb *fb = d->fb;
  size_t te, oe, ie, ue, be;
  uint32_t tn, on, in, un, bn, k;
  uint64_t ints = 0, quant = 0, options = 0;

  m->version = tl_fb_get_u32(fb, root, TL_F_MODEL_VERSION, 0);
  TL_ENSURE(d->err, m->version != 0 && m->version <= TL_SCHEMA_VERSION, TL_ERROR_UNSUPPORTED_VERSION,
            "model: schema version %u is not supported (this runtime reads 1..%u)", (unsigned)m->version,
            (unsigned)TL_SCHEMA_VERSION);
  tl_fb_get_vector(fb, root, TL_F_MODEL_TENSORS, &te, &tn);
  tl_fb_get_vector(fb, root, TL_F_MODEL_OPERATORS, &oe, &on);
  tl_fb_get_vector(fb, root, TL_F_MODEL_INPUTS, &ie, &in);
  tl_fb_get_vector(fb, root, TL_F_MODEL_OUTPUTS, &ue, &un);
  tl_fb_get_vector(fb, root, TL_F_MODEL_BUFFERS, &be, &bn);
  TL_ENSURE(d->err, tn <= TL_MAX_TENSORS, TL_ERROR_LIMIT_EXCEEDED, "model: %u tensors (cap %d)", (unsigned)tn,
            TL_MAX_TENSORS);
  TL_ENSURE(d->err, on <= TL_MAX_OPS, TL_ERROR_LIMIT_EXCEEDED, "model: %u operators (cap %d)", (unsigned)on,
            TL_MAX_OPS);
  TL_ENSURE(d->err, bn <= TL_MAX_BUFFERS, TL_ERROR_LIMIT_EXCEEDED, "model: %u buffers (cap %d)", (unsigned)bn,
            TL_MAX_BUFFERS);
  TL_ENSURE(d->err, in <= TL_MAX_GRAPH_IO && un <= TL_MAX_GRAPH_IO, TL_ERROR_LIMIT_EXCEEDED,
            "model: %u inputs and %u outputs (cap %d)", (unsigned)in, (unsigned)un, TL_MAX_GRAPH_IO);
  m->tensor_count = (int32_t)tn;
  m->op_count = (int32_t)on;
  if (bn > 0) {
    size_t b0 = tl_fb_vector_table(fb, be, 0), de;
    uint32_t dn;
    tl_fb_get_vector(fb, b0, TL_F_BUFFER_DATA, &de, &dn);
    TL_ENSURE(d->err, dn == 0, TL_ERROR_BAD_TENSOR, "buffer 0 must be empty, has %u bytes", (unsigned)dn);
  }

  /* Count pool sizes first (cheap: reads vector lengths only; per-op counts are capped right here so a
   * shared vector cannot multiply the work). */
  ints = (uint64_t)in + un;
  for (k = 0; k < on; k++) {
    size_t ot = tl_fb_vector_table(fb, oe, k), e, opt;
    uint32_t a, b, c = 0;
    tl_fb_get_vector(fb, ot, TL_F_OP_INPUTS, &e, &a);
    tl_fb_get_vector(fb, ot, TL_F_OP_OUTPUTS, &e, &b);
    TL_ENSURE(d->err, a <= TL_MAX_OP_INPUTS && b <= TL_MAX_OP_OUTPUTS, TL_ERROR_LIMIT_EXCEEDED,
              "op %u: %u inputs and %u outputs (caps %d, %d)", (unsigned)k, (unsigned)a, (unsigned)b,
              TL_MAX_OP_INPUTS, TL_MAX_OP_OUTPUTS);
    opt = tl_fb_get_u8(fb, ot, TL_F_OP_OPTIONS_TYPE, 0) != TL_OPT_NONE ? tl_fb_get_table(fb, ot, TL_F_OP_OPTIONS) : 0;
    if (opt) {
      /* every int-vector option is field 0 of its table except MeanOptions.axes, also field 0 */
      int32_t tag = tl_fb_get_u8(fb, ot, TL_F_OP_OPTIONS_TYPE, 0);
      if (tag == TL_OPT_MEAN || tag == TL_OPT_RESHAPE || tag == TL_OPT_PAD || tag == TL_OPT_TRANSPOSE) {
        tl_fb_get_vector(fb, opt, 0, &e, &c);
        if (c > TL_MAX_OPTION_INTS) c = 0; /* rejected while decoding the op */
      }
    }
    ints += (uint64_t)a + b + c;
    options += tl_options_slot(tl_op_lookup(tl_fb_get_i32(fb, ot, TL_F_OP_OPCODE, 0)));
  }
  for (k = 0; k < tn; k++) {
    size_t tt = tl_fb_vector_table(fb, te, k), qt = tl_fb_get_table(fb, tt, TL_F_TENSOR_QUANT), e;
    uint32_t sn = 0;
    if (qt) tl_fb_get_vector(fb, qt, TL_F_QUANT_SCALE, &e, &sn);
    quant += sn;
    TL_ENSURE(d->err, quant <= TL_MAX_QUANT_TOTAL, TL_ERROR_LIMIT_EXCEEDED,
              "model: more than %d quantization parameters in total", TL_MAX_QUANT_TOTAL);
  }

  m->tensors = (tl_tensor_desc *)tl_calloc_array(m, tn, sizeof(tl_tensor_desc));
  m->ops = (tl_op_desc *)tl_calloc_array(m, on, sizeof(tl_op_desc));
  m->int_pool = (int32_t *)tl_calloc_array(m, (size_t)ints, sizeof(int32_t));
  m->scale_pool = (float *)tl_calloc_array(m, (size_t)quant, sizeof(float));
  m->zp_pool = (int64_t *)tl_calloc_array(m, (size_t)quant, sizeof(int64_t));
  m->is_constant = (uint8_t *)tl_calloc_array(m, tn, 1);
  m->options_pool = tl_calloc_array(m, (size_t)options, 1); /* <= TL_MAX_OPS slots of a few dozen bytes */
  *producer = (uint8_t *)tl_calloc_array(m, tn, 1);
  TL_ENSURE(d->err, m->tensors && m->ops && m->int_pool && m->scale_pool && m->zp_pool && m->is_constant &&
                        m->options_pool && *producer,
            TL_ERROR_OUT_OF_MEMORY, "model: out of memory for %u tensors and %u ops", (unsigned)tn, (unsigned)on);
  d->int_cap = (size_t)ints;
  d->quant_cap = (size_t)quant;
  d->options = (uint8_t *)m->options_pool;

  for (k = 0; k < tn; k++) TL_ENSURE_OK(tl_decode_tensor(d, (int32_t)k, tl_fb_vector_table(fb, te, k), be, bn));
  for (k = 0; k < on; k++) TL_ENSURE_OK(tl_decode_op(d, (int32_t)k, tl_fb_vector_table(fb, oe, k)));
  m->input_count = (int32_t)in;
  m->output_count = (int32_t)un;
  TL_ENSURE_OK(tl_decode_graph_io(d, ie, in, "input", *producer, &m->inputs));
  memset(*producer, 0, tn ? tn : 1);
  TL_ENSURE_OK(tl_decode_graph_io(d, ue, un, "output", *producer, &m->outputs));
  TL_ENSURE_OK(tl_check_graph(d, *producer));
  return tl_decode_metadata(d, root);
}

tl_status tl_model_decode(tl_model *model, size_t root, tl_errbuf *err) {
  tl_decoder d;
  uint8_t *producer = NULL;
  tl_status s;
  memset(&d, 0, sizeof d);
  d.m = model;
  d.fb = &model->fb;
  d.err = err;
  s = tl_model_decode_impl(&d, root, &producer);
  tl_model_release(model, producer);
  if (s != TL_OK) tl_model_free_tables(model);
  return s;
}
