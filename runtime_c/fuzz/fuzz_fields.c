/* fuzz_fields: structure-aware libFuzzer target; mutates every numeric field of valid models, defaults included,
 * and checks that every kernel level and thread count computes the same outputs.
 *
 * The corpus holds .tlm files (seeds: every valid model the tests build, see tests/fuzz_seeds.py).
 * LLVMFuzzerCustomMutator decodes an input into a generic tree of the schema (fuzz_fbtree.h, reflection table
 * fuzz_schema.h generated from schema/tensorlet.fbs by gen_fuzz_schema.py) that holds every field of every
 * table, including the ones absent from the file, changes one to three of them (interesting values: 0, +-1,
 * INT32_MIN/MAX, 2^31-k, huge dilations and strides, off-by-one of the current value, enums in and out of
 * range, NaN/Inf/subnormal floats, vector elements and lengths, weight shapes with their constant data
 * resized to match, sub-tables and union types; two changes in five go to op options) and writes it back
 * as a valid FlatBuffer, so the mutations reach the verifier's and the kernels' value checks instead of the
 * structural ones. One call in sixteen is a raw libFuzzer byte mutation instead.
 *
 * LLVMFuzzerTestOneInput loads the input; when it prepares, it runs it with the reference kernels (1 thread)
 * and the best optimized kernels (1 and 2 threads) and the portable ones (2 threads) on the same deterministic
 * inputs (derived from a hash of the input), then compares the outputs: 1 vs 2 threads bit for bit, int8 and
 * integer outputs of optimized vs reference exactly (within 1 when the model also computes in float), float
 * outputs within a relative tolerance, NaN-aware. A mismatch, or a disagreement about prepare's or invoke's
 * status, prints the details and calls __builtin_trap() so libFuzzer saves the input.
 *
 * Every execution stays fast: the arena is capped (FUZZ_ARENA_CAP), and so is the work (FUZZ_WORK_CAP): through
 * tl_options.max_work when the runtime has it, otherwise models whose work the harness estimates above the
 * cap are only prepared, not invoked.
 *
 * TL_FUZZ_DUMP=1 prints every field of each model run (defaults marked), prepare's and invoke's statuses, load
 * errors and the mutations the custom mutator made (to describe a crash file: ./fuzz_fields crash-...).
 * TL_FUZZ_STATS=1 prints at exit how many inputs loaded, prepared, ran and were compared.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fbtree.h"
#include "tensorlet.h"

/* ---- caps: the one place to change them ---- */
#define FUZZ_ARENA_CAP ((size_t)8 << 20)
/* Estimated multiply-adds or elements visited by one invoke (the harness runs four). */
#define FUZZ_WORK_CAP 2000000.0
/* 1 when include/tensorlet.h has tl_options.max_work (it then defines TL_DEFAULT_MAX_WORK): the cap goes to
 * the runtime and the harness's own estimate no longer skips invokes (a model that passes the runtime's budget
 * must run fast; libFuzzer's -timeout reports one that does not). Its unit is about a nanosecond of work. */
#ifdef TL_DEFAULT_MAX_WORK
#define FUZZ_HAVE_MAX_WORK 1
#else
#define FUZZ_HAVE_MAX_WORK 0
#endif

/* Float outputs of optimized vs reference kernels: |opt - ref| <= FUZZ_FLOAT_RTOL * max|ref| + FUZZ_FLOAT_ATOL
 * (FMA and summation order differ; tests/runtime/test_opt_kernels.py allows 1e-5 of the largest output on its models,
 * the fuzzer's random weights and deeper chains get more room). Only compared when every float constant is
 * finite and at most FUZZ_TAME_CONST in magnitude: with huge weights cancellation makes any order "wrong". */
#define FUZZ_FLOAT_RTOL 1e-3
#define FUZZ_FLOAT_ATOL 1e-5
#define FUZZ_TAME_CONST 1e4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static int fuzz_dump = 0;

