/* tl_run: run a .tlm model once from the command line (no Python needed on the device).
 *
 *   tl_run MODEL [--input I=in.npy ...] [--output I=out.npy ...] [--print] [--threads T] [--max-work N]
 *
 * I is a graph input/output index (0, 1, ...) or its name. Inputs must match the model's dtype and shape
 * exactly (no casts), but for the batch: a file holding another dims[0] runs at that batch
 * (tl_interpreter_resize_input, then prepare again); inputs that are not given are zero-filled. Without --output, every output is printed;
 * --print prints them as well when --output is used. --threads T sets tl_options.num_threads, --max-work N
 * tl_options.max_work (the work budget; 0: the default). Exit codes, as every tensorlet tool: 0 ok, 1 a model
 * or data error (with the runtime's message on stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "tensorlet.h"
#include "tool_common.h"

#define TL_RUN_MAX_ARGS 64

typedef struct io_arg {
  const char *key;  /* index or name */
  const char *path;
} io_arg;

static void usage(FILE *out) {
  fprintf(out,
          "usage: tl_run MODEL [--input I=file.npy ...] [--output I=file.npy ...] [--print] [--threads T]\n"
          "              [--max-work N]\n"
          "  Loads, verifies and prepares MODEL (.tlm), sets inputs from .npy files, invokes once,\n"
          "  and prints or saves the outputs. I is an index (0, 1, ...) or a tensor name.\n"
          "  Inputs not given are zero-filled. Without --output, all outputs are printed.\n"
          "  An input file holding another batch (dim 0) runs the model at that batch.\n"
          "  --threads T: threads per invoke (tl_options.num_threads, 1..64; default 1).\n"
          "  --max-work N: the work budget (tl_options.max_work; default 0: the default budget).\n"
          "  Exit codes: 0 ok, 1 model or data error, 2 usage.\n");
}

/* Splits "I=path" at the first '='; the key is the text before it (see key_length). */
static int split_io(const char *arg, io_arg *io) {
  const char *eq = strchr(arg, '=');
  if (eq == NULL || eq == arg || eq[1] == '\0') return -1;
  io->key = arg;
  io->path = eq + 1;
  return 0;
}

static size_t key_length(const io_arg *io) { return (size_t)(io->path - 1 - io->key); }

/* Resolves "3" or "name" to an input/output index. Returns 0 or -1 (message printed). */
static int resolve_index(tl_interpreter *interp, const io_arg *io, int is_input, int32_t *index) {
  char key[256];
  size_t len = key_length(io), i;
  int all_digits = 1;
  int32_t count = is_input ? tl_interpreter_input_count(interp) : tl_interpreter_output_count(interp);
  if (len >= sizeof key) {
    fprintf(stderr, "tl_run: %s name is too long\n", is_input ? "input" : "output");
    return -1;
  }
  memcpy(key, io->key, len);
  key[len] = '\0';
  for (i = 0; i < len; i++) {
    if (key[i] < '0' || key[i] > '9') all_digits = 0;
  }
  if (all_digits && len < 10) {
    long value = strtol(key, NULL, 10);
    if (value < 0 || value >= count) {
      fprintf(stderr, "tl_run: %s index %ld is out of range (the model has %d)\n", is_input ? "input" : "output",
              value, (int)count);
      return -1;
    }
    *index = (int32_t)value;
    return 0;
  }
  if ((is_input ? tl_interpreter_input_index(interp, key, index) : tl_interpreter_output_index(interp, key, index)) !=
      TL_OK) {
    fprintf(stderr, "tl_run: the model has no %s named '%s'\n", is_input ? "input" : "output", key);
    return -1;
  }
  return 0;
}

static void print_shape(FILE *out, const int32_t *dims, int32_t rank) {
  int32_t i;
  fputc('[', out);
  for (i = 0; i < rank; i++) fprintf(out, "%s%d", i ? ", " : "", (int)dims[i]);
  fputc(']', out);
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  float f;
  if (exp == 0) {
    /* zero or subnormal: mant * 2^-24 */
    f = (float)mant * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  }
  memcpy(&f, &bits, sizeof f);
  return f;
}

