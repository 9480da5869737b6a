/* quantize_opt.h: vectorized Quantize (float32 -> int8) and Dequantize (int8 -> float32), per tensor.
 *
 * What this is: the fast counterparts of tl_quantize_f32_int8 and tl_dequantize_int8_f32 (kernels/quantize.h),
 * with their signatures and identical bits: the vector code performs the reference's float operations in its
 * order (a true division by the scale, round half away from zero, + zero point, clamp, NaN -> zero point), so
 * no input, NaN, infinities and -0 included, gives a different byte or float. One kernel set per level
 * (portable C in quantize_opt.c; quantize_avx2.c, quantize_avx512.c, quantize_neon.c), picked once at prepare
 * with tl_f32_qdq_kernels_for; the op (ops/quantize.c) splits large tensors over threads in whole chunks.
 * What this is not: validation (ops/quantize.c).
 */
#ifndef TL_QUANTIZE_OPT_H
#define TL_QUANTIZE_OPT_H

#include "cpu_features.h"
#include "kernels/quantize.h"

typedef struct tl_f32_qdq_kernels {
  void (*quantize)(int8_t *y, const float *x, int64_t n, const tl_qdq_params *p);
  void (*dequantize)(float *y, const int8_t *x, int64_t n, const tl_qdq_params *p);
} tl_f32_qdq_kernels;

/* Each level's set (a level this build has no code for is the portable set: quantize_opt.c). */
extern const tl_f32_qdq_kernels tl_f32_qdq_portable, tl_f32_qdq_neon, tl_f32_qdq_avx2, tl_f32_qdq_avx512;
/* The set of level isa (REFERENCE and AUTO: the portable set; a level this build has no code for: portable). */
const tl_f32_qdq_kernels *tl_f32_qdq_kernels_for(tl_isa isa);

#endif /* TL_QUANTIZE_OPT_H */
