/* planner.c: the greedy arena planner (algorithm and its contract in planner.h). */
#include "planner.h"

#include "ops/ops.h"

size_t tl_plan_scratch_bytes(int32_t tensors, int32_t items) {
  size_t n = items > 0 ? (size_t)items : 1u, table = tensors > 0 ? (size_t)tensors * sizeof(tl_plan_item) : 0u;
  /* counts are capped (TL_MAX_TENSORS), so these products cannot overflow */
  size_t need = n * sizeof(tl_plan_item) + TL_PLAN_SCRATCH_INTS(items) * sizeof(int32_t);
  return need > table ? need : table;
}

int32_t tl_plan_view_source(const tl_model *m, int32_t op) {
  const tl_op_desc *d = &m->ops[op];
  const tl_op_descriptor *desc = tl_op_lookup(d->opcode);
  int32_t a, b;
  if (desc == NULL || (desc->flags & TL_OP_FLAG_VIEW) == 0 || d->input_count != 1 || d->output_count != 1) return -1;
  a = d->inputs[0];
  b = d->outputs[0];
  if (a == b || m->is_constant[a] || m->is_constant[b] || m->tensors[a].bytes != m->tensors[b].bytes) return -1;
  if (tl_model_is_input(m, a) || tl_model_is_output(m, b)) return -1;
  return a;
}

tl_status tl_plan_collect(const tl_model *m, int32_t release_inputs, tl_plan_item *items, int32_t *count,
                          tl_errbuf *err) {
  int32_t i, k, n = 0;
  int32_t last_op = m->op_count > 0 ? m->op_count - 1 : 0;
  /* items[t] is used as a per-tensor table first (first = -1: not planned; -2: a view's output, step 2b, whose
   * tensor field names the owner of its place), then compacted */
  for (i = 0; i < m->tensor_count; i++) {
    items[i].tensor = i;
    items[i].first = -1;
    items[i].last = -1;
    items[i].size = 0;
    items[i].max_size = 0;
    items[i].offset = 0;
  }
  for (k = 0; k < m->input_count; k++) {
    tl_plan_item *it = &items[m->inputs[k]];
    it->first = 0;
    it->last = 0;
  }
  for (i = 0; i < m->op_count; i++) {
    const tl_op_desc *op = &m->ops[i];
    for (k = 0; k < op->output_count; k++) {
      tl_plan_item *it = &items[op->outputs[k]];
      it->first = i;
      if (it->last < i) it->last = i;
    }
    for (k = 0; k < op->input_count; k++) {
      tl_plan_item *it = &items[op->inputs[k]];
      if (it->first < 0) it->first = 0; /* constants are skipped below */
      if (it->last < i) it->last = i;
    }
  }
  /* graph inputs and outputs live through the whole invoke: the caller sets inputs once and may invoke
   * again (or read them back) without setting them anew; released inputs end at their last reader */
  for (k = 0; k < m->input_count && !release_inputs; k++) {
    tl_plan_item *it = &items[m->inputs[k]];
    if (it->last < last_op) it->last = last_op;
  }
  for (k = 0; k < m->output_count; k++) {
    tl_plan_item *it = &items[m->outputs[k]];
    if (it->first < 0) it->first = 0;
    if (it->last < last_op) it->last = last_op;
  }
  /* step 2b: a view's output joins the place of its source (a chain's first tensor: ops run in order, so the
   * source of a view of a view already points at it); marked unplanned, its tensor field the place's owner */
  for (i = 0; i < m->op_count; i++) {
    int32_t a = tl_plan_view_source(m, i), b;
    tl_plan_item *owner, *view;
    if (a < 0) continue;
    b = m->ops[i].outputs[0];
    owner = &items[items[a].first == -2 ? items[a].tensor : a];
    view = &items[b];
    if (owner->first > view->first) owner->first = view->first;
    if (owner->last < view->last) owner->last = view->last;
    view->first = -2;
    view->tensor = owner->tensor;
  }
  for (i = 0; i < m->tensor_count; i++) {
    tl_plan_item it = items[i];
    if (it.first < 0 || m->is_constant[i]) continue;
    if (m->op_count == 0) it.first = it.last = 0;
    TL_ENSURE(err, tl_align_size(m->tensors[i].bytes, TL_ARENA_ALIGNMENT, &it.size), TL_ERROR_LIMIT_EXCEEDED,
              "plan: tensor %d (%s) size overflows", i, m->tensors[i].name);
    items[n++] = it; /* n <= i: compaction never overwrites an unread entry */
  }
  *count = n;
  return TL_OK;
}