/* Executions by how far they got (printed at exit with TL_FUZZ_STATS=1). */
static struct {
  unsigned long long runs, loaded, decoded, prepared, over_work, invoked, compared;
} fuzz_stats;

static void fuzz_print_stats(void) {
  fprintf(stderr,
          "fuzz_fields stats: runs %llu loaded %llu decoded %llu prepared %llu over_work_cap %llu invoked %llu "
          "compared %llu\n",
          fuzz_stats.runs, fuzz_stats.loaded, fuzz_stats.decoded, fuzz_stats.prepared, fuzz_stats.over_work,
          fuzz_stats.invoked, fuzz_stats.compared);
}

static int fuzz_env_flag(const char *name) {
  const char *value = getenv(name);
  return value != NULL && value[0] != '\0' && value[0] != '0';
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_dump = fuzz_env_flag("TL_FUZZ_DUMP");
  if (fuzz_env_flag("TL_FUZZ_STATS")) atexit(fuzz_print_stats);
  return 0;
}

/* ---- the custom mutator ---- */

/* Models that prepared recently. Inputs the verifier rejects add coverage and stay in the corpus, and most of
 * their descendants are rejected for the same reason; half the time such an input is swapped for one of these
 * before the mutation, so that most executions reach prepare and the kernels. */
#define FUZZ_POOL 128
#define FUZZ_POOL_MAX_BYTES ((size_t)64 << 10)
static struct {
  uint8_t *data[FUZZ_POOL];
  size_t size[FUZZ_POOL];
  int count;
} fuzz_pool;

static void fuzz_pool_add(const uint8_t *data, size_t size, uint64_t hash) {
  int slot = fuzz_pool.count < FUZZ_POOL ? fuzz_pool.count++ : (int)(hash % FUZZ_POOL);
  uint8_t *copy;
  if (size > FUZZ_POOL_MAX_BYTES || (copy = (uint8_t *)malloc(size)) == NULL) return;
  memcpy(copy, data, size);
  free(fuzz_pool.data[slot]);
  fuzz_pool.data[slot] = copy;
  fuzz_pool.size[slot] = size;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  fz_tree tree;
  fz_rng rng;
  uint8_t *out = NULL;
  size_t n, k, count, done = 0;
  char what[160];
  rng.s = (uint64_t)seed * 0x2545F4914F6CDD1Dull + 1;
  if (fz_below(&rng, 16) == 0) return LLVMFuzzerMutate(data, size, max_size);
  if (fuzz_pool.count > 0 && fz_below(&rng, 2) == 0) {
    tl_model *model = NULL;
    if (tl_model_load(data, size, &model, NULL, 0) != TL_OK) {
      int k = (int)fz_below(&rng, (uint32_t)fuzz_pool.count);
      if (fuzz_pool.size[k] <= max_size) {
        memcpy(data, fuzz_pool.data[k], fuzz_pool.size[k]);
        size = fuzz_pool.size[k];
      }
    }
    tl_model_destroy(model);
  }
  if (!fz_decode(data, size, &tree)) {
    if (fuzz_dump) fprintf(stderr, "fuzz_fields mutator: cannot decode %zu bytes: raw mutation\n", size);
    return LLVMFuzzerMutate(data, size, max_size);
  }
  count = fz_below(&rng, 10) < 7 ? 1 : 2 + fz_below(&rng, 2); /* mostly one change, so most results load */
  for (k = 0; k < count * 4 && done < count; k++) {
    if (fz_mutate_one(&tree, &rng, what, sizeof what)) {
      done++;
      if (fuzz_dump) fprintf(stderr, "fuzz_fields mutator: %s\n", what);
    }
  }
  n = done ? fz_encode(&tree, max_size, &out) : 0;
  fz_tree_free(&tree);
  if (n == 0 || n > max_size) {
    if (fuzz_dump) fprintf(stderr, "fuzz_fields mutator: encoding failed (max %zu bytes): raw mutation\n", max_size);
    free(out);
    return LLVMFuzzerMutate(data, size, max_size);
  }
  memcpy(data, out, n);
  free(out);
  return n;
}

