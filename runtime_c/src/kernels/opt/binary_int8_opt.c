/* binary_int8_opt.c: the portable int8 Add/Sub/Mul set, the table of the levels' sets and the broadcast driver
 * (binary_int8_opt.h).
 *
 * The portable level is the header's arithmetic one element at a time in plain C (the SIMD levels, in
 * binary_int8_avx2.c and binary_int8_neon.c, do the same lane by lane and call it for their tails). The driver
 * classifies each input by its period (tl_ew_period, elementwise_opt.c's rule for the float ops) and runs flat
 * runs: both inputs whole, one a scalar (copied 32 times into a local block read with step 0), or one repeating
 * every L elements (rows of L); any other broadcast runs the reference's 4-D loop with each last-axis row a
 * flat run, or the reference kernel when those rows are shorter than 4.
 */
#include "binary_int8_opt.h"

#include "opt_f32_internal.h"
#include "quant.h"

#if !defined(TL_F32_X86)
#define tl_i8_binary_avx2 tl_i8_binary_portable
#endif
#define tl_i8_binary_avx512 tl_i8_binary_avx2 /* every AVX-512 CPU has AVX2 */
#if !defined(TL_F32_NEON)
#define tl_i8_binary_neon tl_i8_binary_portable
#endif

/* floor(x / 2^e), e in [0, 62], without shifting a negative value */
static int64_t tl_bi8_floor_shift(int64_t x, int32_t e) { return x >= 0 ? x >> e : -((-(x + 1)) >> e) - 1; }

/* round(x / 2^e) ties away from zero (tl_rounding_divide_by_pot), e in [0, 31], as the lanes do it */
static int32_t tl_bi8_rdbp(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t q = (int32_t)tl_bi8_floor_shift(x, e), rem = x & mask;
  return q + (rem > (mask >> 1) + (x < 0) ? 1 : 0);
}

/* mbqm(ca 2^20, m, -right) for |ca| <= 255: the split product of the header */
static int32_t tl_bi8_rescale(int32_t ca, int32_t m, int32_t right) {
  const int32_t hi = m >> 16, lo = m & 0xffff;
  return tl_bi8_rdbp(32 * ca * hi + (int32_t)tl_bi8_floor_shift(ca * lo + 1024, 11), right);
}

/* the output stage: mbqm(x, out_multiplier, out_shift) + output_zp, clamped (no saturation: supported) */
static int8_t tl_bi8_output(int32_t x, const tl_binary_int8_params *p) {
  const int32_t left = p->out_shift > 0 ? p->out_shift : 0, right = p->out_shift > 0 ? 0 : -p->out_shift;
  const int64_t xs = (int64_t)x * ((int64_t)1 << left);
  int32_t v = (int32_t)tl_bi8_floor_shift(xs * p->out_multiplier + ((int64_t)1 << 30), 31);
  v = tl_bi8_rdbp(v, right) + p->output_zp;
  v = v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
  return (int8_t)v;
}

static void tl_bi8_add_portable(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                                const tl_binary_int8_params *p) {
  for (int64_t i = 0; i < n; i++) {
    const int32_t sa = tl_bi8_rescale(a[i * as] - p->a_zp, p->a_multiplier, -p->a_shift);
    const int32_t sb = tl_bi8_rescale(b[i * bs] - p->b_zp, p->b_multiplier, -p->b_shift);
    y[i] = tl_bi8_output(sa + sb, p);
  }
}

static void tl_bi8_sub_portable(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                                const tl_binary_int8_params *p) {
  for (int64_t i = 0; i < n; i++) {
    const int32_t sa = tl_bi8_rescale(a[i * as] - p->a_zp, p->a_multiplier, -p->a_shift);
    const int32_t sb = tl_bi8_rescale(b[i * bs] - p->b_zp, p->b_multiplier, -p->b_shift);
    y[i] = tl_bi8_output(sa - sb, p);
  }
}

static void tl_bi8_mul_portable(int8_t *y, const int8_t *a, int64_t as, const int8_t *b, int64_t bs, int64_t n,
                                const tl_binary_int8_params *p) {
  for (int64_t i = 0; i < n; i++) y[i] = tl_bi8_output((a[i * as] - p->a_zp) * (b[i * bs] - p->b_zp), p);
}

const tl_i8_binary_kernels tl_i8_binary_portable = {tl_bi8_add_portable, tl_bi8_sub_portable, tl_bi8_mul_portable};

/* The sets in tl_f32_level_index's order. */
static const tl_i8_binary_kernels *const k_sets[TL_F32_LEVELS] = {&tl_i8_binary_portable, &tl_i8_binary_neon,
                                                                   &tl_i8_binary_avx2, &tl_i8_binary_avx512};

