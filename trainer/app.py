"""``tf.app``: ``tf.app.run()`` parses the command-line flags and calls the program's ``main(argv)``.

>>> import trainer as tf
>>> def main(argv):
...     print("rest:", argv[1:])
>>> try:
...     tf.app.run(main, argv=["prog", "x"])
... except SystemExit:  # run exits with main's return value, like TF1
...     pass
rest: ['x']

``tf.app.flags`` is :mod:`trainer.flags`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from trainer import flags

__all__ = ["flags", "run"]


def run(main: Callable[[list[str]], Any] | None = None, argv: Sequence[str] | None = None) -> NoReturn:
    """Parse flags from ``argv`` (default ``sys.argv``), call ``main(remaining argv)`` (default: the
    calling module's ``main``) and exit with its return value, as TF1 does."""
    args = flags.FLAGS(list(sys.argv if argv is None else argv), known_only=True)
    flags.check_required()
    if main is None:
        main = sys._getframe(1).f_globals.get("main")
        if main is None:
            raise flags.Error("tf.app.run: no main given and the caller defines no main()")
    sys.exit(main(args))
