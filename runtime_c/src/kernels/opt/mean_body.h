/* mean_body.h: the float32 Mean kernel on one level's double vectors (included once by f32_portable.c,
 * f32_avx2.c, f32_avx512.c, AArch64's f32_neon.c; no include guard): tl_mean_run, written on that file's tl_vd
 * (opt_f32_internal.h); at the AVX2 level the last-axis mean also has a 16-row block on SSE/AVX intrinsics
 * (tl_mean_rows16_avx2). Algorithm: pool_opt.c. Not the entry point or the view of the axes. */

/* inner == 1 (a mean over the last axis, e.g. a layer norm's): eight rows at a time, then four, each row's double
 * sum in the reference's order, the chains interleaved so that their latencies overlap (an addition's latency is 3
 * to 4 cycles and two can start per cycle: four chains left the adders idle half the time); then the rest. */
TL_V_INLINE int64_t tl_mean_rows4(float *y, const float *x, int64_t outer, int64_t reduced) {
  int64_t o = 0;
  for (; o + 8 <= outer; o += 8) {
    const float *x0 = x + o * reduced;
    const float *x4 = x0 + 4 * reduced;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    for (int64_t r = 0; r < reduced; r++) {
      s0 += (double)x0[r];
      s1 += (double)x0[reduced + r];
      s2 += (double)x0[2 * reduced + r];
      s3 += (double)x0[3 * reduced + r];
      s4 += (double)x4[r];
      s5 += (double)x4[reduced + r];
      s6 += (double)x4[2 * reduced + r];
      s7 += (double)x4[3 * reduced + r];
    }
    y[o] = (float)(s0 / (double)reduced), y[o + 1] = (float)(s1 / (double)reduced);
    y[o + 2] = (float)(s2 / (double)reduced), y[o + 3] = (float)(s3 / (double)reduced);
    y[o + 4] = (float)(s4 / (double)reduced), y[o + 5] = (float)(s5 / (double)reduced);
    y[o + 6] = (float)(s6 / (double)reduced), y[o + 7] = (float)(s7 / (double)reduced);
  }
  for (; o + 4 <= outer; o += 4) {
    const float *x0 = x + o * reduced;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int64_t r = 0; r < reduced; r++) {
      s0 += (double)x0[r];
      s1 += (double)x0[reduced + r];
      s2 += (double)x0[2 * reduced + r];
      s3 += (double)x0[3 * reduced + r];
    }
    y[o] = (float)(s0 / (double)reduced);
    y[o + 1] = (float)(s1 / (double)reduced);
    y[o + 2] = (float)(s2 / (double)reduced);
    y[o + 3] = (float)(s3 / (double)reduced);
  }
  return o;
}

#if defined(TL_F32_X86) && TL_VF_W == 8
/* The AVX2 level, inner == 1, sixteen rows at a time: four groups of four rows, a group's double sums in the four
 * lanes of one vector (lane j row j, starting at 0.0 and adding the row's floats in order, as the reference);
 * each 4 x 4 block of floats (four rows, four consecutive elements) is transposed in registers so that one
 * widening and one vector addition take an element of four rows: 20 instructions per 16 floats where the scalar
 * loop above takes 32 (a conversion and an addition each); four groups keep four addition chains in flight.
 * The same additions in the same order: the reference's bits. Returns the rows done (a multiple of 16). */
TL_V_INLINE int64_t tl_mean_rows16_avx2(float *y, const float *x, int64_t outer, int64_t reduced) {
  int64_t o = 0;
  const __m256d count = _mm256_set1_pd((double)reduced);
  for (; o + 16 <= outer; o += 16) {
    __m256d acc[4];
    double lanes[16];
    int64_t r = 0;
    for (int g = 0; g < 4; g++) acc[g] = _mm256_setzero_pd();
    for (; r + 4 <= reduced; r += 4) {
      for (int g = 0; g < 4; g++) {
        const float *xg = x + (o + 4 * g) * reduced + r; /* [4 rows, reduced] from element r */
        __m128 c0 = _mm_loadu_ps(xg), c1 = _mm_loadu_ps(xg + reduced), c2 = _mm_loadu_ps(xg + 2 * reduced);
        __m128 c3 = _mm_loadu_ps(xg + 3 * reduced);
        _MM_TRANSPOSE4_PS(c0, c1, c2, c3);
        acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(c0));
        acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(c1));
        acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(c2));
        acc[g] = _mm256_add_pd(acc[g], _mm256_cvtps_pd(c3));
      }
    }
    for (int g = 0; g < 4; g++) _mm256_storeu_pd(lanes + 4 * g, acc[g]);
    for (; r < reduced; r++) { /* the last reduced % 4 elements, in order */
      for (int j = 0; j < 16; j++) lanes[j] += (double)x[(o + j) * reduced + r];
    }
    for (int g = 0; g < 4; g++) {
      _mm_storeu_ps(y + o + 4 * g, _mm256_cvtpd_ps(_mm256_div_pd(_mm256_loadu_pd(lanes + 4 * g), count)));
    }
  }
  return o;
}
#endif

/* y[outer, inner] = the mean of x[outer, reduced, inner] over reduced (>= 1), summed in double. */
TL_VF_FN static void tl_mean_run(float *y, const float *x, int64_t outer, int64_t reduced, int64_t inner) {
  const tl_vd count_v = tl_vd_set1((double)reduced);
  int64_t o0 = 0;
#if defined(TL_F32_X86) && TL_VF_W == 8
  if (inner == 1) o0 = tl_mean_rows16_avx2(y, x, outer, reduced);
#endif
  if (inner == 1) o0 += tl_mean_rows4(y + o0, x + o0 * reduced, outer - o0, reduced);
  for (int64_t o = o0; o < outer; o++) {
    const float *xo = x + o * reduced * inner;
    float *yo = y + o * inner;
    int64_t c = 0;
    for (; c + 4 * TL_VD_W <= inner; c += 4 * TL_VD_W) {
      tl_vd s0 = tl_vd_set1(0.0), s1 = tl_vd_set1(0.0), s2 = tl_vd_set1(0.0), s3 = tl_vd_set1(0.0);
      const float *xr = xo + c;
      for (int64_t r = 0; r < reduced; r++, xr += inner) {
        s0 = tl_vd_add(s0, tl_vd_loadf(xr));
        s1 = tl_vd_add(s1, tl_vd_loadf(xr + TL_VD_W));
        s2 = tl_vd_add(s2, tl_vd_loadf(xr + 2 * TL_VD_W));
        s3 = tl_vd_add(s3, tl_vd_loadf(xr + 3 * TL_VD_W));
      }
      tl_vd_storef(yo + c, tl_vd_div(s0, count_v));
      tl_vd_storef(yo + c + TL_VD_W, tl_vd_div(s1, count_v));
      tl_vd_storef(yo + c + 2 * TL_VD_W, tl_vd_div(s2, count_v));
      tl_vd_storef(yo + c + 3 * TL_VD_W, tl_vd_div(s3, count_v));
    }
    for (; c + TL_VD_W <= inner; c += TL_VD_W) {
      tl_vd s = tl_vd_set1(0.0);
      const float *xr = xo + c;
      for (int64_t r = 0; r < reduced; r++, xr += inner) s = tl_vd_add(s, tl_vd_loadf(xr));
      tl_vd_storef(yo + c, tl_vd_div(s, count_v));
    }
    for (; c < inner; c++) {
      double s = 0.0;
      const float *xr = xo + c;
      for (int64_t r = 0; r < reduced; r++, xr += inner) s += (double)*xr;
      yo[c] = (float)(s / (double)reduced);
    }
  }
}
