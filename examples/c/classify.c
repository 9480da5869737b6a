/* classify.c: classify digit images with an exported .tlm model, using the tensorlet C API directly.
 *
 *   classify MODEL IMAGES [LABELS] [--first K] [--count N] [--quiet]
 *
 * MODEL is a float32 image classifier exported by trainer.lite.Converter (examples/mnist/deploy.py writes
 * out/mnist_cnn.tlm): one input of B images (any shape whose per-image size matches the image files, e.g.
 * [1, 28, 28, 1] or [B, 784]) and one output [B, classes]. IMAGES is an uncompressed IDX file of uint8 images
 * (MNIST's train/t10k-images-idx3-ubyte) or a .npy array of N images (uint8 pixels are scaled to [0, 1],
 * float32 pixels are used as they are). LABELS (optional) is an IDX or .npy file of N integer labels; with
 * it the accuracy is printed. Prints one line per image: "image <i>: <class> (score <s>)[ label <l>]".
 *
 * Exit codes, as every tensorlet tool: 0 ok, 1 a model, file or runtime error (with a message on stderr),
 * 2 usage.
 *
 * The program shows the whole embedding API: load (verify) -> create -> prepare (plan the arena) ->
 * set_input -> invoke -> get_output, with every tl_status checked and the runtime's message printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "tensorlet.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* A set of images or labels, as floats (pixels) or ints (labels), `count` items of `item_size` each. */
typedef struct dataset {
  long count;
  long item_size;
  float *values; /* count * item_size, malloc'ed */
} dataset;

static void usage(FILE *out) {
  fprintf(out,
          "usage: classify MODEL IMAGES [LABELS] [--first K] [--count N] [--quiet]\n"
          "  MODEL   .tlm float32 classifier (e.g. out/mnist_cnn.tlm from examples/mnist/deploy.py)\n"
          "  IMAGES  uncompressed IDX uint8 images (idx3-ubyte) or a .npy array (uint8 scaled to [0,1], or "
          "float32)\n"
          "  LABELS  optional IDX (idx1-ubyte) or .npy integer labels: prints the accuracy\n"
          "  --first K  start at image K (default 0); --count N  classify N images (default: all)\n"
          "  --quiet    only the summary line\n"
          "  Exit codes: 0 ok, 1 model/file/runtime error, 2 usage.\n");
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static uint32_t read_be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* Reads a whole file into a malloc'ed buffer. Returns 0, or -1 with a message on stderr. */
static int read_file(const char *path, unsigned char **data, long *size) {
  FILE *f = fopen(path, "rb");
  long n;
  if (f == NULL) {
    fprintf(stderr, "classify: cannot open %s\n", path);
    return -1;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "classify: cannot size %s\n", path);
    fclose(f);
    return -1;
  }
  *data = (unsigned char *)malloc(n > 0 ? (size_t)n : 1);
  if (*data == NULL || (n > 0 && fread(*data, 1, (size_t)n, f) != (size_t)n)) {
    fprintf(stderr, "classify: cannot read %s\n", path);
    free(*data);
    *data = NULL;
    fclose(f);
    return -1;
  }
  fclose(f);
  *size = n;
  return 0;
}

/* IDX: magic 0x0000 08 <ndim>, ndim big-endian uint32 dims, then uint8 data. Item = everything after dim 0. */
static int load_idx(const char *path, dataset *out, int scale) {
  unsigned char *data = NULL;
  long size = 0, i, items, item_size = 1, header;
  int ndim, d;
  if (read_file(path, &data, &size) != 0) return -1;
  if (size < 4 || data[0] != 0 || data[1] != 0 || data[2] != 0x08 || data[3] < 1 || data[3] > 4) {
    fprintf(stderr, "classify: %s is not an uncompressed uint8 IDX file (gunzip it first?)\n", path);
    free(data);
    return -1;
  }
  ndim = data[3];
  header = 4 + 4L * ndim;
  if (size < header) {
    fprintf(stderr, "classify: %s: truncated IDX header\n", path);
    free(data);
    return -1;
  }
  items = (long)read_be32(data + 4);
  for (d = 1; d < ndim; d++) {
    uint32_t dim = read_be32(data + 4 + 4 * d);
    if (dim == 0 || dim > 65536) {
      fprintf(stderr, "classify: %s: dimension %d is %lu\n", path, d, (unsigned long)dim);
      free(data);
      return -1;
    }
    item_size *= (long)dim;
  }
  if (items <= 0 || items > (size - header) / item_size || size - header != items * item_size) {
    fprintf(stderr, "classify: %s: %ld items of %ld bytes do not match the file size %ld\n", path, items,
            item_size, size);
    free(data);
    return -1;
  }
  out->values = (float *)malloc((size_t)(items * item_size) * sizeof(float));
  if (out->values == NULL) {
    fprintf(stderr, "classify: out of memory\n");
    free(data);
    return -1;
  }
  for (i = 0; i < items * item_size; i++) {
    out->values[i] = scale ? (float)data[header + i] / 255.0f : (float)data[header + i];
  }
  out->count = items;
  out->item_size = item_size;
  free(data);
  return 0;
}

