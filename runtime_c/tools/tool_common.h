/* tool_common.h: what the command-line tools (tl_run, tl_bench) share; not part of the library.
 *
 * Exit codes and opening a model ready to invoke, with the tools' error messages on stderr.
 */
#ifndef TL_TOOL_COMMON_H
#define TL_TOOL_COMMON_H

#include "tensorlet.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_DATA = 2 };

/* Loads the model at `path`, creates an interpreter for it and prepares it. On failure prints
 * "<tool>: ..." with the runtime's status and message to stderr, frees what it made and returns -1 with
 * *model and *interp NULL; on success returns 0 and the caller owns both (destroy interp, then model). */
int tl_tool_open(const char *tool, const char *path, tl_model **model, tl_interpreter **interp);

#endif /* TL_TOOL_COMMON_H */
