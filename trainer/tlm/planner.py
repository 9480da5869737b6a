"""The activation arena planner, mirroring the C runtime's planner exactly.

The exporter writes ``arena_bytes`` into the model's metadata and the runtime must plan the same number
(``tl_interpreter_arena_bytes()``), so both sides run this same algorithm:

1. Plan every non-constant tensor that is a graph input, a graph output, or an op input/output.
2. Lifetime over op indices, inclusive: ``first`` = index of the op that writes it (graph inputs: 0);
   ``last`` = index of the last op that reads it (graph inputs and graph outputs: op_count - 1, so inputs
   survive invoke; never before ``first``). If op_count is 0, all lifetimes are [0, 0]. With
   ``release_inputs`` (the runtime's ``tl_options.release_inputs``, TFLite Micro's rule) graph inputs that are
   not graph outputs end at their last reader like any tensor.
2b. Views: the output b of a view op (``VIEW_OPS``: Reshape, the runtime's ``TL_OP_FLAG_VIEW``) with one input
   a and one output is not planned but shares a's place when a is neither constant nor a graph input, b is
   not a graph output, and both have the same bytes; a's lifetime (along a chain of views, the first
   tensor's) then spans b's too. Only with ``op_types`` given (the op names, as the model files spell them).
3. ``size`` = bytes rounded up to 16 (``ARENA_ALIGNMENT``).
4. Order: size descending, ties by tensor index ascending.
5. Each tensor goes to the lowest 16-aligned offset where it overlaps no already-placed tensor whose
   lifetime intersects its own: walk those tensors sorted by offset, keeping a candidate offset that starts at
   0; the first one that begins at or after ``candidate + size`` leaves a gap that fits, otherwise the
   candidate moves to that tensor's end. After the walk the candidate is the offset. (Tensors at the same
   offset may be walked in any order: the result is the same.)
6. ``arena_bytes`` = max(offset + size), 0 if nothing is planned.

Op scratch (``scratch``: bytes per op, 0 for none): the runtime places an op's temporary memory (the im2col
blocks of Conv2D on the optimized kernels, at their minimum size, :func:`conv2d_scratch_bytes`) in the same
arena, as one more item with the lifetime of that op only, key ``tensor_count + k`` (k-th scratch block in op
order: ties in size are broken after the tensors), planned with the tensors by steps 4-6. The runtime's step 7
then lets such a block grow into the room left at its op without moving anything else or growing the arena,
so the mirror stops at step 6. Only tensor pairs count toward ``max_pairs`` (the runtime's work budget counts
tensor pairs).

Which placed tensors overlap in time does not change the result, only the cost. The C planner finds them
with a max-tree over the tensors sorted by first step; this mirror builds every tensor's overlap list with
one sweep over first steps. Both cost O(n log n + P log n), P the number of time-overlapping pairs; P is
counted first (O(n log n)) and a plan with more than ``max_pairs`` (by default the runtime's default work
budget divided by its charge per pair, ``DEFAULT_MAX_PAIRS``) raises ``ValueError``, as the runtime
refuses it.

>>> p = plan([64, 64, 64], [False, False, False], [([0], [1]), ([1], [2])], inputs=[0], outputs=[2])
>>> p.offsets, p.arena_bytes, p.lower_bound()
({0: 0, 1: 64, 2: 128}, 192, 192)
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

ARENA_ALIGNMENT = 16
# runtime_c: TL_DEFAULT_MAX_WORK (tensorlet.h) / TL_WORK_PER_PLAN_PAIR (interpreter.h)
DEFAULT_MAX_WORK = 1_000_000_000
WORK_PER_PLAN_PAIR = 512
DEFAULT_MAX_PAIRS = DEFAULT_MAX_WORK // WORK_PER_PLAN_PAIR
# ops whose output 0 holds input 0's bytes unchanged (runtime_c/src/ops/ops.h TL_OP_FLAG_VIEW): step 2b
VIEW_OPS = frozenset({"Reshape"})


def align_up(n: int, alignment: int = ARENA_ALIGNMENT) -> int:
    return (n + alignment - 1) // alignment * alignment


@dataclass
class Plan:
    """Result of :func:`plan`. All dicts are keyed by tensor index and hold only planned tensors; ``views``
    maps each view's output (step 2b) to the planned tensor whose place it shares."""

    offsets: dict[int, int] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)  # aligned sizes
    first: dict[int, int] = field(default_factory=dict)
    last: dict[int, int] = field(default_factory=dict)
    views: dict[int, int] = field(default_factory=dict)
    arena_bytes: int = 0

    def offset(self, t: int) -> int:
        """Arena offset of tensor t's bytes, a view's included (KeyError for a tensor not in the arena)."""
        return self.offsets[self.views.get(t, t)]

    def lower_bound(self) -> int:
        """Max over op steps of the sum of aligned sizes alive at that step: no plan can use less."""
        if not self.sizes:
            return 0
        change = [0] * (max(self.last.values()) + 2)  # alive bytes at step s = sum(change[: s + 1])
        for t, size in self.sizes.items():
            change[self.first[t]] += size
            change[self.last[t] + 1] -= size
        best = alive = 0
        for delta in change:
            alive += delta
            best = max(best, alive)
        return best

    def overlaps(self) -> list[tuple[int, int]]:
        """Pairs of planned tensors that share bytes while both are alive (always empty for a valid plan).

        A sweep over first steps (O(n log n + pairs alive at the same time)), as the planner's own."""
        bad = []
        alive: list[tuple[int, int]] = []  # heap of (last, tensor)
        for t in sorted(self.offsets, key=lambda t: (self.first[t], t)):
            while alive and alive[0][0] < self.first[t]:
                heapq.heappop(alive)
            for _, p in alive:
                a, b = min(p, t), max(p, t)
                if (
                    self.offsets[a] < self.offsets[b] + self.sizes[b]
                    and self.offsets[b] < self.offsets[a] + self.sizes[a]
                ):
                    bad.append((a, b))
            heapq.heappush(alive, (self.last[t], t))
        return sorted(bad)


