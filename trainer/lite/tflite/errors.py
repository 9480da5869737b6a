"""The importer's error type, and the refusal an op converter raises."""

from __future__ import annotations

from trainer.errors import InvalidArgumentError


class TFLiteImportError(InvalidArgumentError):
    """A ``.tflite`` file that is malformed, or holds something a ``.tlm`` model cannot represent.

    The message is one line naming every offending op (with its index) or feature; no file is written.
    """


class Refusal(Exception):
    """An op (or option value) the importer cannot represent; the message is the reason, without the op."""
