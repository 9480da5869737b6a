"""The optimized kernels' structure (issue #13, deliverable 3): the level is picked once and a level's code is
plain functions.

In runtime_c/src/kernels/opt/, an op driver takes the level chosen at prepare and calls a kernel set's
function pointers (tl_f32_kernels_for, the float families' tables indexed by tl_f32_level_index,
tl_i8_kernels_for); it does not switch or compare on the level per call, and no multi-argument macro template
(`TL_MP_DEFINE(name, attrs, VW, VEC, LOAD, ...)`) generates a level's functions. Pure text checks: no build.
"""

from __future__ import annotations

import re
from pathlib import Path

OPT = Path(__file__).resolve().parents[2] / "runtime_c" / "src" / "kernels" / "opt"

# the places that map a level to code or pick a level at prepare (not per kernel call)
LEVEL_MAPS = {
    "gemm_int8.c",  # tl_i8_level_supported, tl_i8_level_for, tl_i8_kernels_for
    "gemm.c",  # tl_gemm_level_for (prepare: the AVX2 panels for a short narrow GEMM on AVX-512)
}
# known per-call comparisons left in files outside this deliverable's float side (the int8 MaxPool)
KNOWN = {"pool_int8_opt.c"}

# `switch (isa)`, `switch (level)`, `case TL_ISA_AVX2:`, `isa == TL_ISA_NEON`, `level != TL_I8_VNNI`,
# `TL_ISA_AVX512 == isa`, or a CPU feature query (`tl_cpu_features_detect(`, `f->avx2_fma`)
LEVEL_BRANCH = re.compile(
    r"switch\s*\(\s*\w*(isa|level)\s*\)"
    r"|\bcase\s+TL_(ISA|I8)_\w+\s*:"
    r"|\b\w*(isa|level)\s*[!=]=\s*TL_(ISA|I8)_"
    r"|\bTL_(ISA|I8)_\w+\s*[!=]=\s*\w*(isa|level)\b"
    r"|\btl_cpu_\w+\s*\("
)
# a function-like macro with three or more parameters whose body goes on over lines (a template that
# generates functions), or any *_DEFINE( macro
MACRO_TEMPLATE = re.compile(
    r"^\s*#\s*define\s+\w+\((?:[^),]*,){2,}[^)]*\)[^\n]*\\\s*$|^\s*#\s*define\s+\w*_DEFINE\(", re.M
)


def _code(text: str) -> str:
    """The text with /* */ and // comments blanked (line numbers kept)."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _hits(pattern: re.Pattern[str], skip: set[str]) -> list[str]:
    found = []
    for path in sorted([*OPT.glob("*.c"), *OPT.glob("*.h")]):
        if path.name in skip:
            continue
        code = _code(path.read_text())
        for m in pattern.finditer(code):
            line = code.count("\n", 0, m.start()) + 1
            found.append(f"{path.name}:{line}: {m.group(0).strip()}")
    return found


def test_no_per_call_level_switch_in_kernels_opt() -> None:
    assert OPT.is_dir()
    hits = _hits(LEVEL_BRANCH, LEVEL_MAPS | KNOWN)
    assert not hits, "pick the level once and call through a kernel set:\n" + "\n".join(hits)


def test_no_multi_argument_macro_templates_in_kernels_opt() -> None:
    hits = _hits(MACRO_TEMPLATE, set())
    assert not hits, "write a level's functions as plain functions:\n" + "\n".join(hits)


def test_the_patterns_catch_what_they_forbid() -> None:
    per_call = [
        "  switch (isa) {",
        "    case TL_ISA_AVX2:",
        "  if (isa == TL_ISA_NEON) return;",
        "  if (level != TL_I8_VNNI) c = 0;",
        "  if (TL_I8_AVX2 == level) c = 0;",
        "  tl_cpu_features_detect(&f);",
    ]
    for line in per_call:
        assert LEVEL_BRANCH.search(line), line
    for line in ["  return ks->dw(y, x, w, bias, p);", "  {TL_ISA_AVX2, 16, tl_gemm_f32_avx2, NULL, 6, 6},"]:
        assert not LEVEL_BRANCH.search(line), line
    templates = [
        "#define TL_MP_DEFINE(name, attrs, VW, VEC, LOAD, STORE, NANMAX, SET1, MAXV, MINV) \\",
        "#define TL_GEMM_DRIVER(name, attrs, MR, NR, tile)   \\",
        "#define TL_X_DEFINE(name)",
    ]
    for line in templates:
        assert MACRO_TEMPLATE.search(line), line
    for line in ["#define TL_MLA_(acc, x, y) vfmaq_f32(acc, x, y)", "#define TL_VF_W 8"]:
        assert not MACRO_TEMPLATE.search(line), line


def test_known_exceptions_still_need_their_place() -> None:
    """An entry of LEVEL_MAPS or KNOWN that no longer branches on the level is dropped from the list."""
    for name in sorted(LEVEL_MAPS | KNOWN):
        assert LEVEL_BRANCH.search(_code((OPT / name).read_text())), name


def test_each_float_family_table_lists_the_four_levels() -> None:
    """Every table a driver indexes with tl_f32_level_index names one set per level, in its order."""
    tables = 0
    for path in sorted(OPT.glob("*_opt.c")):
        for m in re.finditer(r"\*const \w+\[TL_F32_LEVELS\] = \{(.*?)\};", path.read_text(), re.S):
            sets = re.findall(r"&(tl_(?:f32|i8)_\w+)", m.group(1))
            family = {s.rsplit("_", 1)[0] for s in sets}
            assert len(family) == 1 and [s.rsplit("_", 1)[1] for s in sets] == [
                "portable",
                "neon",
                "avx2",
                "avx512",
            ], (path.name, sets)
            tables += 1
    # depthwise, MaxPool, AveragePool, Mean, Add/Sub/Mul, Relu/Relu6, HardSwish, Sigmoid/Tanh, Gelu, Softmax,
    # Quantize/Dequantize, int8 Add/Sub/Mul
    assert tables == 12


# docs/runtime.md's line budget: "no file of `kernels/opt/` over 500 lines"
MAX_LINES = 500


def test_no_kernels_opt_file_over_the_line_budget() -> None:
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in sorted(OPT.iterdir())
             if path.suffix in (".c", ".h")}
    assert len(sizes) > 40  # the folder was found and read
    over = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not over, f"files of runtime_c/src/kernels/opt/ over {MAX_LINES} lines (split them): {over}"
