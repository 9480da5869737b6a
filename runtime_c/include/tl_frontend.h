/* tl_frontend.h: the fixed-point audio front-end of tensorlet (int16 PCM in, int16 log-mel features out, or
 * int8 features quantized for a model's input).
 *
 * A small C module beside the interpreter, not ops inside a model: it runs before the model, on raw
 * microphone samples, in integer arithmetic only (no float, no libm, no malloc), so the same code runs on a
 * Cortex-M4 and on a host, and its numpy twin (trainer/audio/fixed_frontend.py) reproduces every output bit.
 *
 * Per frame of `window_samples` int16 samples (one hop is `stride_samples`):
 *   1. window: x[n] * hann[n] (periodic Hann in Q15, from an integer sine), rounded to 4 fraction bits
 *   2. FFT: radix-2 complex FFT of fft_size points in int32 with Q15 twiddles, no scaling (int32 has room for
 *      the growth of fft_size <= 2048 points of 20-bit samples)
 *   3. power: P[k] = re^2 + im^2 (uint64) for k = 0..fft_size/2
 *   4. mel filterbank: E[m] = floor(sum_k w[m][k] * P[k] / 2^15) exactly (P split in 32-bit halves), with
 *      triangular weights w in Q15 on the HTK mel scale
 *      (the weights of TensorFlow's linear_to_mel_weight_matrix), the mel scale taken from an integer log2
 *   5. log: out[m] = round(256 * log2(E[m] + 1)) from an integer log2 with 16 fraction bits (Q8 output)
 * so out[m] / 256 approximates log2(1 + 256 * sum_k W[m][k] |FFT(x * hann)[k]|^2) of float arithmetic.
 *
 * Usage (no allocation: the caller owns the memory):
 *
 *   tl_frontend_config cfg;
 *   tl_frontend_config_default(&cfg);                 // 16 kHz, 30 ms window, 20 ms hop, 40 mel bins
 *   size_t bytes;
 *   if (tl_frontend_required_bytes(&cfg, &bytes) != TL_OK) { ... bad config ... }
 *   static uint64_t memory[4096];                      // any 8-byte aligned block of >= bytes
 *   tl_frontend *fe;
 *   if (tl_frontend_init(&cfg, memory, sizeof memory, &fe) != TL_OK) { ... }
 *   int16_t features[49 * 40];
 *   int32_t frames;
 *   tl_frontend_compute(fe, pcm, 16000, features, 49 * 40, &frames);   // frames == 49
 *
 * Every function checks every argument and returns a status; none aborts. The state is read-only after
 * init except for the FFT scratch, so one tl_frontend must not be used by two threads at once.
 */
#ifndef TL_FRONTEND_H
#define TL_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "tensorlet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of tl_frontend_config (every field is checked against them). */
#define TL_FRONTEND_MIN_SAMPLE_RATE 4000
#define TL_FRONTEND_MAX_SAMPLE_RATE 48000
#define TL_FRONTEND_MAX_FFT_SIZE 2048
#define TL_FRONTEND_MAX_MEL_BINS 128

typedef struct tl_frontend_config {
  int32_t sample_rate;    /* Hz, TL_FRONTEND_MIN_SAMPLE_RATE..TL_FRONTEND_MAX_SAMPLE_RATE */
  int32_t window_samples; /* samples per frame, 2..fft_size */
  int32_t stride_samples; /* hop between frames, 1..window_samples */
  int32_t fft_size;       /* power of two, 4..TL_FRONTEND_MAX_FFT_SIZE, >= window_samples */
  int32_t num_mel_bins;   /* 1..TL_FRONTEND_MAX_MEL_BINS */
  int32_t lower_hz;       /* lowest mel band edge, 0 <= lower_hz < upper_hz */
  int32_t upper_hz;       /* highest mel band edge, <= sample_rate / 2 */
} tl_frontend_config;

/* Opaque state, placed by tl_frontend_init in caller memory. */
typedef struct tl_frontend tl_frontend;

