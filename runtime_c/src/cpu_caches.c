/* cpu_caches.c: cache sizes from cpuid or sysfs, and the FullyConnected traversal rule (see cpu_caches.h).
 *
 * cpuid's deterministic cache parameters (Intel leaf 4, AMD leaf 0x8000001D, the same layout): subleaf i
 * describes one cache until the type field (eax bits 0-4) is 0; type 1 is data, 3 unified, the level is eax
 * bits 5-7, and the size is ways x partitions x line size x sets, each field stored minus one (ebx bits
 * 22-31, 12-21, 0-11; ecx). sysfs: the files level, type ("Data", "Unified") and size ("48K", "2048K", "1M") of
 * each cache index directory.
 */
#include "cpu_caches.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define TL_CACHES_X86 1
#endif
#if defined(__linux__) && !defined(TL_NO_STDIO) && !defined(TL_FREESTANDING)
#include <stdio.h>
#define TL_CACHES_SYSFS_READ 1
#endif

#if defined(TL_CACHES_X86)
/* Fills c from the cpuid leaf (4 or 0x8000001D); returns 1 when it found an L1 data and an L2 cache. */
static int tl_caches_cpuid(unsigned leaf, tl_cpu_caches *c) {
  unsigned max = __get_cpuid_max(leaf & 0x80000000u, NULL), a, b, cx, d;
  int64_t l1 = 0, l2 = 0;
  if (max < leaf) return 0;
  for (unsigned i = 0; i < 16; i++) {
    __cpuid_count(leaf, i, a, b, cx, d);
    (void)d;
    const unsigned type = a & 31u, level = (a >> 5) & 7u;
    if (type == 0) break;
    const int64_t ways = (int64_t)(b >> 22) + 1, partitions = (int64_t)((b >> 12) & 0x3ffu) + 1;
    const int64_t size = ways * partitions * ((int64_t)(b & 0xfffu) + 1) * ((int64_t)cx + 1);
    if (level == 1 && type == 1) l1 = size;
    if (level == 2 && (type == 1 || type == 3)) l2 = size;
  }
  if (l1 <= 0 || l2 <= 0) return 0;
  c->l1d_bytes = l1;
  c->l2_bytes = l2;
  c->source = TL_CACHES_CPUID;
  return 1;
}
#endif

#if defined(TL_CACHES_SYSFS_READ)
/* The first line of a small sysfs file into buf (NUL-terminated, newline dropped); 0 when unreadable. */
static int tl_caches_read(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  size_t n;
  if (f == NULL) return 0;
  n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  return n > 0;
}

/* "48K", "2048K", "1M", "32768" in bytes; 0 when malformed. */
static int64_t tl_caches_parse_size(const char *s) {
  int64_t v = 0;
  if (*s < '0' || *s > '9') return 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    v = v * 10 + (*s - '0');
    if (v > ((int64_t)1 << 40)) return 0;
  }
  if (*s == 'K') return v * 1024;
  if (*s == 'M') return v * 1024 * 1024;
  return *s == '\0' ? v : 0;
}

static int tl_caches_sysfs(tl_cpu_caches *c) {
  char path[96], level[16], type[16], size[32];
  int64_t l1 = 0, l2 = 0;
  for (int i = 0; i < 16; i++) {
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    if (!tl_caches_read(path, level, sizeof level)) break;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    if (!tl_caches_read(path, type, sizeof type)) continue;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (!tl_caches_read(path, size, sizeof size)) continue;
    if (strcmp(level, "1") == 0 && strcmp(type, "Data") == 0) l1 = tl_caches_parse_size(size);
    if (strcmp(level, "2") == 0 && strcmp(type, "Instruction") != 0) l2 = tl_caches_parse_size(size);
  }
  if (l1 <= 0 || l2 <= 0) return 0;
  c->l1d_bytes = l1;
  c->l2_bytes = l2;
  c->source = TL_CACHES_SYSFS;
  return 1;
}
#endif

tl_cpu_caches tl_cpu_caches_detect(void) {
  tl_cpu_caches c;
  memset(&c, 0, sizeof c);
  c.l1d_bytes = TL_CACHES_DEFAULT_L1D;
  c.l2_bytes = TL_CACHES_DEFAULT_L2;
  c.source = TL_CACHES_DEFAULT;
#if defined(TL_CACHES_X86)
  if (tl_caches_cpuid(4, &c) || tl_caches_cpuid(0x8000001Du, &c)) return c;
#endif
#if defined(TL_CACHES_SYSFS_READ)
  if (tl_caches_sysfs(&c)) return c;
#endif
  return c;
}

int tl_fc_f32_alternate(size_t weight_bytes, const tl_cpu_caches *c) {
  return (int64_t)weight_bytes > c->l1d_bytes;
}
