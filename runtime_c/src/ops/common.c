/* common.c: helpers shared by the op glue: tensor access, count/dtype/shape checks, messages.
 *
 * What this is: the checks every op's prepare repeats, written once, each producing "op N (Name): ..."
 * messages. What this is not: any op's own rules (one file per op family).
 */
#include <math.h>
#include <stdarg.h>
#ifndef TL_FREESTANDING /* bare metal: snprintf is util.c's tl_snprintf (tl_internal.h) */
#include <stdio.h>
#endif

#include <string.h>

#include "cpu_features.h"
#include "fb_schema.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"
#include "tensorlet.h"

#ifdef TL_TERSE_ERRORS
/* "op N (Name) failed", written by hand: a terse build then links no printf-style formatter at all (the
 * freestanding one is ~0.9 KB of the Cortex-M4 core). */
static size_t tl_terse_put(char *buf, size_t size, size_t used, const char *text) {
  while (*text != '\0' && used + 1 < size) buf[used++] = *text++;
  return used;
}

void tl_op_error_terse(tl_op_ctx *ctx) {
  tl_errbuf *e = &ctx->interp->err;
  char digits[12];
  size_t used, k = sizeof digits - 1;
  uint32_t v = ctx->op_index < 0 ? 0u : (uint32_t)ctx->op_index; /* op indices are never negative */
  if (e->buf == NULL || e->size == 0) return;
  digits[k] = '\0';
  do {
    digits[--k] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0 && k > 0);
  used = tl_terse_put(e->buf, e->size, 0, "op ");
  used = tl_terse_put(e->buf, e->size, used, digits + k);
  used = tl_terse_put(e->buf, e->size, used, " (");
  used = tl_terse_put(e->buf, e->size, used, ctx->op_name);
  used = tl_terse_put(e->buf, e->size, used, ") failed");
  e->buf[used] = '\0';
}
#else
void tl_op_error(tl_op_ctx *ctx, const char *fmt, ...) {
  char msg[TL_ERROR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tl_error_set(&ctx->interp->err, "op %d (%s): %s", ctx->op_index, ctx->op_name, msg);
}
#endif

const tl_tensor_desc *tl_op_input(const tl_op_ctx *ctx, const tl_node *node, int32_t i) {
  return &ctx->model->tensors[node->op->inputs[i]];
}

const tl_tensor_desc *tl_op_output(const tl_op_ctx *ctx, const tl_node *node, int32_t i) {
  return &ctx->model->tensors[node->op->outputs[i]];
}

void *tl_op_data(const tl_op_ctx *ctx, int32_t tensor) { return ctx->interp->data[tensor]; }

void *tl_op_input_data(const tl_op_ctx *ctx, const tl_node *node, int32_t i) {
  return ctx->interp->data[node->op->inputs[i]];
}

void *tl_op_output_data(const tl_op_ctx *ctx, const tl_node *node, int32_t i) {
  return ctx->interp->data[node->op->outputs[i]];
}

tl_status tl_op_check_counts(tl_op_ctx *ctx, const tl_node *node, int32_t min_in, int32_t max_in, int32_t n_out) {
  const tl_op_desc *op = node->op;
  if (min_in == max_in) {
    TL_OP_ENSURE(ctx, op->input_count == min_in, TL_ERROR_BAD_INPUT_COUNT, "expects %d inputs, has %d", min_in,
                 op->input_count);
  } else {
    TL_OP_ENSURE(ctx, op->input_count >= min_in && op->input_count <= max_in, TL_ERROR_BAD_INPUT_COUNT,
                 "expects %d to %d inputs, has %d", min_in, max_in, op->input_count);
  }
  TL_OP_ENSURE(ctx, op->output_count == n_out, TL_ERROR_BAD_INPUT_COUNT, "expects %d outputs, has %d", n_out,
               op->output_count);
  return TL_OK;
}

static tl_status tl_op_check_float_tensor(tl_op_ctx *ctx, const tl_tensor_desc *t, const char *what, int32_t k) {
  TL_OP_ENSURE(ctx, t->dtype != TL_INT8 && t->dtype != TL_UINT8, TL_ERROR_UNSUPPORTED_DTYPE,
               "%s %d (%s) is %s but input 0 is not int8: an op runs on float32 or on int8, not a mix", what, k,
               t->name, tl_dtype_name(t->dtype));
  TL_OP_ENSURE(ctx, t->dtype == TL_FLOAT32, TL_ERROR_UNSUPPORTED_DTYPE, "%s %d (%s) is %s, expected float32", what,
               k, t->name, tl_dtype_name(t->dtype));
  return TL_OK;
}

tl_status tl_op_check_float(tl_op_ctx *ctx, const tl_node *node) {
  int32_t k;
  if (tl_op_is_int8(ctx, node)) return tl_op_check_int8_dtypes(ctx, node);
  for (k = 0; k < node->op->input_count; k++) {
    if (tl_op_float16_input_ok(ctx, node, k)) continue; /* float16 weights, expanded to float32 at prepare */
    TL_ENSURE_OK(tl_op_check_float_tensor(ctx, tl_op_input(ctx, node, k), "input", k));
  }
  for (k = 0; k < node->op->output_count; k++)
    TL_ENSURE_OK(tl_op_check_float_tensor(ctx, tl_op_output(ctx, node, k), "output", k));
  return TL_OK;
}

const char *tl_shape_str(const int32_t *dims, int32_t rank, char *buf, size_t size) {
  size_t used = 0;
  int32_t k;
  if (size == 0) return buf;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "[");
  for (k = 0; k < rank && used < size; k++)
    used += (size_t)snprintf(buf + used, size - used, k ? ", %d" : "%d", dims[k]);
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

tl_status tl_op_check_same_shape(tl_op_ctx *ctx, const tl_tensor_desc *a, const char *a_what,
                                 const tl_tensor_desc *b, const char *b_what) {
  int32_t k, same = a->rank == b->rank;
  char sa[96], sb[96];
  for (k = 0; same && k < a->rank; k++) same = a->dims[k] == b->dims[k];
  TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "%s shape %s differs from %s shape %s", a_what,
               tl_shape_str(a->dims, a->rank, sa, sizeof sa), b_what, tl_shape_str(b->dims, b->rank, sb, sizeof sb));
  return TL_OK;
}

