/* transpose_opt.c: the optimized Transpose (transpose_opt.h).
 *
 * Algorithm: output axis d walks the input with step s[d] elements (the input stride of axis perm[d]). Axes of size
 * 1 are dropped, and output axes d, d + 1 with s[d] == s[d + 1] * dims[d + 1] are merged (they are one run in the
 * input too), which leaves r <= rank axes. If the last one has step 1, y is a sequence of runs of dims[r - 1]
 * elements each contiguous in x: an odometer over the other axes keeps each run's input offset and the run is
 * copied whole (short runs of 16-byte multiples by inlined fixed-size copies, others by memcpy). Otherwise the last
 * axis is copied element by element (a strided read, a contiguous write) with a fixed-width copy of 1, 2, 4 or 8
 * bytes. The axis before the last is an inner loop over consecutive runs of y, the odometer covers the others. The reference (kernels/movement.c) walks every element with a memcpy
 * of a run-time width and an odometer step each.
 */
#include "transpose_opt.h"

#include <string.h>

/* y[i] = x[i * step] for i < n, elements of es bytes */
static void tl_transpose_strided_row(unsigned char *y, const unsigned char *x, int64_t n, int64_t step, size_t es) {
  switch (es) {
    case 4: {
      uint32_t v;
      for (int64_t i = 0; i < n; i++, x += (size_t)step * 4) {
        memcpy(&v, x, 4);
        memcpy(y + (size_t)i * 4, &v, 4);
      }
      return;
    }
    case 1:
      for (int64_t i = 0; i < n; i++) y[i] = x[(size_t)(i * step)];
      return;
    case 2: {
      uint16_t v;
      for (int64_t i = 0; i < n; i++, x += (size_t)step * 2) {
        memcpy(&v, x, 2);
        memcpy(y + (size_t)i * 2, &v, 2);
      }
      return;
    }
    default:
      for (int64_t i = 0; i < n; i++) memcpy(y + (size_t)i * es, x + (size_t)(i * step) * es, es);
  }
}

/* y[0..bytes) = x[0..bytes): runs of a multiple of 16 bytes up to 256 (attention's heads: 64 bytes) as
 * fixed-size copies, which the compiler inlines as vector moves (memcpy's call and size dispatch cost more
 * than the copy at these sizes); other runs through memcpy */
static void tl_transpose_run(unsigned char *y, const unsigned char *x, size_t bytes) {
  if (bytes % 16 != 0 || bytes > 256) {
    memcpy(y, x, bytes);
    return;
  }
  for (; bytes >= 64; bytes -= 64, y += 64, x += 64) memcpy(y, x, 64);
  for (; bytes > 0; bytes -= 16, y += 16, x += 16) memcpy(y, x, 16);
}

void tl_transpose_opt(void *y, const void *x, const tl_transpose_params *p) {
  const size_t es = (size_t)p->elem_size;
  int64_t x_strides[TL_KMAX_RANK]; /* element strides of x */
  int64_t n = 1;
  for (int32_t d = p->rank - 1; d >= 0; d--) {
    x_strides[d] = n;
    n *= p->in_dims[d];
  }
  if (n == 0) return;
  int64_t dims[TL_KMAX_RANK], steps[TL_KMAX_RANK]; /* the merged output axes and their input steps */
  int32_t r = 0;
  for (int32_t d = 0; d < p->rank; d++) {
    const int64_t size = p->in_dims[p->perm[d]], step = x_strides[p->perm[d]];
    if (size == 1) continue;
    if (r > 0 && steps[r - 1] == step * size) { /* one run with the previous axis */
      dims[r - 1] *= size;
      steps[r - 1] = step;
    } else {
      dims[r] = size;
      steps[r] = step;
      r++;
    }
  }
  if (r == 0) { /* a single element */
    memcpy(y, x, es);
    return;
  }
  const int64_t row = dims[r - 1], step = steps[r - 1];
  /* the axis before the last walked by an inner loop (its runs follow each other in y), the axes before it
   * by the odometer */
  const int64_t inner = r >= 2 ? dims[r - 2] : 1, inner_step = r >= 2 ? steps[r - 2] : 0;
  const size_t row_bytes = (size_t)row * es;
  unsigned char *yb = (unsigned char *)y;
  const unsigned char *xb = (const unsigned char *)x;
  int64_t idx[TL_KMAX_RANK] = {0};
  int64_t x_off = 0;
  for (int64_t done = 0; done < n; done += row * inner) {
    const unsigned char *xr = xb + (size_t)x_off * es;
    if (step == 1 && row_bytes == 64) { /* attention's heads of 16 floats */
      for (int64_t i = 0; i < inner; i++, yb += 64, xr += (size_t)inner_step * es) memcpy(yb, xr, 64);
    } else if (step == 1) {
      for (int64_t i = 0; i < inner; i++, yb += row_bytes, xr += (size_t)inner_step * es) {
        tl_transpose_run(yb, xr, row_bytes);
      }
    } else {
      for (int64_t i = 0; i < inner; i++, yb += row_bytes, xr += (size_t)inner_step * es) {
        tl_transpose_strided_row(yb, xr, row, step, es);
      }
    }
    for (int32_t d = r - 3; d >= 0; d--) { /* the odometer over the axes before those two */
      idx[d]++;
      x_off += steps[d];
      if (idx[d] < dims[d]) break;
      x_off -= dims[d] * steps[d];
      idx[d] = 0;
    }
  }
}