static void print_values(FILE *out, tl_dtype dtype, const void *data, size_t bytes) {
  size_t n = tl_dtype_size(dtype) ? bytes / tl_dtype_size(dtype) : 0, i;
  const unsigned char *p = (const unsigned char *)data;
  for (i = 0; i < n; i++) {
    const char *sep = (i + 1 == n) ? "\n" : ((i + 1) % 8 == 0 ? "\n" : " ");
    switch (dtype) {
      case TL_FLOAT32: {
        float v;
        memcpy(&v, p + 4 * i, 4);
        fprintf(out, "%.9g%s", (double)v, sep);
        break;
      }
      case TL_FLOAT16: {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        fprintf(out, "%.6g%s", (double)half_to_float(v), sep);
        break;
      }
      case TL_INT8: fprintf(out, "%d%s", (int)(int8_t)p[i], sep); break;
      case TL_UINT8: fprintf(out, "%d%s", (int)p[i], sep); break;
      case TL_BOOL: fprintf(out, "%d%s", p[i] ? 1 : 0, sep); break;
      case TL_INT16: {
        int16_t v;
        memcpy(&v, p + 2 * i, 2);
        fprintf(out, "%d%s", (int)v, sep);
        break;
      }
      case TL_INT32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        fprintf(out, "%ld%s", (long)v, sep);
        break;
      }
      case TL_INT64: {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        fprintf(out, "%lld%s", (long long)v, sep);
        break;
      }
    }
  }
  if (n == 0) fputc('\n', out);
}

/* Sets an input from its .npy file: 0 when set; 1 when the file holds another batch (dims[0]) of the
 * input, which was then resized and the interpreter prepared again (every input must be set anew); -1 on
 * an error (message printed). */
