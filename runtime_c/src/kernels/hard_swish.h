/* hard_swish.h: reference kernels of HardSwish (float32 and int8).
 *
 * What this is: the float32 kernel and the builder of the int8 table (looked up by tl_lut_int8 of
 * unary_math.h): TFLite's reference HARD_SWISH, 16-bit fixed point, run once per int8 value at prepare, which
 * trainer/runtime_ops/hard_swish.py mirrors byte for byte. What this is not: the multipliers' range checks
 * (ops/hard_swish.c).
 */
#ifndef TL_KERNELS_HARD_SWISH_H
#define TL_KERNELS_HARD_SWISH_H

#include <stdint.h>

/* y = x * min(max(x + 3, 0), 6) / 6 (NaN gives NaN, -inf gives NaN: -inf * 0) */
void tl_hard_swish_f32(float *y, const float *x, int64_t n);

/* int8 (TFLite's HardSwish): 16-bit multipliers (QuantizeMultiplier rounded to 16 bits) of hires / s_out
 * (out) and hires / (3 / 32768) (reluish), hires = s_in / 128; out_shift in [-31, 0], reluish_shift in
 * [-31, 31]. Per value: v = (q - in_zp) * 128; pre = srdhm16(v, out); reluish = v rescaled to [-1, 1] by
 * the reluish multiplier and shift (saturating), mapped to [0, 1]; y = rdbpot16(sdhm16(reluish, pre),
 * -out_shift) + out_zp, clamped. */
typedef struct tl_hard_swish_quant {
  int32_t in_zp, out_zp;
  int16_t out_multiplier, reluish_multiplier;
  int32_t out_shift, reluish_shift;
} tl_hard_swish_quant;
void tl_hard_swish_table_int8(int8_t *table /* [256] */, const tl_hard_swish_quant *q);

/* TFLite's DownScaleInt32ToInt16Multiplier: (m + 2^15) >> 16 for m in [0, 2^31), 32767 near the top. */
int16_t tl_downscale_multiplier16(int32_t m);

#endif /* TL_KERNELS_HARD_SWISH_H */