def plan(
    tensor_bytes: Sequence[int],
    is_constant: Sequence[bool],
    ops: Sequence[tuple[Sequence[int], Sequence[int]]],
    inputs: Sequence[int],
    outputs: Sequence[int],
    max_pairs: int | None = DEFAULT_MAX_PAIRS,
    scratch: Sequence[int] = (),
    release_inputs: bool = False,
    op_types: Sequence[str] | None = None,
) -> Plan:
    """Plan the arena.

    ``tensor_bytes[i]`` is tensor i's byte size, ``is_constant[i]`` whether it has constant data, ``ops`` the
    (inputs, outputs) tensor indices of each op in execution order, ``inputs``/``outputs`` the graph's.
    Indices outside ``range(len(tensor_bytes))`` are ignored (the runtime rejects such models anyway).
    Raises ``ValueError`` when more than ``max_pairs`` pairs of planned tensors are alive at the same time
    (``None``: no limit). ``scratch[i]`` (optional): bytes of op i's scratch block, 0 for none.
    ``release_inputs``: step 2's rule for graph inputs (the runtime's option of that name). ``op_types``: each
    op's name, for step 2b (without it no tensor is a view).
    """
    count = len(tensor_bytes)
    op_count = len(ops)

    def ok(t: int) -> bool:
        return 0 <= t < count and not is_constant[t]

    used: set[int] = set()
    writer: dict[int, int] = {}
    last_read: dict[int, int] = {}
    for t in inputs:
        if ok(t):
            used.add(t)
    for t in outputs:
        if ok(t):
            used.add(t)
    for i, (op_in, op_out) in enumerate(ops):
        for t in op_in:
            if ok(t):
                used.add(t)
                last_read[t] = i
        for t in op_out:
            if ok(t):
                used.add(t)
                writer[t] = i  # a valid model has one writer; like the C planner, the last one wins

    graph_outputs = set(outputs)
    graph_inputs = set(inputs)
    result = Plan()
    for t in sorted(used):
        first = writer.get(t, 0) if op_count else 0
        last = last_read.get(t, 0) if op_count else 0
        if (t in graph_outputs or (t in graph_inputs and not release_inputs)) and op_count:
            last = op_count - 1
        result.first[t] = first
        result.last[t] = max(first, last)
        result.sizes[t] = align_up(int(tensor_bytes[t]))

    for i, (op_in, op_out) in enumerate(ops if op_types is not None else ()):  # step 2b, in op order
        if op_types[i] not in VIEW_OPS or len(op_in) != 1 or len(op_out) != 1:
            continue
        a, b = op_in[0], op_out[0]
        if a == b or not ok(a) or not ok(b) or tensor_bytes[a] != tensor_bytes[b]:
            continue
        if a in graph_inputs or b in graph_outputs:
            continue
        owner = result.views.get(a, a)
        result.first[owner] = min(result.first[owner], result.first.pop(b))
        result.last[owner] = max(result.last[owner], result.last.pop(b))
        del result.sizes[b]
        used.discard(b)
        result.views[b] = owner

    first, last, sizes, offsets = result.first, result.last, result.sizes, result.offsets
    planned = sorted(used)
    pairs = overlap_pairs([first[t] for t in planned], [last[t] for t in planned])
    if max_pairs is not None and pairs > max_pairs:
        raise ValueError(
            f"plan: {pairs} pairs of tensors are alive at the same time, above the limit of {max_pairs}"
        )
    key = count
    for i, nbytes in enumerate(scratch[:op_count]):
        if nbytes > 0:
            first[key] = last[key] = i
            sizes[key] = align_up(int(nbytes))
            planned.append(key)
            used.add(key)
            key += 1

    # overlap lists: sweep the tensors by first step; the ones still alive there overlap the new one
    overlapping: dict[int, list[int]] = {t: [] for t in planned}
    alive: list[tuple[int, int]] = []  # heap of (last, tensor)
    for t in sorted(planned, key=lambda t: (first[t], t)):
        while alive and alive[0][0] < first[t]:
            heapq.heappop(alive)
        mine = overlapping[t]
        for _, p in alive:
            mine.append(p)
            overlapping[p].append(t)
        heapq.heappush(alive, (last[t], t))

    for t in sorted(planned, key=lambda t: (-sizes[t], t)):
        size = sizes[t]
        live = sorted((offsets[p], p) for p in overlapping[t] if p in offsets)
        candidate = 0
        for offset, p in live:
            if offset >= candidate + size:
                break
            candidate = max(candidate, offset + sizes[p])
        offsets[t] = candidate

    result.arena_bytes = max((result.offsets[t] + result.sizes[t] for t in used), default=0)
    return result


