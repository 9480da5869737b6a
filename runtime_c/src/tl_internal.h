/* tl_internal.h: hard caps, checking macros, checked size arithmetic and the allocation hook shared by
 * every runtime source file.
 *
 * What this is: the one place where limits live (every cap a model can hit is a #define here) and the
 * three checking macros (TL_ENSURE, TL_ENSURE_OK, TL_DCHECK), each with its rule below. What this is not: public API (see include/tensorlet.h).
 */
#ifndef TL_INTERNAL_H
#define TL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tensorlet.h"

/* ---- hard caps (a model above any of them is rejected with TL_ERROR_LIMIT_EXCEEDED) ---- */
#define TL_MAX_TENSORS 65536        /* tensors per model */
#define TL_MAX_OPS 65536            /* operators per model */
#define TL_MAX_BUFFERS 65537        /* constant buffers per model */
#define TL_MAX_GRAPH_IO 4096        /* graph inputs, and graph outputs */
#define TL_MAX_OP_INPUTS 64         /* inputs of one op (Concatenation refuses more than 16 at prepare) */
#define TL_MAX_OP_OUTPUTS 16        /* outputs of one op (Split's pieces) */
#define TL_MAX_OPTION_INTS 64       /* entries of one option vector (axes, new_shape, paddings, perm) */
#define TL_MAX_NAME_LEN 1024        /* bytes of one tensor name */
#define TL_MAX_META_STRING_LEN 65536 /* bytes of one metadata string */
#define TL_MAX_META_ENTRIES 1024    /* metadata key/value entries */
#define TL_MAX_QUANT_TOTAL (1 << 22) /* sum over tensors of quantization scale counts */
#define TL_MAX_TENSOR_BYTES ((uint64_t)0x7fffffff) /* bytes of one tensor (also fits size_t on 32-bit) */
#define TL_MAX_TENSOR_ELEMS ((int64_t)0x7fffffff)  /* elements of one tensor (fits int32) */
#define TL_MAX_MODEL_BYTES ((uint64_t)0x7ffffff0)  /* bytes of one model file */
#define TL_MAX_TABLES (1u << 20)    /* FlatBuffers tables visited by the structural verifier */
#define TL_FB_MAX_DEPTH 8           /* nesting depth of tables (the schema needs 4) */
#define TL_FB_MAX_TRAILING 16       /* bytes after the last object (builder alignment padding) */
#define TL_DEFAULT_MAX_ARENA ((size_t)1 << 30) /* default cap on the planned arena: 1 GiB */
#define TL_ERROR_LEN 256            /* bytes of the interpreter's error message buffer */

/* ---- error messages ----
 * A sink is a caller-provided or interpreter-owned fixed buffer; NULL/0 discards messages. */
typedef struct tl_errbuf {
  char *buf;
  size_t size;
} tl_errbuf;

/* Format checking runs in the hosted builds. Freestanding builds skip it: there (arm-none-eabi) int32_t is
 * `long`, which is int-sized, so the messages' %d is right for util.c's formatter yet warns as a printf format. */
#if defined(__GNUC__) && !defined(TL_FREESTANDING) && !defined(TL_TERSE_ERRORS)
#define TL_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define TL_PRINTF_LIKE(f, a)
#endif

void tl_error_set(tl_errbuf *err, const char *fmt, ...) TL_PRINTF_LIKE(2, 3);

/* -DTL_TERSE_ERRORS (smallest firmware): every message's text is compiled out, so its strings are not in the
 * binary; the status codes are unchanged, and messages only say which op failed ("op 3 (Conv2D) failed")
 * or that details are compiled out. */
#ifdef TL_TERSE_ERRORS
void tl_error_terse(tl_errbuf *err);
/* never defined: only named inside sizeof, so the message arguments still count as used but no string or
 * call is emitted */
int tl_terse_args(const char *fmt, ...);
#define tl_error_set(err, ...) (tl_error_terse(err), (void)sizeof(tl_terse_args(__VA_ARGS__)))
#if defined(__clang__) /* helpers that only build message text are then never emitted, as intended */
#pragma clang diagnostic ignored "-Wunneeded-internal-declaration"
#endif
#endif

/* Bare metal (-DTL_FREESTANDING, implies no stdio and no malloc): messages go through util.c's own small
 * formatter instead of the C library's, so no printf code is linked. */
#ifdef TL_FREESTANDING
#include <stdarg.h>
int tl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int tl_snprintf(char *buf, size_t size, const char *fmt, ...) TL_PRINTF_LIKE(3, 4);
#define vsnprintf tl_vsnprintf
#define snprintf tl_snprintf
#ifndef TL_NO_STDIO
#define TL_NO_STDIO 1
#endif
#ifndef TL_NO_MALLOC
#define TL_NO_MALLOC 1
#endif
#endif

/* TL_ENSURE: in load/verify/prepare. On failure writes the message and returns status. */
#define TL_ENSURE(err, cond, status, ...)  \
  do {                                     \
    if (!(cond)) {                         \
      tl_error_set((err), __VA_ARGS__);    \
      return (status);                     \
    }                                      \
  } while (0)

/* TL_ENSURE_OK: propagates a non-OK status unchanged (the callee already wrote the message). */
#define TL_ENSURE_OK(expr)            \
  do {                                \
    tl_status s_ = (expr);            \
    if (s_ != TL_OK) return s_;       \
  } while (0)

/* TL_DCHECK: only for what prepare already proved; compiled out unless TL_DEBUG. Never guards untrusted
 * data. */
#ifdef TL_DEBUG
#include <assert.h>
#define TL_DCHECK(cond) assert(cond)
#else
#define TL_DCHECK(cond) ((void)0)
#endif

/* ---- checked arithmetic: return 0 on overflow, 1 on success ---- */
int tl_mul_size(size_t a, size_t b, size_t *out);
int tl_add_size(size_t a, size_t b, size_t *out);
int tl_mul_u64(uint64_t a, uint64_t b, uint64_t *out);
int tl_add_u64(uint64_t a, uint64_t b, uint64_t *out);
/* Rounds up to a multiple of align (a power of two); 0 on overflow. */
int tl_align_size(size_t a, size_t align, size_t *out);

/* ---- allocation hook ----
 * Every allocation of the runtime goes through these two functions (alloc.c). With GCC/clang they are weak
 * symbols, so a test can define its own to count calls; tl_malloc(0) returns NULL. */
void *tl_malloc(size_t bytes);
void tl_free(void *ptr);

/* ---- small helpers ---- */
const char *tl_dtype_name(int32_t dtype);

#endif /* TL_INTERNAL_H */
