/* kws_firmware.c: keyword spotting from raw microphone samples on a Cortex-M4 (mps2-an386 under QEMU), and
 * the same program on a host for comparison.
 *
 * What this is: for every embedded 1 s clip of 16 kHz int16 PCM, the fixed-point front-end
 * (tl_frontend_compute_int8: 49 x 40 log-mel features, quantized to the model's int8 input) and the int8
 * keyword model (tl_model_load_static + tl_interpreter_create_with_arena), all in static memory; it prints
 * the keyword and the int8 output bytes of each clip, and exits non-zero when any output differs from the
 * host runtime's (tl_kws_expected) or any call fails. On the Cortex-M4 it counts the front-end's and the
 * model's instructions with SysTick (under `qemu-system-arm -icount shift=0` a tick is a fixed number of
 * instructions; the firmware measures that number on a known loop first); on a host it times them with
 * clock_gettime (TL_KWS_HOST_TIMING).
 * What this is not: a streaming detector (one clip at a time, no smoothing: examples/speech/streaming.py).
 * Generated inputs: tl_fw_model.h/.c (`tensorlet export-c MODEL --name tl_fw_model`) and kws_data.h/.c (clips,
 * labels, class names, the int8 parameters of the front-end, the host's outputs); scripts/kws_firmware.py
 * writes them, builds both programs and runs them.
 */
#include <stdio.h>
#include <string.h>

#include "kws_data.h"
#include "tensorlet.h"
#include "tl_frontend.h"
#include "tl_fw_model.h"

#ifndef TL_KWS_MODEL_MEMORY
#define TL_KWS_MODEL_MEMORY 65536
#endif
#ifndef TL_KWS_INTERP_MEMORY
#define TL_KWS_INTERP_MEMORY 131072
#endif
#define TL_KWS_FE_MEMORY 16384 /* the default front-end needs about 9 KB */
#define TL_KWS_FEATURES (TL_KWS_FRAMES * TL_KWS_MEL_BINS)

static uint8_t tl_kws_model_memory[TL_KWS_MODEL_MEMORY];
static uint8_t tl_kws_interp_memory[TL_KWS_INTERP_MEMORY];
static uint64_t tl_kws_fe_memory[TL_KWS_FE_MEMORY / 8]; /* 8-byte aligned */
static int8_t tl_kws_features[TL_KWS_FEATURES];          /* [49][40] the model's int8 input */

/* ---- counting: SysTick instructions on the Cortex-M4, nanoseconds on a host ---- */
#if defined(__ARM_ARCH_7EM__) && !defined(TL_KWS_HOST_TIMING)
#define TL_KWS_UNIT "systick"
#define TL_SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define TL_SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define TL_SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static int tl_kws_wrapped;
static void tl_kws_counter_start(void) {
  TL_SYST_RVR = 0xFFFFFFu;
  TL_SYST_CVR = 0;     /* any write clears it; it reloads on the next tick */
  TL_SYST_CSR = 0x5u;  /* enable, processor clock, no interrupt */
  (void)TL_SYST_CSR;   /* reading clears COUNTFLAG */
}
/* ticks since tl_kws_counter_start (SysTick counts down from 2^24 - 1; COUNTFLAG set = wrapped) */
static uint32_t tl_kws_counter_read(void) {
  const uint32_t now = TL_SYST_CVR;
  if (TL_SYST_CSR & (1u << 16)) tl_kws_wrapped = 1;
  return (0xFFFFFFu - now) & 0xFFFFFFu;
}
/* 2 x 1,000,000 instructions (subs + bne), to turn ticks into instructions */
static void tl_kws_known_loop(void) {
  uint32_t n = 1000000u;
  __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}
#else
#define TL_KWS_UNIT "ns"
#include <time.h>
static int tl_kws_wrapped;
static struct timespec tl_kws_t0;
static void tl_kws_counter_start(void) { clock_gettime(CLOCK_MONOTONIC, &tl_kws_t0); }
static uint32_t tl_kws_counter_read(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint32_t)((t.tv_sec - tl_kws_t0.tv_sec) * 1000000000L + (t.tv_nsec - tl_kws_t0.tv_nsec));
}
static void tl_kws_known_loop(void) {}
#endif

static int tl_kws_fail(const char *what, tl_status s, const char *msg) {
  printf("tl_kws: %s failed: %s: %s\n", what, tl_status_name(s), msg);
  return 2;
}

