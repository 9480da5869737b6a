/* transpose_opt.h: the optimized Transpose (any dtype: elements of 1, 2, 4 or 8 bytes).
 *
 * What this is: the fast counterpart of tl_transpose (kernels.h), with its arguments; it gives the reference's
 * bytes (it only moves elements). No vector code: the output is walked in runs that are contiguous in the input
 * (memcpy) or, when the last output axis is strided in the input, element by element with a copy of the
 * element's width. Levels do not matter, so there is one kernel.
 * What this is not: the specification (kernels/movement.c).
 */
#ifndef TL_TRANSPOSE_OPT_H
#define TL_TRANSPOSE_OPT_H

#include "../kernels.h"

void tl_transpose_opt(void *y, const void *x, const tl_transpose_params *p);

#endif /* TL_TRANSPOSE_OPT_H */