/* ---- what the tree says about a model ---- */

static const fz_val *fz_field(const fz_node *node, int32_t field) { return &node->v[field]; }

static const fz_node *fz_tensor(const fz_node *model, int64_t index) {
  const fz_val *ts = fz_field(model, FZ_F_Model_tensors);
  return index >= 0 && index < (int64_t)ts->n ? ts->nodes[index] : NULL;
}

static double fz_elems(const fz_node *tensor) {
  const fz_val *shape;
  double e = 1;
  uint32_t j;
  if (tensor == NULL) return 0;
  shape = fz_field(tensor, FZ_F_Tensor_shape);
  for (j = 0; j < shape->n; j++) e *= shape->iv[j] > 0 ? (double)shape->iv[j] : 1.0;
  return e;
}

static double fz_dim(const fz_node *tensor, uint32_t k) {
  const fz_val *shape;
  if (tensor == NULL) return 1;
  shape = fz_field(tensor, FZ_F_Tensor_shape);
  return k < shape->n && shape->iv[k] > 0 ? (double)shape->iv[k] : 1.0;
}

static const fz_node *fz_op_tensor(const fz_node *model, const fz_node *op, int32_t list, uint32_t k) {
  const fz_val *v = fz_field(op, list);
  return k < v->n ? fz_tensor(model, v->iv[k]) : NULL;
}

static double fz_option(const fz_node *op, int32_t table, int32_t field) {
  const fz_val *v = fz_field(op, FZ_F_Operator_options);
  if (!v->present || v->nodes[0]->table != table) return 1;
  return v->nodes[0]->v[field].i > 0 ? (double)v->nodes[0]->v[field].i : 1.0;
}

/* Estimated work of one invoke: multiply-adds of FC/conv, window taps of pools, elements of everything else. */
static double fz_work(const fz_node *model) {
  const fz_val *ops = fz_field(model, FZ_F_Model_operators);
  const fz_val *ts = fz_field(model, FZ_F_Model_tensors);
  double total = 0;
  uint32_t j, k;
  for (j = 0; j < ts->n; j++) total += fz_elems(ts->nodes[j]);
  for (j = 0; j < ops->n; j++) {
    const fz_node *op = ops->nodes[j];
    const fz_node *w = fz_op_tensor(model, op, FZ_F_Operator_inputs, 1);
    double out = fz_elems(fz_op_tensor(model, op, FZ_F_Operator_outputs, 0));
    switch (fz_field(op, FZ_F_Operator_opcode)->i) {
      case 3: /* FullyConnected */
        total += out * fz_dim(w, 1);
        break;
      case 4: /* Conv2D */
        total += out * fz_dim(w, 1) * fz_dim(w, 2) * fz_dim(w, 3);
        break;
      case 5: /* DepthwiseConv2D */
        total += out * fz_dim(w, 1) * fz_dim(w, 2);
        break;
      case 6: case 7: /* MaxPool2D, AveragePool2D */
        total += out * fz_option(op, FZ_TABLE_Pool2DOptions, FZ_F_Pool2DOptions_filter_h) *
                 fz_option(op, FZ_TABLE_Pool2DOptions, FZ_F_Pool2DOptions_filter_w);
        break;
      default:
        total += out;
        for (k = 0; k < fz_field(op, FZ_F_Operator_inputs)->n; k++) {
          total += fz_elems(fz_op_tensor(model, op, FZ_F_Operator_inputs, k));
        }
        break;
    }
  }
  return total;
}