/* The keyword-spotting default: 16 kHz, 480-sample (30 ms) window, 320-sample (20 ms) hop, 512-point FFT,
 * 40 mel bins over 125..7500 Hz. */
tl_status tl_frontend_config_default(tl_frontend_config *config);

/* Checks every field of `config`: TL_OK, or TL_ERROR_INVALID_ARGUMENT (NULL_ARGUMENT) without a reason:
 * tl_frontend_check_message gives the reason. */
tl_status tl_frontend_config_check(const tl_frontend_config *config);

/* A static one-line reason for the last result of tl_frontend_config_check on `config` ("ok" when valid). */
const char *tl_frontend_check_message(const tl_frontend_config *config);

/* *bytes = the memory tl_frontend_init needs for `config` (state, window, twiddles, mel map, FFT scratch). */
tl_status tl_frontend_required_bytes(const tl_frontend_config *config, size_t *bytes);

/* Builds the tables of `config` in `memory` (8-byte aligned, `bytes` long, owned by the caller and used until
 * the caller stops using *out) with integer arithmetic only. On failure *out is NULL. */
tl_status tl_frontend_init(const tl_frontend_config *config, void *memory, size_t bytes, tl_frontend **out);

/* *num_frames = frames in `num_samples` samples: 0 when shorter than a window, else
 * 1 + (num_samples - window_samples) / stride_samples (no padding at the end, as tf.signal.frame). */
tl_status tl_frontend_num_frames(const tl_frontend *fe, int32_t num_samples, int32_t *num_frames);

/* The features of one frame: window [window_samples] -> features [num_mel_bins] (Q8 log2, 0..15360). */
tl_status tl_frontend_compute_frame(tl_frontend *fe, const int16_t *window, int16_t *features);

/* All frames of `audio` [num_samples] -> features [num_frames][num_mel_bins], row-major; `capacity` is the
 * length of `features` in elements and must hold every frame. *num_frames gets the frame count. */
tl_status tl_frontend_compute(tl_frontend *fe, const int16_t *audio, int32_t num_samples, int16_t *features,
                              size_t capacity, int32_t *num_frames);

/* ---- int8 output: the model's quantized input straight from the front-end ----
 *
 * A keyword model trained on these features sees real = (feature - feature_offset) * feature_scale and its
 * int8 input is q = round(real / input_scale) + zero_point. In integers, with
 * multiplier / 2^shift = feature_scale / input_scale:
 *   q = clamp(zero_point + round((feature - feature_offset) * multiplier / 2^shift), -128, 127)
 * rounding halves away from zero. |feature - feature_offset| < 2^16 and multiplier < 2^31, so the product
 * fits int64 exactly. The parameters come from the model's input quantization (float scale, zero point);
 * trainer.audio.fixed_frontend.int8_params computes them, so this module needs no float. */
typedef struct tl_frontend_int8_params {
  int32_t feature_offset; /* the feature value that means real 0, -32768..32767 (4096 for kws.py) */
  int32_t multiplier;     /* 1..2^31 - 1 */
  int32_t shift;          /* 1..62 */
  int32_t zero_point;     /* the model input's zero point, -128..127 */
} tl_frontend_int8_params;

/* TL_OK, or TL_ERROR_INVALID_ARGUMENT when a field is outside its range (NULL: TL_ERROR_NULL_ARGUMENT). */
tl_status tl_frontend_int8_params_check(const tl_frontend_int8_params *params);

/* features [count] (int16, any values) -> out [count] int8 with `params` (see above). */
tl_status tl_frontend_quantize_int8(const tl_frontend_int8_params *params, const int16_t *features, size_t count,
                                    int8_t *out);

/* tl_frontend_compute, then tl_frontend_quantize_int8 frame by frame: features [num_frames][num_mel_bins]
 * int8, the model's input. `capacity` is the length of `features` in elements. */
tl_status tl_frontend_compute_int8(tl_frontend *fe, const tl_frontend_int8_params *params, const int16_t *audio,
                                   int32_t num_samples, int8_t *features, size_t capacity, int32_t *num_frames);

#ifdef __cplusplus
}
#endif

#endif /* TL_FRONTEND_H */
