/* tensorlet.h: the public C API of the tensorlet runtime.
 *
 * The runtime loads a .tlm model (schema/tensorlet.fbs), verifies all of it, plans all activation memory up
 * front, and runs it. It is C99, depends on libc and libm only, keeps no global state, and never aborts on
 * anything a model or a caller controls: every fallible call returns a tl_status.
 *
 * Usage:
 *
 *   char err[256];
 *   tl_model *model = NULL;
 *   tl_interpreter *interp = NULL;
 *   if (tl_model_load_file("mnist.tlm", &model, err, sizeof err) != TL_OK) { puts(err); return 1; }
 *   if (tl_interpreter_create(model, NULL, &interp) != TL_OK) { ... }
 *   if (tl_interpreter_prepare(interp) != TL_OK) { puts(tl_interpreter_error(interp)); ... }
 *   tl_interpreter_set_input(interp, 0, image, sizeof image, TL_FLOAT32);
 *   if (tl_interpreter_invoke(interp) != TL_OK) { puts(tl_interpreter_error(interp)); ... }
 *   tl_interpreter_get_output(interp, 0, scores, sizeof scores, TL_FLOAT32);
 *   tl_interpreter_destroy(interp);
 *   tl_model_destroy(model);
 *
 * Phases: load (bytes; structural and semantic verification happen here, there is no way to skip them)
 * -> create -> prepare (per-op checks, memory plan) -> invoke (no allocation). A model may be shared by
 * several interpreters (each on its own thread); one interpreter must not be used by two threads at once
 * (a concurrent invoke is detected and refused with TL_ERROR_BUSY, never corrupts memory).
 *
 * Ownership: a tl_model must outlive every interpreter created from it. Strings and tensor info returned
 * by the API point into the model or interpreter and stay valid while those live.
 */
#ifndef TENSORLET_H
#define TENSORLET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TL_SCHEMA_VERSION 1u /* newest schema revision this runtime reads */
#define TL_MAX_RANK 6        /* hard cap on tensor rank */
#define TL_ARENA_ALIGNMENT 16u /* every planned tensor starts at a multiple of this */

/* Status codes, grouped by kind: 1xx caller or state errors, 2xx invalid model, 3xx valid but unsupported,
 * 4xx resources. tl_status_name() gives the identifier as a string. */
typedef enum tl_status {
  TL_OK = 0,

  TL_ERROR_NULL_ARGUMENT = 100,   /* a required pointer argument is NULL */
  TL_ERROR_INVALID_ARGUMENT = 101,/* an argument value is out of range (index, size, ...) */
  TL_ERROR_BAD_STATE = 102,       /* call out of order: invoke before prepare, after a failed prepare, ... */
  TL_ERROR_DTYPE_MISMATCH = 103,  /* caller's dtype differs from the tensor's (never cast silently) */
  TL_ERROR_SIZE_MISMATCH = 104,   /* caller's byte length differs from the tensor's */
  TL_ERROR_NOT_FOUND = 105,       /* no input or output with that name */
  TL_ERROR_BUSY = 106,            /* the interpreter is already running on another thread */
  TL_ERROR_MISALIGNED = 107,      /* no-copy load of bytes that are not 16-byte aligned */

  TL_ERROR_TRUNCATED = 200,       /* file too short for what it declares */
  TL_ERROR_BAD_IDENTIFIER = 201,  /* not a .tlm file (file identifier is not "TLM1") */
  TL_ERROR_BAD_STRUCTURE = 202,   /* a FlatBuffers offset, vtable, vector, string or union is malformed */
  TL_ERROR_BAD_REFERENCE = 203,   /* a tensor, buffer, input or output index is out of range */
  TL_ERROR_BAD_GRAPH = 204,       /* graph order/ownership: cycles, two writers, writing a constant, ... */
  TL_ERROR_BAD_TENSOR = 205,      /* bad dims, rank, dtype, size, or constant data of the wrong length */
  TL_ERROR_BAD_QUANTIZATION = 206,/* bad scale, zero point, axis or count; bias scale mismatch */
  TL_ERROR_BAD_OPTIONS = 207,     /* missing options, options of another op, or out-of-range option values */
  TL_ERROR_BAD_SHAPE = 208,       /* op input/output shapes or dtypes do not fit the op */
  TL_ERROR_BAD_INPUT_COUNT = 209, /* an op has the wrong number of inputs or outputs */

  TL_ERROR_UNSUPPORTED_VERSION = 300, /* schema version newer than TL_SCHEMA_VERSION (or 0) */
  TL_ERROR_UNSUPPORTED_OP = 301,      /* unknown op code, or op compiled out of this build */
  TL_ERROR_UNSUPPORTED_DTYPE = 302,   /* unknown dtype, or a dtype this op does not run */
  TL_ERROR_UNSUPPORTED_FEATURE = 303, /* a known value this runtime does not implement */

  TL_ERROR_OUT_OF_MEMORY = 400,   /* malloc failed */
  TL_ERROR_LIMIT_EXCEEDED = 401,  /* a hard cap (rank, counts, bytes, arena cap, work budget) or size overflow */
  TL_ERROR_ARENA_TOO_SMALL = 402, /* the caller-supplied arena cannot hold state + plan */
  TL_ERROR_IO = 403               /* a file could not be opened or read */
} tl_status;

