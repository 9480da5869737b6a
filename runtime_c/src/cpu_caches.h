/* cpu_caches.h: the data cache sizes of the CPU the runtime runs on, and what prepare chooses from them.
 *
 * What this is: tl_cpu_caches_detect reads the level-1 data cache and the level-2 cache of the current core:
 * on x86 with gcc/clang from cpuid (the deterministic cache parameters: leaf 4 on Intel, 0x8000001D on AMD),
 * else on Linux from /sys/devices/system/cpu/cpu0/cache, else the defaults below; it keeps no state (prepare
 * calls it). tl_fc_f32_alternate is the batch-1 FullyConnected's traversal rule as a pure function of the
 * weights' bytes and the cache sizes, so it can be tested for any machine. What this is not: a topology or
 * core-count query, or a timing model.
 */
#ifndef TL_CPU_CACHES_H
#define TL_CPU_CACHES_H

#include <stddef.h>
#include <stdint.h>

typedef struct tl_cpu_caches {
  int64_t l1d_bytes; /* level-1 data cache of one core */
  int64_t l2_bytes;  /* level-2 cache (unified or data) of one core */
  int32_t source;    /* TL_CACHES_*: where the figures came from */
} tl_cpu_caches;

enum { TL_CACHES_DEFAULT = 0, TL_CACHES_CPUID = 1, TL_CACHES_SYSFS = 2 };
#define TL_CACHES_DEFAULT_L1D ((int64_t)32 * 1024)
#define TL_CACHES_DEFAULT_L2 ((int64_t)256 * 1024)

tl_cpu_caches tl_cpu_caches_detect(void);

/* The batch-1 float FullyConnected's panel order (ops/fully_connected.c), from its packed weights' bytes:
 * 0: ascending on every invoke, when they fit in the L1 data cache (they stay there; the descending pass's
 * per-panel calls would only add overhead: 15% at 16 KB on the CPU of docs/runtime.md); 1: ascending and
 * descending on alternate invokes, when they do not (a layer or model just over a cache level then finds the
 * panels it read last still cached instead of missing on all of them in LRU order). Outputs are identical
 * either way (each panel's arithmetic does not depend on the order). */
int tl_fc_f32_alternate(size_t weight_bytes, const tl_cpu_caches *c);

#endif /* TL_CPU_CACHES_H */
