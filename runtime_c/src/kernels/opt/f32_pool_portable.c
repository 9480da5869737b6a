/* f32_pool_portable.c: the plain C float32 MaxPool2D and AveragePool2D kernels and their portable set.
 *
 * What this is: pool_body.h on blocks of 8 floats in a plain array, lane by lane (the compiler vectorises
 * these loops; both pools are exact per lane, so the width does not change a bit of the results). What this
 * is not: the specification (kernels.h).
 */
#include "../geometry.h"
#include "opt_f32_internal.h"

#define TL_VF_FN
#define TL_V_INLINE static inline __attribute__((always_inline))
#define TL_VF_W 8
typedef struct tl_vf {
  float v[8];
} tl_vf;

TL_V_INLINE tl_vf tl_vf_load(const float *p) { tl_vf r; for (int j = 0; j < 8; j++) r.v[j] = p[j]; return r; }
TL_V_INLINE void tl_vf_store(float *p, tl_vf a) { for (int j = 0; j < 8; j++) p[j] = a.v[j]; }
TL_V_INLINE tl_vf tl_vf_set1(float s) { tl_vf r; for (int j = 0; j < 8; j++) r.v[j] = s; return r; }
TL_V_INLINE tl_vf tl_vf_add(tl_vf a, tl_vf b) { for (int j = 0; j < 8; j++) a.v[j] += b.v[j]; return a; }
TL_V_INLINE tl_vf tl_vf_div(tl_vf a, tl_vf b) { for (int j = 0; j < 8; j++) a.v[j] /= b.v[j]; return a; }
TL_V_INLINE tl_vf tl_vf_max(tl_vf lo, tl_vf a) { /* a < lo ? lo : a */
  for (int j = 0; j < 8; j++) a.v[j] = a.v[j] < lo.v[j] ? lo.v[j] : a.v[j];
  return a;
}
TL_V_INLINE tl_vf tl_vf_min(tl_vf hi, tl_vf a) { /* a > hi ? hi : a */
  for (int j = 0; j < 8; j++) a.v[j] = a.v[j] > hi.v[j] ? hi.v[j] : a.v[j];
  return a;
}
TL_V_INLINE tl_vf tl_vf_nanmax(tl_vf acc, tl_vf v) { /* v where v > acc or v is NaN, else acc */
  for (int j = 0; j < 8; j++) acc.v[j] = v.v[j] > acc.v[j] || v.v[j] != v.v[j] ? v.v[j] : acc.v[j];
  return acc;
}

#include "pool_body.h"

const tl_f32_pool_kernels tl_f32_pool_portable = {tl_max_pool_run, tl_avg_pool_run};
