"""Run the TF1 compatibility programs (tests/trainer/tf1_programs/) under real TensorFlow, for comparing
their metrics with tensorlet's. Run it with a Python that has TensorFlow installed, from the repository root:

    python scripts/run_tf1_programs_under_tensorflow.py [program ...]

Each program's ``import trainer as tf`` becomes ``import tensorflow.compat.v1 as tf`` with v2 behaviour
off; nothing else changes. Programs that need ``tf.layers`` or ``tf.contrib`` are reported as skipped on
TensorFlow 2 (those modules are gone from ``tensorflow.compat.v1``). Prints one ``name  seconds  RESULT``
line per program.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "trainer" / "tf1_programs"
TF_IMPORT = "import tensorflow.compat.v1 as tf\n\ntf.disable_v2_behavior()\n"


def _legacy_rnn(tf) -> None:
    """TensorFlow 2.21's ``compat.v1.nn.rnn_cell`` cells need Keras 2 (tf_keras); TF1's own cells and rnn
    functions still ship in ``tensorflow.python.ops``: put them where TF1 programs look."""
    try:
        tf.nn.rnn_cell.GRUCell  # noqa: B018 - raises AttributeError under Keras 3
    except AttributeError:
        from tensorflow.python.ops import rnn, rnn_cell_impl

        tf.nn.rnn_cell = rnn_cell_impl
        tf.nn.dynamic_rnn = rnn.dynamic_rnn


def main(names: list[str]) -> None:
    sys.path[:0] = [str(PROGRAMS), str(ROOT)]  # input_data reads the digits bundled with tensorlet
    import tensorflow.compat.v1 as tf  # noqa: F401 - fail early without TensorFlow

    _legacy_rnn(tf)

    paths = [PROGRAMS / f"{n}.py" for n in names] or sorted(
        p for p in PROGRAMS.glob("*.py") if p.stem != "input_data"
    )
    for path in paths:
        src = path.read_text()
        if "tf.layers." in src or "tf.contrib." in src:
            print(f"{path.stem:28s} skipped: tf.layers / tf.contrib are not in TensorFlow 2's compat.v1")
            continue
        tf.reset_default_graph()
        src = src.replace("import trainer as tf\n", TF_IMPORT)
        scope = {"__name__": "__main__", "__file__": str(path)}
        sys.argv = [str(path)]
        start = time.time()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(src, str(path), "exec"), scope)
        except SystemExit:
            pass
        except Exception as e:  # report and go on: the point is the table
            print(f"{path.stem:28s} FAILED under TensorFlow: {type(e).__name__}: {e}")
            continue
        print(f"{path.stem:28s} {time.time() - start:6.2f}s {scope.get('RESULT')}")


if __name__ == "__main__":
    main(sys.argv[1:])
