"""A parser for the subset of the FlatBuffers schema language that schema/tensorlet.fbs uses.

What this is: one reader of the .fbs shared by the generators that turn it into code (scripts/gen_c_schema.py
for the runtime's reader, runtime_c/fuzz/gen_fuzz_schema.py for the fuzzer, scripts/gen_py_schema.py for the
trainer's option tables), so that every mirror of the format comes from the same parse. What this is not: a
full flatc front end. Supported: `namespace`, `file_identifier`, `file_extension`, `root_type`,
`attribute "name";` (user attributes), `enum Name : type { A = 0 (attr: "value"), B, ... }`,
`union { T, ... }`, `table` with scalar, enum, string, table, union and vector fields, defaults and
attributes (`force_align`, `required`, `deprecated`). User attributes, declared before the first enum,
union or table (flatc wants them declared before use), may annotate enum values and fields; flatc's code
generators ignore them and ours read them (the `options` and `options_optional` attributes of the OpCode
values, see scripts/gen_py_schema.py). Anything else (structs, `id:` attributes, undeclared attributes,
vectors of unions, includes) raises ValueError rather than being misread.

Field slots follow declaration order, as flatc assigns them; a union field takes two slots and is returned
as two fields, `<name>_type` (kind "union_type", a ubyte) and `<name>` (kind "union"), as flatc's
reflection does.

    import fbs_schema
    schema = fbs_schema.parse(fbs_schema.SCHEMA_PATH.read_text())
    [f.name for f in schema.table("Operator").fields]  # ['opcode', 'inputs', 'outputs', 'options_type', ...]

The generators import it by putting this directory on sys.path (scripts/ is not a package).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO_ROOT / "schema" / "tensorlet.fbs"

# FlatBuffers scalar type names (and their aliases) -> size in bytes
SCALAR_SIZES: dict[str, int] = {
    "bool": 1,
    "byte": 1,
    "int8": 1,
    "ubyte": 1,
    "uint8": 1,
    "short": 2,
    "int16": 2,
    "ushort": 2,
    "uint16": 2,
    "int": 4,
    "int32": 4,
    "uint": 4,
    "uint32": 4,
    "float": 4,
    "float32": 4,
    "long": 8,
    "int64": 8,
    "ulong": 8,
    "uint64": 8,
    "double": 8,
    "float64": 8,
}
FLOAT_TYPES = frozenset({"float", "float32", "double", "float64"})

_KNOWN_ATTRIBUTES = frozenset({"force_align", "required", "deprecated"})  # flatc's own, on fields
# name : [type] = default (attributes)
_FIELD_RE = re.compile(r"(\w+)\s*:\s*(\[)?\s*(\w+)\s*(\])?\s*(?:=\s*([\w.+-]+))?\s*(?:\((.*)\))?", re.S)


@dataclass(frozen=True)
class Enum:
    name: str
    base: str  # scalar type name ("byte", "int")
    values: dict[str, int]  # member -> value, in declaration order
    # member -> its user attributes (name -> value: a string constant without its quotes, None when the
    # attribute has no value); only the members that have some
    attributes: dict[str, dict[str, str | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Union:
    name: str
    members: list[str]  # table names; the union type value of members[k] is k + 1 (0 is NONE)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # the declared type name (element type of a vector; the union's name for both union fields)
    kind: str  # "scalar", "enum", "string", "table", "union_type" or "union"
    vector: bool
    slot: int  # vtable slot (field id)
    default: str | None  # the default as written in the .fbs (None when absent)
    attributes: dict[str, str | None] = field(default_factory=dict)

    @property
    def scalar(self) -> str | None:
        """The scalar type stored (an enum's base type, "ubyte" for a union type), else None."""
        return self.type if self.kind == "scalar" else None

    @property
    def required(self) -> bool:
        return "required" in self.attributes

    @property
    def deprecated(self) -> bool:
        return "deprecated" in self.attributes

    @property
    def force_align(self) -> int:
        value = self.attributes.get("force_align")
        return int(value) if value else 0


@dataclass(frozen=True)
class Table:
    name: str
    fields: list[Field]


@dataclass(frozen=True)
class Schema:
    namespace: str
    identifier: str
    extension: str
    root: str
    enums: list[Enum]
    unions: list[Union]
    tables: list[Table]  # in declaration order
    user_attributes: frozenset[str] = frozenset()  # declared with `attribute`

    def enum(self, name: str) -> Enum:
        return next(e for e in self.enums if e.name == name)

    def union(self, name: str) -> Union:
        return next(u for u in self.unions if u.name == name)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def scalar_type(self, f: Field) -> str | None:
        """The scalar type of a scalar, enum or union type field (or of a vector's elements), else None."""
        if f.kind == "scalar":
            return f.type
        if f.kind == "enum":
            return self.enum(f.type).base
        if f.kind == "union_type":
            return "ubyte"
        return None

    def scalar_size(self, f: Field) -> int:
        """Bytes of the scalar (or vector element) of ``f``; 0 for strings, tables and unions."""
        scalar = self.scalar_type(f)
        return SCALAR_SIZES[scalar] if scalar else 0

    def default_value(self, f: Field) -> int | float:
        """The default of a scalar, enum or bool field as a number (0 when the .fbs gives none)."""
        if f.default is None:
            return 0
        if f.kind == "enum":
            values = self.enum(f.type).values
            return values[f.default] if f.default in values else int(f.default)
        if f.default in ("true", "false"):
            return int(f.default == "true")
        if f.type in FLOAT_TYPES:
            return float(f.default)
        return int(f.default)


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def _items(body: str, sep: str) -> list[str]:
    """``body`` split at ``sep`` outside parentheses and string constants, stripped, empty items dropped."""
    items: list[str] = []
    depth, start, quoted = 0, 0, False
    for k, ch in enumerate(body):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            items.append(body[start:k])
            start = k + 1
    items.append(body[start:])
    return [s.strip() for s in items if s.strip()]


# one metadata item: name [: value], the value a string constant (no escapes) or a scalar
_ATTRIBUTE_RE = re.compile(r'(\w+)\s*(?::\s*(?:"([^"\\]*)"|([\w.+-]+)))?')


def _attributes(where: str, text: str | None, allowed: frozenset[str]) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {}
    for item in _items(text or "", ","):
        match = _ATTRIBUTE_RE.fullmatch(item)
        if not match:
            raise ValueError(f"{where}: cannot parse attribute {item!r}")
        key, string, scalar = match.groups()
        if key not in allowed:
            raise ValueError(f"{where}: unsupported attribute {key!r}")
        if key in attrs:
            raise ValueError(f"{where}: attribute {key!r} given twice")
        attrs[key] = string if string is not None else scalar
    return attrs


def _parse_enum(name: str, base: str, body: str, user: frozenset[str]) -> Enum:
    if base not in SCALAR_SIZES or base in FLOAT_TYPES or base == "bool":
        raise ValueError(f"enum {name}: unsupported base type {base}")
    values: dict[str, int] = {}
    attributes: dict[str, dict[str, str | None]] = {}
    value = -1
    for item in _items(body, ","):
        match = re.fullmatch(r"(\w+)\s*(?:=\s*(-?\d+))?\s*(?:\((.*)\))?", item, re.S)
        if not match:
            raise ValueError(f"enum {name}: cannot parse {item!r}")
        member, number, attr_text = match.groups()
        value = int(number) if number is not None else value + 1
        values[member] = value
        if attr_text is not None:
            attributes[member] = _attributes(f"{name}.{member}", attr_text, user)
    return Enum(name, base, values, attributes)


def _parse_table(
    name: str, body: str, enums: set[str], unions: set[str], tables: set[str], user: frozenset[str]
) -> Table:
    fields: list[Field] = []
    slot = 0
    for decl in _items(body, ";"):
        match = _FIELD_RE.fullmatch(decl)
        if not match:
            raise ValueError(f"table {name}: cannot parse {decl!r}")
        fname, open_bracket, ftype, close_bracket, default, attr_text = match.groups()
        if bool(open_bracket) != bool(close_bracket):
            raise ValueError(f"{name}.{fname}: unbalanced brackets")
        vector = bool(open_bracket)
        attrs = _attributes(f"{name}.{fname}", attr_text, _KNOWN_ATTRIBUTES | user)
        if ftype in unions:
            if vector:
                raise ValueError(f"{name}.{fname}: vectors of unions are not supported")
            fields.append(Field(f"{fname}_type", ftype, "union_type", False, slot, None, attrs))
            fields.append(Field(fname, ftype, "union", False, slot + 1, None, attrs))
            slot += 2
            continue
        if ftype in SCALAR_SIZES:
            kind = "scalar"
        elif ftype in enums:
            kind = "enum"
        elif ftype == "string":
            kind = "string"
        elif ftype in tables:
            kind = "table"
        else:
            raise ValueError(f"{name}.{fname}: unknown type {ftype}")
        if default is not None and (vector or kind in ("string", "table")):
            raise ValueError(f"{name}.{fname}: only scalars have defaults")
        fields.append(Field(fname, ftype, kind, vector, slot, default, attrs))
        slot += 1
    return Table(name, fields)


def parse(text: str) -> Schema:
    """Parses the .fbs ``text``; raises ValueError on anything outside the supported subset."""
    text = _strip_comments(text)
    for keyword in ("struct", "include", "rpc_service"):
        if re.search(rf"^\s*{keyword}\b", text, re.M):
            raise ValueError(f"unsupported declaration: {keyword}")
    declared = list(re.finditer(r'^[ \t]*attribute\s+(?:"(\w+)"|(\w+))\s*;', text, re.M))
    if len(declared) != len(re.findall(r"^[ \t]*attribute\b", text, re.M)):
        raise ValueError('cannot parse an attribute declaration (expected: attribute "name";)')
    user = frozenset(m.group(1) or m.group(2) for m in declared)
    if user & _KNOWN_ATTRIBUTES:
        raise ValueError(f"attribute {sorted(user & _KNOWN_ATTRIBUTES)[0]!r} is flatc's own")
    first_type = re.search(r"^[ \t]*(?:enum|union|table)\b", text, re.M)
    if first_type and any(m.start() > first_type.start() for m in declared):
        raise ValueError("attribute declarations must come before the first enum, union or table")
    enums = [_parse_enum(*m, user) for m in re.findall(r"\benum\s+(\w+)\s*:\s*(\w+)\s*\{(.*?)\}", text, re.S)]
    unions = [
        Union(name, _items(body, ","))
        for name, body in re.findall(r"\bunion\s+(\w+)\s*\{(.*?)\}", text, re.S)
    ]
    raw_tables = re.findall(r"\btable\s+(\w+)\s*\{(.*?)\}", text, re.S)
    names = {"enum": {e.name for e in enums}, "union": {u.name for u in unions}}
    table_names = {name for name, _ in raw_tables}
    tables = [_parse_table(n, b, names["enum"], names["union"], table_names, user) for n, b in raw_tables]
    for u in unions:
        for member in u.members:
            if member not in table_names:
                raise ValueError(f"union {u.name}: member {member} is not a table")
    namespace = re.search(r"\bnamespace\s+([\w.]+)\s*;", text)
    ident = re.search(r'\bfile_identifier\s+"(\w{4})"\s*;', text)
    ext = re.search(r'\bfile_extension\s+"(\w+)"\s*;', text)
    root = re.search(r"\broot_type\s+(\w+)\s*;", text)
    if not root or not ident:
        raise ValueError("root_type or file_identifier missing")
    if root.group(1) not in table_names:
        raise ValueError(f"root_type {root.group(1)} is not a table")
    return Schema(
        namespace=namespace.group(1) if namespace else "",
        identifier=ident.group(1),
        extension=ext.group(1) if ext else "",
        root=root.group(1),
        enums=enums,
        unions=unions,
        tables=tables,
        user_attributes=user,
    )


def load(path: Path = SCHEMA_PATH) -> Schema:
    """Parses the schema file at ``path`` (default: schema/tensorlet.fbs)."""
    return parse(path.read_text())


def generator_main(
    argv: list[str] | None,
    description: str | None,
    generate: Callable[[Path], dict[Path, str]],
    outputs: str,
    command: str,
) -> int:
    """The command line the schema generators share: write the files ``generate(schema)`` returns, or with
    ``--check`` only report the stale ones (exit 1, naming ``command``); ``--out-dir`` writes them elsewhere
    (``outputs``: their names, for the help text)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help=f"only check that the committed {outputs} are fresh"
    )
    parser.add_argument(
        "--schema", type=Path, default=SCHEMA_PATH, help="the .fbs file (default: schema/tensorlet.fbs)"
    )
    parser.add_argument("--out-dir", type=Path, default=None, help=f"write {outputs} here instead")
    args = parser.parse_args(argv)
    files = generate(args.schema)
    if args.out_dir is not None:
        files = {args.out_dir / path.name: text for path, text in files.items()}
    if args.check:
        stale = [path for path, text in files.items() if not path.is_file() or path.read_text() != text]
        for path in stale:
            print(f"{path} is stale: run {command}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return 0
