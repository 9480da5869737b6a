/* squared_difference.c: SquaredDifference, y = (a - b)^2 with numpy broadcasting (rank <= 4), float32 and
 * int8; no options.
 *
 * prepare: the broadcast of Add (tl_op_broadcast). int8: TFLite's SQUARED_DIFFERENCE parameters: input
 * multipliers s_a / (2 max(s_a, s_b)) and s_b / (2 max), output multiplier (2 max)^2 / (2^14 s_out), each
 * below 1 (TL_ERROR_BAD_QUANTIZATION otherwise: an output scale under (2 max)^2 / 2^14 cannot be represented,
 * as in TFLite). The op-private state holds the kernels' params (kernels/squared_difference.h). Optimized kernels
 * (not in freestanding builds) at every level but the reference one, the reference's bits and bytes: float32 on
 * the elementwise loops of Add/Sub/Mul (opt_kernels_elementwise.h, its broadcast patterns), int8 through
 * tables of the input rescales (opt_kernels_int8.h).
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/squared_difference.h"
#include "ops/ops_int8.h"
#if !defined(TL_FREESTANDING)
#include "kernels/opt/opt_kernels_elementwise.h"
#include "kernels/opt/opt_kernels_int8.h"
#endif

/* The op-private state: the kernels' parameters (float32: q.geom alone) and the optimized path's choice. */
typedef struct tl_sqdiff_state {
  tl_squared_difference_int8_params q;
  int32_t isa;     /* float32: the optimized kernels' level, or TL_ISA_REFERENCE */
  int32_t *tables; /* int8 optimized: tl_squared_difference_int8_tables' 512 entries, else NULL */
} tl_sqdiff_state;

static tl_status tl_prepare_squared_difference_int8(tl_op_ctx *ctx, tl_node *node,
                                                    tl_squared_difference_int8_params *p) {
  float sa, sb, so;
  double twice_max;
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 0), "input 0", &sa, &p->a_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_input(ctx, node, 1), "input 1", &sb, &p->b_zp));
  TL_ENSURE_OK(tl_op_int8_params(ctx, tl_op_output(ctx, node, 0), "output", &so, &p->out_zp));
  twice_max = 2.0 * (double)(sa > sb ? sa : sb);
  TL_ENSURE_OK(tl_op_input_multiplier(ctx, (double)sa / twice_max, "input 0", &p->a_multiplier, &p->a_shift));
  TL_ENSURE_OK(tl_op_input_multiplier(ctx, (double)sb / twice_max, "input 1", &p->b_multiplier, &p->b_shift));
  TL_OP_ENSURE(ctx, twice_max * twice_max / (16384.0 * (double)so) < 1.0, TL_ERROR_BAD_QUANTIZATION,
               "output scale %g is below (2 max(input scales))^2 / 2^14 = %g", (double)so,
               twice_max * twice_max / 16384.0);
  return tl_op_multiplier(ctx, twice_max * twice_max / (16384.0 * (double)so), -31, 0, "output", &p->out_multiplier,
                          &p->out_shift);
}

TL_OP_ENTRY tl_status tl_prepare_squared_difference(tl_op_ctx *ctx, tl_node *node) {
  tl_sqdiff_state p, *s;
  const int int8 = tl_op_is_int8(ctx, node);
  memset(&p, 0, sizeof p); /* float32 nodes leave the int8 fields unused */
  TL_ENSURE_OK(tl_op_broadcast(ctx, node, &p.q.geom));
  if (int8) TL_ENSURE_OK(tl_prepare_squared_difference_int8(ctx, node, &p.q));
  p.isa = TL_ISA_REFERENCE; /* p.tables: NULL (the reference kernels) unless set below */
  s = (tl_sqdiff_state *)tl_op_persistent(ctx, sizeof *s);
#if !defined(TL_FREESTANDING)
  if (tl_op_opt_isa(ctx) != TL_ISA_REFERENCE) {
    if (!int8 && tl_binary_f32_opt_supported(&p.q.geom)) p.isa = tl_op_opt_isa(ctx);
    if (int8) {
      p.tables = (int32_t *)tl_op_persistent(ctx, 512 * sizeof(int32_t));
      if (p.tables != NULL) tl_squared_difference_int8_tables(p.tables, &p.q);
    }
  }
#endif
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = p;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_squared_difference(tl_op_ctx *ctx, tl_node *node) {
  const tl_sqdiff_state *s = (const tl_sqdiff_state *)node->state;
  if (tl_op_is_int8(ctx, node)) {
    int8_t *y = (int8_t *)tl_op_output_data(ctx, node, 0);
    const int8_t *a = (const int8_t *)tl_op_input_data(ctx, node, 0);
    const int8_t *b = (const int8_t *)tl_op_input_data(ctx, node, 1);
#if !defined(TL_FREESTANDING)
    if (s->tables != NULL) {
      tl_squared_difference_int8_opt(y, a, b, &s->q, s->tables);
      return;
    }
#endif
    tl_squared_difference_int8(y, a, b, &s->q);
  } else {
    float *y = (float *)tl_op_output_data(ctx, node, 0);
    const float *a = (const float *)tl_op_input_data(ctx, node, 0);
    const float *b = (const float *)tl_op_input_data(ctx, node, 1);
#if !defined(TL_FREESTANDING)
    if (s->isa != TL_ISA_REFERENCE) {
      tl_squared_difference_f32_opt(y, a, b, &s->q.geom, (tl_isa)s->isa);
      return;
    }
#endif
    tl_squared_difference_f32(y, a, b, &s->q.geom);
  }
}

/* Work: output elements x weight / 16, the weights of Maximum (the same 4-D loop; the int8 arithmetic is
 * three multiplications by quantized multipliers per element, as Maximum's two requantizations plus one):
 * float32 224, int8 1024. */
TL_OP_ENTRY uint64_t tl_work_squared_difference(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 224, 1024);
}

const tl_op_descriptor tl_op_squared_difference = {
    "SquaredDifference", NULL, TL_OP_FN(SQUARED_DIFFERENCE, tl_prepare_squared_difference),
    TL_OP_FN(SQUARED_DIFFERENCE, tl_eval_squared_difference), TL_OP_FN(SQUARED_DIFFERENCE, tl_work_squared_difference),
    TL_OPT_NONE, 0, 0, 0};