/* The orders the planner sorts by; each is total (ties by item position, unique). */
enum { TL_PLAN_BY_PLACEMENT = 0, TL_PLAN_BY_FIRST = 1, TL_PLAN_BY_LAST = 2, TL_PLAN_BY_OFFSET = 3 };

/* 1 when item a comes before item b in the order `key`. Placement (step 4): size descending, then tensor index
 * ascending (unique), exactly as the Python mirror. */
static int tl_plan_less(const tl_plan_item *items, int32_t a, int32_t b, int key) {
  const tl_plan_item *x = &items[a], *y = &items[b];
  switch (key) {
    case TL_PLAN_BY_PLACEMENT:
      if (x->size != y->size) return x->size > y->size;
      return x->tensor < y->tensor;
    case TL_PLAN_BY_FIRST:
      if (x->first != y->first) return x->first < y->first;
      break;
    case TL_PLAN_BY_LAST:
      if (x->last != y->last) return x->last < y->last;
      break;
    default:
      if (x->offset != y->offset) return x->offset < y->offset;
      break;
  }
  return a < b;
}

/* Max-heap on "comes later in the order", so the heap sort leaves v ascending. */
static void tl_plan_sift(const tl_plan_item *items, int32_t *v, int32_t root, int32_t n, int key) {
  for (;;) {
    int32_t child = 2 * root + 1, t;
    if (child >= n) return;
    if (child + 1 < n && tl_plan_less(items, v[child], v[child + 1], key)) child++;
    if (!tl_plan_less(items, v[root], v[child], key)) return;
    t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

/* Heap sort of the item indices v[0..n) by `key`: O(n log n), no allocation. Any correct sort gives the same
 * result because every key is a total order. */
static void tl_plan_sort(const tl_plan_item *items, int32_t *v, int32_t n, int key) {
  int32_t i;
  for (i = n / 2 - 1; i >= 0; i--) tl_plan_sift(items, v, i, n, key);
  for (i = n - 1; i > 0; i--) {
    int32_t t = v[0];
    v[0] = v[i];
    v[i] = t;
    tl_plan_sift(items, v, 0, i, key);
  }
}

/* Leaves scratch[0..n) sorted by (first, index) (tl_plan_place reuses it) and scratch[n..2n) by last. */
uint64_t tl_plan_overlap_pairs(const tl_plan_item *items, int32_t n, int32_t *scratch) {
  int32_t *by_first = scratch, *by_last = scratch + (n > 0 ? n : 0), i, j = 0;
  uint64_t disjoint = 0, all;
  if (n <= 1) return 0;
  for (i = 0; i < n; i++) by_first[i] = by_last[i] = i;
  tl_plan_sort(items, by_first, n, TL_PLAN_BY_FIRST);
  tl_plan_sort(items, by_last, n, TL_PLAN_BY_LAST);
  /* a disjoint pair has exactly one member that ends before the other starts: count, for each item x, the
   * items y with y.last < x.first */
  for (i = 0; i < n; i++) {
    int32_t f = items[by_first[i]].first;
    while (j < n && items[by_last[j]].last < f) j++;
    disjoint += (uint64_t)j;
  }
  all = (uint64_t)n * (uint64_t)(n - 1) / 2u;
  return all - disjoint;
}

/* The placed items (tree: a max-tree of `last` over the by_first positions, -1 where not placed) whose
 * lifetimes intersect it's, except items[skip], into found sorted by offset; returns their count. The placed
 * items with first <= it.last are a prefix of by_first; the tree reports those with last >= it.first,
 * depth-first, so the stack holds at most two entries per tree level. */
static int32_t tl_plan_overlapping(const tl_plan_item *items, int32_t n, const int32_t *by_first, const int32_t *tree,
                                   int32_t leaves, const tl_plan_item *it, int32_t skip, int32_t *found) {
  int32_t lo = 0, hi = n, k = 0, sp = 0;
  int32_t stack[3 * 64];
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (items[by_first[mid]].first <= it->last) lo = mid + 1;
    else hi = mid;
  }
  hi = lo;
  stack[sp++] = 1;
  stack[sp++] = 0;
  stack[sp++] = leaves;
  while (sp > 0) {
    int32_t width = stack[--sp], start = stack[--sp], node = stack[--sp];
    if (tree[node] < it->first || start >= hi) continue;
    if (width == 1) {
      if (by_first[start] != skip) found[k++] = by_first[start];
      continue;
    }
    stack[sp++] = 2 * node + 1;
    stack[sp++] = start + width / 2;
    stack[sp++] = width / 2;
    stack[sp++] = 2 * node;
    stack[sp++] = start;
    stack[sp++] = width / 2;
  }
  tl_plan_sort(items, found, k, TL_PLAN_BY_OFFSET);
  return k;
}

tl_status tl_plan_place(tl_plan_item *items, int32_t n, int32_t *scratch, uint64_t max_pairs, uint64_t *pairs,
                        size_t *arena_bytes, tl_errbuf *err) {
  int32_t *order, *by_first, *pos, *found, *tree;
  int32_t i, leaves = 1;
  uint64_t overlapping;
  size_t arena = 0;
  *arena_bytes = 0;
  if (pairs) *pairs = 0;
  if (n <= 0) return TL_OK;
  order = scratch;
  by_first = scratch + n;
  pos = scratch + 2 * (size_t)n;
  found = scratch + 3 * (size_t)n;
  tree = scratch + 4 * (size_t)n;
  /* the overlapping pairs bound the work below; by_first comes back sorted by (first, index) */
  overlapping = tl_plan_overlap_pairs(items, n, by_first);
  if (pairs) *pairs = overlapping;
  TL_ENSURE(err, overlapping <= max_pairs, TL_ERROR_LIMIT_EXCEEDED,
            "plan: %llu pairs of tensors are alive at the same time, above the limit of %llu",
            (unsigned long long)overlapping, (unsigned long long)max_pairs);
  if (n == 1) by_first[0] = 0;
  for (i = 0; i < n; i++) pos[by_first[i]] = i;
  /* tree: a max-tree of `last` over the by_first positions, -1 where the item is not placed yet */
  while (leaves < n) leaves *= 2;
  for (i = 0; i < 2 * leaves; i++) tree[i] = -1;
  /* Step 4 */
  for (i = 0; i < n; i++) order[i] = i;
  tl_plan_sort(items, order, n, TL_PLAN_BY_PLACEMENT);
  /* Step 5 */
  for (i = 0; i < n; i++) {
    tl_plan_item *it = &items[order[i]];
    size_t candidate = 0, end;
    int32_t k = tl_plan_overlapping(items, n, by_first, tree, leaves, it, -1, found), j, node;
    /* the scan of step 5 over them, in offset order: the first gap of at least `size` wins */
    for (j = 0; j < k; j++) {
      const tl_plan_item *q = &items[found[j]];
      size_t q_end;
      if (q->offset >= candidate && q->offset - candidate >= it->size) break;
      q_end = q->offset + q->size; /* fits: it was checked when q was placed */
      if (q_end > candidate) candidate = q_end;
    }
    it->offset = candidate;
    TL_ENSURE(err, tl_add_size(candidate, it->size, &end), TL_ERROR_LIMIT_EXCEEDED,
              "plan: arena offset overflows for tensor %d", it->tensor);
    if (end > arena) arena = end;
    /* mark it placed */
    node = leaves + pos[order[i]];
    tree[node] = it->last;
    while (node > 1) {
      node /= 2;
      if (tree[node] >= it->last) break;
      tree[node] = it->last;
    }
  }
#if !defined(TL_FREESTANDING) /* only the optimized kernels ask for scratch ranges; freestanding builds have none */
  /* Step 7: items that may grow take the roomiest gap below the arena's end */
  for (i = 0; i < n; i++) {
    tl_plan_item *it = &items[i];
    size_t candidate = 0, best = it->offset, best_room = it->size;
    int32_t k, j;
    if (it->max_size <= it->size) continue;
    k = tl_plan_overlapping(items, n, by_first, tree, leaves, it, i, found);
    for (j = 0; j <= k; j++) {
      const size_t gap_end = j < k ? items[found[j]].offset : arena;
      if (gap_end > candidate) {
        const size_t room = (gap_end - candidate) / TL_ARENA_ALIGNMENT * TL_ARENA_ALIGNMENT;
        if (room >= it->max_size) {
          best = candidate;
          best_room = it->max_size;
          break;
        }
        if (room > best_room || (room == best_room && candidate < best)) {
          best = candidate;
          best_room = room;
        }
      }
      if (j < k && items[found[j]].offset + items[found[j]].size > candidate)
        candidate = items[found[j]].offset + items[found[j]].size;
    }
    it->offset = best;
    it->size = best_room < it->max_size ? best_room : it->max_size;
  }
#endif
  *arena_bytes = arena;
  return TL_OK;
}

size_t tl_plan_lower_bound(const tl_plan_item *items, int32_t n, int32_t op_count) {
  int32_t step, i, steps = op_count > 0 ? op_count : 1;
  size_t best = 0;
  for (step = 0; step < steps; step++) {
    size_t sum = 0;
    for (i = 0; i < n; i++) {
      if (items[i].first <= step && step <= items[i].last) sum += items[i].size;
    }
    if (sum > best) best = sum;
  }
  return best;
}