# runtime_c kernels/opt: TL_CONV_MIN_BLOCK_ROWS (opt_kernels.h), TL_CONV_INT8_MIN_BLOCK_ROWS,
# TL_CONV_INT8_SCRATCH_SLACK, TL_GEMM_INT8_MAX_K (opt_kernels_int8.h)
CONV_MIN_BLOCK_ROWS = 24
CONV_INT8_MIN_BLOCK_ROWS = 24
CONV_INT8_SCRATCH_SLACK = 64
GEMM_INT8_MAX_K = 65535


def conv2d_scratch_bytes(
    dtype: str, weight_shape: Sequence[int], output_shape: Sequence[int], stride_h: int = 1, stride_w: int = 1
) -> int:
    """Bytes of the im2col scratch a Conv2D asks for at least on the runtime's optimized kernels with one
    thread (runtime_c ops/conv2d.c, conv2d_int8.c; the reference kernels and freestanding builds ask for
    none): ``dtype`` "FLOAT32" or "INT8" (input 0), weights ``[oc, kh, kw, c]`` constant, output ``[n, oh, ow,
    oc]``. 0 for a pointwise (1x1, stride 1) convolution or shapes the optimized kernels do not take.

    The op asks for a range: blocks of the minimum rows here, and up to the full block where the
    activations leave room at that op. The plan is made with the minimum, and the runtime's step 7 (growing
    into the free room) moves nothing else and never grows the arena, so this minimum is all the mirror needs.
    """
    if len(weight_shape) != 4 or len(output_shape) != 4:
        return 0
    _, kh, kw, c = (int(d) for d in weight_shape)
    if kh == 1 and kw == 1 and stride_h == 1 and stride_w == 1:
        return 0
    positions = int(output_shape[1]) * int(output_shape[2])
    depth = kh * kw * c
    if dtype == "FLOAT32":
        return (min(positions, CONV_MIN_BLOCK_ROWS) + 2) * depth * 4 if 0 < depth < 2**31 - 1 else 0
    if dtype == "INT8":
        bound = kh * ((kw * c + 3) // 4 * 4)
        if not (0 < depth <= GEMM_INT8_MAX_K and bound <= GEMM_INT8_MAX_K):
            return 0
        return min(positions, CONV_INT8_MIN_BLOCK_ROWS) * bound + CONV_INT8_SCRATCH_SLACK
    return 0


GEMM_MAX_NR = 32  # the widest GEMM panel (AVX-512), which BatchMatMul's scratch is sized for on every CPU
# runtime_c kernels/opt: the widest int8 panel (AVX-512 VNNI), TL_I8_ALIGN (gemm_int8_internal.h),
# TL_BMM_INT8_MAX_K and TL_TCONV_INT8_BLOCK (int8_gemm_ops.h)
GEMM_INT8_MAX_NR = 16
GEMM_INT8_ALIGN = 64
BMM_INT8_MAX_K = 32767
TCONV_INT8_BLOCK = 16


def batch_matmul_scratch_bytes(
    dtype: str, a_shape: Sequence[int], b_shape: Sequence[int], options: dict
) -> int:
    """Bytes of the scratch a BatchMatMul asks for on the optimized kernels with one thread (runtime_c
    kernels/opt/batch_matmul_opt.c, batch_matmul_int8_opt.c). float32: one batch of ``b`` packed into GEMM
    panels of the widest level (a zero bias row, then k rows of ``GEMM_MAX_NR`` floats per panel), and the
    transposed ``a`` with ``adj_x``; int8 (depth up to ``BMM_INT8_MAX_K``): 64 bytes of alignment, ``b``
    packed into int8 panels of the widest level (``GEMM_INT8_MAX_NR`` columns, the depth rounded up to 4),
    an int64 correction per padded column, an int32 one per row of ``a``, and the transposed ``a`` with
    ``adj_x``."""
    if dtype not in ("FLOAT32", "INT8") or len(a_shape) < 2 or len(b_shape) < 2:
        return 0
    adj_x, adj_y = bool(options.get("adj_x", False)), bool(options.get("adj_y", False))
    m, k = (int(a_shape[-1]), int(a_shape[-2])) if adj_x else (int(a_shape[-2]), int(a_shape[-1]))
    n = int(b_shape[-2]) if adj_y else int(b_shape[-1])
    if dtype == "INT8":
        if not (m > 0 and n > 0 and 0 < k <= BMM_INT8_MAX_K):
            return 0  # the reference kernel
        npad = -(-n // GEMM_INT8_MAX_NR) * GEMM_INT8_MAX_NR
        return GEMM_INT8_ALIGN + npad * (-(-k // 4) * 4) + npad * 8 + m * 4 + (m * k if adj_x else 0)
    panels = -(-n // GEMM_MAX_NR)
    return (panels * (k + 1) * GEMM_MAX_NR + (m * k if adj_x else 0)) * 4


TCONV_BLOCK_ROWS = 96  # runtime_c kernels/opt/opt_kernels.h: TL_TCONV_BLOCK_ROWS


def transpose_conv_scratch_bytes(
    dtypes: Sequence[str],
    constant: Sequence[bool],
    shapes: Sequence[Sequence[int]],
    output_shape: Sequence[int],
) -> int:
    """Bytes of the scratch a TransposeConv with constant weights (and bias) asks for on the optimized kernels
    with one thread. float32 (runtime_c kernels/opt/transpose_conv_opt.c): the column block,
    min(input pixels, ``TCONV_BLOCK_ROWS``) rows of ``k_h k_w out_c`` floats. int8 (transpose_conv_int8_opt.c,
    when ``k_h k_w in_c <= GEMM_INT8_MAX_K``): int32 words, a ring of ``k_h`` output rows and 16 more, then
    the columns of min(``in_w``, ``TCONV_INT8_BLOCK``) input pixels."""
    if len(dtypes) < 2 or not constant[1] or (len(dtypes) > 2 and not constant[2]):
        return 0
    if len(shapes[0]) != 4 or len(shapes[1]) != 4 or len(output_shape) != 4:
        return 0
    n, h, w, c_in = (int(d) for d in shapes[0])
    _, kh, kw, _ = (int(d) for d in shapes[1])
    _, _, out_w, oc = (int(d) for d in output_shape)
    if dtypes[0] == "INT8" and dtypes[1] == "INT8":
        if not (c_in > 0 and oc > 0 and w > 0 and out_w > 0 and kh * kw * c_in <= GEMM_INT8_MAX_K):
            return 0
        if kh * kw * oc > (2**31 - 1) // 16:
            return 0
        return (kh * out_w * oc + 16 + min(w, TCONV_INT8_BLOCK) * kh * kw * oc) * 4
    if dtypes[0] != "FLOAT32" or dtypes[1] not in ("FLOAT32", "FLOAT16"):
        return 0
    return min(n * h * w, TCONV_BLOCK_ROWS) * kh * kw * oc * 4


def op_scratch_bytes(
    opcode: str,
    dtypes: Sequence[str],
    constant: Sequence[bool],
    shapes: Sequence[Sequence[int]],
    output_shape: Sequence[int],
    options: dict,
) -> int:
    """The scratch bytes of one op (0 for every op but Conv2D, TransposeConv and BatchMatMul):
    ``dtypes``, ``constant`` and ``shapes`` of its inputs (DType names)."""
    if opcode == "BatchMatMul":
        return batch_matmul_scratch_bytes(dtypes[0], shapes[0], shapes[1], options) if len(shapes) == 2 else 0
    if opcode == "TransposeConv":
        return transpose_conv_scratch_bytes(dtypes, constant, shapes, output_shape)
    if opcode != "Conv2D" or len(dtypes) < 2 or not constant[1] or (len(dtypes) > 2 and not constant[2]):
        return 0
    x, w = dtypes[0], dtypes[1]
    if not ((x == "FLOAT32" and w in ("FLOAT32", "FLOAT16")) or (x == "INT8" and w == "INT8")):
        return 0
    return conv2d_scratch_bytes(
        x, shapes[1], output_shape, int(options.get("stride_h", 1)), int(options.get("stride_w", 1))
    )


def overlap_pairs(first: Sequence[int], last: Sequence[int]) -> int:
    """Number of pairs of lifetimes ``[first[i], last[i]]`` that intersect, in O(n log n)."""
    n = len(first)
    lasts = sorted(last)
    # a disjoint pair has exactly one member that ends before the other starts
    disjoint = sum(bisect.bisect_left(lasts, f) for f in first)
    return n * (n - 1) // 2 - disjoint
