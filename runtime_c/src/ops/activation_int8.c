/* activation_int8.c: int8 half of Relu, Relu6, Sigmoid and Tanh.
 *
 * Relu / Relu6: clamps of the output range (relu: at the output zero point; relu6: also at
 * zero_point + round(6 / scale)), with a requantization when input and output parameters differ.
 * Sigmoid: output scale exactly 1/256, zero point -128; Tanh: 1/128, 0 (other outputs are rejected). Both
 * rescale the input to Q4 (real multiplier input_scale * 2^27); the radius comes from the unclamped shift, as in
 * trainer/quantize.py prepare_activation. Unless the interpreter runs the reference kernels or the build is
 * freestanding, prepare also tabulates the kernel's answer for each of the 256 input bytes (a 256-byte block of
 * node memory) and eval looks the outputs up: the same bytes, tens of times faster than the per-element
 * fixed-point arithmetic that dominated the int8 LSTM and GRU. The reference level and microcontroller builds
 * have no table (the node memory of before) and run the kernel.
 */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"

typedef struct tl_clamp8_state {
  int64_t n; /* elements */
  tl_requantize_int8_params q;
} tl_clamp8_state;

typedef struct tl_logistic8_state {
  int64_t n; /* elements */
  tl_activation_int8_params act;
  const int8_t *table; /* NULL, or the kernel's output for each input byte (256 bytes, index: the byte as uint8_t) */
} tl_logistic8_state;

typedef void (*tl_logistic8_kernel)(int8_t *y, const int8_t *x, int64_t n, const tl_activation_int8_params *p);

static void tl_logistic8_run(const tl_logistic8_state *s, int8_t *y, const int8_t *x, tl_logistic8_kernel kernel) {
  if (s->table != NULL) {
    for (int64_t i = 0; i < s->n; i++) y[i] = s->table[(uint8_t)x[i]];
  } else {
    kernel(y, x, s->n, &s->act);
  }
}

/* Also used by Softmax (softmax_int8.c). */
tl_status tl_op_check_fixed_output(tl_op_ctx *ctx, float scale, int32_t zp, float want_scale, int32_t want_zp) {
  TL_OP_ENSURE(ctx, scale == want_scale && zp == want_zp, TL_ERROR_BAD_QUANTIZATION,
               "output scale %g and zero point %d: an int8 %s output must have scale %g and zero point %d",
               (double)scale, zp, ctx->op_name, (double)want_scale, want_zp);
  return TL_OK;
}

tl_status tl_prepare_clamp_int8(tl_op_ctx *ctx, tl_node *node, int64_t n, int32_t kind) {
  tl_clamp8_state st, *s;
  float si, so;
  int32_t zi, zo, lo, hi;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  tl_activation_range_int8(kind, so, zo, &lo, &hi);
  st.n = n;
  TL_ENSURE_OK(tl_op_requantize_params(ctx, si, zi, so, zo, lo, hi, "input to output", &st.q));
  s = (tl_clamp8_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = st;
  node->state = s;
  return TL_OK;
}

/* Above the reference level (hosted builds), a tensor of at least TL_CLAMP8_TABLE_MIN elements is looked up in
 * the kernel's answers for the 256 input bytes, tabulated on the stack at each eval (no node memory): the same
 * bytes, a load per element instead of the per-element 64-bit requantization (ResNet-8's Relu after Add). */
#define TL_CLAMP8_TABLE_MIN 1024

void tl_eval_clamp_int8(tl_op_ctx *ctx, tl_node *node) {
  const tl_clamp8_state *s = (const tl_clamp8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *x = (const int8_t *)tl_op_input_data(ctx, node, 0);
#if !defined(TL_FREESTANDING)
  if (s->n >= TL_CLAMP8_TABLE_MIN && tl_op_opt_isa(ctx) != TL_ISA_REFERENCE) {
    int8_t bytes[256], table[256];
    for (int i = 0; i < 256; i++) bytes[i] = (int8_t)(i < 128 ? i : i - 256); /* bytes[i] = (int8_t)(uint8_t)i */
    tl_requantize_int8(table, bytes, 256, &s->q);
    for (int64_t i = 0; i < s->n; i++) y[i] = table[(uint8_t)x[i]];
    return;
  }
#endif
  tl_requantize_int8(y, x, s->n, &s->q);
}

tl_status tl_prepare_logistic_int8(tl_op_ctx *ctx, tl_node *node, int64_t n, float out_scale, int32_t out_zp) {
  tl_logistic8_state st, *s;
  float si, so;
  int32_t zi, zo, m = 0, sh = 0, r;
  int8_t *table = NULL;
  int want_table = 0;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input", &si, &zi));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &zo));
  TL_ENSURE_OK(tl_op_check_fixed_output(ctx, so, zo, out_scale, out_zp));
  /* scale is normal and positive, so the real multiplier is finite and positive */
  if (!tl_quantize_multiplier((double)si * 134217728.0, &m, &sh)) m = 0;
  r = tl_input_radius(4, sh);
  memset(&st, 0, sizeof st);
  st.n = n;
  st.act.input_zp = zi;
  st.act.input_multiplier = m;
  st.act.input_shift = sh < -31 ? -31 : (sh > 31 ? 31 : sh);
  st.act.input_radius = r < 1 ? 1 : r;
#if !defined(TL_FREESTANDING)
  want_table = tl_op_opt_isa(ctx) != TL_ISA_REFERENCE;
  if (want_table) table = (int8_t *)tl_op_persistent(ctx, 256);
#endif
  s = (tl_logistic8_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL || (want_table && table == NULL)) return tl_op_unplaced(ctx);
  if (table != NULL) {
    int8_t bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (int8_t)(i < 128 ? i : i - 256); /* bytes[i] = (int8_t)(uint8_t)i */
    /* Sigmoid's output is (1/256, -128), Tanh's (1/128, 0): the caller checked out_zp above */
    (out_zp == -128 ? tl_logistic_int8 : tl_tanh_int8)(table, bytes, 256, &st.act);
    st.table = table;
  }
  *s = st;
  node->state = s;
  return TL_OK;
}

void tl_eval_sigmoid_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_logistic8_run((const tl_logistic8_state *)node->state, (int8_t *)tl_op_output_data(ctx, node, 0),
                   (const int8_t *)tl_op_input_data(ctx, node, 0), tl_logistic_int8);
}

void tl_eval_tanh_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_logistic8_run((const tl_logistic8_state *)node->state, (int8_t *)tl_op_output_data(ctx, node, 0),
                   (const int8_t *)tl_op_input_data(ctx, node, 0), tl_tanh_int8);
}
