/* binary_int8.c: int8 half of Add, Sub (TFLite's left-shift-20 scheme) and Mul (one multiplier).
 *
 * The float prepare (binary.c) resolved the broadcasting into rank-4 strides; this adds the multipliers:
 *   Add/Sub: twice_max = 2 max(s_a, s_b); a: s_a / twice_max, b: s_b / twice_max (shift in [-31, 0]);
 *            output: twice_max / (2^20 s_out) (shift in [-31, 31]).
 *   Mul:     s_a s_b / s_out (shift in [-31, 31]).
 * All in double from the float32 scales, as trainer/quantize.py prepare_add_sub / prepare_mul. The op-private
 * state is the tl_binary_int8_params and the kernel set: unless the interpreter runs the reference kernels, the
 * build is freestanding or the multipliers could saturate the vector arithmetic, the vectorized set of the
 * interpreter's level (kernels/opt/binary_int8_opt.h, identical bytes), picked here once.
 */
#include <string.h>

#include "fb_schema.h"
#include "ops/ops_int8.h"
#include "quant.h"
#if !defined(TL_FREESTANDING)
#include "kernels/opt/binary_int8_opt.h"
#endif

typedef struct tl_binary_int8_state {
  tl_binary_int8_params p;
  const void *set; /* the level's tl_i8_binary_kernels, NULL: the reference kernels */
} tl_binary_int8_state;

tl_status tl_prepare_binary_int8(tl_op_ctx *ctx, tl_node *node, const tl_binary_params *g, int mul, int32_t act) {
  tl_binary_int8_params q, *p = &q;
  tl_binary_int8_state *s;
  float sa, sb, so;
  memset(p, 0, sizeof *p);
  p->geom = *g;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input 0", &sa, &p->a_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "input 1", &sb, &p->b_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &p->output_zp));
  tl_activation_range_int8(act, so, p->output_zp, &p->act_min, &p->act_max);
  if (mul) {
    TL_ENSURE_OK(tl_op_multiplier(ctx, (double)sa * (double)sb / (double)so, -31, 31, "output", &p->out_multiplier,
                                  &p->out_shift));
  } else {
    double twice_max = 2.0 * ((double)sa > (double)sb ? (double)sa : (double)sb);
    p->left_shift = 20;
    TL_ENSURE_OK(tl_op_input_multiplier(ctx, (double)sa / twice_max, "input 0", &p->a_multiplier, &p->a_shift));
    TL_ENSURE_OK(tl_op_input_multiplier(ctx, (double)sb / twice_max, "input 1", &p->b_multiplier, &p->b_shift));
    TL_ENSURE_OK(tl_op_multiplier(ctx, twice_max / ((double)(1 << 20) * (double)so), -31, 31, "output",
                                  &p->out_multiplier, &p->out_shift));
  }
  s = (tl_binary_int8_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = q;
  s->set = NULL;
#if !defined(TL_FREESTANDING)
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE && tl_binary_int8_opt_supported(&q, mul))
    s->set = tl_i8_binary_kernels_for((tl_isa)tl_op_opt_isa(ctx));
#endif
  node->state = s;
  return TL_OK;
}

struct tl_i8_binary_kernels; /* kernels/opt/binary_int8_opt.h (not linked in freestanding builds) */
typedef void (*tl_binary_int8_fn)(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p);
typedef void (*tl_binary_int8_opt_fn)(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                                      const struct tl_i8_binary_kernels *ks);
#if !defined(TL_FREESTANDING)
#define TL_BI8_OPT(fn) fn
#else
#define TL_BI8_OPT(fn) NULL /* not linked: s->set is NULL */
#endif

static void tl_eval_binary_int8(tl_op_ctx *ctx, tl_node *node, tl_binary_int8_fn kernel, tl_binary_int8_opt_fn opt) {
  const tl_binary_int8_state *s = (const tl_binary_int8_state *)node->state;
  int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
  const int8_t *a = (const int8_t *)tl_op_input_data(ctx, node, 0);
  const int8_t *b = (const int8_t *)tl_op_input_data(ctx, node, 1);
  if (s->set != NULL) opt(y, a, b, &s->p, (const struct tl_i8_binary_kernels *)s->set);
  else kernel(y, a, b, &s->p);
}

void tl_eval_add_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_eval_binary_int8(ctx, node, tl_add_int8, TL_BI8_OPT(tl_add_int8_opt));
}

void tl_eval_sub_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_eval_binary_int8(ctx, node, tl_sub_int8, TL_BI8_OPT(tl_sub_int8_opt));
}

void tl_eval_mul_int8(tl_op_ctx *ctx, tl_node *node) {
  tl_eval_binary_int8(ctx, node, tl_mul_int8, TL_BI8_OPT(tl_mul_int8_opt));
}
