/* size_root.c: the root of the size report's links (runtime_c/tools/size_report.py).
 *
 * tl_size_root calls every public entry point a deployed program uses, so a link with --gc-sections and this
 * function as its entry keeps exactly the code such a program carries: the core, plus whatever ops
 * op_table.c registers (all of them, or a selective build's). Never run; only linked.
 */
#include "tensorlet.h"

int tl_size_root(const void *data, size_t size, void *memory, size_t bytes, void *io);

int tl_size_root(const void *data, size_t size, void *memory, size_t bytes, void *io) {
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_tensor_info info;
  int32_t index = 0;
  char err[64];
  if (tl_model_load_static(data, size, memory, bytes / 2, &model, err, sizeof err) != TL_OK &&
      tl_model_load_nocopy(data, size, &model, err, sizeof err) != TL_OK &&
      tl_model_load(data, size, &model, err, sizeof err) != TL_OK)
    return (int)tl_status_name(TL_ERROR_IO)[0];
  if (tl_interpreter_create_with_arena(model, NULL, (char *)memory + bytes / 2, bytes / 2, &interp) != TL_OK &&
      tl_interpreter_create(model, NULL, &interp) != TL_OK)
    return 1;
  if (tl_interpreter_prepare(interp) != TL_OK) return (int)tl_interpreter_error(interp)[0];
  tl_interpreter_input_info(interp, 0, &info);
  tl_interpreter_output_info(interp, 0, &info);
  tl_interpreter_input_index(interp, "x", &index);
  tl_interpreter_output_index(interp, "y", &index);
  tl_interpreter_set_input(interp, index, io, info.bytes, info.dtype);
  tl_interpreter_invoke(interp);
  tl_interpreter_get_output(interp, 0, io, info.bytes, info.dtype);
  index += (int32_t)tl_interpreter_required_memory_bytes(interp) + (int32_t)tl_interpreter_arena_bytes(interp);
  index += tl_model_op_count(model) + (int32_t)tl_model_memory_bytes(model) + tl_interpreter_input_count(interp);
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return index + (int)tl_version_string()[0] + (int)tl_dtype_size(TL_INT8);
}