typedef enum tl_dtype {
  TL_FLOAT32 = 0,
  TL_FLOAT16 = 1,
  TL_INT8 = 2,
  TL_UINT8 = 3,
  TL_INT16 = 4,
  TL_INT32 = 5,
  TL_INT64 = 6,
  TL_BOOL = 7
} tl_dtype;

typedef struct tl_model tl_model;
typedef struct tl_interpreter tl_interpreter;

/* Description of one graph input or output. Pointers are owned by the model/interpreter. */
typedef struct tl_tensor_info {
  const char *name;         /* never NULL ("" when the file has no name) */
  tl_dtype dtype;
  int32_t rank;
  int32_t dims[TL_MAX_RANK];
  size_t bytes;             /* element count x element size */
  /* Quantization: quant_count == 0 when absent; 1 per tensor; dims[quant_axis] per axis. */
  int32_t quant_count;
  int32_t quant_axis;
  const float *scales;      /* quant_count entries (may be unaligned-safe copies) */
  const int64_t *zero_points;
} tl_tensor_info;

/* Kernel choice (tl_options.kernels). AUTO: the fastest kernels this CPU runs (detected at run time; the
 * reference kernels in freestanding builds). REFERENCE: the reference kernels only. The others force one
 * optimized level, or the best one below it that the CPU has. Front ends (tl_run, tl_bench, pyruntime) take
 * it from the environment variable TENSORLET_KERNELS (auto, reference, portable, neon, avx2, avx512). */
typedef enum tl_kernels {
  TL_KERNELS_AUTO = 0,
  TL_KERNELS_REFERENCE = 1,
  TL_KERNELS_PORTABLE = 2,
  TL_KERNELS_NEON = 3,
  TL_KERNELS_AVX2 = 4,
  TL_KERNELS_AVX512 = 5
} tl_kernels;
/* "reference" -> TL_KERNELS_REFERENCE, etc.; NULL or "" -> TL_KERNELS_AUTO; -1 for an unknown name. */
int32_t tl_kernels_from_name(const char *name);

/* Default work budget (tl_options.max_work). prepare adds up each op's work (multiply-adds, pooled window
 * elements, elements moved, weighted so that one unit is about one nanosecond on the slowest path of that op
 * kind) and the plan's (pairs of tensors alive at the same time), and fails with TL_ERROR_LIMIT_EXCEEDED when
 * the total is above the budget, so that a small file cannot make one invoke run for minutes.
 * tl_interpreter_work() gives a prepared model's total. */
#define TL_DEFAULT_MAX_WORK 1000000000u

/* Most threads an interpreter may use (tl_options.num_threads). */
#define TL_MAX_THREADS 64

