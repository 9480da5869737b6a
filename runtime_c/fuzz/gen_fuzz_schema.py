#!/usr/bin/env python3
"""Generate runtime_c/fuzz/fuzz_schema.h, the reflection table of schema/tensorlet.fbs for fuzz_fields.c.

The structure-aware fuzzer decodes a .tlm file into a generic tree (every field of every table, present or
not), mutates it and writes it back. It needs to know each table's fields: slot, kind (scalar, string,
sub-table, vector, union), scalar type, default value, enum range and force_align. This script reads the
.fbs directly (it is small and uses a handful of FlatBuffers features) and writes that table as C.

    python runtime_c/fuzz/gen_fuzz_schema.py           # rewrite fuzz_schema.h
    python runtime_c/fuzz/gen_fuzz_schema.py --check   # exit 1 when the committed header is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMA = HERE.parents[1] / "schema" / "tensorlet.fbs"
HEADER = HERE / "fuzz_schema.h"

# FlatBuffers scalar type names -> (C enum name of the kind, byte size)
SCALARS: dict[str, tuple[str, int]] = {
    "bool": ("FZ_BOOL", 1),
    "byte": ("FZ_I8", 1),
    "int8": ("FZ_I8", 1),
    "ubyte": ("FZ_U8", 1),
    "uint8": ("FZ_U8", 1),
    "short": ("FZ_I16", 2),
    "int16": ("FZ_I16", 2),
    "ushort": ("FZ_U16", 2),
    "uint16": ("FZ_U16", 2),
    "int": ("FZ_I32", 4),
    "int32": ("FZ_I32", 4),
    "uint": ("FZ_U32", 4),
    "uint32": ("FZ_U32", 4),
    "long": ("FZ_I64", 8),
    "int64": ("FZ_I64", 8),
    "ulong": ("FZ_U64", 8),
    "uint64": ("FZ_U64", 8),
    "float": ("FZ_F32", 4),
    "float32": ("FZ_F32", 4),
    "double": ("FZ_F64", 8),
    "float64": ("FZ_F64", 8),
}


# name: [type] = default (attributes)
FIELD_RE = r"(\w+)\s*:\s*(\[?)\s*(\w+)\s*(\]?)\s*(?:=\s*([\w.+-]+))?\s*(?:\((.*)\))?"


@dataclass
class Enum:
    name: str
    base: str
    values: dict[str, int]


@dataclass
class Field:
    name: str
    kind: str  # enum fz_kind: FZ_SCALAR, FZ_STRING, FZ_TABLE, FZ_VEC_*, FZ_UTYPE, FZ_UNION
    scalar: str  # scalar kind of a scalar, enum, vector element or union type ("FZ_NOSCALAR" otherwise)
    ref: int  # enum index (scalars), table index (tables), union index (unions), -1 otherwise
    slot: int
    default: str  # C literal (double)
    align: int  # force_align of a vector (0: natural)


@dataclass
class Schema:
    enums: list[Enum]
    unions: list[tuple[str, list[str]]]
    tables: list[tuple[str, list[Field]]]
    root: str
    identifier: str


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def parse(text: str) -> Schema:
    """Parses the subset of the FlatBuffers schema language that tensorlet.fbs uses."""
    text = _strip_comments(text)
    enums = []
    for name, base, body in re.findall(r"\benum\s+(\w+)\s*:\s*(\w+)\s*\{(.*?)\}", text, re.S):
        enum = Enum(name, base, {})
        enums.append(enum)
        value = -1
        for item in [s.strip() for s in body.split(",") if s.strip()]:
            match = re.fullmatch(r"(\w+)\s*(?:=\s*(-?\d+))?", item)
            if not match:
                raise ValueError(f"enum {enum.name}: cannot parse {item!r}")
            value = int(match.group(2)) if match.group(2) is not None else value + 1
            enum.values[match.group(1)] = value
    unions = [
        (name, [s.strip() for s in body.split(",") if s.strip()])
        for name, body in re.findall(r"\bunion\s+(\w+)\s*\{(.*?)\}", text, re.S)
    ]
    raw_tables = re.findall(r"\btable\s+(\w+)\s*\{(.*?)\}", text, re.S)
    table_names = [name for name, _ in raw_tables]
    enum_index = {e.name: i for i, e in enumerate(enums)}
    union_index = {name: i for i, (name, _) in enumerate(unions)}
    tables: list[tuple[str, list[Field]]] = []
    for name, body in raw_tables:
        fields: list[Field] = []
        slot = 0
        for decl in [s.strip() for s in body.split(";") if s.strip()]:
            match = re.fullmatch(FIELD_RE, decl, re.S)
            if not match:
                raise ValueError(f"table {name}: cannot parse {decl!r}")
            fname, vec, ftype, _, default, attrs = match.groups()
            align = 0
            if attrs:
                am = re.search(r"force_align\s*:\s*(\d+)", attrs)
                align = int(am.group(1)) if am else 0
            if ftype in union_index:
                if vec:
                    raise ValueError(f"{name}.{fname}: vectors of unions are not supported")
                fields.append(Field(f"{fname}_type", "FZ_UTYPE", "FZ_U8", union_index[ftype], slot, "0", 0))
                fields.append(Field(fname, "FZ_UNION", "FZ_NOSCALAR", union_index[ftype], slot + 1, "0", 0))
                slot += 2
                continue
            scalar, ref, dflt = "FZ_NOSCALAR", -1, "0"
            if ftype in SCALARS:
                scalar = SCALARS[ftype][0]
                kind = "FZ_VEC_SCALAR" if vec else "FZ_SCALAR"
                if default is not None:
                    dflt = {"true": "1", "false": "0"}.get(default, default)
            elif ftype in enum_index:
                enum = enums[enum_index[ftype]]
                scalar, ref = SCALARS[enum.base][0], enum_index[ftype]
                kind = "FZ_VEC_SCALAR" if vec else "FZ_SCALAR"
                if default is not None:
                    dflt = str(enum.values[default]) if default in enum.values else default
            elif ftype == "string":
                kind = "FZ_VEC_STRING" if vec else "FZ_STRING"
            elif ftype in table_names:
                kind = "FZ_VEC_TABLE" if vec else "FZ_TABLE"
                ref = table_names.index(ftype)
            else:
                raise ValueError(f"{name}.{fname}: unknown type {ftype}")
            if "." in dflt:
                dflt = repr(float(dflt))
            fields.append(Field(fname, kind, scalar, ref, slot, dflt, align))
            slot += 1
        tables.append((name, fields))
    root = re.search(r"\broot_type\s+(\w+)\s*;", text)
    ident = re.search(r'\bfile_identifier\s+"(\w{4})"\s*;', text)
    if not root or not ident:
        raise ValueError("root_type or file_identifier missing")
    for _, members in unions:
        for member in members:
            if member not in table_names:
                raise ValueError(f"union member {member} is not a table")
    return Schema(enums, unions, tables, root.group(1), ident.group(1))


def render(schema: Schema) -> str:
    table_names = [name for name, _ in schema.tables]
    out = [
        "/* fuzz_schema.h: reflection table of schema/tensorlet.fbs for fuzz_fields.c.",
        " * GENERATED by runtime_c/fuzz/gen_fuzz_schema.py -- do not edit; rerun the script after changing",
        " * the schema (tests/test_fuzz_fields.py checks that this file is fresh). */",
        "#ifndef TL_FUZZ_SCHEMA_H",
        "#define TL_FUZZ_SCHEMA_H",
        "",
        "#include <stdint.h>",
        "",
        "enum fz_scalar { FZ_NOSCALAR, FZ_BOOL, FZ_I8, FZ_U8, FZ_I16, FZ_U16, FZ_I32, FZ_U32, FZ_I64, FZ_U64,"
        " FZ_F32, FZ_F64 };",
        "enum fz_kind { FZ_SCALAR, FZ_STRING, FZ_TABLE, FZ_VEC_SCALAR, FZ_VEC_TABLE, FZ_VEC_STRING, FZ_UTYPE,"
        " FZ_UNION };",
        "",
        "typedef struct fz_enum_desc {",
        "  const char *name;",
        "  int64_t min, max; /* smallest and largest declared value */",
        "} fz_enum_desc;",
        "",
        "typedef struct fz_field_desc {",
        "  const char *name;",
        "  uint8_t kind;   /* enum fz_kind */",
        "  uint8_t scalar; /* enum fz_scalar: of a scalar, an enum, a vector's elements or a union type */",
        "  int16_t ref;    /* enum (scalars), table (tables), union (unions) index; -1 for none */",
        "  uint16_t slot;  /* vtable slot */",
        "  uint16_t align; /* force_align of a vector; 0 for natural alignment */",
        "  double def;     /* default value of a scalar */",
        "} fz_field_desc;",
        "",
        "typedef struct fz_table_desc {",
        "  const char *name;",
        "  int32_t field_count;",
        "  const fz_field_desc *fields;",
        "} fz_table_desc;",
        "",
        "typedef struct fz_union_desc {",
        "  const char *name;",
        "  int32_t member_count;   /* union type values 1..member_count */",
        "  const int16_t *members; /* table index of type value k + 1 */",
        "} fz_union_desc;",
        "",
    ]
    for i, (name, _) in enumerate(schema.tables):
        out.append(f"#define FZ_TABLE_{name} {i}")
    for i, enum in enumerate(schema.enums):
        out.append(f"#define FZ_ENUM_{enum.name} {i}")
    out.append("")
    for name, fields in schema.tables:
        for i, f in enumerate(fields):
            out.append(f"#define FZ_F_{name}_{f.name} {i}")
    out.append("")
    out.append("static const fz_enum_desc fz_enums[] = {")
    for enum in schema.enums:
        out.append(f'  {{"{enum.name}", {min(enum.values.values())}, {max(enum.values.values())}}},')
    out.append("};")
    out.append("")
    for name, fields in schema.tables:
        out.append(f"static const fz_field_desc fz_fields_{name}[] = {{")
        for f in fields:
            out.append(f'  {{"{f.name}", {f.kind}, {f.scalar}, {f.ref}, {f.slot}, {f.align}, {f.default}}},')
        out.append("};")
    out.append("")
    out.append("static const fz_table_desc fz_tables[] = {")
    for name, fields in schema.tables:
        out.append(f'  {{"{name}", {len(fields)}, fz_fields_{name}}},')
    out.append("};")
    out.append("")
    for name, members in schema.unions:
        idx = ", ".join(str(table_names.index(m)) for m in members)
        out.append(f"static const int16_t fz_union_members_{name}[] = {{{idx}}};")
    out.append("static const fz_union_desc fz_unions[] = {")
    for name, members in schema.unions:
        out.append(f'  {{"{name}", {len(members)}, fz_union_members_{name}}},')
    out.append("};")
    out.append("")
    out.append(f"#define FZ_TABLE_COUNT {len(schema.tables)}")
    out.append(f"#define FZ_ROOT_TABLE {table_names.index(schema.root)}")
    out.append(f'#define FZ_FILE_IDENTIFIER "{schema.identifier}"')
    out.append("")
    out.append("#endif /* TL_FUZZ_SCHEMA_H */")
    return "\n".join(out) + "\n"


def generate(schema_path: Path = SCHEMA) -> str:
    """The header's text for the schema at ``schema_path``."""
    return render(parse(schema_path.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only check that the header is fresh")
    parser.add_argument("--schema", type=Path, default=SCHEMA, help="the .fbs file (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=HEADER, help="the header (default: %(default)s)")
    args = parser.parse_args(argv)
    text = generate(args.schema)
    if args.check:
        if not args.output.is_file() or args.output.read_text() != text:
            print(f"{args.output} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
