/* depthwise_opt.c: optimized float32 DepthwiseConv2D (see opt_kernels.h and opt_kernels_elementwise.h).
 *
 * What this is: the packing and the entry point, which runs the level's kernels (depthwise_body.h, compiled
 * once per level in f32_<level>.c): the reference formula with the channels vectorised (AVX-512: 16, AVX2: 8,
 * NEON: 4 per vector; the portable level and the channels past the last full vector go one at a time). The
 * bias is pre-packed (zeros without one) so the accumulators start from it. Depth multipliers dm > 1 run a
 * second loop nest over weights and bias packed multiplier-major (opt_kernels_elementwise.h). What this is
 * not: the specification (tl_depthwise_conv2d_f32).
 *
 * Algorithm: for each output pixel, the ranges of kernel rows and columns inside the input are computed
 * (the taps outside are skipped, like the reference); then each block of channels accumulates
 * acc += x[iy, ix, c..] * w[ky, kx, c..] over those taps, is clamped (max(lo, v) then min(hi, .), so a NaN
 * passes through) and stored. 3x3 kernels (MobileNet's) take a faster path on output rows whose three kernel
 * rows are inside the input: per block of channels the nine weight vectors stay in registers while the
 * pixels whose three columns are inside go by; the edge pixels take the general path. At the AVX2 level
 * (TL_DW_3X3_ROWS in f32_avx2.c) every 3x3 kernel with dm == 1 takes tl_dw3x3_run instead (depthwise_body.h):
 * per output row, groups of four pixels, per channel vector all nine taps FMA'd into one accumulator per
 * pixel (bias first, taps in order, the padded rows and columns skipped), the shared input columns loaded
 * once, the clamp once at the store.
 * With dm > 1, output channel ic * dm + m reads input channel ic: per output pixel, per block of input
 * channels and per m, the block's accumulators run over the taps with the packed weights w'[m][tap][ic..]
 * (contiguous, like dm == 1), and the block's results go to y[(ic + j) * dm + m] (a stride-dm scatter,
 * dm / (k_h * k_w) of the work; with dm == 2 the two multipliers' vectors are interleaved into two stores).
 */
#include "opt_f32_internal.h"

/* dm == 1: the bias; dm > 1: bias' then w' (opt_kernels_elementwise.h) */
size_t tl_depthwise_conv2d_f32_opt_packed_floats(const tl_conv_params *p) {
  const size_t out_c = (size_t)p->out_c;
  return p->depth_multiplier == 1 ? out_c : out_c + (size_t)p->k_h * (size_t)p->k_w * out_c;
}

void tl_depthwise_conv2d_f32_opt_pack(float *packed, const float *bias, const tl_conv_params *p) {
  const int32_t dm = p->depth_multiplier;
  for (int32_t ic = 0; ic < p->in_c; ic++) {
    for (int32_t m = 0; m < dm; m++) packed[(int64_t)m * p->in_c + ic] = bias ? bias[(int64_t)ic * dm + m] : 0.0f;
  }
}

void tl_depthwise_conv2d_f32_opt_pack_weights(float *packed, const float *w, const tl_conv_params *p) {
  const int32_t dm = p->depth_multiplier;
  const int64_t taps = (int64_t)p->k_h * p->k_w, in_c = p->in_c, out_c = p->out_c;
  float *wp = packed + out_c; /* after bias' */
  if (dm == 1) return;
  for (int32_t m = 0; m < dm; m++) {
    for (int64_t t = 0; t < taps; t++) {
      for (int64_t ic = 0; ic < in_c; ic++) wp[(m * taps + t) * in_c + ic] = w[t * out_c + ic * dm + m];
    }
  }
}

/* The depthwise kernels of each level (opt_f32_internal.h), in tl_f32_level_index's order. */
static const tl_f32_dw_kernels *const k_dw_sets[TL_F32_LEVELS] = {&tl_f32_dw_portable, &tl_f32_dw_neon,
                                                                   &tl_f32_dw_avx2, &tl_f32_dw_avx512};

void tl_depthwise_conv2d_f32_opt(float *y, const float *x, const float *w, const float *packed,
                                 const tl_conv_params *p, tl_isa isa) {
  const tl_f32_dw_kernels *ks = k_dw_sets[tl_f32_level_index(isa)];
  if (p->depth_multiplier != 1) {
    ks->dw_mult(y, x, packed, p);
  } else {
    ks->dw(y, x, w, packed, p);
  }
}
