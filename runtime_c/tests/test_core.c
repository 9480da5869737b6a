/* test_core: the FlatBuffers reader, structural verification and model loading/semantic verification.
 *
 * Valid models come from test_models.h (gen_test_models.py); malformed variants are made here by patching
 * the bytes at positions the generator recorded, or by hand-assembled minimal buffers. The full malformed
 * corpus lives in tests/malformed_cases.py (test_malformed.c); these tests pin the reader's own rules and
 * the messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fb_reader.h"
#include "fb_schema.h"
#include "model.h"
#include "tensorlet.h"
#include "test_models.h"
#include "tl_test.h"

static char g_err[256];

/* Loads a patched copy of `src`; returns the status (and frees the model). */
static tl_status load_patched(const unsigned char *src, size_t size, size_t pos, const void *bytes, size_t n) {
  unsigned char *copy = (unsigned char *)malloc(size);
  tl_model *m = NULL;
  tl_status s;
  memcpy(copy, src, size);
  if (n) memcpy(copy + pos, bytes, n);
  g_err[0] = '\0';
  s = tl_model_load(copy, size, &m, g_err, sizeof g_err);
  free(copy);
  tl_model_destroy(m);
  return s;
}

static tl_status load_i32_patch(size_t pos, int32_t value) {
  unsigned char le[4];
  le[0] = (unsigned char)(value & 0xff);
  le[1] = (unsigned char)((value >> 8) & 0xff);
  le[2] = (unsigned char)((value >> 16) & 0xff);
  le[3] = (unsigned char)(((uint32_t)value >> 24) & 0xff);
  return load_patched(tm_mlp, sizeof tm_mlp, pos, le, 4);
}

static void put_u16(unsigned char *b, size_t pos, uint16_t v) {
  b[pos] = (unsigned char)(v & 0xff);
  b[pos + 1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *b, size_t pos, uint32_t v) {
  b[pos] = (unsigned char)(v & 0xff);
  b[pos + 1] = (unsigned char)((v >> 8) & 0xff);
  b[pos + 2] = (unsigned char)((v >> 16) & 0xff);
  b[pos + 3] = (unsigned char)(v >> 24);
}

/* A minimal buffer: header (root = 12, "TLM1"), a vtable at 8 (vsize 4, tsize 4), an empty table at 12. */
static void minimal(unsigned char *b) {
  memset(b, 0, 16);
  put_u32(b, 0, 12);
  memcpy(b + 4, "TLM1", 4);
  put_u16(b, 8, 4);
  put_u16(b, 10, 4);
  put_u32(b, 12, 4); /* soffset: vtable = 12 - 4 = 8 */
}

static tl_status verify_raw(const unsigned char *b, size_t size) {
  tl_fb fb;
  tl_errbuf err;
  size_t root = 0;
  fb.buf = b;
  fb.size = size;
  err.buf = g_err;
  err.size = sizeof g_err;
  g_err[0] = '\0';
  return tl_fb_verify(&fb, &tl_model_schema, &root, &err);
}

TL_TEST(test_reader_reads_little_endian) {
  unsigned char b[16] = {0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80, 0x3f};
  tl_fb fb;
  fb.buf = b;
  fb.size = sizeof b;
  TL_EXPECT_EQ(tl_fb_u16(&fb, 0), 0x0201);
  TL_EXPECT_EQ(tl_fb_u32(&fb, 0), 0x04030201);
  TL_EXPECT_EQ(tl_fb_u64(&fb, 0), (long long)0xffffffff04030201ull);
  TL_EXPECT_NEAR(tl_fb_f32(&fb, 8), 1.0, 0.0);
}

TL_TEST(test_minimal_table_reaches_required_field_check) {
  unsigned char b[16];
  minimal(b);
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  TL_EXPECT_TRUE(strstr(g_err, "required field tensors") != NULL);
}

TL_TEST(test_vtable_rules) {
  unsigned char b[16];
  minimal(b);
  put_u16(b, 8, 5); /* odd vtable size */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u16(b, 8, 2); /* vtable size < 4 */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u16(b, 8, 200); /* vtable runs past the end */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_TRUNCATED);
  minimal(b);
  put_u16(b, 10, 2); /* table size < 4 */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u16(b, 10, 64); /* table runs past the end */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_TRUNCATED);
  minimal(b);
  put_u32(b, 12, 100); /* vtable before the buffer start */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u32(b, 12, (uint32_t)-100); /* vtable past the end */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_TRUNCATED);
  minimal(b);
  put_u32(b, 12, 3); /* vtable at an odd position */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
}

