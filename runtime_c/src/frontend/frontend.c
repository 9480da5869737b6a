/* frontend.c: the fixed-point audio front-end (see include/tl_frontend.h for the pipeline and the API).
 *
 * What this file is: config checks, table construction in integer arithmetic (integer sine for the Hann
 * window and the FFT twiddles, integer log2 for the mel scale and the output), and the per-frame computation.
 * What it is not: a streaming front-end with noise reduction or gain control (TFLite Micro's PCAN): frames
 * are independent, so a clip's features do not depend on what came before it.
 *
 * Every integer step is mirrored bit for bit by trainer/audio/fixed_frontend.py; change both together.
 * Signed right shifts are avoided: tl_fe_round_shift rounds half away from zero on the magnitude.
 */
#include "tl_frontend.h"

#include <string.h>

#define TL_FE_Q15_ONE 32768
#define TL_FE_Q30_ONE (1LL << 30)
/* The windowed samples keep 4 fraction bits (|x| <= 2^19), so the FFT outputs stay below N * 2^19 <= 2^30
 * and P = re^2 + im^2 below 2^61. The band energy E[m] = floor(sum_k P[k] w[m][k] / 2^15) is exact: P splits
 * into its high and low 32 bits, summed apart (see tl_frontend_compute_frame). Parseval bounds the sum over
 * all bins, sum_k P[k] = N sum_n x[n]^2 <= N * N * 2^38 <= 2^60 (N <= 2048), and a bin's weights add to 2^15,
 * so E[m] <= 2^60 and no sum overflows uint64. */
#define TL_FE_GUARD_BITS 4
#define TL_FE_ALIGN 8u

struct tl_frontend {
  tl_frontend_config config;
  int32_t num_bins;   /* fft_size / 2 + 1 */
  int32_t log2_fft;   /* log2(fft_size) */
  int32_t *window;    /* [window_samples] periodic Hann, Q15, 0..32768 */
  int16_t *tw_re;     /* [fft_size / 2] cos(2 pi k / N), Q15 */
  int16_t *tw_im;     /* [fft_size / 2] -sin(2 pi k / N), Q15 */
  int16_t *mel_band;  /* [num_bins] j: the bin's mel lies in [edge_j, edge_j+1), -1 outside all bands */
  uint16_t *mel_rise; /* [num_bins] Q15 weight of band j (rising side); band j-1 gets 32768 - rise */
  int32_t *re;        /* [fft_size] FFT scratch */
  int32_t *im;        /* [fft_size] FFT scratch */
  uint64_t *acc_hi;   /* [num_mel_bins] filterbank sums of P's high 32 bits times Q15 weights */
  uint64_t *acc_lo;   /* [num_mel_bins] the same for P's low 32 bits */
};

/* ---- integer math ---- */

/* round(v / 2^shift), halves away from zero, without shifting a negative number. */
static int64_t tl_fe_round_shift(int64_t v, int shift) {
  const int64_t half = (int64_t)1 << (shift - 1);
  return v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
}

/* sin(2 pi turn / 2^32) in Q30 (|error| < 2^-23). The first quadrant's sin(pi z / 2), z in [0, 1] Q30, is the
 * Taylor polynomial to z^11 evaluated as z (c1 - z^2 (c3 - z^2 (c5 - ...))): every bracket is positive, so
 * the evaluation is in unsigned arithmetic with truncating shifts. */
static int64_t tl_fe_sin_q30(uint32_t turn) {
  /* (pi / 2)^n / n! in Q30 for n = 1, 3, 5, 7, 9, 11 */
  static const uint64_t c[6] = {1686629713u, 693598668u, 85569306u, 5026995u, 172272u, 3864u};
  const uint32_t quadrant = turn >> 30;
  uint64_t z = turn & 0x3FFFFFFFu; /* Q30 position in the quadrant */
  uint64_t z2, acc;
  int i;
  if (quadrant & 1u) z = (uint64_t)TL_FE_Q30_ONE - z;
  z2 = (z * z) >> 30;
  acc = c[5];
  for (i = 4; i >= 0; --i) acc = c[i] - ((acc * z2) >> 30);
  acc = (acc * z) >> 30;
  return quadrant >= 2u ? -(int64_t)acc : (int64_t)acc;
}

/* log2(u) in Q16 for u >= 1: the integer part from the top bit, 16 fraction bits by repeated squaring of the
 * Q30 mantissa (each square's overflow past 2.0 is the next bit). */
