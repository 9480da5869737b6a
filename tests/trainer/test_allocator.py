"""trainer.allocator: glibc keeps a training step's large temporaries in the heap once tuned.

Each check runs in a fresh interpreter (the thresholds are process-wide) and counts the minor page faults
that a loop allocating, touching and freeing 12.8 MB arrays (a CNN activation's size) causes after one
warm-up pass: with the tuning they reuse heap pages (almost no faults), without it every array is new
memory the kernel must fault in.
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    import trainer as tf
    from trainer.allocator import tune_allocator

    with tf.Session():  # a Session tunes the allocator when it is created
        pass
    print("tuned", tune_allocator())

    def faults():
        keep = []
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(20):
            a = np.ones((128, 28, 28, 32), np.float32)
            keep.append(a + 1)
            if len(keep) > 2:
                keep.pop(0)
            del a
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0

    faults()
    print("faults", faults())
    """
)


def _run(env_value: str | None) -> tuple[bool, int]:
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TENSORLET_MALLOC_TUNING", None)
    if env_value is not None:
        env["TENSORLET_MALLOC_TUNING"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    return out[out.index("tuned") + 1] == "True", int(out[out.index("faults") + 1])


glibc = sys.platform.startswith("linux") and "libc.so.6" in str(ctypes.util.find_library("c"))


@pytest.mark.skipif(not glibc, reason="the tuning applies to glibc only")
def test_session_keeps_large_temporaries_in_the_heap() -> None:
    tuned, faults = _run(None)
    assert tuned
    # untuned: about 4,000 faults here (glibc's dynamic threshold already keeps some blocks); tuned: ~0
    assert faults < 500, faults


@pytest.mark.skipif(not glibc, reason="the tuning applies to glibc only")
def test_env_var_leaves_the_allocator_alone() -> None:
    tuned, faults = _run("0")
    assert not tuned
    assert faults > 1000, faults  # fresh pages for the arrays: what the tuning avoids