TL_TEST(test_header_rules) {
  unsigned char b[16];
  minimal(b);
  TL_EXPECT_EQ(verify_raw(b, 7), TL_ERROR_TRUNCATED);
  b[4] = 'X';
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_IDENTIFIER);
  minimal(b);
  put_u32(b, 0, 4); /* root inside the header */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u32(b, 0, 0);
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u32(b, 0, 10); /* misaligned root table */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_BAD_STRUCTURE);
  minimal(b);
  put_u32(b, 0, 0xfffffff0u); /* root past the end */
  TL_EXPECT_EQ(verify_raw(b, sizeof b), TL_ERROR_TRUNCATED);
}

TL_TEST(test_valid_models_load) {
  tl_model *m = NULL;
  TL_EXPECT_EQ(tl_model_load(tm_mlp, sizeof tm_mlp, &m, g_err, sizeof g_err), TL_OK);
  TL_EXPECT_EQ(tl_model_tensor_count(m), 9);
  TL_EXPECT_EQ(tl_model_op_count(m), 4);
  TL_EXPECT_EQ(tl_model_planned_arena_bytes(m), TM_MLP_ARENA_BYTES);
  TL_EXPECT_EQ(tl_model_size_bytes(m), sizeof tm_mlp);
  TL_EXPECT_EQ(g_err[0], '\0');
  tl_model_destroy(m);
  TL_EXPECT_EQ(tl_model_load(tm_qdq, sizeof tm_qdq, &m, NULL, 0), TL_OK);
  tl_model_destroy(m);
  TL_EXPECT_EQ(tl_model_load(tm_identity, sizeof tm_identity, &m, NULL, 0), TL_OK);
  TL_EXPECT_EQ(tl_model_op_count(m), 0);
  tl_model_destroy(m);
  tl_model_destroy(NULL);
}

TL_TEST(test_decoded_tensors) {
  tl_model *m = NULL;
  const tl_tensor_desc *t;
  TL_EXPECT_EQ(tl_model_load(tm_mlp, sizeof tm_mlp, &m, NULL, 0), TL_OK);
  if (m == NULL) return;
  t = &m->tensors[1];
  TL_EXPECT_TRUE(strcmp(t->name, "dense/w") == 0);
  TL_EXPECT_EQ(t->rank, 2);
  TL_EXPECT_EQ(t->dims[0], 16);
  TL_EXPECT_EQ(t->dims[1], 8);
  TL_EXPECT_EQ(t->elems, 128);
  TL_EXPECT_EQ(t->bytes, 512);
  TL_EXPECT_TRUE(t->data != NULL);
  TL_EXPECT_EQ((uintptr_t)t->data % 16u, 0);
  TL_EXPECT_EQ(m->is_constant[1], 1);
  TL_EXPECT_EQ(m->is_constant[0], 0);
  TL_EXPECT_EQ(m->ops[3].opcode, TL_OP_SOFTMAX);
  TL_EXPECT_TRUE(m->ops[3].options != NULL); /* Softmax's options struct (softmax.c) starts with beta */
  if (m->ops[3].options != NULL) TL_EXPECT_NEAR(*(const float *)m->ops[3].options, 1.0, 0.0);
  TL_EXPECT_EQ(m->output_count, 2);
  tl_model_destroy(m);
  TL_EXPECT_EQ(tl_model_load(tm_qdq, sizeof tm_qdq, &m, NULL, 0), TL_OK);
  if (m == NULL) return;
  t = &m->tensors[1];
  TL_EXPECT_EQ(t->dtype, TL_INT8);
  TL_EXPECT_EQ(t->quant_count, 1);
  TL_EXPECT_NEAR(t->scales[0], 0.05, 1e-9);
  TL_EXPECT_EQ(t->zero_points[0], -3);
  tl_model_destroy(m);
}

