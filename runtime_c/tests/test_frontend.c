/* test_frontend.c: the fixed-point audio front-end (src/frontend/frontend.c, include/tl_frontend.h).
 *
 * Without arguments (ctest): API contract (NULLs, misaligned or short memory, capacity), hostile configs
 * (every field at zero, negative, huge and one past each limit), thousands of random configs (init succeeds
 * exactly when the check does; features stay in 0..15360), silence -> 0, and a 1 kHz tone peaking in the
 * band whose centre is nearest 1 kHz.
 *
 * As a driver for tests/audio/test_frontend_c.py:
 *   test_frontend --batch IN.raw OUT.raw CLIP_SAMPLES [sample_rate window stride fft mels lower upper]
 *       IN: n clips of CLIP_SAMPLES int16 (native byte order); OUT: their features, int16 [n][frames][mels]
 *   test_frontend --check IN.txt      one config (7 integers) a line -> "status message" a line
 *   test_frontend --quantize IN.raw OUT.raw OFFSET MULTIPLIER SHIFT ZERO_POINT
 *       int16 features -> int8 (tl_frontend_quantize_int8)
 *   test_frontend --batch-int8 IN.raw OUT.raw CLIP_SAMPLES OFFSET MULTIPLIER SHIFT ZERO_POINT
 *       clips -> int8 features [n][frames][mels] of the default config (tl_frontend_compute_int8)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_frontend.h"
#include "tl_test.h"

static uint64_t memory_[1 << 13]; /* 64 KB, 8-byte aligned */

TL_TEST(test_default_config_and_api_contract) {
  tl_frontend_config cfg;
  tl_frontend *fe = (tl_frontend *)1;
  size_t bytes = 0;
  int16_t audio[1000] = {0}, feats[40 * 2];
  int32_t frames = -1;
  TL_EXPECT_EQ(tl_frontend_config_default(NULL), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_config_default(&cfg), TL_OK);
  TL_EXPECT_EQ(tl_frontend_config_check(&cfg), TL_OK);
  TL_EXPECT_TRUE(strcmp(tl_frontend_check_message(&cfg), "ok") == 0);
  TL_EXPECT_EQ(tl_frontend_required_bytes(&cfg, NULL), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_required_bytes(&cfg, &bytes), TL_OK);
  TL_EXPECT_TRUE(bytes > 4096 && bytes < sizeof memory_);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, memory_, bytes - 1, &fe), TL_ERROR_ARENA_TOO_SMALL);
  TL_EXPECT_TRUE(fe == NULL);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, (char *)memory_ + 4, bytes, &fe), TL_ERROR_MISALIGNED);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, NULL, bytes, &fe), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_init(NULL, memory_, bytes, &fe), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, memory_, bytes, NULL), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, memory_, bytes, &fe), TL_OK);
  TL_EXPECT_TRUE(fe != NULL);
  TL_EXPECT_EQ(tl_frontend_num_frames(fe, 16000, &frames), TL_OK);
  TL_EXPECT_EQ(frames, 49);
  TL_EXPECT_EQ(tl_frontend_num_frames(fe, 479, &frames), TL_OK);
  TL_EXPECT_EQ(frames, 0);
  TL_EXPECT_EQ(tl_frontend_num_frames(fe, 480, &frames), TL_OK);
  TL_EXPECT_EQ(frames, 1);
  TL_EXPECT_EQ(tl_frontend_num_frames(fe, -1, &frames), TL_ERROR_INVALID_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_num_frames(NULL, 480, &frames), TL_ERROR_NULL_ARGUMENT);
  /* 1000 samples = 2 frames: capacity for one frame is refused, for two accepted */
  TL_EXPECT_EQ(tl_frontend_compute(fe, audio, 1000, feats, 40, &frames), TL_ERROR_SIZE_MISMATCH);
  TL_EXPECT_EQ(frames, 0);
  TL_EXPECT_EQ(tl_frontend_compute(fe, audio, 1000, feats, 80, &frames), TL_OK);
  TL_EXPECT_EQ(frames, 2);
  TL_EXPECT_EQ(tl_frontend_compute(fe, NULL, 1000, feats, 80, &frames), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_compute(fe, audio, 1000, NULL, 80, &frames), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_compute(fe, audio, 100, NULL, 0, &frames), TL_OK); /* no frame, no output */
  TL_EXPECT_EQ(frames, 0);
  TL_EXPECT_EQ(tl_frontend_compute_frame(fe, NULL, feats), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_compute_frame(NULL, audio, feats), TL_ERROR_NULL_ARGUMENT);
}

