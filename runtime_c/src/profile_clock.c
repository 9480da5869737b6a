/* profile_clock.c: tl_clock_monotonic_ns, the hosted builds' clock for tl_interpreter_invoke_profiled.
 *
 * What this is: a POSIX CLOCK_MONOTONIC read in nanoseconds. What this is not: anything the interpreter calls
 * itself (invoke reads no clock); freestanding builds compile it out and pass their own clock (a cycle counter,
 * SysTick) to tl_interpreter_invoke_profiled.
 */
#if !defined(TL_FREESTANDING)
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <time.h>

#include "tensorlet.h"

uint64_t tl_clock_monotonic_ns(void *user) {
  struct timespec ts;
  (void)user;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#else
typedef int tl_profile_clock_is_hosted_only; /* ISO C wants a non-empty translation unit */
#endif