/* 1 when every float32 constant is finite and small (float outputs are then compared), 0 otherwise. */
static int fz_tame(const fz_node *model, int *has_float) {
  const fz_val *ts = fz_field(model, FZ_F_Model_tensors);
  const fz_val *bufs = fz_field(model, FZ_F_Model_buffers);
  uint32_t j, k;
  int tame = 1;
  *has_float = 0;
  for (j = 0; j < ts->n; j++) {
    const fz_node *t = ts->nodes[j];
    int64_t b = fz_field(t, FZ_F_Tensor_buffer)->i;
    const fz_val *data;
    if (fz_field(t, FZ_F_Tensor_dtype)->i != TL_FLOAT32) continue;
    *has_float = 1;
    if (b <= 0 || b >= (int64_t)bufs->n) continue;
    data = fz_field(bufs->nodes[b], FZ_F_Buffer_data);
    for (k = 0; k + 4 <= data->n; k += 4) {
      uint32_t bits = (uint32_t)data->iv[k] | (uint32_t)data->iv[k + 1] << 8 | (uint32_t)data->iv[k + 2] << 16 |
                      (uint32_t)data->iv[k + 3] << 24;
      float x;
      memcpy(&x, &bits, 4);
      if (!(fabsf(x) <= (float)FUZZ_TAME_CONST)) tame = 0;
    }
  }
  return tame;
}

static void fz_dump_node(const fz_node *node, int indent) {
  const fz_table_desc *d = &fz_tables[node->table];
  int32_t k;
  uint32_t j;
  for (k = 0; k < d->field_count; k++) {
    const fz_field_desc *f = &d->fields[k];
    const fz_val *v = &node->v[k];
    if (f->kind == FZ_SCALAR || f->kind == FZ_UTYPE) {
      if (fz_is_float(f->scalar)) {
        fprintf(stderr, "%*s%s = %g%s\n", indent, "", f->name, v->f, v->present ? "" : " (default)");
      } else {
        fprintf(stderr, "%*s%s = %lld%s\n", indent, "", f->name, (long long)v->i, v->present ? "" : " (default)");
      }
    } else if (f->kind == FZ_STRING && v->present) {
      fprintf(stderr, "%*s%s = \"%.*s\"\n", indent, "", f->name, (int)(v->n > 40 ? 40 : v->n), (const char *)v->s);
    } else if (f->kind == FZ_VEC_SCALAR && v->present) {
      fprintf(stderr, "%*s%s = [", indent, "", f->name);
      for (j = 0; j < v->n && j < 12; j++) {
        if (v->fv != NULL) fprintf(stderr, "%s%g", j ? ", " : "", v->fv[j]);
        else fprintf(stderr, "%s%lld", j ? ", " : "", (long long)v->iv[j]);
      }
      fprintf(stderr, "%s] (%u)\n", v->n > 12 ? ", ..." : "", (unsigned)v->n);
    } else if ((f->kind == FZ_TABLE || f->kind == FZ_UNION) && v->present) {
      fprintf(stderr, "%*s%s: %s\n", indent, "", f->name, fz_tables[v->nodes[0]->table].name);
      fz_dump_node(v->nodes[0], indent + 2);
    } else if (f->kind == FZ_VEC_TABLE && v->present && node->table != FZ_TABLE_Model) {
      fprintf(stderr, "%*s%s: %u tables\n", indent, "", f->name, (unsigned)v->n);
    }
  }
}

static void fz_dump(const fz_node *model, double work) {
  const fz_val *ops = fz_field(model, FZ_F_Model_operators);
  const fz_val *ts = fz_field(model, FZ_F_Model_tensors);
  uint32_t j;
  fprintf(stderr, "fuzz_fields: model: %u tensors, %u ops, estimated work %.3g\n", (unsigned)ts->n,
          (unsigned)ops->n, work);
  for (j = 0; j < ts->n; j++) {
    fprintf(stderr, "  tensor %u\n", (unsigned)j);
    fz_dump_node(ts->nodes[j], 4);
  }
  for (j = 0; j < ops->n; j++) {
    fprintf(stderr, "  op %u\n", (unsigned)j);
    fz_dump_node(ops->nodes[j], 4);
  }
}

/* ---- running one configuration ---- */

typedef struct fz_config {
  const char *name;
  int32_t kernels;
  int32_t threads;
} fz_config;