static void expect_refused(tl_frontend_config cfg, const char *what) {
  size_t bytes = 1;
  tl_frontend *fe = (tl_frontend *)1;
  if (tl_frontend_config_check(&cfg) != TL_ERROR_INVALID_ARGUMENT ||
      tl_frontend_required_bytes(&cfg, &bytes) != TL_ERROR_INVALID_ARGUMENT || bytes != 0 ||
      tl_frontend_init(&cfg, memory_, sizeof memory_, &fe) != TL_ERROR_INVALID_ARGUMENT || fe != NULL ||
      strcmp(tl_frontend_check_message(&cfg), "ok") == 0) {
    TL_FAIL_("config with %s was accepted", what);
  }
}

TL_TEST(test_hostile_configs_are_refused) {
  static const int32_t bad[] = {0, -1, -2147483647 - 1, 2147483647, 3};
  tl_frontend_config base, c;
  size_t i;
  tl_frontend_config_default(&base);
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    c = base, c.sample_rate = bad[i], expect_refused(c, "a bad sample_rate");
    c = base, c.window_samples = bad[i] == 3 ? 513 : bad[i], expect_refused(c, "a bad window_samples");
    c = base, c.stride_samples = bad[i] == 3 ? 481 : bad[i], expect_refused(c, "a bad stride_samples");
    c = base, c.fft_size = bad[i] == 3 ? 384 : bad[i], expect_refused(c, "a bad fft_size");
    c = base, c.num_mel_bins = bad[i] == 3 ? 129 : bad[i], expect_refused(c, "a bad num_mel_bins");
    if (bad[i] != 3 && bad[i] != 0) c = base, c.lower_hz = bad[i], expect_refused(c, "a bad lower_hz");
    if (bad[i] != 3) c = base, c.upper_hz = bad[i], expect_refused(c, "a bad upper_hz");
  }
  c = base, c.upper_hz = 8001, expect_refused(c, "upper_hz above Nyquist");
  c = base, c.lower_hz = 7500, expect_refused(c, "lower_hz == upper_hz");
  c = base, c.fft_size = 4096, c.window_samples = 4096, expect_refused(c, "fft_size 4096");
  c = base, c.lower_hz = 100, c.upper_hz = 101, c.num_mel_bins = 128, expect_refused(c, "128 bands in 1 Hz");
  c = base, c.sample_rate = 3999, expect_refused(c, "sample_rate 3999");
  c = base, c.sample_rate = 48001, expect_refused(c, "sample_rate 48001");
}

