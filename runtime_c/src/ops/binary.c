/* binary.c: Add, Sub, Mul with numpy broadcasting (rank <= 4) and a fused activation (ArithmeticOptions).
 *
 * prepare right-aligns both input shapes to rank 4, checks that each dim pair is equal or has a 1, checks the
 * output shape equals the broadcast shape, and gives broadcast dims a stride of 0. float32 nodes run the
 * optimized kernels (kernels/opt/opt_kernels_elementwise.h, bit-identical) at the interpreter's level unless
 * their broadcast has rows too short for them (tl_binary_f32_opt_supported); freestanding builds keep the
 * reference kernels. int8: binary_int8.c.
 */
#include "fb_schema.h"
#include "kernels/opt/opt_kernels_elementwise.h"
#include "ops/ops_int8.h"

#if defined(TL_FREESTANDING)
#define TL_ARITH_OPT 0 /* microcontrollers: the reference kernels (the optimized ones are not linked) */
#else
#define TL_ARITH_OPT 1
#endif

/* ArithmeticOptions, decoded (Add, Sub, Mul) */
typedef struct tl_arithmetic_options {
  int32_t activation; /* TL_ACT_* */
} tl_arithmetic_options;

typedef struct tl_binary_state {
  tl_binary_params p;
  int32_t isa; /* the optimized kernels' level, or TL_ISA_REFERENCE */
} tl_binary_state;

static tl_status tl_decode_arithmetic_options(tl_options_reader *r, void *options) {
  tl_arithmetic_options *o = (tl_arithmetic_options *)options;
  o->activation = (int8_t)tl_fb_get_u8(r->fb, r->table, TL_F_ACT_ACTIVATION, 0);
  return tl_options_check_activation(r, o->activation);
}

tl_status tl_op_broadcast(tl_op_ctx *ctx, tl_node *node, tl_binary_params *out) {
  const tl_tensor_desc *a, *b, *y;
  tl_binary_params p;
  int32_t ad[4], bd[4], od[4], k, out_rank;
  int64_t as = 1, bs = 1;
  char sa[96], sb[96], sy[96];

  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 2, 1));
  TL_ENSURE_OK(tl_op_check_float(ctx, node));
  a = tl_op_input(ctx, node, 0);
  b = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, a->rank <= 4 && b->rank <= 4, TL_ERROR_BAD_SHAPE, "input ranks %d and %d: at most 4 supported",
               a->rank, b->rank);
  out_rank = a->rank > b->rank ? a->rank : b->rank;
  for (k = 0; k < 4; k++) {
    int32_t ia = k - (4 - a->rank), ib = k - (4 - b->rank);
    ad[k] = ia >= 0 ? a->dims[ia] : 1;
    bd[k] = ib >= 0 ? b->dims[ib] : 1;
    TL_OP_ENSURE(ctx, ad[k] == bd[k] || ad[k] == 1 || bd[k] == 1, TL_ERROR_BAD_SHAPE,
                 "input shapes %s and %s do not broadcast", tl_shape_str(a->dims, a->rank, sa, sizeof sa),
                 tl_shape_str(b->dims, b->rank, sb, sizeof sb));
    od[k] = ad[k] == 1 ? bd[k] : ad[k];
  }
  {
    int same = y->rank == out_rank;
    for (k = 0; same && k < out_rank; k++) same = y->dims[k] == od[4 - out_rank + k];
    TL_OP_ENSURE(ctx, same, TL_ERROR_BAD_SHAPE, "output shape %s is not the broadcast of %s and %s",
                 tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(a->dims, a->rank, sa, sizeof sa),
                 tl_shape_str(b->dims, b->rank, sb, sizeof sb));
  }
  for (k = 3; k >= 0; k--) {
    p.out_dims[k] = od[k];
    p.a_strides[k] = ad[k] == 1 ? 0 : as;
    p.b_strides[k] = bd[k] == 1 ? 0 : bs;
    as *= ad[k];
    bs *= bd[k];
  }
  p.act = tl_op_activation(TL_ACT_NONE);
  *out = p;
  return TL_OK;
}