static int32_t tl_fe_log2_q16(uint64_t u) {
  int32_t msb = 0, i;
  uint64_t m;
  uint32_t frac = 0;
  while (msb < 63 && (u >> (msb + 1)) != 0) ++msb;
  m = msb >= 30 ? u >> (msb - 30) : u << (30 - msb); /* [2^30, 2^31) */
  for (i = 0; i < 16; ++i) {
    m = (m * m) >> 30;
    frac <<= 1;
    if (m >= ((uint64_t)1 << 31)) {
      m >>= 1;
      frac |= 1u;
    }
  }
  return (int32_t)(((uint32_t)msb << 16) | frac);
}

/* ---- configuration ---- */

tl_status tl_frontend_config_default(tl_frontend_config *config) {
  if (config == NULL) return TL_ERROR_NULL_ARGUMENT;
  config->sample_rate = 16000;
  config->window_samples = 480;
  config->stride_samples = 320;
  config->fft_size = 512;
  config->num_mel_bins = 40;
  config->lower_hz = 125;
  config->upper_hz = 7500;
  return TL_OK;
}

static int32_t tl_fe_log2_exact(int32_t n) {
  int32_t k = 0;
  while (k < 31 && ((int32_t)1 << k) < n) ++k;
  return ((int32_t)1 << k) == n ? k : -1;
}

/* mel(f) up to a constant: log2(700 N + f N) in Q16, f N given as x (Hz times fft_size). */
static int32_t tl_fe_mel(int64_t x, int32_t fft_size) {
  return tl_fe_log2_q16((uint64_t)(700 * (int64_t)fft_size + x));
}

/* The num_mel_bins + 2 band edges, equally spaced on the mel scale from lower_hz to upper_hz (floor). */
static void tl_fe_edges(const tl_frontend_config *c, int64_t edges[TL_FRONTEND_MAX_MEL_BINS + 2]) {
  const int64_t lo = tl_fe_mel((int64_t)c->lower_hz * c->fft_size, c->fft_size);
  const int64_t hi = tl_fe_mel((int64_t)c->upper_hz * c->fft_size, c->fft_size);
  int32_t i;
  for (i = 0; i < c->num_mel_bins + 2; ++i) edges[i] = lo + (hi - lo) * i / (c->num_mel_bins + 1);
}

static const char *tl_fe_check(const tl_frontend_config *c) {
  int64_t edges[TL_FRONTEND_MAX_MEL_BINS + 2];
  int32_t i;
  if (c == NULL) return "config is NULL";
  if (c->sample_rate < TL_FRONTEND_MIN_SAMPLE_RATE || c->sample_rate > TL_FRONTEND_MAX_SAMPLE_RATE)
    return "sample_rate is outside 4000..48000 Hz";
  if (c->fft_size < 4 || c->fft_size > TL_FRONTEND_MAX_FFT_SIZE || tl_fe_log2_exact(c->fft_size) < 0)
    return "fft_size is not a power of two in 4..2048";
  if (c->window_samples < 2 || c->window_samples > c->fft_size)
    return "window_samples is outside 2..fft_size";
  if (c->stride_samples < 1 || c->stride_samples > c->window_samples)
    return "stride_samples is outside 1..window_samples";
  if (c->num_mel_bins < 1 || c->num_mel_bins > TL_FRONTEND_MAX_MEL_BINS)
    return "num_mel_bins is outside 1..128";
  if (c->lower_hz < 0 || c->lower_hz >= c->upper_hz) return "lower_hz must be >= 0 and below upper_hz";
  if (c->upper_hz > c->sample_rate / 2) return "upper_hz is above the Nyquist frequency (sample_rate / 2)";
  tl_fe_edges(c, edges);
  for (i = 0; i <= c->num_mel_bins; ++i)
    if (edges[i + 1] <= edges[i]) return "mel bands are too narrow: two band edges coincide";
  return NULL;
}

tl_status tl_frontend_config_check(const tl_frontend_config *config) {
  if (config == NULL) return TL_ERROR_NULL_ARGUMENT;
  return tl_fe_check(config) == NULL ? TL_OK : TL_ERROR_INVALID_ARGUMENT;
}

const char *tl_frontend_check_message(const tl_frontend_config *config) {
  const char *msg = tl_fe_check(config);
  return msg == NULL ? "ok" : msg;
}

static size_t tl_fe_round_up(size_t n) { return (n + TL_FE_ALIGN - 1) / TL_FE_ALIGN * TL_FE_ALIGN; }

/* Byte offsets of each table in the caller's memory, in the order of struct tl_frontend. The limits keep
 * every size far below 2^31, so no sum overflows. */
