/* unary.c: float32 reference kernels of the elementwise activations Relu, Relu6, Sigmoid and Tanh.
 *
 * What this is: the specification the optimized kernels are tested against, written as plainly as possible.
 * What this is not: fast code (no lookup tables or polynomial approximations). A NaN input gives a NaN output
 * in every kernel, as in numpy.
 */
#include <math.h>

#include "kernels.h"

void tl_relu_f32(float *y,       /* [n] */
                 const float *x, /* [n] */
                 int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void tl_relu6_f32(float *y,       /* [n] */
                  const float *x, /* [n] */
                  int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : (x[i] > 6.0f ? 6.0f : x[i]);
}

/* sigmoid(x) = 1 / (1 + e^-x). exp is only ever taken of -|x| (<= 0), so it cannot overflow:
 * for x >= 0 we use 1 / (1 + e^-x), for x < 0 the equal form e^x / (1 + e^x). */
void tl_sigmoid_f32(float *y,       /* [n] */
                    const float *x, /* [n] */
                    int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    if (x[i] >= 0.0f) {
      y[i] = 1.0f / (1.0f + expf(-x[i]));
    } else {
      const float e = expf(x[i]); /* also the NaN path: NaN >= 0 is false, expf(NaN) is NaN */
      y[i] = e / (1.0f + e);
    }
  }
}

void tl_tanh_f32(float *y,       /* [n] */
                 const float *x, /* [n] */
                 int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