/* .npy through the runtime tools' reader: uint8 (pixels scaled unless labels), float32, int32, int64. */
static int load_npy(const char *path, dataset *out, int scale) {
  tl_npy_array a;
  char err[256];
  long i, total, item_size = 1;
  int32_t d;
  if (tl_npy_read(path, &a, err, sizeof err) != 0) {
    fprintf(stderr, "classify: %s: %s\n", path, err);
    return -1;
  }
  if (a.rank < 1 || a.dims[0] < 1) {
    fprintf(stderr, "classify: %s: expected an array of N items, got rank %d\n", path, (int)a.rank);
    tl_npy_free(&a);
    return -1;
  }
  for (d = 1; d < a.rank; d++) item_size *= a.dims[d];
  total = (long)a.dims[0] * item_size;
  out->values = (float *)malloc((size_t)(total > 0 ? total : 1) * sizeof(float));
  if (out->values == NULL) {
    fprintf(stderr, "classify: out of memory\n");
    tl_npy_free(&a);
    return -1;
  }
  for (i = 0; i < total; i++) {
    switch (a.dtype) {
      case TL_UINT8: {
        float v = (float)((const uint8_t *)a.data)[i];
        out->values[i] = scale ? v / 255.0f : v;
        break;
      }
      case TL_FLOAT32: out->values[i] = ((const float *)a.data)[i]; break;
      case TL_INT32: out->values[i] = (float)((const int32_t *)a.data)[i]; break;
      case TL_INT64: out->values[i] = (float)((const int64_t *)a.data)[i]; break;
      default:
        fprintf(stderr, "classify: %s: dtype %s is not supported (uint8, float32, int32, int64)\n", path,
                tl_npy_dtype_name(a.dtype));
        free(out->values);
        out->values = NULL;
        tl_npy_free(&a);
        return -1;
    }
  }
  out->count = a.dims[0];
  out->item_size = item_size;
  tl_npy_free(&a);
  return 0;
}

static int load_dataset(const char *path, dataset *out, int scale) {
  memset(out, 0, sizeof *out);
  return ends_with(path, ".npy") ? load_npy(path, out, scale) : load_idx(path, out, scale);
}

static int parse_long(const char *text, long min, long *value) {
  char *end = NULL;
  long v;
  if (text == NULL || *text == '\0') return -1;
  v = strtol(text, &end, 10);
  if (*end != '\0' || v < min) return -1;
  *value = v;
  return 0;
}

/* Runs the model over images [first, first + count); prints predictions; returns an exit code. */
static int classify(tl_interpreter *interp, const dataset *images, const dataset *labels, long first,
                    long count, int quiet) {
  tl_tensor_info in, out;
  tl_status st;
  float *batch_in = NULL, *scores = NULL;
  long batch, per_image, classes, done = 0, correct = 0, i, j, k;
  int rc = EXIT_OK;

  if (tl_interpreter_input_count(interp) != 1 || tl_interpreter_output_count(interp) != 1) {
    fprintf(stderr, "classify: the model must have one input and one output\n");
    return EXIT_FAIL;
  }
  if ((st = tl_interpreter_input_info(interp, 0, &in)) != TL_OK ||
      (st = tl_interpreter_output_info(interp, 0, &out)) != TL_OK) {
    fprintf(stderr, "classify: %s\n", tl_status_name(st));
    return EXIT_FAIL;
  }
  if (in.dtype != TL_FLOAT32 || out.dtype != TL_FLOAT32 || in.rank < 1 || out.rank != 2 ||
      in.dims[0] != out.dims[0]) {
    fprintf(stderr, "classify: expected a float32 input [B, ...] and a float32 output [B, classes]\n");
    return EXIT_FAIL;
  }
  batch = in.dims[0];
  per_image = (long)(in.bytes / sizeof(float)) / batch;
  classes = out.dims[1];
  if (per_image != images->item_size) {
    fprintf(stderr, "classify: the model takes images of %ld values, the image file holds %ld per image\n",
            per_image, images->item_size);
    return EXIT_FAIL;
  }
  batch_in = (float *)calloc((size_t)(batch * per_image), sizeof(float));
  scores = (float *)malloc((size_t)(batch * classes) * sizeof(float));
  if (batch_in == NULL || scores == NULL) {
    fprintf(stderr, "classify: out of memory\n");
    rc = EXIT_FAIL;
    goto done;
  }

  /* Images go through in groups of the model's batch size; a short last group is zero-padded. */
  for (i = first; i < first + count; i += batch) {
    long n = (first + count - i < batch) ? first + count - i : batch;
    memset(batch_in, 0, (size_t)(batch * per_image) * sizeof(float));
    memcpy(batch_in, images->values + i * per_image, (size_t)(n * per_image) * sizeof(float));
    if ((st = tl_interpreter_set_input(interp, 0, batch_in, in.bytes, TL_FLOAT32)) != TL_OK ||
        (st = tl_interpreter_invoke(interp)) != TL_OK ||
        (st = tl_interpreter_get_output(interp, 0, scores, out.bytes, TL_FLOAT32)) != TL_OK) {
      fprintf(stderr, "classify: %s: %s\n", tl_status_name(st), tl_interpreter_error(interp));
      rc = EXIT_FAIL;
      goto done;
    }
    for (j = 0; j < n; j++) {
      const float *s = scores + j * classes;
      long best = 0;
      for (k = 1; k < classes; k++) {
        if (s[k] > s[best]) best = k;
      }
      if (!quiet) printf("image %ld: %ld (score %.6f)", i + j, best, (double)s[best]);
      if (labels != NULL) {
        long label = (long)labels->values[i + j];
        correct += label == best;
        if (!quiet) printf(" label %ld", label);
      }
      if (!quiet) printf("\n");
      done++;
    }
  }
  if (labels != NULL) {
    printf("accuracy %.4f (%ld of %ld)\n", (double)correct / (double)done, correct, done);
  } else {
    printf("classified %ld images\n", done);
  }
done:
  free(batch_in);
  free(scores);
  return rc;
}