#define TL_FE_TABLES 9
static size_t tl_fe_layout(const tl_frontend_config *c, size_t offsets[TL_FE_TABLES]) {
  const size_t n = (size_t)c->fft_size, bins = n / 2 + 1, mels = (size_t)c->num_mel_bins;
  const size_t sizes[TL_FE_TABLES] = {
      (size_t)c->window_samples * sizeof(int32_t), n / 2 * sizeof(int16_t), n / 2 * sizeof(int16_t),
      bins * sizeof(int16_t), bins * sizeof(uint16_t), n * sizeof(int32_t), n * sizeof(int32_t),
      mels * sizeof(uint64_t), mels * sizeof(uint64_t)};
  size_t at = tl_fe_round_up(sizeof(struct tl_frontend));
  int i;
  for (i = 0; i < TL_FE_TABLES; ++i) {
    offsets[i] = at;
    at += tl_fe_round_up(sizes[i]);
  }
  return at;
}

tl_status tl_frontend_required_bytes(const tl_frontend_config *config, size_t *bytes) {
  size_t offsets[TL_FE_TABLES];
  if (config == NULL || bytes == NULL) return TL_ERROR_NULL_ARGUMENT;
  *bytes = 0;
  if (tl_fe_check(config) != NULL) return TL_ERROR_INVALID_ARGUMENT;
  *bytes = tl_fe_layout(config, offsets);
  return TL_OK;
}

