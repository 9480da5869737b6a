#!/usr/bin/env python3
"""Mutational fuzzer for the Python loaders that read untrusted files (issue #12).

Targets, each seeded from valid files written by our own tools and held to ONE documented error type:

    checkpoint   trainer.train.saver.load_checkpoint     TensorletError (DataLossError, ...)
    state        trainer.train.saver.latest_checkpoint   TensorletError; never a path outside the folder
    idx          trainer.datasets.read_idx (raw, gzip)   TensorletError
    npy          trainer.cli.parse_npy (tensorlet run)   CliError
    tlm          trainer.tlm.read_model (+ inspect)      ValueError

Any other exception is a finding (printed, and its input saved under --out). Mutations: bit flips, interesting
bytes and 32-bit integers, chunk insert/delete/duplicate, truncation, splicing between seeds, and for the
JSON files structure-aware value swaps; checkpoint data files get their sha256 and size fixed up most of the
time so the zip and .npy parsing is reached. Memory is bounded with RLIMIT_AS (--max-memory-mb), so an input
that makes a loader allocate too much shows up as a MemoryError finding instead of swapping.

    python scripts/fuzz_python_loaders.py --seconds 300 --seed 1
    python scripts/fuzz_python_loaders.py --iterations 2000 --seed 0 --targets npy,idx
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trainer as tf  # noqa: E402
from trainer.cli import CliError, inspect_model, parse_npy  # noqa: E402
from trainer.datasets import read_idx, write_idx  # noqa: E402
from trainer.errors import TensorletError  # noqa: E402
from trainer.tlm import ModelBuilder, Quantization, read_model  # noqa: E402
from trainer.train.saver import latest_checkpoint, load_checkpoint  # noqa: E402

INTERESTING_8 = [0, 1, 0x7F, 0x80, 0xFF, 0x2F, 0x2E, 0x5C, 0x00]
INTERESTING_32 = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000, 1 << 24, 1 << 30]
JSON_VALUES: list[object] = [
    None,
    True,
    0,
    -1,
    2**63,
    1.5,
    "",
    "x",
    "../x",
    "/etc/passwd",
    [],
    {},
    [1],
    "float32",
]


# ---- mutators -------------------------------------------------------------------------------------
def mutate_bytes(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 5))):
        op = rng.randrange(9)
        n = len(b)
        if op == 0 and n:
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:
            b[rng.randrange(n)] = rng.choice(INTERESTING_8)
        elif op == 2 and n >= 4:
            i = rng.randrange(n - 3)
            v = rng.choice(INTERESTING_32)
            b[i : i + 4] = v.to_bytes(4, rng.choice(("little", "big")))
        elif op == 3:
            i = rng.randrange(n + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 4 and n:
            i = rng.randrange(n)
            del b[i : i + rng.randrange(1, 17)]
        elif op == 5 and n:
            b = b[: rng.randrange(n)]
        elif op == 6 and n:
            i = rng.randrange(n)
            j = min(n, i + rng.randrange(1, 65))
            b[j:j] = b[i:j]
        elif op == 7 and seeds:
            other = rng.choice(seeds)
            cut = rng.randrange(len(b) + 1)
            b = b[:cut] + other[rng.randrange(len(other) + 1) :]
        elif op == 8 and n:
            i = rng.randrange(n)
            b[i] = rng.randrange(256)
    return bytes(b)


def mutate_json(rng: random.Random, text: bytes) -> bytes:
    """Swap one value anywhere in the JSON document for a value of another type (or delete a key)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    paths: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                paths.append((node, i))
                walk(v)

    walk(doc)
    if paths:
        parent, key = rng.choice(paths)
        if isinstance(parent, dict) and rng.random() < 0.2:
            del parent[key]
        else:
            parent[key] = rng.choice(JSON_VALUES)  # type: ignore[index]
    return json.dumps(doc).encode()


# ---- seeds ----------------------------------------------------------------------------------------
def _checkpoint_seed(folder: Path) -> tuple[bytes, bytes, bytes]:
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4), name="dense/w")
        b = tf.Variable(np.array([1, 2], np.int64), name="b")
        s = tf.Variable(np.float64(2.5), name="s")
        saver = tf.train.Saver([w, b, s])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(folder / "m"), global_step=7)
    return (
        Path(prefix + ".index.json").read_bytes(),
        Path(prefix + ".npz").read_bytes(),
        (folder / "checkpoint").read_bytes(),
    )


