"""pyruntime's cffi declarations (CDEF in pyruntime/_build.py) must match runtime_c/include/tensorlet.h.

CDEF is a hand copy of the public header (cffi cannot read a header with comments and macros). API mode
makes the C compiler catch some drift, but not all: a struct field missing at the end of the cdef, a
parameter renamed, an enum value changed on one side or a new public function never declared compile
fine. This test parses both (comments and whitespace normalised, numeric macros substituted in the header)
and compares every enum, struct, opaque type, macro and function prototype the cdef declares with the
header, exactly; a public function, type or macro of the header that the cdef lacks is a finding unless
NOT_IN_CDEF lists it. Failures print one line per difference (a unified diff for struct fields).
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "runtime_c" / "include" / "tensorlet.h"
BUILD = ROOT / "pyruntime" / "_build.py"

# Public names of tensorlet.h that pyruntime deliberately does not declare, each with the reason.
# (Empty today: pyruntime declares the whole public API.)
NOT_IN_CDEF: dict[str, str] = {}


@dataclass
class Api:
    """The declarations of a C header or cdef, normalised."""

    macros: dict[str, str] = field(default_factory=dict)  # name -> value ("..." in a cdef)
    enums: dict[str, dict[str, str]] = field(default_factory=dict)  # type -> {member: value}
    structs: dict[str, list[str]] = field(default_factory=dict)  # type -> ["type name", ...]
    opaque: set[str] = field(default_factory=set)  # typedef struct x x;
    functions: dict[str, str] = field(default_factory=dict)  # name -> normalised prototype


def _norm(text: str) -> str:
    """One space between tokens, none inside parentheses or brackets, `*` attached to what follows."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*(\*+)\s*", r" \1", text)
    text = re.sub(r"\s*,\s*", ", ", text)
    text = re.sub(r"\s*([()\[\]])\s*", r"\1", text)
    return re.sub(r"(\w)\(", r"\1(", text)


def _strip(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"#ifdef __cplusplus.*?#endif", " ", text, flags=re.S)
    return re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)


def _int_value(value: str) -> str:
    match = re.fullmatch(r"(-?(?:0x[0-9a-fA-F]+|\d+))[uUlL]*", value.strip())
    return str(int(match.group(1), 0)) if match else value.strip()


def parse_api(text: str) -> Api:
    """Reads the subset of C that tensorlet.h and the cdef use (typedefs, enums, structs, prototypes)."""
    api = Api()
    for name, value in re.findall(r"^[ \t]*#define[ \t]+(\w+)[ \t]*(.*?)[ \t]*(?:/\*.*)?$", text, re.M):
        api.macros[name] = _int_value(value)
    body = _strip(text)
    for name, value in api.macros.items():  # array sizes: dims[TL_MAX_RANK] -> dims[6]
        if value.lstrip("-").isdigit():
            body = re.sub(rf"\b{name}\b", value, body)
    depth, start, decls = 0, 0, []
    for i, ch in enumerate(body):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            decls.append(body[start:i].strip())
            start = i + 1
    for decl in filter(None, decls):
        if m := re.fullmatch(r"typedef\s+enum\s+(\w+)\s*\{(.*)\}\s*(\w+)", decl, re.S):
            items = [s.strip() for s in m.group(2).split(",") if s.strip()]
            api.enums[m.group(1)] = {
                k.strip(): _int_value(v) for k, _, v in (item.partition("=") for item in items)
            }
        elif m := re.fullmatch(r"typedef\s+struct\s+(\w+)\s*\{(.*)\}\s*(\w+)", decl, re.S):
            api.structs[m.group(1)] = [_norm(f) for f in m.group(2).split(";") if f.strip()]
        elif m := re.fullmatch(r"typedef\s+struct\s+(\w+)\s+(\w+)", decl):
            api.opaque.add(m.group(1))
        elif m := re.fullmatch(r"(.*?)\b(\w+)\s*\((.*)\)", decl, re.S):
            api.functions[m.group(2)] = _norm(decl)
        else:
            raise ValueError(f"cannot parse declaration: {decl!r}")
    return api


def cdef_text(name: str = "CDEF") -> str:
    """The CDEF string of pyruntime/_build.py, read without importing it (no cffi, no extension)."""
    for node in ast.walk(ast.parse(BUILD.read_text())):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} string in {BUILD}")


