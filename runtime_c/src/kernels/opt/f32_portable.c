/* f32_portable.c: the portable kernel sets: the bodies (depthwise, pool, elementwise, mean _body.h) on one
 * float per "vector" (left to the compiler's vectoriser) and, for Mean, 4 doubles in a plain array; Sigmoid,
 * Tanh, Gelu and Softmax are the reference kernels here. Also the sets of levels a build has no code for
 * (opt_f32_internal.h).
 * What this is not: the specification (kernels.h). */
#include "../geometry.h"
#include "../gelu.h"
#include "opt_f32_internal.h"

#include <math.h>

#define TL_VF_FN
#define TL_V_INLINE static inline __attribute__((always_inline))
#define TL_VF_W 1
typedef float tl_vf;

TL_V_INLINE tl_vf tl_vf_load(const float *p) { return *p; }
TL_V_INLINE void tl_vf_store(float *p, tl_vf v) { *p = v; }
TL_V_INLINE tl_vf tl_vf_set1(float s) { return s; }
TL_V_INLINE tl_vf tl_vf_add(tl_vf a, tl_vf b) { return a + b; }
TL_V_INLINE tl_vf tl_vf_sub(tl_vf a, tl_vf b) { return a - b; }
TL_V_INLINE tl_vf tl_vf_mul(tl_vf a, tl_vf b) { return a * b; }
TL_V_INLINE tl_vf tl_vf_div(tl_vf a, tl_vf b) { return a / b; }
TL_V_INLINE tl_vf tl_vf_fma(tl_vf a, tl_vf b, tl_vf c) { return a * b + c; }
TL_V_INLINE tl_vf tl_vf_max(tl_vf lo, tl_vf v) { return v < lo ? lo : v; }
TL_V_INLINE tl_vf tl_vf_min(tl_vf hi, tl_vf v) { return v > hi ? hi : v; }
TL_V_INLINE tl_vf tl_vf_nanmax(tl_vf acc, tl_vf v) { return v > acc || v != v ? v : acc; }
TL_V_INLINE void tl_vf_zip2(float *p, tl_vf a, tl_vf b) { p[0] = a, p[1] = b; }

/* Mean: 4 doubles in a plain array, lane by lane */
#define TL_VD_W 4
typedef struct tl_vd {
  double v[4];
} tl_vd;
TL_V_INLINE tl_vd tl_vd_loadf(const float *p) { tl_vd r; for (int j = 0; j < 4; j++) r.v[j] = p[j]; return r; }
TL_V_INLINE void tl_vd_storef(float *p, tl_vd a) { for (int j = 0; j < 4; j++) p[j] = (float)a.v[j]; }
TL_V_INLINE tl_vd tl_vd_set1(double s) { tl_vd r; for (int j = 0; j < 4; j++) r.v[j] = s; return r; }
TL_V_INLINE tl_vd tl_vd_add(tl_vd a, tl_vd b) { for (int j = 0; j < 4; j++) a.v[j] += b.v[j]; return a; }
TL_V_INLINE tl_vd tl_vd_div(tl_vd a, tl_vd b) { for (int j = 0; j < 4; j++) a.v[j] /= b.v[j]; return a; }

#include "depthwise_body.h"
#include "elementwise_body.h"
#include "pool_body.h"
#include "mean_body.h"

const tl_f32_dw_kernels tl_f32_dw_portable = {tl_dw_run, tl_dw_mult_run};
const tl_f32_pool_kernels tl_f32_max_pool_portable = {tl_max_pool_run};
const tl_f32_pool_kernels tl_f32_avg_pool_portable = {tl_avg_pool_run};
const tl_f32_mean_kernels tl_f32_mean_portable = {tl_mean_run};
const tl_f32_binary_kernels tl_f32_binary_portable = {tl_binary_run};
const tl_f32_clamp_kernels tl_f32_clamp_portable = {tl_clamp_run};
const tl_f32_hard_swish_kernels tl_f32_hard_swish_portable = {tl_hard_swish_run};
const tl_f32_tr_kernels tl_f32_tr_portable = {tl_sigmoid_f32, tl_tanh_f32};

/* Gelu's tanh form: the reference kernel */
static void tl_gelu_tanh_reference(float *y, const float *x, int64_t n) { tl_gelu_f32(y, x, n, 1); }
/* the reference Gelu's tanh (libm's, in double, rounded) */
static void tl_tanh_reference(float *y, const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = (float)tanh((double)x[i]);
}
const tl_f32_gelu_kernels tl_f32_gelu_portable = {tl_gelu_tanh_reference, tl_tanh_reference};
const tl_f32_softmax_kernels tl_f32_softmax_portable = {tl_softmax_f32};