/* Interpreter options; pass NULL for the defaults.
 * num_threads: N > 1 starts N - 1 worker threads at create (joined by destroy) that split the float32 and
 * int8 FullyConnected, Conv2D and DepthwiseConv2D work with the invoking thread; results are bit-identical to one
 * thread (work is split by outputs, never along a sum). Outside [0, TL_MAX_THREADS] create fails with
 * TL_ERROR_INVALID_ARGUMENT. Builds without threads (TL_FREESTANDING, TL_NO_THREADS, non-POSIX hosts) accept
 * any valid value and run on the caller's thread. Workers are OS threads (their stacks come from the OS, even
 * with create_with_arena); each interpreter keeps its own, so give one interpreter the threads rather than
 * several. */
typedef struct tl_options {
  size_t max_arena_bytes;   /* refuse plans above this (0: default 1 GiB) */
  int32_t num_threads;      /* threads of one invoke, the caller's included (0 or 1: single thread; see above) */
  int32_t kernels;          /* tl_kernels (0: AUTO); create fails with TL_ERROR_INVALID_ARGUMENT outside it */
  uint64_t max_work;        /* refuse models above this work budget at prepare (0: TL_DEFAULT_MAX_WORK) */
  int32_t preserve_all_tensors; /* 1: every tensor keeps its value in the arena, so intermediate values stay
                                   readable after invoke (tl_interpreter_tensor_data); the arena grows to the
                                   sum of all activations, but a Reshape's output still shares its input's
                                   bytes (the same value; planner step 2b) (TFLite's
                                   experimental_preserve_all_tensors) */
  int32_t release_inputs; /* 1: a graph input's arena bytes are reused once the last op reading it has run
                             (TFLite Micro's plan): a smaller arena, but set every input again before each
                             invoke (its value is not kept). 0: inputs live through the whole invoke
                             (TFLite's). preserve_all_tensors keeps them regardless */
} tl_options;

/* ---- status ---- */
const char *tl_status_name(tl_status status);   /* "TL_ERROR_BAD_GRAPH"; "TL_UNKNOWN_STATUS" otherwise */
size_t tl_dtype_size(tl_dtype dtype);            /* 0 for an unknown dtype */
const char *tl_version_string(void);

/* ---- models ----
 * err/err_size: optional buffer that receives a message naming what is wrong and where, e.g.
 * "op 3 (Conv2D): stride_h is 0". Pass NULL/0 to ignore. */

/* Copies the bytes; the caller may free them on return. */
tl_status tl_model_load(const void *data, size_t size, tl_model **out_model, char *err, size_t err_size);
/* No copy: data must be 16-byte aligned and stay alive and unchanged until tl_model_destroy. */
tl_status tl_model_load_nocopy(const void *data, size_t size, tl_model **out_model, char *err,
                               size_t err_size);
/* No copy and no malloc (bare metal): data must be 16-byte aligned (e.g. a const array in flash) and stay alive
 * and unchanged; the model's struct and decoded tables are placed in `memory` (any alignment), which must stay
 * alive until the model is no longer used. Fails with TL_ERROR_ARENA_TOO_SMALL, naming the bytes needed, when
 * memory_bytes is too small. tl_model_destroy releases nothing (it only forgets the tables). */
tl_status tl_model_load_static(const void *data, size_t size, void *memory, size_t memory_bytes,
                               tl_model **out_model, char *err, size_t err_size);
/* Bytes of caller memory used by a tl_model_load_static model (0 for other models); includes 15 bytes so that
 * any base address works. */
size_t tl_model_memory_bytes(const tl_model *model);
/* Reads a whole file (not available in builds with TL_NO_STDIO). */
tl_status tl_model_load_file(const char *path, tl_model **out_model, char *err, size_t err_size);
void tl_model_destroy(tl_model *model);          /* NULL is a no-op */

int32_t tl_model_tensor_count(const tl_model *model);
int32_t tl_model_op_count(const tl_model *model);
uint64_t tl_model_planned_arena_bytes(const tl_model *model); /* metadata.arena_bytes (0 if absent) */
size_t tl_model_size_bytes(const tl_model *model);

