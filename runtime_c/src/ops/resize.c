/* resize.c: ResizeBilinear and ResizeNearestNeighbor (x, size) -> y with ResizeOptions, TFLite's
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR.
 *
 * prepare: two inputs, one output. x [N, H, W, C] float32 or int8; size a constant INT32 vector of 2 entries
 * [OH, OW]; y [N, OH, OW, C] with x's dtype and quantization (the ops only interpolate or move values: TFLite's
 * converter keeps the input's parameters). H, W, OH, OW at most 65,536 (TL_RESIZE_MAX_DIM); align_corners and
 * half_pixel_centers not both (TL_ERROR_BAD_OPTIONS). Nearest keeps its two index maps (OH + OW int32) in
 * persistent memory; bilinear computes its weights while it runs. Reference kernels (kernels/resize.h) at
 * every kernel level.
 */
#include <string.h>

#include "fb_schema.h"
#include "kernels/resize.h"
#include "ops/ops.h"

/* ResizeOptions, decoded */
typedef struct tl_resize_options {
  int32_t align_corners, half_pixel_centers;
} tl_resize_options;

typedef struct tl_resize_state {
  tl_resize_params p;
  int32_t *iy, *ix; /* nearest: the input row and column of each output row and column */
} tl_resize_state;

static tl_status tl_decode_resize_options(tl_options_reader *r, void *options) {
  tl_resize_options *o = (tl_resize_options *)options;
  o->align_corners = tl_fb_get_u8(r->fb, r->table, TL_F_RESIZE_ALIGN_CORNERS, 0) != 0;
  o->half_pixel_centers = tl_fb_get_u8(r->fb, r->table, TL_F_RESIZE_HALF_PIXEL_CENTERS, 0) != 0;
  return TL_OK;
}

/* The checks both ops share; p gets the geometry. */
static tl_status tl_resize_geometry(tl_op_ctx *ctx, tl_node *node, tl_resize_params *p) {
  const tl_resize_options *o = (const tl_resize_options *)node->op->options;
  const tl_tensor_desc *x, *size, *y;
  int32_t hw[2];
  char sx[96], sy[96];
  TL_ENSURE_OK(tl_op_check_counts(ctx, node, 2, 2, 1));
  x = tl_op_input(ctx, node, 0);
  size = tl_op_input(ctx, node, 1);
  y = tl_op_output(ctx, node, 0);
  TL_OP_ENSURE(ctx, !(o->align_corners && o->half_pixel_centers), TL_ERROR_BAD_OPTIONS,
               "align_corners and half_pixel_centers are both set");
  TL_OP_ENSURE(ctx, x->dtype == TL_FLOAT32 || x->dtype == TL_INT8, TL_ERROR_UNSUPPORTED_DTYPE,
               "input is %s (float32 or int8)", tl_dtype_name(x->dtype));
  TL_ENSURE_OK(tl_op_check_same_dtype(ctx, x, "input", y, "output"));
  TL_OP_ENSURE(ctx, size->dtype == TL_INT32, TL_ERROR_UNSUPPORTED_DTYPE, "size (input 1) is %s, expected int32",
               tl_dtype_name(size->dtype));
  TL_OP_ENSURE(ctx, tl_op_constant_or_absent(ctx, node, 1) && size->data != NULL, TL_ERROR_UNSUPPORTED_FEATURE,
               "size (input 1) is not a constant");
  TL_OP_ENSURE(ctx, size->rank == 1 && size->dims[0] == 2, TL_ERROR_BAD_SHAPE,
               "size (input 1) must be a vector of 2 entries [height, width]");
  memcpy(hw, size->data, sizeof hw); /* the model's constant data (prepare's size pass has no data table) */
  TL_OP_ENSURE(ctx, x->rank == 4 && y->rank == 4, TL_ERROR_BAD_SHAPE, "input %s and output %s must be 4-D NHWC",
               tl_shape_str(x->dims, x->rank, sx, sizeof sx), tl_shape_str(y->dims, y->rank, sy, sizeof sy));
  TL_OP_ENSURE(ctx, hw[0] >= 1 && hw[0] <= TL_RESIZE_MAX_DIM && hw[1] >= 1 && hw[1] <= TL_RESIZE_MAX_DIM,
               TL_ERROR_BAD_SHAPE, "size [%d, %d]: each 1 to %d", hw[0], hw[1], TL_RESIZE_MAX_DIM);
  TL_OP_ENSURE(ctx, x->dims[1] <= TL_RESIZE_MAX_DIM && x->dims[2] <= TL_RESIZE_MAX_DIM, TL_ERROR_BAD_SHAPE,
               "input %s: height and width at most %d", tl_shape_str(x->dims, x->rank, sx, sizeof sx),
               TL_RESIZE_MAX_DIM);
  TL_OP_ENSURE(ctx, y->dims[0] == x->dims[0] && y->dims[1] == hw[0] && y->dims[2] == hw[1] && y->dims[3] == x->dims[3],
               TL_ERROR_BAD_SHAPE, "output %s but input %s resized to [%d, %d] is [%d, %d, %d, %d]",
               tl_shape_str(y->dims, y->rank, sy, sizeof sy), tl_shape_str(x->dims, x->rank, sx, sizeof sx), hw[0],
               hw[1], x->dims[0], hw[0], hw[1], x->dims[3]);
  p->batch = x->dims[0];
  p->in_h = x->dims[1];
  p->in_w = x->dims[2];
  p->depth = x->dims[3];
  p->out_h = hw[0];
  p->out_w = hw[1];
  p->align_corners = o->align_corners;
  p->half_pixel_centers = o->half_pixel_centers;
  return TL_OK;
}