const tl_i8_binary_kernels *tl_i8_binary_kernels_for(tl_isa isa) { return k_sets[tl_f32_level_index(isa)]; }

/* The largest |x| the output stage can see: over every centered input value (the inputs are int8). */
int tl_binary_int8_opt_supported(const tl_binary_int8_params *p, int mul) {
  int64_t max_a = 0, max_b = 0, bound;
  const int32_t left = p->out_shift > 0 ? p->out_shift : 0;
  if (p->out_shift > 31 || p->out_shift < -31 || p->out_multiplier < 0) return 0;
  if (!mul && (p->left_shift != 20 || p->a_shift > 0 || p->a_shift < -31 || p->b_shift > 0 || p->b_shift < -31 ||
               p->a_multiplier < 0 || p->b_multiplier < 0))
    return 0;
  for (int32_t v = -128; v <= 127; v++) {
    int64_t ra = v - p->a_zp, rb = v - p->b_zp;
    if (!mul) {
      ra = tl_multiply_by_quantized_multiplier((int32_t)ra * (1 << 20), p->a_multiplier, p->a_shift);
      rb = tl_multiply_by_quantized_multiplier((int32_t)rb * (1 << 20), p->b_multiplier, p->b_shift);
    }
    max_a = ra < 0 ? (-ra > max_a ? -ra : max_a) : (ra > max_a ? ra : max_a);
    max_b = rb < 0 ? (-rb > max_b ? -rb : max_b) : (rb > max_b ? rb : max_b);
  }
  bound = mul ? max_a * max_b : max_a + max_b;
  return bound <= (INT64_C(2147483647) >> left);
}

/* A general broadcast, row by row along the last axis (its strides are 1 or 0: prepare's rule). */
static void tl_bi8_rows(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                        tl_i8_binary_run_fn run) {
  const int32_t *d = p->geom.out_dims;
  const int64_t *as = p->geom.a_strides, *bs = p->geom.b_strides;
  int8_t a_block[32], b_block[32];
  for (int32_t i0 = 0; i0 < d[0]; i0++) {
    for (int32_t i1 = 0; i1 < d[1]; i1++) {
      for (int32_t i2 = 0; i2 < d[2]; i2++, y += d[3]) {
        const int8_t *ar = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const int8_t *br = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        if (as[3] == 0) {
          for (int k = 0; k < 32; k++) a_block[k] = ar[0];
          ar = a_block;
        }
        if (bs[3] == 0) {
          for (int k = 0; k < 32; k++) b_block[k] = br[0];
          br = b_block;
        }
        run(y, ar, as[3], br, bs[3], d[3], p);
      }
    }
  }
}

typedef void (*tl_bi8_ref_fn)(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p);

static void tl_bi8_binary(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                          tl_i8_binary_run_fn run, tl_bi8_ref_fn reference) {
  const int32_t *d = p->geom.out_dims;
  const int64_t n = (int64_t)d[0] * d[1] * d[2] * d[3];
  const int64_t la = tl_ew_period(d, p->geom.a_strides), lb = tl_ew_period(d, p->geom.b_strides);
  int8_t block[32];
  if (n <= 0) return;
  if (la == n && lb == n) {
    run(y, a, 1, b, 1, n, p);
  } else if (la == n && lb == 1) {
    for (int k = 0; k < 32; k++) block[k] = b[0];
    run(y, a, 1, block, 0, n, p);
  } else if (la == 1 && lb == n) {
    for (int k = 0; k < 32; k++) block[k] = a[0];
    run(y, block, 0, b, 1, n, p);
  } else if (la == n && lb > 0) { /* b repeats every lb elements: rows of lb */
    for (int64_t r = 0; r < n; r += lb) run(y + r, a + r, 1, b, 1, lb, p);
  } else if (lb == n && la > 0) {
    for (int64_t r = 0; r < n; r += la) run(y + r, a, 1, b + r, 1, la, p);
  } else if (d[3] >= 4) {
    tl_bi8_rows(y, a, b, p, run);
  } else {
    reference(y, a, b, p);
  }
}

void tl_add_int8_opt(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                     const tl_i8_binary_kernels *ks) {
  tl_bi8_binary(y, a, b, p, ks->add, tl_add_int8);
}

void tl_sub_int8_opt(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                     const tl_i8_binary_kernels *ks) {
  tl_bi8_binary(y, a, b, p, ks->sub, tl_sub_int8);
}

void tl_mul_int8_opt(int8_t *y, const int8_t *a, const int8_t *b, const tl_binary_int8_params *p,
                     const tl_i8_binary_kernels *ks) {
  tl_bi8_binary(y, a, b, p, ks->mul, tl_mul_int8);
}
