/* conv_train.h: float32 NHWC convolution and pooling entry points for the Python trainer
 * (trainer/ops/conv_runtime.py, through pyruntime's cffi extension).
 *
 * What this is: the runtime's packed GEMM and MaxPool2D kernel (kernels/opt/) and thread pool behind plain
 * functions over caller-owned arrays, with no model, interpreter or allocation: the forward convolution
 * (which the trainer also runs, on dy and the flipped filter, as the input gradient of a stride-1
 * convolution), the filter gradient, MaxPool2D and its input gradient. The caller passes a scratch buffer
 * sized by the *_scratch_floats functions where one is needed, and a thread pool
 * (threadpool.h; NULL runs on the calling thread). What this is not: the interpreter's Conv2D op (ops/conv2d.c
 * packs its constant weights once at prepare; here the weights change every training step and are packed on
 * every call, a few microseconds) or the specification (trainer/ops/conv_ops.py's numpy kernels are: results
 * match them within float32 rounding, the order of the additions differs).
 *
 * Usage:
 *   tl_conv2d_geometry g = {batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w,
 *                           stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left};
 *   size_t n = tl_conv2d_f32_nhwc_scratch_floats(&g, tl_threadpool_threads(pool));
 *   float *scratch = malloc(n * sizeof(float));
 *   tl_status s = tl_conv2d_f32_nhwc(y, x, w_ohwi, scratch, n, &g, pool);
 */
#ifndef TL_CONV_TRAIN_H
#define TL_CONV_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "tensorlet.h"
#include "threadpool.h"

/* A convolution's geometry, NHWC: output position (oy, ox)'s window starts at input row oy * stride_h -
 * pad_top and column ox * stride_w - pad_left; taps outside the input read zeros (the bottom and right padding
 * follow from out_h and out_w). */
typedef struct tl_conv2d_geometry {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
} tl_conv2d_geometry;

/* Floats of scratch tl_conv2d_f32_nhwc needs when `threads` threads run it (the packed weights, and one block
 * of patches per thread); 0 for a geometry it refuses. */
size_t tl_conv2d_f32_nhwc_scratch_floats(const tl_conv2d_geometry *g, int32_t threads);

/* y = conv(x, w): y [batch, out_h, out_w, out_c], x [batch, in_h, in_w, in_c], w [out_c, k_h, k_w, in_c].
 * Returns TL_OK; TL_ERROR_NULL_ARGUMENT; TL_ERROR_INVALID_ARGUMENT for a geometry with a dim below 1, a
 * padding outside [0, (k - 1) * dilation], an output position whose window lies wholly in the padding or a
 * patch of 2^31 floats or more; TL_ERROR_ARENA_TOO_SMALL when scratch_floats is below what
 * tl_conv2d_f32_nhwc_scratch_floats asks for the pool's threads. */
tl_status tl_conv2d_f32_nhwc(float *y, const float *x, const float *w, float *scratch, size_t scratch_floats,
                             const tl_conv2d_geometry *g, tl_threadpool *pool);

/* y = relu?(conv(x, w) + bias): tl_conv2d_f32_nhwc with a bias [out_c] (NULL: none) added by the GEMM (its sums
 * start from it) and, when relu is nonzero, max(., 0) applied as each tile is stored; one pass over y
 * instead of the trainer's Conv2D, BiasAdd and Relu. Same scratch and statuses as tl_conv2d_f32_nhwc. */
tl_status tl_conv2d_f32_nhwc_fused(float *y, const float *x, const float *w, const float *bias, int32_t relu,
                                   float *scratch, size_t scratch_floats, const tl_conv2d_geometry *g,
                                   tl_threadpool *pool);

/* Floats of scratch tl_conv2d_f32_filter_grad needs with `threads` threads (per thread: a block of patches and
 * a partial gradient); 0 for a geometry it refuses. */
size_t tl_conv2d_f32_filter_grad_scratch_floats(const tl_conv2d_geometry *g, int32_t threads);

/* The filter gradient of y = conv(x, w): dw[k_h, k_w, in_c, out_c] (HWIO, TensorFlow's filter layout) = sum
 * over every output position p of patch(x, p) (outer product) dy[p], with dy [batch, out_h, out_w, out_c].
 * Thread t sums the images [t * batch / threads, (t + 1) * batch / threads) into its own partial gradient;
 * the partials are added in thread order (the same bits for the same thread count). Statuses as
 * tl_conv2d_f32_nhwc. */
tl_status tl_conv2d_f32_filter_grad(float *dw, const float *x, const float *dy, float *scratch,
                                    size_t scratch_floats, const tl_conv2d_geometry *g, tl_threadpool *pool);

/* MaxPool2D: y [batch, out_h, out_w, in_c] = the max of each window of x [batch, in_h, in_w, in_c] clipped to
 * the input (the padding never wins); g as for tl_max_pool2d_f32_grad. The runtime's MaxPool2D kernel at the
 * CPU's level, threads taking whole images. Statuses as tl_conv2d_f32_nhwc (no scratch). */
tl_status tl_max_pool2d_f32_nhwc(float *y, const float *x, const tl_conv2d_geometry *g, tl_threadpool *pool);

/* The input gradient of MaxPool2D, y = max_pool(x): each window's dy goes to the first input element (in
 * row-major window order) equal to the window's max y; a tap in the padding (value -inf) can take it and
 * drop it. dx and x [batch, in_h, in_w, in_c], y and dy [batch, out_h, out_w, in_c]; g is the window's
 * geometry as a convolution's (k_h x k_w window, out_c == in_c, dilations 1). Overlapping windows add their
 * shares. Threads take whole images (the same bits for any thread count). Statuses as tl_conv2d_f32_nhwc
 * (no scratch). */
tl_status tl_max_pool2d_f32_grad(float *dx, const float *x, const float *y, const float *dy,
                                 const tl_conv2d_geometry *g, tl_threadpool *pool);

/* tl_max_pool2d_f32_grad followed by ReluGrad and the bias gradient, when x = relu(z) + ... is a ReLU's
 * output (relu nonzero): dx = max_pool_grad(x, y, dy) * (x > 0), which is each window's dy * (y > 0) on its
 * first maximal element, and, when db [in_c] is not NULL, db = dx summed over batch and positions (read from
 * the pooled dy and y: each window's masked dy lands on one element of dx). relu == 0 is
 * tl_max_pool2d_f32_grad (db must then be NULL). Statuses as tl_max_pool2d_f32_grad, and
 * TL_ERROR_INVALID_ARGUMENT for a db without relu. */
tl_status tl_max_pool2d_f32_grad_relu(float *dx, float *db, const float *x, const float *y, const float *dy,
                                      int32_t relu, const tl_conv2d_geometry *g, tl_threadpool *pool);

/* Adam's update of n floats in place, the trainer's ApplyAdam (trainer/ops/training.py) in one pass:
 * m += (g - m) * one_minus_beta1; v += (g * g - v) * one_minus_beta2; var -= m / (sqrt(v) + epsilon) * lr_t,
 * each operation rounded to float32 in that order (the numpy kernel's bits). Threads take contiguous chunks
 * (the same bits for any thread count). Returns TL_OK, TL_ERROR_NULL_ARGUMENT, TL_ERROR_INVALID_ARGUMENT
 * for n < 0. */
tl_status tl_train_adam_f32(float *var, float *m, float *v, const float *g, int64_t n, float one_minus_beta1,
                            float one_minus_beta2, float epsilon, float lr_t, tl_threadpool *pool);

#endif /* TL_CONV_TRAIN_H */
