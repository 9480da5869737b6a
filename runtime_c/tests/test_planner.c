/* test_planner: the greedy arena planner (runtime_c/src/planner.h) against hand-computed plans, a seeded
 * random no-overlap property check, and lifetimes collected from real models. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "planner.h"
#include "tensorlet.h"
#include "test_models.h"
#include "tl_test.h"

#define MAXN 64

typedef struct spec {
  int32_t first, last;
  size_t size;
} spec;

/* Plans n items given as {first, last, size}; tensor index = position. Returns the arena size. */
#define SCRATCH(n) (8 * (n)) /* TL_PLAN_SCRATCH_INTS for n items */

static size_t plan(const spec *s, int32_t n, tl_plan_item *items) {
  int32_t order[SCRATCH(MAXN)], i;
  size_t arena = 0;
  tl_errbuf err = {NULL, 0};
  for (i = 0; i < n; i++) {
    items[i].tensor = i;
    items[i].first = s[i].first;
    items[i].last = s[i].last;
    items[i].size = s[i].size;
    items[i].max_size = 0;
    items[i].offset = (size_t)-1;
  }
  TL_EXPECT_EQ(tl_plan_place(items, n, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
  return arena;
}

/* Offsets by tensor index (items keep their positions; only `next` and `offset` change). */
static void expect_offsets(const tl_plan_item *items, const size_t *want, int32_t n) {
  int32_t i;
  for (i = 0; i < n; i++) {
    if (items[i].offset != want[i]) {
      printf("  tensor %d: offset %u, want %u\n", (int)i, (unsigned)items[i].offset, (unsigned)want[i]);
      TL_EXPECT_EQ(items[i].offset, want[i]);
    }
  }
}

TL_TEST(test_chain) {
  /* op0: t0 -> t1, op1: t1 -> t2 (t2 a graph output) */
  const spec s[] = {{0, 0, 64}, {0, 1, 64}, {1, 1, 64}};
  const size_t want[] = {0, 64, 0};
  tl_plan_item it[3];
  TL_EXPECT_EQ(plan(s, 3, it), 128);
  expect_offsets(it, want, 3);
  TL_EXPECT_EQ(tl_plan_lower_bound(it, 3, 2), 128);
}

TL_TEST(test_diamond) {
  /* op0: t0 -> t1, op1: t0 -> t2, op2: (t1, t2) -> t3.
   * order t3(64), t1(48), t0(32), t2(16): t3@0; t1 meets t3 at step 2 -> 64; t0 only meets t1 -> 0;
   * t2 meets all three: t3@0..64, t0@0..32, t1@64..112 -> 112. */
  const spec s[] = {{0, 1, 32}, {0, 2, 48}, {1, 2, 16}, {2, 2, 64}};
  const size_t want[] = {0, 64, 112, 0};
  tl_plan_item it[4];
  TL_EXPECT_EQ(plan(s, 4, it), 128);
  expect_offsets(it, want, 4);
  TL_EXPECT_EQ(tl_plan_lower_bound(it, 4, 3), 128);
}

TL_TEST(test_long_lived_tensor) {
  /* t0 lives through all 4 steps; t1..t4 live one step each and share offset 0; t0 goes above them. */
  const spec s[] = {{0, 3, 16}, {0, 0, 32}, {1, 1, 32}, {2, 2, 32}, {3, 3, 32}};
  const size_t want[] = {32, 0, 0, 0, 0};
  tl_plan_item it[5];
  TL_EXPECT_EQ(plan(s, 5, it), 48);
  expect_offsets(it, want, 5);
  TL_EXPECT_EQ(tl_plan_lower_bound(it, 5, 4), 48);
}

TL_TEST(test_ties_by_tensor_index) {
  /* equal sizes: t0 first (0), t1 meets t0 (16), t2 meets only t0 so it takes the gap at 16 */
  const spec s[] = {{0, 1, 16}, {1, 2, 16}, {0, 0, 16}};
  const size_t want[] = {0, 16, 16};
  tl_plan_item it[3];
  TL_EXPECT_EQ(plan(s, 3, it), 32);
  expect_offsets(it, want, 3);
}

TL_TEST(test_first_gap_that_fits) {
  /* A(64)@0; B(32) meets A -> 64; C(32) meets only B -> 0; D(16) meets B and C: gap [32, 64) fits -> 32 */
  const spec s[] = {{0, 0, 64}, {0, 2, 32}, {1, 2, 32}, {2, 2, 16}};
  const size_t want[] = {0, 64, 0, 32};
  tl_plan_item it[4];
  TL_EXPECT_EQ(plan(s, 4, it), 96);
  expect_offsets(it, want, 4);
  TL_EXPECT_EQ(tl_plan_lower_bound(it, 4, 3), 96);
}

TL_TEST(test_empty_plan) {
  tl_plan_item it[1];
  TL_EXPECT_EQ(plan(NULL, 0, it), 0);
  TL_EXPECT_EQ(tl_plan_lower_bound(it, 0, 0), 0);
}

static uint32_t lcg(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

TL_TEST(test_random_plans_never_overlap) {
  uint32_t seed = 20261126u;
  int round;
  for (round = 0; round < 200; round++) {
    spec s[MAXN];
    tl_plan_item it[MAXN];
    int32_t n = 1 + (int32_t)(lcg(&seed) % MAXN), steps = 1 + (int32_t)(lcg(&seed) % 12), i, j;
    size_t arena, max_end = 0;
    int bad = 0;
    for (i = 0; i < n; i++) {
      int32_t a = (int32_t)(lcg(&seed) % (uint32_t)steps), b = (int32_t)(lcg(&seed) % (uint32_t)steps);
      s[i].first = a < b ? a : b;
      s[i].last = a < b ? b : a;
      s[i].size = 16u * (1u + lcg(&seed) % 8u);
    }
    arena = plan(s, n, it);
    for (i = 0; i < n; i++) {
      if (it[i].offset % 16u != 0) bad++;
      if (it[i].offset + it[i].size > max_end) max_end = it[i].offset + it[i].size;
      for (j = i + 1; j < n; j++) {
        int live = it[i].first <= it[j].last && it[j].first <= it[i].last;
        int mem = it[i].offset < it[j].offset + it[j].size && it[j].offset < it[i].offset + it[i].size;
        if (live && mem) bad++;
      }
    }
    TL_EXPECT_EQ(bad, 0);
    TL_EXPECT_EQ(arena, max_end);
    TL_EXPECT_TRUE(arena >= tl_plan_lower_bound(it, n, steps));
  }
}

TL_TEST(test_random_chains_meet_the_lower_bound) {
  /* A chain (op k reads t_k, writes t_{k+1}) of equal-sized activations (an MLP of equal widths, a stack of
   * same-padding convs) keeps two tensors alive per step: the plan ping-pongs between two slots and meets the
   * lower bound. (With mixed sizes greedy can exceed the bound; only no-overlap is promised there.) */
  uint32_t seed = 7u;
  int round;
  for (round = 0; round < 100; round++) {
    spec s[MAXN];
    tl_plan_item it[MAXN];
    int32_t ops = 1 + (int32_t)(lcg(&seed) % (MAXN - 1)), k;
    size_t arena, bound;
    size_t bytes = 1u + lcg(&seed) % 200u;
    for (k = 0; k <= ops; k++) {
      s[k].first = k == 0 ? 0 : k - 1;
      s[k].last = k == ops ? ops - 1 : k;
      s[k].size = (bytes + 15u) & ~(size_t)15u;
    }
    arena = plan(s, ops + 1, it);
    bound = tl_plan_lower_bound(it, ops + 1, ops);
    TL_EXPECT_EQ(arena, bound);
    TL_EXPECT_EQ(arena, 2 * ((bytes + 15u) & ~(size_t)15u));
  }
}

TL_TEST(test_collect_from_model) {
  tl_model *m = NULL;
  tl_plan_item it[16];
  int32_t order[SCRATCH(16)], n = 0;
  size_t arena = 0;
  tl_errbuf err = {NULL, 0};
  TL_EXPECT_EQ(tl_model_load(tm_mlp, sizeof tm_mlp, &m, NULL, 0), TL_OK);
  if (m == NULL) return;
  TL_EXPECT_EQ(tl_model_tensor_count(m), 9);
  TL_EXPECT_EQ(tl_plan_collect(m, 0, it, &n, &err), TL_OK);
  /* planned: x(0) [0,3] (a graph input), dense/out(3) [0,1], relu(4) [1,2], logits(7) [2,3] (a graph output),
   * probs(8) [3,3] */
  TL_EXPECT_EQ(n, 5);
  if (n == 5) {
    const int32_t tensor[] = {0, 3, 4, 7, 8}, first[] = {0, 0, 1, 2, 3}, last[] = {3, 1, 2, 3, 3};
    const size_t size[] = {64, 128, 128, 32, 32};
    int32_t i;
    for (i = 0; i < 5; i++) {
      TL_EXPECT_EQ(it[i].tensor, tensor[i]);
      TL_EXPECT_EQ(it[i].first, first[i]);
      TL_EXPECT_EQ(it[i].last, last[i]);
      TL_EXPECT_EQ(it[i].size, size[i]);
    }
  }
  TL_EXPECT_EQ(tl_plan_place(it, n, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
  TL_EXPECT_EQ(arena, TM_MLP_ARENA_BYTES); /* the exporter's Python planner agrees */
  TL_EXPECT_EQ(arena, tl_plan_lower_bound(it, n, 4));
  /* release_inputs: x ends at its only reader, op 0; the rest is unchanged */
  TL_EXPECT_EQ(tl_plan_collect(m, 1, it, &n, &err), TL_OK);
  TL_EXPECT_EQ(n, 5);
  TL_EXPECT_EQ(it[0].tensor, 0);
  TL_EXPECT_EQ(it[0].last, 0);
  TL_EXPECT_EQ(it[3].last, 3);
  tl_model_destroy(m);

  TL_EXPECT_EQ(tl_model_load(tm_identity, sizeof tm_identity, &m, NULL, 0), TL_OK);
  if (m == NULL) return;
  TL_EXPECT_EQ(tl_plan_collect(m, 0, it, &n, &err), TL_OK);
  TL_EXPECT_EQ(n, 1);
  TL_EXPECT_EQ(it[0].first, 0);
  TL_EXPECT_EQ(it[0].last, 0);
  TL_EXPECT_EQ(tl_plan_place(it, n, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
  TL_EXPECT_EQ(arena, TM_IDENTITY_ARENA_BYTES);
  tl_model_destroy(m);
}

TL_TEST(test_random_graphs_match_the_python_planner) {
  /* trainer/tlm/planner.py planned these graphs (gen_test_models.py); the C planner must agree exactly */
  int g;
  for (g = 0; g < TM_GRAPH_COUNT; g++) {
    const tm_graph *G = &tm_graphs[g];
    tl_tensor_desc tensors[16];
    tl_op_desc ops[8];
    uint8_t is_constant[16];
    tl_model m;
    tl_plan_item it[16];
    int32_t order[SCRATCH(16)], n = 0, k, mismatches = 0;
    size_t arena = 0;
    tl_errbuf err = {NULL, 0};
    memset(&m, 0, sizeof m);
    memset(tensors, 0, sizeof tensors);
    memset(ops, 0, sizeof ops);
    for (k = 0; k < G->tensors; k++) {
      tensors[k].name = "";
      tensors[k].bytes = (size_t)G->bytes[k];
      is_constant[k] = G->constant[k];
    }
    for (k = 0; k < G->ops; k++) {
      ops[k].input_count = G->op_in_n[k];
      ops[k].inputs = G->op_in[k];
      ops[k].output_count = 1;
      ops[k].outputs = &G->op_out[k];
    }
    m.tensor_count = G->tensors;
    m.op_count = G->ops;
    m.input_count = G->n_in;
    m.output_count = G->n_out;
    m.inputs = G->inputs;
    m.outputs = G->outputs;
    m.tensors = tensors;
    m.ops = ops;
    m.is_constant = is_constant;
    TL_EXPECT_EQ(tl_plan_collect(&m, 0, it, &n, &err), TL_OK);
    TL_EXPECT_EQ(tl_plan_place(it, n, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
    TL_EXPECT_EQ(arena, G->arena);
    for (k = 0; k < n; k++) {
      if ((long)it[k].offset != G->offsets[it[k].tensor]) mismatches++;
    }
    for (k = 0; k < G->tensors; k++) n -= G->offsets[k] >= 0; /* same set of planned tensors */
    if (mismatches || n != 0) printf("  graph %d: %d offsets differ, planned count off by %d\n", g, (int)mismatches, (int)n);
    TL_EXPECT_EQ(mismatches, 0);
    TL_EXPECT_EQ(n, 0);
  }
}

/* The planner before the interval index (O(n^2)): a list of placed items sorted by offset, walked in full for
 * each item. Kept as the reference the fast planner must match exactly. */
static size_t reference_plan(tl_plan_item *items, int32_t n, int32_t *order, int32_t *next) {
  int32_t i, j, head = -1;
  size_t arena = 0;
  for (i = 0; i < n; i++) order[i] = i;
  for (i = 1; i < n; i++) { /* insertion sort by (size desc, tensor asc) */
    int32_t v = order[i];
    for (j = i; j > 0; j--) {
      const tl_plan_item *a = &items[order[j - 1]], *b = &items[v];
      if (a->size > b->size || (a->size == b->size && a->tensor < b->tensor)) break;
      order[j] = order[j - 1];
    }
    order[j] = v;
  }
  for (i = 0; i < n; i++) {
    tl_plan_item *it = &items[order[i]];
    size_t candidate = 0;
    int32_t p, prev = -1, cur;
    for (p = head; p >= 0; p = next[p]) {
      const tl_plan_item *q = &items[p];
      if (q->last < it->first || q->first > it->last) continue;
      if (q->offset >= candidate && q->offset - candidate >= it->size) break;
      if (q->offset + q->size > candidate) candidate = q->offset + q->size;
    }
    it->offset = candidate;
    if (candidate + it->size > arena) arena = candidate + it->size;
    cur = head;
    while (cur >= 0 && items[cur].offset <= it->offset) {
      prev = cur;
      cur = next[cur];
    }
    next[order[i]] = cur;
    if (prev < 0) head = order[i];
    else next[prev] = order[i];
  }
  return arena;
}

static uint64_t reference_pairs(const tl_plan_item *items, int32_t n) {
  uint64_t pairs = 0;
  int32_t i, j;
  for (i = 0; i < n; i++) {
    for (j = i + 1; j < n; j++) pairs += items[i].first <= items[j].last && items[j].first <= items[i].last;
  }
  return pairs;
}

TL_TEST(test_matches_the_quadratic_reference) {
  /* random lifetimes and sizes with many ties (few steps, few sizes, zero sizes, tensor indices out of
   * position order): same offsets, arena and pair count as the O(n^2) planner */
  enum { N = 400 };
  tl_plan_item *fast = (tl_plan_item *)malloc(N * sizeof *fast), *ref = (tl_plan_item *)malloc(N * sizeof *ref);
  int32_t *scratch = (int32_t *)malloc(SCRATCH(N) * sizeof *scratch), *order = (int32_t *)malloc(2 * N * sizeof *order);
  uint32_t seed = 12345u;
  int round, diffs = 0;
  if (!fast || !ref || !scratch || !order) {
    TL_EXPECT_TRUE(0);
    return;
  }
  for (round = 0; round < 300; round++) {
    int32_t n = (int32_t)(lcg(&seed) % (round < 100 ? 24u : (uint32_t)N)) + (round == 0 ? 0 : 1);
    int32_t steps = 1 + (int32_t)(lcg(&seed) % (round % 3 == 0 ? 4u : 60u)), i;
    uint32_t sizes = 1 + lcg(&seed) % (round % 2 ? 3u : 40u);
    size_t arena = 0, want;
    uint64_t pairs = 0;
    for (i = 0; i < n; i++) {
      int32_t a = (int32_t)(lcg(&seed) % (uint32_t)steps), span = (int32_t)(lcg(&seed) % (uint32_t)steps);
      fast[i].tensor = (int32_t)((uint32_t)(i * 7919) % 65536u); /* unique, not in position order */
      fast[i].first = a;
      fast[i].last = round % 5 == 0 ? steps - 1 : (a + span / 4 < steps ? a + span / 4 : steps - 1);
      fast[i].size = 16u * (lcg(&seed) % sizes);
      fast[i].max_size = 0;
      fast[i].offset = 0;
      ref[i] = fast[i];
    }
    want = reference_plan(ref, n, order, order + N);
    TL_EXPECT_EQ(tl_plan_place(fast, n, scratch, UINT64_MAX, &pairs, &arena, NULL), TL_OK);
    TL_EXPECT_EQ(arena, want);
    TL_EXPECT_EQ(pairs, reference_pairs(ref, n));
    for (i = 0; i < n; i++) diffs += fast[i].offset != ref[i].offset;
  }
  TL_EXPECT_EQ(diffs, 0);
  free(fast);
  free(ref);
  free(scratch);
  free(order);
}

TL_TEST(test_pair_limit) {
  /* three tensors alive together: 3 pairs; a chain of 4 one-step tensors: none */
  const spec all[] = {{0, 2, 16}, {1, 2, 32}, {2, 2, 48}};
  tl_plan_item it[3];
  int32_t scratch[SCRATCH(3)], i;
  size_t arena = 7;
  uint64_t pairs = 0;
  char msg[160];
  tl_errbuf err;
  err.buf = msg;
  err.size = sizeof msg;
  for (i = 0; i < 3; i++) {
    it[i].tensor = i;
    it[i].first = all[i].first;
    it[i].last = all[i].last;
    it[i].size = all[i].size;
    it[i].max_size = 0;
    it[i].offset = 0;
  }
  TL_EXPECT_EQ(tl_plan_overlap_pairs(it, 3, scratch), 3);
  TL_EXPECT_EQ(tl_plan_place(it, 3, scratch, 2, &pairs, &arena, &err), TL_ERROR_LIMIT_EXCEEDED);
  TL_EXPECT_EQ(pairs, 3);
  TL_EXPECT_EQ(arena, 0);
  TL_EXPECT_TRUE(strstr(msg, "3 pairs") != NULL);
  TL_EXPECT_EQ(tl_plan_place(it, 3, scratch, 3, &pairs, &arena, &err), TL_OK);
  TL_EXPECT_EQ(arena, 96);
  for (i = 0; i < 3; i++) {
    it[i].first = it[i].last = i;
  }
  TL_EXPECT_EQ(tl_plan_place(it, 3, scratch, 0, &pairs, &arena, &err), TL_OK);
  TL_EXPECT_EQ(pairs, 0);
  TL_EXPECT_EQ(arena, 48);
}

TL_TEST(test_long_chain) {
  /* the 65,535-op chain: each activation meets its neighbours only; ping-pong between two slots */
  enum { N = 65536 };
  tl_plan_item *it = (tl_plan_item *)malloc(N * sizeof *it);
  int32_t *scratch = (int32_t *)malloc(SCRATCH(N) * sizeof *scratch), k, bad = 0;
  size_t arena = 0;
  uint64_t pairs = 0;
  if (!it || !scratch) {
    TL_EXPECT_TRUE(0);
    return;
  }
  for (k = 0; k < N; k++) {
    it[k].tensor = k;
    it[k].first = k == 0 ? 0 : k - 1;
    it[k].last = k == N - 1 ? N - 2 : k;
    it[k].size = 16;
    it[k].max_size = 0;
    it[k].offset = 0;
  }
  TL_EXPECT_EQ(tl_plan_place(it, N, scratch, UINT64_MAX, &pairs, &arena, NULL), TL_OK);
  TL_EXPECT_EQ(pairs, N - 1); /* neighbours only */
  TL_EXPECT_EQ(arena, 32);
  for (k = 1; k < N; k++) bad += it[k].offset == it[k - 1].offset;
  TL_EXPECT_EQ(bad, 0);
  free(it);
  free(scratch);
}

TL_TEST(test_growing_items) {
  /* op0: t0 (256) -> t1 (64); op1: t1 -> t2 (64); op1's scratch t3 asks for 32 bytes and could use 512 */
  const spec s[] = {{0, 0, 256}, {0, 1, 64}, {1, 1, 64}, {1, 1, 32}};
  tl_plan_item it[4];
  int32_t order[SCRATCH(4)];
  size_t arena = 0;
  tl_errbuf err = {NULL, 0};
  int32_t i;
  for (i = 0; i < 4; i++) {
    it[i].tensor = i;
    it[i].first = s[i].first;
    it[i].last = s[i].last;
    it[i].size = s[i].size;
    it[i].max_size = i == 3 ? 512u : 0u;
    it[i].offset = (size_t)-1;
  }
  TL_EXPECT_EQ(tl_plan_place(it, 4, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
  /* steps 4-6 with the 32-byte request: t0 at 0, t1 at 256, t2 at 0, t3 at 64; arena 320 */
  TL_EXPECT_EQ(arena, 320u);
  TL_EXPECT_EQ(it[1].offset, 256u);
  TL_EXPECT_EQ(it[2].offset, 0u);
  /* step 7: the roomiest gap at op1 is [64, 256): t3 takes all 192 bytes, the arena stays */
  TL_EXPECT_EQ(it[3].offset, 64u);
  TL_EXPECT_EQ(it[3].size, 192u);
  /* room for all of it: max_size, in the first gap that holds it */
  for (i = 0; i < 4; i++) it[i].offset = (size_t)-1;
  it[3].size = 32;
  it[3].max_size = 128;
  TL_EXPECT_EQ(tl_plan_place(it, 4, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
  TL_EXPECT_EQ(arena, 320u);
  TL_EXPECT_EQ(it[3].offset, 64u);
  TL_EXPECT_EQ(it[3].size, 128u);
}

TL_TEST(test_random_growing_items_never_overlap) {
  /* seeded random plans where some items may grow: no two time-overlapping items overlap in space, no item
   * shrinks or passes its max_size, and the arena equals the plan without growth */
  uint32_t seed = 20261207u;
  int round;
  for (round = 0; round < 200; round++) {
    spec s[MAXN];
    tl_plan_item it[MAXN], fixed[MAXN];
    int32_t n = 2 + (int32_t)(lcg(&seed) % (MAXN - 2)), i, j, order[SCRATCH(MAXN)];
    size_t arena = 0, arena_fixed = 0;
    tl_errbuf err = {NULL, 0};
    for (i = 0; i < n; i++) {
      s[i].first = (int32_t)(lcg(&seed) % 10u);
      s[i].last = s[i].first + (int32_t)(lcg(&seed) % 4u);
      s[i].size = 16u * (1u + lcg(&seed) % 8u);
    }
    arena_fixed = plan(s, n, fixed);
    for (i = 0; i < n; i++) {
      it[i] = fixed[i];
      it[i].offset = (size_t)-1;
      /* a third of the one-step items may grow up to 8 times their size */
      it[i].max_size = s[i].first == s[i].last && lcg(&seed) % 3u == 0 ? s[i].size * 8u : 0u;
    }
    TL_EXPECT_EQ(tl_plan_place(it, n, order, UINT64_MAX, NULL, &arena, &err), TL_OK);
    TL_EXPECT_EQ(arena, arena_fixed);
    for (i = 0; i < n; i++) {
      TL_EXPECT_TRUE(it[i].size >= s[i].size);
      TL_EXPECT_TRUE(it[i].max_size == 0 ? it[i].size == s[i].size : it[i].size <= it[i].max_size);
      TL_EXPECT_TRUE(it[i].offset + it[i].size <= arena);
      for (j = 0; j < i; j++) {
        const int time = it[i].first <= it[j].last && it[j].first <= it[i].last;
        const int space = it[i].offset < it[j].offset + it[j].size && it[j].offset < it[i].offset + it[i].size;
        TL_EXPECT_TRUE(!(time && space));
      }
    }
  }
}

int main(void) {
  TL_RUN(test_chain);
  TL_RUN(test_diamond);
  TL_RUN(test_long_lived_tensor);
  TL_RUN(test_ties_by_tensor_index);
  TL_RUN(test_first_gap_that_fits);
  TL_RUN(test_empty_plan);
  TL_RUN(test_random_plans_never_overlap);
  TL_RUN(test_random_chains_meet_the_lower_bound);
  TL_RUN(test_collect_from_model);
  TL_RUN(test_random_graphs_match_the_python_planner);
  TL_RUN(test_matches_the_quadratic_reference);
  TL_RUN(test_pair_limit);
  TL_RUN(test_long_chain);
  TL_RUN(test_growing_items);
  TL_RUN(test_random_growing_items_never_overlap);
  return tl_test_summary();
}