/* ---- interpreters ---- */
tl_status tl_interpreter_create(const tl_model *model, const tl_options *options, tl_interpreter **out);
/* Everything (interpreter state, tensor table, activation arena) lives in the caller's memory; no malloc is
 * ever called by this interpreter. prepare fails with TL_ERROR_ARENA_TOO_SMALL (naming the bytes needed)
 * when the memory is too small. The memory must stay alive until tl_interpreter_destroy. */
tl_status tl_interpreter_create_with_arena(const tl_model *model, const tl_options *options, void *memory,
                                           size_t memory_bytes, tl_interpreter **out);
/* NULL is a no-op; frees nothing it did not malloc. The pointer must not be used afterwards (an interpreter
 * from tl_interpreter_create is freed; one in caller memory is marked dead, so a second destroy of it is a
 * no-op while that memory lives). */
void tl_interpreter_destroy(tl_interpreter *interp);

/* Per-op shape/dtype checks, quantization multipliers, memory plan. Must succeed before invoke. */
tl_status tl_interpreter_prepare(tl_interpreter *interp);
/* Bytes of the arena planned by prepare (0 before): the activations (every non-constant tensor) and the ops'
 * scratch (the im2col blocks of the optimized convolutions, one per thread), each alive only while needed, so
 * tensors and scratch of ops that do not run at the same time share bytes. Per-node memory (op params, packed
 * weights) is outside it; tl_interpreter_required_memory_bytes counts both. */
size_t tl_interpreter_arena_bytes(const tl_interpreter *interp);
/* Sum of bytes of caller memory a create_with_arena interpreter of this model needs (valid after prepare,
 * or after a prepare that failed with TL_ERROR_ARENA_TOO_SMALL): the interpreter's state plus the larger of
 * the arena and the planner's scratch (used during prepare only, where the arena will be). Includes 15 bytes
 * so that any base address works. Exact after a successful prepare; when the memory could not even hold the
 * interpreter's tables and the planner's scratch, the plan could not run and the number is a safe upper
 * bound (retrying with it succeeds). */
size_t tl_interpreter_required_memory_bytes(const tl_interpreter *interp);
/* Work units of the prepared model, counted against tl_options.max_work (0 before a successful prepare). */
uint64_t tl_interpreter_work(const tl_interpreter *interp);
tl_status tl_interpreter_invoke(tl_interpreter *interp);

/* ---- per-op profiling (tl_bench --profile, tensorlet bench --profile) ----
 * tl_interpreter_invoke_profiled runs one invoke like tl_interpreter_invoke and adds each op's time to
 * ops[i].ticks (so a caller sums many invokes into one table; zero the array first); it also sets ops[i].type
 * (the op type name, static storage: "Conv2D") and ops[i].output (the op's first output tensor, for
 * tl_interpreter_tensor_info; -1 when none). The clock is the caller's (any monotonic unit; the library itself
 * reads no clock, which keeps it freestanding); the clock is read once between ops, so an op's time includes
 * one clock call and the ticks add up to the invoke. op_count must be tl_model_op_count. Hosted builds (not
 * TL_FREESTANDING) have tl_clock_monotonic_ns (CLOCK_MONOTONIC in nanoseconds, `user` unused) to pass. */
typedef uint64_t (*tl_clock_fn)(void *user);
typedef struct tl_op_profile {
  const char *type; /* op type name, as the schema's */
  int32_t output;   /* first output tensor, -1 if none */
  uint64_t ticks;   /* summed over the profiled invokes, in the clock's unit */
} tl_op_profile;
tl_status tl_interpreter_invoke_profiled(tl_interpreter *interp, tl_clock_fn clock, void *clock_user,
                                         tl_op_profile *ops, int32_t op_count);
uint64_t tl_clock_monotonic_ns(void *user);
/* Message of the last error on this interpreter ("" if none). */
const char *tl_interpreter_error(const tl_interpreter *interp);