tl_act_f32 tl_op_activation(int32_t act) {
  tl_act_f32 a;
  a.min = -INFINITY;
  a.max = INFINITY;
  if (act == TL_ACT_RELU) a.min = 0.0f;
  if (act == TL_ACT_RELU6) {
    a.min = 0.0f;
    a.max = 6.0f;
  }
  return a;
}

tl_status tl_op_axis(tl_op_ctx *ctx, int32_t axis, int32_t rank, const char *what, int32_t *out) {
  TL_OP_ENSURE(ctx, axis >= -rank && axis < rank, TL_ERROR_BAD_OPTIONS, "%s %d is out of range for rank %d", what,
               axis, rank);
  *out = axis < 0 ? axis + rank : axis;
  return TL_OK;
}

/* The window rule and the bounds every kernel relies on (kernels/geometry.h): see ops.h. With eff the
 * effective window, in + eff + dilation <= INT32_MAX bounds every tap position (-eff < start < in, so
 * start + j * dilation < in + eff) and the tap-range numerators (-start + dilation - 1 < eff + dilation);
 * pad + stride <= INT32_MAX bounds the first-inside-window division (pad + stride - 1) / stride; and
 * (out - 1) * stride < in + pad holds by construction, so every o * stride - pad (o < out) lies in
 * (-eff, in). Products of these with channel counts are int64 in the kernels. */