static int set_input_from_file(tl_interpreter *interp, const io_arg *io) {
  int32_t index, i;
  tl_tensor_info info;
  tl_npy_array array;
  char err[512];
  tl_status status;
  if (resolve_index(interp, io, 1, &index) != 0) return -1;
  if (tl_interpreter_input_info(interp, index, &info) != TL_OK) {
    fprintf(stderr, "tl_run: cannot get input %d: %s\n", (int)index, tl_interpreter_error(interp));
    return -1;
  }
  if (tl_npy_read(io->path, &array, err, sizeof err) != 0) {
    fprintf(stderr, "tl_run: %s\n", err);
    return -1;
  }
  if (array.dtype != info.dtype) {
    fprintf(stderr, "tl_run: input %d '%s' is %s, but %s holds %s\n", (int)index, info.name,
            tl_npy_dtype_name(info.dtype), io->path, tl_npy_dtype_name(array.dtype));
    tl_npy_free(&array);
    return -1;
  }
  {
    int same = array.rank == info.rank, rows = array.rank == info.rank && info.rank > 0;
    for (i = 0; same && i < info.rank; i++) same = array.dims[i] == info.dims[i];
    for (i = 1; rows && i < info.rank; i++) rows = array.dims[i] == info.dims[i];
    if (!same && rows) { /* another batch: re-plan for it (tl_interpreter_resize_input) */
      const int32_t batch = array.dims[0];
      status = tl_interpreter_resize_input(interp, index, array.dims, array.rank);
      if (status == TL_OK) status = tl_interpreter_prepare(interp);
      tl_npy_free(&array);
      if (status != TL_OK) {
        fprintf(stderr, "tl_run: input %d '%s': batch %d: %s: %s\n", (int)index, info.name, (int)batch,
                tl_status_name(status), tl_interpreter_error(interp));
        return -1;
      }
      return 1;
    }
    if (!same) {
      fprintf(stderr, "tl_run: input %d '%s' has shape ", (int)index, info.name);
      print_shape(stderr, info.dims, info.rank);
      fprintf(stderr, ", but %s holds shape ", io->path);
      print_shape(stderr, array.dims, array.rank);
      fputc('\n', stderr);
      tl_npy_free(&array);
      return -1;
    }
  }
  status = tl_interpreter_set_input(interp, index, array.data, array.bytes, array.dtype);
  tl_npy_free(&array);
  if (status != TL_OK) {
    fprintf(stderr, "tl_run: set_input %d failed: %s: %s\n", (int)index, tl_status_name(status),
            tl_interpreter_error(interp));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *model_path = NULL;
  io_arg inputs[TL_RUN_MAX_ARGS], outputs[TL_RUN_MAX_ARGS];
  int n_inputs = 0, n_outputs = 0, print = 0, i, rc = EXIT_OK, pass, resized;
  char err[512];
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_status status;
  int32_t k, threads = 1;
  uint64_t max_work = 0;

  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return EXIT_OK;
    } else if (strcmp(arg, "--print") == 0) {
      print = 1;
    } else if (strcmp(arg, "--threads") == 0) {
      if (i + 1 >= argc || tl_tool_parse_threads("tl_run", argv[i + 1], &threads) != 0) {
        usage(stderr);
        return EXIT_USAGE;
      }
      i++;
    } else if (strcmp(arg, "--max-work") == 0) {
      if (i + 1 >= argc || tl_tool_parse_max_work("tl_run", argv[i + 1], &max_work) != 0) {
        usage(stderr);
        return EXIT_USAGE;
      }
      i++;
    } else if (strcmp(arg, "--input") == 0 || strcmp(arg, "--output") == 0) {
      int is_input = arg[2] == 'i';
      io_arg *list = is_input ? inputs : outputs;
      int *count = is_input ? &n_inputs : &n_outputs;
      if (i + 1 >= argc || *count >= TL_RUN_MAX_ARGS || split_io(argv[i + 1], &list[*count]) != 0) {
        fprintf(stderr, "tl_run: %s needs I=file.npy\n", arg);
        usage(stderr);
        return EXIT_USAGE;
      }
      (*count)++;
      i++;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      fprintf(stderr, "tl_run: unknown option %s\n", arg);
      usage(stderr);
      return EXIT_USAGE;
    } else if (model_path == NULL) {
      model_path = arg;
    } else {
      fprintf(stderr, "tl_run: more than one model given (%s)\n", arg);
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (model_path == NULL) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (n_outputs == 0) print = 1;

  if (tl_tool_open("tl_run", model_path, threads, max_work, &model, &interp) != 0) return EXIT_DATA;
  /* Zero every input first, so inputs that are not given are deterministic. */
  for (k = 0; k < tl_interpreter_input_count(interp); k++) {
    void *data = NULL;
    tl_tensor_info info;
    if (tl_interpreter_input_info(interp, k, &info) == TL_OK && tl_interpreter_input_data(interp, k, &data) == TL_OK &&
        data != NULL) {
      memset(data, 0, info.bytes);
    }
  }
  /* a file holding another batch re-prepares the interpreter, which zeroes the arena: set every input again
   * (a second pass sets them all at the new batch; one that still differs takes another batch) */
  for (pass = 0, resized = 1; resized; pass++) {
    resized = 0;
    for (i = 0; i < n_inputs; i++) {
      int r = set_input_from_file(interp, &inputs[i]);
      if (r < 0) {
        rc = EXIT_DATA;
        goto done;
      }
      resized |= r;
    }
    if (resized && pass == 1) {
      fprintf(stderr, "tl_run: the input files hold different batches (an interpreter runs one batch)\n");
      rc = EXIT_DATA;
      goto done;
    }
  }
  status = tl_interpreter_invoke(interp);
  if (status != TL_OK) {
    fprintf(stderr, "tl_run: invoke failed: %s: %s\n", tl_status_name(status), tl_interpreter_error(interp));
    rc = EXIT_DATA;
    goto done;
  }
  for (i = 0; i < n_outputs; i++) {
    int32_t index;
    tl_tensor_info info;
    const void *data = NULL;
    if (resolve_index(interp, &outputs[i], 0, &index) != 0) {
      rc = EXIT_DATA;
      goto done;
    }
    if (tl_interpreter_output_info(interp, index, &info) != TL_OK ||
        tl_interpreter_output_data(interp, index, &data) != TL_OK) {
      fprintf(stderr, "tl_run: cannot read output %d: %s\n", (int)index, tl_interpreter_error(interp));
      rc = EXIT_DATA;
      goto done;
    }
    if (tl_npy_write(outputs[i].path, info.dtype, info.rank, info.dims, data, info.bytes, err, sizeof err) != 0) {
      fprintf(stderr, "tl_run: %s\n", err);
      rc = EXIT_DATA;
      goto done;
    }
  }
  if (print) {
    for (k = 0; k < tl_interpreter_output_count(interp); k++) {
      tl_tensor_info info;
      const void *data = NULL;
      if (tl_interpreter_output_info(interp, k, &info) != TL_OK ||
          tl_interpreter_output_data(interp, k, &data) != TL_OK) {
        fprintf(stderr, "tl_run: cannot read output %d: %s\n", (int)k, tl_interpreter_error(interp));
        rc = EXIT_DATA;
        goto done;
      }
      printf("output %d '%s' %s ", (int)k, info.name, tl_npy_dtype_name(info.dtype));
      print_shape(stdout, info.dims, info.rank);
      printf(":\n");
      print_values(stdout, info.dtype, data, info.bytes);
    }
  }
done:
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  return rc;
}
