/* planner.h: the greedy arena planner.
 *
 * THIS EXACT ALGORITHM is mirrored in Python by the exporter (which writes Metadata.arena_bytes); change
 * both or neither.
 *   1. Plan every non-constant tensor that is a graph input, a graph output, or an op input/output.
 *   2. Lifetime over op indices, inclusive: first = index of the op that writes it (graph inputs: 0);
 *      last = index of the last op that reads it; graph inputs and graph outputs live to the last op
 *      (op_count - 1), so inputs survive invoke; a tensor nobody reads ends where it starts; last >= first.
 *      With op_count == 0 every lifetime is [0, 0].
 *   3. size = bytes rounded up to TL_ARENA_ALIGNMENT (16).
 *   4. Order: size descending, ties by tensor index ascending.
 *   5. Each tensor goes to the lowest offset (a multiple of 16) where it overlaps no already-placed tensor
 *      whose lifetime intersects its own: scan the placed, time-overlapping tensors sorted by offset, keep
 *      `candidate` = the highest end seen so far, and take the first gap with offset >= candidate + size;
 *      else place it at candidate (after the highest end).
 *   6. arena_bytes = max(offset + size) over planned tensors (0 if nothing is planned).
 * Cost: O(n^2) in the number of planned tensors (each placement scans the placed list), no allocation: the
 * caller passes the scratch (from the interpreter's memory, never a file-sized stack array).
 */
#ifndef TL_PLANNER_H
#define TL_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "tl_internal.h"

typedef struct tl_plan_item {
  int32_t tensor;  /* tensor index (ties in size are broken by it) */
  int32_t first;   /* lifetime, inclusive op indices */
  int32_t last;
  size_t size;     /* bytes, a multiple of TL_ARENA_ALIGNMENT */
  size_t offset;   /* result */
  int32_t next;    /* scratch: placed list, sorted by offset */
} tl_plan_item;

/* Scratch the planner needs for n items: the items themselves plus an order array. */
size_t tl_plan_scratch_bytes(int32_t tensor_count);

/* Steps 1-3 for a model: fills items (capacity tensor_count) and *count. is_planned (tensor_count bytes,
 * may be NULL) receives 1 for planned tensors. Fails only with TL_ERROR_LIMIT_EXCEEDED on size overflow. */
tl_status tl_plan_collect(const tl_model *model, tl_plan_item *items, int32_t *count, tl_errbuf *err);

/* Steps 4-6 on items[0..n): sets every item's offset and *arena_bytes. order: n int32 scratch entries.
 * Fails only with TL_ERROR_LIMIT_EXCEEDED when an offset would overflow size_t. */
tl_status tl_plan_place(tl_plan_item *items, int32_t n, int32_t *order, size_t *arena_bytes, tl_errbuf *err);

/* Lower bound for tests: max over op steps 0..max(op_count-1, 0) of the sum of sizes alive at that step. */
size_t tl_plan_lower_bound(const tl_plan_item *items, int32_t n, int32_t op_count);

#endif /* TL_PLANNER_H */