tl_status tl_op_window(tl_op_ctx *ctx, int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t padding,
                       const char *what, tl_status too_large, int32_t *out, int32_t *pad_before,
                       int32_t *pad_total) {
  const char axis = what[0] == 'h' ? 'h' : 'w'; /* "height" or "width": the option's suffix */
  int64_t eff, o, total = 0;
  TL_OP_ENSURE(ctx, k >= 1, TL_ERROR_BAD_OPTIONS, "%s window is %d", what, k);
  TL_OP_ENSURE(ctx, stride >= 1, TL_ERROR_BAD_OPTIONS, "%s stride is %d", what, stride);
  TL_OP_ENSURE(ctx, dilation >= 1, TL_ERROR_BAD_OPTIONS, "%s dilation is %d", what, dilation);
  eff = (int64_t)(k - 1) * dilation + 1;
  if (dilation == 1) { /* pools, and undilated kernels: name the window */
    TL_OP_ENSURE(ctx, (int64_t)in + eff + 1 <= INT32_MAX, TL_ERROR_BAD_OPTIONS,
                 "%s window %d with input %d spans beyond int32 (input + window + 1 must be at most %d)", what, k,
                 in, (int)INT32_MAX);
  }
  TL_OP_ENSURE(ctx, (int64_t)in + eff + dilation <= INT32_MAX, TL_ERROR_BAD_OPTIONS,
               "dilation_%c %d with kernel %d and input %d spans beyond int32 (input + (kernel - 1) * dilation + "
               "1 + dilation must be at most %d)",
               axis, dilation, k, in, (int)INT32_MAX);
  if (padding == TL_PADDING_SAME) {
    o = ((int64_t)in + stride - 1) / stride;
    total = (o - 1) * stride + eff - in;
    if (total < 0) total = 0;
  } else {
    o = (int64_t)in - eff + 1;
    TL_OP_ENSURE(ctx, o > 0, too_large, "%s window %lld is larger than the input %d (output would be %lld)",
                 what, (long long)eff, in, (long long)o);
    o = (o + stride - 1) / stride;
  }
  TL_OP_ENSURE(ctx, eff <= (int64_t)in + total, too_large,
               "%s window %lld is larger than the padded input %lld", what, (long long)eff, (long long)in + total);
  TL_OP_ENSURE(ctx, total / 2 + stride <= INT32_MAX, TL_ERROR_BAD_OPTIONS,
               "stride_%c %d with padding %lld spans beyond int32 (padding + stride must be at most %d)", axis,
               stride, (long long)(total / 2), (int)INT32_MAX);
  *out = (int32_t)o;
  *pad_before = (int32_t)(total / 2);
  *pad_total = (int32_t)total;
  return TL_OK;
}

/* ---- memory: the two passes of prepare (ops.h) ---- */

#define TL_A16(x) (((x) + 15u) & ~(size_t)15u)

void *tl_op_persistent(tl_op_ctx *ctx, size_t bytes) {
  tl_interpreter *it = ctx->interp;
  size_t need = bytes > SIZE_MAX - 15u ? SIZE_MAX : TL_A16(bytes);
  void *p;
  if (ctx->sizing) {
    if (need == SIZE_MAX || !tl_add_size(it->persist_need, need, &it->persist_need)) it->persist_need = SIZE_MAX;
    return NULL;
  }
  if (need == SIZE_MAX || (size_t)(it->persist_end - it->persist_next) < need) return NULL;
  p = it->persist_next;
  it->persist_next += need;
  return p;
}

tl_status tl_op_request_scratch(tl_op_ctx *ctx, size_t bytes, int32_t *index) {
  return tl_op_request_scratch_range(ctx, bytes, bytes, index);
}

tl_status tl_op_request_scratch_range(tl_op_ctx *ctx, size_t min_bytes, size_t max_bytes, int32_t *index) {
  tl_node *node = ctx->node;
  TL_OP_ENSURE(ctx, node->scratch_count < TL_OP_MAX_SCRATCH, TL_ERROR_LIMIT_EXCEEDED, "too many scratch requests");
  node->scratch_bytes[node->scratch_count] = min_bytes;
  ctx->interp->scratch_max[node->scratch_count] = max_bytes > min_bytes ? max_bytes : min_bytes;
  node->scratch[node->scratch_count] = NULL;
  *index = node->scratch_count++;
  return TL_OK;
}

tl_status tl_op_unplaced(tl_op_ctx *ctx) {
  if (ctx->sizing) return TL_OK;
  tl_op_error(ctx, "prepare asked for more memory than in its size pass");
  return TL_ERROR_OUT_OF_MEMORY;
}

/* ---- work (interpreter.h) ---- */

uint64_t tl_work_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

uint64_t tl_op_work_units(uint64_t count, uint32_t weight) {
  count = tl_work_mul(count, weight);
  if (count == UINT64_MAX) return UINT64_MAX;
  count = count / 16u + (count % 16u != 0);
  return count > UINT64_MAX - TL_WORK_PER_OP ? UINT64_MAX : TL_WORK_PER_OP + count;
}

