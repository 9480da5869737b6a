/* fb_schema.c: the structural description of schema/tensorlet.fbs consumed by tl_fb_verify().
 *
 * One row per field in id order: kind, element size, sub-type (table or union id), required.
 * Required: Model.tensors/operators/inputs/outputs/buffers and Operator.inputs/outputs.
 */
#include "fb_schema.h"

#define S(n, sz) {n, TL_FB_SCALAR, sz, 0, 0}
#define STR(n) {n, TL_FB_STRING, 0, 0, 0}
#define VS(n, sz, req) {n, TL_FB_VEC_SCALAR, sz, 0, req}
#define VT(n, t, req) {n, TL_FB_VEC_TABLE, 4, t, req}
#define T(n, t) {n, TL_FB_TABLE, 4, t, 0}

static const tl_fb_field_desc model_fields[] = {
    S("version", 4), VT("tensors", TL_T_TENSOR, 1), VT("operators", TL_T_OPERATOR, 1), VS("inputs", 4, 1),
    VS("outputs", 4, 1), VT("buffers", TL_T_BUFFER, 1), T("metadata", TL_T_METADATA)};
static const tl_fb_field_desc tensor_fields[] = {STR("name"), S("dtype", 1), VS("shape", 4, 0), S("buffer", 4),
                                            T("quantization", TL_T_QUANTIZATION)};
static const tl_fb_field_desc quant_fields[] = {VS("scale", 4, 0), VS("zero_point", 8, 0), S("quantized_dimension", 4)};
static const tl_fb_field_desc buffer_fields[] = {VS("data", 1, 0)};
static const tl_fb_field_desc operator_fields[] = {S("opcode", 4), VS("inputs", 4, 1), VS("outputs", 4, 1),
                                              {"options_type", TL_FB_UNION_TYPE, 1, 0, 0},
                                              {"options", TL_FB_UNION, 4, 0, 0}};
static const tl_fb_field_desc metadata_fields[] = {STR("producer"), STR("description"), S("arena_bytes", 8),
                                              VT("entries", TL_T_KEYVALUE, 0)};
static const tl_fb_field_desc kv_fields[] = {STR("key"), STR("value")};
static const tl_fb_field_desc act_fields[] = {S("activation", 1)};
static const tl_fb_field_desc conv_fields[] = {S("padding", 1),    S("stride_h", 4),   S("stride_w", 4),
                                          S("dilation_h", 4), S("dilation_w", 4), S("activation", 1)};
static const tl_fb_field_desc dw_fields[] = {S("padding", 1),    S("stride_h", 4),   S("stride_w", 4),
                                        S("dilation_h", 4), S("dilation_w", 4), S("depth_multiplier", 4),
                                        S("activation", 1)};
static const tl_fb_field_desc pool_fields[] = {S("padding", 1),  S("stride_h", 4), S("stride_w", 4),
                                          S("filter_h", 4), S("filter_w", 4), S("activation", 1)};
static const tl_fb_field_desc mean_fields[] = {VS("axes", 4, 0), S("keep_dims", 1)};
static const tl_fb_field_desc softmax_fields[] = {S("beta", 4)};
static const tl_fb_field_desc reshape_fields[] = {VS("new_shape", 4, 0)};
static const tl_fb_field_desc concat_fields[] = {S("axis", 4), S("activation", 1)};
static const tl_fb_field_desc pad_fields[] = {VS("paddings", 4, 0)};
static const tl_fb_field_desc transpose_fields[] = {VS("perm", 4, 0)};

#define N(a) (int32_t)(sizeof(a) / sizeof((a)[0]))
static const tl_fb_table_desc tables[TL_T_COUNT] = {
    {"Model", N(model_fields), model_fields},
    {"Tensor", N(tensor_fields), tensor_fields},
    {"Quantization", N(quant_fields), quant_fields},
    {"Buffer", N(buffer_fields), buffer_fields},
    {"Operator", N(operator_fields), operator_fields},
    {"Metadata", N(metadata_fields), metadata_fields},
    {"KeyValue", N(kv_fields), kv_fields},
    {"ArithmeticOptions", N(act_fields), act_fields},
    {"FullyConnectedOptions", N(act_fields), act_fields},
    {"Conv2DOptions", N(conv_fields), conv_fields},
    {"DepthwiseConv2DOptions", N(dw_fields), dw_fields},
    {"Pool2DOptions", N(pool_fields), pool_fields},
    {"MeanOptions", N(mean_fields), mean_fields},
    {"SoftmaxOptions", N(softmax_fields), softmax_fields},
    {"ReshapeOptions", N(reshape_fields), reshape_fields},
    {"ConcatenationOptions", N(concat_fields), concat_fields},
    {"PadOptions", N(pad_fields), pad_fields},
    {"TransposeOptions", N(transpose_fields), transpose_fields},
};

static const uint8_t op_options_members[TL_OPT_COUNT - 1] = {
    TL_T_ARITH_OPT, TL_T_FC_OPT,      TL_T_CONV_OPT,    TL_T_DWCONV_OPT, TL_T_POOL_OPT,     TL_T_MEAN_OPT,
    TL_T_SOFTMAX_OPT, TL_T_RESHAPE_OPT, TL_T_CONCAT_OPT, TL_T_PAD_OPT,    TL_T_TRANSPOSE_OPT};

static const tl_fb_union_desc unions[] = {{"OpOptions", TL_OPT_COUNT - 1, op_options_members}};

const tl_fb_schema tl_model_schema = {"TLM1", TL_T_MODEL, tables, unions};

const char *tl_opt_name(int32_t tag) {
  if (tag == TL_OPT_NONE) return "NONE";
  if (tag < 0 || tag >= TL_OPT_COUNT) return "unknown";
  return tables[op_options_members[tag - 1]].name;
}
