/* tool_common.h: what the command-line tools (tl_run, tl_bench) share; not part of the library.
 *
 * Exit codes and opening a model ready to invoke, with the tools' error messages on stderr.
 */
#ifndef TL_TOOL_COMMON_H
#define TL_TOOL_COMMON_H

#include "tensorlet.h"

/* The exit codes of every tensorlet tool (tensorlet, tl_run, tl_bench, examples/c/classify): 0 ok, 1 an
 * error (model, file, data or runtime), 2 a usage error (docs/runtime.md section 8). */
enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

/* Loads the model at `path`, creates an interpreter for it and prepares it. On failure prints
 * "<tool>: ..." with the runtime's status and message to stderr, frees what it made and returns -1 with
 * *model and *interp NULL; on success returns 0 and the caller owns both (destroy interp, then model).
 * num_threads: tl_options.num_threads (--threads); max_work: tl_options.max_work (--max-work, 0: default). */
int tl_tool_open(const char *tool, const char *path, int32_t num_threads, uint64_t max_work, tl_model **model,
                 tl_interpreter **interp);

/* Parses the value of --threads (an integer in [1, TL_MAX_THREADS]); on error prints "<tool>: ..." to stderr
 * and returns -1. */
int tl_tool_parse_threads(const char *tool, const char *text, int32_t *num_threads);
/* Parses the value of --max-work (tl_options.max_work: a positive integer; 0 means the default, also
 * accepted); on error prints "<tool>: ..." to stderr and returns -1. */
int tl_tool_parse_max_work(const char *tool, const char *text, uint64_t *max_work);

#endif /* TL_TOOL_COMMON_H */