static const fz_config fz_configs[] = {
    {"reference/1", TL_KERNELS_REFERENCE, 1},
    {"auto/1", TL_KERNELS_AUTO, 1},
    {"auto/2", TL_KERNELS_AUTO, 2},
    {"portable/2", TL_KERNELS_PORTABLE, 2},
};
#define FZ_CONFIGS ((int)(sizeof fz_configs / sizeof fz_configs[0]))

typedef struct fz_run {
  tl_status prepared, invoked;
  int32_t outputs;
  uint8_t **data;
  tl_tensor_info *info;
} fz_run;

static void fz_run_free(fz_run *r) {
  int32_t i;
  for (i = 0; i < r->outputs && r->data != NULL; i++) free(r->data[i]);
  free(r->data);
  free(r->info);
  memset(r, 0, sizeof *r);
}

/* Deterministic input values: floats in [-2, 2], bools 0/1, other types random bytes. */
static void fz_fill(void *ptr, const tl_tensor_info *info, fz_rng *rng) {
  size_t k;
  if (info->dtype == TL_FLOAT32) {
    for (k = 0; k + 4 <= info->bytes; k += 4) {
      float x = (float)((int32_t)fz_below(rng, 4001) - 2000) / 1000.0f;
      memcpy((uint8_t *)ptr + k, &x, 4);
    }
  } else {
    for (k = 0; k < info->bytes; k++) {
      ((uint8_t *)ptr)[k] = (uint8_t)(info->dtype == TL_BOOL ? fz_below(rng, 2) : fz_next(rng));
    }
  }
}

static void fz_run_config(const tl_model *model, const fz_config *c, uint64_t seed, int invoke, fz_run *r) {
  tl_interpreter *interp = NULL;
  tl_options options;
  fz_rng rng;
  int32_t i;
  memset(r, 0, sizeof *r);
  memset(&options, 0, sizeof options);
  options.max_arena_bytes = FUZZ_ARENA_CAP;
  options.num_threads = c->threads;
  options.kernels = c->kernels;
#if FUZZ_HAVE_MAX_WORK
  options.max_work = (uint64_t)FUZZ_WORK_CAP;
#endif
  r->invoked = TL_OK;
  r->prepared = tl_interpreter_create(model, &options, &interp);
  if (r->prepared == TL_OK) r->prepared = tl_interpreter_prepare(interp);
  if (r->prepared != TL_OK || !invoke) {
    tl_interpreter_destroy(interp);
    return;
  }
  rng.s = seed;
  for (i = 0; i < tl_interpreter_input_count(interp); i++) {
    tl_tensor_info info;
    void *ptr = NULL;
    if (tl_interpreter_input_info(interp, i, &info) != TL_OK || tl_interpreter_input_data(interp, i, &ptr) != TL_OK ||
        ptr == NULL) {
      fprintf(stderr, "fuzz_fields: %s: input %d of a prepared model is not accessible\n", c->name, (int)i);
      __builtin_trap();
    }
    fz_fill(ptr, &info, &rng);
  }
  r->invoked = tl_interpreter_invoke(interp);
  if (r->invoked == TL_OK) {
    r->outputs = tl_interpreter_output_count(interp);
    r->data = (uint8_t **)calloc((size_t)r->outputs + 1, sizeof(uint8_t *));
    r->info = (tl_tensor_info *)calloc((size_t)r->outputs + 1, sizeof(tl_tensor_info));
    if (r->data == NULL || r->info == NULL) abort();
    for (i = 0; i < r->outputs; i++) {
      const void *ptr = NULL;
      if (tl_interpreter_output_info(interp, i, &r->info[i]) != TL_OK ||
          tl_interpreter_output_data(interp, i, &ptr) != TL_OK || ptr == NULL) {
        fprintf(stderr, "fuzz_fields: %s: output %d of an invoked model is not accessible\n", c->name, (int)i);
        __builtin_trap();
      }
      r->data[i] = (uint8_t *)malloc(r->info[i].bytes + 1);
      if (r->data[i] == NULL) abort();
      memcpy(r->data[i], ptr, r->info[i].bytes);
    }
  }
  tl_interpreter_destroy(interp);
}