static uint32_t lcg_(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

TL_TEST(test_random_configs_never_crash) {
  uint32_t seed = 12345u;
  static int16_t audio[4 * 2048], feats[4 * 128];
  int i, accepted = 0;
  for (i = 0; i < 4 * 2048; ++i) audio[i] = (int16_t)((int32_t)(lcg_(&seed) & 0xFFFF) - 32768);
  for (i = 0; i < 1500; ++i) {
    tl_frontend_config c;
    size_t bytes = 0;
    tl_frontend *fe = NULL;
    int32_t frames = 0, k;
    tl_status st;
    c.sample_rate = (int32_t)(lcg_(&seed) % 60000u);
    c.fft_size = (int32_t)1 << (lcg_(&seed) % 13u);
    c.window_samples = (int32_t)(lcg_(&seed) % (uint32_t)(c.fft_size + 2));
    c.stride_samples = (int32_t)(lcg_(&seed) % (uint32_t)(c.window_samples + 2));
    c.num_mel_bins = (int32_t)(lcg_(&seed) % 140u);
    c.lower_hz = (int32_t)(lcg_(&seed) % 9000u) - 100;
    c.upper_hz = (int32_t)(lcg_(&seed) % 26000u);
    st = tl_frontend_required_bytes(&c, &bytes);
    if (st != tl_frontend_config_check(&c)) TL_FAIL_("config %d: required_bytes and check disagree", i);
    if (tl_frontend_init(&c, memory_, sizeof memory_, &fe) !=
        (st == TL_OK ? TL_OK : TL_ERROR_INVALID_ARGUMENT))
      TL_FAIL_("config %d: init and check disagree", i);
    if (fe == NULL) continue;
    ++accepted;
    /* four frames (up to 8192 samples): the edge cases are in the tables, not in the frame count */
    if (tl_frontend_compute(fe, audio, c.window_samples + 3 * c.stride_samples, feats,
                            sizeof feats / sizeof feats[0], &frames) != TL_OK || frames != 4)
      TL_FAIL_("config %d: compute failed", i);
    for (k = 0; k < frames * c.num_mel_bins; ++k)
      if (feats[k] < 0 || feats[k] > 15360) TL_FAIL_("config %d: feature %d out of range", i, (int)feats[k]);
  }
  TL_EXPECT_TRUE(accepted > 100); /* the generator reaches valid configs too */
}

TL_TEST(test_silence_and_tone) {
  tl_frontend_config cfg;
  tl_frontend *fe;
  int16_t audio[16000], feats[49 * 40];
  int32_t frames, m, best = 0, nearest = 0;
  double mel_lo, mel_hi, best_gap = 1e9;
  tl_frontend_config_default(&cfg);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, memory_, sizeof memory_, &fe), TL_OK);
  memset(audio, 0, sizeof audio);
  TL_EXPECT_EQ(tl_frontend_compute(fe, audio, 16000, feats, 49 * 40, &frames), TL_OK);
  for (m = 0; m < 49 * 40; ++m) TL_EXPECT_EQ(feats[m], 0);
  for (m = 0; m < 16000; ++m)
    audio[m] = (int16_t)lround(10000.0 * sin(2.0 * 3.14159265358979 * 1000.0 * m / 16000));
  TL_EXPECT_EQ(tl_frontend_compute(fe, audio, 16000, feats, 49 * 40, &frames), TL_OK);
  for (m = 1; m < 40; ++m)
    if (feats[10 * 40 + m] > feats[10 * 40 + best]) best = m;
  mel_lo = 1127.0 * log(1.0 + 125.0 / 700.0);
  mel_hi = 1127.0 * log(1.0 + 7500.0 / 700.0);
  for (m = 0; m < 40; ++m) {
    const double centre = 700.0 * (exp((mel_lo + (m + 1) * (mel_hi - mel_lo) / 41.0) / 1127.0) - 1.0);
    if (fabs(centre - 1000.0) < best_gap) best_gap = fabs(centre - 1000.0), nearest = m;
  }
  TL_EXPECT_TRUE(best == nearest || best == nearest - 1 || best == nearest + 1);
  /* 10000 * 0.5 (Hann mean) * 512 / 2 ... a loud tone: well above the silent floor */
  TL_EXPECT_TRUE(feats[10 * 40 + best] > 256 * 20);
}