def _idx_seeds() -> list[bytes]:
    out = []
    with tempfile.TemporaryDirectory() as d:
        for k, a in enumerate(
            [
                np.arange(12, dtype=np.uint8).reshape(3, 4),
                np.array([-3, 5], np.int16),
                np.linspace(0, 1, 6, dtype=np.float32).reshape(1, 2, 3),
                np.array([1.5], np.float64),
            ]
        ):
            for name in (f"{k}", f"{k}.gz"):
                write_idx(Path(d) / name, a)
                out.append((Path(d) / name).read_bytes())
    return out


def _npy_seeds() -> list[bytes]:
    out = []
    for a in (
        np.zeros((2, 3), np.float32),
        np.arange(5, dtype=">i4"),
        np.asfortranarray(np.ones((2, 2), np.float64)),
        np.array(3, np.int8),
        np.zeros((0, 4), np.uint8),
    ):
        buf = io.BytesIO()
        np.save(buf, a)
        out.append(buf.getvalue())
    return out


def _tlm_seeds() -> list[bytes]:
    out = []
    b = ModelBuilder(description="relu")
    x = b.add_input("x", np.float32, [2, 3])
    y = b.add_tensor("y", np.float32, [2, 3])
    b.add_op("Relu", [x], [y])
    b.mark_output(y)
    out.append(b.finish())
    rng = np.random.default_rng(0)
    b = ModelBuilder(description="fc+conv")
    x = b.add_input("x", np.float32, [1, 4, 4, 2])
    w = b.add_constant("w", rng.standard_normal((3, 3, 3, 2)).astype(np.float32))
    c = b.add_tensor("c", np.float32, [1, 4, 4, 3])
    b.add_op("Conv2D", [x, w], [c], padding="SAME")
    f = b.add_tensor("f", np.float32, [1, 48])
    b.add_op("Reshape", [c, b.add_constant("shape", np.array([1, 48], np.int32))], [f])
    fw = b.add_constant("fw", rng.standard_normal((5, 48)).astype(np.float32))
    o = b.add_tensor("o", np.float32, [1, 5])
    b.add_op("FullyConnected", [f, fw], [o], activation="RELU")
    b.mark_output(o)
    out.append(b.finish())
    b = ModelBuilder()
    x = b.add_input("x", np.float32, [4])
    q = b.add_tensor("q", np.int8, [4], Quantization(0.1, -3))
    b.add_op("Quantize", [x], [q])
    b.mark_output(q)
    out.append(b.finish())
    return out


# ---- targets --------------------------------------------------------------------------------------
class Target:
    def __init__(self, name: str, allowed: tuple[type[BaseException], ...], seeds: list[bytes]) -> None:
        self.name, self.allowed, self.seeds = name, allowed, seeds

    def run(self, rng: random.Random, work: Path) -> None:  # raises on a finding
        raise NotImplementedError


class BytesTarget(Target):
    def __init__(
        self,
        name: str,
        allowed: tuple[type[BaseException], ...],
        seeds: list[bytes],
        fn: Callable[[bytes, Path], object],
    ) -> None:
        super().__init__(name, allowed, seeds)
        self.fn = fn

    def make(self, rng: random.Random) -> bytes:
        return mutate_bytes(rng, rng.choice(self.seeds), self.seeds)

    def run(self, rng: random.Random, work: Path) -> bytes:
        data = self.make(rng)
        try:
            self.fn(data, work)
        except self.allowed:
            pass
        return data


def _idx(data: bytes, work: Path) -> None:
    p = work / "f.idx"
    p.write_bytes(data)
    read_idx(p)


def _tlm(data: bytes, work: Path) -> None:
    info = read_model(data)
    inspect_model(info, io.StringIO())  # what `tensorlet inspect` does with a model the reader accepted


class CheckpointTarget(Target):
    def __init__(self, index: bytes, npz: bytes) -> None:
        super().__init__("checkpoint", (TensorletError,), [index, npz])
        self.index, self.npz = index, npz

    def run(self, rng: random.Random, work: Path) -> bytes:
        index, npz = self.index, self.npz
        r = rng.random()
        if r < 0.5:
            npz = mutate_bytes(rng, npz, [npz])
        elif r < 0.8:
            index = mutate_json(rng, index)
        else:
            index = mutate_bytes(rng, index, [index])
        if rng.random() < 0.85:  # fix size and checksum so the zip and .npy parsing is reached
            try:
                doc = json.loads(index)
                if isinstance(doc, dict):
                    doc["data_bytes"], doc["sha256"] = len(npz), hashlib.sha256(npz).hexdigest()
                    index = json.dumps(doc).encode()
            except ValueError:
                pass
        (work / "m.index.json").write_bytes(index)
        (work / "m.npz").write_bytes(npz)
        try:
            load_checkpoint(str(work / "m"))
        except self.allowed:
            pass
        return index + b"\n----\n" + npz


