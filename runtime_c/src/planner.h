/* planner.h: the greedy arena planner.
 *
 * THIS EXACT ALGORITHM is mirrored in Python by the exporter (which writes Metadata.arena_bytes); change
 * both or neither.
 *   1. Plan every non-constant tensor that is a graph input, a graph output, or an op input/output.
 *   2. Lifetime over op indices, inclusive: first = index of the op that writes it (graph inputs: 0);
 *      last = index of the last op that reads it; graph inputs and graph outputs live to the last op
 *      (op_count - 1), so inputs survive invoke; a tensor nobody reads ends where it starts; last >= first.
 *      With op_count == 0 every lifetime is [0, 0]. With release_inputs (tl_options.release_inputs, TFLite
 *      Micro's rule) graph inputs that are not graph outputs end at their last reader like any tensor.
 *   2b. Views: the output b of a view op (TL_OP_FLAG_VIEW: Reshape) with one input a and one output is not
 *      planned but shares a's place when a is neither constant nor a graph input, b is not a graph output, and
 *      both have the same bytes; a's lifetime (or, along a chain of views, the first tensor's) then spans b's
 *      too. Ops run in order, so a chain resolves to its first tensor. The runtime points b at that place
 *      (tl_plan_view_source) and the view's eval finds nothing to copy.
 *   3. size = bytes rounded up to TL_ARENA_ALIGNMENT (16).
 *   4. Order: size descending, ties by tensor index ascending.
 *   5. Each tensor goes to the lowest offset (a multiple of 16) where it overlaps no already-placed tensor
 *      whose lifetime intersects its own: scan the placed, time-overlapping tensors sorted by offset, keep
 *      `candidate` = the highest end seen so far, and take the first gap with offset >= candidate + size;
 *      else place it at candidate (after the highest end). (Tensors placed at the same offset may be scanned
 *      in any order: the result is the same.)
 *   6. arena_bytes = max(offset + size) over planned tensors (0 if nothing is planned).
 *   7. Items that may grow (max_size > size: an op's scratch asked for as a range, tl_op_request_scratch_range)
 *      then move, in index order, into the gap that gives them the most room without growing the arena:
 *      over the other time-overlapping items sorted by offset, the gaps between them and the one from the
 *      highest end up to arena_bytes; the first gap of at least max_size wins (size = max_size), else the
 *      largest gap (the lowest one of equal width), rounded down to TL_ARENA_ALIGNMENT. The item's own spot
 *      lies in one of those gaps, so it never shrinks; arena_bytes and every other offset stay as step 6 left
 *      them, which is why the Python mirror plans the minimum sizes and skips this step. (Freestanding builds,
 *      whose reference kernels ask for no ranges, compile this step out.)
 * Finding the placed, time-overlapping tensors (step 5) does not change the result, only the cost. Here: the
 * items sorted by (first, index) carry a max-tree of `last` over the placed ones; the placed items with
 * first <= it.last (a prefix of that order) and last >= it.first are exactly the overlapping ones, and the
 * tree reports them in O((k + 1) log n); they are then heap-sorted by offset. The Python mirror builds the
 * overlap lists with a sweep instead.
 * Cost: O(n log n + P log n), P = the number of time-overlapping pairs of planned tensors. P is counted up front
 * (O(n log n)) and the plan refused with TL_ERROR_LIMIT_EXCEEDED when it is above the caller's max_pairs, so a
 * file cannot force the quadratic worst case (the interpreter charges each pair TL_WORK_PER_PLAN_PAIR units of
 * its work budget, tl_options.max_work). No allocation: the caller passes the scratch (from the
 * interpreter's memory, never a file-sized stack array).
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
  size_t size;     /* bytes, a multiple of TL_ARENA_ALIGNMENT; step 7 may raise it (result) */
  size_t max_size; /* step 7: above size, the item may grow up to this (an op's scratch); else 0 */
  size_t offset;   /* result */
} tl_plan_item;

/* int32 scratch entries tl_plan_place needs for n items: order, by-start order, positions, the overlap list
 * (n each) and a max-tree over a power of two >= n leaves (at most 4n). */
#define TL_PLAN_SCRATCH_INTS(n) ((size_t)8 * (size_t)((n) > 0 ? (n) : 1))

/* Scratch the planner needs for a model of `tensors` tensors of which at most `items` are planned (its
 * non-constant tensors plus the ops' scratch blocks the interpreter appends after tl_plan_collect): `items`
 * tl_plan_items followed by their TL_PLAN_SCRATCH_INTS(items) int32 entries, or, if larger, the `tensors`
 * tl_plan_items tl_plan_collect uses as its per-tensor table (it is done before the int32 entries are used,
 * so they may overlap its tail). */
size_t tl_plan_scratch_bytes(int32_t tensors, int32_t items);

/* Steps 1-3 for a model: fills items (capacity tensor_count) and *count; release_inputs: step 2's rule for
 * graph inputs. Fails only with TL_ERROR_LIMIT_EXCEEDED on size overflow. */
tl_status tl_plan_collect(const tl_model *model, int32_t release_inputs, tl_plan_item *items, int32_t *count,
                          tl_errbuf *err);

/* Step 2b: the tensor whose bytes op `op`'s output shares (its input 0), or -1 when the op is not such a view. */
int32_t tl_plan_view_source(const tl_model *model, int32_t op);

/* Number of pairs of items[0..n) whose lifetimes intersect (O(n log n)); scratch: TL_PLAN_SCRATCH_INTS(n). */
uint64_t tl_plan_overlap_pairs(const tl_plan_item *items, int32_t n, int32_t *scratch);

/* Steps 4-6 on items[0..n): sets every item's offset and *arena_bytes. scratch: TL_PLAN_SCRATCH_INTS(n) int32
 * entries. *pairs (may be NULL) receives tl_plan_overlap_pairs. Fails with TL_ERROR_LIMIT_EXCEEDED when the
 * pairs are more than max_pairs (nothing is placed then) or an offset would overflow size_t. */
tl_status tl_plan_place(tl_plan_item *items, int32_t n, int32_t *scratch, uint64_t max_pairs, uint64_t *pairs,
                        size_t *arena_bytes, tl_errbuf *err);

/* Lower bound for tests: max over op steps 0..max(op_count-1, 0) of the sum of sizes alive at that step. */
size_t tl_plan_lower_bound(const tl_plan_item *items, int32_t n, int32_t op_count);

#endif /* TL_PLANNER_H */
