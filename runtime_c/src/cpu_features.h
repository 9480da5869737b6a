/* cpu_features.h: which instruction sets this CPU offers, and which kernel level to run.
 *
 * What this is: run-time detection (cpuid through __builtin_cpu_supports on x86, getauxval(AT_HWCAP) on
 * Linux/ARM where the build may read the auxiliary vector, compile-time facts elsewhere) and the choice of a
 * kernel level, with an override: a caller may ask for a level (the best one the CPU has at or below it is
 * used). The library never reads the environment (tests/build/test_c_builds.py forbids getenv in it): front ends
 * (tl_run, tl_bench, pyruntime) read TENSORLET_KERNELS (reference, portable, neon, avx2, avx512, auto),
 * turn it into a level with tl_isa_parse and pass it on. Nothing is cached: callers detect once (at
 * prepare) and keep the result.
 * What this is not: the kernels themselves (kernels/opt/).
 */
#ifndef TL_CPU_FEATURES_H
#define TL_CPU_FEATURES_H

#include <stdint.h>

/* Kernel levels, ordered: a higher level on the same architecture implies the lower ones. */
typedef enum tl_isa {
  TL_ISA_REFERENCE = 0, /* the reference kernels (kernels.h) */
  TL_ISA_PORTABLE = 1,  /* packed GEMM with a plain C micro-kernel (every CPU) */
  TL_ISA_NEON = 2,      /* aarch64, or armv7 built with NEON */
  TL_ISA_AVX2 = 3,      /* x86 AVX2 + FMA */
  TL_ISA_AVX512 = 4,    /* x86 AVX-512F */
  TL_ISA_AUTO = 5       /* request only: the best the CPU has */
} tl_isa;

typedef struct tl_cpu_features {
  uint8_t avx2_fma; /* AVX2 and FMA3, with the OS saving the YMM state */
  uint8_t avx512f;  /* AVX-512F, with the OS saving the ZMM state */
  uint8_t neon;     /* Advanced SIMD usable by this build */
  uint8_t dotprod;  /* ARMv8.2 SDOT/UDOT (reported; used by the int8 kernels) */
  uint8_t avx512vnni; /* AVX-512 VNNI (vpdpbusd; used by the int8 kernels) */
} tl_cpu_features;

/* The features of the CPU running this call. */
tl_cpu_features tl_cpu_features_detect(void);

/* Non-zero when `isa` can run on a CPU with features `f` (REFERENCE and PORTABLE always can). */
int tl_isa_supported(tl_isa isa, const tl_cpu_features *f);

/* The level to use when `requested` is asked for: AUTO gives the best supported level; a level the CPU
 * lacks falls back to the best supported level below it (so PORTABLE at worst). */
tl_isa tl_isa_resolve(tl_isa requested, const tl_cpu_features *f);

/* Parses a level name (the values of TENSORLET_KERNELS: "reference", "portable", "neon", "avx2", "avx512", "auto"); AUTO when unknown. */
tl_isa tl_isa_parse(const char *name);

/* The level's name, for messages and benchmarks. */
const char *tl_isa_name(tl_isa isa);

#endif /* TL_CPU_FEATURES_H */
