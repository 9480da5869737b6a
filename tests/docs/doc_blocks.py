"""The fenced blocks of README.md and docs/*.md, and how the docs runner (test_doc_blocks.py) treats each.

Every fenced block is one of:

- ``python``: run by the runner, each doc's blocks in order in one namespace, in a scratch folder;
- shell (``sh``, ``bash``, ``shell``, ``console``, or a bare block of commands): run with bash in a scratch
  folder, with the repository's ``.venv/bin`` first on PATH;
- the documented output of the runnable block before it: a ``text`` block, or a bare block after a
  paragraph that starts or ends with "prints" (``...`` on a line of its own stands for any lines, ``<...>``
  in a line for any text); a ``console`` block's ``$ cmd`` lines are commands and the lines after each are
  its output; a Python block that starts with ``>>>`` is run as a doctest;
- marked, on the line right before the fence (a blank line between is allowed), by one or more of

  ``<!-- docs-test: skip (REASON) -->``            not runnable here (the reason is required);
  ``<!-- docs-test: not-code -->``                 a grammar, schema, diagram or output listing;
  ``<!-- docs-test: covered-by PATH... (KEY, ...) -->``
                                                   run by another test (slow builds, trainings): each PATH
                                                   exists and each KEY occurs in the block and in one of the
                                                   PATHs, so the marker cannot outlive the test; without
                                                   keys, a PATH must name the doc (it reads the doc's blocks);
  ``<!-- docs-test: with FILE... -->``             the runner first writes these stand-in files (STAND_INS)
                                                   into the scratch folder;
  ``<!-- docs-test: file NAME -->``                the block (any language) is the file NAME, which the
                                                   runner writes into the scratch folder for later blocks.

A block of any other language (``c``, ``java``) must be marked. The scratch folder links every top-level entry
of the repository (so ``runtime_c/...``, ``tests/fixtures/...`` and ``.venv`` resolve as from the repository
root) but is its own folder, so what a block writes stays there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGS = {"sh", "bash", "shell", "console"}
OUTPUT_LANGS = {"text", "output"}
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<body>.*?)\s*-->\s*$")
KINDS = ("skip", "not-code", "covered-by", "with", "file")

# Stand-in inputs a block may ask for with `with`: the files the docs assume exist (make demo's model, a
# user's model and data). Each maps to the maker in test_doc_blocks.py that writes it.
STAND_INS = {
    "out/mnist_cnn.tlm": "mnist_cnn",  # make demo's CNN: same input [1, 28, 28, 1] float32 and 10 classes
    "model.tlm": "mnist_cnn",
    "mnist_int8.tlm": "mnist_int8",
    "model_int8.tlm": "mnist_int8",
    "x.npy": "digit",
    "images.npy": "digits",
    "tiny.tlm": "tiny",  # the model docs/format.md's example writes
    "image.npy": "tiny_image",
    "kws.tflite": "kws_tflite",  # the keyword-spotting fixture of tests/fixtures/tflite
    "build/native/libtensorlet.a": "native_build",  # the native CMake build (tests/cbuild.py)
    "build/native/tl_run": "native_build",
    "build/native/tl_bench": "native_build",
}


class DocFormatError(ValueError):
    """A doc's fences or markers are malformed (unclosed fence, unknown marker, missing reason)."""


@dataclass
class Marker:
    kind: str
    reason: str = ""
    paths: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


@dataclass
class Block:
    doc: str  # path relative to the repository root
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    markers: list[Marker] = field(default_factory=list)
    expected: str | None = None  # the documented output (a following output block)
    after_prints: bool = False  # the paragraph before the fence ends with "prints"

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    def marker(self, kind: str) -> Marker | None:
        return next((m for m in self.markers if m.kind == kind), None)

    @property
    def kind(self) -> str:
        """python, shell, output, skip, not-code, covered-by, file or unmarked (what the runner does)."""
        for kind in ("skip", "not-code", "covered-by", "file"):
            if self.marker(kind):
                return kind
        if self.lang == "python":
            return "python"
        if self.lang in SHELL_LANGS:
            return "shell"
        if self.lang in OUTPUT_LANGS or (self.lang == "" and self.after_prints):
            return "output"
        if self.lang == "":
            return "shell"  # a bare block is commands unless marked or after "prints"
        return "unmarked"  # other languages (c, java) need a marker: the runner fails on these


def parse_marker(body: str, where: str) -> Marker:
    """``skip (reason)``, ``not-code``, ``covered-by a.py b.py (key, key)`` or ``with f1 f2``."""
    kind, _, rest = body.partition(" ")
    rest = rest.strip()
    if kind not in KINDS:
        raise DocFormatError(f"{where}: unknown docs-test marker {kind!r} (one of {', '.join(KINDS)})")
    if kind == "skip":
        m = re.fullmatch(r"\((.+)\)", rest)
        if not m or not m.group(1).strip():
            raise DocFormatError(f"{where}: 'docs-test: skip' needs a reason in parentheses")
        return Marker(kind, reason=m.group(1).strip())
    if kind == "not-code":
        return Marker(kind, reason=rest)
    if kind == "file":
        if not re.fullmatch(r"[\w.-]+", rest):
            raise DocFormatError(f"{where}: 'docs-test: file' needs one plain file name, got {rest!r}")
        return Marker(kind, paths=[rest])
    if kind == "with":
        files = rest.split()
        unknown = [f for f in files if f not in STAND_INS]
        if not files or unknown:
            raise DocFormatError(
                f"{where}: 'docs-test: with' names no known stand-in file: {unknown or rest!r}"
            )
        return Marker(kind, paths=files)
    m = re.fullmatch(r"(?P<paths>[^()]+?)\s*(?:\((?P<keys>[^()]+)\))?", rest)
    if not m:
        raise DocFormatError(
            f"{where}: 'docs-test: covered-by' needs the paths of the tests that run the block"
        )
    keys = [k.strip() for k in (m.group("keys") or "").split(",") if k.strip()]
    return Marker(kind, paths=m.group("paths").split(), keys=keys)


