/* firmware.c: the Cortex-M4 test firmware (mps2-an386 under QEMU): an int8 MNIST model and test digits
 * embedded as C arrays, run with static memory only.
 *
 * What this is: load the model from flash with tl_model_load_static (no copy, tables in a static buffer),
 * create the interpreter in a static buffer (tl_interpreter_create_with_arena), run every digit, print each
 * int8 output as hex plus the accuracy through semihosting, and return non-zero when any output differs from
 * the host runtime's (tl_fw_expected) or any call fails. The library is built with TL_FREESTANDING, so it
 * never calls malloc; printf here is the firmware's (newlib), not the library's.
 * Generated inputs: tl_fw_model.h/.c (`tensorlet export-c MODEL --name tl_fw_model`) and fw_data.h/.c
 * (digits, labels, expected outputs). The library is the model's selective build (`tensorlet ops --header`).
 * On the Cortex-M4 it also counts each tl_interpreter_invoke with SysTick: under `qemu-system-arm -icount
 * shift=0` the count is proportional to instructions, and a known loop gives the ratio (scripts/m4_speed.py).
 */
#include <stdio.h>
#include <string.h>

#include "fw_data.h"
#include "tl_fw_model.h"
#include "tensorlet.h"

#ifndef TL_FW_MODEL_MEMORY
#define TL_FW_MODEL_MEMORY 16384
#endif
#ifndef TL_FW_INTERP_MEMORY
#define TL_FW_INTERP_MEMORY 131072
#endif
/* The input's dtype: fw_data.h may define it as TL_INT32 (token ids), the digits then holding the ids'
 * little-endian bytes (set_input copies them, so their alignment does not matter). */
#ifndef TL_FW_IN_DTYPE
#define TL_FW_IN_DTYPE TL_INT8
#endif

static uint8_t tl_fw_model_memory[TL_FW_MODEL_MEMORY];
static uint8_t tl_fw_interp_memory[TL_FW_INTERP_MEMORY];

#if defined(__ARM_ARCH_7EM__)
#define TL_SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define TL_SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define TL_SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static void tl_fw_counter_start(void) {
  TL_SYST_RVR = 0xFFFFFFu;
  TL_SYST_CVR = 0;    /* any write clears it; it reloads on the next tick */
  TL_SYST_CSR = 0x5u; /* enable, processor clock, no interrupt */
  (void)TL_SYST_CSR;  /* reading clears COUNTFLAG */
}
/* ticks since tl_fw_counter_start; 0xFFFFFFFF when the 24-bit counter wrapped (COUNTFLAG) */
static uint32_t tl_fw_counter_read(void) {
  const uint32_t now = TL_SYST_CVR;
  if (TL_SYST_CSR & (1u << 16)) return 0xFFFFFFFFu;
  return (0xFFFFFFu - now) & 0xFFFFFFu;
}
/* the clock of tl_interpreter_invoke_profiled: SysTick ticks since tl_fw_counter_start */
static uint64_t tl_fw_clock(void *user) {
  (void)user;
  return (0xFFFFFFu - TL_SYST_CVR) & 0xFFFFFFu;
}
#ifndef TL_FW_MAX_OPS
#define TL_FW_MAX_OPS 64
#endif
static tl_op_profile tl_fw_ops[TL_FW_MAX_OPS];
#endif

static int tl_fw_fail(const char *what, tl_status s, const char *msg) {
  printf("tl_fw: %s failed: %s: %s\n", what, tl_status_name(s), msg);
  return 2;
}

