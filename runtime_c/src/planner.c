/* planner.c: the greedy arena planner (algorithm and its contract in planner.h). */
#include "planner.h"

size_t tl_plan_scratch_bytes(int32_t tensor_count) {
  size_t n = tensor_count > 0 ? (size_t)tensor_count : 1u;
  /* counts are capped (TL_MAX_TENSORS), so these products cannot overflow */
  return n * sizeof(tl_plan_item) + n * sizeof(int32_t);
}

tl_status tl_plan_collect(const tl_model *m, tl_plan_item *items, int32_t *count, tl_errbuf *err) {
  int32_t i, k, n = 0;
  int32_t last_op = m->op_count > 0 ? m->op_count - 1 : 0;
  /* items[t] is used as a per-tensor table first (first = -1: not planned), then compacted */
  for (i = 0; i < m->tensor_count; i++) {
    items[i].tensor = i;
    items[i].first = -1;
    items[i].last = -1;
    items[i].size = 0;
    items[i].offset = 0;
    items[i].next = -1;
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
   * again (or read them back) without setting them anew */
  for (k = 0; k < m->input_count; k++) {
    tl_plan_item *it = &items[m->inputs[k]];
    if (it->last < last_op) it->last = last_op;
  }
  for (k = 0; k < m->output_count; k++) {
    tl_plan_item *it = &items[m->outputs[k]];
    if (it->first < 0) it->first = 0;
    if (it->last < last_op) it->last = last_op;
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

static int tl_plan_before(const tl_plan_item *a, const tl_plan_item *b) {
  if (a->size != b->size) return a->size > b->size;
  return a->tensor < b->tensor;
}

/* Max-heap on "comes later in the order", so the heap sort leaves the order ascending. */
static void tl_plan_sift(const tl_plan_item *items, int32_t *order, int32_t root, int32_t n) {
  for (;;) {
    int32_t child = 2 * root + 1, t;
    if (child >= n) return;
    if (child + 1 < n && tl_plan_before(&items[order[child]], &items[order[child + 1]])) child++;
    if (!tl_plan_before(&items[order[root]], &items[order[child]])) return;
    t = order[root];
    order[root] = order[child];
    order[child] = t;
    root = child;
  }
}

tl_status tl_plan_place(tl_plan_item *items, int32_t n, int32_t *order, size_t *arena_bytes, tl_errbuf *err) {
  int32_t i, j, head = -1;
  size_t arena = 0;
  /* Step 4: heap sort of indices by (size desc, tensor asc). The key is a total order (tensor indices are
   * unique), so any correct sort yields the same order as the Python mirror; heap sort keeps it O(n log n)
   * without allocation. */
  for (i = 0; i < n; i++) order[i] = i;
  for (i = n / 2 - 1; i >= 0; i--) tl_plan_sift(items, order, i, n);
  for (j = n - 1; j > 0; j--) {
    int32_t t = order[0];
    order[0] = order[j];
    order[j] = t;
    tl_plan_sift(items, order, 0, j);
  }
  /* Step 5: `head` is a singly linked list of placed items sorted by offset. For each item, walk it in offset
   * order, skipping items whose lifetimes do not intersect; the first gap of at least `size` below the next
   * overlapping item wins. */
  for (i = 0; i < n; i++) {
    tl_plan_item *it = &items[order[i]];
    size_t candidate = 0, end;
    int32_t p, prev = -1, cur;
    for (p = head; p >= 0; p = items[p].next) {
      const tl_plan_item *q = &items[p];
      size_t q_end;
      if (q->last < it->first || q->first > it->last) continue;
      if (q->offset >= candidate && q->offset - candidate >= it->size) break;
      q_end = q->offset + q->size; /* fits: it was checked when q was placed */
      if (q_end > candidate) candidate = q_end;
    }
    it->offset = candidate;
    TL_ENSURE(err, tl_add_size(candidate, it->size, &end), TL_ERROR_LIMIT_EXCEEDED,
              "plan: arena offset overflows for tensor %d", it->tensor);
    if (end > arena) arena = end;
    /* insert into the offset-sorted list (after items with an equal offset) */
    cur = head;
    while (cur >= 0 && items[cur].offset <= it->offset) {
      prev = cur;
      cur = items[cur].next;
    }
    it->next = cur;
    if (prev < 0) head = order[i];
    else items[prev].next = order[i];
  }
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
