/* quantize.c: Quantize (float32 -> int8) and Dequantize (int8 -> float32), per-tensor parameters.
 *
 * Quantize: q = clamp(round_half_away(x / scale) + zero_point, -128, 127); NaN -> zero_point; the clamp
 * happens in float before the cast, so +-Inf and huge values saturate. Dequantize: x = scale * (q - zp).
 * The kernels: kernels/quantize.c (reference) and, unless the interpreter runs the reference kernels or the
 * build is freestanding, the vectorized set of its level (kernels/opt/quantize_opt.h, identical bits), with
 * a large tensor split over the thread pool in chunks of TL_QDQ_CHUNK elements.
 */
#include "fb_schema.h"
#include "kernels/quantize.h"
#include "ops/ops.h"
#include "ops/ops_int8.h"
#if !defined(TL_FREESTANDING)
#include "kernels/opt/quantize_opt.h"
#endif

typedef struct tl_qdq_state {
  int64_t n; /* elements */
  tl_qdq_params p;
  const void *set; /* the level's tl_f32_qdq_kernels, NULL: the reference kernel */
} tl_qdq_state;

/* Elements per thread task (a multiple of every level's vector step); an element costs about as much as 4
 * multiply-adds (a division), which is what tl_op_run_units weighs against waking a worker. */
#define TL_QDQ_CHUNK 4096
#define TL_QDQ_MACS_PER_ELEMENT 4

static tl_status tl_prepare_qdq(tl_op_ctx *ctx, tl_node *node, tl_dtype in, tl_dtype out) {
  const tl_tensor_desc *x, *y, *q;
  tl_qdq_state *s;
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 1, 1, 1));
  x = tl_op_input(ctx, node, 0);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, x->dtype == in && y->dtype == out, TL_ERROR_UNSUPPORTED_DTYPE, "%s -> %s given, expected %s -> %s",
               tl_dtype_name(x->dtype), tl_dtype_name(y->dtype), tl_dtype_name(in), tl_dtype_name(out));
  TL_ENSURE_OK(tl_op_check_same_shape(ctx, y, "output", x, "input"));
  q = in == TL_INT8 ? x : y;
  TL_OP_ENSURE(ctx, q->quant_count == 1, TL_ERROR_UNSUPPORTED_FEATURE,
               "tensor %s has %d quantization scales: only per-tensor quantization is supported here", q->name,
               q->quant_count);
  s = (tl_qdq_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->n = x->elems;
  s->p.scale = q->scales[0];
  s->p.zero_point = (int32_t)q->zero_points[0]; /* in [-128, 127]: checked at load */
  s->set = NULL;
#if !defined(TL_FREESTANDING)
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE) s->set = tl_f32_qdq_kernels_for((tl_isa)tl_op_opt_isa(ctx));
#endif
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_quantize(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_qdq(ctx, node, TL_FLOAT32, TL_INT8);
}
TL_OP_ENTRY tl_status tl_prepare_dequantize(tl_op_ctx *ctx, tl_node *node) {
  return tl_prepare_qdq(ctx, node, TL_INT8, TL_FLOAT32);
}

#if !defined(TL_FREESTANDING)
typedef struct tl_qdq_job {
  tl_op_units u;
  const tl_qdq_state *s;
  void *y;
  const void *x;
  int quantize;
} tl_qdq_job;

static void tl_qdq_task(void *arg, int32_t task, int32_t thread) {
  const tl_qdq_job *j = (const tl_qdq_job *)arg;
  const tl_f32_qdq_kernels *k = (const tl_f32_qdq_kernels *)j->s->set;
  int32_t u0, u1;
  int64_t i0, i1;
  (void)thread;
  tl_op_unit_range(&j->u, task, &u0, &u1);
  i0 = (int64_t)u0 * TL_QDQ_CHUNK;
  i1 = (int64_t)u1 * TL_QDQ_CHUNK < j->s->n ? (int64_t)u1 * TL_QDQ_CHUNK : j->s->n;
  if (i1 <= i0) return;
  if (j->quantize)
    k->quantize((int8_t *)j->y + i0, (const float *)j->x + i0, i1 - i0, &j->s->p);
  else
    k->dequantize((float *)j->y + i0, (const int8_t *)j->x + i0, i1 - i0, &j->s->p);
}
#endif

/* Quantize (quantize = 1) or Dequantize through the level's set, over threads when large; 0 when the
 * interpreter runs the reference kernel. */
static int tl_qdq_opt(tl_op_ctx *ctx, const tl_qdq_state *s, void *y, const void *x, int quantize) {
#if !defined(TL_FREESTANDING)
  const tl_f32_qdq_kernels *k = (const tl_f32_qdq_kernels *)s->set;
  const int64_t units = (s->n + TL_QDQ_CHUNK - 1) / TL_QDQ_CHUNK;
  tl_qdq_job j;
  if (k == NULL) return 0;
  j.s = s;
  j.y = y;
  j.x = x;
  j.quantize = quantize;
  if (units <= INT32_MAX &&
      tl_op_run_units(ctx, s->n * TL_QDQ_MACS_PER_ELEMENT, (int32_t)units, &j.u, tl_qdq_task, &j))
    return 1;
  if (quantize)
    k->quantize((int8_t *)y, (const float *)x, s->n, &s->p);
  else
    k->dequantize((float *)y, (const int8_t *)x, s->n, &s->p);
  return 1;
#else
  (void)ctx, (void)s, (void)y, (void)x, (void)quantize;
  return 0;
#endif
}

TL_OP_ENTRY void tl_eval_quantize(tl_op_ctx *ctx, tl_node *node) {
  const tl_qdq_state *s = (const tl_qdq_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);        /* [n] */
  const float *x = (const float *)tl_op_input_data(ctx, node, 0); /* [n] */
  if (!tl_qdq_opt(ctx, s, y, x, 1)) tl_quantize_f32_int8(y, x, s->n, &s->p);
}

TL_OP_ENTRY void tl_eval_dequantize(tl_op_ctx *ctx, tl_node *node) {
  const tl_qdq_state *s = (const tl_qdq_state *)node->state;
  float *y = (float *)tl_op_output_data(ctx, node, 0);             /* [n] */
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0); /* [n] */
  if (!tl_qdq_opt(ctx, s, y, x, 0)) tl_dequantize_int8_f32(y, x, s->n, &s->p);
}

/* Work: elements. Measured ns per element (tl_bench, see interpreter.h): Quantize (float32 input) 5.9, weight
 * 96 / 16; Dequantize (int8 input) 0.36, weight 16 / 16. */
TL_OP_ENTRY uint64_t tl_work_quantize(const tl_model *m, const tl_op_desc *op) { return tl_op_work_outputs(m, op, 96, 96); }
TL_OP_ENTRY uint64_t tl_work_dequantize(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 16, 16);
}

const tl_op_descriptor tl_op_quantize = {"Quantize", NULL, TL_OP_FN(QUANTIZE, tl_prepare_quantize),
                                         TL_OP_FN(QUANTIZE, tl_eval_quantize), TL_OP_FN(QUANTIZE, tl_work_quantize),
                                         TL_OPT_NONE, 0, 0, 0};
const tl_op_descriptor tl_op_dequantize = {"Dequantize", NULL, TL_OP_FN(DEQUANTIZE, tl_prepare_dequantize),
                                           TL_OP_FN(DEQUANTIZE, tl_eval_dequantize),
                                           TL_OP_FN(DEQUANTIZE, tl_work_dequantize), TL_OPT_NONE, 0, 0, 0};
