/* kernels.h: reference kernels, pure functions over plain arrays.
 *
 * What this is: the specification of each op's arithmetic, written as simply as possible. Every function
 * takes outputs first, then inputs, then a params struct that prepare has filled and validated. Kernels do
 * not allocate, do not fail, keep no state and check nothing that prepare already proved (TL_DCHECK only).
 * What this is not: shape inference or validation (that is prepare's job, in src/ops/), or fast code
 * (optimized kernels share these signatures and are tested against them).
 *
 * Shapes are NHWC for images. Dims are int32_t, element counts and strides are int64_t (products of
 * validated dims, already proven to fit by the verifier).
 */
#ifndef TL_KERNELS_H
#define TL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define TL_KMAX_RANK 6

/* Fused activation as a clamp: out = min(max(x, act_min), act_max). NONE uses -INFINITY/+INFINITY. */
typedef struct tl_act_f32 {
  float min;
  float max;
} tl_act_f32;

/* ---- FullyConnected ----
 * y[b, o] = act(sum_i x[b, i] * w[o, i] + bias[o]) */
typedef struct tl_fc_params {
  int32_t batch;       /* product of x's leading dims */
  int32_t in_depth;
  int32_t out_depth;
  tl_act_f32 act;
} tl_fc_params;
void tl_fc_f32(float *y,             /* [batch, out_depth] */
               const float *x,       /* [batch, in_depth] */
               const float *w,       /* [out_depth, in_depth] */
               const float *bias,    /* [out_depth] or NULL */
               const tl_fc_params *p);

/* ---- Conv2D and DepthwiseConv2D ----
 * Output position (oy, ox) reads input rows oy*stride_h - pad_top + ky*dilation_h (likewise columns);
 * reads outside the input count as zero. */
typedef struct tl_conv_params {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
  int32_t depth_multiplier; /* depthwise only: out_c == in_c * depth_multiplier */
  tl_act_f32 act;
} tl_conv_params;
void tl_conv2d_f32(float *y,          /* [batch, out_h, out_w, out_c] */
                   const float *x,    /* [batch, in_h, in_w, in_c] */
                   const float *w,    /* [out_c, k_h, k_w, in_c] */
                   const float *bias, /* [out_c] or NULL */
                   const tl_conv_params *p);
/* Output channel oc = ic * depth_multiplier + m reads input channel ic. */
void tl_depthwise_conv2d_f32(float *y,          /* [batch, out_h, out_w, out_c] */
                             const float *x,    /* [batch, in_h, in_w, in_c] */
                             const float *w,    /* [1, k_h, k_w, out_c] */
                             const float *bias, /* [out_c] or NULL */
                             const tl_conv_params *p);

/* ---- MaxPool2D and AveragePool2D ----
 * Windows are clipped to the input; the average divides by the number of input elements the window covers
 * (TensorFlow's rule: padding is not counted). */
typedef struct tl_pool_params {
  int32_t batch, in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left;
  tl_act_f32 act;
} tl_pool_params;
void tl_max_pool2d_f32(float *y, const float *x, const tl_pool_params *p);     /* NHWC both */
void tl_average_pool2d_f32(float *y, const float *x, const tl_pool_params *p); /* NHWC both */

/* ---- Broadcasting binary ops (Add, Sub, Mul) ----
 * Shapes are right-aligned to rank 4 by prepare; a dim of 1 in an input broadcasts (its stride is 0). */
typedef struct tl_binary_params {
  int32_t out_dims[4];
  int64_t a_strides[4]; /* element strides; 0 on broadcast dims */
  int64_t b_strides[4];
  tl_act_f32 act;
} tl_binary_params;
void tl_add_f32(float *y, const float *a, const float *b, const tl_binary_params *p);
void tl_sub_f32(float *y, const float *a, const float *b, const tl_binary_params *p);
void tl_mul_f32(float *y, const float *a, const float *b, const tl_binary_params *p);

/* ---- Elementwise unary ops over n elements ---- */
void tl_relu_f32(float *y, const float *x, int64_t n);
void tl_relu6_f32(float *y, const float *x, int64_t n);
void tl_sigmoid_f32(float *y, const float *x, int64_t n);
void tl_tanh_f32(float *y, const float *x, int64_t n);

/* ---- Softmax over the last axis ----
 * y = exp(beta * (x - max)) / sum(exp(beta * (x - max))) for each of `outer` rows of `depth` values. */
typedef struct tl_softmax_params {
  int64_t outer;
  int32_t depth;
  float beta;
} tl_softmax_params;
void tl_softmax_f32(float *y, const float *x, const tl_softmax_params *p);

/* ---- Mean over a set of axes ----
 * Prepare collapses the input into [outer, reduced, inner]-style loops: the input is viewed with
 * `rank` dims; reduce[d] != 0 marks a reduced axis. The output has the kept dims in order. */
typedef struct tl_mean_params {
  int32_t rank;
  int32_t in_dims[TL_KMAX_RANK];
  uint8_t reduce[TL_KMAX_RANK];
} tl_mean_params;
void tl_mean_f32(float *y, const float *x, const tl_mean_params *p);

/* ---- Data movement (dtype-agnostic: element size in bytes) ---- */
typedef struct tl_concat_params {
  int32_t num_inputs;
  int64_t outer;                  /* product of dims before the axis */
  int64_t inner_bytes[16];        /* per input: axis dim x product of dims after the axis x elem size */
} tl_concat_params;
#define TL_CONCAT_MAX_INPUTS 16
void tl_concat(void *y, const void *const *xs, const tl_concat_params *p);

typedef struct tl_pad_params {
  int32_t rank;
  int32_t in_dims[TL_KMAX_RANK];
  int32_t before[TL_KMAX_RANK];
  int32_t after[TL_KMAX_RANK];
  int32_t elem_size;
  const void *pad_value;          /* elem_size bytes (zero, or the zero point when quantized) */
} tl_pad_params;
void tl_pad(void *y, const void *x, const tl_pad_params *p);

typedef struct tl_transpose_params {
  int32_t rank;
  int32_t in_dims[TL_KMAX_RANK];
  int32_t perm[TL_KMAX_RANK];     /* output dim d is input dim perm[d] */
  int32_t elem_size;
} tl_transpose_params;
void tl_transpose(void *y, const void *x, const tl_transpose_params *p);

#endif /* TL_KERNELS_H */