TL_OP_ENTRY tl_status tl_prepare_resize_bilinear(tl_op_ctx *ctx, tl_node *node) {
  tl_resize_state st, *s;
  memset(&st, 0, sizeof st);
  TL_ENSURE_OK(tl_resize_geometry(ctx, node, &st.p));
  s = (tl_resize_state *)tl_op_persistent(ctx, sizeof *s);
  if (s == NULL) return tl_op_unplaced(ctx);
  *s = st;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_resize_bilinear(tl_op_ctx *ctx, tl_node *node) {
  const tl_resize_state *s = (const tl_resize_state *)node->state;
  if (tl_op_is_int8(ctx, node))
    tl_resize_bilinear_int8((int8_t *)tl_op_output_data(ctx, node, 0), (const int8_t *)tl_op_input_data(ctx, node, 0),
                            &s->p);
  else
    tl_resize_bilinear_f32((float *)tl_op_output_data(ctx, node, 0), (const float *)tl_op_input_data(ctx, node, 0),
                           &s->p);
}

/* Work: output elements x weight / 16. float32 96: four loads, eight multiplies and three adds per element
 * plus the per-pixel weights; int8 160: the same in int64 and a rounding division. */
TL_OP_ENTRY uint64_t tl_work_resize_bilinear(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 96, 160);
}

TL_OP_ENTRY tl_status tl_prepare_resize_nearest_neighbor(tl_op_ctx *ctx, tl_node *node) {
  tl_resize_state st, *s;
  int32_t *maps;
  memset(&st, 0, sizeof st);
  TL_ENSURE_OK(tl_resize_geometry(ctx, node, &st.p));
  s = (tl_resize_state *)tl_op_persistent(ctx, sizeof *s);
  maps = (int32_t *)tl_op_persistent(ctx, ((size_t)st.p.out_h + (size_t)st.p.out_w) * sizeof *maps);
  if (s == NULL || maps == NULL) return tl_op_unplaced(ctx);
  st.iy = maps;
  st.ix = maps + st.p.out_h;
  tl_resize_nearest_index(st.iy, st.p.in_h, st.p.out_h, st.p.align_corners, st.p.half_pixel_centers);
  tl_resize_nearest_index(st.ix, st.p.in_w, st.p.out_w, st.p.align_corners, st.p.half_pixel_centers);
  *s = st;
  node->state = s;
  return TL_OK;
}

TL_OP_ENTRY void tl_eval_resize_nearest_neighbor(tl_op_ctx *ctx, tl_node *node) {
  const tl_resize_state *s = (const tl_resize_state *)node->state;
  tl_resize_nearest(tl_op_output_data(ctx, node, 0), tl_op_input_data(ctx, node, 0), &s->p, s->iy, s->ix,
                    tl_op_is_int8(ctx, node) ? 1 : sizeof(float));
}

/* Work: output elements x 48 / 16 (float32), 32 / 16 (int8): one copy of a pixel's channels per output
 * pixel, a memcpy of C elements (Transpose-like movement, cheaper per element for long rows). */
TL_OP_ENTRY uint64_t tl_work_resize_nearest_neighbor(const tl_model *m, const tl_op_desc *op) {
  return tl_op_work_outputs(m, op, 48, 32);
}

const tl_op_descriptor tl_op_resize_bilinear = {
    "ResizeBilinear", tl_decode_resize_options, TL_OP_FN(RESIZE_BILINEAR, tl_prepare_resize_bilinear),
    TL_OP_FN(RESIZE_BILINEAR, tl_eval_resize_bilinear), TL_OP_FN(RESIZE_BILINEAR, tl_work_resize_bilinear),
    TL_OPT_RESIZE, 1, 0, sizeof(tl_resize_options)};

const tl_op_descriptor tl_op_resize_nearest_neighbor = {
    "ResizeNearestNeighbor", tl_decode_resize_options,
    TL_OP_FN(RESIZE_NEAREST_NEIGHBOR, tl_prepare_resize_nearest_neighbor),
    TL_OP_FN(RESIZE_NEAREST_NEIGHBOR, tl_eval_resize_nearest_neighbor),
    TL_OP_FN(RESIZE_NEAREST_NEIGHBOR, tl_work_resize_nearest_neighbor), TL_OPT_RESIZE, 1, 0, sizeof(tl_resize_options)};
