/* resize.h: reference kernels of ResizeBilinear and ResizeNearestNeighbor (NHWC, float32 and int8), TFLite's
 * reference arithmetic.
 *
 * What this is: the specification the op glue (ops/resize.c) calls; trainer/runtime_ops/resize.py mirrors
 * every kernel byte for byte (float32 within rounding: its reference is float64). What this is not: shape
 * or option checks (sizes 1 to TL_RESIZE_MAX_DIM per spatial axis, not align_corners and half_pixel_centers
 * together: the op's prepare).
 */
#ifndef TL_KERNELS_RESIZE_H
#define TL_KERNELS_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#define TL_RESIZE_MAX_DIM 65536 /* in and out, per spatial axis: 1024 x dim and every index fit int32 */

typedef struct tl_resize_params {
  int32_t batch, in_h, in_w, out_h, out_w, depth;
  int32_t align_corners, half_pixel_centers;
} tl_resize_params;

/* Nearest neighbour, per output index i of one axis (TFLite's GetNearestNeighbor, float32 arithmetic):
 *   scale = align_corners && out > 1 ? (in - 1) / (float)(out - 1) : in / (float)out
 *   v = (i + (half_pixel_centers ? 0.5f : 0)) * scale
 *   idx[i] = min(align_corners ? round(v) (half away from zero) : floor(v), in - 1), and >= 0 with half-pixel. */
void tl_resize_nearest_index(int32_t *idx, int32_t in, int32_t out, int32_t align_corners, int32_t half_pixel_centers);

/* y[b, i, j, :] = x[b, iy[i], ix[j], :], elements of elem_size bytes (float32 and int8 alike). */
void tl_resize_nearest(void *y, const void *x, const tl_resize_params *p, const int32_t *iy, const int32_t *ix,
                       size_t elem_size);

/* float32 (TFLite's reference ResizeBilinear), per axis in float32:
 *   scale as for nearest; v = half_pixel_centers ? (i + 0.5f) * scale - 0.5f : i * scale;
 *   lo = max((int)floor(v), 0), hi = min((int)ceil(v), in - 1), a = v - lo (lo as float);
 *   y = x[ylo, xlo] (1 - ay)(1 - ax) + x[yhi, xlo] ay (1 - ax) + x[ylo, xhi] (1 - ay) ax + x[yhi, xhi] ay ax,
 *   multiplied and added left to right in float32. */
void tl_resize_bilinear_f32(float *y, const float *x, const tl_resize_params *p);

/* int8 (TFLite's integer ResizeBilinear, 10 fractional bits), per axis in int32:
 *   scale10 = (1024 in + out / 2) / out, or with align_corners and out > 1 (1024 (in - 1) + (out - 1) / 2) / (out - 1);
 *   v = half_pixel_centers ? i scale10 + scale10 / 2 - 512 : i scale10;
 *   lo = max(v / 1024, 0), hi = min((v + 1023) / 1024, in - 1) (C division, toward zero);
 *   wy1 = v - 1024 lo, wy0 = 1024 - wy1 (x likewise);
 *   acc = x[ylo, xlo] wy0 wx0 + x[yhi, xlo] wy1 wx0 + x[ylo, xhi] wy0 wx1 + x[yhi, xhi] wy1 wx1 (int64, raw int8
 *   values: y keeps x's quantization), y = (acc + (acc > 0 ? 2^19 : -2^19)) / 2^20 (toward zero). */
void tl_resize_bilinear_int8(int8_t *y, const int8_t *x, const tl_resize_params *p);

#endif /* TL_KERNELS_RESIZE_H */
