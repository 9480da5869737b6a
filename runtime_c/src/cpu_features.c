/* cpu_features.c: CPU feature detection and the choice of kernel level (see cpu_features.h).
 *
 * What this is: thin wrappers over what the compiler and the OS already know: __builtin_cpu_supports on
 * x86 with gcc/clang (it checks that the OS saves the wider registers too), getauxval(AT_HWCAP) on Linux
 * ARM, and compile-time macros elsewhere. What this is not: a cache (no state is kept between calls).
 */
#include "cpu_features.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define TL_X86_DETECT 1
#endif

/* getauxval is glibc/bionic/musl Linux; bare-metal ARM builds (TL_NO_STDIO) rely on compile-time facts. */
#if defined(__linux__) && (defined(__aarch64__) || defined(__arm__)) && !defined(TL_NO_STDIO)
#include <sys/auxv.h>
#define TL_ARM_HWCAP 1
#endif

tl_cpu_features tl_cpu_features_detect(void) {
  tl_cpu_features f;
  memset(&f, 0, sizeof f);
#if defined(TL_X86_DETECT)
  __builtin_cpu_init();
  f.avx2_fma = (uint8_t)(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  f.avx512f = (uint8_t)(f.avx2_fma && __builtin_cpu_supports("avx512f"));
  f.avx512vnni = (uint8_t)(f.avx512f && __builtin_cpu_supports("avx512vnni"));
#endif
#if defined(__aarch64__)
  f.neon = 1; /* Advanced SIMD is mandatory on AArch64 */
#if defined(TL_ARM_HWCAP)
  f.dotprod = (uint8_t)((getauxval(AT_HWCAP) & (1ul << 20)) != 0); /* HWCAP_ASIMDDP */
#endif
#elif defined(__arm__) && defined(__ARM_NEON)
  /* Built for NEON: the binary already requires it; hwcap only confirms it where the OS reports it. */
  f.neon = 1;
#if defined(TL_ARM_HWCAP)
  {
    const unsigned long hwcap = getauxval(AT_HWCAP);
    if (hwcap != 0 && (hwcap & (1ul << 12)) == 0) f.neon = 0; /* HWCAP_NEON */
  }
#endif
#endif
  return f;
}

int tl_isa_supported(tl_isa isa, const tl_cpu_features *f) {
  switch (isa) {
    case TL_ISA_REFERENCE:
    case TL_ISA_PORTABLE:
      return 1;
    case TL_ISA_NEON:
      return f->neon != 0;
    case TL_ISA_AVX2:
      return f->avx2_fma != 0;
    case TL_ISA_AVX512:
      return f->avx512f != 0;
    case TL_ISA_AUTO:
      return 0;
  }
  return 0;
}

tl_isa tl_isa_resolve(tl_isa requested, const tl_cpu_features *f) {
  if (requested == TL_ISA_REFERENCE) return TL_ISA_REFERENCE;
  if ((unsigned)requested > (unsigned)TL_ISA_AUTO) requested = TL_ISA_AUTO; /* unsigned: negatives too */
  for (int level = (int)(requested == TL_ISA_AUTO ? TL_ISA_AVX512 : requested); level > TL_ISA_PORTABLE;
       level--) {
    if (tl_isa_supported((tl_isa)level, f)) return (tl_isa)level;
  }
  return TL_ISA_PORTABLE;
}

static const char *const tl_isa_names[] = {"reference", "portable", "neon", "avx2", "avx512", "auto"};

tl_isa tl_isa_parse(const char *name) {
  if (name == NULL) return TL_ISA_AUTO;
  for (int i = 0; i < (int)(sizeof tl_isa_names / sizeof tl_isa_names[0]); i++) {
    if (strcmp(name, tl_isa_names[i]) == 0) return (tl_isa)i;
  }
  return TL_ISA_AUTO;
}

const char *tl_isa_name(tl_isa isa) {
  if ((unsigned)isa > (unsigned)TL_ISA_AUTO) return "unknown"; /* unsigned: negatives too */
  return tl_isa_names[(int)isa];
}