int32_t tl_interpreter_input_count(const tl_interpreter *interp);
int32_t tl_interpreter_output_count(const tl_interpreter *interp);
tl_status tl_interpreter_input_info(const tl_interpreter *interp, int32_t index, tl_tensor_info *info);
tl_status tl_interpreter_output_info(const tl_interpreter *interp, int32_t index, tl_tensor_info *info);
tl_status tl_interpreter_input_index(const tl_interpreter *interp, const char *name, int32_t *index);
tl_status tl_interpreter_output_index(const tl_interpreter *interp, const char *name, int32_t *index);

/* ---- resizing (a batch other than the model's) ----
 * Gives input `index` the shape dims[0..rank): only dims[0] (the batch) may differ from the model's input
 * (TL_ERROR_UNSUPPORTED_FEATURE otherwise). The batch is the interpreter's: every graph input whose leading
 * dim is the model's batch takes it. The next tl_interpreter_prepare re-plans with it: it is carried along
 * the graph (an op's output whose leading dim is the model's batch, computed from a tensor that has the new
 * batch, takes it too) and each op's
 * prepare checks the shapes, so an op that cannot take another batch fails the prepare with
 * TL_ERROR_BAD_SHAPE or TL_ERROR_BAD_OPTIONS naming it. Until that prepare the interpreter is not prepared
 * (invoke fails with TL_ERROR_BAD_STATE). Resizing back to the model's shape undoes it. The shapes are the
 * interpreter's (tl_interpreter_input_info and tl_interpreter_tensor_info report them); the model is not
 * changed. A create_with_arena interpreter keeps the rule "no malloc": the resized tensor table lives in its
 * memory, and a memory that is now too small fails the prepare with TL_ERROR_ARENA_TOO_SMALL, naming the bytes
 * needed (tl_interpreter_required_memory_bytes). */
tl_status tl_interpreter_resize_input(tl_interpreter *interp, int32_t index, const int32_t *dims, int32_t rank);

/* ---- every tensor (TFLite's tensor indices: the model's) ----
 * The model's tensor index of input/output `index` (-1 when out of range). */
int32_t tl_interpreter_input_tensor(const tl_interpreter *interp, int32_t index);
int32_t tl_interpreter_output_tensor(const tl_interpreter *interp, int32_t index);
/* Name, dtype, shape (the interpreter's, after tl_interpreter_resize_input) and quantization of model tensor
 * `tensor` in [0, tl_model_tensor_count). */
tl_status tl_interpreter_tensor_info(const tl_interpreter *interp, int32_t tensor, tl_tensor_info *info);
/* Where the value of model tensor `tensor` lives, valid until the next prepare or destroy (after a successful
 * prepare): constants point into the model (never write them), graph inputs and outputs and, with
 * tl_options.preserve_all_tensors, every other tensor into the arena. Without preserve_all_tensors an
 * intermediate tensor's bytes are reused by later ops: TL_ERROR_BAD_STATE, naming the option. *data is NULL
 * for a tensor no op reads or writes. Prepare zeroes the arena, so an output read before the first invoke is
 * all zeros. */
tl_status tl_interpreter_tensor_data(tl_interpreter *interp, int32_t tensor, void **data);

/* Copies bytes in/out; dtype and byte length must match exactly. Valid after a successful prepare.
 * Graph inputs and outputs keep their own arena memory for the whole invoke: an input set once stays valid
 * across invokes (not with tl_options.release_inputs: then set every input before each invoke), and outputs
 * stay intact until the next invoke. */
tl_status tl_interpreter_set_input(tl_interpreter *interp, int32_t index, const void *data, size_t bytes,
                                   tl_dtype dtype);
tl_status tl_interpreter_get_output(tl_interpreter *interp, int32_t index, void *data, size_t bytes,
                                    tl_dtype dtype);
/* Direct pointers into the arena (no copy), valid until the next prepare or destroy (a second prepare may
 * move the arena). */
tl_status tl_interpreter_input_data(tl_interpreter *interp, int32_t index, void **data);
tl_status tl_interpreter_output_data(tl_interpreter *interp, int32_t index, const void **data);

#ifdef __cplusplus
}
#endif

#endif /* TENSORLET_H */