tl_status tl_frontend_init(const tl_frontend_config *config, void *memory, size_t bytes, tl_frontend **out) {
  int64_t edges[TL_FRONTEND_MAX_MEL_BINS + 2];
  size_t offsets[TL_FE_TABLES], need;
  unsigned char *base = (unsigned char *)memory;
  tl_frontend *fe;
  int32_t n, k, half, band;
  if (out == NULL) return TL_ERROR_NULL_ARGUMENT;
  *out = NULL;
  if (config == NULL || memory == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (tl_fe_check(config) != NULL) return TL_ERROR_INVALID_ARGUMENT;
  if (((uintptr_t)memory % TL_FE_ALIGN) != 0) return TL_ERROR_MISALIGNED;
  need = tl_fe_layout(config, offsets);
  if (bytes < need) return TL_ERROR_ARENA_TOO_SMALL;
  memset(memory, 0, need);
  fe = (tl_frontend *)memory;
  fe->config = *config;
  n = config->fft_size;
  half = n / 2;
  fe->num_bins = half + 1;
  fe->log2_fft = tl_fe_log2_exact(n);
  fe->window = (int32_t *)(void *)(base + offsets[0]);
  fe->tw_re = (int16_t *)(void *)(base + offsets[1]);
  fe->tw_im = (int16_t *)(void *)(base + offsets[2]);
  fe->mel_band = (int16_t *)(void *)(base + offsets[3]);
  fe->mel_rise = (uint16_t *)(void *)(base + offsets[4]);
  fe->re = (int32_t *)(void *)(base + offsets[5]);
  fe->im = (int32_t *)(void *)(base + offsets[6]);
  fe->acc_hi = (uint64_t *)(void *)(base + offsets[7]);
  fe->acc_lo = (uint64_t *)(void *)(base + offsets[8]);

  /* periodic Hann: 0.5 - 0.5 cos(2 pi i / W) = (2^30 - cos_q30) / 2^31, to Q15 */
  for (k = 0; k < config->window_samples; ++k) {
    const uint32_t turn = (uint32_t)((((uint64_t)k << 32) + (uint64_t)config->window_samples / 2) /
                                     (uint64_t)config->window_samples);
    const int64_t c = tl_fe_sin_q30(turn + 0x40000000u);
    fe->window[k] = (int32_t)((TL_FE_Q30_ONE - c + (1 << 15)) >> 16);
  }
  /* twiddles e^{-2 pi i k / N}, Q15, clamped to +-32767 */
  for (k = 0; k < half; ++k) {
    const uint32_t turn = (uint32_t)k << (32 - fe->log2_fft);
    int64_t c = tl_fe_round_shift(tl_fe_sin_q30(turn + 0x40000000u), 15);
    int64_t s = -tl_fe_round_shift(tl_fe_sin_q30(turn), 15);
    if (c > 32767) c = 32767;
    if (c < -32767) c = -32767;
    if (s < -32767) s = -32767;
    if (s > 32767) s = 32767;
    fe->tw_re[k] = (int16_t)c;
    fe->tw_im[k] = (int16_t)s;
  }
  tl_fe_edges(config, edges);
  /* mel map: bin k (frequency k * sample_rate / N) lies in band segment j when edge_j <= mel_k < edge_j+1 */
  for (k = 0; k < fe->num_bins; ++k) {
    const int64_t m = tl_fe_mel((int64_t)k * config->sample_rate, n);
    fe->mel_band[k] = -1;
    fe->mel_rise[k] = 0;
    if (k == 0) continue; /* the DC bin carries no band (as TensorFlow's bands_to_zero = 1) */
    for (band = 0; band <= config->num_mel_bins; ++band) {
      const int64_t lo = edges[band], hi = edges[band + 1];
      if (m >= lo && m < hi) {
        fe->mel_band[k] = (int16_t)band;
        fe->mel_rise[k] = (uint16_t)(((m - lo) << 15) / (hi - lo));
        break;
      }
    }
  }
  *out = fe;
  return TL_OK;
}

tl_status tl_frontend_num_frames(const tl_frontend *fe, int32_t num_samples, int32_t *num_frames) {
  if (fe == NULL || num_frames == NULL) return TL_ERROR_NULL_ARGUMENT;
  *num_frames = 0;
  if (num_samples < 0) return TL_ERROR_INVALID_ARGUMENT;
  if (num_samples >= fe->config.window_samples)
    *num_frames = 1 + (num_samples - fe->config.window_samples) / fe->config.stride_samples;
  return TL_OK;
}

/* ---- per frame ---- */

/* In-place radix-2 decimation-in-time FFT of re/im [N]: bit-reversal permutation, then log2(N) stages of
 * butterflies a +- w b with w from the Q15 twiddle table (index k * N / size). No per-stage scaling: with
 * |x| <= 2^19 every value stays below N * 2^19 <= 2^30. */
static void tl_fe_fft(tl_frontend *fe) {
  const int32_t n = fe->config.fft_size;
  int32_t *re = fe->re, *im = fe->im;
  int32_t i, j, size;
  for (i = 0; i < n; ++i) {
    int32_t r = 0, b;
    for (b = 0; b < fe->log2_fft; ++b) r |= ((i >> b) & 1) << (fe->log2_fft - 1 - b);
    if (r > i) {
      int32_t t = re[i];
      re[i] = re[r];
      re[r] = t;
      t = im[i];
      im[i] = im[r];
      im[r] = t;
    }
  }
  for (size = 2; size <= n; size *= 2) {
    const int32_t half = size / 2, step = n / size;
    for (i = 0; i < n; i += size) {
      for (j = 0; j < half; ++j) {
        const int64_t wr = fe->tw_re[j * step], wi = fe->tw_im[j * step];
        const int64_t br = re[i + j + half], bi = im[i + j + half];
        const int32_t tr = (int32_t)tl_fe_round_shift(br * wr - bi * wi, 15);
        const int32_t ti = (int32_t)tl_fe_round_shift(br * wi + bi * wr, 15);
        const int32_t ar = re[i + j], ai = im[i + j];
        re[i + j] = ar + tr;
        im[i + j] = ai + ti;
        re[i + j + half] = ar - tr;
        im[i + j + half] = ai - ti;
      }
    }
  }
}

tl_status tl_frontend_compute_frame(tl_frontend *fe, const int16_t *window, int16_t *features) {
  int32_t k, m;
  const int32_t n = fe == NULL ? 0 : fe->config.fft_size;
  if (fe == NULL || window == NULL || features == NULL) return TL_ERROR_NULL_ARGUMENT;
  for (k = 0; k < n; ++k) {
    fe->re[k] = k < fe->config.window_samples
                    ? (int32_t)tl_fe_round_shift((int64_t)window[k] * fe->window[k], 15 - TL_FE_GUARD_BITS)
                    : 0;
    fe->im[k] = 0;
  }
  tl_fe_fft(fe);
  for (m = 0; m < fe->config.num_mel_bins; ++m) fe->acc_hi[m] = fe->acc_lo[m] = 0;
  for (k = 1; k < fe->num_bins; ++k) {
    const int32_t band = fe->mel_band[k];
    const int64_t r = fe->re[k], i = fe->im[k];
    const uint64_t p = (uint64_t)(r * r + i * i), hi = p >> 32, lo = p & 0xFFFFFFFFu;
    const uint64_t rise = fe->mel_rise[k], fall = (uint64_t)TL_FE_Q15_ONE - rise;
    if (band < 0) continue;
    if (band < fe->config.num_mel_bins) fe->acc_hi[band] += hi * rise, fe->acc_lo[band] += lo * rise;
    if (band > 0) fe->acc_hi[band - 1] += hi * fall, fe->acc_lo[band - 1] += lo * fall;
  }
  /* E = floor((acc_hi 2^32 + acc_lo) / 2^15), exactly; out = round(256 log2(E + 1)) */
  for (m = 0; m < fe->config.num_mel_bins; ++m) {
    const uint64_t energy = (fe->acc_hi[m] << 17) + (fe->acc_lo[m] >> 15);
    features[m] = (int16_t)((tl_fe_log2_q16(energy + 1) + 128) >> 8);
  }
  return TL_OK;
}

tl_status tl_frontend_compute(tl_frontend *fe, const int16_t *audio, int32_t num_samples, int16_t *features,
                              size_t capacity, int32_t *num_frames) {
  int32_t frames, f;
  tl_status st;
  if (num_frames != NULL) *num_frames = 0;
  if (fe == NULL || num_frames == NULL || (audio == NULL && num_samples > 0)) return TL_ERROR_NULL_ARGUMENT;
  st = tl_frontend_num_frames(fe, num_samples, &frames);
  if (st != TL_OK) return st;
  if (frames > 0 && features == NULL) return TL_ERROR_NULL_ARGUMENT;
  if ((size_t)frames > capacity / (size_t)fe->config.num_mel_bins) return TL_ERROR_SIZE_MISMATCH;
  for (f = 0; f < frames; ++f) {
    st = tl_frontend_compute_frame(fe, audio + (size_t)f * (size_t)fe->config.stride_samples,
                                   features + (size_t)f * (size_t)fe->config.num_mel_bins);
    if (st != TL_OK) return st;
  }
  *num_frames = frames;
  return TL_OK;
}

/* ---- int8 output (tl_frontend.h: q = clamp(zp + round((f - offset) * multiplier / 2^shift))) ---- */

tl_status tl_frontend_int8_params_check(const tl_frontend_int8_params *params) {
  if (params == NULL) return TL_ERROR_NULL_ARGUMENT;
  if (params->feature_offset < -32768 || params->feature_offset > 32767 || params->multiplier < 1 ||
      params->shift < 1 || params->shift > 62 || params->zero_point < -128 || params->zero_point > 127) {
    return TL_ERROR_INVALID_ARGUMENT;
  }
  return TL_OK;
}

tl_status tl_frontend_quantize_int8(const tl_frontend_int8_params *params, const int16_t *features, size_t count,
                                    int8_t *out) {
  size_t i;
  const tl_status st = tl_frontend_int8_params_check(params);
  if (st != TL_OK) return st;
  if (count > 0 && (features == NULL || out == NULL)) return TL_ERROR_NULL_ARGUMENT;
  for (i = 0; i < count; ++i) {
    /* |v| <= 65535 and multiplier < 2^31: the product is below 2^47 */
    const int64_t v = (int64_t)features[i] - params->feature_offset;
    int64_t q = params->zero_point + tl_fe_round_shift(v * params->multiplier, (int)params->shift);
    q = q < -128 ? -128 : q > 127 ? 127 : q;
    out[i] = (int8_t)q;
  }
  return TL_OK;
}

tl_status tl_frontend_compute_int8(tl_frontend *fe, const tl_frontend_int8_params *params, const int16_t *audio,
                                   int32_t num_samples, int8_t *features, size_t capacity, int32_t *num_frames) {
  int16_t row[TL_FRONTEND_MAX_MEL_BINS]; /* one frame's int16 features */
  int32_t frames, f;
  size_t bins;
  tl_status st;
  if (num_frames != NULL) *num_frames = 0;
  if (fe == NULL || num_frames == NULL || (audio == NULL && num_samples > 0)) return TL_ERROR_NULL_ARGUMENT;
  st = tl_frontend_int8_params_check(params);
  if (st != TL_OK) return st;
  st = tl_frontend_num_frames(fe, num_samples, &frames);
  if (st != TL_OK) return st;
  bins = (size_t)fe->config.num_mel_bins;
  if (frames > 0 && features == NULL) return TL_ERROR_NULL_ARGUMENT;
  if ((size_t)frames > capacity / bins) return TL_ERROR_SIZE_MISMATCH;
  for (f = 0; f < frames; ++f) {
    st = tl_frontend_compute_frame(fe, audio + (size_t)f * (size_t)fe->config.stride_samples, row);
    if (st != TL_OK) return st;
    st = tl_frontend_quantize_int8(params, row, bins, features + (size_t)f * bins);
    if (st != TL_OK) return st;
  }
  *num_frames = frames;
  return TL_OK;
}
