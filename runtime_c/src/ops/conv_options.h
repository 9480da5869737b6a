/* conv_options.h: the decoded options Conv2D (Conv2DOptions) and DepthwiseConv2D (DepthwiseConv2DOptions)
 * share, so that their common geometry (tl_op_conv_geometry, conv2d.c) reads one struct. Each op's decoder
 * (next to the op) writes it; Conv2D leaves depth_multiplier at 1. Range-checked at load: padding known,
 * strides, dilations and depth_multiplier positive, activation known. */
#ifndef TL_CONV_OPTIONS_H
#define TL_CONV_OPTIONS_H

#include <stdint.h>

typedef struct tl_conv_options {
  int32_t padding;          /* TL_PADDING_* */
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t depth_multiplier; /* DepthwiseConv2D; 1 for Conv2D */
  int32_t activation;       /* TL_ACT_* */
} tl_conv_options;

#endif /* TL_CONV_OPTIONS_H */
