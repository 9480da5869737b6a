"""The C runtime's op structure (issue #13, "one op, one place"): every op is one descriptor in its own file,
ops/op_table.c lists them one line each in schema OpCode order, and no other C file under runtime_c/src
branches on op codes (the descriptor's flags and the op's own code say what differs per op).

Pure text checks: no build needed.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "runtime_c" / "src"
OPS = SRC / "ops"
# the op table and the generated schema code are where op codes are allowed
ALLOWED = {OPS / "op_table.c", SRC / "fb_schema.c", SRC / "fb_schema.h"}

# an opcode switch or comparison: `switch (op->opcode)`, `case TL_OP_CONV2D:`, `opcode == ...`,
# `... != TL_OP_MUL`, `TL_OP_ADD == ...`, or a descriptor compared by address (`desc == &tl_op_conv2d`)
OPCODE_BRANCH = re.compile(
    r"switch\s*\([^)]*opcode"
    r"|\bcase\s+TL_OP_"
    r"|\bopcode\s*[!=]="
    r"|[!=]=\s*TL_OP_(?!FLAG_)[A-Z0-9_]+"
    r"|\bTL_OP_(?!FLAG_)[A-Z0-9_]+\s*[!=]="
    r"|[!=]=\s*&\s*tl_op_\w+"
)


def _schema_ops() -> list[tuple[str, str | None, bool]]:
    """(name, options table or None, options optional) of each OpCode value, in value order."""
    text = (ROOT / "schema" / "tensorlet.fbs").read_text()
    body = re.search(r"enum OpCode\s*:\s*\w+\s*\{(.*?)\}", text, re.S)
    assert body is not None
    ops = []
    for m in re.finditer(r"(\w+)\s*=\s*(\d+)\s*(?:\(([^)]*)\))?", body.group(1)):
        attrs = m.group(3) or ""
        table = re.search(r'options:\s*"(\w+)"', attrs)
        assert int(m.group(2)) == len(ops), "OpCode values are dense from 0"
        ops.append((m.group(1), table.group(1) if table else None, "options_optional" in attrs))
    assert ops
    return ops


def _snake(name: str) -> str:
    """Conv2D -> conv2d, FullyConnected -> fully_connected, DepthwiseConv2D -> depthwise_conv2d."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def test_no_opcode_branch_outside_the_op_table() -> None:
    found = []
    for path in sorted([*SRC.rglob("*.c"), *SRC.rglob("*.h")]):
        if path in ALLOWED:
            continue
        for lineno, line in enumerate(_strip_comments(path.read_text()).splitlines(), 1):
            if OPCODE_BRANCH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not found, (
        "op code branches outside ops/op_table.c (use descriptor flags or per-op code):\n" + "\n".join(found)
    )


def test_the_pattern_catches_opcode_branches() -> None:
    for bad in (
        "switch (node->op->opcode) {",
        "    case TL_OP_CONV2D:",
        "if (d->opcode == TL_OP_CONCATENATION)",
        "return opcode == TL_OP_FULLY_CONNECTED || x;",
        "node->op->opcode != TL_OP_CONV2D",
        "if (ctx->desc == &tl_op_conv2d)",
    ):
        assert OPCODE_BRANCH.search(bad), bad
    for fine in ("(ctx->desc->flags & TL_OP_FLAG_WEIGHTS) != 0", "if (opcode < 0 || opcode >= TL_OP_COUNT)"):
        assert not OPCODE_BRANCH.search(fine), fine


def test_op_table_has_one_line_per_schema_op_in_order() -> None:
    table = _strip_comments((OPS / "op_table.c").read_text())
    body = re.search(r"tl_ops\[TL_OP_COUNT\]\s*=\s*\{(.*?)\};", table, re.S)
    assert body is not None, "ops/op_table.c: the table tl_ops[TL_OP_COUNT] = {...};"
    lines = [line.strip() for line in body.group(1).splitlines() if line.strip()]
    # TL_OP_REF(NAME, d): &d, or NULL in a selective build without the op
    want = [f"TL_OP_REF({_snake(name).upper()}, tl_op_{_snake(name)})," for name, _, _ in _schema_ops()]
    assert lines == want


def test_each_op_has_one_descriptor_matching_the_schema() -> None:
    """One `const tl_op_descriptor tl_op_<name> = {"Name", ...}` per schema op in ops/*.c, built under
    TL_OP_FN(<NAME>, ...) (selective builds), with the schema's options table and required flag."""
    sources = {p: _strip_comments(p.read_text()) for p in sorted(OPS.glob("*.c")) if p.name != "op_table.c"}
    for name, table, optional in _schema_ops():
        ident = f"tl_op_{_snake(name)}"
        pattern = re.compile(r"const\s+tl_op_descriptor\s+" + ident + r"\s*=\s*\{(.*?)\};", re.S)
        hits = [(p, m) for p, text in sources.items() for m in pattern.finditer(text)]
        assert len(hits) == 1, f"{ident}: {len(hits)} definitions"
        path, m = hits[0]
        fields = [f.strip() for f in re.split(r",(?![^(]*\))", " ".join(m.group(1).split()))]
        assert fields[0] == f'"{name}"', (path.name, fields)
        upper = _snake(name).upper()
        for k in (2, 3, 4):  # prepare, eval, work: left out of selective builds that do not list the op
            assert fields[k].startswith(f"TL_OP_FN({upper},"), (path.name, fields[k])
        want_tag = (
            "TL_OPT_NONE" if table is None else "TL_OPT_" + _snake(table.removesuffix("Options")).upper()
        )
        assert fields[5] == want_tag, (path.name, fields[5])
        assert fields[6] == ("0" if table is None or optional else "1"), (path.name, name, fields[6])
        assert (fields[1] == "NULL") == (table is None), (path.name, fields[1])


def test_view_ops_agree_with_the_python_planner() -> None:
    """The descriptors flagged TL_OP_FLAG_VIEW (planner step 2b) are exactly VIEW_OPS of
    trainer/tlm/planner.py, so the arena the exporter writes is the one the runtime plans."""
    from trainer.tlm.planner import VIEW_OPS

    flagged = set()
    for path in sorted(OPS.glob("*.c")):
        text = _strip_comments(path.read_text())
        for m in re.finditer(r"const\s+tl_op_descriptor\s+tl_op_\w+\s*=\s*\{(.*?)\};", text, re.S):
            fields = [f.strip() for f in re.split(r",(?![^(]*\))", " ".join(m.group(1).split()))]
            if "TL_OP_FLAG_VIEW" in fields[7]:
                flagged.add(fields[0].strip('"'))
    assert flagged == set(VIEW_OPS) == {"Reshape"}
