/* conv_winograd.h: float32 Conv2D by Winograd's F(2x2, 3x3) (conv_winograd.c), for 3x3 stride-1 convolutions.
 *
 * What this is: y = conv(x, w) + bias, clamped, computed per 2x2 block of outputs ("tile") as
 *   Y = A^T [ (G g G^T) .* (B^T d B) ] A
 * summed over the input channels, where d is the tile's 4x4 input window (zeros in the padding and past the
 * input's edge), g one 3x3 filter, and B^T, G, A^T the F(2x2, 3x3) matrices of Lavin and Gray (2015). The
 * 16 element products summed over channels are 16 GEMMs [tiles, in_c] x [in_c, out_c] on the level's packed
 * GEMM; 16 multiplies per 4 outputs per channel pair instead of 36 (2.25x fewer). The weights are
 * transformed (in double, rounded once) and packed at prepare; the input and output transforms run per
 * block of tiles at invoke in the caller's scratch.
 * What this is not: bit-identical to the direct convolution: the transforms add and subtract inputs and
 * products before and after the sums, so results differ from it within float rounding (measured and
 * bounded in runtime_c/tests/test_conv_winograd.c and tests/runtime/test_conv_winograd.py). Larger tiles
 * (F(4x4, 3x3), F(6x6, 3x3)) would save more multiplies but their transforms' constants (up to 8 and 1/12)
 * amplify rounding by one to two orders of magnitude; not used.
 *
 * Where it runs (tl_conv_winograd_selected): the AVX2 level only (other levels keep their kernels), 3x3
 * kernels, stride 1, dilation 1, SAME or VALID, at least TL_WINO_MIN_CHANNELS input and output channels, and
 * at least TL_WINO_MIN_TILES tiles per image.
 *
 * Threads: tl_conv_winograd_f32_tiles runs any range of tiles that starts at a multiple of
 * TL_GEMM_ROW_ALIGN (and holds at most tl_conv_winograd_block_tiles): each tile's transforms are its own,
 * and the GEMMs cut at such rows run the same row tiles as uncut (opt_kernels.h), so every split of the
 * tiles over threads gives the bits of one thread.
 */
#ifndef TL_CONV_WINOGRAD_H
#define TL_CONV_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#include "opt_kernels.h"

#define TL_WINO_MIN_CHANNELS 8 /* below: the GEMMs' depth is too short to pay for the transforms */
#define TL_WINO_MIN_TILES 9    /* below: a handful of outputs, the direct path is as fast */

/* 1 when Conv2D p at level isa (the GEMM level prepare chose) runs by Winograd F(2x2, 3x3). */
int tl_conv_winograd_selected(const tl_conv_params *p, tl_isa isa);
/* Floats of the transformed, packed weights and the bias (for tl_conv_winograd_pack). */
size_t tl_conv_winograd_packed_floats(const tl_conv_params *p, tl_isa isa);
/* Transforms w [out_c, 3, 3, in_c] and packs it with bias [out_c] (or NULL). */
void tl_conv_winograd_pack(float *packed, const float *w, const float *bias, const tl_conv_params *p, tl_isa isa);
/* Tiles (2x2 output blocks, row-major over the image) per image. */
int32_t tl_conv_winograd_tiles(const tl_conv_params *p);
/* Most tiles per call (a multiple of TL_GEMM_ROW_ALIGN, or every tile of an image when not many more). */
int32_t tl_conv_winograd_block_tiles(const tl_conv_params *p);
/* Blocks of tl_conv_winograd_block_tiles per image. */
int32_t tl_conv_winograd_blocks(const tl_conv_params *p);
/* Scratch floats one call needs (one such buffer per thread). */
size_t tl_conv_winograd_scratch_floats(const tl_conv_params *p);
/* Tiles [t0, t0 + count) of image b (count at most the block tiles, t0 a multiple of TL_GEMM_ROW_ALIGN or 0;
 * tiles past the image are ignored): their outputs of y [batch, out_h, out_w, out_c] from x [batch, in_h,
 * in_w, in_c]. */
void tl_conv_winograd_f32_tiles(float *y, const float *x, const float *packed, float *scratch,
                                const tl_conv_params *p, tl_isa isa, int32_t b, int32_t t0, int32_t count);
/* Every block of every image, in order. */
void tl_conv_winograd_f32(float *y, const float *x, const float *packed, float *scratch, const tl_conv_params *p,
                          tl_isa isa);

#endif /* TL_CONV_WINOGRAD_H */
