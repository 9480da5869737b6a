"""``tf.gfile``: the file helpers TF1 programs call (``tf.gfile.Exists(log_dir)``, ``MakeDirs``,
``DeleteRecursively``, ``GFile``), on the local file system.

>>> import tempfile, os, trainer as tf
>>> d = os.path.join(tempfile.mkdtemp(), "logs", "run1")
>>> tf.gfile.MakeDirs(d); tf.gfile.Exists(d)
True
>>> tf.gfile.DeleteRecursively(os.path.dirname(os.path.dirname(d))); tf.gfile.Exists(d)
False
"""

from __future__ import annotations

import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import IO, Any

from trainer.errors import NotFoundError

__all__ = [
    "Copy",
    "DeleteRecursively",
    "Exists",
    "GFile",
    "Glob",
    "IsDirectory",
    "ListDirectory",
    "MakeDirs",
    "MkDir",
    "Open",
    "Remove",
    "Rename",
    "Walk",
]


def Exists(filename: str) -> bool:  # noqa: N802 - TF1 names
    return os.path.exists(filename)


def IsDirectory(dirname: str) -> bool:  # noqa: N802
    return os.path.isdir(dirname)


def MakeDirs(dirname: str) -> None:  # noqa: N802
    """Create ``dirname`` and its parents; an existing directory is fine."""
    os.makedirs(dirname, exist_ok=True)


def MkDir(dirname: str) -> None:  # noqa: N802
    os.mkdir(dirname)


def DeleteRecursively(dirname: str) -> None:  # noqa: N802
    """Delete a directory tree (or a file); NotFoundError when there is nothing, as in TF1."""
    if os.path.isdir(dirname) and not os.path.islink(dirname):
        shutil.rmtree(dirname)
    elif os.path.lexists(dirname):
        os.remove(dirname)
    else:
        raise NotFoundError(f"{dirname}: no such file or directory")


def Remove(filename: str) -> None:  # noqa: N802
    if not os.path.lexists(filename):
        raise NotFoundError(f"{filename}: no such file")
    os.remove(filename)


def Rename(oldname: str, newname: str, overwrite: bool = False) -> None:  # noqa: N802
    if not overwrite and os.path.exists(newname):
        raise FileExistsError(f"{newname} exists (pass overwrite=True)")
    os.replace(oldname, newname)


def Copy(oldpath: str, newpath: str, overwrite: bool = False) -> None:  # noqa: N802
    if not overwrite and os.path.exists(newpath):
        raise FileExistsError(f"{newpath} exists (pass overwrite=True)")
    shutil.copyfile(oldpath, newpath)


def Glob(pattern: str) -> list[str]:  # noqa: N802
    return sorted(_glob.glob(pattern))


def ListDirectory(dirname: str) -> list[str]:  # noqa: N802
    if not os.path.isdir(dirname):
        raise NotFoundError(f"{dirname}: no such directory")
    return sorted(os.listdir(dirname))


def Walk(top: str, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:  # noqa: N802
    yield from os.walk(top, topdown=in_order)


def GFile(name: str, mode: str = "r", **kwargs: Any) -> IO[Any]:  # noqa: N802
    """``open(name, mode)`` (text or binary as ``mode`` says)."""
    return open(name, mode, **kwargs)  # the caller closes it, as with TF's GFile


Open = GFile
FastGFile = GFile
