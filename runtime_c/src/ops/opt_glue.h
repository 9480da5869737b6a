/* opt_glue.h: how FullyConnected, Conv2D and DepthwiseConv2D (float32) use the optimized kernels of kernels/opt/.
 *
 * What this is: the per-node memory the optimized path needs (packed weights and bias, im2col scratch),
 * reserved by the interpreter in its tables next to tl_op_persistent_bytes (so it is counted by
 * tl_interpreter_required_memory_bytes and never malloc'd in invoke), and the prepare step that packs the
 * weights once. An op runs the optimized kernel only when its weights (and bias) are constants and the
 * interpreter's level is not TL_ISA_REFERENCE; otherwise node->opt_isa stays TL_ISA_REFERENCE and eval calls
 * the reference kernel. What this is not: shape validation (the op's prepare has filled node->params).
 */
#ifndef TL_OPT_GLUE_H
#define TL_OPT_GLUE_H

#include "cpu_features.h"
#include "ops/ops.h"

/* The level an interpreter created with tl_options.kernels == `kernels` (TL_KERNELS_*) runs at on this CPU.
 * Freestanding builds (microcontrollers) default to the reference kernels: packing would copy the weights
 * from flash into RAM. */
tl_isa tl_op_opt_level(int32_t kernels);

/* Bytes of per-node memory op `op` needs at level `isa` (0: the op runs its reference kernel) when invoke
 * runs on `threads` threads (threadpool.h: per-thread scratch). Computed from the model alone (before
 * prepare); prepare checks that the validated shapes fit in it. */
size_t tl_op_opt_bytes(const tl_model *model, int32_t op, tl_isa isa, int32_t threads);

/* Ends a float32 FullyConnected / Conv2D prepare: packs the weights into node->opt and sets node->opt_isa
 * when node->opt holds enough memory (node->params must be filled). */
void tl_op_opt_prepare_fc(tl_op_ctx *ctx, tl_node *node);
void tl_op_opt_prepare_conv2d(tl_op_ctx *ctx, tl_node *node);
/* DepthwiseConv2D: depth_multiplier 1 packs only the bias (the weights are read in place); > 1 packs the bias
 * and the weights multiplier-major (kernels/opt/opt_kernels_elementwise.h). */
void tl_op_opt_prepare_depthwise_conv2d(tl_op_ctx *ctx, tl_node *node);

/* int8 FullyConnected / Conv2D (kernels/opt/opt_kernels_int8.h): packs the int8 weights with the
 * zero-point corrections into node->opt (node->params.fc8 / conv8 must be filled) and sets node->opt_isa and
 * node->opt_i8 when node->opt holds enough memory. */
void tl_op_opt_prepare_fc_int8(tl_op_ctx *ctx, tl_node *node);
void tl_op_opt_prepare_conv2d_int8(tl_op_ctx *ctx, tl_node *node);
/* int8 DepthwiseConv2D with depth_multiplier 1: packs the bias (the weights are read in place). */
void tl_op_opt_prepare_depthwise_int8(tl_op_ctx *ctx, tl_node *node);

#endif /* TL_OPT_GLUE_H */