def drift(header: Api, cdef: Api) -> list[str]:
    """One line per difference between what the cdef declares and the header."""
    out = []
    for name, value in cdef.macros.items():
        if name not in header.macros:
            out.append(f"#define {name}: in the cdef, not in tensorlet.h")
        elif value not in ("...", header.macros[name]):
            out.append(f"#define {name}: header {header.macros[name]}, cdef {value}")
    for name, members in cdef.enums.items():
        theirs = header.enums.get(name)
        if theirs is None:
            out.append(f"enum {name}: in the cdef, not in tensorlet.h")
            continue
        for member in [*theirs, *(k for k in members if k not in theirs)]:
            h, c = theirs.get(member, "<missing>"), members.get(member, "<missing>")
            if h != c and c != "...":
                out.append(f"enum {name}: {member} is {h} in tensorlet.h, {c} in the cdef")
    for name, fields in cdef.structs.items():
        theirs = header.structs.get(name)
        if theirs is None:
            out.append(f"struct {name}: in the cdef, not in tensorlet.h")
        elif fields != theirs:
            diff = difflib.unified_diff(theirs, fields, "tensorlet.h", "cdef", lineterm="", n=1)
            out.append(f"struct {name} fields differ:\n    " + "\n    ".join(diff))
    for name in sorted(cdef.opaque - header.opaque):
        out.append(f"struct {name}: opaque in the cdef, not in tensorlet.h")
    for name, proto in cdef.functions.items():
        if name not in header.functions:
            out.append(f"{name}: in the cdef, not in tensorlet.h")
        elif proto != header.functions[name]:
            ours = header.functions[name]
            out.append(f"{name}: prototypes differ\n    tensorlet.h: {ours}\n    cdef:        {proto}")
    return out


def missing(header: Api, cdef: Api) -> list[str]:
    """Public names of the header that the cdef lacks (and NOT_IN_CDEF does not excuse)."""
    kinds = [
        ("function", header.functions, cdef.functions),
        ("enum", header.enums, cdef.enums),
        ("struct", header.structs, cdef.structs),
        ("opaque struct", header.opaque, cdef.opaque),
        ("#define", header.macros, cdef.macros),
    ]
    out = []
    for kind, ours, theirs in kinds:
        for name in sorted(set(ours) - set(theirs) - set(NOT_IN_CDEF)):
            if kind == "#define" and name == "TENSORLET_H":
                continue  # the include guard
            out.append(f"{kind} {name}: in tensorlet.h, not in the cdef (declare it or add to NOT_IN_CDEF)")
    return out


def _apis() -> tuple[Api, Api]:
    return parse_api(HEADER.read_text()), parse_api(cdef_text())


def test_parser_reads_the_whole_header() -> None:
    header, cdef = _apis()
    assert header.enums["tl_status"]["TL_OK"] == "0" and header.enums["tl_dtype"]["TL_BOOL"] == "7"
    assert "int32_t dims[6]" in header.structs["tl_tensor_info"]
    assert header.opaque == {"tl_model", "tl_interpreter"}
    assert len(header.functions) >= 30 and len(cdef.functions) >= 30
    assert header.functions["tl_interpreter_output_data"] == (
        "tl_status tl_interpreter_output_data(tl_interpreter *interp, int32_t index, const void **data)"
    )


def test_cdef_matches_header() -> None:
    header, cdef = _apis()
    found = drift(header, cdef)
    assert not found, "pyruntime/_build.py CDEF differs from include/tensorlet.h:\n" + "\n".join(found)


def test_cdef_declares_every_public_name() -> None:
    header, cdef = _apis()
    found = missing(header, cdef)
    assert not found, "pyruntime/_build.py CDEF lacks public names of tensorlet.h:\n" + "\n".join(found)


def test_not_in_cdef_lists_only_header_names() -> None:
    header, _ = _apis()
    names = {*header.functions, *header.enums, *header.structs, *header.opaque, *header.macros}
    assert set(NOT_IN_CDEF) <= names, f"stale NOT_IN_CDEF entries: {sorted(set(NOT_IN_CDEF) - names)}"


def test_drift_is_reported_precisely() -> None:
    """The comparison itself: a dropped field, a renamed parameter and a changed value are each named."""
    header, _ = _apis()
    text = cdef_text()
    text = text.replace("  uint64_t max_work;\n", "")
    text = text.replace("tl_model_load_file(const char *path,", "tl_model_load_file(const char *p,")
    text = text.replace("TL_ERROR_IO = 403", "TL_ERROR_IO = 404")
    text = text.replace("void tl_model_destroy(tl_model *model);\n", "")
    cdef = parse_api(text)
    report = "\n".join(drift(header, cdef) + missing(header, cdef))
    assert "-uint64_t max_work" in report
    assert "tl_model_load_file: prototypes differ" in report
    assert "TL_ERROR_IO is 403 in tensorlet.h, 404 in the cdef" in report
    assert "function tl_model_destroy: in tensorlet.h, not in the cdef" in report


def test_conv_train_cdef_matches_its_headers() -> None:
    """CONV_TRAIN_CDEF (the trainer's convolutions and the thread pool they run on) against the internal
    headers it copies; only what it declares is compared (the rest of threadpool.h is C-only)."""
    src = ROOT / "runtime_c" / "src"
    text = (src / "threadpool.h").read_text() + (src / "conv_train.h").read_text()
    header = parse_api(re.sub(r"\\\n", " ", text))  # one line per #if
    cdef = parse_api(cdef_text("CONV_TRAIN_CDEF"))
    assert "tl_conv2d_f32_filter_grad" in cdef.functions and "tl_conv2d_geometry" in cdef.structs
    found = drift(header, cdef)
    assert not found, "CONV_TRAIN_CDEF differs from conv_train.h/threadpool.h:\n" + "\n".join(found)
