/* startup.c: reset vector for the Cortex-M4 test firmware on the mps2-an386 board (QEMU).
 *
 * What this is: the vector table (initial stack pointer, reset handler, faults) and the reset handler, which
 * enables the FPU (CPACR: CP10/CP11 full access) before any float code runs and then jumps to newlib's
 * rdimon crt0 `_start` (zeroes .bss, sets up semihosting, calls main, exits with main's return value through
 * semihosting, which becomes QEMU's exit code). What this is not: a general board support package.
 */
#include <stdint.h>

extern void _start(void);
extern uint32_t __stack_top;

void tl_fw_reset(void);
void tl_fw_fault(void);
void _init(void);
void _fini(void);

void tl_fw_reset(void) {
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10, CP11 full access */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  _start();
  for (;;) continue;
}

/* A fault ends the run through semihosting SYS_EXIT (ADP_Stopped_RunTimeErrorUnknown), so QEMU exits
 * non-zero instead of hanging. */
void tl_fw_fault(void) {
  __asm__ volatile("mov r0, #0x18\n\tldr r1, =0x20023\n\tbkpt 0xab" ::: "r0", "r1", "memory");
  for (;;) continue;
}

/* crt0 calls these around main; nothing to do here */
void _init(void) {}
void _fini(void) {}

typedef void (*tl_vector)(void);

__attribute__((section(".vectors"), used)) static const tl_vector tl_fw_vectors[16] = {
    (tl_vector)(uintptr_t)&__stack_top, /* initial SP */
    tl_fw_reset,                        /* reset */
    tl_fw_fault,                        /* NMI */
    tl_fw_fault,                        /* HardFault */
    tl_fw_fault,                        /* MemManage */
    tl_fw_fault,                        /* BusFault */
    tl_fw_fault,                        /* UsageFault */
    0, 0, 0, 0,                         /* reserved */
    tl_fw_fault,                        /* SVCall */
    tl_fw_fault,                        /* DebugMonitor */
    0,                                  /* reserved */
    tl_fw_fault,                        /* PendSV */
    tl_fw_fault,                        /* SysTick */
};