TL_TEST(test_load_arguments) {
  tl_model *m = (tl_model *)&m;
  TL_EXPECT_EQ(tl_model_load(tm_mlp, sizeof tm_mlp, NULL, NULL, 0), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_EQ(tl_model_load(NULL, 100, &m, NULL, 0), TL_ERROR_NULL_ARGUMENT);
  TL_EXPECT_TRUE(m == NULL);
  TL_EXPECT_EQ(tl_model_load(tm_mlp, 0, &m, g_err, sizeof g_err), TL_ERROR_TRUNCATED);
  TL_EXPECT_TRUE(strstr(g_err, "too short") != NULL);
  TL_EXPECT_EQ(tl_model_load(tm_mlp, 11, &m, NULL, 0), TL_ERROR_TRUNCATED);
}

TL_TEST(test_nocopy_alignment) {
  unsigned char *raw = (unsigned char *)malloc(sizeof tm_mlp + 32);
  unsigned char *aligned = raw + ((16u - ((uintptr_t)raw % 16u)) % 16u);
  tl_model *m = NULL;
  memcpy(aligned, tm_mlp, sizeof tm_mlp);
  TL_EXPECT_EQ(tl_model_load_nocopy(aligned, sizeof tm_mlp, &m, NULL, 0), TL_OK);
  /* no copy: constant data points into the caller's bytes */
  if (m) TL_EXPECT_TRUE(m->tensors[1].data >= aligned && m->tensors[1].data < aligned + sizeof tm_mlp);
  tl_model_destroy(m);
  memmove(aligned + 1, aligned, sizeof tm_mlp);
  TL_EXPECT_EQ(tl_model_load_nocopy(aligned + 1, sizeof tm_mlp, &m, g_err, sizeof g_err), TL_ERROR_MISALIGNED);
  TL_EXPECT_TRUE(m == NULL);
  /* the copying load accepts any alignment */
  TL_EXPECT_EQ(tl_model_load(aligned + 1, sizeof tm_mlp, &m, NULL, 0), TL_OK);
  tl_model_destroy(m);
  free(raw);
}

TL_TEST(test_every_prefix_is_truncated) {
  size_t n;
  int bad = 0;
  for (n = 0; n < sizeof tm_mlp; n++) {
    tl_status s = load_patched(tm_mlp, n, 0, NULL, 0);
    if (s != TL_ERROR_TRUNCATED && bad++ < 3) printf("prefix %u: %s (%s)\n", (unsigned)n, tl_status_name(s), g_err);
  }
  TL_EXPECT_EQ(bad, 0);
}

TL_TEST(test_trailing_garbage) {
  unsigned char *b = (unsigned char *)malloc(sizeof tm_mlp + 64);
  tl_model *m = NULL;
  memcpy(b, tm_mlp, sizeof tm_mlp);
  memset(b + sizeof tm_mlp, 0xab, 64);
  TL_EXPECT_EQ(tl_model_load(b, sizeof tm_mlp + 8, &m, NULL, 0), TL_OK); /* alignment-sized padding is fine */
  tl_model_destroy(m);
  TL_EXPECT_EQ(tl_model_load(b, sizeof tm_mlp + 64, &m, g_err, sizeof g_err), TL_ERROR_BAD_STRUCTURE);
  TL_EXPECT_TRUE(strstr(g_err, "trailing") != NULL);
  free(b);
}

TL_TEST(test_semantic_rejections_name_what_and_where) {
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_VERSION, 2), TL_ERROR_UNSUPPORTED_VERSION);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_VERSION, 0), TL_ERROR_UNSUPPORTED_VERSION);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_T0_DIM1, -3), TL_ERROR_BAD_TENSOR);
  TL_EXPECT_TRUE(strcmp(g_err, "tensor 0 (x): dim 1 is -3") == 0);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_T0_DIM1, 0), TL_ERROR_BAD_TENSOR);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_T0_DIM1, 0x7fffffff), TL_ERROR_LIMIT_EXCEEDED);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_INPUT0, -1), TL_ERROR_BAD_REFERENCE);
  TL_EXPECT_TRUE(strstr(g_err, "op 0 (FullyConnected): input 0 is tensor -1") != NULL);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_INPUT0, INT32_MIN), TL_ERROR_BAD_REFERENCE);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_INPUT0, 9), TL_ERROR_BAD_REFERENCE);
  /* op 0 reading its own output (tensor 3) */
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_INPUT0, 3), TL_ERROR_BAD_GRAPH);
  /* op 0 reading tensor 4, written only by the later op 1: out of order */
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_INPUT0, 4), TL_ERROR_BAD_GRAPH);
  TL_EXPECT_TRUE(strstr(g_err, "not produced before use") != NULL);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_OPCODE, TL_OP_COUNT), TL_ERROR_UNSUPPORTED_OP);
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_OPCODE, -1), TL_ERROR_UNSUPPORTED_OP);
  /* Relu (no options allowed) given FullyConnectedOptions */
  TL_EXPECT_EQ(load_i32_patch(TM_MLP_POS_OP0_OPCODE, 9), TL_ERROR_BAD_OPTIONS);
  TL_EXPECT_TRUE(strstr(g_err, "options are FullyConnectedOptions") != NULL);
  {
    unsigned char tag = 3; /* Conv2DOptions tag pointing at a FullyConnectedOptions table */
    tl_status s = load_patched(tm_mlp, sizeof tm_mlp, TM_MLP_POS_OP0_OPTIONS_TYPE, &tag, 1);
    TL_EXPECT_TRUE(s == TL_ERROR_BAD_OPTIONS || s == TL_ERROR_BAD_STRUCTURE);
    tag = 12; /* unknown union tag */
    TL_EXPECT_EQ(load_patched(tm_mlp, sizeof tm_mlp, TM_MLP_POS_OP0_OPTIONS_TYPE, &tag, 1), TL_ERROR_BAD_STRUCTURE);
    tag = 0; /* value without a type */
    TL_EXPECT_EQ(load_patched(tm_mlp, sizeof tm_mlp, TM_MLP_POS_OP0_OPTIONS_TYPE, &tag, 1), TL_ERROR_BAD_STRUCTURE);
    tag = 9; /* unknown dtype */
    TL_EXPECT_EQ(load_patched(tm_mlp, sizeof tm_mlp, TM_MLP_POS_T0_DTYPE, &tag, 1), TL_ERROR_UNSUPPORTED_DTYPE);
    tag = 2; /* int8 without quantization, feeding an op */
    TL_EXPECT_EQ(load_patched(tm_mlp, sizeof tm_mlp, TM_MLP_POS_T0_DTYPE, &tag, 1), TL_ERROR_BAD_QUANTIZATION);
  }
}

