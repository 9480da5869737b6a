/* hard_swish.c: reference kernels of HardSwish (hard_swish.h). The int16 helpers keep gemmlowp's int16
 * arithmetic: products in int32, results cast back to int16 (two's complement, written out below so no
 * conversion is implementation-defined). */
#include "hard_swish.h"

void tl_hard_swish_f32(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float v = x[i], r = v + 3.0f;
    const float c = r > 0.0f ? (r < 6.0f ? r : 6.0f) : 0.0f; /* NaN: 0, and NaN * 0 stays NaN */
    y[i] = v * c / 6.0f;
  }
}

/* int32 -> int16 as static_cast<int16_t> (wraps) */
static int32_t tl_wrap16(int32_t v) {
  const uint32_t low = (uint32_t)v & 0xFFFFu;
  return low >= 0x8000u ? (int32_t)low - 65536 : (int32_t)low;
}

/* C division truncates toward zero, as C++'s */
static int32_t tl_srdhm16(int32_t a, int32_t b) {
  const int32_t ab = a * b; /* |a|, |b| <= 2^15: fits */
  if (a == -32768 && b == -32768) return 32767;
  return tl_wrap16((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

static int32_t tl_sdhm16(int32_t a, int32_t b) {
  if (a == -32768 && b == -32768) return 32767;
  return tl_wrap16((a * b) / (1 << 15));
}

static int32_t tl_saturating_left_shift16(int32_t v, int32_t amount) {
  const int64_t r = (int64_t)v * ((int64_t)1 << amount); /* amount in [0, 30] */
  return r > 32767 ? 32767 : r < -32768 ? -32768 : (int32_t)r;
}

/* gemmlowp's RoundingDivideByPOT on int16: the mask is (2^exponent - 1) cast to int16, so -1 from 16 up */
static int32_t tl_rounding_divide_by_pot16(int32_t x, int32_t exponent) {
  const int32_t mask = tl_wrap16((int32_t)(((int64_t)1 << exponent) - 1));
  const int32_t remainder = tl_wrap16(x & mask);
  const int32_t threshold = (mask < 0 ? -1 : mask >> 1) + (x < 0 ? 1 : 0); /* -1 >> 1 is -1 */
  const int32_t shifted = x < 0 ? -(int32_t)((-(int64_t)x + ((int64_t)1 << exponent) - 1) >> exponent)
                                : (int32_t)((int64_t)x >> exponent); /* floor division, exponent in [0, 31] */
  return tl_wrap16(shifted + (remainder > threshold ? 1 : 0));
}

int16_t tl_downscale_multiplier16(int32_t m) {
  if (m >= INT32_MAX - (1 << 15)) return 32767;
  return (int16_t)((m + (1 << 15)) >> 16);
}

void tl_hard_swish_table_int8(int8_t *table, const tl_hard_swish_quant *q) {
  for (int32_t v = -128; v <= 127; v++) {
    const int32_t hires = (v - q->in_zp) * 128; /* |v - zp| <= 255: fits int16 */
    const int32_t pre = tl_srdhm16(hires, q->out_multiplier);
    int32_t r = hires, y;
    if (q->reluish_shift > 0) r = tl_saturating_left_shift16(r, q->reluish_shift - 1);
    r = tl_srdhm16(r, q->reluish_multiplier);
    if (q->reluish_shift > 0) r = tl_saturating_left_shift16(r, 1);
    if (q->reluish_shift < 0) r = tl_rounding_divide_by_pot16(r, -q->reluish_shift);
    r = (r + (1 << 15)) >> 1; /* [-32768, 32767] -> [0, 32767] */
    y = tl_rounding_divide_by_pot16(tl_sdhm16(r, pre), -q->out_shift) + q->out_zp;
    table[v + 128] = (int8_t)(y < -128 ? -128 : y > 127 ? 127 : y);
  }
}