static int tl_kws_argmax(const int8_t *v, int n) {
  int best = 0, i;
  for (i = 1; i < n; i++) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

int main(void) {
  char err[256];
  tl_frontend_config cfg;
  tl_frontend *fe = NULL;
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_status s;
  int i, k, correct = 0, mismatches = 0;
  int8_t out[TL_KWS_CLASSES];
  int32_t frames = 0;
  size_t fe_bytes = 0, arena, required;
  unsigned long fe_total = 0, model_total = 0;

  tl_kws_counter_start();
  tl_kws_known_loop();
  printf("tl_kws: counter %s, known loop of 2000000 instructions: %lu\n", TL_KWS_UNIT,
         (unsigned long)tl_kws_counter_read());

  tl_frontend_config_default(&cfg);
  s = tl_frontend_required_bytes(&cfg, &fe_bytes);
  if (s != TL_OK || fe_bytes > sizeof tl_kws_fe_memory) return tl_kws_fail("tl_frontend_required_bytes", s, "");
  s = tl_frontend_init(&cfg, tl_kws_fe_memory, sizeof tl_kws_fe_memory, &fe);
  if (s != TL_OK) return tl_kws_fail("tl_frontend_init", s, tl_frontend_check_message(&cfg));
  s = tl_model_load_static(tl_fw_model, tl_fw_model_len, tl_kws_model_memory, sizeof tl_kws_model_memory, &model,
                           err, sizeof err);
  if (s != TL_OK) return tl_kws_fail("tl_model_load_static", s, err);
  s = tl_interpreter_create_with_arena(model, NULL, tl_kws_interp_memory, sizeof tl_kws_interp_memory, &interp);
  if (s != TL_OK) return tl_kws_fail("tl_interpreter_create_with_arena", s, "");
  s = tl_interpreter_prepare(interp);
  if (s != TL_OK) return tl_kws_fail("tl_interpreter_prepare", s, tl_interpreter_error(interp));
  arena = tl_interpreter_arena_bytes(interp);
  required = tl_interpreter_required_memory_bytes(interp);
  printf("tl_kws: model %lu bytes, front-end state %lu bytes, model tables %lu bytes, interpreter state %lu "
         "bytes, arena %lu bytes\n",
         (unsigned long)tl_fw_model_len, (unsigned long)fe_bytes, (unsigned long)tl_model_memory_bytes(model),
         (unsigned long)(required - arena), (unsigned long)arena);

  for (i = 0; i < TL_KWS_CLIPS; i++) {
    uint32_t fe_count, model_count;
    int best;
    tl_kws_counter_start();
    s = tl_frontend_compute_int8(fe, &tl_kws_int8_params, tl_kws_pcm[i], TL_KWS_SAMPLES, tl_kws_features,
                                 TL_KWS_FEATURES, &frames);
    fe_count = tl_kws_counter_read();
    if (s != TL_OK || frames != TL_KWS_FRAMES) return tl_kws_fail("tl_frontend_compute_int8", s, "frames");
    tl_kws_counter_start();
    s = tl_interpreter_set_input(interp, 0, tl_kws_features, TL_KWS_FEATURES, TL_INT8);
    if (s != TL_OK) return tl_kws_fail("tl_interpreter_set_input", s, tl_interpreter_error(interp));
    s = tl_interpreter_invoke(interp);
    if (s != TL_OK) return tl_kws_fail("tl_interpreter_invoke", s, tl_interpreter_error(interp));
    s = tl_interpreter_get_output(interp, 0, out, sizeof out, TL_INT8);
    if (s != TL_OK) return tl_kws_fail("tl_interpreter_get_output", s, tl_interpreter_error(interp));
    model_count = tl_kws_counter_read();
    fe_total += fe_count, model_total += model_count;
    best = tl_kws_argmax(out, TL_KWS_CLASSES);
    printf("clip %d %s (label %s) front-end %lu model %lu out ", i, tl_kws_words[best],
           tl_kws_words[tl_kws_labels[i]], (unsigned long)fe_count, (unsigned long)model_count);
    for (k = 0; k < TL_KWS_CLASSES; k++) printf("%02x", (unsigned)(uint8_t)out[k]);
    printf("\n");
    if (best == (int)tl_kws_labels[i]) correct++;
    if (memcmp(out, tl_kws_expected[i], sizeof out) != 0) mismatches++;
  }
  printf("tl_kws: %s per clip: front-end %lu, model %lu%s\n", TL_KWS_UNIT, fe_total / TL_KWS_CLIPS,
         model_total / TL_KWS_CLIPS, tl_kws_wrapped ? " (COUNTER WRAPPED: invalid)" : "");
  printf("tl_kws: accuracy %d/%d, mismatches with the host runtime %d\n", correct, TL_KWS_CLIPS, mismatches);
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return mismatches == 0 && !tl_kws_wrapped ? 0 : 1;
}