TL_TEST(test_status_and_dtype_names) {
  TL_EXPECT_TRUE(strcmp(tl_status_name(TL_OK), "TL_OK") == 0);
  TL_EXPECT_TRUE(strcmp(tl_status_name(TL_ERROR_BAD_GRAPH), "TL_ERROR_BAD_GRAPH") == 0);
  TL_EXPECT_TRUE(strcmp(tl_status_name(TL_ERROR_IO), "TL_ERROR_IO") == 0);
  TL_EXPECT_TRUE(strcmp(tl_status_name((tl_status)12345), "TL_UNKNOWN_STATUS") == 0);
  TL_EXPECT_EQ(tl_dtype_size(TL_FLOAT32), 4);
  TL_EXPECT_EQ(tl_dtype_size(TL_INT64), 8);
  TL_EXPECT_EQ(tl_dtype_size((tl_dtype)99), 0);
  TL_EXPECT_TRUE(strstr(tl_version_string(), "tensorlet") != NULL);
}

TL_TEST(test_checked_arithmetic) {
  size_t r = 0;
  uint64_t u = 0;
  TL_EXPECT_TRUE(tl_mul_size(3, 5, &r) && r == 15);
  TL_EXPECT_TRUE(!tl_mul_size((size_t)-1, 2, &r));
  TL_EXPECT_TRUE(tl_add_size(1, 2, &r) && r == 3);
  TL_EXPECT_TRUE(!tl_add_size((size_t)-1, 1, &r));
  TL_EXPECT_TRUE(!tl_mul_u64(UINT64_MAX / 2 + 1, 2, &u));
  TL_EXPECT_TRUE(!tl_add_u64(UINT64_MAX, 1, &u));
  TL_EXPECT_TRUE(tl_align_size(17, 16, &r) && r == 32);
  TL_EXPECT_TRUE(!tl_align_size((size_t)-3, 16, &r));
}

#ifndef TL_NO_STDIO
TL_TEST(test_load_file) {
  const char *path = "test_core_model.tlm";
  FILE *f = fopen(path, "wb");
  tl_model *m = NULL;
  TL_EXPECT_TRUE(f != NULL);
  if (f == NULL) return;
  fwrite(tm_mlp, 1, sizeof tm_mlp, f);
  fclose(f);
  TL_EXPECT_EQ(tl_model_load_file(path, &m, g_err, sizeof g_err), TL_OK);
  TL_EXPECT_EQ(tl_model_op_count(m), 4);
  tl_model_destroy(m);
  remove(path);
  TL_EXPECT_EQ(tl_model_load_file("no/such/file.tlm", &m, g_err, sizeof g_err), TL_ERROR_IO);
  TL_EXPECT_TRUE(strstr(g_err, "no/such/file.tlm") != NULL);
}
#endif

int main(void) {
  TL_RUN(test_reader_reads_little_endian);
  TL_RUN(test_minimal_table_reaches_required_field_check);
  TL_RUN(test_vtable_rules);
  TL_RUN(test_header_rules);
  TL_RUN(test_valid_models_load);
  TL_RUN(test_decoded_tensors);
  TL_RUN(test_load_arguments);
  TL_RUN(test_nocopy_alignment);
  TL_RUN(test_every_prefix_is_truncated);
  TL_RUN(test_trailing_garbage);
  TL_RUN(test_semantic_rejections_name_what_and_where);
  TL_RUN(test_status_and_dtype_names);
  TL_RUN(test_checked_arithmetic);
#ifndef TL_NO_STDIO
  TL_RUN(test_load_file);
#endif
  return tl_test_summary();
}
