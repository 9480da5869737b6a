"""The importer's one error type."""

from __future__ import annotations

from trainer.errors import InvalidArgumentError


class TFLiteImportError(InvalidArgumentError):
    """A ``.tflite`` file that is malformed, or holds something a ``.tlm`` model cannot represent.

    The message is one line naming every offending op (with its index) or feature; no file is written.
    """
