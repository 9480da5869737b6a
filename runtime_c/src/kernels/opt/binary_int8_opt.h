/* binary_int8_opt.h: vectorized int8 Add, Sub and Mul (TFLite's scheme), bit-identical to the reference.
 *
 * What this is: the fast counterparts of tl_add_int8 / tl_sub_int8 / tl_mul_int8 (kernels_int8.h): the same
 * integer arithmetic lane by lane, so every input pair gives the reference's byte. One kernel set per level
 * (portable C in binary_int8_opt.c; binary_int8_avx2.c, binary_int8_neon.c; the AVX-512 level runs the AVX2
 * set), picked once at prepare with tl_i8_binary_kernels_for; the entry points take that set.
 * What this is not: the specification (kernels/binary_int8.c) or the multipliers (ops/binary_int8.c).
 *
 * Arithmetic (exact in 32-bit lanes but one 32x32->64 product; the reference is the formula of kernels_int8.h):
 *   Add/Sub input rescale, with ca = a - a_zp in [-255, 255] and left_shift 20: srdhm(ca 2^20, m) =
 *     floor((ca m + 2^10) / 2^11) = 32 ca m_hi + floor((ca m_lo + 2^10) / 2^11) for m = 2^16 m_hi + m_lo,
 *     every term below 2^29 in magnitude; then the rounding right shift (ties away from zero).
 *   Output: x = sa +- sb (or ca cb for Mul), x 2^left (left = max(out_shift, 0)), srdhm(x, out_multiplier) =
 *     floor((x m + 2^30) / 2^31) from a 64-bit product, the rounding right shift by max(-out_shift, 0),
 *     + output_zp, the clamp. srdhm saturates only for x = INT32_MIN and the left shift only when |x| 2^left
 *     passes 2^31 - 1: tl_binary_int8_opt_supported admits a parameter set only when the largest |x| its
 *     inputs can give, shifted, stays below 2^31, so neither happens (other sets run the reference).
 */
#ifndef TL_BINARY_INT8_OPT_H
#define TL_BINARY_INT8_OPT_H

#include <stdint.h>

#include "cpu_features.h"
#include "kernels/kernels_int8.h"

/* A flat run of n elements: y[i] = op(a[i * a_step], b[i * b_step]), the steps 1 (a vector) or 0 (a scalar:
 * then the pointer holds at least 32 copies of it, so a vector load sees the scalar in every lane). */
typedef void (*tl_i8_binary_run_fn)(int8_t *y, const int8_t *a, int64_t a_step, const int8_t *b, int64_t b_step,
                                    int64_t n, const tl_binary_int8_params *p);

typedef struct tl_i8_binary_kernels {
  tl_i8_binary_run_fn add, sub, mul;
} tl_i8_binary_kernels;

/* Each level's set (a level this build has no code for is the portable set: binary_int8_opt.c). */
extern const tl_i8_binary_kernels tl_i8_binary_portable, tl_i8_binary_neon, tl_i8_binary_avx2;
/* The set of level isa (REFERENCE and AUTO: the portable set; AVX-512: the AVX2 set). */
const tl_i8_binary_kernels *tl_i8_binary_kernels_for(tl_isa isa);

/* Non-zero when the vector arithmetic above is exact for p (always for the multipliers prepare makes unless an
 * output multiplier's left shift could saturate); mul: the Mul formula, else Add/Sub. */
int tl_binary_int8_opt_supported(const tl_binary_int8_params *p, int mul);

/* The reference kernels' arguments plus the level's set: flat runs for same shapes, a scalar on either side
 * and an input repeating along trailing dims; other broadcasts row by row along the last axis when it has at
 * least 4 elements, else the reference kernel. */
void tl_add_int8_opt(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                     const tl_i8_binary_kernels *ks);
void tl_sub_int8_opt(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                     const tl_i8_binary_kernels *ks);
void tl_mul_int8_opt(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                     const tl_i8_binary_kernels *ks);

#endif /* TL_BINARY_INT8_OPT_H */
