"""Mutation campaign against the TFLite importer and, for every mutant it accepts, the C runtime.

    .venv/bin/python scripts/fuzz_tflite_import.py --mutations 10000 [--seed 0] [--fixtures ops_int8 multi_io]

Each mutant (tests/tflite_fixtures.py ``mutate``: flipped bits, random bytes, interesting 32-bit words,
truncations, insertions, deletions) goes through ``trainer.lite.tflite.from_tflite``. Outcomes:

- ``refused``: a one-line TFLiteImportError (the expected answer to a corrupt file);
- ``imported``: a .tlm that the runtime then loads, prepares and invokes on zero inputs (a runtime
  refusal at prepare, e.g. the work budget, is counted as ``runtime_refused``);
- ``bug``: any other exception, a message on several lines, or an "importer error" (the importer's last
  line of defence caught something it should have checked); ``hang``: over ``--timeout`` seconds.

A crash of the process would stop the campaign (none was seen). Exit status 1 when any bug or hang is found.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tflite_fixtures import fixture, mutate  # noqa: E402

from trainer.lite.tflite import TFLiteImportError, from_tflite  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run_one(data: bytes, pyruntime, timeout: float) -> tuple[str, str]:
    """(outcome, detail) of one mutant."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            tlm = from_tflite(data)
        except TFLiteImportError as e:
            msg = str(e)
            if "\n" in msg or "importer error" in msg:
                return "bug", msg
            return "refused", msg
        if pyruntime is None:
            return "imported", ""
        try:
            interp = pyruntime.Interpreter(model_content=tlm)
            interp.allocate_tensors()
            for d in interp.get_input_details():
                interp.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
            interp.invoke()
            interp.close()
        except pyruntime.TensorletRuntimeError as e:
            return "runtime_refused", str(e)
        return "imported", ""
    except Hang:
        return "hang", ""
    except Exception as e:  # noqa: BLE001 - anything else is a finding
        return "bug", f"{type(e).__name__}: {e}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def campaign(names: list[str], mutations: int, seed: int, timeout: float = 10.0) -> tuple[Counter, list]:
    try:
        import pyruntime
    except ImportError:
        pyruntime = None
    counts: Counter = Counter()
    findings = []
    rng = np.random.default_rng(seed)
    originals = [fixture(n) for n in names]
    for k in range(mutations):
        j = k % len(names)
        mutant = mutate(originals[j], rng)
        outcome, detail = run_one(mutant, pyruntime, timeout)
        counts[outcome] += 1
        if outcome in ("bug", "hang"):
            findings.append((names[j], k, outcome, detail[:300]))
    return counts, findings


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mutations", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per mutant: then a hang")
    p.add_argument("--fixtures", nargs="+", default=["ops_int8", "multi_io", "ops_f16", "kws_ds_cnn_int8"])
    args = p.parse_args()
    t0 = time.perf_counter()
    counts, findings = campaign(args.fixtures, args.mutations, args.seed, args.timeout)
    for name, k, outcome, detail in findings[:50]:
        print(f"{outcome}: {name} mutant {k}: {detail}")
    print(
        f"{args.mutations} mutants of {', '.join(args.fixtures)} (seed {args.seed}) in "
        f"{time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{k} {counts[k]}" for k in ("refused", "imported", "runtime_refused", "bug", "hang"))
    )
    return 1 if counts["bug"] or counts["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
