#!/usr/bin/env python3
"""Generate trainer/tlm/schema_tables.py, the trainer's option tables, from schema/tensorlet.fbs.

flatc's Python code (trainer/tlm/schema/, made by `python -m trainer.tlm.codegen`) gives one class per table
but no list of a table's fields, and nothing says which options table an op code takes. The model writer
(trainer/tlm/builder.py) and reader (trainer/tlm/reader.py) need both; this script writes them, so the .fbs
stays the one source of truth:

    python scripts/gen_py_schema.py           # rewrite trainer/tlm/schema_tables.py
    python scripts/gen_py_schema.py --check   # exit 1 when the committed file is stale

tests/lite/test_tlm_codegen.py runs the check. The output is deterministic (same .fbs, same bytes).

What it writes:
  - OPTION_FIELDS     every member of union OpOptions: [(field, kind, default)] in schema order. A kind is
                      "int", "bool", "float", "[int]" or an enum's name; a default is the .fbs default as a
                      Python value (an enum's as its integer value, a vector's as None).
  - OP_OPTIONS        op code -> options table, from the `options: "<Table>"` attribute of OpCode values.
  - OPTIONAL_OPTIONS  op codes that also carry `options_optional` (their options may be left out).
Adding an op code that takes options is thus: annotate it in the .fbs, run this and scripts/gen_c_schema.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fbs_schema  # noqa: E402  (scripts/ is not a package)

ROOT = fbs_schema.REPO_ROOT
OUTPUT = ROOT / "trainer" / "tlm" / "schema_tables.py"
COMMAND = "python scripts/gen_py_schema.py"
WIDTH = 110  # ruff's line-length (pyproject.toml)

OP_ENUM = "OpCode"
OPTIONS_UNION = "OpOptions"
# Scalar types an options field may have, and the kind the builder and reader know them by
SCALAR_KINDS: dict[str, str] = {
    "int": "int",
    "int32": "int",
    "bool": "bool",
    "float": "float",
    "float32": "float",
}


def _kind(schema: fbs_schema.Schema, table: str, f: fbs_schema.Field) -> str:
    if f.vector:
        if f.kind == "scalar" and SCALAR_KINDS.get(f.type) == "int":
            return "[int]"
    elif f.kind == "enum":
        return f.type
    elif f.kind == "scalar" and f.type in SCALAR_KINDS:
        return SCALAR_KINDS[f.type]
    shown = f"[{f.type}]" if f.vector else f.type
    raise ValueError(f"{table}.{f.name}: type {shown} is not supported in an options table")


def _default(schema: fbs_schema.Schema, kind: str, f: fbs_schema.Field) -> Any:
    if kind == "[int]":
        return None
    value = schema.default_value(f)
    if kind == "bool":
        return bool(value)
    if kind == "float":
        return float(value)
    return int(value)


def option_fields(schema: fbs_schema.Schema) -> dict[str, list[tuple[str, str, Any]]]:
    """Every options table (member of union OpOptions, in union order): [(field, kind, default)]."""
    tables: dict[str, list[tuple[str, str, Any]]] = {}
    for name in schema.union(OPTIONS_UNION).members:
        rows = []
        for f in schema.table(name).fields:
            if f.deprecated:
                raise ValueError(f"{name}.{f.name}: deprecated option fields are not supported")
            kind = _kind(schema, name, f)
            rows.append((f.name, kind, _default(schema, kind, f)))
        tables[name] = rows
    return tables


def op_options(schema: fbs_schema.Schema) -> tuple[dict[str, str], frozenset[str]]:
    """(op code -> options table, op codes whose options are optional), from the OpCode value attributes."""
    members = set(schema.union(OPTIONS_UNION).members)
    enum = schema.enum(OP_ENUM)
    tables: dict[str, str] = {}
    optional: set[str] = set()
    for op in enum.values:
        attrs = enum.attributes.get(op, {})
        unknown = set(attrs) - {"options", "options_optional"}
        if unknown:
            raise ValueError(f"{OP_ENUM}.{op}: unsupported attribute {sorted(unknown)[0]!r}")
        if "options_optional" in attrs:
            if attrs["options_optional"] is not None:
                raise ValueError(f"{OP_ENUM}.{op}: options_optional takes no value")
            if "options" not in attrs:
                raise ValueError(f"{OP_ENUM}.{op}: options_optional without options")
            optional.add(op)
        if "options" in attrs:
            table = attrs["options"]
            if table not in members:
                raise ValueError(
                    f"{OP_ENUM}.{op}: options {table!r} is not a member of union {OPTIONS_UNION}"
                )
            tables[op] = table
    return tables, frozenset(optional)


def _py(value: Any) -> str:
    """A Python literal in the repository's style (double-quoted strings)."""
    if isinstance(value, str):
        if not value.replace("[", "").replace("]", "").isidentifier():
            raise ValueError(f"unexpected name {value!r}")
        return f'"{value}"'
    if isinstance(value, tuple):
        return "(" + ", ".join(_py(v) for v in value) + ")"
    return repr(value)


def render(schema: fbs_schema.Schema) -> str:
    fields = option_fields(schema)
    ops, optional = op_options(schema)
    optional_names = [_py(op) for op in ops if op in optional]  # in op code order
    optional_set = "{" + ", ".join(optional_names) + "}" if optional_names else ""
    out = [
        '"""The option tables of schema/tensorlet.fbs, for trainer/tlm/builder.py and reader.py.',
        "",
        "Generated by scripts/gen_py_schema.py from schema/tensorlet.fbs; do not edit. After changing the"
        " schema,",
        f"run `{COMMAND}` (tests/lite/test_tlm_codegen.py fails while this file is stale).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        f"# Fields of every options table (the members of union {OPTIONS_UNION}), in schema order:",
        '# (field name, kind, default). A kind is "int", "bool", "float", "[int]" or an enum name; an enum',
        "# default is the member's value, a vector's default is None.",
        "OPTION_FIELDS: dict[str, list[tuple[str, str, Any]]] = {",
    ]
    for table, rows in fields.items():
        items = [_py(row) for row in rows]
        one = f"    {_py(table)}: [{', '.join(items)}],"
        if len(one) <= WIDTH:
            out.append(one)
        else:
            out += [f"    {_py(table)}: [", *[f"        {item}," for item in items], "    ],"]
    out += [
        "}",
        "",
        f'# The options table each op code takes (`options: "<Table>"` on the {OP_ENUM} value); ops',
        "# absent here take none.",
        "OP_OPTIONS: dict[str, str] = {",
        *[f"    {_py(op)}: {_py(table)}," for op, table in ops.items()],
        "}",
        "",
        "# Op codes whose options may be left out (`options_optional`).",
        f"OPTIONAL_OPTIONS: frozenset[str] = frozenset({optional_set})",
    ]
    for line in out:
        if len(line) > WIDTH:
            raise ValueError(f"generated line longer than {WIDTH}: {line!r}")
    return "\n".join(out) + "\n"


def generate(schema_path: Path = fbs_schema.SCHEMA_PATH) -> dict[Path, str]:
    """{output path: text} for the schema at ``schema_path``."""
    return {OUTPUT: render(fbs_schema.load(schema_path))}


def main(argv: list[str] | None = None) -> int:
    return fbs_schema.generator_main(argv, __doc__, generate, "trainer/tlm/schema_tables.py", COMMAND)


if __name__ == "__main__":
    sys.exit(main())