static tl_status tl_prepare_binary(tl_op_ctx *ctx, tl_node *node, int mul) {
  tl_binary_params p;
  tl_binary_state *s;
  const int32_t act = ((const tl_arithmetic_options *)node->op->options)->activation;

  TL_ENSURE_OK(tl_op_broadcast(ctx, node, &p));
  p.act = tl_op_activation(act);
  if (tl_op_is_int8(ctx, node)) return tl_prepare_binary_int8(ctx, node, &p, mul, act);
  s = (tl_binary_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  s->p = p;
  s->isa = TL_ARITH_OPT && tl_binary_f32_opt_supported(&p) ? ctx->interp->isa : TL_ISA_REFERENCE; /* no memory */
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_add_sub(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_binary(ctx, node, 0); }
TL_OP_ENTRY tl_status tl_prepare_mul(tl_op_ctx *ctx, tl_node *node) { return tl_prepare_binary(ctx, node, 1); }

typedef void (*tl_binary_f32_fn)(float *y, const float *a, const float *b, const tl_binary_params *p);
typedef void (*tl_binary_f32_opt_fn)(float *y, const float *a, const float *b, const tl_binary_params *p,
                                     tl_isa isa);

static void tl_eval_binary(tl_op_ctx *ctx, tl_node *node, tl_binary_f32_fn kernel, tl_binary_f32_opt_fn opt) {
  const tl_binary_state *s = (const tl_binary_state *)node->state;
  float *y = (float *)tl_op_output_data(ctx, node, 0);
  const float *a = (const float *)tl_op_input_data(ctx, node, 0);
  const float *b = (const float *)tl_op_input_data(ctx, node, 1);
  if (TL_ARITH_OPT && s->isa != TL_ISA_REFERENCE)
    opt(y, a, b, &s->p, (tl_isa)s->isa);
  else
    kernel(y, a, b, &s->p);
}

TL_OP_ENTRY void tl_eval_add(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_add_int8(ctx, node);
  else tl_eval_binary(ctx, node, tl_add_f32, tl_add_f32_opt);
}
TL_OP_ENTRY void tl_eval_sub(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_sub_int8(ctx, node);
  else tl_eval_binary(ctx, node, tl_sub_f32, tl_sub_f32_opt);
}
TL_OP_ENTRY void tl_eval_mul(tl_op_ctx *ctx, tl_node *node) {
  if (tl_op_is_int8(ctx, node)) tl_eval_mul_int8(ctx, node);
  else tl_eval_binary(ctx, node, tl_mul_f32, tl_mul_f32_opt);
}

/* Work: output elements x 160 / 16 (float32), 768 / 16 (int8). Measured ns per output element (tl_bench, see
 * interpreter.h), float32 / int8: Add / Mul 0.6-3.8 / 8.8-38 (the slowest broadcasts); a broadcast whose last
 * axis is 1 (a row per element: [64, 256, 256, 1] + [1, 256, 1, 1]) 7.7 (default kernels; 4.3 reference) / 39-40,
 * the slowest shape measured (the float weight was 80, 5 ns, before that shape was measured). */
TL_OP_ENTRY uint64_t tl_binary_work(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 160, 768);
}

const tl_op_descriptor tl_op_add = {"Add", tl_decode_arithmetic_options, TL_OP_FN(ADD, tl_prepare_add_sub),
                                    TL_OP_FN(ADD, tl_eval_add), TL_OP_FN(ADD, tl_binary_work), TL_OPT_ARITHMETIC, 1, 0,
                                    sizeof(tl_arithmetic_options)};
const tl_op_descriptor tl_op_sub = {"Sub", tl_decode_arithmetic_options, TL_OP_FN(SUB, tl_prepare_add_sub),
                                    TL_OP_FN(SUB, tl_eval_sub), TL_OP_FN(SUB, tl_binary_work), TL_OPT_ARITHMETIC, 1, 0,
                                    sizeof(tl_arithmetic_options)};
const tl_op_descriptor tl_op_mul = {"Mul", tl_decode_arithmetic_options, TL_OP_FN(MUL, tl_prepare_mul),
                                    TL_OP_FN(MUL, tl_eval_mul), TL_OP_FN(MUL, tl_binary_work), TL_OPT_ARITHMETIC, 1, 0,
                                    sizeof(tl_arithmetic_options)};