/* ---- comparing two runs ---- */

static void fz_mismatch(const char *a, const char *b, int32_t output, size_t elem, const char *what) {
  fprintf(stderr, "fuzz_fields: MISMATCH %s vs %s, output %d, element %zu: %s\n", a, b, (int)output, elem, what);
  __builtin_trap();
}

static int64_t fz_int_elem(const uint8_t *p, tl_dtype dtype, size_t k) {
  switch (dtype) {
    case TL_INT8: return (int8_t)p[k];
    case TL_UINT8: case TL_BOOL: return p[k];
    case TL_INT16: return (int16_t)(uint16_t)fz_le(p + 2 * k, 2);
    case TL_INT32: return (int32_t)(uint32_t)fz_le(p + 4 * k, 4);
    default: return (int64_t)fz_le(p + 8 * k, 8);
  }
}

/* exact: bit-identical required; otherwise floats within the tolerance and integers within int_slack. */
static void fz_compare(const fz_run *ref, const fz_run *got, const char *a, const char *b, int exact, int floats,
                       int64_t int_slack) {
  int32_t i;
  char what[200];
  if (ref->prepared != got->prepared) {
    snprintf(what, sizeof what, "prepare %s vs %s", tl_status_name(ref->prepared), tl_status_name(got->prepared));
    fz_mismatch(a, b, -1, 0, what);
  }
  if (ref->invoked != got->invoked) {
    snprintf(what, sizeof what, "invoke %s vs %s", tl_status_name(ref->invoked), tl_status_name(got->invoked));
    fz_mismatch(a, b, -1, 0, what);
  }
  if (ref->outputs != got->outputs) fz_mismatch(a, b, -1, 0, "output count");
  for (i = 0; i < ref->outputs; i++) {
    const tl_tensor_info *info = &ref->info[i];
    size_t k, size = tl_dtype_size(info->dtype), count;
    if (info->dtype != got->info[i].dtype || info->bytes != got->info[i].bytes) fz_mismatch(a, b, i, 0, "dtype/size");
    if (exact || size == 0) {
      for (k = 0; k < info->bytes; k++) {
        if (ref->data[i][k] != got->data[i][k]) fz_mismatch(a, b, i, size ? k / size : k, "bits differ");
      }
      continue;
    }
    count = info->bytes / size;
    if (info->dtype == TL_FLOAT32) {
      double max_ref = 0, tol;
      if (!floats) continue;
      for (k = 0; k < count; k++) {
        float x;
        memcpy(&x, ref->data[i] + 4 * k, 4);
        if (isfinite(x) && fabs((double)x) > max_ref) max_ref = fabs((double)x);
      }
      tol = FUZZ_FLOAT_RTOL * max_ref + FUZZ_FLOAT_ATOL;
      for (k = 0; k < count; k++) {
        float x, y;
        memcpy(&x, ref->data[i] + 4 * k, 4);
        memcpy(&y, got->data[i] + 4 * k, 4);
        if (isnan(x) && isnan(y)) continue;
        if (isnan(x) != isnan(y) || isinf(x) != isinf(y) || (isinf(x) && x != y) ||
            (isfinite(x) && fabs((double)x - (double)y) > tol)) {
          snprintf(what, sizeof what, "%.9g vs %.9g (tolerance %.3g)", (double)x, (double)y, tol);
          fz_mismatch(a, b, i, k, what);
        }
      }
    } else if (info->dtype == TL_FLOAT16 || info->dtype == TL_INT64) {
      for (k = 0; k < info->bytes; k++) {
        if (ref->data[i][k] != got->data[i][k]) fz_mismatch(a, b, i, k / size, "bits differ");
      }
    } else {
      for (k = 0; k < count; k++) {
        int64_t x = fz_int_elem(ref->data[i], info->dtype, k), y = fz_int_elem(got->data[i], info->dtype, k);
        if (x - y > int_slack || y - x > int_slack) {
          snprintf(what, sizeof what, "%lld vs %lld (slack %lld)", (long long)x, (long long)y, (long long)int_slack);
          fz_mismatch(a, b, i, k, what);
        }
      }
    }
  }
}