TL_TEST(test_int8_params_and_rounding) {
  tl_frontend_int8_params p = {4096, 1 << 30, 31, -5}; /* (f - 4096) / 2 + (-5) */
  const int16_t f[6] = {4096, 4097, 4095, 4099, 32767, -32768};
  int8_t q[6];
  int16_t audio[480] = {0};
  int8_t feats[40];
  int32_t frames = -1;
  tl_frontend_config cfg;
  tl_frontend *fe;
  TL_EXPECT_EQ(tl_frontend_int8_params_check(NULL), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_int8_params_check(&p), TL_OK);
  TL_EXPECT_EQ(tl_frontend_quantize_int8(&p, f, 6, q), TL_OK);
  TL_EXPECT_EQ(q[0], -5);
  TL_EXPECT_EQ(q[1], -4); /* 0.5 rounds away from zero */
  TL_EXPECT_EQ(q[2], -6); /* -0.5 too */
  TL_EXPECT_EQ(q[3], -3); /* 1.5 -> 2 */
  TL_EXPECT_EQ(q[4], 127);
  TL_EXPECT_EQ(q[5], -128);
  TL_EXPECT_EQ(tl_frontend_quantize_int8(&p, NULL, 0, NULL), TL_OK);
  TL_EXPECT_EQ(tl_frontend_quantize_int8(&p, NULL, 1, q), TL_ERROR_NULL_ARGUMENT);
  p.shift = 0;
  TL_EXPECT_EQ(tl_frontend_quantize_int8(&p, f, 6, q), TL_ERROR_INVALID_ARGUMENT);
  p.shift = 63;
  TL_EXPECT_EQ(tl_frontend_int8_params_check(&p), TL_ERROR_INVALID_ARGUMENT);
  p.shift = 62, p.multiplier = 0;
  TL_EXPECT_EQ(tl_frontend_int8_params_check(&p), TL_ERROR_INVALID_ARGUMENT);
  p.multiplier = 1, p.zero_point = 128;
  TL_EXPECT_EQ(tl_frontend_int8_params_check(&p), TL_ERROR_INVALID_ARGUMENT);
  p.zero_point = -128, p.feature_offset = 32768;
  TL_EXPECT_EQ(tl_frontend_int8_params_check(&p), TL_ERROR_INVALID_ARGUMENT);
  p.feature_offset = 0;
  tl_frontend_config_default(&cfg);
  TL_EXPECT_EQ(tl_frontend_init(&cfg, memory_, sizeof memory_, &fe), TL_OK);
  TL_EXPECT_EQ(tl_frontend_compute_int8(fe, &p, audio, 480, feats, 39, &frames), TL_ERROR_SIZE_MISMATCH);
  TL_EXPECT_EQ(tl_frontend_compute_int8(fe, NULL, audio, 480, feats, 40, &frames), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_frontend_compute_int8(fe, &p, audio, 480, feats, 40, &frames), TL_OK);
  TL_EXPECT_EQ(frames, 1);
  TL_EXPECT_EQ(feats[0], -128); /* silence: feature 0, offset 0, zero point -128 */
}

/* ---- driver modes ---- */

static int parse_config(char **argv, int argc, tl_frontend_config *cfg) {
  int32_t *fields[7];
  int i;
  tl_frontend_config_default(cfg);
  if (argc == 0) return 0;
  if (argc != 7) return -1;
  fields[0] = &cfg->sample_rate, fields[1] = &cfg->window_samples, fields[2] = &cfg->stride_samples;
  fields[3] = &cfg->fft_size, fields[4] = &cfg->num_mel_bins, fields[5] = &cfg->lower_hz;
  fields[6] = &cfg->upper_hz;
  for (i = 0; i < 7; ++i) *fields[i] = (int32_t)strtol(argv[i], NULL, 10);
  return 0;
}

static int run_batch(int argc, char **argv) {
  tl_frontend_config cfg;
  tl_frontend *fe;
  FILE *in, *out;
  long clip;
  int16_t *audio, *feats;
  int32_t frames;
  size_t cap;
  if (argc < 5 || parse_config(argv + 5, argc - 5, &cfg) != 0) {
    fprintf(stderr, "usage: test_frontend --batch IN.raw OUT.raw CLIP_SAMPLES [7 config integers]\n");
    return 2;
  }
  clip = strtol(argv[4], NULL, 10);
  if (tl_frontend_init(&cfg, memory_, sizeof memory_, &fe) != TL_OK || clip <= 0 || clip > (1L << 24)) {
    fprintf(stderr, "bad config or clip length: %s\n", tl_frontend_check_message(&cfg));
    return 2;
  }
  tl_frontend_num_frames(fe, (int32_t)clip, &frames);
  cap = (size_t)frames * (size_t)cfg.num_mel_bins;
  audio = (int16_t *)malloc((size_t)clip * sizeof(int16_t));
  feats = (int16_t *)malloc(cap * sizeof(int16_t) + 1);
  in = fopen(argv[2], "rb");
  out = fopen(argv[3], "wb");
  if (audio == NULL || feats == NULL || in == NULL || out == NULL) {
    fprintf(stderr, "cannot open %s / %s\n", argv[2], argv[3]);
    return 2;
  }
  while (fread(audio, sizeof(int16_t), (size_t)clip, in) == (size_t)clip) {
    if (tl_frontend_compute(fe, audio, (int32_t)clip, feats, cap, &frames) != TL_OK) return 3;
    if (fwrite(feats, sizeof(int16_t), cap, out) != cap) return 3;
  }
  fclose(in);
  fclose(out);
  free(audio);
  free(feats);
  return 0;
}