static int tl_fw_argmax(const int8_t *v, int n) {
  int best = 0, i;
  for (i = 1; i < n; i++) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

int main(void) {
  char err[256];
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_status s;
  int i, k, correct = 0, mismatches = 0;
  int8_t out[TL_FW_OUT_BYTES];
  size_t arena, required;
#if defined(__ARM_ARCH_7EM__)
  uint32_t ticks, loop_ticks, most = 0, least = 0xFFFFFFFFu;
  {
    uint32_t n = 1000000u; /* 2 x 1,000,000 instructions (subs + bne), to turn ticks into instructions */
    tl_fw_counter_start();
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    loop_ticks = tl_fw_counter_read();
  }
#endif

  /* two refusals first: their messages come from the library's own formatter (%llu, %lu on this ABI) */
  s = tl_model_load_nocopy(tl_fw_model, 4, &model, err, sizeof err);
  printf("tl_fw: refused: %s: %s\n", tl_status_name(s), err);
  s = tl_model_load_static(tl_fw_model, tl_fw_model_len, tl_fw_model_memory, 1000, &model, err, sizeof err);
  printf("tl_fw: refused: %s: %s\n", tl_status_name(s), err);
  s = tl_model_load_static(tl_fw_model, tl_fw_model_len, tl_fw_model_memory, sizeof tl_fw_model_memory, &model,
                           err, sizeof err);
  if (s != TL_OK) return tl_fw_fail("tl_model_load_static", s, err);
  s = tl_interpreter_create_with_arena(model, NULL, tl_fw_interp_memory, sizeof tl_fw_interp_memory, &interp);
  if (s != TL_OK) return tl_fw_fail("tl_interpreter_create_with_arena", s, "");
  s = tl_interpreter_prepare(interp);
  if (s != TL_OK) return tl_fw_fail("tl_interpreter_prepare", s, tl_interpreter_error(interp));
  arena = tl_interpreter_arena_bytes(interp);
  required = tl_interpreter_required_memory_bytes(interp);
  printf("tl_fw: model %lu bytes, ops %ld, model tables %lu bytes, interpreter state %lu bytes, arena %lu bytes\n",
         (unsigned long)tl_fw_model_len, (long)tl_model_op_count(model), (unsigned long)tl_model_memory_bytes(model),
         (unsigned long)(required - arena), (unsigned long)arena);
  for (i = 0; i < TL_FW_DIGITS; i++) {
    s = tl_interpreter_set_input(interp, 0, tl_fw_digits[i], TL_FW_IN_BYTES, TL_FW_IN_DTYPE);
    if (s != TL_OK) return tl_fw_fail("tl_interpreter_set_input", s, tl_interpreter_error(interp));
#if defined(__ARM_ARCH_7EM__)
    tl_fw_counter_start();
#endif
    s = tl_interpreter_invoke(interp);
#if defined(__ARM_ARCH_7EM__)
    ticks = tl_fw_counter_read();
    if (ticks > most) most = ticks;
    if (ticks < least) least = ticks;
#endif
    if (s != TL_OK) return tl_fw_fail("tl_interpreter_invoke", s, tl_interpreter_error(interp));
    s = tl_interpreter_get_output(interp, 0, out, sizeof out, TL_INT8);
    if (s != TL_OK) return tl_fw_fail("tl_interpreter_get_output", s, tl_interpreter_error(interp));
    printf("out %d ", i);
    for (k = 0; k < TL_FW_OUT_BYTES; k++) printf("%02x", (unsigned)(uint8_t)out[k]);
    printf("\n");
    if (tl_fw_argmax(out, TL_FW_OUT_BYTES) == (int)tl_fw_labels[i]) correct++;
    if (memcmp(out, tl_fw_expected[i], sizeof out) != 0) mismatches++;
  }
#if defined(__ARM_ARCH_7EM__)
  printf("tl_fw: invoke systick ticks min %lu max %lu, known loop of 2000000 instructions: %lu ticks\n",
         (unsigned long)least, (unsigned long)most, (unsigned long)loop_ticks);
  if (tl_model_op_count(model) <= TL_FW_MAX_OPS) { /* per op, one more invoke of the first input */
    const int32_t n_ops = (int32_t)tl_model_op_count(model);
    memset(tl_fw_ops, 0, sizeof tl_fw_ops);
    s = tl_interpreter_set_input(interp, 0, tl_fw_digits[0], TL_FW_IN_BYTES, TL_FW_IN_DTYPE);
    tl_fw_counter_start();
    if (s == TL_OK) s = tl_interpreter_invoke_profiled(interp, tl_fw_clock, NULL, tl_fw_ops, n_ops);
    if (s != TL_OK) return tl_fw_fail("tl_interpreter_invoke_profiled", s, tl_interpreter_error(interp));
    for (k = 0; k < n_ops; k++)
      printf("tl_fw: op %d %s systick ticks %lu\n", k, tl_fw_ops[k].type, (unsigned long)tl_fw_ops[k].ticks);
  }
#endif
  printf("tl_fw: accuracy %d/%d, mismatches with the host runtime %d\n", correct, TL_FW_DIGITS, mismatches);
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return mismatches == 0 ? 0 : 1;
}