int main(int argc, char **argv) {
  const char *paths[3] = {NULL, NULL, NULL};
  int npaths = 0, quiet = 0, i, rc;
  long first = 0, count = -1;
  dataset images, labels;
  tl_model *model = NULL;
  tl_interpreter *interp = NULL;
  tl_status st;
  char err[256];

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return EXIT_OK;
    } else if (strcmp(argv[i], "--quiet") == 0) {
      quiet = 1;
    } else if (strcmp(argv[i], "--first") == 0 || strcmp(argv[i], "--count") == 0) {
      long *target = argv[i][2] == 'f' ? &first : &count;
      if (i + 1 >= argc || parse_long(argv[i + 1], argv[i][2] == 'f' ? 0 : 1, target) != 0) {
        fprintf(stderr, "classify: %s needs a %s integer\n", argv[i], argv[i][2] == 'f' ? ">= 0" : ">= 1");
        return EXIT_USAGE;
      }
      i++;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      fprintf(stderr, "classify: unknown option %s\n", argv[i]);
      usage(stderr);
      return EXIT_USAGE;
    } else if (npaths < 3) {
      paths[npaths++] = argv[i];
    } else {
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (npaths < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  memset(&labels, 0, sizeof labels);

  if (load_dataset(paths[1], &images, 1) != 0) return EXIT_FAIL;
  if (paths[2] != NULL && load_dataset(paths[2], &labels, 0) != 0) {
    free(images.values);
    return EXIT_FAIL;
  }
  rc = EXIT_FAIL;
  if (paths[2] != NULL && labels.count != images.count) {
    fprintf(stderr, "classify: %ld labels for %ld images\n", labels.count, images.count);
    goto cleanup;
  }
  if (first >= images.count) {
    fprintf(stderr, "classify: --first %ld is past the %ld images\n", first, images.count);
    goto cleanup;
  }
  if (count < 0 || count > images.count - first) count = images.count - first;

  /* load (copies and verifies the file) -> create -> prepare (plans the arena) */
  if ((st = tl_model_load_file(paths[0], &model, err, sizeof err)) != TL_OK) {
    fprintf(stderr, "classify: cannot load %s: %s: %s\n", paths[0], tl_status_name(st), err);
    goto cleanup;
  }
  if ((st = tl_interpreter_create(model, NULL, &interp)) != TL_OK) {
    fprintf(stderr, "classify: cannot create an interpreter: %s\n", tl_status_name(st));
    goto cleanup;
  }
  if ((st = tl_interpreter_prepare(interp)) != TL_OK) {
    fprintf(stderr, "classify: prepare failed: %s: %s\n", tl_status_name(st), tl_interpreter_error(interp));
    goto cleanup;
  }
  if (!quiet) {
    printf("model %s: %ld bytes, arena %lu bytes\n", paths[0], (long)tl_model_size_bytes(model),
           (unsigned long)tl_interpreter_arena_bytes(interp));
  }
  rc = classify(interp, &images, paths[2] != NULL ? &labels : NULL, first, count, quiet);

cleanup:
  tl_interpreter_destroy(interp);
  tl_model_destroy(model);
  free(images.values);
  if (paths[2] != NULL) free(labels.values);
  return rc;
}