class StateTarget(Target):
    def __init__(self, state: bytes) -> None:
        super().__init__("state", (TensorletError,), [state])

    def run(self, rng: random.Random, work: Path) -> bytes:
        seed = self.seeds[0]
        state = mutate_json(rng, seed) if rng.random() < 0.7 else mutate_bytes(rng, seed, [seed])
        (work / "checkpoint").write_bytes(state)
        try:
            got = latest_checkpoint(work)
        except self.allowed:
            return state
        if got is not None and Path(got).parent != work:
            raise AssertionError(f"latest_checkpoint left the folder: {got!r}")
        return state


def build_targets(work: Path) -> list[Target]:
    index, npz, state = _checkpoint_seed(work)
    return [
        CheckpointTarget(index, npz),
        StateTarget(state),
        BytesTarget("idx", (TensorletError,), _idx_seeds(), _idx),
        BytesTarget("npy", (CliError,), _npy_seeds(), lambda d, w: parse_npy(d, "in.npy")),
        BytesTarget("tlm", (ValueError,), _tlm_seeds(), _tlm),
    ]


# ---- driver ---------------------------------------------------------------------------------------
def _limit_memory(mb: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
    except (ImportError, ValueError, OSError):
        print(f"note: cannot limit memory to {mb} MB here", file=sys.stderr)


def fuzz(
    seconds: float | None, iterations: int | None, seed: int, names: list[str] | None, out: Path | None
) -> dict[str, object]:
    rng = random.Random(seed)
    findings: list[dict[str, object]] = []
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="fuzz-loaders-") as d:
        root = Path(d)
        targets = [t for t in build_targets(root / "seed") if names is None or t.name in names]
        if not targets:
            raise SystemExit(f"no such target in {names}")
        start = time.perf_counter()
        n = 0
        while True:
            if iterations is not None and n >= iterations:
                break
            if seconds is not None and time.perf_counter() - start >= seconds:
                break
            target = targets[n % len(targets)]
            work = root / target.name
            work.mkdir(exist_ok=True)
            state = rng.getstate()
            try:
                target.run(rng, work)
            except Exception as e:  # anything the target does not document is a finding
                rng2 = random.Random()
                rng2.setstate(state)
                data = target.make(rng2) if isinstance(target, BytesTarget) else b""
                digest = hashlib.sha256(data).hexdigest()[:16]
                finding = {
                    "target": target.name,
                    "iteration": n,
                    "error": f"{type(e).__name__}: {e}"[:300],
                    "where": traceback.extract_tb(e.__traceback__)[-1].filename.rsplit("/", 1)[-1]
                    + f":{traceback.extract_tb(e.__traceback__)[-1].lineno}",
                }
                findings.append(finding)
                print(f"FINDING {finding}", flush=True)
                if out is not None and data:
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{target.name}-{digest}.bin").write_bytes(data)
            counts[target.name] = counts.get(target.name, 0) + 1
            n += 1
        elapsed = time.perf_counter() - start
    return {"executions": n, "seconds": elapsed, "per_target": counts, "findings": findings}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Exit code 1 when there are findings."
    )
    p.add_argument(
        "--seconds", type=float, default=None, help="run this long (default 60 unless --iterations)"
    )
    p.add_argument("--iterations", type=int, default=None, help="run exactly this many executions")
    p.add_argument("--seed", type=int, default=0, help="random seed (runs are reproducible per seed)")
    p.add_argument("--targets", default=None, help="comma-separated subset of checkpoint,state,idx,npy,tlm")
    p.add_argument("--out", type=Path, default=None, help="save inputs of findings here")
    p.add_argument("--max-memory-mb", type=int, default=3072, help="address-space limit (default 3072)")
    args = p.parse_args(argv)
    seconds = args.seconds if args.seconds is not None or args.iterations is not None else 60.0
    _limit_memory(args.max_memory_mb)
    warnings.simplefilter("ignore")  # numpy's notes on old .npy headers; errors are what is checked
    names = args.targets.split(",") if args.targets else None
    r = fuzz(seconds, args.iterations, args.seed, names, args.out)
    rate = r["executions"] / max(r["seconds"], 1e-9)  # type: ignore[operator]
    print(
        f"executions {r['executions']} in {r['seconds']:.1f} s ({rate:.0f}/s), per target {r['per_target']}"
    )
    print(f"findings {len(r['findings'])}")  # type: ignore[arg-type]
    return 1 if r["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