static uint64_t fz_hash(const uint8_t *data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  size_t k;
  for (k = 0; k < size; k++) h = (h ^ data[k]) * 1099511628211ull;
  return h;
}

/* The harness's own check: a model that loads, decoded into the tree and written back, still loads (else the
 * custom mutator would mostly produce garbage). */
static void fz_check_round_trip(const fz_tree *tree) {
  uint8_t *out = NULL;
  size_t n = fz_encode(tree, (size_t)1 << 30, &out);
  tl_model *again = NULL;
  char err[256];
  if (n == 0 || tl_model_load(out, n, &again, err, sizeof err) != TL_OK) {
    fprintf(stderr, "fuzz_fields: HARNESS BUG: a loadable model no longer loads after decode + encode: %s\n",
            n ? err : "encoding failed");
    __builtin_trap();
  }
  tl_model_destroy(again);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tl_model *model = NULL;
  fz_tree tree;
  fz_run runs[FZ_CONFIGS];
  double work = 0;
  int decoded, invoke = 1, floats = 0, has_float = 1, c;
  uint64_t seed = fz_hash(data, size);
  char load_err[256];

  fuzz_stats.runs++;
  if (tl_model_load(data, size, &model, load_err, sizeof load_err) != TL_OK) {
    if (fuzz_dump) fprintf(stderr, "fuzz_fields: load: %s\n", load_err);
    return 0;
  }
  fuzz_stats.loaded++;
  decoded = fz_decode(data, size, &tree);
  if (decoded) {
    fz_check_round_trip(&tree);
    fuzz_stats.decoded++;
    work = fz_work(tree.root);
    floats = fz_tame(tree.root, &has_float);
    if (fuzz_dump) fz_dump(tree.root, work);
    fz_tree_free(&tree);
  } else if (fuzz_dump) {
    fprintf(stderr, "fuzz_fields: the model loads but the fuzzer's decoder cannot read it\n");
  }
#if !FUZZ_HAVE_MAX_WORK
  /* without a runtime budget, a model the harness cannot estimate, or one estimated above the cap, is only
   * prepared (a 2048x2048 pool window would run for hours) */
  invoke = decoded && work <= FUZZ_WORK_CAP;
#endif
  fuzz_stats.over_work += decoded && !invoke;
  fz_run_config(model, &fz_configs[0], seed, invoke, &runs[0]);
  fuzz_stats.prepared += runs[0].prepared == TL_OK;
  if (runs[0].prepared == TL_OK) fuzz_pool_add(data, size, seed);
  fuzz_stats.invoked += runs[0].prepared == TL_OK && invoke;
  if (fuzz_dump) {
    fprintf(stderr, "fuzz_fields: %s: prepare %s, invoke %s%s\n", fz_configs[0].name,
            tl_status_name(runs[0].prepared), tl_status_name(runs[0].invoked), invoke ? "" : " (not invoked)");
  }
  if (runs[0].prepared == TL_OK && invoke) {
    for (c = 1; c < FZ_CONFIGS; c++) fz_run_config(model, &fz_configs[c], seed, invoke, &runs[c]);
    /* threads never change a bit; levels agree exactly on integers of integer-only models */
    fz_compare(&runs[1], &runs[2], fz_configs[1].name, fz_configs[2].name, 1, 1, 0);
    fz_compare(&runs[0], &runs[1], fz_configs[0].name, fz_configs[1].name, 0, floats, has_float ? 1 : 0);
    fz_compare(&runs[0], &runs[3], fz_configs[0].name, fz_configs[3].name, 0, floats, has_float ? 1 : 0);
    fuzz_stats.compared += runs[0].invoked == TL_OK;
    for (c = 1; c < FZ_CONFIGS; c++) fz_run_free(&runs[c]);
  }
  fz_run_free(&runs[0]);
  tl_model_destroy(model);
  return 0;
}
