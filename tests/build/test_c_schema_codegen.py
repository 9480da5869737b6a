"""The committed C schema code (runtime_c/src/fb_schema.h/.c) must equal a fresh scripts/gen_c_schema.py run.

Like tests/lite/test_tlm_codegen.py for the Python side: the .fbs is the one source of truth, and a stale
mirror fails here with the command that refreshes it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_c_schema.py"
COMMAND = "python scripts/gen_c_schema.py"

sys.path.insert(0, str(SCRIPT.parent))
import fbs_schema  # noqa: E402
import gen_c_schema  # noqa: E402


def test_generated_c_schema_is_fresh() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in gen_c_schema.generate().items()
        if not path.is_file() or path.read_text() != text
    ]
    assert not stale, f"stale generated files {stale}: run {COMMAND}"


def test_check_mode_exit_status(tmp_path: Path) -> None:
    """--check exits 0 on fresh files and 1 (naming the command) on stale ones; --help works."""
    run = [sys.executable, str(SCRIPT)]
    fresh = subprocess.run([*run, "--out-dir", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert fresh.returncode == 0, fresh.stderr
    assert subprocess.run([*run, "--check", "--out-dir", str(tmp_path)], cwd=ROOT).returncode == 0
    (tmp_path / "fb_schema.c").write_text("/* edited by hand */\n")
    check = [*run, "--check", "--out-dir", str(tmp_path)]
    stale = subprocess.run(check, capture_output=True, text=True, cwd=ROOT)
    assert stale.returncode == 1
    assert "fb_schema.c is stale" in stale.stderr and COMMAND in stale.stderr
    assert subprocess.run([*run, "--help"], capture_output=True, cwd=ROOT).returncode == 0


def test_names_follow_the_schema() -> None:
    """Every op code, option table and union tag of the .fbs has its C name (by rule or override)."""
    schema = fbs_schema.load()
    header = gen_c_schema.HEADER.read_text()
    for op in schema.enum("OpCode").values:
        assert f"TL_OP_{gen_c_schema.upper_snake(op)}," in header, op
    for member in schema.union("OpOptions").members:
        assert gen_c_schema.union_tag("OpOptions", member) + "," in header, member
    for table in schema.tables:
        assert f"TL_T_{gen_c_schema.table_abbr(table.name)}," in header, table.name
    assert set(gen_c_schema.NAME_OVERRIDES) <= {t.name for t in schema.tables}, "override for a missing table"
    for table, field in [*gen_c_schema.FIELD_OVERRIDES, *gen_c_schema.REQUIRED]:
        assert field in [f.name for f in schema.table(table).fields], f"override for missing {table}.{field}"


def test_generator_handles_an_appended_op(tmp_path: Path) -> None:
    """Appending an op code and its options table (the usual schema change) needs no generator edit."""
    text = fbs_schema.SCHEMA_PATH.read_text()
    count = len(fbs_schema.parse(text).enum("OpCode").values)
    text = re.sub(r"(enum OpCode : int \{.*?)\}", rf"\1  ProbeOp = {count},\n}}", text, count=1, flags=re.S)
    text = re.sub(r"(union OpOptions \{.*?)\}", r"\1  ProbeOptions,\n}", text, count=1, flags=re.S)
    probe_table = "table ProbeOptions {\n  scale: float = 1.0;\n}\n\n"
    text = text.replace("union OpOptions", probe_table + "union OpOptions")
    schema = tmp_path / "tensorlet.fbs"
    schema.write_text(text)
    files = gen_c_schema.generate(schema)
    header = files[gen_c_schema.HEADER].replace("\n  ", " ")
    assert "TL_OP_PROBE_OP, TL_OP_COUNT" in header
    assert "TL_OPT_PROBE, TL_OPT_COUNT" in header
    assert "enum { TL_F_PROBE_SCALE }; /* ProbeOptions */" in header
    assert '{"ProbeOptions", N(probe_fields), probe_fields},' in files[gen_c_schema.SOURCE]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("struct Vec3 { x: float; }", "unsupported declaration: struct"),
        ("table Bad { x: Unknown; }", "unknown type Unknown"),
        ("table Bad { x: int (id: 3); }", "unsupported attribute 'id'"),
        ("enum Bad : byte { A = 0 (colour: 1) }", "unsupported attribute 'colour'"),  # not declared
    ],
)
def test_parser_refuses_what_it_does_not_understand(snippet: str, message: str) -> None:
    text = fbs_schema.SCHEMA_PATH.read_text() + "\n" + snippet + "\n"
    with pytest.raises(ValueError, match=message):
        fbs_schema.parse(text)