static int tl_work_int8(const tl_model *m, const tl_op_desc *op) {
  return op->input_count > 0 && m->tensors[op->inputs[0]].dtype == TL_INT8;
}

uint64_t tl_op_work_outputs(const tl_model *m, const tl_op_desc *op, uint32_t w_f32, uint32_t w_i8) {
  uint64_t out = op->output_count > 0 ? (uint64_t)m->tensors[op->outputs[0]].elems : 0;
  return tl_op_work_units(out, tl_work_int8(m, op) ? w_i8 : w_f32);
}

uint64_t tl_op_work_inputs(const tl_model *m, const tl_op_desc *op, uint32_t w_f32, uint32_t w_i8) {
  uint64_t in = op->input_count > 0 ? (uint64_t)m->tensors[op->inputs[0]].elems : 0;
  return tl_op_work_units(in, tl_work_int8(m, op) ? w_i8 : w_f32);
}

uint64_t tl_op_work_macs(const tl_model *m, const tl_op_desc *op, uint64_t per, uint32_t w_f32, uint32_t w_i8) {
  uint64_t out = op->output_count > 0 ? (uint64_t)m->tensors[op->outputs[0]].elems : 0;
  return tl_op_work_units(tl_work_mul(out, per + 1u), tl_work_int8(m, op) ? w_i8 : w_f32);
}

/* ---- kernel levels (tensorlet.h: tl_options.kernels) ---- */

int32_t tl_op_opt_level(int32_t kernels) {
  tl_cpu_features f = tl_cpu_features_detect();
  switch (kernels) {
    case TL_KERNELS_REFERENCE:
      return TL_ISA_REFERENCE;
    case TL_KERNELS_PORTABLE:
      return tl_isa_resolve(TL_ISA_PORTABLE, &f);
    case TL_KERNELS_NEON:
      return tl_isa_resolve(TL_ISA_NEON, &f);
    case TL_KERNELS_AVX2:
      return tl_isa_resolve(TL_ISA_AVX2, &f);
    case TL_KERNELS_AVX512:
      return tl_isa_resolve(TL_ISA_AVX512, &f);
    default:
#if defined(TL_FREESTANDING)
      return TL_ISA_REFERENCE;
#else
      return tl_isa_resolve(TL_ISA_AUTO, &f);
#endif
  }
}

int32_t tl_kernels_from_name(const char *name) {
  static const char *const names[] = {"auto", "reference", "portable", "neon", "avx2", "avx512"};
  int32_t i;
  if (name == NULL || name[0] == '\0') return TL_KERNELS_AUTO;
  for (i = 0; i < (int32_t)(sizeof names / sizeof names[0]); i++) {
    if (strcmp(name, names[i]) == 0) return i;
  }
  return -1;
}

int tl_op_is_int8(const tl_op_ctx *ctx, const tl_node *node) {
  return node->op->input_count >= 1 && tl_op_input(ctx, node, 0)->dtype == TL_INT8;
}

/* Reshape, Concatenation, Pad, Transpose: they move bytes, so dtypes (and quantization) must match */
tl_status tl_op_check_same_dtype(tl_op_ctx *ctx, const tl_tensor_desc *a, const char *a_what, const tl_tensor_desc *b,
                               const char *b_what) {
  TL_OP_ENSURE(ctx, a->dtype == b->dtype, TL_ERROR_BAD_SHAPE, "%s is %s but %s is %s", a_what, tl_dtype_name(a->dtype),
               b_what, tl_dtype_name(b->dtype));
  TL_OP_ENSURE(ctx, tl_dtype_size(a->dtype) > 0, TL_ERROR_UNSUPPORTED_DTYPE, "dtype %s", tl_dtype_name(a->dtype));
  if (a->quant_count > 0 || b->quant_count > 0) {
    TL_OP_ENSURE(ctx, a->quant_count == 1 && b->quant_count == 1 && a->scales[0] == b->scales[0] &&
                          a->zero_points[0] == b->zero_points[0],
                 TL_ERROR_BAD_QUANTIZATION, "%s and %s must share one per-tensor scale and zero point", a_what, b_what);
  }
  return TL_OK;
}