def parse(path: Path, root: Path = ROOT) -> list[Block]:
    """Every fenced block of one markdown file, with its markers and documented output attached."""
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        rel = str(path)
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group("indent"))
        end = i + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        if end == len(lines):
            raise DocFormatError(f"{rel}:{i + 1}: unclosed ``` fence")
        body = "\n".join(
            line[indent:] if not line[:indent].strip() else line.lstrip() for line in lines[i + 1 : end]
        )
        block = Block(rel, i + 1, m.group("lang"), body + "\n")
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        while k >= 0 and MARKER.match(lines[k]):
            block.markers.insert(0, parse_marker(MARKER.match(lines[k]).group("body"), f"{rel}:{k + 1}"))
            k -= 1
        start = k
        while start > 0 and lines[start - 1].strip():
            start -= 1
        paragraph = " ".join(line.strip() for line in lines[start : k + 1]).lower()
        block.after_prints = paragraph.startswith("prints") or paragraph.rstrip(":").endswith("prints")
        blocks.append(block)
        i = end + 1
    for before, block in zip(blocks, blocks[1:], strict=False):
        if block.kind == "output":
            if before.kind not in ("python", "shell", "covered-by"):
                raise DocFormatError(f"{block.where}: an output block follows no runnable block")
            before.expected = block.text
    return blocks


def doc_paths(root: Path = ROOT) -> list[Path]:
    """README.md and docs/*.md."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def console_steps(text: str) -> list[tuple[str, str]]:
    """A ``console`` block as (command, expected output) pairs: ``$ cmd`` lines start a command (a trailing
    backslash continues it), the lines after it are its output. A block without ``$`` lines is all command."""
    lines = text.splitlines()
    if not any(line.startswith("$ ") for line in lines):
        return [(text, "")]
    steps: list[tuple[str, list[str]]] = []
    continuing = False
    for line in lines:
        if line.startswith("$ ") or continuing:
            command = line[2:] if line.startswith("$ ") and not continuing else line
            if continuing:
                steps[-1] = (steps[-1][0] + "\n" + command, steps[-1][1])
            else:
                steps.append((command, []))
            continuing = line.endswith("\\")
        elif steps:
            steps[-1][1].append(line)
    return [(cmd, "\n".join(out) + ("\n" if out else "")) for cmd, out in steps]


def line_matches(want: str, have: str) -> bool:
    """One documented output line against one printed line; ``<...>`` in it stands for any text."""
    if "<...>" not in want:
        return want == have
    return re.fullmatch(".*".join(re.escape(part) for part in want.split("<...>")), have) is not None


def _chunk_at(chunk: list[str], have: list[str], pos: int) -> bool:
    return pos + len(chunk) <= len(have) and all(
        line_matches(w, h) for w, h in zip(chunk, have[pos : pos + len(chunk)], strict=True)
    )


def output_matches(expected: str, got: str) -> bool:
    """Line-by-line equality, trailing spaces ignored; a line ``...`` matches any number of lines and
    ``<...>`` within a line any text."""
    want = [line.rstrip() for line in expected.strip("\n").splitlines()]
    have = [line.rstrip() for line in got.strip("\n").splitlines()]
    chunks: list[list[str]] = [[]]
    for line in want:
        if line == "...":
            chunks.append([])
        else:
            chunks[-1].append(line)
    if len(chunks) == 1:
        return len(have) == len(want) and _chunk_at(want, have, 0)
    first, *middle, last = chunks
    stop = len(have) - len(last)
    if stop < len(first) or not _chunk_at(first, have, 0) or not _chunk_at(last, have, stop):
        return False
    pos = len(first)
    for chunk in middle:
        while pos + len(chunk) <= stop and not _chunk_at(chunk, have[:stop], pos):
            pos += 1
        if pos + len(chunk) > stop:
            return False
        pos += len(chunk)
    return True


def covered_by_problems(block: Block, root: Path = ROOT) -> list[str]:
    """Why a covered-by marker does not hold: a path missing, or a key not in the block or in the tests."""
    marker = block.marker("covered-by")
    assert marker is not None
    problems = []
    texts = []
    for p in marker.paths:
        path = root / p
        if not path.is_file():
            problems.append(f"{block.where}: covered-by names {p}, which does not exist")
        else:
            texts.append(path.read_text())
    if not marker.keys and texts and not any(Path(block.doc).name in t for t in texts):
        problems.append(
            f"{block.where}: covered-by without keys, but none of {marker.paths} reads {block.doc}"
        )
    for key in marker.keys:
        if key not in block.text:
            problems.append(f"{block.where}: covered-by key {key!r} is not in the block")
        if texts and not any(key in t for t in texts):
            problems.append(f"{block.where}: covered-by key {key!r} is in none of {', '.join(marker.paths)}")
    return problems