/* --quantize IN.raw OUT.raw OFFSET MULTIPLIER SHIFT ZERO_POINT: int16 features -> int8;
 * --batch-int8 IN.raw OUT.raw CLIP_SAMPLES OFFSET MULTIPLIER SHIFT ZERO_POINT: clips -> int8 features
 * (default config). */
static int run_int8(int argc, char **argv) {
  tl_frontend_int8_params p;
  tl_frontend_config cfg;
  tl_frontend *fe = NULL;
  FILE *in, *out;
  const int batch = strcmp(argv[1], "--batch-int8") == 0;
  const int first = batch ? 5 : 4;
  long clip = 0;
  int16_t *buf;
  int8_t *q;
  int32_t frames = 0;
  size_t n, cap;
  if (argc != first + 4) {
    fprintf(stderr, "usage: test_frontend --quantize IN OUT OFFSET MULT SHIFT ZP | --batch-int8 IN OUT CLIP ...\n");
    return 2;
  }
  p.feature_offset = (int32_t)strtol(argv[first], NULL, 10), p.multiplier = (int32_t)strtol(argv[first + 1], NULL, 10);
  p.shift = (int32_t)strtol(argv[first + 2], NULL, 10), p.zero_point = (int32_t)strtol(argv[first + 3], NULL, 10);
  if (tl_frontend_int8_params_check(&p) != TL_OK) return 4;
  n = 4096, cap = 4096;
  if (batch) {
    clip = strtol(argv[4], NULL, 10);
    tl_frontend_config_default(&cfg);
    if (tl_frontend_init(&cfg, memory_, sizeof memory_, &fe) != TL_OK || clip <= 0 || clip > (1L << 24)) return 2;
    tl_frontend_num_frames(fe, (int32_t)clip, &frames);
    n = (size_t)clip, cap = (size_t)frames * (size_t)cfg.num_mel_bins;
  }
  buf = (int16_t *)malloc(n * sizeof(int16_t));
  q = (int8_t *)malloc(cap + 1);
  in = fopen(argv[2], "rb");
  out = fopen(argv[3], "wb");
  if (buf == NULL || q == NULL || in == NULL || out == NULL) return 2;
  for (;;) {
    const size_t got = fread(buf, sizeof(int16_t), n, in);
    size_t made = got;
    if (got == 0 || (batch && got != n)) break;
    if (batch) {
      if (tl_frontend_compute_int8(fe, &p, buf, (int32_t)clip, q, cap, &frames) != TL_OK) return 3;
      made = cap;
    } else if (tl_frontend_quantize_int8(&p, buf, got, q) != TL_OK) {
      return 3;
    }
    if (fwrite(q, 1, made, out) != made) return 3;
  }
  fclose(in);
  fclose(out);
  free(buf);
  free(q);
  return 0;
}

static int run_check(const char *path) {
  FILE *in = fopen(path, "r");
  long v[7];
  if (in == NULL) return 2;
  while (fscanf(in, "%ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 7) {
    tl_frontend_config c;
    c.sample_rate = (int32_t)v[0], c.window_samples = (int32_t)v[1], c.stride_samples = (int32_t)v[2];
    c.fft_size = (int32_t)v[3], c.num_mel_bins = (int32_t)v[4], c.lower_hz = (int32_t)v[5];
    c.upper_hz = (int32_t)v[6];
    printf("%d %s\n", (int)tl_frontend_config_check(&c), tl_frontend_check_message(&c));
  }
  fclose(in);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--batch") == 0) return run_batch(argc, argv);
  if (argc == 3 && strcmp(argv[1], "--check") == 0) return run_check(argv[2]);
  if (argc >= 2 && (strcmp(argv[1], "--quantize") == 0 || strcmp(argv[1], "--batch-int8") == 0)) {
    return run_int8(argc, argv);
  }
  TL_RUN(test_default_config_and_api_contract);
  TL_RUN(test_hostile_configs_are_refused);
  TL_RUN(test_random_configs_never_crash);
  TL_RUN(test_silence_and_tone);
  TL_RUN(test_int8_params_and_rounding);
  return tl_test_summary();
}
